"""The read model: the tidy ratings table built from a workshop file's event log.

`Workshop.ratings()` and `assured_kit.read_ratings` both build their table here, so a
workshop reads the same whether it is open or read from its file.

One row per respondent x question x round (the latest answer wins; a withdrawn answer is left
out, and so is every answer of a withdrawn respondent), in the columns of `TIDY_COLUMNS`:

====================  =========================================================================
``workshop_id``        str: the workshop's identity (respondent ids are unique only within it)
``workshop_title``     str
``held_on``            datetime64 (the date at midnight, no time zone; NaT when not set)
``synthetic``          bool: made-up demo data
``scale``              str: the rating scale's id, e.g. ``confidence``
``authority``          str (missing when not given)
``respondent_id``      str, e.g. ``R0001``: group by (workshop_id, respondent_id)
``respondent_label``   str
``role``               ordered Categorical: DCS, LM, Officer, Mixed
``respondent_kind``    str: ``person`` or ``table``
``question_id``        str, e.g. ``LA-DCS-1``
``question_role``      ordered Categorical: DCS, LM
``theme_id``           ordered Categorical in framework order: LA, CR, WF, PR, IN, PM
``round``              Int64: 1 (first vote) or 2 (after discussion)
``rating``             Int64, <NA> for "Don't know"
``dont_know``          bool
``evidence``           Int64 (0-3), <NA> when not given
``note``               str (missing when not given)
``proxy``              bool: entered by the facilitator for someone else
``author``             str: who entered the answer
``recorded_at``        datetime64[UTC]
====================  =========================================================================
"""


from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import AssuredKitError
from .schema import RESPONDENT_EVENTS, fold_details, fold_respondents
from .text import RESPONDENT_ROLES

__all__ = [
    "QUESTION_ROLES",
    "THEME_ORDER",
    "TIDY_COLUMNS",
    "Part",
    "empty_frame",
    "frame_from_parts",
    "read_part",
    "theme_categories",
]

#: The tidy table's columns, in order.
TIDY_COLUMNS = [
    "workshop_id",
    "workshop_title",
    "held_on",
    "synthetic",
    "scale",
    "authority",
    "respondent_id",
    "respondent_label",
    "role",
    "respondent_kind",
    "question_id",
    "question_role",
    "theme_id",
    "round",
    "rating",
    "dont_know",
    "evidence",
    "note",
    "proxy",
    "author",
    "recorded_at",
]

#: The 2010 edition's themes in framework order; themes of adapted frameworks follow them.
THEME_ORDER = ["LA", "CR", "WF", "PR", "IN", "PM"]
#: The roles questions are addressed to.
QUESTION_ROLES = ["DCS", "LM"]

# The small integers of an answer travel packed into one SQLite integer, so that each row
# brings fewer Python objects: bits 0-1 round, bit 2 dont_know, bit 3 proxy, bits 4-35
# evidence and bits 36-62 rating, each of the last two stored as value + 2**20 (0 = none).
_OFFSET = 2**20
_EVIDENCE_SHIFT = 4
_RATING_SHIFT = 36

# Latest answer per respondent x question x round: a row counts unless a later row (record or
# retract) exists for the same three; the answers_latest index makes that one seek per row.
_LATEST = f"""
SELECT respondent_id, question_id,
       round + 4 * dont_know + 8 * proxy
       + (coalesce(evidence, -{_OFFSET}) + {_OFFSET}) * {2**_EVIDENCE_SHIFT}
       + (coalesce(rating, -{_OFFSET}) + {_OFFSET}) * {2**_RATING_SHIFT},
       note, author, substr(at, 1, 26)
FROM answers AS a
WHERE kind = 'record' AND NOT EXISTS (
    SELECT 1 FROM answers AS b
    WHERE b.respondent_id = a.respondent_id AND b.question_id = a.question_id
      AND b.round = a.round AND b.event_id > a.event_id)
ORDER BY event_id
"""


@dataclass
class Part:
    """The answer rows of one workshop file, plus what they refer to."""

    path: Path
    workshop_id: str
    title: str
    held_on: str | None
    synthetic: bool
    scale: str
    theme_order: list[str]
    scope: dict[str, tuple[str, str]]
    respondents: dict[str, tuple[Any, ...]]
    events: int
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def read_part(conn: sqlite3.Connection, path: Path) -> Part:
    """Read one open workshop database into a `Part` (one query per table).

    The caller holds the connection inside one read transaction, so the queries see one
    consistent snapshot.
    """
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    kinds = ("workshop.create", "workshop.update", *RESPONDENT_EVENTS)
    marks = ", ".join("?" * len(kinds))
    events = conn.execute(
        f"SELECT kind, subject, detail, at FROM events WHERE kind IN ({marks}) ORDER BY event_id",
        kinds,
    ).fetchall()
    details = fold_details((k, d, a) for k, _, d, a in events if k.startswith("workshop."))
    people = fold_respondents(e for e in events if e[0] in RESPONDENT_EVENTS)
    withdrawn = {rid for rid, p in people.items() if p["withdrawn"]}
    rows = conn.execute(_LATEST).fetchall()
    if withdrawn:  # their answers stay in the file but no longer count
        rows = [row for row in rows if row[0] not in withdrawn]
    last = conn.execute("SELECT max(event_id) FROM events").fetchone()[0] or 0
    return Part(
        path=path,
        workshop_id=meta["workshop_id"],
        title=details["title"],
        held_on=details["held_on"],
        synthetic=bool(details["synthetic"]),
        scale=details["scale"],
        theme_order=list(details.get("theme_order") or THEME_ORDER),
        scope=_every_question(events),
        respondents={
            rid: (p["label"], p["role"], p["authority"], p["kind"]) for rid, p in people.items()
        },
        events=int(last),
        rows=rows,
    )


def _every_question(events: Iterable[tuple[str, str, str, str]]) -> dict[str, tuple[str, str]]:
    """Return every question the workshop ever had in scope, with its theme and role.

    Answers given before the scope was narrowed keep their theme and role.
    """
    scope: dict[str, tuple[str, str]] = {}
    for kind, _, detail, _ in events:
        if kind.startswith("workshop."):
            for question, theme, role in json.loads(detail).get("questions", ()):
                scope.setdefault(question, (theme, role))
    return scope



def theme_categories(orders: Iterable[list[str]]) -> list[str]:
    """Return the theme categories: the 2010 edition's order, then other themes as met."""
    out = list(THEME_ORDER)
    for order in orders:
        out.extend(t for t in order if t not in out)
    return out


def _unpack(packed: np.ndarray, shift: int, bits: int) -> pd.arrays.IntegerArray:
    """Return one nullable integer field of the packed answer values (see `_LATEST`)."""
    stored = (packed >> shift) & ((1 << bits) - 1)
    missing = stored == 0
    return pd.arrays.IntegerArray(np.where(missing, 0, stored - _OFFSET), missing)


def _strings(values: list[Any], index: np.ndarray) -> pd.Series:
    """Return a str column built from a few distinct values and each row's position.

    Taking from a small string array skips checking every one of a million cells.
    """
    return pd.Series(pd.array(values, dtype="str").take(index))


def frame_from_parts(parts: Sequence[Part], themes: list[str] | None = None) -> pd.DataFrame:
    """Build the tidy table from file parts.

    All rows go into one 2-D object array (one conversion), each column is typed once, and
    the per-workshop and per-respondent columns are taken from small arrays by position.
    """
    themes = themes or theme_categories(p.theme_order for p in parts)
    theme_code = {t: i for i, t in enumerate(themes)}
    role_code = {r: i for i, r in enumerate(RESPONDENT_ROLES)}
    qrole_code = {r: i for i, r in enumerate(QUESTION_ROLES)}
    counts = np.array([len(p.rows) for p in parts], dtype=np.int64)
    total = int(counts.sum())

    rows: list[tuple[Any, ...]] = []
    for part in parts:
        rows.extend(part.rows)
    table = np.array(rows, dtype=object).reshape(total, 6)
    del rows
    resp_index = np.empty(total, dtype=np.int64)
    quest_index = np.empty(total, dtype=np.int64)
    rids: list[str] = []
    people: list[tuple[Any, ...]] = []
    qids: list[str] = []
    q_theme: list[int] = []
    q_role: list[int] = []
    start = 0
    for part in parts:
        # Respondents and questions become positions into small lists spanning all files.
        stop = start + len(part.rows)
        local = pd.Index(list(part.respondents)).get_indexer(table[start:stop, 0])
        if (local < 0).any():
            unknown = table[start + int(np.flatnonzero(local < 0)[0]), 0]
            raise AssuredKitError(
                f"an answer refers to respondent {unknown!r}, whom the file does not list",
                file=part.path,
                allowed="answers by the workshop's respondents",
                hint="a file edited by hand or with another tool",
            )
        resp_index[start:stop] = local + len(rids)
        rids.extend(part.respondents)
        people.extend(part.respondents.values())
        local = pd.Index(list(part.scope)).get_indexer(table[start:stop, 1])
        if (local < 0).any():  # only in a file edited by hand: keep the id, theme unknown
            extra = list(dict.fromkeys(table[start:stop, 1][local < 0]))
            part.scope.update(dict.fromkeys(extra, ("", "")))
            local = pd.Index(list(part.scope)).get_indexer(table[start:stop, 1])
        quest_index[start:stop] = local + len(qids)
        qids.extend(part.scope)
        for theme, role in part.scope.values():
            q_theme.append(theme_code.get(theme, -1))
            q_role.append(qrole_code.get(role, -1))
        start = stop

    packed = table[:, 2].astype(np.int64)
    labels, roles, authorities, kinds = (list(c) for c in zip(*people, strict=True)) if people \
        else ([], [], [], [])
    workshop_index = np.repeat(np.arange(len(parts)), counts)
    held = np.array(
        [np.datetime64(p.held_on, "us") if p.held_on else np.datetime64("NaT", "us")
         for p in parts],
        dtype="datetime64[us]",
    )
    return pd.DataFrame(
        {
            "workshop_id": _strings([p.workshop_id for p in parts], workshop_index),
            "workshop_title": _strings([p.title for p in parts], workshop_index),
            "held_on": pd.Series(held[workshop_index], dtype="datetime64[us]"),
            "synthetic": np.array([p.synthetic for p in parts], dtype=bool)[workshop_index],
            "scale": _strings([p.scale for p in parts], workshop_index),
            "authority": _strings(authorities, resp_index),
            "respondent_id": _strings(rids, resp_index),
            "respondent_label": _strings(labels, resp_index),
            "role": pd.Categorical.from_codes(
                np.array([role_code.get(r, -1) for r in roles], dtype=np.int64)[resp_index],
                categories=list(RESPONDENT_ROLES), ordered=True,
            ),
            "respondent_kind": _strings(kinds, resp_index),
            "question_id": _strings(qids, quest_index),
            "question_role": pd.Categorical.from_codes(
                np.array(q_role, dtype=np.int64)[quest_index], categories=QUESTION_ROLES,
                ordered=True,
            ),
            "theme_id": pd.Categorical.from_codes(
                np.array(q_theme, dtype=np.int64)[quest_index], categories=themes, ordered=True
            ),
            "round": pd.array(packed & 3, dtype="Int64"),
            "rating": _unpack(packed, _RATING_SHIFT, 63 - _RATING_SHIFT),
            "dont_know": (packed & 4).astype(bool),
            "evidence": _unpack(packed, _EVIDENCE_SHIFT, _RATING_SHIFT - _EVIDENCE_SHIFT),
            "note": pd.Series(table[:, 3], dtype="str"),
            "proxy": (packed & 8).astype(bool),
            "author": pd.Series(table[:, 4], dtype="str"),
            "recorded_at": pd.Series(table[:, 5].astype("datetime64[us]")).dt.tz_localize("UTC"),
        },
        copy=False,  # every column is freshly built: no need for pandas to copy it
    )


def empty_frame() -> pd.DataFrame:
    """Return the tidy table with no rows (every column typed)."""
    return frame_from_parts([])
