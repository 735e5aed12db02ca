"""Load test for live voting: N simultaneous voters in real Chromium pages (default 30).

What it does, all on loopback:

1. Creates a workshop, opens a question, and starts the live-voting server with
   `assured_kit.live.serve` (Voilà, preheated kernels) on a free port.
2. Opens N Playwright browser contexts (one per "phone", 390 x 844 pixels) in Debian's
   Chromium; all load the join link at the same moment, join (role, authority, label) and wait
   for the voting view.
3. Runs several tap waves: in each, every voter taps a rating at the same moment
   (``asyncio.gather``); the script records each tap's wall-clock time and reads the stored
   answer's ``recorded_at`` from the workshop file.
4. Prints: votes lost (taps without a stored ``answer.record`` event for that voter and value;
   must be 0), tap-to-stored latency (median, 95th percentile, max), time to the page's "Saved"
   confirmation, join time, and memory per voter (each page's kernel: RSS and USS via psutil).
   As a baseline measured in the same run, it prints the in-process `Workshop.record` latency
   on the same file and the ratio of the two 95th percentiles.

Every wait is bounded; the script exits non-zero if any vote is lost.

Run: ``.venv/bin/python benchmarks/bench_live.py [--voters 30] [--waves 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from assured_kit.live import serve
from assured_kit.store import Workshop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "LA-DCS-1"
RATINGS = {1: "Not confident", 2: "Slightly confident", 3: "Partly confident",
           4: "Mostly confident", 5: "Fully confident"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def kernels_of(server_pid: int) -> list[psutil.Process]:
    procs = []
    for child in psutil.Process(server_pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ipykernel" in " ".join(child.cmdline()):
                procs.append(child)
    return procs


def memory(procs: list[psutil.Process]) -> list[tuple[float, float]]:
    out = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            info = p.memory_full_info()
            out.append((info.rss / 2**20, info.uss / 2**20))
    return out


async def join_all(browser, url: str, n: int, timeout_ms: int) -> tuple[list, list[float]]:
    pages, contexts = [], []
    for _ in range(n):
        ctx = await browser.new_context(viewport={"width": 390, "height": 844})
        contexts.append(ctx)
        pages.append(await ctx.new_page())

    async def open_and_join(i: int, page) -> float:
        start = time.perf_counter()
        await page.goto(url, timeout=timeout_ms)
        await page.wait_for_selector("button:has-text('Join')", timeout=timeout_ms)
        loaded = time.perf_counter() - start
        await page.click("text=Another senior officer")
        await page.select_option("select", "Derby")
        await page.fill("input[type=text]", f"Voter {i:02d}")
        await page.click("button:has-text('Join')")
        await page.wait_for_selector("text=tap your answer", timeout=timeout_ms)
        return loaded

    loaded = await asyncio.gather(*(open_and_join(i, p) for i, p in enumerate(pages)))
    return pages, list(loaded)


async def tap_wave(pages, values: list[int], timeout_ms: int) -> tuple[list[float], list[float]]:
    """Every page taps its value at once; return tap wall times and seconds to 'Saved'."""
    taps = [0.0] * len(pages)
    saved = [0.0] * len(pages)

    async def tap(i: int, page, value: int) -> None:
        button = page.locator(f"button:has-text('{value} · {RATINGS[value]}')")
        await button.wait_for(timeout=timeout_ms)
        expected = f"Saved: {value} · {RATINGS[value]}"
        taps[i] = time.time()
        start = time.perf_counter()
        await button.click(timeout=timeout_ms)
        await page.wait_for_function(
            "t => Array.from(document.querySelectorAll('.ak-saved'))"
            ".some(e => e.textContent.includes(t))",
            arg=expected,
            timeout=timeout_ms,
        )
        saved[i] = time.perf_counter() - start

    await asyncio.gather(*(tap(i, p, v) for i, (p, v) in enumerate(zip(pages, values,
                                                                     strict=True))))
    return taps, saved


def stored_answers(path: Path) -> pd.DataFrame:
    with Workshop.open(path) as ws:
        history = ws.history()
        people = ws.respondents()
    records = history[history["kind"] == "answer.record"].copy()
    records["respondent_id"] = [d["respondent_id"] for d in records["detail"]]
    records["rating"] = [d["rating"] for d in records["detail"]]
    labels = dict(zip(people["respondent_id"], people["label"], strict=True))
    records["label"] = records["respondent_id"].map(labels)
    return records


def baseline_record(path: Path, n: int) -> list[float]:
    times = []
    with Workshop.open(path) as ws:
        rid = ws.add_respondent("Baseline", role="Officer")
        for i in range(n):
            start = time.perf_counter()
            ws.record(rid, QUESTION, 1 + i % 5)
            times.append(time.perf_counter() - start)
    return times


async def run(voters: int, waves: int, preheat: int, timeout_s: float) -> int:
    from playwright.async_api import async_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    path = folder / "bench.workshop.sqlite"
    with Workshop.create(path, title="Live voting load test", anonymity="pseudonymous") as ws:
        ws.set_session(question_id=QUESTION)
    port = free_port()
    server = serve(path, port=port, wait=False, preheat=preheat)
    assert server is not None
    timeout_ms = int(timeout_s * 1000)
    code = 0
    try:
        time.sleep(3)  # let the preheated pool fill, as it would before a room joins
        idle = memory(kernels_of(server.process.pid))
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            t0 = time.perf_counter()
            pages, loaded = await join_all(browser, server.url, voters, timeout_ms)
            joined_all = time.perf_counter() - t0
            per_kernel = memory(kernels_of(server.process.pid))
            tapped: list[tuple[str, int, float]] = []
            saved_times: list[float] = []
            for wave in range(waves):
                values = [1 + (i + wave) % 5 for i in range(voters)]
                taps, saved = await tap_wave(pages, values, timeout_ms)
                tapped += [(f"Voter {i:02d}", v, t) for i, (v, t) in enumerate(zip(values, taps,
                                                                                   strict=True))]
                saved_times += saved
            after = memory(kernels_of(server.process.pid))
            await browser.close()
    finally:
        server.stop()

    records = stored_answers(path)
    latencies, lost = [], 0
    for label, value, tap_time in tapped:
        mine = records[(records["label"] == label) & (records["rating"] == value)]
        mine = mine[mine["at"] >= pd.Timestamp(tap_time - 1, unit="s", tz="UTC")]
        if mine.empty:
            lost += 1
            continue
        at = mine["at"].iloc[0].timestamp()
        latencies.append(max(0.0, at - tap_time))
    base = baseline_record(path, 200)

    rss = [r for r, _ in after]
    uss = [u for _, u in after]
    print(f"voters: {voters}, tap waves: {waves}, taps: {len(tapped)}, preheated kernels: "
          f"{preheat} (real Chromium pages via Playwright, one context per voter)")
    print(f"votes lost: {lost}")
    print(f"tap -> stored answer: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {pct(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    print(f"tap -> 'Saved' shown on the page: median {statistics.median(saved_times) * 1000:.0f} "
          f"ms, p95 {pct(saved_times, 95) * 1000:.0f} ms")
    print(f"join page loaded: median {statistics.median(loaded):.1f} s, p95 "
          f"{pct(loaded, 95):.1f} s; all {voters} joined within {joined_all:.1f} s")
    print(f"kernels: {len(idle)} idle before joining, {len(per_kernel)} after, {len(after)} at end")
    print(f"memory per voter (kernel): RSS median {statistics.median(rss):.0f} MiB, "
          f"USS median {statistics.median(uss):.0f} MiB; all kernels together "
          f"{sum(rss):.0f} MiB RSS, {sum(uss):.0f} MiB USS")
    print(f"baseline Workshop.record in-process: median {statistics.median(base) * 1000:.1f} ms, "
          f"p95 {pct(base, 95) * 1000:.1f} ms; ratio of p95s (live / in-process) "
          f"{pct(latencies, 95) / pct(base, 95):.1f}")
    if lost:
        code = 1
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=30)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--preheat", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=240.0,
                        help="seconds any single wait may take")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"Chromium is missing at {CHROMIUM}; install Debian's chromium", file=sys.stderr)
        return 2
    return asyncio.run(run(args.voters, args.waves, args.preheat, args.timeout))


if __name__ == "__main__":
    raise SystemExit(main())
