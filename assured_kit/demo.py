"""Synthetic demo workshops: realistic made-up answers so every notebook has something to show.

`demo_workshops` writes, for each year, a regional workshop and several local ones (one per
authority) into a folder, each a normal ``*.workshop.sqlite`` file. Every title starts with
``[SYNTHETIC DEMO]`` and every workshop is created with ``synthetic=True``: nothing here is
anyone's real answer.

How the answers are made (so that charts show something meaningful):

- each theme has a typical level of confidence: Leadership/Accountability and Performance
  Management are *strong*, Workforce and Integration *weak*, Casework Reviews *contested* (the
  room splits into confident and unconfident camps), Prevention in between;
- Lead Members are more confident than Directors about performance management and less about
  casework reviews, so DCS and LM views differ;
- authorities and people differ a little; the second year improves on Workforce and
  Integration;
- some answers are "Don't know" (more often for Lead Members on casework and workforce);
- the evidence level follows the rating, with some "unfounded confidence" (a high rating on
  no or informal evidence);
- after discussion (round 2) the room re-rates its most contested questions, moving towards
  the room's middle;
- a few notes, actions (with owners, due dates and statuses) and examples of good practice
  (with and without consent to share).

The same ``seed`` always gives the same answers. ``scale_factor`` multiplies the number of
respondents per workshop and ``workshops_per_year`` sets how many files a year gets, so a
benchmark can reach a million answers: a file holds about ``780 x scale_factor`` answers on
average (25 respondents of about 28 answers each, plus round 2), so 200 files with
``scale_factor=8`` hold about 1.2 million. Each workshop is written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import AssuredKitError

__all__ = ["DEMO_TITLE_PREFIX", "demo_workshops"]

#: Every demo workshop's title starts with this.
DEMO_TITLE_PREFIX = "[SYNTHETIC DEMO]"
_REGION = "East Midlands"

# Typical confidence per theme on a 1-5 scale: (mean, spread, change in the second year).
_THEMES: dict[str, tuple[float, float, float]] = {
    "LA": (4.05, 0.65, 0.1),
    "CR": (3.2, 0.6, 0.0),  # contested: see _CONTESTED
    "WF": (2.05, 0.7, 0.8),
    "PR": (3.2, 0.75, 0.15),
    "IN": (2.25, 0.8, 0.5),
    "PM": (3.9, 0.7, 0.05),
}
_DEFAULT_THEME = (3.2, 0.8, 0.1)
# Contested themes: two camps, (low mean, high mean, share in the high camp).
_CONTESTED = {"CR": (1.8, 4.5, 0.55)}
# Lead Members' shift against Directors, per theme.
_LM_SHIFT = {"PM": 0.55, "CR": -0.6, "LA": 0.2}
# Chance of "Don't know": base, and for Lead Members per theme.
_DONT_KNOW = 0.035
_LM_DONT_KNOW = {"CR": 0.14, "WF": 0.1}
_ROLE_SHARES = {"DCS": 0.25, "LM": 0.25, "Officer": 0.3, "Mixed": 0.2}

_NOTES = (
    "We audit this quarterly but the findings rarely reach the board.",
    "Depends heavily on partner data we do not control.",
    "Strong on paper; less sure it happens on the front line.",
    "- need the latest audit before I could say more",
    "Improved since the new principal social worker started.",
    "Voice of the child is the gap here.",
    "Partnership arrangements still bedding in after the changes.",
    "Our data shows it; families tell a different story.",
    "Agency staff turnover makes this hard to sustain.",
    "Scrutiny committee asked the same question last month.",
    "Good examples, but not consistent across teams.",
    "Could not evidence this at the last inspection.",
    "Relies on a few key people.",
    "Health colleagues would rate this lower.",
    "+1 to the table's view: better than last year.",
)
_ACTIONS = (  # (theme, the question it answers, what)
    (
        "LA",
        "LA-LM-4",
        "Bring the safeguarding partnership's annual report to the cabinet for debate",
    ),
    ("LA", "LA-LM-2", "Agree a shared set of safeguarding priorities with the partnership"),
    ("CR", "CR-DCS-1", "Commission a multi-agency audit of recent practice reviews"),
    ("CR", "CR-LM-1", "Track the actions from each practice review to completion"),
    ("WF", "WF-LM-1", "Review caseloads and agency use in the assessment teams"),
    ("WF", "WF-DCS-4", "Set up regular practice observations by senior leaders"),
    ("PR", "PR-DCS-4", "Map early help take-up against need across the districts"),
    ("IN", "IN-DCS-1", "Agree an information-sharing protocol with health partners"),
    ("IN", "IN-DCS-3", "Hold a joint front-line visit with police and health leads"),
    ("PM", "PM-DCS-2", "Add children's and families' feedback to the performance report"),
    ("PM", "PM-LM-4", "Introduce a quarterly audit summary for the Lead Member"),
)
_OWNERS = (
    "DCS",
    "Lead Member",
    "Head of Safeguarding",
    "Principal Social Worker",
    "Partnership business manager",
    "Head of Early Help",
)
_EXAMPLES = (
    ("LA", "The Lead Member meets frontline teams every month and reports back to cabinet."),
    ("CR", "Practice review learning is shared in short briefings within a month."),
    ("WF", "A 'grow your own' social work academy has cut agency use."),
    ("PR", "Early help hubs share a single front door with the police."),
    ("IN", "A joint health and social care panel reviews every complex case."),
    ("PM", "Audit findings, data and children's voices are reviewed together each quarter."),
    ("PM", "Young inspectors check services and report to the Lead Member."),
    ("LA", "Scrutiny members shadow a duty shift once a year."),
)
_FACILITATOR_NOTES = (
    "Room split on casework reviews: worth a follow-up session.",
    "Workforce came out weakest again; agency staffing raised at most tables.",
    "Lead Members asked for a glossary of today's terms.",
    "Good discussion on evidence: several tables lowered their ratings after it.",
)


@dataclass(frozen=True)
class _Plan:
    path: Path
    title: str
    year: int
    index: int
    held_on: dt.date
    authority: str | None  # None for the regional workshop
    anonymity: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _plans(
    folder: Path,
    rng: np.random.Generator,
    years: Sequence[int],
    authorities: list[str],
    per_year: int,
) -> list[_Plan]:
    plans = []
    for year in years:
        order = [authorities[i] for i in rng.permutation(len(authorities))]
        for index in range(per_year):
            if index == 0:
                authority = None
                title = f"{DEMO_TITLE_PREFIX} {_REGION} regional workshop {year}"
                name = f"{year}-00-regional"
                held_on = dt.date(year, 3, 10 + int(rng.integers(0, 10)))
                anonymity = "pseudonymous"
            else:
                authority = order[(index - 1) % len(order)]
                lap = (index - 1) // len(order)
                suffix = f" ({lap + 1})" if lap else ""
                title = f"{DEMO_TITLE_PREFIX} {authority} workshop {year}{suffix}"
                name = f"{year}-{index:02d}-{_slug(authority)}" + (f"-{lap + 1}" if lap else "")
                day = 1 + int(rng.integers(0, 200))
                held_on = dt.date(year, 4, 1) + dt.timedelta(days=day)
                anonymity = ("named", "pseudonymous", "anonymous")[index % 3]
            plans.append(
                _Plan(folder / f"{name}.workshop.sqlite", title, year, index, held_on,
                      authority, anonymity)
            )
    return plans


def _respondents(
    rng: np.random.Generator, plan: _Plan, authorities: list[str], scale_factor: float
) -> pd.DataFrame:
    count = max(2, round(int(rng.integers(10, 41)) * scale_factor))
    roles = rng.choice(list(_ROLE_SHARES), size=count, p=list(_ROLE_SHARES.values()))
    if plan.authority is None:
        homes = rng.choice(authorities, size=count)
    else:
        homes = np.array([plan.authority] * count, dtype=object)
    labels = []
    tables = 0
    for i, role in enumerate(roles, start=1):
        if role == "Mixed":
            tables += 1
            labels.append(f"Table {tables}")
        elif plan.anonymity == "anonymous":
            labels.append(f"Respondent {i}")
        elif plan.anonymity == "named":
            labels.append(f"Demo participant {i} ({role})")
        else:
            labels.append(f"Participant {i}")
    return pd.DataFrame(
        {
            "label": labels,
            "role": roles,
            "authority": homes,
            "kind": ["table" if r == "Mixed" else "person" for r in roles],
            "lean": rng.normal(0.0, 0.4, size=count),
            "camp": rng.random(count),
        }
    )


def _round_one(
    rng: np.random.Generator,
    people: pd.DataFrame,
    questions: pd.DataFrame,
    plan: _Plan,
    first_year: int,
    question_shift: dict[str, float],
    authority_shift: dict[str, float],
) -> pd.DataFrame:
    """One row per respondent and question they answer, with rating, evidence and note."""
    pairs = []
    for person, role in enumerate(people["role"]):
        wanted = {"DCS": ("DCS",), "Officer": ("DCS",), "LM": ("LM",)}.get(role, ("DCS", "LM"))
        for q in questions.itertuples(index=False):
            if str(q.role) in wanted:
                pairs.append((person, str(q.question_id), str(q.theme_id)))
    table = pd.DataFrame(pairs, columns=["person", "question_id", "theme_id"])
    n = len(table)
    person = table["person"].to_numpy()
    theme = table["theme_id"].to_numpy()
    role = people["role"].to_numpy()[person]
    later = plan.year > first_year
    mean = np.empty(n)
    spread = np.empty(n)
    for theme_id in np.unique(theme):
        base, sd, gain = _THEMES.get(str(theme_id), _DEFAULT_THEME)
        mask = theme == theme_id
        mean[mask] = base + (gain if later else 0.0)
        spread[mask] = sd
        if theme_id in _CONTESTED:
            low, high, share = _CONTESTED[theme_id]
            high_camp = people["camp"].to_numpy()[person[mask]] < share
            mean[mask] = np.where(high_camp, high, low) + (gain if later else 0.0)
        lm = mask & (role == "LM")
        mean[lm] += _LM_SHIFT.get(str(theme_id), 0.0)
    mean += table["question_id"].map(question_shift).to_numpy()
    mean += people["lean"].to_numpy()[person]
    mean += np.array([authority_shift[a] for a in people["authority"].to_numpy()[person]])
    latent = mean + rng.normal(0.0, 1.0, size=n) * spread
    rating = np.clip(np.rint(latent), 1, 5).astype(int)
    dont_know_p = np.full(n, _DONT_KNOW)
    for theme_id, p in _LM_DONT_KNOW.items():
        dont_know_p[(theme == theme_id) & (role == "LM")] = p
    dont_know = rng.random(n) < dont_know_p
    evidence_latent = (rating - 1) * 0.7 + rng.normal(0.0, 0.6, size=n)
    evidence = np.clip(np.rint(evidence_latent), 0, 3).astype(int)
    unfounded = (rating >= 4) & (rng.random(n) < 0.12)
    evidence[unfounded] = rng.integers(0, 2, size=int(unfounded.sum()))
    has_evidence = (rng.random(n) < 0.8) & ~dont_know
    note_pick = rng.integers(0, len(_NOTES), size=n)
    has_note = rng.random(n) < 0.05
    table["rating"] = pd.array(np.where(dont_know, 0, rating), dtype="Int64")
    table.loc[dont_know, "rating"] = pd.NA
    table["evidence"] = pd.array(evidence, dtype="Int64")
    table.loc[~has_evidence, "evidence"] = pd.NA
    table["note"] = [_NOTES[k] if h else None for k, h in zip(note_pick, has_note, strict=True)]
    return table


def _round_two(rng: np.random.Generator, first: pd.DataFrame) -> pd.DataFrame:
    """Re-ratings after discussion of the most contested questions, moving towards the middle."""
    rated = first.dropna(subset=["rating"])
    spread = rated.groupby("question_id")["rating"].agg(lambda s: float(s.astype(float).std()))
    spread = spread.dropna().sort_values(ascending=False, kind="stable")
    how_many = int(rng.integers(3, 7))
    chosen = list(spread.index[:how_many])
    second = first[first["question_id"].isin(chosen)].copy()
    if second.empty:
        return second
    middle = rated.groupby("question_id")["rating"].median()
    new = []
    for q, r in zip(second["question_id"], second["rating"], strict=True):
        centre = round(float(middle.get(q, 3)))
        if pd.isna(r):
            new.append(centre if rng.random() < 0.5 else pd.NA)
            continue
        value = int(r)
        if value != centre and rng.random() < 0.6:
            value += 1 if centre > value else -1
        elif rng.random() < 0.1:
            value = min(5, value + 1)
        new.append(value)
    second["rating"] = pd.array(new, dtype="Int64")
    second.loc[second["rating"].isna(), "evidence"] = pd.NA
    second["note"] = None
    return second


def _check_arguments(
    years: Sequence[int], per_year: int, scale_factor: float, authorities: list[str]
) -> None:
    if not years or any(not isinstance(y, int) or not 2000 <= y <= 2100 for y in years):
        raise AssuredKitError(
            f"years {tuple(years)!r} are not years",
            field="years",
            allowed="whole years such as (2025, 2026)",
        )
    if len(set(years)) != len(years):
        raise AssuredKitError(f"years {tuple(years)!r} repeat a year", field="years")
    if not isinstance(per_year, int) or per_year < 1:
        raise AssuredKitError(
            f"workshops_per_year {per_year!r} is not a positive whole number",
            field="workshops_per_year",
            allowed="1 (the regional workshop only) or more",
        )
    if not isinstance(scale_factor, int | float) or not scale_factor > 0:
        raise AssuredKitError(
            f"scale_factor {scale_factor!r} is not a positive number",
            field="scale_factor",
            allowed="a number above 0, e.g. 1 (the default) or 10",
        )
    if not authorities or len(set(authorities)) != len(authorities):
        raise AssuredKitError(
            "the authorities are empty or repeat a name",
            field="authorities",
            allowed="a list of distinct authority names",
        )


def demo_workshops(
    folder: str | os.PathLike[str],
    seed: int = 0,
    *,
    years: Sequence[int] = (2025, 2026),
    authorities: Sequence[str] | None = None,
    workshops_per_year: int | None = None,
    scale_factor: float = 1,
) -> list[Path]:
    """Write realistic synthetic workshops for the East Midlands over several years.

    Per year: a regional workshop (respondents from every authority) and local workshops for
    several authorities, each with 10 to 40 respondents (DCSs, Lead Members, senior officers
    and mixed tables), round 1 on every question in scope, round 2 on the most contested
    questions, Don't know answers, evidence levels, notes, actions and examples of good
    practice. See the module's notes for how the answers are made.

    Parameters
    ----------
    folder : str or path-like
        Where to write the files (created if needed). Existing demo files are never
        overwritten.
    seed : int
        The random seed: the same seed gives the same answers.
    years : sequence of int
        The years to make workshops for; the later years improve on some themes.
    authorities : sequence of str, optional
        The authorities (default: the framework's list, the East Midlands).
    workshops_per_year : int, optional
        Workshops per year: the regional one plus local ones (default 4).
    scale_factor : float
        Multiplies the respondents per workshop (for benchmarks: 8 with 100 workshops a year
        over two years gives about 1.2 million answers).

    Returns
    -------
    list of pathlib.Path
        The workshop files written, year by year, the regional one first.

    Raises
    ------
    AssuredKitError
        For bad arguments, or when a file of the same name already exists in ``folder``.

    Examples
    --------
    >>> import tempfile
    >>> paths = demo_workshops(tempfile.mkdtemp(), seed=1, years=(2025,), workshops_per_year=2)
    >>> [p.name for p in paths]
    ['2025-00-regional.workshop.sqlite', '2025-01-nottinghamshire.workshop.sqlite']
    """
    from .framework import load_framework
    from .store import Workshop

    framework = load_framework()
    names = list(authorities) if authorities is not None else list(framework.authorities)
    per_year = 4 if workshops_per_year is None else workshops_per_year
    _check_arguments(years, per_year, scale_factor, names)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    plans = _plans(target, rng, list(years), names, per_year)
    clashes = [p.path.name for p in plans if p.path.exists()]
    if clashes:
        raise AssuredKitError(
            f"{len(clashes)} demo file(s) already exist, e.g. {clashes[0]}",
            file=target,
            allowed="an empty folder, or one without these demo files",
            hint="demo data written here before; delete it or choose another folder",
        )
    questions = framework.questions
    question_shift = dict(
        zip(
            questions["question_id"].astype(str),
            rng.normal(0.0, 0.3, size=len(questions)),
            strict=True,
        )
    )
    authority_shift = dict(zip(names, rng.normal(0.0, 0.3, size=len(names)), strict=True))
    first_year = min(years)
    written = []
    for plan in plans:
        local = np.random.default_rng([seed, plan.year, plan.index])
        _write_one(plan, local, names, scale_factor, first_year, question_shift,
                   authority_shift, Workshop)
        written.append(plan.path)
    return written


def _write_one(
    plan: _Plan,
    rng: np.random.Generator,
    authorities: list[str],
    scale_factor: float,
    first_year: int,
    question_shift: dict[str, float],
    authority_shift: dict[str, float],
    workshop_class: type,
) -> None:
    venue = f"Synthetic venue, {plan.authority or 'Nottingham'}"
    ws = workshop_class.create(
        plan.path,
        title=plan.title,
        held_on=plan.held_on,
        venue=venue,
        facilitator="Demo facilitator",
        scale="confidence",
        anonymity=plan.anonymity,
        authorities=authorities,
        synthetic=True,
    )
    try:
        questions = ws.questions()
        people = _respondents(rng, plan, authorities, scale_factor)
        first = _round_one(rng, people, questions, plan, first_year, question_shift,
                           authority_shift)
        second = _round_two(rng, first)
        with ws.batch():
            ids = [
                ws.add_respondent(
                    row.label, role=row.role, authority=row.authority, kind=row.kind,
                    author="facilitator",
                )
                for row in people.itertuples(index=False)
            ]
            kinds = people["kind"].tolist()
            for round_number, answers in ((1, first), (2, second)):
                for person, qid, rating, evidence, note in zip(
                    answers["person"].tolist(),
                    answers["question_id"].tolist(),
                    answers["rating"].tolist(),
                    answers["evidence"].tolist(),
                    answers["note"].tolist(),
                    strict=True,
                ):
                    dont_know = rating is pd.NA
                    ws.record(
                        ids[person],
                        qid,
                        None if dont_know else int(rating),
                        dont_know=dont_know,
                        evidence=None if evidence is pd.NA else int(evidence),
                        note=note if isinstance(note, str) else None,
                        round=round_number,
                        author="facilitator" if kinds[person] == "table" else "respondent",
                    )
            _extras(ws, rng, plan, people, first_year)
    finally:
        ws.close()


def _extras(ws: object, rng: np.random.Generator, plan: _Plan, people: pd.DataFrame,
            first_year: int) -> None:
    """Add a few actions, examples of good practice and facilitator notes."""
    for k in rng.choice(len(_ACTIONS), size=int(rng.integers(3, 7)), replace=False):
        theme_id, question_id, what = _ACTIONS[int(k)]
        if plan.year > first_year:
            status = rng.choice(["open", "in progress"], p=[0.7, 0.3])
        else:
            status = rng.choice(
                ["done", "in progress", "open", "dropped"], p=[0.5, 0.3, 0.15, 0.05]
            )
        ws.add_action(
            what,
            owner=str(rng.choice(_OWNERS)),
            due=plan.held_on + dt.timedelta(days=int(rng.integers(30, 181))),
            theme_id=theme_id,
            question_id=question_id,
            status=str(status),
            author="facilitator",
        )
    for k in rng.choice(len(_EXAMPLES), size=int(rng.integers(2, 5)), replace=False):
        theme_id, text = _EXAMPLES[int(k)]
        who = people.iloc[int(rng.integers(0, len(people)))]
        ws.add_example(
            text,
            theme_id=theme_id,
            role=str(who["role"]) if who["role"] in ("DCS", "LM") else None,
            authority=str(who["authority"]),
            consent_to_share=bool(rng.random() < 0.6),
            author="facilitator",
        )
    for k in rng.choice(len(_FACILITATOR_NOTES), size=int(rng.integers(1, 3)), replace=False):
        ws.add_note(_FACILITATOR_NOTES[int(k)], author="facilitator")
