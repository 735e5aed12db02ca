"""Exports: tidy CSV and the full XLSX workbook, neutralised, atomic, readable by the kit."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit.errors import AssuredKitError
from assured_kit.exports import atomic_write, export_workshop, write_tidy_csv, write_workbook
from assured_kit.ratings import TIDY_COLUMNS, read_ratings
from assured_kit.safety import FORMULA_TRIGGERS
from assured_kit.store import Workshop

HYPERLINK = '=HYPERLINK("http://evil.example","click me")'
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def ws(tmp_path: Path):
    workshop = Workshop.create(
        tmp_path / "export.workshop.sqlite",
        title="Derby workshop",
        held_on=dt.date(2026, 3, 14),
        venue="Council House",
        themes=["LA", "PM"],
    )
    ann = workshop.add_respondent("Ann", role="DCS", authority="Derby")
    table = workshop.add_respondent("@Table 1", role="Mixed", kind="table", authority="Rutland")
    workshop.record(ann, "LA-DCS-1", 4, evidence=2, note=HYPERLINK)
    workshop.record(ann, "LA-DCS-2", dont_know=True, note=SCRIPT)
    workshop.record(ann, "LA-DCS-2", 2, round=2, note="+44 is not a formula")
    workshop.record(table, "PM-LM-1", 5, evidence=3, note="café – naïve “quotes”")
    workshop.record(table, "PM-DCS-1", 1, note="-1 on this one", proxy=True)
    workshop.add_action("=cmd|' /C calc'!A0", owner="Ann", due=dt.date(2026, 6, 1), theme_id="LA")
    workshop.add_example("@SUM(1+1) joint audits", theme_id="PM", consent_to_share=True)
    workshop.add_note("\tTabbed note", theme_id="LA")
    yield workshop
    workshop.close()


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


# --------------------------------------------------------------------------- CSV


def test_csv_is_tidy_utf8_with_bom_and_reads_back_exactly(ws: Workshop, tmp_path: Path) -> None:
    out = ws.export(tmp_path / "answers.csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(out)
    assert rows[0] == TIDY_COLUMNS
    assert len(rows) == 1 + len(ws.ratings())
    assert "café – naïve “quotes”".encode() in data
    pd.testing.assert_frame_equal(read_ratings(out), ws.ratings())


def test_csv_text_cells_are_neutralised(ws: Workshop, tmp_path: Path) -> None:
    rows = _csv_rows(ws.export(tmp_path / "answers.csv"))
    header = rows[0]
    notes = {r[header.index("note")] for r in rows[1:]}
    assert "'" + HYPERLINK in notes
    assert "'+44 is not a formula" in notes
    assert "'-1 on this one" in notes
    assert SCRIPT in notes  # plain text in a CSV: no spreadsheet runs it
    labels = {r[header.index("respondent_label")] for r in rows[1:]}
    assert labels == {"Ann", "'@Table 1"}
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), cell


def test_csv_dates_and_numbers(ws: Workshop, tmp_path: Path) -> None:
    rows = _csv_rows(ws.export(tmp_path / "answers.csv"))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["held_on"] == "2026-03-14"
    assert first["recorded_at"].endswith("+00:00")
    assert dt.datetime.fromisoformat(first["recorded_at"]).tzinfo is not None
    ratings = [r[header.index("rating")] for r in rows[1:]]
    assert "" in ratings  # Don't know leaves the rating blank
    assert {r for r in ratings if r} <= {"1", "2", "4", "5"}
    assert {r[header.index("dont_know")] for r in rows[1:]} == {"True", "False"}


def test_write_tidy_csv_handles_any_table(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "when": pd.to_datetime(["2026-01-02 03:04:05"]).tz_localize("UTC"),
            "day": pd.to_datetime(["2026-01-02"]),
            "n": pd.array([pd.NA], dtype="Int64"),
            "text": ["@home"],
        }
    )
    rows = _csv_rows(write_tidy_csv(table, tmp_path / "t.csv"))
    assert rows == [
        ["when", "day", "n", "text"],
        ["2026-01-02T03:04:05+00:00", "2026-01-02", "", "'@home"],
    ]


# --------------------------------------------------------------------------- XLSX


def test_xlsx_has_every_sheet_with_a_bold_frozen_header(ws: Workshop, tmp_path: Path) -> None:
    out = ws.export(tmp_path / "workshop.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Read me", "Answers", "Respondents", "Actions", "Examples", "Notes", "Workshop",
    ]
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), name
        assert sheet.column_dimensions["A"].width >= 8, name
    answers = book["Answers"]
    assert [c.value for c in answers[1]] == TIDY_COLUMNS
    assert answers.max_row == 1 + len(ws.ratings())
    assert [c.value for c in book["Respondents"][1]] == [
        c for c in ws.respondents().columns if c != "withdrawn"  # only those who count
    ]
    assert book["Actions"].max_row == 2 and book["Examples"].max_row == 2
    assert book["Notes"].max_row == 2
    details = {r[0].value: r[1].value for r in book["Workshop"].iter_rows(min_row=2)}
    assert details["title"] == "Derby workshop"
    assert details["themes"] == "LA, PM"
    assert details["workshop_id"] == ws.workshop_id
    read_me = " ".join(str(c.value) for row in book["Read me"].iter_rows() for c in row if c.value)
    assert "4 - Mostly confident" in read_me and "3 - Triangulated" in read_me
    assert "recorded_at" in read_me and "Leadership/Accountability" in read_me


def test_xlsx_dates_are_dates_and_ratings_are_numbers(ws: Workshop, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(ws.export(tmp_path / "workshop.xlsx"))
    answers = book["Answers"]
    header = [c.value for c in answers[1]]
    row = {h: c for h, c in zip(header, answers[2], strict=True)}
    assert row["held_on"].is_date and row["held_on"].value == dt.datetime(2026, 3, 14)
    assert row["held_on"].number_format == "yyyy-mm-dd"
    assert row["recorded_at"].is_date
    assert row["rating"].data_type == "n" and isinstance(row["rating"].value, int)
    assert row["round"].data_type == "n"
    assert row["dont_know"].data_type == "b"
    due = book["Actions"]["F2"]
    assert book["Actions"]["F1"].value == "due" and due.is_date


def test_xlsx_every_text_cell_is_inert(ws: Workshop, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(ws.export(tmp_path / "workshop.xlsx"))
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_TRIGGERS), cell.value
                    seen.append(cell.value)
    for typed in (HYPERLINK, "@Table 1", "=cmd|' /C calc'!A0", "@SUM(1+1) joint audits",
                  "-1 on this one", "+44 is not a formula"):
        assert "'" + typed in seen, typed
    assert SCRIPT in seen
    # The store trims the facilitator's note, so its leading tab is gone before export.
    assert "Tabbed note" in seen


def test_xlsx_reads_back_with_read_ratings(ws: Workshop, tmp_path: Path) -> None:
    back = read_ratings(ws.export(tmp_path / "workshop.xlsx"))
    expected = ws.ratings()
    # Spreadsheets keep times to the millisecond.
    gap = (back["recorded_at"] - expected["recorded_at"]).abs().max()
    assert gap <= pd.Timedelta(milliseconds=1)
    pd.testing.assert_frame_equal(
        back.drop(columns="recorded_at"), expected.drop(columns="recorded_at")
    )


def test_xlsx_cannot_hold_control_characters_so_they_are_marked(tmp_path: Path) -> None:
    with Workshop.create(tmp_path / "c.workshop.sqlite", title="C", themes=["PM"]) as ws:
        rid = ws.add_respondent("Bea", role="LM")
        ws.record(rid, "PM-LM-1", 3, note="bell\x07 and\r\nline")
        book = openpyxl.load_workbook(ws.export(tmp_path / "c.xlsx"))
    header = [c.value for c in book["Answers"][1]]
    assert book["Answers"].cell(row=2, column=header.index("note") + 1).value == (
        "bell\ufffd and\nline"
    )


def test_empty_workshop_exports_headers_only(tmp_path: Path) -> None:
    with Workshop.create(tmp_path / "e.workshop.sqlite", title="Empty") as ws:
        rows = _csv_rows(ws.export(tmp_path / "e.csv"))
        book = openpyxl.load_workbook(ws.export(tmp_path / "e.xlsx"))
    assert rows == [TIDY_COLUMNS]
    assert [c.value for c in book["Answers"][1]] == TIDY_COLUMNS
    assert book["Answers"].max_row == 1


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("name", ["answers.xls", "answers.json", "answers", "answers.csv.txt"])
def test_unknown_suffix_is_refused(ws: Workshop, tmp_path: Path, name: str) -> None:
    with pytest.raises(AssuredKitError, match=r"cannot export.*Allowed: \.csv .*\.xlsx") as info:
        export_workshop(ws, tmp_path / name)
    assert name in str(info.value)
    assert not (tmp_path / name).exists()


def test_missing_folder_is_refused(ws: Workshop, tmp_path: Path) -> None:
    with pytest.raises(AssuredKitError, match="does not exist"):
        ws.export(tmp_path / "no such folder" / "a.csv")


def test_a_failed_export_leaves_the_old_file_and_no_debris(
    ws: Workshop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "workshop.xlsx"
    target.write_bytes(b"previous export")

    def broken_save(self, file):  # writes half a file, then the disk "fills up"
        file.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError, match="No space left"):
        ws.export(target)
    assert target.read_bytes() == b"previous export"
    leftovers = sorted(
        p.name for p in tmp_path.iterdir() if not p.name.startswith("export.workshop.sqlite")
    )
    assert leftovers == ["workshop.xlsx"]


def test_atomic_write_replaces_whole_files_only(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write(target, lambda f: f.write(b"first"))

    def crash_half_way(file) -> None:
        file.write(b"second, half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        atomic_write(target, crash_half_way)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    atomic_write(target, lambda f: f.write(b"second"))
    assert target.read_bytes() == b"second"


def test_write_workbook_refuses_bad_sheet_names(tmp_path: Path) -> None:
    with pytest.raises(AssuredKitError, match="cannot be a sheet name"):
        write_workbook(tmp_path / "x.xlsx", {"a/b": pd.DataFrame({"x": [1]})})
    with pytest.raises(AssuredKitError, match="cannot be a sheet name"):
        write_workbook(tmp_path / "x.xlsx", {"x" * 32: pd.DataFrame({"x": [1]})})
    assert not (tmp_path / "x.xlsx").exists()
