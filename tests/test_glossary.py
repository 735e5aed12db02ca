"""Help beside the 2010 text: how terms are found, `help_for`'s table and `help_html`'s snippet."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

import assured_kit as ak
from assured_kit.glossary import HELP_COLUMNS, find_terms, help_for, help_html, lookup_term


@pytest.fixture(scope="module")
def fw() -> ak.Framework:
    return ak.load_framework()


def glossary(*entries: tuple[str, str]) -> pd.DataFrame:
    """A small glossary of (term, aliases) rows for matching-rule tests."""
    return pd.DataFrame(
        {
            "term": [t for t, _ in entries],
            "aliases": [a for _, a in entries],
            "stands_for": "x",
            "meaning_in_2010": "x",
            "today": "x",
        }
    )


RULES = glossary(
    ("NI", "NIs"),
    ("CAF", ""),
    ("DCS", "DCSs;Director of Children's Services"),
    ("Corporate parents", "corporate parent"),
    ("Children's Trust", ""),
    ("Case work reviews", "case work reviews"),
    ("Serious case review", "case reviews"),
)

# text, the terms it must yield (in glossary order)
MATCHING_RULES = [
    ("a nice unit", []),  # acronyms match exactly: NI is not in "nice"
    ("Ni and ni", []),  # ...nor in another capitalisation
    ("all our NIs.", ["NI"]),  # an acronym's plural alias, before a full stop
    ("the CAF’s impact", ["CAF"]),  # a possessive
    ("Is the CAF making a difference?", ["CAF"]),
    ("caf", []),
    ("CAFCASS", []),  # whole words only
    ("Our Corporate Parents", ["Corporate parents"]),  # words ignore case
    ("our corporate parents", ["Corporate parents"]),
    ("a corporate\nparent", ["Corporate parents"]),  # a line break between words
    ("the Children’s Trust", ["Children's Trust"]),  # a curly apostrophe
    ("the children's trust", ["Children's Trust"]),
    ("our Director of Legal and Democratic Services", []),  # "Director" names other posts
    ("the Director of Safeguarding", []),
    ("our Director of Children's Services", ["DCS"]),
    ("DCSs and LMs", ["DCS"]),
    ("issues coming out of case work reviews", ["Case work reviews"]),  # not serious case reviews
    ("learning from case reviews", ["Serious case review"]),
    ("showcase reviews", []),
]


@pytest.mark.parametrize(("text", "expected"), MATCHING_RULES)
def test_matching_rules(text, expected):
    assert find_terms(RULES, text)["term"].tolist() == expected


def test_lookup_ignores_case_and_apostrophe_style():
    assert lookup_term(RULES, "children’s TRUST")["term"] == "Children's Trust"
    assert lookup_term(RULES, " nis ")["term"] == "NI"
    with pytest.raises(ak.AssuredKitError, match="no glossary entry for 'Director'"):
        lookup_term(RULES, "Director")


def test_no_text_or_no_glossary_finds_nothing():
    assert find_terms(RULES, "").empty
    assert find_terms(RULES.iloc[0:0], "NI").empty


def test_bundled_director_alias_does_not_tag_other_directors(fw):
    assert "DCS" not in help_for(fw, "PM-EX-2")["term"].tolist()
    assert find_terms(fw.glossary, "our Director of Safeguarding").empty


def test_help_for_columns_and_kinds(fw):
    table = help_for(fw, "WF-LM-3")
    assert list(table.columns) == list(HELP_COLUMNS)
    assert table["kind"].tolist()[-1] == "editorial"
    editorial = table[table["kind"] == "editorial"].iloc[0]
    assert "I/we am" in editorial["text"]
    assert editorial["source"] == "Assured Safeguarding, 2010 edition, page 12"


def test_help_for_an_example_reads_its_quote_and_heading(fw):
    terms = help_for(fw, "PR-EX-5")["term"].tolist()
    assert terms == ["CAF"]  # in the heading and the quote, listed once
    gloss = help_for(fw, "PR-EX-5").iloc[0]["text"]
    assert gloss.startswith("Common Assessment Framework. In 2010: ")
    assert "Today: " in gloss


def test_help_for_refuses_an_unknown_id(fw):
    for bad in ["LA-DCS-9", "la-dcs-1", " LA-DCS-1", "XX-EX-1"]:
        with pytest.raises(ak.AssuredKitError, match=re.escape(repr(bad))):
            help_for(fw, bad)


def test_help_for_nothing_to_say_is_an_empty_table(fw):
    table = help_for(fw, "LA-DCS-3")
    assert table.empty and list(table.columns) == list(HELP_COLUMNS)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_help_html_is_self_contained_and_marks_editorial_notes(fw):
    snippet = help_html(fw, "LA-DCS-1")
    parser = _Tags()
    parser.feed(snippet)
    assert parser.tags[:2] == ["details", "summary"]
    assert not {"script", "link", "img", "iframe", "style", "a"} & set(parser.tags)
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert "http" not in snippet and "url(" not in snippet
    assert "<summary style='cursor:pointer'>What does this mean?</summary>" in snippet
    assert "Editorial note</strong> (not part of the 2010 text)" in snippet
    assert "data-term='LSCB'" in snippet


def test_help_html_escapes_everything(fw, framework_copy):
    questions = framework_copy / "questions.csv"
    text = questions.read_text(encoding="utf-8")
    row = "LA-DCS-3,LA,DCS,3,How do I ensure that we have the opportunity to learn from research?,"
    hostile = "\"<script>alert(1)</script> & 'quoted'\""
    questions.write_text(text.replace(row, row + hostile), encoding="utf-8")
    adapted = ak.load_framework(source=framework_copy)
    snippet = help_html(adapted, "LA-DCS-3", summary="<b>Help</b>")
    assert "<script>" not in snippet and "<b>Help</b>" not in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in snippet
    assert "&lt;b&gt;Help&lt;/b&gt;" in snippet


def test_help_html_is_empty_without_help(fw):
    assert help_html(fw, "LA-DCS-3") == ""


# --- the bundled glossary: sourced, dated, current ---------------------------------------------

#: How far any entry's check may lag the newest: a nudge to re-check the glossary together.
CHECK_WINDOW = pd.DateOffset(months=18)


def test_every_entry_has_a_source_and_a_recent_check(fw):
    glossary = fw.glossary
    assert (glossary["source"].str.strip().str.len() > 20).all(), "a citation a reader can follow"
    checked = pd.to_datetime(glossary["checked_on"], format="%Y-%m-%d")
    stale = glossary.loc[checked < checked.max() - CHECK_WINDOW, "term"].tolist()
    assert stale == [], f"checked more than 18 months before the newest entry: {stale}"


def test_the_staleness_check_can_fail(fw):
    dates = pd.to_datetime(pd.Series(["2026-12-01", "2025-05-31", "2025-06-01"]))
    assert (dates < dates.max() - CHECK_WINDOW).tolist() == [False, True, False]


def test_entries_separate_2010_from_today(fw):
    today = fw.glossary["today"]
    assert today.str.match(r"(Nearest equivalent|Unchanged)").all()
    assert not today.str.contains("same as", case=False).any()
    assert not fw.glossary["meaning_in_2010"].str.contains(r"\b202[0-9]\b").any()


def entry(fw, term: str) -> str:
    row = fw.glossary.set_index("term").loc[term]
    return " ".join(str(row[c]) for c in ["meaning_in_2010", "today", "source"])


@pytest.mark.parametrize(
    ("term", "must_say"),
    [
        (
            "LSCB",
            [
                "lead safeguarding partner",
                "delegated safeguarding partner",
                "partnership chair",
                "Working Together to Safeguard Children 2026",
                "Children's Wellbeing and Schools Act 2026",
                "section 2",
                "section 3",
                "commence by regulations",
                "integrated care board",
            ],
        ),
        (
            "Children's Trust",
            [
                "section 10",
                "remains in force",
                "31 October 2010",
                "Northamptonshire Children's Trust",
            ],
        ),
        ("CAF", ["Family Help", "Families First Partnership", "April 2025"]),
        ("FIP", ["Supporting Families", "Children and Families Grant", "2025"]),
        ("NI", ["LAIT", "7 November 2024", "removed"]),
        ("Inspection outcome", ["April 2026", "no longer gives an overall effectiveness grade"]),
        ("Unannounced safeguarding inspection", ["ILACS", "joint targeted area inspections"]),
        ("Working Together", ["2026", "replaced the 2023 edition"]),
        ("Adult safeguarding board", ["Care Act 2014", "section 43", "2015"]),
        ("Newly qualified social workers", ["ASYE", "2012"]),
        ("Corporate parents", ["Children and Social Work Act 2017", "section 1"]),
        ("Case work reviews", ["not serious case reviews", "audit"]),
    ],
)
def test_entries_say_what_changed(fw, term, must_say):
    text = entry(fw, term)
    missing = [m for m in must_say if m not in text]
    assert missing == []


def test_working_together_and_lscb_no_longer_point_only_at_2023(fw):
    for term in ["LSCB", "Working Together", "CAF"]:
        today = fw.glossary.set_index("term").loc[term, "today"]
        assert "2023" not in today or "2026" in today or "2025" in today, term


# --- every 2010-era term in the questions and examples is glossed or deliberately plain ---------

#: Phrase as printed -> the glossary term it must find.
GLOSSED = {
    "Children's Trust": "Children's Trust",
    "Local Safeguarding Children's Board": "LSCB",
    "LSCB": "LSCB",
    "safeguarding thresholds": "Safeguarding thresholds",
    "corporate parents": "Corporate parents",
    "narrow the outcomes gap": "Narrow the outcomes gap",
    "narrowed the outcomes gap": "Narrow the outcomes gap",
    "CAF": "CAF",
    "LAA": "LAA",
    "outcome of an inspection": "Inspection outcome",
    "inspection outcomes": "Inspection outcome",
    "DCS": "DCS",
    "Lead Member": "LM",
    "unannounced safeguarding inspection": "Unannounced safeguarding inspection",
    "Overview Scrutiny Commission": "Overview and scrutiny",
    "Children and Young Peoples Scrutiny": "Overview and scrutiny",
    "DASS": "DASS",
    "working together guidance": "Working Together",
    "case work reviews": "Case work reviews",
    "case reviews": "Serious case review",
    "CRB": "CRB",
    "GSCC": "GSCC",
    "extended services": "Extended Services",
    "Commissioning Support Programme": "Commissioning Support Programme",
    "Family Intervention Programme": "FIP",
    "adult safeguarding board": "Adult safeguarding board",
    "children's board": "Children's board",
    "newly qualified": "Newly qualified social workers",
    "PCT": "PCT",
    "NIs": "NI",
}

#: Phrase as printed -> why it is left plain.
LEFT_PLAIN = {
    "Elected Member": "still the ordinary word for a councillor",
    "Local Authority": "unchanged",
    "Chief Exec": "an abbreviation of Chief Executive; unchanged",
    "Director of Safeguarding": "a local job title, not a statutory post",
    "Director of Legal and Democratic Services": "a local job title (the monitoring officer's)",
    "independent chair": "plain words; see the LSCB entry for today's partnership chair",
    "Borough Council": "district councils in two-tier areas; unchanged",
    "District Council": "district councils in two-tier areas; unchanged",
    "child protection conference": "still current practice",
    "health visitors": "still current",
    "school nurses": "still current",
    "statistical neighbour": "still used by DfE for comparisons",
    "integrated youth": "a local service name in one example",
    "wrap around teams": "a local service name in one example",
    "Children's Champion": "a local role in one example",
    "needs based commissioning": "plain words",
    "integrated service delivery": "plain words",
    "next practice": "the source's own coinage, explained by its strapline",
    "casework and reviews": "the theme's own words; both parts are glossed where they are specific",
    "locality teams": "plain words",
    "care leavers": "still current",
    "taken into care": "still current",
    "GP": "still current",
    "traffic light": "plain words (red, amber, green ratings)",
}


def all_text(fw) -> str:
    return " ".join([*fw.questions["text"], *fw.examples["heading"], *fw.examples["quote"]])


@pytest.mark.parametrize(("phrase", "term"), sorted(GLOSSED.items()))
def test_flagged_term_is_glossed(fw, phrase, term):
    assert phrase.casefold() in all_text(fw).replace("’", "'").casefold(), "not in the 2010 text"
    assert term in find_terms(fw.glossary, phrase)["term"].tolist()


@pytest.mark.parametrize("phrase", sorted(LEFT_PLAIN))
def test_deliberately_plain_terms_are_in_the_text_and_not_glossed(fw, phrase):
    assert phrase.casefold() in all_text(fw).replace("’", "'").casefold(), "not in the 2010 text"
    assert find_terms(fw.glossary, phrase).empty


def test_every_glossary_term_is_found_somewhere_or_is_framing(fw):
    found = set(find_terms(fw.glossary, all_text(fw))["term"])
    # The Strategic Health Authority appears only in the introduction; Government Office and LM
    # are in the framing and the roles.
    assert set(fw.glossary["term"]) - found <= {"SHA", "Government Office", "LM"}


def test_help_covers_many_more_questions_than_before(fw):
    with_help = [q for q in fw.questions["question_id"] if not help_for(fw, q).empty]
    assert len(with_help) >= 13  # was 7 of 47 before terms were found reliably


# --- editorial notes beside the text they annotate ----------------------------------------------


def test_every_editorial_note_is_served_beside_its_text(fw):
    notes = [
        *zip(fw.questions["question_id"], fw.questions["note"], strict=True),
        *zip(fw.examples["example_id"], fw.examples["note"], strict=True),
    ]
    noted = [(item, note) for item, note in notes if note.strip()]
    assert len(noted) >= 7
    for item, note in noted:
        table = help_for(fw, item)
        assert table[table["kind"] == "editorial"]["text"].tolist() == [note.strip()], item
        assert "(not part of the 2010 text)" in help_html(fw, item), item
    unnoted = next(item for item, note in notes if not note.strip())
    assert "editorial" not in help_for(fw, unnoted)["kind"].tolist()


def test_topics_head_the_what_changed_page(fw):
    from assured_kit.glossary import CHANGE_TOPICS

    topics = fw.glossary["topic"]
    assert set(topics) - {""} == set(CHANGE_TOPICS)  # every heading used, no stray spelling
    unchanged = fw.glossary["today"].str.startswith("Unchanged")
    assert (topics[unchanged] == "").all()  # nothing unchanged is listed as a change
