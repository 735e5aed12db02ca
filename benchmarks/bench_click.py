"""Time a rating click: answer saved, console updated and the room view updated.

Builds a realistic room (a workshop over all six themes, 30 respondents, results revealed, some
questions already answered), then clicks rating buttons in the console (``button.click()``, the
same call a browser's click ends in) and times each click from the call until both views show
it: the answer is durably saved (``ws.record`` returns only once committed), the row confirms
it, the console's live chart and theme-by-theme picture are redrawn, and the room view (its own
`Workshop` handle on the file, as in the page server's process) has seen the file change and
redrawn its chart. Every click is checked: the answer is in the file, the console's chart was
redrawn and the room view holds the new answer.

The baseline, measured in the same run on the same kind of file, is a bare ``ws.record`` call:
the least any click can cost. Target: median click at most 150 ms.

Run: ``.venv/bin/python benchmarks/bench_click.py [--clicks N] [--respondents R]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

from assured_kit.console import facilitator_app
from assured_kit.room import room_page
from assured_kit.store import Workshop


def _room(path: Path, respondents: int) -> None:
    with Workshop.create(path, title="Benchmark workshop (synthetic)", synthetic=True) as ws:
        authorities = ws.details["authorities"]
        with ws.batch():
            ids = [
                ws.add_respondent(
                    f"Table {i + 1}",
                    role="Mixed",
                    kind="table",
                    authority=authorities[i % len(authorities)],
                )
                for i in range(respondents)
            ]
        questions = list(ws.questions()["question_id"])
        with ws.batch():  # earlier questions already answered, so the summaries have work to do
            for q_index, qid in enumerate(questions[:12]):
                for i, rid in enumerate(ids):
                    ws.record(rid, qid, 1 + (i + q_index) % 5)
        ws.set_session(question_id=questions[12], revealed=True)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _describe(name: str, seconds: list[float]) -> tuple[float, float]:
    ms = [s * 1000 for s in seconds]
    median, p95 = statistics.median(ms), _percentile(ms, 0.95)
    print(f"{name:<34} median {median:7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})")
    return median, p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=60)
    parser.add_argument("--respondents", type=int, default=30)
    args = parser.parse_args()
    if args.clicks < 50:
        parser.error("--clicks must be at least 50")

    folder = Path(tempfile.mkdtemp(prefix="bench-click-"))
    app_path, base_path = folder / "app.workshop.sqlite", folder / "base.workshop.sqlite"
    _room(app_path, args.respondents)
    _room(base_path, args.respondents)

    # Baseline: a bare record() on the same kind of file.
    base = Workshop.open(base_path)
    base_ids = list(base.respondents()["respondent_id"])
    qid = base.session()["question_id"]
    baseline = []
    for i in range(args.clicks):
        started = time.perf_counter()
        base.record(base_ids[i % len(base_ids)], qid, 1 + i % 5)
        baseline.append(time.perf_counter() - started)
    base.close()

    # Clicks in the app.
    app = facilitator_app(app_path, folder=folder)
    controller, run = app.controller, app.run
    assert controller.revealed, "the benchmark times clicks with the live chart shown"
    rows = list(run.rows.values())
    values = controller.scale.values
    room = room_page(app_path)  # the projector's page: its own handle, polling the file
    rows[0].buttons[values[0]].click()  # warm-up: first draw builds fonts and caches
    room.refresh_if_changed()
    clicks, both = [], []
    for i in range(args.clicks):
        row, value = rows[i % len(rows)], values[(i * 2 + 1) % len(values)]
        draws = run.charts[controller.round].draws
        started = time.perf_counter()
        row.buttons[value].click()
        clicked = time.perf_counter()
        if not room.refresh_if_changed():  # the room view's next look at the file
            raise SystemExit(f"click {i}: the room view did not see the change")
        done = time.perf_counter()
        clicks.append(clicked - started)
        both.append(done - started)
        if run.charts[controller.round].draws != draws + 1:
            raise SystemExit(f"click {i}: the live chart was not redrawn")
        shown = room.controller.answer(row.respondent_id)
        if shown is None or shown.rating != value or "Round 1 · " not in room.charts[1].value:
            raise SystemExit(f"click {i}: the room view does not show the new answer")
        if controller.answer(row.respondent_id).rating != value:
            raise SystemExit(f"click {i}: the answer was not taken")
    room.close()
    if app.unexpected:
        raise SystemExit(f"a click failed: {app.unexpected[0]!r}")
    controller.close()
    with Workshop.open(app_path) as ws:  # every click durably in the file
        saved = ws.ratings()
    expected = {
        row.respondent_id: values[(i * 2 + 1) % len(values)]
        for i, row in ((i, rows[i % len(rows)]) for i in range(args.clicks))
    }
    got = saved[saved["question_id"] == qid].set_index("respondent_id")["rating"].to_dict()
    missing = {rid: v for rid, v in expected.items() if got.get(rid) != v}
    if missing:
        raise SystemExit(f"answers missing from the file: {missing}")

    print(f"{args.respondents} respondents, {len(saved)} answers in the file, results revealed")
    base_median, _ = _describe("baseline: bare ws.record()", baseline)
    click_median, _click_p95 = _describe("click -> saved + console redrawn", clicks)
    both_median, _both_p95 = _describe("click -> saved + both views redrawn", both)
    print(f"ratio console click / record (median): {click_median / base_median:.1f}x")
    print(f"ratio both views / record (median): {both_median / base_median:.1f}x")
    verdict = "met" if both_median <= 150 else "NOT met"
    print(f"target median <= 150 ms (both views): {verdict} ({both_median:.1f} ms)")
    with open("/proc/loadavg", encoding="ascii") as load:
        print(f"load average: {load.read().strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
