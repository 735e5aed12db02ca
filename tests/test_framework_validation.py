"""Every validation rule for an adapted framework folder, fed a broken copy of the bundled one."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import assured_kit as ak
from assured_kit.scales import scales_from_table


def edit_csv(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set a cell; ``row`` is numbered as a spreadsheet shows it (header = 1)."""

    def change(rows: list[list[str]]) -> None:
        rows[row - 1][rows[0].index(column)] = value

    edit_csv(path, change)


def load_error(folder: Path) -> str:
    with pytest.raises(ak.AssuredKitError) as info:
        ak.load_framework(source=folder)
    return str(info.value)


def test_adapted_folder_loads_with_the_same_rules(framework_copy):
    set_cell(framework_copy / "questions.csv", 2, "text", "An adapted question?")
    fw = ak.load_framework(source=framework_copy)
    assert fw.question("LA-DCS-1")["text"] == "An adapted question?"
    assert fw.source == framework_copy.resolve()


def test_cache_sees_edits(framework_copy):
    first = ak.load_framework(source=framework_copy)
    assert ak.load_framework(source=framework_copy) is first
    set_cell(framework_copy / "themes.csv", 2, "title", "Leadership and accountability")
    assert (
        ak.load_framework(source=framework_copy).theme_title("LA")
        == "Leadership and accountability"
    )


def test_missing_folder(tmp_path):
    msg = load_error(tmp_path / "nowhere")
    assert "does not exist" in msg and "nowhere" in msg


def test_missing_file(framework_copy):
    (framework_copy / "examples.csv").unlink()
    msg = load_error(framework_copy)
    assert "missing file examples.csv" in msg and "Likely cause" in msg


def test_missing_column(framework_copy):
    edit_csv(framework_copy / "questions.csv", lambda rows: rows[0].__setitem__(4, "Text "))
    msg = load_error(framework_copy)
    assert re.search(r"questions\.csv, row 1: missing column\(s\) text", msg)
    assert "'Text '" in msg  # the near miss is named


def test_duplicate_id(framework_copy):
    edit_csv(framework_copy / "examples.csv", lambda rows: rows.append(list(rows[3])))
    msg = load_error(framework_copy)
    assert "examples.csv, row 43, field 'example_id'" in msg
    assert "'LA-EX-3' appears again (first at row 4)" in msg


def test_malformed_question_id(framework_copy):
    set_cell(framework_copy / "questions.csv", 3, "question_id", "LA-DCS-9")
    msg = load_error(framework_copy)
    assert "questions.csv, row 3, field 'question_id'" in msg
    assert "expected 'LA-DCS-2'" in msg


def test_malformed_example_id(framework_copy):
    set_cell(framework_copy / "examples.csv", 2, "example_id", "LA-1")
    msg = load_error(framework_copy)
    assert "examples.csv, row 2, field 'example_id'" in msg and "theme-EX-n" in msg


def test_question_under_unknown_theme(framework_copy):
    set_cell(framework_copy / "questions.csv", 2, "theme_id", "XX")
    set_cell(framework_copy / "questions.csv", 2, "question_id", "XX-DCS-1")
    msg = load_error(framework_copy)
    assert "questions.csv, row 2, field 'theme_id': 'XX' is not allowed here" in msg
    assert "Allowed: LA, CR, WF, PR, IN, PM" in msg
    assert "a theme missing from themes.csv" in msg


def test_empty_text(framework_copy):
    set_cell(framework_copy / "questions.csv", 10, "text", "   ")
    msg = load_error(framework_copy)
    assert "questions.csv, row 10, field 'text': the cell is empty" in msg


def test_role_outside_allowed_set(framework_copy):
    set_cell(framework_copy / "questions.csv", 2, "role", "dcs")
    msg = load_error(framework_copy)
    assert "field 'role': 'dcs' is not allowed here" in msg
    assert "did you mean 'DCS'?" in msg


def test_attribution_outside_allowed_set(framework_copy):
    set_cell(framework_copy / "examples.csv", 5, "attribution", "Chief Executive")
    msg = load_error(framework_copy)
    assert "examples.csv, row 5, field 'attribution'" in msg
    assert "Allowed: DCS, LM, DCS and LM" in msg


def test_stray_space_in_an_id(framework_copy):
    set_cell(framework_copy / "themes.csv", 4, "theme_id", "WF ")
    msg = load_error(framework_copy)
    assert "themes.csv, row 4, field 'theme_id'" in msg and "stray space" in msg


def test_number_that_is_not_a_number(framework_copy):
    set_cell(framework_copy / "themes.csv", 2, "page", "six")
    msg = load_error(framework_copy)
    assert "themes.csv, row 2, field 'page': 'six' is not a whole number" in msg


def test_malformed_theme_id(framework_copy):
    set_cell(framework_copy / "themes.csv", 2, "theme_id", "lead")
    msg = load_error(framework_copy)
    assert "theme id 'lead' is malformed" in msg and "capital letters" in msg


def test_quote_with_enclosing_marks(framework_copy):
    set_cell(framework_copy / "examples.csv", 2, "quote", "“A quote kept in its marks”")
    msg = load_error(framework_copy)
    assert "examples.csv, row 2, field 'quote'" in msg and "quotation marks" in msg


def test_duplicate_glossary_term(framework_copy):
    edit_csv(framework_copy / "glossary.csv", lambda rows: rows.append(list(rows[1])))
    msg = load_error(framework_copy)
    assert "glossary.csv" in msg and "field 'term'" in msg and "appears again" in msg


def test_duplicate_authority(framework_copy):
    edit_csv(framework_copy / "authorities.csv", lambda rows: rows.append(list(rows[1])))
    assert "'Derby' appears again" in load_error(framework_copy)


def test_file_not_utf8(framework_copy):
    path = framework_copy / "glossary.csv"
    path.write_bytes(
        path.read_text(encoding="utf-8").replace("’", "'").encode("utf-8") + "café".encode("cp1252")
    )
    msg = load_error(framework_copy)
    assert "glossary.csv" in msg and "not UTF-8" in msg and "CSV UTF-8" in msg


def test_unreadable_csv(framework_copy):
    (framework_copy / "themes.csv").write_text('theme_id,order\n"LA,1\n', encoding="utf-8")
    msg = load_error(framework_copy)
    assert "themes.csv" in msg


def test_scale_with_a_gap(framework_copy):
    edit_csv(framework_copy / "scales.csv", lambda rows: rows.pop(3))
    msg = load_error(framework_copy)
    assert "scales.csv" in msg and "scale 'confidence' has a gap: no level 3" in msg


def test_scale_with_duplicate_labels(framework_copy):
    set_cell(framework_copy / "scales.csv", 3, "label", "not confident")
    msg = load_error(framework_copy)
    assert "scales.csv, row 3, field 'label'" in msg and "used twice" in msg


def test_scale_value_not_a_number(framework_copy):
    set_cell(framework_copy / "scales.csv", 4, "value", "three")
    assert "scales.csv, row 4, field 'value': value 'three' is not a whole number" in load_error(
        framework_copy
    )


def test_scale_level_without_label(framework_copy):
    set_cell(framework_copy / "scales.csv", 4, "label", "")
    assert "has no label" in load_error(framework_copy)


def test_scale_dont_know_is_not_a_level(framework_copy):
    set_cell(framework_copy / "scales.csv", 4, "label", "Don't know")
    assert "reserved" in load_error(framework_copy)


def test_required_scale_missing(framework_copy):
    edit_csv(framework_copy / "scales.csv", lambda rows: rows.__setitem__(slice(6, 10), []))
    assert "scale 'evidence' is missing" in load_error(framework_copy)


def test_framing_file_missing_a_key(framework_copy):
    path = framework_copy / "framework.toml"
    path.write_text(
        "\n".join(
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith("headline_question")
        ),
        encoding="utf-8",
    )
    msg = load_error(framework_copy)
    assert "framework.toml, field 'headline_question'" in msg


def test_framing_file_not_toml(framework_copy):
    (framework_copy / "framework.toml").write_text('title = "unclosed\n', encoding="utf-8")
    assert "not valid TOML" in load_error(framework_copy)


def test_custom_scale_defined_the_same_way(framework_copy):
    def add(rows: list[list[str]]) -> None:
        rows += [
            ["yn", "Yes or no", "0", "No", ""],
            ["yn", "Yes or no", "1", "Yes", ""],
        ]

    edit_csv(framework_copy / "scales.csv", add)
    fw = ak.load_framework(source=framework_copy)
    yn = fw.scales["yn"]
    assert (yn.values, yn.labels, yn.top_values, yn.bottom_values) == (
        [0, 1],
        ["No", "Yes"],
        [1],
        [0],
    )


def test_scale_with_one_level():
    import pandas as pd

    table = pd.DataFrame(
        {
            "scale_id": ["one"],
            "scale_title": ["One"],
            "value": ["1"],
            "label": ["Only"],
            "description": [""],
        }
    )
    with pytest.raises(ak.AssuredKitError, match="needs at least two"):
        scales_from_table(table)


def test_scale_levels_out_of_order():
    import pandas as pd

    table = pd.DataFrame(
        {
            "scale_id": ["s"] * 3,
            "scale_title": ["S"] * 3,
            "value": ["2", "1", "3"],
            "label": ["b", "a", "c"],
            "description": [""] * 3,
        }
    )
    with pytest.raises(ak.AssuredKitError, match="not in order"):
        scales_from_table(table)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "the cell is empty"),
        ("01/12/2026", "'01/12/2026' is not a date"),
        ("2026-02-30", "'2026-02-30' is not a date"),
        ("2026-12-1", "'2026-12-1' is not a date"),
        (" 2026-12-01", "has leading or trailing spaces"),
    ],
)
def test_glossary_checked_on_must_be_a_date(framework_copy, value, problem):
    set_cell(framework_copy / "glossary.csv", 3, "checked_on", value)
    msg = load_error(framework_copy)
    assert "glossary.csv, row 3, field 'checked_on'" in msg and problem in msg


def test_glossary_entry_needs_a_source(framework_copy):
    set_cell(framework_copy / "glossary.csv", 4, "source", "  ")
    msg = load_error(framework_copy)
    assert "glossary.csv, row 4, field 'source'" in msg and "the cell is empty" in msg


def test_glossary_without_the_new_columns_is_refused(framework_copy):
    edit_csv(
        framework_copy / "glossary.csv", lambda rows: [r.__delitem__(slice(5, 8)) for r in rows]
    )
    msg = load_error(framework_copy)
    assert "glossary.csv" in msg and "missing column(s) source, checked_on, topic" in msg
