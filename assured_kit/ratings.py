"""The tidy ratings table, read from workshop files and from the kit's CSV and XLSX exports.

The table itself (one row per respondent x question x round, the latest answer winning, in the
columns of `TIDY_COLUMNS`) is built by the read model, `assured_kit.tidy`, which documents each
column. This module finds the sources (files, folders, exports, open workshops), reads the
kit's own CSV and XLSX exports back, and merges everything into one table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import AssuredKitError
from .safety import restore_cell
from .store import RESPONDENT_KINDS, SUFFIX, Workshop, read_file_part
from .tabular import Limits, cell_text, iter_grids
from .text import RESPONDENT_ROLES
from .tidy import (
    QUESTION_ROLES,
    TIDY_COLUMNS,
    Part,
    frame_from_parts,
    theme_categories,
)

__all__ = ["REQUIRED_COLUMNS", "TIDY_COLUMNS", "read_ratings"]

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
# --------------------------------------------------------------------------- exports


def _str(values: Any) -> pd.Series:
    return pd.Series(values, dtype="str")


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _problem(path: Path, row: int, column: str, value: str, allowed: str, hint: str | None = None
             ) -> AssuredKitError:
    return AssuredKitError(
        f"{value!r} cannot be read", file=path, row=row, field=column, allowed=allowed, hint=hint
    )


#: How large an answers export may be: an XLSX sheet's own limit of rows and 200 columns, at
#: most 5 million cells (200,000 answers in the tidy table's 25 columns: years of a region's
#: workshops), files up to 64 MB and workbooks up to 512 MB unpacked.
EXPORT_LIMITS = Limits("an answers export", max_rows=1_048_576, max_columns=200,
                       max_bytes=64 * 2**20, max_unpacked=512 * 2**20, max_cells=5_000_000)


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
                themes, categories=theme_categories([list(dict.fromkeys(themes))]), ordered=True
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
            items.append(("file", item.tidy_part()))
        elif item.name.lower().endswith(SUFFIX):
            items.append(("file", read_file_part(item)))
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
    themes = theme_categories(
        [p.theme_order for k, p in items if k == "file"]
        + [list(p["theme_id"].cat.categories) for k, p in items if k == "export"]
    )
    frames: list[pd.DataFrame] = []
    run: list[Part] = []
    for i, (kind, payload) in enumerate(items):
        if kind == "file":
            if winner[payload.workshop_id] == i:
                run.append(payload)
            continue
        if run:
            frames.append(frame_from_parts(run, themes))
            run = []
        keep = payload["workshop_id"].map(lambda w, i=i: winner[w] == i).to_numpy(dtype=bool)
        part = payload[keep].reset_index(drop=True)
        part["theme_id"] = part["theme_id"].cat.set_categories(themes)
        frames.append(part)
    if run or not frames:
        frames.append(frame_from_parts(run, themes))
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)
