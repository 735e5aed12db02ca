"""The one home for how typed words are read: folding, labels, roles, authorities."""

from __future__ import annotations

import pytest

from assured_kit import AssuredKitError
from assured_kit.facilitator import Facilitator
from assured_kit.store import Workshop
from assured_kit.text import clean_label, fold, match_authority, match_role, percent


@pytest.fixture
def ws(tmp_path):
    with Workshop.create(tmp_path / "t.workshop.sqlite", title="Text rules") as ws:
        yield ws


@pytest.mark.parametrize(
    "look_alike",
    [
        "Table 1\u200b",  # trailing zero-width space
        "Ｔａｂｌｅ １",  # fullwidth letters and digit
        "\u202eTable 1",  # right-to-left override
        "Table\u00a01",  # no-break space
        "  TABLE   1 ",
        "Table\ufeff 1",
    ],
)
def test_look_alike_labels_are_refused_as_duplicates(ws, look_alike):
    ws.add_respondent("Table 1", role="Mixed", kind="table")
    with pytest.raises(AssuredKitError, match="already used by respondent R0001"):
        ws.add_respondent(look_alike, role="Mixed", kind="table")


def test_cyrillic_look_alike_is_refused(ws):
    ws.add_respondent("Table a", role="Mixed", kind="table")
    # A Cyrillic 'а' (U+0430) looks like the Latin 'a'; NFKC keeps it apart, so the fold
    # maps the common Cyrillic look-alikes to their Latin twins before comparing.
    with pytest.raises(AssuredKitError, match="already used"):
        ws.add_respondent("T\u0430ble \u0430", role="Mixed", kind="table")


def test_embedded_line_break_is_refused_and_nothing_saved(ws):
    with pytest.raises(AssuredKitError, match="line break"):
        ws.add_respondent("Ann\nSmith")
    assert ws.respondents().empty


def test_stored_label_is_the_cleaned_one(ws):
    rid = ws.add_respondent("\u202bＡｎｎ\u200b  Smith ")
    assert ws.respondents().set_index("respondent_id").loc[rid, "label"] == "Ann Smith"


@pytest.mark.parametrize(
    ("typed", "role"),
    [
        ("Lead Member", "LM"),
        ("elected lead member", "LM"),
        ("LM", "LM"),
        ("Director of Children\u2019s Services", "DCS"),
        ("dcs", "DCS"),
        ("Senior officer", "Officer"),
        ("Mixed table", "Mixed"),
    ],
)
def test_every_screen_reads_the_same_role_spellings(ws, typed, role):
    assert match_role(typed) == role
    rid = ws.add_respondent(f"Person {typed}", role=typed)
    assert ws.respondents().set_index("respondent_id").loc[rid, "role"] == role


def test_facilitator_paste_box_accepts_lead_member(tmp_path):
    fac = Facilitator.create(tmp_path / "p.workshop.sqlite", title="Paste", held_on="2026-11-27")
    ids = fac.add_respondents("Ann, Lead Member, Derby\nBob, director, derby")
    table = fac.respondents().set_index("respondent_id")
    assert [table.loc[i, "role"] for i in ids] == ["LM", "DCS"]
    assert [table.loc[i, "authority"] for i in ids] == ["Derby", "Derby"]


def test_unknown_role_is_refused_in_plain_words(ws):
    with pytest.raises(AssuredKitError, match="'Chair' is not a role") as err:
        ws.add_respondent("Ann", role="Chair")
    assert "Lead Member" in str(err.value)


def test_fold_and_match_authority():
    assert fold("  Ｄｅｒｂｙ\u200b ") == "derby"
    assert match_authority("north  NORTHAMPTONSHIRE", ["North Northamptonshire"]) == (
        "North Northamptonshire"
    )
    assert match_authority("Northamptonshire", ["North Northamptonshire"]) is None


def test_clean_label_refuses_non_text():
    with pytest.raises(AssuredKitError, match="not text"):
        clean_label(3)


def test_percent_is_one_wording():
    assert [percent(v) for v in (0, 0.5, 1, None, float("nan"))] == ["0%", "50%", "100%", "–", "–"]
    assert percent(-0.27, signed=True) == "-27%"
