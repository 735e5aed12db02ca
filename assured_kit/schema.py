"""The SQL layout of a workshop file, its version, and the steps that upgrade older files.

A workshop file is an SQLite database marked with the kit's `APPLICATION_ID` and a
``user_version`` equal to the schema version it was written with. Nothing in it is ever
updated or deleted: ``events`` holds every change in order, and ``answers`` holds one typed
row per ``record`` or ``retract`` event so that the current answers come from one indexed
query.

Tables (schema version 2):

===========  ==================================================================================
``meta``      key, value: facts fixed when the file is created (workshop_id, created_at, ...)
``events``    event_id, at (UTC ISO-8601), author, kind, subject, detail (JSON object)
``answers``   event_id, kind (record|retract), respondent_id, question_id, round, rating,
              dont_know, evidence, note, proxy, author, at
===========  ==================================================================================

`MIGRATIONS` maps each version to the step that brings a file from the version before it up to
that version; `migrate` runs the steps a file needs, inside the caller's transaction. A new
file is built by running every step from version 0, so the upgrade path is exercised by every
file the kit creates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "RESPONDENT_EVENTS",
    "SCHEMA_VERSION",
    "fold_details",
    "fold_entities",
    "fold_respondents",
    "migrate",
]

#: Marks a SQLite file as an Assured Safeguarding workshop (the bytes "ASKW").
APPLICATION_ID = 0x41534B57
#: The schema version this kit writes; files with a lower version are upgraded on open.
SCHEMA_VERSION = 2

#: The event kinds that make up a respondent's current state, in the order they are folded.
#: ``respondent.update`` carries ``{"withdrawn": true|false}`` when a respondent is withdrawn
#: or brought back; ``console.withdrawn`` is how the facilitator console wrote the same
#: change before the store knew it, and is still read from older files.
RESPONDENT_EVENTS = ("respondent.add", "respondent.update", "console.withdrawn")


def _to_v1(conn: sqlite3.Connection) -> None:
    """Create the first layout: meta, the event log and the typed answers log."""
    conn.execute(
        """CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute(
        """CREATE TABLE events (
            event_id INTEGER PRIMARY KEY,
            at       TEXT NOT NULL,
            author   TEXT NOT NULL,
            kind     TEXT NOT NULL,
            subject  TEXT NOT NULL DEFAULT '',
            detail   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
        )"""
    )
    conn.execute("CREATE INDEX events_by_kind ON events (kind, subject, event_id)")
    conn.execute(
        """CREATE TABLE answers (
            event_id      INTEGER PRIMARY KEY REFERENCES events (event_id),
            kind          TEXT NOT NULL CHECK (kind IN ('record', 'retract')),
            respondent_id TEXT NOT NULL,
            question_id   TEXT NOT NULL,
            round         INTEGER NOT NULL CHECK (round IN (1, 2)),
            rating        INTEGER,
            dont_know     INTEGER NOT NULL DEFAULT 0 CHECK (dont_know IN (0, 1)),
            evidence      INTEGER,
            note          TEXT,
            author        TEXT NOT NULL,
            at            TEXT NOT NULL
        )"""
    )
    # Append-only: the database itself refuses to change or remove history.
    for table in ("events", "answers"):
        conn.execute(
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"""
        )
        conn.execute(
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"""
        )


def _to_v2(conn: sqlite3.Connection) -> None:
    """Add proxy votes (entered by the facilitator for someone) and the latest-answer index."""
    conn.execute(
        "ALTER TABLE answers ADD COLUMN proxy INTEGER NOT NULL DEFAULT 0 CHECK (proxy IN (0, 1))"
    )
    conn.execute(
        "CREATE INDEX answers_latest ON answers (respondent_id, question_id, round, event_id)"
    )


#: version -> the step that upgrades a file from ``version - 1`` to ``version``.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _to_v1, 2: _to_v2}


def migrate(conn: sqlite3.Connection, current: int, target: int = SCHEMA_VERSION) -> int:
    """Upgrade an open database from version ``current`` to ``target`` and stamp the version.

    Runs inside the caller's transaction, so an upgrade is all or nothing.

    Parameters
    ----------
    conn : sqlite3.Connection
        A connection with a write transaction open.
    current : int
        The file's ``user_version`` (0 for an empty database).
    target : int, optional
        The version to reach; the kit's `SCHEMA_VERSION` by default.

    Returns
    -------
    int
        The version reached.

    Examples
    --------
    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> migrate(conn, 0)
    2
    >>> conn.execute("PRAGMA user_version").fetchone()[0]
    2
    """
    for version in range(current + 1, target + 1):
        MIGRATIONS[version](conn)
    if target != current:
        conn.execute(f"PRAGMA user_version = {int(target)}")
    return target


# --------------------------------------------------------------------------- folding events


def fold_details(rows: Iterable[tuple[str, str, str]]) -> dict[str, Any]:
    """Fold workshop create/update events (kind, detail JSON, at) into the current details."""
    state: dict[str, Any] = {}
    for kind, detail, at in rows:
        data = json.loads(detail)
        if kind == "workshop.create":
            state = dict(data)
            state["created_at"] = at
        else:
            state.update(data)
    return state


def fold_entities(
    rows: Iterable[tuple[str, str, str, str]], added: str
) -> dict[str, dict[str, Any]]:
    """Fold add/update events (kind, subject, detail JSON, at) into current state per id."""
    out: dict[str, dict[str, Any]] = {}
    for kind, subject, detail, at in rows:
        data = json.loads(detail)
        if kind == added:
            out[subject] = {**data, "created_at": at, "updated_at": at}
        elif subject in out:
            out[subject].update(data)
            out[subject]["updated_at"] = at
    return out


def fold_respondents(rows: Iterable[tuple[str, str, str, str]]) -> dict[str, dict[str, Any]]:
    """Fold the `RESPONDENT_EVENTS` (kind, subject, detail JSON, at) into each respondent's state.

    Every respondent has a ``withdrawn`` flag (False until a withdrawal event says otherwise);
    a withdrawn respondent's answers stay in the file but no longer count.

    Examples
    --------
    >>> rows = [
    ...     ("respondent.add", "R0001", '{"label": "Ann"}', "t0"),
    ...     ("respondent.update", "R0001", '{"withdrawn": true}', "t1"),
    ...     ("console.withdrawn", "R0001", '{"withdrawn": false}', "t2"),
    ... ]
    >>> state = fold_respondents(rows)["R0001"]
    >>> state["label"], state["withdrawn"], state["updated_at"]
    ('Ann', False, 't2')
    """
    legacy = RESPONDENT_EVENTS[2]
    out = fold_entities(
        (
            ("respondent.update", subject, json.dumps({"withdrawn": bool(
                json.loads(detail).get("withdrawn"))}), at) if kind == legacy
            else (kind, subject, detail, at)
            for kind, subject, detail, at in rows
        ),
        "respondent.add",
    )
    for state in out.values():
        state["withdrawn"] = bool(state.get("withdrawn", False))
    return out
