"""Offline rating sheets: the blank sheet, and importing filled ones all or nothing."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit.errors import AssuredKitError
from assured_kit.framework import load_framework
from assured_kit.sheets import (
    SHEET_COLUMNS,
    SHEET_HELP_HEADER,
    SHEET_MARKER,
    import_rating_sheet,
    write_rating_sheet,
)
from assured_kit.store import Workshop

DATA = Path(__file__).parent / "data" / "io"


@pytest.fixture
def ws(tmp_path: Path):
    workshop = Workshop.create(
        tmp_path / "sheets.workshop.sqlite", title="Sheets", themes=["LA", "PM"]
    )
    yield workshop
    workshop.close()


def _snapshot(ws: Workshop) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return ws.ratings(), ws.history(), ws.respondents()


def _assert_unchanged(ws: Workshop, before: tuple[pd.DataFrame, ...]) -> None:
    for old, new in zip(before, _snapshot(ws), strict=True):
        pd.testing.assert_frame_equal(old, new)


# --------------------------------------------------------------------------- helpers


def _header_row(sheet) -> int:
    for row in sheet.iter_rows():
        if [c.value for c in row[:2]] == ["question_id", "theme"]:
            return row[0].row
    raise AssertionError("no header row")


def fill_xlsx(path: Path, answers: dict[str, tuple], **details: str) -> Path:
    """Fill a blank XLSX sheet as a person would: answers are question_id -> (rating, evidence,
    note); details fill the cells at the top (Respondent, Role, Authority)."""
    book = openpyxl.load_workbook(path)
    sheet = book["Rating sheet"]
    for row in sheet.iter_rows(max_row=_header_row(sheet) - 1):
        if row[0].value in details:
            row[1].value = details[row[0].value]
    first = _header_row(sheet) + 1
    for row in sheet.iter_rows(min_row=first):
        answer = answers.get(row[0].value)
        if answer:
            for offset, value in enumerate(answer):
                row[5 + offset].value = value
    book.save(path)
    return path


def fill_csv_rows(path: Path, answers: dict[str, tuple], **details: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    for row in rows:
        if row and row[0] in details:
            row[1] = details[row[0]]
        if row and row[0] in answers:
            for offset, value in enumerate(answers[row[0]]):
                row[5 + offset] = "" if value is None else str(value)
    return rows


def write_csv(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str = ",",
              bom: bool = False) -> Path:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


# --------------------------------------------------------------------------- blank sheets


def test_blank_xlsx_sheet_has_one_row_per_question_and_drop_downs(
    ws: Workshop, tmp_path: Path
) -> None:
    path = write_rating_sheet(tmp_path / "blank.xlsx", workshop=ws, respondent_label="Pat")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Rating sheet", "How to fill in", "Glossary", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    sheet = book["Rating sheet"]
    header = _header_row(sheet)
    assert [c.value for c in sheet[header]] == [*SHEET_COLUMNS, SHEET_HELP_HEADER]
    ids = [r[0].value for r in sheet.iter_rows(min_row=header + 1) if r[0].value]
    assert ids == ws.questions()["question_id"].tolist()
    texts = [r[4].value for r in sheet.iter_rows(min_row=header + 1) if r[0].value]
    assert texts == ws.questions()["text"].tolist()
    assert all(r[4].alignment.wrap_text for r in sheet.iter_rows(min_row=header + 1))
    assert sheet.freeze_panes == f"A{header + 1}"
    details = {r[0].value: r[1].value for r in sheet.iter_rows(max_row=header - 1)}
    assert details["Respondent"] == "Pat" and details["Workshop"] == "Sheets"
    assert details["Scale"] == "confidence"

    rules = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    last = header + len(ids)
    rating = rules[f"F{header + 1}:F{last}"]
    evidence = rules[f"G{header + 1}:G{last}"]
    for rule in (rating, evidence):
        assert rule.type == "list"

    def choices(rule) -> list[str]:
        letter, count = re.fullmatch(r"Lists!\$([A-Z])\$1:\$\1\$(\d+)", rule.formula1).groups()
        return [book["Lists"][f"{letter}{i}"].value for i in range(1, int(count) + 1)]

    assert choices(rating) == [
        "1 - Not confident", "2 - Slightly confident", "3 - Partly confident",
        "4 - Mostly confident", "5 - Fully confident", "Don't know",
    ]
    assert choices(evidence) == [
        "0 - No evidence", "1 - Informal", "2 - Data or audit", "3 - Triangulated",
    ]
    assert choices(rules["B4"]) == ["DCS", "LM", "Officer", "Mixed"]
    assert choices(rules["B5"])[0] == "Derby"
    help_text = " ".join(
        str(c.value) for row in book["How to fill in"].iter_rows() for c in row if c.value
    )
    assert "Don't know" in help_text and "Triangulated" in help_text


def test_blank_csv_sheet_has_the_same_columns_with_bom(tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "blank.csv", themes=["WF"], roles=["LM"])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = rows.index([*SHEET_COLUMNS, SHEET_HELP_HEADER])
    body = [r for r in rows[header + 1 :] if any(r)]
    expected = load_framework().questions_for("WF", "LM")["question_id"].tolist()
    assert [r[0] for r in body] == expected and len(expected) >= 3
    assert {r[1] for r in body} == {"Workforce"} and {r[2] for r in body} == {"LM"}
    assert all(r[5] == r[6] == r[7] == "" for r in body)


def test_blank_sheet_for_another_scale_offers_its_levels(tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "rag.xlsx", scale="rag", themes=["PM"])
    lists = openpyxl.load_workbook(path)["Lists"]
    assert [lists[f"A{i}"].value for i in range(1, 5)] == [
        "1 - Red", "2 - Amber", "3 - Green", "Don't know",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"themes": ["XX"]}, "no theme 'XX'"),
        ({"roles": ["Officer"]}, "no question role 'Officer'"),
        ({"scale": "stars"}, "no scale called 'stars'"),
    ],
)
def test_blank_sheet_refuses_unknown_choices(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(AssuredKitError, match=message):
        write_rating_sheet(tmp_path / "x.xlsx", **kwargs)
    assert not (tmp_path / "x.xlsx").exists()


def test_blank_sheet_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(AssuredKitError, match=r"\.xls file.*Allowed: \.xlsx"):
        write_rating_sheet(tmp_path / "x.xls")


# --------------------------------------------------------------------------- imports


def test_filled_xlsx_imports_every_answer(ws: Workshop, tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "pat.xlsx", workshop=ws)
    fill_xlsx(
        path,
        {
            "LA-DCS-1": ("4 - Mostly confident", "2 - Data or audit", "=HYPERLINK(\"x\")"),
            "LA-DCS-2": (3, None, None),
            "LA-DCS-3": ("Don't know", None, "unsure"),
            "PM-LM-1": ("fully confident", 0, None),
            "PM-LM-2": (2.0, "Triangulated", None),
        },
        Respondent="Pat",
        Role="LM",
        Authority="derby",
    )
    assert ws.import_rating_sheet(path) == 5
    people = ws.respondents()
    assert people[["label", "role", "authority"]].values.tolist() == [["Pat", "LM", "Derby"]]
    got = ws.ratings().set_index("question_id")
    assert got.loc["LA-DCS-1", "rating"] == 4 and got.loc["LA-DCS-1", "evidence"] == 2
    assert got.loc["LA-DCS-1", "note"] == '=HYPERLINK("x")'
    assert got.loc["LA-DCS-2", "rating"] == 3 and pd.isna(got.loc["LA-DCS-2", "evidence"])
    assert bool(got.loc["LA-DCS-3", "dont_know"]) and pd.isna(got.loc["LA-DCS-3", "rating"])
    assert got.loc["PM-LM-1", "rating"] == 5 and got.loc["PM-LM-1", "evidence"] == 0
    assert got.loc["PM-LM-2", "rating"] == 2 and got.loc["PM-LM-2", "evidence"] == 3
    assert set(got["author"]) == {"sheet import"}
    assert set(got["round"]) == {1}


def test_cp1252_semicolon_csv_as_excel_writes_it(ws: Workshop, tmp_path: Path) -> None:
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(
        blank,
        {"LA-DCS-1": ("4", "1 - Informal", "café – naïve"), "PM-DCS-1": ("4,0", "", "")},
        Respondent="Zoë",
        Role="DCS",
    )
    rows += [[""] * 8, [""] * 4, [""] * 8]  # Excel leaves blank rows behind
    path = write_csv(tmp_path / "zoe.csv", rows, encoding="cp1252", delimiter=";")
    assert "é".encode("cp1252") in path.read_bytes()
    assert ws.import_rating_sheet(path) == 2
    got = ws.ratings().set_index("question_id")
    assert got.loc["LA-DCS-1", "note"] == "café – naïve"
    assert got.loc["LA-DCS-1", "evidence"] == 1
    assert got.loc["PM-DCS-1", "rating"] == 4
    assert ws.respondents()["label"].tolist() == ["Zoë"]


def test_utf8_bom_csv_with_extra_columns_and_labels(ws: Workshop, tmp_path: Path) -> None:
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(
        blank, {"LA-LM-1": ("Mostly confident", "", ""), "LA-LM-2": ("4.0", "", "")}
    )
    rows = [[*r, "my own column"] for r in rows]
    path = write_csv(tmp_path / "filled.csv", rows, encoding="utf-8", bom=True)
    count = import_rating_sheet(ws, path, label="Table 7", role="Mixed", round=2)
    assert count == 2
    got = ws.ratings()
    assert got["rating"].tolist() == [4, 4] and set(got["round"]) == {2}
    assert ws.respondents()["role"].tolist() == ["Mixed"]


def test_tab_separated_utf16_from_excel_unicode_text(ws: Workshop, tmp_path: Path) -> None:
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(blank, {"PM-LM-3": ("1 - Not confident", "", "")})
    path = write_csv(tmp_path / "unicode.txt", rows, encoding="utf-16", delimiter="\t")
    assert ws.import_rating_sheet(path, label="Uma", role="LM") == 1
    assert ws.ratings()["rating"].tolist() == [1]


def test_fixture_files_from_spreadsheet_programs(ws: Workshop) -> None:
    # Saved bytes as Excel writes them: "CSV (semicolon, Windows-1252)" and "CSV UTF-8".
    assert ws.import_rating_sheet(DATA / "sheet_cp1252_semicolon.csv") == 3
    assert ws.import_rating_sheet(DATA / "sheet_utf8_bom.csv") == 2
    people = ws.respondents().set_index("label")
    assert people.loc["Renée", "role"] == "DCS" and people.loc["Renée", "authority"] == "Derby"
    assert people.loc["Table 2", "role"] == "Mixed"
    got = ws.ratings()
    assert got["note"].dropna().tolist() == ["Data from the LSCB – checked", "Only anecdotes"]


def test_existing_respondent_is_reused_by_label_or_id(ws: Workshop, tmp_path: Path) -> None:
    rid = ws.add_respondent("Ann", role="DCS")
    path = write_rating_sheet(tmp_path / "ann.xlsx", workshop=ws)
    fill_xlsx(path, {"LA-DCS-1": (2, None, None)}, Respondent="ann")
    assert ws.import_rating_sheet(path) == 1
    fill_xlsx(path, {"LA-DCS-1": (5, None, None)})
    assert ws.import_rating_sheet(path, respondent_id=rid, round=2) == 1
    assert len(ws.respondents()) == 1
    got = ws.ratings()
    assert got[["respondent_id", "round", "rating"]].values.tolist() == [[rid, 1, 2], [rid, 2, 5]]


# --------------------------------------------------------------------------- refusals


def test_every_problem_is_reported_at_once_and_nothing_is_written(
    ws: Workshop, tmp_path: Path
) -> None:
    ws.add_respondent("Earlier", role="DCS")
    rid = ws.add_respondent("Someone", role="LM")
    ws.record(rid, "PM-LM-1", 3)
    before = _snapshot(ws)
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(
        blank,
        {
            "LA-DCS-1": ("7", "", ""),
            "LA-DCS-2": ("4", "9", ""),
            "LA-DCS-3": ("", "2", "a note but no rating"),
            "PM-DCS-1": ("4 - Fully confident", "", ""),
            "PM-DCS-2": ("5", "", "x" * 2001),
        },
        Respondent="Pat",
        Role="DCS",
    )
    header = rows.index([*SHEET_COLUMNS, SHEET_HELP_HEADER])
    rows.append(["XX-DCS-1", "", "", "", "", "3", "", ""])
    rows.append(["LA-DCS-4", "", "", "", "", "2", "", ""])
    rows.append(["LA-DCS-4", "", "", "", "", "3", "", ""])
    rows.append(["", "", "", "", "", "5", "", ""])
    path = write_csv(tmp_path / "rating_sheet.csv", rows, encoding="utf-8")
    row_of = {r[0]: i + 1 for i, r in enumerate(rows) if i > header and r[0]}
    with pytest.raises(AssuredKitError) as info:
        ws.import_rating_sheet(path)
    message = str(info.value)
    assert message.startswith("rating_sheet.csv: 8 problems: ")
    expected = [
        (row_of["LA-DCS-1"], "rating", "'7' is outside the Confidence scale"),
        (row_of["LA-DCS-2"], "evidence", "'9' is outside"),
        (row_of["LA-DCS-3"], "rating", "the rating is blank but the row has evidence and note"),
        (row_of["PM-DCS-1"], "rating", "the number says 'Mostly confident'"),
        (row_of["PM-DCS-2"], "note", "2001 characters"),
        (len(rows) - 3, "question_id", "no question 'XX-DCS-1'"),
        (len(rows) - 1, "question_id", f"appears again (first at row {len(rows) - 2})"),
        (len(rows), "question_id", "the question_id is blank but the row holds an answer"),
    ]
    for row, column, words in expected:
        assert re.search(
            rf"row {row}, column '{column}': [^;]*{re.escape(words)}", message
        ), (row, column, words, message)
    assert "Allowed: in column 'rating': 1 (Not confident)" in message
    _assert_unchanged(ws, before)


def test_a_failure_while_writing_rolls_everything_back(
    ws: Workshop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(ws)
    path = write_rating_sheet(tmp_path / "pat.xlsx", workshop=ws)
    fill_xlsx(path, {"LA-DCS-1": (1, None, None), "LA-DCS-2": (2, None, None),
                     "LA-DCS-3": (3, None, None)}, Respondent="Pat", Role="DCS")
    real_record = Workshop.record
    calls = []

    def record_then_fail(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise AssuredKitError("the disk went away", field="note")
        return real_record(self, *args, **kwargs)

    monkeypatch.setattr(Workshop, "record", record_then_fail)
    with pytest.raises(AssuredKitError,
                       match=r"pat\.xlsx, sheet 'Rating sheet': nothing was imported: .*disk went"):
        ws.import_rating_sheet(path)
    assert len(calls) == 3
    _assert_unchanged(ws, before)


@pytest.mark.parametrize(
    ("details", "kwargs", "message"),
    [
        ({"Role": "DCS"}, {}, r"row 3, column 'Respondent': no respondent label"),
        ({"Respondent": "Pat"}, {}, r"row 4, column 'Role': no role for the new respondent 'Pat'"),
        ({"Respondent": "Pat", "Role": "Chair"}, {},
         r"row 4, column 'Role': 'Chair' is not a role"),
        ({"Respondent": "Pat", "Role": "DCS", "Authority": "Atlantis"}, {},
         r"row 5, column 'Authority': 'Atlantis' is not one of this workshop's authorities"),
        ({}, {"label": "Known", "role": "LM"},
         r"column 'Role': respondent 'Known' is already in the workshop as DCS, not LM"),
    ],
)
def test_respondent_problems_are_reported(
    ws: Workshop, tmp_path: Path, details: dict, kwargs: dict, message: str
) -> None:
    ws.add_respondent("Known", role="DCS")
    before = _snapshot(ws)
    path = write_rating_sheet(tmp_path / "sheet.xlsx", workshop=ws)
    fill_xlsx(path, {"LA-DCS-1": (4, None, None)}, **details)
    with pytest.raises(AssuredKitError,
                       match=r"sheet\.xlsx, sheet 'Rating sheet': 1 problem: " + message):
        ws.import_rating_sheet(path, **kwargs)
    _assert_unchanged(ws, before)


def test_sheet_for_another_scale_or_scope_is_refused(ws: Workshop, tmp_path: Path) -> None:
    before = _snapshot(ws)
    rag = write_rating_sheet(tmp_path / "rag.xlsx", scale="rag")
    fill_xlsx(rag, {"LA-DCS-1": ("3 - Green", None, None), "WF-DCS-1": ("1 - Red", None, None)},
              Respondent="Pat", Role="DCS")
    with pytest.raises(AssuredKitError) as info:
        ws.import_rating_sheet(rag)
    message = str(info.value)
    assert "rag.xlsx, sheet 'Rating sheet': 3 problems:" in message
    assert "row 6, column 'Scale': the sheet is for the 'rag' scale" in message
    assert "'3 - Green' is not an answer on the Confidence scale" in message
    assert "question WF-DCS-1 is not among this workshop's questions" in message
    _assert_unchanged(ws, before)


def test_empty_sheet_and_wrong_files_are_refused(ws: Workshop, tmp_path: Path) -> None:
    before = _snapshot(ws)
    blank = write_rating_sheet(tmp_path / "blank.xlsx", workshop=ws, respondent_label="Pat")
    with pytest.raises(AssuredKitError, match=r"no answers found: every rating is blank"):
        ws.import_rating_sheet(blank, role="DCS")
    other = tmp_path / "other.csv"
    other.write_text("name,score\nPat,4\n", encoding="utf-8")
    with pytest.raises(AssuredKitError, match=r"other\.csv: no header row found: .*rating sheet"):
        ws.import_rating_sheet(other)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(AssuredKitError, match=r"old\.xls: cannot read a \.xls file"):
        ws.import_rating_sheet(old)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("question_id,rating\n", encoding="utf-8")
    with pytest.raises(AssuredKitError, match=r"fake\.xlsx: the file is not an XLSX workbook"):
        ws.import_rating_sheet(fake)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 50)
    with pytest.raises(AssuredKitError, match=r"broken\.xlsx: the workbook cannot be read"):
        ws.import_rating_sheet(broken)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 10)
    with pytest.raises(AssuredKitError, match=r"neither UTF-8 nor Windows-1252"):
        ws.import_rating_sheet(binary)
    with pytest.raises(AssuredKitError, match="the file does not exist"):
        ws.import_rating_sheet(tmp_path / "missing.csv")
    with pytest.raises(AssuredKitError, match=r"round 3 is not a round"):
        ws.import_rating_sheet(blank, round=3)
    _assert_unchanged(ws, before)


# --------------------------------------------------------------------------- which sheet, which row


def test_blank_xlsx_sheet_carries_its_marker(ws: Workshop, tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "blank.xlsx", workshop=ws)
    book = openpyxl.load_workbook(path)
    header = _header_row(book["Rating sheet"])
    assert list(book.defined_names[SHEET_MARKER].destinations) == [
        ("Rating sheet", f"$A${header}:$H${header}")
    ]


def test_a_scratch_sheet_in_front_is_passed_over(ws: Workshop, tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "scratch.xlsx", workshop=ws)
    fill_xlsx(path, {"LA-DCS-1": (4, None, None)}, Respondent="Pat", Role="DCS")
    book = openpyxl.load_workbook(path)
    scratch = book.create_sheet("My notes", 0)
    scratch["A1"], scratch["B3"] = "rough working", "question_id and rating to do"
    # A pasted, unfilled copy of the table in front is passed over too.
    pasted = book.create_sheet("Pasted", 0)
    pasted.append(list(SHEET_COLUMNS))
    pasted.append(["LA-DCS-2", "", "DCS", 2, "", None, None, None])
    book.save(path)
    assert ws.import_rating_sheet(path) == 1
    assert ws.ratings()["question_id"].tolist() == ["LA-DCS-1"]


def test_answers_in_a_copy_alone_are_read_and_named(ws: Workshop, tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "copy.xlsx", workshop=ws)
    book = openpyxl.load_workbook(path)
    copy = book.copy_worksheet(book["Rating sheet"])
    copy.title = "Rating sheet (2)"
    book.save(path)
    book = openpyxl.load_workbook(path)
    copy = book["Rating sheet (2)"]
    for row in copy.iter_rows(min_row=_header_row(copy) + 1):
        if row[0].value == "LA-DCS-1":
            row[5].value = 9
    book.save(path)
    with pytest.raises(AssuredKitError, match=r"copy\.xlsx, sheet 'Rating sheet \(2\)': 2 problems"
                       r": .*row \d+, column 'rating': '?9'? is outside"):
        ws.import_rating_sheet(path)
    assert ws.ratings().empty


def test_swapped_question_ids_in_csv_are_refused_by_row(ws: Workshop, tmp_path: Path) -> None:
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(blank, {"LA-DCS-1": ("4", "", ""), "LA-DCS-2": ("2", "", ""),
                                 "LA-DCS-3": ("3", "", "")}, Respondent="Pat", Role="DCS")
    at = {row[0]: i for i, row in enumerate(rows) if row}
    rows[at["LA-DCS-1"]][0], rows[at["LA-DCS-2"]][0] = "LA-DCS-2", "LA-DCS-1"
    rows[at["LA-DCS-3"]][0] = "la-dcs-3 "  # the id as typed by hand, its text unchanged
    path = write_csv(tmp_path / "swapped.csv", rows, encoding="utf-8")
    before = _snapshot(ws)
    with pytest.raises(AssuredKitError) as refused:
        ws.import_rating_sheet(path)
    message = str(refused.value)
    first, second = at["LA-DCS-1"] + 1, at["LA-DCS-2"] + 1
    assert message.startswith(
        f"swapped.csv: 2 problems: row {first}, column 'question_id': the question_id says "
        f"LA-DCS-2 but the question in this row is another one"
    )
    assert f"row {second}, column 'question_id': the question_id says LA-DCS-1" in message
    _assert_unchanged(ws, before)


def test_rows_far_below_a_csv_sheet_are_refused(ws: Workshop, tmp_path: Path) -> None:
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(blank, {"LA-DCS-1": ("4", "", "")}, Respondent="Pat", Role="DCS")
    rows += [[""] * 8] * (5_000 - len(rows)) + [["", "", "", "", "", "", "", "stray"]]
    path = write_csv(tmp_path / "far.csv", rows, encoding="utf-8")
    with pytest.raises(AssuredKitError, match=r"far\.csv: cell H5001 \(row 5,001, column H\) "
                       r"holds 'stray'.* at most 5,000 rows and 100 columns"):
        ws.import_rating_sheet(path)
    assert ws.ratings().empty


# --------------------------------------------------------------------------- help beside questions


def test_blank_sheets_explain_terms_and_mark_editorial_notes(tmp_path: Path) -> None:
    path = write_rating_sheet(tmp_path / "blank.xlsx", themes=["LA", "WF"])
    book = openpyxl.load_workbook(path)
    sheet = book["Rating sheet"]
    header = _header_row(sheet)
    helps = {r[0].value: r[8].value for r in sheet.iter_rows(min_row=header + 1) if r[0].value}
    assert helps["LA-DCS-1"].startswith("Terms: LSCB (Local Safeguarding Children Board); ")
    assert "Editorial note (not part of the 2010 text): As in the source" in helps["LA-DCS-1"]
    assert "I/we am" in helps["WF-LM-3"]
    assert helps["LA-DCS-3"] is None  # nothing to explain
    assert (
        sheet.cell(row=header + 1, column=9).fill.fgColor.rgb
        != sheet[f"F{header + 1}"].fill.fgColor.rgb
    )  # help is fixed text, not an input cell

    glossary = book["Glossary"]
    rows = [[c.value for c in r] for r in glossary.iter_rows(min_row=3) if r[0].value]
    assert rows[0] == ["Term", "Stands for", "In 2010", "Today", "Source", "Checked on"]
    terms = [r[0] for r in rows[1:]]
    assert "LSCB" in terms and "GSCC" not in terms  # only terms on this sheet (GSCC is in CR)
    assert all(r[4] and r[5] for r in rows[1:])

    csv_path = write_rating_sheet(tmp_path / "blank.csv", themes=["PR"], roles=["DCS"])
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "Terms: CAF (Common Assessment Framework)." in text
    assert "Glossary sheet" in text  # the instructions point to the XLSX glossary


def test_no_glossary_sheet_when_no_question_has_a_term(tmp_path: Path) -> None:
    plain = write_rating_sheet(tmp_path / "plain.xlsx", themes=["WF"])  # no 2010 terms in WF
    assert "Glossary" not in openpyxl.load_workbook(plain).sheetnames
    termed = write_rating_sheet(tmp_path / "termed.xlsx", themes=["PM"], roles=["LM"])
    glossary = openpyxl.load_workbook(termed)["Glossary"]
    terms = [r[0].value for r in glossary.iter_rows(min_row=4) if r[0].value]
    assert terms == ["LSCB", "Children's Trust", "LAA", "Inspection outcome"]


def test_empty_formatted_rows_under_a_csv_sheet_are_harmless(ws: Workshop, tmp_path: Path) -> None:
    """Spreadsheet programs write ``,,,,,,,`` for each formatted row: not values, not refused."""
    blank = write_rating_sheet(tmp_path / "blank.csv", workshop=ws)
    rows = fill_csv_rows(blank, {"LA-DCS-1": ("4", "", "")}, Respondent="Pat", Role="DCS")
    rows += [[""] * 8] * 20_000  # 160,000 empty cells, beyond a workbook's cell budget
    path = write_csv(tmp_path / "formatted.csv", rows, encoding="utf-8")
    assert ws.import_rating_sheet(path) == 1
