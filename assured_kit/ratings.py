"""The tidy ratings table, read from workshop files and from the kit's CSV and XLSX exports.

One row per respondent x question x round (the latest answer wins; a withdrawn answer is left
out), in the columns of `TIDY_COLUMNS`:

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
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import AssuredKitError
from .safety import restore_cell
from .schema import SCHEMA_VERSION, migrate
from .store import (
    RESPONDENT_KINDS,
    RESPONDENT_ROLES,
    SUFFIX,
    Workshop,
    _check_identity,
    _fold_details,
    _fold_entities,
    _header,
    _sqlite_error,
    _writable,
)
from .tabular import Limits, cell_text, iter_grids

__all__ = ["QUESTION_ROLES", "REQUIRED_COLUMNS", "THEME_ORDER", "TIDY_COLUMNS", "read_ratings"]

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
#: Columns a CSV or XLSX export must have; the others get defaults when missing.
REQUIRED_COLUMNS = [
    "workshop_id",
    "workshop_title",
    "held_on",
    "authority",
    "respondent_id",
    "respondent_label",
    "role",
    "question_id",
    "theme_id",
    "round",
    "rating",
    "dont_know",
    "evidence",
    "note",
    "recorded_at",
]
#: The 2010 edition's themes in framework order; themes of adapted frameworks follow them.
THEME_ORDER = ["LA", "CR", "WF", "PR", "IN", "PM"]
#: The roles questions are addressed to.
QUESTION_ROLES = ["DCS", "LM"]

_READ_TIMEOUT = 30.0
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
class _Part:
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


def _read_connection(conn: sqlite3.Connection, path: Path) -> _Part:
    """Read one open workshop database into a `_Part` (one query per table)."""
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    events = conn.execute(
        "SELECT kind, subject, detail, at FROM events WHERE kind IN "
        "('workshop.create', 'workshop.update', 'respondent.add', 'respondent.update') "
        "ORDER BY event_id"
    ).fetchall()
    details = _fold_details((k, d, a) for k, _, d, a in events if k.startswith("workshop."))
    people = _fold_entities(
        [e for e in events if e[0].startswith("respondent.")], "respondent.add"
    )
    last = conn.execute("SELECT max(event_id) FROM events").fetchone()[0] or 0
    return _Part(
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
        rows=conn.execute(_LATEST).fetchall(),
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


def _read_file(path: Path) -> _Part:
    """Read a workshop file without writing to it (an older file is upgraded in memory)."""
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
            f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=_READ_TIMEOUT,
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
            return _read_connection(conn, path)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise _sqlite_error(path, exc, _READ_TIMEOUT) from exc
    finally:
        if conn is not None:
            conn.close()


def _str(values: Any) -> pd.Series:
    return pd.Series(values, dtype="str")


def _theme_categories(orders: Iterable[list[str]]) -> list[str]:
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


def _frame_from_parts(parts: Sequence[_Part], themes: list[str] | None = None) -> pd.DataFrame:
    """Build the tidy table from file parts.

    All rows go into one 2-D object array (one conversion), each column is typed once, and
    the per-workshop and per-respondent columns are taken from small arrays by position.
    """
    themes = themes or _theme_categories(p.theme_order for p in parts)
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


# --------------------------------------------------------------------------- exports


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _problem(path: Path, row: int, column: str, value: str, allowed: str, hint: str | None = None
             ) -> AssuredKitError:
    return AssuredKitError(
        f"{value!r} cannot be read", file=path, row=row, field=column, allowed=allowed, hint=hint
    )


#: How large an answers export may be: an XLSX sheet's own limit of rows (a region's many
#: workshops stay far below), 200 columns, files up to 256 MB and workbooks up to 1 GiB unpacked.
EXPORT_LIMITS = Limits("an answers export", max_rows=1_048_576, max_columns=200,
                       max_bytes=256 * 2**20, max_unpacked=2**30)


def _read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or the XLSX sheet "Answers" as text cells, exactly as typed (no "NA" guessing)."""
    workbook = path.suffix.lower() in {".xlsx", ".xlsm"}
    grids = iter_grids(path, is_header=any, limits=EXPORT_LIMITS, first_row_only=True,
                       sheets=("Answers",) if workbook else None, lenient=True)
    grid = next(grids, None)
    grids.close()
    if grid is None:
        raise AssuredKitError(
            "the sheet 'Answers' is empty" if workbook
            else "the file cannot be read as CSV: it has no header row",
            file=path.name,
            allowed="a tidy answers export from the kit (a header row, then one row per answer)",
            hint="an empty file, or the header row was deleted",
        )
    seen: set[str] = set()
    for name in grid.header:
        if name and name in seen:
            raise AssuredKitError(
                f"the column {name!r} appears twice",
                file=grid.where,
                row=grid.header_row,
                allowed="a tidy answers export with each column once",
                hint="a copied column; delete one of them",
            )
        seen.add(name)
    rows = [[v if type(v) is str else cell_text(v) for v in row] for _, row in grid.rows]
    # Spreadsheet programs leave trailing blank rows behind.
    while rows and not any(rows[-1]):
        rows.pop()
    return pd.DataFrame(rows, columns=grid.header, dtype=str)


def _parse_bool(series: pd.Series, path: Path, column: str) -> np.ndarray:
    folded = series.str.strip().str.casefold()
    bad = ~folded.isin(_TRUE | _FALSE)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _problem(path, i + 2, column, series.iloc[i], "TRUE or FALSE (also 1/0, yes/no)")
    return folded.isin(_TRUE).to_numpy()


def _parse_int(series: pd.Series, path: Path, column: str, allowed: str,
               *, required: bool, valid: Iterable[int] | None = None) -> pd.arrays.IntegerArray:
    text = series.str.strip()
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    wrong = (text != "") & (number.isna() | (number % 1 != 0))
    if valid is not None:
        wrong |= number.notna() & ~number.isin(list(valid))
    if required:
        wrong |= text == ""
    if wrong.any():
        i = int(np.flatnonzero(wrong.to_numpy())[0])
        hint = "a label typed where the number belongs" if text.iloc[i] else "an empty cell"
        raise _problem(path, i + 2, column, series.iloc[i], allowed, hint)
    return pd.array(number, dtype="Int64")


def _parse_text(series: pd.Series, *, blank_is_missing: bool) -> pd.Series:
    restored = series.map(restore_cell)
    out = pd.Series(restored, dtype="str")
    if blank_is_missing:
        out = out.where(out.str.strip() != "")
    return out


def _parse_choice(series: pd.Series, path: Path, column: str, allowed: Sequence[str],
                  *, categorical: bool) -> Any:
    text = series.str.strip()
    bad = ~text.isin(list(allowed))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _problem(path, i + 2, column, series.iloc[i], ", ".join(allowed),
                       "a stray space or different capitals")
    if categorical:
        return pd.Categorical(text, categories=list(allowed), ordered=True)
    return pd.Series(text, dtype="str")


def _parse_export(path: Path) -> pd.DataFrame:
    """Read a tidy CSV or XLSX export into the tidy table's columns and dtypes."""
    table = _read_table(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        near = {
            c.casefold().replace(" ", "_"): c for c in table.columns
        }
        slip = [near[m] for m in missing if m in near]
        raise AssuredKitError(
            f"the column {missing[0]!r} is missing"
            + (f" (and {', '.join(missing[1:])})" if len(missing) > 1 else ""),
            file=path,
            row=1,
            field=missing[0],
            allowed="a tidy answers export with columns " + ", ".join(TIDY_COLUMNS),
            hint=f"the header {slip[0]!r} has different capitals or spaces" if slip
            else "a renamed or deleted column, or a file that is not an answers export",
        )
    n = len(table)
    blanks = pd.Series([""] * n, dtype=object, index=table.index)

    def col(name: str) -> pd.Series:
        return table[name].astype(str) if name in table.columns else blanks

    for name in ("workshop_id", "respondent_id", "question_id"):
        empty = col(name).str.strip() == ""
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise AssuredKitError("the cell is empty", file=path, row=i + 2, field=name,
                                  allowed="the id the kit wrote", hint="a row typed in by hand")
    question_ids = col("question_id").str.strip()
    if "question_role" in table.columns:
        question_role = _parse_choice(col("question_role"), path, "question_role",
                                      QUESTION_ROLES, categorical=True)
    else:
        question_role = pd.Categorical(
            question_ids.str.split("-").str[1], categories=QUESTION_ROLES, ordered=True
        )
    dont_know = _parse_bool(col("dont_know"), path, "dont_know")
    rating = _parse_int(col("rating"), path, "rating", "a whole number on the scale, or blank "
                        "for Don't know", required=False)
    clash = dont_know & ~pd.isna(rating)
    unanswered = ~dont_know & pd.isna(rating)
    for mask, problem in ((clash, "both a rating and Don't know"),
                          (unanswered, "neither a rating nor Don't know")):
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise AssuredKitError(problem, file=path, row=i + 2, field="rating",
                                  allowed="a rating with dont_know FALSE, or a blank rating "
                                  "with dont_know TRUE")
    held = col("held_on").str.strip()
    try:
        held_on = pd.to_datetime(held.where(held != ""), format="ISO8601").dt.normalize()
    except (ValueError, TypeError):
        bad = [i for i, v in enumerate(held) if v and pd.to_datetime(v, errors="coerce") is pd.NaT]
        i = bad[0] if bad else 0
        raise _problem(path, i + 2, "held_on", held.iloc[i], "a date such as 2026-03-14") from None
    stamps = col("recorded_at").str.strip()
    try:
        recorded = pd.to_datetime(stamps, format="ISO8601", utc=True)
    except (ValueError, TypeError):
        parsed = pd.to_datetime(stamps, format="ISO8601", utc=True, errors="coerce")
        i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise _problem(path, i + 2, "recorded_at", stamps.iloc[i],
                       "a UTC time such as 2026-03-14T10:15:00Z") from None
    if recorded.isna().any():
        i = int(np.flatnonzero(recorded.isna().to_numpy())[0])
        raise _problem(path, i + 2, "recorded_at", stamps.iloc[i],
                       "a UTC time such as 2026-03-14T10:15:00Z", "an empty cell")
    themes = col("theme_id").str.strip()
    frame = pd.DataFrame(
        {
            "workshop_id": _str(col("workshop_id").str.strip()),
            "workshop_title": _parse_text(col("workshop_title"), blank_is_missing=False),
            "held_on": pd.Series(held_on, dtype="datetime64[us]"),
            "synthetic": _parse_bool(col("synthetic"), path, "synthetic"),
            "scale": _str(col("scale").str.strip().replace("", "confidence")),
            "authority": _parse_text(col("authority"), blank_is_missing=True),
            "respondent_id": _str(col("respondent_id").str.strip()),
            "respondent_label": _parse_text(col("respondent_label"), blank_is_missing=False),
            "role": _parse_choice(col("role"), path, "role", RESPONDENT_ROLES, categorical=True),
            "respondent_kind": _parse_choice(
                col("respondent_kind").replace("", "person"), path, "respondent_kind",
                RESPONDENT_KINDS, categorical=False,
            ),
            "question_id": _str(question_ids),
            "question_role": question_role,
            "theme_id": pd.Categorical(
                themes, categories=_theme_categories([list(dict.fromkeys(themes))]), ordered=True
            ),
            "round": _parse_int(col("round"), path, "round", "1 or 2", required=True,
                                valid=(1, 2)),
            "rating": rating,
            "dont_know": dont_know,
            "evidence": _parse_int(col("evidence"), path, "evidence",
                                   "a whole number 0-3, or blank", required=False),
            "note": _parse_text(col("note"), blank_is_missing=True),
            "proxy": _parse_bool(col("proxy"), path, "proxy"),
            "author": _parse_text(col("author"), blank_is_missing=False),
            "recorded_at": pd.Series(recorded, dtype="datetime64[us, UTC]"),
        }
    )
    extras = [c for c in table.columns if c not in TIDY_COLUMNS]
    for name in extras:
        frame[name] = table[name].map(restore_cell).to_numpy()
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- read_ratings


def _expand(sources: Sequence[Any]) -> list[Any]:
    """Turn the sources into Workshops and files, folders searched recursively, each once."""
    out: list[Any] = []
    seen: set[Any] = set()
    for source in sources:
        if isinstance(source, Workshop):
            key = ("ws", id(source))
            if key not in seen:
                seen.add(key)
                out.append(source)
            continue
        if not isinstance(source, str | os.PathLike):
            raise AssuredKitError(
                f"{type(source).__name__} is not a source of ratings",
                field="sources",
                allowed="workshop files, folders of them, tidy CSV/XLSX exports, or a Workshop",
            )
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file())
        elif path.exists():
            found = [path]
        else:
            raise AssuredKitError(
                "there is no file or folder here",
                file=path,
                allowed="workshop files, folders of them, tidy CSV/XLSX exports",
                hint="a typing slip in the path",
            )
        for item in found:
            name = item.name.lower()
            if not (name.endswith(SUFFIX) or name.endswith((".csv", ".xlsx"))):
                raise AssuredKitError(
                    f"{item.name!r} is not a workshop file or a tidy export",
                    file=item,
                    allowed=f"*{SUFFIX}, *.csv or *.xlsx",
                    hint="an .xls or .ods workbook; save it as .xlsx",
                )
            key = ("path", item.resolve())
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def _empty_frame() -> pd.DataFrame:
    return _frame_from_parts([])


def read_ratings(*sources: str | os.PathLike[str] | Workshop) -> pd.DataFrame:
    """Merge workshop files, folders of them and tidy CSV/XLSX exports into one tidy table.

    Each workshop keeps its identity (``workshop_id``). A workshop read twice (say its file
    and its export) is kept once: from the file when there is one (of two copies of a file,
    the one with more events), otherwise from the first export that holds it. Files are only
    read, never written; an older file is upgraded in memory.

    Parameters
    ----------
    *sources : str, path-like or Workshop
        ``*.workshop.sqlite`` files, folders (searched recursively for them), tidy ``.csv``
        exports or ``.xlsx`` workbooks (sheet "Answers"), or open `Workshop` objects.

    Returns
    -------
    pandas.DataFrame
        The columns of `TIDY_COLUMNS`, then any extra columns found in exports.

    Raises
    ------
    AssuredKitError
        For no sources, a missing path, a file of another kind, a bad workshop file, or an
        export missing a required column or holding a value that cannot be read (naming the
        file, row and column).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("derby", "rutland"):
    ...     with Workshop.create(folder / f"{name}.workshop.sqlite", title=name) as ws:
    ...         rid = ws.add_respondent("Ann", authority=name.title())
    ...         _ = ws.record(rid, "LA-DCS-1", 4)
    >>> table = read_ratings(folder)
    >>> table[["workshop_title", "authority", "rating"]]
      workshop_title authority  rating
    0          derby     Derby       4
    1        rutland   Rutland       4
    """
    if not sources:
        raise AssuredKitError(
            "no sources were given",
            field="sources",
            allowed="workshop files, folders of them, tidy CSV/XLSX exports",
        )
    items: list[tuple[str, Any]] = []
    for item in _expand(sources):
        if isinstance(item, Workshop):
            with item._lock:
                items.append(("file", _read_connection(item._db(), item.path)))
        elif item.name.lower().endswith(SUFFIX):
            items.append(("file", _read_file(item)))
        else:
            items.append(("export", _parse_export(item)))
    winner: dict[str, int] = {}
    for i, (kind, payload) in enumerate(items):
        ids = [payload.workshop_id] if kind == "file" else pd.unique(payload["workshop_id"])
        for wid in ids:
            best = winner.get(wid)
            if best is None:
                winner[wid] = i
                continue
            best_kind, best_payload = items[best]
            file_beats_export = best_kind == "export" and kind == "file"
            newer_copy = best_kind == kind == "file" and payload.events > best_payload.events
            if file_beats_export or newer_copy:
                winner[wid] = i
    themes = _theme_categories(
        [p.theme_order for k, p in items if k == "file"]
        + [list(p["theme_id"].cat.categories) for k, p in items if k == "export"]
    )
    frames: list[pd.DataFrame] = []
    run: list[_Part] = []
    for i, (kind, payload) in enumerate(items):
        if kind == "file":
            if winner[payload.workshop_id] == i:
                run.append(payload)
            continue
        if run:
            frames.append(_frame_from_parts(run, themes))
            run = []
        keep = payload["workshop_id"].map(lambda w, i=i: winner[w] == i).to_numpy(dtype=bool)
        part = payload[keep].reset_index(drop=True)
        part["theme_id"] = part["theme_id"].cat.set_categories(themes)
        frames.append(part)
    if run or not frames:
        frames.append(_frame_from_parts(run, themes))
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)
