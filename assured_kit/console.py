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
import atexit
import base64
import contextlib
import datetime as dt
import functools
import html
import io
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as w
import pandas as pd
import traitlets

from .errors import AssuredKitError
from .facilitator import (
    Answer,
    Facilitator,
    default_folder,
    file_signature,
    last_workshop,
    new_workshop_path,
    remember_workshop,
    workshop_files,
)
from .jupyterhost import JupyterServer, jupyter_server
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

#: Type sizes chosen to be readable from the back of a room (the room view's are larger).
QUESTION_PX = 26
PROGRESS_PX = 22
ROW_PX = 18
_INK = "#111111"
_PAPER = "#ffffff"
_NOT_GIVEN = -1  # drop-down value for "no evidence level given"
#: Sizes of a rating row: fixed, so a click never moves anything.
_RATING_WIDTH_PX = 104
_ROW_BUTTON_HEIGHT = "40px"
_ROW_HEIGHT = "44px"
_NAME_WIDTH = "10em"
#: Keys typed into these elements are words, not shortcuts.
_TYPING = frozenset({"INPUT", "TEXTAREA", "SELECT"})
#: Seconds during which a second press of Next or Previous is taken as a double click.
NAVIGATION_DEBOUNCE = 0.8
#: The console's own styles: a pinned question bar, one-line rows, fixed-size buttons that wrap
#: their words inside, and a focus ring that shows where the keyboard is.
_CONSOLE_CSS = """<style>
.assured-kit-facilitator { color: #111; background: #fff; }
.assured-kit-facilitator .ak-bar { position: sticky; top: 0; z-index: 20; background: #fff;
  border-bottom: 3px solid #333; padding-bottom: 4px; }
.assured-kit-facilitator .ak-row { border-bottom: 1px solid #999; overflow: hidden; }
.assured-kit-facilitator .ak-rate, .assured-kit-facilitator .ak-name {
  white-space: normal !important; text-overflow: clip !important; line-height: 1.1 !important;
  font-size: 14px !important; padding: 0 4px !important; overflow: hidden; }
.assured-kit-facilitator .ak-name { font-weight: bold; font-size: 16px; text-align: left; }
.assured-kit-facilitator .ak-chosen { outline: 3px solid #111; outline-offset: -3px; }
.assured-kit-facilitator .ak-answered { font-size: 18px; line-height: 40px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.assured-kit-facilitator .ak-hint { font-size: 14px; color: #333; }
.assured-kit-facilitator .ak-status-text { font-size: 15px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.assured-kit-facilitator .ak-problem { color: #8a0016; }
.assured-kit-facilitator .lm-TabBar-tab, .assured-kit-facilitator .lm-TabBar-tabLabel {
  color: #111 !important; opacity: 1 !important; }
.assured-kit-facilitator .ak-stale { position: sticky; top: 0; z-index: 30; font-size: 20px;
  background: #fff4f4; color: #111; border: 3px solid #b00020; padding: 10px 14px; }
/* The class twice outranks ipywidgets' own "outline: none !important" on text boxes. */
.assured-kit-facilitator.assured-kit-facilitator :focus-visible {
  outline: 3px solid #1a4fd6 !important; outline-offset: 1px; }
</style>"""
_TAB_TITLES = ("1 Set up", "2 Respondents", "3 Run", "4 Summary", "5 Room and voting")


def _button(description: str, tooltip: str, *, width: str = "auto", **style: str) -> w.Button:
    return w.Button(
        description=description,
        tooltip=tooltip,
        layout=w.Layout(width=width, height="auto", min_height="40px"),
        style={"font_size": "17px", **style},
    )


def _typing(event: dict[str, Any]) -> bool:
    """Tell whether a key event comes from a box the facilitator types into, or has modifiers."""
    modified = any(event.get(k) for k in ("ctrl", "alt", "meta"))
    return modified or str(event.get("tag", "")).upper() in _TYPING


#: The browser side of `Shortcuts`: one key listener for the console, shipped in the kit.
_SHORTCUTS_JS = """
const KEYS = new Set(["ArrowRight", "ArrowLeft", "r", "R", "d", "D", "1", "2", "3", "4", "5"]);
const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);
function render({ model, el }) {
  el.style.display = "none";
  function onKey(event) {
    const app = el.closest(".assured-kit-facilitator");
    const bar = app && app.querySelector(".ak-bar");
    if (!bar || bar.offsetParent === null || !KEYS.has(event.key)) return;  // Run tab shown
    const target = event.target;
    if (target !== document.body && !app.contains(target)) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (TYPING.has(target.tagName) || target.isContentEditable) return;
    if (target.closest && target.closest(".lm-TabBar")) return;  // arrows move between tabs
    const row = target.closest ? target.closest(".ak-row") : null;
    const rid = row ? [...row.classList].find((c) => c.startsWith("ak-rid-")) : null;
    if (!rid && !["ArrowRight", "ArrowLeft", "r", "R"].includes(event.key)) return;
    event.preventDefault();
    event.stopPropagation();
    model.send({ key: event.key, row: rid ? rid.slice(7) : null, tag: target.tagName });
  }
  window.addEventListener("keydown", onKey, true);
  // The sections that fold open (actions, good practice, the source's examples) have headers
  // a mouse can click but the keyboard cannot reach: make each one a button in the Tab order
  // that Enter or Space opens, and say whether it is open.
  let pending = false;
  function reachable() {
    pending = false;
    const app = el.closest(".assured-kit-facilitator");
    if (!app) return;
    for (const head of app.querySelectorAll(".jupyter-widget-Collapse-header")) {
      if (!head.hasAttribute("tabindex")) {
        head.tabIndex = 0;
        head.setAttribute("role", "button");
        head.addEventListener("keydown", (event) => {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault();
          head.click();
        });
      }
      const open = head.parentElement.classList.contains("jupyter-widget-Collapse-open");
      head.setAttribute("aria-expanded", String(open));
    }
  }
  const watch = new MutationObserver(() => {
    if (!pending) { pending = true; requestAnimationFrame(reachable); }
  });
  watch.observe(document.body, { childList: true, subtree: true, attributes: true,
                                 attributeFilter: ["class"] });
  requestAnimationFrame(reachable);
  return () => { window.removeEventListener("keydown", onKey, true); watch.disconnect(); };
}
export default { render };
"""


class Shortcuts(anywidget.AnyWidget):
    """Keyboard shortcuts for the run view: → / ← next / previous, R reveal, 1-5 and D rate.

    A hidden widget holding a few lines of browser code (no download) that listens for keys
    while the Run tab is shown and the keyboard is not in a text box, and sends each one here;
    1-5 and D go to the row the keyboard is in. Tab moves through the rows as usual, and
    reaches the headers of the sections that fold open (Enter or Space opens them).
    """

    _esm = _SHORTCUTS_JS

    def __init__(self, panel: RunPanel) -> None:
        super().__init__()
        self.panel = panel
        self.on_msg(lambda _widget, content, _buffers: self.press(content))

    def press(self, event: dict[str, Any]) -> bool:
        """Act on one key as the browser reported it; return whether it was taken."""
        row = self.panel.rows.get(str(event.get("row") or ""))
        if row is not None and row.on_key(event):
            return True
        return self.panel.on_key(event)


def _rating_button(description: str, tooltip: str) -> w.Button:
    """Make a rating button of fixed size: its words wrap inside, it never grows or shrinks."""
    button = w.Button(
        description=description,
        tooltip=tooltip,
        layout=w.Layout(
            width=f"{_RATING_WIDTH_PX - 4}px",
            height=_ROW_BUTTON_HEIGHT,
            margin="0 2px",
            flex="0 0 auto",
        ),
    )
    button.add_class("ak-rate")
    return button


def _plain(problem: BaseException | str) -> str:
    """Word a problem as shown on screen (`AssuredKitError.plain`), never a traceback."""
    return problem.plain() if isinstance(problem, AssuredKitError) else str(problem)


def _strip_tags(markup: str) -> str:
    """Return the text of a piece of HTML (for a tooltip)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


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
        self.kind, self.message = "error", _plain(problem)
        self.value = (
            "<div role='alert' style='border:3px solid #b00020;background:#fff4f4;color:#111;"
            "padding:8px 12px;font-size:18px;margin:6px 0'>"
            f"<b>⚠ Problem:</b> {_esc(self.message)}</div>"
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

    The handler's object must have a ``notice`` (`Notice`) and an ``app`` (`FacilitatorApp`);
    a ``notices`` dict may name another message box for a handler, by the handler's name.
    Unexpected errors are shown too, logged with their traceback and remembered in
    ``app.unexpected`` (tests assert it stays empty).
    """

    @functools.wraps(method)
    def handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        # A message appears beside the control that caused it: a panel with several forms
        # names each handler's own message box in ``notices``.
        notice = getattr(self, "notices", {}).get(method.__name__, self.notice)
        try:
            return method(self, *args, **kwargs)
        except AssuredKitError as exc:
            notice.error(exc)
        except Exception as exc:
            log.exception("facilitator widget handler %s failed", method.__name__)
            self.app.unexpected.append(exc)
            notice.error(
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
    >>> pic.png[1:4] == b"PNG" and "alt=" in pic.image.value
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
        # An <img> with alternative text (the caption's words), so a screen reader reads the
        # result the chart shows; ipywidgets' Image has no alt.
        self._max_width = f"{width * dpi:.0f}px"
        self.image = w.HTML(layout=w.Layout(width="100%", max_width=self._max_width))
        self.png = b""
        self.caption = w.HTML()
        # Never a scroll box: a region that scrolls must be reachable by keyboard.
        self.widget = w.VBox([self.image, self.caption], layout=w.Layout(overflow="visible"))
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
        self.png = buffer.getvalue()
        alt = caption or self.ax.get_title(loc="left") or self.ax.get_title() or "chart"
        self.image.value = (
            f"<img src='data:image/png;base64,{base64.b64encode(self.png).decode('ascii')}' "
            f"alt='{_esc(alt)}' style='width:100%;max-width:{self._max_width};height:auto'>"
        )
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
                self.notice,
            ]
        )
        # Each form's messages appear under its own button.
        self.open_notice = Notice()
        self.notices = {"_on_open": self.open_notice, "_on_rescan": self.open_notice}
        open_box = w.VBox(
            [
                _heading("Or resume a workshop"),
                self.existing,
                self.rescan_button,
                self.path,
                self.open_button,
                self.open_notice,
            ]
        )
        super().__init__([open_box, create_box])

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
        self.open_notice.ok(f"opened {controller.ws.path}")
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
        self.paste_notice = Notice()

        # Change someone already added: rename, withdraw or bring back, clear an answer.
        self._syncing = False
        self.who = w.Dropdown(description="Who", style=dstyle, layout=w.Layout(width="30em"))
        self.new_label = w.Text(
            description="New label", style=dstyle, layout=w.Layout(width="30em")
        )
        self.rename_button = _button("Rename", "Give them the new label; answers stay theirs")
        self.rename_button.on_click(self._on_rename)
        self.withdraw_button = _button(
            "Withdraw", "Take them out of the rating rows; their answers are kept"
        )
        self.withdraw_button.on_click(self._on_withdraw)
        self.clear_button = _button(
            "Clear their answer to the open question",
            "Remove their current answer in this round (kept in the history)",
        )
        self.clear_button.on_click(self._on_clear)
        self.change_notice = Notice()
        self.who.observe(self._on_who, names="value")

        # A filled paper or spreadsheet rating sheet, all or nothing.
        self.sheet = w.FileUpload(
            accept=".xlsx,.csv",
            multiple=False,
            description="Choose sheet",
            tooltip="A filled rating sheet (.xlsx or .csv) made by 'assured-kit sheet'",
        )
        self.sheet_label = w.Text(
            description="For",
            placeholder="label; empty: the name on the sheet",
            style=dstyle,
            layout=w.Layout(width="30em"),
        )
        self.sheet_round = w.Dropdown(
            description="Round", options=[("1 (first vote)", 1), ("2 (after discussion)", 2)],
            value=1, style=dstyle,
        )  # fmt: skip
        self.sheet_button = _button("Import sheet", "Record every answer on the sheet, or none")
        self.sheet_button.on_click(self._on_sheet)
        self.sheet_notice = Notice()
        self.notices = {
            "_on_paste": self.paste_notice,
            "_on_rename": self.change_notice,
            "_on_withdraw": self.change_notice,
            "_on_clear": self.change_notice,
            "_on_who": self.change_notice,
            "_on_sheet": self.sheet_notice,
        }
        self.listing = w.HTML()
        super().__init__(
            [
                _heading("Add one"),
                self.label,
                self.kind,
                self.role,
                self.authority,
                self.add_button,
                self.notice,
                _heading("Or paste a list"),
                w.HTML("Lines without a role or authority take the ones chosen above."),
                self.paste,
                self.paste_button,
                self.paste_notice,
                _heading("Change someone"),
                self.who,
                self.new_label,
                w.HBox([self.rename_button, self.withdraw_button, self.clear_button]),
                self.change_notice,
                _heading("Import a filled rating sheet"),
                w.HTML("The name, role and authority come from the sheet unless you give a label."),
                self.sheet,
                self.sheet_label,
                self.sheet_round,
                self.sheet_button,
                self.sheet_notice,
                _heading("In the room"),
                self.listing,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Show the current respondents (withdrawn ones marked) and the choice of whom to change."""
        people = self.controller.respondents(withdrawn=True)
        gone = self.controller.withdrawn()
        if people.empty:
            shown = pd.DataFrame()
        else:
            shown = pd.DataFrame(
                {
                    "Label": people["label"],
                    "Person or table": people["kind"],
                    "Role": people["role"].astype(str),
                    "Authority": people["authority"],
                    "In the room": [
                        "withdrawn" if rid in gone else "yes" for rid in people["respondent_id"]
                    ],
                }
            )
        self.listing.value = _table_html(shown, empty="No respondents yet.")
        current = self.who.value
        self._syncing = True  # new options are not a new choice: keep the message shown
        try:
            self.who.options = [("— choose —", "")] + [
                (f"{label}{' (withdrawn)' if rid in gone else ''}", str(rid))
                for rid, label in zip(people["respondent_id"], people["label"], strict=True)
            ]
            self.who.value = current if current in {v for _, v in self.who.options} else ""
        finally:
            self._syncing = False
        self._show_who()

    def _show_who(self) -> None:
        rid = self.who.value
        self.withdraw_button.description = (
            "Bring back" if rid and rid in self.controller.withdrawn() else "Withdraw"
        )

    def _chosen(self) -> str:
        if not self.who.value:
            raise AssuredKitError(
                "no one is chosen",
                field="Who",
                allowed="a respondent picked from the list above",
            )
        return str(self.who.value)

    @_guarded
    def _on_who(self, _change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.change_notice.clear()
        label = dict((v, k) for k, v in self.who.options).get(self.who.value, "")
        self.new_label.value = label.removesuffix(" (withdrawn)") if self.who.value else ""
        self._show_who()

    @_guarded
    def _on_rename(self, _button: w.Button) -> None:
        rid = self._chosen()
        self.controller.rename_respondent(rid, self.new_label.value)
        self.change_notice.ok(f"renamed to {self.new_label.value.strip()}")
        self.app.respondents_changed()

    @_guarded
    def _on_withdraw(self, _button: w.Button) -> None:
        rid = self._chosen()
        back = rid in self.controller.withdrawn()
        self.controller.withdraw_respondent(rid, withdrawn=not back)
        self.change_notice.ok(
            "brought back: their answers count again" if back
            else "withdrawn: their answers are kept in the file but no longer count"
        )
        self.app.respondents_changed()

    @_guarded
    def _on_clear(self, _button: w.Button) -> None:
        rid = self._chosen()
        c = self.controller
        c.clear_answer(rid)
        self.change_notice.ok(
            f"cleared their round {c.round} answer to {c.progress()} (kept in the history)"
        )
        self.app.respondents_changed()

    @_guarded
    def _on_sheet(self, _button: w.Button) -> None:
        if not self.sheet.value:
            raise AssuredKitError(
                "no sheet chosen",
                field="Choose sheet",
                allowed="a filled rating sheet, .xlsx or .csv",
            )
        upload = self.sheet.value[0]
        name = Path(str(upload["name"])).name
        with tempfile.TemporaryDirectory(prefix="assured-kit-sheet-") as folder:
            target = Path(folder) / name
            target.write_bytes(bytes(upload["content"]))
            try:
                count = self.controller.import_rating_sheet(
                    target,
                    label=self.sheet_label.value.strip() or None,
                    round=int(self.sheet_round.value),
                )
            except AssuredKitError as exc:
                raise AssuredKitError(
                    f"nothing from {name} was recorded: {exc.problem}",
                    row=exc.row,
                    field=exc.field,
                    allowed=exc.allowed,
                    hint=exc.hint,
                ) from exc
        self.sheet_notice.ok(f"recorded {count} answers from {name}")
        self.sheet.value = ()
        self.app.respondents_changed()

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
        self.paste_notice.ok(f"added {len(added)} respondents")
        self.paste.value = ""
        self.app.respondents_changed(*added)


# ---------------------------------------------------------------------------- respondent rows
class _RowNotice:
    """A row's own message slot: a refusal is shown in the row it came from, not elsewhere."""

    def __init__(self, row: RespondentRow) -> None:
        self.row = row
        self.kind = ""
        self.message = ""

    def error(self, problem: BaseException | str) -> None:
        """Show that the row's last change was not saved, and why."""
        self.kind, self.message = "error", _plain(problem)
        self.row.render_status()

    def clear(self) -> None:
        """Forget the row's problem."""
        self.kind, self.message = "", ""


class RespondentRow(w.HBox):
    """One respondent on one line: name, rating buttons, evidence level, note and status.

    Built once per respondent and reused for every question, so moving between questions only
    updates values. Every button has a fixed size, so a click never moves anything on screen.

    While results are hidden the row never shows which button was chosen: an answered row shows
    only "✓ answered". Clicking the row's name shows its buttons, with the choice, for that row
    alone (to correct it); the next question hides it again.
    """

    def __init__(self, panel: RunPanel, respondent: pd.Series) -> None:
        self.app = panel.app
        self.panel = panel
        self.controller = panel.controller
        self.notice = _RowNotice(self)
        self.respondent_id = str(respondent["respondent_id"])
        self.label = str(respondent["label"])
        self.opened = False
        scale = self.controller.scale
        evidence = self.controller.evidence_scale
        role = "" if pd.isna(respondent["role"]) else str(respondent["role"])
        authority = respondent.get("authority")
        detail = " · ".join(x for x in [role, "" if pd.isna(authority) else str(authority)] if x)
        self.detail = detail
        self.title = w.Button(
            description=self.label,
            tooltip=f"{self.label}"
            + (f" ({detail})" if detail else "")
            + ": show or hide this row's answer, to check or correct it",
            layout=w.Layout(width=_NAME_WIDTH, height=_ROW_BUTTON_HEIGHT, flex="0 0 auto"),
        )
        self.title.add_class("ak-name")
        self.title.on_click(self._on_name)
        self.buttons: dict[int | str, w.Button] = {}
        for value, text, description in zip(
            scale.values, scale.labels, scale.levels["description"], strict=True
        ):
            tip = f"{self.label}: {value} {text}" + (f". {description}" if description else "")
            button = _rating_button(f"{value} {text}", tip)
            button.on_click(functools.partial(self._on_rate, value))
            self.buttons[value] = button
        dk = _rating_button(
            DONT_KNOW_LABEL, f"{self.label}: {DONT_KNOW_LABEL} (never counted as a low rating)"
        )
        dk.on_click(self._on_dont_know)
        self.buttons["dont_know"] = dk
        choice_width = f"{len(self.buttons) * _RATING_WIDTH_PX}px"
        self.buttons_box = w.HBox(
            list(self.buttons.values()),
            layout=w.Layout(width=choice_width, flex="0 0 auto", flex_flow="row nowrap"),
        )
        self.answered_tag = w.HTML(
            "<div class='ak-answered'>✓ answered <span class='ak-hint'>(results hidden; "
            "press the name to check or change)</span></div>",
            layout=w.Layout(width=choice_width, height=_ROW_BUTTON_HEIGHT),
        )
        self.choice_slot = w.Box(
            [self.buttons_box],
            layout=w.Layout(width=choice_width, height=_ROW_BUTTON_HEIGHT, flex="0 0 auto"),
        )
        self.evidence = w.Dropdown(
            options=[("Evidence: not given", _NOT_GIVEN)]
            + [
                (f"Evidence {v}: {t}", v)
                for v, t in zip(evidence.values, evidence.labels, strict=True)
            ],
            value=_NOT_GIVEN,
            tooltip=f"{self.label}: how do they know? (optional evidence level)",
            layout=w.Layout(width="10.5em", flex="0 0 auto"),
        )
        self.note = w.Text(
            placeholder="Note (Enter saves)",
            tooltip=f"{self.label}: a short note (optional; saved when you press Enter)",
            continuous_update=False,
            layout=w.Layout(width="11em", flex="0 0 auto"),
        )
        self.status = w.HTML(layout=w.Layout(flex="1 1 8em", min_width="8em", overflow="hidden"))
        self.status.add_class("ak-status")
        self._syncing = False
        self._selected: int | str | None = None
        self._answer: Answer | None = None
        self._saved_now = False
        self._pending = ""
        self._note_problem = ""
        self.evidence.observe(self._on_evidence, names="value")
        self.note.observe(self._on_note, names="value")
        super().__init__(
            [self.title, self.choice_slot, self.evidence, self.note, self.status],
            layout=w.Layout(
                height=_ROW_HEIGHT, align_items="center", flex_flow="row nowrap", width="100%"
            ),
        )
        self.add_class("ak-row")
        # The keyboard shortcuts find the focused row by this class (`Shortcuts`).
        self.add_class(f"ak-rid-{self.respondent_id}")

    # -- showing state
    @property
    def showing_choice(self) -> bool:
        """Whether this row shows which button was chosen (revealed, or opened by its name)."""
        c = self.controller
        return self.opened or (c.revealed and c.shows_individual(self.respondent_id))

    def show(self, *, new_question: bool = False) -> None:
        """Show this respondent's answer to the open question in the current round.

        ``new_question`` closes a row opened by its name and forgets the row's last problem.
        """
        if new_question:
            self.opened = False
            self.notice.clear()
            self._note_problem = ""
        answer = self.controller.answer(self.respondent_id)
        self._answer, self._saved_now, self._pending = answer, False, ""
        self._syncing = True
        try:
            if answer is not None:
                level = answer.evidence
            else:
                level = self.controller.carried_evidence(self.respondent_id)
            self.evidence.value = _NOT_GIVEN if level is None else level
            self.note.value = "" if answer is None or answer.note is None else answer.note
        finally:
            self._syncing = False
        self._show_choice()
        self.render_status()

    def _show_choice(self) -> None:
        answer = self._answer
        visible = self.showing_choice
        self._select(answer.choice if answer is not None and visible else None)
        wanted = self.buttons_box if answer is None or visible else self.answered_tag
        if self.choice_slot.children != (wanted,):
            self.choice_slot.children = [wanted]
        self.title.button_style = "info" if self.opened else ""

    def _select(self, choice: int | str | None) -> None:
        if choice == self._selected:
            return
        old = self.buttons.get(self._selected) if self._selected is not None else None
        if old is not None:
            old.button_style = ""
            old.remove_class("ak-chosen")
        new = self.buttons.get(choice) if choice is not None else None
        if new is not None:
            new.button_style = "primary"
            new.add_class("ak-chosen")
        self._selected = choice

    @property
    def chosen(self) -> int | str | None:
        """The button shown as chosen (None while results are hidden)."""
        return self._selected

    def render_status(self) -> None:
        """Write the row's status line: answered or not, and any problem, in words."""
        answer, parts = self._answer, []
        if answer is None:
            parts.append("not yet")
        else:
            at = answer.recorded_at.astimezone().strftime("%H:%M:%S")
            verb = "saved" if self._saved_now else "answered"
            text = f"<b>✓ {verb} {at}</b>"
            if self.showing_choice:
                text += f" · {_esc(self.controller.answer_label(answer))}"
            parts.append(text)
        if self._pending:
            parts.append(f"<i>{_esc(self._pending)}</i>")
        if self.controller.round == 2 and self.showing_choice:
            first = self.controller.answer(self.respondent_id, round=1)
            parts.append(f"round 1: {_esc(self.controller.answer_label(first))}")
        problems = [p for p in (self._note_problem, self.notice.message) if p]
        for problem in problems:
            parts.append(f"<b class='ak-problem'>⚠ {_esc(problem)}</b>")
        whole = " · ".join(parts)
        self.status.value = (
            f"<div class='ak-status-text' title='{_esc(_strip_tags(whole))}'>{whole}</div>"
        )

    # -- handlers
    def on_key(self, event: dict[str, Any]) -> bool:
        """Rate this row from the keyboard: 1-5 for a level, D for "Don't know".

        Returns whether the key was taken. Keys typed into the note or a list are left alone.
        """
        if _typing(event):
            return False
        key = str(event.get("key", ""))
        if key.lower() == "d":
            self._on_dont_know(self.buttons["dont_know"])
            return True
        if key.isdigit() and int(key) in self.buttons:
            self._on_rate(int(key), self.buttons[int(key)])
            return True
        return False

    @_guarded
    def _on_name(self, _button: w.Button) -> None:
        self.opened = not self.opened
        self._show_choice()
        self.render_status()

    @_guarded
    def _on_rate(self, value: int, _button: w.Button) -> None:
        self.notice.clear()
        answer = self.controller.rate(self.respondent_id, value)
        self._after_save(answer)

    @_guarded
    def _on_dont_know(self, _button: w.Button) -> None:
        self.notice.clear()
        answer = self.controller.dont_know(self.respondent_id)
        self._after_save(answer)

    @_guarded
    def _on_evidence(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.notice.clear()
        level = None if change["new"] == _NOT_GIVEN else int(change["new"])
        answer = self.controller.set_evidence(self.respondent_id, level)
        self._after_amend(answer, "evidence kept; saved with the rating")

    def _on_note(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        try:
            answer = self.controller.set_note(self.respondent_id, change["new"])
        except AssuredKitError as exc:
            # The row must never look saved when its note was refused.
            self._note_problem = f"note not saved: {exc.plain()}"
            self.render_status()
            return
        self._note_problem = ""
        self._after_amend(answer, "note kept; saved with the rating")

    def _after_save(self, answer: Answer) -> None:
        self._answer, self._saved_now, self._pending = answer, True, ""
        self._show_choice()
        self.render_status()
        self.panel.answers_changed()

    def _after_amend(self, answer: Answer | None, pending: str) -> None:
        if answer is None:
            self._pending = pending
            self.render_status()
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
        self.glossary = w.HTML()
        self._last_move = -float("inf")
        self._round_armed = False

        self.previous_button = _button("◀ Previous", "Open the previous question")
        self.next_button = _button("Next ▶", "Open the next question")
        self.previous_button.on_click(self._on_previous)
        self.next_button.on_click(self._on_next)
        self.theme_jump = w.Dropdown(
            options=[("Jump to theme…", "")]
            + [(controller.ws.framework.theme_title(t), t) for t in controller.theme_ids()],
            value="",
            tooltip="Jump to the first question of a theme",
            layout=w.Layout(width="14em"),
        )
        self.theme_jump.observe(self._on_jump, names="value")
        self.reveal_button = _button("Reveal results", "Show the room's answers to this question")
        self.reveal_button.on_click(self._on_reveal)
        self.round_button = _button("Start round 2", "Vote again after discussion")
        self.round_button.on_click(self._on_round)
        self.voting_button = _button(
            "Close voting on this question", "Stop devices changing their answers"
        )
        self.voting_button.on_click(self._on_voting)
        self.timer = w.Dropdown(
            options=[("No timer", 0), ("Timer: 2 min", 2), ("Timer: 5 min", 5),
                     ("Timer: 10 min", 10)],
            value=0,
            tooltip="A discussion timer on the room view",
            layout=w.Layout(width="9em"),
        )  # fmt: skip
        self.timer.observe(self._on_timer, names="value")
        self.refresh_button = _button("↻ Refresh", "Read answers saved from other devices")
        self.refresh_button.on_click(self._on_refresh)
        self.count = w.HTML()

        self.rows: dict[str, RespondentRow] = {}
        self.rows_box = w.VBox(layout=w.Layout(width="100%"))
        self.live_count = w.HTML()

        self.charts = {1: FigureImage(), 2: FigureImage()}
        self.chart_titles = {r: w.HTML(f"<b style='font-size:20px'>Round {r}</b>") for r in (1, 2)}
        self.chart_boxes = {
            r: w.VBox(
                [self.chart_titles[r], self.charts[r].widget],
                layout=w.Layout(
                    flex="1 1 480px", max_width="648px", margin="0 12px 0 0", overflow="visible"
                ),
            )
            for r in (1, 2)
        }
        self.theme_picture = w.HTML(layout=w.Layout(flex="1 1 420px"))
        # Shown above the rows when revealed: the charts side by side, then the theme picture.
        self.results = w.HBox(
            layout=w.Layout(
                flex_flow="row wrap", align_items="flex-start", width="100%", overflow="visible"
            )
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
        self._seen = file_signature(controller.ws.path)
        # Our own writes are not news: remember the file as it is after each of them.
        controller.on_change(self._note_own_write)
        # The question bar stays pinned at the top while the rows scroll beneath it; its
        # messages appear inside it, beside the buttons that caused them.
        self.bar = w.VBox(
            [
                w.HBox(
                    [self.progress, self.state, self.count, self.glossary],
                    layout=w.Layout(flex_flow="row wrap", align_items="baseline"),
                ),
                self.question,
                w.HBox(
                    [
                        self.previous_button,
                        self.next_button,
                        self.reveal_button,
                        self.round_button,
                        self.voting_button,
                        self.theme_jump,
                        self.timer,
                        self.refresh_button,
                    ],
                    layout=w.Layout(flex_flow="row wrap", align_items="center"),
                ),
                self.notice,
                self.live_count,
            ],
            layout=w.Layout(width="100%"),
        )
        self.bar.add_class("ak-bar")
        self.shortcuts = Shortcuts(self)
        super().__init__([self.bar, self.shortcuts, self.rows_box, self.results, self.extras])
        self.sync_rows()
        self.show_question()

    def on_key(self, event: dict[str, Any]) -> bool:
        """Act on a shortcut: → next, ← previous, R reveal or hide; return whether it did."""
        if _typing(event):
            return False
        key = str(event.get("key", ""))
        if key == "ArrowRight":
            self._on_next(self.next_button)
        elif key == "ArrowLeft":
            self._on_previous(self.previous_button)
        elif key.lower() == "r":
            self._on_reveal(self.reveal_button)
        else:
            return False
        return True

    # -- building
    def sync_rows(self) -> None:
        """Make sure every respondent has a row (new ones are appended)."""
        people = self.controller.respondents()
        for _, person in people.iterrows():
            rid = str(person["respondent_id"])
            # A live voter in a pseudonymous or anonymous workshop never gets a row of their
            # own: the room sees only how many have answered and, after reveal, the picture.
            if rid not in self.rows and self.controller.shows_individual(rid):
                self.rows[rid] = RespondentRow(self, person)
                self.rows[rid].show()
        # Withdrawn respondents keep their row object (and answers) but leave the screen.
        shown = [self.rows[rid] for rid in people["respondent_id"] if rid in self.rows]
        if not shown:
            self.rows_box.children = [
                w.HTML(
                    "<p style='font-size:20px'>No respondents yet: add them in "
                    "<b>2 Respondents</b>.</p>"
                )
            ]
        else:
            self.rows_box.children = shown

    def show_question(self, *, new_question: bool = True) -> None:
        """Show the open question, its state and every row's answer.

        ``new_question`` (a move to another question or round) also closes rows opened by
        their name and clears old messages; a reload of the same question keeps them.
        """
        c = self.controller
        row = c.question()
        self.progress.value = (
            f"<div style='font-size:{PROGRESS_PX}px;color:{_INK};font-weight:bold'>"
            f"{_esc(c.progress())}</div>"
        )
        self.question.value = (
            f"<div lang='en' style='font-size:{QUESTION_PX}px;line-height:1.25;color:{_INK};"
            f"background:{_PAPER};padding:4px 12px;border-left:8px solid #333'>"
            f"{_esc(row['text'])}</div>"
        )
        if new_question:
            self._round_armed = False
        self._show_glossary()
        self._show_prompts()
        for answer_row in self.rows.values():
            answer_row.show(new_question=new_question)
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
        self.voting_button.description = (
            f"Reopen round {c.round} voting" if c.closed else f"Close round {c.round} voting"
        )
        self.voting_button.tooltip = (
            f"Let devices answer this question in round {c.round} again"
            if c.closed
            else f"Stop devices answering or changing their answers to this question in round "
            f"{c.round} (answers you enter here are still saved)"
        )
        self.voting_button.icon = "unlock" if c.closed else "lock"
        if c.round == 2:
            self.round_button.description = "Back to round 1"
        elif self._round_armed:
            self.round_button.description = "Start round 2 anyway"
        else:
            self.round_button.description = "Start round 2"
        self.round_button.tooltip = (
            "Show and record round 1 again" if c.round == 2 else "Vote again after discussion"
        )

    def _show_glossary(self) -> None:
        # "Explain terms" is offered only when the question has terms or notes to explain:
        # a closed <details> the facilitator opens with a click or the keyboard.
        self.glossary.value = self.controller.help_html()

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
        total = len(c.respondents())
        self.count.value = (
            f"<div style='font-size:{PROGRESS_PX}px;color:{_INK};padding-left:0.6em'>"
            f"· <b>{answered} of {total}</b> answered</div>"
        )
        self._show_live_count()
        if not c.revealed:
            self.results.layout.display = "none"
            return
        self.results.layout.display = None
        rounds = [1, 2] if c.round == 2 else [1]
        self.results.children = [*(self.chart_boxes[r] for r in rounds), self.theme_picture]
        ratings = c.ws.ratings()  # read once: the file is the truth (other devices' votes too)
        mine = ratings[ratings["question_id"] == c.question_id]
        for r in rounds if redraw_all else [c.round]:
            self._draw_round(mine, r)
        self._draw_theme_picture(ratings)

    def _show_live_count(self) -> None:
        """Who has not answered (by name in a named workshop), and live voters as a count."""
        c = self.controller
        parts = []
        missing = c.not_answered()
        if missing:
            more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            shown = ", ".join(missing[:8]) + more
            parts.append(f"Not answered yet: {_esc(shown)}")
        voters = [rid for rid in c.live_voters() if not c.shows_individual(rid)]
        if voters:
            done = sum(c.answer(rid) is not None for rid in voters)
            parts.append(
                f"Live voters: {len(voters)} joined, {done} answered "
                "(counted, never shown one by one)"
            )
        self.live_count.value = (
            f"<div style='font-size:16px;color:{_INK};padding-left:1em'>"
            + "<br>".join(parts)
            + "</div>"
            if parts
            else ""
        )

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
        self._seen = file_signature(self.controller.ws.path)

    # -- handlers
    @_guarded
    def _on_timer(self, change: dict[str, Any]) -> None:
        minutes = int(change["new"])
        self.controller.start_timer(minutes)
        if minutes:
            self.notice.ok(f"a {minutes}-minute discussion timer is running on the room view")
        else:
            self.notice.clear()

    def _debounced(self) -> bool:
        """Tell whether a move comes so soon after the last one that it is a double click."""
        return time.monotonic() - self._last_move < NAVIGATION_DEBOUNCE

    @_guarded
    def _on_previous(self, _button: w.Button) -> None:
        if self._debounced():
            return
        self.controller.previous_question()
        self.notice.clear()
        self.show_question()
        self._last_move = time.monotonic()

    @_guarded
    def _on_next(self, _button: w.Button) -> None:
        if self._debounced():
            return
        self.controller.next_question()
        self.notice.clear()
        self.show_question()
        self._last_move = time.monotonic()

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
        for answer_row in self.rows.values():
            answer_row.show()
        self.answers_changed(redraw_all=True)

    @_guarded
    def _on_round(self, _button: w.Button) -> None:
        warning = self.controller.round_two_warning()
        if warning and not self._round_armed:
            self._round_armed = True
            self.notice.error(f"{warning} Press “Start round 2 anyway” to start it all the same.")
            self._show_state()
            return
        self.controller.start_round(1 if self.controller.round == 2 else 2)
        self.notice.clear()
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
        self.show_question(new_question=False)

    def reload_if_changed(self) -> bool:
        """Reload when another process wrote to the workshop file since we last looked.

        Returns True when it reloaded. Cheap when nothing changed: it only looks at the file's
        size and modification time.
        """
        signature = file_signature(self.controller.ws.path)
        if signature == self._seen:
            return False
        self.reload()
        self._seen = file_signature(self.controller.ws.path)
        return True


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


def _question_table(controller: Facilitator, questions: pd.DataFrame) -> str:
    """Render the weakest questions or biggest disagreements (`assured_kit.summary`)."""
    if questions.empty:
        return _table_html(questions, empty="None yet.")
    columns = {
        "Question": [controller.place_words(None, str(q)) for q in questions["question_id"]],
        "Text": questions["question_text"].astype(str).map(lambda t: _shorten(t, 110)),
        "Answers": questions["n_answers"],
        "Top": questions["top_share"].map(percent),
        "Bottom": questions["bottom_share"].map(percent),
        "Picture": questions["classification"].astype(str).map(lambda c: _CLASS_MARKS.get(c, c)),
    }
    return _table_html(pd.DataFrame(columns))


def _about_table(
    controller: Facilitator, frame: pd.DataFrame, columns: dict[str, Any], empty: str
) -> str:
    """Render actions or examples: what each is about in words (never ids), then ``columns``."""
    if frame.empty:
        return _table_html(frame, empty=empty)
    about = [
        controller.place_words(t, q)
        for t, q in zip(frame["theme_id"], frame["question_id"], strict=True)
    ]
    return _table_html(pd.DataFrame({"About": about, **columns}))


def _actions_html(
    controller: Facilitator, actions: pd.DataFrame, empty: str = "No actions yet."
) -> str:
    """Render the actions as a table with plain headings."""
    columns = {
        "What": actions["what"],
        "Owner": actions["owner"],
        "By when": actions["due"],
        "Status": actions["status"],
    }
    return _about_table(controller, actions, columns, empty)


def _examples_html(
    controller: Facilitator, examples: pd.DataFrame, empty: str = "No examples yet."
) -> str:
    """Render the good practice offered in the room: plain headings, consent in words."""
    columns = {
        "Practice": examples["text"],
        "Role": examples["role"],
        "Authority": examples["authority"],
        "May be shared": examples["consent_to_share"].map({True: "yes", False: "no"}),
    }
    return _about_table(controller, examples, columns, empty)


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
        self.pick = w.Dropdown(
            description="Action",
            tooltip="A new action, or one captured earlier to change or mark done",
            style=dstyle,
            layout=w.Layout(width="40em"),
        )
        self.pick.observe(self._on_pick, names="value")
        self.add_button = _button("Add action", "Save this action now")
        self.add_button.on_click(self._on_add)
        self.done_button = _button("Mark done", "Mark the chosen action done")
        self.done_button.on_click(self._on_done)
        self.listing = w.HTML()
        self._syncing = False
        super().__init__(
            [
                self.pick,
                self.what,
                self.owner,
                self.due,
                self.link,
                w.HBox([self.add_button, self.done_button]),
                self.notice,
                _heading("Actions captured"),
                self.listing,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """List the actions captured so far, and offer each one to change."""
        actions = self.controller.actions()
        self.listing.value = _actions_html(self.controller, actions)
        current = self.pick.value
        self._syncing = True
        try:
            self.pick.options = [("— a new action —", "")] + [
                (f"{_shorten(str(a.what), 60)} ({a.status})", str(a.action_id))
                for a in actions.itertuples()
            ]
            self.pick.value = current if current in {v for _, v in self.pick.options} else ""
        finally:
            self._syncing = False
        self._show_pick()

    def _show_pick(self) -> None:
        editing = bool(self.pick.value)
        self.add_button.description = "Save changes" if editing else "Add action"
        self.done_button.layout.display = None if editing else "none"
        self.link.layout.display = "none" if editing else None

    @_guarded
    def _on_pick(self, _change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.notice.clear()
        if self.pick.value:
            actions = self.controller.actions().set_index("action_id")
            chosen = actions.loc[self.pick.value]
            due = chosen["due"]
            self.what.value = str(chosen["what"])
            self.owner.value = str(chosen["owner"] or "")
            self.due.value = None if due is None or pd.isna(due) else pd.Timestamp(due).date()
        else:
            self.what.value, self.owner.value, self.due.value = "", "", None
        self._show_pick()

    @_guarded
    def _on_add(self, _button: w.Button) -> None:
        if self.pick.value:
            self.controller.update_action(
                self.pick.value,
                what=self.what.value,
                owner=self.owner.value.strip(),
                due=self.due.value,
            )
            self.notice.ok("changes saved")
        else:
            self.controller.add_action(
                self.what.value,
                owner=self.owner.value.strip(),
                due=self.due.value,
                link=self.link.value,
            )
            self.notice.ok("action saved")
            self.what.value, self.owner.value, self.due.value = "", "", None
        self.refresh()

    @_guarded
    def _on_done(self, _button: w.Button) -> None:
        self.controller.mark_action_done(self.pick.value)
        self.notice.ok("marked done")
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
        self.listing.value = _examples_html(self.controller, self.controller.examples())

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
        self._host: JupyterServer | None = None
        self._host_sought = False  # the kernel's Jupyter server, looked for on the first export
        # Messages under the button pressed: the summary's above the summary, the exports'
        # under the export buttons.
        self.refresh_notice = Notice()
        self.notices = {"_on_refresh": self.refresh_notice}
        super().__init__(
            [
                self.refresh_button,
                self.refresh_notice,
                self.body,
                _heading("Exports (saved beside the workshop file)"),
                w.HBox(list(self.export_buttons.values()), layout=w.Layout(flex_flow="row wrap")),
                self.notice,
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
            + _question_table(self.controller, picture.weakest)
            + "<h3 style='font-size:20px'>Biggest disagreements</h3>"
            + _question_table(self.controller, picture.disagreements)
            + f"<h3 style='font-size:20px'>Actions ({len(actions)})</h3>"
            + _actions_html(self.controller, actions, empty="No actions captured.")
            + f"<h3 style='font-size:20px'>Good practice offered ({len(examples)}, "
            f"{shared} agreed to share)</h3>"
            + _examples_html(self.controller, examples, empty="No examples captured.")
            + "</div>"
        )

    @_guarded
    def _on_refresh(self, _button: w.Button) -> None:
        self.refresh()

    @_guarded
    def _on_export(self, kind: str, _button: w.Button) -> None:
        path = self.controller.export(kind)
        self.notice.ok(f"saved {path.name} beside the workshop file")
        if not self._host_sought:  # once: the kernel's server does not change
            self._host, self._host_sought = jupyter_server(), True
        self.exported.value += export_link(path, server=self._host)


#: What a browser is told each export holds, so a click on its link opens or saves it well.
_MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".html": "text/html",
}


def export_link(
    path: Path, *, start: Path | None = None, server: JupyterServer | None = None
) -> str:
    """Offer a saved export as links: open it in JupyterLab, or download it.

    Inside JupyterLab (``server``, see `assured_kit.jupyterhost.jupyter_server`), a file under
    the server's root folder gets a link that opens it in a new JupyterLab tab and a download
    link served by Jupyter, and its place in the file browser. Elsewhere (Voilà, or a file
    outside the root) the download link carries the file itself (nothing is fetched from
    anywhere), and the folder is given relative to the notebook's folder when under it.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> target = folder / "out" / "a.csv"
    >>> target.parent.mkdir(); _ = target.write_text("x")
    >>> html = export_link(target, start=folder)
    >>> "download='a.csv'" in html and "out/a.csv" in html
    True
    >>> html = export_link(target, server=JupyterServer(root=folder, base_url="/"))
    >>> "href='/lab/tree/out/a.csv'" in html and "href='/files/out/a.csv'" in html
    True
    """
    relative = server.path_of(path) if server is not None else None
    if server is not None and relative is not None:
        return (
            f"<div style='font-size:17px;margin:4px 0'>✓ <a href='{_esc(server.lab_url(relative))}'"
            f" target='_blank' rel='noopener'>Open {_esc(path.name)} in JupyterLab</a> · "
            f"<a href='{_esc(server.files_url(relative))}' download='{_esc(path.name)}'>"
            f"Download</a> · saved in the file browser: <code>{_esc(relative)}</code></div>"
        )
    here = (start or Path.cwd()).resolve()
    where = path.resolve()
    try:
        shown = where.relative_to(here).as_posix()
        place = f"in the file browser: <code>{_esc(shown)}</code>"
    except ValueError:
        place = f"in the folder <code>{_esc(where.parent)}</code>"
    media = _MEDIA.get(path.suffix.lower(), "application/octet-stream")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f"<div style='font-size:17px;margin:4px 0'>✓ <a download='{_esc(path.name)}' "
        f"href='data:{media};base64,{data}'>Download {_esc(path.name)}</a> · saved {place}"
        "</div>"
    )


# ---------------------------------------------------------------------------- room and live
def _stop_server(server: Any) -> None:
    with contextlib.suppress(Exception):
        if server.running:
            server.stop()


class LiveControls(w.VBox):
    """Start and stop the workshop's page server: the room view and live voting.

    One server (`assured_kit.live.start_server`) serves both the room view for the projector
    and the voting page for phones. Its join link is announced in the workshop file, so the
    room view shows the QR code while voting is open.

    Parameters
    ----------
    app : FacilitatorApp
    controller : Facilitator
    starter : callable, optional
        Starts the server (`assured_kit.live.start_server` by default; tests pass another).
    """

    def __init__(
        self,
        app: FacilitatorApp,
        controller: Facilitator,
        *,
        starter: Callable[..., Any] | None = None,
    ) -> None:
        self.app = app
        self.controller = controller
        self.starter = starter
        self.server: Any = None
        self.notice = Notice()
        dstyle = {"description_width": "12em"}
        self.address = w.Dropdown(
            description="Phones reach me at",
            tooltip="The address in the join link and QR code: this laptop's address on the "
            "venue's Wi-Fi. 127.0.0.1 lets only this laptop in (for trying it out).",
            style=dstyle,
            layout=w.Layout(width="44em"),
        )
        self.port = w.BoundedIntText(
            value=8866, min=1024, max=65535, description="Port", style=dstyle
        )
        self.room_button = _button(
            "Open room view", "Start the page server (if needed) and show the room view's link"
        )
        self.room_button.on_click(self._on_room)
        self.voting_button = _button(
            "Start live voting", "Let participants vote from their own phones"
        )
        self.voting_button.on_click(self._on_voting)
        self.stop_button = _button(
            "Stop the page server", "Close the room view and voting pages; answers are kept"
        )
        self.stop_button.on_click(self._on_stop)
        self.links = w.HTML()
        self.list_addresses()
        super().__init__(
            [
                _heading("Room view for the projector, and live voting"),
                w.HTML(
                    "<p style='font-size:17px'>Open the room view on the projector: it shows the "
                    "question, progress and, when you reveal them, the room's answers, and never "
                    "who said what. Live voting lets people answer from their phones.</p>"
                ),
                self.address,
                self.port,
                w.HBox([self.room_button, self.voting_button, self.stop_button]),
                self.notice,
                self.links,
            ]
        )
        self._show()

    def list_addresses(self) -> None:
        """Offer this computer's addresses, the best candidates first."""
        from .live import candidate_addresses

        options = []
        try:
            found = candidate_addresses()
        except Exception:  # no address list on this system: loopback still works
            found = []
        for a in found:
            if a.kind == "loopback":
                continue
            warn = f" — {a.warning}" if a.warning else ""
            options.append((f"{a.address} ({a.interface}){warn}", a.address))
        options.append(("127.0.0.1 — this laptop only (to try it out)", "127.0.0.1"))
        self.address.options = options
        self.address.value = options[0][1]

    @property
    def running(self) -> bool:
        """Whether the page server is running."""
        return self.server is not None and bool(self.server.running)

    def _start(self) -> None:
        if self.running:
            return
        starter = self.starter
        if starter is None:
            from .live import start_server as starter
        self.server = starter(
            self.controller.ws.path, host=self.address.value, port=int(self.port.value)
        )
        # A kernel that is shut down or restarted takes its page server with it, so the port
        # is free when the console starts again.
        atexit.register(_stop_server, self.server)

    def _show(self) -> None:
        running = self.running
        voting = running and self.controller.join_url() is not None
        self.voting_button.description = "Stop live voting" if voting else "Start live voting"
        self.stop_button.layout.display = None if running else "none"
        if not running:
            self.links.value = ""
            return
        from .live import qr_svg

        room = _esc(self.server.room_url)
        parts = [
            "<div style='font-size:18px'><b>Room view</b> (open it on the projector, full "
            f"screen with F11): <a href='{room}' target='_blank' rel='noopener'>{room}</a></div>"
        ]
        if voting:
            join = _esc(self.server.vote_url)
            parts.append(
                "<div style='font-size:18px;display:flex;gap:16px;align-items:center'>"
                f"<div role='img' aria-label='QR code for the join link'>"
                f"{qr_svg(self.server.vote_url, scale=4)}</div>"
                f"<div><b>Join link</b> (also on the room view): {join}</div></div>"
            )
        self.links.value = "".join(parts)

    @_guarded
    def _on_room(self, _button: w.Button) -> None:
        self._start()
        self.notice.ok("the room view is ready: open its link on the projector")
        self._show()

    @_guarded
    def _on_voting(self, _button: w.Button) -> None:
        if self.running and self.controller.join_url() is not None:
            self.controller.announce_join_url(None)
            self.notice.ok("live voting stopped; the room view stays open")
        else:
            self._start()
            self.controller.announce_join_url(self.server.vote_url)
            self.notice.ok(f"live voting started on {self.controller.progress()}")
        self._show()

    @_guarded
    def _on_stop(self, _button: w.Button) -> None:
        self.stop()
        self.notice.ok("the page server is stopped; every answer is kept")

    def stop(self) -> None:
        """Stop the page server (if running) and take the join link off the room view."""
        if self.server is not None:
            if self.controller.join_url() is not None:
                self.controller.announce_join_url(None)
            self.server.stop()
            self.server = None
        self._show()


#: The browser side of `KernelWatch`.
_WATCH_JS = """
function render({ model, el }) {
  el.style.display = "none";
  let last = Date.now();
  const banner = document.createElement("div");
  banner.setAttribute("role", "alert");
  banner.className = "ak-stale";
  banner.textContent = model.get("message");
  model.on("msg:custom", (msg) => {
    if (msg && msg.pong) { last = Date.now(); banner.remove(); }
  });
  const timer = setInterval(() => {
    try { model.send({ ping: 1 }); } catch (e) { /* the connection is gone */ }
    const app = el.closest(".assured-kit-facilitator");
    if (Date.now() - last > model.get("patience_ms") && app && !banner.isConnected) {
      app.prepend(banner);
    }
  }, 2000);
  return () => { clearInterval(timer); banner.remove(); };
}
export default { render };
"""


class KernelWatch(anywidget.AnyWidget):
    """Say plainly on screen when the kernel behind the console stops answering.

    The page asks every two seconds; the kernel answers at once. When no answer has come for
    ``patience_ms`` (a restarted or stopped kernel, so the buttons no longer do anything), a
    banner at the top of the console says so and what to press. It goes again as soon as the
    kernel answers.
    """

    _esm = _WATCH_JS
    message = traitlets.Unicode(
        "⚠ The console has lost its kernel: it was restarted or stopped, so these buttons do "
        "nothing now. Nothing saved is lost. In JupyterLab press Run ▸ Run All Cells; in a "
        "browser tab, reload the page. The workshop reopens where it was."
    ).tag(sync=True)
    patience_ms = traitlets.Int(8000).tag(sync=True)

    def __init__(self) -> None:
        super().__init__()
        self.on_msg(lambda _widget, content, _buffers: self.answer(content))

    def answer(self, content: dict[str, Any]) -> bool:
        """Answer the page's question "are you there?"; return whether it was one."""
        if isinstance(content, dict) and content.get("ping"):
            self.send({"pong": 1})
            return True
        return False


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
    starter : callable, optional
        Starts the page server for the room view and live voting
        (`assured_kit.live.start_server` by default).
    remember : bool, optional
        Note each workshop opened, so `facilitator_app` reopens it after a restart.
    """

    def __init__(
        self,
        controller: Facilitator | None = None,
        *,
        folder: str | os.PathLike[str] | None = None,
        live_panel: w.Widget | Callable[[Facilitator], w.Widget] | None = None,
        auto_refresh: float | None = None,
        starter: Callable[..., Any] | None = None,
        remember: bool = True,
    ) -> None:
        self.starter = starter
        self.remember = remember
        self.live: LiveControls | None = None
        self.auto_refresh = auto_refresh if auto_refresh is not None else 2.0
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
        self.live_slot = w.VBox([waiting])
        self.tabs = w.Tab(
            children=[self.setup, waiting, waiting, waiting, self.live_slot], titles=_TAB_TITLES
        )
        self.watch = KernelWatch()
        super().__init__(
            [w.HTML(_CONSOLE_CSS), self.watch, self.header, self.notice, self.tabs],
            layout=w.Layout(width="100%"),
        )
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
            # The file by its name only: a full path on the projector says too much.
            name = Path(self.controller.ws.path).name
            sub = " · ".join([*(b for b in bits if b), f"file {name}"])
        return (
            f"<div style='color:{_INK};background:{_PAPER};margin:0 0 4px'>"
            "<h2 style='display:inline;margin:0;font-size:22px'>"
            f"{_esc(text)}</h2><span style='font-size:15px;margin-left:1em'>{_esc(sub)}</span>"
            "</div>"
        )

    def load(self, controller: Facilitator) -> None:
        """Show a workshop: build its panels and resume at its stored question."""
        if self.controller is not None and self.controller is not controller:
            self.controller.close()
        self.controller = controller
        if self.remember:
            remember_workshop(controller.ws.path, self.folder)
        self.header.value = self._header_html()
        self.respondents = RespondentsPanel(self, controller)
        self.run = RunPanel(self, controller)
        self.summary = SummaryPanel(self, controller)
        live = self.live_panel
        if live is not None and not isinstance(live, w.Widget):
            live = live(controller)
        if self.live is not None:
            self.live.stop()
        self.live = LiveControls(self, controller, starter=self.starter)
        self.live_slot.children = [self.live] if live is None else [self.live, live]
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
        """Stop the page server and the look for other devices' votes; close the widgets."""
        if self.live is not None:
            self.live.stop()
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        super().close()

    def respondents_changed(self, *_added: str) -> None:
        """Update the listing and the rating rows after respondents were added."""
        if self.respondents is not None:
            self.respondents.refresh()
        if self.run is not None:
            self.run.reload()


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
    starter: Callable[..., Any] | None = None,
) -> FacilitatorApp:
    """Return the facilitator's projector app (the notebook's one call).

    Without a workshop it reopens the one open last (named in ``.last-workshop`` in the
    folder), at the same question and round, so a kernel restart or a browser reload needs no
    more than running the notebook again; the set-up form opens when there is none.

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
        Seconds between looks for votes from other devices (inside a kernel; default 2, 0
        turns it off). Each look only compares the file's size and time, so answered counts
        refresh by themselves at no cost.

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
    >>> app = facilitator_app(path, folder=path.parent)
    >>> app.run.rows[next(iter(app.run.rows))].buttons[4].click()
    >>> app.controller.answers()[0].rating
    4
    """
    problem: AssuredKitError | None = None
    if demo and workshop is None:
        controller: Facilitator | None = _demo_controller()
    elif workshop is None:
        controller = None
        last = last_workshop(folder)
        if last is not None:
            try:
                controller = Facilitator.open(last)
            except AssuredKitError as exc:  # moved, damaged or locked: say so, pick another
                problem = exc
    elif isinstance(workshop, Facilitator):
        controller = workshop
    elif isinstance(workshop, str | os.PathLike):
        controller = Facilitator.open(workshop)
    else:
        controller = Facilitator(workshop)
    app = FacilitatorApp(
        controller,
        folder=folder,
        live_panel=live_panel,
        auto_refresh=auto_refresh,
        starter=starter,
        remember=not demo,
    )
    if problem is not None:
        app.setup.open_notice.error(
            f"the workshop open last could not be reopened: {problem.plain()} "
            "Pick it again below, or another one."
        )
    return app
