"""The peer-challenge pack: lines of enquiry for a peer team visiting one authority.

Regions run an annual cycle of self-assessment and peer challenge: a peer team (in the East
Midlands, councils in triads with an independent consultant) writes key lines of enquiry for an
authority and agrees actions with it. `lines_of_enquiry` turns an authority's ratings into
those lines, each phrased as a question for the peer team, from five signals:

- **weak**: many rated answers at the bottom of the scale;
- **contested**: the room split between the two ends of the scale;
- **confidence ahead of evidence**: high confidence resting on no evidence or anecdote;
- **DCS and Lead Member differ**: the two roles' views far apart;
- **outside the region's range**: the authority below (or above) every other authority.

Each line cites the framework question, its figures with the number of people (n), and the
source's examples of practice for that question's theme and role as prompts. Figures come
from `assured_kit.summary`, so the same suppression applies as in every report: a figure
resting on fewer than ``min_group`` people gives no line at all.

`write_challenge_pack` writes the pack as one HTML page that prints on A4: the lines, the
authority's open actions and a blank "agreed actions" table (what, who, by when) that can be
typed into on screen and saved as CSV, or filled in on paper and typed up in the same columns.
`read_agreed_actions` reads that CSV back and `add_agreed_actions` adds it to a workshop file as
actions, all or nothing.

Examples
--------
>>> import pandas as pd
>>> answers = pd.DataFrame({"workshop_id": "w", "authority": "Derby",
...     "respondent_id": list("abcd"), "role": "Officer", "question_id": "WF-DCS-1",
...     "theme_id": "WF", "rating": pd.array([1, 2, 2, 4], dtype="Int64"),
...     "dont_know": False})
>>> lines = lines_of_enquiry(answers, "Derby")
>>> lines[["question_id", "reason"]].to_numpy().tolist()
[['WF-DCS-1', 'weak']]
>>> lines["figures"].iloc[0]
'75% of rated answers at the bottom of the scale, 25% at the top (n=4 people).'
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .report import DEFAULT_MARKING
from .safety import escape_html, restore_cell
from .summary import (
    DEFAULT_THRESHOLDS,
    Thresholds,
    authority_position,
    by_question,
    check_min_group,
    compare_roles,
    confidence_vs_evidence,
)
from .text import percent

if TYPE_CHECKING:  # pragma: no cover
    from .framework import Framework

__all__ = [
    "AGREED_ACTION_COLUMNS",
    "REASONS",
    "add_agreed_actions",
    "lines_of_enquiry",
    "open_actions",
    "read_agreed_actions",
    "write_challenge_pack",
]

#: Why a question gives a line of enquiry, in the order lines are listed within a question.
REASONS = (
    "weak",
    "contested",
    "confidence ahead of evidence",
    "DCS and Lead Member differ",
    "outside the region's range",
)

#: The columns of the agreed-actions CSV the pack saves (and `read_agreed_actions` reads).
AGREED_ACTION_COLUMNS = ("question_id", "what", "owner", "due")

#: Examples of practice quoted as prompts under each line, at most.
MAX_PROMPTS = 2

_ENQUIRY = {
    "weak": "What lies behind the low confidence here, and what would leaders need to see or "
    "change to be confident?",
    "contested": "Leaders are split on this: what do those at the top of the scale know or see "
    "that those at the bottom do not?",
    "confidence ahead of evidence": "Confidence runs ahead of evidence here: what data, audit "
    "or voices of children, families and staff would show the confidence is earned?",
    "DCS and Lead Member differ": "The DCS and Lead Member see this differently: how have "
    "their views come to differ, and what would they need to share to agree?",
    "below": "The authority sits below every other authority in the region here: what is "
    "different, and is the others' confidence better founded?",
    "above": "The authority sits above every other authority in the region here: what does it "
    "do that others could learn from, and how does it know?",
}


def _n(value: Any) -> str:
    return f"n={int(value)} people"


def _spread(row: Any) -> str:
    return (
        f"{percent(row.top_share)} at the top of the scale"
        if pd.isna(row.bottom_share)
        else f"{percent(row.bottom_share)} of rated answers at the bottom of the scale, "
        f"{percent(row.top_share)} at the top"
    )


def _prompts(framework: Framework, question_id: str) -> list[str]:
    """Return the source's examples of practice for a question's theme and role."""
    question = framework.question(question_id)
    examples = framework.examples_for(str(question["theme_id"]))
    role = str(question["role"])
    fitting = examples[examples["attribution"].astype(str).str.contains(role, regex=False)]
    chosen = fitting if len(fitting) else examples
    return [
        textwrap.shorten(str(quote), width=420, placeholder=" …")
        for quote in chosen["quote"].head(MAX_PROMPTS)
    ]


def lines_of_enquiry(
    ratings: pd.DataFrame,
    authority: str,
    *,
    min_group: int = 3,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """Return the lines of enquiry for one authority, in framework order.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings of the region (the other authorities are needed for "outside the
        region's range"; they are never named).
    authority : str
        The authority the peer team visits.
    min_group : int
        Figures resting on fewer people are suppressed and give no line.
    thresholds : Thresholds
        As for `assured_kit.summary.summarise`.
    framework : Framework, optional
        The framework (the bundled edition by default).

    Returns
    -------
    pandas.DataFrame
        One row per line: ``theme_id``, ``question_id``, ``question_text``, ``reason`` (one of
        `REASONS`), ``enquiry`` (the question for the peer team), ``figures`` (with n) and
        ``prompts`` (a list of the source's examples of practice).
    """
    from .framework import load_framework

    fw = framework or load_framework()
    options = {"min_group": min_group, "thresholds": thresholds, "framework": fw}
    # First, as it refuses an authority with no answers (naming those there are).
    position = authority_position(ratings, authority, by=["question_id"], **options)
    # The authority's own figures, withheld as decided against the whole data, so the pack
    # agrees with every other output of the same data (nothing recovered by comparing them).
    own = {"where": {"authority": authority}}
    found: list[tuple[str, str, str]] = []  # (question_id, reason, figures)

    for row in by_question(ratings, **own, **options).itertuples(index=False):
        if bool(row.suppressed) or str(row.classification) not in ("weak", "contested"):
            continue
        found.append(
            (
                str(row.question_id),
                str(row.classification),
                f"{_spread(row)} ({_n(row.n_respondents)}).",
            )
        )

    evidence = confidence_vs_evidence(ratings, by=["question_id"], **own, **options)
    for row in evidence.itertuples(index=False):
        if bool(row.suppressed) or not bool(row.unfounded_confidence):
            continue
        found.append(
            (
                str(row.question_id),
                "confidence ahead of evidence",
                f"{percent(row.unfounded_share)} of the confident answers rest on no evidence "
                f"or anecdote ({int(row.n_unfounded)} of {int(row.n_confident)}; "
                f"{_n(row.n_respondents)}).",
            )
        )

    roles = compare_roles(ratings, by=["question_id"], **own, **options)
    for row in roles.itertuples(index=False):
        hidden = [getattr(row, f"{side}_suppressed") for side in ("dcs", "lm")]
        if not bool(row.apart) or any(pd.isna(h) or bool(h) for h in hidden):
            continue
        found.append(
            (
                str(row.question_id),
                "DCS and Lead Member differ",
                f"DCS {percent(row.dcs_top_share)} at the top of the scale "
                f"({_n(row.dcs_n_respondents)}), Lead Member {percent(row.lm_top_share)} "
                f"({_n(row.lm_n_respondents)}).",
            )
        )

    for row in position.itertuples(index=False):
        where = str(row.position) if not pd.isna(row.position) else ""
        side = (
            "below" if where.startswith("below") else "above" if where.startswith("above") else ""
        )
        if not side or bool(row.suppressed) or bool(row.others_suppressed):
            continue
        found.append(
            (
                str(row.question_id),
                f"outside the region's range:{side}",
                f"{authority} {percent(row.value)} at the top of the scale "
                f"({_n(row.n_respondents)}); {int(row.others_n)} other authorities (not "
                f"named) range from {percent(row.others_min)} to {percent(row.others_max)}.",
            )
        )

    order = {q: i for i, q in enumerate(fw.questions["question_id"])}
    rank = {r: i for i, r in enumerate(REASONS)}
    found.sort(key=lambda item: (order.get(item[0], len(order)), rank[item[1].split(":")[0]]))
    rows = []
    for question_id, reason, figures in found:
        kind, _, side = reason.partition(":")
        question = fw.question(question_id)
        rows.append(
            {
                "theme_id": str(question["theme_id"]),
                "question_id": question_id,
                "question_text": str(question["text"]),
                "reason": kind,
                "enquiry": _ENQUIRY[side or kind],
                "figures": figures,
                "prompts": _prompts(fw, question_id),
            }
        )
    columns = ["theme_id", "question_id", "question_text", "reason", "enquiry", "figures"]
    return pd.DataFrame(rows, columns=[*columns, "prompts"])


def open_actions(actions: pd.DataFrame, ratings: pd.DataFrame, authority: str) -> pd.DataFrame:
    """Return the open actions of the authority's own workshops (every respondent from it).

    A regional workshop's actions belong to no one authority, so they are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({"workshop_id": ["a", "b", "b"],
    ...                         "authority": ["Derby", "Derby", "Rutland"]})
    >>> actions = pd.DataFrame({"workshop_id": ["a", "a", "b"], "what": ["x", "y", "z"],
    ...                         "status": ["open", "done", "open"]})
    >>> open_actions(actions, ratings, "Derby")["what"].tolist()
    ['x']
    """
    if not len(actions) or "workshop_id" not in actions.columns:
        return actions.iloc[0:0]
    places = ratings.dropna(subset=["authority"]).groupby("workshop_id")["authority"]
    own = [str(w) for w, names in places if set(names.astype(str)) == {authority}]
    keep = actions["workshop_id"].astype(str).isin(own) & (actions["status"] == "open")
    return actions[keep.to_numpy(dtype=bool)].reset_index(drop=True)


# --------------------------------------------------------------------------- the page

_CSS = """
@page { size: A4 portrait; margin: 18mm 16mm 20mm 16mm;
  @top-left { content: var(--title); font-size: 9pt; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 9pt; } }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 11pt; line-height: 1.4;
  color: #111; max-width: 178mm; margin: 0 auto; padding: 8px; }
h1 { font-size: 20pt; margin: 0 0 4pt; } h2 { font-size: 15pt; margin: 18pt 0 6pt;
  break-after: avoid; page-break-after: avoid; border-bottom: 2px solid #0077BB; }
h3 { font-size: 12pt; margin: 10pt 0 4pt; break-after: avoid; page-break-after: avoid; }
.marking { font-weight: bold; text-transform: uppercase; letter-spacing: 0.05em; }
.line { break-inside: avoid; page-break-inside: avoid; border-left: 4px solid #0077BB;
  padding: 2pt 0 2pt 8pt; margin: 0 0 10pt; }
.enquiry { font-size: 12pt; font-weight: bold; margin: 2pt 0; }
.cite { font-style: italic; margin: 2pt 0; } .figures { margin: 2pt 0; }
.prompts { margin: 2pt 0 0; padding-left: 16pt; } .prompts li { margin: 0 0 2pt; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #444; padding: 4pt; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #DCE6F1; } tr { break-inside: avoid; page-break-inside: avoid; }
td.blank { height: 28pt; } td[contenteditable] { background: #FFFFF0; }
.noprint { margin: 8pt 0; } button { font-size: 11pt; padding: 4pt 10pt; }
@media print { .noprint { display: none; } td[contenteditable] { background: none; } }
"""

_SAVE_SCRIPT = """
function agreedActionsCsv() {
  const rows = [["question_id", "what", "owner", "due"]];
  document.querySelectorAll("#agreed tbody tr").forEach(function (tr) {
    const cells = Array.from(tr.querySelectorAll("td")).map(function (td) {
      return td.innerText.trim();
    });
    if (cells.slice(1).some(function (c) { return c !== ""; })) { rows.push(cells); }
  });
  return rows.map(function (r) {
    return r.map(function (c) { return '"' + c.replace(/"/g, '""') + '"'; }).join(",");
  }).join("\\r\\n") + "\\r\\n";
}
function saveAgreedActions() {
  const blob = new Blob([agreedActionsCsv()], {type: "text/csv"});
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = document.body.dataset.actionsFile;
  link.click();
}
"""


def _question_cell(question_id: str) -> str:
    return f"<td>{escape_html(question_id)}</td>"


def _page(
    authority: str,
    lines: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    title: str,
    marking: str,
    framework: Framework,
    min_group: int,
) -> str:
    esc = escape_html
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en-GB'>",
        "<head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        f"<script>{_SAVE_SCRIPT}</script>",
        "</head>",
        f"<body data-actions-file='{esc(_slug(authority))}-agreed-actions.csv'>",
        f"<p class='marking'>{esc(marking)}</p>",
        f"<h1>{esc(title)}</h1>",
        "<p>Lines of enquiry for the peer team, drawn from the authority's own ratings: where "
        "confidence is weak or contested, where it runs ahead of evidence, where the DCS and "
        "Lead Member see it differently, and where the authority sits outside the range of the "
        "other authorities in the region (not named). Each line cites the framework question, "
        "its figures with the number of people (n) and examples of practice from the source "
        f"as prompts. Figures resting on fewer than {min_group} people are not shown and give "
        "no line.</p>",
        "<h2 id='lines'>Lines of enquiry</h2>",
    ]
    if not len(lines):
        parts.append(
            "<p>No line of enquiry: no question is weak, contested, ahead of its evidence, "
            "divided between DCS and Lead Member or outside the region's range, on the figures "
            "that can be shown.</p>"
        )
    number = 0
    for theme_id, group in lines.groupby("theme_id", sort=False):
        parts.append(f"<h3>{esc(framework.theme_title(str(theme_id)))}</h3>")
        for row in group.itertuples(index=False):
            number += 1
            prompts = "".join(f"<li>{esc(p)}</li>" for p in row.prompts)
            parts.append(
                f"<section class='line' id='line-{number}'>"
                f"<p><strong>{number}. {esc(row.question_id)}</strong> · {esc(row.reason)}</p>"
                f"<p class='enquiry'>{esc(row.enquiry)}</p>"
                f"<p class='cite'>The framework asks: {esc(row.question_text)}</p>"
                f"<p class='figures'>{esc(row.figures)}</p>"
                + (
                    "<p>Prompts from the source's examples of practice:</p>"
                    f"<ul class='prompts'>{prompts}</ul>"
                    if prompts
                    else ""
                )
                + "</section>"
            )
    parts.append("<h2 id='open-actions'>The authority's open actions</h2>")
    if len(actions):
        parts.append(
            "<table><colgroup><col style='width:16%'><col style='width:44%'>"
            "<col style='width:22%'><col style='width:18%'></colgroup>"
            "<thead><tr><th>Question</th><th>What</th><th>Who</th><th>By when</th></tr></thead>"
            "<tbody>"
        )
        for row in actions.itertuples(index=False):
            question = getattr(row, "question_id", "") or getattr(row, "theme_id", "") or ""
            due = getattr(row, "due", None)
            parts.append(
                f"<tr>{_question_cell('' if pd.isna(question) else str(question))}"
                f"<td>{esc(row.what)}</td><td>{esc(getattr(row, 'owner', '') or '')}</td>"
                f"<td>{esc('' if due is None or pd.isna(due) else str(due)[:10])}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No open actions recorded in the authority's own workshop files.</p>")
    parts += [
        "<h2 id='agreed-actions'>Agreed actions</h2>",
        "<p>Agree what will be done, who will do it and by when. On screen, type into the "
        "table and save it as CSV; on paper, write in it and type it up later in the same "
        "columns. <code>assured-kit agreed-actions WORKSHOP FILE.csv</code> adds the rows to "
        "the authority's workshop file as actions. Dates as YYYY-MM-DD.</p>",
        "<p class='noprint'><button type='button' onclick='saveAgreedActions()'>"
        "Save the agreed actions as CSV</button></p>",
        "<table id='agreed'><colgroup><col style='width:16%'><col style='width:44%'>"
        "<col style='width:22%'><col style='width:18%'></colgroup>"
        "<thead><tr><th>Question</th><th>What</th><th>Who</th><th>By when</th></tr></thead>"
        "<tbody>",
    ]
    questions = list(dict.fromkeys(lines["question_id"])) if len(lines) else []
    for question_id in [*questions, *[""] * 5]:
        parts.append(
            f"<tr><td contenteditable='true'>{esc(question_id)}</td>"
            + "<td class='blank' contenteditable='true'></td>" * 3
            + "</tr>"
        )
    parts += ["</tbody></table>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "authority"


def write_challenge_pack(
    sources: Sequence[str | os.PathLike[str]],
    authority: str,
    output: str | os.PathLike[str],
    *,
    min_group: int = 3,
    allow_small_groups: bool = False,
    title: str | None = None,
    marking: str = DEFAULT_MARKING,
) -> Path:
    """Write the peer-challenge pack for one authority as an HTML page that prints on A4.

    Parameters
    ----------
    sources : sequence of path-like
        Workshop files, folders of them, or tidy exports (the whole region).
    authority : str
        The authority the peer team visits.
    output : path-like
        The ``.html`` file to write (atomically).
    min_group : int
        Suppression threshold, as in every report.
    allow_small_groups : bool
        Needed with ``min_group=1`` (nothing withheld), as for every output made outside the
        room.
    title : str, optional
        Defaults to "Peer challenge: <authority>".
    marking : str
        The protective marking printed at the top.

    Returns
    -------
    pathlib.Path
        ``output``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit import demo_workshops
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = demo_workshops(folder, seed=0)
    >>> write_challenge_pack([folder], "Derby", folder / "derby-pack.html").name
    'derby-pack.html'
    """
    from .exports import atomic_write
    from .framework import load_framework
    from .report import gather

    check_min_group(min_group, allow_small_groups=allow_small_groups)
    target = Path(output)
    if target.suffix.lower() not in (".html", ".htm"):
        raise AssuredKitError(
            f"cannot write a challenge pack as {target.name!r}",
            field="output",
            allowed="a file name ending .html",
        )
    ratings, actions, _examples = gather([Path(s) for s in sources])
    fw = load_framework()
    lines = lines_of_enquiry(ratings, authority, min_group=min_group, framework=fw)
    page = _page(
        authority,
        lines,
        open_actions(actions, ratings, authority),
        title=title or f"Peer challenge: {authority}",
        marking=marking,
        framework=fw,
        min_group=min_group,
    )
    return atomic_write(target, lambda handle: handle.write(page.encode("utf-8")))


# --------------------------------------------------------------------------- reading back


def _date(text: str, source: Path, row: int) -> dt.date | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise AssuredKitError(
        f"{text!r} is not a date",
        file=source,
        row=row,
        field="due",
        allowed="a date as YYYY-MM-DD (or DD/MM/YYYY), or blank",
    )


def read_agreed_actions(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read the agreed-actions CSV the pack saves (or one typed up in the same columns).

    Rows with nothing in what, who and by when are skipped. A row with a who or a date but no
    what, a date that is not a date, or a question the framework does not have is refused,
    naming the file, row and column.

    Returns
    -------
    pandas.DataFrame
        ``question_id``, ``theme_id``, ``what``, ``owner``, ``due`` (a date or None), ``row``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("question_id,what,owner,due\nWF-DCS-1,Audit supervision,PSW,"
    ...                  "2027-03-31\n,,,\n", encoding="utf-8")
    >>> read_agreed_actions(p)[["question_id", "theme_id", "what"]].to_numpy().tolist()
    [['WF-DCS-1', 'WF', 'Audit supervision']]
    """
    from .framework import load_framework

    source = Path(path)
    text = source.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in AGREED_ACTION_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise AssuredKitError(
            f"no column {missing[0]!r}",
            file=source,
            field=missing[0],
            allowed=", ".join(AGREED_ACTION_COLUMNS),
            hint="a CSV saved from the challenge pack has these four columns",
        )
    ids = set(load_framework().questions["question_id"])
    rows = []
    for number, record in enumerate(reader, start=2):
        cells = {c: restore_cell((record.get(c) or "").strip()) for c in AGREED_ACTION_COLUMNS}
        if not any(cells[c] for c in ("what", "owner", "due")):
            continue
        where = {"file": source, "row": number}
        if not cells["what"]:
            raise AssuredKitError(
                "an action with no 'what'", **where, field="what", allowed="the action"
            )
        question = cells["question_id"].upper()
        if question and question not in ids:
            raise AssuredKitError(
                f"no framework question {cells['question_id']!r}",
                **where,
                field="question_id",
                allowed="a question id such as WF-DCS-1, or blank",
            )
        rows.append(
            {
                "question_id": question or None,
                "theme_id": question.split("-")[0] if question else None,
                "what": cells["what"],
                "owner": cells["owner"],
                "due": _date(cells["due"], source, number),
                "row": number,
            }
        )
    return pd.DataFrame(rows, columns=["question_id", "theme_id", "what", "owner", "due", "row"])


def add_agreed_actions(workshop: str | os.PathLike[str], path: str | os.PathLike[str]) -> list[str]:
    r"""Add the agreed actions of a CSV to a workshop file; return the new action ids.

    The whole file is checked before anything is added, so a bad row adds nothing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assured_kit import Workshop
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Workshop.create(folder / "d.workshop.sqlite", title="Derby").close()
    >>> _ = (folder / "a.csv").write_text("question_id,what,owner,due\nLA-LM-1,Brief members,"
    ...                                   "LM,\n", encoding="utf-8")
    >>> add_agreed_actions(folder / "d.workshop.sqlite", folder / "a.csv")
    ['A0001']
    """
    from .store import Workshop

    agreed = read_agreed_actions(path)

    def given(value: Any) -> Any:
        return None if value is None or pd.isna(value) else value

    with Workshop.open(workshop) as ws:
        return [
            ws.add_action(
                str(row.what),
                owner=str(row.owner),
                due=given(row.due),
                theme_id=given(row.theme_id),
                question_id=given(row.question_id),
                author="peer challenge",
            )
            for row in agreed.itertuples(index=False)
        ]
