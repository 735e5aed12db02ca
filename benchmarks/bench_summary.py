"""Time the kit's theme-by-authority summary against a hand-written pandas groupby.

Builds at least 1,000,000 synthetic tidy answers with numpy (10 authorities, many workshops,
respondent ids reused across workshops as the store does, some questions re-voted in round 2),
then times, in the same run and alternating, `assured_kit.summary.summarise(by=["theme_id",
"authority"])` and a plain pandas groupby computing the same core figures (latest round per
respondent x question, people who gave a rating (one DCS and one Lead Member per authority, anyone
else one per authority, role and label), answers, Don't know, counts per level, median, top
share). The kit also applies the disclosure rule (primary and complementary suppression).
It checks the two agree before printing the ratio. Target: ratio at most 1.5.

Run: ``.venv/bin/python benchmarks/bench_summary.py [--answers N] [--repeats R]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from assured_kit import load_framework
from assured_kit.summary import summarise

KEYS = ["theme_id", "authority"]


def _text(codes: np.ndarray, labels: list[str]) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels)).astype("str")


def synthetic_answers(n_answers: int = 1_000_000, *, seed: int = 0) -> pd.DataFrame:
    """Return a tidy ratings table of at least ``n_answers`` rows, built with numpy."""
    rng = np.random.default_rng(seed)
    fw = load_framework()
    questions = fw.questions
    n_q = len(questions)
    authorities = list(fw.authorities)[:10]
    per_workshop = 27
    revote = 4  # questions re-voted in round 2 in a third of workshops
    n_workshops = -(-n_answers // (per_workshop * n_q))
    # Round 1: every respondent answers every question.
    w = np.repeat(np.arange(n_workshops), per_workshop * n_q)
    r = np.tile(np.repeat(np.arange(per_workshop), n_q), n_workshops)
    q = np.tile(np.arange(n_q), n_workshops * per_workshop)
    rounds = np.ones(len(w), dtype=np.int64)
    # Round 2 for a few questions in a third of the workshops.
    again = np.flatnonzero(rng.random(n_workshops) < 1 / 3)
    w2 = np.repeat(again, per_workshop * revote)
    r2 = np.tile(np.repeat(np.arange(per_workshop), revote), len(again))
    q2 = np.tile(rng.choice(n_q, revote, replace=False), len(again) * per_workshop)
    w, r, q = np.r_[w, w2], np.r_[r, r2], np.r_[q, q2]
    rounds = np.r_[rounds, np.full(len(w2), 2)]
    n = len(w)

    respondent_authority = rng.integers(0, len(authorities), size=(n_workshops, per_workshop))
    respondent_role = rng.choice(4, size=(n_workshops, per_workshop), p=[0.4, 0.3, 0.2, 0.1])
    authority = respondent_authority[w, r]
    theme_codes = questions["theme_id"].cat.codes.to_numpy()[q]
    bias = rng.normal(0, 0.6, size=(len(authorities), len(fw.theme_ids)))
    raw = 3 + bias[authority, theme_codes] + rng.normal(0, 1.1, size=n) + 0.3 * (rounds == 2)
    rating = np.clip(np.rint(raw), 1, 5).astype(np.int64)
    dont_know = rng.random(n) < 0.07
    evidence = rng.integers(0, 4, size=n)
    no_evidence = rng.random(n) < 0.3
    held_on = pd.Timestamp("2025-01-15") + pd.to_timedelta(
        rng.integers(0, 700, size=n_workshops), unit="D"
    )
    workshop_labels = [f"ws-{i:05d}" for i in range(n_workshops)]
    respondent_labels = [f"r{i:02d}" for i in range(per_workshop)]
    roles = ["DCS", "LM", "Officer", "Mixed"]
    frame = pd.DataFrame(
        {
            "workshop_id": _text(w, workshop_labels),
            "workshop_title": _text(w, [f"Workshop {i} (synthetic)" for i in range(n_workshops)]),
            "held_on": pd.Series(held_on.to_numpy()[w]).astype("datetime64[ns]"),
            "synthetic": np.ones(n, dtype=bool),
            "scale": _text(np.zeros(n, dtype=np.int64), ["confidence"]),
            "authority": _text(authority, authorities),
            "respondent_id": _text(r, respondent_labels),
            "respondent_label": _text(r, [f"Table {i}" for i in range(per_workshop)]),
            "role": pd.Categorical.from_codes(respondent_role[w, r], categories=roles),
            "respondent_kind": _text(np.zeros(n, dtype=np.int64), ["person"]),
            "question_id": _text(q, list(questions["question_id"])),
            "question_role": pd.Categorical.from_codes(
                questions["role"].cat.codes.to_numpy()[q], categories=["DCS", "LM"]
            ),
            "theme_id": pd.Categorical.from_codes(theme_codes, dtype=questions["theme_id"].dtype),
            "round": pd.array(rounds, dtype="Int64"),
            "rating": pd.arrays.IntegerArray(rating, dont_know),
            "dont_know": dont_know,
            "evidence": pd.arrays.IntegerArray(evidence, no_evidence),
            "note": _text(np.zeros(n, dtype=np.int64), [""]),
            "proxy": np.zeros(n, dtype=bool),
            "author": _text(np.zeros(n, dtype=np.int64), ["facilitator"]),
            "recorded_at": pd.Timestamp("2025-01-15", tz="UTC"),
        }
    )
    return frame


def baseline(frame: pd.DataFrame) -> pd.DataFrame:
    """The same core figures, as an analyst would write them in plain pandas."""
    if (frame["round"] > 1).any():  # keep each respondent's latest round per question
        latest = frame.groupby(
            ["workshop_id", "respondent_id", "question_id"], observed=True, sort=False
        )["round"].transform("max")
        frame = frame[frame["round"] == latest]
    grouped = frame.groupby(KEYS, observed=True)
    n_answers = grouped.size()
    n_dont_know = grouped["dont_know"].sum()
    rated = frame[~frame["dont_know"] & frame["rating"].notna()]
    # People: an authority's DCS (and its Lead Member) is one person; anyone else is one person
    # per authority, role and label.
    post = rated["role"].isin(["DCS", "LM"])
    label = rated["respondent_label"].str.casefold().where(~post, "")
    person = (
        rated.assign(label=label)
        .groupby(["authority", "role", "label"], observed=True, sort=False)
        .ngroup()
    )
    n_respondents = (
        rated.assign(person=person)
        .drop_duplicates([*KEYS, "person"])
        .groupby(KEYS, observed=True)
        .size()
    )
    counts = rated.groupby([*KEYS, "rating"], observed=True).size().unstack(fill_value=0)
    counts.columns = [f"n_{int(c)}" for c in counts.columns]
    median = rated.groupby(KEYS, observed=True)["rating"].median()
    top_share = (rated["rating"] >= 4).groupby([rated[k] for k in KEYS], observed=True).mean()
    return pd.concat(
        {
            "n_respondents": n_respondents,
            "n_answers": n_answers,
            "n_dont_know": n_dont_know,
            "median": median,
            "top_share": top_share,
        },
        axis=1,
    ).join(counts)


def kit(frame: pd.DataFrame) -> pd.DataFrame:
    """The kit's summary (all figures, classification and suppression included)."""
    return summarise(frame, by=KEYS, min_group=3)


def check_agree(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Fail loudly if the two do not compute the same figures."""
    ours = ours.set_index(KEYS)
    theirs = theirs.reindex(ours.index)
    for column in ["n_respondents", "n_answers", "n_dont_know", "n_1", "n_5"]:
        np.testing.assert_array_equal(
            ours[column].to_numpy(np.int64), theirs[column].to_numpy(np.int64), err_msg=column
        )
    for column in ["median", "top_share"]:
        np.testing.assert_allclose(
            ours[column].to_numpy(np.float64), theirs[column].to_numpy(np.float64), err_msg=column
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = synthetic_answers(args.answers)
    print(
        f"synthetic answers: {len(frame):,} rows, {frame['workshop_id'].nunique():,} workshops, "
        f"{frame['authority'].nunique()} authorities, "
        f"{int((frame['round'] == 2).sum()):,} round-2 answers "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    first_round = frame[frame["round"] == 1].reset_index(drop=True)
    for name, data in (("with round-2 re-votes", frame), ("round 1 only", first_round)):
        check_agree(kit(data), baseline(data))
        kit_times, base_times = [], []
        for _ in range(args.repeats):
            for fn, times in ((kit, kit_times), (baseline, base_times)):
                t0 = time.perf_counter()
                fn(data)
                times.append(time.perf_counter() - t0)
        k, b = statistics.median(kit_times), statistics.median(base_times)
        print(f"{name}, {len(data):,} answers (figures agree):")
        print(f"  kit summarise(by=theme_id, authority): median {k * 1000:.0f} ms")
        print(f"  pandas groupby baseline:                 median {b * 1000:.0f} ms")
        print(f"  ratio kit / baseline: {k / b:.2f} (target at most 1.5)")


if __name__ == "__main__":
    main()
