"""Load test for live voting: a hall of voters (default 200) on one laptop, over loopback only.

Each voter is a protocol client that does what a phone's page does, without drawing it: GET the
join link (the gate checks the code and sets its cookies), open the page's websocket to the
Solara server, ask Solara to run the page (its ``solara.control`` "run" message, as the page's
own script sends), then use the page's own widgets over the Jupyter widget protocol: pick role
and authority, type a label, tap "Join". Taps go as the page's script sends them (``--tap
post``, the default): a POST to the gate's tap address on the voter's own kept-alive
connection, with the page's cookies and origin; ``--tap widget`` clicks the button over the
widget protocol instead (the road taps take without the script). Headless Chromium pages would
spend both cores of this machine drawing what phones draw themselves; the browser tests cover
real pages.

Phases, each bounded in time and count, all traffic to 127.0.0.1:

1. **Arrivals**: N voters open the link spread over ``--arrival`` seconds (a hall scanning the
   QR code), with a few real Chromium pages among them (``--chromium``, default 3): join form
   ready, median and p95 (target p95 <= 3 s). Then everyone joins.
2. **Waves**: ``--waves`` times, every voter taps at the same moment: votes lost (target 0),
   tap -> answer stored in the file (its ``recorded_at``; target p95 <= 500 ms) and tap ->
   "Saved" back on the page.
3. **Memory**: the server's RSS and USS before the first voter and with all N on their voting
   pages, per voter (target <= 5 MiB each).
4. **Burst** (a fresh server): N voters open the link in the same second: every join form
   ready within 30 s.
5. **Refusals** (the same server, voters gone): 1,000 requests with wrong codes; the server's
   memory afterwards (target within 20 MiB of before) and a real voter's join form during them
   (target within 2 s).

Baseline measured in the same run: in-process `Workshop.record` on the same file (p95 ratio).
The per-address page-load limit is raised for the run, since every client here shares one
address (in a hall each phone has its own), and the session cap is 215 (the warm-up page and
the Chromium pages count as sessions too). Exit status 1 if any vote is lost or a page fails.

Run: ``.venv/bin/python benchmarks/bench_live.py [--voters 200] [--waves 3] [--arrival 20]``
and report ``cat /proc/loadavg`` beside the figures. ``--profile DIR`` samples the server with
py-spy (when installed: ``pip install py-spy``) during the arrivals and during the waves, writes
the stacks to DIR and prints the functions the server spent most time in.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import http.cookiejar
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import websockets

from assured_kit.gate import Limits
from assured_kit.live import start_server
from assured_kit.store import Workshop

QUESTION = "LA-DCS-1"
LABELS = {1: "1 · Not confident", 2: "2 · Slightly confident", 3: "3 · Partly confident",
          4: "4 · Mostly confident", 5: "5 · Fully confident"}
# Every client here shares one address (in a hall each phone has its own), and the warm-up page
# still counts as a session until it is culled: raise those two limits for the run.
BENCH_LIMITS = Limits(max_sessions=215, loads_per_address=(100_000, 1000.0), cull_seconds=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().strip()
    return "unknown"


class Voter:
    """One phone: an HTTP and widget-protocol client of the page server."""

    def __init__(self, number: int, url: str, timeout: float) -> None:
        self.number = number
        self.label = f"Voter {number:03d}"
        self.url = url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.kernel_id = str(uuid.uuid4())
        self.page_id = str(uuid.uuid4())
        self.session = uuid.uuid4().hex
        self.models: dict[str, dict[str, Any]] = {}
        self.changed = asyncio.Event()
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.http: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.via = "post"

    # -- protocol ------------------------------------------------------------------------

    def _message(self, msg_type: str, content: dict[str, Any]) -> str:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench",
                  "session": self.session, "date": "", "version": "5.3"}
        return json.dumps({"header": header, "parent_header": {}, "metadata": {},
                           "content": content, "buffers": [], "channel": "shell"})

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                if not isinstance(raw, str):
                    continue
                msg = json.loads(raw)
                kind = msg.get("header", {}).get("msg_type")
                content = msg.get("content", {})
                if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
                    self.models[content["comm_id"]] = dict(content["data"].get("state", {}))
                elif kind == "comm_msg":
                    data = content.get("data", {})
                    if data.get("method") == "update" and content["comm_id"] in self.models:
                        self.models[content["comm_id"]].update(data.get("state", {}))
                elif kind == "comm_close":
                    self.models.pop(content.get("comm_id"), None)
                self.changed.set()

    async def _until(self, predicate) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            found = predicate()
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.label}: waited {self.timeout:.0f} s")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))

    def _find(self, name: str, **match: Any) -> str | None:
        for model_id, state in list(self.models.items()):
            if state.get("_model_name") != name:
                continue
            if all(state.get(k) == v for k, v in match.items()):
                return model_id
        return None

    async def _update(self, model_id: str, state: dict[str, Any]) -> None:
        await self.ws.send(self._message("comm_msg", {
            "comm_id": model_id, "data": {"method": "update", "state": state, "buffer_paths": []},
        }))

    async def _click(self, model_id: str) -> None:
        await self.ws.send(self._message("comm_msg", {
            "comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}},
        }))

    # -- a voter's steps -------------------------------------------------------------------

    def _get_page(self) -> tuple[int, str]:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        try:
            with opener.open(self.url, timeout=self.timeout) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    async def open(self, delay: float = 0.0) -> float:
        """Open the join link; return seconds until the join form's widgets arrived."""
        await asyncio.sleep(delay)
        start = time.perf_counter()
        status, _ = await asyncio.to_thread(self._get_page)
        if status != 200:
            raise RuntimeError(f"{self.label}: the page answered {status}")
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        host = self.url.split("//", 1)[1].split("/", 1)[0]
        self.ws = await websockets.connect(
            f"ws://{host}/jupyter/api/kernels/{self.kernel_id}/channels"
            f"?session_id={self.page_id}",
            additional_headers={"Cookie": cookies}, max_size=2**24,
            open_timeout=self.timeout, ping_interval=None,
        )
        self.reader = asyncio.create_task(self._read())
        control = uuid.uuid4().hex
        await self.ws.send(self._message("comm_open", {
            "comm_id": control, "target_name": "solara.control", "data": {},
        }))
        path = "/?" + self.url.split("?", 1)[1]
        await self.ws.send(self._message("comm_msg", {
            "comm_id": control,
            "data": {"method": "run", "args": {"path": path, "appName": None,
                                               "themes": None, "dark": False}},
        }))
        await self._until(lambda: self._find("ButtonModel", description="Join"))
        return time.perf_counter() - start

    async def join(self) -> None:
        role = await self._until(lambda: self._find("ToggleButtonsModel"))
        labels = self.models[role]["_options_labels"]
        await self._update(role, {"index": labels.index("Another senior officer")})
        authority = self._find("DropdownModel")
        await self._update(authority, {"index": self.models[authority]["_options_labels"]
                                       .index("Derby")})
        text = self._find("TextModel")
        await self._update(text, {"value": self.label})
        await self._click(self._find("ButtonModel", description="Join"))
        await self._until(lambda: all(self._find("ButtonModel", description=text)
                                      for text in [*LABELS.values(), "Don't know"])
                          and any("tap your answer" in str(m.get("value", ""))
                                  for m in self.models.values()))

    async def post_tap(self, value: int) -> int:
        """Send a tap as the page's script does (POST /_ak/tap); return the HTTP status."""
        host = self.url.split("//", 1)[1].split("/", 1)[0]
        if self.http is None:
            name, port = host.rsplit(":", 1)
            self.http = await asyncio.open_connection(name, int(port))
        reader, writer = self.http
        shown = next(str(m["value"]) for m in self.models.values()
                     if "data-ak-question" in str(m.get("value", "")))
        question = shown.split('data-ak-question="', 1)[1].split('"', 1)[0]
        rnd = int(shown.split('data-ak-round="', 1)[1].split('"', 1)[0])
        body = json.dumps({"kernel": self.kernel_id, "voter": self.token(), "question": question,
                           "round": rnd, "value": value}).encode()
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        writer.write((f"POST /_ak/tap HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
                      f"Cookie: {cookies}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, rest = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(rest)
        await reader.readexactly(length)
        return status

    def token(self) -> str:
        return next(str(m["value"]).split('data-ak-voter="', 1)[1].split('"', 1)[0]
                    for m in self.models.values() if "data-ak-voter" in str(m.get("value", "")))

    def _saved(self, label: str) -> bool:
        return any(f"Saved: {label}" in str(s.get("value", "")) for s in self.models.values()
                   if s.get("_model_name") == "HTMLModel")

    async def tap(self, value: int) -> tuple[float, float]:
        """Tap a rating; return (wall time of the tap, seconds until 'Saved' came back)."""
        label = LABELS[value]
        button = await self._until(lambda: self._find("ButtonModel", description=label)
                                   or self._find("ButtonModel", description=f"✓ {label}"))
        tapped = time.time()
        start = time.perf_counter()
        if self.via == "post":
            status = await self.post_tap(value)
            if status != 200:
                raise RuntimeError(f"{self.label}: the tap answered {status}")
        else:
            await self._click(button)
        await self._until(lambda: self._saved(label))
        return tapped, time.perf_counter() - start

    async def close(self) -> None:
        if self.http is not None:
            self.http[1].close()
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


def chromium_joins(url: str, count: int, spread: float, timeout: float) -> list[float]:
    """Open the join link in ``count`` real Chromium pages (390 px) during the arrivals.

    Returns seconds from opening the link to the join form being shown, one per page.
    """
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from browser import chromium_browser

    times = []
    with chromium_browser() as browser:
        for _ in range(count):
            time.sleep(spread / max(1, count))
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url, timeout=timeout * 1000)
            page.wait_for_selector("button:has-text('Join')", timeout=timeout * 1000)
            times.append(time.perf_counter() - start)
    return times


@contextlib.contextmanager
def sampled(pid: int, folder: Path | None, name: str):
    """Sample the server's stacks with py-spy while the block runs (nothing without ``folder``)."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if folder is None or spy is None:
        if folder is not None:
            print("py-spy is not installed: no profile")
        yield
        return
    out = folder / f"{name}.txt"
    process = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate",
                                "100", "--nonblocking", "--output", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)
    if out.exists():
        print(f"profile of the {name} ({out}), share of samples:")
        for line in summary(out.read_text().splitlines()):
            print("  " + line)


def summary(lines: list[str], top: int = 12) -> list[str]:
    """The functions most often on the stack in py-spy's raw output (folded stacks)."""
    inside: collections.Counter[str] = collections.Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            if "assured_kit" in frame or "solara" in frame or "ipywidgets" in frame:
                inside[frame] += int(count)
    return [f"{n / max(1, total):5.1%} {frame}" for frame, n in inside.most_common(top)]


def memory_mib(pid: int) -> tuple[float, float]:
    info = psutil.Process(pid).memory_full_info()
    return info.rss / 2**20, info.uss / 2**20


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


def new_workshop(folder: Path, name: str) -> Path:
    path = folder / f"{name}.workshop.sqlite"
    with Workshop.create(path, title="Live voting load test", anonymity="pseudonymous") as ws:
        ws.set_session(question_id=QUESTION)
    return path


async def settle(pid: int, seconds: float = 3.0) -> tuple[float, float]:
    await asyncio.sleep(seconds)
    return memory_mib(pid)


async def open_all(voters: list[Voter], spread: float) -> tuple[list[float], list[str]]:
    n = len(voters)
    results = await asyncio.gather(*(
        v.open(spread * v.number / max(1, n - 1)) for v in voters
    ), return_exceptions=True)
    failed = [f"{v.label}: {r!r}" for v, r in zip(voters, results, strict=True)
              if isinstance(r, BaseException)]
    return [float(r) for r in results if not isinstance(r, BaseException)], failed


async def hall(n: int, waves: int, timeout: float, arrival: float, folder: Path,
               chromium: int = 0, via: str = "post", profile: Path | None = None) -> dict:
    """Phases 1-3: arrivals (with ``chromium`` real pages among them), waves, memory."""
    path = new_workshop(folder, "hall")
    server = start_server(path, port=free_port(), limits=BENCH_LIMITS)
    voters = [Voter(i, server.vote_url, timeout) for i in range(n)]
    for v in voters:
        v.via = via
    taps: list[tuple[str, int, float]] = []
    confirmations: list[float] = []
    out: dict[str, Any] = {"log": server.log_path}
    try:
        warm = Voter(9999, server.vote_url, timeout)  # the first page pays one-off imports
        await warm.open()
        await warm.close()
        before = await settle(server.process.pid, 5)
        joins_cpu = sum(psutil.Process(server.process.pid).cpu_times()[:2])
        started = time.perf_counter()
        browsers = asyncio.create_task(asyncio.to_thread(
            chromium_joins, server.vote_url, chromium, arrival, timeout
        )) if chromium else None
        with sampled(server.process.pid, profile, "arrivals"):
            out["join"], out["failed"] = await open_all(voters, arrival)
            out["chromium"] = await browsers if browsers is not None else []
            if out["failed"]:
                return out
            await asyncio.gather(*(v.join() for v in voters))
        out["all_joined"] = time.perf_counter() - started
        out["join_cpu"] = sum(psutil.Process(server.process.pid).cpu_times()[:2]) - joins_cpu
        cpu_before = sum(psutil.Process(server.process.pid).cpu_times()[:2])
        with sampled(server.process.pid, profile, "waves"):
            for wave in range(waves):
                values = [1 + (v.number + wave) % 5 for v in voters]
                results = await asyncio.gather(*(v.tap(x) for v, x in zip(voters, values,
                                                                            strict=True)))
                for v, x, (tapped, confirmed) in zip(voters, values, results, strict=True):
                    taps.append((v.label, x, tapped))
                    confirmations.append(confirmed)
        out["wave_cpu"] = sum(psutil.Process(server.process.pid).cpu_times()[:2]) - cpu_before
        after = await settle(server.process.pid, 3)
        out["memory"] = (before, after)
    finally:
        for v in voters:
            with contextlib.suppress(Exception):
                await v.close()
        server.stop()
    records = stored_answers(path)
    latencies, lost = [], 0
    for label, value, tapped in taps:
        mine = records[(records["label"] == label) & (records["rating"] == value)
                       & (records["at"] >= pd.Timestamp(tapped - 1, unit="s", tz="UTC"))]
        if mine.empty:
            lost += 1
        else:
            latencies.append(max(0.0, mine["at"].iloc[0].timestamp() - tapped))
    out.update(taps=len(taps), lost=lost, stored=latencies, saved=confirmations,
               baseline=baseline_record(path, 200))
    return out


def wrong_code(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def burst_and_refusals(n: int, timeout: float, folder: Path) -> dict:
    """Phases 4-5 on a fresh server."""
    path = new_workshop(folder, "burst")
    server = start_server(path, port=free_port(), limits=BENCH_LIMITS)
    out: dict[str, Any] = {"log": server.log_path}
    voters = [Voter(i, server.vote_url, timeout) for i in range(n)]
    try:
        warm = Voter(9999, server.vote_url, timeout)
        await warm.open()
        await warm.close()
        started = time.perf_counter()
        out["burst"], out["burst_failed"] = await open_all(voters, 1.0)
        out["burst_all"] = time.perf_counter() - started
        for v in voters:
            with contextlib.suppress(Exception):
                await v.close()
        # Let the closed pages be culled before measuring the refusals.
        await asyncio.sleep(BENCH_LIMITS.cull_seconds + 5)
        before = await settle(server.process.pid, 2)
        base = server.base_url
        urls = [f"{base}?code=guess{i:04d}" for i in range(1000)]
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(max_workers=16)
        refusals = [loop.run_in_executor(pool, wrong_code, u) for u in urls]
        await asyncio.sleep(0.5)  # the flood is under way
        real = Voter(5000, server.vote_url, timeout)
        out["real_join"] = await real.open()
        statuses = await asyncio.gather(*refusals)
        await real.close()
        out["refused"] = sum(1 for s in statuses if s == 403)
        out["refusal_memory"] = (before, await settle(server.process.pid, 2))
    finally:
        server.stop()
    return out


async def run(n: int, waves: int, timeout: float, arrival: float, chromium: int,
              via: str = "post", profile: Path | None = None) -> int:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    print(f"load average at start: {loadavg()}")
    first = await hall(n, waves, timeout, arrival, folder, chromium, via, profile)
    if first.get("failed"):
        print(f"pages that never loaded ({len(first['failed'])}): {first['failed'][:5]}; "
              f"server log: {first['log']}")
        return 1
    second = await burst_and_refusals(n, timeout, folder)
    stored, saved, join, base = first["stored"], first["saved"], first["join"], first["baseline"]
    (rss0, uss0), (rss1, uss1) = first["memory"]
    print(f"voters: {n} protocol clients (HTTP + Jupyter widget protocol, as a page's script); "
          f"waves: {waves}; taps: {first['taps']}, sent "
          f"{'to the tap address' if via == 'post' else 'as widget clicks'}")
    print(f"arrivals over {arrival:.0f} s: join form ready median {statistics.median(join):.2f} "
          f"s, p95 {pct(join, 95):.2f} s, max {max(join):.2f} s (target p95 <= 3 s); all "
          f"joined {first['all_joined']:.1f} s after the first opened the link; server CPU "
          f"{first['join_cpu'] / (n + chromium) * 1000:.0f} ms a voter (page, join form, join)")
    if first["chromium"]:
        print(f"real Chromium pages among the arrivals: join form shown in "
              f"{', '.join(f'{t:.1f}' for t in first['chromium'])} s")
    print(f"votes lost: {first['lost']} (target 0)")
    if stored:
        print(f"tap -> stored answer: median {statistics.median(stored) * 1000:.0f} ms, p95 "
              f"{pct(stored, 95) * 1000:.0f} ms, max {max(stored) * 1000:.0f} ms "
              "(target p95 <= 500 ms)")
    print(f"tap -> 'Saved' back on the page: median {statistics.median(saved) * 1000:.0f} ms, "
          f"p95 {pct(saved, 95) * 1000:.0f} ms; server CPU for the waves "
          f"{first['wave_cpu']:.1f} s ({first['wave_cpu'] / first['taps'] * 1000:.0f} ms a tap)")
    print(f"server memory: RSS {rss0:.0f} -> {rss1:.0f} MiB, USS {uss0:.0f} -> {uss1:.0f} MiB; "
          f"per voter RSS {(rss1 - rss0) / n:.2f} MiB, USS {(uss1 - uss0) / n:.2f} MiB "
          "(target <= 5 MiB)")
    burst = second["burst"]
    if burst:
        print(f"all {n} in the same second: join forms ready {len(burst)}/{n}, median "
              f"{statistics.median(burst):.1f} s, max {max(burst):.1f} s (target: all within "
              f"30 s); failures: {len(second['burst_failed'])}")
    (r0, u0), (r1, u1) = second["refusal_memory"]
    print(f"1,000 wrong-code requests: {second['refused']} refused with 403; server RSS "
          f"{r0:.0f} -> {r1:.0f} MiB ({r1 - r0:+.1f}), USS {u0:.0f} -> {u1:.0f} MiB "
          f"({u1 - u0:+.1f}) (target within 20 MiB); a real join form meanwhile in "
          f"{second['real_join']:.2f} s (target <= 2 s)")
    if stored:
        print(f"baseline, in-process Workshop.record on the same file: median "
              f"{statistics.median(base) * 1000:.1f} ms, p95 {pct(base, 95) * 1000:.1f} ms; "
              f"p95 ratio live / in-process: {pct(stored, 95) / pct(base, 95):.0f}")
    print(f"load average at end: {loadavg()}")
    failed = first["lost"] or second["burst_failed"]
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--arrival", type=float, default=20.0,
                        help="seconds over which voters open the join link")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds any single wait may take (default 120)")
    parser.add_argument("--chromium", type=int, default=3,
                        help="real Chromium pages among the arrivals (0: none)")
    parser.add_argument("--tap", choices=["post", "widget"], default="post",
                        help="send taps as the page's script does (post) or as widget clicks")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for py-spy profiles of the server (arrivals, waves)")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    return asyncio.run(run(args.voters, args.waves, args.timeout, args.arrival, args.chromium,
                           args.tap, args.profile))


if __name__ == "__main__":
    raise SystemExit(main())
