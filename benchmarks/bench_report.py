"""Time writing the full regional HTML report for at least 1,000,000 answers.

Scaled demo data: `demo_workshops(..., workshops_per_year=100, scale_factor=7)` writes 200
synthetic workshop files (two years) holding over a million answers, with their actions and
examples. They are written once into ``benchmarks/out/`` (git-ignored) and reused by later runs.

Prints, in one run: how long reading the files takes (`read_ratings`, plus the actions and
examples), then the time to write the full regional HTML report from the tidy table (median of
repeats; target under 10 s on this machine), with the summaries' share of it, and the
end-to-end time from the files (what ``assured-kit report FOLDER -o region.html`` does).

It also prints what the disclosure rule's complementary (secondary) suppression costs: the
summaries timed as the report makes them, and again with only primary suppression (fewer than
``min_group`` people; `summary._withhold` swapped for that in this process only), alternating.

Run: ``.venv/bin/python benchmarks/bench_report.py [--repeats R] [--scale-factor F]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from assured_kit import summary
from assured_kit.demo import demo_workshops
from assured_kit.report import _prepare, _summaries, gather, report_from_sources, write_report

OUT = Path(__file__).resolve().parent / "out"
TARGET_SECONDS = 10.0


def demo_folder(scale_factor: float, per_year: int) -> Path:
    folder = OUT / f"report-demo-x{scale_factor:g}-w{per_year}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        demo_workshops(folder, seed=0, workshops_per_year=per_year, scale_factor=scale_factor)
        done.write_text("ok\n", encoding="utf-8")
        print(f"wrote the demo workshops once in {time.perf_counter() - started:.1f} s: {folder}")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale-factor", type=float, default=7)
    parser.add_argument("--workshops-per-year", type=int, default=100)
    args = parser.parse_args()

    folder = demo_folder(args.scale_factor, args.workshops_per_year)
    started = time.perf_counter()
    ratings, actions, examples = gather([folder])
    read_seconds = time.perf_counter() - started
    files = len(list(folder.glob("*.workshop.sqlite")))
    print(
        f"answers: {len(ratings):,} from {files} workshop files "
        f"({ratings['authority'].nunique()} authorities), {len(actions):,} actions, "
        f"{len(examples):,} examples; read in {read_seconds:.2f} s"
    )
    if len(ratings) < 1_000_000:
        print("warning: fewer than 1,000,000 answers; raise --scale-factor")

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "region.html"
        times, summary_times = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            write_report(target, ratings, scope="region", actions=actions, examples=examples)
            times.append(time.perf_counter() - t0)
            rep = _prepare(
                ratings,
                scope="region",
                authority=None,
                framework=None,
                min_group=3,
                actions=actions,
                examples=examples,
                title=None,
                named_authorities=(),
                seed=0,
            )
            t1 = time.perf_counter()
            _summaries(rep)
            summary_times.append(time.perf_counter() - t1)
        size = target.stat().st_size
        t2 = time.perf_counter()
        report_from_sources([folder], Path(tmp) / "end-to-end.html", key=Path(tmp) / "key")
        end_to_end = time.perf_counter() - t2
        with_secondary, primary_only = _secondary_cost(rep, args.repeats)

    median = statistics.median(times)
    print(
        f"regional HTML report: median {median:.2f} s over {args.repeats} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); {size / 1e6:.1f} MB"
    )
    print(f"  of which summaries: median {statistics.median(summary_times):.2f} s")
    print(f"  against the {TARGET_SECONDS:.0f} s target: ratio {median / TARGET_SECONDS:.2f}")
    print(f"end to end from the {files} files (read + report): {end_to_end:.2f} s")
    print(
        f"complementary suppression: summaries median {with_secondary:.2f} s with it, "
        f"{primary_only:.2f} s with primary suppression only "
        f"(costs {with_secondary - primary_only:+.2f} s, ratio {with_secondary / primary_only:.2f})"
    )


def _primary_only(prepared: object, min_group: int) -> tuple[np.ndarray, np.ndarray]:
    people = prepared.people()  # type: ignore[attr-defined]
    return people, people < min_group


def _secondary_cost(rep: object, repeats: int) -> tuple[float, float]:
    """Median time of the report's summaries with and without complementary suppression."""
    full, primary = [], []
    real = summary._withhold
    for _ in range(repeats):
        for swap, times in ((real, full), (_primary_only, primary)):
            summary._withhold = swap
            rep.summaries.clear()  # type: ignore[attr-defined]
            t0 = time.perf_counter()
            _summaries(rep)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
    summary._withhold = real
    return statistics.median(full), statistics.median(primary)


if __name__ == "__main__":
    main()
