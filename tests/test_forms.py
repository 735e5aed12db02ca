"""Online-form exports (one row per person): matching columns, all-or-nothing imports."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit.errors import AssuredKitError
from assured_kit.forms import import_form_export
from assured_kit.framework import load_framework
from assured_kit.store import Workshop

DATA = Path(__file__).parent / "data" / "io"
FW = load_framework()


def text(question_id: str) -> str:
    return str(FW.question(question_id)["text"])


@pytest.fixture
def ws(tmp_path: Path):
    workshop = Workshop.create(
        tmp_path / "forms.workshop.sqlite", title="Forms", themes=["LA", "PM"],
        anonymity="named",
    )
    yield workshop
    workshop.close()


def _snapshot(ws: Workshop) -> tuple[pd.DataFrame, ...]:
    return ws.ratings(), ws.history(), ws.respondents()


def _assert_unchanged(ws: Workshop, before: tuple[pd.DataFrame, ...]) -> None:
    for old, new in zip(before, _snapshot(ws), strict=True):
        pd.testing.assert_frame_equal(old, new)


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Form1"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], *, encoding: str = "utf-8",
              delimiter: str = ",", bom: bool = False) -> Path:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding))
    return path


MS_FORMS_HEADER = [
    "Id", "Start time", "Completion time", "Email", "Name", "Your role", "Your authority",
    f"[LA-DCS-1] {text('LA-DCS-1')}",
    "LA-DCS-1 evidence",
    "LA-DCS-1 – comments",
    "  " + text("LA-DCS-4").upper().replace(" ", "   ") + " ",
    text("PM-LM-1").replace("'", "’"),
    "What is your favourite colour?",
    "Department",
    "[XX-DCS-9] A question from another framework",
    "WF-DCS-1",
]


def test_ms_forms_xlsx_matches_by_id_and_by_text(ws: Workshop, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "Safeguarding(1-3).xlsx", [
        MS_FORMS_HEADER,
        [1, "3/14/26 10:01:02", "3/14/26 10:05:00", "ann@example.org", "Ann Example", "DCS",
         "Derby", "4 - Mostly confident", "2 - Data or audit", "=cmd()", 3, "Don't know",
         "blue", "Finance", "5", "2"],
        [2, "3/14/26 10:02:00", "3/14/26 10:06:00", "anonymous", None, "Lead Member",
         "nottingham", 2, None, None, "Fully confident", 1, None, None, None, None],
        [None] * len(MS_FORMS_HEADER),
        [3, "3/14/26 10:03:00", "3/14/26 10:07:00", "cy@example.org", "Cy", "Senior officer",
         None, "Don't know", None, "no idea yet", None, None, None, None, None, None],
    ])
    result = ws.import_form_export(
        path, label_column="Name", role_column="Your role", authority_column="Your authority"
    )
    assert result.answers_recorded == 7
    assert result.respondents_added == 3
    assert result.unmatched_columns == (
        "What is your favourite colour?",
        "[XX-DCS-9] A question from another framework",
        "WF-DCS-1",
    )
    assert result.matched_columns == {
        MS_FORMS_HEADER[7]: "LA-DCS-1",
        "LA-DCS-1 evidence": "LA-DCS-1 evidence",
        "LA-DCS-1 – comments": "LA-DCS-1 note",
        MS_FORMS_HEADER[10].strip(): "LA-DCS-4",
        MS_FORMS_HEADER[11]: "PM-LM-1",
    }
    assert set(result.ignored_columns) >= {"Id", "Email", "Department", "Start time"}
    in_scope = ws.questions()["question_id"].tolist()
    assert list(result.unmatched_questions) == [
        q for q in in_scope if q not in {"LA-DCS-1", "LA-DCS-4", "PM-LM-1"}
    ]
    people = ws.respondents()
    assert people[["label", "role", "authority"]].astype(object).where(
        people[["label", "role", "authority"]].notna(), None
    ).values.tolist() == [
        ["Ann Example", "DCS", "Derby"],
        ["Form response 1", "LM", "Nottingham"],
        ["Cy", "Officer", None],
    ]
    got = ws.ratings()
    by = {(r.respondent_label, r.question_id): r for r in got.itertuples()}
    ann = by[("Ann Example", "LA-DCS-1")]
    assert (ann.rating, ann.evidence, ann.note) == (4, 2, "=cmd()")
    assert by[("Ann Example", "LA-DCS-4")].rating == 3
    assert by[("Ann Example", "PM-LM-1")].dont_know
    assert by[("Form response 1", "LA-DCS-4")].rating == 5
    cy = by[("Cy", "LA-DCS-1")]
    assert cy.dont_know and cy.note == "no idea yet"
    assert set(got["author"]) == {"form import"}
    assert "ann@example.org" not in ws.history()["detail"].astype(str).str.cat()


def test_google_forms_csv_with_bom_and_anonymous_labels(ws: Workshop, tmp_path: Path) -> None:
    header = ["Timestamp", "Email address", "PM-DCS-1", "PM-DCS-2", "PM-DCS-2 (evidence)"]
    rows = [header, ["2026/03/14 10:00:00", "a@x", "4", "2", "1"],
            ["2026/03/14 10:01:00", "b@x", "", "", ""],
            ["2026/03/14 10:02:00", "c@x", "Partly confident", "", ""]]
    path = write_csv(tmp_path / "google.csv", rows, bom=True)
    first = ws.import_form_export(path)  # every question is a DCS one: the role follows
    assert (first.answers_recorded, first.respondents_added) == (3, 2)
    assert first.skipped_rows == (3,)
    second = ws.import_form_export(path, round=2, default_role="Officer")
    assert second.respondents_added == 2
    people = ws.respondents()
    assert people["label"].tolist() == [
        "Form response 1", "Form response 2", "Form response 3", "Form response 4",
    ]
    assert people["role"].tolist() == ["DCS", "DCS", "Officer", "Officer"]
    got = ws.ratings()
    assert sorted(got["round"].tolist()) == [1, 1, 1, 2, 2, 2]
    row = got[(got["respondent_label"] == "Form response 1") & (got["question_id"] == "PM-DCS-2")]
    assert row[["rating", "evidence"]].values.tolist() == [[2, 1]]


def test_cp1252_semicolon_export_with_commas_in_question_text(
    ws: Workshop, tmp_path: Path
) -> None:
    assert "," in text("LA-DCS-2")
    header = ["ID", "Name", text("LA-DCS-2"), text("PM-LM-1").replace("'", "’"), "Role"]
    rows = [header, ["1", "Zoë", "3", "2", "DCS"], ["2", "José", "Don’t know", "4", "LM"]]
    path = write_csv(tmp_path / "forms.csv", rows, encoding="cp1252", delimiter=";")
    assert b"\x92" in path.read_bytes()  # the curly apostrophe, as Windows-1252 has it
    result = import_form_export(ws, path, label_column="name", role_column="Role")
    assert result.answers_recorded == 4
    assert result.unmatched_columns == ()
    got = ws.ratings().set_index(["respondent_label", "question_id"])
    assert got.loc[("Zoë", "LA-DCS-2"), "rating"] == 3
    assert bool(got.loc[("José", "LA-DCS-2"), "dont_know"])


def test_fixture_export_from_a_form_tool(ws: Workshop) -> None:
    result = ws.import_form_export(DATA / "form_export.csv", role_column="Role")
    assert result.respondents_added == 2 and result.answers_recorded == 4
    assert result.unmatched_columns == ("How was the venue?",)
    assert result.ignored_columns == ("Timestamp",)
    got = ws.ratings().set_index(["respondent_label", "question_id"])
    assert got.loc[("Form response 1", "LA-DCS-2"), "evidence"] == 3
    assert got.loc[("Form response 2", "PM-LM-5"), "note"] == "Need the audit first"
    assert ws.respondents()["role"].tolist() == ["DCS", "LM"]


# --------------------------------------------------------------------------- refusals


def test_every_cell_problem_is_reported_at_once(ws: Workshop, tmp_path: Path) -> None:
    ws.add_respondent("Ann", role="DCS")
    before = _snapshot(ws)
    header = ["Name", "Role", "Authority", "LA-DCS-1", "LA-DCS-1 evidence", "PM-LM-2"]
    rows = [
        header,
        ["Bea", "DCS", "Derby", "11", "", "3"],
        ["Cy", "Chair", "Derby", "3", "", ""],
        ["Di", "LM", "Atlantis", "2", "", ""],
        ["ann", "DCS", "", "2", "", ""],
        ["Ed", "LM", "", "", "2", "4"],
        ["Bea", "LM", "", "1", "", ""],
        ["Fay", "DCS", "", "4", "four", ""],
    ]
    path = write_xlsx(tmp_path / "form.xlsx", rows)
    with pytest.raises(AssuredKitError) as info:
        ws.import_form_export(path, label_column="Name", role_column="Role",
                              authority_column="Authority")
    message = str(info.value)
    assert message.startswith("form.xlsx, sheet 'Form1': 7 problems: ")
    expected = [
        (2, "LA-DCS-1", "'11' is outside the Confidence scale"),
        (3, "Role", "'Chair' is not a role"),
        (4, "Authority", "'Atlantis' is not one of this workshop's authorities"),
        (5, "Name", "respondent 'ann' is already in the workshop"),
        (6, "LA-DCS-1", "LA-DCS-1 has evidence but no rating"),
        (7, "Name", "label 'Bea' appears again (first at row 2)"),
        (8, "LA-DCS-1 evidence", "'four' is not an answer on the Evidence"),
    ]
    for row, column, words in expected:
        assert re.search(rf"row {row}, column '{re.escape(column)}': [^;]*{re.escape(words)}",
                         message), (row, column, words, message)
    _assert_unchanged(ws, before)


def test_both_roles_and_no_role_column_needs_a_role(ws: Workshop, tmp_path: Path) -> None:
    before = _snapshot(ws)
    path = write_csv(tmp_path / "f.csv", [["LA-DCS-1", "LA-LM-1"], ["3", "4"], ["2", ""]])
    with pytest.raises(AssuredKitError, match=r"f\.csv: 2 problems: row 2: no role for this "
                                              r"response.*; row 3: no role"):
        ws.import_form_export(path)
    _assert_unchanged(ws, before)
    assert ws.import_form_export(path, default_role="Mixed").respondents_added == 2


def test_a_question_asked_twice_is_a_problem(ws: Workshop, tmp_path: Path) -> None:
    before = _snapshot(ws)
    path = write_csv(tmp_path / "twice.csv", [["LA-DCS-1", f"[LA-DCS-1] {text('LA-DCS-1')}"],
                                             ["3", "4"]])
    twice = r"row 1, column [\"']\[LA-DCS-1\] .*both hold LA-DCS-1"
    with pytest.raises(AssuredKitError, match=twice):
        ws.import_form_export(path)
    _assert_unchanged(ws, before)


def test_refusals_before_reading_answers(ws: Workshop, tmp_path: Path) -> None:
    before = _snapshot(ws)
    path = write_csv(tmp_path / "f.csv", [["Name", "Colour?"], ["Ann", "blue"]])
    with pytest.raises(AssuredKitError, match=r"f\.csv, row 1: no column matches a question"):
        ws.import_form_export(path)
    good = write_csv(tmp_path / "g.csv", [["Name", "LA-DCS-1"], ["Ann", "4"]])
    with pytest.raises(AssuredKitError, match=r"g\.csv, row 1, field 'label_column': no column "
                                              r"'Full name' for the label.*'Name', 'LA-DCS-1'"):
        ws.import_form_export(good, label_column="Full name")
    with pytest.raises(AssuredKitError, match=r"'Boss' is not a role"):
        ws.import_form_export(good, default_role="Boss")
    with pytest.raises(AssuredKitError, match=r"round 0 is not a round"):
        ws.import_form_export(good, round=0)
    _assert_unchanged(ws, before)


def test_anonymous_workshop_refuses_labels(tmp_path: Path) -> None:
    with Workshop.create(tmp_path / "a.workshop.sqlite", title="A", anonymity="anonymous") as ws:
        path = write_csv(tmp_path / "f.csv", [["Name", "LA-DCS-1"], ["Ann", "4"]])
        before = _snapshot(ws)
        with pytest.raises(AssuredKitError, match=r"this workshop is anonymous"):
            ws.import_form_export(path, label_column="Name")
        _assert_unchanged(ws, before)
        result = ws.import_form_export(path)
        assert ws.respondents()["label"].tolist() == ["Form response 1"]
        assert result.ignored_columns == ("Name",)


def test_a_failure_while_writing_rolls_everything_back(
    ws: Workshop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(ws)
    path = write_csv(tmp_path / "f.csv", [["LA-DCS-1"], ["3"], ["4"], ["5"]])
    real = Workshop.add_respondent
    calls = []

    def add_then_fail(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise AssuredKitError("the laptop lid closed", field="label")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Workshop, "add_respondent", add_then_fail)
    with pytest.raises(AssuredKitError, match=r"f\.csv: nothing was imported: .*lid closed"):
        ws.import_form_export(path)
    _assert_unchanged(ws, before)


def test_quotes_and_line_breaks_in_cells_do_not_fool_the_separator(
    ws: Workshop, tmp_path: Path
) -> None:
    # Found by the round-trip property: a label holding a quote and a line break made the
    # one-column reading of a comma file look more regular than the right one.
    rows = [["Id", "Email", "Name", "Role", "PM-DCS-2"], ["1", "p1@example.org", '"\n', "DCS", "3"]]
    path = write_csv(tmp_path / "form.csv", rows, bom=True)
    result = ws.import_form_export(path, label_column="Name", role_column="Role")
    assert result.answers_recorded == 1
    assert ws.respondents()["label"].tolist() == ['"']
