"""The facilitator's projector notebook: controller and widgets, driven without a browser.

Widgets are built in plain Python, values are set and buttons clicked as a browser would, and
every assertion about what was saved reads the workshop file back through a fresh
``Workshop.open``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from assured_kit.errors import AssuredKitError
from assured_kit.facilitator import (
    Facilitator,
    Progress,
    default_folder,
    new_workshop_path,
    parse_respondent_list,
    workshop_files,
)
from assured_kit.store import Workshop

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "facilitator.ipynb"


@pytest.fixture(autouse=True)
def _kit_home(tmp_path, monkeypatch):
    """Keep the console's reopen note (and anything else) out of the real home folder."""
    monkeypatch.setenv("ASSURED_KIT_HOME", str(tmp_path / "kit-home"))


@pytest.fixture(autouse=True)
def _no_callback_errors(caplog):
    """ipywidgets swallows exceptions raised in click handlers; make them fail the test."""
    caplog.set_level(logging.WARNING)
    yield
    swallowed = [r for r in caplog.records if "Exception in callback" in r.getMessage()]
    assert swallowed == []


def _reread(path: Path) -> Workshop:
    return Workshop.open(path)


def _answers(path: Path) -> pd.DataFrame:
    with Workshop.open(path) as ws:
        return ws.ratings()


def _row_for(app, label: str):
    return next(row for row in app.run.rows.values() if row.label == label)


# ---------------------------------------------------------------------------- pure helpers
def test_default_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSURED_KIT_HOME", str(tmp_path / "kit"))
    assert default_folder() == tmp_path / "kit"
    monkeypatch.delenv("ASSURED_KIT_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_folder() == tmp_path / "home" / "AssuredSafeguarding"
    assert not (tmp_path / "home").exists()


def test_new_workshop_path_never_reuses_a_file(tmp_path):
    first = new_workshop_path("Derby: March <2026>", tmp_path, dt.date(2026, 3, 4))
    assert first.name == "2026-03-04-derby-march-2026.workshop.sqlite"
    first.write_bytes(b"")
    second = new_workshop_path("Derby: March <2026>", tmp_path, dt.date(2026, 3, 4))
    assert second.name == "2026-03-04-derby-march-2026-2.workshop.sqlite"
    assert new_workshop_path("???", tmp_path).name == "workshop.workshop.sqlite"


def test_workshop_files_lists_only_workshops(tmp_path):
    (tmp_path / "b.workshop.sqlite").write_bytes(b"")
    (tmp_path / "a.workshop.sqlite").write_bytes(b"")
    (tmp_path / "a.workshop.sqlite-wal").write_bytes(b"")
    (tmp_path / "other.sqlite").write_bytes(b"")
    os.utime(tmp_path / "a.workshop.sqlite", (1, 1))
    assert [p.name for p in workshop_files(tmp_path)] == ["b.workshop.sqlite", "a.workshop.sqlite"]
    assert workshop_files(tmp_path / "missing") == []


def test_parse_respondent_list_reads_commas_and_tabs():
    text = "Table 1\n\n  Table 2 , lm , derby \nCllr Q\tDCS\tRutland\nTable 4,,\n"
    rows = parse_respondent_list(
        text,
        role="Mixed",
        kind="table",
        authorities=["Derby", "Rutland"],
    )
    assert [(r.line, r.label, r.role, r.authority, r.kind) for r in rows] == [
        (1, "Table 1", "Mixed", None, "table"),
        (3, "Table 2", "LM", "Derby", "table"),
        (4, "Cllr Q", "DCS", "Rutland", "table"),
        (5, "Table 4", "Mixed", None, "table"),
    ]


def test_parse_respondent_list_refuses_a_label_holding_commas():
    with pytest.raises(AssuredKitError, match=r"line 2 has 4 parts.*comma inside the label"):
        parse_respondent_list("Table 1\nSmith, J, DCS, Derby")


def test_progress_reads_as_on_the_projector():
    assert (
        str(Progress("WF", "Workforce", "DCS", 2, 4, 17, 47)) == "Workforce · DCS 2 of 4 · 17 of 47"
    )


# ---------------------------------------------------------------------------- controller
def test_controller_runs_a_whole_mini_workshop(tmp_path):
    path = tmp_path / "mini.workshop.sqlite"
    fac = Facilitator.create(path, title="Mini", themes=["CR", "WF"], held_on=dt.date(2026, 5, 1))
    assert str(fac.progress()) == "Casework Reviews · DCS 1 of 4 · 1 of 14"
    ids = [
        fac.add_respondent("Table 1", role="Mixed", kind="table", authority="Derby"),
        fac.add_respondent("Cllr A", role="LM"),
        fac.add_respondent("Director B", role="DCS", authority="Rutland"),
    ]
    with pytest.raises(AssuredKitError, match=r"line 2 \('table 1'\) was refused.*already used"):
        fac.add_respondents("Table 9\ntable 1\nTable 10")
    assert len(_reread(path).respondents()) == 3  # all or nothing: Table 9 was not added

    fac.rate(ids[0], 4)
    fac.set_evidence(ids[1], 2)  # before the rating: kept and saved with it
    fac.rate(ids[1], 2)
    fac.dont_know(ids[2], note="new in post")
    fac.set_note(ids[0], "audit due")
    first_question = fac.question_id
    fac.next_question()
    fac.rate(ids[0], 5)
    fac.rate(ids[1], 1)
    fac.reveal()
    fac.start_round(2)
    assert (fac.round, fac.revealed) == (2, False)
    fac.rate(ids[1], 3)
    fac.reveal()
    action = fac.add_action("Audit supervision notes", owner="Head of QA", due=dt.date(2026, 6, 30))
    example = fac.add_example(
        "Monthly case audits with frontline staff",
        role="DCS",
        authority="Rutland",
        consent_to_share=True,
    )
    second_question = fac.question_id
    fac.close()

    ws = _reread(path)
    answers = ws.ratings().set_index(["respondent_id", "question_id", "round"])
    assert answers.loc[(ids[0], first_question, 1), "rating"] == 4
    assert answers.loc[(ids[0], first_question, 1), "note"] == "audit due"
    assert answers.loc[(ids[1], first_question, 1), ["rating", "evidence"]].tolist() == [2, 2]
    assert bool(answers.loc[(ids[2], first_question, 1), "dont_know"])
    assert pd.isna(answers.loc[(ids[2], first_question, 1), "rating"])
    assert answers.loc[(ids[1], second_question, 1), "rating"] == 1
    assert answers.loc[(ids[1], second_question, 2), "rating"] == 3
    assert len(answers) == 6
    assert ws.session() == {
        "question_id": second_question,
        "round": 2,
        "revealed": True,
        "closed": False,
    }
    actions = ws.actions().set_index("action_id")
    assert actions.loc[action, ["what", "owner", "question_id", "theme_id"]].tolist() == [
        "Audit supervision notes",
        "Head of QA",
        second_question,
        "CR",
    ]
    examples = ws.examples().set_index("example_id")
    assert bool(examples.loc[example, "consent_to_share"])
    assert examples.loc[example, "question_id"] == second_question
    ws.close()

    resumed = Facilitator.open(path)
    assert (resumed.question_id, resumed.round, resumed.revealed) == (second_question, 2, True)
    assert resumed.answer(ids[1]).rating == 3
    assert resumed.answer(ids[1], round=1).rating == 1
    resumed.close()


def test_evidence_and_note_amend_a_saved_answer(tmp_path):
    fac = Facilitator.create(tmp_path / "e.workshop.sqlite", title="E", themes=["PR"])
    rid = fac.add_respondent("Table 1")
    fac.rate(rid, 3)
    fac.set_evidence(rid, 3)
    fac.set_note(rid, "  ")
    stored = _answers(fac.ws.path).iloc[0]
    assert (stored["rating"], stored["evidence"]) == (3, 3)
    assert stored["note"] in ("", None) or pd.isna(stored["note"])
    fac.dont_know(rid)
    fac.set_evidence(rid, 0)
    stored = _answers(fac.ws.path).iloc[0]
    assert bool(stored["dont_know"]) and stored["evidence"] == 0
    fac.close()


def test_navigation_stays_in_scope_and_resets_the_round(tmp_path):
    fac = Facilitator.create(
        tmp_path / "n.workshop.sqlite", title="N", themes=["LA", "PM"], roles=["LM"]
    )
    first = fac.question_id
    fac.previous_question()
    assert fac.question_id == first
    fac.jump_to_theme("PM")
    assert str(fac.progress()).startswith("Performance Management · LM 1 of")
    assert fac.progress().position == len(fac.questions[fac.questions["theme_id"] == "LA"]) + 1
    for _ in range(20):
        fac.next_question()
    assert fac.question_id == fac.questions["question_id"].iloc[-1]
    fac.start_round(2)
    rid = fac.add_respondent("Cllr A", role="LM")
    fac.rate(rid, 2)
    fac.next_question()  # stays on the last question, which has round-2 answers
    assert fac.round == 2
    fac.jump_to_theme("LA")
    assert (fac.round, fac.revealed) == (1, False)
    with pytest.raises(AssuredKitError, match="not in this workshop's scope"):
        fac.jump_to_theme("WF")
    with pytest.raises(AssuredKitError, match="no round 3"):
        fac.start_round(3)
    fac.close()


def test_listeners_hear_every_move(tmp_path):
    fac = Facilitator.create(tmp_path / "l.workshop.sqlite", title="L", themes=["IN"])
    heard: list[str] = []
    fac.on_change(lambda event, f: heard.append(event))
    rid = fac.add_respondent("A")
    fac.rate(rid, 1)
    fac.reveal()
    fac.next_question()
    fac.close_voting()
    assert heard == ["respondents", "answer", "revealed", "question", "closed"]
    assert fac.ws.session()["closed"] is True
    fac.close()


def test_run_panel_reloads_only_when_another_process_wrote(tmp_path):
    from assured_kit.console import facilitator_app

    path = tmp_path / "poll.workshop.sqlite"
    with Workshop.create(path, title="Poll", themes=["WF"]) as ws:
        ws.add_respondent("Phone user")
        ws.add_respondent("Table 2")
    app = facilitator_app(path)
    phone, table = (_row_for(app, x) for x in ("Phone user", "Table 2"))
    table.buttons[2].click()  # our own write is not news
    assert app.run.reload_if_changed() is False
    with Workshop.open(path) as other:
        other.record(phone.respondent_id, app.controller.question_id, 5, author="respondent")
    assert app.run.reload_if_changed() is True
    # Results hidden: the row says only that it answered.
    assert "✓ answered" in phone.status.value and "Fully" not in phone.status.value
    assert phone.chosen is None and phone.choice_slot.children == (phone.answered_tag,)
    assert "2 of 2" in app.run.count.value
    app.run.reveal_button.click()
    assert "5 Fully confident" in phone.status.value and phone.chosen == 5
    assert app.run.reload_if_changed() is False
    app.controller.close()


def test_refresh_sees_votes_and_session_changes_from_another_writer(tmp_path):
    path = tmp_path / "r.workshop.sqlite"
    fac = Facilitator.create(path, title="R", themes=["WF"])
    rid = fac.add_respondent("Phone user")
    fac.rate(rid, 2)
    with Workshop.open(path) as other:  # e.g. a live-voting kernel
        other.record(rid, fac.question_id, 5, round=1, author="respondent")
        other.set_session(revealed=True)
    assert fac.answer(rid).rating == 2
    fac.refresh()
    assert fac.answer(rid).rating == 5
    assert fac.revealed
    fac.close()


def test_session_summary_uses_the_summary_module(tmp_path):
    from assured_kit import summary

    fac = Facilitator.create(tmp_path / "s.workshop.sqlite", title="S", themes=["CR", "WF"])
    ids = [fac.add_respondent(f"T{i}") for i in range(4)]
    for value, rid in zip([5, 5, 4, 4], ids, strict=True):
        fac.rate(rid, value)
    fac.jump_to_theme("WF")
    for value, rid in zip([1, 1, 5, 5], ids, strict=True):
        fac.rate(rid, value)
    picture = fac.session_summary()
    expected = summary.by_theme(fac.ws.ratings(), scale=fac.scale, min_group=1)
    pd.testing.assert_frame_equal(picture.themes, expected)
    assert dict(
        zip(
            picture.themes["theme_id"].astype(str),
            picture.themes["classification"].astype(str),
            strict=True,
        )
    ) == {"CR": "strong", "WF": "contested"}
    assert picture.disagreements["question_id"].iloc[0] == "WF-DCS-1"
    assert picture.answers == 8
    fac.close()


# ---------------------------------------------------------------------------- widgets
def _fill_setup(app, tmp_path) -> None:
    form = app.setup
    form.title.value = "Mini workshop <b>East</b>"
    form.held_on.value = dt.date(2026, 6, 2)
    form.venue.value = "Council chamber"
    form.facilitator.value = "F. Acilitator"
    form.scale.value = "confidence"
    for theme, box in form.themes.items():
        box.value = theme in ("CR", "WF")
    form.roles["LM"].value = False
    form.min_group.value = 4
    form.anonymity.value = "named"
    form.folder.value = str(tmp_path)


def test_widgets_run_a_whole_mini_workshop_and_resume(tmp_path):
    from assured_kit.console import facilitator_app

    app = facilitator_app(folder=tmp_path)
    assert app.tabs.selected_index == 0 and app.controller is None

    # -- set up
    _fill_setup(app, tmp_path)
    app.setup.create_button.click()
    assert app.controller is not None, app.setup.notice.message
    path = Path(app.controller.ws.path)
    assert path.parent == tmp_path and path.name.startswith("2026-06-02-mini-workshop")
    with _reread(path) as ws:
        d = ws.details
        assert (
            d["title"],
            d["venue"],
            d["themes"],
            d["roles"],
            d["min_group"],
            d["anonymity"],
        ) == ("Mini workshop <b>East</b>", "Council chamber", ["CR", "WF"], ["DCS"], 4, "named")
    assert app.tabs.selected_index == 1  # no respondents yet
    assert "&lt;b&gt;East&lt;/b&gt;" in app.header.value

    # -- respondents: three one at a time, then a pasted list with a duplicate
    people = app.respondents
    for label, role, authority in [
        ("Table 1", "Mixed", "Derby"),
        ("Cllr A", "LM", ""),
        ("Director <B>", "DCS", "Rutland"),
    ]:
        people.label.value, people.role.value, people.authority.value = label, role, authority
        people.add_button.click()
        assert people.notice.kind == "ok", people.notice.message
    people.paste.value = "Table 7, Mixed, Leicester\nTABLE 1\nTable 8"
    people.paste_button.click()
    assert people.paste_notice.kind == "error"  # beside the paste button
    assert "Problem" in people.paste_notice.value and "line 2" in people.paste_notice.value
    assert "Traceback" not in people.paste_notice.value
    people.label.value = "   "
    people.add_button.click()
    assert people.notice.kind == "error" and people.notice.message.startswith("Label: ")
    assert "field '" not in people.notice.value  # plain words, not programmer wording
    with _reread(path) as ws:
        assert ws.respondents()["label"].tolist() == ["Table 1", "Cllr A", "Director <B>"]
        assert ws.respondents()["authority"].fillna("").tolist() == ["Derby", "", "Rutland"]
    assert len(app.run.rows) == 3
    assert _row_for(app, "Director <B>").title.description == "Director <B>"

    # -- question 1: one-click ratings, evidence, note, Don't know
    run = app.run
    assert "Casework Reviews · DCS 1 of 4 · 1 of 8" in run.progress.value
    q1 = app.controller.question_id
    table1, cllr, director = (_row_for(app, x) for x in ("Table 1", "Cllr A", "Director <B>"))
    table1.evidence.value = 2
    assert "saved with the rating" in table1.status.value
    table1.buttons[4].click()
    # Results hidden: saved, but the choice is not shown on the projector.
    assert "✓ saved" in table1.status.value and "Mostly" not in table1.status.value
    assert table1.chosen is None and table1.choice_slot.children == (table1.answered_tag,)
    cllr.buttons[2].click()
    cllr.title.click()  # the facilitator opens her row to correct it
    assert cllr.chosen == 2 and "2 Slightly confident" in cllr.status.value
    cllr.buttons[1].click()  # changed her mind: latest wins
    assert cllr.buttons[2].button_style == "" and cllr.buttons[1].button_style == "primary"
    director.buttons["dont_know"].click()
    director.note.value = "=new in post"
    assert "3 of 3" in run.count.value
    assert run.results.layout.display == "none" and "results hidden" in run.state.value

    # -- question 2 via Next, then reveal, then round 2
    run.next_button.click()
    q2 = app.controller.question_id
    assert q2 != q1 and "not yet" in table1.status.value
    assert not cllr.opened and cllr.choice_slot.children == (cllr.buttons_box,)
    table1.buttons[5].click()
    cllr.buttons[1].click()
    run.reveal_button.click()
    assert app.controller.revealed and run.reveal_button.description == "Hide results"
    assert run.charts[1].png[:4] == b"\x89PNG"
    assert "2 answers" in run.charts[1].caption.value
    assert "Theme by theme" in run.theme_picture.value
    run.round_button.click()
    assert app.controller.round == 2 and not app.controller.revealed
    assert "round 1" not in cllr.status.value  # hidden: no round-1 answer either
    cllr.title.click()
    assert "round 1: 1 Not confident" in cllr.status.value
    cllr.buttons[3].click()
    run.reveal_button.click()
    shown = run.results.children  # round 1 and round 2 side by side, then the theme picture
    assert shown == (run.chart_boxes[1], run.chart_boxes[2], run.theme_picture)
    assert "1 answers" in run.charts[2].caption.value

    # -- glossary and the source's examples as prompts
    assert run.glossary.value == app.controller.help_html()
    assert len(run.prompts.children) == len(app.controller.examples_of_practice())

    # -- an action and an example of good practice
    form = run.action_form
    form.what.value, form.owner.value, form.due.value = (
        "Review <script>x</script>",
        "QA lead",
        dt.date(2026, 9, 1),
    )
    form.add_button.click()
    assert form.notice.kind == "ok"
    assert "&lt;script&gt;" in form.listing.value and "<script>" not in form.listing.value
    form.add_button.click()  # empty now
    assert form.notice.kind == "error"
    ex = run.example_form
    ex.text.value, ex.role.value, ex.authority.value, ex.consent.value = (
        "Audits with frontline staff",
        "DCS",
        "Rutland",
        True,
    )
    ex.add_button.click()
    assert ex.notice.kind == "ok" and "Audits with frontline staff" in ex.listing.value

    # -- summary and exports
    app.summary.refresh_button.click()
    assert "Weakest questions" in app.summary.body.value
    assert "Review &lt;script&gt;" in app.summary.body.value
    app.summary.export_buttons["xlsx"].click()
    app.summary.export_buttons["csv"].click()
    assert app.summary.notice.kind == "ok", app.summary.notice.message
    links = app.summary.exported.value  # offered as downloads, and where they are
    assert "Download 2026-06-02-mini-workshop" in links and "data:text/csv;base64," in links
    exported = pd.read_csv(path.with_name(path.name.replace(".workshop.sqlite", ".csv")))
    assert len(exported) == 6
    assert path.with_name(path.name.replace(".workshop.sqlite", ".xlsx")).stat().st_size > 0
    app.summary.export_buttons["html"].click()
    assert app.summary.notice.kind == "ok", app.summary.notice.message
    page = path.with_name(path.name.replace(".workshop.sqlite", ".report.html")).read_text("utf-8")
    page = page.replace("<wbr>", "")  # the report's tables may break a line after a slash
    assert "Review &lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert app.unexpected == []
    app.controller.close()

    # -- what the file holds
    with _reread(path) as ws:
        got = ws.ratings().set_index(["respondent_label", "question_id", "round"])
        assert got.loc[("Table 1", q1, 1), ["rating", "evidence"]].tolist() == [4, 2]
        assert got.loc[("Cllr A", q1, 1), "rating"] == 1
        assert bool(got.loc[("Director <B>", q1, 1), "dont_know"])
        assert got.loc[("Director <B>", q1, 1), "note"] == "=new in post"
        assert got.loc[("Table 1", q2, 1), "rating"] == 5
        assert got.loc[("Cllr A", q2, 2), "rating"] == 3
        assert ws.session() == {"question_id": q2, "round": 2, "revealed": True, "closed": False}
        assert ws.actions()["what"].tolist() == ["Review <script>x</script>"]
        assert ws.actions()["question_id"].tolist() == [q2]
        assert ws.examples()["consent_to_share"].tolist() == [True]

    # -- resume: a new app on the file opens where it stopped
    again = facilitator_app(folder=tmp_path)
    again.setup.rescan()
    assert str(path) in [v for _, v in again.setup.existing.options]
    again.setup.existing.value = str(path)
    again.setup.open_button.click()
    assert again.controller is not None, again.setup.open_notice.message
    assert again.tabs.selected_index == 2
    assert (again.controller.question_id, again.controller.round, again.controller.revealed) == (
        q2,
        2,
        True,
    )
    assert "Round 2" in again.run.state.value and "results shown" in again.run.state.value
    assert "3 Partly confident" in _row_for(again, "Cllr A").status.value
    assert _row_for(again, "Cllr A").chosen == 3
    assert "1 answers" in again.run.charts[2].caption.value
    again.controller.close()


def test_opening_a_bad_file_shows_a_message_and_leaves_it_alone(tmp_path):
    from assured_kit.console import facilitator_app

    bogus = tmp_path / "bogus.workshop.sqlite"
    bogus.write_bytes(b"not a database at all" * 10)
    before = bogus.read_bytes()
    app = facilitator_app(folder=tmp_path)
    app.setup.path.value = str(bogus)
    app.setup.open_button.click()
    assert app.controller is None
    # Said under the button pressed, not at the top of the form.
    assert app.setup.open_notice.kind == "error" and "Problem" in app.setup.open_notice.value
    assert app.setup.children[0].children[-1] is app.setup.open_notice
    assert bogus.read_bytes() == before
    app.setup.path.value = ""
    app.setup.open_button.click()
    assert "no workshop file given" in app.setup.open_notice.message
    app.setup.title.value = ""
    app.setup.create_button.click()
    assert "needs a title" in app.setup.notice.message
    assert app.setup.children[1].children[-1] is app.setup.notice  # under Create workshop
    assert app.unexpected == []


def test_app_resumes_a_workshop_passed_by_path(tmp_path):
    from assured_kit.console import facilitator_app

    path = tmp_path / "p.workshop.sqlite"
    with Workshop.create(path, title="P", themes=["IN"]) as ws:
        rid = ws.add_respondent("Only one")
        ws.set_session(question_id="IN-DCS-2")
        ws.record(rid, "IN-DCS-2", 3)
    app = facilitator_app(path)
    assert app.controller.question_id == "IN-DCS-2"
    assert "Integration · DCS 2 of" in app.run.progress.value
    assert "integrated service delivery" in app.run.question.value
    assert "IN-DCS-2" not in app.run.question.value  # ids are not for the room
    row = _row_for(app, "Only one")
    assert (
        row.chosen is None and "✓ answered" in row.status.value and "Partly" not in row.status.value
    )
    assert row.buttons[3].tooltip.startswith("Only one: 3 Partly confident")
    app.controller.close()


def test_live_panel_slot_takes_a_widget_or_a_factory(tmp_path):
    import ipywidgets as widgets

    from assured_kit.console import facilitator_app

    path = tmp_path / "v.workshop.sqlite"
    Workshop.create(path, title="V", themes=["PR"]).close()
    made: list[Facilitator] = []

    def factory(fac: Facilitator) -> widgets.Widget:
        made.append(fac)
        return widgets.HTML("live here")

    app = facilitator_app(path, live_panel=factory)
    assert made == [app.controller]
    assert app.live_slot.children[1].value == "live here"
    fixed = widgets.Label("fixed")
    other = facilitator_app(path, live_panel=fixed)
    assert other.live_slot.children == (other.live, fixed)
    app.controller.close()
    other.controller.close()


def test_demo_writes_only_to_a_temporary_folder(tmp_path, monkeypatch):
    from assured_kit.console import facilitator_app

    monkeypatch.setenv("ASSURED_KIT_HOME", str(tmp_path / "home"))
    app = facilitator_app(demo=True)
    assert app.controller.ws.details["synthetic"] is True
    assert len(app.run.rows) == 6
    assert not (tmp_path / "home").exists()
    assert not list(REPO.glob("*.workshop.sqlite"))
    assert not list(REPO.glob("notebooks/*.workshop.sqlite"))
    app.controller.close()


# ---------------------------------------------------------------------------- the notebook
def _run_notebook(tmp_path: Path, injected: str | None = None, after: str | None = None):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if after is not None:
        nb.cells.append(nbformat.v4.new_code_cell(after))
    if injected is not None:
        index = next(
            i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])
        )
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(injected))
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(shown) == 1
    return nb


@pytest.mark.slow
def test_notebook_with_default_parameters_writes_nothing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ASSURED_KIT_HOME", str(home))
    _run_notebook(tmp_path)
    assert not home.exists()
    assert not list(tmp_path.rglob("*.workshop.sqlite"))


@pytest.mark.slow
def test_notebook_resumes_the_workshop_it_is_pointed_at(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSURED_KIT_HOME", str(tmp_path / "home"))
    path = tmp_path / "pointed.workshop.sqlite"
    with Workshop.create(path, title="Pointed", themes=["PM"]) as ws:
        ws.add_respondent("Table 1", role="Mixed", kind="table")
        ws.set_session(question_id="PM-LM-2", revealed=True)
    # A cell added after the notebook's own cells clicks a rating in the app it displayed.
    nb = _run_notebook(
        tmp_path,
        f"WORKSHOP = {str(path)!r}",
        "row = next(iter(app.run.rows.values()))\nrow.buttons[2].click()\n"
        "print(app.controller.question_id, app.controller.revealed, app.unexpected)",
    )
    assert nb.cells[-1].outputs[0]["text"].strip() == "PM-LM-2 True []"
    with Workshop.open(path) as ws:
        answers = ws.ratings()
    assert answers[["respondent_label", "question_id", "rating"]].values.tolist() == [
        ["Table 1", "PM-LM-2", 2]
    ]
    # The home folder holds only the note of which workshop to reopen after a restart.
    home = tmp_path / "home"
    assert [p.name for p in home.iterdir()] == [".last-workshop"]
    assert (home / ".last-workshop").read_text("utf-8").strip() == str(path.resolve())


def test_notebook_is_thin_and_committed_clean():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "WORKSHOP = None" in "".join(params[0]["source"])
    for cell in code:
        statements = [
            ln
            for ln in "".join(cell["source"]).splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
        assert len(statements) <= 3


# ---------------------------------------------------------------------------- projector-safe run
def _console(tmp_path: Path, *labels: str):
    """A Workforce workshop with these respondents, open in the console: (app, path, ids)."""
    from assured_kit.console import facilitator_app

    path = tmp_path / "console.workshop.sqlite"
    with Workshop.create(path, title="Console", themes=["WF"]) as ws:
        ids = [ws.add_respondent(label) for label in labels]
    return facilitator_app(path), path, ids


def _scale_labels(app) -> list[str]:
    scale = app.controller.scale
    return [f"{v} {t}" for v, t in zip(scale.values, scale.labels, strict=True)]


def test_hidden_results_show_only_answered_never_the_choice(tmp_path):
    from assured_kit.console import facilitator_app

    path = tmp_path / "hidden.workshop.sqlite"
    with Workshop.create(path, title="Hidden", themes=["WF"]) as ws:
        for n in range(1, 6):
            ws.add_respondent(f"Table {n}", role="Mixed", kind="table")
    app = facilitator_app(path)
    rows = list(app.run.rows.values())
    for row, value in zip(rows[:4], [1, 3, 5, 2], strict=True):
        row.buttons[value].click()
        row.evidence.value = 2
    labels = _scale_labels(app)
    for row in rows[:4]:
        assert row.chosen is None
        assert row.choice_slot.children == (row.answered_tag,)  # no buttons, no labels
        assert "✓ saved" in row.status.value
        assert not any(label in row.status.value for label in labels)
        assert all(b.button_style == "" for b in row.buttons.values())
    assert rows[4].choice_slot.children == (rows[4].buttons_box,)  # still to answer
    assert "not yet" in rows[4].status.value

    # Round 2: round-1 answers stay hidden too.
    app.run.round_button.click()
    assert app.controller.round == 2
    for row in rows[:4]:
        assert "round 1" not in row.status.value
        assert not any(label in row.status.value for label in labels)
    # Clicking a name opens that row alone, to check or correct it ...
    rows[1].title.click()
    assert rows[1].opened and "round 1: 3 Partly confident" in rows[1].status.value
    assert all(not r.opened for r in rows if r is not rows[1])
    rows[1].buttons[4].click()
    assert rows[1].chosen == 4
    # ... and the next question hides it again.
    app.run.next_button.click()
    assert not rows[1].opened and rows[1].chosen is None
    assert app.unexpected == []
    app.controller.close()


def test_live_votes_are_never_shown_one_by_one_unless_named(tmp_path):
    from assured_kit import voting
    from assured_kit.console import facilitator_app

    for mode in ("pseudonymous", "anonymous", "named"):
        path = tmp_path / f"{mode}.workshop.sqlite"
        with Workshop.create(path, title=mode, themes=["WF"], anonymity=mode) as ws:
            table = ws.add_respondent("Table 1", role="Mixed", kind="table")
        app = facilitator_app(path)
        app.controller.open_question(app.controller.question_id)  # voting follows it
        with Workshop.open(path) as phone:  # a live-voting page in another process
            token, voter = voting.join(phone, role="DCS", label="Sam Phone")
            voting.cast_vote(phone, token, app.controller.question_id, 5, round=1)
            _, quiet = voting.join(phone, role="LM", label="Lee Phone")
        app.run.reload_if_changed()
        app.run.reveal_button.click()
        if mode == "named":
            assert voter in app.run.rows and app.run.rows[voter].chosen == 5
            assert "Not answered yet: Table 1, Lee Phone" in app.run.live_count.value
        else:
            assert set(app.run.rows) == {table}  # no row, even after reveal
            assert "Sam Phone" not in app.run.live_count.value
            assert "Live voters: 2 joined, 1 answered" in app.run.live_count.value
            assert "Not answered" not in app.run.live_count.value
        assert quiet not in app.run.rows or mode == "named"
        assert "1 of 3" in app.run.count.value
        assert "1 answers" in app.run.charts[1].caption.value  # the room's distribution
        app.controller.close()


def test_a_refused_note_keeps_the_row_marked_not_saved(tmp_path):
    from assured_kit.console import facilitator_app
    from assured_kit.store import NOTE_LIMIT

    path = tmp_path / "note.workshop.sqlite"
    with Workshop.create(path, title="Note", themes=["WF"]) as ws:
        ws.add_respondent("Table 1")
    app = facilitator_app(path)
    row = _row_for(app, "Table 1")
    row.buttons[4].click()
    row.note.value = "x" * (NOTE_LIMIT + 9)
    assert "note not saved" in row.status.value
    assert "field '" not in row.status.value
    assert app.run.notice.kind == ""  # the message is in the row, not elsewhere
    assert _answers(path)["note"].isna().all()
    row.evidence.value = 1  # another change saves; the note is still reported unsaved
    assert "note not saved" in row.status.value
    row.note.value = "short"
    assert "note not saved" not in row.status.value
    assert _answers(path)["note"].tolist() == ["short"]
    app.controller.close()


def test_a_double_click_on_next_moves_one_question(tmp_path):
    from assured_kit.console import facilitator_app

    path = tmp_path / "next.workshop.sqlite"
    Workshop.create(path, title="Next", themes=["WF"]).close()
    app = facilitator_app(path)
    first = app.controller.progress().position
    app.run.next_button.click()
    app.run.next_button.click()
    assert app.controller.progress().position == first + 1
    app.run._last_move -= 5  # a deliberate second press, later
    app.run.next_button.click()
    assert app.controller.progress().position == first + 2
    app.controller.close()


def test_round_two_without_round_one_answers_asks_first(tmp_path):
    app, _path, _ids = _console(tmp_path, "Table 1")
    app.run.round_button.click()
    assert app.controller.round == 1
    assert "No one has answered round 1" in app.run.notice.message
    assert app.run.round_button.description == "Start round 2 anyway"
    app.run.round_button.click()
    assert app.controller.round == 2 and app.run.notice.kind == ""
    assert app.run.voting_button.description == "Close round 2 voting"
    app.controller.close()


def test_evidence_is_carried_into_round_two_and_can_change(tmp_path):
    app, path, _ids = _console(tmp_path, "Table 1", "Table 2")
    one, two = _row_for(app, "Table 1"), _row_for(app, "Table 2")
    one.evidence.value = 3
    one.buttons[4].click()
    two.evidence.value = 2
    two.buttons[2].click()
    app.run.round_button.click()
    assert (one.evidence.value, two.evidence.value) == (3, 2)  # shown in round 2
    one.buttons[5].click()
    two.evidence.value = 1  # changed before the rating
    two.buttons[3].click()
    got = _answers(path).set_index(["respondent_label", "round"])["evidence"]
    assert got.to_dict() == {
        ("Table 1", 1): 3,
        ("Table 2", 1): 2,
        ("Table 1", 2): 3,
        ("Table 2", 2): 1,
    }
    app.controller.close()


def test_explain_terms_is_offered_only_when_there_are_terms(tmp_path):
    from assured_kit.console import facilitator_app

    path = tmp_path / "terms.workshop.sqlite"
    Workshop.create(path, title="Terms").close()
    app = facilitator_app(path)
    seen = set()
    for qid in app.controller.questions["question_id"]:
        app.controller.open_question(str(qid))
        app.run.show_question()
        shown = app.run.glossary.value
        seen.add(bool(shown))
        assert ("Explain terms" in shown) == bool(shown)
        assert "Nearest equivalent: Nearest equivalent" not in shown
    assert seen == {True, False}
    app.controller.close()


# ---------------------------------------------------------------------------- housekeeping
def test_rename_withdraw_and_clear_from_the_respondents_tab(tmp_path):
    app, path, (first, second) = _console(tmp_path, "Tabel 1", "Table 2")
    people, run = app.respondents, app.run
    run.rows[second].buttons[4].click()

    people.rename_button.click()  # nobody chosen
    assert (
        people.change_notice.kind == "error" and "no one is chosen" in people.change_notice.message
    )
    people.who.value = first
    assert people.new_label.value == "Tabel 1"
    people.new_label.value = "Table 1"
    people.rename_button.click()
    assert people.change_notice.kind == "ok"
    assert "Table 1" in people.listing.value

    people.who.value = second
    people.clear_button.click()
    assert (
        people.change_notice.kind == "ok" and "kept in the history" in people.change_notice.message
    )
    assert "not yet" in run.rows[second].status.value and "0 of 2" in run.count.value
    people.clear_button.click()  # nothing left to clear: said beside the button, by label
    assert people.change_notice.kind == "error" and "field '" not in people.change_notice.value
    assert people.change_notice.message.startswith("Table 2 has no answer")
    assert second not in people.change_notice.message  # no ids

    people.withdraw_button.click()
    assert run.rows_box.children == (run.rows[first],) and "0 of 1" in run.count.value
    assert (
        "withdrawn" in people.listing.value and people.withdraw_button.description == "Bring back"
    )
    people.withdraw_button.click()
    assert len(run.rows_box.children) == 2
    assert app.unexpected == []
    app.controller.close()
    with Workshop.open(path) as ws:
        assert ws.respondents()["label"].tolist() == ["Table 1", "Table 2"]
        history = ws.history()
        assert (history["kind"] == "answer.retract").sum() == 1  # cleared as a new event
        assert (history["kind"] == "answer.record").sum() == 1


def _upload(name: str, content: bytes) -> dict:
    """A file as the browser's upload button hands it to the kernel."""
    return {
        "name": name,
        "type": "text/csv",
        "size": len(content),
        "content": memoryview(content),
        "last_modified": dt.datetime.now(dt.UTC),
    }


def test_a_paper_sheet_is_imported_from_the_console_all_or_nothing(tmp_path):
    from assured_kit.console import facilitator_app

    data = Path(__file__).parent / "data" / "io" / "sheet_utf8_bom.csv"
    path = tmp_path / "sheet.workshop.sqlite"
    Workshop.create(path, title="Sheet").close()
    app = facilitator_app(path)
    people = app.respondents
    people.sheet_button.click()
    assert people.sheet_notice.kind == "error" and "no sheet chosen" in people.sheet_notice.message
    broken = data.read_bytes().replace(b"Partly confident,1", b"Partly confident,9")
    people.sheet.value = (_upload("bad.csv", broken),)
    people.sheet_button.click()
    assert people.sheet_notice.kind == "error"
    assert "nothing from bad.csv was recorded" in people.sheet_notice.message
    assert _answers(path).empty
    people.sheet.value = (_upload(data.name, data.read_bytes()),)
    people.sheet_button.click()
    assert people.sheet_notice.kind == "ok", people.sheet_notice.message
    assert "recorded 2 answers" in people.sheet_notice.message
    assert len(_answers(path)) == 2 and "Table 2" in people.listing.value
    assert app.unexpected == []
    app.controller.close()


def test_actions_can_be_changed_and_marked_done(tmp_path):
    app, path, _ids = _console(tmp_path, "Table 1")
    form = app.run.action_form
    assert form.done_button.layout.display == "none"
    form.what.value, form.owner.value = "Audit supervision", "QA lead"
    form.add_button.click()
    assert form.notice.kind == "ok"
    action_id = form.pick.options[1][1]
    form.pick.value = action_id
    assert form.what.value == "Audit supervision" and form.add_button.description == "Save changes"
    form.owner.value = "Head of QA"
    form.due.value = dt.date(2027, 1, 31)
    form.add_button.click()
    form.done_button.click()
    assert form.notice.kind == "ok" and "marked done" in form.notice.message
    listing = form.listing.value
    assert "Workforce · DCS 1" in listing and "Head of QA" in listing and "done" in listing
    for word in ("theme_id", "question_id", "WF-DCS-1"):
        assert word not in listing
    app.summary.refresh_button.click()
    for word in ("theme_id", "question_id", "consent_to_share", "WF-DCS-1"):
        assert word not in app.summary.body.value
    app.controller.close()
    with Workshop.open(path) as ws:
        got = ws.actions().iloc[0]
        assert (got["owner"], got["status"], str(got["due"])[:10]) == (
            "Head of QA",
            "done",
            "2027-01-31",
        )


class _FakeServer:
    """Stands in for `assured_kit.live.LiveServer` (the real one is a child process)."""

    def __init__(self, path, host, port):
        self.base_url = f"http://{host}:{port}"
        self.vote_url = f"{self.base_url}/?code=c0de"
        self.room_url = f"{self.base_url}/room?key=k3y"
        self.path, self.running, self.stops = path, True, 0

    def stop(self):
        self.running, self.stops = False, self.stops + 1


def test_console_starts_one_server_for_room_view_and_live_voting(tmp_path):
    from assured_kit.console import facilitator_app
    from assured_kit.live import ensure_join_code
    from assured_kit.room import room_page

    path = tmp_path / "live.workshop.sqlite"
    with Workshop.create(path, title="Live", themes=["WF"]) as ws:
        ws.add_respondent("Table 1")
        ensure_join_code(ws)
    started = []

    def starter(workshop, *, host, port):
        started.append(_FakeServer(workshop, host, port))
        return started[-1]

    app = facilitator_app(path, starter=starter)
    live = app.live
    assert "127.0.0.1" in [v for _, v in live.address.options]
    live.address.value = "127.0.0.1"
    live.room_button.click()
    assert live.notice.kind == "ok" and "room?key=k3y" in live.links.value
    live.voting_button.click()  # the same server: no second one
    assert len(started) == 1 and started[0].path == path
    assert live.voting_button.description == "Stop live voting"
    assert "<svg" in live.links.value and "?code=c0de" in live.links.value
    room = room_page(path)  # as the server builds it, in its own process
    assert "?code=c0de" in room.join.value  # the QR code is on the projector
    assert room.controller.question_id == app.controller.question_id  # voting follows
    live.voting_button.click()
    room.refresh_if_changed()
    assert room.join.value == "" and live.voting_button.description == "Start live voting"
    live.stop_button.click()
    assert started[0].stops == 1 and not live.running and live.links.value == ""
    room.close()
    app.close()
    app.controller.close()


def test_after_a_restart_the_console_reopens_the_last_workshop_where_it_was(tmp_path):
    from assured_kit.console import facilitator_app

    home = tmp_path / "home"
    path = tmp_path / "restart.workshop.sqlite"
    with Workshop.create(path, title="Restart", themes=["WF"]) as ws:
        ws.add_respondent("Table 1")
    first = facilitator_app(path, folder=home)
    first.run.next_button.click()
    first.run._last_move -= 5
    first.run.next_button.click()
    _row_for(first, "Table 1").buttons[3].click()
    first.run.round_button.click()
    where = (first.controller.question_id, first.controller.round)
    first.controller.close()  # the kernel dies

    again = facilitator_app(folder=home)  # "Run All" after the restart, no file picked
    assert again.controller is not None and again.tabs.selected_index == 2
    assert (again.controller.question_id, again.controller.round) == where
    assert "DCS 3 of 4" in again.run.progress.value
    again.controller.close()

    path.write_bytes(b"damaged" * 50)  # the file went bad in between
    broken = facilitator_app(folder=home)
    assert broken.controller is None and broken.tabs.selected_index == 0
    assert "could not be reopened" in broken.setup.open_notice.message
    assert "field '" not in broken.setup.open_notice.value
    path.unlink()
    assert facilitator_app(folder=home).setup.open_notice.message == ""  # gone: the form


def test_the_timer_menu_starts_and_stops_the_room_timer(tmp_path):
    from assured_kit.console import facilitator_app

    path = tmp_path / "timer.workshop.sqlite"
    Workshop.create(path, title="Timer", themes=["WF"]).close()
    app = facilitator_app(path)
    app.run.timer.value = 5
    assert app.controller.discussion_timer().seconds == 300
    assert "5-minute" in app.run.notice.message
    app.run.timer.value = 0
    assert app.controller.discussion_timer() is None
    app.controller.close()


def test_keyboard_shortcuts_run_a_question(tmp_path):
    app, path, (one, two) = _console(tmp_path, "Table 1", "Table 2")
    keys = app.run.shortcuts  # what the browser sends for each key
    assert f"ak-rid-{one}" in app.run.rows[one]._dom_classes
    assert keys.press({"key": "4", "row": one, "tag": "BUTTON"})
    assert keys.press({"key": "D", "row": two, "tag": "BUTTON"})
    assert not keys.press({"key": "3", "row": one, "tag": "INPUT"})  # typing a note
    assert not keys.press({"key": "7", "row": one, "tag": "BUTTON"})
    assert not keys.press({"key": "2", "row": one, "tag": "BUTTON", "ctrl": True})
    assert not keys.press({"key": "2", "row": None, "tag": "BODY"})  # no row: nothing rated
    assert keys.press({"key": "r", "row": None, "tag": "BODY"}) and app.controller.revealed
    assert not keys.press({"key": "r", "row": None, "tag": "TEXTAREA"})
    first = app.controller.question_id
    assert keys.press({"key": "ArrowRight", "row": one, "tag": "BUTTON"})
    assert app.controller.question_id != first
    app.run._last_move -= 5
    assert keys.press({"key": "ArrowLeft", "row": None, "tag": "BODY"})
    assert app.controller.question_id == first
    assert not keys.press({"key": "ArrowLeft", "row": None, "tag": "SELECT"})
    got = _answers(path).set_index("respondent_label")
    assert got.loc["Table 1", "rating"] == 4 and bool(got.loc["Table 2", "dont_know"])
    app.controller.close()


def test_the_kernel_answers_the_pages_are_you_there(tmp_path):
    from assured_kit.console import facilitator_app

    app = facilitator_app(folder=tmp_path)
    sent = []
    app.watch.send = sent.append  # what would travel to the page
    assert app.watch.answer({"ping": 1}) and sent == [{"pong": 1}]
    assert not app.watch.answer({"other": 1}) and len(sent) == 1
    words = app.watch.message
    assert (
        "Run All Cells" in words and "reload the page" in words and "Nothing saved is lost" in words
    )


@pytest.mark.slow
def test_the_console_starts_and_stops_the_real_page_server(tmp_path):
    import socket
    import urllib.request

    from assured_kit.console import facilitator_app

    path = tmp_path / "real.workshop.sqlite"
    with Workshop.create(path, title="Real", themes=["WF"]) as ws:
        ws.add_respondent("Table 1")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = facilitator_app(path)
    live = app.live
    live.address.value, live.port.value = "127.0.0.1", port
    try:
        live.voting_button.click()
        assert live.notice.kind == "ok", live.notice.message
        assert live.running and live.server.vote_url.startswith(f"http://127.0.0.1:{port}/")
        assert app.controller.join_url() == live.server.vote_url
        with urllib.request.urlopen(live.server.room_url, timeout=30) as answer:
            assert answer.status == 200
    finally:
        live.stop_button.click()
    assert not live.running and app.controller.join_url() is None
    app.controller.close()
