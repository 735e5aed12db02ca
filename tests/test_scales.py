"""Scales as data: the four bundled scales and forgiving parsing of typed answers."""

from __future__ import annotations

import pytest

import assured_kit as ak

CONFIDENCE = [
    "Not confident",
    "Slightly confident",
    "Partly confident",
    "Mostly confident",
    "Fully confident",
]


def test_bundled_scales_match_the_design():
    scales = ak.load_scales()
    assert sorted(scales) == ["audit", "confidence", "evidence", "rag"]
    assert scales["confidence"].labels == CONFIDENCE
    assert scales["confidence"].values == [1, 2, 3, 4, 5]
    assert scales["evidence"].values == [0, 1, 2, 3]
    assert scales["evidence"].labels == ["No evidence", "Informal", "Data or audit", "Triangulated"]
    assert scales["audit"].labels == ["Not met", "Partially met", "Mostly met", "Fully met"]
    assert scales["rag"].labels == ["Red", "Amber", "Green"]


@pytest.mark.parametrize(
    ("name", "top", "bottom", "midpoint"),
    [
        ("confidence", [4, 5], [1, 2], 3.0),
        ("audit", [3, 4], [1, 2], 2.5),
        ("rag", [3], [1], 2.0),
        ("evidence", [2, 3], [0, 1], 1.5),
    ],
)
def test_top_and_bottom_are_either_side_of_the_midpoint(name, top, bottom, midpoint):
    scale = ak.get_scale(name)
    assert (scale.top_values, scale.bottom_values, scale.midpoint) == (top, bottom, midpoint)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (4, 4),
        (4.0, 4),
        ("4", 4),
        (" 4 ", 4),
        ("4 - Mostly confident", 4),
        ("4 – mostly confident", 4),
        ("4: Mostly confident", 4),
        ("Mostly confident", 4),
        ("  mostly   CONFIDENT ", 4),
        ("Don't know", None),
        ("don’t know", None),
        ("DK", None),
    ],
)
def test_parse_accepts_what_people_type(typed, expected):
    assert ak.get_scale("confidence").parse(typed) == expected


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("7", "'7' is not an answer on the Confidence scale"),
        (7, "7 is outside the Confidence scale"),
        (3.5, "3.5 is outside"),
        ("", "the answer is blank"),
        ("Quite confident", "a misspelt label"),
        ("4 - Fully confident", "the number says 'Mostly confident'"),
        (True, "True is not an answer"),
    ],
)
def test_parse_rejects_with_a_clear_message(typed, fragment):
    with pytest.raises(ak.AssuredKitError) as info:
        ak.get_scale("confidence").parse(typed, file="sheet.csv", row=5, field="rating")
    message = str(info.value)
    assert fragment in message
    assert message.startswith("sheet.csv, row 5, field 'rating'")
    assert "Allowed: 1 (Not confident)" in message and "Don't know" in message


def test_label_for():
    scale = ak.get_scale("rag")
    assert [scale.label_for(v) for v in (1, 2, 3, None)] == ["Red", "Amber", "Green", "Don't know"]
    with pytest.raises(ak.AssuredKitError, match="not a level"):
        scale.label_for(9)


def test_get_scale_unknown_name():
    with pytest.raises(
        ak.AssuredKitError, match=r"no scale called 'confidance'.*Allowed: audit, confidence"
    ):
        ak.get_scale("confidance")
    scale = ak.get_scale("audit")
    assert ak.get_scale(scale) is scale


def test_a_scale_is_never_copied():
    """A scale does not change: copying one (pandas deep-copies each summary's ``attrs``, where
    its scales live, into every table, column and row made from it) gives the scale itself."""
    import copy

    import pandas as pd

    from assured_kit.summary import by_theme

    scale = ak.get_scale("confidence")
    assert copy.deepcopy(scale) is scale
    assert copy.copy(scale) is scale
    answers = pd.DataFrame(
        {
            "workshop_id": "w",
            "respondent_id": list("abc"),
            "theme_id": "LA",
            "rating": pd.array([5, 4, 2], dtype="Int64"),
            "dont_know": False,
        }
    )
    table = by_theme(answers)
    row = next(iter(table.iloc[:1].itertuples(index=False)))
    assert row.theme_id == "LA"
    assert table["top_share"].attrs["scale"] is table.attrs["scale"]
    assert table.iloc[:1].attrs["evidence_scale"] is table.attrs["evidence_scale"]
