"""The participant's live-voting page: join from a phone, then vote on the open question.

Voilà runs ``notebooks/vote.ipynb`` (served by `assured_kit.live.serve`), which calls `page`.
The page is built from two layers:

- **Rules** (plain functions, tested without a browser): `check_code`, `join`,
  `respondent_for_token`, `cast_vote`, `my_answer`, `room_result`. A voter is known only by a
  device token (random, kept in the page's address and the browser's storage, and stored in the
  workshop only as a SHA-256 digest); `cast_vote` writes only for the respondent bound to that
  token, only to the question the facilitator has open, in its round, while voting is open.
- **Widgets** (`VoterPage`): the join form, then big tap targets for the rating and "Don't
  know", optional evidence and note, and the room's result once the facilitator reveals it. The
  page re-reads the facilitator's state every 1.5 seconds.

Every piece of participant text is escaped before it is shown; nothing a voter sends is run.

Examples
--------
>>> parse_query("code=abc&voter=xyz&code=other")
{'code': 'abc', 'voter': 'xyz'}
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import ipywidgets as widgets

from .errors import AssuredKitError
from .live import ENV_WORKSHOP, _append_live_event, _latest_live_event, join_code
from .safety import escape_html as _esc

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .store import Workshop

__all__ = [
    "ANONYMITY_TEXT",
    "ROLE_CHOICES",
    "VoterPage",
    "cast_vote",
    "check_code",
    "device_digest",
    "join",
    "my_answer",
    "page",
    "parse_query",
    "respondent_for_token",
    "room_result",
]

#: Roles a participant picks from, with the words shown on the page.
ROLE_CHOICES: dict[str, str] = {
    "DCS": "Director of Children's Services",
    "LM": "Lead Member for Children's Services",
    "Officer": "Another senior officer",
    "Mixed": "A table answering together",
}
#: What each anonymity mode means for the participant, shown before anything is asked.
ANONYMITY_TEXT: dict[str, str] = {
    "named": (
        "Named voting: you give your name. The facilitator sees who has answered, and your "
        "name is kept with your answers in the workshop file."
    ),
    "pseudonymous": (
        "Pseudonymous voting: choose a label (a nickname or your table's name, not necessarily "
        "your name). Your answers are kept under that label; the facilitator sees only how many "
        "have answered."
    ),
    "anonymous": (
        "Anonymous voting: you are not asked for a name; your answers are kept under a random "
        "label. In a small room, your role and authority together may still identify you."
    ),
}
#: The longest label a participant may type.
LABEL_LIMIT = 60
#: Query-string values longer than this are ignored (codes and tokens are 22-43 characters).
_QUERY_LIMIT = 100
_DEVICE_EVENT = "live.device"
_CHANGE_HINT = " You can change it until voting closes."


# --------------------------------------------------------------------------- rules


def parse_query(query_string: str | None) -> dict[str, str]:
    """Return the page address's ``code`` and ``voter`` values (first of each; others ignored).

    Examples
    --------
    >>> parse_query("")
    {}
    >>> parse_query("voter=" + "x" * 500)
    {}
    """
    values = parse_qs(query_string or "", keep_blank_values=False, max_num_fields=20)
    out: dict[str, str] = {}
    for key in ("code", "voter"):
        items = values.get(key)
        if items and 0 < len(items[0]) <= _QUERY_LIMIT:
            out[key] = items[0]
    return out


def check_code(ws: Workshop, code: str | None) -> bool:
    """Return whether ``code`` is the workshop's join code (compared in constant time).

    A workshop with no join code accepts nothing.

    Examples
    --------
    >>> check_code(ws, "wrong")  # doctest: +SKIP
    False
    """
    expected = join_code(ws)
    if expected is None or not isinstance(code, str) or not code:
        return False
    return secrets.compare_digest(code.encode("utf-8"), expected.encode("utf-8"))


def device_digest(token: str) -> str:
    """Return the SHA-256 digest under which a device token is stored in the workshop.

    Examples
    --------
    >>> device_digest("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def respondent_for_token(ws: Workshop, token: str | None) -> str | None:
    """Return the respondent id bound to a device token, or None for an unknown token.

    Examples
    --------
    >>> respondent_for_token(ws, "not-a-token")  # doctest: +SKIP
    """
    if not isinstance(token, str) or not token or len(token) > _QUERY_LIMIT:
        return None
    detail = _latest_live_event(ws, _DEVICE_EVENT, where=("device", device_digest(token)))
    return None if detail is None else str(detail["_subject"])


def _bind_device(ws: Workshop, respondent_id: str, token: str) -> None:
    """Record that a device token speaks for a respondent (one ``live.device`` event)."""
    _append_live_event(
        ws, _DEVICE_EVENT, {"device": device_digest(token)}, author=respondent_id,
        subject=respondent_id,
    )


def join(
    ws: Workshop,
    *,
    role: str,
    authority: str | None = None,
    label: str | None = None,
) -> tuple[str, str]:
    """Add a participant joining from a device; return ``(device token, respondent id)``.

    In named and pseudonymous workshops the participant's label is required (trimmed, at most
    60 characters, not already taken); in anonymous workshops any label given is ignored and a
    random one (``Voter 3F9A0C``) is used. The respondent and the device binding are written in
    one transaction.

    Raises
    ------
    AssuredKitError
        For a missing or taken label, or a role or authority the workshop does not allow.

    Examples
    --------
    >>> token, rid = join(ws, role="LM", authority="Derby", label="Sam")  # doctest: +SKIP
    >>> respondent_for_token(ws, token) == rid  # doctest: +SKIP
    True
    """
    kind = "table" if role == "Mixed" else "person"
    mode = ws.anonymity
    if mode != "anonymous":
        text = (label or "").strip()
        if not text:
            raise AssuredKitError(
                "a label is needed to join this workshop",
                field="label",
                allowed="your name (named workshops) or a nickname or table name",
                hint="the box was left empty",
            )
        if len(text) > LABEL_LIMIT:
            raise AssuredKitError(
                f"the label is {len(text)} characters long",
                field="label",
                allowed=f"at most {LABEL_LIMIT} characters",
                hint="a sentence typed instead of a name",
            )
        candidates = [text]
    else:
        candidates = [f"Voter {secrets.token_hex(3).upper()}" for _ in range(8)]
    token = secrets.token_urlsafe(24)
    last: AssuredKitError | None = None
    for candidate in candidates:
        try:
            with ws.batch():
                rid = ws.add_respondent(
                    candidate, role=role, authority=authority, kind=kind, author="live voting"
                )
                _bind_device(ws, rid, token)
        except AssuredKitError as exc:
            if exc.field != "label":
                raise
            last = exc
            continue
        return token, rid
    assert last is not None
    raise AssuredKitError(
        f"the label {candidates[-1]!r} is already taken",
        field="label",
        allowed="a label no one else in the room uses",
        hint="someone with the same name; add an initial or your authority",
    ) from last


def cast_vote(
    ws: Workshop,
    token: str,
    question_id: str,
    rating: int | None = None,
    *,
    round: int,
    dont_know: bool = False,
    evidence: int | None = None,
    note: str | None = None,
) -> int:
    """Save a voter's own answer to the open question; return the event id.

    The checks and the write share one transaction, so a vote cannot slip in after the
    facilitator closes the question or moves on.

    Raises
    ------
    AssuredKitError
        When the token is unknown, the question is not the open one, the round is not the
        current one, voting is closed, or the answer is invalid. Nothing is written then.

    Examples
    --------
    >>> cast_vote(ws, token, "LA-DCS-1", 4, round=1)  # doctest: +SKIP
    42
    """
    rid = respondent_for_token(ws, token)
    if rid is None:
        raise AssuredKitError(
            "this device has not joined the workshop",
            field="voter",
            allowed="a device that joined through the join page",
            hint="the page address lost its voter part; open the join link again",
        )
    with ws.batch():
        session = ws.session()
        if session["question_id"] is None or session["question_id"] != question_id:
            raise AssuredKitError(
                f"question {question_id!r} is not open for voting",
                field="question_id",
                allowed=f"the open question ({session['question_id'] or 'none is open'})",
                hint="the facilitator moved on; the page shows the open question",
            )
        if int(session["round"]) != int(round):
            raise AssuredKitError(
                f"round {round} is not the current round",
                field="round",
                allowed=f"round {session['round']}",
                hint="the facilitator started another round",
            )
        if session["closed"]:
            raise AssuredKitError(
                "voting on this question is closed",
                field="question_id",
                allowed="a vote while the facilitator keeps the question open",
                hint="the facilitator closed the vote",
            )
        return int(
            ws.record(
                rid,
                question_id,
                rating,
                dont_know=dont_know,
                evidence=evidence,
                note=note or None,
                round=int(round),
                author=rid,
                proxy=False,
            )
        )


def my_answer(
    ws: Workshop, respondent_id: str, question_id: str, round: int
) -> dict[str, Any] | None:
    """Return a respondent's current answer (rating, dont_know, evidence, note), or None.

    Examples
    --------
    >>> my_answer(ws, rid, "LA-DCS-1", 1)  # doctest: +SKIP
    {'rating': 4, 'dont_know': False, 'evidence': 2, 'note': None}
    """
    table = ws.ratings()
    rows = table[
        (table["respondent_id"] == respondent_id)
        & (table["question_id"] == question_id)
        & (table["round"] == round)
    ]
    if rows.empty:
        return None
    row = rows.iloc[-1]
    return {
        "rating": None if _missing(row["rating"]) else int(row["rating"]),
        "dont_know": bool(row["dont_know"]),
        "evidence": None if _missing(row["evidence"]) else int(row["evidence"]),
        "note": None if _missing(row["note"]) or row["note"] == "" else str(row["note"]),
    }


def _missing(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def room_result(ws: Workshop) -> pd.DataFrame | None:
    """Return the room's answers to the open question once revealed, else None.

    Returns
    -------
    pandas.DataFrame or None
        One row per scale level and one for "Don't know": ``value`` (Int64, <NA> for Don't
        know), ``label``, ``count``. None while the facilitator keeps results hidden or no
        question is open.

    Examples
    --------
    >>> room_result(ws)  # doctest: +SKIP
    """
    import pandas as pd

    session = ws.session()
    if not session["revealed"] or session["question_id"] is None:
        return None
    table = ws.ratings()
    rows = table[(table["question_id"] == session["question_id"])
                 & (table["round"] == int(session["round"]))]
    scale = ws.scale
    counts = rows.loc[~rows["dont_know"], "rating"].value_counts()
    values = [*scale.values, None]
    return pd.DataFrame(
        {
            "value": pd.array(values, dtype="Int64"),
            "label": [*scale.labels, "Don't know"],
            "count": [int(counts.get(v, 0)) for v in scale.values] + [int(rows["dont_know"].sum())],
        }
    )


# --------------------------------------------------------------------------- the page

_CSS = """
<style>
.ak-vote { max-width: 520px; width: 100%; margin: 0 auto; box-sizing: border-box;
           font-size: 18px; line-height: 1.4; color: #111; }
.ak-vote * { box-sizing: border-box; }
.ak-vote .widget-html, .ak-vote .widget-html-content { width: 100%; white-space: normal;
           overflow-wrap: anywhere; }
.ak-vote .ak-tap { width: 100%; height: auto; min-height: 56px; margin: 4px 0;
           font-size: 19px; white-space: normal; line-height: 1.25; padding: 8px 12px;
           text-align: left; }
.ak-vote .ak-small { width: 100%; height: auto; min-height: 44px; margin: 3px 0;
           font-size: 16px; white-space: normal; text-align: left; }
.ak-vote .ak-chosen { font-weight: 700; outline: 3px solid #111; }
.ak-vote input, .ak-vote textarea, .ak-vote select { font-size: 16px !important; }
.ak-vote .widget-text, .ak-vote .widget-textarea, .ak-vote .widget-dropdown,
.ak-vote .widget-toggle-buttons { width: 100% !important; }
.ak-vote .ak-question { font-size: 22px; font-weight: 600; margin: 8px 0; }
.ak-vote .ak-muted { color: #444; font-size: 16px; }
.ak-vote .ak-refusal { font-size: 20px; padding: 16px 0; }
.ak-vote .ak-bar { display: flex; align-items: center; gap: 8px; margin: 4px 0; }
.ak-vote .ak-bar-fill { background: #0b5394; height: 18px; }
.ak-vote .ak-saved { font-weight: 700; }
</style>
"""


class VoterPage:
    """The live-voting page for one device (see `page`).

    Parameters
    ----------
    ws : Workshop or None
        The workshop, or None when the server gave none (the page then refuses).
    query : dict
        ``code`` and ``voter`` from the page's address (`parse_query`).
    poll : bool, optional
        Re-read the facilitator's state every `refresh_seconds` (inside a kernel only).

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the page shows.
    respondent_id : str or None
        The respondent this device speaks for, once joined.
    """

    refresh_seconds = 1.5

    def __init__(self, ws: Workshop | None, query: dict[str, str], *, poll: bool = True) -> None:
        self.ws = ws
        self.query = dict(query)
        self.token: str | None = None
        self.respondent_id: str | None = None
        self.widget = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.widget.add_class("ak-vote")
        self._script = widgets.Output(layout=widgets.Layout(height="0px", overflow="hidden"))
        self._task: asyncio.Task[None] | None = None
        self._shown: tuple[Any, ...] | None = None
        self._pending_evidence: int | None = None
        self._answer: dict[str, Any] | None = None
        self._build()
        if poll and self.token is not None:
            self._start_timer()

    # -- which view ----------------------------------------------------------------------------

    def _build(self) -> None:
        if self.ws is None or not check_code(self.ws, self.query.get("code")):
            self.refuse()
            return
        rid = respondent_for_token(self.ws, self.query.get("voter"))
        if rid is None:
            self._show_join()
        else:
            self.token = self.query["voter"]
            self.respondent_id = rid
            self._show_vote()

    def refuse(self) -> None:
        """Show the refusal and nothing else (wrong, missing or retired join code)."""
        self.stop()
        self.token = None
        self.respondent_id = None
        self.widget.children = [
            widgets.HTML(_CSS),
            widgets.HTML(
                '<div class="ak-refusal"><b>This page needs a valid join link.</b><br>'
                "Scan the QR code or open the link the facilitator shows.</div>"
            ),
        ]

    # -- joining -------------------------------------------------------------------------------

    def _show_join(self) -> None:
        ws = self.ws
        assert ws is not None
        mode = ws.anonymity
        held = ws.held_on
        when = f" · {held:%d %B %Y}" if held else ""
        header = widgets.HTML(
            f"<h2>{_esc(ws.title)}</h2>"
            f'<div class="ak-muted">Live vote{_esc(when)}</div>'
            f"<p><b>{_esc(mode.capitalize())}.</b> {_esc(ANONYMITY_TEXT[mode])}</p>"
        )
        self.role = widgets.ToggleButtons(
            options=[(text, key) for key, text in ROLE_CHOICES.items()],
            value=None,
            style={"button_width": "100%"},
            layout=widgets.Layout(width="100%"),
        )
        self.authority = widgets.Dropdown(
            options=[("Choose your authority", ""), *[(a, a) for a in ws.details["authorities"]],
                     ("Prefer not to say", None)],
            value="",
            layout=widgets.Layout(width="100%"),
        )
        self.label = widgets.Text(
            placeholder="Your name" if mode == "named" else "A nickname or table name",
            layout=widgets.Layout(width="100%"),
        )
        self.join_button = widgets.Button(description="Join", button_style="primary")
        self.join_button.add_class("ak-tap")
        self.join_button.on_click(self._guard(self.submit_join))
        self.join_message = widgets.HTML()
        rows: list[widgets.Widget] = [
            widgets.HTML(_CSS),
            header,
            widgets.HTML("<b>I am</b>"),
            self.role,
            widgets.HTML("<b>Authority</b>"),
            self.authority,
        ]
        if mode != "anonymous":
            rows += [widgets.HTML("<b>Name</b>" if mode == "named" else "<b>Label</b>"),
                     self.label]
        rows += [self.join_button, self.join_message, self._script]
        self.widget.children = rows
        self._remember_device(recall=True)

    def submit_join(self) -> None:
        """Join with the choices made on the form, then show the voting view."""
        ws = self.ws
        assert ws is not None
        if not check_code(ws, self.query.get("code")):
            self.refuse()
            return
        if self.role.value is None:
            self.join_message.value = "<p><b>Choose your role first.</b></p>"
            return
        if self.authority.value == "":
            self.join_message.value = "<p><b>Choose your authority (or Prefer not to say).</b></p>"
            return
        try:
            token, rid = join(
                ws, role=self.role.value, authority=self.authority.value, label=self.label.value
            )
        except AssuredKitError as exc:
            self.join_message.value = f"<p><b>Not joined:</b> {_esc(exc.problem)}.</p>"
            return
        self.token, self.respondent_id = token, rid
        self.query["voter"] = token
        self._show_vote()
        self._remember_device(recall=False)
        self._start_timer()

    def _remember_device(self, *, recall: bool) -> None:
        """Run `device_script` in the browser (through a hidden output area)."""
        from IPython.display import Javascript, display

        script = self.device_script(recall=recall)
        self._script.clear_output()
        with self._script:
            display(Javascript(script))

    def device_script(self, *, recall: bool) -> str:
        """Return the browser script that keeps the device token across reloads.

        After joining (``recall=False``) it puts the token in the page's address and the
        browser's storage. On the join form (``recall=True``) it sends a browser that joined
        before back to its own voting page. Only the checked join code and tokens this page
        made go into the script, JSON-encoded; a stored token must look like one.
        """
        ws = self.ws
        assert ws is not None
        key = json.dumps(f"assured-kit-voter-{ws.workshop_id}")
        code = json.dumps(self.query.get("code", ""))
        if recall:
            script = (
                "(function(){try{var t=localStorage.getItem(" + key + ");"
                "if(t&&/^[A-Za-z0-9_-]{20,60}$/.test(t)&&location.search.indexOf('voter=')<0){"
                "location.replace('?'+new URLSearchParams({code:" + code + ",voter:t}));}"
                "}catch(e){}})();"
            )
        else:
            token = json.dumps(self.token or "")
            query = json.dumps("?" + urlencode({"code": self.query.get("code", ""),
                                                "voter": self.token or ""}))
            script = (
                "(function(){try{history.replaceState(null,''," + query + ");"
                "localStorage.setItem(" + key + "," + token + ");}catch(e){}})();"
            )
        return script

    # -- voting --------------------------------------------------------------------------------

    def _show_vote(self) -> None:
        ws = self.ws
        assert ws is not None
        people = ws.respondents()
        me = people[people["respondent_id"] == self.respondent_id].iloc[0]
        who = [str(me["label"]), ROLE_CHOICES.get(str(me["role"]), str(me["role"]))]
        if isinstance(me["authority"], str) and me["authority"] not in ("", "None", "nan"):
            who.append(str(me["authority"]))
        self.who = widgets.HTML(
            f'<div class="ak-muted">{_esc(ws.title)}<br>You: {_esc(" · ".join(who))}</div>'
        )
        self.status = widgets.HTML()
        self.question = widgets.HTML()
        scale = ws.scale
        self.rating_buttons: list[tuple[int | None, widgets.Button]] = []
        for value, label in zip(scale.values, scale.labels, strict=True):
            self.rating_buttons.append((int(value), self._tap(f"{value} · {label}")))
        self.rating_buttons.append((None, self._tap("Don't know")))
        for value, button in self.rating_buttons:
            button.on_click(self._guard(lambda v=value: self.vote(v)))
        ev = ws.evidence_scale
        self.evidence_buttons: list[tuple[int | None, widgets.Button]] = [
            (int(v), self._tap(f"{v} · {label}", small=True))
            for v, label in zip(ev.values, ev.labels, strict=True)
        ]
        for value, button in self.evidence_buttons:
            button.on_click(self._guard(lambda v=value: self.set_evidence(v)))
        self.note = widgets.Textarea(
            placeholder="Optional note (what makes you say that?)",
            layout=widgets.Layout(width="100%", height="90px"),
        )
        self.note_button = self._tap("Save note", small=True)
        self.note_button.on_click(self._guard(self.save_note))
        self.saved = widgets.HTML()
        self.result = widgets.HTML()
        extras = widgets.Accordion(
            children=[
                widgets.VBox([b for _, b in self.evidence_buttons]),
                widgets.VBox([self.note, self.note_button]),
            ],
            layout=widgets.Layout(width="100%"),
        )
        extras.set_title(0, "How do I know? (optional)")
        extras.set_title(1, "Add a note (optional)")
        self.widget.children = [
            widgets.HTML(_CSS),
            self.who,
            self.status,
            self.question,
            widgets.VBox([b for _, b in self.rating_buttons], layout=widgets.Layout(width="100%")),
            self.saved,
            extras,
            self.result,
            self._script,
        ]
        self._shown = None
        self.refresh()

    def _tap(self, text: str, *, small: bool = False) -> widgets.Button:
        button = widgets.Button(description=text, layout=widgets.Layout(width="100%"))
        button.add_class("ak-small" if small else "ak-tap")
        return button

    def refresh(self) -> None:
        """Re-read the facilitator's state and update the page (called every 1.5 s)."""
        ws = self.ws
        if ws is None or self.respondent_id is None:
            return
        if not check_code(ws, self.query.get("code")):
            self.refuse()
            return
        session = ws.session()
        qid, rnd = session["question_id"], int(session["round"])
        key = (qid, rnd)
        if self._shown is None or self._shown[:2] != key:
            self._pending_evidence = None
            self.note.value = ""
            self.saved.value = ""
            self._answer = None if qid is None else my_answer(ws, self.respondent_id, qid, rnd)
            if self._answer:
                self._pending_evidence = self._answer["evidence"]
                self.note.value = self._answer["note"] or ""
            self._show_question(qid, rnd)
        closed = bool(session["closed"]) or qid is None
        for _, button in [*self.rating_buttons, *self.evidence_buttons]:
            button.disabled = closed
        self.note_button.disabled = closed
        self.note.disabled = closed
        if qid is None:
            self.status.value = (
                '<p class="ak-muted">Waiting for the facilitator to open a question…</p>'
            )
        elif session["closed"]:
            self.status.value = f"<p><b>Round {rnd}: voting on this question is closed.</b></p>"
            self.saved.value = self.saved.value.replace(_CHANGE_HINT, "")
        else:
            again = " (after discussion)" if rnd == 2 else ""
            self.status.value = f'<p class="ak-muted">Round {rnd}{again}: tap your answer.</p>'
        self._mark()
        result = room_result(ws)
        self.result.value = "" if result is None else self._result_html(result)
        self._shown = (qid, rnd, bool(session["closed"]), bool(session["revealed"]))

    def _show_question(self, qid: str | None, rnd: int) -> None:
        ws = self.ws
        assert ws is not None
        if qid is None:
            self.question.value = ""
            return
        fw = ws.framework
        q = fw.question(qid)
        role = "Director of Children's Services" if q["role"] == "DCS" else "Lead Member"
        self.question.value = (
            f'<div class="ak-muted">{_esc(fw.theme_title(str(q["theme_id"])))} · '
            f"{_esc(role)} question {int(q['number'])}</div>"
            f'<div class="ak-question">{_esc(q["text"])}</div>'
        )

    def vote(self, rating: int | None) -> None:
        """Save a tap: a rating on the scale, or None for "Don't know"."""
        ws = self.ws
        if ws is None or self.token is None:
            return
        session = ws.session()
        qid, rnd = session["question_id"], int(session["round"])
        if qid is None:
            return
        note = self.note.value.strip() or None
        try:
            cast_vote(ws, self.token, qid, rating, round=rnd, dont_know=rating is None,
                      evidence=self._pending_evidence, note=note)
        except AssuredKitError as exc:
            self.saved.value = f"<p><b>Not saved:</b> {_esc(exc.problem)}.</p>"
            self.refresh()
            return
        self._answer = {"rating": rating, "dont_know": rating is None,
                        "evidence": self._pending_evidence, "note": note}
        self._confirm()

    def set_evidence(self, level: int) -> None:
        """Choose an evidence level; re-save the current answer with it, if there is one."""
        self._pending_evidence = None if self._pending_evidence == level else level
        if self._answer is not None:
            self.vote(self._answer["rating"])
        else:
            self._mark()
            self.saved.value = '<p class="ak-muted">Now tap your answer to save it.</p>'

    def save_note(self) -> None:
        """Save the note with the current answer (or ask for an answer first)."""
        if self._answer is not None:
            self.vote(self._answer["rating"])
        else:
            self.saved.value = '<p class="ak-muted">Tap your answer; the note is saved with it.</p>'

    def _confirm(self) -> None:
        answer = self._answer
        assert answer is not None
        ws = self.ws
        assert ws is not None
        if answer["dont_know"]:
            text = "Don't know"
        else:
            text = f"{answer['rating']} · {ws.scale.label_for(answer['rating'])}"
        extra = []
        if answer["evidence"] is not None:
            extra.append(f"evidence {answer['evidence']}")
        if answer["note"]:
            extra.append("note")
        more = f" (with {' and '.join(extra)})" if extra else ""
        stamp = datetime.now().strftime("%H:%M:%S")
        self.saved.value = (
            f'<p class="ak-saved">✓ Saved: {_esc(text)}{_esc(more)} at {stamp}.{_CHANGE_HINT}</p>'
        )
        self._mark()

    def _mark(self) -> None:
        """Show which answer and evidence are chosen (a tick and a frame, not colour alone)."""
        answer = self._answer
        for value, button in self.rating_buttons:
            chosen = answer is not None and (
                (value is None and answer["dont_know"])
                or (value is not None and answer["rating"] == value)
            )
            self._set_chosen(button, chosen)
        for value, button in self.evidence_buttons:
            self._set_chosen(button, self._pending_evidence == value)

    @staticmethod
    def _set_chosen(button: widgets.Button, chosen: bool) -> None:
        text = button.description.removeprefix("✓ ")
        button.description = f"✓ {text}" if chosen else text
        button.button_style = "primary" if chosen else ""
        if chosen:
            button.add_class("ak-chosen")
        else:
            button.remove_class("ak-chosen")

    def _result_html(self, result: pd.DataFrame) -> str:
        total = int(result["count"].sum())
        rows = []
        for label, value, count in zip(result["label"], result["value"], result["count"],
                                       strict=True):
            name = "Don't know" if _missing(value) else f"{int(value)} · {label}"
            share = 0 if total == 0 else round(100 * count / total)
            rows.append(
                f'<div class="ak-bar"><span style="flex:0 0 55%">{_esc(name)}</span>'
                f'<span class="ak-bar-fill" style="width:{share * 0.3:.0f}%"></span>'
                f"<span>{int(count)} ({share}%)</span></div>"
            )
        return f"<h3>The room's answers ({total})</h3>" + "".join(rows)

    # -- timer and errors ----------------------------------------------------------------------

    def _guard(self, action: Callable[..., None]) -> Callable[[Any], None]:
        """Wrap a button handler: any failure becomes a short message, never a traceback."""

        def handler(_button: Any = None) -> None:
            try:
                action()
            except Exception:
                import traceback

                _server_log(f"live voting: a tap failed\n{traceback.format_exc()}")
                target = getattr(self, "saved", None) or getattr(self, "join_message", None)
                if target is not None:
                    target.value = "<p><b>Something went wrong; please tap again.</b></p>"

        return handler

    def _start_timer(self) -> None:
        if self._task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        last = ""
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                self.refresh()
            except Exception:  # a busy file must not end the page; the log says why
                import traceback

                text = traceback.format_exc()
                if text != last:
                    _server_log(f"live voting: a page refresh failed\n{text}")
                last = text

    def stop(self) -> None:
        """Stop re-reading the workshop."""
        if self._task is not None:
            self._task.cancel()
            self._task = None


def page(workshop: str | os.PathLike[str] | None = None, *, query_string: str | None = None,
         poll: bool = True) -> widgets.VBox:
    """Return the live-voting page for this request (what ``notebooks/vote.ipynb`` shows).

    Parameters
    ----------
    workshop : str or path-like, optional
        The workshop file; by default the one `assured_kit.live.serve` passes to the kernel in
        ``ASSURED_KIT_LIVE_WORKSHOP``.
    query_string : str, optional
        The page address's query string; by default the one Voilà gives the kernel (for a
        preheated kernel, this waits for the request). Outside Voilà there is none, so the
        page refuses.
    poll : bool, optional
        Follow the facilitator's state while the page is open.

    Examples
    --------
    >>> page(None, query_string="").children[-1].value.startswith('<div class="ak-refusal">')
    True
    """
    if query_string is None:
        query_string = _voila_query_string()
    query = parse_query(query_string)
    target = workshop if workshop is not None else os.environ.get(ENV_WORKSHOP)
    ws = None
    if target and query.get("code"):
        from .store import Workshop

        try:
            ws = Workshop.open(Path(target))
        except (AssuredKitError, OSError) as exc:  # refuse, and tell the server's log why
            _server_log(f"live voting cannot open the workshop: {exc}")
    voter = VoterPage(ws, query, poll=poll)
    return voter.widget


def _server_log(message: str) -> None:
    """Write a line to the server's log, never to the voter's page.

    Inside a kernel, ipykernel forwards everything written to the process's standard error to
    the page; it keeps a copy of the original stream, which reaches the server's terminal, and
    only that copy is used. Where no such copy exists in a kernel, nothing is written.
    """
    data = (message.rstrip("\n") + "\n").encode("utf-8", "replace")
    original = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(original, int):
        with contextlib.suppress(OSError):
            os.write(original, data)
    elif "ipykernel" not in sys.modules and sys.__stderr__ is not None:
        sys.__stderr__.write(data.decode("utf-8"))
        sys.__stderr__.flush()


def _voila_query_string(*, retry_for: float = 60.0) -> str:
    """Return the query string of the request this kernel serves ("" outside Voilà).

    A kernel Voilà starts for a request finds it in ``QUERY_STRING``. A preheated kernel ran
    the notebook before anyone asked for it, so it waits here until Voilà hands it a request:
    Voilà sends the request's details over a websocket (``/voila/query/<kernel id>``) once
    the page is asked for. This does the same as ``voila.utils.get_query_string`` without
    importing Voilà's server modules into every voter's kernel (about 50 MB and a second of
    start-up each), retries the connection while the server is busy, and sends no keep-alive
    pings that a busy server could miss.
    """
    if os.environ.get("VOILA_PREHEAT") != "True":
        return os.environ.get("QUERY_STRING", "")
    kernel_id = os.environ.get("VOILA_KERNEL_ID", "")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL") or os.environ.get("VOILA_SERVER_URL") or "/"
    url = f"ws://{host}:{port}{base}voila/query/{kernel_id}"
    found: dict[str, str] = {}

    async def fetch() -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        deadline = time.monotonic() + retry_for
        while True:
            try:
                async with connect(url, open_timeout=10, ping_interval=None) as socket:
                    found.update(json.loads(await socket.recv()))
                    return
            except (OSError, TimeoutError, ValueError, WebSocketException) as exc:
                # refused or slow connections, a failed handshake or a closed connection
                if time.monotonic() > deadline:
                    _server_log(f"live voting: no request details from Voila ({exc!r})")
                    return
                await asyncio.sleep(0.5)

    # The kernel's own event loop is busy running this cell: wait on a private loop instead.
    thread = threading.Thread(target=lambda: asyncio.run(fetch()), daemon=True)
    thread.start()
    thread.join()
    for key, value in found.items():
        if isinstance(key, str) and isinstance(value, str):
            os.environ[key] = value
    return found.get("QUERY_STRING", "") if found else ""
