"""Time writing the full regional HTML report for at least 1,000,000 answers.

Scaled demo data: `demo_workshops(..., workshops_per_year=100, scale_factor=7)` writes 200
synthetic workshop files (two years) holding over a million answers, with their actions and
examples. They are written once into ``benchmarks/out/`` (git-ignored) and reused by later runs.

Prints, in one run: how long reading the files takes (`read_ratings`, plus the actions and
examples); the time to draw each chart kind the report uses and save it as SVG the way the
report embeds it (median of repeats, against the 0.3 s per chart target and a baseline measured
in the same run); the time to write the full regional HTML report from the tidy table (median
of repeats; target under 10 s on a quiet 2-core machine), with the summaries' share of it; and
the end-to-end time from the files (what ``assured-kit report FOLDER -o region.html`` does).
Each report is also written, alternating, with no work shared between its summaries (as before
`summary.reusing_work`), and the ratio of the two printed.
The load average is printed beside the figures: absolute times on a shared machine mean little
without it. ``--charts-only`` times the charts on the small demo data alone.

It also prints what the disclosure rule's complementary (secondary) suppression costs: the
summaries timed as the report makes them, and again with only primary suppression (fewer than
``min_group`` people; `summary._withhold` swapped for that in this process only), alternating,
each inside `summary.reusing_work` as `write_report` makes them, with wall-clock and CPU seconds,
for the region's report and for an authority's report of one year (a slice of the whole data,
as ``assured-kit report --authority A --year Y`` makes it). ``--suppression-only`` prints just
that (with ``--workshops-per-year`` and ``--scale-factor`` to size the data).

And the steering-group notebook's filter redraw on the demo data (target under 1 s), against
the theme summary alone: the time a filter change takes to answer inside a kernel (status and
summary table new, panels marked as redrawing), the time until every panel is redrawn, the
same redraw without an event loop (a script), and going back to filters chosen before (every
panel shown on its own); then as the notebook shows them, on tabs (``sg.charts()``): the time
until the chart on the open tab is redrawn after a filter change, and until a closed tab's chart
is redrawn when the tab is opened (the median, and the slowest of each chart, over two
filter changes per tab: one with every theme shown, one with a theme chosen).
``--steering-only`` times that alone.

Run: ``.venv/bin/python benchmarks/bench_report.py [--repeats R] [--scale-factor F]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from assured_kit import charts, summary
from assured_kit.demo import demo_workshops
from assured_kit.report import _prepare, _summaries, gather, report_from_sources, write_report

OUT = Path(__file__).resolve().parent / "out"
TARGET_SECONDS = 10.0
CHART_TARGET_SECONDS = 0.3
REDRAW_TARGET_SECONDS = 1.0


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), to read beside any absolute time."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def chart_cases(ratings: pd.DataFrame) -> dict[str, tuple]:
    """Each chart kind the regional report draws, with the summary it draws from."""
    theme = str(ratings["theme_id"].iloc[0])
    one_theme = ratings[ratings["theme_id"] == theme]
    authority = str(ratings["authority"].dropna().iloc[0])
    cases = {
        "diverging bars by theme": (charts.diverging_bars, summary.by_theme(ratings), {}),
        "diverging bars by question": (
            charts.diverging_bars,
            summary.by_question(one_theme),
            {"by": "question_id"},
        ),
        "heatmap themes x authorities": (
            charts.heatmap,
            summary.summarise(ratings, by=["theme_id", "authority"]),
            {},
        ),
        "DCS and Lead Member pairs": (charts.role_pairs, summary.compare_roles(ratings), {}),
        "confidence against evidence": (
            charts.confidence_evidence,
            summary.evidence_grid(one_theme),
            {},
        ),
        "authority against the region": (
            charts.authority_spread,
            summary.authority_position(ratings, authority),
            {},
        ),
        "theme profile": (charts.theme_profile, summary.by_theme(ratings), {}),
    }
    with contextlib.suppress(ValueError):  # fewer than two years in the data
        cases["change between years"] = (
            charts.change_dumbbell,
            summary.change(ratings, between="year"),
            {},
        )
    return cases


def _save_svg(fig: object) -> None:
    """Write ``fig`` as SVG the way the report embeds it (`charts.svg_image`), then close it."""
    charts.svg_image(fig)
    plt.close(fig)  # type: ignore[arg-type]


def baseline_seconds(repeats: int) -> float:
    """The floor of any chart on this machine now: one labelled axes of the same size, as SVG."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fig, ax = plt.subplots(figsize=(13, 9), layout="constrained")
        ax.set_title("Baseline", fontsize=20)
        ax.set_yticks(range(6), [f"Theme {i}" for i in range(6)])
        _save_svg(fig)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_charts(ratings: pd.DataFrame, repeats: int) -> None:
    """Print the median time to draw and save each chart kind, against the per-chart target."""
    base = baseline_seconds(repeats)
    print(
        f"charts (draw + SVG as the report embeds it), load {load()}; baseline (one plain "
        f"labelled axes as SVG) {base:.2f} s:"
    )
    medians, cpu_medians = [], []
    for name, (draw, table, options) in chart_cases(ratings).items():
        times, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            _save_svg(draw(table, **options).figure)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        median = statistics.median(times)
        medians.append(median)
        cpu_medians.append(statistics.median(cpu))
        print(
            f"  {name:32s} median {median:.2f} s (CPU {cpu_medians[-1]:.2f} s), "
            f"{median / base:.1f}x the baseline "
            f"(ratio {median / CHART_TARGET_SECONDS:.2f} of the {CHART_TARGET_SECONDS} s target)"
        )
    print(
        f"  per chart: median {statistics.median(medians):.2f} s, slowest {max(medians):.2f} s "
        f"(ratio {max(medians) / CHART_TARGET_SECONDS:.2f}); CPU median "
        f"{statistics.median(cpu_medians):.2f} s, slowest {max(cpu_medians):.2f} s"
    )


def time_steering(repeats: int) -> None:
    """Print the steering-group filter redraw on the demo data, against the summary alone."""
    import asyncio

    from assured_kit.analysis import PANELS, open_steering_group

    sg = open_steering_group()
    for name in PANELS:
        sg.panel(name)
    sg.summary()
    ratings = sg.data.ratings
    # Each change picks filters not chosen before (one role, then one theme of that role),
    # so nothing is shown from memory; they alternate between a kernel and a script.
    changes = [(sg.role_filter, (role,)) for role in sg.role_filter.options]
    changes += [(sg.theme_filter, (theme,)) for _title, theme in sg.theme_filter.options]
    changes = changes[: 2 * repeats]
    base, answer, settled, script, back = [], [], [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        summary.by_theme(ratings)
        base.append(time.perf_counter() - t0)

    async def in_a_kernel(control: object, value: tuple) -> None:
        t0 = time.perf_counter()
        control.value = value  # type: ignore[attr-defined]
        answer.append(time.perf_counter() - t0)
        while any("Redrawing" in str(out.outputs) for _box, out in sg.panels.values()):
            await asyncio.sleep(0)
        settled.append(time.perf_counter() - t0)

    for i, (control, value) in enumerate(changes):
        if i % 2 == 0:
            asyncio.run(in_a_kernel(control, value))
        else:
            t0 = time.perf_counter()
            control.value = value
            script.append(time.perf_counter() - t0)
    # Back through the same filters: the themes chosen, none, then the roles chosen.
    themes = [(c, v) for c, v in changes if c is sg.theme_filter]
    roles = [(c, v) for c, v in changes if c is sg.role_filter]
    returns = [*reversed(themes[:-1]), (sg.theme_filter, ())] if themes else []
    for control, value in [*returns, *reversed(roles[:-1])]:
        t0 = time.perf_counter()
        control.value = value
        back.append(time.perf_counter() - t0)
    b = statistics.median(base)

    def line(what: str, times: list[float]) -> None:
        if not times:
            return
        m = statistics.median(times)
        print(
            f"  {what:44s} median {m:.2f} s, {m / b:.0f}x the summary alone "
            f"(ratio {m / REDRAW_TARGET_SECONDS:.2f} of the {REDRAW_TARGET_SECONDS:.0f} s target)"
        )

    on_tab, on_tab_cpu, opened = time_chart_tabs(sg.data)
    print(
        f"steering-group filter redraw ({len(ratings):,} demo answers, {len(sg.panels)} panels "
        f"and the summary table), load {load()}; the theme summary alone {b:.3f} s:"
    )
    line("in a kernel: the filter change answers in", answer)
    line("in a kernel: every panel redrawn after", settled)
    line("without an event loop (every panel, at once)", script)
    line("back to filters chosen before", back)
    print(
        f"  the notebook's chart tabs (sg.charts()), two filter changes per tab (one with every "
        f"question shown, one with a theme chosen), load {load()}:"
    )
    line("in a kernel: the chart on the open tab after", [t for ts in on_tab.values() for t in ts])
    slowest(on_tab)
    print("    its CPU time (less inflated by other work on the machine):")
    slowest(on_tab_cpu)
    line("a closed tab opened after a filter change", [t for ts in opened.values() for t in ts])
    slowest(opened)


def slowest(times: dict[str, list[float]]) -> None:
    """Print the slowest time of each panel, slowest first, against the redraw target."""
    worst = sorted(((max(ts), name) for name, ts in times.items()), reverse=True)
    print(
        "    the slowest of each chart: "
        + ", ".join(f"{name} {t:.2f} s" for t, name in worst)
        + f" (ratio {worst[0][0] / REDRAW_TARGET_SECONDS:.2f} of the target)"
    )


def time_chart_tabs(
    data: object,
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Time the notebook's chart tabs: what the analyst sees redrawn after a filter change.

    Two passes over the tabs, each with one filter changed per tab (one control, as a click
    changes it, to a choice of filters not made before, so nothing is shown from memory): the
    first keeps every theme (the longest question chart), the second picks themes. With the tab
    open, the time until its chart is redrawn in a kernel (and the CPU time the process spent
    on it, which other work on the machine inflates less); before that, the tab, still drawn
    for earlier filters, is opened: the time until its chart is redrawn.
    """
    import asyncio

    from assured_kit.analysis import PANELS, SteeringGroup

    sg = SteeringGroup(data)  # type: ignore[arg-type]
    sg.position_authority.value = sg.position_authority.options[1][1]
    tabs = sg.charts()
    sg.summary()
    names = list(PANELS)
    roles = [(sg.role_filter, (r,)) for r in sg.role_filter.options]
    authorities = [(sg.authority_filter, (a,)) for a in sg.authority_filter.options]
    themes = [(sg.theme_filter, (t,)) for _title, t in sg.theme_filter.options]
    every_theme = (roles + authorities)[: len(names)]
    # The question chart at its longest: a role picked keeps only that role's questions, an
    # authority picked keeps every question (the last authority is picked for no other tab).
    every_theme[names.index("questions")] = authorities[-1]
    some_themes = (themes + roles[:-1])[: len(names)]
    on_tab: dict[str, list[float]] = {name: [] for name in names}
    on_tab_cpu: dict[str, list[float]] = {name: [] for name in names}
    opened: dict[str, list[float]] = {name: [] for name in names}

    async def settle(name: str, into: dict[str, list[float]], cpu: dict | None = None) -> None:
        out = sg.panels[name][1]
        while "Redrawing" in str(out.outputs):
            await asyncio.sleep(0)
        into[name].append(time.perf_counter() - t0)
        if cpu is not None:
            cpu[name].append(time.process_time() - c0)

    async def in_a_kernel() -> None:
        nonlocal t0, c0
        for changes in (every_theme, some_themes):
            for i, (control, value) in enumerate(changes):
                name = names[i]
                if tabs.selected_index != i:
                    t0 = time.perf_counter()
                    tabs.selected_index = i  # drawn for earlier filters: redrawn when opened
                    await settle(name, opened)
                t0, c0 = time.perf_counter(), time.process_time()
                control.value = value
                await settle(name, on_tab, on_tab_cpu)
            tabs.selected_index = len(changes) - 1
            sg.authority_filter.value = ()  # the second pass: every authority, some themes
            await asyncio.sleep(0)

    t0 = c0 = 0.0
    asyncio.run(in_a_kernel())
    return on_tab, on_tab_cpu, opened


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
    parser.add_argument(
        "--charts-only", action="store_true", help="time the charts on the small demo data only"
    )
    parser.add_argument(
        "--suppression-only",
        action="store_true",
        help="time only what complementary suppression costs in the report's summaries",
    )
    parser.add_argument(
        "--steering-only",
        action="store_true",
        help="time the steering-group filter redraw on the demo data only",
    )
    args = parser.parse_args()
    if args.suppression_only:
        folder = demo_folder(args.scale_factor, args.workshops_per_year)
        ratings, actions, examples = gather([folder])
        print(f"answers: {len(ratings):,}; load {load()}")
        _print_secondary_cost(ratings, actions, examples, args.repeats)
        print(f"load {load()}")
        return

    if args.steering_only:
        time_steering(args.repeats)
        return

    if args.charts_only:
        with tempfile.TemporaryDirectory() as tmp:
            demo_workshops(Path(tmp), seed=0)
            small, _actions, _examples = gather([Path(tmp)])
        print(f"answers: {len(small):,} (the demo data)")
        time_charts(small, args.repeats)
        time_steering(args.repeats)
        return
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

    time_charts(ratings, args.repeats)
    time_steering(args.repeats)

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "region.html"
        times, cpu, summary_times, unshared, unshared_cpu = [], [], [], [], []
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            write_report(target, ratings, scope="region", actions=actions, examples=examples)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            with _without_shared_work():  # the same report, each summary starting afresh
                t0, c0 = time.perf_counter(), time.process_time()
                write_report(target, ratings, scope="region", actions=actions, examples=examples)
                unshared.append(time.perf_counter() - t0)
                unshared_cpu.append(time.process_time() - c0)
            rep = _model(ratings, actions, examples, "region")
            t1 = time.perf_counter()
            with summary.reusing_work():  # as write_report makes them
                _summaries(rep)
            summary_times.append(time.perf_counter() - t1)
        size = target.stat().st_size
        t2 = time.perf_counter()
        report_from_sources([folder], Path(tmp) / "end-to-end.html", key=Path(tmp) / "key")
        end_to_end = time.perf_counter() - t2

    median = statistics.median(times)
    print(
        f"regional HTML report: median {median:.2f} s over {args.repeats} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); {size / 1e6:.1f} MB; load {load()}"
    )
    print(
        f"  CPU time (less inflated by a busy machine than the wall clock): median "
        f"{statistics.median(cpu):.2f} s"
    )
    print(f"  of which summaries: median {statistics.median(summary_times):.2f} s")
    before, before_cpu = statistics.median(unshared), statistics.median(unshared_cpu)
    print(
        f"  the same report with no work shared between its summaries (as before "
        f"summary.reusing_work): median {before:.2f} s, CPU {before_cpu:.2f} s; ratio "
        f"{median / before:.2f} (CPU {statistics.median(cpu) / before_cpu:.2f})"
    )
    print(f"  against the {TARGET_SECONDS:.0f} s target: ratio {median / TARGET_SECONDS:.2f}")
    print(f"end to end from the {files} files (read + report): {end_to_end:.2f} s")
    _print_secondary_cost(ratings, actions, examples, args.repeats)


def _model(
    ratings: pd.DataFrame,
    actions: pd.DataFrame,
    examples: pd.DataFrame,
    scope: str,
    *,
    authority: str | None = None,
    where: dict | None = None,
) -> object:
    """The report's model (before its summaries), as `write_report` builds it."""
    return _prepare(
        ratings,
        scope=scope,
        authority=authority if scope == "authority" else None,
        framework=None,
        min_group=3,
        actions=actions,
        examples=examples,
        title=None,
        named_authorities=(),
        seed=0,
        where=where,
    )


@contextlib.contextmanager
def _without_shared_work() -> object:
    """Within the block, summaries share no work (`summary.reusing_work` does nothing)."""
    real = summary.reusing_work
    summary.reusing_work = contextlib.nullcontext  # type: ignore[assignment]
    try:
        yield
    finally:
        summary.reusing_work = real


def _print_secondary_cost(
    ratings: pd.DataFrame, actions: pd.DataFrame, examples: pd.DataFrame, repeats: int
) -> None:
    """Print the cost of complementary suppression in a region's and an authority's report."""
    year = int(pd.to_datetime(ratings["held_on"]).dt.year.max())
    authority = str(ratings["authority"].dropna().astype(str).value_counts().index[0])
    for what, scope, chosen in (
        ("region report", "region", None),
        (f"authority report, {year} only", "authority", {"year": year}),
    ):
        rep = _model(ratings, actions, examples, scope, authority=authority, where=chosen)
        (full, full_cpu), (primary, primary_cpu) = _secondary_cost(rep, repeats)
        print(
            f"complementary suppression, {what}: summaries median {full:.2f} s with it "
            f"(CPU {full_cpu:.2f} s), {primary:.2f} s with primary suppression only "
            f"(CPU {primary_cpu:.2f} s); costs {full - primary:+.2f} s "
            f"(CPU {full_cpu - primary_cpu:+.2f} s), ratio {full / primary:.2f}"
        )


def _primary_only(prepared: object, min_group: int) -> tuple[np.ndarray, np.ndarray]:
    people = prepared.people()  # type: ignore[attr-defined]
    return people, people < min_group


def _secondary_cost(rep: object, repeats: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) seconds of the report's summaries with and without complementary
    suppression, each made inside `summary.reusing_work` as `write_report` makes them."""
    full: list[tuple[float, float]] = []
    primary: list[tuple[float, float]] = []
    real = summary._withhold
    try:
        for _ in range(repeats):
            for swap, times in ((real, full), (_primary_only, primary)):
                summary._withhold = swap
                rep.summaries.clear()  # type: ignore[attr-defined]
                t0, c0 = time.perf_counter(), time.process_time()
                with summary.reusing_work():
                    _summaries(rep)  # type: ignore[arg-type]
                times.append((time.perf_counter() - t0, time.process_time() - c0))
    finally:
        summary._withhold = real

    def median(times: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(t for t, _ in times), statistics.median(c for _, c in times)

    return median(full), median(primary)


if __name__ == "__main__":
    main()
