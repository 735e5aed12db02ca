"""Reports to share: one self-contained HTML page, or an XLSX workbook of the summary tables.

`write_report` turns tidy ratings (one workshop, one authority's, or a whole region's) into a
report organised per theme around three questions adapted from Ofsted's self-evaluation
questions for its inspections of local authority children's services (ILACS), not the
framework's own: *What do we know?* (the ratings summary and chart), *How do we know?* (the
evidence behind the ratings and any unfounded confidence) and *What will we do next?* (actions
captured, the source's examples of practice for the theme, and new good practice shared with
consent). The framework's 2010 words appear as printed, with 2010 terms linked at first use to a
glossary, editorial notes beside the words they annotate, and a "What changed since 2010" page
at the end (all from `assured_kit.glossary`).

The page opens with **key messages**: the strongest and weakest questions, what is contested,
where confidence runs ahead of evidence, where Directors and Lead Members see it differently and
what changed since last year, each one plain sentence with its n, linked to its theme, and each
drawn from a figure the report shows (never from a withheld group). "How to read this" follows.
Within a theme, questions are listed weakest first (`assured_kit.summary.order_by_weakness`);
actions link to the question they answer.

Comparisons are honest: a change between years or rounds shows the top and bottom shares with
their n on each side, is called only where it is larger than chance would give (Wilson and
Newcombe intervals, `assured_kit.summary.share_change_interval`) and otherwise reads "too few
answers to tell"; a year-on-year change where different authorities took part says so; three
years or more get a trend table.

The HTML page needs nothing but a browser: styles inline, charts embedded as SVG images, no
script and no network (its content security policy forbids both). It prints on A4 portrait at
100 %: no element is wider than the printable width (wide tables run one row per authority),
headings stay with what follows, each theme starts a new page, and the page margins carry the
report's title, the protective marking (``marking=``, "Official – Sensitive" by default) and
"Page n of N" (CSS ``@page`` margin boxes). Body text prints at 10 pt or more; the charts are
drawn at most `CHART_WIDTH` inches wide with their projector type (`assured_kit.charts.page_width`),
so their tick labels, shares and n print at about 10 pt too.

Privacy rules applied to both formats:

- the one disclosure rule of `assured_kit.summary` (people counted, not answers; small groups
  withheld, and any figure that would give one away by subtraction), decided against the whole
  data set, so an authority's report, the region's, HTML and XLSX all withhold alike; a
  withheld figure reads `suppressed_text`, never zero; ``min_group=1`` needs
  ``allow_small_groups=True`` and the report then says so on its first page;
- outside an authority's own name and those in ``named_authorities``, authorities appear as
  "Authority A", "Authority B", ... with letters from the analyst's key
  (`assured_kit.anonymity`), the same in every output of one data set; the report shows the
  key's fingerprint, and never lists an anonymised authority beside a workshop's date or size;
- notes and examples appear only where their group (question x role x authority) is shown,
  never with who wrote them;
- participant text is escaped in HTML and neutralised against formulas in XLSX.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import __version__
from .anonymity import AuthorityNames, authorities_in, authorities_of, key_path
from .errors import AssuredKitError
from .glossary import changes_html, editorial_html, glossary_html, mark_terms
from .safety import css_string, escape_html
from .summary import (
    check_min_group,
    describe_classification,
    describe_disclosure,
    describe_uncertainty,
    order_by_weakness,
    rated_groups,
    share_change_interval,
    small_groups_text,
    suppressed_text,
    where_from,
    where_mask,
)
from .text import percent

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .framework import Framework
    from .scales import Scale
    from .store import Workshop

__all__ = [
    "DEFAULT_MARKING",
    "REPORT_SUFFIXES",
    "SCOPES",
    "report_from_sources",
    "summary_text",
    "workshop_report",
    "write_report",
]

#: Whose report: one workshop, one authority (against the region), or the whole region.
SCOPES = ("workshop", "authority", "region")
#: File types `write_report` writes, by suffix.
REPORT_SUFFIXES = (".html", ".htm", ".xlsx")
#: Notes shown per theme at most (the rest are counted, and are in the data).
MAX_NOTES_PER_THEME = 12
#: Rows of the workshop list shown at most.
MAX_WORKSHOPS_LISTED = 40
#: The protective marking printed in the margins of every page (``marking=``, ``--marking``).
DEFAULT_MARKING = "Official – Sensitive"
#: Key messages on the first page: the strongest and the weakest questions, each.
KEY_QUESTIONS = 3
#: Key messages of each other kind (contested, evidence, roles, years) at most.
KEY_OTHERS = 2
#: Years shown at most in a trend table (the latest).
MAX_TREND_YEARS = 6
#: The widest a chart is drawn (inches). Printed on A4, the 7.3 inches between the margins
#: show it (trimmed, about 10.2 in) at about 72 %, so its smallest type (14 pt, as on a
#: projector) prints at about 10 pt; on screen the page shows it at full size.
CHART_WIDTH = 10.0


# --------------------------------------------------------------------------- formatting


def _num(value: Any, digits: int = 1) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.{digits}f}"


def _int(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{int(value):,}"


def _yes(value: Any) -> bool:
    """Return True only for a true flag; a missing (<NA>) flag is not true."""
    return value is not None and value is not pd.NA and not pd.isna(value) and bool(value)


def _date(value: Any) -> str:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).strftime("%-d %B %Y")


# --------------------------------------------------------------------------- HTML pieces

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #c8c8c8; --band: #f3f5f7; --accent: #0b4f8a; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { font-family: "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 1.5rem 2rem 3rem; line-height: 1.45; }
h1 { font-size: 2rem; margin: 0.3rem 0 0.2rem; color: var(--accent); }
h2 { font-size: 1.5rem; margin: 2rem 0 0.4rem; padding-bottom: 0.2rem;
     border-bottom: 3px solid var(--accent); color: var(--accent); }
h3 { font-size: 1.2rem; margin: 1.4rem 0 0.4rem; }
h4 { font-size: 1.02rem; margin: 1rem 0 0.3rem; }
p, li { max-width: 75ch; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
.banner { background: #fff3cd; border: 2px solid #b58900; padding: 0.6rem 1rem; font-weight: 600;
          margin-bottom: 1rem; }
.headline { font-size: 1.25rem; font-style: italic; border-left: 6px solid var(--accent);
            margin: 1rem 0; padding: 0.4rem 1rem; background: var(--band); }
.howto { background: var(--band); padding: 0.6rem 1.2rem; border: 1px solid var(--rule); }
.howto dt { font-weight: 700; float: left; clear: left; width: 8.5rem; }
.howto dd { margin: 0 0 0.35rem 8.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; width: 100%; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.28rem 0.45rem; vertical-align: top;
         text-align: left; }
th { background: var(--band); }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.suppressed { color: var(--muted); font-style: italic; background: repeating-linear-gradient(
    45deg, #fafafa, #fafafa 6px, #eeeeee 6px, #eeeeee 12px); }
.cls { font-weight: 700; white-space: nowrap; }
.cls-strong { color: #2166ac; } .cls-weak { color: #b2182b; } .cls-contested { color: #aa3377; }
.cls-mixed, .cls-suppressed, .cls-no-ratings { color: #555; }
figure { margin: 0.6rem 0 1rem; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { color: var(--muted); font-size: 0.88rem; margin-top: 0.2rem; }
blockquote.example { margin: 0.4rem 0 0.8rem; padding: 0.2rem 0.9rem;
                     border-left: 4px solid var(--rule); }
blockquote.example footer { color: var(--muted); font-size: 0.88rem; }
.flag { color: #cc3311; font-weight: 700; }
.note-list li { margin-bottom: 0.25rem; }
.empty { color: var(--muted); font-style: italic; }
.toc { columns: 2; }
a.term { color: inherit; text-decoration: underline dotted; text-underline-offset: 0.15em; }
.ak-help-editorial { font-size: 0.88rem; color: var(--muted); }
.credit { font-size: 0.92rem; color: var(--muted); }
section.glossary dt { font-weight: 700; margin-top: 0.8rem; }
section.glossary dd { margin: 0.1rem 0 0 1.2rem; }
section.glossary dd p { margin: 0.15rem 0; }
.source { color: var(--muted); font-size: 0.85rem; }
section.changes li { margin-bottom: 0.4rem; }
footer.report { margin-top: 3rem; border-top: 1px solid var(--rule); color: var(--muted);
                font-size: 0.85rem; }
.marking { font-weight: 700; letter-spacing: 0.04em; text-transform: uppercase; margin: 0;
           color: var(--muted); font-size: 0.85rem; }
section.key { border: 2px solid var(--accent); padding: 0.2rem 1.2rem 0.4rem; margin: 1rem 0; }
section.key h2 { border: 0; margin-top: 0.5rem; }
ul.key-messages { padding-left: 1.1rem; margin: 0.3rem 0; }
ul.key-messages li { margin-bottom: 0.3rem; max-width: none; }
.kind { font-weight: 700; }
.nowrap { white-space: nowrap; }
.caveat { color: var(--muted); font-style: italic; }
.keep { break-inside: avoid; page-break-inside: avoid; }
@media print {
  html { font-size: 11pt; }
  body { max-width: none; padding: 0; line-height: 1.35; }
  h1 { font-size: 1.75rem; }
  h2 { font-size: 1.35rem; margin-top: 1.2rem; }
  section.theme { break-before: page; page-break-before: always; }
  section.overview { break-before: page; page-break-before: always; }
  section.glossary, section.changes { break-before: page; page-break-before: always; }
  h1, h2, h3, h4, caption { break-after: avoid; page-break-after: avoid; }
  table, figure, blockquote, .keep, ul.key-messages li { break-inside: avoid;
                                                        page-break-inside: avoid; }
  table { font-size: 10pt; }
  td { overflow-wrap: break-word; }
  figcaption, .ak-help-editorial, .credit, .source, blockquote.example footer,
  footer.report { font-size: 10pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  figure img { width: auto; max-width: 100%; height: auto; }
  .banner, .headline, .howto, th, td.suppressed { -webkit-print-color-adjust: exact;
                                                   print-color-adjust: exact; }
  .toc, .marking { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass
class _Cell:
    text: str
    numeric: bool = False
    suppressed: bool = False
    css: str = ""
    html: bool = False  # text is already safe HTML (built here, never participant text)
    anchor: str = ""  # an id to link to (built here from framework ids)


def _table(headers: Sequence[str], rows: Iterable[Sequence[_Cell]], caption: str = "") -> str:
    head = "".join(
        f"<th scope='col'>{escape_html(h).replace('/', '/<wbr>')}</th>" for h in headers
    )
    body = []
    for row in rows:
        cells = []
        for cell in row:
            classes = [c for c in ("n" if cell.numeric else "", cell.css) if c]
            if cell.suppressed:
                classes.append("suppressed")
            attr = f" class='{' '.join(classes)}'" if classes else ""
            if cell.anchor:
                attr += f" id='{escape_html(cell.anchor)}'"
            # A break may follow a slash (Leadership/Accountability) in a narrow column.
            content = cell.text if cell.html else escape_html(cell.text).replace("/", "/<wbr>")
            cells.append(f"<td{attr}>{content}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape_html(caption)}</caption>" if caption else ""
    if not body:
        return ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _flag_cell(text: str) -> _Cell:
    """Return a cell holding a flag's reason (escaped), or an empty cell."""
    return _Cell(f"<span class='flag'>{escape_html(text)}</span>" if text else "", html=True)


def _classification_cell(value: Any) -> _Cell:
    word = "" if value is None or value is pd.NA or pd.isna(value) else str(value)
    css = "cls cls-" + word.replace(" ", "-") if word else ""
    return _Cell(word or "–", css=css)


# --------------------------------------------------------------------------- the report model


@dataclass
class _Report:
    ratings: pd.DataFrame  # the answers the report is about (one authority's, for scope authority)
    region: pd.DataFrame  # every answer given (the region, for an authority's position)
    scope: str
    authority: str | None
    framework: Framework
    scale: Scale
    min_group: int
    names: AuthorityNames
    title: str
    actions: pd.DataFrame
    examples: pd.DataFrame
    allow_small_groups: bool = False
    selection: dict[str, Any] = field(default_factory=dict)  # a slice: where_from(...)
    marking: str = DEFAULT_MARKING
    summaries: dict[str, pd.DataFrame] = field(default_factory=dict)
    glossed: set[str] = field(default_factory=set)  # glossary terms already marked in the page
    theme_rows: dict[str, np.ndarray] | None = None  # rows of `ratings` per theme, found once

    @property
    def where(self) -> dict[str, Any]:
        """The slice of the whole data this report shows.

        The selection, and for scope authority the authority's own answers.
        """
        own = {"authority": self.authority} if self.scope == "authority" and self.authority else {}
        return {**self.selection, **own}

    @property
    def suppressed_words(self) -> str:
        return suppressed_text(self.min_group)


_ACTION_COLUMNS = ["theme_id", "question_id", "what", "owner", "due", "status"]
_EXAMPLE_COLUMNS = ["theme_id", "question_id", "text", "role", "authority", "consent_to_share"]


def _frame_or_empty(table: pd.DataFrame | None, columns: list[str], what: str) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if not isinstance(table, pd.DataFrame):
        raise AssuredKitError(
            f"{what} must be a table, not {type(table).__name__}",
            field=what,
            allowed=f"a DataFrame like Workshop.{what}()",
        )
    missing = [c for c in columns if c not in table.columns and c not in ("question_id", "role")]
    if missing:
        raise AssuredKitError(
            f"the {what} table has no column(s) {', '.join(missing)}",
            field=what,
            allowed=f"a DataFrame like Workshop.{what}() with columns {', '.join(columns)}",
        )
    return table


def _require_authority(authority: str, present: Sequence[str]) -> None:
    """Refuse an authority with no answers among the ratings."""
    if authority not in present:
        raise AssuredKitError(
            f"no answers from authority {authority!r}",
            field="authority",
            allowed=", ".join(present) or "an authority present in the ratings",
            hint="a misspelt name, or answers recorded without an authority",
        )


def _compact(ratings: pd.DataFrame) -> pd.DataFrame:
    """Hold the repeated text keys as categoricals: every summary then groups on codes.

    A report makes a dozen summaries of the same table; factorising the text keys once (rather
    than in every summary) halves their time on a million answers. Values are unchanged.
    """
    text_keys = [
        c
        for c in ("workshop_id", "respondent_id", "question_id", "authority")
        if c in ratings.columns and not isinstance(ratings[c].dtype, pd.CategoricalDtype)
    ]
    if not text_keys or not len(ratings):
        return ratings
    return ratings.astype({c: "category" for c in text_keys})


def _prepare(
    ratings: pd.DataFrame,
    *,
    scope: str,
    authority: str | None,
    framework: Framework | None,
    min_group: int,
    actions: pd.DataFrame | None,
    examples: pd.DataFrame | None,
    title: str | None,
    named_authorities: Sequence[str],
    seed: int | None,
    key: str | Path | None = None,
    beside: object = None,
    allow_small_groups: bool = False,
    where: Mapping[str, Any] | None = None,
) -> _Report:
    from .framework import get_scale, load_framework

    if scope not in SCOPES:
        raise AssuredKitError(f"unknown scope {scope!r}", field="scope", allowed=", ".join(SCOPES))
    if not isinstance(ratings, pd.DataFrame):
        raise AssuredKitError(
            f"ratings must be the tidy ratings table, not {type(ratings).__name__}",
            field="ratings",
            allowed="a DataFrame from Workshop.ratings() or read_ratings()",
        )
    check_min_group(min_group, allow_small_groups=allow_small_groups)
    selection = dict(where or {})
    if scope == "authority" and "authority" in selection:
        raise AssuredKitError(
            "an authority report is about its own authority: it cannot also pick authorities",
            field="where",
            allowed="years, roles, themes or workshops",
            hint="pass the authority as authority=..., and leave it out of where",
        )
    fw = framework if framework is not None else load_framework()
    ratings = _compact(ratings)
    present = sorted(authorities_of(ratings))
    if scope == "authority":
        if not authority:
            raise AssuredKitError(
                "an authority report needs the authority",
                field="authority",
                allowed=", ".join(present) or "an authority present in the ratings",
                hint="pass authority=... (on the command line, --authority NAME)",
            )
        _require_authority(authority, present)
    own_where = {**selection, **({"authority": authority} if scope == "authority" else {})}
    own = ratings[where_mask(ratings, own_where)] if own_where else ratings
    named = set(named_authorities)
    if authority:
        named.add(authority)
    elif scope == "workshop":
        local = (
            {str(a) for a in own["authority"].dropna() if str(a).strip()}
            if "authority" in own.columns
            else set()
        )
        if len(local) == 1:
            named |= local  # a local workshop's own authority
    example_table = _frame_or_empty(examples, _EXAMPLE_COLUMNS, "examples")
    everyone = authorities_in(ratings, example_table, fw)
    names = AuthorityNames(everyone, named=named, seed=seed, key=key, beside=beside)
    scale = get_scale("confidence")  # replaced by the summaries' own scale in _summaries
    if title is None:
        if scope == "authority":
            title = f"{authority}: Assured Safeguarding self-evaluation"
        elif scope == "workshop":
            titles = [str(t) for t in pd.unique(own.get("workshop_title", pd.Series(dtype=str)))]
            title = titles[0] if len(titles) == 1 else "Assured Safeguarding workshops"
        else:
            title = "Assured Safeguarding: the regional picture"
    return _Report(
        ratings=own,
        region=ratings,
        scope=scope,
        authority=authority,
        framework=fw,
        scale=scale,
        min_group=min_group,
        names=names,
        title=names.scrub(title),
        actions=_frame_or_empty(actions, _ACTION_COLUMNS, "actions"),
        examples=example_table,
        allow_small_groups=allow_small_groups,
        selection=selection,
    )


def _summaries(rep: _Report) -> None:
    from . import summary as sm

    # Every summary is made from the whole data (rep.region) and sliced with ``where``: what is
    # withheld is then decided against the whole data set, so the region's report and each
    # authority's agree (see assured_kit.summary, "the one disclosure rule").
    own = rep.ratings
    r = rep.region
    s = rep.summaries
    whole = {"min_group": rep.min_group, "framework": rep.framework}
    s["themes"] = sm.by_theme(r, where=rep.where or None, **whole)
    rep.scale = s["themes"].attrs["scale"]  # the scale named in the ratings (one per report)
    whole["scale"] = rep.scale
    opts = {**whole, "where": rep.where or None}
    s["questions"] = sm.by_question(r, **opts)
    s["overall"] = sm.summarise(r, by=[], **opts)
    s["evidence"] = sm.confidence_vs_evidence(r, by=["theme_id"], **opts)
    s["evidence_questions"] = sm.confidence_vs_evidence(r, by=["theme_id", "question_id"], **opts)
    s["roles"] = sm.compare_roles(r, **opts)
    s["weakest"] = sm.weakest_questions(r, 5, **opts)
    s["disagreements"] = sm.biggest_disagreements(r, 5, **opts)
    # The smallest groups notes and examples come from: shown or not.
    if "round" in own.columns and (own["round"] == 2).any():
        s["rounds"] = sm.change(r, between="round", **opts)
    years = pd.to_datetime(own["held_on"]).dt.year.dropna().unique() if "held_on" in own else []
    if len(years) >= 2:
        latest = sorted(int(y) for y in years)[-2:]  # since last year: the latest two
        s["years"] = sm.change(r, between="year", before=latest[0], after=latest[1], **opts)
    chosen = rep.selection or None
    if rep.scope == "authority":
        s["position"] = sm.authority_position(rep.region, rep.authority, where=chosen, **whole)
    elif "authority" in r.columns and r["authority"].notna().any():
        s["authorities"] = sm.summarise(r, by=["theme_id", "authority"], where=chosen, **whole)
        names = rep.names
        table = s["authorities"]
        if len(table):
            # Relabel, then re-sort by the labels: rows must not keep the names' order.
            table["authority"] = [names.label(a) for a in table["authority"]]
            theme_rank = {t: i for i, t in enumerate(rep.framework.theme_ids)}
            order = sorted(
                range(len(table)),
                key=lambda i: (
                    theme_rank.get(str(table["theme_id"].iloc[i]), len(theme_rank)),
                    names.sort_key(str(table["authority"].iloc[i])),
                ),
            )
            s["authorities"] = table.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------- writing


def write_report(
    path: str | Path,
    ratings: pd.DataFrame,
    *,
    scope: str = "workshop",
    authority: str | None = None,
    framework: Framework | None = None,
    min_group: int = 3,
    actions: pd.DataFrame | None = None,
    examples: pd.DataFrame | None = None,
    title: str | None = None,
    named_authorities: Sequence[str] = (),
    seed: int | None = None,
    key: str | Path | None = None,
    allow_small_groups: bool = False,
    where: Mapping[str, Any] | None = None,
    marking: str = DEFAULT_MARKING,
) -> Path:
    """Write a report: one self-contained HTML page, or (``.xlsx``) a workbook of the tables.

    Parameters
    ----------
    path : str or path-like
        ``.html`` (or ``.htm``) for the page, ``.xlsx`` for the workbook. Written atomically;
        its folder must exist.
    ratings : pandas.DataFrame
        The tidy ratings (`Workshop.ratings`, `read_ratings`). For ``scope="authority"`` pass
        the whole region: the report shows the authority's own answers and its position
        against the anonymised spread of the others.
    scope : {"workshop", "authority", "region"}
        Whose report it is.
    authority : str, optional
        The authority (required for ``scope="authority"``); shown by name.
    framework : Framework, optional
        The framework edition (the bundled 2010 edition by default).
    min_group : int
        Figures resting on fewer people are withheld, with any figure that would give them
        away (3 by default; see `assured_kit.summary.describe_disclosure`).
    actions : pandas.DataFrame, optional
        Actions captured (`Workshop.actions`): theme_id, question_id, what, owner, due, status.
    examples : pandas.DataFrame, optional
        New examples of good practice (`Workshop.examples`); only those with
        ``consent_to_share`` are shown.
    title : str, optional
        The report's title (default from the scope).
    named_authorities : sequence of str
        Authorities that agreed to be named; every other one (but the report's own) appears as
        "Authority A", "Authority B", ...
    seed : int, optional
        A fixed anonymity key (tests only).
    key : path, optional
        The analyst's anonymity key file (`assured_kit.anonymity`); by default
        ``assured-kit-anonymity.key`` in the report's folder, written on first use. The same key
        gives each authority the same letter in every output.
    allow_small_groups : bool
        Required with ``min_group=1`` (nothing withheld); the report then says so on its first
        page.
    where : mapping, optional
        Show only a slice of ``ratings`` (e.g. ``{"year": 2026}``, ``{"role": ["DCS", "LM"]}``;
        see `assured_kit.summary.where_from`). Pass the whole data with the slice, never a
        filtered table: every figure is then withheld as decided on the whole data, so the
        report agrees with the full report and with every other slice of the same answers.
    marking : str
        The protective marking printed at the top and bottom of every page ("Official –
        Sensitive" by default; "" for none).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    AssuredKitError
        An unknown scope or suffix, a missing or unknown authority, a bad ``min_group``, or
        ratings the summaries cannot read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ws = Workshop.create(folder / "w.workshop.sqlite", title="Demo")
    >>> for who, rating in [("Ann", 4), ("Bo", 5), ("Cy", 2)]:
    ...     _ = ws.record(ws.add_respondent(who), "LA-DCS-1", rating)
    >>> write_report(folder / "report.html", ws.ratings()).suffix
    '.html'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise AssuredKitError(
            f"cannot write a report as {target.name!r}",
            file=target,
            allowed="a file name ending .html or .xlsx",
            hint="a missing or misspelt suffix",
        )
    rep = _prepare(
        ratings,
        scope=scope,
        authority=authority,
        framework=framework,
        min_group=min_group,
        actions=actions,
        examples=examples,
        title=title,
        named_authorities=named_authorities,
        seed=seed,
        key=key,
        beside=target.parent,
        allow_small_groups=allow_small_groups,
        where=where,
    )
    rep.marking = str(marking or "").strip()
    from .exports import atomic_write
    from .summary import reusing_work

    with reusing_work():  # the dozen summaries of one table read its rows and people once
        _summaries(rep)
        if suffix == ".xlsx":
            return _write_workbook(target, rep)
        page = _html(rep).encode("utf-8")
    return atomic_write(target, lambda f: f.write(page))


def workshop_report(ws: Workshop, path: str | Path, **options: Any) -> Path:
    """Write the report of one workshop (its answers, actions and examples).

    Parameters
    ----------
    ws : Workshop
        An open workshop.
    path : str or path-like
        ``.html`` or ``.xlsx``.
    **options
        Passed to `write_report`; ``min_group`` defaults to the workshop's own setting.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Workshop.create(folder / "w.workshop.sqlite", title="Demo") as ws:
    ...     workshop_report(ws, folder / "w.html").name
    'w.html'
    """
    options.setdefault("min_group", ws.min_group)
    options.setdefault("title", ws.title)
    options.setdefault("framework", ws.framework)
    return write_report(
        path,
        ws.ratings(),
        scope="workshop",
        actions=ws.actions(),
        examples=ws.examples(),
        **options,
    )


# --------------------------------------------------------------------------- words


def _scope_line(rep: _Report) -> str:
    r = rep.ratings
    workshops = r["workshop_id"].nunique() if "workshop_id" in r else 0
    dates = pd.to_datetime(r["held_on"]).dropna() if "held_on" in r else pd.Series(dtype=object)
    when = ""
    if len(dates):
        first, last = dates.min(), dates.max()
        when = _date(first) if first == last else f"{_date(first)} to {_date(last)}"
    what = {
        "workshop": "Workshop report",
        "authority": f"Authority report for {rep.authority}, against the region",
        "region": "Regional report",
    }[rep.scope]
    overall = rep.summaries["overall"]
    if len(overall) and not bool(overall["suppressed"].iloc[0]):
        people = f"answers from {_int(overall['n_respondents'].iloc[0])} people"
    else:
        people = rep.suppressed_words
    parts = [what, f"{workshops} workshop{'s' if workshops != 1 else ''}", people]
    if when:
        parts.insert(2, when)
    chosen = _selection_words(rep)
    if chosen:
        parts.insert(1, chosen)
    return " · ".join(parts)


def _selection_words(rep: _Report) -> str:
    """Say which slice of the answers the report shows (never naming a hidden authority)."""
    words = []
    for key, values in rep.selection.items():
        values = list(values) if isinstance(values, list | tuple | set | frozenset) else [values]
        if key == "year":
            words.append("only " + ", ".join(str(v) for v in sorted(values)))
        elif key == "role":
            words.append("only " + ", ".join(_ROLE_WORDS.get(str(v), str(v)) for v in values))
        elif key == "theme_id":
            titles = dict(zip(rep.framework.theme_ids, rep.framework.themes["title"], strict=True))
            words.append("only " + ", ".join(titles.get(str(v), str(v)) for v in values))
        elif key == "workshop_id" and rep.scope != "workshop":
            words.append(f"{len(values)} chosen workshop{'s' if len(values) != 1 else ''}")
        elif key == "authority":
            words.append(f"{len(values)} chosen authorit{'ies' if len(values) != 1 else 'y'}")
    return "; ".join(words)


_ROLE_WORDS = {
    "DCS": "Directors of Children's Services",
    "LM": "Lead Members",
    "Officer": "officers",
    "Mixed": "mixed tables",
}


# --------------------------------------------------------------------------- HTML sections


def _summary_row_cells(row: Any, rep: _Report, *, first: list[_Cell]) -> list[_Cell]:
    if _yes(row.suppressed):
        words = _Cell(rep.suppressed_words, suppressed=True)
        return [
            *first,
            words,
            *([_Cell("", suppressed=True)] * 5),
            _Cell("suppressed", css="cls cls-suppressed"),
        ]
    return [
        *first,
        _Cell(_int(row.n_respondents), numeric=True),
        _Cell(_int(row.n_answers), numeric=True),
        _Cell(_num(row.median), numeric=True),
        _Cell(percent(row.top_share), numeric=True),
        _Cell(percent(row.bottom_share), numeric=True),
        _Cell(percent(row.dont_know_share), numeric=True),
        _classification_cell(row.classification),
    ]


def _summary_headers(rep: _Report, first: list[str]) -> list[str]:
    top = "–".join(str(v) for v in (rep.scale.top_values[0], rep.scale.top_values[-1]))
    bottom = "–".join(str(v) for v in (rep.scale.bottom_values[0], rep.scale.bottom_values[-1]))
    if len(rep.scale.top_values) == 1:
        top = str(rep.scale.top_values[0])
    if len(rep.scale.bottom_values) == 1:
        bottom = str(rep.scale.bottom_values[0])
    return [
        *first,
        "People (n)",
        "Answers",
        "Median",
        f"Top ({top})",
        f"Bottom ({bottom})",
        "Don't know",
        "Confidence is",
    ]


def _head(rep: _Report) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en-GB'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<meta name='generator' content='assured-kit {escape_html(__version__)}'>\n"
        "<link rel='icon' href='data:,'>\n"
        f"<title>{escape_html(rep.title)}</title>\n<style>{_CSS}{_page_css(rep)}</style>\n"
        "</head>\n<body>\n"
    )


def _page_css(rep: _Report) -> str:
    """Return the printed page: A4 portrait; title, marking and page numbers in the margins."""
    box = "font-family: 'Segoe UI', 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; color: #333;"
    boxes = [
        f"@top-left {{ content: {css_string(rep.title)}; {box} }}",
        f"@bottom-right {{ content: 'Page ' counter(page) ' of ' counter(pages); {box} }}",
    ]
    if rep.marking:
        marking = css_string(rep.marking)
        boxes += [
            f"@top-right {{ content: {marking}; {box} font-weight: 700; }}",
            f"@bottom-left {{ content: {marking}; {box} font-weight: 700; }}",
        ]
    return "\n@page { size: A4 portrait; margin: 16mm 12mm 16mm 12mm;\n  " + "\n  ".join(
        boxes
    ) + " }\n"


def _header(rep: _Report) -> str:
    out = ["<header>"]
    synthetic = rep.region["synthetic"] if "synthetic" in rep.region else pd.Series(dtype=bool)
    if len(synthetic) and bool(synthetic.fillna(False).astype(bool).any()):
        whole = bool(synthetic.fillna(False).astype(bool).all())
        out.append(
            "<div class='banner' role='note'>"
            + (
                "SYNTHETIC DATA: every answer in this report was generated for demonstration. "
                "It describes no real workshop, person or authority."
                if whole
                else "INCLUDES SYNTHETIC DATA: some answers in this report were generated for "
                "demonstration and describe no real workshop, person or authority."
            )
            + "</div>"
        )
    if rep.min_group == 1:
        out.append(
            f"<div class='banner' role='note'>{escape_html(small_groups_text(rep.min_group))}</div>"
        )
    about = rep.framework.about
    if rep.marking:
        out.append(f"<p class='marking'>{escape_html(rep.marking)}</p>")
    out.append(f"<h1>{escape_html(rep.title)}</h1>")
    out.append(f"<p class='subtitle'>{escape_html(_scope_line(rep))}</p>")
    out.append(_key_messages(rep))
    headline = str(about.get("headline_question", ""))
    if headline:
        out.append(
            f"<p>{escape_html(str(about.get('title', 'Assured Safeguarding')))} "
            f"({escape_html(str(about.get('edition', '')))}) asks every Director of Children's "
            "Services and Lead Member one question:</p>"
            f"<blockquote class='headline'>{escape_html(headline)}</blockquote>"
        )
    out.append(_three_questions())
    thresholds = rep.summaries["themes"].attrs.get("thresholds")
    rules = describe_classification(rep.scale, thresholds, rep.min_group)
    scale_words = ", ".join(
        f"{v} {label}" for v, label in zip(rep.scale.values, rep.scale.labels, strict=True)
    )
    ev = rep.summaries["themes"].attrs["evidence_scale"]
    ev_words = ", ".join(f"{v} {label}" for v, label in zip(ev.values, ev.labels, strict=True))
    th = thresholds
    agreed = rep.names.named - {rep.authority or ""}
    anonymity = (
        "Other authorities appear as Authority A, B, ... with letters from the analyst's "
        f"anonymity key (fingerprint {rep.names.fingerprint}): every report made with that key "
        "gives an authority the same letter, and no list ties a letter to a workshop's date, "
        "size or venue"
        + (f"; named with their agreement: {', '.join(sorted(agreed))}" if agreed else "")
        + ". An authority's position is shown against the spread of the others, never as a "
        "league table."
    )
    out.append(
        "<section class='howto'><h2 style='border:0;margin-top:0.4rem'>How to read this</h2>"
        f"<p>Answers are on the {escape_html(rep.scale.title)} scale: {escape_html(scale_words)}, "
        "or Don't know. <b>Don't know</b> is its own answer: counted and shown beside every "
        "figure, never averaged in and never counted as a low rating. Where a question was "
        "voted on again after discussion, each person's latest answer counts.</p>"
        f"<p>{escape_html(rules)}</p>"
        f"<p><b>Chance.</b> {escape_html(describe_uncertainty())} Where different "
        "authorities took part in the two years compared, the change is flagged "
        "&ldquo;different authorities took part&rdquo;: it may say more about who answered "
        "than about any change in practice.</p>"
        f"<p><b>What is withheld.</b> {escape_html(describe_disclosure(rep.min_group))} "
        "<b>n</b> beside a figure is the number of people it rests on.</p>"
        f"<p><b>How do I know?</b> Answers may record evidence: {escape_html(ev_words)}. "
        f"<b>Unfounded confidence</b> is flagged where at least {percent(th.unfounded_share)} of "
        f"the confident answers rest on level {ev.bottom_values[-1]} or below.</p>"
        f"<p>{escape_html(anonymity)} Individual answers and who gave them are never shown.</p>"
        "</section>"
    )
    themes = rep.summaries["themes"]
    links = "".join(
        f"<li><a href='#theme-{escape_html(str(t))}'>{escape_html(str(title))}</a></li>"
        for t, title in zip(themes["theme_id"], themes["theme_title"], strict=True)
    )
    out.append(f"<nav><ol class='toc'>{links}</ol></nav></header>")
    return "\n".join(out)


def _theme_link(rep: _Report, theme: Any) -> str:
    """Return a link to a theme's section, named by its title."""
    theme = str(theme)
    themes = rep.summaries["themes"]
    ids, names = themes["theme_id"].astype(str), themes["theme_title"].astype(str)
    titles = dict(zip(ids, names, strict=True))
    return f"<a href='#theme-{escape_html(theme)}'>{escape_html(titles.get(theme, theme))}</a>"


def _short(text: str, limit: int = 90) -> str:
    """Return ``text`` cut at a word before ``limit`` characters, with an ellipsis if cut."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit)].rstrip(",;:") + "…"


def _people(n: Any) -> str:
    return f"n = {_int(n)} {'person' if _int(n) == '1' else 'people'}"


def _question_words(rep: _Report, row: Any) -> str:
    return (
        f"&ldquo;{escape_html(_short(str(row.question_text)))}&rdquo; "
        f"(<span class='nowrap'>{escape_html(str(row.question_id))}</span>, "
        f"{_theme_link(rep, row.theme_id)})"
    )


def _message(kind: str, sentence: str) -> str:
    return f"<li><span class='kind'>{escape_html(kind)}:</span> {sentence}</li>"


def _key_messages(rep: _Report) -> str:
    """Return the first page's key messages: one plain sentence each, with its n, linked.

    Every message comes from a figure the report shows elsewhere (a summary made with the
    disclosure rule): a withheld group never feeds a message.
    """
    s = rep.summaries
    items: list[str] = []
    shown = rated_groups(s["questions"])
    # Never more than half the rated questions on each side, so no question is called one of
    # the weakest only because there are few; and none with nobody at that end of the scale.
    each = min(KEY_QUESTIONS, len(shown) // 2)
    weakest = s["weakest"]
    weakest = weakest[(weakest["bottom_share"] > 0).to_numpy(dtype=bool, na_value=False)]
    weakest = weakest.head(each)
    listed = set(weakest["question_id"].astype(str))
    others = shown[~shown["question_id"].astype(str).isin(listed)]
    others = others[(others["top_share"] > 0).to_numpy(dtype=bool, na_value=False)]
    strongest = order_by_weakness(others, strongest_first=True).head(each)
    for row in strongest.itertuples(index=False):
        items.append(
            _message(
                "Among the strongest",
                f"{_question_words(rep, row)}: {percent(row.top_share)} of ratings at the top "
                f"of the scale (<span class='nowrap'>{_people(row.n_respondents)}</span>).",
            )
        )
    for row in weakest.itertuples(index=False):
        items.append(
            _message(
                "Among the weakest",
                f"{_question_words(rep, row)}: {percent(row.bottom_share)} of ratings at the "
                f"bottom of the scale (<span class='nowrap'>{_people(row.n_respondents)}</span>).",
            )
        )
    listed |= set(strongest["question_id"].astype(str))
    contested = shown[(shown["classification"].astype(str) == "contested")]
    contested = contested[~contested["question_id"].astype(str).isin(listed)]
    split = contested[["top_share", "bottom_share"]].min(axis=1)
    for i in split.sort_values(ascending=False, kind="stable").index[:KEY_OTHERS]:
        row = contested.loc[i]
        items.append(
            _message(
                "Contested",
                f"{_question_words(rep, row)}: the room is split, {percent(row.top_share)} at "
                f"the top and {percent(row.bottom_share)} at the bottom "
                f"(<span class='nowrap'>{_people(row.n_respondents)}</span>).",
            )
        )
    items += _evidence_messages(rep)
    items += _role_messages(rep)
    items += _year_messages(rep)
    if not items:
        body = "<p class='empty'>Too few answers are shown to draw key messages.</p>"
    else:
        body = f"<ul class='key-messages'>{''.join(items)}</ul>"
    return (
        "<section class='key' id='key-messages'><h2>Key messages</h2>"
        "<p>The strongest and weakest questions, what is contested, where confidence runs "
        "ahead of evidence, where Directors and Lead Members see it differently, and what "
        "changed since last year. n is the number of people a figure rests on; each message "
        f"links to its theme.</p>{body}</section>"
    )


def _evidence_messages(rep: _Report) -> list[str]:
    table = rep.summaries["evidence_questions"]
    flagged = table[
        table["unfounded_confidence"].fillna(False).astype(bool)
        & ~table["suppressed"].fillna(True).astype(bool)
        & (table["n_confident"].fillna(0) >= rep.min_group)  # no message on one or two answers
    ]
    flagged = flagged.sort_values("unfounded_share", ascending=False, kind="stable")
    return [
        _message(
            "Confidence ahead of evidence",
            f"{_question_words(rep, row)}: {_int(row.n_unfounded)} of {_int(row.n_confident)} "
            "confident answers rest on no evidence or informal impressions only "
            f"(<span class='nowrap'>{_people(row.n_respondents)}</span>).",
        )
        for row in flagged.head(KEY_OTHERS).itertuples(index=False)
    ]


def _role_messages(rep: _Report) -> list[str]:
    roles = rep.summaries["roles"]
    if not len(roles):
        return []
    apart = roles[roles["apart"].fillna(False).astype(bool)]
    apart = apart.reindex(apart["top_share_gap"].abs().sort_values(ascending=False).index)
    return [
        _message(
            "Directors and Lead Members apart",
            f"In {_theme_link(rep, row.theme_id)}, {percent(row.dcs_top_share)} of Directors' "
            f"ratings are at the top of the scale against {percent(row.lm_top_share)} of Lead "
            f"Members' (n = {_int(row.dcs_n_respondents)} and {_int(row.lm_n_respondents)} "
            "people).",
        )
        for row in apart.head(KEY_OTHERS).itertuples(index=False)
    ]


def _beyond_chance(table: pd.DataFrame, measure: str) -> np.ndarray:
    """Return -1, 0 or +1 per row: a fall, too few answers to tell, or a rise (NaN: no figure)."""
    low, high = share_change_interval(
        table[f"before_{measure}"],
        table["before_n_respondents"],
        table[f"after_{measure}"],
        table["after_n_respondents"],
    )
    out = np.where(low > 0, 1.0, np.where(high < 0, -1.0, 0.0))
    return np.where(np.isnan(low) | np.isnan(high), np.nan, out)


def _authorities_by_year(rep: _Report) -> dict[int, set[str]]:
    """Return the authorities that took part in each year of the report's own answers."""
    r = rep.ratings
    if "held_on" not in r.columns or "authority" not in r.columns or not len(r):
        return {}
    if "taking_part" not in rep.summaries:  # read once per report: it scans every answer
        pairs = pd.DataFrame(
            {"year": pd.to_datetime(r["held_on"]).dt.year, "authority": r["authority"]}
        )
        rep.summaries["taking_part"] = pairs.dropna().drop_duplicates()
    pairs = rep.summaries["taking_part"]
    return {
        int(y): {str(a) for a in g["authority"]}
        for y, g in pairs.groupby("year", observed=True)
    }


def _like_for_like(rep: _Report, years: Sequence[Any]) -> str:
    """Return "" when the same authorities took part in every one of ``years``, else a flag."""
    taking_part = _authorities_by_year(rep)
    sets = [taking_part.get(int(y), set()) for y in years]
    if not sets or all(one == sets[0] for one in sets):
        return ""
    counts = ", ".join(f"{len(one)} in {y}" for y, one in zip(years, sets, strict=True))
    both = len(set.intersection(*sets))
    common = "all those years" if len(sets) > 2 else "both"
    return (
        f"Different authorities took part ({counts}; {both} in {common}): a change may say "
        "more about who answered than about practice."
    )


def _year_messages(rep: _Report) -> list[str]:
    table = rep.summaries.get("years")
    if table is None or not len(table):
        return []
    before, after = table.attrs.get("before"), table.attrs.get("after")
    caveat = _like_for_like(rep, [before, after])
    tail = f" <span class='caveat'>{escape_html(caveat)}</span>" if caveat else ""
    direction = _beyond_chance(table, "top_share")
    moved = table[np.nan_to_num(direction) != 0]
    kind = f"Since {before}"
    if not len(moved):
        judged = table[~np.isnan(direction)]
        if not len(judged):
            return []
        sizes = pd.concat([judged["before_n_respondents"], judged["after_n_respondents"]])
        fewest, most = _int(sizes.min()), _int(sizes.max())
        people = f"n = {fewest} people" if fewest == most else f"n = {fewest} to {most} people"
        return [
            _message(
                kind,
                f"No theme's share at the top of the scale moved by more than chance would "
                f"give between {before} and {after} (too few answers to tell; {people} per "
                f"theme and year; see <a href='#change-years'>the change since last year</a>)."
                f"{tail}",
            )
        ]
    moved = moved.reindex(moved["top_share_change"].abs().sort_values(ascending=False).index)
    out = []
    for row in moved.head(KEY_OTHERS).itertuples(index=False):
        verb = "rose" if float(row.top_share_change) > 0 else "fell"
        out.append(
            _message(
                kind,
                f"In {_theme_link(rep, row.theme_id)} the share at the top of the scale {verb} "
                f"from {percent(row.before_top_share)} to {percent(row.after_top_share)} "
                f"(n = {_int(row.before_n_respondents)} people in {before}, "
                f"{_int(row.after_n_respondents)} in {after}).{tail}",
            )
        )
    return out


def _overview(rep: _Report) -> str:
    s = rep.summaries
    out = ["<section class='overview' id='overview'><h2>The picture across the themes</h2>"]
    themes = s["themes"]
    rows = [
        _summary_row_cells(row, rep, first=[_Cell(str(row.theme_title))])
        for row in themes.itertuples(index=False)
    ]
    out.append(_table(_summary_headers(rep, ["Theme"]), rows, "Confidence by theme"))
    out.append(_charts_overview(rep))
    out.append(_roles_block(rep))
    if "position" in s:
        out.append(_position_block(rep))
    if "authorities" in s:
        out.append(_authorities_block(rep))
    if "rounds" in s:
        out.append(_change_block(rep, "rounds"))
    if "years" in s:
        out.append(_change_block(rep, "years"))
    out.append(_trend_block(rep))
    out.append(
        _question_list(
            rep, "weakest", "The weakest questions", "largest share at the bottom of the scale"
        )
    )
    out.append(
        _question_list(
            rep, "disagreements", "Where views differ most", "both ends of the scale well filled"
        )
    )
    out.append("</section>")
    return "\n".join(out)


def _question_list(rep: _Report, key: str, heading: str, why: str) -> str:
    table = rep.summaries[key]
    if not len(table):
        return ""
    items = []
    for row in table.itertuples(index=False):
        items.append(
            f"<li><b>{escape_html(str(row.question_id))}</b> {escape_html(str(row.question_text))} "
            f"<span class='n'>(top {percent(row.top_share)}, bottom {percent(row.bottom_share)}, "
            f"n = {_int(row.n_respondents)} people)</span></li>"
        )
    return f"<h3>{escape_html(heading)}</h3><p>By {escape_html(why)}.</p><ol>{''.join(items)}</ol>"


def _roles_block(rep: _Report) -> str:
    roles = rep.summaries["roles"]
    if not len(roles):
        return ""
    out = ["<h3>Directors and Lead Members side by side</h3>"]
    out.append(_charts_roles(rep))
    rows = []
    for row in roles.itertuples(index=False):
        cells = [_Cell(str(row.theme_title))]
        for prefix in ("dcs", "lm"):
            if _yes(getattr(row, f"{prefix}_suppressed")):
                cells += [_Cell(rep.suppressed_words, suppressed=True), _Cell("", suppressed=True)]
            elif pd.isna(getattr(row, f"{prefix}_n_respondents")):
                cells += [_Cell("no answers"), _Cell("")]
            else:
                cells += [
                    _Cell(
                        f"{percent(getattr(row, f'{prefix}_top_share'))} "
                        f"(n = {_int(getattr(row, f'{prefix}_n_respondents'))})",
                        numeric=True,
                    ),
                    _classification_cell(getattr(row, f"{prefix}_classification")),
                ]
        cells.append(_flag_cell(str(row.why) if _yes(row.apart) else ""))
        rows.append(cells)
    out.append(
        _table(
            ["Theme", "DCS top share", "DCS", "Lead Member top share", "Lead Member", "Apart?"],
            rows,
            "DCS and Lead Member views by theme (n: people)",
        )
    )
    return "\n".join(out)


def _position_block(rep: _Report) -> str:
    pos = rep.summaries["position"]
    out = [
        f"<h3>{escape_html(str(rep.authority))} against the spread of the region</h3>",
        "<p>Each theme shows this authority's share at the top of the scale against the "
        "range and middle half of the other authorities' own figures. It is a position, not "
        "a league table; other authorities are not named.</p>",
    ]
    out.append(_charts_position(rep))
    rows = []
    for row in pos.itertuples(index=False):
        if _yes(row.suppressed):
            own = _Cell(rep.suppressed_words, suppressed=True)
        elif pd.isna(row.value):
            own = _Cell("no answers")
        else:
            own = _Cell(f"{percent(row.value)} (n = {_int(row.n_respondents)})", numeric=True)
        if _yes(row.others_suppressed):
            spread = _Cell(
                f"withheld (fewer than {pos.attrs.get('min_others', 3)} other "
                "authorities with enough people)",
                suppressed=True,
            )
            middle = _Cell("", suppressed=True)
        else:
            spread = _Cell(
                f"{percent(row.others_min)} to {percent(row.others_max)} "
                f"({_int(row.others_n)} authorities)",
                numeric=True,
            )
            middle = _Cell(f"{percent(row.others_q1)} to {percent(row.others_q3)}", numeric=True)
        position = "" if pd.isna(row.position) else str(row.position)
        rows.append([_Cell(str(row.theme_title)), own, middle, spread, _Cell(position)])
    out.append(
        _table(
            [
                "Theme",
                "This authority (top share)",
                "Others: middle half",
                "Others: range",
                "Position",
            ],
            rows,
            "Position against the region (n: people)",
        )
    )
    return "\n".join(out)


def _top_share_cell(rep: _Report, found: Any) -> _Cell:
    """Return one group's share at the top of the scale with its n (or why there is none)."""
    if found is None:
        return _Cell("no answers")
    if _yes(found.suppressed):
        return _Cell(rep.suppressed_words, suppressed=True)
    return _Cell(f"{percent(found.top_share)} (n = {_int(found.n_respondents)})")


def _authorities_block(rep: _Report) -> str:
    table = rep.summaries["authorities"]
    if table["authority"].nunique() < 2:
        return ""
    out = [
        "<div class='keep'><h3>Authorities by theme</h3>",
        "<p>Share of ratings at the top of the scale per authority and theme, with the people "
        "(n) it rests on: one row per authority, so the table fits a printed page however "
        "many took part. Authorities are anonymised unless they agreed to be named; "
        "suppressed cells are hatched.</p></div>",
        _charts_authorities(rep),
    ]
    labels = list(dict.fromkeys(table["authority"]))
    themes = list(dict.fromkeys(table["theme_title"]))
    cells = {(str(r.theme_title), str(r.authority)): r for r in table.itertuples(index=False)}
    rows = []
    for label in labels:
        row = [_Cell(label)]
        for theme in themes:
            row.append(_top_share_cell(rep, cells.get((theme, label))))
        rows.append(row)
    out.append(
        _table(
            ["Authority", *themes],
            rows,
            "Share at the top of the scale, by authority (n: people)",
        )
    )
    return "\n".join(out)


def _side_cell(rep: _Report, row: Any, prefix: str) -> _Cell:
    """Return one side of a comparison: its people, top and bottom shares (or why none)."""
    if _yes(getattr(row, f"{prefix}_suppressed")):
        return _Cell(rep.suppressed_words, suppressed=True)
    if pd.isna(getattr(row, f"{prefix}_n_respondents")):
        return _Cell("no answers")
    return _Cell(
        f"{percent(getattr(row, f'{prefix}_top_share'))} top, "
        f"{percent(getattr(row, f'{prefix}_bottom_share'))} bottom "
        f"(n\u00a0=\u00a0{_int(getattr(row, f'{prefix}_n_respondents'))}; "
        f"{getattr(row, f'{prefix}_classification')})"
    )


def _points(value: Any) -> _Cell:
    if value is None or pd.isna(value):
        return _Cell("–", numeric=True)
    return _Cell(f"{round(float(value) * 100):+d} points", numeric=True)


_CHANCE_WORDS = {1.0: "a real rise", -1.0: "a real fall", 0.0: "too few answers to tell"}


def _change_block(rep: _Report, key: str) -> str:
    table = rep.summaries[key]
    if not len(table):
        return ""
    before, after = table.attrs.get("before"), table.attrs.get("after")
    if key == "rounds":
        heading = "Change after discussion (round 1 to round 2)"
        sides = ("Round 1", "Round 2")
        caveat = ""
    else:
        heading = f"Change since last year ({before} to {after})"
        sides = (str(before), str(after))
        caveat = _like_for_like(rep, [before, after])
    out = [f"<div class='keep'><h3 id='change-{key}'>{escape_html(heading)}</h3>"]
    if caveat:
        out.append(f"<p class='flag'>{escape_html(caveat)}</p>")
    out.append(
        "<p>Shares at the top and bottom of the scale on each side, with the people (n) they "
        "rest on. A change is called real only where it is larger than chance would give "
        "(see How to read this).</p></div>"
    )
    out.append(_charts_change(rep, key))
    top = _beyond_chance(table, "top_share")
    bottom = _beyond_chance(table, "bottom_share")
    table = table.assign(
        bottom_share_change=table["after_bottom_share"] - table["before_bottom_share"]
    )
    rows = []
    for i, row in enumerate(table.itertuples(index=False)):
        chance = []
        for what, judged in (("top", top[i]), ("bottom", bottom[i])):
            if not np.isnan(judged):
                chance.append(f"{what}: {_CHANCE_WORDS[float(judged)]}")
        rows.append(
            [
                _Cell(str(row.theme_title)),
                _side_cell(rep, row, "before"),
                _side_cell(rep, row, "after"),
                _points(row.top_share_change),
                _points(row.bottom_share_change),
                _Cell("; ".join(chance) or "–"),
                _flag_cell(str(row.why) if _yes(row.notable) else ""),
            ]
        )
    notable = any(_yes(v) for v in table["notable"])
    out.append(
        _table(
            [
                "Theme",
                sides[0],
                sides[1],
                "Change at the top",
                "Change at the bottom",
                "More than chance?",
                *(["Notable"] if notable else []),
            ],
            [row if notable else row[:-1] for row in rows],
            f"{heading} (n: people)",
        )
    )
    return "\n".join(out)


def _trend_block(rep: _Report) -> str:
    """Return the share at the top of the scale by year, where three years or more took part."""
    from . import summary as sm

    r = rep.ratings
    if "held_on" not in r.columns or not len(r):
        return ""
    years = sorted(int(y) for y in pd.to_datetime(r["held_on"]).dt.year.dropna().unique())
    if len(years) < 3:
        return ""
    years = years[-MAX_TREND_YEARS:]
    if "trend" not in rep.summaries:
        # Split by year like the change table (year is one of the disclosure rule's keys), so
        # the two withhold alike.
        rep.summaries["trend"] = sm.summarise(
            rep.region,
            by=["theme_id", "year"],
            min_group=rep.min_group,
            framework=rep.framework,
            scale=rep.scale,
            where=rep.where or None,
        )
    trend = rep.summaries["trend"]
    cells = {(str(t.theme_id), int(t.year)): t for t in trend.itertuples(index=False)}
    rows = []
    for theme in rep.summaries["themes"].itertuples(index=False):
        row = [_Cell(str(theme.theme_title))]
        for year in years:
            row.append(_top_share_cell(rep, cells.get((str(theme.theme_id), year))))
        rows.append(row)
    caveat = _like_for_like(rep, years)
    flag = f"<p class='flag'>{escape_html(caveat)}</p>" if caveat else ""
    return (
        f"<div class='keep'><h3>Trend over {len(years)} years</h3>{flag}"
        "<p>Share of ratings at the top of the scale by year, with the people (n) it rests "
        "on.</p></div>"
        + _table(
            ["Theme", *map(str, years)], rows, "Share at the top of the scale by year (n: people)"
        )
    )


def _theme_section(rep: _Report, theme_row: Any) -> str:
    theme = str(theme_row.theme_id)
    title = str(theme_row.theme_title)
    order = rep.framework.theme_ids.index(theme) + 1 if theme in rep.framework.theme_ids else ""
    out = [
        f"<section class='theme' id='theme-{escape_html(theme)}'>",
        f"<h2>{order}. {escape_html(title)}</h2>",
    ]
    # What do we know?
    out.append("<h3>What do we know?</h3>")
    out.append(f"<p>{_theme_sentence(rep, theme_row)}</p>")
    questions = rep.summaries["questions"]
    questions = order_by_weakness(questions[questions["theme_id"] == theme])
    rows = [
        _summary_row_cells(row, rep, first=[_question_cell(rep, row)])
        for row in questions.itertuples(index=False)
    ]
    out.append(
        _table(
            _summary_headers(rep, ["Question"]),
            rows,
            f"{title}: by question, weakest first",
        )
    )
    if not _yes(theme_row.suppressed):
        out.append(_charts_theme_questions(rep, theme))
    # How do we know?
    out.append("<h3>How do we know?</h3>")
    out.append(_evidence_block(rep, theme, theme_row))
    # What will we do next?
    out.append("<h3>What will we do next?</h3>")
    out.append(_actions_block(rep, theme))
    out.append(_good_practice_block(rep, theme))
    out.append(_source_examples_block(rep, theme))
    out.append("</section>")
    return "\n".join(out)


def _question_cell(rep: _Report, row: Any) -> _Cell:
    """Return a question as printed: terms linked at first use, its editorial note beside it."""
    qid = str(row.question_id)
    text = mark_terms(rep.framework.glossary, str(row.question_text), rep.glossed)
    note = (
        editorial_html(rep.framework, qid)
        if qid in set(rep.framework.questions["question_id"])
        else ""
    )
    return _Cell(f"{escape_html(qid)}: {text}{note}", html=True, anchor=_question_anchor(qid))


def _question_anchor(question_id: str) -> str:
    return f"question-{question_id}"


def _three_questions() -> str:
    """Return the three per-theme questions, credited to Ofsted (ILACS), not the framework."""
    return (
        "<p>Each theme below answers three questions in turn: <b>What do we know?</b> "
        "(how confident people are), <b>How do we know?</b> (the evidence behind it) and "
        "<b>What will we do next?</b> (actions and practice to learn from).</p>"
        "<p class='credit'>These three questions are adapted from Ofsted's self-evaluation "
        "questions for its inspections of local authority children's services (ILACS): what "
        "do you know about the quality and impact of social work practice, how do you know it, "
        "and what are your plans to maintain or improve it. They are Ofsted's, paraphrased, "
        "not the framework's; the framework's own question is the one quoted above.</p>"
    )


def _end_matter(rep: _Report) -> str:
    """Return the glossary of the terms marked in the page, then "What changed since 2010"."""
    glossary = rep.framework.glossary
    return "\n".join(
        part for part in (glossary_html(glossary, rep.glossed), changes_html(glossary)) if part
    )


def _theme_sentence(rep: _Report, row: Any) -> str:
    if _yes(row.suppressed):
        return f"Figures for this theme are {escape_html(rep.suppressed_words)}."
    cls = str(row.classification)
    if cls == "no ratings":
        return (
            f"All {_int(row.n_answers)} answers from {_int(row.n_respondents)} people "
            "were Don't know: nobody felt able to rate this theme."
        )
    return (
        f"Confidence in this theme is <span class='cls cls-{escape_html(cls.replace(' ', '-'))}'>"
        f"{escape_html(cls)}</span>: {percent(row.top_share)} of ratings at the top of the scale, "
        f"{percent(row.bottom_share)} at the bottom, median {_num(row.median)}; "
        f"{percent(row.dont_know_share)} of answers were Don't know "
        f"(n = {_int(row.n_respondents)} people, {_int(row.n_answers)} answers)."
    )


def _evidence_block(rep: _Report, theme: str, theme_row: Any) -> str:
    ev = rep.summaries["themes"].attrs["evidence_scale"]
    out = []
    if _yes(theme_row.suppressed):
        out.append(f"<p>Evidence figures are {escape_html(rep.suppressed_words)}.</p>")
        return "\n".join(out)
    n_ev = theme_row.n_evidence
    if pd.isna(n_ev) or int(n_ev) == 0:
        out.append("<p class='empty'>No evidence level was recorded with these answers.</p>")
    else:
        shares = ", ".join(
            f"{percent(getattr(theme_row, f'evidence_share_{v}'))} {escape_html(label)}"
            for v, label in zip(ev.values, ev.labels, strict=True)
        )
        out.append(f"<p>{_int(n_ev)} answers recorded how people know: {shares}.</p>")
        flags = rep.summaries["evidence"]
        flag = flags[flags["theme_id"] == theme]
        if len(flag) and bool(flag["unfounded_confidence"].iloc[0]):
            f = flag.iloc[0]
            out.append(
                f"<p class='flag'>Unfounded confidence: {_int(f['n_unfounded'])} of "
                f"{_int(f['n_confident'])} confident answers "
                f"({percent(f['unfounded_share'])}) rest "
                "on no evidence or informal impressions only.</p>"
            )
        per_q = rep.summaries["evidence_questions"]
        per_q = per_q[(per_q["theme_id"] == theme) & per_q["unfounded_confidence"].astype(bool)]
        if len(per_q):
            items = "".join(
                f"<li>{escape_html(str(q.question_id))}: {percent(q.unfounded_share)} of "
                f"{_int(q.n_confident)} confident answers</li>"
                for q in per_q.itertuples(index=False)
            )
            out.append(f"<p>Questions with unfounded confidence:</p><ul>{items}</ul>")
        out.append(_charts_theme_evidence(rep, theme))
    out.append(_notes_block(rep, theme))
    return "\n".join(out)


def _open_groups(rep: _Report, table: pd.DataFrame) -> np.ndarray:
    """Flag the rows of ``table`` (answers, examples) whose words may be published.

    A row may be published only where the smallest group it comes from is shown by the
    disclosure rule: its question (or, with none named, its theme), role and authority, each
    as far as the row names them, and in a report of a slice by year or workshop, its year or
    workshop too.
    """
    from . import summary as sm

    flags = np.zeros(len(table), dtype=bool)
    if not len(table) or "authority" not in table.columns:
        return flags
    sliced_by = []
    if "year" in rep.selection and "held_on" in table.columns:
        table = table.assign(year=pd.to_datetime(table["held_on"]).dt.year.astype("Int64"))
        sliced_by.append("year")
    if "workshop_id" in rep.selection and "workshop_id" in table.columns:
        sliced_by.append("workshop_id")

    def named(column: str) -> np.ndarray:
        if column not in table.columns:
            return np.zeros(len(table), dtype=bool)
        values = table[column].astype(object)
        return np.array([isinstance(v, str) and bool(v.strip()) for v in values], dtype=bool)

    has_question, has_role = named("question_id"), named("role")
    for item, item_rows in (("question_id", has_question), ("theme_id", ~has_question)):
        for with_role in (True, False):
            rows = item_rows & (has_role if with_role else ~has_role)
            if not rows.any():
                continue
            keys = [item, "role", "authority"] if with_role else [item, "authority"]
            keys += sliced_by
            cache = "groups:" + ",".join(keys)
            if cache not in rep.summaries:
                # Asked for as _summaries asks for its tables (by theme and authority, in a
                # report of the whole data), so within reusing_work a table made there serves.
                rep.summaries[cache] = sm.summarise(
                    rep.region,
                    by=keys,
                    min_group=rep.min_group,
                    framework=rep.framework,
                    scale=rep.scale,
                    where=None,
                )
            groups = rep.summaries[cache]
            shown = groups[~groups["suppressed"].astype(bool)][keys].astype(str)
            picked = pd.MultiIndex.from_frame(table[rows][keys].astype(str))
            flags[np.flatnonzero(rows)] = picked.isin(pd.MultiIndex.from_frame(shown))
    return flags


def _publishable_notes(rep: _Report) -> pd.DataFrame:
    """Return the notes this report may show, newest first.

    Columns theme_id, question_id and note: never who wrote them, nor when.
    """
    if "publishable_notes" in rep.summaries:
        return rep.summaries["publishable_notes"]
    r = rep.ratings
    columns = ["theme_id", "question_id", "note"]
    if "note" not in r.columns or not len(r):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # Most answers carry no note: strip only the ones that do.
    given = np.flatnonzero(r["note"].notna().to_numpy())
    text = r["note"].iloc[given].astype("string").str.strip()
    notes = r.iloc[given[(text != "").to_numpy(dtype=bool, na_value=False)]]
    notes = notes[_open_groups(rep, notes)]
    if "recorded_at" in notes.columns:
        notes = notes.sort_values("recorded_at", ascending=False, kind="stable")
    rep.summaries["publishable_notes"] = pd.DataFrame(
        {
            "theme_id": notes["theme_id"].astype(object).to_numpy(),
            "question_id": notes["question_id"].astype(object).to_numpy(),
            "note": [rep.names.scrub(n) for n in notes["note"]],
        }
    )
    return rep.summaries["publishable_notes"]


def _notes_block(rep: _Report, theme: str) -> str:
    notes = _publishable_notes(rep)
    in_theme = notes[notes["theme_id"].astype(str) == theme]
    if not len(in_theme):
        return ""
    shown = in_theme.head(MAX_NOTES_PER_THEME)
    items = "".join(
        f"<li><b>{escape_html(str(q))}</b>: {escape_html(str(n))}</li>"
        for q, n in zip(shown["question_id"], shown["note"], strict=True)
    )
    more = len(in_theme) - len(shown)
    tail = f"<p class='empty'>and {more:,} more notes in the data.</p>" if more > 0 else ""
    return f"<h4>Notes recorded with the answers</h4><ul class='note-list'>{items}</ul>{tail}"


def _actions_block(rep: _Report, theme: str) -> str:
    actions = rep.actions
    actions = actions[actions["theme_id"].astype("string") == theme] if len(actions) else actions
    if not len(actions):
        return "<h4>Actions</h4><p class='empty'>No actions were captured for this theme.</p>"
    known = set(rep.framework.questions["question_id"].astype(str))
    rows = []
    for a in actions.to_dict("records"):
        question = a.get("question_id")
        question = "" if question is None or pd.isna(question) else str(question)
        rows.append(
            [
                _question_link(question) if question in known else _Cell(question),
                _Cell(rep.names.scrub(a.get("what"))),
                _Cell(rep.names.scrub(a.get("owner"))),
                _Cell(_date(a.get("due"))),
                _Cell("" if pd.isna(a.get("status")) else str(a.get("status"))),
            ]
        )
    return "<h4>Actions</h4>" + _table(["Question", "What", "Owner", "By when", "Status"], rows)


def _question_link(question_id: str) -> _Cell:
    """Return a cell linking to a question's row in its theme's table."""
    return _Cell(
        f"<a href='#{escape_html(_question_anchor(question_id))}'>{escape_html(question_id)}</a>",
        html=True,
    )


def _publishable_examples(rep: _Report) -> pd.DataFrame:
    """Return the new good practice this report may show.

    Only examples shared with consent, from a group the disclosure rule shows (see
    `_open_groups`), and never with who shared them. Columns theme_id, question_id, text.
    """
    if "publishable_examples" in rep.summaries:
        return rep.summaries["publishable_examples"]
    ex = rep.examples
    columns = ["theme_id", "question_id", "text"]
    if not len(ex):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    ex = ex[ex["consent_to_share"].fillna(False).astype(bool)]
    ex = ex[_open_groups(rep, ex)]
    rep.summaries["publishable_examples"] = pd.DataFrame(
        {
            "theme_id": ex["theme_id"].astype(object).to_numpy(),
            "question_id": (
                ex["question_id"].astype(object).to_numpy()
                if "question_id" in ex.columns
                else [None] * len(ex)
            ),
            "text": [rep.names.scrub(v) for v in ex["text"]],
        }
    )
    return rep.summaries["publishable_examples"]


def _good_practice_block(rep: _Report, theme: str) -> str:
    examples = _publishable_examples(rep)
    shared = examples[examples["theme_id"].astype(str) == theme]
    if not len(shared):
        return ""
    items = [
        f"<blockquote class='example'><p>{escape_html(text)}</p></blockquote>"
        for text in shared["text"]
    ]
    return "<h4>New good practice shared (with consent)</h4>" + "".join(items)


def _source_examples_block(rep: _Report, theme: str) -> str:
    examples = rep.framework.examples_for(theme)
    if not len(examples):
        return ""
    out = [f"<h4>Examples of practice from {escape_html(_source_name(rep))}</h4>"]
    glossary = rep.framework.glossary
    for heading, group in examples.groupby("heading", sort=False):
        out.append(f"<p><b>{mark_terms(glossary, str(heading), rep.glossed)}</b></p>")
        for ex in group.itertuples(index=False):
            out.append(
                f"<blockquote class='example'><p>"
                f"{mark_terms(glossary, str(ex.quote), rep.glossed)}</p>"
                f"{editorial_html(rep.framework, str(ex.example_id))}"
                f"<footer>{escape_html(_attribution(str(ex.attribution)))}</footer></blockquote>"
            )
    return "\n".join(out)


def _source_name(rep: _Report) -> str:
    about = rep.framework.about
    edition = str(about.get("edition", ""))
    name = str(about.get("title", "the source"))
    return f"{name} ({edition})" if edition else name


def _attribution(code: str) -> str:
    return {
        "DCS": "a Director of Children's Services",
        "LM": "a Lead Member",
        "DCS and LM": "a Director of Children's Services and a Lead Member",
    }.get(code, code)


def _workshops_block(rep: _Report) -> str:
    r = rep.ratings
    if "workshop_id" not in r.columns or not len(r):
        return ""
    answered = (
        r.groupby("workshop_id", sort=False, observed=True)
        .agg(
            title=("workshop_title", "first"),
            held_on=("held_on", "first"),
            synthetic=("synthetic", "first"),
        )
        .sort_values("held_on", kind="stable")
    )
    per = rep.summaries.get("per_workshop")
    rows = []
    for wid, w in answered.head(MAX_WORKSHOPS_LISTED).iterrows():
        n = None if per is None else per.get(wid)
        rows.append(
            [
                # Beside a date and a size: hidden authorities as "another authority", never
                # their letter, which would tie the letter to this workshop.
                _Cell(rep.names.scrub(w["title"], neutral=True)),
                _Cell(_date(w["held_on"])),
                _Cell("synthetic" if bool(w["synthetic"]) else ""),
                _Cell(
                    rep.suppressed_words if n is None else _int(n),
                    numeric=n is not None,
                    suppressed=n is None,
                ),
            ]
        )
    more = len(answered) - min(len(answered), MAX_WORKSHOPS_LISTED)
    tail = f"<p class='empty'>and {more} more workshops.</p>" if more else ""
    return (
        "<h3>The workshops behind this report</h3>"
        + _table(["Workshop", "Held on", "", "Respondents (n)"], rows)
        + tail
    )


def _footer(rep: _Report) -> str:
    about = rep.framework.about
    made = dt.datetime.now(dt.UTC).strftime("%-d %B %Y, %H:%M UTC")
    source = ", ".join(
        str(about.get(k, "")) for k in ("title", "edition", "origin") if about.get(k)
    )
    return (
        "<footer class='report'>"
        + _workshops_block(rep)
        + f"<p>Made with assured-kit {escape_html(__version__)} on {escape_html(made)}. "
        f"Framework: {escape_html(source)}. Figures resting on fewer than {rep.min_group} "
        "people are withheld, with any figure that would give them away. Anonymity key "
        f"fingerprint {escape_html(rep.names.fingerprint)}.</p></footer>"
    )


def _html(rep: _Report) -> str:
    r = rep.ratings
    if len(r):
        pairs = r[["workshop_id", "respondent_id"]].drop_duplicates()
        counts = pairs.groupby("workshop_id", sort=False).size()
        rep.summaries["per_workshop"] = {  # type: ignore[assignment]
            w: int(n) for w, n in counts.items() if n >= rep.min_group
        }
    parts = [_head(rep), _header(rep), _overview(rep)]
    for row in rep.summaries["themes"].itertuples(index=False):
        parts.append(_theme_section(rep, row))
    parts.append(_end_matter(rep))
    parts.append(_footer(rep))
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------- chart panels


def _embed(draw: Callable[[], Axes], *, alt: str, caption: str = "") -> str:
    """Run a chart function of `assured_kit.charts` and embed its figure as an SVG image."""
    import matplotlib.pyplot as plt

    from .charts import page_width, svg_image

    with page_width(CHART_WIDTH):
        ax = draw()
    fig = ax.figure
    try:
        image = svg_image(fig)
    finally:
        plt.close(fig)  # type: ignore[arg-type]
    data = base64.b64encode(image).decode("ascii")
    cap = f"<figcaption>{escape_html(caption)}</figcaption>" if caption else ""
    return (
        f"<figure><img src='data:image/svg+xml;base64,{data}' alt='{escape_html(alt)}'>"
        f"{cap}</figure>"
    )


def _charts_overview(rep: _Report) -> str:
    from . import charts

    themes = rep.summaries["themes"]
    return _embed(
        lambda: charts.diverging_bars(themes, by="theme_id"),
        alt="Diverging bars per theme: the share of ratings at each level of the scale, centred "
        "on the middle of the scale, with Don't know shown apart. The table above holds the "
        "same figures.",
        caption="Each bar shows the ratings for a theme, from the bottom of the scale (left) to "
        "the top (right); Don't know is shown apart.",
    )


def _charts_roles(rep: _Report) -> str:
    from . import charts

    roles = rep.summaries["roles"]
    return _embed(
        lambda: charts.role_pairs(roles),
        alt="Paired dots per theme: the share of Directors and of Lead Members at the top of "
        "the scale, with pairs far apart marked. The table below holds the same figures.",
    )


def _charts_position(rep: _Report) -> str:
    from . import charts

    position = rep.summaries["position"]
    return _embed(
        lambda: charts.authority_spread(position),
        alt=f"{rep.authority}'s share at the top of the scale per theme, drawn over the range "
        "and middle half of the other authorities. The table below holds the same figures.",
    )


def _charts_authorities(rep: _Report) -> str:
    from . import charts

    table = rep.summaries["authorities"]
    return _embed(
        # One row per authority (like the table below): as tall as it needs, never too wide
        # for a printed page.
        lambda: charts.heatmap(table, rows="authority", columns="theme_id"),
        alt="Grid of authorities against themes: the share of ratings at the top of the scale "
        "in each cell; suppressed cells hatched and labelled.",
    )


def _charts_change(rep: _Report, key: str) -> str:
    from . import charts

    table = rep.summaries[key]
    return _embed(
        lambda: charts.change_dumbbell(table),
        alt="Dumbbells per theme from the earlier share at the top of the scale to the later "
        "one. The table below holds the same figures.",
    )


def _charts_theme_questions(rep: _Report, theme: str) -> str:
    from . import charts

    questions = rep.summaries["questions"]
    subset = order_by_weakness(questions[questions["theme_id"] == theme]).reset_index(drop=True)
    subset.attrs.update(questions.attrs)
    if not len(subset):
        return ""
    return _embed(
        lambda: charts.diverging_bars(subset, by="question_id"),
        alt="Diverging bars per question of the theme, Don't know shown apart. The table above "
        "holds the same figures.",
    )


def _theme_answers(rep: _Report) -> dict[str, np.ndarray]:
    """Return the row positions of the report's answers (``rep.ratings``) per theme.

    Found in one pass over the answers, once per report, rather than once per theme.
    """
    if "theme_id" not in rep.ratings.columns:
        return {}
    themes = rep.ratings["theme_id"].astype(str)
    return dict(themes.groupby(themes.to_numpy(), sort=False).indices)


def _charts_theme_evidence(rep: _Report, theme: str) -> str:
    from . import charts
    from .summary import evidence_grid

    # The grid describes the theme's own group: withheld with it (the themes table already
    # applied the disclosure rule against the whole data), else as evidence_grid says of the
    # theme's answers in the report's slice (rep.ratings: rep.region within rep.where).
    themes = rep.summaries["themes"]
    row = themes[themes["theme_id"].astype(str) == theme]
    if not len(row) or bool(row["suppressed"].iloc[0]):
        return ""
    if rep.theme_rows is None:
        rep.theme_rows = _theme_answers(rep)
    rows = rep.theme_rows.get(theme)
    if rows is None or not len(rows):
        return ""
    grid = evidence_grid(rep.ratings.iloc[rows], scale=rep.scale, min_group=rep.min_group)
    if bool(grid["suppressed"].all()) or int(grid["n"].fillna(0).sum()) == 0:
        return ""
    return _embed(
        lambda: charts.confidence_evidence(grid),
        alt="For each confidence level, how the answers rest on evidence, from no evidence to "
        "triangulated; high confidence on no or informal evidence is marked as unfounded.",
    )


# --------------------------------------------------------------------------- from files


def _workshop_files(sources: Sequence[str | Path]) -> list[Path]:
    from .store import SUFFIX

    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file()))
        elif path.name.lower().endswith(SUFFIX):
            files.append(path)
    return files


def gather(sources: Sequence[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read ratings, actions and examples from workshop files, folders and exports.

    Ratings come from `read_ratings` (every source); actions and examples from the workshop
    files among the sources (exports of answers hold neither), each with its ``workshop_id``
    and ``workshop_title``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Workshop.create(folder / "w.workshop.sqlite", title="W") as ws:
    ...     _ = ws.add_action("Audit the plan", theme_id="LA")
    >>> ratings, actions, examples = gather([folder])
    >>> actions["what"].tolist(), len(ratings)
    (['Audit the plan'], 0)
    """
    from .ratings import read_ratings
    from .store import Workshop

    ratings = read_ratings(*sources)
    actions, examples = [], []
    for path in _workshop_files(sources):
        with Workshop.open(path) as ws:
            for table, bucket in ((ws.actions(), actions), (ws.examples(), examples)):
                if len(table):
                    table = table.copy()
                    table.insert(0, "workshop_title", ws.title)
                    table.insert(0, "workshop_id", ws.workshop_id)
                    bucket.append(table)
    return (
        ratings,
        pd.concat(actions, ignore_index=True)
        if actions
        else pd.DataFrame(columns=["workshop_id", "workshop_title", *_ACTION_COLUMNS]),
        pd.concat(examples, ignore_index=True)
        if examples
        else pd.DataFrame(columns=["workshop_id", "workshop_title", *_EXAMPLE_COLUMNS]),
    )


def report_from_sources(
    sources: Sequence[str | Path],
    path: str | Path,
    *,
    scope: str | None = None,
    authority: str | None = None,
    min_group: int = 3,
    title: str | None = None,
    named_authorities: Sequence[str] = (),
    key: str | Path | None = None,
    allow_small_groups: bool = False,
    years: Sequence[int] = (),
    roles: Sequence[str] = (),
    workshops: Sequence[str] = (),
    marking: str = DEFAULT_MARKING,
) -> Path:
    """Write a report from workshop files, folders of them and tidy exports (the CLI's ``report``).

    ``years``, ``roles`` and ``workshops`` (ids or titles), when given, pick a slice of the
    answers (`assured_kit.summary.where_from`): the report is made from every answer with that
    slice, so it withholds what the full report withholds and cannot be subtracted from it.
    The actions and examples of workshops left with no answer in the slice are dropped.

    The scope defaults to ``"authority"`` when ``authority`` is given, ``"workshop"`` when
    the sources hold one workshop, else ``"region"``. In an authority report only the actions
    and examples of workshops the authority took part in are shown. The anonymity key is
    ``key``, or the key file beside the first source (written on first use). ``marking`` is
    the protective marking printed on every page (see `write_report`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Workshop.create(folder / "w.workshop.sqlite", title="W") as ws:
    ...     pass
    >>> report_from_sources([folder], folder / "r.xlsx").name
    'r.xlsx'
    """
    ratings, actions, examples = gather(sources)
    where = where_from(ratings, years=years, roles=roles, workshops=workshops)
    sliced = ratings[where_mask(ratings, where)] if where else ratings
    if where:
        kept = set(sliced["workshop_id"])
        actions = actions[actions["workshop_id"].isin(kept)] if len(actions) else actions
        examples = examples[examples["workshop_id"].isin(kept)] if len(examples) else examples
    if scope is None:
        if authority:
            scope = "authority"
        elif sliced["workshop_id"].nunique() <= 1:
            scope = "workshop"
        else:
            scope = "region"
    if scope == "authority" and authority:
        took_part = set(sliced.loc[sliced["authority"] == authority, "workshop_id"])
        actions = actions[actions["workshop_id"].isin(took_part)]
        examples = examples[examples["workshop_id"].isin(took_part)]
    return write_report(
        path,
        ratings,
        scope=scope,
        authority=authority,
        min_group=min_group,
        actions=actions,
        examples=examples,
        title=title,
        named_authorities=named_authorities,
        key=key_path(key, beside=sources[0] if sources else None),
        allow_small_groups=allow_small_groups,
        where=where or None,
        marking=marking,
    )


def summary_text(
    sources: Sequence[str | Path] | pd.DataFrame,
    *,
    by: str = "theme",
    authority: str | None = None,
    min_group: int = 3,
    allow_small_groups: bool = False,
    where: dict[str, Any] | None = None,
    table: pd.DataFrame | None = None,
) -> str:
    """Return the theme-by-theme (or question-by-question) summary as a plain-text table.

    Suppressed rows read `suppressed_text`; no figure is shown for them. With ``authority``,
    that authority's rows, withheld as in every other output of the same answers (``where``:
    any slice, as in `assured_kit.summary.summarise`). With
    ``min_group=1`` (``allow_small_groups`` required) the first line says so. ``table``: the
    summary already made from these answers with the same options (`assured_kit.summary.by_theme`
    or `by_question`), written out as it is instead of being made again.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": "LA", "rating": pd.array([5, 4, 4], dtype="Int64"), "dont_know": False})
    >>> print(summary_text(answers).splitlines()[0].split())  # doctest: +NORMALIZE_WHITESPACE
    ['Theme', 'n', 'Answers', 'Median', 'Top', 'Bottom', "Don't", 'know', 'Confidence']
    """
    from . import summary as sm

    check_min_group(min_group, allow_small_groups=allow_small_groups)

    if isinstance(sources, pd.DataFrame):
        ratings = sources
    else:
        from .ratings import read_ratings

        ratings = read_ratings(*sources)
    if by not in ("theme", "question"):
        raise AssuredKitError(f"cannot summarise by {by!r}", field="by", allowed="theme, question")
    if authority is not None:
        present = (
            sorted({str(a) for a in ratings["authority"].dropna()})
            if "authority" in ratings
            else []
        )
        _require_authority(authority, present)
    if authority is not None:
        where = {**(where or {}), "authority": authority}
    if table is None:
        table = (sm.by_theme if by == "theme" else sm.by_question)(
            ratings, min_group=min_group, where=where
        )
    label = "theme_title" if by == "theme" else "question_id"
    words = suppressed_text(min_group)
    rows = []
    for row in table.itertuples(index=False):
        name = str(getattr(row, label))
        if _yes(row.suppressed):
            rows.append([name, words, "", "", "", "", "", "suppressed"])
        else:
            rows.append(
                [
                    name,
                    _int(row.n_respondents),
                    _int(row.n_answers),
                    _num(row.median),
                    percent(row.top_share),
                    percent(row.bottom_share),
                    percent(row.dont_know_share),
                    str(row.classification),
                ]
            )
    headers = [
        "Theme" if by == "theme" else "Question",
        "n",
        "Answers",
        "Median",
        "Top",
        "Bottom",
        "Don't know",
        "Confidence",
    ]
    if not rows:
        return "no answers to summarise"
    shown = [r for r in rows if r[1] != words] or [[r[0]] + [""] * 7 for r in rows]
    widths = [len(h) for h in headers]
    widths[0] = max(widths[0], *(len(r[0]) for r in rows))
    for r in shown:
        widths[1:] = [max(w, len(c)) for w, c in zip(widths[1:], r[1:], strict=True)]
    # A suppressed row's words span the figure columns.
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for r in rows:
        if r[1] == words:
            lines.append(f"{r[0].ljust(widths[0])}  {words}")
        else:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if min_group == 1:
        lines.insert(0, small_groups_text(min_group))
    return "\n".join(lines)


# --------------------------------------------------------------------------- XLSX

#: Notes written to the workbook at most (the newest first).
MAX_NOTES_IN_WORKBOOK = 20_000

def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column].dtype):
            out[column] = out[column].round(4)
    return out


def _write_workbook(target: Path, rep: _Report) -> Path:
    from .workbook import write_tables

    s = rep.summaries
    words = rep.suppressed_words
    tables: dict[str, pd.DataFrame] = {
        "Themes": _rounded(s["themes"]),
        "Questions": _rounded(s["questions"]),
        "Roles": _rounded(s["roles"]),
        "Evidence by theme": _rounded(s["evidence"]),
        "Evidence by question": _rounded(s["evidence_questions"]),
    }
    if "position" in s:
        tables["Position"] = _rounded(s["position"])
    if "authorities" in s:
        tables["Authorities"] = _rounded(s["authorities"])
    if "rounds" in s:
        tables["Change rounds"] = _rounded(s["rounds"])
    if "years" in s:
        tables["Change years"] = _rounded(s["years"])
    actions = rep.actions
    tables["Actions"] = pd.DataFrame(
        {
            "theme_id": actions["theme_id"].astype(object),
            "question_id": actions.get("question_id", pd.Series([""] * len(actions))).astype(
                object
            ),
            "what": [rep.names.scrub(v) for v in actions["what"]],
            "owner": [rep.names.scrub(v) for v in actions["owner"]],
            "due": actions["due"],
            "status": actions["status"].astype(object),
        }
    )
    tables["Good practice"] = _publishable_examples(rep)
    tables["Notes"] = _notes_table(rep)
    rules = describe_classification(rep.scale, s["themes"].attrs["thresholds"], rep.min_group)
    read_me: list[tuple[str, str]] = [
        ("Report", _scope_line(rep)),
        ("Question", str(rep.framework.about.get("headline_question", ""))),
    ]
    if rep.min_group == 1:
        read_me.insert(0, ("SMALL GROUPS SHOWN", small_groups_text(rep.min_group)))
    synthetic = rep.region.get("synthetic")
    if synthetic is not None and bool(synthetic.fillna(False).astype(bool).any()):
        read_me.insert(
            0,
            (
                "SYNTHETIC DATA",
                "Answers generated for demonstration; they "
                "describe no real workshop, person or authority.",
            ),
        )
    read_me += [("#", "How to read this")]
    read_me += [("Strong, weak, contested", rules)]
    read_me += [
        ("What is withheld", describe_disclosure(rep.min_group)),
        (
            "Suppressed",
            f"A withheld figure is {words}: its cells are left blank (never 0), and the "
            "Suppressed column just before them says TRUE, so sums and pivots still work.",
        ),
        ("People", "The number of people a figure rests on (n)."),
        (
            "Shares",
            "Numbers from 0 to 1 of the rated answers (Don't know counted apart), shown as "
            "percentages: 0.45 reads 45%.",
        ),
        (
            "Headers",
            "Plain words; the Data dictionary sheet gives each header's machine name (as used "
            "by scripts and the kit's Python functions) and what it holds.",
        ),
        (
            "Authorities",
            "Other authorities appear as Authority A, B, ... unless they agreed to be named; "
            f"letters from the analyst's anonymity key, fingerprint {rep.names.fingerprint}.",
        ),
        (
            "Notes",
            f"Shown without who wrote them; at most {MAX_NOTES_IN_WORKBOOK:,}, newest "
            "first, and only from a group (question, role, authority) whose figures are shown.",
        ),
    ]
    return write_tables(target, tables, read_me=read_me, title=rep.title, scale=rep.scale)


def _notes_table(rep: _Report) -> pd.DataFrame:
    return _publishable_notes(rep).head(MAX_NOTES_IN_WORKBOOK)
