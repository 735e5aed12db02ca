r"""Reading people's tables: CSV and XLSX files, every value as it was typed, bounded and checked.

Rating sheets (`assured_kit.sheets`), online-form exports (`assured_kit.forms`) and the kit's
own answers exports (`assured_kit.ratings.read_ratings`) all come back through `read_grid` /
`iter_grids`, so a value a person typed comes back as typed: ``NA``, ``N/A``, ``None``,
``null``, ``#N/A`` or ``nan`` are text, never "missing".

What the readers accept
    CSV text in UTF-8 (with or without a byte-order mark), UTF-16 or Windows-1252, with comma,
    semicolon or tab separators; XLSX workbooks (the value a spreadsheet program last showed in
    each cell; a formula never calculated is read as its text).

What they refuse, quickly and with a message naming the file, the sheet, the row and column
    - a table larger than its `Limits` (rows, columns, file size): a value beyond the limits,
      such as one stray entry in cell ``H1048576``, is named so it can be deleted;
    - a workbook whose parts would unpack to more than the limits allow, or unpack far more
      than real workbooks do (a "zip bomb"): checked before any part is unpacked;
    - a password-protected workbook ("remove the password and save again") and an old-style
      ``.xls`` workbook, which share the same container format.

Only the one sheet that is read is walked in full (others only far enough to find a header),
and only as far as its last row holding a value.

`ProblemList` collects the problems found in a file's rows and reports them in one
`AssuredKitError`: at most `MAX_PROBLEMS` are listed, then how many more there are.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AssuredKitError

if TYPE_CHECKING:  # pragma: no cover
    from .scales import Scale

__all__ = [
    "MAX_PROBLEMS",
    "Grid",
    "Limits",
    "ProblemList",
    "cell_text",
    "check_round",
    "column_letter",
    "decode_text",
    "is_blank",
    "iter_grids",
    "normalise_number_text",
    "parse_answer",
    "read_grid",
]

#: The most problems one error lists; the rest are counted ("and 12 more").
MAX_PROBLEMS = 50
_HEADER_SEARCH_ROWS = 60
_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
_CFB_MAGIC = b"\xd0\xcf\x11\xe0"
# The streams an Office password (ECMA-376 encryption) leaves in the container, by their names
# as the container's directory stores them (UTF-16LE).
_ENCRYPTED_STREAMS = tuple(n.encode("utf-16-le") for n in ("EncryptedPackage", "EncryptionInfo"))
# A formula cell in a worksheet part: <f>, <f t="shared" ...>, <f/> or a prefixed <x:f>.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
# Parts smaller than this are not checked for their compression ratio (tiny parts of
# repetitive XML compress very well and cannot hurt).
_RATIO_FLOOR = 1 << 20


# --------------------------------------------------------------------------- limits


@dataclass(frozen=True)
class Limits:
    """How large a table of one kind may be; anything larger is refused before it is read.

    Attributes
    ----------
    what : str
        The kind of table, for messages, e.g. ``"a rating sheet"``.
    max_rows : int
        The last row (as a spreadsheet numbers it) that may hold a value.
    max_columns : int
        The last column that may hold a value.
    max_bytes : int
        The largest file accepted, in bytes.
    max_unpacked : int
        The most an XLSX workbook's parts may add up to once unpacked, in bytes. Reading a
        worksheet takes time in proportion to its unpacked size (a few MB a second on a
        laptop, whatever the cells hold), so this bounds the time an import can take.
    max_cells : int, optional
        The most cells the sheet read may hold, counting empty cells that carry formatting
        and the gaps before a row's last cell: reading takes time per cell, so this bounds
        the time an import can take (the default, ``max_rows * max_columns``, bounds nothing
        more).
    max_ratio : int
        How many times its packed size one part of a workbook may unpack to (real workbooks
        stay far below 100; zip bombs go beyond 1,000). Parts under 1 MiB are not checked.
    max_parts : int
        The most parts (files inside the zip) a workbook may have.

    Examples
    --------
    >>> Limits("a test table", max_rows=10, max_columns=3).max_ratio
    200
    """

    what: str
    max_rows: int
    max_columns: int
    max_bytes: int = 8 * 2**20
    max_unpacked: int = 8 * 2**20
    max_ratio: int = 200
    max_parts: int = 1_000
    max_cells: int | None = None

    @property
    def cells(self) -> int:
        """The cell budget: ``max_cells``, or ``max_rows * max_columns`` when not given."""
        return self.max_cells if self.max_cells is not None else self.max_rows * self.max_columns


def column_letter(number: int) -> str:
    """Return a column's letters as spreadsheet programs show them (1 is ``A``, 28 ``AB``).

    Examples
    --------
    >>> column_letter(1), column_letter(8), column_letter(28), column_letter(16384)
    ('A', 'H', 'AB', 'XFD')
    """
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _megabytes(size: int) -> str:
    if size < 2**20:
        return f"{size / 2**10:,.0f} KB"
    return f"{size / 2**20:,.1f} MB"


# --------------------------------------------------------------------------- problems


@dataclass
class ProblemList:
    """Problems found in one file, reported together in one `AssuredKitError`.

    At most `MAX_PROBLEMS` are kept and listed; the rest are counted, so a sheet with
    thousands of bad rows gives a message a person can read (and memory stays small).

    Examples
    --------
    >>> p = ProblemList("sheet.csv")
    >>> p.add("'7' is outside the scale", row=5, column="rating", allowed="1 to 5")
    >>> p.add("no question 'XX-1'", row=9, column="question_id")
    >>> for part in str(p.error()).split("; "):
    ...     print(part)
    sheet.csv: 2 problems: row 5, column 'rating': '7' is outside the scale
    row 9, column 'question_id': no question 'XX-1'. Allowed: in column 'rating': 1 to 5.
    >>> many = ProblemList("big.csv")
    >>> for row in range(2, 102):
    ...     many.add("junk", row=row)
    >>> len(many), str(many.error())[-40:]
    (100, 'row 50: junk; row 51: junk; and 50 more.')
    """

    file: str
    items: list[tuple[int | None, str | None, str]] = field(default_factory=list)
    allowed: dict[str, str] = field(default_factory=dict)
    count: int = 0

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Note one problem (where it is, what was wrong, what is allowed, the likely slip)."""
        self.count += 1
        if allowed:
            self.allowed.setdefault(column or "", allowed.rstrip("."))
        if len(self.items) >= MAX_PROBLEMS:
            return
        text = message.rstrip(".")
        if hint:
            text += f" (likely {hint.rstrip('.')})"
        self.items.append((row, column, text))

    def add_error(self, error: AssuredKitError, *, row: int | None, column: str | None) -> None:
        """Note a problem raised as an `AssuredKitError` by a parser (e.g. `Scale.parse`)."""
        self.add(error.problem, row=row, column=column, allowed=error.allowed, hint=error.hint)

    def __len__(self) -> int:
        return self.count

    def error(self) -> AssuredKitError:
        """Return one error listing the problems by row and column (at most `MAX_PROBLEMS`)."""
        parts = []
        for row, column, text in self.items:
            where = ", ".join(
                p
                for p in (f"row {row}" if row else "", f"column {column!r}" if column else "")
                if p
            )
            parts.append(f"{where}: {text}" if where else text)
        if self.count > len(self.items):
            parts.append(f"and {self.count - len(self.items):,} more")
        allowed = "; ".join(
            f"in column {c!r}: {a}" if c else a for c, a in self.allowed.items()
        )
        return AssuredKitError(
            f"{self.count:,} problem{'s' if self.count != 1 else ''}: " + "; ".join(parts),
            file=self.file,
            allowed=allowed or None,
        )

    def raise_if_any(self) -> None:
        """Raise `error` if any problem was noted."""
        if self.count:
            raise self.error()


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Grid:
    """A table read from a CSV or XLSX file, with rows numbered as a spreadsheet shows them.

    Attributes
    ----------
    file : str
        The file's name, for messages.
    header_row : int
        The row number of the header.
    header : list of str
        The header cells, stripped.
    above : list of (int, list)
        The rows above the header.
    rows : list of (int, list)
        The rows below the header (up to the last one holding a value), each padded or cut
        to the header's width.
    sheet : str or None
        The worksheet read, for XLSX files.
    """

    file: str
    header_row: int
    header: list[str]
    above: list[tuple[int, list[Any]]]
    rows: list[tuple[int, list[Any]]]
    sheet: str | None = None

    @property
    def where(self) -> str:
        """The file and, for a workbook, the sheet read: what every message starts with.

        Examples
        --------
        >>> Grid("a.xlsx", 1, ["x"], [], [], sheet="Rating sheet").where
        "a.xlsx, sheet 'Rating sheet'"
        """
        return self.file if self.sheet is None else f"{self.file}, sheet {self.sheet!r}"


def cell_text(value: Any) -> str:
    """Return a cell as text: blank for empty cells, ``4`` for ``4.0``, text exactly as typed.

    Text is never taken for "missing": ``"NA"`` stays ``"NA"``. Booleans read as the
    spreadsheet shows them (``TRUE``), dates and times in ISO 8601.

    Examples
    --------
    >>> cell_text(None), cell_text(4.0), cell_text(" x "), cell_text("NA"), cell_text(True)
    ('', '4', ' x ', 'NA', 'TRUE')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    r"""Tell whether a cell is empty or holds only white space.

    Examples
    --------
    >>> is_blank(None), is_blank(" \t"), is_blank("NA"), is_blank(0)
    (True, True, False, False)
    """
    return not cell_text(value).strip()


def normalise_number_text(value: Any) -> Any:
    """Turn ``"4.0"`` or ``"4,0"`` into ``4`` so that a scale can parse it; else unchanged.

    Examples
    --------
    >>> [normalise_number_text(t) for t in ("4.0", " 4,00 ", "4 - x")]
    [4, 4, '4 - x']
    """
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(?:[.,]0+)?\s*", value):
        return int(re.split(r"[.,]", value.strip())[0])
    return value


def parse_answer(
    scale: Scale, raw: Any, problems: ProblemList, *, row: int, column: str
) -> tuple[bool, int | None]:
    """Parse one answer cell; returns ``(ok, value)`` and notes any problem.

    ``value`` is ``None`` for "Don't know".

    Examples
    --------
    >>> from assured_kit import get_scale
    >>> problems = ProblemList("sheet.csv")
    >>> parse_answer(get_scale("confidence"), "4.0", problems, row=9, column="rating")
    (True, 4)
    >>> parse_answer(get_scale("confidence"), " 7 ", problems, row=10, column="rating")
    (False, None)
    >>> len(problems)
    1
    """
    value = normalise_number_text(raw)
    try:
        return True, scale.parse(value)
    except AssuredKitError as err:
        problem = err.problem
        if isinstance(raw, str) and value is not raw:  # quote the cell as typed, e.g. '7'
            problem = problem.replace(repr(value), repr(raw.strip()), 1)
        problems.add(problem, row=row, column=column, allowed=err.allowed, hint=err.hint)
        return False, None


def check_round(round: object) -> None:
    """Refuse a round other than 1 (first vote) or 2 (after discussion) for an import.

    Examples
    --------
    >>> check_round(2)
    >>> check_round(3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assured_kit.errors.AssuredKitError: field 'round': round 3 is not a round. ...
    """
    if round not in (1, 2):
        raise AssuredKitError(
            f"round {round!r} is not a round",
            field="round",
            allowed="1 (first vote) or 2 (after discussion)",
        )


# --------------------------------------------------------------------------- text files


def decode_text(data: bytes, file: str | os.PathLike[str], *, lenient: bool = False) -> str:
    r"""Decode a text file as spreadsheet programs save it.

    UTF-16 when it starts with a UTF-16 byte-order mark, else UTF-8 (with or without a
    byte-order mark), else Windows-1252 (what Excel's plain "CSV" writes). The few bytes
    Windows-1252 leaves undefined are an error, or with ``lenient`` the replacement character.

    Examples
    --------
    >>> decode_text("café;x".encode("cp1252"), "a.csv"), decode_text(b"\xef\xbb\xbfx", "a.csv")
    ('café;x', 'x')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252", errors="replace" if lenient else "strict")
    except UnicodeDecodeError as exc:
        raise AssuredKitError(
            f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start} cannot be read)",
            file=file,
            allowed="CSV saved as 'CSV UTF-8' or plain 'CSV' from a spreadsheet program",
            hint="a file in another encoding, or not a CSV file at all",
        ) from exc


def _separators(text: str) -> list[str]:
    r"""Return the plausible separators of CSV text, the likeliest first.

    The likeliest is the one seen most often in the first lines; each is then tried, and the
    table it gives is judged by `_fit`, so a wrong guess costs time, never a wrong reading.

    Examples
    --------
    >>> _separators("a;b;c\n1;2;3\n"), _separators("a\tb\tc,d\n")
    ([';', ',', '\t'], ['\t', ',', ';'])
    """
    sample = text[:4096]
    return sorted([",", ";", "\t"], key=lambda d: -sample.count(d))


# --------------------------------------------------------------------------- bounds


def _bounded(
    rows: Iterable[Sequence[Any]], where: str, limits: Limits, *, count_cells: bool = True
) -> list[Sequence[Any]]:
    """Keep the rows and columns within ``limits``; refuse a value beyond them.

    Rows past the limit are looked at only for a value (an empty row costs next to nothing),
    and the rows kept end at the last one holding a value. With ``count_cells`` (worksheets,
    where every cell costs parsing time) the cells read are counted against the budget; a CSV
    file's size alone bounds its time, and spreadsheet programs write runs of empty cells
    (``,,,,``) for formatted rows, so its cells are not counted.
    """
    kept: list[Sequence[Any]] = []
    width = limits.max_columns
    budget = limits.cells if count_cells else math.inf
    for number, row in enumerate(rows, start=1):
        budget -= len(row)
        if len(row) > width:
            tail = row[width:]
            if tail.count(None) != len(tail):
                _refuse_first_value(tail, where, limits, number, width)
            row = row[:width]
        if budget < 0:
            raise AssuredKitError(
                f"by row {number:,} the sheet holds more than {limits.cells:,} cells (with "
                f"values or formatting), more than {limits.what} ever needs, so it was not read",
                file=where,
                allowed=f"{limits.what} of at most {limits.cells:,} cells",
                hint="many rows pasted or formatted below the table: delete the rows under it, "
                "then save again",
            )
        if number > limits.max_rows:
            if row and row.count(None) != len(row):
                _refuse_first_value(row, where, limits, number, 0)
            continue
        kept.append(row if type(row) is list else list(row) if row else ())
    while kept and all(is_blank(v) for v in kept[-1]):
        kept.pop()
    return kept


def _refuse_first_value(
    cells: Sequence[Any], where: str, limits: Limits, row: int, before: int
) -> None:
    """Refuse the first value among ``cells`` (which start after column ``before``)."""
    for offset, value in enumerate(cells):
        if not is_blank(value):
            _refuse_beyond(where, limits, row, before + offset + 1, value)


def _refuse_beyond(where: str, limits: Limits, row: int, column: int, value: Any) -> None:
    shown = cell_text(value).strip()
    if len(shown) > 40:
        shown = shown[:40] + "…"
    raise AssuredKitError(
        f"cell {column_letter(column)}{row:d} (row {row:,}, column {column_letter(column)}) "
        f"holds {shown!r}, beyond the table's limits, so nothing was read",
        file=where,
        allowed=f"{limits.what} uses at most {limits.max_rows:,} rows and "
        f"{limits.max_columns:,} columns",
        hint="a stray entry far below or to the right of the table, or rows pasted under it: "
        "delete them and save again",
    )


# --------------------------------------------------------------------------- workbooks


def _refuse_container(data: bytes, name: str) -> None:
    """Refuse an Office container file: a password-protected workbook or an old ``.xls``."""
    if any(stream in data for stream in _ENCRYPTED_STREAMS):
        raise AssuredKitError(
            "this workbook is protected with a password, so it cannot be read",
            file=name,
            allowed="a workbook without a password",
            hint="a password set in the spreadsheet program: remove the password and save again",
        )
    raise AssuredKitError(
        "this is an old-style .xls workbook",
        file=name,
        allowed="an .xlsx workbook or a CSV file",
        hint="save it again from the spreadsheet program as .xlsx or CSV",
    )


def _damaged(name: str, exc: BaseException) -> AssuredKitError:
    return AssuredKitError(
        f"the workbook cannot be read ({type(exc).__name__}: {exc})",
        file=name,
        allowed="an .xlsx workbook saved by a spreadsheet program",
        hint="a damaged file, or a file renamed to .xlsx",
    )


def _checked_parts(data: bytes, name: str, limits: Limits) -> zipfile.ZipFile:
    """Open a workbook's zip and check its parts' sizes before anything is unpacked.

    The sizes are those the zip declares; Python's zip reader never unpacks more than the
    declared size of a part, so the check holds even for a file that lies about them.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _damaged(name, exc) from exc
    allowed = (
        f"{limits.what} as a spreadsheet program saves it: at most {limits.max_parts:,} parts, "
        f"{_megabytes(limits.max_unpacked)} unpacked, none unpacking to more than "
        f"{limits.max_ratio} times its packed size"
    )
    hint = (
        "a damaged or deliberately crafted file; open it in a spreadsheet program and save it "
        "again"
    )
    if len(parts) > limits.max_parts:
        raise AssuredKitError(
            f"the workbook has {len(parts):,} parts, so it was not read",
            file=name, allowed=allowed, hint=hint,
        )
    total = 0
    for part in parts:
        total += part.file_size
        packed = max(part.compress_size, 1)
        if part.file_size > _RATIO_FLOOR and part.file_size > limits.max_ratio * packed:
            raise AssuredKitError(
                f"the workbook's part {part.filename!r} would unpack from "
                f"{_megabytes(part.compress_size)} to {_megabytes(part.file_size)} "
                f"({part.file_size // packed:,} times), so it was not read",
                file=name, allowed=allowed, hint=hint,
            )
    if total > limits.max_unpacked:
        raise AssuredKitError(
            f"the workbook would unpack to {_megabytes(total)}, more than {limits.what} ever "
            "needs, so it was not read",
            file=name, allowed=allowed,
            hint="many rows pasted or formatted below the table: delete the rows under it (and "
            "any sheets not needed), then save again",
        )
    return archive


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Tell whether any worksheet part holds a formula cell (read in chunks, not at once)."""
    for part in archive.infolist():
        if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
            continue
        with archive.open(part) as stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    return False


class _Workbook:
    """An XLSX workbook opened for reading one sheet at a time, within limits."""

    def __init__(self, data: bytes, name: str, limits: Limits) -> None:
        from openpyxl import load_workbook

        self.data = data
        self.name = name
        self.limits = limits
        archive = _checked_parts(data, name, limits)
        try:
            self.formulas = _has_formulas(archive)
        except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as exc:
            raise _damaged(name, exc) from exc
        finally:
            archive.close()
        try:
            self.book = load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                      keep_links=False)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _damaged(name, exc) from exc
        self._typed: Any = None

    def close(self) -> None:
        self.book.close()
        if self._typed is not None:
            self._typed.close()

    def where(self, sheet: str) -> str:
        return f"{self.name}, sheet {sheet!r}"

    def visible(self) -> list[str]:
        """Return the names of the sheets a person sees, in order."""
        return [
            s.title for s in self.book.worksheets
            if getattr(s, "sheet_state", "visible") == "visible"
        ]

    def marked(self, marker: str) -> list[str]:
        """Return the sheets a defined name ``marker`` points at (workbook- or sheet-scoped)."""
        found: list[str] = []
        names = self.book.defined_names
        if marker in names:
            found += [title for title, _ in names[marker].destinations]
        for sheet in self.book.worksheets:
            if marker in getattr(sheet, "defined_names", {}):
                found.append(sheet.title)
        return list(dict.fromkeys(found))

    def _rows(self, book: Any, sheet: str, max_row: int | None) -> Iterator[Sequence[Any]]:
        worksheet = book[sheet]
        worksheet.reset_dimensions()  # the stored size may be wrong, or absurdly large
        try:
            yield from worksheet.iter_rows(max_row=max_row, values_only=True)
        except MemoryError:
            raise
        except Exception as exc:  # damaged XML inside the zip
            raise _damaged(self.where(sheet), exc) from exc

    def head(self, sheet: str) -> list[Sequence[Any]]:
        """Return a sheet's first rows, as far as a header may be, cut to the column limit."""
        width = self.limits.max_columns
        return [list(r[:width]) for r in self._rows(self.book, sheet, _HEADER_SEARCH_ROWS)]

    def rows(self, sheet: str) -> list[Sequence[Any]]:
        """Return a sheet's rows up to its last value, refusing values beyond the limits."""
        kept = _bounded(self._rows(self.book, sheet, None), self.where(sheet), self.limits)
        if self.formulas and kept:
            self._fill_formulas(sheet, kept)
        return kept

    def _fill_formulas(self, sheet: str, kept: list[Sequence[Any]]) -> None:
        """Read a formula never calculated (no value shown) as its text, e.g. ``=A1+1``."""
        from openpyxl import load_workbook

        if self._typed is None:
            self._typed = load_workbook(io.BytesIO(self.data), read_only=True, data_only=False,
                                        keep_links=False)
        typed = self._rows(self._typed, sheet, len(kept))
        for row, formulas in zip(kept, typed, strict=False):
            for at, formula in enumerate(formulas[: len(row)]):
                if row[at] is None and formula is not None and isinstance(row, list):
                    row[at] = str(getattr(formula, "text", formula))


# --------------------------------------------------------------------------- grids


def _open(path: str | os.PathLike[str], limits: Limits) -> tuple[str, str, bytes]:
    source = Path(path)
    name = source.name
    suffix = source.suffix.lower()
    if suffix not in _SUFFIXES:
        raise AssuredKitError(
            f"cannot read a {suffix or 'suffix-less'} file",
            file=name,
            allowed=".csv or .xlsx",
            hint="an old .xls workbook: save it as .xlsx or CSV" if suffix == ".xls" else None,
        )
    try:
        size = source.stat().st_size
        if size > limits.max_bytes:
            raise AssuredKitError(
                f"the file is {_megabytes(size)}, too large to be {limits.what}",
                file=name,
                allowed=f"at most {_megabytes(limits.max_bytes)}",
                hint="the wrong file, or a table with many rows pasted under it",
            )
        data = source.read_bytes()
    except FileNotFoundError as exc:
        raise AssuredKitError(
            "the file does not exist", file=source, hint="a typing slip in the path"
        ) from exc
    except IsADirectoryError as exc:
        raise AssuredKitError("this is a folder, not a file", file=source) from exc
    return name, suffix, data


def iter_grids(
    path: str | os.PathLike[str],
    *,
    is_header: Callable[[list[str]], bool],
    limits: Limits,
    sheets: Sequence[str] | None = None,
    marker: str | None = None,
    first_row_only: bool = False,
    lenient: bool = False,
) -> Iterator[Grid]:
    """Yield the tables in a CSV or XLSX file whose header is found, each read when asked for.

    A CSV file yields at most one table (the separator that splits it best). A workbook yields
    one table per visible sheet with a header, in order: sheets a defined name ``marker``
    points at first. A sheet is read in full (within ``limits``) only when its table is asked
    for; the others are read only as far as a header may be.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.txt``, ``.tsv`` or ``.xlsx`` file.
    is_header : callable
        Called with a row's stripped cells; true for the header row.
    limits : Limits
        How large the table may be.
    sheets : sequence of str, optional
        Read only these sheets of a workbook (hidden or not); an error when none exists.
    marker : str, optional
        A defined name marking the sheets to try first.
    first_row_only : bool
        Look for the header only in the first non-blank row.
    lenient : bool
        Read the few bytes Windows-1252 leaves undefined as the replacement character
        instead of refusing the file (see `decode_text`).

    Yields
    ------
    Grid

    Raises
    ------
    AssuredKitError
        For a missing, unknown, protected, oversized or unreadable file, or a value beyond
        ``limits``.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "book.xlsx"
    >>> book = openpyxl.Workbook()
    >>> book.active.title, book.active["A1"] = "Notes", "scratch"
    >>> table = book.create_sheet("Table")
    >>> table.append(["x", "y"]); table.append(["NA", 2]); book.save(p)
    >>> limits = Limits("a test table", max_rows=10, max_columns=5)
    >>> [(g.where, g.rows) for g in iter_grids(p, is_header=lambda c: "x" in c, limits=limits)]
    [("book.xlsx, sheet 'Table'", [(2, ['NA', 2])])]
    """
    name, suffix, data = _open(path, limits)
    if data.startswith(_CFB_MAGIC):
        _refuse_container(data, name)
    if data.startswith(b"PK\x03\x04"):
        yield from _workbook_grids(data, name, is_header, limits, sheets, marker, first_row_only)
        return
    if suffix in {".xlsx", ".xlsm"}:
        raise AssuredKitError(
            "the file is not an XLSX workbook, so the workbook cannot be read",
            file=name,
            allowed="an .xlsx workbook saved by a spreadsheet program",
            hint="a CSV file renamed to .xlsx",
        )
    text = decode_text(data, name, lenient=lenient).rstrip("\r\n")  # blank lines at the end
    grid = _csv_grid(text, name, is_header, limits, first_row_only)
    if grid is not None:
        yield grid


def _workbook_grids(
    data: bytes,
    name: str,
    is_header: Callable[[list[str]], bool],
    limits: Limits,
    sheets: Sequence[str] | None,
    marker: str | None,
    first_row_only: bool,
) -> Iterator[Grid]:
    book = _Workbook(data, name, limits)
    try:
        if sheets is not None:
            tables = {w.title for w in book.book.worksheets}  # not chart sheets
            order = [s for s in sheets if s in tables]
            if not order:
                raise AssuredKitError(
                    f"the workbook has no sheet {' or '.join(repr(s) for s in sheets)}",
                    file=name,
                    allowed=f"{limits.what}, with its sheet {sheets[0]!r}",
                    hint="the sheet was renamed, or another workbook was given",
                )
        else:
            order = book.visible()
            if marker is not None:
                marked = [s for s in book.marked(marker) if s in order]
                order = marked + [s for s in order if s not in marked]
        for sheet in order:
            head = book.head(sheet)
            if _header_at(head, is_header, first_row_only) is None:
                continue
            rows = book.rows(sheet)
            grid = _find_header(rows, name, sheet, is_header, first_row_only)
            if grid is not None:
                yield grid
    finally:
        book.close()


def _csv_grid(
    text: str,
    name: str,
    is_header: Callable[[list[str]], bool],
    limits: Limits,
    first_row_only: bool,
) -> Grid | None:
    """Split CSV text with each plausible separator and keep the best table.

    The separator whose header is found, with the most rows as wide as the header, wins (the
    sniffed one at once when it fits perfectly).
    """
    best: tuple[tuple[bool, float, float, int], Grid] | None = None
    refusal: AssuredKitError | None = None
    for delimiter in _separators(text):
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows = _bounded(reader, name, limits, count_cells=False)
        except csv.Error:
            continue
        except AssuredKitError as err:  # a wrong separator may make rows look too wide
            refusal = refusal or err
            continue
        grid = _find_header(rows, name, None, is_header, first_row_only)
        if grid is None:
            continue
        score = _fit(grid, rows)
        if score[:3] == (True, 1.0, 1.0):
            return grid
        if best is None or score > best[0]:
            best = (score, grid)
    if best is None and refusal is not None:
        raise refusal
    return None if best is None else best[1]


def read_grid(
    path: str | os.PathLike[str],
    *,
    is_header: Callable[[list[str]], bool],
    what: str,
    limits: Limits,
    sheets: Sequence[str] | None = None,
    first_row_only: bool = False,
    lenient: bool = False,
) -> Grid:
    r"""Read the first table of a CSV or XLSX file, finding its header row.

    See `iter_grids` for what is read and refused.

    Parameters
    ----------
    path, is_header, limits, sheets, first_row_only, lenient
        As for `iter_grids`.
    what : str
        What the file should be, for the message when no header is found.

    Returns
    -------
    Grid

    Raises
    ------
    AssuredKitError
        For a missing file, an unknown suffix, an unreadable file or no header row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes("x;y\nNA;2\n".encode("cp1252"))
    >>> g = read_grid(p, is_header=lambda cells: "x" in cells, what="a test file",
    ...               limits=Limits("a test file", max_rows=10, max_columns=5))
    >>> g.header, g.rows
    (['x', 'y'], [(2, ['NA', '2'])])
    """
    grids = iter_grids(path, is_header=is_header, limits=limits, sheets=sheets,
                       first_row_only=first_row_only, lenient=lenient)
    try:
        for grid in grids:
            return grid
    finally:
        grids.close()  # closes the workbook at once
    raise AssuredKitError(
        f"no header row found: this does not look like {what}",
        file=Path(path).name,
        hint="the wrong file, or the header row was changed or deleted",
    )


def _fit(grid: Grid, rows: list[Sequence[Any]]) -> tuple[bool, float, float, int]:
    """Score how well a separator split a CSV file: several columns, rows as wide as the header.

    A well-formed file has as many fields in every row as in its header; a separator that
    splits text inside cells (or none at all) makes rows of other widths and loses.
    """
    raw_width = len(rows[grid.header_row - 1])
    body = [r for r in rows[grid.header_row :] if any(not is_blank(c) for c in r)]
    if not body:
        return (len(grid.header) > 1, 1.0, 1.0, len(grid.header))
    exact = sum(1 for r in body if len(r) == raw_width) / len(body)
    within = sum(1 for r in body if _trimmed_width(r) <= len(grid.header)) / len(body)
    return (len(grid.header) > 1, exact, within, len(grid.header))


def _trimmed_width(row: list[Any]) -> int:
    """Return the width of a row without its trailing empty cells."""
    width = len(row)
    while width and is_blank(row[width - 1]):
        width -= 1
    return width


def _header_at(
    rows: list[Sequence[Any]], is_header: Callable[[list[str]], bool], first_row_only: bool
) -> int | None:
    """Return the index of the header row among the first rows, or ``None``."""
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        cells = [cell_text(c).strip() for c in row]
        if first_row_only and not any(cells):
            continue
        if is_header(cells):
            return index
        if first_row_only:
            return None
    return None


def _find_header(
    rows: list[Sequence[Any]],
    name: str,
    sheet: str | None,
    is_header: Callable[[list[str]], bool],
    first_row_only: bool,
) -> Grid | None:
    index = _header_at(rows, is_header, first_row_only)
    if index is None:
        return None
    cells = [cell_text(c).strip() for c in rows[index]]
    while cells and not cells[-1]:
        cells.pop()
    width = len(cells)
    body = [
        (number, raw if len(raw) == width and type(raw) is list
         else (list(raw) + [None] * width)[:width])
        for number, raw in enumerate(rows[index + 1 :], start=index + 2)
    ]
    return Grid(
        file=name,
        header_row=index + 1,
        header=cells,
        above=[(i + 1, list(r)) for i, r in enumerate(rows[:index])],
        rows=body,
        sheet=sheet,
    )
