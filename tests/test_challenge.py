"""The peer-challenge pack: lines of enquiry for a hand-built authority, written out in full."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from test_summary import FW, A, tidy

from assured_kit import AssuredKitError, Workshop
from assured_kit import summary as sm
from assured_kit.challenge import (
    REASONS,
    add_agreed_actions,
    lines_of_enquiry,
    open_actions,
    read_agreed_actions,
    write_challenge_pack,
)
from assured_kit.cli import main


def _answers(authority: str, question: str, ratings, evidence=None, role="Officer") -> list[A]:
    evidence = evidence or [None] * len(ratings)
    return [
        A(f"{authority[:3]}{i}", question, r, evidence=e, authority=authority, role=role)
        for i, (r, e) in enumerate(zip(ratings, evidence, strict=True))
    ]


def _derby_and_region() -> pd.DataFrame:
    """Derby, built so that each signal fires exactly where the expected lines say."""
    answers = [
        # Strong, but three of the four confident answers rest on no evidence or anecdote.
        *_answers("Derby", "LA-DCS-1", [5, 5, 4, 4], evidence=[0, 1, 0, 3]),
        # Split: half at each end.
        *_answers("Derby", "CR-DCS-1", [1, 1, 5, 5]),
        # Weak: three of four at the bottom.
        *_answers("Derby", "WF-DCS-1", [1, 2, 2, 4]),
        # Weak but only two people: suppressed, so no line. A third person answered another
        # question of the theme, so Derby's overall figure minus its shown questions gives
        # no one away.
        *_answers("Derby", "IN-DCS-1", [1, 1]),
        *_answers("Derby", "IN-LM-1", [3, 3, 3])[2:],
        # Above every other authority.
        *_answers("Derby", "PR-DCS-1", [5, 5, 5], evidence=[3, 3, 3]),
        *_answers("Rutland", "PR-DCS-1", [4, 2, 2]),
        *_answers("Leicester", "PR-DCS-1", [2, 2, 1]),
        *_answers("Nottingham", "PR-DCS-1", [4, 4, 2]),
        # Weak, and below every other authority.
        *_answers("Derby", "PM-DCS-1", [1, 2, 2]),
        *_answers("Rutland", "PM-DCS-1", [4, 4, 5]),
        *_answers("Leicester", "PM-DCS-1", [3, 4, 5]),
        *_answers("Nottingham", "PM-DCS-1", [5, 5, 4]),
    ]
    return tidy(answers)


ENQUIRY = {
    "weak": "What lies behind the low confidence here, and what would leaders need to see or "
    "change to be confident?",
    "contested": "Leaders are split on this: what do those at the top of the scale know or see "
    "that those at the bottom do not?",
    "evidence": "Confidence runs ahead of evidence here: what data, audit or voices of "
    "children, families and staff would show the confidence is earned?",
    "above": "The authority sits above every other authority in the region here: what does it "
    "do that others could learn from, and how does it know?",
    "below": "The authority sits below every other authority in the region here: what is "
    "different, and is the others' confidence better founded?",
}

EXPECTED = [
    (
        "LA-DCS-1",
        "confidence ahead of evidence",
        ENQUIRY["evidence"],
        "75% of the confident answers rest on no evidence or anecdote (3 of 4; n=4 people).",
    ),
    (
        "CR-DCS-1",
        "contested",
        ENQUIRY["contested"],
        "50% of rated answers at the bottom of the scale, 50% at the top (n=4 people).",
    ),
    (
        "WF-DCS-1",
        "weak",
        ENQUIRY["weak"],
        "75% of rated answers at the bottom of the scale, 25% at the top (n=4 people).",
    ),
    (
        "PR-DCS-1",
        "outside the region's range",
        ENQUIRY["above"],
        "Derby 100% at the top of the scale (n=3 people); 3 other authorities (not named) "
        "range from 0% to 67%.",
    ),
    (
        "PM-DCS-1",
        "weak",
        ENQUIRY["weak"],
        "100% of rated answers at the bottom of the scale, 0% at the top (n=3 people).",
    ),
    (
        "PM-DCS-1",
        "outside the region's range",
        ENQUIRY["below"],
        "Derby 0% at the top of the scale (n=3 people); 3 other authorities (not named) "
        "range from 67% to 100%.",
    ),
]


def test_lines_of_enquiry_for_a_hand_built_authority():
    lines = lines_of_enquiry(_derby_and_region(), "Derby")
    got = list(lines[["question_id", "reason", "enquiry", "figures"]].itertuples(index=False))
    assert [tuple(row) for row in got] == EXPECTED
    # Each line cites the framework question in the source's words.
    for row in lines.itertuples(index=False):
        assert row.question_text == FW.question(row.question_id)["text"]
        assert row.theme_id == row.question_id.split("-")[0]
    assert set(lines["reason"]) <= set(REASONS)


def test_prompts_are_the_sources_examples_for_the_theme_and_role():
    lines = lines_of_enquiry(_derby_and_region(), "Derby")
    wf = lines[lines["question_id"] == "WF-DCS-1"].iloc[0]
    examples = FW.examples_for("WF")
    dcs = examples[examples["attribution"].str.contains("DCS")]["quote"].tolist()
    assert 1 <= len(wf["prompts"]) <= 2
    for prompt, quote in zip(wf["prompts"], dcs, strict=False):
        assert quote.startswith(prompt.removesuffix(" …"))


def test_no_line_rests_on_fewer_than_min_group_people():
    lines = lines_of_enquiry(_derby_and_region(), "Derby")
    assert "IN-DCS-1" not in set(lines["question_id"])  # weak, but two people
    stricter = lines_of_enquiry(_derby_and_region(), "Derby", min_group=4)
    # Only four-person questions survive; the three-person ones are suppressed, and so is one
    # four-person question (CR-DCS-1): Derby's overall figure minus three shown questions would
    # give away the answers of the three people behind the rest.
    assert list(stricter["question_id"]) == ["LA-DCS-1", "WF-DCS-1"]
    # No other authority is ever named in a line.
    text = " ".join(lines["figures"]) + " ".join(lines["enquiry"])
    for other in ("Rutland", "Leicester", "Nottingham"):
        assert other not in text


def test_dcs_and_lead_member_difference_follows_the_summary_suppression():
    answers = [
        *_answers("Derby", "LA-LM-1", [5, 5, 5], role="DCS"),
        *[A(f"lm{i}", "LA-LM-1", r, role="LM") for i, r in enumerate([1, 2, 1])],
    ]
    ratings = tidy(answers)
    lines = lines_of_enquiry(ratings, "Derby")
    roles = sm.compare_roles(ratings, by=["question_id"], where={"authority": "Derby"})
    row = roles.iloc[0]
    shown = not bool(row["dcs_suppressed"]) and not bool(row["lm_suppressed"])
    expected = (
        "DCS 100% at the top of the scale (n=3 people), Lead Member 0% (n=3 people)."
        if shown
        else None
    )
    got = lines[lines["reason"] == "DCS and Lead Member differ"]["figures"].tolist()
    assert got == ([expected] if shown else [])
    if shown:
        enquiry = lines[lines["reason"] == "DCS and Lead Member differ"]["enquiry"].iloc[0]
        assert enquiry.startswith("The DCS and Lead Member see this differently")


def test_unknown_authority_is_refused():
    with pytest.raises(AssuredKitError, match="no answers from authority 'Darby'"):
        lines_of_enquiry(_derby_and_region(), "Darby")


def test_open_actions_are_the_authoritys_own():
    ratings = pd.DataFrame(
        {"workshop_id": ["local", "regional", "regional"], "authority": ["Derby", "Derby", "X"]}
    )
    actions = pd.DataFrame(
        {
            "workshop_id": ["local", "local", "regional"],
            "what": ["Audit supervision", "Old action", "Regional action"],
            "status": ["open", "done", "open"],
        }
    )
    assert open_actions(actions, ratings, "Derby")["what"].tolist() == ["Audit supervision"]


# ----------------------------------------------------------------------------- the page


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections = 0
        self.urls: list[str] = []
        self.editable = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("class") == "line":
            self.sections += 1
        if "contenteditable" in attrs:
            self.editable += 1
        for name in ("src", "href"):
            if attrs.get(name):
                self.urls.append(attrs[name])

    def handle_data(self, data):
        self.text.append(data)


def _region_files(folder: Path) -> Path:
    ratings = _derby_and_region()
    with Workshop.create(folder / "region.workshop.sqlite", title="Regional") as ws:
        ids = {}
        for row in ratings.itertuples(index=False):
            key = (row.authority, row.respondent_id)
            if key not in ids:
                ids[key] = ws.add_respondent(
                    f"{row.authority} {row.respondent_id}", role=row.role, authority=row.authority
                )
            evidence = None if pd.isna(row.evidence) else int(row.evidence)
            ws.record(ids[key], row.question_id, int(row.rating), evidence=evidence)
    with Workshop.create(folder / "derby.workshop.sqlite", title="Derby local") as ws:
        for table in ("Table 1", "Table 2", "Table 3"):
            rid = ws.add_respondent(table, role="Mixed", kind="table", authority="Derby")
            ws.record(rid, "LA-DCS-2", 4)
        ws.add_action("<b>Audit</b> supervision =1+1", owner="PSW", theme_id="WF", due="2027-01-31")
    return folder


def test_the_pack_page(tmp_path):
    folder = _region_files(tmp_path)
    out = write_challenge_pack([folder], "Derby", tmp_path / "derby-pack.html")
    html = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    text = " ".join(page.text)
    assert page.sections == len(EXPECTED)
    for _question, _reason, enquiry, figures in EXPECTED:
        assert enquiry in text and figures in text
    assert "Official – Sensitive" in text
    assert "&lt;b&gt;Audit&lt;/b&gt; supervision" in html  # participant text escaped
    assert "<b>Audit" not in html
    assert page.urls == []  # nothing loaded from anywhere
    assert not re.search(r"https?://", html)
    # The agreed-actions table: one row per question with a line, and five blank rows.
    questions = len(dict.fromkeys(q for q, *_ in EXPECTED))
    assert page.editable == 4 * (questions + 5)
    assert "@page" in html and "break-inside: avoid" in html


def test_agreed_actions_read_back_into_a_workshop(tmp_path):
    folder = _region_files(tmp_path)
    csv = tmp_path / "agreed.csv"
    csv.write_text(
        '"question_id","what","owner","due"\r\n'
        '"WF-DCS-1","Audit supervision files","Principal social worker","2027-03-31"\r\n'
        '"","","",""\r\n'
        '"","Brief the Lead Member","DCS","31/01/2027"\r\n',
        encoding="utf-8",
    )
    target = folder / "derby.workshop.sqlite"
    assert main(["agreed-actions", str(target), str(csv)]) == 0
    with Workshop.open(target) as ws:
        actions = ws.actions()
    added = actions[actions["what"].isin(["Audit supervision files", "Brief the Lead Member"])]
    assert added["question_id"].fillna("").tolist() == ["WF-DCS-1", ""]
    assert added["owner"].tolist() == ["Principal social worker", "DCS"]
    assert [str(d)[:10] for d in added["due"]] == ["2027-03-31", "2027-01-31"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('"WF-DCS-9","Audit","PSW","2027-03-31"', "no framework question 'WF-DCS-9'"),
        ('"WF-DCS-1","Audit","PSW","next spring"', "'next spring' is not a date"),
        ('"WF-DCS-1","","PSW","2027-03-31"', "an action with no 'what'"),
    ],
)
def test_a_bad_agreed_action_adds_nothing(tmp_path, row, message):
    folder = _region_files(tmp_path)
    csv = tmp_path / "agreed.csv"
    csv.write_text(
        'question_id,what,owner,due\n"LA-DCS-1","Good row","DCS",""\n' + row + "\n",
        encoding="utf-8",
    )
    target = folder / "derby.workshop.sqlite"
    with Workshop.open(target) as ws:
        before = len(ws.actions())
    with pytest.raises(AssuredKitError, match=re.escape(message)) as caught:
        add_agreed_actions(target, csv)
    assert "agreed.csv" in str(caught.value) and "3" in str(caught.value)  # file and row
    with Workshop.open(target) as ws:
        assert len(ws.actions()) == before
    assert read_agreed_actions  # the reader is public


def test_cli_challenge(tmp_path, capsys):
    folder = _region_files(tmp_path)
    out = tmp_path / "derby-pack.html"
    assert main(["challenge", str(folder), "--authority", "Derby", "-o", str(out)]) == 0
    assert out.exists() and "wrote" in capsys.readouterr().out
    assert main(["challenge", str(folder), "--authority", "Darby", "-o", str(out)]) == 2
    assert "no answers from authority 'Darby'" in capsys.readouterr().err
