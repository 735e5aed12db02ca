"""The analyst's workbook: summary tables as sheets a spreadsheet can sum, filter and pivot.

A report saved as ``.xlsx`` (`assured_kit.report.write_report`) goes through `write_tables`:

- shares stay numbers (0.45) shown in a percent format (45%), so SUM, averages and pivots work;
- a figure resting on too few people is a blank cell, never a word inside a numeric column, and
  a yes/no "Suppressed" column sits just before the figures it covers;
- headers are plain words ("People", "Share at the top of the scale"); a "Data dictionary"
  sheet gives each sheet's headers with the machine names (``n_respondents``, ``top_share``)
  that scripts and `assured_kit.summary` use, and what each means;
- every sheet prints on A4, one page wide, with its header row repeated (see
  `assured_kit.exports.write_workbook`).

Examples
--------
>>> column_heading("dcs_top_share")
'DCS: share at the top of the scale'
>>> column_heading("n_4", scale="confidence")
'Rated 4 (Mostly confident)'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .framework import get_scale
from .scales import Scale

__all__ = [
    "PERCENT_FORMAT",
    "column_heading",
    "column_meaning",
    "pivot_ready",
    "read_tables",
    "write_tables",
]

#: The number format of every share: a number from 0 to 1 shown as a whole percentage.
PERCENT_FORMAT = "0%"

# Machine name -> (heading, meaning). Prefixed names (dcs_, lm_, before_, after_, others_) and
# per-level names (n_4, evidence_share_2) are built from these.
_WORDS: dict[str, tuple[str, str]] = {
    "theme_id": ("Theme", "The framework theme's id (LA, CR, WF, PR, IN, PM)."),
    "theme_title": ("Theme title", "The theme's title in the framework."),
    "question_id": ("Question", "The framework question's id, e.g. WF-DCS-1."),
    "question_text": ("Question text", "The question's words in the framework."),
    "authority": ("Authority", "The authority (letters where other authorities are not named)."),
    "role": ("Role", "DCS, Lead Member (LM), Officer or Mixed table."),
    "workshop_id": ("Workshop", "The workshop file's id."),
    "year": ("Year", "The year the workshop was held."),
    "round": ("Round", "The voting round (2 after discussion)."),
    "n_respondents": ("People", "How many people gave an answer the figures rest on."),
    "n_answers": ("Answers", "All answers, Don't know included."),
    "n_rated": ("Rated answers", "Answers with a rating (Don't know not counted)."),
    "n_dont_know": ("Don't know answers", "Answers of Don't know."),
    "dont_know_share": ("Don't know share", "Don't know as a share of all answers."),
    "median": ("Median rating", "The middle rating of the rated answers."),
    "q1": ("Lower quartile", "A quarter of the rated answers are at or below this rating."),
    "q3": ("Upper quartile", "A quarter of the rated answers are at or above this rating."),
    "top_share": (
        "Share at the top of the scale",
        "Share of rated answers above the middle of the scale.",
    ),
    "bottom_share": (
        "Share at the bottom of the scale",
        "Share of rated answers below the middle of the scale.",
    ),
    "n_evidence": ("Answers with evidence", "Rated answers that say how they know."),
    "classification": (
        "Classification",
        "Strong, weak, contested, mixed, no ratings or suppressed (see Read me).",
    ),
    "suppressed": (
        "Suppressed",
        "Yes where the figures rest on too few people to show; those cells are blank.",
    ),
    "top_share_gap": (
        "Gap in the top share (DCS minus Lead Member)",
        "DCS top share minus Lead Member top share.",
    ),
    "apart": ("Apart", "Yes where the DCS and Lead Member views are far apart."),
    "why": ("Why", "The reason a pair or change is flagged."),
    "median_change": ("Change in median", "After minus before."),
    "top_share_change": ("Change in top share", "After minus before."),
    "notable": ("Notable", "Yes where the change is large enough to flag."),
    "value": ("Value", "The authority's own figure (the measure named in the Read me)."),
    "position": ("Position", "Where the authority sits against the other authorities."),
    "n": ("Answers", "Answers in this cell."),
    "rating": ("Rating", "The confidence level."),
    "rating_label": ("Rating label", "The confidence level's words."),
    "evidence": ("Evidence", "The evidence level (How do I know?)."),
    "evidence_label": ("Evidence label", "The evidence level's words."),
    "share_of_rating": (
        "Share of the rating's answers",
        "Share of the answers at this confidence level that rest on this evidence.",
    ),
    "unfounded": ("Unfounded", "Yes where high confidence rests on no or informal evidence."),
    "what": ("What", "The action."),
    "owner": ("Who", "Who owns the action."),
    "due": ("By when", "When the action is due."),
    "status": ("Status", "Open, done or dropped."),
    "text": ("Text", "The example of practice, as written."),
    "note": ("Note", "A participant's note, without who wrote it."),
}
_PREFIXES = {
    "dcs_": "DCS",
    "lm_": "Lead Member",
    "before_": "Before",
    "after_": "After",
    "others_": "Other authorities",
}
_OTHERS = {
    "others_n": ("Other authorities", "How many other authorities the spread rests on."),
    "others_min": ("Other authorities: lowest", "The lowest of the other authorities."),
    "others_q1": ("Other authorities: lower quartile", "A quarter are at or below this."),
    "others_median": ("Other authorities: median", "The middle of the other authorities."),
    "others_q3": ("Other authorities: upper quartile", "A quarter are at or above this."),
    "others_max": ("Other authorities: highest", "The highest of the other authorities."),
}
_LEVEL = re.compile(r"^n_(\d+)$")
_EVIDENCE_SHARE = re.compile(r"^evidence_share_(\d+)$")
_SHARES = re.compile(r"(^|_)share($|_)|share_of_rating|_gap$|_change$")


def _scale(scale: str | Scale | None) -> Scale:
    return get_scale(scale if scale is not None else "confidence")


def _describe(name: str, scale: str | Scale | None) -> tuple[str, str]:
    if name in _WORDS:
        return _WORDS[name]
    if name in _OTHERS:
        return _OTHERS[name]
    level = _LEVEL.match(name)
    if level:
        v = int(level.group(1))
        label = _scale(scale).label_for(v)
        return f"Rated {v} ({label})", f"Answers rated {v}, {label}."
    evidence = _EVIDENCE_SHARE.match(name)
    if evidence:
        e = int(evidence.group(1))
        label = get_scale("evidence").label_for(e)
        return (
            f"Evidence {e} ({label}) share",
            f"Share of the answers with evidence that rest on level {e}, {label}.",
        )
    for prefix, who in _PREFIXES.items():
        if name.startswith(prefix):
            heading, meaning = _describe(name[len(prefix) :], scale)
            return f"{who}: {heading[0].lower()}{heading[1:]}", f"{who}: {meaning}"
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:], ""


def column_heading(name: str, *, scale: str | Scale | None = None) -> str:
    """Return the plain-words header for a summary column's machine name.

    Examples
    --------
    >>> column_heading("n_respondents"), column_heading("before_top_share")
    ('People', 'Before: share at the top of the scale')
    """
    return _describe(name, scale)[0]


def column_meaning(name: str, *, scale: str | Scale | None = None) -> str:
    """Return one plain sentence saying what a summary column holds ("" when unknown).

    Examples
    --------
    >>> column_meaning("n_rated")
    "Answers with a rating (Don't know not counted)."
    """
    return _describe(name, scale)[1]


def _is_share(name: str) -> bool:
    return bool(_SHARES.search(name)) and not name.endswith("median_change")


def _flag_prefix(flag: str) -> str:
    return flag[: -len("suppressed")]


def pivot_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Blank every figure a suppression flag covers and put each flag just before its figures.

    A row flagged ``suppressed`` (or one side of it: ``dcs_suppressed``, ``after_suppressed``,
    ``others_suppressed``) keeps its keys, words and flag; its numbers become blank (missing),
    never a word in a numeric column, so sums and pivots still work.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"theme_id": ["LA", "WF"], "n_rated": [10, 2],
    ...                   "top_share": [0.5, 1.0], "suppressed": [False, True]})
    >>> pivot_ready(t).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'theme_id': ['LA', 'WF'], 'suppressed': [False, True], 'n_rated': [10.0, nan],
     'top_share': [0.5, nan]}
    """
    out = table.copy()
    flags = [c for c in out.columns if c == "suppressed" or str(c).endswith("_suppressed")]
    prefixed = tuple(_PREFIXES)
    order = [c for c in out.columns if c not in flags]
    for flag in flags:
        prefix = _flag_prefix(flag)
        if prefix:
            covered = [c for c in order if str(c).startswith(prefix) and c != "others_n"]
        else:
            covered = [
                c
                for c in order
                if not str(c).startswith(prefixed) and c not in _KEYS and c not in _WORDS_KEPT
            ]
        numeric = [c for c in covered if pd.api.types.is_numeric_dtype(out[c].dtype)]
        hidden = out[flag].fillna(False).astype(bool).to_numpy()
        for column in numeric:
            if hidden.any():
                values = out[column].astype("float64").to_numpy(copy=True)
                values[hidden] = float("nan")
                out[column] = values
        at = order.index(covered[0]) if covered else len(order)
        order.insert(at, flag)
        out[flag] = out[flag].fillna(False).astype(bool)
    return out[order]


# Columns that identify a row or are words: never blanked, always before the flag.
_KEYS = {
    "theme_id",
    "theme_title",
    "question_id",
    "question_text",
    "authority",
    "role",
    "workshop_id",
    "year",
    "round",
    "rating",
    "rating_label",
    "evidence",
    "evidence_label",
}
_WORDS_KEPT = {"classification", "why", "position", "apart", "notable", "unfounded"}


def write_tables(
    path: str | os.PathLike[str],
    tables: Mapping[str, pd.DataFrame],
    *,
    read_me: Iterable[tuple[str, str]],
    title: str,
    scale: str | Scale | None = None,
) -> Path:
    """Write summary tables as a pivot-ready workbook with a Read me and a Data dictionary.

    Parameters
    ----------
    path : str or path-like
        The ``.xlsx`` file.
    tables : mapping of str to pandas.DataFrame
        Sheet name to summary table, with the summary functions' machine column names.
    read_me, title :
        As for `assured_kit.exports.write_workbook`.
    scale : str or Scale, optional
        Names the levels in headers such as "Rated 4 (Mostly confident)".

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> t = pd.DataFrame({"theme_id": ["LA", "WF"], "top_share": [0.5, 1.0],
    ...                   "suppressed": [False, True]})
    >>> _ = write_tables(p, {"Themes": t}, read_me=[("Report", "Demo")], title="Demo")
    >>> sheet = openpyxl.load_workbook(p)["Themes"]
    >>> [[c.value for c in row] for row in sheet.iter_rows()]
    [['Theme', 'Suppressed', 'Share at the top of the scale'],
     ['LA', False, 0.5], ['WF', True, None]]
    >>> sheet["C2"].number_format
    '0%'
    """
    from .exports import write_workbook

    sheets: dict[str, pd.DataFrame] = {}
    dictionary: list[dict[str, str]] = []
    formats: dict[str, str] = {}
    for name, table in tables.items():
        ready = pivot_ready(table)
        headings = {}
        for column in ready.columns:
            heading, meaning = _describe(str(column), scale)
            headings[column] = heading
            if _is_share(str(column)):
                formats[heading] = PERCENT_FORMAT
                meaning += " A number from 0 to 1, shown as a percentage."
            dictionary.append(
                {"sheet": name, "header": heading, "machine_name": str(column), "meaning": meaning}
            )
        sheets[name] = ready.rename(columns=headings)
    sheets["Data dictionary"] = pd.DataFrame(dictionary).rename(
        columns={
            "sheet": "Sheet",
            "header": "Header",
            "machine_name": "Machine name",
            "meaning": "Meaning",
        }
    )
    return write_workbook(path, sheets, read_me=read_me, title=title, number_formats=formats)


def read_tables(path: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """Read a workbook `write_tables` wrote back into tables with the machine column names.

    The Data dictionary sheet says which plain header is which machine name, so a script can
    use ``top_share`` and ``n_respondents`` whatever the headers read. The Read me and the
    dictionary itself are left out.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> t = pd.DataFrame({"theme_id": ["LA"], "top_share": [0.5], "suppressed": [False]})
    >>> _ = write_tables(p, {"Themes": t}, read_me=[], title="Demo")
    >>> list(read_tables(p)["Themes"].columns)
    ['theme_id', 'suppressed', 'top_share']
    """
    sheets = pd.read_excel(path, sheet_name=None)
    dictionary = sheets.pop("Data dictionary")
    sheets.pop("Read me", None)
    names: dict[str, dict[str, str]] = {}
    for row in dictionary.itertuples(index=False):
        names.setdefault(str(row[0]), {})[str(row[1])] = str(row[2])
    return {
        name: table.rename(columns=names.get(name, {})) for name, table in sheets.items()
    }
