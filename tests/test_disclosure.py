"""Adversarial disclosure tests: try to read or work out the answers of fewer than min_group people.

Every attack is played against what an output actually shows (the summary tables, the report's
workbook sheets and HTML page, the CLI's text) and judged against the raw answers, with the
people counted here independently of the kit:

- within one authority every answer given as DCS is one person, likewise the Lead Member;
- anyone else is one person per authority, role and label (case and spacing folded), across
  workshops; a respondent without a label is one person of their workshop.

An attack "recovers" a group when the difference it computes rests on at least one and fewer
than ``MIN`` people. Each test asserts that no attack recovers anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from test_withholding_stable import random_answers

import assured_kit as ak
from assured_kit import summary as sm
from assured_kit.workbook import read_tables

MIN = 3
DATE = re.compile(
    r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|"
    r"December) \d{4}\b|\b\d{4}-\d\d-\d\d\b"
)
LETTER = re.compile(r"\bAuthority [A-Z]{1,2}\b")


# --------------------------------------------------------------------------- ground truth


def people_keys(frame: pd.DataFrame) -> pd.Series:
    """One key per person, by the rule in the module docstring (written apart from the kit)."""
    keys = []
    for row in frame.itertuples(index=False):
        authority = row.authority if isinstance(row.authority, str) else ""
        label = row.respondent_label if isinstance(row.respondent_label, str) else ""
        label = " ".join(label.split()).casefold()
        if row.role in ("DCS", "LM") and authority:
            keys.append(("post", authority, row.role))
        elif label:
            keys.append(("label", authority, row.role, label))
        else:
            keys.append(("anonymous", row.workshop_id, row.respondent_id))
    return pd.Series(keys, index=frame.index, dtype=object)


def answered(ratings: pd.DataFrame) -> pd.DataFrame:
    """Latest round per respondent and question, rated answers only, with person and year."""
    latest = ratings.groupby(["workshop_id", "respondent_id", "question_id"], observed=True)[
        "round"
    ].transform("max")
    frame = ratings[(ratings["round"] == latest) & ~ratings["dont_know"].astype(bool)]
    frame = frame[frame["rating"].notna()].copy()
    frame["person"] = people_keys(frame)
    frame["year"] = pd.to_datetime(frame["held_on"]).dt.year
    frame["authority"] = frame["authority"].astype(object)
    frame["question_id"] = frame["question_id"].astype(object)
    frame["theme_id"] = frame["theme_id"].astype(object)
    frame["role"] = frame["role"].astype(object)
    return frame


def n_people(frame: pd.DataFrame) -> int:
    return int(frame["person"].nunique())


def recovered(
    rows: pd.DataFrame, parent: list[str], child: str, shown_parent: set, shown_child: set
) -> list[tuple]:
    """Margin minus shown cells: the groups so worked out that rest on 1..MIN-1 people.

    ``rows`` are the answers behind the output; ``shown_parent`` the parent keys (tuples) shown,
    ``shown_child`` the (parent..., child) keys shown.
    """
    found = []
    for key, group in rows.groupby(parent, dropna=False) if parent else [((), rows)]:
        key = key if isinstance(key, tuple) else (key,)
        if key not in shown_parent:
            continue
        mask = [(*key, c) not in shown_child for c in group[child]]
        hidden = group.loc[pd.Series(mask, index=group.index, dtype=bool)]
        if 0 < n_people(hidden) < MIN:
            found.append((*key, sorted(set(hidden[child])), n_people(hidden)))
    return found


def shown_keys(table: pd.DataFrame, keys: list[str]) -> set:
    open_ = table[~table["suppressed"].astype(bool)]
    return {tuple(r) for r in open_[keys].astype(object).itertuples(index=False, name=None)}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    ak.demo_workshops(folder, seed=0)
    return folder


@pytest.fixture(scope="module")
def region(demo: Path) -> pd.DataFrame:
    return ak.read_ratings(demo)


@pytest.fixture(scope="module")
def rows(region: pd.DataFrame) -> pd.DataFrame:
    return answered(region)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("key") / "analyst.key"


@pytest.fixture(scope="module")
def derby_xlsx(region: pd.DataFrame, demo: Path, key: Path) -> dict[str, pd.DataFrame]:
    out = demo.parent / "derby.xlsx"
    ak.write_report(out, region, scope="authority", authority="Derby", key=key)
    return read_tables(out)  # machine column names, from the workbook's Data dictionary


@pytest.fixture(scope="module")
def derby_html(region: pd.DataFrame, demo: Path, key: Path) -> str:
    out = demo.parent / "derby.html"
    ak.write_report(out, region, scope="authority", authority="Derby", key=key)
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def region_html(region: pd.DataFrame, demo: Path, key: Path) -> str:
    out = demo.parent / "region.html"
    ak.write_report(out, region, scope="region", key=key)
    return out.read_text(encoding="utf-8")


def sheet_shown(sheet: pd.DataFrame, keys: list[str]) -> set:
    flags = sheet["suppressed"].astype(str).str.lower().isin(["true", "1"])
    return {
        tuple(r) for r in sheet.loc[~flags, keys].astype(object).itertuples(index=False, name=None)
    }


# --------------------------------------------------------------------------- counting people


def _answers(spec: list[tuple], **extra: object) -> pd.DataFrame:
    """Tidy answers from (workshop, respondent, label, role, authority, question, rating)."""
    columns = ["workshop_id", "respondent_id", "respondent_label", "role", "authority"]
    frame = pd.DataFrame([s[:5] for s in spec], columns=columns).assign(
        question_id=[s[5] for s in spec],
        rating=pd.array([s[6] for s in spec], dtype="Int64"),
    )
    frame["dont_know"] = frame["rating"].isna().to_numpy()
    frame["theme_id"] = frame["question_id"].str[:2]
    frame["round"] = pd.array([1] * len(frame), dtype="Int64")
    frame["held_on"] = extra.get("held_on", "2026-03-01")
    return frame


def test_one_dcs_at_three_workshops_is_one_person() -> None:
    spec = [(f"w{i}", "r1", f"Director {i}", "DCS", "Derby", "LA-DCS-1", 4) for i in range(3)]
    table = sm.by_theme(_answers(spec))
    assert bool(table["suppressed"].iloc[0])
    assert sm.by_theme(_answers(spec), min_group=1)["n_respondents"].iloc[0] == 1


def test_two_lead_members_of_one_authority_are_one_post() -> None:
    spec = [
        ("w1", "a", "Cllr Smith", "LM", "Rutland", "LA-LM-1", 5),
        ("w1", "b", "Cllr Jones", "LM", "Rutland", "LA-LM-1", 2),
        ("w2", "a", "Officer", "Officer", "Rutland", "LA-DCS-1", 3),
    ]
    table = sm.summarise(_answers(spec), by=["authority"], min_group=1)
    assert int(table["n_respondents"].iloc[0]) == 2


def test_the_same_label_across_workshops_is_one_person_and_case_is_folded() -> None:
    spec = [
        ("w1", "r1", "Sam Lee", "Officer", "Derby", "LA-DCS-1", 4),
        ("w2", "r9", "  sam  LEE ", "Officer", "Derby", "LA-DCS-1", 5),
        ("w2", "r2", "Kim", "Officer", "Derby", "LA-DCS-1", 2),
    ]
    assert bool(sm.by_theme(_answers(spec))["suppressed"].iloc[0])


def test_anonymous_respondents_in_one_workshop_are_distinct() -> None:
    spec = [("w1", f"r{i}", "", "Officer", "Derby", "LA-DCS-1", 4) for i in range(3)]
    table = sm.by_theme(_answers(spec))
    assert not bool(table["suppressed"].iloc[0])
    assert int(table["n_respondents"].iloc[0]) == 3


def test_one_rater_beside_two_dont_knows_is_withheld() -> None:
    spec = [
        ("w1", "a", "A", "Officer", "Derby", "IN-DCS-1", 5),
        ("w1", "b", "B", "Officer", "Derby", "IN-DCS-1", None),
        ("w1", "c", "C", "Officer", "Derby", "IN-DCS-1", None),
    ]
    frame = _answers(spec).assign(evidence=pd.array([0, None, None], dtype="Int64"))
    assert bool(sm.by_theme(frame)["suppressed"].iloc[0])
    assert bool(sm.confidence_vs_evidence(frame)["suppressed"].iloc[0])
    assert bool(sm.evidence_grid(frame)["suppressed"].all())


# --------------------------------------------------------------------------- margins


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        ([], "theme_id"),
        (["theme_id"], "question_id"),
        (["theme_id"], "authority"),
        (["theme_id"], "role"),
        (["theme_id"], "year"),
        (["authority"], "theme_id"),
        (["authority", "theme_id"], "question_id"),
        (["authority", "theme_id"], "role"),
        (["authority", "theme_id"], "year"),
    ],
)
def test_margin_minus_shown_cells_recovers_no_small_group(
    region: pd.DataFrame, rows: pd.DataFrame, parent: list[str], child: str
) -> None:
    parent_table = sm.summarise(region, by=parent, min_group=MIN)
    child_table = sm.summarise(region, by=[*parent, child], min_group=MIN)
    if not parent:
        shown_parent = {()} if not bool(parent_table["suppressed"].iloc[0]) else set()
    else:
        shown_parent = shown_keys(parent_table, parent)
    shown_child = shown_keys(child_table, [*parent, child])
    assert recovered(rows, parent, child, shown_parent, shown_child) == []


def test_authority_report_sheets_recover_no_small_group(
    derby_xlsx: dict[str, pd.DataFrame], rows: pd.DataFrame
) -> None:
    derby = rows[rows["authority"] == "Derby"]
    themes = sheet_shown(derby_xlsx["Themes"], ["theme_id"])
    questions = sheet_shown(derby_xlsx["Questions"], ["theme_id", "question_id"])
    assert recovered(derby, ["theme_id"], "question_id", themes, questions) == []
    # Evidence sheets withhold like the figures they sit beside.
    evidence = sheet_shown(derby_xlsx["Evidence by question"], ["theme_id", "question_id"])
    assert evidence <= questions
    # The theme row of Leadership/Accountability minus its DCS questions was the Lead Member.
    assert (
        ("LA",) not in themes
        or ("LA", "LA-LM-1") in questions
        or len([q for q in questions if q[0] == "LA"])
        < len(set(derby.loc[derby["theme_id"] == "LA", "question_id"])) - 1
    )


def test_authority_report_role_and_year_splits_recover_nothing(
    derby_xlsx: dict[str, pd.DataFrame], rows: pd.DataFrame
) -> None:
    derby = rows[rows["authority"] == "Derby"]
    themes = sheet_shown(derby_xlsx["Themes"], ["theme_id"])
    roles = derby_xlsx["Roles"]
    shown_roles = set()
    for prefix, role in (("dcs", "DCS"), ("lm", "LM")):
        flags = roles[f"{prefix}_suppressed"].astype(str).str.lower().isin(["true", "1"])
        shown_roles |= {(t, role) for t in roles.loc[~flags, "theme_id"]}
    # Officer and Mixed are not shown apart: only DCS and LM could be subtracted.
    pairs = derby[derby["role"].isin(["DCS", "LM"])]
    for (theme, role), group in pairs.groupby(["theme_id", "role"]):
        if (theme, role) in shown_roles:
            assert n_people(group) >= MIN
    years = derby_xlsx.get("Change years")
    if years is not None:
        shown_years = set()
        for prefix in ("before", "after"):
            flags = years[f"{prefix}_suppressed"].astype(str).str.lower().isin(["true", "1"])
            year = sorted(derby["year"].unique())[0 if prefix == "before" else -1]
            shown_years |= {(t, year) for t in years.loc[~flags, "theme_id"]}
        assert recovered(derby, ["theme_id"], "year", themes, shown_years) == []


def test_region_report_against_each_authority_report(
    region: pd.DataFrame, rows: pd.DataFrame
) -> None:
    """The region's question figures minus one authority's leave the others, never a few."""
    region_q = sm.by_question(region, min_group=MIN)
    shown_region = shown_keys(region_q, ["question_id"])
    by_authority = sm.summarise(region, by=["question_id", "authority"], min_group=MIN)
    for authority in sorted(rows["authority"].dropna().unique()):
        own = sm.by_question(region, min_group=MIN, where={"authority": authority})
        shown_own = shown_keys(own, ["question_id"])
        for question in shown_region & shown_own:
            rest = rows[(rows["question_id"] == question[0]) & (rows["authority"] != authority)]
            others = [
                a
                for a in rest["authority"].unique()
                if (question[0], a) not in shown_keys(by_authority, ["question_id", "authority"])
            ]
            hidden = rest[rest["authority"].isin(others)]
            assert not 0 < n_people(hidden) < MIN, (authority, question, others)


def test_authority_report_matches_the_region_table_for_that_authority(
    region: pd.DataFrame,
) -> None:
    """Reports for one region agree on what is withheld."""
    whole = sm.summarise(region, by=["theme_id", "question_id", "authority"], min_group=MIN)
    for authority in ("Derby", "Leicester", "Rutland"):
        own = sm.by_question(region, min_group=MIN, where={"authority": authority})
        part = whole[whole["authority"] == authority]
        assert shown_keys(own, ["question_id"]) == shown_keys(part, ["question_id"])


def test_summaries_are_the_same_whichever_table_they_sit_in(region: pd.DataFrame) -> None:
    """Theme x authority cells withhold alike in the grid and in a finer table's margins."""
    grid = sm.summarise(region, by=["theme_id", "authority"], min_group=MIN)
    finer = sm.summarise(region, by=["theme_id", "authority", "role"], min_group=MIN)
    assert len(finer)  # built without error, and the grid itself is unchanged by it
    again = sm.summarise(region, by=["theme_id", "authority"], min_group=MIN)
    assert shown_keys(grid, ["theme_id", "authority"]) == shown_keys(
        again, ["theme_id", "authority"]
    )


# --------------------------------------------------------------------------- notes


def _notes(rows: pd.DataFrame, region: pd.DataFrame) -> pd.DataFrame:
    with_note = region[region["note"].astype("string").fillna("").str.strip() != ""].copy()
    with_note["person"] = people_keys(with_note)
    return with_note


def _open_note_texts(region: pd.DataFrame, rows: pd.DataFrame, authority: str | None) -> set[str]:
    """Note texts with at least one source in a (question, role, authority) group of MIN+."""
    notes = _notes(rows, region)
    if authority:
        notes = notes[notes["authority"] == authority]
    ok = set()
    for note in notes.itertuples(index=False):
        group = rows[
            (rows["question_id"] == note.question_id)
            & (rows["role"] == note.role)
            & (rows["authority"] == note.authority)
        ]
        if n_people(group) >= MIN:
            ok.add(str(note.note).strip())
    return ok


def test_notes_from_small_groups_are_not_published(
    region: pd.DataFrame,
    rows: pd.DataFrame,
    derby_xlsx: dict[str, pd.DataFrame],
    derby_html: str,
    region_html: str,
) -> None:
    all_texts = {str(n).strip() for n in _notes(rows, region)["note"]}
    derby_ok = _open_note_texts(region, rows, "Derby")
    region_ok = _open_note_texts(region, rows, None)
    from assured_kit.safety import escape_html

    for text in all_texts - derby_ok:
        assert escape_html(text) not in derby_html, text
    for text in all_texts - region_ok:
        assert escape_html(text) not in region_html, text
    published = {str(n).strip() for n in derby_xlsx["Notes"].get("note", pd.Series(dtype=str))}
    assert not {t.lstrip("'") for t in published} - {t.lstrip("'") for t in derby_ok}
    assert "Could not evidence this at the last inspection." not in derby_html


def test_notes_never_say_who_wrote_them(derby_xlsx: dict[str, pd.DataFrame]) -> None:
    columns = set(derby_xlsx["Notes"].columns)
    assert not columns & {"respondent_label", "respondent_id", "author", "role", "held_on"}


# --------------------------------------------------------------------------- letters


def _elements(html: str) -> list[str]:
    """Text of every list item, table row, caption and image alt text."""
    parts = re.findall(r"<(li|tr|figcaption|p|h\d)\b[^>]*>(.*?)</\1>", html, flags=re.S)
    texts = [re.sub(r"<[^>]+>", " ", body) for _, body in parts]
    texts += re.findall(r"alt='([^']*)'", html) + re.findall(r'alt="([^"]*)"', html)
    return texts


def test_no_anonymised_authority_beside_a_date(region_html: str, derby_html: str) -> None:
    for html in (region_html, derby_html):
        for text in _elements(html):
            assert not (LETTER.search(text) and DATE.search(text)), text


def test_letters_come_from_the_key_and_agree_across_outputs(
    region: pd.DataFrame, demo: Path, key: Path
) -> None:
    from assured_kit.report import AuthorityNames

    a = demo.parent / "a.xlsx"
    b = demo.parent / "b.xlsx"
    ak.write_report(a, region, scope="region", key=key)
    ak.write_report(b, region, scope="region", key=key)
    first = pd.read_excel(a, sheet_name="Authorities")
    second = pd.read_excel(b, sheet_name="Authorities")
    pd.testing.assert_frame_equal(first, second)
    assert key.exists()
    secret = key.read_text(encoding="utf-8").strip()
    readme = pd.read_excel(a, sheet_name="Read me", header=None).astype(str).to_string()
    assert secret not in readme
    names = AuthorityNames(["Derby", "Rutland", "Leicester"], key=key)
    again = AuthorityNames(["Leicester", "Rutland", "Derby"], named=["Derby"], key=key)
    assert names.label("Rutland") == again.label("Rutland")
    assert names.fingerprint in readme
    # Not alphabetical: over the region's ten authorities the letters are a shuffle.
    many = AuthorityNames(list(ak.load_framework().authorities), key=key)
    ordered = sorted(many.mapping, key=lambda a: many.sort_key(many.mapping[a]))
    assert ordered != sorted(many.mapping)


def test_report_says_which_key_without_revealing_it(region_html: str, key: Path) -> None:
    from assured_kit.report import AuthorityNames

    fingerprint = AuthorityNames([], key=key).fingerprint
    assert fingerprint in region_html
    assert key.read_text(encoding="utf-8").strip() not in region_html


# --------------------------------------------------------------------------- small groups


def test_min_group_one_needs_an_acknowledgement(region: pd.DataFrame, tmp_path: Path) -> None:
    from assured_kit.report import summary_text

    with pytest.raises(ak.AssuredKitError, match="allow_small_groups"):
        ak.write_report(tmp_path / "r.html", region, scope="region", min_group=1)
    with pytest.raises(ak.AssuredKitError, match="allow_small_groups"):
        summary_text(region, min_group=1)
    out = ak.write_report(
        tmp_path / "r.html",
        region.head(200),
        scope="region",
        min_group=1,
        allow_small_groups=True,
        key=tmp_path / "k",
    )
    page = out.read_text(encoding="utf-8")
    header = page[: page.index("</header>")] if "</header>" in page else page[:4000]
    assert "small groups" in header.lower()


def test_one_wording_for_suppression() -> None:
    from assured_kit import charts, report

    assert report.suppressed_text is sm.suppressed_text
    assert not hasattr(charts, "_suppressed_text")


def test_cli_summary_refuses_min_group_one_and_says_so_when_allowed(
    demo: Path, capsys: pytest.CaptureFixture[str], key: Path
) -> None:
    from assured_kit.cli import main

    assert main(["summary", str(demo), "--min-group", "1"]) != 0
    assert "allow-small-groups" in capsys.readouterr().err
    assert main(["summary", str(demo), "--min-group", "1", "--allow-small-groups"]) == 0
    assert "small groups" in capsys.readouterr().out.splitlines()[0].lower()


def test_cli_summary_of_one_authority_agrees_with_its_report(
    demo: Path, capsys: pytest.CaptureFixture[str], derby_xlsx: dict[str, pd.DataFrame]
) -> None:
    from assured_kit.cli import main

    assert main(["summary", str(demo), "--authority", "Derby", "--by", "question"]) == 0
    text = capsys.readouterr().out
    questions = derby_xlsx["Questions"]
    for row in questions.itertuples(index=False):
        line = next(li for li in text.splitlines() if li.startswith(str(row.question_id)))
        assert ("suppressed" in line) == (str(row.suppressed).lower() in ("true", "1"))


@pytest.mark.parametrize("authority", [None, "Derby", "Leicester", "Lincolnshire"])
def test_rounds_latest_minus_second_round_recovers_no_small_group(
    region: pd.DataFrame, authority: str | None
) -> None:
    """The latest figures minus the round-2 figures are the people who did not vote again."""
    where = {"authority": authority} if authority else None
    themes = sm.by_theme(region, min_group=MIN, where=where)
    rounds = sm.change(region, between="round", min_group=MIN, where=where)
    shown_themes = shown_keys(themes, ["theme_id"])
    data = region if authority is None else region[region["authority"] == authority]
    slot = ["workshop_id", "respondent_id", "question_id"]
    latest = data.groupby(slot, observed=True)["round"].transform("max")
    rest = data[(data["round"] == latest) & (data["round"] != 2)]
    rest = rest[~rest["dont_know"].astype(bool) & rest["rating"].notna()].copy()
    rest["person"] = people_keys(rest)
    checked = 0
    for row in rounds.itertuples(index=False):
        if bool(row.after_suppressed) or (str(row.theme_id),) not in shown_themes:
            continue
        checked += 1
        assert not 0 < n_people(rest[rest["theme_id"] == row.theme_id]) < MIN, row.theme_id
    assert checked or rounds["after_suppressed"].all()


def test_one_person_who_did_not_vote_again_is_not_given_away() -> None:
    first = [("w1", r, f"P {r}", "Officer", "Derby", "CR-DCS-1", 2) for r in "abcd"]
    second = [("w1", r, f"P {r}", "Officer", "Derby", "CR-DCS-1", 5) for r in "abc"]
    frame = pd.concat(
        [_answers(first), _answers(second).assign(round=pd.array([2] * 3, dtype="Int64"))],
        ignore_index=True,
    )
    theme = sm.by_theme(frame).iloc[0]
    assert not bool(theme["suppressed"])  # four people: shown
    row = sm.change(frame, between="round").iloc[0]
    # Round 2 (a, b, c) taken from the latest figures would leave d's answer alone.
    assert bool(row["after_suppressed"]) and pd.isna(row["after_top_share"])
    assert bool(row["before_suppressed"])


def test_notebook_grid_letters_agree_with_the_region_workbook(
    region: pd.DataFrame, demo: Path, key: Path
) -> None:
    from assured_kit.analysis import SteeringGroup, load_steering_data
    from assured_kit.text import percent

    out = demo.parent / "letters.xlsx"
    ak.write_report(out, region, scope="region", key=key)
    sheet = read_tables(out)["Authorities"]
    la = sheet[sheet["theme_id"] == "LA"]
    expected = {
        str(r.authority): percent(float(r.top_share))
        for r in la.itertuples(index=False)
        if str(r.suppressed).lower() not in ("true", "1")
    }
    ax = SteeringGroup(load_steering_data(demo), key=key).draw("heatmap")
    columns = [t.get_text() for t in ax.get_xticklabels()]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    la_row = next(i for i, label in enumerate(rows) if label.startswith("Leadership"))
    drawn = {
        columns[round(t.get_position()[0])]: t.get_text().split("\n")[0]  # the share, not n
        for t in ax.texts
        if t.get_gid() == "cell" and round(t.get_position()[1]) == la_row
    }
    assert expected and drawn == expected


def test_html_and_workbook_withhold_the_same_questions(
    derby_html: str, derby_xlsx: dict[str, pd.DataFrame]
) -> None:
    rows = re.findall(r"<tr>(.*?)</tr>", derby_html, flags=re.S)
    in_html = {}
    for row in rows:
        found = re.search(r"<td[^>]*>([A-Z]{2}-(?:DCS|LM)-\d+):", row)
        if found and found.group(1) not in in_html:
            in_html[found.group(1)] = sm.suppressed_text(MIN) in row
    questions = derby_xlsx["Questions"]
    in_book = {
        str(r.question_id): str(r.suppressed).lower() in ("true", "1")
        for r in questions.itertuples(index=False)
    }
    assert in_html and in_html == {q: in_book[q] for q in in_html}
    assert any(in_html.values()) and not all(in_html.values())


def test_cli_report_uses_the_key_it_is_given_or_one_beside_the_data(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assured_kit.anonymity import KEY_FILE_NAME, AuthorityNames
    from assured_kit.cli import main

    given = tmp_path / "mine.key"
    assert main(["report", str(demo), "-o", str(tmp_path / "a.xlsx"), "--key", str(given)]) == 0
    readme = pd.read_excel(tmp_path / "a.xlsx", sheet_name="Read me", header=None)
    assert AuthorityNames([], key=given).fingerprint in readme.astype(str).to_string()
    assert main(["report", str(demo), "-o", str(tmp_path / "b.xlsx")]) == 0
    beside = demo / KEY_FILE_NAME
    assert beside.exists()
    readme = pd.read_excel(tmp_path / "b.xlsx", sheet_name="Read me", header=None)
    assert AuthorityNames([], key=beside).fingerprint in readme.astype(str).to_string()
    capsys.readouterr()


def test_notebook_with_one_authority_chosen_withholds_as_its_report(
    demo: Path, derby_xlsx: dict[str, pd.DataFrame]
) -> None:
    from assured_kit.analysis import SteeringGroup, load_steering_data

    group = SteeringGroup(load_steering_data(demo), anonymity_seed=0)
    group.authority_filter.value = ("Derby",)
    table = group.summary_table()
    assert shown_keys(table, ["theme_id"]) == sheet_shown(derby_xlsx["Themes"], ["theme_id"])
    assert table["n_respondents"].dropna().tolist() == [
        int(n) for n in derby_xlsx["Themes"]["n_respondents"] if str(n).isdigit()
    ]


# --------------------------------------------------------------------------- any answers

_PEOPLE = st.tuples(
    st.sampled_from(["w1", "w2", "w3"]),  # workshop
    st.sampled_from(["Derby", "Rutland", "Leicester"]),  # authority
    st.sampled_from(["DCS", "LM", "Officer", "Mixed"]),  # role
    st.sampled_from(["Ann", "ann ", "Bo", "Cy", "Di", ""]),  # label ("" anonymous)
    st.sampled_from(["LA-DCS-1", "LA-DCS-2", "LA-LM-1", "WF-DCS-1", "WF-LM-2"]),
    st.sampled_from([1, 2, 3, 4, 5, None]),  # None: Don't know
)


def _frame(entries: list[tuple]) -> pd.DataFrame:
    rows = {}
    for i, (w, a, r, label, q, rating) in enumerate(entries):
        rid = f"{a}-{r}-{label}" if label else f"anon{i}"
        rows[(w, rid, q)] = (w, rid, label, r, a, q, rating)
    frame = _answers(list(rows.values()))
    frame["held_on"] = (
        frame["workshop_id"].map({"w1": "2025-03-01", "w2": "2026-03-01"}).fillna("2026-09-01")
    )
    return frame


@given(st.lists(_PEOPLE, min_size=1, max_size=60))
@example([("w1", "Derby", r, "Ann", "LA-DCS-1", None) for r in ("DCS", "LM", "Officer")])
@example([("w1", "Derby", "DCS", "Ann", "LA-DCS-1", 4)] * 3)
@example(
    [(w, "Derby", "DCS", "Ann", "LA-DCS-1", 4) for w in ("w1", "w2", "w3")]
    + [("w1", "Derby", "Officer", n, "LA-DCS-1", 3) for n in ("Bo", "Cy", "Di")]
    + [("w1", "Derby", "LM", "Ann", "LA-LM-1", 2)]
)
@example(
    [("w1", "Rutland", "Officer", "Ann", "WF-DCS-1", 5)]
    + [("w1", "Rutland", "Officer", n, "WF-DCS-1", None) for n in ("Bo", "Cy")]
    + [("w2", "Leicester", "Officer", n, "WF-DCS-1", 3) for n in ("Ann", "Bo", "Cy")]
)
def test_no_margin_of_any_answers_gives_a_small_group_away(entries: list[tuple]) -> None:
    frame = _frame(entries)
    rows = answered(frame)
    for parent, child in (
        ([], "authority"),
        (["theme_id"], "question_id"),
        (["theme_id"], "role"),
        (["authority"], "year"),
        (["authority", "theme_id"], "question_id"),
        (["authority", "theme_id"], "role"),
    ):
        parent_table = sm.summarise(frame, by=parent, min_group=MIN)
        child_table = sm.summarise(frame, by=[*parent, child], min_group=MIN)
        if parent:
            shown_parent = shown_keys(parent_table, parent)
        else:
            shown_parent = set() if bool(parent_table["suppressed"].iloc[0]) else {()}
        shown_child = shown_keys(child_table, [*parent, child])
        assert recovered(rows, parent, child, shown_parent, shown_child) == [], (parent, child)
    # One authority's own figures are the whole table's rows for it.
    whole = sm.summarise(frame, by=["theme_id", "authority"], min_group=MIN)
    own = sm.by_theme(frame, min_group=MIN, where={"authority": "Derby"})
    assert shown_keys(own, ["theme_id"]) == {
        (t,) for t, a in shown_keys(whole, ["theme_id", "authority"]) if a == "Derby"
    }


def test_an_authority_missing_from_one_year_is_not_the_difference_of_two_tables() -> None:
    spec = [("w25", f"d{i}", f"D {i}", "Officer", "Derby", "PR-DCS-1", 4) for i in range(3)]
    spec += [("w26", f"d{i}", f"D {i}", "Officer", "Derby", "PR-DCS-1", 3) for i in range(3)]
    spec += [("w26", f"r{i}", f"R {i}", "Officer", "Rutland", "PR-DCS-1", 1) for i in range(2)]
    spec += [("w26", f"l{i}", f"L {i}", "Officer", "Leicester", "PR-DCS-1", 5) for i in range(3)]
    frame = _answers(spec)
    frame["held_on"] = frame["workshop_id"].map({"w25": "2025-05-01", "w26": "2026-05-01"})
    rows = answered(frame)
    region_years = sm.summarise(frame, by=["year"], min_group=MIN)
    by_authority = sm.summarise(frame, by=["year", "authority"], min_group=MIN)
    found = recovered(
        rows,
        ["year"],
        "authority",
        shown_keys(region_years, ["year"]),
        shown_keys(by_authority, ["year", "authority"]),
    )
    assert found == []
    # Region 2026 minus Derby's 2026 (its year change) minus Leicester (2026 only) is Rutland.
    derby = sm.change(frame, between="year", min_group=MIN, where={"authority": "Derby"})
    leicester = sm.by_theme(frame, min_group=MIN, where={"authority": "Leicester"})
    shown = [
        not bool(derby["after_suppressed"].iloc[0]),
        not bool(leicester["suppressed"].iloc[0]),
        not bool(region_years.set_index("year").loc[2026, "suppressed"]),
    ]
    assert not all(shown)


# --------------------------------------------------------------------------- filtered outputs


def _cli_rows(main: object, capsys: pytest.CaptureFixture[str], args: list[str]) -> dict:
    """Run ``assured-kit summary ARGS`` and return {theme title: shown?} from its text."""
    assert main(["summary", *args]) == 0  # type: ignore[operator]
    titles = {str(t) for t in ak.load_framework().themes["title"]}
    out = {}
    for line in capsys.readouterr().out.splitlines():
        for title in titles:
            if line.startswith(title):
                out[title] = "suppressed" not in line
    return out


@pytest.mark.parametrize(
    ("authority", "flags", "kept"),
    [
        # Lincolnshire: 20 people in 2025, one in 2026; West Northamptonshire likewise.
        ("Lincolnshire", ["--year", "2025"], lambda r: r["year"] == 2025),
        ("West Northamptonshire", ["--year", "2025"], lambda r: r["year"] == 2025),
        ("Derbyshire", ["--year", "2026"], lambda r: r["year"] == 2026),
        ("Leicester", ["--role", "Officer", "--role", "Mixed"], lambda r: r["role"] != "DCS"),
    ],
)
def test_cli_filtered_summary_against_the_full_one_recovers_nothing(
    demo: Path,
    rows: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
    authority: str,
    flags: list[str],
    kept: object,
) -> None:
    """The whole authority's theme minus the filtered one leaves the answers filtered out.

    Failed before filters were slices of the whole data: Lincolnshire's and West
    Northamptonshire's one 2026 person, Derbyshire's two 2025 people, Leicester's DCS.
    """
    from assured_kit.cli import main

    full = _cli_rows(main, capsys, [str(demo), "--authority", authority])
    part = _cli_rows(main, capsys, [str(demo), "--authority", authority, *flags])
    fw = ak.load_framework()
    titles = dict(zip(fw.themes["title"], fw.theme_ids, strict=True))
    own = rows[rows["authority"] == authority]
    own = own[~own.apply(kept, axis=1).astype(bool)]  # the answers the filter leaves out
    for title, shown in full.items():
        if shown and part.get(title):
            left_out = own[own["theme_id"] == titles[title]]
            assert not 0 < n_people(left_out) < MIN, (authority, title, n_people(left_out))


def test_filtered_report_against_the_full_report_recovers_nothing(
    demo: Path, rows: pd.DataFrame, tmp_path: Path, key: Path
) -> None:
    """``report --year`` used to summarise the year's answers alone. Failed before the fix:
    Lincolnshire's 2025 question figures, subtracted from its report's, gave away the one
    person who answered in 2026."""
    from assured_kit.cli import main

    books = {}
    for name, flags in (("all", []), ("2025", ["--year", "2025"])):
        out = tmp_path / f"{name}.xlsx"
        args = ["report", str(demo), "-o", str(out), "--authority", "Lincolnshire"]
        assert main([*args, "--key", str(key), *flags]) == 0
        books[name] = read_tables(out)
    lincs = rows[(rows["authority"] == "Lincolnshire") & (rows["year"] != 2025)]
    for sheet, keys in (("Themes", ["theme_id"]), ("Questions", ["theme_id", "question_id"])):
        assert sheet_shown(books["all"][sheet], keys)  # the full report shows figures
        both = sheet_shown(books["all"][sheet], keys) & sheet_shown(books["2025"][sheet], keys)
        for cell in both:
            left_out = lincs[(lincs[keys].astype(object) == list(cell)).all(axis=1)]
            assert not 0 < n_people(left_out) < MIN, (sheet, cell)


def test_notebook_with_several_values_picked_recovers_nothing(
    demo: Path, rows: pd.DataFrame
) -> None:
    """Leicester and Rutland in 2025 minus Leicester alone was Rutland's one person (failed
    before several values were a slice of the whole data)."""
    from assured_kit.analysis import SteeringGroup, load_steering_data

    group = SteeringGroup(load_steering_data(demo), anonymity_seed=0)
    group.year_filter.value = (2025,)
    group.authority_filter.value = ("Leicester", "Rutland")
    pair = shown_keys(group.summary_table(), ["theme_id"])
    group.authority_filter.value = ("Leicester",)
    alone = shown_keys(group.summary_table(), ["theme_id"])
    rutland = rows[(rows["authority"] == "Rutland") & (rows["year"] == 2025)]
    assert 0 < n_people(rutland) < MIN
    for (theme,) in pair & alone:
        assert not 0 < n_people(rutland[rutland["theme_id"] == theme]) < MIN, theme
    # The change between years, drawn for the pair, withholds as the years table does.
    group.authority_filter.value = ("Leicester", "Rutland")
    group.year_filter.value = ()
    data, where = group.sliced()
    assert len(data) == len(group.data.ratings)  # the whole data, sliced with where
    table = sm.change(data, between="year", min_group=MIN, where=where)
    assert table["after_suppressed"].all() and table["before_suppressed"].all()


def test_sets_of_values_are_shown_only_where_every_part_is() -> None:
    spec = [("w1", f"l{i}", f"L {i}", "Officer", "Leicester", "PR-DCS-1", 4) for i in range(4)]
    spec += [("w1", "r1", "R 1", "Officer", "Rutland", "PR-DCS-1", 1)]
    spec += [("w1", f"d{i}", f"D {i}", "Officer", "Derby", "PR-DCS-1", 2) for i in range(3)]
    frame = _answers(spec)
    pair = sm.by_theme(frame, where={"authority": ["Leicester", "Rutland"]})
    alone = sm.by_theme(frame, where={"authority": "Leicester"})
    assert not bool(alone["suppressed"].iloc[0])
    assert bool(pair["suppressed"].iloc[0]) and pd.isna(pair["n_rated"].iloc[0])
    both = sm.by_theme(frame, where={"authority": ("Leicester",)})
    pd.testing.assert_frame_equal(both, alone, check_like=True, check_dtype=False)


# --------------------------------------------------------------------------- don't know


def said_dont_know(ratings: pd.DataFrame) -> pd.DataFrame:
    """Latest round per respondent and question, Don't know answers only, with person."""
    latest = ratings.groupby(["workshop_id", "respondent_id", "question_id"], observed=True)[
        "round"
    ].transform("max")
    frame = ratings[(ratings["round"] == latest) & ratings["dont_know"].astype(bool)].copy()
    frame["person"] = people_keys(frame)
    frame["year"] = pd.to_datetime(frame["held_on"]).dt.year
    for column in ("authority", "question_id", "theme_id", "role"):
        frame[column] = frame[column].astype(object)
    return frame


def test_dont_know_of_one_person_is_not_summed_out_of_a_theme() -> None:
    """Failed on main: the theme's Don't know count minus its shown question's was the one
    person who said Don't know to the withheld question."""
    spec = [("w1", r, f"P {r}", "Officer", "Derby", "LA-DCS-1", 4) for r in "abc"]
    spec += [("w1", "d", "P d", "Officer", "Derby", "LA-DCS-2", None)]
    frame = _answers(spec)
    assert not bool(sm.by_theme(frame)["suppressed"].iloc[0])
    questions = sm.by_question(frame)
    hidden = frame[frame["question_id"].isin(questions.loc[questions["suppressed"], "question_id"])]
    raters = hidden.loc[hidden["rating"].notna(), "respondent_id"].nunique()
    dont_know = hidden.loc[hidden["dont_know"], "respondent_id"].nunique()
    assert not 0 < (raters or dont_know) < MIN


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        (["theme_id"], "question_id"),
        (["authority", "theme_id"], "question_id"),
        (["authority", "theme_id"], "role"),
        (["authority", "theme_id"], "year"),
        (["theme_id"], "authority"),
    ],
)
def test_dont_know_counts_of_withheld_groups_are_not_recoverable(
    region: pd.DataFrame, rows: pd.DataFrame, parent: list[str], child: str
) -> None:
    """A margin's Don't know count minus its shown cells' rests on 0 or MIN+ people who
    answered (rated or Don't know)."""
    parent_table = sm.summarise(region, by=parent, min_group=MIN)
    child_table = sm.summarise(region, by=[*parent, child], min_group=MIN)
    both = pd.concat([rows, said_dont_know(region)], ignore_index=True)
    found = recovered(
        both,
        parent,
        child,
        shown_keys(parent_table, parent),
        shown_keys(child_table, [*parent, child]),
    )
    assert found == []


# --------------------------------------------------------------------------- rounds and workshops


def _round_rows(ratings: pd.DataFrame, side: int) -> pd.DataFrame:
    """The answers behind one side of `change(between="round")`: round ``side`` of the
    questions put to a vote in both rounds of a workshop, rated, with person."""
    asked = ratings[["workshop_id", "question_id", "round"]].drop_duplicates()
    both = asked[asked["round"].isin([1, 2])].groupby(
        ["workshop_id", "question_id"], observed=True
    )["round"].nunique()
    both = both[both == 2].reset_index()[["workshop_id", "question_id"]]
    frame = ratings.merge(both, on=["workshop_id", "question_id"], how="inner")
    frame = frame[(frame["round"] == side) & ~frame["dont_know"].astype(bool)]
    frame = frame[frame["rating"].notna()].copy()
    frame["person"] = people_keys(frame)
    for column in ("authority", "theme_id"):
        frame[column] = frame[column].astype(object)
    return frame


def test_region_rounds_minus_every_authority_rounds_recovers_nothing(
    region: pd.DataFrame,
) -> None:
    """The region's round figures minus the authorities' own (each from its report) leave
    the authorities whose round figures are withheld: never a few people."""
    whole = sm.change(region, between="round", min_group=MIN)
    own = {
        authority: sm.change(region, between="round", min_group=MIN, where={"authority": authority})
        for authority in sorted(region["authority"].dropna().astype(str).unique())
    }
    for side, prefix in ((1, "before"), (2, "after")):
        answers = _round_rows(region, side)
        shown_by = {
            (t, authority)
            for authority, table in own.items()
            for t in table.loc[~table[f"{prefix}_suppressed"], "theme_id"]
        }
        for theme in whole.loc[~whole[f"{prefix}_suppressed"], "theme_id"]:
            rest = answers[answers["theme_id"] == theme]
            rest = rest[[(theme, a) not in shown_by for a in rest["authority"]]]
            assert not 0 < n_people(rest) < MIN, (side, theme, sorted(set(rest["authority"])))


def test_workshop_reports_against_authority_reports_recover_nothing(
    region: pd.DataFrame, rows: pd.DataFrame
) -> None:
    """A workshop's figures and an authority's, where one holds all the other's answers to a
    theme, differ by the rest of the bigger one: never a few people."""
    by_workshop = sm.summarise(region, by=["theme_id", "workshop_id"], min_group=MIN)
    by_authority = sm.summarise(region, by=["theme_id", "authority"], min_group=MIN)
    shown_w = shown_keys(by_workshop, ["theme_id", "workshop_id"])
    shown_a = shown_keys(by_authority, ["theme_id", "authority"])
    for (theme, workshop) in shown_w:
        in_w = rows[(rows["theme_id"] == theme) & (rows["workshop_id"] == workshop)]
        for authority in set(in_w["authority"].dropna()):
            if (theme, authority) not in shown_a:
                continue
            in_a = rows[(rows["theme_id"] == theme) & (rows["authority"] == authority)]
            if set(in_a.index) <= set(in_w.index):  # all the authority's answers at W
                rest = in_w.drop(index=in_a.index)
            elif set(in_w.index) <= set(in_a.index):
                rest = in_a.drop(index=in_w.index)
            else:
                continue
            assert not 0 < n_people(rest) < MIN, (theme, workshop, authority)


def test_region_round_two_minus_an_authority_round_two_is_not_one_person() -> None:
    """Failed on main: round was split off each authority's cell on its own, so the region's
    round 2 minus authority A's round 2 was B's one person who voted only in round 2."""
    first = [("w1", f"a{i}", f"A {i}", "Officer", "A", "PR-DCS-1", 4) for i in range(5)]
    first += [("w1", f"c{i}", f"C {i}", "Officer", "C", "PR-DCS-1", 2) for i in range(3)]
    second = [("w1", f"a{i}", f"A {i}", "Officer", "A", "PR-DCS-1", 5) for i in range(5)]
    second += [("w1", "b0", "B 0", "Officer", "B", "PR-DCS-1", 1)]
    frame = pd.concat(
        [_answers(first), _answers(second).assign(round=pd.array([2] * 6, dtype="Int64"))],
        ignore_index=True,
    )
    region = sm.change(frame, between="round").iloc[0]
    own = sm.change(frame, between="round", where={"authority": "A"}).iloc[0]
    if not bool(region["after_suppressed"]) and not bool(own["after_suppressed"]):
        assert int(region["after_n_rated"]) - int(own["after_n_rated"]) == 0  # nothing left


# --------------------------------------------------------------------------- many tables at once

#: The finest cells every published figure is a sum of (a question names its theme).
ATOM_KEYS = ["authority", "theme_id", "question_id", "role", "year"]
#: The tables the reports publish: the region's, each authority's (keys with authority), and
#: the slices by year (the command line's --year) and role.
PUBLISHED = [
    [],
    ["theme_id"],
    ["theme_id", "question_id"],
    ["theme_id", "role"],
    ["theme_id", "year"],
    ["theme_id", "authority"],
    ["theme_id", "question_id", "authority"],
    ["theme_id", "role", "authority"],
    ["theme_id", "year", "authority"],
    ["theme_id", "question_id", "year"],
    ["theme_id", "question_id", "authority", "year"],
    ["theme_id", "role", "year"],
]


def determined_small_groups(
    frame: pd.DataFrame,
    tables: list[list[str]],
    *,
    min_group: int = MIN,
    atom_keys: list[str] = ATOM_KEYS,
) -> list[tuple]:
    """Solve the linear system of every published count for every withheld group.

    Each figure shown (a count of answers at a level, summed over its cells) is a linear
    equation over the finest cells (`ATOM_KEYS`). A group is worked out when its indicator
    vector lies in the row space of the shown cells' vectors (least squares leaves no
    residual): then some combination of published totals gives its counts exactly, whatever
    the values. Returns the groups so worked out (withheld cells of any table, and single
    finest cells) that rest on 1 to MIN - 1 people. The tables are made with ``min_group``;
    ``atom_keys`` name the finest cells (add ``workshop_id`` where a table has workshops).
    """
    rows = answered(frame)
    atoms = rows[atom_keys].astype(object).drop_duplicates().reset_index(drop=True)
    shown, candidates = [], []
    for keys in tables:
        table = sm.summarise(frame, by=keys, min_group=min_group).astype(object)
        cells = [()] * len(atoms) if not keys else list(atoms[keys].itertuples(index=False))
        members: dict[tuple, list[int]] = {}
        for i, cell in enumerate(cells):
            members.setdefault(tuple(cell), []).append(i)
        people = rows.groupby(keys, observed=True)["person"].nunique() if keys else None
        for row in table.itertuples(index=False):
            value = tuple(getattr(row, k) for k in keys)
            if value not in members:
                continue  # a group with no ratings: nothing to sum
            v = np.zeros(len(atoms))
            v[members[value]] = 1.0
            if bool(row.suppressed):
                n = int(people.get(value if len(keys) > 1 else value[0], 0)) if keys else 0
                candidates.append((tuple(keys), value, n, v))
            else:
                shown.append(v)
    per_atom = rows.groupby(atom_keys, observed=True)["person"].nunique()
    for i, atom in enumerate(atoms.itertuples(index=False, name=None)):
        v = np.zeros(len(atoms))
        v[i] = 1.0
        candidates.append((tuple(atom_keys), atom, int(per_atom.get(atom, 0)), v))
    small = [c for c in candidates if 0 < c[2] < MIN]
    if not shown or not small:
        return []
    published = np.array(shown)
    # The row space from the Gram matrix (atoms x atoms): small, whatever the number of cells.
    values, vectors = np.linalg.eigh(published.T @ published)
    basis = vectors[:, values > 1e-8 * values.max()].T
    wanted = np.array([c[3] for c in small])
    residual = wanted - (wanted @ basis.T) @ basis
    worked_out = np.abs(residual).max(axis=1) < 1e-6
    return [c[:3] for c, hit in zip(small, worked_out, strict=True) if hit]


def test_no_small_group_solves_out_of_every_table_the_reports_publish(
    region: pd.DataFrame,
) -> None:
    """The demo region: the region's tables, every authority's, and the year and role slices."""
    assert determined_small_groups(region, PUBLISHED) == []


def test_the_solver_finds_a_group_given_away_by_subtraction() -> None:
    """The check itself: with min_group 1 nothing is withheld, so with every total shown each
    finest cell of a one-person group is worked out."""
    spec = [("w1", "a", "A", "Officer", "Derby", "LA-DCS-1", 4)]
    spec += [("w1", f"b{i}", f"B {i}", "Officer", "Rutland", "LA-DCS-1", 3) for i in range(3)]
    tables = [["theme_id"], ["theme_id", "authority"]]
    found = determined_small_groups(_answers(spec), tables, min_group=1)
    assert (tuple(ATOM_KEYS), ("Derby", "LA", "LA-DCS-1", "Officer", 2026), 1) in found


def test_an_authority_in_one_role_is_not_a_key_to_the_role_total() -> None:
    spec = [("w1", f"a{i}", f"A {i}", "Officer", "Derby", "LA-DCS-1", 4) for i in range(5)]
    spec += [("w1", "b0", "B 0", "Officer", "Rutland", "LA-DCS-1", 1)]
    spec += [("w1", f"m{i}", f"M {i}", "Mixed", "Rutland", "LA-DCS-1", 3) for i in range(4)]
    frame = _answers(spec)
    tables = [["theme_id"], ["theme_id", "authority"], ["theme_id", "role"]]
    assert determined_small_groups(frame, tables) == []


def test_a_year_report_shows_no_note_from_a_group_withheld_that_year(tmp_path: Path) -> None:
    """Slicing the whole data by year must not show a note whose group, that year, is one
    person (shown whole across the years)."""
    spec = [("w25", f"o{i}", f"O {i}", "Officer", "Derby", "LA-DCS-1", 4) for i in range(3)]
    spec += [("w26", "o0", "O 0", "Officer", "Derby", "LA-DCS-1", 2)]
    spec += [("w26", f"l{i}", f"L {i}", "Officer", "Leicester", "LA-DCS-1", 5) for i in range(3)]
    frame = _answers(spec)
    frame["held_on"] = frame["workshop_id"].map({"w25": "2025-05-01", "w26": "2026-05-01"})
    frame["note"] = ["", "", "", "Only I said this in 2026.", "", "", ""]
    frame["workshop_title"] = frame["workshop_id"]
    frame["synthetic"] = False
    out = tmp_path / "year.xlsx"
    ak.write_report(out, frame, scope="region", where={"year": 2026}, key=tmp_path / "k")
    notes = read_tables(out)["Notes"]
    assert "Only I said this in 2026." not in set(notes.get("note", pd.Series(dtype=str)))


def test_the_total_minus_a_question_of_a_withheld_theme_is_not_the_other_theme() -> None:
    """Failed on main: with both themes withheld (one has two people), one question of the
    other theme was shown, so the total minus it gave the two people away."""
    spec = [("w1", f"p{i}", f"P {i}", "Officer", "Derby", "WF-DCS-1", 4) for i in range(5)]
    spec += [("w1", f"q{i}", f"Q {i}", "Officer", "Derby", "LA-DCS-1", 1) for i in range(2)]
    frame = _answers(spec)
    tables = [[], ["theme_id"], ["theme_id", "question_id"]]
    assert determined_small_groups(frame, tables) == []


@given(st.lists(_PEOPLE, min_size=1, max_size=60))
@example(
    [
        ("w2", "Rutland", "LM", "Ann", "WF-LM-2", 2),
        ("w3", "Leicester", "LM", "ann ", "LA-DCS-1", None),
        ("w2", "Leicester", "Officer", "ann ", "LA-LM-1", 2),
        ("w2", "Derby", "DCS", "Ann", "LA-LM-1", 5),
        ("w3", "Rutland", "DCS", "", "LA-LM-1", 5),
    ]
)
def test_no_total_theme_or_question_solves_out_a_small_group(entries: list[tuple]) -> None:
    """The grand total, themes and questions of any answers: no withheld group under MIN is
    worked out from every figure shown (the example failed on main)."""
    tables = [[], ["theme_id"], ["theme_id", "question_id"]]
    assert determined_small_groups(_frame(entries), tables) == []


def test_a_withheld_split_worked_out_from_another_total_is_no_key() -> None:
    """Failed on main: the Lead Members' total minus their shown themes worked out PR's Lead
    Member figure (three people, withheld), and PR's total minus it gave away the two
    Directors who answered PR. A withheld figure worked out from another total counts as known."""
    spec = []
    for role, themes in (
        ("DCS", {"LA": 4, "CR": 5, "WF": 3, "PR": 2}),
        ("LM", {"LA": 3, "CR": 5, "WF": 3, "PR": 3}),
    ):
        for theme, count in themes.items():
            spec += [
                ("w1", f"{role}{i}", "", role, f"Authority {i}", f"{theme}-{role}-1", 3)
                for i in range(count)
            ]
    frame = _answers(spec)
    tables = [["role"], ["theme_id"], ["theme_id", "role"]]
    assert determined_small_groups(frame, tables) == []


@pytest.mark.xfail(
    strict=True,
    reason="known limit (README): the workshop and question layers are settled apart; "
    "settling them together was tried and took over 15 minutes on 1M answers",
)
def test_a_question_asked_at_one_workshop_gives_no_other_workshops_answer_away() -> None:
    """The workshops' totals and the questions by year are settled apart, so with LA-DCS-1
    asked only at w1, w1's total minus LA-DCS-1's figure for the year is the one answer d gave
    to LA-DCS-2 at w1. Strict: it fails loudly once the limit is lifted."""
    spec = [("w1", p, p, "Officer", "Derby", "LA-DCS-1", 4) for p in ("a", "b", "c")]
    spec += [("w1", "d", "d", "Officer", "Derby", "LA-DCS-2", 1)]
    spec += [("w2", p, p, "Officer", "Derby", "LA-DCS-2", 3) for p in ("e", "f", "g")]
    frame = _answers(spec)
    tables = [["workshop_id"], ["theme_id", "question_id", "year"], ["workshop_id", "theme_id"]]
    atoms = [*ATOM_KEYS, "workshop_id"]
    assert determined_small_groups(frame, tables, atom_keys=atoms) == []
    # The questions' table is settled as it is without workshops; the workshops give way.
    by_year = sm.summarise(frame, by=["theme_id", "question_id", "year"], min_group=MIN)
    assert not by_year["suppressed"].any()
    workshops = sm.summarise(frame, by=["workshop_id"], min_group=MIN)
    assert workshops["suppressed"].any()


@pytest.mark.parametrize("seed", [15, 27])
def test_a_workshops_questions_are_summarised_without_error_and_give_nothing_away(seed) -> None:
    """Failed on main with a bare RuntimeError ("nothing left to withhold"): the workshop and
    question layers, each settled alone, gave a small group away together, and the tables
    by workshop and question, all withheld already, could not take it back. They now show
    nothing more, and the summary is made."""
    frame = random_answers(seed)
    workshop = sorted(frame["workshop_id"].unique())[0]
    one = sm.by_question(frame, min_group=MIN, where={"workshop_id": workshop})
    assert len(one) and one["suppressed"].notna().all()
    tables = [
        ["workshop_id", "theme_id", "question_id"],
        ["workshop_id"],
        ["theme_id", "question_id", "year"],
        ["theme_id", "question_id"],
    ]
    atoms = [*ATOM_KEYS, "workshop_id"]
    assert determined_small_groups(frame, tables, atom_keys=atoms) == []
