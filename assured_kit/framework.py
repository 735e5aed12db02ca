"""The framework as data: themes, questions, examples of practice, glossary, scales.

The bundled 2010 edition lives in the repository's ``content/`` folder (shipped inside the
wheel as ``assured_kit/content``). A region may adapt it: any folder laid out the same way can
be loaded with ``load_framework(source=folder)`` and is held to exactly the same rules.

Files and their columns (every file UTF-8, CSV with a header row):

=================  ==========================================================================
``themes.csv``      theme_id, order, title, contents_title, page
``questions.csv``   question_id, theme_id, role, number, text, note
``examples.csv``    example_id, theme_id, heading, quote, attribution, note
``glossary.csv``    term, stands_for, meaning_in_2010, today, aliases (``;``-separated), source,
                    checked_on, topic (see `assured_kit.glossary`)
``scales.csv``      scale_id, scale_title, value, label, description (see `assured_kit.scales`)
``authorities.csv`` authority, region, note
``framework.toml``  title, edition, year, headline_question, purpose, ... (the source's framing)
=================  ==========================================================================
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import AssuredKitError
from .glossary import find_terms, lookup_term
from .scales import Scale, scales_from_table

__all__ = [
    "ATTRIBUTIONS",
    "ROLES",
    "Framework",
    "bundled_content",
    "get_scale",
    "load_framework",
    "load_scales",
]

#: Roles a question is addressed to, in the order the source gives them.
ROLES = ("DCS", "LM")
#: Who an example of practice is attributed to.
ATTRIBUTIONS = ("DCS", "LM", "DCS and LM")

# Each table's columns and the dtype each column is converted to, beside the file name.
# "category:theme" / "category:role" become ordered Categoricals; "text" must not be empty;
# "date" is a year-month-day date, kept as that text.
_SCHEMAS: dict[str, dict[str, str]] = {
    "themes.csv": {
        "theme_id": "id",
        "order": "int",
        "title": "text",
        "contents_title": "text",
        "page": "int",
    },
    "questions.csv": {
        "question_id": "id",
        "theme_id": "category:theme",
        "role": "category:role",
        "number": "int",
        "text": "text",
        "note": "optional",
    },
    "examples.csv": {
        "example_id": "id",
        "theme_id": "category:theme",
        "heading": "text",
        "quote": "text",
        "attribution": "category:attribution",
        "note": "optional",
    },
    "glossary.csv": {
        "term": "id",
        "stands_for": "text",
        "meaning_in_2010": "text",
        "today": "text",
        "aliases": "optional",
        "source": "text",
        "checked_on": "date",
        "topic": "optional",
    },
    "authorities.csv": {"authority": "id", "region": "optional", "note": "optional"},
    "scales.csv": {
        "scale_id": "raw",
        "scale_title": "raw",
        "value": "raw",
        "label": "raw",
        "description": "optional",
    },
}
_REQUIRED_ABOUT = ("title", "edition", "headline_question")
_REQUIRED_SCALES = ("confidence", "evidence")
_QUOTE_MARKS = "\"“”'‘’"


def bundled_content() -> Path:
    """Return the folder holding the bundled 2010 edition.

    An installed wheel carries it as ``assured_kit/content``; a source checkout keeps it in the
    repository's top-level ``content/`` folder.

    Examples
    --------
    >>> (bundled_content() / "questions.csv").is_file()
    True
    """
    packaged = Path(str(resources.files("assured_kit").joinpath("content")))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "content"


@dataclass(frozen=True, eq=False)
class Framework:
    """One edition of the framework, as pandas tables.

    Treat the tables as read-only: `load_framework` caches and shares them.

    Attributes
    ----------
    themes : pandas.DataFrame
        ``theme_id`` (ordered Categorical), ``order``, ``title``, ``contents_title``, ``page``.
    questions : pandas.DataFrame
        ``question_id``, ``theme_id``, ``role`` (ordered Categorical DCS < LM), ``number``,
        ``text``, ``note`` (an editorial note, usually empty), in framework order.
    examples : pandas.DataFrame
        ``example_id``, ``theme_id``, ``heading``, ``quote`` (without enclosing quotation
        marks), ``attribution`` ("DCS", "LM" or "DCS and LM"), ``note``.
    glossary : pandas.DataFrame
        ``term``, ``stands_for``, ``meaning_in_2010``, ``today``, ``aliases``, ``source`` (a
        citation: title, section, date), ``checked_on`` (ISO date the entry was last checked) and
        ``topic`` (its heading on the "What changed since 2010" page; empty if unchanged).
    scales : dict of str to Scale
        The rating scales, by ``scale_id``.
    authorities : list of str
        The default authorities for respondents.
    about : dict
        The source's framing: title, edition, headline question, purpose and so on.
    source : pathlib.Path
        The folder it was read from.
    """

    themes: pd.DataFrame
    questions: pd.DataFrame
    examples: pd.DataFrame
    glossary: pd.DataFrame
    scales: dict[str, Scale]
    authorities: list[str]
    about: dict[str, object]
    source: Path

    @property
    def theme_ids(self) -> list[str]:
        """Theme ids in framework order."""
        return [str(t) for t in self.themes["theme_id"]]

    def theme_title(self, theme_id: str) -> str:
        """Return a theme's title.

        Examples
        --------
        >>> load_framework().theme_title("WF")
        'Workforce'
        """
        rows = self.themes[self.themes["theme_id"] == theme_id]
        if rows.empty:
            raise AssuredKitError(
                f"no theme {theme_id!r}",
                field="theme_id",
                allowed=", ".join(self.theme_ids),
            )
        return str(rows["title"].iloc[0])

    def question(self, question_id: str) -> pd.Series:
        """Return one question's row.

        Raises
        ------
        AssuredKitError
            If no question has that id.

        Examples
        --------
        >>> load_framework().question("PM-LM-5")["text"]
        'Have we done enough to protect children and how do I know?'
        """
        rows = self.questions[self.questions["question_id"] == question_id]
        if rows.empty:
            raise AssuredKitError(
                f"no question {question_id!r}",
                field="question_id",
                allowed="ids such as LA-DCS-1 or PM-LM-5 (theme-role-number)",
                hint="a stray space, lower case, or a question from another edition",
            )
        return rows.iloc[0]

    def questions_for(self, theme_id: str | None = None, role: str | None = None) -> pd.DataFrame:
        """Return the questions for a theme and/or role, in framework order.

        Examples
        --------
        >>> len(load_framework().questions_for("PM", "LM"))
        5
        """
        mask = pd.Series(True, index=self.questions.index)
        if theme_id is not None:
            self.theme_title(theme_id)
            mask &= self.questions["theme_id"] == theme_id
        if role is not None:
            if role not in ROLES:
                raise AssuredKitError(f"no role {role!r}", field="role", allowed=" or ".join(ROLES))
            mask &= self.questions["role"] == role
        return self.questions[mask].reset_index(drop=True)

    def examples_for(self, theme_id: str) -> pd.DataFrame:
        """Return the examples of practice for a theme, in the source's order.

        Examples
        --------
        >>> load_framework().examples_for("CR")["attribution"].tolist()
        ['LM', 'DCS', 'DCS', 'LM', 'DCS']
        """
        self.theme_title(theme_id)
        return self.examples[self.examples["theme_id"] == theme_id].reset_index(drop=True)

    def term(self, name: str) -> pd.Series:
        """Return a glossary entry by its term or one of its aliases (case-insensitive).

        The rule lives in `assured_kit.glossary.lookup_term`.

        Examples
        --------
        >>> load_framework().term("crb")["stands_for"]
        'Criminal Records Bureau (checks)'
        """
        return lookup_term(self.glossary, name)

    def terms_in(self, text: str) -> pd.DataFrame:
        """Return the glossary entries whose term or alias appears in ``text``, whole words only.

        The matching rules live in `assured_kit.glossary.find_terms`.

        Examples
        --------
        >>> fw = load_framework()
        >>> fw.terms_in(fw.question("PM-LM-1")["text"])["term"].tolist()
        ['LSCB', "Children's Trust"]
        """
        return find_terms(self.glossary, text)


def load_framework(source: str | Path | None = None) -> Framework:
    """Load and validate a framework folder (the bundled 2010 edition by default).

    Parameters
    ----------
    source : str or path-like, optional
        A folder laid out like the bundled ``content/``. It is validated with the same rules.

    Returns
    -------
    Framework
        The tables, scales, authorities and framing. Loaded once per folder and cached until a
        file in it changes.

    Raises
    ------
    AssuredKitError
        Naming the file, row and field of the first problem found: a missing file or column,
        a duplicate or malformed id, a question under an unknown theme, empty text, a role or
        attribution outside the allowed set, a broken scale, a file that is not UTF-8.

    Examples
    --------
    >>> fw = load_framework()
    >>> len(fw.themes), len(fw.questions), len(fw.examples)
    (6, 47, 41)
    >>> fw.questions.groupby("role", observed=True).size().to_dict()
    {'DCS': 24, 'LM': 23}
    """
    folder = Path(source) if source is not None else bundled_content()
    if not folder.is_dir():
        raise AssuredKitError(
            f"framework folder {str(folder)!r} does not exist or is not a folder",
            field="source",
            allowed="a folder laid out like the bundled content/",
        )
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.is_file()
    )
    return _load(folder.resolve(), stamp)


@lru_cache(maxsize=16)
def _load(folder: Path, _stamp: tuple[tuple[str, int, int], ...]) -> Framework:
    tables = {name: _read_table(folder / name) for name in _SCHEMAS}
    themes = _typed(tables["themes.csv"], folder / "themes.csv", None)
    _check_unique(themes, "theme_id", folder / "themes.csv")
    _check_unique(themes, "order", folder / "themes.csv")
    for i, theme_id in enumerate(themes["theme_id"]):
        if not re.fullmatch(r"[A-Z]{2,4}", theme_id):
            raise AssuredKitError(
                f"theme id {theme_id!r} is malformed",
                file=folder / "themes.csv",
                row=i + 2,
                field="theme_id",
                allowed="2 to 4 capital letters, e.g. LA or WF",
                hint="lower case or a stray space",
            )
    themes = themes.sort_values("order", kind="stable").reset_index(drop=True)
    theme_order = list(themes["theme_id"])
    categories = {
        "theme": theme_order,
        "role": list(ROLES),
        "attribution": list(ATTRIBUTIONS),
    }
    themes["theme_id"] = pd.Categorical(themes["theme_id"], categories=theme_order, ordered=True)

    questions = _typed(tables["questions.csv"], folder / "questions.csv", categories)
    _check_ids(
        questions,
        folder / "questions.csv",
        "question_id",
        lambda r: f"{r['theme_id']}-{r['role']}-{r['number']}",
        "theme-role-number, e.g. LA-DCS-1",
    )
    examples = _typed(tables["examples.csv"], folder / "examples.csv", categories)
    _check_ids(
        examples,
        folder / "examples.csv",
        "example_id",
        lambda r: f"{r['theme_id']}-EX-",
        "theme-EX-n, e.g. LA-EX-1",
        prefix_only=True,
    )
    for i, quote in enumerate(examples["quote"]):
        if quote[0] in _QUOTE_MARKS and quote[-1] in _QUOTE_MARKS:
            raise AssuredKitError(
                "the quote keeps its enclosing quotation marks",
                file=folder / "examples.csv",
                row=i + 2,
                field="quote",
                allowed="the quoted words only",
                hint="quotation marks pasted in from the source",
            )
    glossary = _typed(tables["glossary.csv"], folder / "glossary.csv", None)
    _check_unique(glossary, "term", folder / "glossary.csv")
    authorities = _typed(tables["authorities.csv"], folder / "authorities.csv", None)
    _check_unique(authorities, "authority", folder / "authorities.csv")
    scales = scales_from_table(tables["scales.csv"], file=folder / "scales.csv")
    for name in _REQUIRED_SCALES:
        if name not in scales:
            raise AssuredKitError(
                f"scale {name!r} is missing",
                file=folder / "scales.csv",
                field="scale_id",
                allowed="any scales, as long as confidence and evidence are among them",
            )
    questions = _in_framework_order(questions, "number")
    examples = _in_framework_order(examples, "example_id", natural=True)
    return Framework(
        themes=themes,
        questions=questions,
        examples=examples,
        glossary=glossary,
        scales=scales,
        authorities=list(authorities["authority"]),
        about=_read_about(folder / "framework.toml"),
        source=folder,
    )


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise AssuredKitError(
            f"missing file {path.name}",
            file=path.parent,
            allowed="a framework folder holding " + ", ".join([*_SCHEMAS, "framework.toml"]),
            hint="a renamed file or the wrong folder",
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AssuredKitError(
            f"the file is not UTF-8 (byte {exc.start} cannot be read)",
            file=path,
            allowed="UTF-8 text",
            hint="saved from Excel as 'CSV' rather than 'CSV UTF-8'",
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise AssuredKitError(
            f"the file cannot be read as CSV ({exc})",
            file=path,
            allowed="comma-separated values with a header row",
            hint="an unclosed quotation mark or a missing comma",
        ) from exc
    expected = list(_SCHEMAS[path.name])
    missing = [c for c in expected if c not in table.columns]
    if missing:
        near = [c for c in table.columns if c.strip().casefold() in {m.casefold() for m in missing}]
        raise AssuredKitError(
            f"missing column(s) {', '.join(missing)}",
            file=path,
            row=1,
            allowed="columns " + ", ".join(expected),
            hint=f"a stray space or capital in header {near[0]!r}" if near else "a renamed header",
        )
    return table[expected].copy()


def _typed(
    table: pd.DataFrame, path: Path, categories: dict[str, list[str]] | None
) -> pd.DataFrame:
    """Check each cell against the schema beside the file name and convert the column."""
    out = {}
    for column, kind in _SCHEMAS[path.name].items():
        cells = table[column]
        if kind in {"raw", "optional"}:
            out[column] = cells.astype(str).str.strip()
            continue
        for i, cell in enumerate(cells):
            where = {"file": path, "row": i + 2, "field": column}
            if not cell.strip():
                raise AssuredKitError("the cell is empty", allowed="text", **where)
            if kind != "text" and cell != cell.strip():
                raise AssuredKitError(
                    f"{cell!r} has leading or trailing spaces", hint="a stray space", **where
                )
            if kind == "date" and not _is_iso_date(cell):
                raise AssuredKitError(
                    f"{cell!r} is not a date",
                    allowed="a date written year-month-day, e.g. 2026-12-01",
                    hint="a date typed day-first (01/12/2026) or a spreadsheet's date format",
                    **where,
                )
            if kind == "int" and not re.fullmatch(r"\d+", cell):
                raise AssuredKitError(
                    f"{cell!r} is not a whole number",
                    allowed="whole numbers such as 1, 2, 3",
                    hint="a word or decimal typed where a number belongs",
                    **where,
                )
            if kind.startswith("category:"):
                allowed = categories[kind.split(":")[1]] if categories else []
                if cell not in allowed:
                    near = [a for a in allowed if a.casefold() == cell.strip().casefold()]
                    raise AssuredKitError(
                        f"{cell!r} is not allowed here",
                        allowed=", ".join(allowed),
                        hint=f"did you mean {near[0]!r}?"
                        if near
                        else ("a theme missing from themes.csv" if column == "theme_id" else None),
                        **where,
                    )
        if kind == "int":
            out[column] = pd.array([int(c) for c in cells], dtype="Int64")
        elif kind.startswith("category:"):
            allowed = categories[kind.split(":")[1]] if categories else []
            out[column] = pd.Categorical(cells, categories=allowed, ordered=True)
        else:
            out[column] = cells.astype(str)
    return pd.DataFrame(out)


def _is_iso_date(cell: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return False
    try:
        date.fromisoformat(cell)
    except ValueError:
        return False
    return True


def _check_unique(table: pd.DataFrame, column: str, path: Path) -> None:
    dup = table[column].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        first = int((table[column] == table[column].iloc[i]).to_numpy().nonzero()[0][0])
        raise AssuredKitError(
            f"{table[column].iloc[i]!r} appears again (first at row {first + 2})",
            file=path,
            row=i + 2,
            field=column,
            allowed="each value once",
            hint="a copied row",
        )


def _check_ids(
    table: pd.DataFrame,
    path: Path,
    column: str,
    expected: Callable[[pd.Series], str],
    form: str,
    *,
    prefix_only: bool = False,
) -> None:
    _check_unique(table, column, path)
    for i, row in table.iterrows():
        want = expected(row)
        got = row[column]
        ok = bool(re.fullmatch(re.escape(want) + r"[1-9]\d*", got)) if prefix_only else got == want
        if not ok:
            raise AssuredKitError(
                f"id {got!r} does not match its row "
                f"(expected {want + 'n' if prefix_only else want!r})",
                file=path,
                row=int(i) + 2,
                field=column,
                allowed=form,
                hint="the theme, role or number was changed without the id, or the id was mistyped",
            )


def _in_framework_order(table: pd.DataFrame, key: str, *, natural: bool = False) -> pd.DataFrame:
    if natural:
        sort_key = table[key].str.extract(r"(\d+)$")[0].astype(int)
        table = table.assign(_k=sort_key)
        key = "_k"
    order = ["theme_id", "role", key] if "role" in table.columns else ["theme_id", key]
    table = table.sort_values(order, kind="stable").reset_index(drop=True)
    return table.drop(columns=["_k"], errors="ignore")


def _read_about(path: Path) -> dict[str, object]:
    if not path.is_file():
        raise AssuredKitError(
            "missing file framework.toml",
            file=path.parent,
            allowed="a framework.toml with " + ", ".join(_REQUIRED_ABOUT),
        )
    try:
        about = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise AssuredKitError("the file is not UTF-8", file=path, allowed="UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AssuredKitError(
            f"the file is not valid TOML ({exc})",
            file=path,
            hint="a missing quotation mark around a value",
        ) from exc
    for key in _REQUIRED_ABOUT:
        if not str(about.get(key, "")).strip():
            raise AssuredKitError(
                f"{key} is missing or empty",
                file=path,
                field=key,
                allowed='key = "text" lines for ' + ", ".join(_REQUIRED_ABOUT),
            )
    return {k: v.strip() if isinstance(v, str) else v for k, v in about.items()}


def load_scales(source: str | Path | None = None) -> dict[str, Scale]:
    """Load the scales of a framework folder (the bundled one by default).

    Examples
    --------
    >>> sorted(load_scales())
    ['audit', 'confidence', 'evidence', 'rag']
    """
    return load_framework(source=source).scales


def get_scale(scale: str | Scale, source: str | Path | None = None) -> Scale:
    """Return a scale by name (or pass a `Scale` straight through).

    Raises
    ------
    AssuredKitError
        If no scale has that name.

    Examples
    --------
    >>> get_scale("rag").labels
    ['Red', 'Amber', 'Green']
    """
    if isinstance(scale, Scale):
        return scale
    scales = load_scales(source)
    if scale not in scales:
        raise AssuredKitError(
            f"no scale called {scale!r}",
            field="scale",
            allowed=", ".join(sorted(scales)),
            hint="a misspelling, or a custom scale not yet added to scales.csv",
        )
    return scales[scale]
