"""The room view: what the projector shows while a workshop runs (an ipywidgets page, no code).

`room_page` builds the page for one workshop file. It shows, in large dark-on-light type and
without scrolling at 1280x720: the theme, the question in full (with "What does this mean?" for
its 2010 terms, from `assured_kit.glossary`), where it sits ("Workforce ·
DCS 2 of 4 · 14 of 47"), the round and state (voting open or closed, results hidden or shown),
how many have answered, the discussion timer when one is running, the join QR code and short
link while live voting is open and, once the facilitator reveals the results, the room's
answers as a chart (rounds side by side, every bar outlined and labelled with its count).

The page follows the workshop file, not the console's widgets: it looks at the file every
second and redraws only when another process (the console, a voting page) wrote to it. So it
can be served by the live-voting server (``/room``) in its own process and still follow the
facilitator. It never shows who answered what: only counts and the room's distribution.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from assured_kit.store import Workshop
>>> path = Path(tempfile.mkdtemp()) / "room.workshop.sqlite"
>>> Workshop.create(path, title="Room", themes=["WF"]).close()
>>> page = room_page(path)
>>> "DCS 1 of 4 · 1 of 7" in page.heading.value
True
>>> page.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import ipywidgets as w

from .facilitator import Facilitator, file_signature
from .glossary import help_html
from .safety import escape_html as _esc

__all__ = ["RoomView", "bars_html", "room_page"]

log = logging.getLogger(__name__)

#: Smallest type on the page, in CSS pixels at 1280x720 (readable from the back of a room).
MIN_PX = 20
#: Chart text size in CSS pixels.
CHART_PX = 20
#: Height of the tallest bar in CSS pixels (the chart fits under the question at 1280x720).
BAR_PX = 190

_ROOM_CSS = """<style>
.ak-room { position: fixed; inset: 0; z-index: 1000; overflow: hidden; box-sizing: border-box;
  background: #ffffff; color: #111111; padding: 16px 28px;
  font-family: "Segoe UI", Arial, "Liberation Sans", sans-serif; }
.ak-room .ak-room-top { font-size: 26px; font-weight: 700; }
.ak-room .ak-room-question { font-size: 38px; line-height: 1.22; margin: 10px 0;
  border-left: 10px solid #111; padding-left: 16px; }
.ak-room .ak-room-question.ak-long { font-size: 30px; }
.ak-room .ak-room-help { font-size: 22px; margin: 0 0 8px 26px; }
.ak-room .ak-room-help summary { cursor: pointer; }
.ak-room .ak-room-state { font-size: 26px; }
.ak-room .ak-room-count { font-size: 34px; font-weight: 700; }
.ak-room .ak-room-timer { font-size: 34px; font-weight: 700; }
.ak-room .ak-room-join { font-size: 24px; }
.ak-room .ak-room-join .ak-link { font-family: monospace; font-size: 24px;
  word-break: break-all; }
.ak-room .ak-room-charts { gap: 40px; }
.ak-room .ak-chart { font-size: 20px; margin: 0; }
.ak-room .ak-chart figcaption { font-size: 22px; font-weight: 700; margin-bottom: 4px; }
.ak-room .ak-bars { display: flex; align-items: flex-end; gap: 8px;
  border-bottom: 3px solid #111; }
.ak-room .ak-bar { width: 96px; text-align: center; }
.ak-room .ak-bar .ak-fill { border: 2px solid #111; box-sizing: border-box; }
.ak-room .ak-bar .ak-n { font-size: 24px; font-weight: 700; }
.ak-room .ak-labels { display: flex; gap: 8px; }
.ak-room .ak-labels div { width: 96px; text-align: center; font-size: 20px;
  line-height: 1.15; }
</style>"""


def _progress_html(fac: Facilitator) -> str:
    progress = fac.progress()
    rest = str(progress).removeprefix(progress.theme_title)
    return (
        f"<div class='ak-room-top'>{_esc(progress.theme_title)}"
        f"<span style='font-weight:400'>{_esc(rest)}</span></div>"
    )


def _question_html(fac: Facilitator) -> str:
    row = fac.question()
    text = str(row["text"])
    size = " ak-long" if len(text) > 170 else ""
    # What the question's 2010 terms mean today, closed until someone opens it on the screen.
    help_part = help_html(fac.ws.framework, str(row["question_id"]))
    if help_part:
        help_part = f"<div class='ak-room-help'>{help_part}</div>"
    return f"<div class='ak-room-question{size}' lang='en'>{_esc(text)}</div>{help_part}"


def _state_html(fac: Facilitator) -> str:
    voting = "Voting closed" if fac.closed else "Voting open"
    results = "Results shown" if fac.revealed else "Results hidden"
    answered = len(fac.answers())
    people = len(fac.respondents())
    return (
        f"<div class='ak-room-state'><b>Round {fac.round}</b> · {voting} · {results}</div>"
        f"<div class='ak-room-count'>{answered} of {people} answered</div>"
    )


class RoomView(w.VBox):
    """The projector's page for one workshop (see `room_page`).

    Attributes
    ----------
    heading, question, state, timer, join : ipywidgets.HTML
        The parts of the page, from the top.
    charts : dict of int to ipywidgets.HTML
        The room's answers in round 1 and round 2 (bar charts drawn in HTML, so their words
        stay sharp and large on any projector), shown once results are revealed.
    """

    def __init__(
        self, workshop_path: Path, *, join_url: str | None = None, poll_seconds: float = 1.0
    ) -> None:
        from .store import Workshop

        self.path = Path(workshop_path)
        self.controller = Facilitator(Workshop.open(self.path))
        self.join_url = join_url
        self.poll_seconds = poll_seconds
        self.heading = w.HTML()
        self.question = w.HTML()
        self.state = w.HTML()
        self.timer = w.HTML()
        self.join = w.HTML()
        self.charts = {r: w.HTML() for r in (1, 2)}
        self.chart_row = w.HBox(layout=w.Layout(width="100%", align_items="flex-start"))
        self.chart_row.add_class("ak-room-charts")
        self._seen: object = None
        self._task: asyncio.Task[None] | None = None
        left = w.VBox([self.state, self.timer], layout=w.Layout(flex="1 1 auto"))
        middle = w.HBox([left, self.join], layout=w.Layout(width="100%"))
        super().__init__(
            [w.HTML(_ROOM_CSS), self.heading, self.question, middle, self.chart_row],
            layout=w.Layout(width="100%"),
        )
        self.add_class("ak-room")
        self.refresh()
        self._start_polling()

    # -- drawing
    def refresh(self) -> None:
        """Re-read the workshop file and redraw the page."""
        fac = self.controller
        fac.refresh()
        self._seen = file_signature(self.path)
        self.heading.value = _progress_html(fac)
        self.question.value = _question_html(fac)
        self.state.value = _state_html(fac)
        self._show_join()
        self.tick()
        self._show_results()

    def tick(self, now: dt.datetime | None = None) -> None:
        """Update the discussion timer (called every second while the page is open)."""
        timer = self.controller.discussion_timer()
        if timer is None:
            self.timer.value = ""
            return
        words = timer.words(now or dt.datetime.now(dt.UTC))
        self.timer.value = f"<div class='ak-room-timer' role='timer'>⏱ {_esc(words)}</div>"

    def set_join_url(self, url: str | None) -> None:
        """Show (or, with None, stop showing) the join link and its QR code."""
        self.join_url = url
        self._show_join()

    def _show_join(self) -> None:
        from .live import join_code, qr_svg

        fac = self.controller
        url = self.join_url or fac.join_url()
        if not url or fac.closed or join_code(fac.ws) is None:
            self.join.value = ""
            return
        short = url.split("://", 1)[-1]
        self.join.value = (
            "<div class='ak-room-join' style='display:flex;gap:16px;align-items:center'>"
            f"<div role='img' aria-label='QR code for the join link'>{qr_svg(url, scale=4)}"
            "</div><div>Vote on your phone: scan the code or open<br>"
            f"<span class='ak-link'>{_esc(short)}</span></div></div>"
        )

    def _show_results(self) -> None:
        fac = self.controller
        if not fac.revealed:
            self.chart_row.children = []
            return
        rounds = [1, 2] if fac.round == 2 else [1]
        for number in rounds:
            chart = bars_html(fac, fac.answers(round=number), number)
            if self.charts[number].value != chart:
                self.charts[number].value = chart
        self.chart_row.children = [self.charts[r] for r in rounds]

    # -- following the file
    def refresh_if_changed(self) -> bool:
        """Redraw when the workshop file changed since the last look; return whether it did."""
        if file_signature(self.path) == self._seen:
            return False
        self.refresh()
        return True

    def _start_polling(self) -> None:
        if self.poll_seconds <= 0:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside a kernel or server session: refresh by hand
        self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                self.refresh_if_changed()
                self.tick()
            except Exception as exc:  # a busy file must not stop the page
                log.warning("room view could not re-read the workshop file: %s", exc)

    def close(self) -> None:
        """Stop following the file, close it and the widgets."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        with contextlib.suppress(Exception):
            self.controller.close()
        super().close()


def bars_html(fac: Facilitator, answers: list[Any], number: int) -> str:
    """Draw one round's answers as an HTML bar chart for the room.

    A bar per level and one for "Don't know", each in the scale's colour-blind-safe colour,
    outlined in ink so a pale level never vanishes on a washed-out projector, with its count
    above and its words below (colour never carries the meaning alone), and the number of
    answers in the title. Text stays text: sharp and at least `CHART_PX` on any screen.

    Examples
    --------
    >>> import tempfile
    >>> from assured_kit.store import Workshop
    >>> path = Path(tempfile.mkdtemp()) / "b.workshop.sqlite"
    >>> fac = Facilitator(Workshop.create(path, title="B", themes=["WF"]))
    >>> rid = fac.add_respondent("T1"); _ = fac.rate(rid, 4)
    >>> html = bars_html(fac, fac.answers(), 1)
    >>> "Round 1 · 1 answer" in html and "4 Mostly confident: 1" in html
    True
    >>> fac.close()
    """
    from .palette import DONT_KNOW, level_colours
    from .scales import DONT_KNOW_LABEL

    scale = fac.scale
    colours = level_colours(scale)
    counts = {v: 0 for v in scale.values}
    unknown = 0
    for answer in answers:
        if answer.dont_know or answer.rating is None:
            unknown += 1
        elif answer.rating in counts:
            counts[answer.rating] += 1
    levels = [
        (str(v), str(label), counts[v], colours[v])
        for v, label in zip(scale.values, scale.labels, strict=True)
    ]
    levels.append(("", DONT_KNOW_LABEL, unknown, DONT_KNOW))
    top = max([1, *(level[2] for level in levels)])
    bars, names, words = [], [], []
    for value, label, n, colour in levels:
        height = round(BAR_PX * n / top)
        fill = (
            f"<div class='ak-fill' style='height:{height}px;background:{colour}'></div>"
            if n
            else ""
        )
        bars.append(f"<div class='ak-bar'><div class='ak-n'>{n}</div>{fill}</div>")
        name = f"{_esc(value)}<br>{_esc(label)}" if value else _esc(label)
        names.append(f"<div>{name}</div>")
        words.append(f"{value} {label}: {n}".strip())
    total = len(answers)
    title = f"Round {number} · {total} answer{'' if total == 1 else 's'}"
    described = f"{title}: {'; '.join(words)}"
    return (
        f"<figure class='ak-chart' role='img' aria-label='{_esc(described)}'>"
        f"<figcaption>{_esc(title)}</figcaption>"
        f"<div class='ak-bars' style='height:{BAR_PX + 34}px'>{''.join(bars)}</div>"
        f"<div class='ak-labels' aria-hidden='true'>{''.join(names)}</div></figure>"
    )


def room_page(workshop_path: Path, *, join_url: str | None = None) -> w.Widget:
    """Return the room view for a workshop file: the projector's page, live from the file.

    Parameters
    ----------
    workshop_path : Path
        The workshop file (``*.workshop.sqlite``).
    join_url : str, optional
        The live-voting join link; its QR code and short form are shown while voting is open.
        Without it, the link the console announced when it started live voting
        (`Facilitator.announce_join_url`) is shown.

    Returns
    -------
    ipywidgets.Widget
        A `RoomView`; display it, or serve it as a page.

    Examples
    --------
    >>> import tempfile
    >>> from assured_kit.store import Workshop
    >>> path = Path(tempfile.mkdtemp()) / "p.workshop.sqlite"
    >>> Workshop.create(path, title="P", themes=["LA"]).close()
    >>> page = room_page(path)
    >>> "0 of 0 answered" in page.state.value
    True
    >>> page.close()
    """
    return RoomView(Path(workshop_path), join_url=join_url)
