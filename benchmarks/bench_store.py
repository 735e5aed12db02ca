"""Benchmark workshop files: record() latency, and read_ratings over many files against raw SQLite.

Run ``.venv/bin/python benchmarks/bench_store.py`` (``--help`` for sizes). It writes its own
synthetic workshop files under a temporary folder (generation is not timed), then prints:

- ``record()`` latency, each answer its own durable transaction: median and 99th percentile;
- ``read_ratings(folder)`` over all files against a baseline that reads the same answer rows
  with plain ``sqlite3`` (one query per file, every row into one list, one ``pd.DataFrame``),
  both measured alternately in this run; the target is a ratio of at most 1.5.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from assured_kit.ratings import read_ratings
from assured_kit.store import Workshop

RAW_COLUMNS = ["respondent_id", "question_id", "round", "rating", "dont_know", "evidence", "note",
               "proxy", "author", "at"]


def make_workshop(args: tuple[Path, int, int]) -> int:
    """Write one synthetic workshop holding ``respondents x questions x 2 rounds`` answers."""
    path, seed, respondents = args
    rng = random.Random(seed)
    with Workshop.create(path, title=f"Benchmark {seed}", held_on=f"2025-{1 + seed % 12:02d}-15",
                         synthetic=True) as ws:
        authorities = ws.details["authorities"]
        questions = ws.questions()["question_id"].tolist()
        with ws.batch():
            rids = [
                ws.add_respondent(f"Person {n}", role=rng.choice(["DCS", "LM", "Officer"]),
                                  authority=rng.choice(authorities))
                for n in range(respondents)
            ]
            count = 0
            for rid in rids:
                for question in questions:
                    for round_ in (1, 2):
                        if rng.random() < 0.1:
                            ws.record(rid, question, dont_know=True, round=round_)
                        else:
                            ws.record(rid, question, rng.randint(1, 5), round=round_,
                                      evidence=rng.choice([None, 0, 1, 2, 3]),
                                      note="a note" if rng.random() < 0.1 else None)
                        count += 1
    return count


def baseline(paths: list[Path]) -> pd.DataFrame:
    """Raw sqlite3: the answer rows of every file into one list, then one DataFrame."""
    rows: list[tuple] = []
    for path in paths:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows.extend(conn.execute(f"SELECT {', '.join(RAW_COLUMNS)} FROM answers").fetchall())
        finally:
            conn.close()
    return pd.DataFrame(rows, columns=RAW_COLUMNS)


def record_latency(folder: Path, count: int) -> list[float]:
    with Workshop.create(folder / "latency.workshop.sqlite", title="Latency") as ws:
        rids = [ws.add_respondent(f"Voter {n}") for n in range(10)]
        questions = ws.questions()["question_id"].tolist()
        times = []
        for i in range(count):
            start = time.perf_counter()
            ws.record(rids[i % 10], questions[(i // 10) % len(questions)], 1 + i % 5,
                      round=1 + (i // 470) % 2)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--respondents", type=int, default=54,
                        help="respondents per file (x 47 questions x 2 rounds answers)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency-samples", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        folder = Path(tmp)
        latency = sorted(record_latency(folder, args.latency_samples))
        median = statistics.median(latency) * 1000
        p99 = latency[min(len(latency) - 1, round(0.99 * len(latency)))] * 1000
        print(f"record(): {len(latency)} answers, each its own durable transaction: "
              f"median {median:.2f} ms, p99 {p99:.2f} ms")
        (folder / "latency.workshop.sqlite").unlink()

        data = folder / "workshops"
        data.mkdir()
        jobs = [(data / f"w{n:03d}.workshop.sqlite", n, args.respondents)
                for n in range(args.files)]
        start = time.perf_counter()
        with mp.get_context("spawn").Pool(args.workers) as pool:
            total = sum(pool.map(make_workshop, jobs, chunksize=4))
        paths = sorted(data.glob("*.workshop.sqlite"))
        print(f"generated {len(paths)} workshop files, {total:,} answers "
              f"in {time.perf_counter() - start:.0f} s (not measured)")

        wall: dict[str, list[float]] = {"ours": [], "base": []}
        cpu: dict[str, list[float]] = {"ours": [], "base": []}
        for _ in range(args.repeats):  # alternate, so both see the same machine load
            for name, read in (("base", lambda: baseline(paths)),
                               ("ours", lambda: read_ratings(data))):
                start, start_cpu = time.perf_counter(), time.process_time()
                table = read()
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
                assert len(table) == total, (name, len(table), total)
                del table
        for label, times in (("wall-clock", wall), ("CPU", cpu)):
            ours, base = statistics.median(times["ours"]), statistics.median(times["base"])
            print(f"{label:>10}: baseline (raw sqlite3 into a DataFrame) median {base:.3f} s; "
                  f"read_ratings (tidy, typed, latest wins) median {ours:.3f} s; "
                  f"ratio {ours / base:.2f} "
                  f"(best of each {min(times['ours']) / min(times['base']):.2f})"
                  "; target <= 1.5")

        one = paths[0]
        with Workshop.open(one) as ws:
            w_times, b_times = [], []
            for _ in range(20):
                start = time.perf_counter()
                baseline([one])
                b_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                ws.ratings()
                w_times.append(time.perf_counter() - start)
        print(f"ws.ratings() on one file ({total // len(paths):,} answers): median "
              f"{statistics.median(w_times) * 1000:.1f} ms against raw "
              f"{statistics.median(b_times) * 1000:.1f} ms "
              f"(ratio {statistics.median(w_times) / statistics.median(b_times):.2f})")


if __name__ == "__main__":
    main()
