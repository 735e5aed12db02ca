"""The room view: built in plain Python, driven by a facilitator in "another process".

The facilitator's moves are made through a second `Facilitator` on the same file (as the
console does from its own kernel); the room view must follow them from the file alone.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from assured_kit.facilitator import Facilitator, Timer
from assured_kit.room import CHART_PX, MIN_PX, room_page
from assured_kit.store import Workshop


@pytest.fixture
def room(tmp_path):
    path = tmp_path / "room.workshop.sqlite"
    with Workshop.create(path, title="Room", themes=["WF"], anonymity="named") as ws:
        for label in ("Table <Alpha>", "Table Beta", "Table Gamma"):
            ws.add_respondent(label, role="Mixed", kind="table")
    console = Facilitator.open(path)
    page = room_page(path)
    yield path, console, page
    page.close()
    console.close()


def _words(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def _text(page) -> str:
    return " ".join(
        _words(part.value)
        for part in (page.heading, page.question, page.state, page.timer, page.join)
    )


def test_room_shows_theme_question_progress_and_state(room):
    _path, console, page = room
    question = str(console.question()["text"])
    assert "Workforce" in page.heading.value
    assert _words(page.heading.value) == "Workforce · DCS 1 of 4 · 1 of 7"
    assert question.replace("'", "&#x27;") in page.question.value  # in full
    assert "Round 1" in page.state.value and "Voting open" in page.state.value
    assert "Results hidden" in page.state.value and "0 of 3 answered" in page.state.value
    assert page.chart_row.children == ()
    assert page.join.value == ""  # no live voting


def test_room_follows_the_file_and_never_names_anyone(room):
    _path, console, page = room
    assert page.refresh_if_changed() is False
    people = list(console.respondents()["respondent_id"])
    console.next_question()
    console.rate(people[0], 5)
    console.rate(people[1], 3)
    assert page.refresh_if_changed() is True
    assert "Workforce · DCS 2 of 4 · 2 of 7" in _words(page.heading.value)
    assert "2 of 3 answered" in page.state.value
    assert page.chart_row.children == ()  # hidden: no chart, no answers
    console.reveal()
    assert page.refresh_if_changed() is True
    assert "Results shown" in page.state.value
    assert page.chart_row.children == (page.charts[1],)
    chart = page.charts[1].value
    assert "Round 1 · 2 answers" in chart  # n on the chart
    assert (
        "1 Not confident: 0; 2 Slightly confident: 0; 3 Partly confident: 1; "
        "4 Mostly confident: 0; 5 Fully confident: 1; Don&#x27;t know: 0"
    ) in chart
    heights = [int(h) for h in re.findall(r"height:(\d+)px;background", chart)]
    assert heights == [190, 190]  # two bars of one answer each, the rest empty
    console.start_round(2)
    console.rate(people[0], 4)
    console.reveal()
    page.refresh_if_changed()
    assert page.chart_row.children == (page.charts[1], page.charts[2])
    assert "Round 2 · 1 answer" in page.charts[2].value
    for part in ("Table", "Alpha", "Beta"):
        assert part not in _text(page)
    console.close_voting()
    page.refresh_if_changed()
    assert "Voting closed" in page.state.value


def test_room_chart_is_readable_from_the_back(room):
    from assured_kit.palette import level_colours

    _path, console, page = room
    rid = str(console.respondents()["respondent_id"].iloc[0])
    console.rate(rid, 3)
    console.reveal()
    page.refresh()
    chart = page.charts[1].value
    # Every level's bar is outlined in ink (CSS), in its own colour, with its words.
    colour = level_colours(console.scale)[3]
    assert f"background:{colour}" in chart and "3<br>Partly confident" in chart
    assert CHART_PX >= 18


def test_room_css_keeps_every_text_at_least_min_px():
    import re

    from assured_kit import room

    sizes = [int(s) for s in re.findall(r"font-size:\s*(\d+)px", room._ROOM_CSS)]
    assert sizes and min(sizes) >= MIN_PX >= 18


def test_discussion_timer_counts_down_and_stops(room):
    _path, console, page = room
    assert console.discussion_timer() is None
    console.start_timer(5)
    page.refresh_if_changed()
    timer = page.controller.discussion_timer()
    assert timer is not None and timer.seconds == 300
    page.tick(timer.started + dt.timedelta(seconds=61))
    assert "Discussion: 3:59 left" in page.timer.value
    page.tick(timer.started + dt.timedelta(seconds=900))
    assert "time is up" in page.timer.value
    console.start_timer(0)
    page.refresh_if_changed()
    assert page.timer.value == ""
    assert Timer(timer.started, 60).left(timer.started - dt.timedelta(seconds=5)) == 65


def test_join_code_and_link_only_while_live_voting_is_open(room):
    from assured_kit.live import ensure_join_code

    path, console, page = room
    console.announce_join_url("http://127.0.0.1:8866/?code=abc")  # the console started it
    page.refresh_if_changed()
    assert page.join.value == ""  # no join code: live voting is not running
    ensure_join_code(console.ws)
    page.refresh_if_changed()
    assert "<svg" in page.join.value and "127.0.0.1:8866/?code=abc" in page.join.value
    console.open_question(console.question_id)
    console.close_voting()
    page.refresh_if_changed()
    assert page.join.value == ""
    console.open_voting()
    console.announce_join_url(None)  # live voting stopped
    page.refresh_if_changed()
    assert page.join.value == "" and path.exists()


def test_room_explains_2010_terms_under_the_question(tmp_path):
    """Help wherever a question is shown: the room view glosses LSCB under LA-DCS-1."""
    path = tmp_path / "terms.workshop.sqlite"
    Workshop.create(path, title="Terms", themes=["LA"]).close()
    console = Facilitator.open(path)
    page = room_page(path)
    try:
        assert console.question()["question_id"] == "LA-DCS-1"
        assert "<details" in page.question.value and "What does this mean?" in page.question.value
        assert "LSCB" in _words(page.question.value)
        assert "Editorial note" in _words(page.question.value)
        console.open_question("LA-DCS-2")  # no 2010 term there: no help box
        page.refresh()
        assert "<details" not in page.question.value
    finally:
        page.close()
        console.close()
