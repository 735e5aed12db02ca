"""The facilitator console: set up or resume a workshop, run it, sum it up (ipywidgets).

Everything the facilitator does goes through `assured_kit.facilitator.Facilitator`; the widgets
here only lay things out and wire clicks to its methods. Charts come from `assured_kit.charts`
and the strong / weak / contested picture from `assured_kit.summary`, so what the room sees is
exactly what the reports show.

Projector-friendly: the question is shown in large dark-on-light type, every button has a
text label and a tooltip, saved answers are confirmed in words ("✓ saved 10:42:13"), and colour
never carries meaning alone. Participant text is escaped wherever it is shown.

Examples
--------
>>> from assured_kit.console import facilitator_app
>>> app = facilitator_app(folder="/tmp/no-workshops-here")   # the set-up form
>>> app.tabs.selected_index
0
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import io
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from .errors import AssuredKitError
from .facilitator import (
    Answer,
    Facilitator,
    default_folder,
    new_workshop_path,
    workshop_files,
)
from .safety import escape_html as _esc
from .scales import DONT_KNOW_LABEL
from .text import percent

__all__ = [
    "FacilitatorApp",
    "FigureImage",
    "Notice",
    "RespondentRow",
    "facilitator_app",
]

log = logging.getLogger(__name__)

#: Type sizes chosen to be readable from the back of a room.
QUESTION_PX = 32
PROGRESS_PX = 22
ROW_PX = 18
_INK = "#111111"
_PAPER = "#ffffff"
_NOT_GIVEN = -1  # drop-down value for "no evidence level given"
_TAB_TITLES = ("1 Set up", "2 Respondents", "3 Run", "4 Summary", "Live voting")


def _button(description: str, tooltip: str, *, width: str = "auto", **style: str) -> w.Button:
    return w.Button(
        description=description,
        tooltip=tooltip,
        layout=w.Layout(width=width, height="auto", min_height="40px"),
        style={"font_size": "17px", **style},
    )


def _heading(text: str) -> w.HTML:
    return w.HTML(f"<h3 style='margin:0.4em 0;font-size:22px'>{_esc(text)}</h3>")


def _table_html(frame: pd.DataFrame, *, empty: str = "None yet.") -> str:
    """Render a small table with every cell escaped (participant text included)."""
    if frame.empty:
        return f"<p style='font-size:17px'>{_esc(empty)}</p>"
    head = "".join(
        f"<th style='text-align:left;padding:4px 10px'>{_esc(c)}</th>" for c in frame.columns
    )
    rows = []
    for record in frame.itertuples(index=False):
        cells = "".join(
            f"<td style='padding:4px 10px;vertical-align:top'>{_esc(_cell(v))}</td>" for v in record
        )
        rows.append(f"<tr style='border-top:1px solid #999'>{cells}</tr>")
    return (
        "<table style='border-collapse:collapse;font-size:17px;color:#111;background:#fff'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, str | list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, pd.Timestamp):
        return (
            value.date().isoformat()
            if value == value.normalize()
            else value.isoformat(" ", "minutes")
        )
    return value


# ---------------------------------------------------------------------------- shared pieces
class Notice(w.HTML):
    """A message box: errors say "Problem:" in words, confirmations start with a tick.

    Examples
    --------
    >>> box = Notice()
    >>> box.error(AssuredKitError("label is empty", field="label"))
    >>> "Problem" in box.value and "label is empty" in box.value
    True
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = ""
        self.kind = ""

    def error(self, problem: BaseException | str) -> None:
        """Show a problem (an `AssuredKitError`'s message, escaped)."""
        self.kind, self.message = "error", str(problem)
        self.value = (
            "<div role='alert' style='border:3px solid #b00020;background:#fff4f4;color:#111;"
            "padding:8px 12px;font-size:18px;margin:6px 0'>"
            f"<b>⚠ Problem:</b> {_esc(problem)}</div>"
        )

    def ok(self, text: str) -> None:
        """Show a confirmation."""
        self.kind, self.message = "ok", text
        self.value = (
            "<div role='status' style='border:2px solid #1b5e20;background:#f3fbf3;color:#111;"
            f"padding:6px 12px;font-size:18px;margin:6px 0'>✓ {_esc(text)}</div>"
        )

    def clear(self) -> None:
        """Remove the message."""
        self.kind, self.message = "", ""
        self.value = ""


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a widget handler; show bad input as a message, never as a traceback.

    The handler's object must have a ``notice`` (`Notice`) and an ``app`` (`FacilitatorApp`).
    Unexpected errors are shown too, logged with their traceback and remembered in
    ``app.unexpected`` (tests assert it stays empty).
    """

    @functools.wraps(method)
    def handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except AssuredKitError as exc:
            self.notice.error(exc)
        except Exception as exc:
            log.exception("facilitator widget handler %s failed", method.__name__)
            self.app.unexpected.append(exc)
            self.notice.error(
                f"something went wrong ({type(exc).__name__}: {exc}); details are in the log"
            )
        return None

    return handler


class FigureImage:
    """A persistent matplotlib figure shown as a PNG image widget.

    The figure and its axes live as long as the widget, so a chart function that updates its
    artists in place (`assured_kit.charts.live_distribution`) only changes bar heights on each
    redraw; the new PNG replaces the old one in a single message, so the picture never blanks
    out (no flicker). No pyplot state or GUI backend is involved.

    Parameters
    ----------
    width, height : float
        Figure size in inches.
    dpi : int
        Resolution of the PNG.

    Examples
    --------
    >>> pic = FigureImage(4, 2)
    >>> pic.draw(lambda ax: ax.bar([1, 2], [3, 1]))
    >>> pic.image.value[1:4] == b"PNG"
    True
    """

    def __init__(self, width: float = 9.0, height: float = 5.0, *, dpi: int = 72) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.layout_engine import ConstrainedLayoutEngine

        self.figure = Figure(figsize=(width, height), dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        # The layout is worked out again only when the axes' limits or title change (rarely:
        # the count axis grows in steps), not on every click.
        self._layout = ConstrainedLayoutEngine()
        self._laid_out_for: object = None
        self.image = w.Image(
            format="png", layout=w.Layout(width="100%", max_width=f"{width * dpi:.0f}px")
        )
        self.caption = w.HTML()
        self.widget = w.VBox([self.image, self.caption])
        self.draws = 0

    def draw(self, paint: Callable[[Any], Any], *, caption: str = "") -> None:
        """Let ``paint(ax)`` draw or update the axes, then send the new PNG to the browser."""
        paint(self.ax)
        key = (
            self.ax.get_xlim(),
            self.ax.get_ylim(),
            self.ax.get_title(loc="left"),
            self.ax.get_title(),
        )
        if key != self._laid_out_for:
            self._layout.execute(self.figure)
            self._laid_out_for = key
        buffer = io.BytesIO()
        # Fast PNG compression: the image travels over the local kernel connection only.
        self.figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        self.image.value = buffer.getvalue()
        self.caption.value = f"<div style='font-size:16px;color:#111'>{_esc(caption)}</div>"
        self.draws += 1


# ---------------------------------------------------------------------------- set-up panel
class SetupPanel(w.VBox):
    """Create a workshop, or open an existing file and resume it."""

    def __init__(self, app: FacilitatorApp) -> None:
        from .framework import load_framework
        from .store import ANONYMITY_MODES

        self.app = app
        self.notice = Notice()
        fw = load_framework()
        wide = w.Layout(width="36em")
        dstyle = {"description_width": "10em"}
        self.title = w.Text(
            description="Title",
            placeholder="e.g. East Midlands DCS and LM workshop",
            layout=wide,
            style=dstyle,
        )
        self.held_on = w.DatePicker(description="Date", value=dt.date.today(), style=dstyle)
        self.venue = w.Text(description="Venue", layout=wide, style=dstyle)
        self.facilitator = w.Text(description="Facilitator", layout=wide, style=dstyle)
        self.scale = w.Dropdown(
            description="Rating scale",
            options=[(s.title, sid) for sid, s in fw.scales.items() if sid != "evidence"],
            value="confidence",
            style=dstyle,
        )
        self.themes = {
            str(t.theme_id): w.Checkbox(
                value=True, description=f"{t.theme_id} · {t.title}", indent=False
            )
            for t in fw.themes.itertuples()
        }
        self.roles = {
            "DCS": w.Checkbox(value=True, description="DCS questions", indent=False),
            "LM": w.Checkbox(value=True, description="Lead Member questions", indent=False),
        }
        self.min_group = w.BoundedIntText(
            description="Min. group",
            value=3,
            min=1,
            max=50,
            style=dstyle,
            tooltip="Figures resting on fewer respondents are suppressed outside the room",
        )
        self.anonymity = w.Dropdown(
            description="Anonymity",
            options=list(ANONYMITY_MODES),
            value="pseudonymous",
            style=dstyle,
        )
        self.authorities = w.Textarea(
            description="Authorities",
            value="\n".join(fw.authorities),
            layout=w.Layout(width="36em", height="9em"),
            style=dstyle,
        )
        self.folder = w.Text(description="Folder", value=str(app.folder), layout=wide, style=dstyle)
        self.create_button = _button(
            "Create workshop", "Create the workshop file and start", button_color="#e8f0fe"
        )
        self.create_button.on_click(self._on_create)

        self.path = w.Text(
            description="Workshop file",
            placeholder="path/to/name.workshop.sqlite",
            layout=w.Layout(width="48em"),
            style=dstyle,
        )
        self.existing = w.Dropdown(
            description="Or pick", layout=w.Layout(width="48em"), style=dstyle
        )
        self.existing.observe(self._on_pick, names="value")
        self.rescan_button = _button("Look again", "List the workshop files in the folder again")
        self.rescan_button.on_click(self._on_rescan)
        self.open_button = _button(
            "Open and resume", "Open the file and continue where it stopped", button_color="#e8f0fe"
        )
        self.open_button.on_click(self._on_open)
        self.rescan()

        create_box = w.VBox(
            [
                _heading("Create a new workshop"),
                self.title,
                self.held_on,
                self.venue,
                self.facilitator,
                self.scale,
                w.HTML("<b>Themes in scope</b>"),
                w.GridBox(
                    list(self.themes.values()),
                    layout=w.Layout(grid_template_columns="repeat(3, 18em)"),
                ),
                w.HTML("<b>Roles in scope</b>"),
                w.HBox(list(self.roles.values())),
                self.min_group,
                self.anonymity,
                self.authorities,
                self.folder,
                self.create_button,
            ]
        )
        open_box = w.VBox(
            [
                _heading("Or resume a workshop"),
                self.existing,
                self.rescan_button,
                self.path,
                self.open_button,
            ]
        )
        super().__init__([self.notice, open_box, create_box])

    def rescan(self) -> None:
        """List the workshop files in the folder."""
        files = workshop_files(self.folder.value.strip() or self.app.folder)
        self.existing.options = [("— choose a file —", "")] + [(p.name, str(p)) for p in files]
        self.existing.value = ""

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.path.value = change["new"]

    @_guarded
    def _on_rescan(self, _button: w.Button) -> None:
        self.rescan()

    @_guarded
    def _on_create(self, _button: w.Button) -> None:
        title = self.title.value.strip()
        if not title:
            raise AssuredKitError(
                "the workshop needs a title",
                field="Title",
                allowed="any words, e.g. 'Derby DCS and LM workshop, March'",
            )
        themes = [t for t, box in self.themes.items() if box.value]
        roles = [r for r, box in self.roles.items() if box.value]
        if not themes or not roles:
            raise AssuredKitError(
                "no questions would be in scope",
                field="Themes/Roles",
                allowed="at least one theme and one role ticked",
            )
        authorities = [a.strip() for a in self.authorities.value.splitlines() if a.strip()]
        folder = Path(self.folder.value.strip() or self.app.folder).expanduser()
        path = new_workshop_path(title, folder, self.held_on.value)
        controller = Facilitator.create(
            path,
            title=title,
            held_on=self.held_on.value,
            venue=self.venue.value.strip(),
            facilitator=self.facilitator.value.strip(),
            scale=self.scale.value,
            themes=themes,
            roles=roles,
            min_group=int(self.min_group.value),
            anonymity=self.anonymity.value,
            authorities=authorities or None,
        )
        self.notice.ok(f"created {path}")
        self.app.load(controller)

    @_guarded
    def _on_open(self, _button: w.Button) -> None:
        raw = self.path.value.strip()
        if not raw:
            raise AssuredKitError(
                "no workshop file given",
                field="Workshop file",
                allowed="a path ending .workshop.sqlite, or a file picked above",
            )
        controller = Facilitator.open(raw)
        self.notice.ok(f"opened {controller.ws.path}")
        self.app.load(controller)


# ---------------------------------------------------------------------------- respondents
class RespondentsPanel(w.VBox):
    """Add respondents one at a time or as a pasted list; list who is in the room."""

    def __init__(self, app: FacilitatorApp, controller: Facilitator) -> None:
        from .text import RESPONDENT_ROLES

        self.app = app
        self.controller = controller
        self.notice = Notice()
        dstyle = {"description_width": "8em"}
        authorities = [("— none —", "")] + [(a, a) for a in controller.ws.details["authorities"]]
        self.label = w.Text(
            description="Label",
            placeholder="a name, pseudonym or 'Table 3'",
            layout=w.Layout(width="30em"),
            style=dstyle,
        )
        self.kind = w.ToggleButtons(
            options=[("Person", "person"), ("Table", "table")],
            value="person",
            description="Who",
            tooltips=["One person rates", "A table rates together"],
            style=dstyle,
        )
        self.role = w.Dropdown(
            options=list(RESPONDENT_ROLES), value="DCS", description="Role", style=dstyle
        )
        self.authority = w.Dropdown(
            options=authorities, value="", description="Authority", style=dstyle
        )
        self.add_button = _button("Add respondent", "Add this person or table")
        self.add_button.on_click(self._on_add)
        self.paste = w.Textarea(
            placeholder="One per line: label, or label, role, authority\n"
            "Table 1\nTable 2, Mixed, Derby\nCllr Example, LM, Rutland",
            layout=w.Layout(width="40em", height="10em"),
        )
        self.paste_button = _button(
            "Add all from the list", "Add every line; nothing is added if a line is refused"
        )
        self.paste_button.on_click(self._on_paste)
        self.listing = w.HTML()
        super().__init__(
            [
                self.notice,
                _heading("Add one"),
                self.label,
                self.kind,
                self.role,
                self.authority,
                self.add_button,
                _heading("Or paste a list"),
                w.HTML("Lines without a role or authority take the ones chosen above."),
                self.paste,
                self.paste_button,
                _heading("In the room"),
                self.listing,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Show the current respondents."""
        people = self.controller.respondents()
        shown = people[["label", "kind", "role", "authority"]] if not people.empty else people
        self.listing.value = _table_html(shown, empty="No respondents yet.")

    @_guarded
    def _on_add(self, _button: w.Button) -> None:
        rid = self.controller.add_respondent(
            self.label.value,
            role=self.role.value,
            authority=self.authority.value or None,
            kind=self.kind.value,
        )
        self.notice.ok(f"added {self.label.value.strip()}")
        self.label.value = ""
        self.app.respondents_changed(rid)

    @_guarded
    def _on_paste(self, _button: w.Button) -> None:
        added = self.controller.add_respondents(
            self.paste.value,
            role=self.role.value,
            authority=self.authority.value or None,
            kind=self.kind.value,
        )
        self.notice.ok(f"added {len(added)} respondents")
        self.paste.value = ""
        self.app.respondents_changed(*added)


# ---------------------------------------------------------------------------- respondent rows
class RespondentRow(w.VBox):
    """One respondent's rating buttons, evidence level, note and saved confirmation.

    Built once per respondent and reused for every question, so moving between questions only
    updates values.
    """

    def __init__(self, panel: RunPanel, respondent: pd.Series) -> None:
        self.app = panel.app
        self.panel = panel
        self.notice = panel.notice
        self.controller = panel.controller
        self.respondent_id = str(respondent["respondent_id"])
        self.label = str(respondent["label"])
        scale = self.controller.scale
        evidence = self.controller.evidence_scale
        role = "" if pd.isna(respondent["role"]) else str(respondent["role"])
        authority = respondent.get("authority")
        detail = " · ".join(x for x in [role, "" if pd.isna(authority) else str(authority)] if x)
        self.title = w.HTML(
            f"<div style='font-size:{ROW_PX + 2}px;font-weight:bold;color:{_INK}'>"
            f"{_esc(self.label)}</div>"
            f"<div style='font-size:14px;color:#333'>{_esc(detail)}</div>",
            layout=w.Layout(width="11em", min_width="11em"),
        )
        self.buttons: dict[int | str, w.Button] = {}
        for value, text, description in zip(
            scale.values, scale.labels, scale.levels["description"], strict=True
        ):
            tip = f"{self.label}: {value} {text}" + (f". {description}" if description else "")
            button = _button(f"{value} {text}", tip)
            button.on_click(functools.partial(self._on_rate, value))
            self.buttons[value] = button
        dk = _button(
            DONT_KNOW_LABEL, f"{self.label}: {DONT_KNOW_LABEL} (never counted as a low rating)"
        )
        dk.on_click(self._on_dont_know)
        self.buttons["dont_know"] = dk
        self.status = w.HTML(layout=w.Layout(margin="0 0 0 12px"))
        self.evidence = w.Dropdown(
            options=[("Evidence: not given", _NOT_GIVEN)]
            + [
                (f"Evidence {v}: {t}", v)
                for v, t in zip(evidence.values, evidence.labels, strict=True)
            ],
            value=_NOT_GIVEN,
            tooltip="How do I know? (optional)",
            layout=w.Layout(width="20em"),
        )
        self.note = w.Text(
            placeholder="Short note (optional; saved on Enter)",
            continuous_update=False,
            layout=w.Layout(width="24em"),
        )
        self._syncing = False
        self._selected: int | str | None = None
        self.evidence.observe(self._on_evidence, names="value")
        self.note.observe(self._on_note, names="value")
        buttons = w.HBox(list(self.buttons.values()), layout=w.Layout(flex_flow="row wrap"))
        super().__init__(
            [
                w.HBox([self.title, buttons], layout=w.Layout(align_items="center")),
                w.HBox(
                    [
                        w.HTML(layout=w.Layout(width="11em", min_width="11em")),
                        self.evidence,
                        self.note,
                        self.status,
                    ],
                    layout=w.Layout(align_items="center", flex_flow="row wrap"),
                ),
            ],
            layout=w.Layout(border_bottom="1px solid #999", padding="4px 0"),
        )

    # -- showing state
    def show(self) -> None:
        """Show this respondent's answer to the open question in the current round."""
        answer = self.controller.answer(self.respondent_id)
        self._select(None if answer is None else answer.choice)
        self._syncing = True
        try:
            self.evidence.value = (
                _NOT_GIVEN if answer is None or answer.evidence is None else answer.evidence
            )
            self.note.value = "" if answer is None or answer.note is None else answer.note
        finally:
            self._syncing = False
        self._show_status(answer, saved_now=False)

    def _select(self, choice: int | str | None) -> None:
        if choice == self._selected:
            return
        old = self.buttons.get(self._selected) if self._selected is not None else None
        if old is not None:
            old.icon, old.button_style = "", ""
        new = self.buttons.get(choice) if choice is not None else None
        if new is not None:
            new.icon, new.button_style = "check", "primary"
        self._selected = choice

    def _show_status(self, answer: Answer | None, *, saved_now: bool, pending: str = "") -> None:
        parts = []
        if answer is None:
            parts.append("<span>not answered yet</span>")
        else:
            at = answer.recorded_at.astimezone().strftime("%H:%M:%S")
            verb = "saved" if saved_now else "answered"
            parts.append(f"<b>✓ {verb} {at}</b> · {_esc(self.controller.answer_label(answer))}")
        if pending:
            parts.append(f"<i>{_esc(pending)}</i>")
        if self.controller.round == 2:
            first = self.controller.answer(self.respondent_id, round=1)
            parts.append(f"round 1: {_esc(self.controller.answer_label(first))}")
        self.status.value = (
            f"<div style='font-size:{ROW_PX}px;color:{_INK}'>{' · '.join(parts)}</div>"
        )

    # -- handlers
    @_guarded
    def _on_rate(self, value: int, _button: w.Button) -> None:
        answer = self.controller.rate(self.respondent_id, value)
        self._after_save(answer)

    @_guarded
    def _on_dont_know(self, _button: w.Button) -> None:
        answer = self.controller.dont_know(self.respondent_id)
        self._after_save(answer)

    @_guarded
    def _on_evidence(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        level = None if change["new"] == _NOT_GIVEN else int(change["new"])
        answer = self.controller.set_evidence(self.respondent_id, level)
        self._after_amend(answer, "evidence kept; saved with the rating")

    @_guarded
    def _on_note(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        answer = self.controller.set_note(self.respondent_id, change["new"])
        self._after_amend(answer, "note kept; saved with the rating")

    def _after_save(self, answer: Answer) -> None:
        self._select(answer.choice)
        self._show_status(answer, saved_now=True)
        self.panel.answers_changed()

    def _after_amend(self, answer: Answer | None, pending: str) -> None:
        if answer is None:
            self._show_status(None, saved_now=False, pending=pending)
        else:
            self._after_save(answer)


# ---------------------------------------------------------------------------- run panel
class RunPanel(w.VBox):
    """The projector view: question, progress, rating rows, facilitation moves, live picture."""

    def __init__(self, app: FacilitatorApp, controller: Facilitator) -> None:
        self.app = app
        self.controller = controller
        self.notice = Notice()
        self.progress = w.HTML()
        self.question = w.HTML()
        self.state = w.HTML()
        self.glossary_toggle = w.ToggleButton(
            description="Explain terms",
            tooltip="Show what the acronyms stood for and mean today",
            icon="book",
            layout=w.Layout(width="auto", min_height="40px"),
            style={"font_size": "17px"},
        )
        self.glossary_toggle.observe(self._on_glossary, names="value")
        self.glossary = w.HTML()

        self.previous_button = _button("◀ Previous", "Open the previous question")
        self.next_button = _button("Next ▶", "Open the next question")
        self.previous_button.on_click(self._on_previous)
        self.next_button.on_click(self._on_next)
        self.theme_jump = w.Dropdown(
            options=[("Jump to theme…", "")]
            + [(controller.ws.framework.theme_title(t), t) for t in controller.theme_ids()],
            value="",
            layout=w.Layout(width="22em"),
        )
        self.theme_jump.observe(self._on_jump, names="value")
        self.reveal_button = _button("Reveal results", "Show the room's answers to this question")
        self.reveal_button.on_click(self._on_reveal)
        self.round_button = _button("Start round 2", "Vote again after discussion")
        self.round_button.on_click(self._on_round)
        self.voting_button = _button("Close voting", "Stop devices changing their answers")
        self.voting_button.on_click(self._on_voting)
        self.refresh_button = _button("↻ Refresh", "Read answers saved from other devices")
        self.refresh_button.on_click(self._on_refresh)
        self.count = w.HTML()

        self.rows: dict[str, RespondentRow] = {}
        self.rows_box = w.VBox(layout=w.Layout(width="100%"))

        self.charts = {1: FigureImage(), 2: FigureImage()}
        self.chart_titles = {r: w.HTML(f"<b style='font-size:20px'>Round {r}</b>") for r in (1, 2)}
        self.chart_boxes = {
            r: w.VBox(
                [self.chart_titles[r], self.charts[r].widget],
                layout=w.Layout(flex="1 1 480px", max_width="648px", margin="0 12px 0 0"),
            )
            for r in (1, 2)
        }
        self.theme_picture = w.HTML(layout=w.Layout(flex="1 1 420px"))
        # Shown above the rows when revealed: the charts side by side, then the theme picture.
        self.results = w.HBox(
            layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")
        )

        self.prompts = w.Accordion()
        self.action_form = ActionForm(self)
        self.example_form = ExampleForm(self)
        self.extras = w.Accordion(
            children=[self.prompts, self.action_form, self.example_form],
            titles=(
                "Examples of practice from the source (prompts)",
                "Capture an action",
                "Capture good practice",
            ),
        )
        self._prompts_theme: str | None = None
        self._seen = _file_signature(controller.ws.path)
        # Our own writes are not news: remember the file as it is after each of them.
        controller.on_change(self._note_own_write)
        super().__init__(
            [
                self.notice,
                self.progress,
                self.question,
                w.HBox([self.glossary_toggle, self.state]),
                self.glossary,
                w.HBox(
                    [self.previous_button, self.next_button, self.theme_jump],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                w.HBox(
                    [
                        self.reveal_button,
                        self.round_button,
                        self.voting_button,
                        self.refresh_button,
                        self.count,
                    ],
                    layout=w.Layout(flex_flow="row wrap", align_items="center"),
                ),
                self.results,
                self.rows_box,
                self.extras,
            ],
        )
        self.sync_rows()
        self.show_question()

    # -- building
    def sync_rows(self) -> None:
        """Make sure every respondent has a row (new ones are appended)."""
        people = self.controller.respondents()
        for _, person in people.iterrows():
            rid = str(person["respondent_id"])
            if rid not in self.rows:
                self.rows[rid] = RespondentRow(self, person)
                self.rows[rid].show()
        if not self.rows:
            self.rows_box.children = [
                w.HTML(
                    "<p style='font-size:20px'>No respondents yet: add them in "
                    "<b>2 Respondents</b>.</p>"
                )
            ]
        else:
            self.rows_box.children = list(self.rows.values())

    def show_question(self) -> None:
        """Show the open question, its state and every row's answer."""
        c = self.controller
        row = c.question()
        self.progress.value = (
            f"<div style='font-size:{PROGRESS_PX}px;color:{_INK};font-weight:bold'>"
            f"{_esc(c.progress())}</div>"
        )
        self.question.value = (
            f"<div lang='en' style='font-size:{QUESTION_PX}px;line-height:1.3;color:{_INK};"
            f"background:{_PAPER};padding:12px 16px;border-left:8px solid #333'>"
            f"<span style='font-size:18px;font-weight:bold'>{_esc(row['question_id'])}</span><br>"
            f"{_esc(row['text'])}</div>"
        )
        self._show_glossary()
        self._show_prompts()
        for answer_row in self.rows.values():
            answer_row.show()
        self._show_state()
        self.answers_changed(redraw_all=True)

    def _show_state(self) -> None:
        c = self.controller
        revealed = "results shown" if c.revealed else "results hidden"
        self.state.value = (
            f"<div style='font-size:{PROGRESS_PX}px;color:{_INK};padding-left:1em'>"
            f"<b>Round {c.round}</b> · {revealed} · voting {'closed' if c.closed else 'open'}</div>"
        )
        self.reveal_button.description = "Hide results" if c.revealed else "Reveal results"
        self.reveal_button.icon = "eye-slash" if c.revealed else "eye"
        self.voting_button.description = "Reopen voting" if c.closed else "Close voting"
        self.voting_button.icon = "unlock" if c.closed else "lock"
        self.round_button.description = "Back to round 1" if c.round == 2 else "Start round 2"
        self.round_button.tooltip = (
            "Show and record round 1 again" if c.round == 2 else "Vote again after discussion"
        )

    def _show_glossary(self) -> None:
        entries = self.controller.glossary_entries()
        self.glossary_toggle.description = f"Explain terms ({len(entries)})"
        if not self.glossary_toggle.value:
            self.glossary.value = ""
            return
        if entries.empty:
            self.glossary.value = (
                "<p style='font-size:18px'>No glossary terms in this question.</p>"
            )
            return
        items = "".join(
            f"<li style='margin-bottom:6px'><b>{_esc(e.term)}</b>: {_esc(e.stands_for)}.<br>"
            f"<i>In 2010:</i> {_esc(e.meaning_in_2010)}<br>"
            f"<i>Today's nearest equivalent:</i> {_esc(e.today)}</li>"
            for e in entries.itertuples()
        )
        self.glossary.value = (
            f"<ul style='font-size:18px;color:{_INK};background:{_PAPER}'>{items}</ul>"
        )

    def _show_prompts(self) -> None:
        theme = self.controller.theme_id
        if theme == self._prompts_theme:
            return
        self._prompts_theme = theme
        examples = self.controller.examples_of_practice()
        children, titles = [], []
        for number, ex in enumerate(examples.itertuples(), start=1):
            who = {
                "DCS": "a Director of Children's Services",
                "LM": "a Lead Member",
                "DCS and LM": "a DCS and Lead Member",
            }.get(str(ex.attribution), str(ex.attribution))
            children.append(
                w.HTML(
                    f"<div style='font-size:18px;color:{_INK}'><p><b>{_esc(ex.heading)}</b></p>"
                    "<blockquote style='margin:0 1em;font-style:italic'>"
                    f"“{_esc(ex.quote)}”</blockquote>"
                    f"<p>— attributed to {_esc(who)} ({_esc(ex.example_id)})</p></div>"
                )
            )
            titles.append(f"{number}. {_shorten(str(ex.heading), 70)} ({ex.attribution})")
        self.prompts.children = children
        self.prompts.titles = tuple(titles)
        self.prompts.selected_index = None

    # -- live picture
    def answers_changed(self, *, redraw_all: bool = False) -> None:
        """Update the answer count and, when revealed, the live picture."""
        c = self.controller
        answered = len(c.answers())
        total = len(self.rows)
        self.count.value = (
            f"<div style='font-size:{PROGRESS_PX}px;color:{_INK};padding-left:1em'>"
            f"<b>{answered} of {total}</b> answered in round {c.round}</div>"
        )
        if not c.revealed:
            self.results.layout.display = "none"
            self.count.value += (
                "<div style='font-size:16px;color:#111;padding-left:1em'>Results hidden until "
                "you press <b>Reveal results</b>.</div>"
            )
            return
        self.results.layout.display = None
        rounds = [1, 2] if c.round == 2 else [1]
        self.results.children = [*(self.chart_boxes[r] for r in rounds), self.theme_picture]
        ratings = c.ws.ratings()  # read once: the file is the truth (other devices' votes too)
        mine = ratings[ratings["question_id"] == c.question_id]
        for r in rounds if redraw_all else [c.round]:
            self._draw_round(mine, r)
        self._draw_theme_picture(ratings)

    def _draw_round(self, ratings: pd.DataFrame, round_number: int) -> None:
        from . import charts

        chosen = ratings[ratings["round"] == round_number]
        self.charts[round_number].draw(
            lambda ax: charts.live_distribution(chosen, scale=self.controller.scale, ax=ax),
            caption=_counts_caption(chosen, self.controller),
        )

    def _draw_theme_picture(self, ratings: pd.DataFrame) -> None:
        self.theme_picture.value = (
            "<h3 style='font-size:20px;margin:8px 0 4px'>Theme by theme so far</h3>"
            + _theme_table(self.controller.theme_picture(ratings))
        )

    def _note_own_write(self, _event: str, _controller: Facilitator) -> None:
        self._seen = _file_signature(self.controller.ws.path)

    # -- handlers
    @_guarded
    def _on_previous(self, _button: w.Button) -> None:
        self.controller.previous_question()
        self.notice.clear()
        self.show_question()

    @_guarded
    def _on_next(self, _button: w.Button) -> None:
        self.controller.next_question()
        self.notice.clear()
        self.show_question()

    @_guarded
    def _on_jump(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        self.controller.jump_to_theme(change["new"])
        self.theme_jump.value = ""
        self.notice.clear()
        self.show_question()

    @_guarded
    def _on_reveal(self, _button: w.Button) -> None:
        if self.controller.revealed:
            self.controller.hide()
        else:
            self.controller.reveal()
        self._show_state()
        self.answers_changed(redraw_all=True)

    @_guarded
    def _on_round(self, _button: w.Button) -> None:
        self.controller.start_round(1 if self.controller.round == 2 else 2)
        self.show_question()

    @_guarded
    def _on_voting(self, _button: w.Button) -> None:
        if self.controller.closed:
            self.controller.open_voting()
        else:
            self.controller.close_voting()
        self._show_state()

    @_guarded
    def _on_refresh(self, _button: w.Button) -> None:
        self.reload()

    def reload(self) -> None:
        """Re-read the file (votes and session changes from other devices) and redraw."""
        self.controller.refresh()
        self.sync_rows()
        self.show_question()

    def reload_if_changed(self) -> bool:
        """Reload when another process wrote to the workshop file since we last looked.

        Returns True when it reloaded. Cheap when nothing changed: it only looks at the file's
        size and modification time.
        """
        signature = _file_signature(self.controller.ws.path)
        if signature == self._seen:
            return False
        self.reload()
        self._seen = _file_signature(self.controller.ws.path)
        return True

    @_guarded
    def _on_glossary(self, _change: dict[str, Any]) -> None:
        self._show_glossary()


def _file_signature(path: str | os.PathLike[str]) -> tuple[tuple[int, int], ...]:
    """Size and modification time of a workshop file and its write-ahead log."""
    found = []
    for candidate in (Path(path), Path(f"{path}-wal")):
        try:
            stat = candidate.stat()
        except OSError:
            found.append((0, 0))
        else:
            found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


#: Words and symbols for each classification, so the picture never rests on colour.
_CLASS_MARKS = {
    "strong": "▲ strong",
    "weak": "▼ weak",
    "contested": "◆ contested",
    "mixed": "● mixed",
    "no ratings": "○ no ratings",
    "suppressed": "— suppressed",
}


def _theme_table(themes: pd.DataFrame) -> str:
    """Render the theme-by-theme picture from `summary.by_theme` as an escaped HTML table."""
    if themes.empty:
        return _table_html(themes, empty="No answers yet.")
    shown = pd.DataFrame(
        {
            "Theme": themes["theme_title"].astype(str),
            "Answers": themes["n_answers"],
            "Top": themes["top_share"].map(percent),
            "Bottom": themes["bottom_share"].map(percent),
            DONT_KNOW_LABEL: themes["dont_know_share"].map(percent),
            "Picture": themes["classification"].astype(str).map(lambda c: _CLASS_MARKS.get(c, c)),
        }
    )
    return _table_html(shown)


def _question_table(questions: pd.DataFrame) -> str:
    """Weakest questions or biggest disagreements (`assured_kit.summary`) as HTML."""
    if questions.empty:
        return _table_html(questions, empty="None yet.")
    columns = {
        "Question": questions["question_id"].astype(str),
        "Text": questions["question_text"].astype(str).map(lambda t: _shorten(t, 110)),
        "Answers": questions["n_answers"],
        "Top": questions["top_share"].map(percent),
        "Bottom": questions["bottom_share"].map(percent),
        "Picture": questions["classification"].astype(str).map(lambda c: _CLASS_MARKS.get(c, c)),
    }
    return _table_html(pd.DataFrame(columns))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _counts_caption(chosen: pd.DataFrame, controller: Facilitator) -> str:
    """Put the distribution in words, so the chart is never the only carrier of the result."""
    scale = controller.scale
    dont_know = int(chosen["dont_know"].sum())
    counts = chosen.loc[~chosen["dont_know"], "rating"].value_counts()
    parts = [
        f"{v} {label}: {int(counts.get(v, 0))}"
        for v, label in zip(scale.values, scale.labels, strict=True)
    ]
    parts.append(f"{DONT_KNOW_LABEL}: {dont_know}")
    return f"{len(chosen)} answers — " + "; ".join(parts)


class ActionForm(w.VBox):
    """Capture an action (what, owner, by when) linked to the open question or theme."""

    def __init__(self, panel: RunPanel) -> None:
        self.app = panel.app
        self.controller = panel.controller
        self.panel = panel
        self.notice = Notice()
        dstyle = {"description_width": "8em"}
        self.what = w.Textarea(
            description="What", layout=w.Layout(width="40em", height="4em"), style=dstyle
        )
        self.owner = w.Text(description="Owner", layout=w.Layout(width="30em"), style=dstyle)
        self.due = w.DatePicker(description="By when", style=dstyle)
        self.link = w.Dropdown(
            description="Linked to",
            options=[
                ("this question", "question"),
                ("this theme", "theme"),
                ("the whole workshop", "workshop"),
            ],
            value="question",
            style=dstyle,
        )
        self.add_button = _button("Add action", "Save this action now")
        self.add_button.on_click(self._on_add)
        self.listing = w.HTML()
        super().__init__(
            [
                self.notice,
                self.what,
                self.owner,
                self.due,
                self.link,
                self.add_button,
                _heading("Actions captured"),
                self.listing,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """List the actions captured so far."""
        actions = self.controller.actions()
        shown = (
            actions[["theme_id", "question_id", "what", "owner", "due", "status"]]
            if not actions.empty
            else actions
        )
        self.listing.value = _table_html(shown, empty="No actions yet.")

    @_guarded
    def _on_add(self, _button: w.Button) -> None:
        self.controller.add_action(
            self.what.value,
            owner=self.owner.value.strip(),
            due=self.due.value,
            link=self.link.value,
        )
        self.notice.ok("action saved")
        self.what.value, self.owner.value, self.due.value = "", "", None
        self.refresh()


class ExampleForm(w.VBox):
    """Capture an example of good practice offered in the room, with consent to share."""

    def __init__(self, panel: RunPanel) -> None:
        from .text import RESPONDENT_ROLES

        self.app = panel.app
        self.controller = panel.controller
        self.notice = Notice()
        dstyle = {"description_width": "8em"}
        self.text = w.Textarea(
            description="Practice", layout=w.Layout(width="40em", height="6em"), style=dstyle
        )
        self.role = w.Dropdown(
            description="Role",
            options=[("— not given —", "")] + [(r, r) for r in RESPONDENT_ROLES],
            value="",
            style=dstyle,
        )
        self.authority = w.Dropdown(
            description="Authority",
            options=[("— not given —", "")]
            + [(a, a) for a in self.controller.ws.details["authorities"]],
            value="",
            style=dstyle,
        )
        self.consent = w.Checkbox(
            description="They agree it may be shared beyond the room", value=False, indent=False
        )
        self.add_button = _button("Add example", "Save this example of good practice now")
        self.add_button.on_click(self._on_add)
        self.listing = w.HTML()
        super().__init__(
            [
                self.notice,
                self.text,
                self.role,
                self.authority,
                self.consent,
                self.add_button,
                _heading("Good practice captured"),
                self.listing,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """List the examples captured so far."""
        examples = self.controller.examples()
        if not examples.empty:
            examples = examples.assign(
                consent_to_share=examples["consent_to_share"].map({True: "yes", False: "no"})
            )[["theme_id", "question_id", "text", "role", "authority", "consent_to_share"]]
        self.listing.value = _table_html(examples, empty="No examples yet.")

    @_guarded
    def _on_add(self, _button: w.Button) -> None:
        self.controller.add_example(
            self.text.value,
            role=self.role.value or None,
            authority=self.authority.value or None,
            consent_to_share=self.consent.value,
        )
        self.notice.ok(
            "example saved" + (" (may be shared)" if self.consent.value else " (not to be shared)")
        )
        self.text.value, self.consent.value = "", False
        self.refresh()


# ---------------------------------------------------------------------------- summary
class SummaryPanel(w.VBox):
    """End of session: where confidence is strong or weak, actions, and one-click exports."""

    def __init__(self, app: FacilitatorApp, controller: Facilitator) -> None:
        self.app = app
        self.controller = controller
        self.notice = Notice()
        self.body = w.HTML(
            "<p style='font-size:18px'>Press <b>Update summary</b> at the end of the session.</p>"
        )
        self.refresh_button = _button("↻ Update summary", "Recompute the summary from the file")
        self.refresh_button.on_click(self._on_refresh)
        self.export_buttons = {
            "xlsx": _button(
                "Export workbook (XLSX)", "All answers, respondents, actions, examples"
            ),
            "csv": _button("Export answers (CSV)", "The tidy answers table"),
        }
        self.export_buttons["html"] = _button(
            "Export report (HTML)", "A self-contained report to share"
        )
        for kind, button in self.export_buttons.items():
            button.on_click(functools.partial(self._on_export, kind))
        self.exported = w.HTML()
        super().__init__(
            [
                self.notice,
                self.refresh_button,
                self.body,
                _heading("Exports (saved beside the workshop file)"),
                w.HBox(list(self.export_buttons.values()), layout=w.Layout(flex_flow="row wrap")),
                self.exported,
            ]
        )

    def refresh(self) -> None:
        """Recompute and show the end-of-session summary."""
        picture = self.controller.session_summary()
        themes = picture.themes

        def named(kind: str) -> str:
            chosen = themes[themes["classification"].astype(str) == kind]["theme_title"]
            return ", ".join(str(t) for t in chosen) or "none"

        actions = picture.actions
        if not actions.empty:
            actions = actions[["theme_id", "question_id", "what", "owner", "due", "status"]]
        examples = picture.examples
        shared = int(examples["consent_to_share"].sum()) if not examples.empty else 0
        self.body.value = (
            f"<div style='font-size:18px;color:{_INK};background:{_PAPER}'>"
            f"<p><b>{picture.answers}</b> answers saved.</p>"
            f"<p><b>▲ Strong:</b> {_esc(named('strong'))}<br>"
            f"<b>▼ Weak:</b> {_esc(named('weak'))}<br>"
            f"<b>◆ Contested:</b> {_esc(named('contested'))}</p>"
            "<h3 style='font-size:20px'>Theme by theme</h3>"
            + _theme_table(themes)
            + "<h3 style='font-size:20px'>Weakest questions</h3>"
            + _question_table(picture.weakest)
            + "<h3 style='font-size:20px'>Biggest disagreements</h3>"
            + _question_table(picture.disagreements)
            + f"<h3 style='font-size:20px'>Actions ({len(actions)})</h3>"
            + _table_html(actions, empty="No actions captured.")
            + f"<h3 style='font-size:20px'>Good practice offered ({len(examples)}, "
            f"{shared} agreed to share)</h3>"
            + _table_html(
                examples[["theme_id", "text", "role", "authority"]]
                if not examples.empty
                else examples,
                empty="No examples captured.",
            )
            + "</div>"
        )

    @_guarded
    def _on_refresh(self, _button: w.Button) -> None:
        self.refresh()

    @_guarded
    def _on_export(self, kind: str, _button: w.Button) -> None:
        path = self.controller.export(kind)
        self.notice.ok(f"saved {path}")
        self.exported.value += f"<div style='font-size:17px'>✓ {_esc(path)}</div>"


# ---------------------------------------------------------------------------- the app
class FacilitatorApp(w.VBox):
    """The whole projector notebook in one widget: set up, respondents, run, summary, live.

    Parameters
    ----------
    controller : Facilitator, optional
        A workshop to resume at once; without one the set-up form opens.
    folder : path-like, optional
        Where new workshops are saved and existing ones listed (default `default_folder`).
    live_panel : widget or callable, optional
        A live-voting panel to show in its own tab: a widget, or a callable taking the
        `Facilitator` and returning one (called whenever a workshop is loaded).
    auto_refresh : float, optional
        Seconds between looks for votes from other devices; see `facilitator_app`.
    """

    def __init__(
        self,
        controller: Facilitator | None = None,
        *,
        folder: str | os.PathLike[str] | None = None,
        live_panel: w.Widget | Callable[[Facilitator], w.Widget] | None = None,
        auto_refresh: float | None = None,
    ) -> None:
        self.auto_refresh = (
            auto_refresh if auto_refresh is not None else (2.0 if live_panel is not None else 0.0)
        )
        self._poller: asyncio.Task[None] | None = None
        self.folder = Path(folder).expanduser() if folder is not None else default_folder()
        self.controller: Facilitator | None = None
        self.unexpected: list[BaseException] = []
        self.live_panel = live_panel
        self.notice = Notice()
        self.header = w.HTML(self._header_html())
        self.setup = SetupPanel(self)
        self.respondents: RespondentsPanel | None = None
        self.run: RunPanel | None = None
        self.summary: SummaryPanel | None = None
        waiting = w.HTML(
            "<p style='font-size:20px'>Create or open a workshop in <b>1 Set up</b> first.</p>"
        )
        self.live_slot = w.VBox([self._live_placeholder()])
        self.tabs = w.Tab(
            children=[self.setup, waiting, waiting, waiting, self.live_slot], titles=_TAB_TITLES
        )
        super().__init__([self.header, self.notice, self.tabs], layout=w.Layout(width="100%"))
        self.add_class("assured-kit-facilitator")
        if controller is not None:
            self.load(controller)

    def _header_html(self) -> str:
        if self.controller is None:
            text, sub = "Assured Safeguarding workshop", "No workshop open"
        else:
            d = self.controller.ws.details
            held = d.get("held_on")
            bits = [str(held) if held else "", d.get("venue") or "", d.get("facilitator") or ""]
            synthetic = " (synthetic demo data)" if d.get("synthetic") else ""
            text = f"{d['title']}{synthetic}"
            sub = " · ".join([*(b for b in bits if b), f"file: {self.controller.ws.path}"])
        return (
            f"<div style='color:{_INK};background:{_PAPER}'>"
            "<h2 style='margin:4px 0;font-size:26px'>"
            f"{_esc(text)}</h2><div style='font-size:15px'>{_esc(sub)}</div></div>"
        )

    def _live_placeholder(self) -> w.HTML:
        return w.HTML(
            "<p style='font-size:18px'>Live voting from participants' own devices is not running "
            "in this notebook. Ratings entered here on the Run tab need no devices.</p>"
        )

    def load(self, controller: Facilitator) -> None:
        """Show a workshop: build its panels and resume at its stored question."""
        if self.controller is not None and self.controller is not controller:
            self.controller.close()
        self.controller = controller
        self.header.value = self._header_html()
        self.respondents = RespondentsPanel(self, controller)
        self.run = RunPanel(self, controller)
        self.summary = SummaryPanel(self, controller)
        live = self.live_panel
        if live is not None and not isinstance(live, w.Widget):
            live = live(controller)
        self.live_slot.children = [live if live is not None else self._live_placeholder()]
        self.tabs.children = [self.setup, self.respondents, self.run, self.summary, self.live_slot]
        self.tabs.titles = _TAB_TITLES
        if controller.respondents().empty:
            self.tabs.selected_index = 1
        else:
            self.tabs.selected_index = 2
        self._start_polling()

    def _start_polling(self) -> None:
        """Inside a kernel, look for votes from other devices every ``auto_refresh`` seconds."""
        if self.auto_refresh <= 0 or self._poller is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside a kernel: the Refresh button does it by hand
        self._poller = loop.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.auto_refresh)
            if self.run is None:
                continue
            try:
                self.run.reload_if_changed()
            except Exception as exc:  # a busy or vanished file must not stop the poller
                log.warning("could not re-read the workshop file: %s", exc)

    def close(self) -> None:
        """Stop looking for other devices' votes and close the widgets."""
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        super().close()

    def respondents_changed(self, *_added: str) -> None:
        """Update the listing and the rating rows after respondents were added."""
        if self.respondents is not None:
            self.respondents.refresh()
        if self.run is not None:
            self.run.sync_rows()
            self.run.answers_changed()


def _demo_controller() -> Facilitator:
    """Make a small synthetic workshop in a temporary folder (nothing is kept)."""
    import random

    folder = Path(tempfile.mkdtemp(prefix="assured-kit-demo-"))
    controller = Facilitator.create(
        folder / f"demo{'.workshop.sqlite'}",
        title="Demo workshop (synthetic data)",
        held_on=dt.date.today(),
        venue="Demo venue",
        facilitator="Demo facilitator",
        synthetic=True,
    )
    authorities = controller.ws.details["authorities"]
    controller.add_respondents(
        "\n".join(
            f"Table {n}, Mixed, {authorities[(n - 1) % len(authorities)]}" for n in range(1, 7)
        ),
        kind="table",
    )
    rng = random.Random(2010)
    people = list(controller.respondents()["respondent_id"])
    first = controller.question_id
    with controller.ws.batch():
        for qid in controller.questions["question_id"][:4]:
            controller.open_question(str(qid))
            for rid in people:
                if rng.random() < 0.1:
                    controller.dont_know(rid)
                else:
                    controller.rate(rid, rng.choice(controller.scale.values[1:]))
    controller.open_question(first)
    return controller


def facilitator_app(
    workshop: Any = None,
    *,
    folder: str | os.PathLike[str] | None = None,
    demo: bool = False,
    live_panel: w.Widget | Callable[[Facilitator], w.Widget] | None = None,
    auto_refresh: float | None = None,
) -> FacilitatorApp:
    """Return the facilitator's projector app (the notebook's one call).

    Parameters
    ----------
    workshop : path, Workshop or Facilitator, optional
        A workshop to resume. Without one, the set-up form opens (create or pick a file).
    folder : path-like, optional
        Where new workshops are saved and existing ones listed: ``$ASSURED_KIT_HOME`` or
        ``~/AssuredSafeguarding`` by default. Nothing is written until a workshop is created.
    demo : bool
        Open a small synthetic workshop in a temporary folder, to try the notebook out.
    live_panel : widget or callable, optional
        A live-voting panel for the "Live voting" tab (see `FacilitatorApp`).
    auto_refresh : float, optional
        Seconds between looks for votes from other devices (inside a kernel); 2 when a live
        panel is given, else off (the Refresh button does it by hand).

    Returns
    -------
    FacilitatorApp
        A widget; display it (last line of a cell) to use it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from assured_kit.store import Workshop
    >>> path = Path(tempfile.mkdtemp()) / "x.workshop.sqlite"
    >>> ws = Workshop.create(path, title="Example", themes=["CR"]); _ = ws.add_respondent("Table 1")
    >>> ws.close()
    >>> app = facilitator_app(path)
    >>> app.run.rows[next(iter(app.run.rows))].buttons[4].click()
    >>> app.controller.answers()[0].rating
    4
    """
    if demo and workshop is None:
        controller: Facilitator | None = _demo_controller()
    elif workshop is None:
        controller = None
    elif isinstance(workshop, Facilitator):
        controller = workshop
    elif isinstance(workshop, str | os.PathLike):
        controller = Facilitator.open(workshop)
    else:
        controller = Facilitator(workshop)
    return FacilitatorApp(
        controller, folder=folder, live_panel=live_panel, auto_refresh=auto_refresh
    )
