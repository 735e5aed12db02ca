"""Workshop files: every method, every validation error, reopening, upgrades and bad files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from assured_kit.errors import AssuredKitError
from assured_kit.framework import load_framework
from assured_kit.ratings import TIDY_COLUMNS, read_ratings
from assured_kit.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate
from assured_kit.store import (
    ACTION_STATUSES,
    ANONYMITY_MODES,
    RESPONDENT_ROLES,
    Workshop,
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(path: Path) -> tuple[int, int]:
    """Events and answer rows, read through a separate connection."""
    conn = sqlite3.connect(path)
    try:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        answers = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
    finally:
        conn.close()
    return events, answers


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "room.workshop.sqlite"


@pytest.fixture
def ws(path: Path):
    workshop = Workshop.create(
        path, title="East Midlands spring", held_on=dt.date(2026, 3, 14), venue="Leicester",
        facilitator="Sam",
    )
    yield workshop
    workshop.close()


@pytest.fixture
def ann(ws: Workshop) -> str:
    return ws.add_respondent("Ann", role="DCS", authority="Derby")


# --------------------------------------------------------------------------- create


def test_create_stores_details_and_marks_the_file(path: Path, ws: Workshop) -> None:
    details = ws.details
    assert details["title"] == "East Midlands spring"
    assert details["held_on"] == dt.date(2026, 3, 14)
    assert details["venue"] == "Leicester"
    assert details["facilitator"] == "Sam"
    assert details["scale_id"] == "confidence"
    assert details["themes"] == ["LA", "CR", "WF", "PR", "IN", "PM"]
    assert details["roles"] == ["DCS", "LM"]
    assert details["min_group"] == 3
    assert details["anonymity"] == "pseudonymous"
    assert details["authorities"] == load_framework().authorities
    assert details["synthetic"] is False
    assert details["schema_version"] == SCHEMA_VERSION
    assert details["created_at"].tzinfo is not None
    assert ws.title == "East Midlands spring" and ws.min_group == 3
    assert ws.anonymity == "pseudonymous" and ws.held_on == dt.date(2026, 3, 14)
    assert ws.scale.scale_id == "confidence" and ws.evidence_scale.scale_id == "evidence"
    assert len(ws.workshop_id) == 36
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert len(ws.questions()) == 47


def test_connection_settings(ws: Workshop) -> None:
    conn = ws._db()
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert conn.isolation_level is None


def test_create_scope_and_options(tmp_path: Path) -> None:
    with Workshop.create(
        tmp_path / "s.workshop.sqlite", title="Scoped", themes=["PM", "LA"], roles=["LM"],
        scale="audit", min_group=5, anonymity="anonymous", authorities=["Derby", "Rutland"],
        synthetic=True,
    ) as ws:
        assert ws.details["themes"] == ["LA", "PM"]  # framework order
        assert ws.questions()["question_id"].str.contains("-LM-").all()
        assert set(ws.questions()["theme_id"]) == {"LA", "PM"}
        assert ws.scale.scale_id == "audit"
        assert ws.details["authorities"] == ["Derby", "Rutland"]
        assert ws.details["synthetic"] is True and ws.anonymity == "anonymous"
        assert ws.min_group == 5
        with pytest.raises(AssuredKitError, match="not in this workshop's scope"):
            ws.record(ws.add_respondent("A"), "LA-DCS-1", 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "field 'title': the text is empty"),
        ({"title": 7}, "7 is not text"),
        ({"title": "x" * 201}, "201 characters long"),
        ({"held_on": "14/03/2026"}, "field 'held_on': '14/03/2026' is not a date"),
        ({"scale": "likert"}, "field 'scale': 'likert' is not a rating scale"),
        ({"scale": "evidence"}, "'evidence' is not a rating scale"),
        ({"themes": ["LA", "XX"]}, "field 'themes': 'XX' is not allowed"),
        ({"themes": ["la"]}, "did you mean 'LA'"),
        ({"themes": []}, "none were chosen"),
        ({"roles": ["Officer"]}, "field 'roles': 'Officer' is not allowed"),
        ({"min_group": 0}, "field 'min_group': min_group 0 is not a whole number of at least 1"),
        ({"min_group": True}, "min_group True is not a whole number"),
        ({"anonymity": "secret"}, "field 'anonymity': 'secret' is not allowed"),
        ({"authorities": "Derby"}, "must be a list of names"),
        ({"authorities": ["Derby", "derby"]}, "'derby' appears twice"),
        ({"synthetic": "yes"}, "field 'synthetic': 'yes' is not True or False"),
        ({"author": ""}, "field 'author': the text is empty"),
        ({"timeout": 0}, "field 'timeout'"),
        ({"framework": "content"}, "str is not a framework"),
    ],
)
def test_create_refuses_bad_details_and_creates_nothing(
    tmp_path: Path, kwargs: dict, message: str
) -> None:
    target = tmp_path / "bad.workshop.sqlite"
    args = {"title": "T", **kwargs}
    with pytest.raises(AssuredKitError, match=message):
        Workshop.create(target, **args)
    assert list(tmp_path.iterdir()) == []


def test_create_needs_the_suffix_a_new_name_and_a_writable_folder(tmp_path: Path) -> None:
    with pytest.raises(AssuredKitError, match=r"does not end with '\.workshop\.sqlite'"):
        Workshop.create(tmp_path / "room.sqlite", title="T")
    with pytest.raises(AssuredKitError, match=r"folder .* does not exist"):
        Workshop.create(tmp_path / "nope" / "a.workshop.sqlite", title="T")
    existing = tmp_path / "a.workshop.sqlite"
    existing.write_bytes(b"precious")
    with pytest.raises(AssuredKitError, match="already exists here and is never overwritten"):
        Workshop.create(existing, title="T")
    assert existing.read_bytes() == b"precious"
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(AssuredKitError, match="is read-only"):
            Workshop.create(locked / "a.workshop.sqlite", title="T")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.workshop.sqlite", "ro"]


# --------------------------------------------------------------------------- details


def test_update_details(ws: Workshop) -> None:
    before = len(ws.history())
    ws.update_details(title="Renamed", held_on="2026-04-01", min_group=4, themes=["WF"],
                      authorities=["Derby", "Leicester"], author="Sam")
    assert ws.title == "Renamed" and ws.held_on == dt.date(2026, 4, 1) and ws.min_group == 4
    assert ws.questions()["theme_id"].eq("WF").all()
    history = ws.history()
    assert len(history) == before + 1
    last = history.iloc[-1]
    assert last["kind"] == "workshop.update" and last["author"] == "Sam"
    assert last["detail"]["title"] == "Renamed" and "venue" not in last["detail"]
    ws.update_details(title="Renamed")  # no change, no event
    assert len(ws.history()) == before + 1
    ws.update_details(held_on=None)
    assert ws.held_on is None


def test_update_details_refusals_write_nothing(path: Path, ws: Workshop, ann: str) -> None:
    ws.record(ann, "LA-DCS-1", 3)
    before = counts(path)
    with pytest.raises(AssuredKitError, match="'colour' is not a workshop detail"):
        ws.update_details(colour="red")
    with pytest.raises(AssuredKitError, match="scale cannot change: the workshop already holds 1"):
        ws.update_details(scale="rag")
    with pytest.raises(AssuredKitError, match="Derby cannot leave the list"):
        ws.update_details(authorities=["Rutland"])
    with pytest.raises(AssuredKitError, match="field 'title': the text is empty"):
        ws.update_details(title="")
    assert counts(path) == before
    assert ws.title == "East Midlands spring"


# --------------------------------------------------------------------------- respondents


def test_add_and_update_respondents(ws: Workshop) -> None:
    a = ws.add_respondent("  Ann  ", role="DCS", authority="Derby")
    b = ws.add_respondent("Table 4", role="Mixed", kind="table", author="Sam")
    assert (a, b) == ("R0001", "R0002")
    table = ws.respondents()
    assert list(table.columns) == ["respondent_id", "label", "role", "authority", "kind",
                                   "created_at", "withdrawn"]
    assert table["label"].tolist() == ["Ann", "Table 4"]
    assert table["role"].tolist() == ["DCS", "Mixed"]
    assert list(table["role"].cat.categories) == list(RESPONDENT_ROLES)
    assert table["authority"].iloc[0] == "Derby" and pd.isna(table["authority"].iloc[1])
    assert table["kind"].tolist() == ["person", "table"]
    assert str(table["created_at"].dtype) == "datetime64[us, UTC]"
    ws.update_respondent(a, label="Ann B", role="LM", authority=None)
    row = ws.respondents().iloc[0]
    assert (row["label"], row["role"]) == ("Ann B", "LM") and pd.isna(row["authority"])
    ws.update_respondent(a, label="ann b")  # same label, other capitals: allowed for itself
    assert ws.respondents().iloc[0]["label"] == "ann b"
    kinds = ws.history()["kind"].tolist()
    assert kinds.count("respondent.add") == 2 and kinds.count("respondent.update") == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ws: ws.add_respondent(""), "field 'label': the text is empty"),
        (lambda ws: ws.add_respondent("   "), "the text is empty"),
        (lambda ws: ws.add_respondent("ANN"), "label 'ANN' is already used by respondent R0001"),
        (lambda ws: ws.add_respondent(" Ann "), "already used"),
        (lambda ws: ws.add_respondent("Bo", role="Chair"), "field 'role': 'Chair' is not a role"),
        (lambda ws: ws.add_respondent("Bo", kind="group"), "field 'kind': 'group'"),
        (lambda ws: ws.add_respondent("Bo", authority="Kent"),
         "'Kent' is not one of this workshop's authorities"),
        (lambda ws: ws.add_respondent("x" * 101), "101 characters long"),
        (lambda ws: ws.update_respondent("R0009", role="LM"), "no respondent 'R0009'"),
        (lambda ws: ws.update_respondent("R0001", role="XX"), "'XX' is not a role"),
    ],
)
def test_respondent_refusals_write_nothing(path: Path, ws: Workshop, ann: str, call, message
                                           ) -> None:
    ws.add_respondent("Bob")
    with pytest.raises(AssuredKitError, match=message):
        call(ws)
    # A label clash when renaming, too.
    with pytest.raises(AssuredKitError, match="already used by respondent R0002"):
        ws.update_respondent(ann, label="bob")
    assert counts(path) == (3, 0)
    assert ws.respondents()["label"].tolist() == ["Ann", "Bob"]


# --------------------------------------------------------------------------- answers


def test_record_and_the_tidy_table(ws: Workshop, ann: str) -> None:
    table_id = ws.add_respondent("Table 2", role="Mixed", kind="table")
    e1 = ws.record(ann, "LA-DCS-1", 4, evidence=2, note="  we audit  ")
    e2 = ws.record(table_id, "LA-DCS-1", dont_know=True, proxy=True)
    e3 = ws.record(ann, "PM-LM-5", 1, round=2, author="R0001")
    assert e1 < e2 < e3
    table = ws.ratings()
    assert list(table.columns) == TIDY_COLUMNS
    assert len(table) == 3
    first = table[(table["respondent_id"] == ann) & (table["question_id"] == "LA-DCS-1")].iloc[0]
    assert first["rating"] == 4 and first["evidence"] == 2 and first["note"] == "we audit"
    assert not first["dont_know"] and not first["proxy"]
    assert first["authority"] == "Derby" and first["respondent_label"] == "Ann"
    assert first["theme_id"] == "LA" and first["question_role"] == "DCS"
    assert first["workshop_title"] == "East Midlands spring" and first["scale"] == "confidence"
    assert first["held_on"] == pd.Timestamp("2026-03-14")
    dk = table[table["respondent_id"] == table_id].iloc[0]
    assert dk["dont_know"] and pd.isna(dk["rating"]) and dk["proxy"]
    assert dk["respondent_kind"] == "table" and dk["role"] == "Mixed"
    late = table[table["question_id"] == "PM-LM-5"].iloc[0]
    assert late["round"] == 2 and late["author"] == "R0001" and late["question_role"] == "LM"
    assert late["theme_id"] == "PM"


def test_tidy_dtypes(ws: Workshop, ann: str) -> None:
    ws.record(ann, "LA-DCS-1", 4)
    dtypes = ws.ratings().dtypes.astype(str).to_dict()
    assert dtypes["held_on"] == "datetime64[us]"
    assert dtypes["recorded_at"] == "datetime64[us, UTC]"
    for column in ("round", "rating", "evidence"):
        assert dtypes[column] == "Int64"
    for column in ("dont_know", "synthetic", "proxy"):
        assert dtypes[column] == "bool"
    for column in ("role", "question_role", "theme_id"):
        assert dtypes[column] == "category"
    for column in ("workshop_id", "workshop_title", "scale", "authority", "respondent_id",
                   "respondent_label", "respondent_kind", "question_id", "note", "author"):
        assert dtypes[column] == "str", column
    table = ws.ratings()
    assert list(table["theme_id"].cat.categories) == ["LA", "CR", "WF", "PR", "IN", "PM"]
    assert table["theme_id"].cat.ordered
    assert list(table["question_role"].cat.categories) == ["DCS", "LM"]
    assert list(table["role"].cat.categories) == list(RESPONDENT_ROLES)


def test_empty_workshop_gives_an_empty_typed_table(ws: Workshop) -> None:
    table = ws.ratings()
    assert list(table.columns) == TIDY_COLUMNS and len(table) == 0
    assert str(table["rating"].dtype) == "Int64"
    assert str(table["recorded_at"].dtype) == "datetime64[us, UTC]"


def test_latest_answer_wins_and_retract_hides_it(ws: Workshop, ann: str) -> None:
    ws.record(ann, "WF-DCS-1", 2, note="first")
    ws.record(ann, "WF-DCS-1", 5)
    ws.record(ann, "WF-DCS-1", 3, round=2)
    table = ws.ratings()
    assert sorted(zip(table["round"], table["rating"], strict=True)) == [(1, 5), (2, 3)]
    assert table["note"].isna().all()
    ws.retract(ann, "WF-DCS-1")
    assert ws.ratings()["round"].tolist() == [2]
    ws.record(ann, "WF-DCS-1", 1)
    assert sorted(ws.ratings()["rating"].tolist()) == [1, 3]
    kinds = ws.history()["kind"].tolist()
    assert kinds.count("answer.record") == 4 and kinds.count("answer.retract") == 1


def test_retract_refusals(path: Path, ws: Workshop, ann: str) -> None:
    before = counts(path)
    with pytest.raises(AssuredKitError, match="has no answer to LA-DCS-1 in round 1 to withdraw"):
        ws.retract(ann, "LA-DCS-1")
    ws.record(ann, "LA-DCS-1", 3)
    ws.retract(ann, "LA-DCS-1")
    after = counts(path)
    with pytest.raises(AssuredKitError, match="to withdraw"):
        ws.retract(ann, "LA-DCS-1")
    with pytest.raises(AssuredKitError, match="no respondent 'R0042'"):
        ws.retract("R0042", "LA-DCS-1")
    with pytest.raises(AssuredKitError, match="field 'round'"):
        ws.retract(ann, "LA-DCS-1", round=3)
    assert counts(path) == after == (before[0] + 2, before[1] + 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "field 'rating': no rating was given"),
        ({"rating": 6}, "field 'rating': 6 is not a level of the Confidence scale"),
        ({"rating": 0}, "0 is not a level"),
        ({"rating": "4"}, "'4' is not a level.*ws.scale.parse"),
        ({"rating": True}, "True is not a level"),
        ({"rating": 3.5}, "3.5 is not a level"),
        ({"rating": 4, "dont_know": True}, r"both a rating \(4\) and dont_know=True"),
        ({"dont_know": "yes"}, "field 'dont_know': 'yes' is not True or False"),
        ({"rating": 4, "evidence": 4}, "field 'evidence': 4 is not an evidence level"),
        ({"rating": 4, "evidence": -1}, "-1 is not an evidence level"),
        ({"rating": 4, "round": 3}, "field 'round': 3 is not a round"),
        ({"rating": 4, "round": 0}, "0 is not a round"),
        ({"rating": 4, "note": "x" * 2001}, "field 'note': the text is 2001 characters long"),
        ({"rating": 4, "note": 12}, "12 is not text"),
        ({"rating": 4, "proxy": 1}, "field 'proxy': 1 is not True or False"),
        ({"rating": 4, "author": "  "}, "field 'author': the text is empty"),
    ],
)
def test_record_refusals_write_nothing(path: Path, ws: Workshop, ann: str, kwargs: dict,
                                       message: str) -> None:
    before = counts(path)
    with pytest.raises(AssuredKitError, match=message):
        ws.record(ann, "LA-DCS-1", **kwargs)
    assert counts(path) == before
    assert ws.ratings().empty


def test_record_refuses_unknown_respondents_and_questions(path: Path, ws: Workshop, ann: str
                                                          ) -> None:
    before = counts(path)
    with pytest.raises(AssuredKitError, match=r"no respondent 'Ann'.*R0001.*label given instead"):
        ws.record("Ann", "LA-DCS-1", 3)
    with pytest.raises(AssuredKitError, match="field 'question_id': no question 'la-dcs-1'"):
        ws.record(ann, "la-dcs-1", 3)
    with pytest.raises(AssuredKitError, match="no question 'LA-DCS-99'"):
        ws.record(ann, "LA-DCS-99", 3)
    assert counts(path) == before
    # A note of exactly 2000 characters and an integer-valued float are fine.
    ws.record(ann, "LA-DCS-1", 3.0, note="y" * 2000, evidence=0)
    assert ws.ratings()["note"].str.len().tolist() == [2000]


def test_record_returns_only_after_the_answer_is_visible_to_other_readers(
    path: Path, ws: Workshop, ann: str
) -> None:
    ws.record(ann, "LA-DCS-1", 3)
    assert counts(path)[1] == 1  # another connection sees it straight away


# --------------------------------------------------------------------------- batch


def test_batch_is_all_or_nothing(path: Path, ws: Workshop, ann: str) -> None:
    before = counts(path)
    with pytest.raises(AssuredKitError, match="9 is not a level"), ws.batch():
        ws.record(ann, "LA-DCS-1", 3)
        ws.add_respondent("Cy")
        ws.record(ann, "LA-DCS-2", 9)
    assert counts(path) == before
    assert ws.ratings().empty and len(ws.respondents()) == 1
    with ws.batch() as same:
        assert same is ws
        for number in range(1, 5):
            ws.record(ann, f"LA-DCS-{number}", number)
        rid = ws.add_respondent("Cy")
        ws.record(rid, "LA-DCS-1", 5)
        # Inside the batch the writes are visible to this workshop, not yet to others.
        assert counts(path) == before
        assert len(ws.ratings()) == 5
    assert counts(path) == (before[0] + 6, before[1] + 5)


def test_batch_rolls_back_on_any_exception(path: Path, ws: Workshop, ann: str) -> None:
    before = counts(path)
    with pytest.raises(KeyError), ws.batch():
        ws.record(ann, "LA-DCS-1", 3)
        raise KeyError("boom")
    assert counts(path) == before
    ws.record(ann, "LA-DCS-1", 3)  # the workshop is still usable
    assert len(ws.ratings()) == 1


# --------------------------------------------------------------------------- actions, examples


def test_actions(ws: Workshop) -> None:
    a1 = ws.add_action("Audit supervision", owner="AD Quality", due="2026-06-30",
                       question_id="WF-DCS-2")
    a2 = ws.add_action("Brief members", theme_id="PM", status="in progress", author="Sam")
    assert (a1, a2) == ("A0001", "A0002")
    ws.update_action(a1, status="done", due=None, owner="Head of QA")
    ws.update_action(a2, what="Brief all members", due=dt.date(2026, 5, 1))
    table = ws.actions()
    assert list(table.columns) == ["action_id", "theme_id", "question_id", "what", "owner",
                                   "due", "status", "created_at", "updated_at"]
    one, two = table.iloc[0], table.iloc[1]
    assert (one["theme_id"], one["question_id"], one["status"], one["owner"]) == (
        "WF", "WF-DCS-2", "done", "Head of QA")
    assert pd.isna(one["due"]) and one["updated_at"] >= one["created_at"]
    assert two["what"] == "Brief all members" and two["due"] == pd.Timestamp("2026-05-01")
    assert pd.isna(two["question_id"]) and two["status"] == "in progress"
    assert list(table["status"].cat.categories) == list(ACTION_STATUSES)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ws: ws.add_action(""), "field 'what': the text is empty"),
        (lambda ws: ws.add_action("x", status="closed"), "field 'status': 'closed'"),
        (lambda ws: ws.add_action("x", due="next week"), "field 'due': 'next week' is not a date"),
        (lambda ws: ws.add_action("x", theme_id="ZZ"), "field 'theme_id': 'ZZ' is not allowed"),
        (lambda ws: ws.add_action("x", theme_id="LA", question_id="WF-DCS-1"),
         "question WF-DCS-1 belongs to theme WF, not 'LA'"),
        (lambda ws: ws.add_action("x", question_id="WF-DCS-99"), "no question 'WF-DCS-99'"),
        (lambda ws: ws.update_action("A0009", status="done"), "no action 'A0009'"),
        (lambda ws: ws.update_action("A0001", status="finished"), "'finished' is not allowed"),
    ],
)
def test_action_refusals_write_nothing(path: Path, ws: Workshop, call, message: str) -> None:
    ws.add_action("Existing")
    before = counts(path)
    with pytest.raises(AssuredKitError, match=message):
        call(ws)
    assert counts(path) == before


def test_examples_and_notes(ws: Workshop) -> None:
    x = ws.add_example("Joint audits with health", theme_id="CR", question_id="CR-DCS-1",
                       role="DCS", authority="Rutland", consent_to_share=True)
    ws.add_example("Shadowing", theme_id="WF")
    assert x == "X0001"
    table = ws.examples()
    assert list(table.columns) == ["example_id", "theme_id", "question_id", "text", "role",
                                   "authority", "consent_to_share", "created_at"]
    assert table["consent_to_share"].tolist() == [True, False]
    assert table["theme_id"].tolist() == ["CR", "WF"] and table["role"].iloc[0] == "DCS"
    n = ws.add_note("Split room", question_id="PR-LM-2", author="Sam")
    ws.add_note("General")
    notes = ws.notes()
    assert n == "N0001" and notes["note_id"].tolist() == ["N0001", "N0002"]
    assert notes["theme_id"].iloc[0] == "PR" and pd.isna(notes["theme_id"].iloc[1])
    assert notes["author"].tolist() == ["Sam", "facilitator"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ws: ws.add_example("x", theme_id=None), "field 'theme_id': no theme was given"),
        (lambda ws: ws.add_example("", theme_id="LA"), "field 'text': the text is empty"),
        (lambda ws: ws.add_example("x", theme_id="LA", role="Boss"), "field 'role'"),
        (lambda ws: ws.add_example("x", theme_id="LA", authority="Kent"), "'Kent' is not one"),
        (lambda ws: ws.add_example("x", theme_id="LA", consent_to_share="yes"),
         "field 'consent_to_share'"),
        (lambda ws: ws.add_note(" "), "field 'text': the text is empty"),
        (lambda ws: ws.add_note("x" * 2001), "2001 characters"),
        (lambda ws: ws.add_note("x", theme_id="QQ"), "'QQ' is not allowed"),
    ],
)
def test_example_and_note_refusals_write_nothing(path: Path, ws: Workshop, call, message: str
                                                 ) -> None:
    before = counts(path)
    with pytest.raises(AssuredKitError, match=message):
        call(ws)
    assert counts(path) == before


# --------------------------------------------------------------------------- session


def test_session(ws: Workshop) -> None:
    assert ws.session() == {"question_id": None, "round": 1, "revealed": False, "closed": False}
    ws.set_session(question_id="LA-DCS-1")
    ws.set_session(revealed=True, round=2)
    ws.set_session(revealed=True)  # nothing changes, no event
    ws.set_session(closed=True, question_id=None)
    assert ws.session() == {"question_id": None, "round": 2, "revealed": True, "closed": True}
    events = ws.history()
    sessions = events[events["kind"] == "session.set"]["detail"].tolist()
    assert sessions == [{"question_id": "LA-DCS-1"}, {"round": 2, "revealed": True},
                        {"question_id": None, "closed": True}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question_id": "XX-DCS-1"}, "no question 'XX-DCS-1'"),
        ({"round": 3}, "field 'round'"),
        ({"revealed": "yes"}, "field 'revealed'"),
        ({"closed": None}, "field 'closed'"),
        ({"author": ""}, "field 'author'"),
    ],
)
def test_session_refusals_write_nothing(path: Path, ws: Workshop, kwargs: dict, message: str
                                        ) -> None:
    before = counts(path)
    with pytest.raises(AssuredKitError, match=message):
        ws.set_session(**kwargs)
    assert counts(path) == before


# --------------------------------------------------------------------------- history and log


def test_history_lists_every_event(ws: Workshop, ann: str) -> None:
    ws.record(ann, "LA-DCS-1", 3, author="R0001")
    history = ws.history()
    assert list(history.columns) == ["event_id", "at", "author", "kind", "subject", "detail"]
    assert history["kind"].tolist() == ["workshop.create", "respondent.add", "answer.record"]
    assert history["event_id"].is_monotonic_increasing
    assert str(history["at"].dtype) == "datetime64[us, UTC]"
    assert history["author"].tolist() == ["facilitator", "facilitator", "R0001"]
    assert history["subject"].iloc[2] == "R0001/LA-DCS-1/1"
    assert history["detail"].iloc[2]["rating"] == 3


def test_the_log_is_append_only(path: Path, ws: Workshop, ann: str) -> None:
    ws.record(ann, "LA-DCS-1", 3)
    conn = sqlite3.connect(path)
    try:
        for sql in ("UPDATE answers SET rating = 1", "DELETE FROM answers",
                    "UPDATE events SET author = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
        stored = conn.execute("SELECT at FROM events").fetchall()
    finally:
        conn.close()
    for (at,) in stored:
        assert at.endswith("Z") and dt.datetime.fromisoformat(at).tzinfo is not None


def test_closed_workshop_refuses_work(ws: Workshop, ann: str) -> None:
    ws.close()
    ws.close()
    assert ws.closed
    with pytest.raises(AssuredKitError, match="the workshop is closed"):
        ws.record(ann, "LA-DCS-1", 3)
    with pytest.raises(AssuredKitError, match="closed"):
        ws.ratings()
    assert "closed" in repr(ws)


# --------------------------------------------------------------------------- reopening


def test_reopen_exactly(path: Path) -> None:
    with Workshop.create(path, title="Resume me", held_on="2026-02-02", themes=["LA", "WF"],
                         min_group=4, anonymity="named") as ws:
        a = ws.add_respondent("Ann", authority="Derby")
        b = ws.add_respondent("Table 1", role="Mixed", kind="table")
        ws.update_respondent(b, authority="Rutland")
        ws.record(a, "LA-DCS-1", 4, evidence=3, note="=SUM(A1)")
        ws.record(b, "LA-DCS-1", dont_know=True, proxy=True)
        ws.record(a, "WF-LM-2", 2, round=2)
        ws.retract(a, "WF-LM-2", round=2)
        action = ws.add_action("Do", owner="Me", due="2026-03-01", theme_id="WF")
        ws.update_action(action, status="in progress")
        ws.add_example("Ex", theme_id="LA", consent_to_share=True)
        ws.add_note("N", question_id="WF-DCS-1")
        ws.set_session(question_id="WF-DCS-1", round=2, revealed=True)
        ws.update_details(venue="Derby")
        saved = {
            "details": ws.details, "session": ws.session(), "respondents": ws.respondents(),
            "actions": ws.actions(), "examples": ws.examples(), "notes": ws.notes(),
            "ratings": ws.ratings(), "history": ws.history(), "questions": ws.questions(),
            "id": ws.workshop_id,
        }
    with Workshop.open(path) as again:
        assert again.workshop_id == saved["id"]
        assert again.details == saved["details"]
        assert again.session() == saved["session"]
        for name in ("respondents", "actions", "examples", "notes", "ratings", "history",
                     "questions"):
            pd.testing.assert_frame_equal(getattr(again, name)(), saved[name], obj=name)
        # and it carries on where it stopped
        assert again.add_respondent("New") == "R0003"
        assert again.add_action("Two") == "A0002"


def test_two_workshop_objects_see_each_others_writes(path: Path, ws: Workshop, ann: str) -> None:
    with Workshop.open(path) as other:
        other.update_details(title="Changed elsewhere")
        other.record(ann, "LA-DCS-1", 2)
        assert ws.title == "Changed elsewhere"
        assert ws.ratings()["rating"].tolist() == [2]


# --------------------------------------------------------------------------- upgrades


def build_v1(path: Path) -> str:
    """A workshop file exactly as schema version 1 left it, written by hand."""
    fw = load_framework()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrate(conn, 0, target=1)
    detail = {
        "title": "Old one", "held_on": "2025-01-20", "venue": "", "facilitator": "",
        "scale": "confidence", "themes": ["LA"], "roles": ["DCS"], "min_group": 3,
        "anonymity": "pseudonymous", "authorities": ["Derby"], "synthetic": False,
        "questions": [[q, "LA", "DCS"] for q in fw.questions_for("LA", "DCS")["question_id"]],
        "theme_order": ["LA", "CR", "WF", "PR", "IN", "PM"],
    }
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("workshop_id", "old-workshop"), ("created_at", "2025-01-20T09:00:00.000000Z")],
    )
    rows = [
        ("2025-01-20T09:00:00.000000Z", "facilitator", "workshop.create", "old-workshop", detail),
        ("2025-01-20T09:01:00.000000Z", "facilitator", "respondent.add", "R0001",
         {"label": "Ann", "role": "DCS", "authority": "Derby", "kind": "person"}),
    ]
    for at, author, kind, subject, data in rows:
        conn.execute("INSERT INTO events (at, author, kind, subject, detail) VALUES (?,?,?,?,?)",
                     (at, author, kind, subject, json.dumps(data)))
    for n, rating in ((1, 2), (2, 5)):
        at = f"2025-01-20T09:0{n + 1}:00.000000Z"
        cur = conn.execute(
            "INSERT INTO events (at, author, kind, subject, detail) VALUES (?,?,?,?,?)",
            (at, "facilitator", "answer.record", f"R0001/LA-DCS-{n}/1", "{}"))
        conn.execute(
            "INSERT INTO answers (event_id, kind, respondent_id, question_id, round, rating, "
            "dont_know, evidence, note, author, at) VALUES (?, 'record', 'R0001', ?, 1, ?, 0, "
            "NULL, NULL, 'facilitator', ?)", (cur.lastrowid, f"LA-DCS-{n}", rating, at))
    conn.execute("COMMIT")
    conn.close()
    return "old-workshop"


def test_migrations_cover_every_version() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_read_ratings_reads_an_older_file_without_changing_it(tmp_path: Path) -> None:
    old = tmp_path / "old.workshop.sqlite"
    build_v1(old)
    digest = sha(old)
    table = read_ratings(old)
    assert sha(old) == digest
    assert table["rating"].tolist() == [2, 5] and not table["proxy"].any()


def test_opening_an_older_file_upgrades_it(tmp_path: Path) -> None:
    old = tmp_path / "old.workshop.sqlite"
    build_v1(old)
    with Workshop.open(old) as ws:
        assert ws.workshop_id == "old-workshop" and ws.title == "Old one"
        table = ws.ratings()
        assert table["rating"].tolist() == [2, 5] and not table["proxy"].any()
        assert table["recorded_at"].iloc[0] == pd.Timestamp("2025-01-20T09:02:00Z")
        ws.record("R0001", "LA-DCS-3", 4, proxy=True)
        assert ws.ratings()["proxy"].tolist() == [False, False, True]
    conn = sqlite3.connect(old)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(answers)")}
        assert "answers_latest" in indexes
    finally:
        conn.close()


# --------------------------------------------------------------------------- bad files


def another_apps_database(path: Path, application_id: int = 0) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    if application_id:
        conn.execute(f"PRAGMA application_id = {application_id}")
    conn.commit()
    conn.close()


def test_random_bytes_are_refused_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "noise.workshop.sqlite"
    bad.write_bytes(os.urandom(4096))
    digest = sha(bad)
    message = r"noise\.workshop\.sqlite: this is not a workshop file: it is not an SQLite database"
    with pytest.raises(AssuredKitError, match=message):
        Workshop.open(bad)
    with pytest.raises(AssuredKitError, match="not an SQLite database"):
        read_ratings(bad)
    assert sha(bad) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noise.workshop.sqlite"]


def test_empty_and_missing_files_and_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty.workshop.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(AssuredKitError, match=r"not an SQLite database \(the file is empty\)"):
        Workshop.open(empty)
    assert empty.read_bytes() == b""
    with pytest.raises(AssuredKitError, match=r"there is no file here.*Workshop\.create"):
        Workshop.open(tmp_path / "missing.workshop.sqlite")
    assert not (tmp_path / "missing.workshop.sqlite").exists()
    with pytest.raises(AssuredKitError, match="this is a folder, not a workshop file"):
        Workshop.open(tmp_path)


@pytest.mark.parametrize("application_id", [0, 0x12345678])
def test_another_applications_database_is_refused_untouched(tmp_path: Path, application_id: int
                                                            ) -> None:
    other = tmp_path / "other.workshop.sqlite"
    another_apps_database(other, application_id)
    digest = sha(other)
    with pytest.raises(AssuredKitError, match="belongs to another application.*"
                       f"application_id is {application_id:#010x}"):
        Workshop.open(other)
    with pytest.raises(AssuredKitError, match="another application"):
        read_ratings(other)
    assert sha(other) == digest


def test_a_newer_workshop_is_refused_untouched(path: Path) -> None:
    Workshop.create(path, title="From the future").close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    digest = sha(path)
    with pytest.raises(AssuredKitError, match=f"newer version of the kit \\(schema version "
                       f"{SCHEMA_VERSION + 1}; this kit reads up to {SCHEMA_VERSION}\\).*upgrade"):
        Workshop.open(path)
    with pytest.raises(AssuredKitError, match="newer version"):
        read_ratings(path)
    assert sha(path) == digest


def test_an_unfinished_file_is_refused(tmp_path: Path) -> None:
    half = tmp_path / "half.workshop.sqlite"
    conn = sqlite3.connect(half)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    digest = sha(half)
    with pytest.raises(AssuredKitError, match="never finished"):
        Workshop.open(half)
    assert sha(half) == digest


def test_a_read_only_file_is_refused_untouched(path: Path) -> None:
    with Workshop.create(path, title="RO") as ws:
        ws.add_respondent("Ann")
    digest = sha(path)
    path.chmod(0o444)
    try:
        with pytest.raises(AssuredKitError, match=r"the workshop file is read-only.*read_ratings"):
            Workshop.open(path)
        assert sha(path) == digest
        # Reading it for analysis still works, and changes nothing.
        assert read_ratings(path).empty
        assert sha(path) == digest
    finally:
        path.chmod(0o644)


def test_a_read_only_folder_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "a.workshop.sqlite"
    Workshop.create(path, title="RO folder").close()
    digest = sha(path)
    folder.chmod(0o555)
    try:
        with pytest.raises(AssuredKitError, match=r"the folder .*archive' is read-only"):
            Workshop.open(path)
        assert sha(path) == digest
        assert sorted(p.name for p in folder.iterdir()) == ["a.workshop.sqlite"]
    finally:
        folder.chmod(0o755)


@pytest.mark.slow
def test_a_file_locked_past_the_timeout_is_refused_untouched(path: Path) -> None:
    with Workshop.create(path, title="Locked") as ws:
        ws.add_respondent("Ann")
    digest = sha(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, sys, time
            conn = sqlite3.connect({str(path)!r}, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(AssuredKitError, match=r"stayed locked by another program for longer "
                           r"than 0\.5 s"):
            Workshop.open(path, timeout=0.5)
        assert sha(path) == digest
    finally:
        holder.kill()
        holder.wait()
    with Workshop.open(path) as ws:  # fine once the lock is gone
        assert ws.respondents()["label"].tolist() == ["Ann"]


def test_a_write_blocked_past_the_timeout_is_refused_and_nothing_is_written(path: Path) -> None:
    with Workshop.create(path, title="Busy", timeout=0.2) as ws:
        rid = ws.add_respondent("Ann")
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(AssuredKitError, match=r"longer than 0\.2 s"):
                ws.record(rid, "LA-DCS-1", 3)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert ws.ratings().empty
        ws.record(rid, "LA-DCS-1", 3)
        assert len(ws.ratings()) == 1


def test_open_checks_the_framework(tmp_path: Path, framework_copy: Path) -> None:
    questions = framework_copy / "questions.csv"
    lines = questions.read_text(encoding="utf-8").splitlines(keepends=True)
    questions.write_text("".join(line for line in lines if not line.startswith("PM-LM-5,")),
                         encoding="utf-8")
    smaller = load_framework(framework_copy)
    path = tmp_path / "f.workshop.sqlite"
    Workshop.create(path, title="F").close()
    digest = sha(path)
    with pytest.raises(AssuredKitError, match="questions this framework does not have: PM-LM-5"):
        Workshop.open(path, framework=smaller)
    assert sha(path) == digest
    with Workshop.create(tmp_path / "g.workshop.sqlite", title="G", framework=smaller) as ws:
        assert len(ws.questions()) == 46 and ws.framework is smaller


def test_permissions_of_a_new_file_are_ordinary(path: Path, ws: Workshop) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o600 == 0o600


def test_roles_and_modes_constants() -> None:
    assert RESPONDENT_ROLES == ("DCS", "LM", "Officer", "Mixed")
    assert ANONYMITY_MODES == ("named", "pseudonymous", "anonymous")


def test_a_single_file_copy_is_switched_back_to_wal(path: Path) -> None:
    Workshop.create(path, title="Copy").close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    with Workshop.open(path) as ws:
        assert ws._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ws.title == "Copy"


def test_a_caught_error_inside_a_batch_undoes_only_that_call(path: Path, ws: Workshop, ann: str
                                                             ) -> None:
    before = counts(path)
    with ws.batch():
        ws.record(ann, "LA-DCS-1", 3)
        with pytest.raises(AssuredKitError, match="already used"):
            ws.add_respondent("Ann")
        # a failure after the event row was written is undone too
        with pytest.raises(sqlite3.IntegrityError), ws._write() as conn:
            ws._append(conn, "note.add", "N0001", {"text": "x"}, "facilitator")
            conn.execute("INSERT INTO answers (event_id, kind) VALUES (1, 'bogus')")
        ws.record(ann, "LA-DCS-2", 4)
    assert counts(path) == (before[0] + 2, before[1] + 2)
    assert ws.notes().empty


def test_an_older_file_with_the_wrong_framework_is_refused_before_upgrading(
    tmp_path: Path, framework_copy: Path
) -> None:
    last = load_framework().questions_for("LA", "DCS")["question_id"].iloc[-1]
    questions = framework_copy / "questions.csv"
    lines = questions.read_text(encoding="utf-8").splitlines(keepends=True)
    questions.write_text("".join(x for x in lines if not x.startswith(f"{last},")),
                         encoding="utf-8")
    old = tmp_path / "old.workshop.sqlite"
    build_v1(old)
    digest = sha(old)
    with pytest.raises(AssuredKitError, match=f"questions this framework does not have: {last}"):
        Workshop.open(old, framework=load_framework(framework_copy))
    assert sha(old) == digest
    conn = sqlite3.connect(old)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        conn.close()


def test_answers_keep_their_theme_after_the_scope_narrows(ws: Workshop, ann: str) -> None:
    ws.record(ann, "WF-DCS-1", 2)
    ws.update_details(themes=["LA"])
    with pytest.raises(AssuredKitError, match="not in this workshop's scope"):
        ws.record(ann, "WF-DCS-2", 2)
    row = ws.ratings().iloc[0]
    assert (row["question_id"], row["theme_id"], row["question_role"]) == ("WF-DCS-1", "WF", "DCS")


def test_answers_by_an_unlisted_respondent_are_reported(path: Path, ws: Workshop, ann: str
                                                        ) -> None:
    ws.record(ann, "LA-DCS-1", 2)
    ws.close()
    conn = sqlite3.connect(path)  # another tool writes a row the kit would refuse
    cur = conn.execute("INSERT INTO events (at, author, kind) VALUES "
                       "('2026-01-01T00:00:00.000000Z', 'x', 'answer.record')")
    conn.execute("INSERT INTO answers (event_id, kind, respondent_id, question_id, round, rating,"
                 " author, at) VALUES (?, 'record', 'R0099', 'LA-DCS-1', 1, 3, 'x', "
                 "'2026-01-01T00:00:00.000000Z')", (cur.lastrowid,))
    conn.commit()
    conn.close()
    with pytest.raises(AssuredKitError, match="refers to respondent 'R0099', whom the file"):
        read_ratings(path)


def test_other_parts_of_the_kit_can_log_their_own_events(path: Path, ws: Workshop) -> None:
    assert ws.latest_event("live.code") is None
    first = ws.log_event("live.code", {"code": "abc"}, author="Sam")
    ws.log_event("live.device", {"token": "t1"}, subject="R0001")
    ws.log_event("live.device", {"token": "t2"}, subject="R0002")
    second = ws.log_event("live.code", {"code": None})
    latest = ws.latest_event("live.code")
    assert latest is not None and latest["event_id"] == second and latest["detail"] == {
        "code": None}
    assert latest["subject"] == ws.workshop_id and latest["at"].tzinfo is not None
    assert ws.latest_event("live.device", where=("token", "t1"))["subject"] == "R0001"
    assert ws.latest_event("live.device", subject="R0002")["detail"] == {"token": "t2"}
    assert ws.latest_event("live.device", where=("token", "zz")) is None
    assert first < second and ws.history()["kind"].tolist().count("live.device") == 2
    before = counts(path)
    for kind, message in (("answer.record", "one of the store's own kinds"),
                          ("Live", "'Live' is not an event kind"),
                          ("live", "'live' is not an event kind")):
        with pytest.raises(AssuredKitError, match=message):
            ws.log_event(kind, {})
    with pytest.raises(AssuredKitError, match="cannot be stored as JSON"):
        ws.log_event("live.code", {"when": dt.date(2026, 1, 1)})
    assert counts(path) == before
