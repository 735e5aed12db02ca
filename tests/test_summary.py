"""Summaries: figures checked against hand computations on tiny tidy tables."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assured_kit import AssuredKitError, get_scale, load_framework
from assured_kit import summary as sm

FW = load_framework()
CONF = get_scale("confidence")
EVID = get_scale("evidence")
THEME_OF = dict(zip(FW.questions["question_id"], FW.questions["theme_id"].astype(str), strict=True))
QROLE_OF = dict(zip(FW.questions["question_id"], FW.questions["role"].astype(str), strict=True))
DK = "DK"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------------------------
# A tidy table built by hand, with exactly the columns and dtypes of the workshop API.
# --------------------------------------------------------------------------------------------


@dataclass
class A:
    """One answer: the fields a test cares about; the rest get plain defaults."""

    respondent: str
    question: str
    rating: int | str | None  # an int, or DK for "Don't know"
    evidence: int | None = None
    workshop: str = "w1"
    authority: str | None = "Derby"
    role: str = "Officer"  # DCS and LM answers of one authority are one person
    round: int = 1
    held_on: dt.date | None = dt.date(2026, 3, 1)
    extra: dict = field(default_factory=dict)


TIDY = [
    "workshop_id", "workshop_title", "held_on", "synthetic", "scale", "authority",
    "respondent_id", "respondent_label", "role", "respondent_kind", "question_id",
    "question_role", "theme_id", "round", "rating", "dont_know", "evidence", "note", "proxy",
    "author", "recorded_at",
]  # fmt: skip


def tidy(answers: Iterable[A]) -> pd.DataFrame:
    """Build a tidy ratings table (columns, order and dtypes as the workshop API fixes them)."""
    answers = list(answers)
    rows = [
        {
            "workshop_id": a.workshop,
            "workshop_title": f"Workshop {a.workshop}",
            "held_on": pd.Timestamp(a.held_on) if a.held_on else pd.NaT,
            "synthetic": False,
            "scale": "confidence",
            "authority": a.authority,
            "respondent_id": a.respondent,
            "respondent_label": f"Label {a.respondent}",
            "role": a.role,
            "respondent_kind": "person",
            "question_id": a.question,
            "question_role": QROLE_OF[a.question],
            "theme_id": THEME_OF[a.question],
            "round": a.round,
            "rating": None if a.rating in (DK, None) else a.rating,
            "dont_know": a.rating == DK,
            "evidence": a.evidence,
            "note": "",
            "proxy": False,
            "author": "facilitator",
            "recorded_at": pd.Timestamp("2026-03-01 10:00", tz="UTC"),
            **a.extra,
        }
        for a in answers
    ]
    frame = pd.DataFrame(rows, columns=TIDY)
    frame["held_on"] = pd.to_datetime(frame["held_on"]).astype("datetime64[ns]")
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
    for column in ("round", "rating", "evidence"):
        frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
    for column in ("dont_know", "synthetic", "proxy"):
        frame[column] = frame[column].astype(bool)
    frame["theme_id"] = pd.Categorical(frame["theme_id"], categories=FW.theme_ids, ordered=True)
    frame["role"] = pd.Categorical(frame["role"], categories=["DCS", "LM", "Officer", "Mixed"])
    frame["question_role"] = pd.Categorical(frame["question_role"], categories=["DCS", "LM"])
    text_columns = ["workshop_id", "workshop_title", "scale", "authority", "respondent_id"]
    text_columns += ["respondent_label", "respondent_kind", "question_id", "note", "author"]
    for column in text_columns:
        frame[column] = frame[column].astype("str")
    return frame


def reference(answers: list[A], key) -> dict:
    """Hand computation of the core figures per group, in plain Python (latest round wins)."""
    latest: dict = {}
    for a in answers:
        slot = (a.workshop, a.respondent, a.question)
        if slot not in latest or a.round >= latest[slot].round:
            latest[slot] = a
    groups: dict = defaultdict(list)
    for a in latest.values():
        groups[key(a)].append(a)
    out = {}
    for k, items in groups.items():
        rated = [a.rating for a in items if a.rating != DK]
        evidence = [a.evidence for a in items if a.evidence is not None]
        out[k] = {
            # People who gave a rating (labels are "Label <respondent>", role Officer).
            # (or, where nobody gave one, who answered Don't know).
            "n_respondents": len(
                {(a.authority, a.role, a.respondent) for a in items if a.rating != DK}
            )
            or len({(a.authority, a.role, a.respondent) for a in items}),
            "n_answers": len(items),
            "n_rated": len(rated),
            "n_dont_know": len(items) - len(rated),
            "dont_know_share": (len(items) - len(rated)) / len(items),
            **{f"n_{v}": rated.count(v) for v in CONF.values},
            "median": statistics.median(rated) if rated else None,
            "top_share": sum(r in CONF.top_values for r in rated) / len(rated) if rated else None,
            "bottom_share": sum(r in CONF.bottom_values for r in rated) / len(rated)
            if rated
            else None,
            "n_evidence": len(evidence),
            **{
                f"evidence_share_{v}": evidence.count(v) / len(evidence) if evidence else None
                for v in EVID.values
            },
        }
    return out


def room(ratings_by_theme: dict[str, list], *, question_for=None) -> list[A]:
    """Answers for one workshop: respondent i gives the i-th rating listed for each theme."""
    first_question = {t: FW.questions_for(t, "DCS")["question_id"].iloc[0] for t in FW.theme_ids}
    out = []
    for theme, ratings in ratings_by_theme.items():
        for i, rating in enumerate(ratings):
            q = question_for(theme, i) if question_for else first_question[theme]
            out.append(A(f"r{i}", q, rating))
    return out


# --------------------------------------------------------------------------------------------
# The helper itself matches the store's contract.
# --------------------------------------------------------------------------------------------


def test_helper_builds_the_tidy_contract():
    from assured_kit.ratings import TIDY_COLUMNS

    frame = tidy([A("a", "LA-DCS-1", 4, evidence=2), A("b", "LA-LM-1", DK)])
    assert list(frame.columns) == list(TIDY_COLUMNS)
    assert str(frame["rating"].dtype) == "Int64" and frame["rating"].isna().tolist() == [
        False,
        True,
    ]
    assert frame["theme_id"].cat.ordered and list(frame["theme_id"].cat.categories) == FW.theme_ids


# --------------------------------------------------------------------------------------------
# summarise: the figures.
# --------------------------------------------------------------------------------------------

MIXED_ROOM = [
    A("a", "LA-DCS-1", 5, evidence=3),
    A("a", "LA-DCS-2", 4, evidence=1),
    A("b", "LA-DCS-1", 2, evidence=0),
    A("b", "LA-DCS-2", DK),
    A("c", "LA-DCS-1", 3),
    A("c", "LA-DCS-2", 4, evidence=2),
    A("d", "LA-DCS-1", 1, evidence=1),
    A("a", "WF-DCS-1", 1),
    A("b", "WF-DCS-1", 2),
    A("c", "WF-DCS-1", 2, evidence=0),
    A("d", "WF-DCS-1", DK),
]


def _assert_row_matches(row: pd.Series, expected: dict) -> None:
    for column, want in expected.items():
        got = row[column]
        if want is None:
            assert pd.isna(got), column
        elif isinstance(want, float):
            assert got == pytest.approx(want), column
        else:
            assert int(got) == want, column


def test_by_theme_figures_match_hand_computation():
    table = sm.summarise(tidy(MIXED_ROOM), by=["theme_id"])
    expected = reference(MIXED_ROOM, key=lambda a: THEME_OF[a.question])
    assert table["theme_id"].astype(str).tolist() == ["LA", "WF"]
    for _, row in table.iterrows():
        _assert_row_matches(row, expected[str(row["theme_id"])])
    assert table["theme_title"].tolist() == [FW.theme_title("LA"), FW.theme_title("WF")]
    assert not table["suppressed"].any()


def test_quartiles_match_pandas():
    frame = tidy(MIXED_ROOM)
    table = sm.summarise(frame, by=["theme_id"])
    rated = frame[~frame["dont_know"]]
    grouped = rated.groupby("theme_id", observed=True)["rating"]
    for quantile, column in ((0.25, "q1"), (0.5, "median"), (0.75, "q3")):
        np.testing.assert_allclose(
            table[column].to_numpy(float), grouped.quantile(quantile).to_numpy(float)
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["LA-DCS-1", "CR-LM-2", "PM-DCS-3"]),
            st.sampled_from([1, 2, 3, 4, 5, DK]),
            st.integers(0, 5),
            st.sampled_from(["w1", "w2"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_answers_match_hand_computation(entries):
    # The tidy table holds one row per respondent x question x round: the last entry wins.
    unique = {(w, r, q): rating for q, rating, r, w in entries}
    answers = [A(f"r{r}", q, rating, workshop=w) for (w, r, q), rating in unique.items()]
    table = sm.summarise(tidy(answers), by=["theme_id"], min_group=1)
    expected = reference(answers, key=lambda a: THEME_OF[a.question])
    assert set(table["theme_id"].astype(str)) == set(expected)
    for _, row in table.iterrows():
        _assert_row_matches(row, expected[str(row["theme_id"])])


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        # The rules, in order: contested (both ends >= 1/3) wins over strong and weak.
        ([4, 4, 4, 1, 1], "contested"),
        ([5, 1], "contested"),
        ([4, 4, 4, 3, 3], "strong"),  # top share exactly 0.6
        ([4, 4, 3, 3, 3], "mixed"),  # top 0.4, bottom 0
        ([1, 1, 3, 3, 3], "weak"),  # bottom exactly 0.4
        ([1, 3, 3, 3, 3], "mixed"),
        ([5, 5, 5, 1, 3, 3], "mixed"),  # top 1/2, bottom 1/6: neither split nor 0.6
        ([3, 3, 3, DK, DK, DK, DK], "mixed"),  # Don't know moves nothing
    ],
)
def test_classification_follows_the_documented_rules(ratings, expected):
    answers = [A(f"r{i}", "PR-DCS-1", r) for i, r in enumerate(ratings)]
    row = sm.summarise(tidy(answers), min_group=1).iloc[0]
    assert row["classification"] == expected
    rated = [r for r in ratings if r != DK]
    assert row["top_share"] == pytest.approx(sum(r >= 4 for r in rated) / len(rated))
    assert row["bottom_share"] == pytest.approx(sum(r <= 2 for r in rated) / len(rated))


def test_describe_classification_words_the_rules_with_their_numbers():
    text = sm.describe_classification()
    assert "\n" not in text  # one paragraph
    # The rules in the order they apply, each with its figure and the scale's own labels.
    order = ["Suppressed:", "No ratings:", "Contested:", "Strong:", "Weak:", "Mixed:"]
    assert [text.index(word) for word in order] == sorted(text.index(word) for word in order)
    assert "fewer than 3 people" in text
    assert (
        "Contested: at least 33% of those who gave a rating chose 1 Not confident or "
        "2 Slightly confident and at least 33% chose 4 Mostly confident or 5 Fully confident"
    ) in text
    assert "Weak: at least 40% of those who gave a rating chose 1 Not confident or " in text
    # Other thresholds, another scale and no suppression: the words follow.
    other = sm.describe_classification(
        "audit", sm.Thresholds(strong_top=0.75, weak_bottom=0.5, contested_each=0.25), 1
    )
    strong = "Strong: at least 75% of those who gave a rating chose 3 Mostly met or 4 Fully met."
    weak = "Weak: at least 50% of those who gave a rating chose 1 Not met or 2 Partially met"
    assert strong in other and weak in other
    assert "at least 25% chose 3 Mostly met" in other and "fewer than" not in other
    assert "Not confident" not in other
    with pytest.raises(AssuredKitError, match="is not a Thresholds"):
        sm.describe_classification(thresholds={"strong_top": 0.6})
    with pytest.raises(AssuredKitError, match="min_group 0 is not a whole number"):
        sm.describe_classification(min_group=0)


def test_dont_know_is_never_counted_for_or_against():
    with_dk = [A(x, "IN-DCS-1", 5) for x in "abc"] + [A("d", "IN-DCS-1", 1)]
    with_dk += [A(x, "IN-DCS-1", DK) for x in "efghi"]
    row = sm.summarise(tidy(with_dk)).iloc[0]
    assert row["n_rated"] == 4 and row["n_dont_know"] == 5
    assert row["top_share"] == pytest.approx(3 / 4)
    assert row["dont_know_share"] == pytest.approx(5 / 9)
    assert row["classification"] == "strong"


def test_all_dont_know_is_no_ratings_not_weak():
    answers = [A(x, "PM-LM-1", DK) for x in "abcd"] + [A(x, "LA-DCS-1", 4) for x in "abc"]
    table = sm.summarise(tidy(answers))
    pm = table[table["theme_id"] == "PM"].iloc[0]
    assert pm["classification"] == "no ratings"
    assert not pm["suppressed"]
    assert pm["n_dont_know"] == 4 and pm["n_rated"] == 0 and pm["dont_know_share"] == 1.0
    for column in ("median", "q1", "q3", "top_share", "bottom_share"):
        assert pd.isna(pm[column]), column


def test_small_group_is_suppressed_with_keys_kept_and_figures_withheld():
    # Two respondents answer many questions: still only two people.
    answers = [A(r, q, 5) for r in "ab" for q in ("CR-DCS-1", "CR-DCS-2", "CR-LM-1")]
    answers += [A(r, "LA-DCS-1", 4) for r in "abc"]
    table = sm.summarise(tidy(answers), min_group=3)
    cr = table[table["theme_id"] == "CR"].iloc[0]
    assert cr["suppressed"] and cr["classification"] == "suppressed"
    figures = [c for c in table.columns if c.startswith(("n_", "evidence_share"))]
    figures += ["dont_know_share", "median", "q1", "q3", "top_share", "bottom_share"]
    for column in figures:
        assert pd.isna(cr[column]), f"{column} should be <NA>, never 0"
    # LA (three people) would give CR away as the whole minus LA: withheld too.
    la = table[table["theme_id"] == "LA"].iloc[0]
    assert la["suppressed"]
    # With another theme beside them, the smallest (ties by name) is withheld, the other shown.
    more = answers + [A(r, "WF-DCS-1", 3) for r in "def"]
    table = sm.summarise(tidy(more), min_group=3).set_index("theme_id")
    assert table["suppressed"].to_dict() == {"LA": True, "CR": True, "WF": False}
    assert table.loc["WF", "n_respondents"] == 3
    # The same two people are enough when the threshold allows it.
    assert not sm.summarise(tidy(answers), min_group=2)["suppressed"].any()


def test_people_are_counted_across_workshops():
    # The same label (the same person) at three workshops is one person, not three.
    answers = [A("r1", "WF-DCS-1", 4, workshop=w) for w in ("w1", "w2", "w3")]
    row = sm.summarise(tidy(answers)).iloc[0]
    assert row["suppressed"]
    assert sm.summarise(tidy(answers), min_group=1).iloc[0]["n_respondents"] == 1
    # Respondent ids repeat across workshops, as the store issues them: still three rows.
    table = sm.summarise(tidy(answers), by=["respondent_id"], min_group=1)
    assert list(table.columns[:2]) == ["workshop_id", "respondent_id"]
    assert len(table) == 3


def test_latest_round_replaces_the_first_unless_asked():
    answers = [A(r, "CR-DCS-1", 1) for r in "abc"] + [A(r, "CR-DCS-1", 5, round=2) for r in "ab"]
    frame = tidy(answers)
    latest = sm.summarise(frame).iloc[0]
    assert (latest["n_answers"], latest["n_5"], latest["n_1"]) == (3, 2, 1)
    every = sm.summarise(frame, rounds="all").iloc[0]
    assert (every["n_answers"], every["n_5"], every["n_1"]) == (5, 2, 3)
    first = sm.summarise(frame, rounds=1).iloc[0]
    assert (first["n_answers"], first["n_1"]) == (3, 3)
    by_round = sm.summarise(frame, by=["round"], min_group=2)
    assert by_round["round"].tolist() == [1, 2]
    assert by_round["n_answers"].tolist() == [3, 2]


def test_themes_come_in_framework_order_even_from_plain_text():
    answers = [A(r, q, 3) for r in "abc" for q in ("PM-DCS-1", "IN-LM-1", "LA-DCS-1", "WF-LM-1")]
    frame = tidy(answers)
    expected = [t for t in FW.theme_ids if t in {"PM", "IN", "LA", "WF"}]
    assert sm.summarise(frame)["theme_id"].astype(str).tolist() == expected
    frame["theme_id"] = frame["theme_id"].astype("str")
    plain = sm.summarise(frame)
    assert plain["theme_id"].tolist() == expected
    questions = sm.by_question(frame)["question_id"].tolist()
    framework_order = [q for q in FW.questions["question_id"] if q in set(questions)]
    assert questions == framework_order


def test_by_question_carries_the_question_text():
    table = sm.by_question(tidy(MIXED_ROOM), min_group=1)
    for _, row in table.iterrows():
        assert row["question_text"] == FW.question(row["question_id"])["text"]


def test_group_by_year_and_authority():
    answers = [A(r, "LA-DCS-1", 4, held_on=dt.date(2025, 5, 1), authority="Derby") for r in "abc"]
    answers += [A(r, "LA-DCS-1", 2, held_on=dt.date(2026, 5, 1), authority="Rutland", workshop="w2")
                for r in "abc"]  # fmt: skip
    table = sm.summarise(tidy(answers), by=["year", "authority"])
    assert table["year"].tolist() == [2025, 2026]
    assert table["authority"].tolist() == ["Derby", "Rutland"]
    assert table["median"].tolist() == [4.0, 2.0]


def test_empty_input_gives_the_columns_and_no_rows():
    table = sm.summarise(tidy([]))
    assert table.empty
    assert {"theme_id", "n_respondents", "classification", "suppressed", "n_5"} <= set(
        table.columns
    )


def test_summary_keeps_suppression_visible_for_exports(tmp_path):
    answers = [A(r, "LA-DCS-1", 4) for r in "ab"]
    table = sm.summarise(tidy(answers))
    path = tmp_path / "summary.csv"
    table.to_csv(path, index=False)
    back = pd.read_csv(path)
    assert bool(back.loc[0, "suppressed"]) and back.loc[0, "classification"] == "suppressed"
    assert pd.isna(back.loc[0, "top_share"])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda f: sm.summarise(f, by=["theme"]), "by"),
        (lambda f: sm.summarise(f.drop(columns=["respondent_id"])), "respondent_id"),
        (lambda f: sm.summarise(f, min_group=0), "min_group"),
        (lambda f: sm.summarise(f, rounds="first"), "rounds"),
        (lambda f: sm.summarise(f.assign(rating=pd.array([7] * len(f), dtype="Int64"))), "rating"),
        (lambda f: sm.summarise(f.assign(scale=["confidence", "audit"] * (len(f) // 2))), "scale"),
        (lambda f: sm.authority_position(f, "Nowhere"), "authority"),
        (lambda f: sm.change(f, between="workshop_id"), "before/after"),
    ],
)
def test_bad_requests_say_what_and_where(call, field):
    frame = tidy([A(r, "LA-DCS-1", 4) for r in "abcd"])
    with pytest.raises(AssuredKitError) as caught:
        call(frame)
    assert caught.value.field == field
    assert caught.value.allowed


def test_thresholds_are_validated_and_used():
    with pytest.raises(AssuredKitError, match="not a share"):
        sm.Thresholds(weak_bottom=40)
    with pytest.raises(AssuredKitError, match="contested_each"):
        sm.Thresholds(contested_each=0.6)
    answers = [A(f"r{i}", "LA-DCS-1", r) for i, r in enumerate([4, 4, 3, 3, 3])]  # top 0.4
    assert sm.summarise(tidy(answers)).iloc[0]["classification"] == "mixed"
    lenient = sm.Thresholds(strong_top=0.4)
    assert sm.summarise(tidy(answers), thresholds=lenient).iloc[0]["classification"] == "strong"


# --------------------------------------------------------------------------------------------
# The views.
# --------------------------------------------------------------------------------------------


def _two_roles(dcs: dict[str, list], lm: dict[str, list]) -> list[A]:
    out = []
    for role, spec in (("DCS", dcs), ("LM", lm)):
        for theme, ratings in spec.items():
            q = FW.questions_for(theme, role)["question_id"].iloc[0]
            # One DCS and one Lead Member per authority: each answer from another authority.
            out += [
                A(f"{role}{i}", q, r, role=role, authority=f"Authority {i}")
                for i, r in enumerate(ratings)
            ]
    return out


def test_compare_roles_flags_opposites_and_wide_gaps_only():
    answers = _two_roles(
        dcs={"LA": [5, 5, 4, 5], "CR": [4, 4, 4, 4, 3], "WF": [3, 3, 3], "PR": [5, 5]},
        lm={"LA": [1, 2, 2], "CR": [4, 3, 3, 3, 3], "WF": [3, 3, 4], "PR": [1, 1, 1]},
    )
    table = sm.compare_roles(tidy(answers))
    by_theme = table.set_index(table["theme_id"].astype(str))
    # LA: strong vs weak. CR: top 0.8 vs 0.2, 60 points apart. WF: 0 vs 1/3, not apart.
    assert by_theme.loc["LA", "apart"] and "DCS strong, LM weak" in by_theme.loc["LA", "why"]
    assert by_theme.loc["CR", "apart"] and "60 points" in by_theme.loc["CR", "why"]
    assert not by_theme.loc["WF", "apart"]
    # PR: the DCS side rests on two people: suppressed, so nothing to flag.
    assert by_theme.loc["PR", "dcs_suppressed"] and not by_theme.loc["PR", "apart"]
    # WF's three Directors would give PR's two away from the Directors' total: withheld too.
    assert by_theme.loc["WF", "dcs_suppressed"] and not by_theme.loc["LA", "dcs_suppressed"]
    gap = by_theme.loc["CR", "lm_top_share"] - by_theme.loc["CR", "dcs_top_share"]
    assert by_theme.loc["CR", "top_share_gap"] == pytest.approx(gap)


def test_evidence_grid_and_unfounded_confidence():
    answers = [
        A("a", "IN-DCS-1", 5, evidence=0),
        A("b", "IN-DCS-1", 5, evidence=1),
        A("c", "IN-DCS-1", 4, evidence=3),
        A("d", "IN-DCS-1", 2, evidence=1),
        A("e", "IN-DCS-1", 4),  # no evidence given: not in the grid
        A("a", "PR-DCS-1", 4, evidence=2),
        A("b", "PR-DCS-1", 5, evidence=3),
        A("c", "PR-DCS-1", 5, evidence=0),
    ]
    frame = tidy(answers)
    grid = sm.evidence_grid(frame)
    assert len(grid) == len(CONF.values) * len(EVID.values)
    with_evidence = [a for a in answers if a.evidence is not None and a.rating != DK]
    for _, cell in grid.iterrows():
        same = [a for a in with_evidence if a.rating == cell["rating"]]
        hits = [a for a in same if a.evidence == cell["evidence"]]
        assert cell["n"] == len(hits)
        if same:
            assert cell["share_of_rating"] == pytest.approx(len(hits) / len(same))
        assert cell["unfounded"] == (cell["rating"] in (4, 5) and cell["evidence"] in (0, 1))
    per_theme = sm.confidence_vs_evidence(frame).set_index("theme_id")
    for theme in ("IN", "PR"):
        confident = [a for a in with_evidence if THEME_OF[a.question] == theme and a.rating >= 4]
        unfounded = [a for a in confident if a.evidence <= 1]
        assert per_theme.loc[theme, "n_confident"] == len(confident)
        assert per_theme.loc[theme, "unfounded_share"] == pytest.approx(
            len(unfounded) / len(confident)
        )
    assert per_theme.loc["IN", "unfounded_confidence"]  # 2 of 3
    assert not per_theme.loc["PR", "unfounded_confidence"]  # 1 of 3


def test_evidence_grid_suppressed_below_min_group():
    grid = sm.evidence_grid(
        tidy([A("a", "IN-DCS-1", 5, evidence=0), A("b", "IN-DCS-1", 4, evidence=2)])
    )
    assert grid["suppressed"].all() and grid["n"].isna().all()


REGION = {
    "Derby": [5, 5, 4, 5],
    "Leicester": [1, 2, 3],
    "Rutland": [3, 3, 4],
    "Lincolnshire": [2, 4, 4],
    "Leicestershire": [3, 4, 4],
    "Nottingham": [5, 1],
}


def _region(spec=REGION, question="LA-DCS-1") -> list[A]:
    return [
        A(f"{auth[:3]}{i}", question, r, authority=auth)
        for auth, ratings in spec.items()
        for i, r in enumerate(ratings)
    ]


def test_authority_position_against_anonymised_others():
    answers = _region()
    table = sm.authority_position(tidy(answers), "Derby", measure="median")
    row = table.iloc[0]
    others = [
        statistics.median(r)
        for a, r in REGION.items()
        if a not in ("Derby", "Leicester") and len(r) >= 3
    ]  # Nottingham has 2 people: suppressed, left out of the spread; so is Leicester, the
    # smallest other (first by name), which would give Nottingham away from the region's total
    assert row["others_n"] == len(others)
    assert row["others_min"] == min(others) and row["others_max"] == max(others)
    assert row["others_median"] == pytest.approx(float(np.median(others)))
    assert row["others_q1"] == pytest.approx(float(np.quantile(others, 0.25)))
    assert row["value"] == statistics.median(REGION["Derby"])
    assert row["position"] == "above the others' range"
    # No other authority is named anywhere in the result.
    cells = " ".join(str(v) for v in table.to_numpy().ravel())
    for other in REGION:
        if other != "Derby":
            assert other not in cells


def test_authority_position_withholds_a_spread_of_too_few():
    spec = {"Derby": [5, 5, 4], "Leicester": [1, 2, 3], "Rutland": [3, 3, 4]}
    row = sm.authority_position(tidy(_region(spec)), "Derby").iloc[0]
    assert row["others_suppressed"] and row["others_n"] == 2
    assert pd.isna(row["others_min"]) and pd.isna(row["position"])
    assert row["value"] == pytest.approx(1.0)  # Derby's own figure is still shown


def test_change_between_rounds_is_like_for_like():
    answers = [A(r, "CR-DCS-1", x) for r, x in zip("abc", [2, 2, 4], strict=True)]
    answers += [A(r, "CR-DCS-1", x, round=2) for r, x in zip("abc", [4, 4, 5], strict=True)]
    answers += [A(r, "CR-DCS-2", 1) for r in "abc"]  # round 1 only: not in the comparison
    table = sm.change(tidy(answers))
    row = table.iloc[0]
    assert row["before_top_share"] == pytest.approx(1 / 3)
    assert row["after_top_share"] == pytest.approx(1.0)
    assert row["top_share_change"] == pytest.approx(2 / 3)
    assert row["median_change"] == pytest.approx(4 - 2)
    assert row["notable"]


def test_change_between_years_defaults_to_the_two_latest():
    answers = []
    for year, rating in ((2024, 1), (2025, 2), (2026, 5)):
        answers += [A(r, "WF-LM-1", rating, workshop=f"w{year}", held_on=dt.date(year, 6, 1))
                    for r in "abc"]  # fmt: skip
    table = sm.change(tidy(answers), between="year")
    row = table.iloc[0]
    assert (table.attrs["before"], table.attrs["after"]) == (2025, 2026)
    assert (row["before_median"], row["after_median"]) == (2.0, 5.0)
    named = sm.change(tidy(answers), between="workshop_id", before="w2024", after="w2025").iloc[0]
    assert (named["before_median"], named["after_median"]) == (1.0, 2.0)
    assert not named["notable"]


def test_weakest_and_most_divided_questions():
    spec = {
        "LA-DCS-1": [1, 1, 2, 4],  # bottom 0.75
        "LA-DCS-2": [1, 2, 4, 5],  # bottom 0.5, split 0.5
        "LA-DCS-3": [1, 5, 5, 5],  # bottom 0.25, split 0.25
        "LA-DCS-4": [3, 3, 4, 4],  # bottom 0
    }
    answers = [A(f"r{i}", q, r) for q, rs in spec.items() for i, r in enumerate(rs)]
    # Suppressed (two people, and one): never listed; together three, so nothing else is hidden.
    answers += [A("x", "LA-LM-1", 1), A("y", "LA-LM-1", 1), A("z", "LA-LM-2", 1)]
    frame = tidy(answers)
    bottom = {q: sum(r <= 2 for r in rs) / len(rs) for q, rs in spec.items()}
    weakest = sm.weakest_questions(frame, 2)["question_id"].tolist()
    assert weakest == sorted(bottom, key=bottom.get, reverse=True)[:2]
    split = {
        q: min(sum(r >= 4 for r in rs), sum(r <= 2 for r in rs)) / len(rs) for q, rs in spec.items()
    }
    divided = sm.biggest_disagreements(frame, 1)
    assert divided["question_id"].tolist() == [max(split, key=split.get)]
    assert divided["split"].iloc[0] == pytest.approx(max(split.values()))


# --------------------------------------------------------------------------------------------
# With the real store.
# --------------------------------------------------------------------------------------------


def test_summary_of_a_real_workshop_file(tmp_path):
    from assured_kit.ratings import read_ratings
    from assured_kit.store import Workshop

    path = tmp_path / "room.workshop.sqlite"
    with Workshop.create(path, title="Test room", authorities=["Derby", "Rutland"]) as ws:
        given = {"T1": [5, 4], "T2": [4, None], "T3": [2, 4], "T4": [3, 3]}
        for label, ratings in given.items():
            rid = ws.add_respondent(label, role="Officer", authority="Derby")
            for question, rating in zip(("LA-DCS-1", "WF-DCS-1"), ratings, strict=True):
                if rating is None:
                    ws.record(rid, question, dont_know=True)
                else:
                    ws.record(rid, question, rating, evidence=1)
    table = sm.by_theme(read_ratings(path)).set_index("theme_id")
    la = [r[0] for r in given.values()]
    assert table.loc["LA", "n_respondents"] == 4
    assert table.loc["LA", "median"] == statistics.median(la)
    assert table.loc["LA", "top_share"] == pytest.approx(sum(r >= 4 for r in la) / 4)
    assert table.loc["WF", "n_dont_know"] == 1 and table.loc["WF", "n_rated"] == 3
    assert table.loc["WF", "evidence_share_1"] == 1.0


# --------------------------------------------------------------------------------------------
# Work shared between the summaries of one table (a report's dozen) changes no figure.
# --------------------------------------------------------------------------------------------


def _many_summaries(frame: pd.DataFrame) -> list[pd.DataFrame]:
    return [
        sm.by_theme(frame),
        sm.by_question(frame, min_group=2),
        sm.summarise(frame, by=[]),
        sm.summarise(frame, by=["round"], min_group=1),
        sm.summarise(frame, rounds="all"),
        sm.summarise(frame, rounds=1, by=["theme_id", "authority"]),
        sm.summarise(frame, by=["year", "role"], where={"authority": "Derby"}),
        sm.summarise(frame, by=["question_id", "role", "authority"], min_group=2),
        sm.compare_roles(frame, min_group=1),
        sm.confidence_vs_evidence(frame, by=["theme_id"]),
        sm.evidence_grid(frame[frame["theme_id"] == "CR"]),  # a slice: its own table
        sm.summarise(frame.assign(rating=frame["rating"]), by=["theme_id"]),  # a copy too
    ]


def test_reusing_work_gives_exactly_the_figures_made_without_it():
    people = [
        ("a", "Derby", "DCS"),
        ("b", "Derby", "LM"),
        ("c", "Derby", "Officer"),
        ("d", "Rutland", "DCS"),
        ("e", "Rutland", "Officer"),
        ("f", None, "Mixed"),
    ]
    questions = ["LA-DCS-1", "LA-LM-2", "CR-DCS-1", "CR-LM-1", "WF-DCS-1"]
    answers = [
        A(r, q, (i + j) % 5 + 1, evidence=(i * j) % 4, authority=auth, role=role)
        for i, (r, auth, role) in enumerate(people)
        for j, q in enumerate(questions)
    ]
    answers += [A("a", "CR-DCS-1", 1, round=2, role="DCS"), A("c", "LA-DCS-1", DK, round=2)]
    answers += [A("g", "WF-DCS-1", 2, held_on=dt.date(2025, 3, 1), workshop="w0")]
    frame = tidy(answers)
    alone = _many_summaries(frame)
    with sm.reusing_work():
        together = _many_summaries(frame)
        again = _many_summaries(frame)  # second time round: from the shared work
    for a, b, c in zip(alone, together, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, c)


def test_reusing_work_makes_the_same_summary_once_and_hands_out_copies(monkeypatch):
    """A report asks for the summary by question three times (the table, the weakest, the most
    split): inside `reusing_work` it is made once, and each caller may change its own copy."""
    questions = ["LA-DCS-1", "LA-LM-2", "CR-DCS-1"]
    frame = tidy(
        [A(r, q, (i + j) % 5 + 1) for i, r in enumerate("abcdef") for j, q in enumerate(questions)]
    )
    expected = sm.by_question(frame)
    weakest, split = sm.weakest_questions(frame, 2), sm.biggest_disagreements(frame, 2)
    made = []
    real = sm._withhold
    monkeypatch.setattr(sm, "_withhold", lambda *a, **k: made.append(1) or real(*a, **k))
    with sm.reusing_work():
        first = sm.by_question(frame)
        first["top_share"] = 0.0  # the caller's own copy
        first.attrs["scale"] = None
        pd.testing.assert_frame_equal(sm.weakest_questions(frame, 2), weakest)
        pd.testing.assert_frame_equal(sm.biggest_disagreements(frame, 2), split)
        again = sm.by_question(frame)
        other = sm.by_question(frame, min_group=2)  # other options: a table of its own
    assert len(made) == 2
    pd.testing.assert_frame_equal(again, expected)
    assert again.attrs["scale"] is not None
    assert other["n_respondents"].notna().all()
    with sm.reusing_work():  # a ``where`` naming several values is still summarised
        sm.summarise(frame, where={"theme_id": ["LA", "CR"]})
        sm.summarise(frame, where={"theme_id": ["LA", "CR"]})
    assert len(made) == 4


def test_reusing_work_keeps_no_table_alive():
    import gc
    import weakref

    frame = tidy([A(r, "LA-DCS-1", 4) for r in "abcd"])
    with sm.reusing_work():
        part = frame.iloc[1:]
        gone = weakref.ref(part)
        sm.by_theme(part)
        del part
        gc.collect()
        assert gone() is None  # a slice summarised once is freed at once, not at the block's end
        assert sm.by_theme(frame.iloc[1:])["n_rated"].tolist() == [3]


def test_reusing_work_still_refuses_bad_ratings():
    frame = tidy([A(r, "LA-DCS-1", 4) for r in "abc"])
    frame.loc[0, "rating"] = 9
    with sm.reusing_work():
        for _ in range(2):
            with pytest.raises(AssuredKitError, match="not on the"):
                sm.by_theme(frame)
        with pytest.raises(AssuredKitError, match="rounds"):
            sm.summarise(frame.iloc[1:], rounds=[1])


# ------------------------------------------------------------------ chance: Wilson and Newcombe


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        # Statistics in Medicine 17:857-872: the score method's 95 % intervals.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    got = sm.wilson_interval(successes / n, n)
    assert got == pytest.approx((low, high), abs=6e-5)


def test_wilson_interval_on_columns_and_missing_figures():
    low, high = sm.wilson_interval(
        pd.array([0.5, None, 0.25], dtype="Float64"), pd.array([10, 10, 0], dtype="Int64")
    )
    assert low[0] == pytest.approx(0.2366, abs=1e-4) and high[0] == pytest.approx(0.7634, abs=1e-4)
    # A withheld share, or a share of nobody, has no interval (never a made-up one).
    assert np.isnan(low[1]) and np.isnan(high[1]) and np.isnan(low[2]) and np.isnan(high[2])


@pytest.mark.parametrize(
    ("before", "after", "low", "high"),
    [
        # Newcombe (1998), "Interval estimation for the difference between independent
        # proportions", Statistics in Medicine 17:873-890, method 10 (score, no continuity
        # correction): 56/70 against 48/80, 9/10 against 3/10, 5/56 against 0/29.
        ((48, 80), (56, 70), 0.0524, 0.3339),
        ((3, 10), (9, 10), 0.1705, 0.8090),
        ((0, 29), (5, 56), -0.0381, 0.1926),
    ],
)
def test_share_change_interval_matches_newcombe(before, after, low, high):
    got = sm.share_change_interval(before[0] / before[1], before[1], after[0] / after[1], after[1])
    assert got == pytest.approx((low, high), abs=6e-5)


def test_one_order_of_weakness_and_its_mirror():
    frame = pd.DataFrame(
        {
            "workshop_id": "w",
            "respondent_id": list("abcdabcd"),
            "question_id": ["WF-LM-1"] * 4 + ["WF-LM-2"] * 4,
            "theme_id": "WF",
            "rating": pd.array([1, 2, 4, 5, 5, 5, 4, 1], dtype="Int64"),
            "dont_know": False,
        }
    )
    table = sm.by_question(frame, min_group=3)
    assert sm.order_by_weakness(table)["question_id"].tolist() == ["WF-LM-1", "WF-LM-2"]
    strongest = sm.order_by_weakness(table, strongest_first=True)
    assert strongest["question_id"].tolist() == ["WF-LM-2", "WF-LM-1"]
    assert sm.weakest_questions(frame, 1, min_group=3)["question_id"].tolist() == ["WF-LM-1"]
    # Withheld questions have no figures: last, whichever way round.
    withheld = sm.by_question(frame, min_group=5)
    strongest = sm.order_by_weakness(withheld, strongest_first=True)
    assert strongest["question_id"].tolist() == ["WF-LM-1", "WF-LM-2"]
    assert sm.rated_groups(withheld).empty
