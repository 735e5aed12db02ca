"""read_ratings: workshop files, folders and tidy CSV/XLSX exports merged into one tidy table."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assured_kit.errors import AssuredKitError
from assured_kit.framework import load_framework
from assured_kit.ratings import REQUIRED_COLUMNS, TIDY_COLUMNS, read_ratings
from assured_kit.safety import neutralise_cell
from assured_kit.store import Workshop


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the kit's exports write it: every cell text, text cells neutralised."""
    out = {}
    for column in table.columns:
        series = table[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = ["" if pd.isna(v) else v.isoformat() for v in series]
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            out[column] = ["" if pd.isna(v) else v.strftime("%Y-%m-%d") for v in series]
        else:
            out[column] = [
                "" if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                else neutralise_cell(v) if isinstance(v, str) else str(v)
                for v in series.astype(object)
            ]
    return pd.DataFrame(out, dtype=object)


def write_csv(table: pd.DataFrame, path: Path, *, encoding: str = "utf-8-sig",
              sep: str = ",") -> Path:
    text_cells(table).to_csv(path, index=False, encoding=encoding, sep=sep,
                             lineterminator="\r\n")
    return path


def write_xlsx(table: pd.DataFrame, path: Path, sheet: str = "Answers") -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active["A1"] = "Exported answers"
    ws = book.create_sheet(sheet)
    ws.append(list(table.columns))
    for row in table.astype(object).itertuples(index=False):
        cells = []
        for value in row:
            if value is None or value is pd.NA or value is pd.NaT or (
                isinstance(value, float) and value != value
            ):
                cells.append(None)
            elif isinstance(value, pd.Timestamp):
                if value.tzinfo is not None:
                    cells.append(value.tz_convert("UTC").tz_localize(None).to_pydatetime())
                else:
                    cells.append(value.date())
            elif isinstance(value, str):
                cells.append(neutralise_cell(value))
            else:
                cells.append(value)
        ws.append(cells)
    book.save(path)
    return path


@pytest.fixture
def two_workshops(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "spring.workshop.sqlite"
    with Workshop.create(first, title="Spring", held_on="2026-03-14") as ws:
        ann = ws.add_respondent("Ann", authority="Derby")
        table = ws.add_respondent("=Table 1", role="Mixed", kind="table", authority="Rutland")
        ws.record(ann, "LA-DCS-1", 4, evidence=2, note="=HYPERLINK(\"http://x\")")
        ws.record(ann, "LA-DCS-1", 2, round=2, note="changed, after talk\nline two")
        ws.record(table, "PM-LM-5", dont_know=True, proxy=True, note="@mention")
        ws.record(table, "WF-DCS-3", 5, evidence=0, note="'quoted'")
    nested = tmp_path / "archive" / "2025"
    nested.mkdir(parents=True)
    second = nested / "autumn.workshop.sqlite"
    with Workshop.create(second, title="Autumn", synthetic=True, scale="audit") as ws:
        bo = ws.add_respondent("Bo", role="LM", authority="Leicester")
        ws.record(bo, "CR-LM-1", 1)
    return first, second


def test_merges_files_and_folders_keeping_identity(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    table = read_ratings(tmp_path)  # recursive: finds the nested one too
    assert list(table.columns) == TIDY_COLUMNS
    assert len(table) == 5
    assert table.groupby("workshop_title").size().to_dict() == {"Autumn": 1, "Spring": 4}
    # respondent ids repeat across workshops; the workshop id tells them apart
    assert set(table["respondent_id"]) == {"R0001", "R0002"}
    assert table.groupby(["workshop_id", "respondent_id"]).ngroups == 3
    autumn = table[table["workshop_title"] == "Autumn"].iloc[0]
    assert autumn["synthetic"] and autumn["scale"] == "audit" and pd.isna(autumn["held_on"])
    with Workshop.open(first) as ws:
        pd.testing.assert_frame_equal(
            table[table["workshop_id"] == ws.workshop_id].reset_index(drop=True), ws.ratings()
        )
        # an open Workshop is a source too, and the same workshop twice is kept once
        assert len(read_ratings(ws, first, tmp_path)) == 5


def test_reading_changes_nothing(tmp_path: Path, two_workshops) -> None:
    first, second = two_workshops
    digests = (sha(first), sha(second))
    read_ratings(first, second)
    assert (sha(first), sha(second)) == digests
    assert sorted(p.name for p in first.parent.iterdir()) == [
        "archive", "spring.workshop.sqlite"]


def test_empty_folder_gives_an_empty_typed_table(tmp_path: Path) -> None:
    table = read_ratings(tmp_path)
    assert list(table.columns) == TIDY_COLUMNS and table.empty
    assert str(table["rating"].dtype) == "Int64"
    assert list(table["theme_id"].cat.categories) == ["LA", "CR", "WF", "PR", "IN", "PM"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_reads_back_as_the_same_table(tmp_path: Path, two_workshops, kind: str) -> None:
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        expected = ws.ratings()
    export = tmp_path / f"answers.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(expected, export)
    got = read_ratings(export)
    if kind == "xlsx":  # spreadsheet times hold milliseconds, not microseconds
        gap = (got["recorded_at"] - expected["recorded_at"]).abs()
        assert (gap <= pd.Timedelta("1ms")).all()
        got["recorded_at"] = expected["recorded_at"]
    pd.testing.assert_frame_equal(got, expected)
    assert got["note"].iloc[0] == '=HYPERLINK("http://x")'  # neutralised, then restored
    assert got["respondent_label"].tolist().count("=Table 1") == 2
    assert "'quoted'" in got["note"].tolist()  # an apostrophe of the user's own stays


def test_a_workshop_read_as_file_and_export_is_kept_once_from_the_file(
    tmp_path: Path, two_workshops
) -> None:
    first, second = two_workshops
    with Workshop.open(first) as ws:
        exported = ws.ratings()
    exported["rating"] = exported["rating"].where(exported["rating"].isna(), 1)
    export = write_csv(exported, tmp_path / "spring.csv")
    for order in ((export, first, second), (first, export, second)):
        table = read_ratings(*order)
        assert len(table) == 5
        spring = table[table["workshop_title"] == "Spring"]
        assert sorted(spring["rating"].dropna().tolist()) == [2, 4, 5]  # the file's values
    only_export = read_ratings(export, second)
    assert sorted(only_export["rating"].dropna().tolist()) == [1, 1, 1, 1]


def test_two_copies_of_a_file_keep_the_later_one(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    early = tmp_path / "copies" / "early.workshop.sqlite"
    early.parent.mkdir()
    shutil.copy(first, early)
    with Workshop.open(first) as ws:
        ws.record("R0001", "IN-DCS-1", 3)
    for order in ((early, first), (first, early)):
        table = read_ratings(*order)
        assert len(table) == 5 and "IN-DCS-1" in set(table["question_id"])


def test_what_spreadsheet_programs_write(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        expected = ws.ratings()
    cells = text_cells(expected)
    cells["comment"] = ["kept", "", "=1+1", "x"]
    cells.loc[len(cells)] = [""] * len(cells.columns)  # a trailing blank row
    cells["dont_know"] = cells["dont_know"].str.upper()  # TRUE / FALSE
    semicolons = tmp_path / "semicolons.csv"
    cells.to_csv(semicolons, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    table = read_ratings(semicolons)
    assert list(table.columns) == [*TIDY_COLUMNS, "comment"]
    assert table["comment"].tolist() == ["kept", "", "=1+1", "x"]
    pd.testing.assert_frame_equal(table[TIDY_COLUMNS], expected)


def test_unicode_text_and_windows_bytes(tmp_path: Path, two_workshops) -> None:
    """Read as the rating sheets are: UTF-16 by its byte-order mark, stray cp1252 bytes kept."""
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        expected = ws.ratings()
    cells = text_cells(expected)
    unicode_text = tmp_path / "unicode.csv"
    unicode_text.write_bytes(cells.to_csv(index=False).encode("utf-16"))
    pd.testing.assert_frame_equal(read_ratings(unicode_text), expected)
    # 0x81 has no character in Windows-1252: the cell reads as the replacement character.
    cells["comment"] = ["caf\u00e9", "", "", ""]
    windows = tmp_path / "windows.csv"
    data = cells.to_csv(sep=";", index=False).encode("cp1252")
    windows.write_bytes(data.replace(b"\xe9", b"\x81"))
    assert read_ratings(windows)["comment"].tolist() == ["caf\ufffd", "", "", ""]


def test_optional_columns_get_defaults(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        expected = ws.ratings()
    slim = expected[REQUIRED_COLUMNS]
    table = read_ratings(write_csv(slim, tmp_path / "slim.csv"))
    assert list(table.columns) == TIDY_COLUMNS
    assert not table["synthetic"].any() and not table["proxy"].any()
    assert (table["scale"] == "confidence").all() and (table["respondent_kind"] == "person").all()
    assert table["question_role"].tolist() == expected["question_role"].tolist()


def test_missing_required_column_names_file_and_column(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        table = ws.ratings()
    path = write_csv(table.drop(columns=["theme_id"]), tmp_path / "no-theme.csv")
    with pytest.raises(AssuredKitError, match=r"no-theme\.csv, row 1, field 'theme_id': the "
                       r"column 'theme_id' is missing"):
        read_ratings(path)
    renamed = write_csv(table.rename(columns={"rating": "Rating"}), tmp_path / "renamed.csv")
    with pytest.raises(AssuredKitError, match="header 'Rating' has different capitals"):
        read_ratings(renamed)
    with pytest.raises(AssuredKitError, match="has no sheet 'Answers'"):
        read_ratings(write_xlsx(table, tmp_path / "sheet.xlsx", sheet="Data"))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("round", "3", r"row 3, field 'round': '3' cannot be read\. Allowed: 1 or 2"),
        ("rating", "four", r"row 3, field 'rating': 'four' cannot be read"),
        ("rating", "", r"row 3, field 'rating': neither a rating nor Don't know"),
        ("dont_know", "maybe", r"row 3, field 'dont_know': 'maybe' cannot be read"),
        ("evidence", "2.5", r"row 3, field 'evidence'"),
        ("role", "dcs", r"row 3, field 'role': 'dcs' cannot be read"),
        ("held_on", "next Tuesday", r"row 3, field 'held_on'"),
        ("recorded_at", "yesterday", r"row 3, field 'recorded_at'"),
        ("workshop_id", " ", r"row 3, field 'workshop_id': the cell is empty"),
    ],
)
def test_bad_values_are_reported_by_row_and_column(tmp_path: Path, two_workshops, column: str,
                                                   value: str, message: str) -> None:
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        cells = text_cells(ws.ratings())
    cells.loc[1, column] = value
    path = tmp_path / "bad.csv"
    cells.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(AssuredKitError, match=message):
        read_ratings(path)


def test_rating_and_dont_know_together_is_refused(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    with Workshop.open(first) as ws:
        cells = text_cells(ws.ratings())
    cells.loc[0, "dont_know"] = "True"
    path = tmp_path / "both.csv"
    cells.to_csv(path, index=False)
    with pytest.raises(AssuredKitError, match="row 2, field 'rating': both a rating and Don't"):
        read_ratings(path)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(AssuredKitError, match="no sources were given"):
        read_ratings()
    with pytest.raises(AssuredKitError, match="there is no file or folder here"):
        read_ratings(tmp_path / "missing.workshop.sqlite")
    odd = tmp_path / "answers.ods"
    odd.write_bytes(b"x")
    with pytest.raises(AssuredKitError, match=r"'answers\.ods' is not a workshop file or a tidy"):
        read_ratings(odd)
    with pytest.raises(AssuredKitError, match="int is not a source of ratings"):
        read_ratings(3)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(AssuredKitError, match="the workbook cannot be read"):
        read_ratings(broken)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(AssuredKitError, match="cannot be read as CSV"):
        read_ratings(empty)


def test_adapted_framework_themes_follow_the_2010_ones(tmp_path: Path, framework_copy: Path
                                                       ) -> None:
    with (framework_copy / "themes.csv").open("a", encoding="utf-8") as f:
        f.write("CY,7,Children's voices,Children's voices,30\n")
    with (framework_copy / "questions.csv").open("a", encoding="utf-8") as f:
        f.write("CY-DCS-1,CY,DCS,1,How do children shape what we do?,\n")
    fw = load_framework(framework_copy)
    path = tmp_path / "adapted.workshop.sqlite"
    with Workshop.create(path, title="Adapted", framework=fw, themes=["LA", "CY"]) as ws:
        rid = ws.add_respondent("Ann")
        ws.record(rid, "CY-DCS-1", 3)
        ws.record(rid, "LA-DCS-1", 4)
    table = read_ratings(path)
    assert list(table["theme_id"].cat.categories) == ["LA", "CR", "WF", "PR", "IN", "PM", "CY"]
    assert table.sort_values("theme_id")["question_id"].tolist() == ["LA-DCS-1", "CY-DCS-1"]


free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("=+-@'\t"),
    min_size=1, max_size=40,
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answers=st.lists(
        st.tuples(
            st.sampled_from(["LA-DCS-1", "CR-LM-2", "PM-LM-5", "WF-DCS-3"]),
            st.one_of(st.none(), st.integers(1, 5)),  # None: Don't know
            st.one_of(st.none(), st.integers(0, 3)),
            st.one_of(st.none(), free_text),
            st.integers(1, 2),
            st.booleans(),
        ),
        min_size=1, max_size=12,
    ),
    label=free_text,
)
def test_csv_round_trip_keeps_every_answer(tmp_path_factory, answers, label: str) -> None:
    folder = tmp_path_factory.mktemp("rt")
    with Workshop.create(folder / "rt.workshop.sqlite", title=label, held_on=dt.date(2026, 1, 2)
                         ) as ws:
        rid = ws.add_respondent(label, role="Officer", authority="Rutland")
        for question, rating, evidence, note, round_, proxy in answers:
            ws.record(rid, question, rating, dont_know=rating is None, evidence=evidence,
                      note=note, round=round_, proxy=proxy, author=label)
        expected = ws.ratings()
    got = read_ratings(write_csv(expected, folder / "rt.csv"))
    pd.testing.assert_frame_equal(got, expected)


def test_every_level_of_a_wide_custom_scale_reads_back(tmp_path: Path, framework_copy: Path
                                                       ) -> None:
    with (framework_copy / "scales.csv").open("a", encoding="utf-8") as f:
        for value in range(11):
            f.write(f"ten,Zero to ten,{value},Level {value},\n")
    fw = load_framework(framework_copy)
    path = tmp_path / "ten.workshop.sqlite"
    questions = fw.questions["question_id"].tolist()[:11]
    with Workshop.create(path, title="Ten", scale="ten", framework=fw) as ws:
        rid = ws.add_respondent("Ann")
        for value, question in zip(range(11), questions, strict=True):
            ws.record(rid, question, value, evidence=value % 4, proxy=value % 2 == 1,
                      round=1 + value % 2)
        ws.record(rid, questions[0], dont_know=True, round=2, evidence=3)
        table = ws.ratings()
    assert len(table) == 12
    records = table.iloc[:11]
    assert records["rating"].tolist() == list(range(11))
    assert records["evidence"].tolist() == [v % 4 for v in range(11)]
    assert records["proxy"].tolist() == [v % 2 == 1 for v in range(11)]
    assert records["round"].tolist() == [1 + v % 2 for v in range(11)]
    last = table.iloc[11]
    assert pd.isna(last["rating"]) and last["dont_know"] and last["evidence"] == 3
    assert table.equals(read_ratings(path))


def test_reading_leaves_no_files_behind(tmp_path: Path, two_workshops) -> None:
    first, _ = two_workshops
    listing = sorted(p.name for p in first.parent.iterdir())
    with Workshop.open(first) as ws:  # a writer holds it open: its -wal file is shared
        ws.record("R0001", "CR-DCS-1", 1)
        assert "CR-DCS-1" in set(read_ratings(first)["question_id"])
    assert sorted(p.name for p in first.parent.iterdir()) == listing
    digest = sha(first)
    first.parent.chmod(0o555)  # an archive folder nobody may write to
    try:
        assert len(read_ratings(first)) == 5
        assert sorted(p.name for p in first.parent.iterdir()) == listing
        assert sha(first) == digest
    finally:
        first.parent.chmod(0o755)
