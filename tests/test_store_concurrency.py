"""Several processes write to one workshop file at once: no vote lost, none refused as locked."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assured_kit.store import Workshop

pytestmark = pytest.mark.slow

PROCESSES = 8
ANSWERS = 200
PER_PROCESS_RESPONDENTS = 5  # 5 respondents x 40 questions = 200 distinct answers

# Each voter process adds its own respondents (label uniqueness is checked under contention),
# waits for the start signal so all write at the same moment, then records its answers.
VOTER = textwrap.dedent(
    f"""
    import os, sys, time
    from pathlib import Path
    from assured_kit.store import Workshop

    path, number, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    ws = Workshop.open(path)
    questions = ws.questions()["question_id"].tolist()[:40]
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    rids = [ws.add_respondent(f"P{{number}}-{{k}}", authority="Derby", author=f"voter {{number}}")
            for k in range({PER_PROCESS_RESPONDENTS})]
    done = 0
    for k, rid in enumerate(rids):
        for i, question in enumerate(questions):
            ws.record(rid, question, 1 + (number + k + i) % 5, author=rid)
            done += 1
    ws.close()
    print("done", done, flush=True)
    """
)


def test_eight_processes_record_at_once(tmp_path: Path) -> None:
    path = tmp_path / "live.workshop.sqlite"
    Workshop.create(path, title="Live").close()
    go = tmp_path / "go"
    voters = [
        subprocess.Popen([sys.executable, "-c", VOTER, str(path), str(n), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(PROCESSES)
    ]
    try:
        for voter in voters:
            assert voter.stdout is not None
            line = voter.stdout.readline().strip()
            assert line == "ready", voter.stderr.read() if voter.stderr else line
        go.touch()
        outcomes = [voter.communicate(timeout=240) for voter in voters]
    finally:
        for voter in voters:
            voter.kill()
            voter.wait()
    for voter, (out, err) in zip(voters, outcomes, strict=True):
        assert "database is locked" not in err
        assert voter.returncode == 0, err
        assert out.split() == ["done", str(ANSWERS)]
    with Workshop.open(path) as ws:
        table = ws.ratings()
        assert len(table) == PROCESSES * ANSWERS
        assert table.groupby("respondent_id").size().eq(40).all()
        assert len(ws.respondents()) == PROCESSES * PER_PROCESS_RESPONDENTS
        assert ws.respondents()["label"].is_unique
        # every answer is by the respondent it belongs to, with the value its voter sent
        assert (table["author"] == table["respondent_id"]).all()
        history = ws.history()
        assert (history["kind"] == "answer.record").sum() == PROCESSES * ANSWERS


def test_threads_share_one_workshop_safely(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "threads.workshop.sqlite"
    with Workshop.create(path, title="Threads") as ws:
        rids = [ws.add_respondent(f"T{n}") for n in range(4)]
        questions = ws.questions()["question_id"].tolist()[:25]
        errors: list[BaseException] = []

        def vote(rid: str) -> None:
            try:
                for question in questions:
                    ws.record(rid, question, 3)
            except BaseException as exc:  # collected and re-raised in the test thread
                errors.append(exc)

        threads = [threading.Thread(target=vote, args=(rid,)) for rid in rids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert not errors
        assert len(ws.ratings()) == 100
