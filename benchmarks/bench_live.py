"""Load test for live voting: N simultaneous voters (default 30) on one laptop, over loopback.

Each voter is a real websocket client speaking the Jupyter widget protocol through Voilà, the
way a phone's page does, but without a browser: 30 headless Chromium pages on this 2-core machine
spend both cores on drawing that phones do themselves, which would hide what the laptop can
serve. The server side is exactly what phones meet:
`assured_kit.live.serve` starts Voilà with preheated kernels, every voter's page runs in its own
kernel, and every tap goes through the page's own buttons and `voting.cast_vote`.

Per voter: GET the join link (Voilà runs the page in a kernel; arrivals are spread over
``--arrival`` seconds, as a room scanning a QR code), connect to that kernel's channels, ask
for the widgets' state, pick role and authority, type a label, tap "Join"; then, in each wave,
all voters tap a rating at the same moment. The script prints:

- votes lost: taps with no stored answer for that voter and value (must be 0);
- tap -> stored answer: from sending the tap to the answer's ``recorded_at`` in the file
  (median, 95th percentile, max), and tap -> the page's "Saved" confirmation coming back;
- join time (link opened -> join form ready), as a room of N arriving at once sees it;
- memory per voter: each page's kernel, RSS and USS (psutil), plus the server process;
- baseline (same run): in-process `Workshop.record` on the same file, and the p95 ratio.

Every wait is bounded. Exit status 1 if any vote is lost.

Run: ``.venv/bin/python benchmarks/bench_live.py [--voters 30] [--waves 3] [--preheat 4]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import socket
import statistics
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import websockets

from assured_kit.live import serve
from assured_kit.store import Workshop

QUESTION = "LA-DCS-1"
LABELS = {1: "1 · Not confident", 2: "2 · Slightly confident", 3: "3 · Partly confident",
          4: "4 · Mostly confident", 5: "5 · Fully confident"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Voter:
    """One phone: a widget-protocol client of its own kernel, through Voilà."""

    def __init__(self, number: int, url: str, timeout: float) -> None:
        self.number = number
        self.label = f"Voter {number:02d}"
        self.url = url
        self.timeout = timeout
        self.session = uuid.uuid4().hex
        self.models: dict[str, dict[str, Any]] = {}
        self.changed = asyncio.Event()
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.kernel_id = ""
        self.opened_at = ""

    # -- protocol ------------------------------------------------------------------------

    def _message(self, msg_type: str, content: dict[str, Any], **metadata: Any) -> str:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench",
                  "session": self.session, "date": "", "version": "5.3"}
        return json.dumps({"header": header, "parent_header": {}, "metadata": metadata,
                           "content": content, "buffers": [], "channel": "shell"})

    async def _read(self) -> None:
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
                elif data.get("method") == "update_states":
                    for model_id, state in data.get("states", {}).items():
                        self.models.setdefault(model_id, {}).update(state.get("state", {}))
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
        for model_id, state in self.models.items():
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
            "comm_id": model_id,
            "data": {"method": "custom", "content": {"event": "click"}},
        }))

    # -- a voter's steps -------------------------------------------------------------------

    async def open(self, base_ws: str, delay: float = 0.0) -> float:
        await asyncio.sleep(delay)
        start = time.perf_counter()
        self.opened_at = time.strftime("%H:%M:%S")
        page = await asyncio.to_thread(
            lambda: urllib.request.urlopen(self.url, timeout=self.timeout).read().decode()
        )
        match = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page)
        if not match:
            raise RuntimeError(f"{self.label}: the page named no kernel")
        self.kernel_id = match.group(1)
        self.ws = await websockets.connect(
            f"{base_ws}api/kernels/{self.kernel_id}/channels?session_id={self.session}",
            max_size=2**24, open_timeout=self.timeout,
        )
        self.reader = asyncio.create_task(self._read())
        control = uuid.uuid4().hex
        await self.ws.send(self._message("comm_open", {
            "comm_id": control, "target_name": "jupyter.widget.control", "data": {},
        }, version="1.0.0"))
        await self.ws.send(self._message("comm_msg", {
            "comm_id": control, "data": {"method": "request_states"},
        }, version="1.0.0"))
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
        await self._click(button)
        await self._until(lambda: self._saved(label))
        return tapped, time.perf_counter() - start

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


def kernels_of(pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
    return found


def memory_mib(procs: list[psutil.Process], kernel_ids: set[str] | None = None
               ) -> list[tuple[float, float]]:
    """RSS and USS (MiB) of kernels, optionally only those with the given kernel ids."""
    out = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            if kernel_ids is not None and not any(k in " ".join(p.cmdline())
                                                  for k in kernel_ids):
                continue
            info = p.memory_full_info()
            out.append((info.rss / 2**20, info.uss / 2**20))
    return out


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


async def run(n: int, waves: int, preheat: int, timeout: float, arrival: float) -> int:
    # One thread per voter for the page requests, so no voter queues behind another.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=n))
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    path = folder / "bench.workshop.sqlite"
    with Workshop.create(path, title="Live voting load test", anonymity="pseudonymous") as ws:
        ws.set_session(question_id=QUESTION)
    server = serve(path, port=free_port(), wait=False, preheat=preheat)
    assert server is not None
    base_ws = server.base_url.replace("http://", "ws://")
    voters = [Voter(i, server.url, timeout) for i in range(n)]
    taps: list[tuple[str, int, float]] = []
    confirmations: list[float] = []
    try:
        deadline = time.monotonic() + 120  # let the preheated pool fill, as before a session
        while len(kernels_of(server.process.pid)) < preheat and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        server_before = psutil.Process(server.process.pid).memory_info().rss / 2**20
        started = time.perf_counter()
        opened = await asyncio.gather(*(
            v.open(base_ws, arrival * v.number / max(1, n - 1)) for v in voters
        ), return_exceptions=True)
        failed = [(v.label, v.opened_at, repr(r)) for v, r in zip(voters, opened, strict=True)
                  if isinstance(r, BaseException)]
        if failed:
            print(f"pages that never loaded: {failed}; server log: {server.log_path}")
            raise RuntimeError("a page did not load")
        join_times = [float(t) for t in opened]
        await asyncio.gather(*(v.join() for v in voters))
        all_joined = time.perf_counter() - started
        for wave in range(waves):
            values = [1 + (v.number + wave) % 5 for v in voters]
            results = await asyncio.gather(*(v.tap(x) for v, x in zip(voters, values,
                                                                        strict=True)))
            for v, x, (tapped, confirmed) in zip(voters, values, results, strict=True):
                taps.append((v.label, x, tapped))
                confirmations.append(confirmed)
        kernels = memory_mib(kernels_of(server.process.pid))
        page_kernels = memory_mib(kernels_of(server.process.pid), {v.kernel_id for v in voters})
        server_after = psutil.Process(server.process.pid).memory_info().rss / 2**20
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
    base = baseline_record(path, 200)
    rss = [r for r, _ in page_kernels]
    uss = [u for _, u in page_kernels]
    print(f"voters: {n} simultaneous (websocket clients speaking the Jupyter widget protocol "
          f"through Voila, one kernel each); waves: {waves}; taps: {len(taps)}; "
          f"preheated kernels: {preheat}")
    print(f"votes lost: {lost}")
    if latencies:
        print(f"tap -> stored answer: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {pct(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    print(f"tap -> 'Saved' back on the page: median "
          f"{statistics.median(confirmations) * 1000:.0f} ms, p95 "
          f"{pct(confirmations, 95) * 1000:.0f} ms")
    print(f"join link opened -> join form ready: median {statistics.median(join_times):.1f} s, "
          f"p95 {pct(join_times, 95):.1f} s; arrivals spread over {arrival:.0f} s, all {n} "
          f"joined {all_joined:.1f} s after the first opened the link")
    print(f"memory per voter (the page's kernel, {len(page_kernels)} measured): RSS median "
          f"{statistics.median(rss):.0f} MiB (max {max(rss):.0f}), USS median "
          f"{statistics.median(uss):.0f} MiB; all {len(kernels)} kernels incl. "
          f"{len(kernels) - len(page_kernels)} preheated spares: "
          f"{sum(r for r, _ in kernels):.0f} MiB RSS, {sum(u for _, u in kernels):.0f} MiB USS; "
          f"Voila server {server_before:.0f} -> {server_after:.0f} MiB RSS")
    print(f"baseline, in-process Workshop.record on the same file: median "
          f"{statistics.median(base) * 1000:.1f} ms, p95 {pct(base, 95) * 1000:.1f} ms; "
          f"p95 ratio live / in-process: {pct(latencies, 95) / pct(base, 95):.0f}"
          if latencies else "no latencies measured")
    return 1 if lost else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=30)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--preheat", type=int, default=4)
    parser.add_argument("--arrival", type=float, default=30.0,
                        help="seconds over which voters open the join link (0: all at once)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds any single wait may take (default 300)")
    args = parser.parse_args()
    return asyncio.run(run(args.voters, args.waves, args.preheat, args.timeout, args.arrival))


if __name__ == "__main__":
    raise SystemExit(main())
