"""Round trips, proven with hypothesis: what goes out of a workshop comes back unchanged.

- export to CSV / XLSX, then `read_ratings`, gives back every answer;
- a rating sheet filled in any way a spreadsheet allows, then imported, records exactly it;
- a wide form export, then imported, records exactly it.

Text is drawn to be awkward: formula triggers (= + - @ tab), apostrophes that look like the
kit's own neutralising prefix, quotes, separators, HTML, and any unicode. Hypothesis runs under
the fixed profile of ``tests/conftest.py``; the cases that must never be left to chance (every
string a table reader might take for "missing", None-like and formula-like text) are explicit
``@example``s, so they run every time.
"""

from __future__ import annotations

import csv
import io
import random
import re
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from assured_kit import AssuredKitError
from assured_kit.forms import import_form_export
from assured_kit.ratings import read_ratings
from assured_kit.safety import neutralise_cell
from assured_kit.sheets import import_rating_sheet, write_rating_sheet
from assured_kit.store import Workshop
from assured_kit.text import RESPONDENT_ROLES, clean_label, fold

#: Every string that pandas (and many other readers) take for "missing" by default, and
#: empty-looking white space: a person may type any of them as a label, a note or a title.
NA_LIKE = ["NA", "N/A", "n/a", "None", "null", "NULL", "#N/A", "#N/A N/A", "nan", "NaN", "-nan",
           "-NaN", "<NA>", "#NA", "1.#QNAN", "-1.#QNAN", "1.#IND", "-1.#IND", "", " ", "\u00a0",
           "\t", " \n "]
NONE_LIKE = ["none", "NONE", "nil", "undefined", "False", "TRUE", "0", "[]", "{}"]
FORMULA_LIKE = ["=1+1", "+44 1234 567890", "-1", "@SUM(A1:A2)", "'=quoted", "''+twice",
                '=HYPERLINK("http://x","y")', "\t=tab", "=NA()", "#REF!", "#DIV/0!"]
NASTY = NA_LIKE + NONE_LIKE + FORMULA_LIKE
#: The nasty strings that can be a respondent's label (one line, something visible).
NASTY_LABELS = [s for s in NASTY if s.strip() and "\n" not in s]
QUESTIONS = ["PM-DCS-1", "PM-DCS-2", "PM-DCS-3", "PM-DCS-4",
             "PM-LM-1", "PM-LM-2", "PM-LM-3", "PM-LM-4", "PM-LM-5"]
AUTHORITIES = [None, "Derby", "Rutland", "North Northamptonshire"]
CONFIDENCE = ["Not confident", "Slightly confident", "Partly confident", "Mostly confident",
              "Fully confident"]
EVIDENCE = ["No evidence", "Informal", "Data or audit", "Triangulated"]
STARTS = ["", "=", "+", "-", "@", "\t", "'", "'=", "''+", '"', ";", ",", "<script>", "=HYPERLINK("]

# Anything a person can type into a spreadsheet cell (XLSX cannot hold other control chars).
typed = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
    max_size=30,
) | st.text(alphabet="\t\n =+-@'\";,<>é€😀", max_size=10)
# Anything at all, for text that only the kit writes and reads (CSV keeps every character).
anything = st.text(max_size=30)


def tricky(body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda start, rest: start + rest, st.sampled_from(STARTS), body)


def stored(text: str | None) -> str | None:
    """A note as the store keeps it: trimmed, blank as nothing."""
    if text is None or not text.strip():
        return None
    return text.strip()


def in_xlsx(text: object) -> object:
    """What XLSX can hold: line breaks as LF, other control characters as U+FFFD."""
    if not isinstance(text, str):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", text)


def one_line(label: str) -> bool:
    """A label the store accepts: one line, with something visible once cleaned."""
    try:
        return bool(clean_label(label))
    except AssuredKitError:  # line breaks are refused
        return False


def unique_labels(draw_labels: list[str]) -> bool:
    """Labels that are different people: look-alikes fold to the same text."""
    folded = [fold(label) for label in draw_labels]
    return all(folded) and len(set(folded)) == len(folded)


respondent = st.tuples(
    tricky(anything).filter(lambda s: one_line(s) and len(clean_label(s)) <= 100),
    st.sampled_from(RESPONDENT_ROLES),
    st.sampled_from(AUTHORITIES),
    st.sampled_from(["person", "table"]),
)
answer = st.tuples(
    st.integers(0, 5),  # respondent index (modulo the number of respondents)
    st.sampled_from(QUESTIONS),
    st.sampled_from([1, 2]),
    st.one_of(st.none(), st.integers(1, 5)),  # None = Don't know
    st.one_of(st.none(), st.integers(0, 3)),
    st.one_of(st.none(), tricky(anything)),
)


def _new_workshop(folder: Path, title: str = "Round trip") -> Workshop:
    return Workshop.create(folder / "rt.workshop.sqlite", title=title, themes=["PM"],
                           anonymity="named")


def _distinct(labels) -> list[str]:
    """Labels that are different people (the first of each folded spelling)."""
    seen: dict[str, str] = {}
    for label in labels:
        seen.setdefault(fold(label), label)
    return list(seen.values())


def _na_examples():
    """Explicit examples for the export round trip: every nasty string as title, label, note."""
    out = []
    groups = [NASTY_LABELS[i : i + 4] for i in range(0, len(NASTY_LABELS), 4)]
    for n, labels in enumerate(groups):
        people = [(label, RESPONDENT_ROLES[i % 4], AUTHORITIES[i % 4], "person")
                  for i, label in enumerate(_distinct(labels))]
        answers = [(i, QUESTIONS[i % len(QUESTIONS)], 1 + i % 2, (None, 3)[i % 2], (None, 1)[i % 2],
                    note) for i, note in enumerate(NASTY)]
        out.append(example(title=labels[0], people=people, answers=answers))
        if n == 0:  # nasty text where an authority-less row and round 2 meet, too
            out.append(example(title=" NA ", people=people[:1], answers=[
                (0, q, 2, None, None, note) for q, note in zip(QUESTIONS, NA_LIKE, strict=False)
            ]))
    return out


def _apply(decorators):
    def wrap(test):
        for decorate in reversed(decorators):
            test = decorate(test)
        return test
    return wrap


@_apply(_na_examples())
@given(
    title=tricky(anything).filter(lambda s: 0 < len(s.strip()) <= 200),
    people=st.lists(respondent, min_size=1, max_size=4).filter(
        lambda ps: unique_labels([p[0] for p in ps])
    ),
    answers=st.lists(answer, max_size=25),
)
def test_export_then_read_ratings_keeps_every_answer(title, people, answers) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _new_workshop(folder, title) as ws:
            with ws.batch():
                ids = [ws.add_respondent(label, role=role, authority=authority, kind=kind)
                       for label, role, authority, kind in people]
                for who, question, round_, rating, evidence, note in answers:
                    ws.record(ids[who % len(ids)], question, rating, dont_know=rating is None,
                              evidence=evidence, note=note, round=round_, proxy=who > 2)
            expected = ws.ratings()
            csv_path = ws.export(folder / "answers.csv")
            xlsx_path = ws.export(folder / "workshop.xlsx")
        assert len(expected) == len({(a[0] % len(people), a[1], a[2]) for a in answers})

        pd.testing.assert_frame_equal(read_ratings(csv_path), expected)

        from_xlsx = read_ratings(xlsx_path)
        gap = (from_xlsx["recorded_at"] - expected["recorded_at"]).abs()
        assert (gap <= pd.Timedelta(milliseconds=1)).all()
        as_xlsx = expected.copy()
        for column in ("workshop_title", "respondent_label", "authority", "note", "author"):
            as_xlsx[column] = as_xlsx[column].map(in_xlsx).astype(expected[column].dtype)
        pd.testing.assert_frame_equal(
            from_xlsx.drop(columns="recorded_at"), as_xlsx.drop(columns="recorded_at")
        )

        # Nothing in either file can run as a formula.
        rows = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig"), newline="")))
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                       for row in rows for cell in row)
        book = openpyxl.load_workbook(xlsx_path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", cell.value


def _rating_cell(rnd: random.Random, value: int | None) -> object:
    if value is None:
        return rnd.choice(["Don't know", "don't know", "DK", "Don’t know"])
    label = CONFIDENCE[value - 1]
    return rnd.choice([
        value, float(value), str(value), f"{value}.0", f"{value} - {label}", label,
        f"  {label.upper()} ", f"{value}: {label}",
    ])


def _evidence_cell(rnd: random.Random, value: int | None) -> object:
    if value is None:
        return rnd.choice([None, "", "  "])
    label = EVIDENCE[value]
    return rnd.choice([value, str(value), f"{value} - {label}", label.lower()])


#: Nasty notes for a rating sheet: one question each, spread over the sheet's nine questions.
_SHEET_NOTES = [dict(zip(QUESTIONS, (((1 + i % 5), i % 4, note) for i, note in enumerate(chunk)),
                         strict=False))
                for chunk in (NASTY[i : i + 9] for i in range(0, len(NASTY), 9))]
_SHEET_EXAMPLES = [
    example(filled=notes, suffix=suffix, encoding=encoding, delimiter=delimiter, round_=1,
            rnd=random.Random(n))
    for n, notes in enumerate(_SHEET_NOTES)
    for suffix, encoding, delimiter in ((".xlsx", "utf-8-sig", ","), (".csv", "utf-8-sig", ";"),
                                        (".csv", "utf-16", "\t"))
]


sheet_answers = st.dictionaries(
    st.sampled_from(QUESTIONS),
    st.tuples(st.one_of(st.none(), st.integers(1, 5)), st.one_of(st.none(), st.integers(0, 3)),
              st.one_of(st.none(), tricky(typed))),
    min_size=1,
)


@_apply(_SHEET_EXAMPLES)
@given(filled=sheet_answers, suffix=st.sampled_from([".xlsx", ".csv"]),
       encoding=st.sampled_from(["utf-8-sig", "cp1252", "utf-16"]),
       delimiter=st.sampled_from([",", ";", "\t"]), round_=st.sampled_from([1, 2]),
       rnd=st.randoms(use_true_random=False))
def test_filled_rating_sheet_imports_exactly(filled, suffix, encoding, delimiter, round_,
                                             rnd) -> None:
    cells = {q: (_rating_cell(rnd, r), _evidence_cell(rnd, e), n)
             for q, (r, e, n) in filled.items()}
    if suffix == ".csv" and encoding == "cp1252":
        # A Windows-1252 file can only hold what that code page has.
        cells = {q: (r, e, n if n is None else n.encode("cp1252", "replace").decode("cp1252"))
                 for q, (r, e, n) in cells.items()}
        filled = {q: (r, e, cells[q][2]) for q, (r, e, _) in filled.items()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _new_workshop(folder) as ws:
            path = write_rating_sheet(folder / f"sheet{suffix}", workshop=ws)
            if suffix == ".xlsx":
                book = openpyxl.load_workbook(path)
                sheet = book["Rating sheet"]
                for row in sheet.iter_rows():
                    if row[0].value in cells:
                        for offset, value in enumerate(cells[row[0].value]):
                            row[5 + offset].value = neutralise_cell(value)
                book.save(path)
            else:
                rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
                for row in rows:
                    if row and row[0] in cells:
                        for offset, value in enumerate(cells[row[0]]):
                            row[5 + offset] = "" if value is None else neutralise_cell(str(value))
                out = io.StringIO(newline="")
                csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
                path.write_bytes(out.getvalue().encode(encoding))
            count = import_rating_sheet(ws, path, label="Pat", role="LM", round=round_)
            got = ws.ratings().set_index("question_id")
        assert count == len(filled)
        assert sorted(got.index) == sorted(filled)
        assert set(got["round"]) == {round_}
        for question, (rating, evidence, note) in filled.items():
            row = got.loc[question]
            assert bool(row["dont_know"]) is (rating is None)
            assert (None if pd.isna(row["rating"]) else int(row["rating"])) == rating
            assert (None if pd.isna(row["evidence"]) else int(row["evidence"])) == evidence
            assert (None if pd.isna(row["note"]) else row["note"]) == stored(note)


form_people = st.lists(
    st.tuples(
        tricky(typed).filter(lambda s: one_line(s) and len(clean_label(s)) <= 100),
        st.sampled_from(["DCS", "LM", "Officer", "Mixed", "lead member", "senior officer"]),
        st.dictionaries(st.sampled_from(QUESTIONS), st.one_of(st.none(), st.integers(1, 5)),
                        min_size=1),
    ),
    min_size=1,
    max_size=5,
).filter(lambda ps: unique_labels([p[0] for p in ps]))


_FORM_EXAMPLES = [
    example(people=[(label, role, {q: 1 + (i + j) % 5 for j, q in enumerate(QUESTIONS[:3])})
                    for i, (label, role) in enumerate(zip(labels, ["DCS", "LM", "lead member",
                                                                   "Officer", "Mixed"],
                                                              strict=False))],
            suffix=suffix, columns=QUESTIONS[:3], rnd=random.Random(0))
    for labels in (_distinct(s for s in NASTY_LABELS if s.upper() == s)[:5],
                   _distinct(s for s in NASTY_LABELS if s.upper() != s)[:5])
    for suffix in (".xlsx", ".csv")
]


@_apply(_FORM_EXAMPLES)
@given(people=form_people, suffix=st.sampled_from([".xlsx", ".csv"]),
       columns=st.lists(st.sampled_from(QUESTIONS), min_size=1, unique=True),
       rnd=st.randoms(use_true_random=False))
def test_form_export_imports_exactly(people, suffix, columns, rnd) -> None:
    from assured_kit.framework import load_framework

    fw = load_framework()
    headers = [
        rnd.choice([q, f"[{q}] {fw.question(q)['text']}", str(fw.question(q)["text"]).upper()])
        for q in columns
    ]
    table = [["Id", "Email", "Name", "Role", *headers]]
    for number, (label, role, answers) in enumerate(people, start=1):
        cells = [("" if q not in answers else _rating_cell(rnd, answers[q]))
                 for q in columns]
        table.append([number, f"p{number}@example.org", neutralise_cell(label), role, *cells])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / f"form{suffix}"
        if suffix == ".xlsx":
            book = openpyxl.Workbook()
            for row in table:
                book.active.append(row)
            book.save(path)
        else:
            out = io.StringIO(newline="")
            csv.writer(out, lineterminator="\r\n").writerows(
                [[str(c) for c in row] for row in table]
            )
            path.write_bytes(out.getvalue().encode("utf-8-sig"))
        with _new_workshop(folder) as ws:
            result = import_form_export(ws, path, label_column="Name", role_column="Role")
            got = ws.ratings()
            people_back = ws.respondents()
    answered = [(label, {q: r for q, r in answers.items() if q in columns})
                for label, _, answers in people]
    answered = [(label, a) for label, a in answered if a]
    assert result.respondents_added == len(answered)
    assert result.answers_recorded == sum(len(a) for _, a in answered) == len(got)
    assert result.unmatched_columns == ()
    assert people_back["label"].tolist() == [clean_label(label) for label, _ in answered]
    roles = {"lead member": "LM", "senior officer": "Officer"}
    assert people_back["role"].astype(str).tolist() == [
        roles.get(role, role) for label, role, answers in people
        if any(q in columns for q in answers)
    ]
    back = {(r.respondent_label, r.question_id): (None if r.dont_know else int(r.rating))
            for r in got.itertuples()}
    assert back == {(clean_label(label), q): r for label, a in answered for q, r in a.items()}
