"""Time a rating click in the facilitator app: answer saved and live chart redrawn.

Builds a realistic room (a workshop over all six themes, 30 respondents, results revealed, some
questions already answered), then clicks rating buttons in the app (``button.click()``, the
same call a browser's click ends in) and times each click from the call to its return: by then
the answer is durably saved (``ws.record`` returns only once committed), the row confirms it,
and the live distribution chart and the theme-by-theme picture are redrawn. Every click is
checked: the answer is in the file and the chart was redrawn.

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
    app = facilitator_app(app_path)
    controller, run = app.controller, app.run
    assert controller.revealed, "the benchmark times clicks with the live chart shown"
    rows = list(run.rows.values())
    values = controller.scale.values
    rows[0].buttons[values[0]].click()  # warm-up: first draw builds fonts and caches
    clicks = []
    for i in range(args.clicks):
        row, value = rows[i % len(rows)], values[(i * 2 + 1) % len(values)]
        draws = run.charts[controller.round].draws
        started = time.perf_counter()
        row.buttons[value].click()
        clicks.append(time.perf_counter() - started)
        if run.charts[controller.round].draws != draws + 1:
            raise SystemExit(f"click {i}: the live chart was not redrawn")
        if controller.answer(row.respondent_id).rating != value:
            raise SystemExit(f"click {i}: the answer was not taken")
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
    click_median, _click_p95 = _describe("click -> saved + chart redrawn", clicks)
    print(f"ratio click / record (median): {click_median / base_median:.1f}x")
    verdict = "met" if click_median <= 150 else "NOT met"
    print(f"target median <= 150 ms: {verdict} ({click_median:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
