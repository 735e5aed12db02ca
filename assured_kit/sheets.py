"""Offline rating sheets: a blank sheet to fill in on paper or in Excel, and its import.

`write_rating_sheet` writes a blank sheet, XLSX (drop-down lists for the rating and the
evidence level, instructions on a second sheet) or CSV (UTF-8 with a byte-order mark), with
the same layout in both: a few rows about the respondent at the top (``Workshop``,
``Respondent``, ``Role``, ``Authority``, ``Scale``), then a table with one row per question::

    question_id | theme | role | number | question | rating | evidence | note

`import_rating_sheet` (what ``Workshop.import_rating_sheet`` calls) reads a filled sheet back
into a workshop, all or nothing: every problem in the file is reported at once, by row and
column, in one `AssuredKitError`, and nothing is written unless every row is valid.

It accepts what spreadsheet programs really write: UTF-8 with or without a byte-order mark,
Windows-1252 and UTF-16 text, comma, semicolon or tab separators, ratings typed as ``4``,
``4.0``, ``4 - Mostly confident`` or the label alone, "Don't know", trailing blank rows and
extra columns. A blank rating means the question was not answered and is skipped.

Reading the file (encodings, separators, the size limits in `SHEET_LIMITS`, refusing hostile
workbooks) is `assured_kit.tabular`'s work. What is particular to a rating sheet lives here:

- the sheet read is one with a rating-sheet header; in a workbook the sheets the template's
  marker (the defined name ``AssuredKitRatingSheet``) points at are tried first, so a scratch
  sheet in front is passed over. When two sheets hold answers (e.g. ``Rating sheet`` and a copy
  ``Rating sheet (2)``) the import is refused, naming both; every message names the sheet read;
- a row whose question text is not its question_id's text (rows sorted or pasted out of step
  with the question_id column) is refused, naming the row, unless the text cell was cleared.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .glossary import help_text, terms_used
from .safety import neutralise_cell, restore_cell
from .tabular import (
    Grid,
    Limits,
    ProblemList,
    cell_text,
    check_round,
    is_blank,
    iter_grids,
    parse_answer,
)
from .text import NOTE_LIMIT, fold, match_authority, match_role, roles_allowed

if TYPE_CHECKING:  # pragma: no cover
    from .framework import Framework
    from .scales import Scale
    from .store import Workshop

__all__ = [
    "SHEET_COLUMNS",
    "SHEET_HELP_HEADER",
    "SHEET_LIMITS",
    "SHEET_MARKER",
    "answer_choices",
    "import_rating_sheet",
    "write_rating_sheet",
]

#: The columns of a rating sheet's table, in order.
SHEET_COLUMNS = ("question_id", "theme", "role", "number", "question", "rating", "evidence", "note")
#: The keys of the rows above the table, as written.
_DETAIL_KEYS = ("Workshop", "Respondent", "Role", "Authority", "Scale")
_SHEET_TITLE = "Rating sheet"
_HELP_TITLE = "How to fill in"
_LISTS_TITLE = "Lists"
_GLOSSARY_TITLE = "Glossary"
#: The written-only column after the table: terms and editorial notes (the import ignores it).
SHEET_HELP_HEADER = "help: terms and editorial notes"
#: The defined name the XLSX template gives its table's header row: the rating sheet's marker.
SHEET_MARKER = "AssuredKitRatingSheet"
#: How large a rating sheet may be: a sheet holds about 60 questions, so 5,000 rows and 100
#: columns leave room for notes, extra columns and blank rows while refusing a stray value
#: far away (e.g. in H1048576) at once. Reading takes time per cell, so the sheet may hold at
#: most 50,000 cells (values or formatting; a filled sheet has under 1,000), and files and
#: workbooks (unpacked) at most 4 MB: the largest sheet allowed is read within a few seconds.
SHEET_LIMITS = Limits("a rating sheet", max_rows=5_000, max_columns=100, max_bytes=4 * 2**20,
                      max_unpacked=4 * 2**20, max_cells=50_000)
_INPUT_FILL = "FFF2CC"
_FIXED_FILL = "F2F2F2"
_HEADER_FILL = "DCE6F1"
# --------------------------------------------------------------------------- writing


def _sheet_setup(
    framework: Framework | str | os.PathLike[str] | None,
    scale: Scale | str,
    themes: Sequence[str] | None,
    roles: Sequence[str] | None,
    workshop: Workshop | None,
) -> tuple[Framework, pd.DataFrame, Scale, Scale, list[str], str]:
    from .framework import Framework, get_scale, load_framework

    if workshop is not None:
        fw = workshop.framework
        questions = workshop.questions()
        return (
            fw,
            questions,
            workshop.scale,
            workshop.evidence_scale,
            list(workshop.details.get("authorities") or fw.authorities),
            str(workshop.details.get("title", "")),
        )
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    chosen = fw.scales[scale] if isinstance(scale, str) and scale in fw.scales else get_scale(scale)
    questions = fw.questions
    if themes is not None:
        for theme_id in themes:
            fw.theme_title(theme_id)
        questions = questions[questions["theme_id"].isin(list(themes))]
    if roles is not None:
        for role in roles:
            if role not in ("DCS", "LM"):
                raise AssuredKitError(
                    f"no question role {role!r}",
                    field="roles",
                    allowed="DCS, LM",
                    hint="questions are addressed to a DCS or a Lead Member (LM)",
                )
        questions = questions[questions["role"].isin(list(roles))]
    if questions.empty:
        raise AssuredKitError(
            "no questions are left after choosing themes and roles",
            field="themes",
            allowed=", ".join(fw.theme_ids),
        )
    evidence = fw.scales["evidence"]
    return fw, questions.reset_index(drop=True), chosen, evidence, list(fw.authorities), ""


def answer_choices(scale: Scale) -> list[str]:
    """Return a scale's drop-down entries: ``"4 - Mostly confident"`` style, then Don't know.

    Examples
    --------
    >>> from assured_kit import get_scale
    >>> answer_choices(get_scale("rag"))
    ['1 - Red', '2 - Amber', '3 - Green', "Don't know"]
    """
    from .scales import DONT_KNOW_LABEL

    return [f"{v} - {label}" for v, label in zip(scale.values, scale.labels, strict=True)] + [
        DONT_KNOW_LABEL
    ]


def _evidence_choices(evidence: Scale) -> list[str]:
    return [f"{v} - {label}" for v, label in zip(evidence.values, evidence.labels, strict=True)]


def _instructions(scale: Scale, evidence: Scale) -> list[str]:
    return [
        "Fill in the yellow cells: your name or label, your role and authority at the top, "
        "then a rating for each question.",
        f"Rating: pick from the list or type the number ({scale.minimum} to {scale.maximum}) or "
        "the words. Leave it blank to skip a question.",
        "Don't know is an answer of its own: it is never counted as a low rating.",
        f"The evidence column ({evidence.title}) and the note are optional.",
        "Do not change the question_id column: it links each answer to its question.",
        "The last column explains 2010 terms and notes slips in the 2010 text; in the .xlsx "
        "version the Glossary sheet gives each term's meaning then and today, with sources.",
    ]


def _table_rows(fw: Framework, questions: pd.DataFrame) -> list[list[Any]]:
    titles = {t: fw.theme_title(t) for t in fw.theme_ids}
    return [
        [
            str(q["question_id"]),
            titles.get(str(q["theme_id"]), str(q["theme_id"])),
            str(q["role"]),
            int(q["number"]),
            str(q["text"]),
            None,
            None,
            None,
            help_text(fw, str(q["question_id"])) or None,
        ]
        for _, q in questions.iterrows()
    ]


def write_rating_sheet(
    path: str | os.PathLike[str],
    *,
    framework: Framework | str | os.PathLike[str] | None = None,
    scale: Scale | str = "confidence",
    themes: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    workshop: Workshop | None = None,
    respondent_label: str = "",
) -> Path:
    """Write a blank offline rating sheet (``.xlsx`` or ``.csv``) to fill in on paper or in Excel.

    The sheet starts with rows for the workshop, the respondent's label, role and authority and
    the scale, then one row per question: ``question_id, theme, role, number, question, rating,
    evidence, note``. The XLSX sheet has drop-down lists for the rating (``"4 - Mostly
    confident"`` style entries plus "Don't know"), the evidence level, the role and the
    authority, wrapped question text, and instructions on a second sheet. The CSV has the same
    rows, UTF-8 with a byte-order mark. Bring a filled sheet back with
    `import_rating_sheet`. Written atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write; ``.xlsx`` or ``.csv``.
    framework : Framework or folder, optional
        The framework (the bundled edition by default). Ignored with ``workshop``.
    scale : str or Scale
        The rating scale (``"confidence"`` by default). Ignored with ``workshop``.
    themes, roles : sequence of str, optional
        Only these themes (e.g. ``["LA", "WF"]``) and question roles (``"DCS"``, ``"LM"``).
        Ignored with ``workshop``.
    workshop : Workshop, optional
        Take the questions in scope, the scale, the title and the authorities from a workshop.
    respondent_label : str
        Pre-fill the respondent's label.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AssuredKitError
        For another suffix, an unknown theme, role or scale.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_rating_sheet(pathlib.Path(tempfile.mkdtemp()) / "sheet.csv", themes=["PM"])
    >>> p.read_text(encoding="utf-8-sig").count("PM-")
    9
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        raise AssuredKitError(
            f"cannot write a rating sheet as a {suffix or 'suffix-less'} file",
            file=target,
            allowed=".xlsx (with drop-down lists) or .csv",
            hint="a missing or misspelt suffix",
        )
    fw, questions, chosen, evidence, authorities, title = _sheet_setup(
        framework, scale, themes, roles, workshop
    )
    table = _table_rows(fw, questions)
    details = [
        ["Workshop", title],
        ["Respondent", respondent_label],
        ["Role", ""],
        ["Authority", ""],
        ["Scale", chosen.scale_id],
    ]
    if suffix == ".csv":
        return _write_sheet_csv(target, details, table, chosen, evidence)
    glossary = terms_used(fw, questions["question_id"].astype(str))
    return _write_sheet_xlsx(target, details, table, chosen, evidence, authorities, glossary)


def _write_sheet_csv(
    target: Path, details: list[list[Any]], table: list[list[Any]], scale: Scale, evidence: Scale
) -> Path:
    from .exports import atomic_write

    width = len(SHEET_COLUMNS) + 1
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Assured Safeguarding rating sheet"] + [""] * (width - 1))
    for key, value in details:
        extra = "; ".join(answer_choices(scale)) if key == "Scale" else ""
        writer.writerow([key, neutralise_cell(value), extra] + [""] * (width - 3))
    help_text = " ".join(_instructions(scale, evidence))
    writer.writerow(["How to fill in", help_text] + [""] * (width - 2))
    writer.writerow(["Evidence", "; ".join(_evidence_choices(evidence))] + [""] * (width - 2))
    writer.writerow([""] * width)
    writer.writerow([*SHEET_COLUMNS, SHEET_HELP_HEADER])
    for row in table:
        writer.writerow(["" if v is None else neutralise_cell(v) for v in row])
    data = out.getvalue().encode("utf-8-sig")
    return atomic_write(target, lambda f: f.write(data))


def _write_sheet_xlsx(
    target: Path,
    details: list[list[Any]],
    table: list[list[Any]],
    scale: Scale,
    evidence: Scale,
    authorities: list[str],
    glossary: pd.DataFrame,
) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    from .exports import atomic_write
    from .text import RESPONDENT_ROLES

    book = Workbook()
    sheet = book.active
    sheet.title = _SHEET_TITLE
    bold = Font(bold=True)
    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    input_fill = PatternFill("solid", fgColor=_INPUT_FILL)
    fixed_fill = PatternFill("solid", fgColor=_FIXED_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")

    # Lists for the drop-downs live on a hidden sheet, so labels may hold commas.
    lists = book.create_sheet(_LISTS_TITLE)
    columns = {
        "A": answer_choices(scale),
        "B": _evidence_choices(evidence),
        "C": list(RESPONDENT_ROLES),
        "D": authorities or [""],
    }
    for letter, values in columns.items():
        for i, value in enumerate(values, start=1):
            lists[f"{letter}{i}"] = neutralise_cell(value)
    lists.sheet_state = "hidden"

    def list_rule(letter: str, prompt: str) -> DataValidation:
        count = len(columns[letter])
        rule = DataValidation(
            type="list",
            formula1=f"{_LISTS_TITLE}!${letter}$1:${letter}${count}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="Not on the list",
            error=prompt,
            showInputMessage=True,
            promptTitle="Choose from the list",
            prompt=prompt,
        )
        sheet.add_data_validation(rule)
        return rule

    sheet["A1"] = "Assured Safeguarding rating sheet"
    sheet["A1"].font = Font(bold=True, size=14)
    for offset, (key, value) in enumerate(details, start=2):
        sheet.cell(row=offset, column=1, value=key).font = bold
        cell = sheet.cell(row=offset, column=2, value=neutralise_cell(value) or None)
        cell.border = box
        cell.fill = fixed_fill if key in {"Workshop", "Scale"} else input_fill
    scale_row = 2 + _DETAIL_KEYS.index("Scale")
    sheet.cell(row=scale_row, column=3, value=f"{scale.title}: " + "; ".join(answer_choices(scale)))
    for offset, text in enumerate(_instructions(scale, evidence), start=2):
        sheet.cell(row=offset, column=5, value=text).alignment = Alignment(vertical="top")
    list_rule("C", f"Pick a role: {', '.join(RESPONDENT_ROLES)}").add(
        f"B{2 + _DETAIL_KEYS.index('Role')}"
    )
    list_rule("D", "Pick your authority from the list").add(
        f"B{2 + _DETAIL_KEYS.index('Authority')}"
    )

    header_row = len(details) + 3
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for j, name in enumerate([*SHEET_COLUMNS, SHEET_HELP_HEADER], start=1):
        cell = sheet.cell(row=header_row, column=j, value=name)
        cell.font = bold
        cell.fill = header_fill
        cell.border = box
    # The marker: the import finds this sheet by it, however many sheets are put in front.
    last_letter = get_column_letter(len(SHEET_COLUMNS))
    book.defined_names[SHEET_MARKER] = DefinedName(
        SHEET_MARKER, attr_text=f"'{_SHEET_TITLE}'!$A${header_row}:${last_letter}${header_row}"
    )
    widths = {"A": 12, "B": 26, "C": 7, "D": 8, "E": 70, "F": 24, "G": 20, "H": 40, "I": 50}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    first = header_row + 1
    for i, row in enumerate(table, start=first):
        for j, value in enumerate(row, start=1):
            cell = sheet.cell(row=i, column=j, value=neutralise_cell(value))
            cell.border = box
            cell.alignment = wrap
            cell.fill = input_fill if 6 <= j <= len(SHEET_COLUMNS) else fixed_fill
        lines = max(1, math.ceil(len(str(row[4])) / 80))
        sheet.row_dimensions[i].height = 15 * lines + 3
    last = first + len(table) - 1
    rating_letter = get_column_letter(SHEET_COLUMNS.index("rating") + 1)
    evidence_letter = get_column_letter(SHEET_COLUMNS.index("evidence") + 1)
    list_rule(
        "A", f"Pick a rating, or type {scale.minimum} to {scale.maximum}, or Don't know"
    ).add(f"{rating_letter}{first}:{rating_letter}{last}")
    list_rule("B", "Pick how you know (optional)").add(
        f"{evidence_letter}{first}:{evidence_letter}{last}"
    )
    sheet.freeze_panes = f"A{first}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    helper = book.create_sheet(_HELP_TITLE, 1)
    helper["A1"] = "How to fill in this rating sheet"
    helper["A1"].font = Font(bold=True, size=14)
    row = 3
    for text in _instructions(scale, evidence):
        helper.cell(row=row, column=1, value=text).alignment = wrap
        row += 1
    row += 1
    for heading, choices, descriptions in (
        (f"Rating: {scale.title}", answer_choices(scale), [*scale.levels["description"], ""]),
        (
            evidence.title,
            _evidence_choices(evidence),
            list(evidence.levels["description"]),
        ),
    ):
        helper.cell(row=row, column=1, value=heading).font = bold
        row += 1
        for choice, description in zip(choices, descriptions, strict=True):
            helper.cell(row=row, column=1, value=choice)
            helper.cell(row=row, column=2, value=str(description) or None).alignment = wrap
            row += 1
        row += 1
    helper.column_dimensions["A"].width = 90
    helper.column_dimensions["B"].width = 70
    _glossary_sheet(book, glossary, wrap=wrap)
    return atomic_write(target, book.save)


def _glossary_sheet(book: Any, entries: pd.DataFrame, *, wrap: Any) -> None:
    """Add a Glossary sheet: each 2010 term on the sheet, then and today, with its source."""
    from openpyxl.styles import Font

    if entries.empty:
        return
    sheet = book.create_sheet(_GLOSSARY_TITLE, 2)
    sheet["A1"] = "What the 2010 terms mean today"
    sheet["A1"].font = Font(bold=True, size=14)
    headings = ["Term", "Stands for", "In 2010", "Today", "Source", "Checked on"]
    columns = ["term", "stands_for", "meaning_in_2010", "today", "source", "checked_on"]
    for j, heading in enumerate(headings, start=1):
        sheet.cell(row=3, column=j, value=heading).font = Font(bold=True)
    for i, entry in enumerate(entries[columns].itertuples(index=False), start=4):
        for j, value in enumerate(entry, start=1):
            sheet.cell(row=i, column=j, value=neutralise_cell(value)).alignment = wrap
    for letter, width in zip("ABCDEF", [22, 30, 50, 60, 50, 12], strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"


# --------------------------------------------------------------------------- import


def _is_sheet_header(cells: list[str]) -> bool:
    folded = {fold(c).replace(" ", "_") for c in cells}
    return "question_id" in folded and "rating" in folded


def _holds_answers(grid: Grid) -> bool:
    """Tell whether any row of a rating-sheet table has a rating, evidence level or note."""
    keys = [fold(c).replace(" ", "_") for c in grid.header]
    answer_at = [i for i, k in enumerate(keys) if k in {"rating", "evidence", "note"}]
    return any(not is_blank(row[i]) for _, row in grid.rows for i in answer_at)


def _read_sheet(path: str | os.PathLike[str]) -> Grid:
    """Read the one table of a rating sheet: the sheet holding answers, found by its header.

    Sheets the template's marker points at are tried first. Two sheets holding answers are
    refused, naming both; with none, the first (marked) sheet is returned.
    """
    found: list[Grid] = []
    for grid in iter_grids(path, is_header=_is_sheet_header, limits=SHEET_LIMITS,
                           marker=SHEET_MARKER):
        found.append(grid)
        filled = [g for g in found if _holds_answers(g)]
        if len(filled) > 1:
            names = " and ".join(repr(g.sheet) for g in filled)
            raise AssuredKitError(
                f"answers were found in two sheets, {names}, so nothing was imported",
                file=grid.file,
                allowed="answers in one sheet of the workbook",
                hint="a copy of the rating sheet filled in as well; delete the sheet that is "
                "not wanted, or import each copy from a workbook of its own",
            )
    if not found:
        raise AssuredKitError(
            "no header row found: this does not look like a rating sheet (a header row with "
            "question_id and rating columns)",
            file=Path(path).name,
            hint="the wrong file, or the header row was changed or deleted",
        )
    return next((g for g in found if _holds_answers(g)), found[0])


def _column_index(grid: Grid, problems: ProblemList) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(grid.header):
        key = fold(name).replace(" ", "_")
        if key in SHEET_COLUMNS:
            if key in index:
                problems.add(
                    f"column {key!r} appears twice",
                    row=grid.header_row,
                    column=name,
                    hint="a copied column; delete one of them",
                )
            else:
                index[key] = position
    return index


def _details(grid: Grid) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    keys = {fold(k): k for k in _DETAIL_KEYS}
    for number, row in grid.above:
        if len(row) < 2:
            continue
        key = keys.get(fold(cell_text(row[0])).rstrip(":").strip())
        if key and key not in found:
            found[key] = (number, str(restore_cell(cell_text(row[1]))).strip())
    return found


@dataclass(frozen=True)
class _Answer:
    row: int
    question_id: str
    rating: int | None
    evidence: int | None
    note: str | None


def _read_answers(
    ws: Workshop, grid: Grid, columns: dict[str, int], problems: ProblemList
) -> list[_Answer]:
    in_scope = {str(q) for q in ws.questions()["question_id"]}
    questions = ws.framework.questions
    texts = {str(q): fold(t) for q, t in zip(questions["question_id"], questions["text"],
                                             strict=True)}
    seen: dict[str, int] = {}
    answers: list[_Answer] = []

    def get(row: list[Any], key: str) -> Any:
        position = columns.get(key)
        return None if position is None or position >= len(row) else row[position]

    for number, row in grid.rows:
        if all(is_blank(v) for v in row):
            continue
        raw_id = cell_text(get(row, "question_id")).strip()
        raw_rating = get(row, "rating")
        raw_evidence = get(row, "evidence")
        raw_note = get(row, "note")
        note_text = restore_cell(cell_text(raw_note))
        note = note_text if isinstance(note_text, str) and note_text.strip() else None
        answered = not is_blank(raw_rating)
        extras = [n for n, v in (("evidence", raw_evidence), ("note", note)) if not is_blank(v)]
        if not answered and not extras:
            continue  # a question left unanswered (whatever its id): nothing to import
        if not raw_id:
            problems.add(
                "the question_id is blank but the row holds an answer",
                row=number,
                column="question_id",
                hint="the question_id cell was cleared or the row was pasted in",
            )
            continue
        question_id = fold(raw_id).upper().replace(" ", "")
        if question_id not in texts:
            problems.add(
                f"no question {raw_id!r}",
                row=number,
                column="question_id",
                allowed="ids such as LA-DCS-1 or PM-LM-5, as the blank sheet gives them",
                hint="the cell was edited, or the sheet comes from another framework",
            )
            continue
        if question_id not in in_scope:
            problems.add(
                f"question {question_id} is not among this workshop's questions",
                row=number,
                column="question_id",
                hint="a sheet written for another workshop; write one for this workshop",
            )
            continue
        typed_text = fold(restore_cell(cell_text(get(row, "question"))))
        if typed_text and typed_text != texts[question_id]:
            problems.add(
                f"the question_id says {question_id} but the question in this row is another "
                "one, so the answer could be stored against the wrong question",
                row=number,
                column="question_id",
                allowed="the question_id and question of one row of the blank sheet",
                hint="rows sorted or pasted without their question_id cells, or ids typed over; "
                "copy the question_id and question cells back from a blank sheet",
            )
            continue
        if question_id in seen:
            problems.add(
                f"question {question_id} appears again (first at row {seen[question_id]})",
                row=number,
                column="question_id",
                hint="a copied row; keep one answer per question",
            )
            continue
        seen[question_id] = number
        if not answered:
            problems.add(
                f"the rating is blank but the row has {' and '.join(extras)}",
                row=number,
                column="rating",
                allowed=ws.scale.describe_allowed(),
                hint="a rating forgotten; choose Don't know if unsure",
            )
            continue
        ok, rating = parse_answer(ws.scale, raw_rating, problems, row=number, column="rating")
        evidence = None
        if not is_blank(raw_evidence):
            ok_e, evidence = parse_answer(
                ws.evidence_scale, raw_evidence, problems, row=number, column="evidence"
            )
            ok = ok and ok_e
        if note is not None and len(note.strip()) > NOTE_LIMIT:
            problems.add(
                f"the note is {len(note.strip())} characters long",
                row=number,
                column="note",
                allowed=f"at most {NOTE_LIMIT} characters",
                hint="a long text pasted in; shorten it",
            )
            ok = False
        if ok:
            answers.append(_Answer(number, question_id, rating, evidence, note))
    return answers


def import_rating_sheet(
    ws: Workshop,
    path: str | os.PathLike[str],
    *,
    label: str | None = None,
    role: str | None = None,
    authority: str | None = None,
    respondent_id: str | None = None,
    round: int = 1,
    author: str = "sheet import",
) -> int:
    r"""Record a filled rating sheet in a workshop, all or nothing.

    This is what ``Workshop.import_rating_sheet(path, ...)`` calls. The respondent is the one
    given by ``respondent_id``, or the one whose label is ``label`` (or the sheet's
    ``Respondent`` cell), created if new with ``role`` and ``authority`` (or the sheet's
    cells). Every answered row is recorded in one transaction; a blank rating is skipped.

    Parameters
    ----------
    ws : Workshop
        The workshop to record into.
    path : str or path-like
        The filled sheet, ``.xlsx`` or ``.csv``.
    label, role, authority : str, optional
        The respondent; each overrides the sheet's own cell.
    respondent_id : str, optional
        An existing respondent to record for (then label, role and authority are not used).
    round : int
        1 for a first vote, 2 for after discussion.
    author : str
        Recorded as the author of every answer.

    Returns
    -------
    int
        The number of answers recorded.

    Raises
    ------
    AssuredKitError
        Listing every problem in the file by row and column (an unknown or repeated question,
        a rating or evidence level off the scale, an evidence level or note without a rating,
        a missing or unknown role or authority...). Nothing is written then.

    Examples
    --------
    >>> import tempfile, pathlib, csv
    >>> from assured_kit.store import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ws = Workshop.create(folder / "w.workshop.sqlite", title="Example", themes=["PM"])
    >>> sheet = write_rating_sheet(folder / "s.csv", workshop=ws)
    >>> rows = list(csv.reader(sheet.read_text(encoding="utf-8-sig").splitlines()))
    >>> rows[-1][5] = "4 - Mostly confident"
    >>> _ = sheet.write_text("\n".join(",".join(f'"{c}"' for c in r) for r in rows), "utf-8")
    >>> import_rating_sheet(ws, sheet, label="Pat", role="LM")
    1
    >>> ws.close()
    """
    check_round(round)
    grid = _read_sheet(path)
    problems = ProblemList(grid.where)
    columns = _column_index(grid, problems)
    details = _details(grid)
    target = _resolve_respondent(
        ws, details, problems, label=label, role=role, authority=authority,
        respondent_id=respondent_id,
    )
    answers = _read_answers(ws, grid, columns, problems)
    if not problems and not answers:
        problems.add(
            "no answers found: every rating is blank",
            column="rating",
            hint="the wrong file, or the sheet was saved before it was filled in",
        )
    problems.raise_if_any()
    assert target is not None  # a missing respondent is a problem above
    try:
        with ws.batch():
            rid = target.respondent_id
            if rid is None:
                rid = ws.add_respondent(
                    target.label, role=target.role, authority=target.authority, author=author
                )
            for answer in answers:
                ws.record(
                    rid,
                    answer.question_id,
                    answer.rating,
                    dont_know=answer.rating is None,
                    evidence=answer.evidence,
                    note=answer.note,
                    round=round,
                    author=author,
                )
    except AssuredKitError as err:
        raise AssuredKitError(
            f"nothing was imported: {err}", file=grid.where, hint=err.hint
        ) from err
    return len(answers)


@dataclass(frozen=True)
class _Target:
    respondent_id: str | None
    label: str
    role: str
    authority: str | None


def _resolve_respondent(
    ws: Workshop,
    details: dict[str, tuple[int, str]],
    problems: ProblemList,
    *,
    label: str | None,
    role: str | None,
    authority: str | None,
    respondent_id: str | None,
) -> _Target | None:
    respondents = ws.respondents()
    if respondent_id is not None:
        match = respondents[respondents["respondent_id"] == respondent_id]
        if match.empty:
            raise AssuredKitError(
                f"no respondent {respondent_id!r} in this workshop",
                field="respondent_id",
                hint="an id from another workshop; ids are only unique within a workshop",
            )
        first = match.iloc[0]
        return _Target(respondent_id, str(first["label"]), str(first["role"]), first["authority"])

    def detail(key: str, given: str | None) -> tuple[int | None, str]:
        if given is not None:
            return None, str(given).strip()
        row, value = details.get(key, (None, ""))
        return row, value

    label_row, label_text = detail("Respondent", label)
    role_row, role_text = detail("Role", role)
    authority_row, authority_text = detail("Authority", authority)
    scale_row, scale_text = details.get("Scale", (None, ""))
    if scale_text and scale_text != ws.scale.scale_id and fold(scale_text) != fold(ws.scale.title):
        problems.add(
            f"the sheet is for the {scale_text!r} scale but this workshop uses "
            f"{ws.scale.scale_id!r}",
            row=scale_row,
            column="Scale",
            hint="a sheet written for another workshop; write one for this workshop",
        )
    if not label_text:
        problems.add(
            "no respondent label",
            row=label_row,
            column="Respondent",
            allowed="a name, pseudonym or table label, in the sheet's Respondent cell or as label=",
            hint="the Respondent cell at the top was left blank",
        )
        return None
    existing = respondents[respondents["label"].map(fold) == fold(label_text)]
    role_value = match_role(role_text) if role_text else None
    if role_text and role_value is None:
        problems.add(
            f"{role_text!r} is not a role",
            row=role_row,
            column="Role",
            allowed=roles_allowed(),
            hint="a job title typed instead of one of the roles",
        )
    authority_value = None
    if authority_text:
        authority_value = match_authority(authority_text, ws.details.get("authorities") or [])
        if authority_value is None:
            problems.add(
                f"{authority_text!r} is not one of this workshop's authorities",
                row=authority_row,
                column="Authority",
                allowed=", ".join(ws.details.get("authorities") or []) or "none (empty list)",
                hint="a misspelling, or an authority missing from the workshop's list",
            )
    if not existing.empty:
        first = existing.iloc[0]
        if role_value is not None and role_value != str(first["role"]):
            problems.add(
                f"respondent {first['label']!r} is already in the workshop as {first['role']}, "
                f"not {role_value}",
                row=role_row,
                column="Role",
                hint="two people with the same label; give this sheet its own label",
            )
        return _Target(
            str(first["respondent_id"]), str(first["label"]), str(first["role"]), first["authority"]
        )
    if not role_text:
        problems.add(
            f"no role for the new respondent {label_text!r}",
            row=role_row,
            column="Role",
            allowed=roles_allowed(),
            hint="the Role cell at the top was left blank",
        )
        return None
    if role_value is None:
        return None
    return _Target(None, label_text, role_value, authority_value)
