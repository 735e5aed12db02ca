"""Help shown beside the framework's 2010 text: glossary terms found in it and editorial notes.

This module is the one home for that help. Every screen or file that shows a question or an
example of practice (projector, room view, live-voting page, self-rating, rating sheets, the
HTML report) asks `help_for` for a table or `help_html` for a ready-made snippet, so the same
terms are found, worded and cited everywhere.

How terms are found (`find_terms`):

- each glossary entry is found by its ``term`` or any of its ``aliases`` (``;``-separated);
- a name written wholly in capitals, with an optional plural ``s`` (an acronym: ``CAF``,
  ``LSCB``, ``NIs``), must match exactly, so ``NI`` is not found in "nice" or "Ni";
- any other name matches ignoring case ("corporate parents", "Corporate Parents");
- names match whole words only (a possessive "CAF's" counts as "CAF"); a straight or curly
  apostrophe, and any run of spaces or line breaks, count as the same;
- where names overlap the longest wins, so "Director of Legal and Democratic Services" is not
  read as "Director" (which is, in any case, not an alias: it names other posts too).

Editorial notes are the ``note`` column of ``questions.csv`` and ``examples.csv``: short notes on
the source's slips, kept beside the words they annotate and always marked as editorial.

Examples
--------
>>> from assured_kit.framework import load_framework
>>> fw = load_framework()
>>> help_for(fw, "PR-DCS-4")[["kind", "term"]].values.tolist()
[['term', 'CAF']]
>>> "<details" in help_html(fw, "PR-DCS-4"), help_html(fw, "LA-DCS-3")
(True, '')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

import pandas as pd

from .errors import AssuredKitError
from .safety import escape_html

__all__ = [
    "CHANGE_TOPICS",
    "EDITORIAL_TERM",
    "HELP_COLUMNS",
    "FrameworkText",
    "changes_html",
    "editorial_html",
    "find_terms",
    "glossary_html",
    "help_for",
    "help_html",
    "help_text",
    "item_text",
    "lookup_term",
    "mark_terms",
    "split_aliases",
    "term_anchor",
    "terms_used",
]

#: The columns of `help_for`'s table, in order.
HELP_COLUMNS = ("kind", "term", "text", "source", "checked_on")
#: The ``term`` shown for an editorial note.
EDITORIAL_TERM = "Editorial note"
#: Headings of the "What changed since 2010" page, in order (the glossary's ``topic`` column).
CHANGE_TOPICS = (
    "Structures",
    "Duties and guidance",
    "Inspection and performance",
    "Workforce",
    "Programmes and funding",
)
_EDITORIAL_LABEL = "<strong>Editorial note</strong> (not part of the 2010 text): "

_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]*[A-Z0-9]s?")
_APOSTROPHES = "'’‘"
_EDGE = r"[\w'’‘]"


class FrameworkText(Protocol):
    """What help needs from a framework: its glossary, questions, examples and themes."""

    glossary: pd.DataFrame
    questions: pd.DataFrame
    examples: pd.DataFrame
    themes: pd.DataFrame


def split_aliases(aliases: object) -> list[str]:
    """Return the names in a ``;``-separated aliases cell, without blanks.

    Examples
    --------
    >>> split_aliases("NIs; NI;;")
    ['NIs', 'NI']
    """
    return [a.strip() for a in str(aliases or "").split(";") if a.strip()]


def _names(glossary: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """Every (name, term) pair: each term and each of its aliases."""
    return tuple(
        (name, str(term))
        for term, aliases in zip(glossary["term"], glossary["aliases"], strict=True)
        for name in dict.fromkeys([str(term), *split_aliases(aliases)])
    )


def _is_acronym(name: str) -> bool:
    return bool(_ACRONYM.fullmatch(name))


def _name_pattern(name: str) -> str:
    """One name as a regular expression: apostrophes and spaces forgiving, case by the rules."""
    parts = [
        "".join(f"[{_APOSTROPHES}]" if c in _APOSTROPHES else re.escape(c) for c in word)
        for word in name.split()
    ]
    body = r"\s+".join(parts)
    return body if _is_acronym(name) else f"(?i:{body})"


def _key(name: str) -> str:
    """How a matched name is looked up: exact for acronyms, folded for words."""
    plain = " ".join(name.split())
    for mark in _APOSTROPHES:
        plain = plain.replace(mark, "'")
    return plain if _is_acronym(plain) else plain.casefold()


@lru_cache(maxsize=32)
def _matcher(names: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    ordered = sorted({n for n, _ in names}, key=lambda n: (-len(n), n))
    pattern = re.compile(rf"(?<!{_EDGE})(?:{'|'.join(_name_pattern(n) for n in ordered)})(?!\w)")
    return pattern, {_key(n): term for n, term in names}


def find_terms(glossary: pd.DataFrame, text: str) -> pd.DataFrame:
    """Return the glossary entries found in ``text``, in glossary order.

    Parameters
    ----------
    glossary : pandas.DataFrame
        A glossary table (``Framework.glossary``): at least ``term`` and ``aliases``.
    text : str
        The words to search.

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``glossary``, re-indexed from 0.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> g = load_framework().glossary
    >>> find_terms(g, "Is the CAF making a difference to the LSCB?")["term"].tolist()
    ['LSCB', 'CAF']
    >>> find_terms(g, "a nice unit of NIs")["term"].tolist()
    ['NI']
    """
    if glossary.empty or not str(text).strip():
        return glossary.iloc[0:0].reset_index(drop=True)
    pattern, lookup = _matcher(_names(glossary))
    found = {lookup[_key(m.group(0))] for m in pattern.finditer(str(text))}
    return glossary[glossary["term"].isin(found)].reset_index(drop=True)


def lookup_term(glossary: pd.DataFrame, name: str) -> pd.Series:
    """Return one glossary entry by its term or an alias, ignoring case and spacing.

    Raises
    ------
    AssuredKitError
        When no entry has that name.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> lookup_term(load_framework().glossary, "crb")["term"]
    'CRB'
    """
    wanted = _key(str(name).strip()).casefold()
    for candidate, term in _names(glossary):
        if _key(candidate).casefold() == wanted:
            return glossary[glossary["term"] == term].iloc[0]
    raise AssuredKitError(
        f"no glossary entry for {name!r}",
        field="term",
        allowed=", ".join(glossary["term"]),
    )


def item_text(fw: FrameworkText, item_id: str) -> tuple[str, str]:
    """Return a question's or example's text (an example's heading and quote) and its note.

    Raises
    ------
    AssuredKitError
        When ``item_id`` is neither a question id nor an example id of this framework.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> text, note = item_text(load_framework(), "WF-LM-3")
    >>> "I/we am" in text and "I am / we are" in note
    True
    """
    key = str(item_id)
    questions = fw.questions[fw.questions["question_id"] == key]
    if not questions.empty:
        row = questions.iloc[0]
        return str(row["text"]), str(row["note"]).strip()
    examples = fw.examples[fw.examples["example_id"] == key]
    if not examples.empty:
        row = examples.iloc[0]
        return f"{row['heading']}\n{row['quote']}", str(row["note"]).strip()
    raise AssuredKitError(
        f"no question or example {item_id!r}",
        field="item_id",
        allowed="a question id such as LA-DCS-1 or an example id such as LA-EX-1",
        hint="a stray space, lower case, or an id from another edition",
    )


def _theme_page(fw: FrameworkText, item_id: str) -> str:
    theme = item_id.split("-")[0]
    pages = fw.themes[fw.themes["theme_id"].astype(str) == theme]["page"]
    return f", page {int(pages.iloc[0])}" if not pages.empty else ""


def _gloss(entry: pd.Series) -> str:
    return f"{entry['stands_for']}. In 2010: {entry['meaning_in_2010']} Today: {entry['today']}"


def help_for(fw: FrameworkText, item_id: str) -> pd.DataFrame:
    """Return the help for one question or example of practice.

    Parameters
    ----------
    fw : Framework
        The loaded framework (`assured_kit.load_framework`).
    item_id : str
        A question id (``LA-DCS-1``) or an example id (``LA-EX-1``).

    Returns
    -------
    pandas.DataFrame
        One row per glossary term found in the text (kind ``"term"``, in glossary order), then
        one per editorial note on it (kind ``"editorial"``). Columns: ``kind``, ``term`` (the
        glossary term, or ``"Editorial note"``), ``text`` (plain words: what the term meant in
        2010 and today's nearest equivalent, or the note), ``source`` (a citation a reader can
        follow) and ``checked_on`` (the date the entry was last checked against its source;
        empty for editorial notes, which cite the 2010 text itself).

    Raises
    ------
    AssuredKitError
        When ``item_id`` is not a question or example of this framework.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> fw = load_framework()
    >>> help_for(fw, "PM-EX-6")[["kind", "term"]].iloc[-1].tolist()
    ['editorial', 'Editorial note']
    >>> list(help_for(fw, "LA-DCS-3").columns)
    ['kind', 'term', 'text', 'source', 'checked_on']
    """
    text, note = item_text(fw, item_id)
    rows = [
        {
            "kind": "term",
            "term": str(entry["term"]),
            "text": _gloss(entry),
            "source": str(entry.get("source", "")),
            "checked_on": str(entry.get("checked_on", "")),
        }
        for _, entry in find_terms(fw.glossary, text).iterrows()
    ]
    if note:
        rows.append(
            {
                "kind": "editorial",
                "term": EDITORIAL_TERM,
                "text": note,
                "source": f"Assured Safeguarding, 2010 edition{_theme_page(fw, str(item_id))}",
                "checked_on": "",
            }
        )
    return pd.DataFrame(rows, columns=list(HELP_COLUMNS), dtype="string")


def help_html(fw: FrameworkText, item_id: str, *, summary: str = "What does this mean?") -> str:
    """Return the help for one question or example as a small, self-contained HTML snippet.

    A ``<details>`` element (closed until tapped) whose ``<summary>`` reads ``summary``, holding
    each term's gloss with its source and check date, and each editorial note marked
    "Editorial note (not part of the 2010 text)". Everything is escaped; there is no script, no
    stylesheet link and nothing loaded from elsewhere; it wraps to fit a 390 px phone screen.

    Parameters
    ----------
    fw : Framework
        The loaded framework.
    item_id : str
        A question id (``LA-DCS-1``) or an example id (``LA-EX-1``).
    summary : str, keyword-only
        The words on the closed element.

    Returns
    -------
    str
        The snippet, or ``""`` when there is no help for this item.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> fw = load_framework()
    >>> snippet = help_html(fw, "WF-LM-3", summary="Help")
    >>> snippet.startswith("<details") and "<summary" in snippet and "Editorial note" in snippet
    True
    >>> help_html(fw, "LA-DCS-3")
    ''
    """
    table = help_for(fw, item_id)
    if table.empty:
        return ""
    entries = {str(e["term"]): e for _, e in fw.glossary.iterrows()}
    items = []
    for row in table.itertuples(index=False):
        if row.kind == "editorial":
            items.append(_editorial_paragraph(row.text))
            continue
        entry = entries[row.term]
        checked = f"; checked {escape_html(row.checked_on)}" if row.checked_on else ""
        items.append(
            f"<p class='ak-help-term' data-kind='term' data-term='{escape_html(row.term)}' "
            "style='margin:0.5em 0'>"
            f"<strong>{escape_html(row.term)}</strong> ({escape_html(entry['stands_for'])})"
            f"<br><b>In 2010:</b> {escape_html(entry['meaning_in_2010'])}"
            f"<br><b>Today:</b> {escape_html(entry['today'])}"
            f"<br><small>Source: {escape_html(row.source)}{checked}</small></p>"
        )
    return (
        "<details class='ak-help' style='max-width:100%;overflow-wrap:anywhere;"
        "line-height:1.4'>"
        f"<summary style='cursor:pointer'>{escape_html(summary)}</summary>"
        f"{''.join(items)}</details>"
    )


def help_text(fw: FrameworkText, item_id: str) -> str:
    """Return the help for one question or example as one line of plain text, for a spreadsheet.

    The terms found (with what each stands for), then any editorial note, marked as such. The
    full entries (2010, today, source) belong on a glossary sheet beside it.

    Parameters
    ----------
    fw : Framework
        The loaded framework.
    item_id : str
        A question id (``LA-DCS-1``) or an example id (``LA-EX-1``).

    Returns
    -------
    str
        The line, or ``""`` when there is no help. Not neutralised: writers of CSV or XLSX pass
        it through `assured_kit.safety.neutralise_cell` like any other text.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> help_text(load_framework(), "PR-DCS-4")
    'Terms: CAF (Common Assessment Framework).'
    >>> help_text(load_framework(), "LA-DCS-3")
    ''
    """
    table = help_for(fw, item_id)
    if table.empty:
        return ""
    stands_for = dict(zip(fw.glossary["term"], fw.glossary["stands_for"], strict=True))
    terms = [f"{t} ({stands_for[t]})" for t in table.loc[table["kind"] == "term", "term"]]
    parts = [f"Terms: {'; '.join(terms)}."] if terms else []
    parts += [
        f"Editorial note (not part of the 2010 text): {note}"
        for note in table.loc[table["kind"] == "editorial", "text"]
    ]
    return " ".join(parts)


def terms_used(fw: FrameworkText, item_ids: Iterable[str]) -> pd.DataFrame:
    """Return the glossary entries found in any of these questions or examples, in glossary order.

    For a glossary page or sheet that lists only the terms its reader will meet.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> terms_used(load_framework(), ["PR-DCS-4", "PM-LM-1", "LA-DCS-3"])["term"].tolist()
    ['LSCB', "Children's Trust", 'CAF']
    """
    found: set[str] = set()
    for item in item_ids:
        text, _note = item_text(fw, item)
        found.update(find_terms(fw.glossary, text)["term"])
    return fw.glossary[fw.glossary["term"].isin(found)].reset_index(drop=True)


def _editorial_paragraph(note: str) -> str:
    return (
        "<p class='ak-help-editorial' data-kind='editorial' style='margin:0.4em 0;"
        f"padding-left:0.5em;border-left:3px solid #777'>{_EDITORIAL_LABEL}"
        f"{escape_html(note)}</p>"
    )


def editorial_html(fw: FrameworkText, item_id: str) -> str:
    """Return a question's or example's editorial note as an HTML paragraph marked editorial.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> "(not part of the 2010 text)" in editorial_html(load_framework(), "PR-EX-3")
    True
    >>> editorial_html(load_framework(), "PR-EX-2")
    ''
    """
    _text, note = item_text(fw, item_id)
    return _editorial_paragraph(note) if note else ""


def term_anchor(term: str) -> str:
    """Return the HTML id of a term's glossary entry.

    Examples
    --------
    >>> term_anchor("Children's Trust")
    'term-children-s-trust'
    """
    return "term-" + re.sub(r"[^a-z0-9]+", "-", term.casefold()).strip("-")


def mark_terms(glossary: pd.DataFrame, text: str, seen: set[str]) -> str:
    """Return ``text`` escaped for HTML, with the first use of each glossary term linked.

    Each term not yet in ``seen`` is wrapped, where it first appears, in a link to its entry
    (``#term-...``, see `term_anchor`) and added to ``seen``; later uses stay plain. Pass the
    same ``seen`` through a whole page so terms are marked once, at first use, and list the
    entries in ``seen`` at the end (`glossary_html`).

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> seen = set()
    >>> mark_terms(load_framework().glossary, "Is the CAF <working>? The CAF is.", seen)
    "Is the <a class='term' href='#term-caf'>CAF</a> &lt;working&gt;? The CAF is."
    >>> seen
    {'CAF'}
    """
    text = str(text)
    if glossary.empty or not text.strip():
        return escape_html(text)
    pattern, lookup = _matcher(_names(glossary))
    out, last = [], 0
    for m in pattern.finditer(text):
        term = lookup[_key(m.group(0))]
        if term in seen:
            continue
        seen.add(term)
        out.append(escape_html(text[last : m.start()]))
        out.append(f"<a class='term' href='#{term_anchor(term)}'>{escape_html(m.group(0))}</a>")
        last = m.end()
    out.append(escape_html(text[last:]))
    return "".join(out)


def glossary_html(glossary: pd.DataFrame, terms: Iterable[str], *, level: int = 2) -> str:
    """Return a glossary section for these terms (in glossary order): 2010, today, source.

    Each entry's ``<dt>`` carries the id `mark_terms` links to. Empty when ``terms`` is empty.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> html = glossary_html(load_framework().glossary, ["CAF"])
    >>> "id='glossary'" in html and "<dt id='term-caf'>" in html and "Source:" in html
    True
    """
    wanted = set(terms)
    entries = glossary[glossary["term"].isin(wanted)]
    if entries.empty:
        return ""
    items = "".join(
        f"<dt id='{term_anchor(e.term)}'>{escape_html(e.term)}</dt>"
        f"<dd><p>{escape_html(e.stands_for)}.</p>"
        f"<p><b>In 2010:</b> {escape_html(e.meaning_in_2010)}</p>"
        f"<p><b>Today:</b> {escape_html(e.today)}</p>"
        f"<p class='source'>Source: {escape_html(e.source)}; checked "
        f"{escape_html(e.checked_on)}.</p></dd>"
        for e in entries.itertuples(index=False)
    )
    return (
        f"<section class='glossary' id='glossary'><h{level}>Glossary: the 2010 terms today"
        f"</h{level}><p>Terms marked in the text link here. Each gives its meaning in 2010, "
        "today's nearest equivalent and the source it was checked against.</p>"
        f"<dl>{items}</dl></section>"
    )


def changes_html(glossary: pd.DataFrame, *, level: int = 2) -> str:
    """Return the "What changed since 2010" page: the glossary's changes grouped by topic.

    Entries with a ``topic`` (see `CHANGE_TOPICS`) are listed under it, each with today's
    position and its source; unchanged terms and editorial readings have no topic.

    Examples
    --------
    >>> from assured_kit.framework import load_framework
    >>> html = changes_html(load_framework().glossary)
    >>> "What changed since 2010" in html and "<h3>Structures</h3>" in html
    True
    """
    if "topic" not in glossary.columns:
        return ""
    topics = [t for t in CHANGE_TOPICS if (glossary["topic"] == t).any()]
    topics += [t for t in dict.fromkeys(glossary["topic"]) if t and t not in CHANGE_TOPICS]
    if not topics:
        return ""
    out = [
        f"<section class='changes' id='changes-since-2010'><h{level}>What changed since 2010"
        f"</h{level}><p>The framework's words are kept as printed in 2010. Much around them "
        "has changed; these are the changes a reader meets in its questions and examples, "
        "drawn from the glossary, each with the source it was checked against.</p>"
    ]
    for topic in topics:
        out.append(f"<h{level + 1}>{escape_html(topic)}</h{level + 1}><ul>")
        for e in glossary[glossary["topic"] == topic].itertuples(index=False):
            out.append(
                f"<li><b>{escape_html(e.term)}</b> ({escape_html(e.stands_for)}): "
                f"{escape_html(e.today)} <span class='source'>Source: "
                f"{escape_html(e.source)}; checked {escape_html(e.checked_on)}.</span></li>"
            )
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)
