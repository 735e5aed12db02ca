"""Summaries of tidy ratings: where confidence is strong, weak or contested.

Every function here is pure: it takes the tidy ratings table (see `assured_kit.ratings`; one row
per respondent x question x round) and returns a tidy DataFrame, one row per group. Charts,
reports and exports draw on these tables, so a figure means the same thing everywhere.

Strong, weak, contested: the one definition
-------------------------------------------
A group's answers are classified from its **rated** answers only ("Don't know" is counted and
shown, never averaged in and never counted for or against). With the *top* of a scale being the
levels above its midpoint and the *bottom* the levels below it (`Scale.top_values`,
`Scale.bottom_values`; for confidence, 4-5 and 1-2), and the thresholds in `Thresholds`:

1. **suppressed** - the disclosure rule below withholds the group: it rests on fewer than
   ``min_group`` people (default 3), or showing it would give such a group away. Every figure
   is withheld (<NA>, never 0); only the group's keys remain.
2. **no ratings** - every answer in the group is "Don't know".
3. **contested** - the top share and the bottom share are *each* at least ``contested_each``
   (one third).
4. **strong** - the top share is at least ``strong_top`` (60 %).
5. **weak** - the bottom share is at least ``weak_bottom`` (40 %).
6. **mixed** - anything else.

The first rule that applies wins: a split room is *contested* whatever the other figures say,
because it is the conversation to have first. The bar for weak is deliberately lower than the bar
for strong: when four senior leaders in ten doubt that children are being kept safe in an area,
that is a signal to act on, while a claim of strength needs a clear majority behind it. "Don't
know" answers appear as their own share beside every figure, and a theme where everyone said
"Don't know" is shown as *no ratings*, never as weak.

`describe_classification` puts these rules in plain words for readers, with the actual numbers
and the scale's own labels. It is the one wording: reports and screens show it rather than
writing their own.

The one disclosure rule
-----------------------
Outside the room nothing may let anyone read *or work out* the answers of fewer than
``min_group`` people. Every summary here applies it, in `_withhold`:

- **Counting people.** A group's size (``n_respondents``, shown as *n*) is the number of
  different people who gave a rating in it; "Don't know" does not count (a group where nobody
  gave a rating counts those who answered "Don't know", so "no ratings" can still be shown).
  Within one authority every answer given in the DCS role is one person (the post has one
  holder), likewise the Lead Member (`POSTS`); anyone else is one person per authority, role and
  label folded with `assured_kit.text.fold`, across workshops; a respondent with no label (an
  anonymous one) is one person of their workshop.
- **Primary suppression.** A group of fewer than ``min_group`` people is withheld.
- **Complementary suppression.** Every summary decides what it withholds over one lattice of
  linked tables: authority, role, year and theme always (when the answers have them), whatever
  the summary's own keys, and a workshop (within its year), a question (within its theme) and a
  round when they are keys; every table from the grand total down, each key summed out one
  level at a time. First, coarse tables first, every withheld group's complement in each margin
  shown, that is the margin minus the groups shown, is empty or holds at least ``min_group``
  people; otherwise the smallest shown sibling (ties broken by the keys' text) is withheld too,
  until that holds, and the same against every coarser table further up (the grand total above
  a theme's questions, a theme above one authority's questions), counting only the groups no
  table in between shows. Then the rule for linked tables, to a fixpoint (`_settle`): a
  figure is *known* when it is shown, or worked out from known figures (the only unknown part
  of a known margin, or the sum of known parts; a cell with no answers is known to be empty);
  no withheld group of fewer than ``min_group`` people may be known, and the unknown parts of
  any known margin must together hold no one or at least ``min_group`` people. While either
  fails, one more cell is withheld: the first, smallest first, among the margin's shown parts,
  the shown cells beside what makes it known, the margin itself, then the nearest shown cells
  margin by margin, that stops the working-out. Cells holding the same answers (a margin with
  one part) are withheld together. The tables without a workshop, question or round are settled
  first; then the tables with each of those, after the tables they sum to, withholding only
  their own cells. So a table's decisions depend only on the answers and the tables settled
  with or before it, and any two outputs made from the same answers and ``min_group``
  withhold the same groups: the region's report and an authority's (made with
  ``where={"authority": ...}`` from the whole data), HTML and XLSX, year against year, an
  authority's table against a role's or a workshop's. With round a key the answers are every
  round's; their sums over rounds are published nowhere, so they are not counted as known.
  Other keys (respondent, ...) are split off each such group by the complement rule. "Don't
  know" answers take part: a withheld part where nobody gave a rating must hold no one or at
  least ``min_group`` people who said Don't know, so Don't know counts cannot be summed out of
  a total either.
- **Slices.** Every output that shows part of the data (one authority, year, role, workshop;
  the command line's filters, the notebook's) is the whole data summarised with ``where``, never
  a filtered table summarised alone. A slice that sums several values of a key (two years, three
  authorities) is shown only where each of its parts is shown, so its figures are sums of
  figures shown anyway.
- **Known limits.** Working out is searched for one margin at a time, repeated (the unit
  rule above), not by solving every published figure at once: a combination of several
  margins around a cycle of withheld cells can in principle still pin a cell down. The tests
  solve the full linear system for the tables the reports publish
  (``tests/test_disclosure.py``, ``determined_small_groups``) and find nothing on the demo
  data or the hand-made cases. A workshop, question or round table is settled against the
  tables without them, and a question table against a workshop table only when one summary
  has both keys.
- ``min_group=1`` withholds nothing: only inside the room. Outputs made outside it require
  ``allow_small_groups`` (`check_min_group`) and say so on their first page
  (`small_groups_text`).

`describe_disclosure` says this in plain words; `suppressed_text` is the one wording shown in
place of a withheld figure.

Chance: how sure a share is
---------------------------
A share of a few people moves a lot by chance. The one interval for a share is the **Wilson
score interval** at 95 % (`wilson_interval`), counting each person once (``n_respondents``,
not answers: one person's answers to the questions of a theme are not independent, so this errs
on the side of caution). A change between two shares (year against year, round against round)
is told apart from chance with Newcombe's hybrid score interval for a difference, built from the
two Wilson intervals (`share_change_interval`): where it includes zero, there are too few
answers to tell. `describe_uncertainty` says so in plain words.

Columns of `summarise`
----------------------
The group keys (in the order of ``by``; categorical order kept, so themes come in framework
order), then ``theme_title`` / ``question_text`` / ``respondent_label`` when ``theme_id`` /
``question_id`` / ``respondent_id`` is a key, then:

======================  ====================================================================
``n_respondents``        people who gave a rating (see "Counting people"); shown as *n*
``n_answers``            answers, rated or "Don't know"
``n_rated``              answers with a rating
``n_dont_know``          "Don't know" answers
``dont_know_share``      n_dont_know / n_answers
``n_<value>``            answers at each level of the scale (``n_1`` ... ``n_5`` for confidence)
``median``               median rating (halves occur); ``q1``, ``q3`` quartiles (linear)
``top_share``            share of rated answers at the top of the scale
``bottom_share``         share of rated answers at the bottom of the scale
``n_evidence``           answers with an evidence level recorded
``evidence_share_<v>``   share of those at each evidence level (``evidence_share_0`` ... ``_3``)
``classification``       strong, mixed, weak, contested, no ratings or suppressed (categorical)
``suppressed``           True when the disclosure rule withholds the group
======================  ====================================================================

Counts are ``Int64`` and shares ``Float64`` (0 to 1): <NA> means "withheld" (suppressed) or "not
defined" (a median with no ratings), never zero. The result's ``attrs`` carry ``scale``,
``evidence_scale``, ``min_group`` and ``thresholds`` so charts draw it on the right axes.

Rounds: unless ``round`` is a grouping key, each respondent's **latest** round for a question
is used (round 2, the considered answer after discussion, replaces round 1), so re-votes are
never counted twice. Pass ``rounds="all"`` or a round number to change that.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .errors import AssuredKitError
from .framework import get_scale
from .scales import Scale
from .text import fold, percent

if TYPE_CHECKING:  # pragma: no cover
    from .framework import Framework

__all__ = [
    "CLASSIFICATIONS",
    "DEFAULT_THRESHOLDS",
    "GROUP_KEYS",
    "Thresholds",
    "authority_position",
    "biggest_disagreements",
    "by_question",
    "by_theme",
    "change",
    "classify",
    "compare_roles",
    "confidence_vs_evidence",
    "describe_classification",
    "describe_uncertainty",
    "evidence_grid",
    "order_by_weakness",
    "rated_groups",
    "share_change_interval",
    "summarise",
    "weakest_questions",
    "where_from",
    "where_mask",
    "wilson_interval",
]

#: Every classification, in the order charts list them.
CLASSIFICATIONS = ("strong", "mixed", "weak", "contested", "no ratings", "suppressed")

#: Columns a summary may be grouped by ("year" is derived from ``held_on``).
GROUP_KEYS = (
    "workshop_id",
    "workshop_title",
    "held_on",
    "year",
    "synthetic",
    "authority",
    "respondent_id",
    "respondent_kind",
    "role",
    "question_id",
    "question_role",
    "theme_id",
    "round",
)

_RESPONDENT_ROLES = ("DCS", "LM", "Officer", "Mixed")
_EPS = 1e-9


@dataclass(frozen=True)
class Thresholds:
    """The cut-offs behind "strong", "weak", "contested" and the flags built on them.

    Shares are fractions of rated answers (0 to 1). See the module docstring for the rules and
    `describe_classification` for them in plain words.

    Parameters
    ----------
    strong_top : float
        Strong when at least this share is at the top of the scale (default 0.6).
    weak_bottom : float
        Weak when at least this share is at the bottom (default 0.4).
    contested_each : float
        Contested when the top share and the bottom share are each at least this (default 1/3).
    gap : float
        Two views (DCS and Lead Member, round 1 and round 2, last year and this year) are
        flagged as apart when their top shares differ by at least this (default 0.4, i.e. 40
        percentage points), or when one is strong and the other weak.
    unfounded_share : float
        "Unfounded confidence" is flagged when at least this share of the answers at the top of
        the confidence scale rest on evidence at the bottom of the evidence scale (level 0 or 1:
        an assertion or anecdote) (default 0.5).

    Examples
    --------
    >>> Thresholds().strong_top
    0.6
    >>> Thresholds(strong_top=1.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assured_kit.errors.AssuredKitError: field 'strong_top': 1.5 is not a share. ...
    """

    strong_top: float = 0.6
    weak_bottom: float = 0.4
    contested_each: float = 1 / 3
    gap: float = 0.4
    unfounded_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("strong_top", "weak_bottom", "contested_each", "gap", "unfounded_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise AssuredKitError(
                    f"{value!r} is not a share",
                    field=name,
                    allowed="a number above 0 and at most 1",
                    hint="a percentage typed where a fraction belongs"
                    if isinstance(value, int | float) and value > 1
                    else None,
                )
        if self.contested_each > 0.5:
            raise AssuredKitError(
                f"{self.contested_each!r} can never be reached at both ends at once",
                field="contested_each",
                allowed="a share above 0 and at most 0.5",
            )


#: The thresholds used unless another `Thresholds` is passed.
DEFAULT_THRESHOLDS = Thresholds()


def classify(
    top_share: Any,
    bottom_share: Any,
    *,
    n_rated: Any = None,
    suppressed: Any = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> np.ndarray:
    """Classify groups as strong, mixed, weak, contested, no ratings or suppressed.

    The one implementation of the rules in the module docstring; `summarise` calls it.

    Parameters
    ----------
    top_share, bottom_share : array-like of float
        Shares of rated answers at the top and bottom of the scale (NaN/NA where none).
    n_rated : array-like of int, optional
        Rated answers per group; 0 means "no ratings". Defaults to "some".
    suppressed : array-like of bool, optional
        Groups resting on too few respondents.
    thresholds : Thresholds
        The cut-offs.

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> classify([0.7, 0.1, 0.4, 0.3], [0.1, 0.5, 0.4, 0.2]).tolist()
    ['strong', 'weak', 'contested', 'mixed']
    """
    top = np.asarray(pd.array(top_share, dtype="Float64").to_numpy(np.float64, na_value=np.nan))
    bottom = np.asarray(
        pd.array(bottom_share, dtype="Float64").to_numpy(np.float64, na_value=np.nan)
    )
    none_rated = np.isnan(top) if n_rated is None else np.asarray(n_rated, dtype=np.float64) == 0
    hidden = np.zeros(len(top), bool) if suppressed is None else np.asarray(suppressed, bool)
    with np.errstate(invalid="ignore"):
        contested = (top >= thresholds.contested_each - _EPS) & (
            bottom >= thresholds.contested_each - _EPS
        )
        strong = top >= thresholds.strong_top - _EPS
        weak = bottom >= thresholds.weak_bottom - _EPS
    return np.select(
        [hidden, none_rated, contested, strong, weak],
        ["suppressed", "no ratings", "contested", "strong", "weak"],
        "mixed",
    ).astype(object)


def describe_classification(
    scale: str | Scale | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    min_group: int = 3,
) -> str:
    """Say what strong, weak, contested, mixed, no ratings and suppressed mean, in one paragraph.

    The one wording of the rules `classify` applies, with the thresholds as percentages and the
    scale's own top and bottom levels, for anyone reading a chart, report or summary.

    Parameters
    ----------
    scale : str or Scale, optional
        The rating scale (confidence by default).
    thresholds : Thresholds
        The cut-offs in use.
    min_group : int
        The fewest people a figure may rest on (1: nothing is suppressed).

    Returns
    -------
    str
        Plain text, one paragraph.

    Examples
    --------
    >>> text = describe_classification()
    >>> text[text.index("Strong:") : text.index(" Weak:")]
    'Strong: at least 60% of those who gave a rating chose 4 Mostly confident or 5 Fully confident.'
    >>> "and at least 33% chose 3 Green" in describe_classification("rag")
    True
    """
    the_scale = get_scale("confidence" if scale is None else scale)
    if not isinstance(thresholds, Thresholds):
        raise AssuredKitError(
            f"thresholds {thresholds!r} is not a Thresholds",
            field="thresholds",
            allowed="Thresholds(...)",
        )
    check_min_group(min_group)

    def levels(values: list[int]) -> str:
        return " or ".join(f"{v} {the_scale.label_for(v)}" for v in values)

    top, bottom = levels(the_scale.top_values), levels(the_scale.bottom_values)
    each = percent(thresholds.contested_each)
    suppressed = (
        f"Suppressed: the figures rest on fewer than {min_group} people, or would give such a "
        "group away, so every figure is withheld (never shown as zero)."
        if min_group > 1
        else "Suppressed: not used here (every figure is shown)."
    )
    return " ".join(
        [
            "Each theme or question is classified from the answers that gave a rating; "
            "Don't know is counted and shown apart, never as a low rating. The first rule that "
            "applies wins.",
            suppressed,
            "No ratings: every answer was Don't know.",
            f"Contested: at least {each} of those who gave a rating chose {bottom} and at least "
            f"{each} chose {top}; the room is split, whatever the other figures say.",
            f"Strong: at least {percent(thresholds.strong_top)} of those who gave a rating "
            f"chose {top}.",
            f"Weak: at least {percent(thresholds.weak_bottom)} of those who gave a rating chose "
            f"{bottom}; the bar is lower than for strong on purpose, since that many leaders in "
            "doubt is a signal to act on.",
            "Mixed: anything else; views cluster in the middle, or spread without a clear lean.",
        ]
    )


# --------------------------------------------------------------------------------------------
# Grouping machinery: integer codes per key, one combined code per group, numpy counts.
# --------------------------------------------------------------------------------------------


# Work that depends only on one ratings table (its rows, people and key codes), done once per
# table for every summary made inside `reusing_work` (a report makes a dozen from one table):
# id(table) -> (a weak reference to the table, {what: result}).
_WORK: ContextVar[dict[int, tuple[weakref.ref[pd.DataFrame], dict[Any, Any]]] | None] = (
    ContextVar("assured_kit_summary_work", default=None)
)


@contextmanager
def reusing_work() -> Iterator[None]:
    """Share the work every summary of the same ratings table repeats, within the block.

    Summaries made inside the block from one table (the same object, left unchanged within the
    block) read its ratings, rounds, people and key columns once, not once each, and settle
    the disclosure rule's linked tables once for each ``min_group`` and set of dimensions (a
    workshop, question or round among the keys makes another set); a `summarise` asked for
    again with the same options (as a report asks for the questions' table, its weakest and its
    most split) is made once, each caller getting its own copy. The results are exactly those
    made without it. Nothing keeps a table alive, and outside the block nothing is kept:
    answers changed or withdrawn are a new table, read afresh.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": "LA", "rating": pd.array([5, 4, 2], dtype="Int64"), "dont_know": False})
    >>> with reusing_work():
    ...     themes = by_theme(answers)
    ...     overall = summarise(answers, by=[])
    >>> themes["n_rated"].equals(summarise(answers)["n_rated"])
    True
    """
    token = _WORK.set({})
    try:
        yield
    finally:
        _WORK.reset(token)


def _shared(frame: pd.DataFrame, what: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """Return ``make()``, made once per ``frame`` and ``what`` inside `reusing_work`."""
    work = _WORK.get()
    if work is None:
        return make()
    try:
        hash(what)
    except TypeError:  # an unhashable option: the summary reports it
        return make()
    held = work.get(id(frame))
    if held is None or held[0]() is not frame:  # a new table (or a new one at a dead one's id)

        def forget(ref: weakref.ref[pd.DataFrame], key: int = id(frame)) -> None:
            if key in work and work[key][0] is ref:
                del work[key]  # the table is gone: so is its work

        held = work[id(frame)] = (weakref.ref(frame, forget), {})
    made = held[1]
    if what not in made:
        made[what] = make()
    return made[what]


def _shared_table(
    frame: pd.DataFrame, what: tuple[Any, ...], make: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """Return the summary table ``make()``, made once per ``frame`` and ``what`` in `reusing_work`.

    A report asks for some summaries (by question, say) several times. Each caller gets its own
    copy, free to change, so sharing never changes a result.
    """
    if _WORK.get() is None:
        return make()
    return _shared(frame, what, make).copy()


def _options_key(by: Any, where: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """``by`` and ``where`` as parts of a `_shared` key (unhashable values stay unhashable)."""
    keys = by if by is None or isinstance(by, str) else tuple(by)
    chosen = None if not where else tuple(sorted(where.items(), key=lambda kv: str(kv[0])))
    return keys, chosen


class _KeyCodes:
    """One key column as integer codes in output order (missing values last)."""

    def __init__(self, column: pd.Series, order: Sequence[object] | None) -> None:
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy().astype(np.int64)
            self.n_values = len(column.cat.categories)
            self._dtype: Any = column.dtype
            self._uniques: Any = None
        else:
            raw_codes, uniques = pd.factorize(column, sort=order is None, use_na_sentinel=True)
            codes = raw_codes.astype(np.int64)
            if order is not None and len(uniques):
                known = {value: i for i, value in enumerate(order)}
                extra = sorted(str(u) for u in uniques if u not in known)
                extra_rank = {u: len(known) + i for i, u in enumerate(extra)}
                raw_rank = np.array(
                    [known[u] if u in known else extra_rank[str(u)] for u in uniques],
                    dtype=np.int64,
                )
                perm = np.argsort(raw_rank, kind="stable")
                rank = np.empty_like(perm)
                rank[perm] = np.arange(len(perm))
                codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
                uniques = uniques.take(perm)
            self.n_values = len(uniques)
            self._uniques = uniques
            self._dtype = column.dtype
        self.codes = np.where(codes < 0, self.n_values, codes)
        self.radix = self.n_values + 1

    def values(self, codes: np.ndarray) -> Any:
        """Return the key values for group codes, in the column's own dtype."""
        with_na = np.where(codes == self.n_values, -1, codes)
        if self._uniques is None:
            return pd.Categorical.from_codes(with_na, dtype=self._dtype)
        taken = self._uniques.take(with_na, allow_fill=True, fill_value=None)
        return pd.array(taken, dtype=self._dtype) if len(taken) else pd.array([], dtype=self._dtype)

    def rank_of_codes(self) -> np.ndarray:
        """Rank of each code (missing last) by the value's text: the same whatever the dtype."""
        values = self.values(np.arange(self.n_values))
        text = [str(v) for v in values]
        order = sorted(range(self.n_values), key=lambda i: text[i])
        rank = np.empty(self.radix, dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(self.n_values)
        rank[self.n_values] = self.n_values
        return rank


def _group_codes(keys: list[_KeyCodes], n_rows: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Combine key codes; return (group of each row, first row of each group, group count).

    Groups come in lexicographic order of the key codes, i.e. in each key's output order.
    """
    combined = np.zeros(n_rows, dtype=np.int64)
    span = 1
    for key in keys:
        if span * key.radix >= 2**62:  # compress, keeping order, before the code could overflow
            combined, uniq = pd.factorize(combined, sort=True)
            combined = combined.astype(np.int64)
            span = len(uniq)
        combined = combined * key.radix + key.codes
        span *= key.radix
    codes, uniq = pd.factorize(combined, sort=False)
    n_groups = len(uniq)
    if n_groups == 0:
        return codes.astype(np.int64), np.zeros(0, dtype=np.int64), 0
    # With sort=False, codes are numbered by first appearance: the running maximum rises by one
    # exactly at each group's first row.
    running = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[True, running[1:] > running[:-1]])
    perm = np.argsort(uniq, kind="stable")
    rank = np.empty(n_groups, dtype=np.int64)
    rank[perm] = np.arange(n_groups)
    return rank[codes], first[perm], n_groups


def _ints(column: pd.Series) -> np.ndarray:
    """Return a nullable integer column as float64, NaN where missing."""
    return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _as_int(values: np.ndarray, mask: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.asarray(mask, bool))


def _as_float(values: np.ndarray, mask: np.ndarray) -> pd.api.extensions.ExtensionArray:
    values = np.asarray(values, dtype=np.float64)
    mask = np.asarray(mask, bool) | np.isnan(values)
    return pd.arrays.FloatingArray(np.where(mask, 0.0, values), mask)


def _quantiles(counts: np.ndarray, values: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` (linear interpolation, as pandas) of each row's counts over ``values``."""
    n = counts.sum(axis=1)
    if counts.shape[0] == 0:
        return np.zeros(0)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos)
    hi = np.ceil(pos)
    cum = counts.cumsum(axis=1)
    i_lo = (cum > lo[:, None]).argmax(axis=1)
    i_hi = (cum > hi[:, None]).argmax(axis=1)
    out = values[i_lo] + (values[i_hi] - values[i_lo]) * (pos - lo)
    return np.where(n > 0, out, np.nan)


def _framework(framework: Framework | None) -> Framework:
    if framework is not None:
        return framework
    from .framework import load_framework

    return load_framework()


def _resolve_scale(ratings: pd.DataFrame, scale: str | Scale | None) -> Scale:
    if scale is not None:
        return get_scale(scale)
    if "scale" in ratings.columns and len(ratings):
        found = [str(s) for s in pd.unique(ratings["scale"].dropna())]
        if len(found) > 1:
            raise AssuredKitError(
                f"the ratings use different scales ({', '.join(sorted(found))})",
                field="scale",
                allowed="ratings on one scale per summary",
                hint="workshops run on different scales were combined; filter on the scale column",
            )
        if found:
            return get_scale(found[0])
    return get_scale("confidence")


def _check_by(by: Iterable[str] | str | None) -> list[str]:
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    for key in keys:
        if key not in GROUP_KEYS:
            raise AssuredKitError(
                f"cannot group by {key!r}",
                field="by",
                allowed=", ".join(GROUP_KEYS),
                hint="a misspelt column name, or 'theme' for 'theme_id'",
            )
    if len(set(keys)) != len(keys):
        raise AssuredKitError(f"a key is repeated in {keys}", field="by", allowed="each key once")
    if "respondent_id" in keys and "workshop_id" not in keys:
        # Respondent ids are unique only within a workshop.
        keys.insert(keys.index("respondent_id"), "workshop_id")
    return keys


def _require(ratings: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in ratings.columns]
    if missing:
        raise AssuredKitError(
            f"the ratings table has no column(s) {', '.join(missing)}",
            field=missing[0],
            allowed="the tidy ratings table from Workshop.ratings() or read_ratings()",
            hint="a summary table passed where the tidy ratings belong, or a renamed column",
        )


# --------------------------------------------------------------------------------------------
# Counting people, and withholding: the one disclosure rule.
# --------------------------------------------------------------------------------------------

#: The keys withholding is decided over, so every output of one data set withholds alike.
DISCLOSURE_KEYS = ("authority", "theme_id", "question_id", "role", "year", "workshop_id", "round")
_LATTICE_DIMENSIONS = ("authority", "role", "year", "workshop_id", "round")  # then theme/question
#: Roles with one post-holder per authority: all their answers there are one person.
POSTS = ("DCS", "LM")


def suppressed_text(min_group: int) -> str:
    """Return the words shown in place of a withheld figure (the one wording).

    Examples
    --------
    >>> suppressed_text(3)
    'suppressed (protects groups under 3 people)'
    """
    return f"suppressed (protects groups under {min_group} people)"


def small_groups_text(min_group: int) -> str:
    """Return the warning every output made with ``min_group=1`` opens with.

    Examples
    --------
    >>> small_groups_text(1).startswith("Small groups shown")
    True
    """
    return (
        f"Small groups shown: nothing is withheld in this output (min_group {min_group}), so it "
        "can show a single person's answers. Keep it inside the room."
    )


def check_min_group(min_group: object, *, allow_small_groups: bool = True) -> int:
    """Check a ``min_group`` value (the one check every output uses) and return it.

    Parameters
    ----------
    min_group : int
        The fewest people a figure may rest on.
    allow_small_groups : bool
        Whether 1 (nothing withheld) is acceptable. Outputs made outside the room (reports,
        exports, the command line, the steering-group notebook) pass the user's explicit
        acknowledgement here; summaries shown in the room pass True.

    Raises
    ------
    AssuredKitError
        When ``min_group`` is not a whole number of at least 1, or is 1 without
        ``allow_small_groups``.

    Examples
    --------
    >>> check_min_group(3)
    3
    >>> check_min_group(1, allow_small_groups=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assured_kit.errors.AssuredKitError: field 'min_group': min_group 1 would show single ...
    """
    if isinstance(min_group, bool) or not isinstance(min_group, int | np.integer) or min_group < 1:
        raise AssuredKitError(
            f"min_group {min_group!r} is not a whole number of at least 1",
            field="min_group",
            allowed="a whole number of people, 1 (inside the room only) or more; 3 by default",
        )
    if min_group == 1 and not allow_small_groups:
        raise AssuredKitError(
            "min_group 1 would show single people's answers outside the room",
            field="min_group",
            allowed="2 or more, or 1 with allow_small_groups=True (on the command line, "
            "--allow-small-groups)",
            hint="a report for the room itself; say so explicitly",
        )
    return int(min_group)


def describe_disclosure(min_group: int = 3) -> str:
    """Say in plain words what is withheld and how people are counted (the one wording).

    Examples
    --------
    >>> text = describe_disclosure(3)
    >>> "fewer than 3 people" in text and "one person" in text
    True
    """
    check_min_group(min_group)
    if min_group == 1:
        return small_groups_text(min_group)
    return (
        f"Nothing here lets anyone read or work out the answers of fewer than {min_group} "
        "people. A group's size is the number of different people who gave a rating in it "
        "(Don't know does not count). All answers given as an authority's Director of "
        "Children's Services are one person, as are all given as its Lead Member; anyone else "
        "is one person per authority, role and name, however many workshops they came to; "
        "people answering anonymously at one workshop are each one person. A figure resting on "
        f"fewer than {min_group} people is suppressed, and so is any other figure that, "
        "subtracted from a total shown here or in another report from the same answers, would "
        "give it away; Don't know answers are protected the same way. A report of part of the "
        "answers (one year, role or workshop) is cut from the whole, so it withholds what the "
        "full report withholds. Notes appear only where the group they came from (one question, "
        "one role, one authority) is shown, and never say who wrote them."
    )


#: The normal quantile of the 95 % intervals (two-sided).
Z_95 = 1.959963984540054


def _float_array(values: Any) -> np.ndarray:
    return pd.array(np.atleast_1d(np.asarray(values, dtype=object)), dtype="Float64").to_numpy(
        np.float64, na_value=np.nan
    )


def wilson_interval(share: Any, n: Any, *, z: float = Z_95) -> tuple[Any, Any]:
    """Return the Wilson score interval (low, high) of a share of ``n`` people.

    Works on single numbers or on columns alike (the result has the same shape). Where ``n``
    is 0 or missing, or the share missing (withheld), both ends are NaN: no interval is given.

    Parameters
    ----------
    share : float or array-like
        The share, 0 to 1 (e.g. ``top_share``).
    n : int or array-like
        How many people it rests on (``n_respondents``).
    z : float
        The normal quantile (1.96 for 95 %, the default).

    Returns
    -------
    (low, high)
        Floats, or numpy arrays for array input.

    Examples
    --------
    >>> low, high = wilson_interval(0.5, 10)
    >>> round(low, 4), round(high, 4)
    (0.2366, 0.7634)
    >>> [round(v, 4) for v in wilson_interval(0.0, 10)]
    [0.0, 0.2775]
    """
    scalar = np.ndim(share) == 0 and np.ndim(n) == 0
    p = _float_array(share)
    count = _float_array(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        count = np.where(count > 0, count, np.nan)
        z2 = z * z
        centre = (p + z2 / (2 * count)) / (1 + z2 / count)
        half = (z / (1 + z2 / count)) * np.sqrt(p * (1 - p) / count + z2 / (4 * count * count))
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    if scalar:
        return float(low[0]), float(high[0])
    return low, high


def share_change_interval(
    before_share: Any, before_n: Any, after_share: Any, after_n: Any, *, z: float = Z_95
) -> tuple[Any, Any]:
    """Return the interval (low, high) of a change in share, after minus before.

    Newcombe's hybrid score interval ("method 10"), made from the two sides' Wilson intervals
    (`wilson_interval`). Where it includes 0 the change is within what chance would give: too
    few answers to tell. NaN where either side has no interval.

    Examples
    --------
    Newcombe's own example (1998), 48 of 80 against 56 of 70:

    >>> low, high = share_change_interval(48 / 80, 80, 56 / 70, 70)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)

    Half of 10 people, then 8 of 10: too few answers to tell (the interval includes 0).

    >>> low, high = share_change_interval(0.5, 10, 0.8, 10)
    >>> bool(low < 0 < high)
    True
    """
    scalar = all(np.ndim(v) == 0 for v in (before_share, before_n, after_share, after_n))
    p1, p2 = _float_array(before_share), _float_array(after_share)
    l1, u1 = wilson_interval(p1, before_n, z=z)
    l2, u2 = wilson_interval(p2, after_n, z=z)
    difference = p2 - p1
    low = difference - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = difference + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    if scalar:
        return float(low[0]), float(high[0])
    return low, high


def describe_uncertainty() -> str:
    """Say in plain words how chance is allowed for (the one wording).

    Examples
    --------
    >>> "Wilson" in describe_uncertainty()
    True
    """
    return (
        "A share of a few people can move a long way by chance. Each share's likely range is "
        "its 95% Wilson score interval, counting each person once (n people, not answers), "
        "which errs on the side of caution. A change between two years or rounds is called "
        "only when Newcombe's interval for the difference, built from the two Wilson "
        "intervals, leaves out no change at all; otherwise it reads \"too few answers to "
        "tell\"."
    )


def _person_codes(frame: pd.DataFrame, rows: np.ndarray, pair: np.ndarray) -> np.ndarray:
    """Return a person code for each kept row (see "Counting people" in the module docstring)."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    codes, uniques = pd.factorize(pair)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    at = rows[first]

    def column(name: str) -> list[object]:
        if name not in frame.columns:
            return [None] * len(at)
        return frame[name].iloc[at].astype(object).tolist()

    authorities, roles, labels = column("authority"), column("role"), column("respondent_label")
    folded: dict[str, str] = {}

    def folded_text(value: object) -> str:
        if not isinstance(value, str):
            return ""
        if value not in folded:
            folded[value] = fold(value)
        return folded[value]

    index: dict[tuple[object, ...], int] = {}
    person_of_pair = np.empty(len(uniques), dtype=np.int64)
    for i in range(len(at)):
        authority = folded_text(authorities[i])
        role = roles[i] if isinstance(roles[i], str) else ""
        key: tuple[object, ...]
        if role in POSTS and authority:
            key = ("post", authority, role)
        else:
            label = folded_text(labels[i])
            key = ("label", authority, role, label) if label else ("anonymous", int(uniques[i]))
        person_of_pair[i] = index.setdefault(key, len(index))
    return person_of_pair[codes]


def _people_per_cell(cell: np.ndarray, person: np.ndarray, n: int) -> np.ndarray:
    """People per cell: those who gave a rating, or, where nobody did, those who said Don't know.

    ``person`` codes are ``2 * person`` for a rated answer and ``2 * person + 1`` for a Don't
    know (see `_Cells`).
    """
    return _raters_and_people(cell, person, n)[1]


def _raters_and_people(
    cell: np.ndarray, person: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the people who gave a rating per cell, and the people per cell as counted."""
    n_person = int(person.max()) + 1 if len(person) else 1
    distinct = pd.unique(cell * n_person + person)
    dk = (distinct % n_person) % 2 == 1
    raters = np.bincount(distinct[~dk] // n_person, minlength=n)
    return raters, np.where(raters > 0, raters, np.bincount(distinct[dk] // n_person, minlength=n))


class _Cells:
    """One table of the lattice: its cells, their people and what is withheld.

    ``person`` codes are ``2 * person`` for a rated answer and ``2 * person + 1`` for a Don't
    know: a cell's people are those who gave a rating, or, where nobody did, those who said
    Don't know (as `_Prepared.people` counts them), so a withheld part made only of Don't know
    answers is protected like any other.
    """

    def __init__(
        self,
        cell: np.ndarray,
        person: np.ndarray,
        ranks: list[tuple[np.ndarray, np.ndarray]],
    ) -> None:
        # ``ranks``: per key, (rank of each code, code of each row).
        self.of_row, self.values = _dense_codes(cell)  # values: each cell's ``cell`` value
        self.n = len(self.values)
        self.raters, self.people = _raters_and_people(self.of_row, person, self.n)
        self._person = person
        self._order: np.ndarray | None = None
        self._bounds: np.ndarray | None = None
        self.first = _first_rows(self.of_row, self.n)  # the first row of each cell
        # Deterministic tie-breaking by the cells' values as text, whatever the codes.
        self.rank = np.empty(self.n, dtype=np.int64)
        columns = [rank[codes[self.first]] for rank, codes in ranks]
        self.rank[np.lexsort(columns[::-1]) if columns else np.arange(self.n)] = np.arange(self.n)
        self.withheld = np.zeros(self.n, dtype=bool)

    def persons(self, c: int) -> np.ndarray:
        """Return the person codes of cell ``c``'s rows, in row order."""
        if self._order is None:  # sorted on first use: most tables never need it
            self._order = _stable_order(self.of_row, self.n)
            self._bounds = np.searchsorted(self.of_row[self._order], np.arange(self.n + 1))
        assert self._bounds is not None
        return self._person[self._order[self._bounds[c] : self._bounds[c + 1]]]


def _dense_codes(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (code per row, the distinct values in order): ``cell`` numbered 0, 1, ...

    The same as ``np.unique(cell, return_inverse=True)`` reversed, without sorting when the
    values are small non-negative integers (a lattice's cells are).
    """
    if not len(cell):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    low, high = int(cell.min()), int(cell.max())
    if low < 0 or high > 4 * len(cell) + 1_000_000:
        uniq, inverse = np.unique(cell, return_inverse=True)
        return inverse.reshape(-1).astype(np.int64, copy=False), uniq
    present = np.zeros(high + 1, dtype=bool)
    present[cell] = True
    code = np.cumsum(present, dtype=np.int64) - 1
    return code[cell], np.flatnonzero(present)


def _first_rows(of_row: np.ndarray, n: int) -> np.ndarray:
    """Return the first row of each of ``n`` codes, each present at least once in ``of_row``."""
    first = np.full(n, len(of_row), dtype=np.int64)
    np.minimum.at(first, of_row, np.arange(len(of_row), dtype=np.int64))
    return first


def _stable_order(of_row: np.ndarray, n: int) -> np.ndarray:
    """``np.argsort(of_row, kind="stable")``, as a radix sort where the codes fit 16 bits."""
    if n <= np.iinfo(np.uint16).max:
        return np.argsort(of_row.astype(np.uint16), kind="stable")
    return np.argsort(of_row, kind="stable")


def _complement(
    child: _Cells,
    parent_of: np.ndarray,
    parent_withheld: np.ndarray,
    min_group: int,
    eligible: np.ndarray | None = None,
) -> bool:
    """Withhold children until every shown parent's withheld part has 0 or min_group+ people.

    ``eligible`` (for an ancestor two or more levels up, e.g. the total above a theme's
    questions) limits the children to those not already known through a shown cell in
    between: the ancestor minus its shown descendants leaves exactly those withheld.
    Returns whether anything more was withheld.
    """
    changed = False
    if eligible is not None:
        parent_of = np.where(eligible, parent_of, len(parent_withheld))
        parent_withheld = np.r_[parent_withheld, True]
    hidden_parents = np.unique(parent_of[child.withheld])
    hidden_parents = hidden_parents[~parent_withheld[hidden_parents]]
    if not len(hidden_parents):
        return False
    order = np.argsort(parent_of, kind="stable")
    bounds = np.searchsorted(parent_of[order], np.arange(len(parent_withheld) + 1))
    for p in hidden_parents:
        kids = order[bounds[p] : bounds[p + 1]]
        while True:
            hidden = kids[child.withheld[kids]]
            if len(hidden) and child.raters[hidden].max() >= min_group:
                break  # one withheld part alone holds min_group people who gave a rating
            seen: set[int] = set()
            raters = 0
            for k in kids[child.withheld[kids]]:
                for person in child.persons(int(k)).tolist():
                    if person not in seen:
                        seen.add(person)
                        raters += not person % 2
                if raters >= min_group:
                    break
            count = raters or len(seen)  # Don't know only: the people who said it
            open_ = kids[~child.withheld[kids]]
            if not 0 < count < min_group or not len(open_):
                break
            pick = open_[np.lexsort((child.rank[open_], child.people[open_]))[0]]
            child.withheld[pick] = changed = True
    return changed


#: One lattice dimension: its levels, coarse to fine, as (key name, codes, rank per code, radix).
_Level = tuple[str, np.ndarray, np.ndarray, int]
#: One margin: (child table, parent table, parent cell of each child cell).
_Margin = tuple[tuple[int, ...], tuple[int, ...], np.ndarray]


def _dimensions(
    prepared: _Prepared,
) -> tuple[list[list[tuple[str, tuple[object, ...] | None]]], list[int]]:
    """Return the lattice dimensions of a prepared table and the depth each turns optional at.

    Authority, role, year and theme are always dimensions when the ratings have them, whatever
    the summary's keys, so every output settles the same tables alike. A workshop (below its
    year), a question (below its theme) and a round are dimensions only when a key, and the
    tables holding them are settled after the others (see `_withhold`). Each level is named
    by its key and the order its codes are made in (`_level` makes them): together with the
    answers, those decide the lattice and all it withholds.
    """
    names = prepared.key_names
    columns = set(prepared.frame.columns)

    def level(name: str) -> tuple[str, tuple[object, ...] | None]:
        if name in prepared.key_order:
            return name, prepared.key_order[name]
        if name != "role" or isinstance(prepared.frame["role"].dtype, pd.CategoricalDtype):
            return name, None  # the order `_Prepared` records (categories keep their own)
        return name, tuple(_RESPONDENT_ROLES)

    never = 1_000
    dims: list[list[tuple[str, tuple[object, ...] | None]]] = []
    optional: list[int] = []
    for name in ("authority", "role"):
        if name in columns:
            dims.append([level(name)])
            optional.append(never)
    # (always-present coarse level, the optional finer key below it)
    for coarse, fine in (("held_on", "workshop_id"), (None, "round"), ("theme_id", "question_id")):
        levels = [level("year" if coarse == "held_on" else coarse)] if coarse in columns else []
        if fine in names:
            levels.append(level(fine))
        if levels:
            dims.append(levels)
            optional.append(len(levels) if fine in names else never)
    return dims, optional


def _level(prepared: _Prepared, name: str, order: tuple[object, ...] | None) -> _Level:
    """Return one lattice level: the codes of key ``name`` made in ``order``, and their ranks."""
    if name in prepared.key_codes and prepared.key_order[name] == order:
        rank = prepared.key_rank[name]
        return name, prepared.key_codes[name], rank, len(rank)
    codes = _shared(
        prepared.frame,
        ("key", name, prepared.rounds, order),
        functools.partial(_key_codes, prepared.frame, name, prepared.rows, order),
    )
    return name, codes.codes, codes.rank_of_codes(), codes.radix


def _known(
    tables: Mapping[tuple[int, ...], _Cells], margins: Sequence[_Margin]
) -> tuple[dict[tuple[int, ...], np.ndarray], dict[tuple[int, ...], np.ndarray]]:
    """Flag every cell whose figures are known: shown, or worked out from figures known.

    A withheld cell is worked out when it is the only unknown part of a known margin (the
    margin minus its other parts), or when every part of it is known (their sum); repeated
    until nothing more is worked out. Cells holding no answers are not cells here: they are
    known to be empty. Returns the flags and, per cell, the margin that worked it out as
    the only unknown part (its index in ``margins``; -1 otherwise).
    """
    known = {spec: ~table.withheld for spec, table in tables.items()}
    cause = {spec: np.full(table.n, -1, dtype=np.int64) for spec, table in tables.items()}
    # Each margin is swept in turn, as often as anything changes. A margin whose two tables'
    # flags have not changed since it was last looked at would work out nothing new (looking
    # at a margin again at once finds nothing), so it is passed over: the same cells are
    # worked out, by the same margins, in the same order.
    version = dict.fromkeys(tables, 0)
    looked: list[tuple[int, int] | None] = [None] * len(margins)
    changed = True
    while changed:
        changed = False
        for i, (child, parent, parent_of) in enumerate(margins):
            now = (version[child], version[parent])
            if looked[i] == now:
                continue
            unknown = ~known[child]
            n_unknown = np.bincount(parent_of[unknown], minlength=tables[parent].n)
            down = unknown & known[parent][parent_of] & (n_unknown[parent_of] == 1)
            up = ~known[parent] & (n_unknown == 0)
            if down.any():
                known[child] |= down
                cause[child][down] = i
                version[child] += 1
                changed = True
            if up.any():
                known[parent] |= up
                version[parent] += 1
                changed = True
            looked[i] = (version[child], version[parent])
    return known, cause


class _Links:
    """The margins of a set of tables as one graph, to find every figure known at once.

    `_known` sweeps the margins one by one, recording which margin worked each cell out;
    `flags` finds the same known cells (what can be worked out does not depend on the order
    rules are applied in) with every margin in one step, which is what trying a candidate cell
    needs.
    """

    def __init__(
        self, tables: Mapping[tuple[int, ...], _Cells], margins: Sequence[_Margin]
    ) -> None:
        self.specs = list(tables)
        offsets = np.cumsum([0] + [tables[s].n for s in self.specs])
        self.offset = {s: int(offsets[i]) for i, s in enumerate(self.specs)}
        self.size = int(offsets[-1])
        children, groups, parents = [], [], []
        n_groups = 0
        for child, parent, parent_of in margins:
            children.append(self.offset[child] + np.arange(len(parent_of), dtype=np.int64))
            groups.append(n_groups + parent_of)
            parents.append(self.offset[parent] + np.arange(tables[parent].n, dtype=np.int64))
            n_groups += tables[parent].n
        empty = np.zeros(0, dtype=np.int64)
        self.child = np.concatenate(children) if children else empty
        self.group = np.concatenate(groups).astype(np.int64) if groups else empty
        self.parent = np.concatenate(parents) if parents else empty
        self.n_groups = n_groups
        # Per table, the margins it is the child or the parent of, in the margins' order.
        self.touching: dict[tuple[int, ...], list[int]] = {s: [] for s in self.specs}
        for i, (child, parent, _) in enumerate(margins):
            self.touching[child].append(i)
            self.touching[parent].append(i)
        self.margins = margins
        self._n_parent = [tables[parent].n for _, parent, _ in margins]
        self._kids: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def children(self, m: int, p: int) -> np.ndarray:
        """Return the child cells of margin ``m`` under its parent cell ``p``, in order."""
        if m not in self._kids:
            parent_of = self.margins[m][2]
            order = np.argsort(parent_of, kind="stable")
            bounds = np.searchsorted(parent_of[order], np.arange(self._n_parent[m] + 1))
            self._kids[m] = order, bounds
        order, bounds = self._kids[m]
        return order[bounds[p] : bounds[p + 1]]

    def flags(self, tables: Mapping[tuple[int, ...], _Cells]) -> dict[tuple[int, ...], np.ndarray]:
        """Return, per table, which cells are known (as `_known` finds them)."""
        known = np.concatenate([~tables[s].withheld for s in self.specs])
        while True:
            unknown = ~known[self.child]
            n_unknown = np.bincount(self.group[unknown], minlength=self.n_groups)
            parent_known = known[self.parent]
            down = self.child[
                unknown & parent_known[self.group] & (n_unknown[self.group] == 1)
            ]
            up = self.parent[(n_unknown == 0) & ~parent_known]
            if not len(down) and not len(up):
                break
            known[down] = True
            known[up] = True
        return {s: known[self.offset[s] : self.offset[s] + tables[s].n] for s in self.specs}


def _settle(
    tables: dict[tuple[int, ...], _Cells],
    margins: Sequence[_Margin],
    current: set[tuple[int, ...]],
    person: np.ndarray,
    min_group: int,
) -> bool:
    """Withhold cells of the ``current`` tables until no margin gives a small group away.

    The rule for linked tables: no withheld group of fewer than ``min_group`` people is worked
    out (`_known`), and in every margin known the parts not known hold no one or at least
    ``min_group`` people together. While either fails, one more cell is withheld (see
    `_one_more`) and the check runs again, to a fixpoint. Only cells of ``current`` are
    withheld; the other tables are settled already. Returns whether anything was withheld.
    """
    order = {spec: i for i, spec in enumerate(tables)}

    def unknown_people(m: int, known: Mapping[tuple[int, ...], np.ndarray]) -> np.ndarray:
        child, parent, _ = margins[m]
        table, above = tables[child], tables[parent]
        hidden = ~known[child][table.of_row]
        return _people_per_cell(above.of_row[hidden], person[hidden], above.n)

    anything = False
    links = _Links(tables, margins)
    while True:
        known, cause = _known(tables, margins)
        pick = None
        # A small withheld group worked out as the only unknown part of a margin.
        for spec, table in tables.items():
            small = table.withheld & known[spec] & (table.people < min_group) & (cause[spec] >= 0)
            if small.any():
                c = int(np.flatnonzero(small)[0])

                def resolved(now: Mapping[tuple[int, ...], np.ndarray], s=spec, c=c) -> bool:
                    return not now[s][c]

                pick = _one_more(
                    tables, margins, links, current, order, known, cause, spec, c, resolved
                )
                break
        # Several unknown parts of a known margin that together hold a few people.
        for m, (_, parent, _) in enumerate(margins):
            if pick is not None:
                break
            count = unknown_people(m, known)
            bad = known[parent] & (count > 0) & (count < min_group)
            if bad.any():
                q = int(np.flatnonzero(bad)[0])

                def fixed(now: Mapping[tuple[int, ...], np.ndarray], m=m, q=q, p=parent) -> bool:
                    n = unknown_people(m, now)[q]
                    return not now[p][q] or not 0 < n < min_group

                pick = _one_more(
                    tables, margins, links, current, order, known, cause, parent, q, fixed, m
                )
        if pick is None:
            return anything
        _withhold_same(tables, links, [pick])
        anything = True


def _withhold_same(
    tables: Mapping[tuple[int, ...], _Cells],
    links: _Links,
    cells: list[tuple[tuple[int, ...], int]],
    value: bool = True,
) -> list[tuple[tuple[int, ...], int]]:
    """Set the withheld flag of cells and of every cell holding exactly the same answers.

    A margin with one part is that part (a theme answered in one year only, a role present
    in one authority only): one shown copy would show the other. Returns the cells changed.
    """
    done: list[tuple[tuple[int, ...], int]] = []
    todo = list(cells)
    while todo:
        spec, c = todo.pop()
        if tables[spec].withheld[c] == value:
            continue
        tables[spec].withheld[c] = value
        done.append((spec, c))
        for m in links.touching[spec]:
            child, parent, of = links.margins[m]
            if child == spec:
                if len(links.children(m, int(of[c]))) == 1:
                    todo.append((parent, int(of[c])))
            else:
                parts = links.children(m, c)
                if len(parts) == 1:
                    todo.append((child, int(parts[0])))
    return done


#: How many candidates `_one_more` tries at each step before taking the first.
_TRIES = 6
#: How many margins away from the group given away `_one_more` looks for a cell to withhold.
_REACH = 3
#: How many cells of each margin-step `_one_more` looks at.
_WIDTH = 64


def _one_more(
    tables: dict[tuple[int, ...], _Cells],
    margins: Sequence[_Margin],
    links: _Links,
    current: set[tuple[int, ...]],
    order: Mapping[tuple[int, ...], int],
    known: Mapping[tuple[int, ...], np.ndarray],
    cause: Mapping[tuple[int, ...], np.ndarray],
    spec: tuple[int, ...],
    cell: int,
    resolved: Any,
    split: int | None = None,
) -> tuple[tuple[int, ...], int] | None:
    """Choose the cell to withhold so that a small group is no longer worked out.

    Either ``cell`` of ``spec`` is a small withheld group worked out as the only unknown part
    of its margin (``split`` None), or it is a known margin whose unknown parts by margin
    ``split`` hold a few people. The candidates, in order: the margin's shown parts; the shown
    parts beside any part worked out from another margin; the margin itself; then the same one
    margin further up while the margin is itself worked out; each group smallest first
    (people, then table, then the values' text). The first candidate after which
    ``resolved(known)`` holds is chosen (of the first few tried), else the first; with no
    candidate at all, the smallest shown cell of the tables being settled (always progress:
    the check runs again); None when those tables show nothing at all, so they add nothing to
    what the tables settled before them show.
    """

    def shown(found: list[tuple[tuple[int, ...], np.ndarray]]) -> list[tuple[tuple[int, ...], int]]:
        # The shown cells among ``found`` of the tables being settled, smallest first: by
        # people, then table, then the values' text (unique within a table).
        chunks = [(s, cells[~tables[s].withheld[cells]]) for s, cells in found if s in current]
        chunks = [(s, cells) for s, cells in chunks if len(cells)]
        if not chunks:
            return []
        which = np.repeat(np.arange(len(chunks)), [len(cells) for _, cells in chunks])
        cells = np.concatenate([cells for _, cells in chunks])
        people = np.concatenate([tables[s].people[c] for s, c in chunks])
        rank = np.concatenate([tables[s].rank[c] for s, c in chunks])
        table = np.array([order[s] for s, _ in chunks], dtype=np.int64)[which]
        by = np.lexsort((rank, table, people))
        specs = [s for s, _ in chunks]
        return [(specs[w], c) for w, c in zip(which[by].tolist(), cells[by].tolist(), strict=True)]

    def worked_out_beside(
        s: tuple[int, ...], cells: np.ndarray
    ) -> list[tuple[tuple[int, ...], np.ndarray]]:
        # Each margin part once: the same parts again would only repeat candidates.
        out = []
        margin_parts: set[tuple[int, int]] = set()
        worked_out = tables[s].withheld[cells] & known[s][cells] & (cause[s][cells] >= 0)
        for c in cells[worked_out].tolist():
            m = int(cause[s][c])
            p = int(margins[m][2][c])
            if (m, p) not in margin_parts:
                margin_parts.add((m, p))
                out.append((s, links.children(m, p)))
        return out

    candidates: list[tuple[tuple[int, ...], int]] = []
    for _ in range(len(tables) + 1):
        m = int(cause[spec][cell]) if split is None else split
        child, parent, of = margins[m]
        margin = int(of[cell]) if split is None else cell
        parts = links.children(m, margin)
        candidates += shown([(child, parts)]) + shown(worked_out_beside(child, parts))
        if parent in current and not tables[parent].withheld[margin]:
            candidates.append((parent, margin))
        if not tables[parent].withheld[margin] or cause[parent][margin] < 0:
            break
        spec, cell, split = parent, margin, None  # the margin is worked out: one level up
    seen: set[tuple[tuple[int, ...], int]] = set()
    candidates = [c for c in candidates if not (c in seen or seen.add(c))]
    tried: set[tuple[tuple[int, ...], int]] = set()

    def first_that_works(
        found: list[tuple[tuple[int, ...], int]],
    ) -> tuple[tuple[int, ...], int] | None:
        for s, c in found[:_TRIES]:
            tried.add((s, c))
            changed = _withhold_same(tables, links, [(s, c)])
            works = resolved(links.flags(tables))
            _withhold_same(tables, links, changed, value=False)
            if works:
                return s, c
        return None

    pick = first_that_works(candidates)
    if pick is not None:
        return pick
    # Else the nearest shown cells, margin by margin, from the group given away.
    frontier = [(spec, cell)]
    if split is not None:
        frontier = [(margins[split][0], int(c)) for c in links.children(split, cell)]
    reached = set(frontier)
    nearest: list[tuple[tuple[int, ...], int]] = []
    for _ in range(_REACH):
        step: list[tuple[tuple[int, ...], np.ndarray]] = []
        for s, c in frontier:
            for m in links.touching[s]:
                child, parent, of = margins[m]
                if child == s:
                    step.append((parent, np.array([of[c]])))
                    step.append((child, links.children(m, int(of[c]))))
                else:
                    step.append((child, links.children(m, c)))
        frontier = []
        for s, cells in step:
            for c in cells.tolist():
                if (s, c) not in reached:
                    reached.add((s, c))
                    frontier.append((s, c))
        frontier = frontier[:_WIDTH]
        ring = [c for c in shown([(s, np.array([c])) for s, c in frontier]) if c not in tried]
        pick = first_that_works(ring)
        if pick is not None:
            return pick
        nearest = nearest or ring
        if not frontier:
            break
    if candidates or nearest:
        return (candidates or nearest)[0]
    ranked = shown([(s, np.arange(tables[s].n)) for s in current])
    # Nothing of these tables is shown any more: they give nothing away (see `_settle`). This
    # happens where tables settled apart (a workshop's, a question's) together give a group
    # away that the tables by workshop and question link: see "Known limits" in the README.
    return ranked[0] if ranked else None


def _withhold(prepared: _Prepared, min_group: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (people, withheld) per group of a prepared table: the disclosure rule applied.

    Primary: fewer than ``min_group`` people. Complementary, over the lattice of every table
    that can be made from the dimensions of `_dimensions` (authority, role, year and theme
    always; a workshop, question or round when a key): first, coarse tables first, the
    smallest shown sibling (ties by the values' text) is withheld until every withheld group's
    complement in each shown margin is empty or has at least ``min_group`` people, and in
    every coarser table further up, among the groups no table in between shows; then
    `_settle` withholds more until no margin known (shown or worked out from other figures)
    leaves a small group as its unknown part. The tables without an optional dimension are
    settled first, then each set of optional dimensions after all its subsets, withholding only
    its own tables' cells: a table's decisions depend only on the answers and the tables
    settled with or before it, so every output of one data set agrees.
    Other keys (respondent, ...) are then split off each lattice cell the same way.
    The settled lattice (`_Lattice`) is shared by every summary of the same table, rounds,
    scales, ``min_group`` and dimensions made inside `reusing_work`.
    """
    people = prepared.people()
    primary = people < min_group
    if min_group <= 1 or prepared.n_groups == 0:
        return people, primary
    # Every answer takes part, rated or Don't know (see _Cells for how people are counted).
    person = prepared.person * 2 + (~prepared.rated).astype(np.int64)
    names = prepared.key_names
    dims, optional = _dimensions(prepared)
    # The settled lattice depends only on the answers (the frame, its rounds and scales), the
    # dimensions' codes and min_group: every summary of one table inside `reusing_work`
    # with the same dimensions reads the same one.
    lattice = _shared(
        prepared.frame,
        ("lattice", prepared.scales, prepared.rounds, min_group, _frozen(dims), tuple(optional)),
        lambda: _Lattice(prepared, dims, optional, person, min_group),
    )
    key_spec = tuple(
        max((j + 1 for j, lv in enumerate(levels) if lv[0] in names), default=0)
        for levels in dims
    )
    top_withheld = lattice.withheld[key_spec]

    # Map each group to its lattice cell (through any of its rows).
    cell_of_rated = lattice.cells(key_spec)
    groups = prepared.group
    cell_of_group = np.full(prepared.n_groups, -1, dtype=np.int64)
    cell_of_group[groups] = cell_of_rated
    withheld = primary | ((cell_of_group >= 0) & top_withheld[np.maximum(cell_of_group, 0)])
    extra = [n for n in names if n not in DISCLOSURE_KEYS]
    if extra and prepared.n_groups:
        ranks = [(prepared.key_rank[n], prepared.key_codes[n]) for n in names]
        split = _Cells(groups, person, ranks)
        # _Cells numbers the groups with rated rows in order; map back to group codes.
        group_of_cell = groups[split.first]
        split.withheld = withheld[group_of_cell]
        parent_of = cell_of_group[group_of_cell]
        while _complement(split, parent_of, top_withheld, min_group):
            pass
        withheld[group_of_cell] = split.withheld
    return people, withheld


def _frozen(dims: list[list[tuple[str, tuple[object, ...] | None]]]) -> tuple[Any, ...]:
    return tuple(tuple(levels) for levels in dims)


class _Lattice:
    """What is withheld in every table of the lattice of one prepared table's dimensions.

    ``withheld`` maps each table (a depth per dimension) to its cells' flags, final and
    read-only; `cells` finds each answer's cell of a table. Only these are kept (the tables
    themselves are let go once settled), so a lattice shared by the summaries inside
    `reusing_work` holds little more than the level codes the summaries share anyway.
    """

    def __init__(
        self,
        prepared: _Prepared,
        described: list[list[tuple[str, tuple[object, ...] | None]]],
        optional: list[int],
        person: np.ndarray,
        min_group: int,
    ) -> None:
        self.dims = [
            [_level(prepared, name, order) for name, order in levels] for levels in described
        ]
        self.n_rows = len(person)
        # One row per person and finest cell (in no particular order: nothing depends on it).
        n_person = int(person.max()) + 1
        span = n_person
        finest = np.zeros(len(person), dtype=np.int64)
        for levels in self.dims:
            _, codes, _, radix = levels[-1]
            if span * radix >= 2**62:  # compress before the code could overflow
                finest = pd.factorize(finest)[0].astype(np.int64)
                span = n_person * (int(finest.max(initial=0)) + 1)
            finest = finest * radix + codes
            span *= radix
        reduced, uniques = pd.factorize(finest * n_person + person)
        row_of = _first_rows(reduced.astype(np.int64, copy=False), len(uniques))
        tables = _settled_tables(self.dims, optional, person[row_of], row_of, min_group)
        self.withheld = {spec: table.withheld for spec, table in tables.items()}
        self._values = {spec: table.values for spec, table in tables.items()}
        for flags in self.withheld.values():
            flags.flags.writeable = False  # shared by summaries: never changed

    def cells(self, spec: tuple[int, ...]) -> np.ndarray:
        """Return the cell of table ``spec`` of each prepared row, as the table numbers them."""
        cell = np.zeros(self.n_rows, dtype=np.int64)
        for levels, depth in zip(self.dims, spec, strict=True):
            if depth:
                _, codes, _, radix = levels[depth - 1]
                cell = cell * radix + codes
        return np.searchsorted(self._values[spec], cell)


def _settled_tables(
    dims: list[list[_Level]],
    optional: list[int],
    person_r: np.ndarray,
    row_of: np.ndarray,
    min_group: int,
) -> dict[tuple[int, ...], _Cells]:
    """Build every table of the lattice and withhold its cells (see `_withhold`)."""

    def layer(spec: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(i for i, (d, o) in enumerate(zip(spec, optional, strict=True)) if d >= o)

    # With round a key the answers are every round's, so their sums over rounds are published
    # nowhere (a summary without round counts each person's latest round): not margins here.
    by_round = [i for i, levels in enumerate(dims) if levels[0][0] == "round"]

    def published(spec: tuple[int, ...]) -> bool:
        return all(spec[i] for i in by_round)

    specs = sorted(
        itertools.product(*[range(len(levels) + 1) for levels in dims]),
        key=lambda spec: (len(layer(spec)), layer(spec), sum(spec), spec),
    )
    tables: dict[tuple[int, ...], _Cells] = {}
    margins: list[_Margin] = []
    # Each level's codes at the tables' rows, taken once.
    at_rows = [[codes[row_of] for _, codes, _, _ in levels] for levels in dims]
    for spec in specs:
        cell = np.zeros(len(row_of), dtype=np.int64)
        ranks = []
        for levels, codes_at, depth in zip(dims, at_rows, spec, strict=True):
            if depth:
                _, _, rank, radix = levels[depth - 1]
                cell = cell * radix + codes_at[depth - 1]
                ranks.append((rank, codes_at[depth - 1]))
        table = _Cells(cell, person_r, ranks)
        table.withheld = table.people < min_group
        tables[spec] = table
        for i, depth in enumerate(spec):
            if depth:
                up = (*spec[:i], depth - 1, *spec[i + 1 :])
                margins.append((spec, up, tables[up].of_row[table.first]))
        _complement_all(tables, spec, min_group)
        last = spec == specs[-1] or layer(specs[specs.index(spec) + 1]) != layer(spec)
        if last and published(spec):
            # Settle this layer against the tables of its own and coarser layers only.
            seen = {
                s: t
                for s, t in tables.items()
                if set(layer(s)) <= set(layer(spec)) and published(s)
            }
            linked = [m for m in margins if m[0] in seen and m[1] in seen]
            current = {s for s in seen if layer(s) == layer(spec)}
            while _settle(seen, linked, current, person_r, min_group):
                for s in sorted(current, key=specs.index):
                    _complement_all(tables, s, min_group)
    return tables


@functools.lru_cache(maxsize=512)
def _lineage(
    spec: tuple[int, ...], specs: tuple[tuple[int, ...], ...]
) -> tuple[tuple[tuple[int, ...], tuple[tuple[int, ...], ...]], ...]:
    """Each coarser table of ``spec`` among ``specs``, with the tables in between."""
    out = []
    for up in specs:
        if up == spec or any(u > d for u, d in zip(up, spec, strict=True)):
            continue
        between = tuple(
            m
            for m in specs
            if m not in (up, spec) and all(u <= x <= d for u, x, d in zip(up, m, spec, strict=True))
        )
        out.append((up, between))
    return tuple(out)


def _complement_all(
    tables: dict[tuple[int, ...], _Cells], spec: tuple[int, ...], min_group: int
) -> None:
    """Apply `_complement` to one table against every coarser table already made.

    One level up, the margin itself; further up (the total above a theme's questions, a theme
    above an authority's questions), only the cells not known through a shown cell of a table
    in between.
    """
    table = tables[spec]
    parents: list[tuple[tuple[int, ...], np.ndarray | None]] = []
    for up, between in _lineage(spec, tuple(tables)):
        eligible = None
        if between:
            eligible = np.ones(table.n, dtype=bool)
            for mid in between:
                eligible &= tables[mid].withheld[tables[mid].of_row[table.first]]
        parents.append((up, eligible))
    changed = bool(parents)
    while changed:
        changed = False
        for parent_spec, eligible in parents:
            parent = tables[parent_spec]
            parent_of = parent.of_row[table.first]
            changed |= _complement(table, parent_of, parent.withheld, min_group, eligible)


def _key_codes(
    frame: pd.DataFrame, key: str, rows: np.ndarray, order: Sequence[object] | None
) -> _KeyCodes:
    """Return the codes of key column ``key`` (``year`` from ``held_on``) at ``rows``."""
    if key == "year":
        column = pd.Series(pd.to_datetime(frame["held_on"]).dt.year, index=frame.index).astype(
            "Int64"
        )
    else:
        column = frame[key]
    return _KeyCodes(column.iloc[rows] if len(rows) < len(frame) else column, order)


class _Answers:
    """What every summary of one ratings table needs, whatever it groups by.

    The ratings, Don't know and evidence as arrays (checked against the scales), the rows
    kept by the round rule, and each kept row's (workshop, respondent) pair and person.
    """

    def __init__(
        self, frame: pd.DataFrame, scale: Scale, evidence_scale: Scale, rounds: str | int
    ) -> None:
        n_all = len(frame)
        rating = _ints(frame["rating"])
        dont_know = frame["dont_know"].to_numpy(dtype=bool, na_value=False)
        rated = ~dont_know & ~np.isnan(rating)
        keep = rated | dont_know  # a row with neither is not an answer

        lo, hi = scale.minimum, scale.maximum
        off = rated & ((rating < lo) | (rating > hi) | (rating != np.floor(rating)))
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise AssuredKitError(
                f"rating {rating[row]:g} (table index {frame.index[row]!r}) is not on the "
                f"{scale.title} scale",
                field="rating",
                allowed=scale.describe_allowed(),
                hint="answers on another scale mixed in; pass scale= or filter the scale column",
            )
        if "evidence" in frame.columns:
            evidence = _ints(frame["evidence"])
        else:
            evidence = np.full(n_all, np.nan)
        has_evidence = ~np.isnan(evidence)
        bad_ev = has_evidence & (
            (evidence < evidence_scale.minimum) | (evidence > evidence_scale.maximum)
        )
        if bad_ev.any():
            row = int(np.flatnonzero(bad_ev)[0])
            raise AssuredKitError(
                f"evidence level {evidence[row]:g} (table index {frame.index[row]!r}) is not on "
                f"the {evidence_scale.title} scale",
                field="evidence",
                allowed=evidence_scale.describe_allowed(),
            )

        # One code per (workshop, respondent): respondent ids are unique only within a workshop.
        workshop = pd.factorize(frame["workshop_id"])[0].astype(np.int64) + 1
        respondent_codes, respondent_uniques = pd.factorize(frame["respondent_id"])
        n_resp = len(respondent_uniques) + 1
        pair = workshop * n_resp + respondent_codes.astype(np.int64) + 1
        self.pair_span = int((workshop.max() + 1) * n_resp) if n_all else 1

        if "round" in frame.columns:
            round_ = np.nan_to_num(_ints(frame["round"]), nan=1.0)
        else:
            round_ = np.ones(n_all)
        if rounds == "latest":
            if n_all and round_[keep].min(initial=1) != round_[keep].max(initial=1):
                _require(frame, ["question_id"])
                question = pd.factorize(frame["question_id"])[0].astype(np.int64)
                slot, slots = pd.factorize(pair * (question.max() + 2) + question + 1)
                latest = np.zeros(len(slots))
                np.maximum.at(latest, slot[keep], round_[keep])
                keep &= round_ == latest[slot]
        elif rounds != "all":
            if isinstance(rounds, bool) or not isinstance(rounds, int | np.integer):
                raise AssuredKitError(
                    f"rounds={rounds!r} is not understood",
                    field="rounds",
                    allowed="'latest', 'all' or a round number such as 1 or 2",
                )
            keep &= round_ == rounds

        self.rows = np.flatnonzero(keep)
        self.rating = rating[self.rows]
        self.dont_know = dont_know[self.rows]
        self.rated = rated[self.rows]
        self.evidence = evidence[self.rows]
        self.has_evidence = has_evidence[self.rows]
        self.pair = pair[self.rows]
        self.person = _person_codes(frame, self.rows, self.pair)


class _Prepared:
    """The ratings as arrays, after the round rule, with one integer group code per row."""

    def __init__(
        self,
        ratings: pd.DataFrame,
        by: list[str],
        *,
        scale: Scale,
        evidence_scale: Scale,
        rounds: str | int,
        framework: Framework | None,
    ) -> None:
        needed = ["workshop_id", "respondent_id", "rating", "dont_know"]
        needed += [k for k in by if k != "year"] + (["held_on"] if "year" in by else [])
        _require(ratings, needed)
        frame = ratings
        if rounds == "latest" and "round" in by:
            rounds = "all"
        answers = _shared(
            frame,
            ("answers", scale, evidence_scale, rounds),
            lambda: _Answers(frame, scale, evidence_scale, rounds),
        )
        self.pair_span = answers.pair_span
        self.rows = answers.rows
        # What decides the rows and people (with the frame), for work shared on them.
        self.rounds = rounds
        self.scales = (scale, evidence_scale)
        fw = None
        key_codes = []
        self.key_names = by
        # The order each key's codes are made in (None: sorted, or the categories').
        self.key_order: dict[str, tuple[object, ...] | None] = {}
        for key in by:
            order: Sequence[object] | None = None
            if key != "year" and not isinstance(frame[key].dtype, pd.CategoricalDtype):
                if key in {"theme_id", "question_id"}:
                    fw = fw or _framework(framework)
                    order = fw.theme_ids if key == "theme_id" else list(fw.questions["question_id"])
                elif key == "role":
                    order = _RESPONDENT_ROLES
                elif key == "question_role":
                    order = _RESPONDENT_ROLES[:2]
            self.key_order[key] = None if order is None else tuple(order)
            key_codes.append(
                _shared(
                    frame,
                    ("key", key, rounds, self.key_order[key]),
                    functools.partial(_key_codes, frame, key, self.rows, order),
                )
            )
        self.keys = key_codes
        self.group, first, self.n_groups = _group_codes(key_codes, len(self.rows))
        self.first_row = self.rows[first]  # positions in the input frame
        self.key_values = {
            name: kc.values(kc.codes[first]) for name, kc in zip(by, key_codes, strict=True)
        }
        self.rating = answers.rating
        self.dont_know = answers.dont_know
        self.rated = answers.rated
        self.evidence = answers.evidence
        self.has_evidence = answers.has_evidence
        self.pair = answers.pair
        self.person = answers.person
        self.frame = frame
        self.key_codes = {name: kc.codes for name, kc in zip(by, key_codes, strict=True)}
        self.key_rank = {name: kc.rank_of_codes() for name, kc in zip(by, key_codes, strict=True)}

    def people(self) -> np.ndarray:
        """Distinct people who gave a rating, per group (see "Counting people").

        A group where nobody gave a rating counts the people who answered Don't know.
        """
        answered = self.rated | self.dont_know
        person = self.person[answered] * 2 + ~self.rated[answered]  # odd: Don't know
        return _people_per_cell(self.group[answered], person, self.n_groups)

    def counts(self, values: np.ndarray, mask: np.ndarray, levels: list[int]) -> np.ndarray:
        """Answers per group (rows) and level (columns) among masked rows."""
        width = len(levels)
        index = self.group[mask] * width + (values[mask] - levels[0]).astype(np.int64)
        return np.bincount(index, minlength=self.n_groups * width).reshape(self.n_groups, width)


def _prepare(
    ratings: pd.DataFrame,
    by: Iterable[str] | str | None,
    scale: str | Scale | None,
    evidence_scale: str | Scale,
    min_group: int,
    rounds: str | int,
    framework: Framework | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[_Prepared, Scale, Scale]:
    """Check the options the summaries share, then prepare the ratings grouped by ``by``.

    Returns the prepared ratings, the rating scale and the evidence scale.
    """
    keys = _check_by(by)
    check_min_group(min_group)
    if not isinstance(thresholds, Thresholds):
        raise AssuredKitError(
            f"thresholds {thresholds!r} is not a Thresholds",
            field="thresholds",
            allowed="Thresholds(...)",
        )
    the_scale = _resolve_scale(ratings, scale)
    ev_scale = get_scale(evidence_scale)
    prepared = _Prepared(
        ratings, keys, scale=the_scale, evidence_scale=ev_scale, rounds=rounds, framework=framework
    )
    return prepared, the_scale, ev_scale


def _stamped(
    result: pd.DataFrame, scale: Scale, ev_scale: Scale, min_group: int, **more: Any
) -> pd.DataFrame:
    """Record on ``result.attrs`` what charts need to draw it: scales, min_group and ``more``."""
    result.attrs.update(
        {"scale": scale, "evidence_scale": ev_scale, "min_group": int(min_group), **more}
    )
    return result


def _labels(out: dict[str, Any], prepared: _Prepared, framework: Framework | None) -> None:
    """Add theme titles, question texts and respondent labels beside their keys."""
    if "theme_id" in prepared.key_values:
        fw = _framework(framework)
        titles = dict(zip(fw.theme_ids, fw.themes["title"], strict=True))
        out["theme_title"] = pd.array(
            [
                titles.get(str(t), str(t)) if not pd.isna(t) else pd.NA
                for t in prepared.key_values["theme_id"]
            ],
            dtype="str",
        )
    if "question_id" in prepared.key_values:
        fw = _framework(framework)
        texts = dict(zip(fw.questions["question_id"], fw.questions["text"], strict=True))
        out["question_text"] = pd.array(
            [
                texts.get(str(q), "") if not pd.isna(q) else pd.NA
                for q in prepared.key_values["question_id"]
            ],
            dtype="str",
        )
    if "respondent_id" in prepared.key_values:
        if "respondent_label" in prepared.frame.columns:
            labels = prepared.frame["respondent_label"].iloc[prepared.first_row].to_numpy()
        else:
            labels = np.asarray(prepared.key_values["respondent_id"], dtype=object)
        out["respondent_label"] = pd.array(labels, dtype="str")


def summarise(
    ratings: pd.DataFrame,
    by: Sequence[str] | str | None = ("theme_id",),
    *,
    scale: str | Scale | None = None,
    evidence_scale: str | Scale = "evidence",
    min_group: int = 3,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    rounds: Literal["latest", "all"] | int = "latest",
    framework: Framework | None = None,
    where: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Summarise tidy ratings: one row per group, suppression built in.

    Parameters
    ----------
    ratings : pandas.DataFrame
        The tidy ratings table (columns and dtypes as `assured_kit.ratings.TIDY_COLUMNS`).
    by : sequence of str
        Grouping keys, any of `GROUP_KEYS` (``year`` comes from ``held_on``). ``respondent_id``
        brings ``workshop_id`` with it, since respondent ids are unique only within a workshop.
        An empty list summarises everything as one group.
    scale : str or Scale, optional
        The rating scale; by default the one named in the ``scale`` column (confidence if none).
    evidence_scale : str or Scale
        The evidence scale ("How do I know?").
    min_group : int
        Groups of fewer people are suppressed, with any group that would give them away (the
        disclosure rule in the module docstring; 3 by default; 1 only inside the room or for
        one's own self-rating).
    thresholds : Thresholds
        Cut-offs for strong, weak and contested.
    rounds : "latest", "all" or int
        Which rounds count when ``round`` is not a key: each respondent's latest round per
        question (default), every round, or one round.
    framework : Framework, optional
        For theme titles, question texts and framework order (the bundled edition by default).
    where : mapping, optional
        Keep only the groups whose keys have these values, e.g. ``{"authority": "Derby"}``
        for one authority's own figures. Pass the whole data set and ``where`` rather than a
        filtered table: what is withheld is then decided against the whole data set, so the
        figures agree with every other output made from it. A key may name several values
        (``{"year": [2025, 2026]}``, see `where_from`): their answers are summed, and a sum is
        shown only where each of its parts is shown.

    Returns
    -------
    pandas.DataFrame
        Columns as listed in the module docstring.

    Raises
    ------
    AssuredKitError
        On an unknown key, a missing column, ratings off the scale or several scales mixed.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "workshop_id": ["w1"] * 4, "respondent_id": ["a", "b", "c", "d"],
    ...     "theme_id": ["LA"] * 4, "rating": pd.array([5, 4, 4, None], dtype="Int64"),
    ...     "dont_know": [False, False, False, True]})
    >>> row = summarise(answers).iloc[0]
    >>> int(row["n_rated"]), int(row["n_dont_know"]), float(row["top_share"]), row["classification"]
    (3, 1, 1.0, 'strong')
    >>> summarise(answers, min_group=5)["top_share"].isna().all()
    np.True_
    """

    def make(frame: pd.DataFrame, keys: list[str], floor: int) -> pd.DataFrame:
        prepared, the_scale, ev_scale = _prepare(
            frame, keys, scale, evidence_scale, floor, rounds, framework, thresholds
        )
        return _figures(prepared, the_scale, ev_scale, floor, thresholds, framework)

    what = (
        "summarise",
        *_options_key(by, where),
        scale,
        evidence_scale,
        min_group,
        thresholds,
        rounds,
        framework,
    )
    return _shared_table(ratings, what, lambda: _in_slice(make, ratings, by, where, min_group))


def _chosen(where: Mapping[str, Any] | None) -> dict[str, tuple[Any, ...]]:
    """Return ``where`` with every value as a tuple of the values chosen (one or several)."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise AssuredKitError(
            f"where={where!r} is not a mapping",
            field="where",
            allowed="e.g. {'authority': 'Derby'} or {'year': [2025, 2026]}",
        )
    chosen: dict[str, tuple[Any, ...]] = {}
    for key, value in where.items():
        values = (
            tuple(value)
            if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Index)
            else (value,)
        )
        if not values:
            raise AssuredKitError(
                f"where names no value for {key!r}",
                field="where",
                allowed="one value, or a list of the values to keep",
            )
        chosen[key] = values
    return chosen


def _with_where(
    by: Iterable[str] | str | None, where: Mapping[str, Any] | None
) -> tuple[list[str], list[str]]:
    """Return the keys to group by (``by`` plus the keys of ``where``) and those added."""
    keys = _check_by(by)
    chosen = _chosen(where)
    added = [k for k in _check_by(list(chosen)) if k not in keys]
    return [*keys, *added], added


def where_mask(ratings: pd.DataFrame, where: Mapping[str, Any] | None) -> np.ndarray:
    """Flag the answers inside a ``where`` slice (``year`` read from ``held_on``).

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings.
    where : mapping, optional
        Key to one value, or to a list of the values to keep (as `summarise` takes it).

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"authority": ["Derby", "Rutland", "Leicester"],
    ...     "held_on": ["2025-03-01", "2026-03-01", "2026-04-01"]})
    >>> where_mask(answers, {"year": 2026, "authority": ["Derby", "Rutland"]}).tolist()
    [False, True, False]
    """
    keep = np.ones(len(ratings), dtype=bool)
    for key, values in _chosen(where).items():
        _require(ratings, ["held_on" if key == "year" else key])
        column = pd.to_datetime(ratings["held_on"]).dt.year if key == "year" else ratings[key]
        keep &= column.astype(object).isin(list(values)).to_numpy(dtype=bool, na_value=False)
    return keep


def _sliced(
    result: pd.DataFrame, where: Mapping[str, Any] | None, added: list[str]
) -> pd.DataFrame:
    """Keep the rows matching ``where``; drop the keys only ``where`` brought."""
    chosen = _chosen(where)
    if not chosen:
        return result
    keep = np.ones(len(result), dtype=bool)
    for key, values in chosen.items():
        keep &= result[key].astype(object).isin(list(values)).to_numpy(dtype=bool, na_value=False)
    out = result[keep].drop(columns=added).reset_index(drop=True)
    out.attrs.update(result.attrs, where=dict(where or {}))
    return out


def where_from(
    ratings: pd.DataFrame,
    *,
    years: Iterable[int] | int | None = None,
    authorities: Iterable[str] | str | None = None,
    roles: Iterable[str] | str | None = None,
    themes: Iterable[str] | str | None = None,
    workshops: Iterable[str] | str | None = None,
) -> dict[str, tuple[Any, ...]]:
    """Turn chosen years, authorities, roles, themes and workshops into a ``where`` slice.

    Every output that shows part of the answers (the command line's ``--year``, ``--role`` and
    ``--workshop``, the steering-group notebook's filters) passes the whole data with this
    slice, so what is withheld is decided on the whole data and agrees with every other output
    of it. ``None`` or an empty choice leaves that key out. Workshops may be named by id or by
    title; the slice holds their ids.

    Raises
    ------
    AssuredKitError
        For a role, theme or workshop that does not exist (a typing slip would otherwise show
        nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": ["w1", "w2"], "workshop_title": ["Spring", "May"],
    ...     "held_on": ["2025-03-01", "2026-05-01"]})
    >>> where_from(answers, years=2026, workshops=["Spring"], roles=())
    {'year': (2026,), 'workshop_id': ('w1',)}
    """

    def chosen(values: Iterable[Any] | Any | None) -> list[Any]:
        if values is None:
            return []
        return [values] if isinstance(values, str | int) else list(values)

    def refuse_unknown(picked: list[Any], known: Sequence[str], field: str, hint: str) -> None:
        wrong = [c for c in picked if c not in known]
        if wrong:
            raise AssuredKitError(
                f"unknown {field[:-1]}(s) {', '.join(map(repr, wrong))}",
                field=field,
                allowed=", ".join(known),
                hint=hint,
            )

    where: dict[str, tuple[Any, ...]] = {}
    if chosen(years):
        where["year"] = tuple(int(y) for y in chosen(years))
    if chosen(authorities):
        where["authority"] = tuple(chosen(authorities))
    if chosen(roles):
        refuse_unknown(chosen(roles), _RESPONDENT_ROLES, "roles", "DCS, LM, Officer or Mixed")
        where["role"] = tuple(chosen(roles))
    if chosen(themes):
        refuse_unknown(
            chosen(themes),
            _framework(None).theme_ids,
            "themes",
            "theme ids are two letters, e.g. WF for Workforce",
        )
        where["theme_id"] = tuple(chosen(themes))
    if chosen(workshops):
        _require(ratings, ["workshop_id"])
        ids = ratings["workshop_id"].astype(str)
        titles = ratings["workshop_title"].astype(str) if "workshop_title" in ratings else ids
        pairs = set(zip(ids, titles, strict=True))
        refuse_unknown(
            chosen(workshops),
            tuple(sorted({i for i, _ in pairs} | {t for _, t in pairs})),
            "workshops",
            "a workshop's id or its title as the report shows it",
        )
        picked = set(chosen(workshops))
        where["workshop_id"] = tuple(sorted({i for i, t in pairs if i in picked or t in picked}))
    return where


#: Columns that name a group rather than describe its answers: kept when a group is withheld.
_NAMING = ("theme_title", "question_text", "respondent_label")


def _withhold_rows(table: pd.DataFrame, hit: np.ndarray, keys: Sequence[str]) -> None:
    """Withhold every figure of the flagged rows of a summary table, in place."""
    if not hit.any():
        return
    for column in table.columns:
        if column in keys or column in _NAMING:
            continue
        if column == "suppressed":
            table.loc[hit, column] = True
        elif column == "classification":
            table.loc[hit, column] = "suppressed"
        elif pd.api.types.is_bool_dtype(table[column].dtype):
            table.loc[hit, column] = False
        else:
            table.loc[hit, column] = pd.NA


def _in_slice(
    make: Any,
    ratings: pd.DataFrame,
    by: Iterable[str] | str | None,
    where: Mapping[str, Any] | None,
    min_group: int,
) -> pd.DataFrame:
    """Make a summary table of the ``where`` slice, withheld as decided on the whole data.

    ``make(frame, keys, min_group)`` returns the table of ``frame`` grouped by ``keys``. With one
    value per key of ``where``, the slice is some of the groups of the whole table. With several
    values of a key that is not a key of the table (e.g. two years summed), each group of the
    slice is the sum of groups of the whole table (one per value): it is shown only where every
    one of those is shown, so its figures are sums of figures shown anyway and give nothing
    away that those do not (see "The one disclosure rule").
    """
    keys, added = _with_where(by, where)
    chosen = _chosen(where)
    table = make(ratings, keys, min_group)
    summed = [k for k in added if len(chosen[k]) > 1]
    if not summed:
        return _sliced(table, chosen, added)
    own = [k for k in keys if k not in added]
    parts = _sliced(table, chosen, [])
    withheld = {
        tuple(row)
        for row in parts.loc[parts["suppressed"].to_numpy(dtype=bool), own]
        .astype(object)
        .itertuples(index=False, name=None)
    }
    whole = make(ratings[where_mask(ratings, chosen)], own, 1)
    hit = np.array(
        [tuple(r) in withheld for r in whole[own].astype(object).itertuples(index=False, name=None)]
        if own
        else [bool(parts["suppressed"].any()) or not len(parts)] * len(whole),
        dtype=bool,
    )
    _withhold_rows(whole, hit, own)
    whole.attrs.update(table.attrs, where=dict(where or {}))
    return whole


def _figures(
    prepared: _Prepared,
    scale: Scale,
    ev_scale: Scale,
    min_group: int,
    thresholds: Thresholds,
    framework: Framework | None,
) -> pd.DataFrame:
    levels = scale.values
    values = np.asarray(levels, dtype=np.float64)
    counts = prepared.counts(prepared.rating, prepared.rated, levels)
    n_answers = np.bincount(prepared.group, minlength=prepared.n_groups)
    n_dk = np.bincount(prepared.group[prepared.dont_know], minlength=prepared.n_groups)
    n_resp, suppressed = _withhold(prepared, min_group)
    n_rated = counts.sum(axis=1)
    none_rated = n_rated == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        top_idx = [levels.index(v) for v in scale.top_values]
        bottom_idx = [levels.index(v) for v in scale.bottom_values]
        top = counts[:, top_idx].sum(axis=1) / n_rated
        bottom = counts[:, bottom_idx].sum(axis=1) / n_rated
        dk_share = n_dk / n_answers
        ev_levels = ev_scale.values
        ev_counts = prepared.counts(prepared.evidence, prepared.has_evidence, ev_levels)
        n_ev = ev_counts.sum(axis=1)
        ev_shares = ev_counts / n_ev[:, None]

    out: dict[str, Any] = dict(prepared.key_values)
    _labels(out, prepared, framework)
    hide_rated = suppressed | none_rated
    out["n_respondents"] = _as_int(n_resp, suppressed)
    out["n_answers"] = _as_int(n_answers, suppressed)
    out["n_rated"] = _as_int(n_rated, suppressed)
    out["n_dont_know"] = _as_int(n_dk, suppressed)
    out["dont_know_share"] = _as_float(dk_share, suppressed)
    for j, level in enumerate(levels):
        out[f"n_{level}"] = _as_int(counts[:, j], suppressed)
    out["median"] = _as_float(_quantiles(counts, values, 0.5), hide_rated)
    out["q1"] = _as_float(_quantiles(counts, values, 0.25), hide_rated)
    out["q3"] = _as_float(_quantiles(counts, values, 0.75), hide_rated)
    out["top_share"] = _as_float(top, hide_rated)
    out["bottom_share"] = _as_float(bottom, hide_rated)
    out["n_evidence"] = _as_int(n_ev, suppressed)
    for j, level in enumerate(ev_levels):
        out[f"evidence_share_{level}"] = _as_float(ev_shares[:, j], suppressed | (n_ev == 0))
    out["classification"] = pd.Categorical(
        classify(top, bottom, n_rated=n_rated, suppressed=suppressed, thresholds=thresholds),
        categories=CLASSIFICATIONS,
    )
    out["suppressed"] = suppressed
    return _stamped(pd.DataFrame(out), scale, ev_scale, min_group, thresholds=thresholds)


# --------------------------------------------------------------------------------------------
# The views the notebooks and reports need.
# --------------------------------------------------------------------------------------------


def by_theme(ratings: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """Summarise by theme, in framework order, with each theme's title.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings.
    **options
        Passed to `summarise` (``scale``, ``min_group``, ``thresholds``, ``rounds``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": ["WF", "WF", "LA"], "rating": pd.array([1, 2, 5], dtype="Int64"),
    ...     "dont_know": False})
    >>> table = by_theme(answers, min_group=1)
    >>> table[["theme_id", "theme_title", "classification"]].to_numpy().tolist()
    [['LA', 'Leadership/Accountability', 'strong'], ['WF', 'Workforce', 'weak']]
    """
    return summarise(ratings, by=["theme_id"], **options)


def by_question(ratings: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """Summarise by question, in framework order, with each question's theme and text.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "question_id": ["LA-DCS-2", "LA-DCS-1", "LA-DCS-1"], "theme_id": "LA",
    ...     "rating": pd.array([3, 4, 5], dtype="Int64"), "dont_know": False})
    >>> by_question(answers, min_group=1)["question_id"].tolist()
    ['LA-DCS-1', 'LA-DCS-2']
    """
    return summarise(ratings, by=["theme_id", "question_id"], **options)


def _divergence(
    class_a: Any,
    class_b: Any,
    top_a: Any,
    top_b: Any,
    thresholds: Thresholds,
    names: tuple[str, str],
) -> tuple[np.ndarray, list[str]]:
    """Flag two views as apart: one strong and the other weak, or top shares >= gap apart."""
    a = np.asarray(pd.Series(class_a, dtype=object).fillna("").astype(str))
    b = np.asarray(pd.Series(class_b, dtype=object).fillna("").astype(str))
    ta = pd.array(top_a, dtype="Float64").to_numpy(np.float64, na_value=np.nan)
    tb = pd.array(top_b, dtype="Float64").to_numpy(np.float64, na_value=np.nan)
    opposite = ((a == "strong") & (b == "weak")) | ((a == "weak") & (b == "strong"))
    with np.errstate(invalid="ignore"):
        diff = np.abs(ta - tb)
        wide = diff >= thresholds.gap - _EPS
    flag = opposite | wide
    reasons = []
    for i in range(len(flag)):
        parts = []
        if opposite[i]:
            parts.append(f"{names[0]} {a[i]}, {names[1]} {b[i]}")
        if wide[i]:
            parts.append(f"top shares {round(diff[i] * 100)} points apart")
        reasons.append("; ".join(parts))
    return flag, reasons


_SIDE_COLUMNS = (
    "n_respondents",
    "n_rated",
    "median",
    "top_share",
    "bottom_share",
    "dont_know_share",
    "classification",
    "suppressed",
)


def _side_by_side(
    summary: pd.DataFrame,
    key: str,
    sides: tuple[Any, Any],
    prefixes: tuple[str, str],
    by: list[str],
) -> pd.DataFrame:
    label_cols = [c for c in ("theme_title", "question_text", "respondent_label") if c in summary]
    index_cols = [*by, *label_cols]
    parts = []
    for side, prefix in zip(sides, prefixes, strict=True):
        part = summary[summary[key] == side][[*index_cols, *_SIDE_COLUMNS]]
        parts.append(part.rename(columns={c: f"{prefix}_{c}" for c in _SIDE_COLUMNS}))
    if not by:
        merged = pd.concat([p.reset_index(drop=True) for p in parts], axis=1)
        if merged.empty:
            merged = pd.DataFrame([{c: pd.NA for c in merged.columns}]).iloc[:0]
    else:
        merged = parts[0].merge(parts[1], on=index_cols, how="outer", sort=False)
        merged = merged.sort_values(by, kind="stable").reset_index(drop=True)
    for prefix in prefixes:
        column = f"{prefix}_suppressed"
        merged[column] = merged[column].astype("boolean")
        merged[f"{prefix}_classification"] = pd.Categorical(
            merged[f"{prefix}_classification"], categories=CLASSIFICATIONS
        )
    return merged


def compare_roles(
    ratings: pd.DataFrame,
    *,
    roles: tuple[str, str] = ("DCS", "LM"),
    role_column: str = "role",
    by: Sequence[str] = ("theme_id",),
    **options: Any,
) -> pd.DataFrame:
    """Put two roles' views side by side per theme, flagging where they are far apart.

    A pair is flagged (``apart``) when one side is strong and the other weak, or their top
    shares differ by at least ``Thresholds.gap``; ``why`` says which. A suppressed side never
    triggers a flag.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings.
    roles : (str, str)
        The two roles, first then second (DCS and Lead Member by default).
    role_column : str
        ``"role"`` (the respondent's role, default) or ``"question_role"``.
    by : sequence of str
        Keys to compare within (themes by default; ``("theme_id", "question_id")`` per question).
    **options
        Passed to `summarise`.

    Returns
    -------
    pandas.DataFrame
        The keys, then for each role (prefix ``dcs_`` / ``lm_``) n_respondents, n_rated,
        median, top_share, bottom_share, dont_know_share, classification and suppressed; then
        ``top_share_gap`` (second minus first), ``apart`` and ``why``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcdef"),
    ...     "role": ["DCS"] * 3 + ["LM"] * 3, "theme_id": "PR",
    ...     "rating": pd.array([5, 5, 4, 1, 2, 2], dtype="Int64"), "dont_know": False})
    >>> row = compare_roles(answers).iloc[0]
    >>> row["dcs_classification"], row["lm_classification"], bool(row["apart"])
    ('strong', 'weak', True)
    """
    if role_column not in ("role", "question_role"):
        raise AssuredKitError(
            f"cannot compare roles on {role_column!r}",
            field="role_column",
            allowed="role, question_role",
        )
    _require(ratings, [role_column])
    keys = _check_by(by)
    # Every role is summarised (not only the two shown), so what is withheld agrees with the
    # role split in any other output.
    summary = summarise(ratings, by=[*keys, role_column], **options)
    thresholds = summary.attrs["thresholds"]
    prefixes = (roles[0].lower(), roles[1].lower())
    result = _side_by_side(summary, role_column, roles, prefixes, keys)
    a, b = prefixes
    result["top_share_gap"] = result[f"{b}_top_share"] - result[f"{a}_top_share"]
    flag, why = _divergence(
        result[f"{a}_classification"],
        result[f"{b}_classification"],
        result[f"{a}_top_share"],
        result[f"{b}_top_share"],
        thresholds,
        roles,
    )
    result["apart"] = flag
    result["why"] = pd.array(why, dtype="str")
    result.attrs.update(summary.attrs, roles=roles)
    return result


def evidence_grid(
    ratings: pd.DataFrame,
    *,
    scale: str | Scale | None = None,
    evidence_scale: str | Scale = "evidence",
    min_group: int = 3,
    rounds: Literal["latest", "all"] | int = "latest",
    where: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Count rated answers by confidence level x evidence level (the "How do I know?" grid).

    Only rated answers with an evidence level count. The whole grid is suppressed (counts
    <NA>) when those answers come from fewer than ``min_group`` people, or when the group it
    describes (``where``, e.g. ``{"theme_id": "LA", "authority": "Derby"}``, decided against
    the whole of ``ratings`` as in `summarise`) is withheld; a zero is a real zero.

    Returns
    -------
    pandas.DataFrame
        One row per (rating, evidence) pair, every pair present: ``rating``, ``rating_label``,
        ``evidence``, ``evidence_label``, ``n``, ``share_of_rating`` (share of the answers at that
        rating), ``unfounded`` (top of the rating scale on the bottom of the evidence scale),
        ``suppressed``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "rating": pd.array([5, 5, 2], dtype="Int64"), "dont_know": False,
    ...     "evidence": pd.array([0, 3, 2], dtype="Int64")})
    >>> grid = evidence_grid(answers)
    >>> grid[grid["unfounded"] & (grid["n"] > 0)][["rating", "evidence", "n"]].to_numpy().tolist()
    [[5, 0, 1]]
    """
    withheld = False
    if where:
        cell = summarise(
            ratings, by=[], scale=scale, min_group=min_group, rounds=rounds, where=where
        )
        withheld = not len(cell) or bool(cell["suppressed"].iloc[0])
        ratings = ratings[where_mask(ratings, where)]
    prepared, the_scale, ev_scale = _prepare(
        ratings, None, scale, evidence_scale, min_group, rounds, framework=None
    )
    mask = prepared.rated & prepared.has_evidence
    levels, ev_levels = the_scale.values, ev_scale.values
    width = len(ev_levels)
    index = (prepared.rating[mask] - levels[0]).astype(np.int64) * width + (
        prepared.evidence[mask] - ev_levels[0]
    ).astype(np.int64)
    grid = np.bincount(index, minlength=len(levels) * width).reshape(len(levels), width)
    n_resp = len(pd.unique(prepared.person[mask]))
    suppressed = n_resp < min_group or withheld
    with np.errstate(invalid="ignore", divide="ignore"):
        share = grid / grid.sum(axis=1, keepdims=True)
    rating_col = np.repeat(levels, width)
    evidence_col = np.tile(ev_levels, len(levels))
    hidden = np.full(grid.size, suppressed)
    result = pd.DataFrame(
        {
            "rating": pd.array(rating_col, dtype="Int64"),
            "rating_label": pd.array(
                [the_scale.label_for(int(v)) for v in rating_col], dtype="str"
            ),
            "evidence": pd.array(evidence_col, dtype="Int64"),
            "evidence_label": pd.array(
                [ev_scale.label_for(int(v)) for v in evidence_col], dtype="str"
            ),
            "n": _as_int(grid.ravel(), hidden),
            "share_of_rating": _as_float(share.ravel(), hidden),
            "unfounded": np.isin(rating_col, the_scale.top_values)
            & np.isin(evidence_col, ev_scale.bottom_values),
            "suppressed": hidden,
        }
    )
    return _stamped(
        result, the_scale, ev_scale, min_group, n_respondents=None if suppressed else n_resp
    )


def confidence_vs_evidence(
    ratings: pd.DataFrame,
    by: Sequence[str] | str | None = ("theme_id",),
    *,
    scale: str | Scale | None = None,
    evidence_scale: str | Scale = "evidence",
    min_group: int = 3,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    rounds: Literal["latest", "all"] | int = "latest",
    framework: Framework | None = None,
    where: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Find high confidence resting on weak evidence ("unfounded confidence"), per group.

    Groups are withheld exactly as in `summarise` (``where`` as there).

    Among rated answers at the top of the confidence scale that record an evidence level, the
    share resting on the bottom of the evidence scale (0 no evidence, 1 informal) is
    ``unfounded_share``; the group is flagged ``unfounded_confidence`` when that share is at
    least ``Thresholds.unfounded_share``.

    Returns
    -------
    pandas.DataFrame
        The keys (and titles), ``n_respondents``, ``n_with_evidence`` (rated answers with an
        evidence level), ``n_confident`` (of those, at the top of the scale), ``n_unfounded``,
        ``unfounded_share``, ``unfounded_confidence`` (bool) and ``suppressed``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"), "theme_id": "IN",
    ...     "rating": pd.array([5, 4, 4], dtype="Int64"), "dont_know": False,
    ...     "evidence": pd.array([0, 1, 3], dtype="Int64")})
    >>> row = confidence_vs_evidence(answers).iloc[0]
    >>> int(row["n_unfounded"]), int(row["n_confident"]), bool(row["unfounded_confidence"])
    (2, 3, True)
    """

    def make(frame: pd.DataFrame, keys: list[str], floor: int) -> pd.DataFrame:
        return _unfounded(
            frame, keys, scale, evidence_scale, floor, thresholds, rounds, framework
        )

    return _in_slice(make, ratings, by, where, min_group)


def _unfounded(
    ratings: pd.DataFrame,
    keys: list[str],
    scale: str | Scale | None,
    evidence_scale: str | Scale,
    min_group: int,
    thresholds: Thresholds,
    rounds: Literal["latest", "all"] | int,
    framework: Framework | None,
) -> pd.DataFrame:
    """`confidence_vs_evidence` of ``ratings`` grouped by ``keys`` (no slice)."""
    prepared, the_scale, ev_scale = _prepare(
        ratings, keys, scale, evidence_scale, min_group, rounds, framework, thresholds
    )
    with_ev = prepared.rated & prepared.has_evidence
    confident = with_ev & np.isin(prepared.rating, the_scale.top_values)
    unfounded = confident & np.isin(prepared.evidence, ev_scale.bottom_values)
    g = prepared.n_groups
    n_resp, suppressed = _withhold(prepared, min_group)
    n_conf = np.bincount(prepared.group[confident], minlength=g)
    n_unf = np.bincount(prepared.group[unfounded], minlength=g)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = n_unf / n_conf
    out: dict[str, Any] = dict(prepared.key_values)
    _labels(out, prepared, framework)
    out["n_respondents"] = _as_int(n_resp, suppressed)
    out["n_with_evidence"] = _as_int(np.bincount(prepared.group[with_ev], minlength=g), suppressed)
    out["n_confident"] = _as_int(n_conf, suppressed)
    out["n_unfounded"] = _as_int(n_unf, suppressed)
    out["unfounded_share"] = _as_float(share, suppressed)
    with np.errstate(invalid="ignore"):
        flagged = ~suppressed & (share >= thresholds.unfounded_share - _EPS)
    out["unfounded_confidence"] = flagged
    out["suppressed"] = suppressed
    return _stamped(pd.DataFrame(out), the_scale, ev_scale, min_group, thresholds=thresholds)


_MEASURES = ("top_share", "median", "bottom_share")


def authority_position(
    ratings: pd.DataFrame,
    authority: str,
    *,
    measure: Literal["top_share", "median", "bottom_share"] = "top_share",
    by: Sequence[str] = ("theme_id",),
    min_others: int = 3,
    **options: Any,
) -> pd.DataFrame:
    """Place one authority against the anonymised spread of the others, per theme.

    The spread is taken over the other authorities' own figures for the theme (each one
    counts once, whatever its size), leaving out any that are suppressed. It is withheld
    (``others_suppressed``) when fewer than ``min_others`` authorities remain, so no single
    other authority can be read off it. Other authorities are never named: the result holds
    only the chosen authority's name.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings for the region.
    authority : str
        The authority whose position is shown.
    measure : str
        ``"top_share"`` (default), ``"median"`` or ``"bottom_share"``.
    by : sequence of str
        Keys (themes by default).
    min_others : int
        Fewest other authorities behind a spread (3 by default).
    **options
        Passed to `summarise` (``min_group`` and so on).

    Returns
    -------
    pandas.DataFrame
        Keys and titles, ``authority``, ``value``, ``n_respondents``, ``classification``,
        ``suppressed``, ``others_n`` (authorities in the spread), ``others_min``, ``others_q1``,
        ``others_median``, ``others_q3``, ``others_max``, ``others_suppressed`` and ``position``
        (in words: below or above the others' range, lower or upper quarter, middle half).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [("w1", f"r{i}", a, r) for i, (a, r) in enumerate(
    ...     [("A", 5)] * 3 + [("B", 1)] * 3 + [("C", 3)] * 3 + [("D", 4)] * 3)]
    >>> columns = ["workshop_id", "respondent_id", "authority", "rating"]
    >>> answers = pd.DataFrame(rows, columns=columns)
    >>> answers["rating"] = answers["rating"].astype("Int64")
    >>> answers = answers.assign(theme_id="LA", dont_know=False)
    >>> row = authority_position(answers, "A", measure="median").iloc[0]
    >>> float(row["value"]), float(row["others_min"]), float(row["others_max"]), row["position"]
    (5.0, 1.0, 4.0, "above the others' range")
    """
    if measure not in _MEASURES:
        raise AssuredKitError(
            f"unknown measure {measure!r}", field="measure", allowed=", ".join(_MEASURES)
        )
    if isinstance(min_others, bool) or not isinstance(min_others, int) or min_others < 1:
        raise AssuredKitError(
            f"min_others {min_others!r} is not a whole number of at least 1",
            field="min_others",
            allowed="1 or more; 3 by default",
        )
    _require(ratings, ["authority"])
    present = [str(a) for a in pd.unique(ratings["authority"].dropna())]
    if authority not in present:
        raise AssuredKitError(
            f"no answers from authority {authority!r}",
            field="authority",
            allowed=", ".join(sorted(present)) or "an authority present in the ratings",
            hint="a misspelt name, or answers recorded without an authority",
        )
    keys = _check_by(by)
    if "authority" in keys:
        raise AssuredKitError(
            "authority is already the comparison", field="by", allowed="e.g. theme_id"
        )
    summary = summarise(ratings, by=[*keys, "authority"], **options)
    label_cols = [c for c in ("theme_title", "question_text") if c in summary]
    own = summary[summary["authority"] == authority]
    others = summary[
        (summary["authority"] != authority) & summary["authority"].notna() & ~summary["suppressed"]
    ]
    all_keys = summary[[*keys, *label_cols]].drop_duplicates()
    values = others[measure].astype("Float64")
    if keys:
        grouped = values.groupby([others[k] for k in keys], observed=True)
        spread = pd.DataFrame(
            {
                "others_n": grouped.count(),
                "others_min": grouped.min(),
                "others_q1": grouped.quantile(0.25),
                "others_median": grouped.median(),
                "others_q3": grouped.quantile(0.75),
                "others_max": grouped.max(),
            }
        ).reset_index()
        result = all_keys.merge(
            own[[*keys, "authority", measure, "n_respondents", "classification", "suppressed"]],
            on=keys,
            how="left",
        ).merge(spread, on=keys, how="left")
        result = result.sort_values(keys, kind="stable").reset_index(drop=True)
    else:
        result = pd.DataFrame(
            {
                "authority": [authority],
                measure: own[measure].to_numpy()[:1] if len(own) else [pd.NA],
                "n_respondents": own["n_respondents"].to_numpy()[:1],
                "classification": own["classification"].to_numpy()[:1],
                "suppressed": own["suppressed"].to_numpy()[:1],
                "others_n": [values.count()],
                "others_min": [values.min()],
                "others_q1": [values.quantile(0.25)],
                "others_median": [values.median()],
                "others_q3": [values.quantile(0.75)],
                "others_max": [values.max()],
            }
        )
    result = result.rename(columns={measure: "value"})
    result["authority"] = authority
    result["value"] = result["value"].astype("Float64")
    # A theme the authority gave no answers in has <NA> here (nothing to suppress or show).
    result["suppressed"] = result["suppressed"].astype("boolean")
    result["n_respondents"] = result["n_respondents"].astype("Int64")
    result["classification"] = pd.Categorical(result["classification"], categories=CLASSIFICATIONS)
    result["others_n"] = result["others_n"].fillna(0).astype("Int64")
    others_hidden = (result["others_n"] < min_others).to_numpy(bool)
    stats = ["others_min", "others_q1", "others_median", "others_q3", "others_max"]
    for column in stats:
        result[column] = result[column].astype("Float64").mask(others_hidden)
    result["others_suppressed"] = others_hidden
    result["position"] = pd.array(_positions(result), dtype="str")
    ordered = [
        *keys,
        *label_cols,
        "authority",
        "value",
        "n_respondents",
        "classification",
        "suppressed",
        "others_n",
        *stats,
        "others_suppressed",
        "position",
    ]
    result = result[ordered]
    result.attrs.update(summary.attrs, measure=measure, min_others=min_others)
    return result


def _positions(result: pd.DataFrame) -> list[Any]:
    words: list[Any] = []
    for row in result.itertuples(index=False):
        value = row.value
        if pd.isna(value) or row.others_suppressed:
            words.append(pd.NA)
        elif value < row.others_min - _EPS:
            words.append("below the others' range")
        elif value > row.others_max + _EPS:
            words.append("above the others' range")
        elif value < row.others_q1 - _EPS:
            words.append("lower quarter")
        elif value > row.others_q3 + _EPS:
            words.append("upper quarter")
        else:
            words.append("middle half")
    return words


_BETWEEN = ("round", "workshop_id", "year")


def change(
    ratings: pd.DataFrame,
    *,
    between: Literal["round", "workshop_id", "year"] = "round",
    before: Any = None,
    after: Any = None,
    by: Sequence[str] = ("theme_id",),
    **options: Any,
) -> pd.DataFrame:
    """Compare two rounds, two workshops or two years, per theme (or question).

    Between rounds, only the questions put to a vote in both rounds of a workshop count, so a
    theme's round 1 is compared like for like with its round 2. Between workshops or years each
    side uses its latest rounds. A change is ``notable`` when the top shares moved by at least
    ``Thresholds.gap`` or the classification flipped between strong and weak; a suppressed side
    gives no change.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings holding both sides.
    between : str
        ``"round"`` (default), ``"workshop_id"`` or ``"year"``.
    before, after : optional
        The two sides: rounds 1 and 2 by default; for years, the two latest years present; for
        workshops, required.
    by : sequence of str
        Keys (themes by default; ``("theme_id", "question_id")`` per question).
    **options
        Passed to `summarise`.

    Returns
    -------
    pandas.DataFrame
        Keys and titles; for ``before_`` and ``after_``: n_respondents, n_rated, median,
        top_share, bottom_share, dont_know_share, classification, suppressed; then
        ``median_change``, ``top_share_change`` (after minus before), ``notable`` and ``why``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcabc"),
    ...     "question_id": "CR-DCS-1", "theme_id": "CR",
    ...     "round": pd.array([1, 1, 1, 2, 2, 2], dtype="Int64"),
    ...     "rating": pd.array([2, 2, 4, 4, 4, 5], dtype="Int64"), "dont_know": False})
    >>> row = change(answers).iloc[0]
    >>> round(float(row["top_share_change"]), 3), bool(row["notable"])
    (0.667, True)
    """
    if between not in _BETWEEN:
        raise AssuredKitError(
            f"cannot compare between {between!r}", field="between", allowed=", ".join(_BETWEEN)
        )
    keys = _check_by(by)
    if between in keys:
        raise AssuredKitError(f"{between!r} is both a key and the comparison", field="by")
    frame = ratings
    if between == "round":
        _require(frame, ["round", "question_id", "workshop_id"])
        before = 1 if before is None else before
        after = 2 if after is None else after
        # Only the questions voted on in both rounds of a workshop, like for like.
        asked = frame[["workshop_id", "question_id", "round"]].drop_duplicates()
        both = (
            asked[asked["round"].isin([before, after])]
            .groupby(["workshop_id", "question_id"], observed=True)["round"]
            .nunique()
        )
        both = both[both == 2].reset_index()[["workshop_id", "question_id"]]
        frame = frame.merge(both, on=["workshop_id", "question_id"], how="inner")
        frame = frame[frame["round"].isin([before, after])]
        options = {**options, "rounds": "all"}
        side_values = frame["round"]
    elif between == "year":
        _require(frame, ["held_on"])
        side_values = pd.to_datetime(frame["held_on"]).dt.year
        years = sorted(int(y) for y in side_values.dropna().unique())
        if before is None or after is None:
            if len(years) < 2:
                raise AssuredKitError(
                    f"need two years to compare, found {years or 'none'}",
                    field="held_on",
                    allowed="ratings from at least two years, or before= and after=",
                )
            before = years[-2] if before is None else before
            after = years[-1] if after is None else after
    else:
        _require(frame, ["workshop_id"])
        if before is None or after is None:
            raise AssuredKitError(
                "say which two workshops to compare",
                field="before/after",
                allowed="before='<workshop_id>', after='<workshop_id>'",
            )
        side_values = frame["workshop_id"]
    if between == "round":
        frame = frame[side_values.isin([before, after]).to_numpy()]
    # Years and workshops: every side is summarised, so what is withheld agrees with the split
    # by year or workshop in any other output; the two sides are then picked out.
    summary = summarise(frame, by=[*keys, between], **options)
    result = _side_by_side(summary, between, (before, after), ("before", "after"), keys)
    if between == "round":
        _withhold_revote_remainder(ratings, result, keys, after, options)
    thresholds = summary.attrs["thresholds"]
    result["median_change"] = result["after_median"] - result["before_median"]
    result["top_share_change"] = result["after_top_share"] - result["before_top_share"]
    flag, why = _divergence(
        result["before_classification"],
        result["after_classification"],
        result["before_top_share"],
        result["after_top_share"],
        thresholds,
        ("before", "after"),
    )
    result["notable"] = flag
    result["why"] = pd.array(why, dtype="str")
    result.attrs.update(summary.attrs, between=between, before=before, after=after)
    return result


def _withhold_revote_remainder(
    ratings: pd.DataFrame, result: pd.DataFrame, keys: list[str], after: Any, options: Any
) -> None:
    """Withhold both sides of a round comparison that would give a few people away.

    The round-``after`` answers are part of the latest answers every other summary shows; the
    latest answers minus them are the answers of people who did not vote again (or of questions
    put once). Where those rest on 1 to ``min_group - 1`` people, both sides are withheld.
    """
    min_group = int(options.get("min_group", 3))
    if min_group <= 1 or not len(result) or "respondent_id" not in ratings.columns:
        return
    slot = ["workshop_id", "respondent_id", "question_id"]
    latest = ratings.groupby(slot, observed=True, sort=False)["round"].transform("max")
    keep = ((ratings["round"] == latest) & (ratings["round"] != after)).to_numpy(
        dtype=bool, na_value=False
    )
    passed = {k: v for k, v in options.items() if k in ("scale", "framework", "where")}
    rest = summarise(ratings[keep], by=keys, min_group=1, **passed)
    few = rest[(rest["n_respondents"] > 0) & (rest["n_respondents"] < min_group)]
    if not len(few):
        return
    if keys:
        hit = (
            result[keys]
            .astype(str)
            .apply(tuple, axis=1)
            .isin(set(few[keys].astype(str).itertuples(index=False, name=None)))
            .to_numpy(dtype=bool)
        )
    else:
        hit = np.ones(len(result), dtype=bool)
    for prefix in ("before", "after"):
        for column in _SIDE_COLUMNS:
            name = f"{prefix}_{column}"
            if column == "suppressed":
                result.loc[hit, name] = True
            elif column == "classification":
                result.loc[hit, name] = "suppressed"
            else:
                result.loc[hit, name] = pd.NA


def weakest_questions(ratings: pd.DataFrame, n: int = 5, **options: Any) -> pd.DataFrame:
    """Return the ``n`` questions with the largest share at the bottom of the scale.

    Ties are broken by the lower median, then the lower top share, then framework order.
    Suppressed questions and questions with no ratings are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("aabb"),
    ...     "question_id": ["WF-LM-1", "WF-LM-2"] * 2, "theme_id": "WF",
    ...     "rating": pd.array([1, 4, 2, 5], dtype="Int64"), "dont_know": False})
    >>> weakest_questions(answers, 1, min_group=2)["question_id"].tolist()
    ['WF-LM-1']
    """
    summary = by_question(ratings, **options)
    return order_by_weakness(rated_groups(summary)).head(n).reset_index(drop=True)


def rated_groups(summary: pd.DataFrame) -> pd.DataFrame:
    """Keep the groups a summary shows with at least one rating (not withheld, not all DK).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"suppressed": [False, True, False],
    ...     "n_rated": pd.array([4, None, 0], dtype="Int64")})
    >>> rated_groups(table).index.tolist()
    [0]
    """
    return summary[~summary["suppressed"].astype(bool) & (summary["n_rated"].fillna(0) > 0)]


def order_by_weakness(summary: pd.DataFrame, *, strongest_first: bool = False) -> pd.DataFrame:
    """Sort summary rows weakest first: the one order of "weakness" (reports, lists, charts).

    The largest share at the bottom of the scale first; ties broken by the lower median, then
    the lower top share, then the rows' own order (framework order). ``strongest_first`` gives
    the mirror: the largest share at the top first, then the higher median, then the lower
    bottom share. Rows with no figures (withheld, or no ratings) go last either way.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"question_id": ["a", "b", "c"],
    ...     "bottom_share": pd.array([0.1, None, 0.5], dtype="Float64"),
    ...     "median": pd.array([4, None, 2], dtype="Float64"),
    ...     "top_share": pd.array([0.7, None, 0.2], dtype="Float64")})
    >>> order_by_weakness(table)["question_id"].tolist()
    ['c', 'a', 'b']
    >>> order_by_weakness(table, strongest_first=True)["question_id"].tolist()
    ['a', 'c', 'b']
    """
    if strongest_first:
        keys, ascending = ["top_share", "median", "bottom_share"], [False, False, True]
    else:
        keys, ascending = ["bottom_share", "median", "top_share"], [False, True, True]
    return summary.sort_values(keys, ascending=ascending, kind="stable", na_position="last")


def biggest_disagreements(ratings: pd.DataFrame, n: int = 5, **options: Any) -> pd.DataFrame:
    """Return the ``n`` questions where the room is most split.

    ``split`` is the smaller of the top and bottom shares (high only when both ends are well
    filled); ties are broken by the wider interquartile range ``iqr`` (q3 - q1). Suppressed
    questions and questions with no ratings are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("aabb"),
    ...     "question_id": ["IN-DCS-1", "IN-DCS-2"] * 2, "theme_id": "IN",
    ...     "rating": pd.array([1, 4, 5, 5], dtype="Int64"), "dont_know": False})
    >>> biggest_disagreements(answers, 1, min_group=2)["question_id"].tolist()
    ['IN-DCS-1']
    """
    summary = by_question(ratings, **options)
    summary["split"] = summary[["top_share", "bottom_share"]].min(axis=1, skipna=False)
    summary["iqr"] = summary["q3"] - summary["q1"]
    ordered = rated_groups(summary).sort_values(
        ["split", "iqr"], ascending=[False, False], kind="stable"
    )
    return ordered.head(n).reset_index(drop=True)
