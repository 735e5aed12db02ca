"""Demo workshops: synthetic, deterministic, and shaped so that charts have something to show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assured_kit.demo import DEMO_TITLE_PREFIX, demo_workshops
from assured_kit.errors import AssuredKitError
from assured_kit.framework import load_framework
from assured_kit.ratings import read_ratings
from assured_kit.store import Workshop
from assured_kit.summary import by_theme
from assured_kit.text import RESPONDENT_ROLES

ANSWER_COLUMNS = ["workshop_title", "respondent_label", "role", "authority", "question_id",
                  "round", "rating", "dont_know", "evidence", "note"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], pd.DataFrame]:
    folder = tmp_path_factory.mktemp("demo")
    paths = demo_workshops(folder, seed=0)
    return paths, read_ratings(folder)


def _answers(table: pd.DataFrame) -> pd.DataFrame:
    keys = ["workshop_title", "respondent_label", "question_id", "round"]
    return table[ANSWER_COLUMNS].sort_values(keys).reset_index(drop=True)


def test_two_years_of_regional_and_local_workshops(demo) -> None:
    paths, table = demo
    assert len(paths) == 8 and all(p.name.endswith(".workshop.sqlite") for p in paths)
    assert [p.name.split("-")[0] for p in paths] == ["2025"] * 4 + ["2026"] * 4
    authorities = set(load_framework().authorities)
    for path in paths:
        with Workshop.open(path) as ws:
            assert ws.title.startswith(DEMO_TITLE_PREFIX)
            assert ws.details["synthetic"] is True
            people = ws.respondents()
            assert 10 <= len(people) <= 40
            assert set(people["role"]) <= set(RESPONDENT_ROLES)
            assert set(people["authority"]) <= authorities
            if "regional" in path.name:
                assert people["authority"].nunique() > 3
            else:
                assert people["authority"].nunique() == 1
                assert people["authority"].iloc[0] in ws.title
            assert len(ws.actions()) >= 3 and len(ws.examples()) >= 2 and len(ws.notes()) >= 1
    assert table["synthetic"].all()
    assert table["workshop_title"].str.startswith(DEMO_TITLE_PREFIX).all()
    assert table["workshop_id"].nunique() == 8
    assert len(table) > 3000


def test_answers_look_like_a_real_room(demo) -> None:
    _, table = demo
    first = table[table["round"] == 1]
    second = table[table["round"] == 2]
    # Round 2 re-rates a few questions per workshop, for people who answered them in round 1.
    per_workshop = second.groupby("workshop_id")["question_id"].nunique()
    assert per_workshop.between(3, 6).all() and len(per_workshop) == 8
    keys = ["workshop_id", "respondent_id", "question_id"]
    assert set(map(tuple, second[keys].to_numpy())) <= set(map(tuple, first[keys].to_numpy()))
    changed = second.merge(first, on=keys, suffixes=("_2", "_1"))
    assert (changed["rating_2"] != changed["rating_1"]).fillna(True).any()
    # Don't know, evidence and notes all occur, but not everywhere.
    assert 0.01 < table["dont_know"].mean() < 0.15
    assert table.loc[table["dont_know"], "rating"].isna().all()
    assert 0.5 < table["evidence"].notna().mean() < 0.95
    assert 0 < table["note"].notna().mean() < 0.15
    # Evidence follows confidence, with some unfounded confidence.
    rated = first.dropna(subset=["rating", "evidence"])
    assert rated["rating"].astype(float).corr(rated["evidence"].astype(float)) > 0.4
    unfounded = rated[(rated["rating"] >= 4) & (rated["evidence"] == 0)]
    assert len(unfounded) > 10
    # Each role answers the questions for its role; mixed tables answer both.
    by_role = first.groupby("role", observed=True)["question_role"].agg(lambda s: set(s))
    assert by_role["DCS"] == {"DCS"} and by_role["LM"] == {"LM"}
    assert by_role["Officer"] == {"DCS"} and by_role["Mixed"] == {"DCS", "LM"}


def test_themes_are_strong_weak_and_contested(demo) -> None:
    _, table = demo
    first_round = table[table["round"] == 1]
    year = first_round["held_on"].dt.year
    classes = {}
    for y in (2025, 2026):
        summary = by_theme(first_round[year == y])
        classes[y] = dict(zip(summary["theme_id"].astype(str),
                              summary["classification"].astype(str), strict=True))
    assert classes[2025]["LA"] == "strong" and classes[2025]["PM"] == "strong"
    assert classes[2025]["CR"] == "contested" and classes[2026]["CR"] == "contested"
    assert classes[2025]["WF"] == "weak" and classes[2025]["IN"] == "weak"
    assert classes[2025]["PR"] == "mixed"
    rated = first_round[first_round["rating"].notna()]
    rating = rated["rating"].astype(float)
    # Year 2 improves on workforce; Lead Members differ from Directors on PM and CR.
    wf = rated["theme_id"] == "WF"
    rated_year = rated["held_on"].dt.year
    assert rating[wf & (rated_year == 2026)].mean() - rating[wf & (rated_year == 2025)].mean() > 0.4
    lm, dcs = rated["role"] == "LM", rated["role"] == "DCS"
    pm, cr = rated["theme_id"] == "PM", rated["theme_id"] == "CR"
    assert rating[pm & lm].mean() - rating[pm & dcs].mean() > 0.25
    assert rating[cr & dcs].mean() - rating[cr & lm].mean() > 0.25


def test_actions_and_examples_have_owners_dates_and_consent(demo) -> None:
    paths, _ = demo
    consents = []
    for path in paths:
        with Workshop.open(path) as ws:
            actions = ws.actions()
            assert actions["owner"].str.len().gt(0).all()
            held = pd.Timestamp(ws.held_on)
            assert (pd.to_datetime(actions["due"]) > held).all()
            assert set(actions["status"]) <= {"open", "in progress", "done", "dropped"}
            consents += ws.examples()["consent_to_share"].tolist()
    assert True in consents and False in consents


def test_same_seed_same_answers_other_seed_other_answers(tmp_path: Path) -> None:
    options = {"years": (2025,), "workshops_per_year": 2}
    one = read_ratings(*demo_workshops(tmp_path / "one", seed=7, **options))
    two = read_ratings(*demo_workshops(tmp_path / "two", seed=7, **options))
    other = read_ratings(*demo_workshops(tmp_path / "other", seed=8, **options))
    pd.testing.assert_frame_equal(_answers(one), _answers(two))
    assert len(other) != len(one) or not _answers(other).equals(_answers(one))


def test_scale_factor_and_workshops_per_year_scale_it_up(tmp_path: Path) -> None:
    small = demo_workshops(tmp_path / "small", seed=3, years=(2026,), workshops_per_year=3)
    big = demo_workshops(tmp_path / "big", seed=3, years=(2026,), workshops_per_year=3,
                         scale_factor=3)
    assert len(small) == len(big) == 3
    for a, b in zip(small, big, strict=True):
        with Workshop.open(a) as ws_a, Workshop.open(b) as ws_b:
            assert len(ws_b.respondents()) == 3 * len(ws_a.respondents())
            assert ws_b.respondents()["label"].is_unique
    many = demo_workshops(tmp_path / "many", seed=3, years=(2026,), workshops_per_year=12,
                          authorities=["Alpha", "Beta"], scale_factor=0.2)
    assert len({p.name for p in many}) == 12
    with Workshop.open(many[-1]) as ws:
        assert ws.details["authorities"] == ["Alpha", "Beta"]
        assert set(ws.respondents()["authority"]) <= {"Alpha", "Beta"}


def test_never_overwrites_and_refuses_bad_arguments(tmp_path: Path) -> None:
    paths = demo_workshops(tmp_path, seed=1, years=(2025,), workshops_per_year=1)
    before = paths[0].read_bytes()
    with pytest.raises(AssuredKitError, match=r"1 demo file\(s\) already exist, e\.g\. "
                                              r"2025-00-regional\.workshop\.sqlite"):
        demo_workshops(tmp_path, seed=2, years=(2025,), workshops_per_year=1)
    assert paths[0].read_bytes() == before
    for kwargs, message in [
        ({"years": ()}, "are not years"),
        ({"years": (25,)}, "are not years"),
        ({"years": (2025, 2025)}, "repeat a year"),
        ({"workshops_per_year": 0}, "not a positive whole number"),
        ({"scale_factor": 0}, "not a positive number"),
        ({"authorities": []}, "authorities are empty"),
        ({"authorities": ["A", "A"]}, "repeat a name"),
    ]:
        with pytest.raises(AssuredKitError, match=message):
            demo_workshops(tmp_path / "bad", **kwargs)
    assert not (tmp_path / "bad").exists()
