"""A writer killed with SIGKILL mid-stream loses nothing whose `record` had returned."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assured_kit.store import Workshop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL"),
]

# The child records answers as fast as it can and prints each event id, rating and round
# only after `record` has returned, i.e. after the kit reported it saved.
WRITER = textwrap.dedent(
    """
    import sys
    from assured_kit.store import Workshop

    path, rid = sys.argv[1], sys.argv[2]
    ws = Workshop.open(path)
    questions = ws.questions()["question_id"].tolist()
    print("ready", flush=True)
    i = 0
    while True:
        question = questions[i % len(questions)]
        rating = 1 + i % 5
        round_ = 1 + (i // len(questions)) % 2
        event = ws.record(rid, question, rating, round=round_, note=f"answer {i}")
        print(event, question, rating, round_, flush=True)
        i += 1
    """
)


Confirmed = list[tuple[int, str, int, int]]


def kill_mid_stream(path: Path, rid: str, answers_before_kill: int) -> Confirmed:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), rid],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    confirmed: Confirmed = []
    try:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        assert first == "ready", child.stderr.read() if child.stderr else first
        while len(confirmed) < answers_before_kill:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child ended"
            event, question, rating, round_ = line.split()
            confirmed.append((int(event), question, int(rating), int(round_)))
        os.kill(child.pid, signal.SIGKILL)
        # Lines already printed before the kill landed count as confirmed too.
        rest = child.stdout.read()
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    for line in rest.splitlines():
        parts = line.split()
        if len(parts) == 4:  # a line cut short by the kill was never confirmed
            confirmed.append((int(parts[0]), parts[1], int(parts[2]), int(parts[3])))
    return confirmed


def test_sigkilled_writer_loses_no_confirmed_answer(tmp_path: Path) -> None:
    path = tmp_path / "crash.workshop.sqlite"
    with Workshop.create(path, title="Crash") as ws:
        rid = ws.add_respondent("Writer")
    confirmed: list[tuple[int, str, int, int]] = []
    for stop_after in (120, 37, 200):  # three kills at different points in the stream
        confirmed += kill_mid_stream(path, rid, stop_after)
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    assert len(confirmed) >= 357
    with Workshop.open(path) as ws:
        history = ws.history()
        stored = {
            int(row.event_id): (row.detail["question_id"], row.detail["rating"],
                                row.detail["round"])
            for row in history[history["kind"] == "answer.record"].itertuples()
        }
        for event, question, rating, round_ in confirmed:
            assert stored.get(event) == (question, rating, round_), event
        rows = ws._db().execute(
            "SELECT event_id, question_id, rating, round FROM answers"
        ).fetchall()
        typed = {r[0]: (r[1], r[2], r[3]) for r in rows}
        assert all(typed[event] == (q, r, n) for event, q, r, n in confirmed)
        # and the workshop carries on: the file is not left locked or half-written
        ws.record(rid, "LA-DCS-1", 3)
