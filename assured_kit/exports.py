r"""Writing workshops out for spreadsheets: tidy CSV answers and a full XLSX workbook.

`export_workshop` is what ``Workshop.export(path)`` calls; the file type follows the suffix:

``.csv``
    The tidy answers (one row per respondent, question and round, columns
    ``assured_kit.ratings.TIDY_COLUMNS``), UTF-8 with a byte-order mark so that Excel shows
    accents correctly.
``.xlsx``
    A workbook with the sheets "Read me", "Answers" (the same tidy columns), "Respondents",
    "Actions", "Examples", "Notes" and "Workshop" (details as field/value rows).

Every text cell written is passed through `assured_kit.safety.neutralise_cell`, so a note that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is stored with a leading
apostrophe and never runs as a formula. The kit's own readers undo that with
`assured_kit.safety.restore_cell`.

Conventions of the files (the readers in `assured_kit.ratings` rely on them):

- CSV: ``held_on`` as ``YYYY-MM-DD``; ``recorded_at`` as ISO 8601 with ``+00:00`` (UTC);
  ``True``/``False`` for yes/no columns; ratings as whole numbers, blank when missing.
- XLSX: dates and times are real spreadsheet dates; times are UTC (spreadsheets cannot hold a
  time zone) and kept to the millisecond; ratings are numbers. XLSX cannot hold a carriage
  return on its own or control characters: line breaks are written as ``\n`` and control
  characters other than tab and line feed as U+FFFD.

Files are written atomically: to a temporary file in the same folder, then moved into place
with `os.replace`, so a failed export never leaves half a file behind.

openpyxl is imported inside the functions that need it, so ``import assured_kit`` stays light.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .safety import neutralise_cell

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet as Sheet

    from .store import Workshop

__all__ = ["EXPORT_SUFFIXES", "atomic_write", "export_workshop", "write_tidy_csv", "write_workbook"]

#: The file types `export_workshop` writes, by suffix.
EXPORT_SUFFIXES = (".csv", ".xlsx")

# Characters XML 1.0 (and so XLSX) cannot hold; tab, line feed and carriage return are legal.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADER_FILL = "DCE6F1"
_MAX_WIDTH = 60
_WRAP_WIDTH = 50
_READ_ME_CHARS = 90  # characters per line of the Read me's explanations
_PORTRAIT_WIDTH = 100  # total column width (characters) above which a sheet prints landscape


# --------------------------------------------------------------------------- atomic files


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file all at once: into a temporary file beside it, then move it into place.

    Parameters
    ----------
    path : str or path-like
        The file to (over)write. Its folder must exist.
    write : callable
        Called with the temporary file, opened for binary writing.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AssuredKitError
        If the folder does not exist. Whatever ``write`` raises propagates; the temporary file
        is then removed and any existing file at ``path`` is left exactly as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", lambda f: f.write(b"hello")).read_bytes()
    b'hello'
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise AssuredKitError(
            f"the folder {str(folder)!r} does not exist",
            file=target,
            allowed="a path in an existing folder",
            hint="a typing slip in the folder name",
        )
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, before the move
        dir=folder, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target


# --------------------------------------------------------------------------- cells


def _clean_text(text: str) -> str:
    r"""Make text storable in XLSX: line breaks as ``\n``, illegal control characters as U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL_XML.sub("\ufffd", text)


def _xlsx_value(value: Any) -> Any:
    """Convert one pandas/Python value to what an openpyxl cell should hold."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return neutralise_cell(_clean_text(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return neutralise_cell(_clean_text(", ".join(str(v) for v in value)))
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        return None if isinstance(value, float) and value != value else value
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, int | float):
        return value
    return neutralise_cell(_clean_text(str(value)))


def _is_date_column(series: pd.Series) -> bool:
    """Tell whether a column holds dates only: no time zone, every time at midnight."""
    if not pd.api.types.is_datetime64_dtype(series.dtype) or isinstance(
        series.dtype, pd.DatetimeTZDtype
    ):
        return False
    present = series.dropna()
    return bool((present == present.dt.normalize()).all())


def _column_cells(series: pd.Series) -> list[Any]:
    """Convert one column's cells for openpyxl (dates as dates, numbers as numbers)."""
    if _is_date_column(series):
        return [None if pd.isna(v) else v.date() for v in series]
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return [_xlsx_value(v) for v in series.astype(object)]


# --------------------------------------------------------------------------- CSV


def _csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``table`` with every cell as the text the CSV should hold."""
    out = {}
    for column in table.columns:
        series = table[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            utc = series.dt.tz_convert("UTC")
            out[column] = [
                "" if pd.isna(v) else v.isoformat() for v in utc
            ]
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            if _is_date_column(series):
                out[column] = ["" if pd.isna(v) else v.strftime("%Y-%m-%d") for v in series]
            else:
                out[column] = ["" if pd.isna(v) else v.isoformat() for v in series]
        else:
            out[column] = [_csv_value(v) for v in series.astype(object)]
    return pd.DataFrame(out, columns=list(table.columns), dtype=object)


def _csv_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, str):
        return neutralise_cell(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _csv_value(value.item())
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return neutralise_cell(", ".join(str(v) for v in value))
    return neutralise_cell(str(value))


def write_tidy_csv(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    r"""Write a table as CSV for spreadsheets: UTF-8 with BOM, every text cell neutralised.

    Dates become ``YYYY-MM-DD``, times with a time zone ISO 8601 in UTC, missing values
    blank, yes/no ``True``/``False``. The file is written atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        Usually the tidy ratings table.
    path : str or path-like
        Where to write it.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_tidy_csv(pd.DataFrame({"note": ["=1+1"], "rating": [4]}), p)
    >>> p.read_bytes()
    b"\xef\xbb\xbfnote,rating\r\n'=1+1,4\r\n"
    """
    text = _csv_frame(table).to_csv(index=False, lineterminator="\r\n")
    data = text.encode("utf-8-sig")
    return atomic_write(path, lambda f: f.write(data))


# --------------------------------------------------------------------------- XLSX


def _width_for(header: str, cells: Sequence[Any]) -> float:
    longest = len(str(header))
    for value in cells[:500]:
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            size = 19
        elif isinstance(value, dt.date):
            size = 10
        else:
            size = max((len(line) for line in str(value).split("\n")), default=0)
        longest = max(longest, size)
    return float(min(longest + 2, _MAX_WIDTH))


def _print_setup(sheet: Sheet, widths: Sequence[float]) -> None:
    """Set a sheet up to print on A4: one page wide, header row repeated, landscape when wide."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if sum(widths) > _PORTRAIT_WIDTH else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    sheet.oddFooter.center.text = "Page &P of &N"
    sheet.oddHeader.center.text = "&A"  # the sheet's name


def _write_frame(
    sheet: Sheet, table: pd.DataFrame, number_formats: Mapping[str, str] | None = None
) -> None:
    """Fill a sheet with a table: bold, frozen header; typed cells; widths; filter; print set-up.

    ``number_formats`` maps a column's header to a spreadsheet number format (e.g. ``"0%"``)
    for its numeric cells.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = [str(c) for c in table.columns]
    cells = [_column_cells(table[c]) for c in table.columns]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for j, name in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=j, value=name)
        cell.font = bold
        cell.fill = fill
    wrap = Alignment(wrap_text=True, vertical="top")
    formats = number_formats or {}
    widths = []
    for j, column in enumerate(cells, start=1):
        width = _width_for(columns[j - 1], column)
        wrapping = any(
            isinstance(v, str) and (len(v) > _WRAP_WIDTH or "\n" in v) for v in column[:500]
        )
        number_format = formats.get(columns[j - 1])
        for i, value in enumerate(column, start=2):
            cell = sheet.cell(row=i, column=j, value=value)
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif number_format and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = number_format
            elif wrapping and isinstance(value, str):
                cell.alignment = wrap
        if number_format or wrapping:  # long headers wrap rather than widen the column
            width = min(width, max(12.0, _width_for("", column)))
            sheet.cell(row=1, column=j).alignment = wrap
        sheet.column_dimensions[get_column_letter(j)].width = width
        widths.append(width)
    sheet.freeze_panes = "A2"
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{max(len(table) + 1, 1)}"
    _print_setup(sheet, widths)


def _write_read_me(sheet: Sheet, lines: Iterable[tuple[str, str]], title: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.cell(row=1, column=1, value=neutralise_cell(_clean_text(title))).font = Font(
        bold=True, size=14
    )
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 3
    for key, text in lines:
        if key == "#":  # a section heading
            row += 1
            sheet.cell(row=row, column=1, value=_xlsx_value(text)).font = Font(bold=True, size=12)
        else:
            label = sheet.cell(row=row, column=1, value=_xlsx_value(key))
            label.font = Font(bold=True)
            label.alignment = wrap
            sheet.cell(row=row, column=2, value=_xlsx_value(text)).alignment = wrap
            # Programs that do not fit rows to wrapped text still show every line.
            lines_needed = sum(
                max(1, -(-len(part) // _READ_ME_CHARS)) for part in str(text).split("\n")
            )
            sheet.row_dimensions[row].height = 15 * max(lines_needed, 1)
        row += 1
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = _READ_ME_CHARS + 2
    _print_setup(sheet, [24, 0])  # portrait: the text wraps to the page


def write_workbook(
    path: str | os.PathLike[str],
    tables: Mapping[str, pd.DataFrame],
    *,
    read_me: Iterable[tuple[str, str]] | None = None,
    title: str = "Read me",
    number_formats: Mapping[str, str] | None = None,
) -> Path:
    """Write tables to an XLSX workbook, one sheet each, ready for spreadsheet programs.

    Each sheet has a bold, frozen header row with a filter, sensible column widths, dates as
    real dates, numbers as numbers and every text cell neutralised against formula injection.
    Every sheet is set up to print on A4: one page wide, the header row repeated on each page,
    landscape when wide, page numbers in the footer. The Read me's text wraps. Written
    atomically.

    Parameters
    ----------
    path : str or path-like
        The ``.xlsx`` file to write.
    tables : mapping of str to pandas.DataFrame
        Sheet name (at most 31 characters) to table, in the order the sheets should appear.
    read_me : iterable of (str, str), optional
        Rows for a first sheet called "Read me": ``(label, explanation)`` pairs; a pair
        ``("#", heading)`` starts a section.
    title : str
        The heading at the top of the "Read me" sheet.
    number_formats : mapping of str to str, optional
        Column header to spreadsheet number format for that column's numbers, on every sheet
        (e.g. ``{"Top share": "0%"}`` shows 0.45 as 45 % and keeps it a number).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> _ = write_workbook(p, {"Data": pd.DataFrame({"note": ["@x"], "n": [1]})})
    >>> import openpyxl
    >>> [c.value for c in openpyxl.load_workbook(p)["Data"][2]]
    ["'@x", 1]
    """
    from openpyxl import Workbook

    for name in tables:
        if not name or len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise AssuredKitError(
                f"{name!r} cannot be a sheet name",
                field="tables",
                allowed="1 to 31 characters, none of [ ] : * ? / \\",
            )
    book = Workbook()
    first = book.active
    if read_me is not None:
        first.title = "Read me"
        _write_read_me(first, read_me, title)
    else:
        book.remove(first)
    for name, table in tables.items():
        _write_frame(book.create_sheet(title=name), table, number_formats)
    return atomic_write(path, book.save)


# --------------------------------------------------------------------------- workshops


def _tidy_columns() -> list[str]:
    from .tidy import TIDY_COLUMNS

    return list(TIDY_COLUMNS)


_COLUMN_MEANINGS = {
    "workshop_id": "The workshop's own id (unique across workshops).",
    "workshop_title": "The workshop's title.",
    "held_on": "The date the workshop was held.",
    "synthetic": "True for synthetic demonstration data, never real answers.",
    "scale": "The rating scale used (see Rating scale above).",
    "authority": "The respondent's authority, if given.",
    "respondent_id": "The respondent's id, unique within this workshop only.",
    "respondent_label": "The respondent's label: a name, a pseudonym or a table.",
    "role": "DCS, LM (Lead Member), Officer (another senior officer) or Mixed (a mixed table).",
    "respondent_kind": "person or table.",
    "question_id": "The question, e.g. LA-DCS-1 (theme, role the question is for, number).",
    "question_role": "The role the question is addressed to: DCS or LM.",
    "theme_id": "The theme (see Themes above).",
    "round": "1 = first vote, 2 = after discussion.",
    "rating": "The rating as a number on the scale; blank when the answer was Don't know.",
    "dont_know": "True when the answer was Don't know (never a low rating; never averaged).",
    "evidence": "How do I know? 0 to 3 on the evidence scale; blank when not given.",
    "note": "The respondent's note, as typed.",
    "proxy": "True when the facilitator entered the answer for the respondent.",
    "author": "Who recorded the answer.",
    "recorded_at": "When the answer was recorded (UTC).",
}


def _details_table(details: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "field": [str(k) for k in details],
            "value": [_details_value(v) for v in details.values()],
        },
        dtype=object,
    )


def _details_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _scale_lines(scale: Any) -> list[tuple[str, str]]:
    return [
        (f"{value} - {label}", str(description))
        for value, label, description in zip(
            scale.values, scale.labels, scale.levels["description"], strict=True
        )
    ]


def _read_me_lines(ws: Workshop, answers: int) -> list[tuple[str, str]]:
    details = ws.details
    lines: list[tuple[str, str]] = []
    if details.get("synthetic"):
        lines.append(("SYNTHETIC", "Synthetic demonstration data: not real answers from anyone."))
    held = details.get("held_on")
    lines += [
        ("Workshop", str(details.get("title", ""))),
        ("Held on", held.isoformat() if held else "not given"),
        ("Exported", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Answers", f"{answers} (one row per respondent, question and round)"),
        (
            "Keep it safe",
            "This workbook holds individual self-ratings. Share it only within the workshop "
            "team; reports for others withhold any figure that rests on fewer than "
            f"{details.get('min_group', 3)} people, and any figure that would give them away.",
        ),
        ("#", "Sheets"),
        ("Answers", "The tidy answers: one row per respondent, question and round; the latest "
                    "answer wins. The kit reads this sheet back (assured_kit.read_ratings)."),
        ("Respondents", "Each person or table who answered, with role and authority."),
        ("Actions", "Actions agreed: what, who owns it, by when, status."),
        ("Examples", "Examples of good practice offered in the room, with consent to share."),
        ("Notes", "The facilitator's notes."),
        ("Workshop", "The workshop's details as field/value rows."),
        ("#", f"Rating scale: {ws.scale.title}"),
        *_scale_lines(ws.scale),
        ("Don't know", "Its own answer: rating blank, dont_know True. Never counted as a low "
                       "rating and never averaged."),
        ("#", ws.evidence_scale.title),
        *_scale_lines(ws.evidence_scale),
        ("#", "Themes"),
        *[(t, ws.framework.theme_title(t)) for t in ws.framework.theme_ids],
        ("#", "Columns of the Answers sheet"),
        *[(c, _COLUMN_MEANINGS.get(c, "")) for c in _tidy_columns()],
        ("#", "Good to know"),
        ("Apostrophes", "Text that begins with = + - @ or a tab is stored with a leading "
                        "apostrophe so that no spreadsheet runs it as a formula."),
        ("Times", "Dates and times are real spreadsheet dates; times are in UTC."),
    ]
    return lines


def export_workshop(ws: Workshop, path: str | os.PathLike[str]) -> Path:
    """Export a workshop: tidy answers as ``.csv``, or everything as an ``.xlsx`` workbook.

    This is what ``Workshop.export(path)`` calls. The file is written atomically; every text
    cell is neutralised against formula injection.

    Parameters
    ----------
    ws : Workshop
        An open workshop.
    path : str or path-like
        The file to write; its suffix (``.csv`` or ``.xlsx``) chooses the format.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AssuredKitError
        For any other suffix, or a folder that does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit.store import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ws = Workshop.create(folder / "w.workshop.sqlite", title="Example")
    >>> rid = ws.add_respondent("Table 1", role="Mixed", kind="table")
    >>> _ = ws.record(rid, "LA-DCS-1", rating=4, note="=HYPERLINK(1)")
    >>> ws.export(folder / "answers.csv").read_text(encoding="utf-8-sig").count("'=HYPERLINK")
    1
    >>> ws.close()
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise AssuredKitError(
            f"cannot export to a {suffix or 'suffix-less'} file",
            file=target,
            allowed=".csv (tidy answers) or .xlsx (the full workbook)",
            hint="a missing or misspelt suffix, e.g. .xls instead of .xlsx",
        )
    answers = ws.ratings()
    columns = _tidy_columns()
    answers = answers.reindex(columns=columns)
    if suffix == ".csv":
        return write_tidy_csv(answers, target)
    people = ws.respondents()  # withdrawn respondents and their answers do not count
    people = people[~people["withdrawn"]].drop(columns="withdrawn").reset_index(drop=True)
    tables = {
        "Answers": answers,
        "Respondents": people,
        "Actions": ws.actions(),
        "Examples": ws.examples(),
        "Notes": ws.notes(),
        "Workshop": _details_table({"workshop_id": ws.workshop_id, **ws.details}),
    }
    return write_workbook(
        target,
        tables,
        read_me=_read_me_lines(ws, len(answers)),
        title=f"{ws.details.get('title', 'Workshop')}: exported answers",
    )
