"""The analyst's workbook: it opens in pandas and openpyxl as numbers, blanks and plain headers."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit import demo_workshops, read_ratings, write_report
from assured_kit.workbook import PERCENT_FORMAT, column_heading, pivot_ready, write_tables


@pytest.fixture(scope="module")
def region_book(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    demo_workshops(folder, seed=0)
    return write_report(folder / "region.xlsx", read_ratings(folder), scope="region")


def _percent_headers(book, sheet: str) -> list[str]:
    ws = book[sheet]
    return [
        ws.cell(row=1, column=j).value
        for j in range(1, ws.max_column + 1)
        if ws.cell(row=2, column=j).number_format == PERCENT_FORMAT
    ]


def test_opens_in_pandas_with_numeric_percentages_and_blank_suppressed_cells(region_book):
    sheets = pd.read_excel(region_book, sheet_name=None)
    authorities = sheets["Authorities"]
    shares = ["Share at the top of the scale", "Share at the bottom of the scale"]
    for column in [*shares, "Don't know share", "People", "Median rating"]:
        assert pd.api.types.is_numeric_dtype(authorities[column]), column
    for column in shares:
        assert authorities[column].dropna().between(0, 1).all()  # fractions, shown as percent
    hidden = authorities["Suppressed"].astype(bool)
    assert hidden.any() and (~hidden).any(), "the demo region has suppressed cells"
    assert authorities.loc[hidden, [*shares, "People", "Rated answers"]].isna().all().all()
    assert authorities.loc[~hidden, "People"].notna().all()
    # A pivot works: the mean top share per theme, over the shown cells only.
    pivot = authorities.pivot_table(index="Theme", values=shares[0], aggfunc="mean")
    assert pivot[shares[0]].between(0, 1).all()
    # The flag sits just before the figures it covers.
    columns = list(authorities.columns)
    assert columns.index("Suppressed") < columns.index("People")
    assert columns[: columns.index("Suppressed")] == ["Theme", "Authority", "Theme title"]


def test_opens_in_openpyxl_with_percent_formats_and_print_set_up(region_book):
    book = openpyxl.load_workbook(region_book)
    themes = book["Themes"]
    header = [c.value for c in themes[1]]
    top = header.index("Share at the top of the scale") + 1
    cell = themes.cell(row=2, column=top)
    assert isinstance(cell.value, float) and cell.number_format == PERCENT_FORMAT
    assert "Don't know share" in _percent_headers(book, "Themes")
    assert "People" not in _percent_headers(book, "Themes")
    roles = book["Roles"]
    assert "DCS: share at the top of the scale" in [c.value for c in roles[1]]
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.fitToWidth == 1 and setup.fitToHeight == 0, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert int(setup.paperSize) == int(sheet.PAPERSIZE_A4)
        if sheet.title != "Read me":
            assert sheet.print_title_rows == "$1:$1", sheet.title
    assert book["Questions"].page_setup.orientation == "landscape"
    assert book["Read me"].page_setup.orientation == "portrait"
    # No snake_case header on any data sheet.
    for sheet in book.worksheets:
        if sheet.title in ("Read me", "Data dictionary"):
            continue
        assert not [c.value for c in sheet[1] if "_" in str(c.value)], sheet.title


def test_read_me_wraps_and_dictionary_keeps_machine_names(region_book):
    book = openpyxl.load_workbook(region_book)
    read_me = book["Read me"]
    long_rows = [r for r in read_me.iter_rows(min_row=2) if len(str(r[1].value or "")) > 90]
    assert long_rows
    for row in long_rows:
        assert row[1].alignment.wrap_text
        lines = -(-len(str(row[1].value)) // 90)
        assert read_me.row_dimensions[row[1].row].height >= 15 * lines
    dictionary = pd.read_excel(region_book, sheet_name="Data dictionary")
    assert list(dictionary.columns) == ["Sheet", "Header", "Machine name", "Meaning"]
    themes = dictionary[dictionary["Sheet"] == "Themes"].set_index("Machine name")
    assert themes.loc["n_respondents", "Header"] == "People"
    assert themes.loc["top_share", "Header"] == "Share at the top of the scale"
    assert "percentage" in themes.loc["top_share", "Meaning"]
    assert themes.loc["n_4", "Header"] == "Rated 4 (Mostly confident)"


def test_pivot_ready_blanks_only_the_flagged_side():
    table = pd.DataFrame(
        {
            "theme_id": ["LA", "WF"],
            "dcs_n_rated": [4, 2],
            "dcs_top_share": [0.5, 1.0],
            "dcs_classification": ["mixed", "strong"],
            "dcs_suppressed": [False, True],
            "lm_n_rated": [5, 6],
            "lm_top_share": [0.2, 0.5],
            "lm_suppressed": [False, False],
            "top_share_gap": [0.3, 0.5],
            "apart": [False, False],
        }
    )
    out = pivot_ready(table)
    assert list(out.columns)[:5] == [
        "theme_id",
        "dcs_suppressed",
        "dcs_n_rated",
        "dcs_top_share",
        "dcs_classification",
    ]
    wf = out.iloc[1]
    assert pd.isna(wf["dcs_n_rated"]) and pd.isna(wf["dcs_top_share"])
    assert wf["dcs_classification"] == "strong"  # words are not figures
    assert wf["lm_top_share"] == 0.5 and out.iloc[0]["dcs_top_share"] == 0.5


def test_headings_are_plain_words():
    assert column_heading("after_n_respondents") == "After: people"
    assert column_heading("others_median") == "Other authorities: median"
    assert column_heading("evidence_share_3") == "Evidence 3 (Triangulated) share"
    assert column_heading("something_new") == "Something new"


def test_write_tables_refuses_nothing_silently(tmp_path):
    # Text that looks like a formula stays text, even under a friendly header.
    table = pd.DataFrame({"theme_id": ["LA"], "why": ["=1+1"], "suppressed": [False]})
    out = write_tables(tmp_path / "t.xlsx", {"Themes": table}, read_me=[], title="t")
    sheet = openpyxl.load_workbook(out)["Themes"]
    assert [c.value for c in sheet[2]] == ["LA", "'=1+1", False]
