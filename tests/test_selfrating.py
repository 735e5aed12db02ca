"""Self-rating: answers held in memory, one's own profile, and a save only when chosen."""

from __future__ import annotations

import os
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit import AssuredKitError, load_framework
from assured_kit.ratings import TIDY_COLUMNS, read_ratings
from assured_kit.selfrating import SelfRating, SelfRatingApp, self_rating_app
from assured_kit.store import Workshop

NOTE = '=HYPERLINK("http://evil.example","<b>click</b>")'


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def quiet_home(tmp_path, monkeypatch) -> Path:
    """Run in an empty folder, with HOME and the kit's home pointed into it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ASSURED_KIT_HOME", str(home / "kit"))
    return tmp_path


# ----------------------------------------------------------------------------- the model


def test_questions_follow_the_role_and_themes():
    fw = load_framework()
    assert SelfRating(role="DCS").question_ids == list(fw.questions_for(role="DCS")["question_id"])
    lm = SelfRating(role="LM", themes=["WF", "LA"])
    assert lm.themes == ["LA", "WF"]  # framework order
    assert {q.split("-")[0] for q in lm.question_ids} == {"LA", "WF"}
    assert all("-LM-" in q for q in lm.question_ids)


def test_answers_are_kept_and_replaced():
    sr = SelfRating(role="DCS")
    sr.answer("LA-DCS-1", "4 - Mostly confident", evidence="Data or audit", note="audits")
    sr.answer("CR-DCS-1", dont_know=True)
    sr.answer("LA-DCS-1", 2)  # a second thought replaces the first
    assert sr.progress() == (2, 24)
    assert sr.describe("LA-DCS-1") == "2 Slightly confident"
    assert sr.describe("CR-DCS-1") == "Don't know"
    assert sr.get("LA-DCS-1").evidence is None
    sr.set_evidence("CR-DCS-1", 1)
    sr.set_note("CR-DCS-1", "no data yet")
    assert sr.get("CR-DCS-1").evidence == 1 and sr.get("CR-DCS-1").note == "no data yet"
    sr.clear("CR-DCS-1")
    assert sr.describe("CR-DCS-1") == "not answered"
    assert sr.progress() == (1, 24)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda sr: sr.answer("LA-LM-1", 3), "not in this self-rating"),
        (lambda sr: sr.answer("LA-DCS-1", 7), "outside the Confidence scale"),
        (lambda sr: sr.answer("LA-DCS-1", 3, dont_know=True), "both a rating and Don't know"),
        (lambda sr: sr.answer("LA-DCS-1"), "no rating given"),
        (lambda sr: sr.answer("LA-DCS-1", 3, evidence=9), "outside the"),
        (lambda sr: sr.answer("LA-DCS-1", 3, note="x" * 2001), "at most 2000 characters"),
        (lambda sr: sr.set_note("LA-DCS-2", "x"), "has no answer yet"),
        (
            lambda sr: sr.set_evidence("LA-DCS-2", 1),
            "field 'evidence': question 'LA-DCS-2' has no answer yet",
        ),
    ],
)
def test_bad_answers_are_refused(call, message):
    sr = SelfRating(role="DCS")
    with pytest.raises(AssuredKitError, match=re.escape(message)):
        call(sr)
    assert sr.progress()[0] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"role": "Officer"}, "unknown role 'Officer'"), ({"themes": ["XX"]}, "unknown theme(s)")],
)
def test_bad_set_up_is_refused(kwargs, message):
    with pytest.raises(AssuredKitError, match=re.escape(message)):
        SelfRating(**kwargs)


def test_ratings_match_the_workshop_table(tmp_path):
    sr = SelfRating(role="LM", authority="Rutland")
    sr.answer("PR-LM-1", 5, evidence=3)
    sr.answer("PM-LM-2", dont_know=True)
    mine = sr.ratings()
    assert list(mine.columns) == list(TIDY_COLUMNS)
    with Workshop.create(tmp_path / "ref.workshop.sqlite", title="Ref") as ws:
        ws.record(ws.add_respondent("A", role="LM", authority="Rutland"), "PR-LM-1", 5)
        reference = ws.ratings()
    for column in TIDY_COLUMNS:
        left, right = mine[column].dtype, reference[column].dtype
        if isinstance(right, pd.CategoricalDtype):
            assert list(left.categories) == list(right.categories), column
        else:
            assert str(left) == str(right), column
    assert mine["rating"].tolist()[0] == 5 and mine["dont_know"].tolist() == [False, True]


def test_profile_draws_own_themes_without_suppression():
    sr = SelfRating(role="DCS")
    sr.answer("LA-DCS-1", 5)
    sr.answer("LA-DCS-2", 4)
    sr.answer("WF-DCS-1", 1)
    sr.answer("WF-DCS-2", 2)
    ax = sr.profile()
    words = [t.get_text() for t in ax.texts if t.get_gid() == "classification"]
    assert words == ["strong", "weak"]
    assert not any("suppressed" in t.get_text() for t in ax.texts)


# ----------------------------------------------------------------------------- saving


@pytest.mark.parametrize("name", ["me.csv", "me.xlsx", "me.workshop.sqlite"])
def test_save_round_trips(tmp_path, name):
    sr = SelfRating(role="DCS", label="Pat")
    sr.answer("LA-DCS-1", 4, evidence=2, note=NOTE)
    sr.answer("IN-DCS-1", dont_know=True)
    written = sr.save(tmp_path / name)
    assert written == tmp_path / name
    back = read_ratings(written).sort_values("question_id").reset_index(drop=True)
    assert back["question_id"].tolist() == ["IN-DCS-1", "LA-DCS-1"]
    assert back["rating"].tolist()[1] == 4 and bool(back["dont_know"].iloc[0])
    assert back["note"].iloc[1] == NOTE
    assert set(back["respondent_label"]) == {"Pat"}


def test_saved_text_is_neutralised(tmp_path):
    sr = SelfRating(role="DCS")
    sr.answer("LA-DCS-1", 4, note=NOTE)
    raw = sr.save(tmp_path / "me.csv").read_text(encoding="utf-8-sig")
    assert "'" + NOTE.replace('"', '""') in raw
    book = openpyxl.load_workbook(sr.save(tmp_path / "me.xlsx"))
    cells = [c for row in book["Answers"].iter_rows() for c in row if c.value == "'" + NOTE]
    assert cells and all(c.data_type != "f" for c in cells)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "no file name given"),
        ("me.txt", "cannot save as 'me.txt'"),
        ("missing/me.csv", "does not exist"),
    ],
)
def test_save_refuses_bad_paths(tmp_path, name, message):
    sr = SelfRating()
    sr.answer("LA-DCS-1", 4)
    path = str(tmp_path / name) if name else ""
    with pytest.raises(AssuredKitError, match=re.escape(message)):
        sr.save(path)
    assert _files_under(tmp_path) == []


def test_save_never_replaces_a_file(tmp_path):
    sr = SelfRating()
    sr.answer("LA-DCS-1", 4)
    existing = tmp_path / "mine.csv"
    existing.write_text("precious", encoding="utf-8")
    with pytest.raises(AssuredKitError, match="never replaced"):
        sr.save(existing)
    assert existing.read_text(encoding="utf-8") == "precious"


# ----------------------------------------------------------------------------- the app


def test_app_rates_privately_and_writes_nothing(quiet_home):
    app = self_rating_app("DCS")
    assert isinstance(app, SelfRatingApp)
    app.level_buttons[3].click()  # question 1: 4 Mostly confident
    app.evidence.value = 2
    app.note.value = "<script>alert(1)</script>"
    app.next_button.click()
    app.dont_know_button.click()  # question 2: Don't know
    app.theme_picker.value = "WF"
    assert app.current_question == "WF-DCS-1"
    app.level_buttons[0].click()
    app.previous_button.click()
    assert app.current_question.startswith("CR-")  # the last question of the theme before
    model = app.model
    assert model.describe("LA-DCS-1") == "4 Mostly confident"
    assert model.get("LA-DCS-1").evidence == 2
    assert model.get("LA-DCS-1").note == "<script>alert(1)</script>"
    assert model.describe("LA-DCS-2") == "Don't know"
    assert model.describe("WF-DCS-1") == "1 Not confident"
    assert "3 of 24" in app.status.value
    ax = app.show_profile()
    assert ax is not None
    assert any("image/png" in o["data"] for o in app.profile_output.outputs)
    assert _files_under(quiet_home) == []  # nothing written anywhere they did not choose


def test_app_question_page_shows_the_chosen_answer():
    app = SelfRatingApp(SelfRating(role="LM"))
    app.level_buttons[4].click()
    assert app.level_buttons[4].button_style == "primary"
    assert [b.button_style for b in app.level_buttons[:4]] == [""] * 4
    assert app.evidence.disabled is False
    app.next_button.click()
    assert app.evidence.disabled is True  # no answer yet on question 2
    assert "2 of" in app.heading.value
    assert app.previous_button.disabled is False


def test_app_theme_page(quiet_home):
    app = SelfRatingApp(SelfRating(role="DCS"), mode="theme")
    app.theme_picker.value = "PM"
    rows = app.theme_rows
    pm = [q for q in rows if q.startswith("PM-")]
    assert pm == [q for q in app.model.question_ids if q.startswith("PM-")]
    rows[pm[0]][1].click()  # "2"
    rows[pm[1]][-1].click()  # Don't know
    assert app.model.describe(pm[0]) == "2 Slightly confident"
    assert app.model.describe(pm[1]) == "Don't know"
    # The page was rebuilt: the chosen button is marked.
    assert app.theme_rows[pm[0]][1].button_style == "primary"
    assert _files_under(quiet_home) == []


def test_app_saves_only_to_the_typed_path(quiet_home):
    app = self_rating_app("LM")
    app.level_buttons[1].click()
    app.save_button.click()
    assert app.save_status.value.startswith("<b>Not saved:</b>")
    assert _files_under(quiet_home) == []
    app.save_path.value = "mine.workshop.sqlite"
    app.save_button.click()
    assert "Saved to" in app.save_status.value
    saved = [p for p in _files_under(quiet_home) if not p.name.endswith(("-wal", "-shm"))]
    assert saved == [quiet_home / "mine.workshop.sqlite"]
    assert read_ratings(saved[0])["question_id"].tolist() == ["LA-LM-1"]
    app.save_button.click()  # the same name again is refused, the file kept
    assert "never replaced" in app.save_status.value
    assert os.path.getsize(saved[0]) > 0


def test_empty_profile_says_so():
    app = SelfRatingApp()
    assert app.show_profile() is None
    assert "Answer at least one question" in app.profile_output.outputs[0]["data"]["text/html"]


def test_app_shows_help_beside_the_question():
    app = SelfRatingApp(SelfRating(role="LM"))
    assert app.current_question == "LA-LM-1"
    assert "<details" in app.help.value and "data-term='DCS'" in app.help.value
    app.go(app.model.question_ids.index("LA-LM-2"))
    assert app.help.value == ""  # nothing to explain: nothing shown
    app.go(app.model.question_ids.index("WF-LM-3"))
    assert "Editorial note</strong> (not part of the 2010 text)" in app.help.value
    theme = SelfRatingApp(SelfRating(role="LM"), mode="theme")
    theme.theme_picker.value = "PM"
    page = " ".join(
        getattr(c, "value", "")
        for row in theme.theme_box.children[1:]
        for c in getattr(row, "children", ())
    )
    assert "data-term='LSCB'" in page and "data-term='LAA'" in page
