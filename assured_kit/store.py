"""Workshop files: every answer saved the moment it is given, safe with many writers.

A workshop is one SQLite file (``*.workshop.sqlite``) that anyone can open with standard SQLite
tools, email or archive. Nothing in it is overwritten: every change (details, respondents,
answers, actions, examples, notes, the facilitator's session state) is a new event with a UTC
timestamp and its author, and the current state is derived from the events. Answers also get a
typed row each, so the current answers come from one indexed query (latest answer wins per
respondent, question and round; a retraction hides the answer).

The file is written with ``synchronous=FULL`` in WAL mode and every write is a
``BEGIN IMMEDIATE`` transaction that waits (``busy_timeout``) for other writers, so several
processes (live-voting kernels) can write at once and an answer is on disk before `record`
returns. A file that is not a workshop, comes from a newer kit, is read-only or stays locked is
refused with an `AssuredKitError` before anything is written; an older one is upgraded (see
`assured_kit.schema`).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> ws = Workshop.create(folder / "leicester.workshop.sqlite", title="Leicester, spring")
>>> rid = ws.add_respondent("Table 1", role="Mixed", kind="table")
>>> event = ws.record(rid, "LA-DCS-1", 4, evidence=2)
>>> ws.record(rid, "LA-DCS-2", dont_know=True) > event
True
>>> ws.ratings()[["question_id", "rating", "dont_know", "evidence"]]
  question_id  rating  dont_know  evidence
0    LA-DCS-1       4      False         2
1    LA-DCS-2    <NA>       True      <NA>
>>> ws.close()
>>> with Workshop.open(folder / "leicester.workshop.sqlite") as ws:
...     ws.respondents()["label"].tolist()
['Table 1']
"""

from __future__ import annotations

import datetime as dt
import json
import numbers
import os
import re
import sqlite3
import stat
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .schema import (
    APPLICATION_ID,
    RESPONDENT_EVENTS,
    SCHEMA_VERSION,
    fold_details,
    fold_entities,
    fold_respondents,
    migrate,
)
from .summary import check_min_group
from .text import (
    NOTE_LIMIT,
    RESPONDENT_ROLES,
    TEXT_LIMIT,
    clean_label,
    fold,
    match_authority,
    match_role,
    roles_allowed,
)
from .tidy import Part, frame_from_parts, read_part

if TYPE_CHECKING:  # pragma: no cover
    from .framework import Framework
    from .scales import Scale

__all__ = [
    "ACTION_STATUSES",
    "ANONYMITY_MODES",
    "RESPONDENT_KINDS",
    "RESPONDENT_ROLES",
    "SUFFIX",
    "Workshop",
    "read_file_part",
]

#: How respondents are named: by name, by a pseudonym, or not at all.
ANONYMITY_MODES = ("named", "pseudonymous", "anonymous")
#: A respondent is one person or one table answering together.
RESPONDENT_KINDS = ("person", "table")
#: The states an action moves through.
ACTION_STATUSES = ("open", "in progress", "done", "dropped")
#: Every workshop file's name ends with this.
SUFFIX = ".workshop.sqlite"

DEFAULT_TIMEOUT = 30.0
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DETAIL_KEYS = (
    "title",
    "held_on",
    "venue",
    "facilitator",
    "scale",
    "themes",
    "roles",
    "min_group",
    "anonymity",
    "authorities",
    "synthetic",
)
_CUSTOM_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_OWN_KINDS = {"workshop", "respondent", "answer", "action", "example", "note", "session"}
_SESSION_DEFAULT: dict[str, Any] = {
    "question_id": None,
    "round": 1,
    "revealed": False,
    "closed": False,
}


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


def _now() -> str:
    """Return the current UTC time as fixed-width ISO-8601 text (sorts as it reads)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------- validation


def _text(
    value: object, field: str, *, limit: int = TEXT_LIMIT, required: bool = True
) -> str | None:
    """Trim free text; ``None`` or blank becomes ``None`` unless the text is required."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise AssuredKitError(
            f"{value!r} is not text",
            field=field,
            allowed="text",
            hint="a number or list passed where words belong",
        )
    if not text:
        if required:
            raise AssuredKitError(
                "the text is empty",
                field=field,
                allowed="some words (spaces alone do not count)",
                hint="an empty box, or only spaces typed",
            )
        return None
    if len(text) > limit:
        raise AssuredKitError(
            f"the text is {len(text)} characters long",
            field=field,
            allowed=f"at most {limit} characters",
            hint="a whole document pasted into one box",
        )
    return text


def _choice(
    value: object, allowed: Iterable[str], field: str, *, optional: bool = False
) -> str | None:
    options = list(allowed)
    if value is None and optional:
        return None
    if isinstance(value, str) and value in options:
        return value
    folded = value.strip().casefold() if isinstance(value, str) else None
    near = [o for o in options if o.casefold() == folded]
    raise AssuredKitError(
        f"{value!r} is not allowed",
        field=field,
        allowed=", ".join(options) + (" or None" if optional else ""),
        hint=f"did you mean {near[0]!r}?" if near else None,
    )


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raise AssuredKitError(
        f"{value!r} is not True or False",
        field=field,
        allowed="True or False",
        hint="a quoted 'True' or a number passed instead of a bool",
    )


def _whole(value: object) -> int | None:
    """Return ``value`` as an int when it is a whole number (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _date(value: object, field: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise AssuredKitError(
        f"{value!r} is not a date",
        field=field,
        allowed="a datetime.date, or text such as '2026-03-14' (year-month-day), or None",
        hint="day and month the other way round, or a date typed as 14/03/2026",
    )


def _never_overwritten(target: Path) -> AssuredKitError:
    """Return the error for creating a workshop where a file already exists."""
    return AssuredKitError(
        "a file already exists here and is never overwritten",
        file=target,
        allowed="a new file name",
        hint="use Workshop.open to continue that workshop, or choose another name",
    )


def _author(value: object) -> str:
    text = _text(value, "author", limit=200)
    assert text is not None
    return text


# --------------------------------------------------------------------------- opening files


def _header(path: Path) -> tuple[int, int]:
    """Check a file is a workshop file from its header alone; return (user_version, app id).

    Reads the first 100 bytes and never opens the file for writing.
    """
    where = {"file": path}
    if not path.exists():
        raise AssuredKitError(
            "there is no file here",
            allowed=f"an existing workshop file (*{SUFFIX})",
            hint="a typing slip in the path, or the file was moved; "
            "use Workshop.create for a new one",
            **where,
        )
    if not path.is_file():
        raise AssuredKitError(
            "this is a folder, not a workshop file",
            allowed=f"a workshop file (*{SUFFIX})",
            **where,
        )
    if _file_key(path) in _OPEN_HERE:
        # Already open in this process: never open() the file directly, since closing any
        # descriptor drops every POSIX lock SQLite holds on it here. Ask SQLite instead.
        return _header_via_sqlite(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise AssuredKitError(
            f"the file cannot be read ({exc.strerror or exc})",
            allowed="a workshop file you may read",
            hint="file permissions, or the file is held open by another program",
            **where,
        ) from exc
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise AssuredKitError(
            "this is not a workshop file: it is not an SQLite database"
            + (" (the file is empty)" if not head else ""),
            allowed=f"a workshop file (*{SUFFIX}) written by the Assured Safeguarding kit",
            hint="a spreadsheet or export given instead of the workshop file, or a damaged copy",
            **where,
        )
    user_version = int.from_bytes(head[60:64], "big")
    application_id = int.from_bytes(head[68:72], "big")
    _check_identity(path, application_id, user_version)
    return user_version, application_id


# Files that a Workshop in this process holds open, by (device, inode), with how many handles.
_OPEN_HERE: Counter[tuple[int, int]] = Counter()
_OPEN_HERE_LOCK = threading.Lock()


def _file_key(path: Path) -> tuple[int, int]:
    info = path.stat()
    return (info.st_dev, info.st_ino)


def _header_via_sqlite(path: Path) -> tuple[int, int]:
    """Read the header values through SQLite, which keeps this process's locks intact."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    _check_identity(path, application_id, user_version)
    return user_version, application_id


def _check_identity(path: Path, application_id: int, user_version: int) -> None:
    if application_id != APPLICATION_ID:
        raise AssuredKitError(
            "this SQLite database belongs to another application, not the workshop kit "
            f"(its application_id is {application_id:#010x}, "
            f"a workshop's is {APPLICATION_ID:#010x})",
            file=path,
            allowed=f"a workshop file (*{SUFFIX}) written by the Assured Safeguarding kit",
            hint="another program's database, or a file renamed to end in .workshop.sqlite",
        )
    if user_version > SCHEMA_VERSION:
        raise AssuredKitError(
            f"this workshop file was written by a newer version of the kit (schema version "
            f"{user_version}; this kit reads up to {SCHEMA_VERSION})",
            file=path,
            allowed=f"workshop files of schema version {SCHEMA_VERSION} or older",
            hint="upgrade the kit (pip install -U assured-kit) on this computer",
        )
    if user_version < 1:
        raise AssuredKitError(
            "this workshop file was never finished (schema version 0)",
            file=path,
            allowed="a workshop file that Workshop.create completed",
            hint="a copy taken while the workshop was being created, or a damaged file",
        )


def _writable(path: Path) -> bool:
    """Tell whether the process may write ``path``, judged by its permission bits as well.

    Root ignores permission bits, but a file someone marked read-only should stay untouched.
    """
    return os.access(path, os.W_OK) and bool(stat.S_IMODE(path.stat().st_mode) & 0o222)


def _check_writable(path: Path) -> None:
    """Refuse read-only files and folders."""
    folder = path.parent
    if not _writable(path):
        raise AssuredKitError(
            "the workshop file is read-only",
            file=path,
            allowed="a file you may write to: every answer is saved into it",
            hint="the file's read-only attribute is set, or it sits on a read-only share; "
            "copy it somewhere writable, or use read_ratings() to read it without changes",
        )
    if not _writable(folder):
        raise AssuredKitError(
            f"the folder {str(folder)!r} is read-only",
            file=path,
            allowed="a workshop file in a folder you may write to (SQLite keeps its write-ahead "
            "log beside the file)",
            hint="a read-only or network folder; copy the file somewhere writable, or use "
            "read_ratings() to read it without changes",
        )


def _sqlite_error(path: Path, exc: sqlite3.Error, timeout: float) -> AssuredKitError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return AssuredKitError(
            f"the workshop file stayed locked by another program for longer than {timeout:g} s",
            file=path,
            allowed="a file no other program holds locked",
            hint="another notebook or SQLite tool is in the middle of a long write; finish or "
            "close it and try again",
        )
    if "readonly" in text.replace("-", "").replace(" ", "").lower():
        return AssuredKitError(
            "the workshop file cannot be written (read-only)",
            file=path,
            allowed="a file and folder you may write to",
            hint="a read-only share or file attribute",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return AssuredKitError(
            f"the workshop file is damaged ({text})",
            file=path,
            allowed="an intact workshop file",
            hint="a copy taken while it was being written, or a failing disk; use a backup",
        )
    return AssuredKitError(f"SQLite could not use the workshop file ({text})", file=path)


def _connect(path: Path, timeout: float, *, read_only: bool = False) -> sqlite3.Connection:
    mode = "ro" if read_only else "rw"
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode={mode}",
        uri=True,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        conn.execute("PRAGMA synchronous = FULL")
    return conn


def _validate_timeout(timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise AssuredKitError(
            f"{timeout!r} is not a waiting time",
            field="timeout",
            allowed="a number of seconds above 0 (30 by default)",
        )
    return float(timeout)


def _check_framework(path: Path, details: Mapping[str, Any], framework: Framework) -> None:
    """Refuse a framework that lacks the workshop's scale or any of its questions."""
    scale_id = details["scale"]
    if scale_id not in framework.scales:
        raise AssuredKitError(
            f"the workshop uses the scale {scale_id!r}, which this framework does not have",
            file=path,
            field="scale",
            allowed=", ".join(sorted(framework.scales)),
            hint="open it with the framework it was created with (framework=...)",
        )
    known = set(framework.questions["question_id"])
    missing = [q for q, _, _ in details["questions"] if q not in known]
    if missing:
        raise AssuredKitError(
            f"the workshop asks questions this framework does not have: {', '.join(missing)}",
            file=path,
            field="framework",
            allowed="the framework the workshop was created with",
            hint="an adapted framework; pass it as framework=load_framework(folder)",
        )


def _load_framework(framework: Framework | None) -> Framework:
    from .framework import Framework, load_framework

    if framework is None:
        return load_framework()
    if not isinstance(framework, Framework):
        raise AssuredKitError(
            f"{type(framework).__name__} is not a framework",
            field="framework",
            allowed="a Framework from assured_kit.load_framework(), or None for the bundled one",
        )
    return framework


# --------------------------------------------------------------------------- state folding


def _utc(values: list[str]) -> pd.Series:
    return pd.Series(
        pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", utc=True),
        dtype="datetime64[us, UTC]",
    )


def _dates(values: list[str | None]) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d"),
                     dtype="datetime64[us]")


def _theme_order(framework: Framework) -> list[str]:
    return [str(t) for t in framework.themes["theme_id"]]


def read_file_part(path: Path) -> Part:
    """Read a closed workshop file's answers for the read model, without writing to it.

    An older file is upgraded in memory; the file itself is left exactly as it was.
    """
    version, _ = _header(path)
    if _writable(path) and _writable(path.parent):
        # An ordinary connection: when it is the last to close, SQLite tidies away the -wal
        # and -shm files it made, leaving the folder as it was. It only reads.
        mode = "rw"
    elif Path(f"{path}-wal").exists():
        mode = "ro"  # someone has it open (or crashed); share their write-ahead log
    else:
        mode = "ro&immutable=1"  # read-only and closed cleanly: nobody can be writing it
    conn = None
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=DEFAULT_TIMEOUT,
            isolation_level=None,
        )
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        _check_identity(path, application_id, version)
        if version < SCHEMA_VERSION:
            memory = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(memory)
            conn.close()
            conn = memory
            conn.execute("BEGIN")
            migrate(conn, version)
            conn.execute("COMMIT")
        conn.execute("BEGIN")  # one consistent snapshot for all the queries
        try:
            return read_part(conn, path)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise _sqlite_error(path, exc, DEFAULT_TIMEOUT) from exc
    finally:
        if conn is not None:
            conn.close()


# --------------------------------------------------------------------------- the workshop


class Workshop:
    """One workshop file, open for reading and writing.

    Make one with `Workshop.create` or `Workshop.open`; close it with `close` or use it as a
    context manager. Every method that changes the workshop writes one or more events in a
    single ``BEGIN IMMEDIATE`` transaction and returns only once they are durably on disk.
    Inside ``with ws.batch():`` all writes share one transaction (all or nothing).

    Attributes
    ----------
    path : pathlib.Path
        The workshop file.
    workshop_id : str
        The workshop's identity, kept by every export and merge.
    framework : Framework
        The framework the questions come from.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.workshop.sqlite"
    >>> with Workshop.create(path, title="Demo", themes=["PM"], roles=["LM"]) as ws:
    ...     ws.questions()["question_id"].tolist()
    ['PM-LM-1', 'PM-LM-2', 'PM-LM-3', 'PM-LM-4', 'PM-LM-5']
    """

    def __init__(
        self, path: Path, conn: sqlite3.Connection, framework: Framework, timeout: float
    ) -> None:
        self.path = path
        self.framework = framework
        self._conn: sqlite3.Connection | None = conn
        self._timeout = timeout
        self._key = _file_key(path)
        with _OPEN_HERE_LOCK:
            _OPEN_HERE[self._key] += 1
        self._lock = threading.RLock()
        self._depth = 0
        # Details are re-read when another connection commits (data_version changes) or
        # after this one changed them or rolled back.
        self._cache_key: int | None = None
        self._details_cache: dict[str, Any] = {}
        self._scope_cache: dict[str, tuple[str, str]] = {}
        self._levels: dict[str, frozenset[int]] = {}
        # Respondent ids seen in the file; never removed, so only a rollback can unsee them.
        self._known: set[str] = set()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if "workshop_id" not in meta:
            raise AssuredKitError(
                "the workshop file has no workshop id",
                file=path,
                allowed="an intact workshop file",
                hint="a damaged file; use a backup",
            )
        self.workshop_id: str = meta["workshop_id"]
        _check_framework(path, self._details(), framework)

    # ------------------------------------------------------------------ creating and opening

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        title: str,
        held_on: dt.date | str | None = None,
        venue: str = "",
        facilitator: str = "",
        scale: str = "confidence",
        themes: Iterable[str] | None = None,
        roles: Iterable[str] = ("DCS", "LM"),
        min_group: int = 3,
        anonymity: str = "pseudonymous",
        authorities: Iterable[str] | None = None,
        synthetic: bool = False,
        framework: Framework | None = None,
        author: str = "facilitator",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Workshop:
        """Create a new workshop file; an existing file is never overwritten.

        Parameters
        ----------
        path : str or path-like
            Where to create it; the name must end with ``.workshop.sqlite``.
        title : str
            The workshop's title (shown on every chart and report).
        held_on : datetime.date or str, optional
            The day it is held (``"2026-03-14"`` also works).
        venue, facilitator : str, optional
            Where it is held and who runs it.
        scale : str, optional
            The rating scale's id in the framework (``confidence`` by default).
        themes : iterable of str, optional
            The themes in scope (all by default), e.g. ``["LA", "WF"]``.
        roles : iterable of str, optional
            The question roles in scope, ``("DCS", "LM")`` by default.
        min_group : int, optional
            The fewest respondents a figure shown outside the room may rest on (3).
        anonymity : str, optional
            ``named``, ``pseudonymous`` (default) or ``anonymous``.
        authorities : iterable of str, optional
            The authorities respondents may belong to (the framework's list by default).
        synthetic : bool, optional
            True for made-up demo data.
        framework : Framework, optional
            The framework (``load_framework()`` by default).
        author : str, optional
            Who created it, for the event log.
        timeout : float, optional
            Seconds to wait for another writer before giving up.

        Returns
        -------
        Workshop
            The new workshop, open.

        Raises
        ------
        AssuredKitError
            For a bad argument, a name without the suffix, an existing file, or a folder that
            does not exist or cannot be written. Nothing is created then.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "derby.workshop.sqlite"
        >>> ws = Workshop.create(path, title="Derby", held_on="2026-03-14", themes=["WF"])
        >>> ws.held_on, ws.details["themes"], len(ws.questions())
        (datetime.date(2026, 3, 14), ['WF'], 7)
        >>> ws.close()
        """
        fw = _load_framework(framework)
        timeout = _validate_timeout(timeout)
        target = Path(path)
        if not target.name.endswith(SUFFIX) or target.name == SUFFIX:
            raise AssuredKitError(
                f"the file name {target.name!r} does not end with {SUFFIX!r}",
                file=target,
                allowed=f"a name such as 'derby-2026-03{SUFFIX}'",
                hint="the suffix left off, or a spreadsheet name given",
            )
        details = _check_details(dict(zip(_DETAIL_KEYS, (
            title, held_on, venue, facilitator, scale, themes, roles, min_group, anonymity,
            authorities, synthetic), strict=True)), fw)
        author = _author(author)
        if target.exists() or target.is_symlink():
            raise _never_overwritten(target)
        folder = target.parent
        if not folder.is_dir():
            raise AssuredKitError(
                f"the folder {str(folder)!r} does not exist",
                file=target,
                allowed="a file in an existing folder",
                hint="a typing slip in the folder name",
            )
        if not _writable(folder):
            raise AssuredKitError(
                f"the folder {str(folder)!r} is read-only",
                file=target,
                allowed="a folder you may write to",
            )
        try:
            # "x" reserves the name atomically: if another process got there first, we fail.
            with target.open("xb"):
                pass
        except FileExistsError as exc:
            raise _never_overwritten(target) from exc
        except OSError as exc:
            raise AssuredKitError(
                f"the file cannot be created ({exc.strerror or exc})",
                file=target,
                allowed="a file in a folder you may write to",
            ) from exc
        conn = None
        try:
            conn = _connect(target, timeout)
            # Built with a rollback journal, so the finished header (application_id,
            # user_version) is in the main file itself; then switched to WAL for its life.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            migrate(conn, 0)
            at = _now()
            workshop_id = str(uuid.uuid4())
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("workshop_id", workshop_id),
                    ("created_at", at),
                    ("created_with_schema", str(SCHEMA_VERSION)),
                ],
            )
            conn.execute(
                "INSERT INTO events (at, author, kind, subject, detail) VALUES (?, ?, ?, ?, ?)",
                (at, author, "workshop.create", workshop_id, json.dumps(details)),
            )
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
            return cls(target, conn, fw, timeout)
        except BaseException:
            if conn is not None:
                conn.close()
            for extra in ("", "-wal", "-shm", "-journal"):
                Path(str(target) + extra).unlink(missing_ok=True)
            raise

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        framework: Framework | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Workshop:
        """Open an existing workshop file and carry on exactly where it stopped.

        The file is checked before anything is written: a missing file, a file that is not a
        SQLite database, another application's database, a workshop from a newer kit, a
        read-only file or folder, or a file locked for longer than ``timeout`` seconds each
        raise an `AssuredKitError` and leave the file byte-for-byte as it was. A file from an
        older kit is upgraded in one transaction.

        Parameters
        ----------
        path : str or path-like
            The workshop file.
        framework : Framework, optional
            The framework it was created with (``load_framework()`` by default).
        timeout : float, optional
            Seconds to wait for another writer before giving up (30 by default).

        Returns
        -------
        Workshop

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "notts.workshop.sqlite"
        >>> Workshop.create(path, title="Nottingham").close()
        >>> with Workshop.open(path) as ws:
        ...     ws.title
        'Nottingham'
        """
        fw = _load_framework(framework)
        timeout = _validate_timeout(timeout)
        target = Path(path)
        _header(target)
        _check_writable(target)
        conn = None
        try:
            conn = _connect(target, timeout)
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            _check_identity(target, application_id, version)
            rows = conn.execute(
                "SELECT kind, detail, at FROM events WHERE kind IN "
                "('workshop.create', 'workshop.update') ORDER BY event_id"
            ).fetchall()
            _check_framework(target, fold_details(rows), fw)
            # Take the write lock once: it proves the file can be written and is not held
            # for too long, and it guards the upgrade of an older file.
            conn.execute("BEGIN IMMEDIATE")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                migrate(conn, version)
                conn.execute("COMMIT")
            else:
                conn.execute("ROLLBACK")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")  # e.g. a copy made single-file
            if version < SCHEMA_VERSION:
                # Copy the new version into the main file's header, where other kits look.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return cls(target, conn, fw, timeout)
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise _sqlite_error(target, exc, timeout) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise

    # ------------------------------------------------------------------ plumbing

    def __enter__(self) -> Workshop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else repr(self.title)
        return f"<Workshop {state} at {str(self.path)!r}>"

    def close(self) -> None:
        """Close the file (safe to call twice). Everything written is already on disk."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                with _OPEN_HERE_LOCK:
                    _OPEN_HERE[self._key] -= 1
                    if _OPEN_HERE[self._key] <= 0:
                        del _OPEN_HERE[self._key]

    @property
    def closed(self) -> bool:
        """True once `close` has been called."""
        return self._conn is None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AssuredKitError(
                "the workshop is closed",
                file=self.path,
                hint="use Workshop.open(path) again, or keep the work inside the 'with' block",
            )
        return self._conn

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db().execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise _sqlite_error(self.path, exc, self._timeout) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One BEGIN IMMEDIATE transaction (or a part of the enclosing batch)."""
        with self._lock:
            conn = self._db()
            if self._depth:
                # Inside a batch: a savepoint keeps each call all-or-nothing on its own, so a
                # caller who catches an error can carry on with the rest of the batch.
                self._depth += 1
                name = f"w{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                try:
                    yield conn
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    self._cache_key = None
                    self._known.clear()
                    raise
                finally:
                    self._depth -= 1
                conn.execute(f"RELEASE {name}")
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _sqlite_error(self.path, exc, self._timeout) from exc
            self._depth = 1
            try:
                yield conn
            except BaseException:
                self._depth = 0
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                self._cache_key = None
                self._known.clear()
                raise
            self._depth = 0
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                self._cache_key = None
                self._known.clear()
                raise _sqlite_error(self.path, exc, self._timeout) from exc

    @contextmanager
    def batch(self) -> Iterator[Workshop]:
        """Group writes into one transaction: all of them are saved, or none.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "b.workshop.sqlite"
        >>> ws = Workshop.create(path, title="Batch")
        >>> try:
        ...     with ws.batch():
        ...         rid = ws.add_respondent("Ann")
        ...         ws.record(rid, "LA-DCS-1", 9)
        ... except ValueError:
        ...     pass
        >>> len(ws.respondents())
        0
        >>> ws.close()
        """
        with self._write():
            yield self

    def _append(
        self, conn: sqlite3.Connection, kind: str, subject: str, detail: Mapping[str, Any],
        author: str, at: str | None = None,
    ) -> int:
        cur = conn.execute(
            "INSERT INTO events (at, author, kind, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (at or _now(), author, kind, subject, json.dumps(dict(detail), ensure_ascii=False)),
        )
        return int(cur.lastrowid or 0)

    def _events(self, *kinds: str) -> list[tuple[Any, ...]]:
        marks = ", ".join("?" * len(kinds))
        return self._query(
            f"SELECT kind, subject, detail, at FROM events WHERE kind IN ({marks}) "
            "ORDER BY event_id",
            kinds,
        )

    def _details(self) -> dict[str, Any]:
        """Return the current details, re-read only when the file changed."""
        with self._lock:
            if self._depth and self._cache_key is not None:
                # This connection holds the write lock: no one else can have changed them.
                return self._details_cache
            version = self._query("PRAGMA data_version")[0][0]
            if self._cache_key != version:
                rows = self._query(
                    "SELECT kind, detail, at FROM events WHERE kind IN "
                    "('workshop.create', 'workshop.update') ORDER BY event_id"
                )
                self._details_cache = fold_details(rows)
                self._scope_cache = {q: (t, r) for q, t, r in self._details_cache["questions"]}
                self._cache_key = version
            return self._details_cache

    def _allowed(self, scale: Scale) -> frozenset[int]:
        """Return the values of a scale, looked up once (scales are immutable)."""
        if scale.scale_id not in self._levels:
            self._levels[scale.scale_id] = frozenset(scale.values)
        return self._levels[scale.scale_id]

    def _add(self, kind: str, prefix: str, detail: dict[str, Any], author: str) -> str:
        """Append an ``*.add`` event for a new entity under the next free id; return the id."""
        with self._write() as conn:
            new_id = self._next_id(conn, kind, prefix)
            self._append(conn, kind, new_id, detail, author)
        return new_id

    def _next_id(self, conn: sqlite3.Connection, kind: str, prefix: str) -> str:
        count = conn.execute("SELECT count(*) FROM events WHERE kind = ?", (kind,)).fetchone()[0]
        return f"{prefix}{count + 1:04d}"

    # ------------------------------------------------------------------ details

    @property
    def details(self) -> dict[str, Any]:
        """The workshop's details.

        Keys: title, held_on (`datetime.date` or None), venue, facilitator, scale_id, themes,
        roles, min_group, anonymity, authorities, synthetic, created_at (UTC `datetime`),
        schema_version.
        """
        d = self._details()
        return {
            "title": d["title"],
            "held_on": None if d["held_on"] is None else dt.date.fromisoformat(d["held_on"]),
            "venue": d["venue"],
            "facilitator": d["facilitator"],
            "scale_id": d["scale"],
            "themes": list(d["themes"]),
            "roles": list(d["roles"]),
            "min_group": d["min_group"],
            "anonymity": d["anonymity"],
            "authorities": list(d["authorities"]),
            "synthetic": d["synthetic"],
            "created_at": dt.datetime.fromisoformat(d["created_at"]),
            "schema_version": SCHEMA_VERSION,
        }

    @property
    def title(self) -> str:
        """The workshop's title."""
        return str(self._details()["title"])

    @property
    def held_on(self) -> dt.date | None:
        """The day the workshop is held, if set."""
        return self.details["held_on"]

    @property
    def min_group(self) -> int:
        """The fewest respondents a figure shown outside the room may rest on."""
        return int(self._details()["min_group"])

    @property
    def anonymity(self) -> str:
        """``named``, ``pseudonymous`` or ``anonymous``."""
        return str(self._details()["anonymity"])

    @property
    def scale(self) -> Scale:
        """The rating scale."""
        return self.framework.scales[self._details()["scale"]]

    @property
    def evidence_scale(self) -> Scale:
        """The evidence scale ("How do I know?")."""
        return self.framework.scales["evidence"]

    def update_details(self, *, author: str = "facilitator", **changes: Any) -> None:
        """Change some of the workshop's details (one event).

        Parameters
        ----------
        author : str, optional
            Who made the change.
        **changes
            Any of title, held_on, venue, facilitator, scale, themes, roles, min_group,
            anonymity, authorities, synthetic. The scale cannot change once answers exist;
            an authority cannot be dropped while a respondent belongs to it.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "u.workshop.sqlite"
        >>> with Workshop.create(path, title="Draft") as ws:
        ...     ws.update_details(title="Final", min_group=5)
        ...     ws.title, ws.min_group
        ('Final', 5)
        """
        unknown = sorted(set(changes) - set(_DETAIL_KEYS))
        if unknown:
            raise AssuredKitError(
                f"{', '.join(map(repr, unknown))} is not a workshop detail",
                field=unknown[0],
                allowed=", ".join(_DETAIL_KEYS),
                hint="scale_id is changed as scale=...",
            )
        author = _author(author)
        current = self._details()
        merged = {k: current[k] for k in _DETAIL_KEYS}
        merged.update(changes)
        checked = _check_details(merged, self.framework)
        with self._write() as conn:
            now = self._details()
            if checked["scale"] != now["scale"]:
                count = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
                if count:
                    raise AssuredKitError(
                        f"the scale cannot change: the workshop already holds {count} answers "
                        f"on the {now['scale']!r} scale",
                        field="scale",
                        allowed=f"{now['scale']!r}",
                        hint="create a new workshop for the other scale",
                    )
            in_use = {r["authority"] for r in self._respondent_state().values()} - {None}
            dropped = sorted(in_use - set(checked["authorities"]))
            if dropped:
                raise AssuredKitError(
                    f"{', '.join(dropped)} cannot leave the list: respondents belong to it",
                    field="authorities",
                    allowed="a list that keeps every authority in use",
                    hint="change those respondents' authority first",
                )
            diff = {k: v for k, v in checked.items() if now.get(k) != v}
            if diff:
                self._append(conn, "workshop.update", self.workshop_id, diff, author)
                self._cache_key = None

    def questions(self) -> pd.DataFrame:
        """Return the questions in scope, in framework order, with the framework's columns.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "q.workshop.sqlite"
        >>> with Workshop.create(path, title="Q", roles=["DCS"]) as ws:
        ...     len(ws.questions())
        24
        """
        ids = [q for q, _, _ in self._details()["questions"]]
        fq = self.framework.questions
        return fq[fq["question_id"].isin(ids)].reset_index(drop=True)

    def _scope(self) -> dict[str, tuple[str, str]]:
        self._details()
        return self._scope_cache

    # ------------------------------------------------------------------ respondents

    def _respondent_state(self) -> dict[str, dict[str, Any]]:
        return fold_respondents(self._events(*RESPONDENT_EVENTS))

    def _check_label(self, label: object, state: Mapping[str, Mapping[str, Any]],
                     skip: str | None = None) -> str:
        text = _text(clean_label(label) if isinstance(label, str) else label, "label", limit=100)
        assert text is not None
        for rid, resp in state.items():
            if rid != skip and fold(resp["label"]) == fold(text):
                raise AssuredKitError(
                    f"the label {text!r} is already used by respondent {rid} ({resp['label']!r})",
                    field="label",
                    allowed="a label no other respondent has (capitals, spacing and look-alike "
                    "letters do not count)",
                    hint="the same person or table added twice; add a number, e.g. 'Table 2'",
                )
        return text

    def _check_role(self, role: object, *, optional: bool = False) -> str | None:
        if role is None and optional:
            return None
        matched = match_role(role) if isinstance(role, str) else None
        if matched is None:
            raise AssuredKitError(
                f"{role!r} is not a role",
                field="role",
                allowed=roles_allowed() + (", or none" if optional else ""),
                hint="a role spelled in a way the kit does not know; "
                "'Lead Member' and 'Director of Children's Services' are understood",
            )
        return matched

    def _check_authority(self, authority: object) -> str | None:
        if authority is None:
            return None
        allowed = self._details()["authorities"]
        matched = match_authority(authority, allowed) if isinstance(authority, str) else None
        if matched is not None:
            return matched
        raise AssuredKitError(
            f"{authority!r} is not one of this workshop's authorities",
            field="authority",
            allowed=", ".join(allowed) + " or None",
            hint="add it with ws.update_details(authorities=[...]) first",
        )

    def add_respondent(
        self,
        label: str,
        *,
        role: str = "DCS",
        authority: str | None = None,
        kind: str = "person",
        author: str = "facilitator",
    ) -> str:
        """Add a person or a table that will answer; return its respondent id.

        Parameters
        ----------
        label : str
            A name or pseudonym (trimmed; unique in the workshop, ignoring capitals).
        role : str, optional
            One of `RESPONDENT_ROLES`: DCS, LM, Officer or Mixed.
        authority : str, optional
            One of ``ws.details["authorities"]``, or None.
        kind : str, optional
            ``person`` or ``table``.
        author : str, optional
            Who added it.

        Returns
        -------
        str
            The respondent id (``R0001``, ``R0002``, ...), unique within this workshop.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.workshop.sqlite"
        >>> with Workshop.create(path, title="R") as ws:
        ...     ws.add_respondent(" Table 3 ", role="Mixed", authority="Rutland", kind="table")
        'R0001'
        """
        role = self._check_role(role)
        kind = _choice(kind, RESPONDENT_KINDS, "kind")
        authority = self._check_authority(authority)
        author = _author(author)
        with self._write() as conn:
            state = self._respondent_state()
            text = self._check_label(label, state)
            rid = self._next_id(conn, "respondent.add", "R")
            detail = {"label": text, "role": role, "authority": authority, "kind": kind}
            self._append(conn, "respondent.add", rid, detail, author)
        return rid

    def update_respondent(
        self,
        respondent_id: str,
        *,
        label: str | None = None,
        role: str | None = None,
        authority: str | _Unset | None = _UNSET,
        withdrawn: bool | None = None,
        author: str = "facilitator",
    ) -> None:
        """Change a respondent's label, role or authority, or withdraw them (one event).

        ``authority=None`` clears it; leaving it out keeps it. ``withdrawn=True`` withdraws
        the respondent (added by mistake, or asked to be left out): every answer they gave
        stays in the file and its history, but no longer counts in `ratings`, `read_ratings`,
        summaries, reports or exports. ``withdrawn=False`` brings them back, answers and all.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "ur.workshop.sqlite"
        >>> with Workshop.create(path, title="UR") as ws:
        ...     rid = ws.add_respondent("Ann")
        ...     ws.update_respondent(rid, role="LM", authority="Derby")
        ...     ws.respondents()[["label", "role", "authority"]].iloc[0].tolist()
        ...     _ = ws.record(rid, "LA-DCS-1", 4)
        ...     ws.update_respondent(rid, withdrawn=True)
        ...     len(ws.ratings()), ws.respondents()["withdrawn"].tolist()
        ['Ann', 'LM', 'Derby']
        (0, [True])
        """
        author = _author(author)
        changes: dict[str, Any] = {}
        if withdrawn is not None:
            if not isinstance(withdrawn, bool):
                raise AssuredKitError(
                    f"withdrawn must be True or False, not {withdrawn!r}",
                    field="withdrawn",
                    allowed="True (withdraw) or False (bring back)",
                )
            changes["withdrawn"] = withdrawn
        if role is not None:
            changes["role"] = self._check_role(role)
        if authority is not _UNSET:
            changes["authority"] = self._check_authority(authority)
        with self._write() as conn:
            state = self._respondent_state()
            if respondent_id not in state:
                raise self._no_respondent(respondent_id, state)
            if label is not None:
                changes["label"] = self._check_label(label, state, skip=respondent_id)
            current = state[respondent_id]
            diff = {k: v for k, v in changes.items() if current.get(k) != v}
            if diff:
                self._append(conn, "respondent.update", respondent_id, diff, author)

    def _no_respondent(self, respondent_id: object, state: Mapping[str, Any]) -> AssuredKitError:
        ids = sorted(state)
        shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
        return AssuredKitError(
            f"no respondent {respondent_id!r} in this workshop",
            field="respondent_id",
            allowed=f"an id from add_respondent ({shown})" if ids else "an id from add_respondent "
            "(the workshop has no respondents yet)",
            hint="the label given instead of the id, or an id from another workshop",
        )

    def respondents(self) -> pd.DataFrame:
        """Return every respondent, withdrawn ones included.

        Columns: respondent_id, label, role, authority, kind, created_at and withdrawn (a
        withdrawn respondent's answers do not count; see `update_respondent`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "rs.workshop.sqlite"
        >>> with Workshop.create(path, title="RS") as ws:
        ...     _ = ws.add_respondent("Ann", role="LM")
        ...     ws.respondents()[["respondent_id", "label", "role", "kind"]]
          respondent_id label role    kind
        0         R0001   Ann   LM  person
        """
        state = self._respondent_state()
        return pd.DataFrame(
            {
                "respondent_id": pd.Series(list(state), dtype="str"),
                "label": pd.Series([r["label"] for r in state.values()], dtype="str"),
                "role": pd.Categorical(
                    [r["role"] for r in state.values()], categories=RESPONDENT_ROLES, ordered=True
                ),
                "authority": pd.Series([r["authority"] for r in state.values()], dtype="str"),
                "kind": pd.Series([r["kind"] for r in state.values()], dtype="str"),
                "created_at": _utc([r["created_at"] for r in state.values()]),
                "withdrawn": pd.Series([r["withdrawn"] for r in state.values()], dtype=bool),
            }
        )

    # ------------------------------------------------------------------ answers

    def _check_question(self, question_id: object) -> str:
        scope = self._scope()
        if isinstance(question_id, str) and question_id in scope:
            return question_id
        known = set(self.framework.questions["question_id"])
        if isinstance(question_id, str) and question_id in known:
            problem = f"question {question_id!r} is not in this workshop's scope"
            hint = "add its theme and role with ws.update_details(themes=..., roles=...)"
        else:
            problem = f"no question {question_id!r}"
            hint = "a stray space or lower case; ids look like LA-DCS-1"
        sample = list(scope)
        raise AssuredKitError(
            problem,
            field="question_id",
            allowed=f"the {len(sample)} questions in scope, e.g. {', '.join(sample[:3])}",
            hint=hint,
        )

    def _check_level(
        self, given: object, scale: Scale, field: str, problem: str, *, also: str, hint: str
    ) -> int:
        """Return ``given`` as a level of ``scale``, or refuse it listing every level."""
        level = _whole(given)
        if level is None or level not in self._allowed(scale):
            levels = ", ".join(
                f"{v} ({label})" for v, label in zip(scale.values, scale.labels, strict=True)
            )
            raise AssuredKitError(problem, field=field, allowed=levels + also, hint=hint)
        return level

    def _check_round(self, value: object) -> int:
        number = _whole(value)
        if number not in (1, 2):
            raise AssuredKitError(
                f"{value!r} is not a round",
                field="round",
                allowed="1 (first vote) or 2 (after discussion)",
            )
        return number

    def record(
        self,
        respondent_id: str,
        question_id: str,
        rating: int | None = None,
        *,
        dont_know: bool = False,
        evidence: int | None = None,
        note: str | None = None,
        round: int = 1,
        author: str = "facilitator",
        proxy: bool = False,
    ) -> int:
        """Save one answer; return its event id once it is durably on disk.

        A later answer for the same respondent, question and round replaces it in `ratings`
        (the earlier one stays in the history).

        Parameters
        ----------
        respondent_id : str
            From `add_respondent`.
        question_id : str
            A question in scope, e.g. ``"LA-DCS-1"``.
        rating : int, optional
            A value on the workshop's scale. Give exactly one of ``rating`` and ``dont_know``.
        dont_know : bool, optional
            True for "Don't know" (its own answer, never a low rating).
        evidence : int, optional
            A value on the evidence scale (0-3), or None.
        note : str, optional
            Up to 2000 characters.
        round : int, optional
            1 (first vote) or 2 (after discussion).
        author : str, optional
            Who entered it: the respondent's id for their own vote, or ``facilitator``.
        proxy : bool, optional
            True when the facilitator entered it for someone without a device.

        Returns
        -------
        int
            The event id.

        Raises
        ------
        AssuredKitError
            For any invalid value; nothing is written then.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "rec.workshop.sqlite"
        >>> with Workshop.create(path, title="Rec") as ws:
        ...     rid = ws.add_respondent("Ann")
        ...     _ = ws.record(rid, "WF-DCS-1", 2, note="first thoughts")
        ...     _ = ws.record(rid, "WF-DCS-1", 3, round=2)
        ...     ws.ratings()[["round", "rating", "note"]]
           round  rating            note
        0      1       2  first thoughts
        1      2       3             NaN
        """
        question_id = self._check_question(question_id)
        dont_know = _flag(dont_know, "dont_know")
        proxy = _flag(proxy, "proxy")
        value: int | None = None
        if dont_know:
            if rating is not None:
                raise AssuredKitError(
                    f"both a rating ({rating!r}) and dont_know=True were given",
                    field="rating",
                    allowed="a rating, or dont_know=True, not both",
                    hint="pass rating=None with dont_know=True",
                )
        else:
            if rating is None:
                raise AssuredKitError(
                    "no rating was given",
                    field="rating",
                    allowed=self.scale.describe_allowed().replace(", or Don't know", "")
                    + ", or dont_know=True",
                    hint="a click that did not carry its value",
                )
            scale = self.scale
            value = self._check_level(
                rating, scale, "rating", f"{rating!r} is not a level of the {scale.title} scale",
                also=", or dont_know=True",
                hint="a value from another scale, or text (use ws.scale.parse(text))",
            )
        level: int | None = None
        if evidence is not None:
            level = self._check_level(
                evidence, self.evidence_scale, "evidence", f"{evidence!r} is not an evidence level",
                also=", or None", hint="the confidence rating given as evidence",
            )
        number = self._check_round(round)
        text = _text(note, "note", limit=NOTE_LIMIT, required=False)
        author = _author(author)
        with self._write() as conn:
            self._require_respondent(conn, respondent_id)
            at = _now()
            detail = {
                "respondent_id": respondent_id,
                "question_id": question_id,
                "round": number,
                "rating": value,
                "dont_know": dont_know,
                "evidence": level,
                "note": text,
                "proxy": proxy,
            }
            event_id = self._append(
                conn, "answer.record", f"{respondent_id}/{question_id}/{number}", detail, author, at
            )
            conn.execute(
                "INSERT INTO answers (event_id, kind, respondent_id, question_id, round, rating, "
                "dont_know, evidence, note, proxy, author, at) "
                "VALUES (?, 'record', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event_id, respondent_id, question_id, number, value, int(dont_know), level, text,
                 int(proxy), author, at),
            )
        return event_id

    def _require_respondent(self, conn: sqlite3.Connection, respondent_id: object) -> None:
        if respondent_id in self._known:
            return
        found = conn.execute(
            "SELECT 1 FROM events WHERE kind = 'respondent.add' AND subject = ?",
            (respondent_id if isinstance(respondent_id, str) else "",),
        ).fetchone()
        if not found:
            raise self._no_respondent(respondent_id, self._respondent_state())
        self._known.add(str(respondent_id))

    def retract(
        self,
        respondent_id: str,
        question_id: str,
        *,
        round: int = 1,
        author: str = "facilitator",
    ) -> int:
        """Withdraw a respondent's current answer to a question in a round (an event too).

        Returns
        -------
        int
            The event id.

        Raises
        ------
        AssuredKitError
            If there is no current answer to withdraw.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "ret.workshop.sqlite"
        >>> with Workshop.create(path, title="Ret") as ws:
        ...     rid = ws.add_respondent("Ann")
        ...     _ = ws.record(rid, "LA-DCS-1", 5)
        ...     _ = ws.retract(rid, "LA-DCS-1")
        ...     len(ws.ratings())
        0
        """
        question_id = self._check_question(question_id)
        number = self._check_round(round)
        author = _author(author)
        with self._write() as conn:
            self._require_respondent(conn, respondent_id)
            latest = conn.execute(
                "SELECT kind FROM answers "
                "WHERE respondent_id = ? AND question_id = ? AND round = ? "
                "ORDER BY event_id DESC LIMIT 1",
                (respondent_id, question_id, number),
            ).fetchone()
            if latest is None or latest[0] != "record":
                raise AssuredKitError(
                    f"respondent {respondent_id} has no answer to {question_id} in round {number} "
                    "to withdraw",
                    field="question_id",
                    allowed="a question this respondent has answered in that round",
                    hint="already withdrawn, or the other round",
                )
            at = _now()
            detail = {"respondent_id": respondent_id, "question_id": question_id, "round": number}
            event_id = self._append(
                conn, "answer.retract", f"{respondent_id}/{question_id}/{number}", detail, author,
                at,
            )
            conn.execute(
                "INSERT INTO answers (event_id, kind, respondent_id, question_id, round, rating, "
                "dont_know, evidence, note, proxy, author, at) "
                "VALUES (?, 'retract', ?, ?, ?, NULL, 0, NULL, NULL, 0, ?, ?)",
                (event_id, respondent_id, question_id, number, author, at),
            )
        return event_id

    def ratings(self) -> pd.DataFrame:
        """Return the tidy answers table: one row per respondent x question x round.

        The latest answer wins; a withdrawn answer is left out. Columns are
        `assured_kit.ratings.TIDY_COLUMNS`, with the dtypes described there.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.workshop.sqlite"
        >>> with Workshop.create(path, title="T") as ws:
        ...     rid = ws.add_respondent("Ann", authority="Derby")
        ...     _ = ws.record(rid, "LA-DCS-1", 3)
        ...     _ = ws.record(rid, "LA-DCS-1", 4)
        ...     ws.ratings()[["respondent_label", "authority", "theme_id", "rating"]]
          respondent_label authority theme_id  rating
        0              Ann     Derby       LA       4
        """
        return frame_from_parts([self.tidy_part()])

    def tidy_part(self) -> Part:
        """Return this workshop's answer rows for the read model (`assured_kit.tidy`).

        `read_ratings` combines parts of many workshops into one table; most callers want
        `ratings` instead.
        """
        with self._lock:
            return read_part(self._db(), self.path)

    # ------------------------------------------------------------------ history

    def history(self) -> pd.DataFrame:
        """Return every event, oldest first: event_id, at (UTC), author, kind, subject, detail.

        ``detail`` holds each event's data as a dict.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "h.workshop.sqlite"
        >>> with Workshop.create(path, title="H") as ws:
        ...     _ = ws.add_respondent("Ann")
        ...     ws.history()["kind"].tolist()
        ['workshop.create', 'respondent.add']
        """
        rows = self._query(
            "SELECT event_id, at, author, kind, subject, detail FROM events ORDER BY event_id"
        )
        return pd.DataFrame(
            {
                "event_id": pd.array([r[0] for r in rows], dtype="Int64"),
                "at": _utc([r[1] for r in rows]),
                "author": pd.Series([r[2] for r in rows], dtype="str"),
                "kind": pd.Series([r[3] for r in rows], dtype="str"),
                "subject": pd.Series([r[4] for r in rows], dtype="str"),
                "detail": pd.Series([json.loads(r[5]) for r in rows], dtype=object),
            }
        )

    # ------------------------------------------------------------------ actions

    def _check_place(
        self, theme_id: object, question_id: object, *, theme_required: bool
    ) -> tuple[str | None, str | None]:
        """Check an optional theme and question pair; the theme follows from the question."""
        themes = self._details()["themes"]
        question = None if question_id is None else self._check_question(question_id)
        if question is not None:
            q_theme = self._scope()[question][0]
            if theme_id is not None and theme_id != q_theme:
                raise AssuredKitError(
                    f"question {question} belongs to theme {q_theme}, not {theme_id!r}",
                    field="theme_id",
                    allowed=f"{q_theme} (or leave theme_id out)",
                )
            return q_theme, question
        if theme_id is None:
            if theme_required:
                raise AssuredKitError(
                    "no theme was given", field="theme_id", allowed=", ".join(themes)
                )
            return None, None
        return _choice(theme_id, themes, "theme_id"), None

    def add_action(
        self,
        what: str,
        *,
        owner: str = "",
        due: dt.date | str | None = None,
        theme_id: str | None = None,
        question_id: str | None = None,
        status: str = "open",
        author: str = "facilitator",
    ) -> str:
        """Capture an action (what, owner, by when); return its id (``A0001``, ...).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.workshop.sqlite"
        >>> with Workshop.create(path, title="A") as ws:
        ...     aid = ws.add_action("Audit supervision records", owner="AD", question_id="WF-DCS-2")
        ...     ws.update_action(aid, status="done")
        ...     ws.actions()[["action_id", "theme_id", "status"]].iloc[0].tolist()
        ['A0001', 'WF', 'done']
        """
        detail = self._action_fields(what=what, owner=owner, due=due, status=status)
        theme, question = self._check_place(theme_id, question_id, theme_required=False)
        detail.update(theme_id=theme, question_id=question)
        return self._add("action.add", "A", detail, _author(author))

    def _action_fields(self, **given: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "what" in given:
            out["what"] = _text(given["what"], "what")
        if "owner" in given:
            out["owner"] = _text(given["owner"], "owner", limit=200, required=False) or ""
        if "due" in given:
            due = _date(given["due"], "due")
            out["due"] = None if due is None else due.isoformat()
        if "status" in given:
            out["status"] = _choice(given["status"], ACTION_STATUSES, "status")
        return out

    def update_action(
        self,
        action_id: str,
        *,
        what: str | None = None,
        owner: str | None = None,
        due: dt.date | str | _Unset | None = _UNSET,
        status: str | None = None,
        author: str = "facilitator",
    ) -> None:
        """Change an action's text, owner, due date or status (one event).

        ``due=None`` clears the date; leaving it out keeps it.
        """
        given: dict[str, Any] = {}
        if what is not None:
            given["what"] = what
        if owner is not None:
            given["owner"] = owner
        if due is not _UNSET:
            given["due"] = due
        if status is not None:
            given["status"] = status
        changes = self._action_fields(**given)
        author = _author(author)
        with self._write() as conn:
            state = fold_entities(self._events("action.add", "action.update"), "action.add")
            if action_id not in state:
                raise AssuredKitError(
                    f"no action {action_id!r} in this workshop",
                    field="action_id",
                    allowed=", ".join(sorted(state)) or "an id from add_action (none yet)",
                )
            diff = {k: v for k, v in changes.items() if state[action_id].get(k) != v}
            if diff:
                self._append(conn, "action.update", action_id, diff, author)

    def actions(self) -> pd.DataFrame:
        """Return the actions captured, one row each.

        Columns: action_id, theme_id, question_id, what, owner, due, status, created_at,
        updated_at.
        """
        state = fold_entities(self._events("action.add", "action.update"), "action.add")
        rows = list(state.values())
        return pd.DataFrame(
            {
                "action_id": pd.Series(list(state), dtype="str"),
                "theme_id": self._theme_column([r["theme_id"] for r in rows]),
                "question_id": pd.Series([r["question_id"] for r in rows], dtype="str"),
                "what": pd.Series([r["what"] for r in rows], dtype="str"),
                "owner": pd.Series([r["owner"] for r in rows], dtype="str"),
                "due": _dates([r["due"] for r in rows]),
                "status": pd.Categorical(
                    [r["status"] for r in rows], categories=ACTION_STATUSES, ordered=True
                ),
                "created_at": _utc([r["created_at"] for r in rows]),
                "updated_at": _utc([r["updated_at"] for r in rows]),
            }
        )

    def _theme_column(self, values: list[str | None]) -> pd.Categorical:
        return pd.Categorical(values, categories=_theme_order(self.framework), ordered=True)

    # ------------------------------------------------------------------ examples and notes

    def add_example(
        self,
        text: str,
        *,
        theme_id: str,
        question_id: str | None = None,
        role: str | None = None,
        authority: str | None = None,
        consent_to_share: bool = False,
        author: str = "facilitator",
    ) -> str:
        """Capture a new example of good practice offered in the room; return its id.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.workshop.sqlite"
        >>> with Workshop.create(path, title="X") as ws:
        ...     ws.add_example("Joint audits with health", theme_id="CR", consent_to_share=True)
        'X0001'
        """
        body = _text(text, "text", limit=NOTE_LIMIT)
        theme, question = self._check_place(theme_id, question_id, theme_required=True)
        detail = {
            "text": body,
            "theme_id": theme,
            "question_id": question,
            "role": self._check_role(role, optional=True),
            "authority": self._check_authority(authority),
            "consent_to_share": _flag(consent_to_share, "consent_to_share"),
        }
        return self._add("example.add", "X", detail, _author(author))

    def examples(self) -> pd.DataFrame:
        """Return the examples of good practice offered in the room.

        Columns: example_id, theme_id, question_id, text, role, authority, consent_to_share,
        created_at.
        """
        state = fold_entities(self._events("example.add"), "example.add")
        rows = list(state.values())
        return pd.DataFrame(
            {
                "example_id": pd.Series(list(state), dtype="str"),
                "theme_id": self._theme_column([r["theme_id"] for r in rows]),
                "question_id": pd.Series([r["question_id"] for r in rows], dtype="str"),
                "text": pd.Series([r["text"] for r in rows], dtype="str"),
                "role": pd.Categorical(
                    [r["role"] for r in rows], categories=RESPONDENT_ROLES, ordered=True
                ),
                "authority": pd.Series([r["authority"] for r in rows], dtype="str"),
                "consent_to_share": pd.Series(
                    [r["consent_to_share"] for r in rows], dtype=bool
                ),
                "created_at": _utc([r["created_at"] for r in rows]),
            }
        )

    def add_note(
        self,
        text: str,
        *,
        theme_id: str | None = None,
        question_id: str | None = None,
        author: str = "facilitator",
    ) -> str:
        """Add a facilitator's note, optionally about a theme or question; return its id.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "n.workshop.sqlite"
        >>> with Workshop.create(path, title="N") as ws:
        ...     _ = ws.add_note("Room split on this one", question_id="PR-LM-2")
        ...     ws.notes()[["note_id", "theme_id", "text"]].iloc[0].tolist()
        ['N0001', 'PR', 'Room split on this one']
        """
        body = _text(text, "text", limit=NOTE_LIMIT)
        theme, question = self._check_place(theme_id, question_id, theme_required=False)
        author = _author(author)
        detail = {"text": body, "theme_id": theme, "question_id": question}
        return self._add("note.add", "N", detail, author)

    def notes(self) -> pd.DataFrame:
        """Return the notes: note_id, theme_id, question_id, text, author, created_at."""
        rows = self._query(
            "SELECT subject, detail, author, at FROM events WHERE kind = 'note.add' "
            "ORDER BY event_id"
        )
        data = [json.loads(r[1]) for r in rows]
        return pd.DataFrame(
            {
                "note_id": pd.Series([r[0] for r in rows], dtype="str"),
                "theme_id": self._theme_column([d["theme_id"] for d in data]),
                "question_id": pd.Series([d["question_id"] for d in data], dtype="str"),
                "text": pd.Series([d["text"] for d in data], dtype="str"),
                "author": pd.Series([r[2] for r in rows], dtype="str"),
                "created_at": _utc([r[3] for r in rows]),
            }
        )

    # ------------------------------------------------------------------ session

    def session(self) -> dict[str, Any]:
        """Return the facilitator's state: question_id, round, revealed, closed.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.workshop.sqlite"
        >>> with Workshop.create(path, title="S") as ws:
        ...     ws.set_session(question_id="LA-DCS-1", revealed=True)
        ...     ws.session()
        {'question_id': 'LA-DCS-1', 'round': 1, 'revealed': True, 'closed': False}
        """
        state = dict(_SESSION_DEFAULT)
        for _, _, detail, _ in self._events("session.set"):
            state.update(json.loads(detail))
        return state

    def set_session(
        self,
        *,
        question_id: str | _Unset | None = _UNSET,
        round: int | _Unset = _UNSET,
        revealed: bool | _Unset = _UNSET,
        closed: bool | _Unset = _UNSET,
        author: str = "facilitator",
    ) -> None:
        """Change the facilitator's state; the changed values are one event.

        ``question_id=None`` means no question is open. Values equal to the current ones
        write nothing.
        """
        changes: dict[str, Any] = {}
        if question_id is not _UNSET:
            changes["question_id"] = (
                None if question_id is None else self._check_question(question_id)
            )
        if round is not _UNSET:
            changes["round"] = self._check_round(round)
        if revealed is not _UNSET:
            changes["revealed"] = _flag(revealed, "revealed")
        if closed is not _UNSET:
            changes["closed"] = _flag(closed, "closed")
        author = _author(author)
        with self._write() as conn:
            current = self.session()
            diff = {k: v for k, v in changes.items() if current[k] != v}
            if diff:
                self._append(conn, "session.set", self.workshop_id, diff, author)

    # ------------------------------------------------------------------ other records

    def log_event(
        self,
        kind: str,
        detail: Mapping[str, Any] | None = None,
        *,
        subject: str | None = None,
        author: str = "facilitator",
    ) -> int:
        """Append an event of another part of the kit (e.g. live voting) to the log.

        The store derives nothing from these; they are kept, listed by `history` and found
        again with `latest_event`.

        Parameters
        ----------
        kind : str
            Dotted lower-case name such as ``live.code``; the store's own kinds (workshop.,
            respondent., answer., action., example., note., session.) are refused.
        detail : mapping, optional
            JSON-serialisable data.
        subject : str, optional
            What the event is about (the workshop id by default).
        author : str, optional
            Who caused it.

        Returns
        -------
        int
            The event id.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.workshop.sqlite"
        >>> with Workshop.create(path, title="E") as ws:
        ...     _ = ws.log_event("live.device", {"token": "t1"}, subject="R0001")
        ...     ws.latest_event("live.device", where=("token", "t1"))["subject"]
        'R0001'
        """
        if not isinstance(kind, str) or not _CUSTOM_KIND.fullmatch(kind):
            raise AssuredKitError(
                f"{kind!r} is not an event kind",
                field="kind",
                allowed="dotted lower-case words such as 'live.code'",
            )
        if kind.split(".", 1)[0] in _OWN_KINDS:
            raise AssuredKitError(
                f"{kind!r} is one of the store's own kinds",
                field="kind",
                allowed="a kind under another prefix, e.g. 'live.'",
                hint="use the Workshop method that makes this change",
            )
        try:
            data = json.loads(json.dumps(dict(detail or {}), ensure_ascii=False))
        except (TypeError, ValueError) as exc:
            raise AssuredKitError(
                f"the detail cannot be stored as JSON ({exc})",
                field="detail",
                allowed="a dict of text, numbers, True/False, None, lists and dicts",
            ) from exc
        text = _text(subject, "subject", limit=200, required=False) or self.workshop_id
        author = _author(author)
        with self._write() as conn:
            return self._append(conn, kind, text, data, author)

    def latest_event(
        self,
        kind: str,
        *,
        subject: str | None = None,
        where: tuple[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Return the latest event of a kind, or None.

        Parameters
        ----------
        kind : str
            The event kind, e.g. ``live.code``.
        subject : str, optional
            Only events about this subject.
        where : (str, value), optional
            Only events whose detail has this top-level key with this value.

        Returns
        -------
        dict or None
            event_id, at (UTC `datetime`), author, kind, subject and detail (a dict).
        """
        sql = "SELECT event_id, at, author, kind, subject, detail FROM events WHERE kind = ?"
        params: list[Any] = [kind]
        if subject is not None:
            sql += " AND subject = ?"
            params.append(subject)
        if where is not None:
            sql += " AND json_extract(detail, ?) = ?"
            params += [f'$."{where[0]}"', where[1]]
        rows = self._query(sql + " ORDER BY event_id DESC LIMIT 1", params)
        if not rows:
            return None
        event_id, at, author, kind, subject, detail = rows[0]
        return {
            "event_id": event_id,
            "at": dt.datetime.fromisoformat(at),
            "author": author,
            "kind": kind,
            "subject": subject,
            "detail": json.loads(detail),
        }

    # ------------------------------------------------------------------ in and out

    def export(self, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        """Write the tidy answers (``.csv``) or the full workbook (``.xlsx``).

        See `assured_kit.exports.export_workshop`.
        """
        from .exports import export_workshop

        return export_workshop(self, path, **kwargs)

    def import_rating_sheet(self, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        """Record a filled offline rating sheet, all or nothing.

        See `assured_kit.sheets.import_rating_sheet`.
        """
        from .sheets import import_rating_sheet

        return import_rating_sheet(self, path, **kwargs)

    def import_form_export(self, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        """Record a wide online-form export (one row per person), all or nothing.

        See `assured_kit.forms.import_form_export`.
        """
        from .forms import import_form_export

        return import_form_export(self, path, **kwargs)


# --------------------------------------------------------------------------- details checks

def _check_details(given: dict[str, Any], fw: Framework) -> dict[str, Any]:
    """Validate workshop details and return them as stored (JSON-ready), with the scope."""
    title = _text(given["title"], "title", limit=200)
    held_on = _date(given["held_on"], "held_on")
    venue = _text(given["venue"], "venue", limit=200, required=False) or ""
    facilitator = _text(given["facilitator"], "facilitator", limit=200, required=False) or ""
    scale = given["scale"]
    if not isinstance(scale, str) or scale not in fw.scales or scale == "evidence":
        raise AssuredKitError(
            f"{scale!r} is not a rating scale of this framework",
            field="scale",
            allowed=", ".join(s for s in sorted(fw.scales) if s != "evidence"),
            hint="the evidence scale is asked alongside the rating, not instead of it",
        )
    order = _theme_order(fw)
    themes = _subset(given["themes"], order, "themes")
    roles = _subset(given["roles"], ["DCS", "LM"], "roles")
    min_group = check_min_group(given["min_group"])
    anonymity = _choice(given["anonymity"], ANONYMITY_MODES, "anonymity")
    raw_authorities = given["authorities"]
    if raw_authorities is None:
        authorities = list(fw.authorities)
    else:
        if isinstance(raw_authorities, str):
            raise AssuredKitError(
                "authorities must be a list of names, not one text",
                field="authorities",
                allowed="a list such as ['Derby', 'Rutland']",
                hint="a single name passed without brackets",
            )
        authorities = []
        for item in raw_authorities:
            name = _text(item, "authorities", limit=200)
            if name.casefold() in {a.casefold() for a in authorities}:
                raise AssuredKitError(
                    f"{name!r} appears twice", field="authorities", allowed="each authority once"
                )
            authorities.append(name)
    synthetic = _flag(given["synthetic"], "synthetic")
    questions = [
        [str(q), str(t), str(r)]
        for q, t, r in zip(fw.questions["question_id"], fw.questions["theme_id"],
                           fw.questions["role"], strict=True)
        if t in themes and r in roles
    ]
    return {
        "title": title,
        "held_on": None if held_on is None else held_on.isoformat(),
        "venue": venue,
        "facilitator": facilitator,
        "scale": scale,
        "themes": themes,
        "roles": roles,
        "min_group": min_group,
        "anonymity": anonymity,
        "authorities": authorities,
        "synthetic": synthetic,
        "questions": questions,
        "theme_order": order,
    }


def _subset(values: Iterable[str] | None, allowed: list[str], field: str) -> list[str]:
    """Return a non-empty subset of ``allowed`` in ``allowed``'s order (all when None)."""
    if values is None:
        return list(allowed)
    if isinstance(values, str):
        values = [values]
    chosen = list(values)
    for value in chosen:
        _choice(value, allowed, field)
    if not chosen:
        raise AssuredKitError(
            "none were chosen", field=field, allowed="one or more of " + ", ".join(allowed)
        )
    return [a for a in allowed if a in chosen]
