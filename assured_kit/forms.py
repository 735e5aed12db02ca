"""Importing online-form exports: one row per person, one column per question.

Microsoft Forms and similar tools export a "wide" table (CSV or XLSX): a few columns about the
response (``Id``, ``Start time``, ``Completion time``, ``Email``, ``Name``...) and then one column
per question. `import_form_export` (what ``Workshop.import_form_export`` calls) matches each
question column to a framework question:

- by the question id in the header, e.g. ``LA-DCS-1`` or ``[LA-DCS-1] What do I do ...``;
- or by the question's exact text (ignoring case, runs of white space and curly quotes).

A header that also ends with ``evidence`` (or ``how do I know?``) holds that question's evidence
level; one ending with ``note`` or ``comment`` its note, e.g. ``LA-DCS-1 evidence``.

Every response becomes one respondent, and every answer is recorded in one transaction: all or
nothing. Every problem in the file is reported at once, by row and column. Columns that look
like questions but match none, and questions in scope with no column, are listed in the result
rather than failing the import.

Names and e-mail addresses in the export are never stored unless ``label_column`` says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .safety import restore_cell
from .tabular import (
    Grid,
    Limits,
    ProblemList,
    cell_text,
    check_round,
    is_blank,
    parse_answer,
    read_grid,
)
from .text import NOTE_LIMIT, fold, match_authority, match_role

if TYPE_CHECKING:  # pragma: no cover
    from .store import Workshop

__all__ = ["FORM_LIMITS", "FormImport", "import_form_export", "match_form_columns"]

#: How large a form export may be: one row per response (5,000 is far beyond a region's
#: leaders) and up to 500 columns (60 questions, each with rating, evidence and note columns,
#: plus the form tool's own). Reading takes time per cell, so the export may hold at most
#: 100,000 cells (e.g. 500 responses to 60 questions with evidence and notes), and files and
#: workbooks (unpacked) at most 6 MB: the largest export allowed is read within a few seconds.
FORM_LIMITS = Limits("an online-form export", max_rows=5_000, max_columns=500,
                     max_bytes=6 * 2**20, max_unpacked=6 * 2**20, max_cells=100_000)

_QUESTION_ID = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{2,4})\s?[-‐–—]\s?(DCS|LM)\s?[-‐–—]\s?(\d{1,3})(?!\d)", re.IGNORECASE
)
_EVIDENCE_END = re.compile(r"(?:^|\b)(?:evidence(?: level)?|how do (?:i|we) know)\W*$")
_NOTE_END = re.compile(r"(?:^|\b)(?:notes?|comments?)\W*$")
_EDGES = " -–—:;,.()[]{}|/"
#: Column headers that describe a response rather than answer a question (folded).
RESPONSE_COLUMNS = frozenset(
    {
        "id",
        "response id",
        "respondent id",
        "start time",
        "completion time",
        "last modified time",
        "email",
        "e-mail",
        "email address",
        "name",
        "timestamp",
        "submitted",
        "submitted at",
        "submission time",
        "date",
        "time",
        "total points",
        "quiz feedback",
        "language",
        "ip address",
    }
)


@dataclass(frozen=True)
class FormImport:
    """What `import_form_export` did.

    Attributes
    ----------
    answers_recorded : int
        Answers recorded (rating or Don't know).
    respondents_added : int
        Respondents created, one per response with at least one answer.
    unmatched_columns : tuple of str
        Headers that look like questions but match none in the workshop (not imported).
    unmatched_questions : tuple of str
        Questions in the workshop's scope that no column answers.
    matched_columns : dict of str to str
        Header to what it holds, e.g. ``"LA-DCS-1"`` or ``"LA-DCS-1 evidence"``.
    ignored_columns : tuple of str
        Other columns, not imported (e.g. Id, Start time, Email).
    skipped_rows : tuple of int
        Rows with no answer at all (no respondent was created for them).
    """

    answers_recorded: int
    respondents_added: int
    unmatched_columns: tuple[str, ...]
    unmatched_questions: tuple[str, ...]
    matched_columns: dict[str, str]
    ignored_columns: tuple[str, ...] = ()
    skipped_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Column:
    position: int
    header: str
    question_id: str
    kind: str  # "rating" | "evidence" | "note"


def _kind_of(remainder: str) -> str | None:
    """Tell what a header holds from the words left once id and question text are removed."""
    rest = remainder.strip(_EDGES)
    if not rest or rest in {"rating", "confidence", "answer"}:
        return "rating"
    if len(rest.split()) > 5:  # a sentence, not a marker such as "evidence" or "comments"
        return None
    if _EVIDENCE_END.search(rest):
        return "evidence"
    if _NOTE_END.search(rest):
        return "note"
    return None


def _looks_like_question(header: str) -> bool:
    folded = fold(header)
    return bool(
        _QUESTION_ID.search(header) or folded.endswith("?") or len(folded.split()) >= 5
    )


def match_form_columns(
    header: Sequence[str], questions: pd.DataFrame, framework_questions: pd.DataFrame
) -> tuple[list[_Column], list[tuple[int, str, str]], list[int]]:
    """Match a form export's headers to questions.

    Returns
    -------
    matched : list
        One entry per question column (position, header, question id, kind).
    unmatched : list of (int, str, str)
        Position, header and the reason for columns that look like questions but match none.
    other : list of int
        Positions of the remaining columns.
    """
    in_scope = {str(q) for q in questions["question_id"]}
    texts = {
        fold(t): str(q)
        for q, t in zip(
            framework_questions["question_id"], framework_questions["text"], strict=True
        )
    }
    ids = {str(q) for q in framework_questions["question_id"]}
    text_of = dict(zip(texts.values(), texts.keys(), strict=True))
    matched: list[_Column] = []
    unmatched: list[tuple[int, str, str]] = []
    other: list[int] = []
    for position, raw in enumerate(header):
        name = raw.strip()
        if not name:
            other.append(position)
            continue
        found = _QUESTION_ID.search(name)
        question_id: str | None = None
        kind: str | None = None
        if found:
            candidate = f"{found.group(1).upper()}-{found.group(2).upper()}-{int(found.group(3))}"
            if candidate in ids:
                question_id = candidate
                rest = fold(name[: found.start()] + " " + name[found.end() :]).strip(_EDGES)
                text = text_of[candidate]
                if rest.startswith(text):
                    rest = rest[len(text) :]
                kind = _kind_of(rest) or "rating"
            else:
                unmatched.append((position, name, f"no question {candidate} in the framework"))
                continue
        else:
            folded = fold(name)
            for text, qid in sorted(texts.items(), key=lambda kv: -len(kv[0])):
                if folded.startswith(text):
                    kind = _kind_of(folded[len(text) :])
                    if kind is not None:
                        question_id = qid
                        break
        if question_id is None:
            if _looks_like_question(name) and fold(name) not in RESPONSE_COLUMNS:
                unmatched.append((position, name, "matches no question's id or exact text"))
            else:
                other.append(position)
            continue
        if question_id not in in_scope:
            reason = f"{question_id} is not among this workshop's questions"
            unmatched.append((position, name, reason))
            continue
        matched.append(_Column(position, name, question_id, kind or "rating"))
    return matched, unmatched, other


def _find_column(grid: Grid, wanted: str | None, what: str) -> int | None:
    if wanted is None:
        return None
    for position, name in enumerate(grid.header):
        if fold(name) == fold(wanted):
            return position
    raise AssuredKitError(
        f"no column {wanted!r} for the {what}",
        file=grid.where,
        row=grid.header_row,
        field=f"{what}_column",
        allowed=", ".join(repr(h) for h in grid.header if h),
        hint="a header spelt differently in the export",
    )


@dataclass
class _Response:
    row: int
    label: str
    role: str | None
    authority: str | None
    answers: list[tuple[str, int | None, int | None, str | None]]


def _is_form_header(cells: list[str]) -> bool:
    return any(cells)


def import_form_export(
    ws: Workshop,
    path: str | os.PathLike[str],
    *,
    label_column: str | None = None,
    role_column: str | None = None,
    authority_column: str | None = None,
    round: int = 1,
    default_role: str | None = None,
    author: str = "form import",
) -> FormImport:
    r"""Import a wide online-form export (one row per person) into a workshop, all or nothing.

    This is what ``Workshop.import_form_export(path, ...)`` calls. Question columns are matched
    by the question id in the header or by the question's exact text (see the module's notes);
    each response with at least one answer becomes a new respondent.

    Parameters
    ----------
    ws : Workshop
        The workshop to record into.
    path : str or path-like
        The export, ``.csv`` or ``.xlsx``; the header is its first row.
    label_column : str, optional
        The column holding each respondent's label. Without it (or where it is blank)
        respondents are labelled "Form response N". Not allowed for an anonymous workshop.
    role_column : str, optional
        The column holding each respondent's role (DCS, LM, Officer, Mixed; "Lead Member" and
        similar spellings are understood).
    authority_column : str, optional
        The column holding each respondent's authority (one of the workshop's authorities).
    round : int
        1 for a first vote, 2 for after discussion.
    default_role : str, optional
        The role where the role column is missing or blank. Without either, the role is the
        questions' own role when every question column is for one role (DCS or LM).
    author : str
        Recorded as the author of every answer.

    Returns
    -------
    FormImport
        Answers recorded, respondents added, unmatched columns and questions.

    Raises
    ------
    AssuredKitError
        Listing every problem by row and column (a rating off the scale, an unknown role or
        authority, a repeated label...). Nothing is written then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit.store import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ws = Workshop.create(folder / "w.workshop.sqlite", title="Example", themes=["PM"])
    >>> export = folder / "form.csv"
    >>> _ = export.write_text("Id,Email,PM-DCS-1,PM-DCS-2\n1,a@x,4,Don't know\n", "utf-8")
    >>> result = import_form_export(ws, export, default_role="DCS")
    >>> result.answers_recorded, result.respondents_added, len(result.unmatched_questions)
    (2, 1, 7)
    >>> ws.close()
    """
    check_round(round)
    grid = read_grid(
        path,
        is_header=_is_form_header,
        what="an online-form export (a header row, then one row per response)",
        limits=FORM_LIMITS,
        first_row_only=True,
    )
    if label_column is not None and ws.anonymity == "anonymous":
        raise AssuredKitError(
            "this workshop is anonymous, so respondents' labels are not kept",
            file=grid.where,
            field="label_column",
            allowed="no label_column: responses are labelled 'Form response N'",
            hint="a workshop created as anonymous; leave out label_column",
        )
    label_at = _find_column(grid, label_column, "label")
    role_at = _find_column(grid, role_column, "role")
    authority_at = _find_column(grid, authority_column, "authority")
    problems = ProblemList(grid.where)
    if default_role is not None and match_role(default_role) is None:
        raise AssuredKitError(
            f"{default_role!r} is not a role",
            field="default_role",
            allowed="DCS, LM, Officer, Mixed",
        )
    fallback_role = match_role(default_role) if default_role is not None else None

    questions = ws.questions()
    matched, unmatched, other = match_form_columns(
        grid.header, questions, ws.framework.questions
    )
    reserved = {p for p in (label_at, role_at, authority_at) if p is not None}
    matched = [c for c in matched if c.position not in reserved]
    unmatched = [u for u in unmatched if u[0] not in reserved]
    seen: dict[tuple[str, str], str] = {}
    for column in matched:
        key = (column.question_id, column.kind)
        if key in seen:
            problems.add(
                f"columns {seen[key]!r} and {column.header!r} both hold {column.question_id}"
                + ("" if column.kind == "rating" else f" {column.kind}"),
                row=grid.header_row,
                column=column.header,
                hint="a question asked twice in the form; delete one column",
            )
        seen[key] = column.header
    if fallback_role is None and role_at is None:
        roles = {str(ws.framework.question(c.question_id)["role"]) for c in matched}
        if len(roles) == 1:
            fallback_role = roles.pop()
    if not matched:
        raise AssuredKitError(
            "no column matches a question of this workshop",
            file=grid.where,
            row=grid.header_row,
            allowed="headers holding a question id (e.g. '[LA-DCS-1] What do I ...') or a "
            "question's exact text",
            hint="a form built from other questions, or headers shortened by the form tool",
        )

    responses, skipped = _read_responses(
        ws, grid, matched, problems, label_at=label_at, role_at=role_at,
        authority_at=authority_at, fallback_role=fallback_role,
    )
    problems.raise_if_any()
    recorded = 0
    try:
        with ws.batch():
            for response in responses:
                rid = ws.add_respondent(
                    response.label,
                    role=response.role,
                    authority=response.authority,
                    kind="person",
                    author=author,
                )
                for question_id, rating, evidence, note in response.answers:
                    ws.record(
                        rid,
                        question_id,
                        rating,
                        dont_know=rating is None,
                        evidence=evidence,
                        note=note,
                        round=round,
                        author=author,
                    )
                    recorded += 1
    except AssuredKitError as err:
        raise AssuredKitError(
            f"nothing was imported: {err}", file=grid.where, hint=err.hint
        ) from err
    answered = {c.question_id for c in matched}
    return FormImport(
        answers_recorded=recorded,
        respondents_added=len(responses),
        unmatched_columns=tuple(name for _, name, _ in unmatched),
        unmatched_questions=tuple(
            str(q) for q in questions["question_id"] if str(q) not in answered
        ),
        matched_columns={
            c.header: c.question_id + ("" if c.kind == "rating" else f" {c.kind}") for c in matched
        },
        ignored_columns=tuple(
            grid.header[p] for p in other if grid.header[p] and p not in reserved
        ),
        skipped_rows=tuple(skipped),
    )


def _next_form_number(ws: Workshop) -> int:
    numbers = [
        int(m.group(1))
        for label in ws.respondents()["label"]
        if (m := re.fullmatch(r"form response (\d+)", fold(label)))
    ]
    return max(numbers, default=0) + 1


def _read_responses(
    ws: Workshop,
    grid: Grid,
    matched: list[_Column],
    problems: ProblemList,
    *,
    label_at: int | None,
    role_at: int | None,
    authority_at: int | None,
    fallback_role: str | None,
) -> tuple[list[_Response], list[int]]:
    existing = {fold(label): str(label) for label in ws.respondents()["label"]}
    authorities = list(ws.details.get("authorities") or [])
    labels_in_file: dict[str, int] = {}
    next_number = _next_form_number(ws)
    responses: list[_Response] = []
    skipped: list[int] = []
    by_question: dict[str, dict[str, _Column]] = {}
    for column in matched:
        by_question.setdefault(column.question_id, {})[column.kind] = column

    def header(at: int | None) -> str | None:
        return None if at is None else grid.header[at]

    for number, row in grid.rows:
        if all(is_blank(v) for v in row):
            continue
        answers = _row_answers(ws, row, number, by_question, problems)
        if answers is None:
            skipped.append(number)
            continue
        label = str(restore_cell(cell_text(row[label_at]))).strip() if label_at is not None else ""
        if not label:
            label = f"Form response {next_number}"
            next_number += 1
        if fold(label) in existing:
            problems.add(
                f"respondent {label!r} is already in the workshop",
                row=number,
                column=header(label_at),
                hint="the same export imported twice, or two people with one label",
            )
        elif fold(label) in labels_in_file:
            problems.add(
                f"label {label!r} appears again (first at row {labels_in_file[fold(label)]})",
                row=number,
                column=header(label_at),
                hint="one person answered twice; keep one response",
            )
        labels_in_file.setdefault(fold(label), number)
        role = fallback_role
        if role_at is not None and not is_blank(row[role_at]):
            role = match_role(cell_text(row[role_at]))
            if role is None:
                problems.add(
                    f"{cell_text(row[role_at]).strip()!r} is not a role",
                    row=number,
                    column=header(role_at),
                    allowed="DCS, LM, Officer, Mixed (or Lead Member, Senior officer, Mixed table)",
                    hint="a job title typed instead of one of the roles",
                )
        elif role is None:
            problems.add(
                "no role for this response",
                row=number,
                column=header(role_at),
                allowed="a role column (role_column=) or default_role= DCS, LM, Officer or Mixed",
                hint="the form has questions for both roles and no role column",
            )
        authority = None
        if authority_at is not None and not is_blank(row[authority_at]):
            text = cell_text(row[authority_at]).strip()
            authority = match_authority(text, authorities)
            if authority is None:
                problems.add(
                    f"{text!r} is not one of this workshop's authorities",
                    row=number,
                    column=header(authority_at),
                    allowed=", ".join(authorities) or "none (the list is empty)",
                    hint="a misspelling, or an authority missing from the workshop's list",
                )
        responses.append(_Response(number, label, role, authority, answers))
    return responses, skipped


def _row_answers(
    ws: Workshop,
    row: list[Any],
    number: int,
    by_question: dict[str, dict[str, _Column]],
    problems: ProblemList,
) -> list[tuple[str, int | None, int | None, str | None]] | None:
    """Return the answers in one response, or ``None`` when it answers nothing at all."""
    answers = []
    anything = False
    for question_id, columns in by_question.items():
        cells = {kind: row[c.position] for kind, c in columns.items()}
        rating_cell = cells.get("rating")
        evidence_cell = cells.get("evidence")
        note_text = restore_cell(cell_text(cells.get("note")))
        note = note_text if isinstance(note_text, str) and note_text.strip() else None
        extras = [k for k, v in (("evidence", evidence_cell), ("note", note)) if not is_blank(v)]
        if is_blank(rating_cell):
            if extras:
                anything = True
                where = columns.get("rating") or columns[extras[0]]
                problems.add(
                    f"{question_id} has {' and '.join(extras)} but no rating",
                    row=number,
                    column=where.header,
                    allowed=ws.scale.describe_allowed(),
                    hint="the rating question was skipped in the form",
                )
            continue
        anything = True
        ok, rating = parse_answer(
            ws.scale, rating_cell, problems, row=number, column=columns["rating"].header
        )
        evidence = None
        if not is_blank(evidence_cell):
            ok_e, evidence = parse_answer(
                ws.evidence_scale,
                evidence_cell,
                problems,
                row=number,
                column=columns["evidence"].header,
            )
            ok = ok and ok_e
        if note is not None and len(note.strip()) > NOTE_LIMIT:
            problems.add(
                f"the note is {len(note.strip())} characters long",
                row=number,
                column=columns["note"].header,
                allowed=f"at most {NOTE_LIMIT} characters",
                hint="a long text pasted in; shorten it",
            )
            ok = False
        if ok:
            answers.append((question_id, rating, evidence, note))
    return answers if anything else None
