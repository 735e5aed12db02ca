"""A withdrawn respondent's answers no longer count anywhere, and bringing them back restores them.

Withdrawal is one ``respondent.update`` event folded by the read model (`assured_kit.tidy`), so
the tidy table, `read_ratings`, the summaries, the report and the exports all agree; the answers
themselves stay in the file and its history.
"""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from openpyxl import load_workbook

import assured_kit as ak
from assured_kit.errors import AssuredKitError
from assured_kit.facilitator import Facilitator
from assured_kit.report import workshop_report

# Four Directors from four authorities rate two questions; "Dana" is the one withdrawn. Her note
# is the only one with this marker, so its presence in an export shows her answer was used (the
# report never shows one person's note; there her rating shows in the counts and shares).
MARK = "Dana note 7731"
PEOPLE = [("Ann", "Derby", 4), ("Ben", "Rutland", 4), ("Cat", "Leicester", 5),
          ("Dana", "Nottingham", 1)]


@pytest.fixture
def workshop(tmp_path):
    ws = ak.Workshop.create(tmp_path / "w.workshop.sqlite", title="Withdrawal", min_group=3)
    ids = {}
    for label, authority, rating in PEOPLE:
        ids[label] = rid = ws.add_respondent(label, role="DCS", authority=authority)
        note = MARK if label == "Dana" else f"{label} audited this in June"
        ws.record(rid, "LA-DCS-1", rating=rating, evidence=2, note=note)
        ws.record(rid, "LA-DCS-2", rating=3)
    yield ws, ids
    ws.close()


def _exports(ws, folder, tag):
    """The workshop's CSV export as text and its workbook's answers and respondents as rows."""
    csv = ws.export(folder / f"{tag}.csv").read_text(encoding="utf-8-sig")
    book = load_workbook(ws.export(folder / f"{tag}.xlsx"), read_only=True)
    sheets = {name: list(book[name].iter_rows(values_only=True))
              for name in ("Answers", "Respondents")}
    book.close()
    return csv, sheets


def test_withdrawn_answers_count_nowhere_and_return_when_brought_back(workshop, tmp_path):
    ws, ids = workshop
    dana = ids["Dana"]
    before = ws.ratings()
    csv, sheets = _exports(ws, tmp_path, "before")
    # Dana shows in the exports while she counts (so her absence below means something).
    assert MARK in csv
    assert any("Dana" in row for row in sheets["Respondents"])
    assert by_q(before)["n_respondents"] == 4

    ws.update_respondent(dana, withdrawn=True)
    after = ws.ratings()
    assert dana not in set(after["respondent_id"]) and len(after) == len(before) - 2
    assert dana not in set(ak.read_ratings(ws.path)["respondent_id"])
    summary = by_q(after)
    assert summary["n_respondents"] == 3 and summary["n_1"] == 0 and summary["bottom_share"] == 0
    csv, sheets = _exports(ws, tmp_path, "after")
    assert MARK not in csv and "Dana" not in csv
    assert not any("Dana" in row or MARK in row for rows in sheets.values() for row in rows)
    # The report (one build, to keep the suite fast) counts three people: with Dana it says
    # "answers from 4 people" and "bottom 25%".
    html = workshop_report(ws, tmp_path / "after.html").read_text(encoding="utf-8")
    assert "answers from 3 people" in html and "bottom 0%, n = 3 people" in html
    assert "answers from 4 people" not in html and "Dana" not in html
    # An export of the withdrawn state reads back without her.
    assert dana not in set(ak.read_ratings(tmp_path / "after.csv")["respondent_id"])

    # Kept in the file and its history; listed as withdrawn.
    kinds = ws.history()["kind"]
    assert (kinds == "answer.record").sum() == 8
    people = ws.respondents().set_index("respondent_id")
    assert people.loc[dana, "withdrawn"] and not people.loc[ids["Ann"], "withdrawn"]

    ws.update_respondent(dana, withdrawn=False)  # undo: a new event, everything back
    pd.testing.assert_frame_equal(ws.ratings(), before)
    assert by_q(ws.ratings())[["n_respondents", "n_1"]].tolist() == [4, 1]
    assert MARK in ws.export(tmp_path / "undone.csv").read_text(encoding="utf-8-sig")
    assert (ws.history()["kind"] == "respondent.update").sum() == 2


def by_q(ratings):
    """The summary row of LA-DCS-1 (round 1)."""
    table = ak.by_question(ratings, min_group=3)
    return table.set_index("question_id").loc["LA-DCS-1"]


def test_withdrawing_is_checked_and_idempotent(workshop):
    ws, ids = workshop
    with pytest.raises(AssuredKitError, match="withdrawn must be True or False"):
        ws.update_respondent(ids["Ann"], withdrawn="yes")
    with pytest.raises(AssuredKitError, match="no respondent"):
        ws.update_respondent("R9999", withdrawn=True)
    events = len(ws.history())
    ws.update_respondent(ids["Ann"], withdrawn=False)  # not withdrawn: nothing to write
    assert len(ws.history()) == events


def test_withdrawals_written_by_the_earlier_console_are_read(workshop):
    """Files where the console logged ``console.withdrawn`` read the same way."""
    ws, ids = workshop
    ws.log_event("console.withdrawn", {"withdrawn": True}, subject=ids["Ben"])
    assert ids["Ben"] not in set(ws.ratings()["respondent_id"])
    assert ids["Ben"] not in set(ak.read_ratings(ws.path)["respondent_id"])
    assert ws.respondents().set_index("respondent_id").loc[ids["Ben"], "withdrawn"]
    ws.update_respondent(ids["Ben"], withdrawn=False)
    assert ids["Ben"] in set(ws.ratings()["respondent_id"])


def test_the_console_withdraws_through_the_store(workshop):
    ws, ids = workshop
    path = ws.path
    ws.close()
    fac = Facilitator.open(path)
    try:
        fac.open_question("LA-DCS-1")
        assert fac.answer(ids["Cat"]).rating == 5
        fac.withdraw_respondent(ids["Cat"])
        assert fac.withdrawn() == {ids["Cat"]}
        assert ids["Cat"] not in set(fac.respondents()["respondent_id"])
        fac.refresh()  # e.g. another device voted: the answers are read again, hers left out
        assert fac.answer(ids["Cat"]) is None and len(fac.answers()) == 3
        fac.withdraw_respondent(ids["Cat"], withdrawn=False)  # back, and so is her answer
        assert fac.answer(ids["Cat"]).rating == 5 and len(fac.answers()) == 4
        fac.withdraw_respondent(ids["Cat"])
    finally:
        fac.close()
    with sqlite3.connect(path) as conn:  # one event of the store's own kind
        kind, detail = conn.execute(
            "SELECT kind, detail FROM events ORDER BY event_id DESC LIMIT 1").fetchone()
    conn.close()
    assert (kind, json.loads(detail)) == ("respondent.update", {"withdrawn": True})
    assert ids["Cat"] not in set(ak.read_ratings(path)["respondent_id"])
