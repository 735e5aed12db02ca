"""Live voting: serve the voting page with Voilà, join codes, the QR code, the facilitator's panel.

Participants vote from their own phones or laptops. `serve` starts Voilà serving only the kit's
voting notebook (``notebooks/vote.ipynb``), which shows the page built by `assured_kit.voting`.
Every vote goes straight into the workshop file, so the facilitator's notebook (and its
`live_panel`) sees it on its next refresh.

Safety, in one place:

- The server listens only on the address the facilitator chooses (loopback by default).
- A page needs the workshop's join code (``?code=...``, made by `secrets.token_urlsafe`, 128
  bits); without it the page shows a refusal and nothing else. Changing the code
  (`ensure_join_code` with ``rotate=True``) shuts out every page still open with the old one.
- Voilà forwards only widget (comm) messages to a voter's kernel, never code to execute; the
  voter's page accepts only taps on its own buttons and text in its own boxes, and every write
  goes through `assured_kit.voting.cast_vote`, which checks the voter's device token, the open
  question, the round and whether voting is closed.
- Tracebacks are never shown to voters, and Voilà serves no files from the notebook folder.

Examples
--------
>>> from assured_kit.live import join_url
>>> join_url("http://192.168.1.20:8866", "s3cret-Code_1")
'http://192.168.1.20:8866/?code=s3cret-Code_1'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import ipywidgets as widgets

from .errors import AssuredKitError
from .safety import escape_html

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import pandas as pd
    from traitlets.config import Config

    from .store import Workshop

__all__ = [
    "DEFAULT_PORT",
    "ENV_WORKSHOP",
    "LivePanel",
    "LiveServer",
    "answer_count",
    "answered",
    "base_url_for",
    "ensure_join_code",
    "join_code",
    "join_url",
    "lan_address",
    "live_panel",
    "new_join_code",
    "qr_svg",
    "record_proxy",
    "retire_join_code",
    "serve",
    "voila_config",
    "vote_notebook",
]

#: The port Voilà listens on unless the facilitator chooses another.
DEFAULT_PORT = 8866
#: Environment variable through which the server tells each voter's kernel the workshop file.
ENV_WORKSHOP = "ASSURED_KIT_LIVE_WORKSHOP"
#: Key of the join code in its ``live.code`` event.
JOIN_CODE_KEY = "join_code"
_CODE_EVENT = "live.code"

_REPO_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "vote.ipynb"
_WILDCARDS = {"", "0.0.0.0", "::"}
_LINK_PREFIX = "Join link: "


# --------------------------------------------------------------------------- join codes


def new_join_code() -> str:
    """Return a fresh, unguessable join code (128 random bits, URL-safe text).

    Examples
    --------
    >>> code = new_join_code()
    >>> len(code) >= 22 and code != new_join_code()
    True
    """
    return secrets.token_urlsafe(16)


def join_code(ws: Workshop) -> str | None:
    """Return the workshop's current join code, or None when live voting has none.

    Examples
    --------
    >>> join_code(ws)  # doctest: +SKIP
    'mG3v0z1Hq2Rk9sY5bXw7Tg'
    """
    detail = _latest_live_event(ws, _CODE_EVENT)
    code = None if detail is None else detail.get(JOIN_CODE_KEY)
    return code if isinstance(code, str) and code else None


def ensure_join_code(ws: Workshop, *, rotate: bool = False, author: str = "facilitator") -> str:
    """Return the workshop's join code, making (or replacing) one when asked or missing.

    The code is kept in the workshop (an event in its log), so a restarted server and a
    re-printed QR code keep working. ``rotate=True`` replaces it: every page still open with
    the old code shows the refusal at its next refresh.

    Parameters
    ----------
    ws : Workshop
        The open workshop.
    rotate : bool, optional
        Replace an existing code with a new one.
    author : str, optional
        Who changed it, for the event log.

    Returns
    -------
    str
        The join code now in force.

    Examples
    --------
    >>> code = ensure_join_code(ws)  # doctest: +SKIP
    >>> ensure_join_code(ws) == code  # doctest: +SKIP
    True
    """
    with ws.batch():
        code = join_code(ws)
        if code is None or rotate:
            code = new_join_code()
            _append_live_event(ws, _CODE_EVENT, {JOIN_CODE_KEY: code}, author=author)
    return code


def retire_join_code(ws: Workshop, *, author: str = "facilitator") -> None:
    """End live voting for the workshop: no join code is valid any more.

    Pages still open show the refusal at their next refresh; `ensure_join_code` makes a new
    code when live voting starts again.

    Examples
    --------
    >>> retire_join_code(ws)  # doctest: +SKIP
    >>> join_code(ws) is None  # doctest: +SKIP
    True
    """
    if join_code(ws) is not None:
        _append_live_event(ws, _CODE_EVENT, {JOIN_CODE_KEY: None}, author=author)


# Live voting keeps two kinds of record in the workshop's append-only event log: the join code
# (``live.code``) and which device token speaks for which respondent (``live.device``, see
# `assured_kit.voting`). Until the store offers such records itself, these two helpers are the
# only places that reach into its event log, through its own transaction and append helpers.


def _latest_live_event(
    ws: Workshop, kind: str, *, where: tuple[str, str] | None = None
) -> dict[str, Any] | None:
    """Return the detail of the latest event of ``kind`` (optionally with detail[key] == value)."""
    sql = "SELECT subject, detail FROM events WHERE kind = ?"
    params: list[Any] = [kind]
    if where is not None:
        sql += " AND json_extract(detail, ?) = ?"
        params += [f"$.{where[0]}", where[1]]
    rows = ws._query(sql + " ORDER BY event_id DESC LIMIT 1", params)
    if not rows:
        return None
    detail = json.loads(rows[0][1])
    detail["_subject"] = rows[0][0]
    return detail


def _append_live_event(
    ws: Workshop, kind: str, detail: dict[str, Any], *, author: str, subject: str | None = None
) -> None:
    """Append one live-voting event (inside the caller's batch, if any)."""
    with ws._write() as conn:
        ws._append(conn, kind, subject or ws.workshop_id, detail, author)


def join_url(base_url: str, code: str) -> str:
    """Return the link participants open: the server's address with the join code.

    Examples
    --------
    >>> join_url("http://127.0.0.1:8866/", "abc")
    'http://127.0.0.1:8866/?code=abc'
    """
    return f"{base_url.rstrip('/')}/?code={quote(code, safe='')}"


def lan_address() -> str:
    """Return this computer's address on the local network (no packet is sent).

    Opening a UDP socket towards a private address makes the operating system choose the
    outgoing interface without sending anything; with no network at all, loopback is returned.

    Examples
    --------
    >>> import ipaddress
    >>> ipaddress.ip_address(lan_address()).version
    4
    """
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 9))
        address = s.getsockname()[0]
        if address and not address.startswith("0."):
            return str(address)
    return "127.0.0.1"


def base_url_for(host: str, port: int) -> str:
    """Return the address participants use for a server listening on ``host:port``.

    A wildcard address (``0.0.0.0``) is replaced by this computer's local-network address.

    Examples
    --------
    >>> base_url_for("127.0.0.1", 8866)
    'http://127.0.0.1:8866/'
    >>> base_url_for("::1", 9000)
    'http://[::1]:9000/'
    """
    if host in _WILDCARDS:
        host = lan_address()
    return f"http://{_bracketed(host)}:{int(port)}/"


def _bracketed(host: str) -> str:
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    return host


def qr_svg(url: str, *, scale: int = 6) -> str:
    """Return a QR code for ``url`` as inline SVG markup, made offline with segno.

    Examples
    --------
    >>> svg = qr_svg("http://127.0.0.1:8866/?code=abc")
    >>> svg.startswith("<svg") and "</svg>" in svg
    True
    """
    import segno

    code = segno.make(url, error="m", micro=False)
    return str(
        code.svg_inline(scale=scale, border=2, dark="#000000", light="#ffffff", title="Join link")
    )


# --------------------------------------------------------------------------- the server


def vote_notebook() -> Path:
    """Return the voting notebook Voilà serves.

    The repository's ``notebooks/vote.ipynb`` when the kit runs from a source checkout (or an
    editable install). An installed wheel does not carry the notebooks, so an identical thin
    notebook is written to a temporary folder instead.

    Examples
    --------
    >>> vote_notebook().name
    'vote.ipynb'
    """
    if _REPO_NOTEBOOK.is_file():
        return _REPO_NOTEBOOK
    import nbformat

    folder = Path(tempfile.mkdtemp(prefix="assured-kit-live-"))
    target = folder / "vote.ipynb"
    nbformat.write(_thin_vote_notebook(), str(target))
    return target


def _thin_vote_notebook() -> Any:
    """Build the voting notebook (the same cells as the committed ``notebooks/vote.ipynb``)."""
    import nbformat

    v4 = nbformat.v4
    nb = v4.new_notebook()
    # No markdown cell: Voilà would show it to participants, even on the refusal page.
    nb.cells = [
        v4.new_code_cell(
            "# The live-voting page, served by `assured-kit live` (Voila shows only its output).\n"
            "# Parameters: the workshop file; None means the one the server passes on.\n"
            "WORKSHOP = None",
            metadata={"tags": ["parameters"]},
        ),
        v4.new_code_cell("from assured_kit import voting"),
        v4.new_code_cell("voting.page(WORKSHOP)"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def voila_config(
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    preheat: int = 4,
    cull_idle_timeout: int = 900,
    cull_interval: int = 60,
) -> Config:
    """Return the Voilà settings `serve` uses (traitlets `Config`), for inspection and tests.

    Parameters
    ----------
    host, port : str, int
        Where Voilà listens. It never moves to another port when this one is taken.
    open_browser : bool
        Open the page in this computer's browser once started.
    preheat : int
        Kernels kept started and rendered ahead of the next participant (0 turns it off).
    cull_idle_timeout, cull_interval : int
        Seconds after which a kernel with no page connected and no activity is shut down, and
        how often that is checked.

    Examples
    --------
    >>> cfg = voila_config(port=9000, preheat=2)
    >>> cfg.Voila.port, cfg.VoilaConfiguration.default_pool_size
    (9000, 2)
    >>> cfg.VoilaConfiguration.show_tracebacks
    False
    """
    from traitlets.config import Config

    if preheat < 0:
        raise AssuredKitError(
            f"preheat must not be negative, got {preheat}",
            field="preheat",
            allowed="0 (off) or a small number of kernels such as 2 to 6",
        )
    cfg = Config()
    cfg.Voila.ip = host
    cfg.Voila.port = int(port)
    cfg.Voila.port_retries = 0
    cfg.Voila.open_browser = bool(open_browser)
    # Read no voila.json/voila.py from the working folder or the user's Jupyter config: the
    # safety settings below must be the ones in force.
    cfg.Voila.config_file_paths = []
    cfg.Voila.tornado_settings = {"serve_traceback": False}
    cfg.Voila.log_format = "%(asctime)s [%(name)s]%(highlevel)s %(message)s"
    cfg.Voila.log_datefmt = "%H:%M:%S"
    cfg.VoilaConfiguration.show_tracebacks = False
    cfg.VoilaConfiguration.strip_sources = True
    cfg.VoilaConfiguration.file_allowlist = []
    cfg.VoilaConfiguration.preheat_kernel = preheat > 0
    cfg.VoilaConfiguration.default_pool_size = int(preheat)
    # A kernel that starts slowly while a whole room joins must not fail its page: Voilà leaves
    # a page waiting for ever when a kernel misses this deadline (60 s by default).
    cfg.VoilaExecutor.startup_timeout = 300
    cfg.MappingKernelManager.cull_idle_timeout = int(cull_idle_timeout)
    cfg.MappingKernelManager.cull_interval = int(cull_interval)
    cfg.MappingKernelManager.cull_connected = False
    return cfg


def _kernel_env(workshop: Path, host: str) -> dict[str, str]:
    """Environment variables the server passes on to every voter's kernel."""
    env = {ENV_WORKSHOP: str(workshop)}
    # A preheated kernel fetches its page's query string from the server; it must call back on
    # an address the server listens on (Voilà assumes 127.0.0.1).
    env["VOILA_APP_IP"] = "127.0.0.1" if host in _WILDCARDS else _bracketed(host)
    # Let kernels import this kit even when the Python kernel spec points elsewhere.
    package_root = str(Path(__file__).resolve().parent.parent)
    paths = [package_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


@dataclass
class LiveServer:
    """A running live-voting server started by ``serve(..., wait=False)``.

    Attributes
    ----------
    process : subprocess.Popen
        The server process (Voilà and, below it, one kernel per open page).
    workshop_path : Path
        The workshop file votes go into.
    base_url : str
        The server's address as participants reach it.
    url : str
        The join link (with the join code): put it on the projector or in the QR code.
    log_path : Path
        Where the server writes its log.
    """

    process: subprocess.Popen[bytes]
    workshop_path: Path
    base_url: str
    url: str
    log_path: Path
    _log: Any = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """Stop the server and its kernels; return the process's exit status.

        Examples
        --------
        >>> server = serve("room.workshop.sqlite", wait=False)  # doctest: +SKIP
        >>> server.stop()  # doctest: +SKIP
        0
        """
        if self.running:
            # Voilà shuts its kernels down cleanly on an interrupt.
            if os.name == "nt":  # pragma: no cover - Windows
                self.process.send_signal(signal.CTRL_BREAK_EVENT)
            else:
                self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    workshop_path: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    preheat: int = 4,
    cull_idle_timeout: int = 900,
    cull_interval: int = 60,
    new_code: bool = False,
    wait: bool = True,
    ready_timeout: float = 90.0,
) -> LiveServer | None:
    """Serve the live-voting page for a workshop with Voilà.

    Voilà serves only the voting notebook, listening on ``host:port`` (loopback by default; use
    ``host="0.0.0.0"`` or the laptop's address on the venue network to let phones join), with
    preheated kernels and idle-kernel culling. The workshop path reaches every voter's kernel
    through the ``ASSURED_KIT_LIVE_WORKSHOP`` environment variable; the join code lives in the
    workshop (`ensure_join_code`) and must be in every page's address.

    Parameters
    ----------
    workshop_path : str or path-like
        An existing ``*.workshop.sqlite`` file.
    host, port : str, int, optional
        Where to listen. The port is never silently changed: a port in use is an error.
    open_browser : bool, optional
        Open the join page in this computer's browser.
    preheat : int, optional
        Kernels started and rendered ahead of time, so joining is quick (0 turns it off).
    cull_idle_timeout, cull_interval : int, optional
        Shut down kernels whose page has gone (phone asleep, tab closed) after this many idle
        seconds, checked every ``cull_interval`` seconds.
    new_code : bool, optional
        Replace the workshop's join code (old links and QR codes stop working).
    wait : bool, optional
        True (the command line): print the join link and serve until interrupted (Ctrl+C),
        then return None. False (a notebook or a test): start the server in a child process,
        wait until it answers, and return a `LiveServer` to stop it later.
    ready_timeout : float, optional
        Seconds to wait for the server to answer when ``wait=False``.

    Returns
    -------
    LiveServer or None
        The running server when ``wait=False``.

    Examples
    --------
    >>> server = serve("room.workshop.sqlite", port=8866, wait=False)  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:8866/?code=mG3v0z1Hq2Rk9sY5bXw7Tg'
    >>> server.stop()  # doctest: +SKIP
    """
    from .store import Workshop

    path = Path(workshop_path).expanduser().resolve()
    if not path.is_file():
        raise AssuredKitError(
            "the workshop file does not exist",
            file=path,
            allowed="an existing *.workshop.sqlite file",
            hint="create it first in the facilitator notebook, or check the folder",
        )
    config = voila_config(
        host=host,
        port=port,
        open_browser=open_browser,
        preheat=preheat,
        cull_idle_timeout=cull_idle_timeout,
        cull_interval=cull_interval,
    )  # validates the numbers before anything starts
    base = base_url_for(host, port)
    if not wait:
        # The child process opens the workshop, not this one: the facilitator's notebook
        # (this process) may hold the file open already, and a second handle opened and
        # closed here could release that connection's file locks (POSIX locks are per
        # process).
        return _start_child(
            path,
            host=host,
            port=port,
            base=base,
            args=[
                f"--preheat={int(preheat)}",
                f"--cull-idle-timeout={int(cull_idle_timeout)}",
                f"--cull-interval={int(cull_interval)}",
                *(["--open-browser"] if open_browser else []),
                *(["--new-code"] if new_code else []),
            ],
            ready_timeout=ready_timeout,
        )
    _settle_wal(path)
    with Workshop.open(path) as ws:  # validates the file; refuses bad ones untouched
        code = ensure_join_code(ws, rotate=new_code)
    url = join_url(base, code)
    os.environ.update(_kernel_env(path, host))
    print(f"Live voting for {path.name}\n{_LINK_PREFIX}{url}\nStop with Ctrl+C.", flush=True)
    _run_voila(vote_notebook(), config)
    return None


def _settle_wal(path: Path) -> None:
    """Copy committed pages from the write-ahead log into a workshop file (nothing else).

    A workshop another program holds open (the facilitator's notebook) may still have its
    header only in the ``-wal`` file; a passive checkpoint puts it in the main file, where
    `Workshop.open` in each voter's kernel looks for it. Done only for a file SQLite itself
    reports as a workshop (by its application id); any other file is left alone.
    """
    from .schema import APPLICATION_ID

    if not Path(f"{path}-wal").exists():
        return
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=5)
        try:
            if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()


def _poll_in_slices() -> None:
    """Make the server's kernel clients look at their sockets again at least every second.

    While a page loads, Voilà waits for each cell's reply with no time limit. On this machine,
    with many pages loading at once, about one page in thirty waited for ever although its
    kernel had answered and was idle: the wake-up for the arriving reply was lost. Waiting in
    one-second slices makes each slice look at the socket afresh, so a reply that is already
    there is read. Only the live-voting server process is changed; the time limits callers
    ask for are kept.
    """
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    original = AsyncZMQSocketChannel.get_msg
    if getattr(original, "_in_slices", False):
        return

    async def get_msg(self: Any, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            try:
                return await original(self, left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    get_msg._in_slices = True  # type: ignore[attr-defined]
    AsyncZMQSocketChannel.get_msg = get_msg  # type: ignore[method-assign]


def _run_voila(notebook: Path, config: Config) -> None:
    """Run Voilà in this process until interrupted."""
    from voila.app import Voila

    _poll_in_slices()
    app = Voila(config=config)
    app.initialize([str(notebook)])
    app.start()


def _start_child(
    path: Path,
    *,
    host: str,
    port: int,
    base: str,
    args: list[str],
    ready_timeout: float,
) -> LiveServer:
    """Start ``python -m assured_kit.live`` and wait for its join link and its port."""
    log_path = Path(tempfile.mkdtemp(prefix="assured-kit-live-")) / "voila.log"
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the child's lifetime
    env = {**os.environ, **_kernel_env(path, host)}
    command = [
        sys.executable, "-m", "assured_kit.live", str(path),
        f"--host={host}", f"--port={int(port)}", *args,
    ]  # fmt: skip
    kwargs: dict[str, Any] = {}
    if os.name == "nt":  # pragma: no cover - Windows: lets stop() send Ctrl+Break
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, **kwargs
    )
    server = LiveServer(process, path, base, "", log_path, _log=log)
    probe = "127.0.0.1" if host in _WILDCARDS else host
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline and server.running:
        if not server.url:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            found = re.search(re.escape(_LINK_PREFIX) + r"(\S+)", text)
            server.url = found.group(1) if found else ""
        if server.url:
            with contextlib.suppress(OSError), socket.create_connection((probe, port), timeout=1):
                return server
        time.sleep(0.2)
    server.stop()
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
    problem = re.search(r"^error: (.+)$", tail, re.MULTILINE)
    if problem:  # the workshop file was refused: say why, as opening it here would have
        raise AssuredKitError(problem.group(1))
    raise AssuredKitError(
        f"the live-voting server did not start on {host}:{port}",
        file=log_path,
        allowed="a free port on an address of this computer",
        hint=f"the port may be in use or the address not this computer's. Log ends:\n{tail}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m assured_kit.live WORKSHOP [--host H] [--port P] ...`` (serves until Ctrl+C).

    Examples
    --------
    >>> main(["room.workshop.sqlite", "--port", "8866"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(prog="python -m assured_kit.live")
    parser.add_argument("workshop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--preheat", type=int, default=4)
    parser.add_argument("--cull-idle-timeout", type=int, default=900)
    parser.add_argument("--cull-interval", type=int, default=60)
    parser.add_argument("--open-browser", action="store_true")
    parser.add_argument("--new-code", action="store_true")
    args = parser.parse_args(argv)
    try:
        serve(
            args.workshop,
            host=args.host,
            port=args.port,
            open_browser=args.open_browser,
            preheat=args.preheat,
            cull_idle_timeout=args.cull_idle_timeout,
            cull_interval=args.cull_interval,
            new_code=args.new_code,
            wait=True,
        )
    except AssuredKitError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


# --------------------------------------------------------------------------- facilitator side


def answered(
    ws: Workshop, question_id: str | None = None, *, round: int | None = None
) -> pd.DataFrame:
    """Return who has a current answer to a question in a round (the open one by default).

    Every answer counts: votes from devices, proxy votes and answers the facilitator entered.

    Returns
    -------
    pandas.DataFrame
        respondent_id, respondent_label, role, authority, rating, dont_know, proxy, recorded_at;
        empty when no question is open.

    Examples
    --------
    >>> answered(ws)[["respondent_label", "rating"]]  # doctest: +SKIP
    """
    session = ws.session()
    qid = question_id if question_id is not None else session["question_id"]
    rnd = int(round if round is not None else session["round"])
    table = ws.ratings()
    columns = [
        "respondent_id", "respondent_label", "role", "authority",
        "rating", "dont_know", "proxy", "recorded_at",
    ]  # fmt: skip
    if qid is None:
        return table.loc[[], columns].reset_index(drop=True)
    mask = (table["question_id"] == qid) & (table["round"] == rnd)
    return table.loc[mask, columns].sort_values("recorded_at").reset_index(drop=True)


def answer_count(ws: Workshop, question_id: str | None = None, *, round: int | None = None) -> int:
    """Return how many respondents have answered a question in a round (the open one by default).

    Examples
    --------
    >>> answer_count(ws)  # doctest: +SKIP
    12
    """
    return len(answered(ws, question_id, round=round))


def record_proxy(
    ws: Workshop,
    respondent_id: str,
    rating: int | None = None,
    *,
    dont_know: bool = False,
    evidence: int | None = None,
    note: str | None = None,
) -> int:
    """Record a vote the facilitator enters for someone without a device (marked ``proxy``).

    It goes to the open question and round, like a vote from a device.

    Raises
    ------
    AssuredKitError
        When no question is open or the answer is not valid for the workshop's scale.

    Examples
    --------
    >>> record_proxy(ws, rid, 4)  # doctest: +SKIP
    57
    """
    session = ws.session()
    if session["question_id"] is None:
        raise AssuredKitError(
            "no question is open, so there is nothing to vote on",
            field="question_id",
            allowed="a vote on the question the facilitator has open",
            hint="open a question first",
        )
    return int(
        ws.record(
            respondent_id,
            session["question_id"],
            rating,
            dont_know=dont_know,
            evidence=evidence,
            note=note,
            round=int(session["round"]),
            author="facilitator",
            proxy=True,
        )
    )


_PANEL_CSS = """
<style>
.ak-live { font-size: 18px; line-height: 1.4; }
.ak-live .ak-count { font-size: 40px; font-weight: 700; }
.ak-live .ak-url { font-family: monospace; font-size: 16px; word-break: break-all; }
.ak-live .ak-names { margin: 0; padding-left: 1.2em; }
</style>
"""


class LivePanel(widgets.VBox):
    """The facilitator's live-voting panel (see `live_panel`)."""

    refresh_seconds = 2.0

    def __init__(self, ws: Workshop, *, url: str, controls: bool = True) -> None:
        self.ws = ws
        self.url = url
        self._task: asyncio.Task[None] | None = None
        self.join = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.qr = widgets.HTML()
        self.status = widgets.HTML()
        self.counter = widgets.HTML()
        self.message = widgets.HTML()
        self.close_button = widgets.Button(description="Close voting", icon="lock")
        self.reveal_button = widgets.Button(description="Show results to participants")
        self.close_button.on_click(lambda _b: self._toggle("closed"))
        self.reveal_button.on_click(lambda _b: self._toggle("revealed"))
        self.proxy_who = widgets.Dropdown(description="For", layout=widgets.Layout(width="320px"))
        scale = ws.scale
        options = [(f"{v} {label}", v) for v, label in zip(scale.values, scale.labels, strict=True)]
        self.proxy_rating = widgets.Dropdown(
            options=[*options, ("Don't know", None)], description="Answer"
        )
        self.proxy_button = widgets.Button(description="Save proxy vote", button_style="info")
        self.proxy_button.on_click(lambda _b: self.save_proxy())
        proxy = widgets.HBox([self.proxy_who, self.proxy_rating, self.proxy_button])
        rows: list[widgets.Widget] = [
            widgets.HTML(_PANEL_CSS),
            widgets.HBox([self.qr, widgets.VBox([self.join, self.status, self.counter])]),
        ]
        if controls:
            rows.append(widgets.HBox([self.close_button, self.reveal_button]))
        rows += [widgets.HTML("<b>Proxy vote</b> (for someone without a device)"), proxy]
        rows.append(self.message)
        super().__init__(rows)
        self.add_class("ak-live")
        self.set_url(url)
        self.refresh()
        self._start_timer()

    # -- state -------------------------------------------------------------------------------

    def set_url(self, url: str) -> None:
        """Show a (new) join link and its QR code."""
        self.url = url
        safe = escape_html(url)
        self.join.value = (
            "<div>Join on your phone: scan the code or open</div>"
            f'<div class="ak-url"><a href="{safe}" target="_blank" rel="noopener">{safe}</a></div>'
        )
        self.qr.value = qr_svg(url)

    def count(self) -> int:
        """How many respondents have answered the open question in the current round."""
        return answer_count(self.ws)

    def names(self) -> list[str]:
        """Who has answered (labels) in named mode; an empty list in other modes."""
        if self.ws.anonymity != "named":
            return []
        return [str(x) for x in answered(self.ws)["respondent_label"]]

    def refresh(self) -> None:
        """Re-read the workshop and update the panel."""
        session = self.ws.session()
        qid = session["question_id"]
        if qid is None:
            self.status.value = "<div>No question open: participants see a waiting page.</div>"
        else:
            state = "closed" if session["closed"] else "open"
            seen = "shown to" if session["revealed"] else "hidden from"
            self.status.value = (
                f"<div>Question <b>{escape_html(str(qid))}</b>, round {int(session['round'])}: "
                f"voting {state}; results {seen} participants.</div>"
            )
        self.close_button.description = "Reopen voting" if session["closed"] else "Close voting"
        self.reveal_button.description = (
            "Hide results from participants"
            if session["revealed"]
            else "Show results to participants"
        )
        table = answered(self.ws)
        listing = ""
        if self.ws.anonymity == "named" and len(table):
            items = "".join(
                f"<li>{escape_html(str(label))}{' (proxy)' if proxy else ''}</li>"
                for label, proxy in zip(table["respondent_label"], table["proxy"], strict=True)
            )
            listing = f'<ul class="ak-names">{items}</ul>'
        self.counter.value = (
            f'<div><span class="ak-count">{len(table)}</span> answered</div>{listing}'
        )
        people = self.ws.respondents()
        current = self.proxy_who.value
        self.proxy_who.options = [
            (str(label), str(rid))
            for rid, label in zip(people["respondent_id"], people["label"], strict=True)
        ]
        if current in {value for _label, value in self.proxy_who.options}:
            self.proxy_who.value = current

    def save_proxy(self) -> None:
        """Record the proxy vote chosen in the panel."""
        rid = self.proxy_who.value
        if rid is None:
            self.message.value = "<div>Choose who the proxy vote is for.</div>"
            return
        rating = self.proxy_rating.value
        try:
            record_proxy(self.ws, rid, rating, dont_know=rating is None)
        except AssuredKitError as exc:
            self.message.value = f"<div>Not saved: {escape_html(str(exc))}</div>"
            return
        label = dict((v, k) for k, v in self.proxy_who.options).get(rid, rid)
        self.message.value = f"<div>Saved a proxy vote for {escape_html(str(label))}.</div>"
        self.refresh()

    def _toggle(self, key: str) -> None:
        session = self.ws.session()
        self.ws.set_session(**{key: not session[key]}, author="facilitator")
        self.refresh()

    # -- timer -------------------------------------------------------------------------------

    def _start_timer(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside a kernel: callers refresh by hand
        self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            with contextlib.suppress(Exception):  # a busy file must not stop the panel
                self.refresh()

    def close(self) -> None:
        """Stop refreshing and close the panel's widgets."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        super().close()


def live_panel(ws: Workshop, *, url: str, controls: bool = True) -> LivePanel:
    """Return the facilitator's live-voting panel for an open workshop.

    It shows the join link and its QR code, which question is open and whether voting is closed
    and results are shown to participants, a live count of who has answered (their names only
    in named mode), and a form for proxy votes (marked ``proxy``) for people without a device.
    Inside a kernel it refreshes itself every two seconds.

    Parameters
    ----------
    ws : Workshop
        The facilitator's open workshop.
    url : str
        The join link, e.g. ``LiveServer.url`` or ``join_url(base, ensure_join_code(ws))``.
    controls : bool, optional
        Show the close/reopen and show/hide-results buttons (set False when the host app
        already has them).

    Examples
    --------
    >>> server = serve(ws.path, wait=False)  # doctest: +SKIP
    >>> live_panel(ws, url=server.url)  # doctest: +SKIP
    """
    return LivePanel(ws, url=url, controls=controls)


if __name__ == "__main__":  # pragma: no cover - exercised through serve(wait=False)
    raise SystemExit(main())
