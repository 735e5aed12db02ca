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
