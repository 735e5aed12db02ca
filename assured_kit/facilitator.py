"""The facilitator's controller: the state of a running workshop and every move made in it.

`Facilitator` wraps one `~assured_kit.store.Workshop` and offers, as plain Python methods, every
move the facilitator makes during a session: open a question, rate a respondent, reveal the
results, start round 2, capture an action or an example of good practice, end the session and
export. The projector notebook's widgets (`assured_kit.console`) only wire clicks to these
methods, so everything here is tested without a browser.

The facilitator's position (the open question, the round, whether results are revealed) lives
in the workshop file (``ws.session()``), so a workshop reopens exactly where it stopped and a
live-voting page can follow the question the facilitator has open.

This module imports neither matplotlib nor ipywidgets.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .scales import DONT_KNOW_LABEL
from .text import match_authority, match_role

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from .store import Workshop

__all__ = [
    "HOME_ENV",
    "WORKSHOP_SUFFIX",
    "Answer",
    "Facilitator",
    "Progress",
    "RespondentLine",
    "SessionSummary",
    "Timer",
    "default_folder",
    "file_signature",
    "last_workshop",
    "new_workshop_path",
    "parse_respondent_list",
    "remember_workshop",
    "workshop_files",
]

#: Environment variable naming the folder where workshop files are kept by default.
HOME_ENV = "ASSURED_KIT_HOME"
#: The file name ending of a workshop file.
WORKSHOP_SUFFIX = ".workshop.sqlite"
#: Where an action or example captured in the room is attached.
LINKS = ("question", "theme", "workshop")
#: The small file (in `default_folder`) naming the workshop the console had open last.
LAST_FILE = ".last-workshop"
#: The event live voting logs when a device joins; its subject is the respondent id.
_DEVICE_EVENT = "live.device"
#: The event that starts (``seconds`` > 0) or stops (0) the room's discussion timer.
TIMER_EVENT = "room.timer"
#: The event naming the live-voting join link the room view shows (``url`` None: stopped).
JOIN_EVENT = "room.join"

Listener = Callable[[str, "Facilitator"], None]


def default_folder() -> Path:
    """Return the folder where workshop files live unless the facilitator picks another.

    ``$ASSURED_KIT_HOME`` when set, else ``~/AssuredSafeguarding``. Nothing is created here:
    the folder is made when the first workshop is saved into it.

    Examples
    --------
    >>> import os
    >>> os.environ["ASSURED_KIT_HOME"] = "/tmp/kit-home"
    >>> default_folder()
    PosixPath('/tmp/kit-home')
    >>> del os.environ["ASSURED_KIT_HOME"]
    >>> default_folder().name
    'AssuredSafeguarding'
    """
    configured = os.environ.get(HOME_ENV, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / "AssuredSafeguarding"


def workshop_files(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the workshop files in a folder (not its sub-folders), most recently changed first.

    A folder that does not exist yet holds no workshops.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.workshop.sqlite").write_bytes(b"")
    >>> _ = (folder / "notes.txt").write_text("x")
    >>> [p.name for p in workshop_files(folder)]
    ['a.workshop.sqlite']
    """
    where = Path(folder).expanduser() if folder is not None else default_folder()
    if not where.is_dir():
        return []
    found = [p for p in where.glob(f"*{WORKSHOP_SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda p: (-p.stat().st_mtime_ns, p.name))


def new_workshop_path(
    title: str, folder: str | os.PathLike[str] | None = None, held_on: dt.date | None = None
) -> Path:
    """Return a fresh file name for a new workshop, made from its date and title.

    An existing file is never reused: ``-2``, ``-3`` ... is added until the name is free.

    Examples
    --------
    >>> import datetime, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> new_workshop_path("Derby & Derbyshire: spring", folder, datetime.date(2026, 3, 4)).name
    '2026-03-04-derby-derbyshire-spring.workshop.sqlite'
    """
    where = Path(folder).expanduser() if folder is not None else default_folder()
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:60].strip("-") or "workshop"
    stem = f"{held_on.isoformat()}-{slug}" if held_on else slug
    candidate = where / f"{stem}{WORKSHOP_SUFFIX}"
    n = 2
    while candidate.exists():
        candidate = where / f"{stem}-{n}{WORKSHOP_SUFFIX}"
        n += 1
    return candidate


def file_signature(path: str | os.PathLike[str]) -> tuple[tuple[int, int], ...]:
    """Return the modification time and size of a workshop file and its write-ahead log.

    Two equal signatures mean nothing was written in between, so a screen that polls the file
    redraws only when another process (a voting page, the console) changed it.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "none.workshop.sqlite"
    >>> file_signature(path)
    ((0, 0), (0, 0))
    """
    found = []
    for candidate in (Path(path), Path(f"{path}-wal")):
        try:
            stat = candidate.stat()
        except OSError:
            found.append((0, 0))
        else:
            found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def remember_workshop(
    path: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None
) -> None:
    """Note which workshop the console has open, so it reopens there after a restart.

    The note is one line in ``.last-workshop`` inside ``folder`` (default `default_folder`).
    Failing to write it (a read-only folder) is not an error: the facilitator can still pick
    the file by hand.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> target = folder / "a.workshop.sqlite"
    >>> _ = target.write_bytes(b"")
    >>> remember_workshop(target, folder)
    >>> last_workshop(folder) == target.resolve()
    True
    """
    where = Path(folder).expanduser() if folder is not None else default_folder()
    try:
        where.mkdir(parents=True, exist_ok=True)
        (where / LAST_FILE).write_text(str(Path(path).expanduser().resolve()) + "\n", "utf-8")
    except OSError:
        return


def last_workshop(folder: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the workshop the console had open last, if that file still exists.

    Examples
    --------
    >>> import tempfile
    >>> last_workshop(tempfile.mkdtemp()) is None
    True
    """
    where = Path(folder).expanduser() if folder is not None else default_folder()
    try:
        named = (where / LAST_FILE).read_text("utf-8").strip()
    except OSError:
        return None
    path = Path(named)
    return path if named and path.is_file() else None


@dataclass(frozen=True)
class RespondentLine:
    """One respondent read from a pasted list.

    Attributes
    ----------
    line : int
        The line number in the pasted text (first line is 1).
    label, role, authority, kind : str
        As `Workshop.add_respondent` takes them (authority may be None).
    """

    line: int
    label: str
    role: str
    authority: str | None
    kind: str


def parse_respondent_list(
    text: str,
    *,
    role: str = "DCS",
    authority: str | None = None,
    kind: str = "person",
    authorities: Iterable[str] = (),
) -> list[RespondentLine]:
    r"""Read a pasted list of respondents, one per line.

    Each line is a label, optionally followed by a role and an authority, separated by commas
    or tabs (as a spreadsheet column pastes): ``Table 3, DCS, Derby``. Blank lines are skipped.
    A line without a role or authority takes ``role`` and ``authority``. Roles and
    authorities are matched ignoring case and stray spaces and returned in the workshop's own
    spelling; anything unmatched is passed through unchanged for the workshop to judge, so the
    rules live in one place (`Workshop.add_respondent`).

    Parameters
    ----------
    text : str
        The pasted lines.
    role, authority, kind : optional
        Defaults for lines that leave them out.
    authorities : iterable of str
        The workshop's authorities; roles are read by `assured_kit.text.match_role`.

    Returns
    -------
    list of RespondentLine

    Raises
    ------
    AssuredKitError
        If a line has more than three parts (a label holding a comma, most likely).

    Examples
    --------
    >>> rows = parse_respondent_list("Table 1\n\nTable 2, Lead Member, derby",
    ...                              authorities=["Derby"])
    >>> [(r.line, r.label, r.role, r.authority) for r in rows]
    [(1, 'Table 1', 'DCS', None), (3, 'Table 2', 'LM', 'Derby')]
    """
    authorities = list(authorities)
    found: list[RespondentLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in (raw.split("\t") if "\t" in raw else raw.split(","))]
        if len(parts) > 3:
            raise AssuredKitError(
                f"line {number} has {len(parts)} parts: {raw.strip()!r}",
                field="pasted list",
                allowed="label, or label, role, or label, role, authority",
                hint="a comma inside the label; use a tab between parts or leave the comma out",
            )
        label = parts[0]
        line_role = parts[1] if len(parts) > 1 and parts[1] else role
        line_authority = parts[2] if len(parts) > 2 and parts[2] else authority
        line_role = match_role(line_role) or line_role
        if line_authority is not None:
            line_authority = match_authority(line_authority, authorities) or line_authority
        found.append(RespondentLine(number, label, line_role, line_authority, kind))
    return found


@dataclass(frozen=True)
class Progress:
    """Where the open question sits: its theme, its role and its place in the session.

    Examples
    --------
    >>> str(Progress("WF", "Workforce", "DCS", 2, 4, 17, 47))
    'Workforce · DCS 2 of 4 · 17 of 47'
    """

    theme_id: str
    theme_title: str
    role: str
    number: int
    of: int
    position: int
    total: int

    def __str__(self) -> str:
        return (
            f"{self.theme_title} · {self.role} {self.number} of {self.of} · "
            f"{self.position} of {self.total}"
        )


@dataclass(frozen=True)
class Timer:
    """A discussion timer: when it started and for how long.

    Examples
    --------
    >>> start = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    >>> Timer(start, 300).left(start + dt.timedelta(seconds=75))
    225
    >>> Timer(start, 300).words(start + dt.timedelta(seconds=75))
    'Discussion: 3:45 left'
    """

    started: dt.datetime
    seconds: int

    def left(self, now: dt.datetime) -> int:
        """Return the whole seconds left (never below 0)."""
        return max(0, self.seconds - int((now - self.started).total_seconds()))

    def words(self, now: dt.datetime) -> str:
        """Return the timer as the room reads it."""
        left = self.left(now)
        if left == 0:
            return "Discussion: time is up"
        return f"Discussion: {left // 60}:{left % 60:02d} left"


@dataclass(frozen=True)
class Answer:
    """One respondent's current answer to one question in one round.

    Attributes
    ----------
    respondent_id, question_id : str
    round : int
    rating : int or None
        None when the answer is "Don't know".
    dont_know : bool
    evidence : int or None
        Level on the evidence scale, if given.
    note : str or None
    recorded_at : datetime.datetime
        When it was saved (UTC).
    """

    respondent_id: str
    question_id: str
    round: int
    rating: int | None
    dont_know: bool
    evidence: int | None
    note: str | None
    recorded_at: dt.datetime

    @property
    def choice(self) -> int | str:
        """The button this answer corresponds to: the rating, or ``"dont_know"``."""
        return "dont_know" if self.dont_know or self.rating is None else self.rating


@dataclass(frozen=True)
class SessionSummary:
    """What the end-of-session screen shows, as tables.

    Attributes
    ----------
    themes : pandas.DataFrame
        The theme-by-theme picture from `assured_kit.summary` (with its classification).
    weakest : pandas.DataFrame
        The questions where confidence is lowest.
    disagreements : pandas.DataFrame
        The questions where the room is most divided.
    actions : pandas.DataFrame
        The actions captured (``ws.actions()``).
    examples : pandas.DataFrame
        The examples of good practice offered in the room (``ws.examples()``).
    answers : int
        How many answers the workshop holds (all rounds).
    """

    themes: pd.DataFrame
    weakest: pd.DataFrame
    disagreements: pd.DataFrame
    actions: pd.DataFrame
    examples: pd.DataFrame
    answers: int


_KEEP: Any = object()  # "leave this field as it is" for evidence and note


class Facilitator:
    """The state of a running workshop and the facilitator's moves, as plain Python.

    Parameters
    ----------
    workshop : Workshop
        An open workshop. Its stored session (open question, round, revealed) is where the
        facilitator resumes.

    Examples
    --------
    >>> import tempfile
    >>> from assured_kit.store import Workshop
    >>> path = Path(tempfile.mkdtemp()) / "demo.workshop.sqlite"
    >>> fac = Facilitator(Workshop.create(path, title="Demo", themes=["WF"]))
    >>> rid = fac.add_respondent("Table 1", role="Mixed")
    >>> str(fac.progress())
    'Workforce · DCS 1 of 4 · 1 of 7'
    >>> fac.rate(rid, 4).rating
    4
    >>> fac.reveal(); fac.revealed
    True
    >>> fac.next_question(); fac.question_id
    'WF-DCS-2'
    >>> fac.close()
    """

    def __init__(self, workshop: Workshop) -> None:
        self.ws = workshop
        self.questions = workshop.questions().reset_index(drop=True)
        if self.questions.empty:
            raise AssuredKitError(
                "this workshop has no questions in scope",
                file=workshop.path,
                field="themes/roles",
                allowed="at least one theme and one role",
            )
        self._qids: list[str] = [str(q) for q in self.questions["question_id"]]
        self._scale = workshop.scale
        self._evidence_scale = workshop.evidence_scale
        self._listeners: list[Listener] = []
        self._pending: dict[str, dict[str, Any]] = {}
        self._answers: dict[tuple[str, str, int], Answer] = {}
        self._anonymity = workshop.anonymity
        self._device_bound: dict[str, bool] = {}
        self._withdrawn: frozenset[str] | None = None
        self._load_session()

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(cls, path: str | os.PathLike[str], **details: Any) -> Facilitator:
        """Create a new workshop file and return its facilitator.

        Parameters
        ----------
        path : path-like
            The new file (``*.workshop.sqlite``); an existing file is never overwritten.
        **details
            As `Workshop.create` takes them: ``title``, ``held_on``, ``venue``, ...
        """
        from .store import Workshop

        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return cls(Workshop.create(Path(path).expanduser(), **details))

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Facilitator:
        """Open an existing workshop file and resume where it stopped."""
        from .store import Workshop

        return cls(Workshop.open(Path(path).expanduser()))

    def close(self) -> None:
        """Close the workshop file."""
        self.ws.close()

    def _load_session(self) -> None:
        self._question_id = self._qids[0]
        self._session_written = False
        self.refresh()

    def _read_session(self) -> None:
        # Another kernel (a live-voting panel) may have revealed results or closed voting.
        state = self.ws.session()
        stored = state.get("question_id")
        if stored in self._qids:
            self._question_id = stored
            self._session_written = True
        self._round = int(state.get("round") or 1)
        self._revealed = bool(state.get("revealed"))
        self._closed = bool(state.get("closed"))

    # ------------------------------------------------------------------ listeners
    def on_change(self, callback: Listener) -> None:
        """Call ``callback(event, facilitator)`` after every move.

        Events: ``"question"``, ``"round"``, ``"revealed"``, ``"closed"``, ``"answer"``,
        ``"respondents"``, ``"actions"``, ``"examples"``, ``"refresh"``. A live-voting panel uses
        this to follow the facilitator.
        """
        self._listeners.append(callback)

    def _emit(self, event: str) -> None:
        for callback in list(self._listeners):
            callback(event, self)

    # ------------------------------------------------------------------ state
    @property
    def question_id(self) -> str:
        """The open question's id."""
        return self._question_id

    @property
    def round(self) -> int:
        """The round being voted: 1 (first vote) or 2 (after discussion)."""
        return self._round

    @property
    def revealed(self) -> bool:
        """Whether the room's results are shown."""
        return self._revealed

    @property
    def closed(self) -> bool:
        """Whether voting on the open question is closed (for live-voting devices)."""
        return self._closed

    @property
    def scale(self) -> Any:
        """The workshop's rating scale."""
        return self._scale

    @property
    def evidence_scale(self) -> Any:
        """The evidence ("How do I know?") scale."""
        return self._evidence_scale

    def question(self, question_id: str | None = None) -> pd.Series:
        """Return the open question's row (or another question's, by id)."""
        qid = question_id or self._question_id
        return self.questions.iloc[self._index(qid)]

    def _index(self, question_id: str) -> int:
        try:
            return self._qids.index(question_id)
        except ValueError:
            raise AssuredKitError(
                f"question {question_id!r} is not in this workshop's scope",
                file=self.ws.path,
                field="question_id",
                allowed=f"{self._qids[0]} ... {self._qids[-1]} ({len(self._qids)} questions)",
                hint="a theme or role left out when the workshop was set up",
            ) from None

    @property
    def theme_id(self) -> str:
        """The open question's theme id."""
        return str(self.question()["theme_id"])

    def theme_ids(self) -> list[str]:
        """Return the themes in scope, in framework order."""
        return list(dict.fromkeys(str(t) for t in self.questions["theme_id"]))

    def progress(self) -> Progress:
        """Return where the open question sits (theme, role, number in theme, overall)."""
        row = self.question()
        same = self.questions[
            (self.questions["theme_id"] == row["theme_id"])
            & (self.questions["role"] == row["role"])
        ]
        number = list(same["question_id"]).index(self._question_id) + 1
        return Progress(
            theme_id=str(row["theme_id"]),
            theme_title=self.ws.framework.theme_title(str(row["theme_id"])),
            role=str(row["role"]),
            number=number,
            of=len(same),
            position=self._index(self._question_id) + 1,
            total=len(self._qids),
        )

    def glossary_entries(self) -> pd.DataFrame:
        """Return the glossary entries for terms in the open question (``framework.terms_in``)."""
        return self.ws.framework.terms_in(str(self.question()["text"]))

    def help_html(self) -> str:
        """Return "Explain terms" for the open question (`assured_kit.glossary.help_html`).

        A closed ``<details>`` element holding each term's meaning then and its nearest
        equivalent today, or ``""`` when the question has nothing to explain.
        """
        from .glossary import help_html

        return help_html(self.ws.framework, self._question_id, summary="Explain terms")

    def examples_of_practice(self) -> pd.DataFrame:
        """Return the source's examples of practice for the open question's theme."""
        return self.ws.framework.examples_for(self.theme_id)

    # ------------------------------------------------------------------ navigation
    def open_question(self, question_id: str) -> None:
        """Open a question: results hidden, round 1 (or 2 if round 2 was already under way)."""
        self._index(question_id)
        self._pending.clear()
        rounds = [r for (_, q, r) in self._answers if q == question_id]
        self._question_id = question_id
        self._round = max(rounds, default=1)
        self._revealed = False
        self._closed = False
        self.ws.set_session(
            question_id=question_id, round=self._round, revealed=False, closed=False
        )
        self._session_written = True
        self._emit("question")

    def next_question(self) -> None:
        """Open the next question in scope (stays on the last one)."""
        position = self._index(self._question_id)
        self.open_question(self._qids[min(position + 1, len(self._qids) - 1)])

    def previous_question(self) -> None:
        """Open the previous question in scope (stays on the first one)."""
        position = self._index(self._question_id)
        self.open_question(self._qids[max(position - 1, 0)])

    def jump_to_theme(self, theme_id: str) -> None:
        """Open the first question of a theme."""
        rows = self.questions[self.questions["theme_id"] == theme_id]
        if rows.empty:
            raise AssuredKitError(
                f"theme {theme_id!r} is not in this workshop's scope",
                field="theme",
                allowed=", ".join(self.theme_ids()),
            )
        self.open_question(str(rows["question_id"].iloc[0]))

    # ------------------------------------------------------------------ facilitation moves
    def reveal(self) -> None:
        """Show the room's results."""
        self._set_flag(revealed=True)

    def hide(self) -> None:
        """Hide the room's results again."""
        self._set_flag(revealed=False)

    def start_round(self, round_number: int) -> None:
        """Vote again after discussion (round 2), or go back to round 1; results hidden."""
        if round_number not in (1, 2):
            raise AssuredKitError(
                f"there is no round {round_number!r}",
                field="round",
                allowed="1 (first vote) or 2 (after discussion)",
            )
        self._pending.clear()
        self._round = round_number
        self._revealed = False
        self._closed = False
        self.ws.set_session(
            question_id=self._question_id, round=round_number, revealed=False, closed=False
        )
        self._session_written = True
        self._emit("round")

    def close_voting(self) -> None:
        """Close voting on the open question (devices can no longer change their answers)."""
        self._closed = True
        self.ws.set_session(closed=True)
        self._emit("closed")

    def open_voting(self) -> None:
        """Reopen voting on the open question."""
        self._closed = False
        self.ws.set_session(closed=False)
        self._emit("closed")

    def _set_flag(self, *, revealed: bool) -> None:
        self._revealed = revealed
        if self._session_written:
            self.ws.set_session(revealed=revealed)
        else:
            self.ws.set_session(question_id=self._question_id, round=self._round, revealed=revealed)
            self._session_written = True
        self._emit("revealed")

    def _ensure_session(self) -> None:
        # The stored session names the open question once the facilitator acts on it, so a
        # live-voting page follows the question shown on the projector.
        if not self._session_written:
            self.ws.set_session(question_id=self._question_id, round=self._round)
            self._session_written = True

    # ------------------------------------------------------------------ respondents
    def respondents(self, *, withdrawn: bool = False) -> pd.DataFrame:
        """Return the workshop's respondents (``ws.respondents()``).

        Withdrawn respondents are left out unless ``withdrawn=True``.
        """
        people = self.ws.respondents()
        if withdrawn:
            return people
        gone = self.withdrawn()
        return people[~people["respondent_id"].isin(gone)].reset_index(drop=True)

    def add_respondent(
        self, label: str, *, role: str = "DCS", authority: str | None = None, kind: str = "person"
    ) -> str:
        """Add one respondent (a person or a table) and return its id."""
        rid = self.ws.add_respondent(label, role=role, authority=authority or None, kind=kind)
        self._emit("respondents")
        return rid

    def add_respondents(
        self,
        text: str,
        *,
        role: str = "DCS",
        authority: str | None = None,
        kind: str = "person",
    ) -> list[str]:
        """Add a pasted list of respondents, all or nothing.

        See `parse_respondent_list` for the format. If any line is refused (an empty or
        duplicate label, an unknown role or authority) nothing from the list is added and the
        error names the line.
        """
        lines = parse_respondent_list(
            text,
            role=role,
            authority=authority or None,
            kind=kind,
            authorities=self.ws.details["authorities"],
        )
        if not lines:
            raise AssuredKitError(
                "the pasted list is empty",
                field="pasted list",
                allowed="one respondent per line: label, or label, role, authority",
            )
        added: list[str] = []
        current: RespondentLine | None = None
        try:
            with self.ws.batch():
                for current in lines:
                    added.append(
                        self.ws.add_respondent(
                            current.label,
                            role=current.role,
                            authority=current.authority,
                            kind=current.kind,
                        )
                    )
        except AssuredKitError as exc:
            where = f"line {current.line} ({current.label!r})" if current else "the list"
            raise AssuredKitError(
                f"{where} was refused, so nothing from the list was added: {exc.problem}",
                field=exc.field,
                allowed=exc.allowed,
                hint=exc.hint or "fix or remove that line and add the list again",
            ) from exc
        self._emit("respondents")
        return added

    # ------------------------------------------------------------------ answers
    def refresh(self) -> None:
        """Re-read the session and the answers from the file (other devices' votes included)."""
        self._read_session()
        self._withdrawn = None
        ratings = self.ws.ratings()
        answers: dict[tuple[str, str, int], Answer] = {}
        for row in ratings.itertuples(index=False):
            answer = _answer_from_row(row)
            answers[(answer.respondent_id, answer.question_id, answer.round)] = answer
        self._answers = answers
        self._emit("refresh")

    def answer(
        self, respondent_id: str, *, question_id: str | None = None, round: int | None = None
    ) -> Answer | None:
        """Return a respondent's current answer to the open question (or another), if any."""
        key = (respondent_id, question_id or self._question_id, round or self._round)
        return self._answers.get(key)

    def answers(self, *, question_id: str | None = None, round: int | None = None) -> list[Answer]:
        """Return every current answer to the open question in a round (default: this round)."""
        qid = question_id or self._question_id
        wanted = round or self._round
        return [a for (_, q, r), a in self._answers.items() if q == qid and r == wanted]

    def rate(
        self, respondent_id: str, value: int, *, evidence: Any = _KEEP, note: Any = _KEEP
    ) -> Answer:
        """Record a rating for a respondent on the open question in this round, at once.

        Evidence and note given before the rating (or with an earlier answer) are kept unless
        new ones are passed.
        """
        return self._record(respondent_id, rating=value, evidence=evidence, note=note)

    def dont_know(self, respondent_id: str, *, evidence: Any = _KEEP, note: Any = _KEEP) -> Answer:
        """Record "Don't know" for a respondent on the open question in this round."""
        return self._record(respondent_id, dont_know=True, evidence=evidence, note=note)

    def set_evidence(self, respondent_id: str, evidence: int | None) -> Answer | None:
        """Set the evidence level of a respondent's answer.

        Saved at once when the respondent has answered; otherwise kept and saved with the
        rating. Returns the saved answer, or None when it is waiting for a rating.
        """
        return self._amend(respondent_id, evidence=evidence)

    def set_note(self, respondent_id: str, note: str | None) -> Answer | None:
        """Set the note on a respondent's answer (saved at once once there is an answer)."""
        return self._amend(respondent_id, note=(note or "").strip() or None)

    def retract(self, respondent_id: str) -> None:
        """Withdraw a respondent's answer to the open question in this round."""
        self.ws.retract(respondent_id, self._question_id, round=self._round)
        self._answers.pop((respondent_id, self._question_id, self._round), None)
        self._emit("answer")

    def _amend(self, respondent_id: str, **change: Any) -> Answer | None:
        current = self.answer(respondent_id)
        if current is None:
            self._pending.setdefault(respondent_id, {}).update(change)
            return None
        if current.dont_know:
            return self._record(respondent_id, dont_know=True, **change)
        return self._record(respondent_id, rating=current.rating, **change)

    def _record(
        self,
        respondent_id: str,
        *,
        rating: int | None = None,
        dont_know: bool = False,
        evidence: Any = _KEEP,
        note: Any = _KEEP,
    ) -> Answer:
        previous = self.answer(respondent_id)
        pending = self._pending.get(respondent_id, {})
        if evidence is _KEEP:
            evidence = pending.get(
                "evidence",
                previous.evidence if previous else self.carried_evidence(respondent_id),
            )
        if note is _KEEP:
            note = pending.get("note", previous.note if previous else None)
        self._ensure_session()
        self.ws.record(
            respondent_id,
            self._question_id,
            rating=None if dont_know else rating,
            dont_know=dont_know,
            evidence=evidence,
            note=note,
            round=self._round,
        )
        self._pending.pop(respondent_id, None)
        answer = Answer(
            respondent_id=respondent_id,
            question_id=self._question_id,
            round=self._round,
            rating=None if dont_know else int(rating) if rating is not None else None,
            dont_know=dont_know,
            evidence=None if evidence is None else int(evidence),
            note=note,
            recorded_at=dt.datetime.now(dt.UTC),
        )
        self._answers[(respondent_id, self._question_id, self._round)] = answer
        self._emit("answer")
        return answer

    def answer_label(self, answer: Answer | None) -> str:
        """Return the scale's wording of an answer, e.g. ``"4 Mostly confident"``."""
        if answer is None:
            return "not answered"
        if answer.dont_know or answer.rating is None:
            return DONT_KNOW_LABEL
        return f"{answer.rating} {self.scale.label_for(answer.rating)}"

    # ------------------------------------------------------------------ what the room may see
    @property
    def anonymity(self) -> str:
        """The workshop's anonymity mode: ``named``, ``pseudonymous`` or ``anonymous``."""
        return self._anonymity

    def live_voters(self) -> frozenset[str]:
        """Return the respondents who joined from their own device (live voting).

        Live voting records each device as a ``live.device`` event about its respondent; a
        respondent the facilitator added has none.
        """
        for rid in self.respondents()["respondent_id"]:
            if rid not in self._device_bound:
                self._device_bound[rid] = (
                    self.ws.latest_event(_DEVICE_EVENT, subject=str(rid)) is not None
                )
        return frozenset(rid for rid, bound in self._device_bound.items() if bound)

    def shows_individual(self, respondent_id: str) -> bool:
        """Whether this respondent's own answer may ever be shown in the room.

        Never for a live voter in a pseudonymous or anonymous workshop: those voters were told
        the facilitator sees only how many have answered, so only the room's distribution is
        shown. Answers the facilitator entered, and everyone's in a named workshop, may be shown
        once results are revealed.
        """
        return self._anonymity == "named" or respondent_id not in self.live_voters()

    def not_answered(self) -> list[str]:
        """Return who has not answered the open question in this round, by label.

        Only in a named workshop; in the other modes an empty list (people are counted, not
        named).
        """
        if self._anonymity != "named":
            return []
        people = self.respondents()
        return [
            str(label)
            for rid, label in zip(people["respondent_id"], people["label"], strict=True)
            if self.answer(str(rid)) is None
        ]

    def carried_evidence(self, respondent_id: str) -> int | None:
        """Return the evidence level carried into round 2 from round 1 (None in round 1).

        Evidence rarely changes between votes, so round 2 starts from each respondent's
        round-1 level; it is shown and can be changed, and is saved with the round-2 rating.
        """
        if self._round != 2:
            return None
        first = self.answer(respondent_id, round=1)
        return None if first is None else first.evidence

    def round_two_warning(self) -> str | None:
        """Return why starting round 2 now may be a slip, or None when it is not.

        Round 2 is a second vote after discussion; with no round-1 answers to the open
        question there is nothing to compare it with.
        """
        if self._round == 1 and not self.answers(round=1):
            return (
                "No one has answered round 1 of this question yet, so round 2 would have "
                "nothing to compare with."
            )
        return None

    # ------------------------------------------------------------------ the room view
    def start_timer(self, minutes: float) -> None:
        """Start (or, with 0 minutes, stop) the discussion timer the room view shows."""
        self.ws.log_event(TIMER_EVENT, {"seconds": max(0, round(minutes * 60))})
        self._emit("timer")

    def discussion_timer(self) -> Timer | None:
        """Return the running discussion timer, or None when none was started or it stopped."""
        event = self.ws.latest_event(TIMER_EVENT)
        if event is None or int(event["detail"].get("seconds") or 0) <= 0:
            return None
        return Timer(event["at"], int(event["detail"]["seconds"]))

    def announce_join_url(self, url: str | None) -> None:
        """Tell the room view the live-voting join link (None when live voting stops).

        The room view shows it, with its QR code, while voting on the open question is open.
        The open question is written to the file too, so voting pages follow it at once.
        """
        self._ensure_session()
        self.ws.log_event(JOIN_EVENT, {"url": url})
        self._emit("live")

    def join_url(self) -> str | None:
        """Return the join link announced by `announce_join_url`, or None."""
        event = self.ws.latest_event(JOIN_EVENT)
        return None if event is None else event["detail"].get("url")

    # ------------------------------------------------------------------ housekeeping
    def clear_answer(self, respondent_id: str) -> None:
        """Clear a respondent's answer to the open question in this round (kept in history).

        Raises
        ------
        AssuredKitError
            When they have no answer to clear (said with their label, not their id).
        """
        if self.answer(respondent_id) is None:
            people = self.respondents(withdrawn=True).set_index("respondent_id")["label"]
            who = str(people.get(respondent_id, "this respondent"))
            raise AssuredKitError(
                f"{who} has no answer to this question in round {self._round} to clear",
                allowed="someone who has answered the open question in this round",
                hint="already cleared, or the answer is in the other round",
            )
        self.retract(respondent_id)

    def withdraw_respondent(self, respondent_id: str, *, withdrawn: bool = True) -> None:
        """Withdraw a respondent (added by mistake, or left the room), or bring them back.

        One event (`Workshop.update_respondent`): the respondent and every answer they gave stay
        in the file and its history, but a withdrawn respondent drops out of the rating rows,
        the answered counts, and every summary, report and export until brought back.
        """
        self.ws.update_respondent(respondent_id, withdrawn=bool(withdrawn))
        self.refresh()  # their answers leave, or come back with them
        self._emit("respondents")

    def withdrawn(self) -> frozenset[str]:
        """Return the respondents withdrawn from the room (read again on `refresh`)."""
        if self._withdrawn is None:
            people = self.ws.respondents()
            self._withdrawn = frozenset(people.loc[people["withdrawn"], "respondent_id"])
        return self._withdrawn

    def import_rating_sheet(self, path: str | os.PathLike[str], **options: Any) -> int:
        """Record a filled paper or spreadsheet rating sheet, all or nothing; return the count.

        ``options`` are those of `Workshop.import_rating_sheet` (``label``, ``role``,
        ``authority``, ``respondent_id``, ``round``).
        """
        count = int(self.ws.import_rating_sheet(path, **options))
        self.refresh()
        self._emit("respondents")
        return count

    def rename_respondent(self, respondent_id: str, label: str) -> None:
        """Give a respondent a new label (one event; their answers stay theirs)."""
        self.ws.update_respondent(respondent_id, label=label)
        self._emit("respondents")

    def update_action(self, action_id: str, **changes: Any) -> None:
        """Change an action's ``what``, ``owner``, ``due`` or ``status`` (one event)."""
        self.ws.update_action(action_id, **changes)
        self._emit("actions")

    def mark_action_done(self, action_id: str) -> None:
        """Mark an action done."""
        self.update_action(action_id, status="done")

    def theme_picture(self, ratings: pd.DataFrame | None = None) -> pd.DataFrame:
        """Return the running theme-by-theme picture (`assured_kit.summary.by_theme`).

        Shown in the room, so nothing is suppressed (``min_group=1``); each respondent's latest
        round counts. ``ratings`` saves a second read when the caller has just read them.
        """
        from . import summary

        table = self.ws.ratings() if ratings is None else ratings
        return summary.by_theme(table, scale=self.scale, min_group=1, framework=self.ws.framework)

    def question_ratings(self, *, question_id: str | None = None) -> pd.DataFrame:
        """Return the tidy rows of the open question (both rounds), straight from the file."""
        ratings = self.ws.ratings()
        return ratings[ratings["question_id"] == (question_id or self._question_id)]

    # ------------------------------------------------------------------ capture
    def _link(self, link: str) -> dict[str, str | None]:
        if link not in LINKS:
            raise AssuredKitError(
                f"cannot link to {link!r}", field="link", allowed=", ".join(LINKS)
            )
        return {
            "theme_id": None if link == "workshop" else self.theme_id,
            "question_id": self._question_id if link == "question" else None,
        }

    def add_action(
        self,
        what: str,
        *,
        owner: str = "",
        due: dt.date | None = None,
        link: str = "question",
    ) -> str:
        """Capture an action, linked to the open question (or its theme, or the whole workshop).

        Returns the action's id.
        """
        action_id = self.ws.add_action(what, owner=owner, due=due, **self._link(link))
        self._emit("actions")
        return action_id

    def add_example(
        self,
        text: str,
        *,
        role: str | None = None,
        authority: str | None = None,
        consent_to_share: bool = False,
        link: str = "question",
    ) -> str:
        """Capture an example of good practice offered in the room, under the open theme.

        Returns the example's id.
        """
        where = self._link("question" if link == "question" else "theme")
        example_id = self.ws.add_example(
            text,
            theme_id=where["theme_id"],
            question_id=where["question_id"],
            role=role or None,
            authority=authority or None,
            consent_to_share=consent_to_share,
        )
        self._emit("examples")
        return example_id

    def place_words(self, theme_id: object, question_id: object) -> str:
        """Say in words what an action or example is attached to.

        ``"Workforce · DCS 2"`` for a question, ``"Workforce"`` for a theme, ``"the whole
        workshop"`` otherwise: never an id.
        """
        if isinstance(question_id, str) and question_id in self._qids:
            row = self.question(question_id)
            theme = self.ws.framework.theme_title(str(row["theme_id"]))
            return f"{theme} · {row['role']} {int(row['number'])}"
        if isinstance(theme_id, str) and theme_id:
            return self.ws.framework.theme_title(theme_id)
        return "the whole workshop"

    def actions(self) -> pd.DataFrame:
        """Return the actions captured so far."""
        return self.ws.actions()

    def examples(self) -> pd.DataFrame:
        """Return the examples of good practice captured so far."""
        return self.ws.examples()

    # ------------------------------------------------------------------ end of session
    def session_summary(self, n: int = 5) -> SessionSummary:
        """Return the end-of-session picture, from `assured_kit.summary`.

        Shown in the room, so nothing is suppressed (``min_group=1``); exports and reports
        apply the workshop's ``min_group`` themselves. Each respondent's latest round counts.
        """
        from . import summary

        ratings = self.ws.ratings()
        options: dict[str, Any] = {
            "scale": self.scale,
            "min_group": 1,
            "framework": self.ws.framework,
        }
        return SessionSummary(
            themes=summary.by_theme(ratings, **options),
            weakest=summary.weakest_questions(ratings, n, **options),
            disagreements=summary.biggest_disagreements(ratings, n, **options),
            actions=self.ws.actions(),
            examples=self.ws.examples(),
            answers=len(ratings),
        )

    def export(self, kind: str, folder: str | os.PathLike[str] | None = None) -> Path:
        """Write an export beside the workshop file (or into ``folder``) and return its path.

        Parameters
        ----------
        kind : {"xlsx", "csv", "html"}
            The full workbook, the tidy answers, or the HTML report.
        """
        where = Path(folder) if folder is not None else Path(self.ws.path).parent
        stem = Path(self.ws.path).name.removesuffix(WORKSHOP_SUFFIX)
        if kind in ("xlsx", "csv"):
            target = where / f"{stem}.{kind}"
            self.ws.export(target)
            return target
        if kind == "html":
            from . import report

            return Path(report.workshop_report(self.ws, where / f"{stem}.report.html"))
        raise AssuredKitError(f"no export {kind!r}", field="kind", allowed="xlsx, csv or html")


def _answer_from_row(row: Any) -> Answer:
    dont_know = bool(row.dont_know)
    rating = None if dont_know or pd.isna(row.rating) else int(row.rating)
    evidence = None if pd.isna(row.evidence) else int(row.evidence)
    note = None if row.note is None or pd.isna(row.note) or row.note == "" else str(row.note)
    return Answer(
        respondent_id=str(row.respondent_id),
        question_id=str(row.question_id),
        round=int(row.round),
        rating=rating,
        dont_know=dont_know,
        evidence=evidence,
        note=note,
        recorded_at=pd.Timestamp(row.recorded_at).to_pydatetime(),
    )
