"""The participant's live-voting page: join from a phone, then vote on the open question.

The live-voting server (`assured_kit.live.start_server`) builds one `VoterPage` for every phone
that opens the join link, all in one process. The page is built from two layers:

- **Rules** (plain functions, tested without a browser): the join code (`ensure_join_code`,
  `check_code`), the room key (`ensure_room_key`), `join`, `respondent_for_token`,
  `cast_vote`, `my_answer`, `room_result`, `live_state`. A voter is known only by a device
  token (random, kept in the page's address and the browser's storage, and stored in the
  workshop only as a SHA-256 digest); `cast_vote` writes only for the respondent bound to that
  token, only for the question and round the page showed when they are still the open ones,
  and only while voting is open (voting closes when results are revealed, unless the
  facilitator switched that off with `set_close_on_reveal`).
- **Widgets** (`VoterPage`): the join form, then big tap targets for the rating and "Don't
  know", optional evidence and note, and the room's result once the facilitator reveals it. The
  server's hub (`assured_kit.liveapp.Hub`) hands the page the facilitator's state when it
  changes (`VoterPage.refresh`).

Live voting keeps its own records in the workshop's event log through the public
`Workshop.log_event` and `Workshop.latest_event`: the join code (``live.code``), the room key
(``live.room``), the options (``live.options``) and which device token speaks for which
respondent (``live.device``).

Every piece of participant text is escaped before it is shown; nothing a voter sends is run.

Examples
--------
>>> parse_query("code=abc&voter=xyz&code=other")
{'code': 'abc', 'voter': 'xyz'}
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle

from .errors import AssuredKitError
from .glossary import help_html
from .safety import escape_html as _esc

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .store import Workshop

__all__ = [
    "ANONYMITY_TEXT",
    "MOVED_ON",
    "ROLE_CHOICES",
    "VOTING_CLOSED",
    "Vote",
    "VoterPage",
    "cast_vote",
    "cast_votes",
    "check_code",
    "close_on_reveal",
    "device_digest",
    "ensure_join_code",
    "ensure_room_key",
    "join",
    "join_code",
    "live_state",
    "my_answer",
    "new_join_code",
    "parse_query",
    "respondent_for_token",
    "retire_join_code",
    "room_key",
    "room_result",
    "save_vote",
    "set_close_on_reveal",
    "voting_closed",
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

#: The longest label a participant may type.
LABEL_LIMIT = 60
#: Query-string values longer than this are ignored (codes and tokens are 22-43 characters).
_QUERY_LIMIT = 100
#: What a voter reads when their tap was for a question or round that is no longer open.
MOVED_ON = "This question has moved on — here is the current one"
#: What every page says while voting is closed.
VOTING_CLOSED = "Voting closed"
_DEVICE_EVENT = "live.device"
_CODE_EVENT = "live.code"
_ROOM_EVENT = "live.room"
_OPTIONS_EVENT = "live.options"
_CHANGE_HINT = " You can change it until voting closes."

log = logging.getLogger("assured_kit.live")


# --------------------------------------------------------------------------- codes and keys


def new_join_code() -> str:
    """Return a fresh, unguessable join code (128 random bits, URL-safe text).

    Examples
    --------
    >>> code = new_join_code()
    >>> len(code) >= 22 and code != new_join_code()
    True
    """
    return secrets.token_urlsafe(16)


def _latest_value(ws: Workshop, kind: str, key: str) -> str | None:
    event = ws.latest_event(kind)
    value = None if event is None else event["detail"].get(key)
    return value if isinstance(value, str) and value else None


def _ensure_secret(ws: Workshop, kind: str, key: str, *, rotate: bool, author: str) -> str:
    """Return the secret kept under ``kind``/``key``, making a new one when missing or asked."""
    with ws.batch():
        value = _latest_value(ws, kind, key)
        if value is None or rotate:
            value = new_join_code()
            ws.log_event(kind, {key: value}, author=author)
    return value


def join_code(ws: Workshop) -> str | None:
    """Return the workshop's current join code, or None when live voting has none.

    Examples
    --------
    >>> join_code(ws)  # doctest: +SKIP
    'mG3v0z1Hq2Rk9sY5bXw7Tg'
    """
    return _latest_value(ws, _CODE_EVENT, "join_code")


def ensure_join_code(ws: Workshop, *, rotate: bool = False, author: str = "facilitator") -> str:
    """Return the workshop's join code, making (or replacing) one when asked or missing.

    The code is kept in the workshop (an event in its log), so a restarted server and a
    re-printed QR code keep working. ``rotate=True`` replaces it: every page still open with
    the old code is shut out.

    Examples
    --------
    >>> code = ensure_join_code(ws)  # doctest: +SKIP
    >>> ensure_join_code(ws) == code  # doctest: +SKIP
    True
    """
    return _ensure_secret(ws, _CODE_EVENT, "join_code", rotate=rotate, author=author)


def retire_join_code(ws: Workshop, *, author: str = "facilitator") -> None:
    """End live voting for the workshop: no join code is valid any more.

    Examples
    --------
    >>> retire_join_code(ws)  # doctest: +SKIP
    >>> join_code(ws) is None  # doctest: +SKIP
    True
    """
    if join_code(ws) is not None:
        ws.log_event(_CODE_EVENT, {"join_code": None}, author=author)


def room_key(ws: Workshop) -> str | None:
    """Return the key of the room view (a separate secret from the join code), or None.

    Examples
    --------
    >>> room_key(ws)  # doctest: +SKIP
    'Zq0...'
    """
    return _latest_value(ws, _ROOM_EVENT, "room_key")


def ensure_room_key(ws: Workshop, *, rotate: bool = False, author: str = "facilitator") -> str:
    """Return the room view's key, making (or replacing) one when asked or missing.

    Examples
    --------
    >>> ensure_room_key(ws) == ensure_room_key(ws)  # doctest: +SKIP
    True
    """
    return _ensure_secret(ws, _ROOM_EVENT, "room_key", rotate=rotate, author=author)


def close_on_reveal(ws: Workshop) -> bool:
    """Whether revealing the room's answers closes voting (on unless switched off).

    Examples
    --------
    >>> close_on_reveal(ws)  # doctest: +SKIP
    True
    """
    event = ws.latest_event(_OPTIONS_EVENT)
    value = None if event is None else event["detail"].get("close_on_reveal")
    return True if value is None else bool(value)


def set_close_on_reveal(ws: Workshop, on: bool, *, author: str = "facilitator") -> None:
    """Switch closing on reveal on or off (kept in the workshop, so every page follows it).

    Examples
    --------
    >>> set_close_on_reveal(ws, False)  # doctest: +SKIP
    """
    if not isinstance(on, bool):
        raise AssuredKitError(f"{on!r} is not on or off", field="close on reveal",
                              allowed="True or False")
    if close_on_reveal(ws) != on:
        ws.log_event(_OPTIONS_EVENT, {"close_on_reveal": on}, author=author)


def voting_closed(session: dict[str, Any], closes_on_reveal: bool) -> bool:
    """Whether voting is closed for a session state: closed, or revealed with close on reveal.

    Examples
    --------
    >>> voting_closed({"closed": False, "revealed": True}, True)
    True
    >>> voting_closed({"closed": False, "revealed": True}, False)
    False
    """
    return bool(session["closed"]) or (bool(session["revealed"]) and closes_on_reveal)


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
    event = ws.latest_event(_DEVICE_EVENT, where=("device", device_digest(token)))
    return None if event is None else str(event["subject"])


def _bind_device(ws: Workshop, respondent_id: str, token: str) -> None:
    """Record that a device token speaks for a respondent (one ``live.device`` event)."""
    ws.log_event(_DEVICE_EVENT, {"device": device_digest(token)}, subject=respondent_id,
                 author=respondent_id)


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

@dataclass(frozen=True)
class Vote:
    """One tap to save: the device token, the question and round the page showed, the answer.

    Examples
    --------
    >>> Vote("token", "LA-DCS-1", 4, round=1).dont_know
    False
    """

    token: str
    question_id: str
    rating: int | None = None
    round: int = 1
    dont_know: bool = False
    evidence: int | None = None
    note: str | None = None


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
    """Save a voter's own answer to the question and round their page showed; return the event id.

    The checks and the write share one transaction, so a vote cannot slip in after the
    facilitator closes the question, reveals the answers (with close on reveal) or moves on.

    Raises
    ------
    AssuredKitError
        When the token is unknown, the question or round shown is no longer the open one
        (the message is `MOVED_ON`), voting is closed, or the answer is invalid. Nothing is
        written then.

    Examples
    --------
    >>> cast_vote(ws, token, "LA-DCS-1", 4, round=1)  # doctest: +SKIP
    42
    """
    return save_vote(ws, Vote(token, question_id, rating, round=round, dont_know=dont_know,
                              evidence=evidence, note=note))


def save_vote(ws: Workshop, vote: Vote) -> int:
    """Save one `Vote` as `cast_vote` does; return the event id or raise its error.

    Examples
    --------
    >>> save_vote(ws, Vote(token, "LA-DCS-1", 4, round=1))  # doctest: +SKIP
    42
    """
    (result,) = cast_votes(ws, [vote])
    if isinstance(result, AssuredKitError):
        raise result
    return result


def cast_votes(
    ws: Workshop, votes: list[Vote], *, devices: dict[str, str] | None = None
) -> list[int | AssuredKitError]:
    """Save many taps in one transaction (one disk write for a whole wave); one result each.

    Each vote is checked as `cast_vote` checks it; a vote that fails gets its error in the
    result list and is not written, while the others are. The server's hub gathers the taps
    that arrive together and saves them with this.

    ``devices`` (optional) remembers, across calls, which respondent each device token was
    found to speak for: a binding is written once, when the device joins, and never changes,
    so a hall's second tap need not look its device up again.

    Examples
    --------
    >>> cast_votes(ws, [Vote(token, "LA-DCS-1", 4, round=1)])  # doctest: +SKIP
    [42]
    """
    results: list[int | AssuredKitError | None] = [None] * len(votes)
    pending = list(range(len(votes)))
    while pending:
        written: dict[int, int] = {}
        refused: dict[int, AssuredKitError] = {}
        bad: tuple[int, AssuredKitError] | None = None
        try:
            with ws.batch():
                session = ws.session()
                closes = close_on_reveal(ws)
                for i in pending:
                    try:
                        rid = _voter_may_vote(ws, session, closes, votes[i], devices)
                    except AssuredKitError as exc:
                        refused[i] = exc
                        continue
                    try:
                        written[i] = _record(ws, rid, votes[i])
                    except AssuredKitError as exc:
                        bad = (i, exc)
                        raise
        except AssuredKitError:
            if bad is None:
                raise
            # One invalid answer undid the whole transaction: keep its error, save the rest.
            results[bad[0]] = bad[1]
            pending = [i for i in pending if i != bad[0]]
            continue
        for i, outcome in [*written.items(), *refused.items()]:
            results[i] = outcome
        pending = []
    return [r for r in results if r is not None]


def _voter_may_vote(ws: Workshop, session: dict[str, Any], closes: bool, vote: Vote,
                    devices: dict[str, str] | None = None) -> str:
    """Return the respondent a vote is for, or raise why it may not be saved."""
    rid = None if devices is None else devices.get(vote.token)
    if rid is None:
        rid = respondent_for_token(ws, vote.token)
        if rid is not None and devices is not None:
            devices[vote.token] = rid
    if rid is None:
        raise AssuredKitError(
            "this device has not joined the workshop",
            field="voter",
            allowed="a device that joined through the join page",
            hint="the page address lost its voter part; open the join link again",
        )
    if (session["question_id"] is None or session["question_id"] != vote.question_id
            or int(session["round"]) != int(vote.round)):
        raise AssuredKitError(
            MOVED_ON,
            field="question_id",
            allowed=f"the open question ({session['question_id'] or 'none is open'}), "
            f"round {session['round']}",
            hint="the facilitator moved on after the page showed the question",
        )
    if voting_closed(session, closes):
        raise AssuredKitError(
            "voting on this question is closed",
            field="question_id",
            allowed="a vote while the facilitator keeps the question open",
            hint="the facilitator closed the vote or revealed the answers",
        )
    return rid


def _record(ws: Workshop, rid: str, vote: Vote) -> int:
    return int(
        ws.record(
            rid,
            vote.question_id,
            vote.rating,
            dont_know=vote.dont_know,
            evidence=vote.evidence,
            note=vote.note or None,
            round=int(vote.round),
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


def live_state(ws: Workshop) -> dict[str, Any]:
    """Return what every voting page shows of the facilitator's state, read once for all pages.

    Returns
    -------
    dict
        ``code`` (the join code in force), ``question_id``, ``help`` (what the question's
        2010 terms mean today, `assured_kit.glossary.help_html`), ``heading`` (the question
        as the pages show it, with that help), ``round``, ``closed`` (voting
        closed, counting close on reveal), ``revealed``, ``result`` (the room's answers as
        ``(label, value, count)`` rows once revealed, else None) and ``answers`` (each
        respondent's current answer to the open question and round).

    Examples
    --------
    >>> sorted(live_state(ws))  # doctest: +SKIP
    ['answers', 'closed', 'code', 'heading', 'help', 'question_id', 'result', 'revealed', 'round']
    """
    session = ws.session()
    qid, rnd = session["question_id"], int(session["round"])
    help_text = "" if qid is None else help_html(ws.framework, qid)
    answers: dict[str, dict[str, Any]] = {}
    if qid is not None:
        table = ws.ratings()
        rows = table[(table["question_id"] == qid) & (table["round"] == rnd)]
        for row in rows.itertuples(index=False):
            answers[str(row.respondent_id)] = _answer_of(row._asdict())
    result = room_result(ws)
    return {
        "code": join_code(ws),
        "question_id": qid,
        "help": help_text,
        "heading": "" if qid is None else _question_heading(ws, qid, help_text),
        "round": rnd,
        "closed": qid is None or voting_closed(session, close_on_reveal(ws)),
        "revealed": bool(session["revealed"]),
        "result": None if result is None else [
            (str(label), None if _missing(value) else int(value), int(count))
            for label, value, count in zip(result["label"], result["value"], result["count"],
                                           strict=True)
        ],
        "answers": answers,
    }


def _question_heading(ws: Workshop, qid: str, help_text: str) -> str:
    """Return the open question as every voting page shows it: theme, role, number, text, help."""
    fw = ws.framework
    q = fw.question(qid)
    role = "Director of Children's Services" if q["role"] == "DCS" else "Lead Member"
    return (
        f'<div class="ak-muted">{_esc(fw.theme_title(str(q["theme_id"])))} · '
        f"{_esc(role)} question {int(q['number'])}</div>"
        f'<h1 class="ak-question">{_esc(q["text"])}</h1>'
        # What the question's 2010 terms mean today (already escaped by the glossary).
        f"{help_text}"
    )


def _answer_of(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rating": None if _missing(row["rating"]) else int(row["rating"]),
        "dont_know": bool(row["dont_know"]),
        "evidence": None if _missing(row["evidence"]) else int(row["evidence"]),
        "note": None if _missing(row["note"]) or row["note"] == "" else str(row["note"]),
    }


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
.ak-vote .ak-label { font-weight: 700; margin-top: 8px; }
.ak-vote .jupyter-widget-Collapse-header, .ak-vote .widget-label { color: #111; }
.ak-vote .ak-title { font-size: 24px; margin: 8px 0; }
</style>
"""


class VoterPage:
    """The live-voting page for one device (built by the server for each phone).

    Parameters
    ----------
    ws : Workshop or None
        The workshop, or None when the server gave none (the page then refuses).
    query : dict
        ``code`` and ``voter`` from the page's address (`parse_query`).
    state : dict, optional
        The facilitator's state (`live_state`); read from the workshop when not given.
    may_join, may_tap : callable, optional
        Return False when this device joins or taps too often (the server's per-device limits).
    cast : callable, optional
        Saves a `Vote` and returns its event id (by default `cast_vote` on ``ws``; the server
        passes its hub's, which saves the taps arriving together in one transaction).

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the page shows.
    respondent_id : str or None
        The respondent this device speaks for, once joined.
    joining : bool
        Whether the page shows the join form.
    """

    def __init__(
        self,
        ws: Workshop | None,
        query: dict[str, str],
        *,
        state: dict[str, Any] | None = None,
        may_join: Callable[[], bool] | None = None,
        may_tap: Callable[[], bool] | None = None,
        cast: Callable[[Vote], int] | None = None,
    ) -> None:
        self.ws = ws
        self._cast = cast
        self.query = dict(query)
        self.token: str | None = None
        self.respondent_id: str | None = None
        self.joining = False
        self._may_join = may_join or (lambda: True)
        self._may_tap = may_tap or (lambda: True)
        # One layout and style of each kind for the whole page: a widget each would add two
        # more widgets (and two more messages to the phone) per button and text (profiled:
        # most of the server's work for a join was building and sending those).
        self._full = widgets.Layout(width="100%")
        self._auto = widgets.Layout()
        self._html_style = HTMLStyle()
        self._button_style = widgets.ButtonStyle()
        self._css = self._html(_CSS)
        self.widget = widgets.VBox(layout=self._full)
        self.widget.add_class("ak-vote")
        self._shown: tuple[Any, ...] | None = None
        self._pending_evidence: int | None = None
        self._answer: dict[str, Any] | None = None
        self._state = state
        self._build()

    # -- which view ----------------------------------------------------------------------------

    def _current(self) -> dict[str, Any]:
        if self._state is None:
            assert self.ws is not None
            self._state = live_state(self.ws)
        return self._state

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
        self.token = None
        self.respondent_id = None
        self.joining = False
        self.widget.children = [
            self._css,
            self._html(
                '<div class="ak-refusal"><b>This page needs a valid join link.</b><br>'
                "Scan the QR code or open the link the facilitator shows.</div>"
            ),
        ]

    # -- joining -------------------------------------------------------------------------------

    def _show_join(self) -> None:
        ws = self.ws
        assert ws is not None
        self.joining = True
        mode = ws.anonymity
        held = ws.held_on
        when = f" · {held:%d %B %Y}" if held else ""
        header = self._html(
            f'<h1 class="ak-title" data-ak-join="{_esc(ws.workshop_id)}">{_esc(ws.title)}</h1>'
            f'<div class="ak-muted">Live vote{_esc(when)}</div>'
            f"<p><b>{_esc(mode.capitalize())}.</b> {_esc(ANONYMITY_TEXT[mode])}</p>"
        )
        self.role = widgets.ToggleButtons(
            options=[(text, key) for key, text in ROLE_CHOICES.items()],
            value=None,
            style={"button_width": "100%"},
            layout=self._full,
        )
        self.authority = widgets.Dropdown(
            description="Authority",
            options=[("Choose your authority", ""), *[(a, a) for a in ws.details["authorities"]],
                     ("Prefer not to say", None)],
            value="",
            style={"description_width": "initial"},
            layout=self._full,
        )
        self.authority.add_class("ak-authority")
        self.label = widgets.Text(
            placeholder="Your name" if mode == "named" else "A nickname or table name",
            layout=self._full,
        )
        self.join_button = widgets.Button(description="Join", button_style="primary",
                                          layout=self._auto, style=self._button_style)
        self.join_button.add_class("ak-tap")
        self.join_button.on_click(self._guard(self.submit_join))
        self.join_message = self._html()
        rows: list[widgets.Widget] = [
            self._css,
            header,
            self._html('<div class="ak-label">I am</div>'),
            self.role,
            self.authority,
        ]
        if mode != "anonymous":
            name = "Name" if mode == "named" else "Label"
            self.label.description = name
            self.label.style.description_width = "initial"
            rows += [self.label]
        rows += [self.join_button, self.join_message]
        self.widget.children = rows

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
        if not self._may_join():
            self.join_message.value = (
                "<p><b>Not joined:</b> this device has joined too often. Please wait a few "
                "minutes, or ask the facilitator.</p>"
            )
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
        self.joining = False
        self._show_vote()

    # -- voting --------------------------------------------------------------------------------

    def _show_vote(self) -> None:
        ws = self.ws
        assert ws is not None
        people = ws.respondents()
        me = people[people["respondent_id"] == self.respondent_id].iloc[0]
        who = [str(me["label"]), ROLE_CHOICES.get(str(me["role"]), str(me["role"]))]
        if isinstance(me["authority"], str) and me["authority"] not in ("", "None", "nan"):
            who.append(str(me["authority"]))
        # The device token is shown to the browser's script (live.js), which keeps it in the
        # page's address and the browser's storage: a reload is the same respondent.
        self.who = self._html(
            f'<div class="ak-muted" data-ak-voter="{_esc(self.token or "")}" '
            f'data-ak-workshop="{_esc(ws.workshop_id)}">{_esc(ws.title)}<br>'
            f'You: {_esc(" · ".join(who))}</div>'
        )
        self.status = self._html()
        self.question = self._html()
        scale = ws.scale
        self.rating_buttons: list[tuple[int | None, widgets.Button]] = []
        for value, label in zip(scale.values, scale.labels, strict=True):
            self.rating_buttons.append((int(value), self._tap(f"{value} · {label}")))
        self.rating_buttons.append((None, self._tap("Don't know")))
        for value, button in self.rating_buttons:
            # The page's script (live.js) sends these taps straight to the server's tap
            # address, reading the answer from this class; without the script, the click
            # reaches `vote` through the widget.
            button.add_class("ak-rate")
            button.add_class(f"ak-value-{'dk' if value is None else value}")
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
        self.saved = self._html()
        self.result = self._html()
        extras = widgets.Accordion(
            children=[
                widgets.VBox([b for _, b in self.evidence_buttons]),
                widgets.VBox([self.note, self.note_button]),
            ],
            layout=self._full,
        )
        extras.set_title(0, "How do I know? (optional)")
        extras.set_title(1, "Add a note (optional)")
        self.widget.children = [
            self._css,
            self.who,
            self.status,
            self.question,
            widgets.VBox([b for _, b in self.rating_buttons], layout=self._full),
            self.saved,
            extras,
            self.result,
        ]
        self._shown = None
        self.refresh(self._current())

    def _html(self, value: str = "") -> widgets.HTML:
        return widgets.HTML(value, layout=self._auto, style=self._html_style)

    def _tap(self, text: str, *, small: bool = False) -> widgets.Button:
        button = widgets.Button(description=text, layout=self._full, style=self._button_style)
        button.add_class("ak-small" if small else "ak-tap")
        return button

    def refresh(self, state: dict[str, Any] | None = None) -> None:
        """Show the facilitator's state (`live_state`; read from the workshop when not given).

        The server's hub calls this with the shared state whenever it changes.
        """
        ws = self.ws
        if ws is None or (self.respondent_id is None and not self.joining):
            return
        self._state = state if state is not None else live_state(ws)
        state = self._state
        code = self.query.get("code")
        if not (state["code"] and code
                and secrets.compare_digest(code.encode(), str(state["code"]).encode())):
            self.refuse()
            return
        if self.respondent_id is None:
            return  # the join form follows nothing else
        qid, rnd, closed = state["question_id"], int(state["round"]), bool(state["closed"])
        view = (qid, rnd, closed, state["result"])
        if self._shown == view:
            return
        if self._shown is None or self._shown[:2] != (qid, rnd):
            self._pending_evidence = None
            self.note.value = ""
            self.saved.value = ""
            self._answer = state["answers"].get(self.respondent_id)
            if self._answer:
                self._pending_evidence = self._answer["evidence"]
                self.note.value = self._answer["note"] or ""
                self._confirm(stamp=None)
            self._show_question(qid, rnd)
        for _, button in [*self.rating_buttons, *self.evidence_buttons]:
            button.disabled = closed
        self.note_button.disabled = closed
        self.note.disabled = closed
        if qid is None:
            self.status.value = (
                '<p class="ak-muted">Waiting for the facilitator to open a question…</p>'
            )
        elif closed:
            self.status.value = (
                f'<p class="ak-closed"><b>{VOTING_CLOSED}</b> on this question '
                f"(round {rnd}).</p>"
            )
            self.saved.value = self.saved.value.replace(_CHANGE_HINT, "")
        else:
            again = " (after discussion)" if rnd == 2 else ""
            # What the phone shows is what a tap counts for: the page's script sends these.
            self.status.value = (
                f'<p class="ak-muted" data-ak-question="{_esc(qid)}" data-ak-round="{rnd}">'
                f"Round {rnd}{again}: tap your answer.</p>"
            )
        self._mark()
        self.result.value = "" if state["result"] is None else self._result_html(state["result"])
        self._shown = view

    def _show_question(self, qid: str | None, rnd: int) -> None:
        ws = self.ws
        assert ws is not None
        if qid is None:
            self.question.value = ""
            return
        # Built once for every page, with the shared state (`live_state`).
        self.question.value = self._current()["heading"]

    def vote(self, rating: int | None) -> None:
        """Save a tap (a rating, or None for "Don't know") for the question and round shown.

        The answer is shown as saved only after the workshop file has it. A tap for a question
        the facilitator has moved on from is refused, and the page shows the current question.
        """
        if self.ws is None or self.token is None or self._shown is None:
            return
        qid, rnd = self._shown[0], self._shown[1]
        if qid is None:
            return
        if not self._may_tap():
            self.saved.value = (
                "<p><b>Not saved:</b> too many taps at once. Wait a second and tap again.</p>"
            )
            return
        vote = self.vote_for(rating, qid, rnd)
        try:
            if self._cast is not None:
                self._cast(vote)
            else:
                save_vote(self.ws, vote)
        except AssuredKitError as exc:
            self.not_saved(exc)
            return
        self.saved_vote(vote)

    def vote_for(self, rating: int | None, question_id: str, round: int) -> Vote:
        """Return the `Vote` a tap makes: this device's answer with the evidence and note chosen.

        ``question_id`` and ``round`` are those the phone showed when the voter tapped.
        """
        if self.token is None:
            raise AssuredKitError("this page has not joined the workshop", field="voter",
                                  allowed="a page that joined through the join link")
        note = self.note.value.strip() if self.respondent_id is not None else ""
        return Vote(self.token, question_id, rating, round=int(round),
                    dont_know=rating is None, evidence=self._pending_evidence,
                    note=note or None)

    def saved_vote(self, vote: Vote) -> None:
        """Show a vote the workshop file now has as this page's saved answer."""
        self._answer = {"rating": vote.rating, "dont_know": vote.dont_know,
                        "evidence": vote.evidence, "note": vote.note}
        self._confirm()

    def not_saved(self, error: AssuredKitError) -> None:
        """Show why a tap was not saved, with the facilitator's current question and round."""
        if self.ws is not None:
            self.refresh(live_state(self.ws))
        self.saved.value = f"<p><b>Not saved:</b> {_esc(error.problem)}.</p>"

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

    def _confirm(self, *, stamp: str | None = "now") -> None:
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
        at = "" if stamp is None else f" at {datetime.now():%H:%M:%S}"
        self.saved.value = (
            f'<p class="ak-saved">✓ Saved: {_esc(text)}{_esc(more)}{at}.{_CHANGE_HINT}</p>'
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
        with button.hold_sync():  # one message to the phone per button, not three
            button.description = f"✓ {text}" if chosen else text
            button.button_style = "primary" if chosen else ""
            if chosen:
                button.add_class("ak-chosen")
            else:
                button.remove_class("ak-chosen")

    def _result_html(self, result: list[tuple[str, int | None, int]]) -> str:
        total = sum(count for _, _, count in result)
        rows = []
        for label, value, count in result:
            name = "Don't know" if value is None else f"{value} · {label}"
            share = 0 if total == 0 else round(100 * count / total)
            rows.append(
                f'<div class="ak-bar"><span style="flex:0 0 55%">{_esc(name)}</span>'
                f'<span class="ak-bar-fill" style="width:{share * 0.3:.0f}%"></span>'
                f"<span>{int(count)} ({share}%)</span></div>"
            )
        return f"<h2>The room's answers ({total})</h2>" + "".join(rows)

    # -- errors --------------------------------------------------------------------------------

    def _guard(self, action: Callable[..., None]) -> Callable[[Any], None]:
        """Wrap a button handler: any failure becomes a short message, never a traceback."""

        def handler(_button: Any = None) -> None:
            try:
                action()
            except Exception:
                log.exception("live voting: a tap failed")
                target = getattr(self, "saved", None) or getattr(self, "join_message", None)
                if target is not None:
                    target.value = "<p><b>Something went wrong; please tap again.</b></p>"

        return handler
