"""The bundled content is the 2010 source, word for word, and holds to its contracts.

The source text is copied under ``tests/data`` and parsed here independently of the package, so
a changed word in either the content or the parser's reading of it fails a test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import assured_kit as ak

SOURCE = Path(__file__).parent / "data" / "assured-safeguarding-2010.txt"
THEME_TITLES = {
    "Leadership/Accountability": "LA",
    "Casework Reviews": "CR",
    "Workforce": "WF",
    "Prevention": "PR",
    "Integration": "IN",
    "Performance Management": "PM",
}
ROLE_HEADINGS = {"Directors of Children's Services": "DCS", "Elected Lead Members": "LM"}
QUOTE = re.compile(r'^["“](?P<quote>.*)["”]\s*\((?P<who>DCS and LM|DCS|LM)\)\.?$')


def parse_source() -> tuple[list[tuple[str, str, int, str]], list[tuple[str, str, str, str]]]:
    """Read questions and examples straight from the source text."""
    questions: list[tuple[str, str, int, str]] = []
    examples: list[tuple[str, str, str, str]] = []
    theme = role = heading = None
    in_examples = False
    for raw in SOURCE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("Additional copies"):
            break
        if line in THEME_TITLES:
            theme, role, in_examples = THEME_TITLES[line], None, False
            continue
        if theme is None:
            continue
        if re.search(r"examples of practice$", line, re.IGNORECASE):
            in_examples = True
            continue
        if line in ROLE_HEADINGS:
            role = ROLE_HEADINGS[line]
            continue
        if not in_examples:
            numbered = re.match(r"^(\d+)\. (.+)$", line)
            if numbered and role:
                questions.append((theme, role, int(numbered.group(1)), numbered.group(2)))
            continue
        quoted = QUOTE.match(line)
        if quoted:
            examples.append((theme, heading, quoted["quote"], quoted["who"]))
        else:
            heading = line
    return questions, examples


@pytest.fixture(scope="module")
def fw() -> ak.Framework:
    return ak.load_framework()


def test_source_copy_is_the_shared_seed():
    seed = Path(__file__).resolve().parents[2] / "shared" / "seed" / SOURCE.name
    if not seed.exists():
        pytest.skip("the shared seed folder is not beside this checkout")
    assert SOURCE.read_bytes() == seed.read_bytes()


def test_counts_match_the_source(fw):
    assert len(fw.themes) == 6
    assert len(fw.questions) == 47
    assert fw.questions["role"].value_counts().to_dict() == {"DCS": 24, "LM": 23}
    assert len(fw.examples) == 41
    assert fw.examples.groupby(["theme_id", "heading"], observed=True).ngroups == 20
    assert fw.examples["attribution"].value_counts().to_dict() == {
        "DCS": 27,
        "LM": 11,
        "DCS and LM": 3,
    }


def test_every_question_is_worded_as_the_source(fw):
    source_questions, _ = parse_source()
    content = [
        (str(r.theme_id), str(r.role), int(r.number), r.text) for r in fw.questions.itertuples()
    ]
    assert content == source_questions


def test_every_example_is_worded_as_the_source(fw):
    _, source_examples = parse_source()
    content = [
        (str(r.theme_id), r.heading, r.quote, str(r.attribution)) for r in fw.examples.itertuples()
    ]
    assert content == source_examples


def test_one_changed_word_is_caught(fw, tmp_path, framework_copy):
    questions = framework_copy / "questions.csv"
    text = questions.read_text(encoding="utf-8")
    questions.write_text(
        text.replace("learn from research", "learn from evidence"), encoding="utf-8"
    )
    changed = ak.load_framework(source=framework_copy)
    source_questions, _ = parse_source()
    assert [r.text for r in changed.questions.itertuples()] != [q[3] for q in source_questions]


def test_themes_and_pages(fw):
    assert fw.themes[["theme_id", "page"]].astype(str).values.tolist() == [
        ["LA", "6"],
        ["CR", "10"],
        ["WF", "12"],
        ["PR", "14"],
        ["IN", "16"],
        ["PM", "18"],
    ]
    contents = SOURCE.read_text(encoding="utf-8")
    for r in fw.themes.itertuples():
        assert f"Page {r.page} - {r.contents_title}" in contents


def test_framing_is_quoted_from_the_source(fw):
    text = " ".join(SOURCE.read_text(encoding="utf-8").split())
    for key in [
        "title",
        "edition",
        "headline_question",
        "strapline",
        "purpose",
        "seeks",
        "sharing",
    ]:
        assert " ".join(str(fw.about[key]).split()) in text, key
    assert fw.about["year"] == 2010


def test_editorial_notes_sit_beside_the_slips(fw):
    notes = fw.examples.set_index("example_id")["note"]
    assert "all or NIs" in fw.examples.set_index("example_id").loc["PM-EX-6", "quote"]
    assert "all our NIs" in notes["PM-EX-6"]
    q_notes = fw.questions.set_index("question_id")["note"]
    assert "I/we am" in q_notes["WF-LM-3"]


# --- table-driven contract: every table, its columns, dtypes, unique ids, non-empty text -------

CONTRACT = {
    "themes": (
        {
            "theme_id": "category",
            "order": "Int64",
            "title": "str",
            "contents_title": "str",
            "page": "Int64",
        },
        "theme_id",
        ["title", "contents_title"],
    ),
    "questions": (
        {
            "question_id": "str",
            "theme_id": "category",
            "role": "category",
            "number": "Int64",
            "text": "str",
            "note": "str",
        },
        "question_id",
        ["text"],
    ),
    "examples": (
        {
            "example_id": "str",
            "theme_id": "category",
            "heading": "str",
            "quote": "str",
            "attribution": "category",
            "note": "str",
        },
        "example_id",
        ["heading", "quote"],
    ),
    "glossary": (
        {
            "term": "str",
            "stands_for": "str",
            "meaning_in_2010": "str",
            "today": "str",
            "aliases": "str",
            "source": "str",
            "checked_on": "str",
            "topic": "str",
        },
        "term",
        ["stands_for", "meaning_in_2010", "today"],
    ),
}


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_table_contract(fw, table):
    columns, key, texts = CONTRACT[table]
    frame: pd.DataFrame = getattr(fw, table)
    assert list(frame.columns) == list(columns)
    assert {c: str(frame[c].dtype) for c in frame.columns} == columns
    assert frame[key].is_unique
    assert frame[key].notna().all()
    for column in texts:
        assert (frame[column].str.strip() != "").all(), column
    for column, dtype in columns.items():
        if dtype == "category":
            assert frame[column].cat.ordered, column


def test_ids_follow_the_published_pattern(fw):
    assert fw.questions["question_id"].str.fullmatch(r"(LA|CR|WF|PR|IN|PM)-(DCS|LM)-[1-9]").all()
    assert fw.examples["example_id"].str.fullmatch(r"(LA|CR|WF|PR|IN|PM)-EX-[1-9]\d*").all()
    assert fw.themes["theme_id"].cat.categories.tolist() == ["LA", "CR", "WF", "PR", "IN", "PM"]
    assert fw.questions["role"].cat.categories.tolist() == ["DCS", "LM"]


def test_quotes_have_no_enclosing_marks(fw):
    assert not fw.examples["quote"].str.match(r'^["“”]').any()
    assert not fw.examples["quote"].str.contains(r'["”]$').any()


def test_lookups(fw):
    assert (
        fw.question("PM-LM-5")["text"]
        == "Have we done enough to protect children and how do I know?"
    )
    assert fw.questions_for("WF", "DCS")["number"].tolist() == [1, 2, 3, 4]
    assert fw.questions_for(role="LM")["role"].eq("LM").all()
    assert fw.examples_for("IN")["example_id"].tolist() == [f"IN-EX-{i}" for i in range(1, 6)]
    assert fw.theme_title("PM") == "Performance Management"
    assert fw.term("NIs")["term"] == "NI"
    for bad, call in [
        ("XX-DCS-1", lambda: fw.question("XX-DCS-1")),
        ("ZZ", lambda: fw.questions_for("ZZ")),
        ("Mayor", lambda: fw.questions_for(role="Mayor")),
        ("FOO", lambda: fw.term("FOO")),
    ]:
        with pytest.raises(ak.AssuredKitError, match=re.escape(bad)):
            call()


def test_glossary_explains_the_acronyms_a_reader_meets(fw):
    needed = ["LSCB", "CAF", "DASS", "CRB", "GSCC", "NI", "LAA", "PCT", "FIP", "SHA", "DCS", "LM"]
    assert set(needed) <= set(fw.glossary["term"])
    every_text = " ".join([*fw.questions["text"], *fw.examples["quote"], *fw.examples["heading"]])
    found = set(fw.terms_in(every_text)["term"])
    # SHA appears only in the introduction, not in a question or example.
    assert set(needed) - {"DCS", "LM", "SHA"} <= found
    today = fw.glossary.set_index("term")["today"]
    assert "Disclosure and Barring Service" in today["CRB"]
    assert "Social Work England" in today["GSCC"] and "2019" in today["GSCC"]
    assert "integrated care board" in today["PCT"]
    assert "Children and Social Work Act 2017" in today["LSCB"]
    assert today.str.contains("Nearest equivalent|Unchanged", regex=True).all()


def test_terms_in_matches_whole_words_only(fw):
    assert fw.terms_in("a nice unit of NIs")["term"].tolist() == ["NI"]
    assert fw.terms_in("nothing to explain here").empty


def test_authorities_default_to_the_east_midlands(fw):
    assert fw.authorities == [
        "Derby",
        "Derbyshire",
        "Leicester",
        "Leicestershire",
        "Lincolnshire",
        "North Northamptonshire",
        "West Northamptonshire",
        "Nottingham",
        "Nottinghamshire",
        "Rutland",
    ]
