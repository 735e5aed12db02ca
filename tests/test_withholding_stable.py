"""The disclosure rule withholds exactly the same groups, however fast it is made to run.

`assured_kit.summary` settles one lattice of linked tables per data set (see "The one disclosure
rule" in its docstring). Making that cheap (sharing a settled lattice between the summaries of
one report, building its tables faster) must not change a single withheld cell:

- ``test_withheld_cells_match_the_stored_expectation`` replays a fixed family of small random
  data sets (authorities, roles, years, workshops, themes, questions, rounds, Don't know, labels
  folded across workshops) through a dozen summaries and compares every ``suppressed`` flag
  with ``tests/data/withholding_expected.json``, written from the algorithm as it stood before
  any speed-up (``python tests/test_withholding_stable.py --write`` rewrites it: only ever for
  a deliberate change of the rule, said so in the commit);
- the Hypothesis test checks that summaries made inside `summary.reusing_work`, in any order and
  sharing their settled lattices, withhold exactly what each made alone withholds (the same
  comparison passed on the first 24 seeds of ``random_answers`` when the speed-up was made;
  the file keeps 5 of them, to keep the suite fast);
- the cache tests check a settled lattice is never reused for other answers, another
  ``min_group`` or the answers left after a withdrawal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from assured_kit import summary as sm

EXPECTED = Path(__file__).parent / "data" / "withholding_expected.json"
SEEDS = (0, 1, 3, 5, 6)

#: (name, keys, options) of the summaries compared: every lattice layer the kit builds.
SUMMARIES: list[tuple[str, list[str], dict]] = [
    ("total", [], {}),
    ("themes", ["theme_id"], {}),
    ("questions", ["theme_id", "question_id"], {}),
    ("roles", ["theme_id", "role"], {}),
    ("authorities", ["theme_id", "authority"], {}),
    ("years", ["theme_id", "year"], {}),
    ("authority questions", ["authority", "year", "theme_id", "question_id"], {}),
    ("rounds", ["theme_id", "round"], {}),
    ("workshops", ["workshop_id", "theme_id"], {}),
    ("workshop questions", ["workshop_id", "question_id"], {}),
    ("respondents", ["authority", "respondent_id"], {}),
    ("themes, min_group 2", ["theme_id"], {"min_group": 2}),
    ("questions, min_group 4", ["theme_id", "question_id"], {"min_group": 4}),
    ("all rounds", ["authority", "theme_id"], {"rounds": "all"}),
]

#: The summaries the sharing test makes: two share a lattice, and a question, a round and a
#: respondent among the keys (the workshop layers are compared in the stored expectation).
SHARING = ("themes", "roles", "questions", "rounds", "respondents")

_QUESTIONS = ["LA-DCS-1", "LA-DCS-2", "LA-LM-1", "WF-DCS-1", "WF-DCS-2", "WF-LM-1", "QA-DCS-1"]
_LABELS = ["Ann", "ann ", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", ""]


def random_answers(seed: int) -> pd.DataFrame:
    """A small tidy answers table, the same for one seed on every machine (numpy's PCG64)."""
    rng = np.random.default_rng(seed)
    n_workshops = int(rng.integers(2, 6))
    authorities = ["Derby", "Rutland", "Leicester", "Nottingham"][: int(rng.integers(2, 5))]
    rows = []
    for w in range(n_workshops):
        workshop = f"w{w}"
        held_on = ["2024-03-01", "2025-03-01", "2026-03-01"][int(rng.integers(0, 3))]
        questions = list(rng.choice(_QUESTIONS, size=int(rng.integers(2, 8)), replace=False))
        for r in range(int(rng.integers(3, 12))):
            authority = str(rng.choice(authorities))
            role = str(rng.choice(["DCS", "LM", "Officer", "Officer", "Mixed"]))
            label = str(rng.choice(_LABELS))
            respondent = f"{workshop}-r{r}"
            for q in questions:
                if rng.random() < 0.15:
                    continue  # skipped
                rounds = [1, 2] if rng.random() < 0.2 else [1]
                for round_ in rounds:
                    dont_know = bool(rng.random() < 0.12)
                    rating = None if dont_know else int(rng.integers(1, 6))
                    rows.append(
                        (workshop, respondent, label, role, authority, str(q), rating, dont_know,
                         round_, held_on)
                    )
    frame = pd.DataFrame(
        rows,
        columns=["workshop_id", "respondent_id", "respondent_label", "role", "authority",
                 "question_id", "rating", "dont_know", "round", "held_on"],
    )
    frame["rating"] = pd.array(frame["rating"], dtype="Int64")
    frame["round"] = pd.array(frame["round"], dtype="Int64")
    frame["theme_id"] = frame["question_id"].str[:2]
    return frame


def withheld_flags(frame: pd.DataFrame, names: Sequence[str] | None = None) -> dict[str, str]:
    """Each summary's ``suppressed`` flags, in its row order, as a string of 0 and 1."""
    out = {}
    for name, keys, options in SUMMARIES:
        if names is not None and name not in names:
            continue
        table = sm.summarise(frame, by=keys, **{"min_group": 3, **options})
        out[name] = "".join("1" if s else "0" for s in table["suppressed"].to_numpy(dtype=bool))
    return out


def test_withheld_cells_match_the_stored_expectation() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert sorted(expected) == [str(s) for s in sorted(SEEDS, key=str)]
    withheld_somewhere = 0
    for seed in SEEDS:
        frame = random_answers(seed)
        with sm.reusing_work():  # as a report makes them (each made alone: the next test)
            got = withheld_flags(frame)
        assert got == expected[str(seed)], seed
        withheld_somewhere += sum("1" in flags for flags in got.values())
    # The family exercises the rule: many summaries withhold something, and not everything.
    assert withheld_somewhere > len(SEEDS) * 3
    assert any("0" in flags for flags in expected["0"].values())


# --------------------------------------------------------------------------- shared lattices

_PEOPLE = st.tuples(
    st.sampled_from(["w1", "w2", "w3"]),  # workshop (w1 in 2025, the others in 2026)
    st.sampled_from(["Derby", "Rutland", "Leicester"]),
    st.sampled_from(["DCS", "LM", "Officer", "Mixed"]),
    st.sampled_from(["Ann", "ann ", "Bo", "Cy", ""]),  # label ("" anonymous)
    st.sampled_from(["LA-DCS-1", "LA-DCS-2", "WF-DCS-1", "WF-LM-2"]),
    st.sampled_from([1, 2, 3, 4, 5, None]),  # None: Don't know
    st.sampled_from([1, 1, 2]),  # round
)


def _frame(entries: list[tuple]) -> pd.DataFrame:
    rows = {}
    for i, (w, a, r, label, q, rating, round_) in enumerate(entries):
        rid = f"{a}-{r}-{label}" if label else f"anon{i}"
        rows[(w, rid, q, round_)] = (w, rid, label, r, a, q, rating, round_)
    frame = pd.DataFrame(
        list(rows.values()),
        columns=["workshop_id", "respondent_id", "respondent_label", "role", "authority",
                 "question_id", "rating", "round"],
    )
    frame["rating"] = pd.array(frame["rating"], dtype="Int64")
    frame["round"] = pd.array(frame["round"], dtype="Int64")
    frame["dont_know"] = frame["rating"].isna().to_numpy()
    frame["theme_id"] = frame["question_id"].str[:2]
    frame["held_on"] = np.where(frame["workshop_id"] == "w1", "2025-03-01", "2026-03-01")
    return frame


@given(st.lists(_PEOPLE, min_size=1, max_size=30), st.randoms(use_true_random=False))
@example([("w1", "Derby", "DCS", "Ann", "LA-DCS-1", 4, 1)] * 3, None)
@example(
    [(w, "Derby", "DCS", "Ann", "LA-DCS-1", 4, 1) for w in ("w1", "w2", "w3")]
    + [("w1", "Derby", "Officer", n, q, 3, 1) for n in ("Bo", "Cy", "") for q in ("LA-DCS-1",
                                                                                 "WF-LM-2")]
    + [("w2", "Rutland", "LM", "Ann", "LA-DCS-2", 2, 2), ("w2", "Rutland", "LM", "Ann",
                                                         "LA-DCS-2", None, 1)],
    None,
)
@example(
    [("w1", "Rutland", "Officer", "Ann", "WF-DCS-1", 5, 1)]
    + [("w1", "Rutland", "Officer", n, "WF-DCS-1", None, 1) for n in ("Bo", "Cy")]
    + [("w2", "Leicester", "Officer", n, "WF-DCS-1", 3, 1) for n in ("Ann", "Bo", "Cy")]
    + [("w3", "Leicester", "Mixed", n, "LA-DCS-1", 1, 2) for n in ("Ann", "ann ")],
    None,
)
def test_summaries_sharing_a_lattice_withhold_what_each_alone_does(
    entries: list[tuple], shuffle: object
) -> None:
    frame = _frame(entries)
    alone = withheld_flags(frame, SHARING)
    order = [s for s in SUMMARIES if s[0] in SHARING]
    if shuffle is not None:
        shuffle.shuffle(order)  # type: ignore[attr-defined]
    shared = {}
    with sm.reusing_work():
        for name, keys, options in order:
            table = sm.summarise(frame, by=keys, **{"min_group": 3, **options})
            shared[name] = "".join("1" if s else "0" for s in table["suppressed"].to_numpy(bool))
    assert shared == alone


# --------------------------------------------------------------------------- the cache

def _officers(n_derby: int, n_rutland: int) -> pd.DataFrame:
    """Officers with labels rating one question in Derby and Rutland, in one workshop."""
    entries = [("w2", "Derby", "Officer", f"D{i}", "LA-DCS-1", 4, 1) for i in range(n_derby)]
    entries += [("w2", "Rutland", "Officer", f"R{i}", "LA-DCS-1", 2, 1) for i in range(n_rutland)]
    entries += [("w2", "Rutland", "Officer", f"R{i}", "WF-LM-2", 3, 1) for i in range(n_rutland)]
    frame = _frame(entries)
    frame["respondent_label"] = frame["respondent_id"].str.split("-").str[-1]
    return frame


def _suppressed(table: pd.DataFrame) -> list[bool]:
    return table["suppressed"].astype(bool).tolist()


def test_a_settled_lattice_is_shared_only_by_the_same_answers_and_min_group(
    monkeypatch: object,
) -> None:
    made: list[object] = []

    class Counted(sm._Lattice):
        def __init__(self, *args: object) -> None:
            made.append(args)
            super().__init__(*args)

    monkeypatch.setattr(sm, "_Lattice", Counted)  # type: ignore[attr-defined]
    whole = _officers(3, 3)
    withdrawn = whole[whole["respondent_id"] != whole["respondent_id"].iloc[0]]  # one fewer
    keys = ["theme_id", "authority"]
    alone = {
        "whole": _suppressed(sm.summarise(whole, by=keys)),
        "withdrawn": _suppressed(sm.summarise(withdrawn, by=keys)),
        "min_group 4": _suppressed(sm.summarise(whole, by=keys, min_group=4)),
    }
    # Each case withholds something different: a stale lattice would show.
    assert alone["whole"] != alone["withdrawn"] != alone["min_group 4"] != alone["whole"]
    made.clear()
    with sm.reusing_work():
        assert _suppressed(sm.summarise(whole, by=keys)) == alone["whole"]
        assert _suppressed(sm.by_theme(whole)) == _suppressed(sm.by_theme(whole.copy()))
        assert len(made) == 2  # the whole table's lattice once, then its copy's own
        assert _suppressed(sm.summarise(withdrawn, by=keys)) == alone["withdrawn"]
        assert _suppressed(sm.summarise(whole, by=keys, min_group=4)) == alone["min_group 4"]
        assert _suppressed(sm.summarise(whole, by=keys)) == alone["whole"]
        assert len(made) == 4  # after a withdrawal and for another min_group: made anew
        sm.summarise(whole, by=["theme_id", "question_id"])
        sm.summarise(whole, by=["theme_id", "round"])
        assert len(made) == 6  # a question or a round is another lattice
    with sm.reusing_work():  # a new block keeps nothing from the last
        assert _suppressed(sm.summarise(whole, by=keys)) == alone["whole"]
        assert len(made) == 7


def test_a_settled_lattice_cannot_be_changed_by_a_summary() -> None:
    frame = _officers(2, 4)
    with sm.reusing_work():
        sm.summarise(frame, by=["authority"])
        work = sm._WORK.get()
        assert work is not None
        (lattice,) = [v for k, v in work[id(frame)][1].items() if k[0] == "lattice"]
        assert lattice.withheld
        for flags in lattice.withheld.values():
            assert not flags.flags.writeable


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    EXPECTED.write_text(
        json.dumps({str(s): withheld_flags(random_answers(s)) for s in SEEDS}, indent=0) + "\n",
        encoding="utf-8",
    )
