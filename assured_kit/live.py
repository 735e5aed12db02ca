"""Live voting: the page server for a whole room, its address and QR code, the facilitator's panel.

Participants vote from their own phones or laptops. `start_server` starts ONE page server per
workshop, in a child process: Solara's server (every phone gets a light session in that one
process, not a Jupyter kernel of its own), behind `assured_kit.gate.Gate`, which checks the join
code before any session exists. It serves

- the voting page at ``/`` (and ``/vote``), for links with ``?code=<join code>``
  (`LiveServer.vote_url`, the QR code);
- the room view for the projector at ``/room?key=<room key>`` (`LiveServer.room_url`), built by
  ``assured_kit.room.room_page`` when that module is installed.

Every vote goes straight into the workshop file; whether voting is open, the current question
and round, and whether results are revealed are read from the same file, so the server needs no
messages from the facilitator's console.

Why Solara's server: it runs ipywidgets pages (the kit's `assured_kit.voting.VoterPage` stays
an ipywidgets page) as virtual kernels in one process, ships its browser assets for offline use
(``solara-assets``) and is actively maintained. Its telemetry and remote checks are switched off
here, and its asset fetcher points at a closed port on this computer, so nothing is fetched
from outside.

Safety, in one place:

- The server listens only on the address the facilitator chooses (loopback by default);
  `candidate_addresses` lists this computer's addresses for the QR code (Wi-Fi first, then
  wired) with warnings for loopback, VPN and link-local ones. No packet is sent to learn them.
- The join code (``?code=...``, 128 random bits) is checked by the gate before a session
  starts; sessions are capped, page loads, joins and taps are rate-limited per device, idle
  sessions are closed, and no client ever receives a traceback.
- A tap counts only for the question and round the voter's page showed (`cast_vote`).

Examples
--------
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
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import ipywidgets as widgets

from .errors import AssuredKitError
from .gate import Limits
from .parentwatch import child_options, exit_with_parent
from .safety import escape_html
from .voting import (
    close_on_reveal,
    ensure_join_code,
    ensure_room_key,
    join_code,
    new_join_code,
    retire_join_code,
    room_key,
    set_close_on_reveal,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import pandas as pd

    from .store import Workshop

__all__ = [
    "DEFAULT_PORT",
    "Address",
    "Limits",
    "LivePanel",
    "LiveServer",
    "answer_count",
    "answered",
    "base_url_for",
    "candidate_addresses",
    "close_on_reveal",
    "ensure_join_code",
    "ensure_room_key",
    "join_code",
    "join_url",
    "live_panel",
    "new_join_code",
    "qr_svg",
    "record_proxy",
    "retire_join_code",
    "room_key",
    "room_url",
    "serve",
    "server_environment",
    "set_close_on_reveal",
    "start_server",
]

#: The port the server listens on unless the facilitator chooses another.
DEFAULT_PORT = 8866
#: Where the page server's asset fetcher points: a closed port on this computer, so an asset
#: missing from the installed packages fails loudly instead of being fetched from outside.
DEAD_ASSETS_URL = "http://127.0.0.1:9/"
_WILDCARDS = {"", "0.0.0.0", "::"}
_READY = "assured-kit live ready: "


# --------------------------------------------------------------------------- links and addresses


def join_url(base_url: str, code: str) -> str:
    """Return the link participants open: the server's address with the join code.

    Examples
    --------
    >>> join_url("http://127.0.0.1:8866/", "abc")
    'http://127.0.0.1:8866/?code=abc'
    """
    return f"{base_url.rstrip('/')}/?code={quote(code, safe='')}"


def room_url(base_url: str, key: str) -> str:
    """Return the room view's link for the projector: the server's address with the room key.

    Examples
    --------
    >>> room_url("http://127.0.0.1:8866/", "k1")
    'http://127.0.0.1:8866/room?key=k1'
    """
    return f"{base_url.rstrip('/')}/room?key={quote(key, safe='')}"


@dataclass(frozen=True)
class Address:
    """One of this computer's network addresses, as a candidate for the QR code.

    Attributes
    ----------
    address : str
        The IP address.
    interface : str
        The network interface's name (``wlan0``, ``Wi-Fi``, ``eth0``, ...).
    kind : str
        ``wifi``, ``wired``, ``other``, ``vpn``, ``link-local`` or ``loopback``.
    warning : str or None
        Why phones are unlikely to reach it, in plain words; None for a good candidate.
    """

    address: str
    interface: str
    kind: str
    warning: str | None


_WIFI = re.compile(r"^(wl|wlan|wifi|wi-fi|wireless|ath|ra\d)", re.IGNORECASE)
_WIRED = re.compile(r"^(eth|en|em|eno|enp|ens|ethernet|local area connection)", re.IGNORECASE)
_VPN = re.compile(r"^(tun|tap|wg|utun|ppp|ipsec|vpn|tailscale|zt|nordlynx|gpd|cscotun)",
                  re.IGNORECASE)
_ORDER = {"wifi": 0, "wired": 1, "other": 2, "vpn": 3, "link-local": 4, "loopback": 5}
_WARNINGS = {
    "loopback": "only this computer can reach this address; phones cannot",
    "vpn": "a VPN tunnel: phones on the venue's network usually cannot reach it",
    "link-local": "a self-assigned address: the network gave this computer no proper address",
}


def classify_address(interface: str, address: str) -> Address:
    """Return an `Address` with its kind and any warning, judged from its interface and value.

    Examples
    --------
    >>> classify_address("wlan0", "192.168.1.20").kind
    'wifi'
    >>> classify_address("utun3", "10.8.0.2").kind
    'vpn'
    >>> classify_address("eth0", "169.254.10.1").kind
    'link-local'
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_loopback:
        kind = "loopback"
    elif ip.is_link_local:
        kind = "link-local"
    elif _VPN.match(interface):
        kind = "vpn"
    elif _WIFI.match(interface):
        kind = "wifi"
    elif _WIRED.match(interface):
        kind = "wired"
    else:
        kind = "other"
    return Address(str(ip), interface, kind, _WARNINGS.get(kind))


def candidate_addresses(*, interfaces: dict[str, list[str]] | None = None) -> list[Address]:
    """List this computer's addresses for the join link: Wi-Fi first, then wired, then the rest.

    Read from the operating system's list of network interfaces; no packet is sent anywhere.
    The facilitator chooses one (the console offers them); addresses with a warning come last.

    Parameters
    ----------
    interfaces : dict, optional
        Interface name to addresses, instead of this computer's (for tests).

    Examples
    --------
    >>> found = candidate_addresses(interfaces={"tun0": ["10.8.0.2"], "eth0": ["192.168.1.5"],
    ...                                         "wlan0": ["10.0.0.7"], "lo": ["127.0.0.1"]})
    >>> [(a.interface, a.kind) for a in found]
    [('wlan0', 'wifi'), ('eth0', 'wired'), ('tun0', 'vpn'), ('lo', 'loopback')]
    """
    if interfaces is None:
        import psutil

        interfaces = {}
        stats = psutil.net_if_stats()
        for name, entries in psutil.net_if_addrs().items():
            if name in stats and not stats[name].isup:
                continue
            interfaces[name] = [
                e.address for e in entries if e.family in (socket.AF_INET, socket.AF_INET6)
            ]
    found = []
    for name, addresses in interfaces.items():
        for address in addresses:
            with contextlib.suppress(ValueError):
                found.append(classify_address(name, address))
    found.sort(key=lambda a: (_ORDER[a.kind], ipaddress.ip_address(a.address).version,
                              a.interface, a.address))
    return found


def base_url_for(host: str, port: int, *, advertise: str | None = None) -> str:
    """Return the address participants use for a server listening on ``host:port``.

    ``advertise`` (an address the facilitator chose from `candidate_addresses`) wins; a
    wildcard listening address (``0.0.0.0``) becomes the best candidate without a warning,
    or loopback when there is none.

    Examples
    --------
    >>> base_url_for("127.0.0.1", 8866)
    'http://127.0.0.1:8866/'
    >>> base_url_for("::1", 9000)
    'http://[::1]:9000/'
    >>> base_url_for("0.0.0.0", 8866, advertise="192.168.1.20")
    'http://192.168.1.20:8866/'
    """
    shown = advertise or host
    if shown in _WILDCARDS:
        good = [a for a in candidate_addresses() if a.warning is None and ":" not in a.address]
        shown = good[0].address if good else "127.0.0.1"
    return f"http://{_bracketed(shown)}:{int(port)}/"


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


def server_environment(workshop: Path, *, limits: Limits, room: str | None = None,
                       assets_url: str = DEAD_ASSETS_URL) -> dict[str, str]:
    """Return the environment the server process runs with (Solara's settings and the kit's).

    Telemetry off, production mode, sessions closed ``limits.cull_seconds`` after their page
    has gone, the asset fetcher pointed at ``assets_url`` (a closed local port by default).

    Examples
    --------
    >>> env = server_environment(Path("w.workshop.sqlite"), limits=Limits(cull_seconds=60))
    >>> env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"], env["SOLARA_KERNEL_CULL_TIMEOUT"]
    ('False', '60s')
    """
    from .liveapp import ENV_ROOM, ENV_WORKSHOP

    env = {
        ENV_WORKSHOP: str(workshop),
        "SOLARA_APP": "assured_kit.liveapp",
        "SOLARA_MODE": "production",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_KERNEL_CULL_TIMEOUT": f"{int(limits.cull_seconds)}s",
        "SOLARA_ASSETS_CDN": assets_url,
        "SOLARA_THEME_LOADER": "plain",
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "Live vote",
        "SOLARA_SSG_ENABLED": "False",
        "SOLARA_SEARCH_ENABLED": "False",
        "SOLARA_SERVER_SYNC_WS_WRITE": "True",
        "ASSURED_KIT_LIVE_LIMITS": limits.to_json(),
    }
    if room:
        env[ENV_ROOM] = room
    return env


@dataclass
class LiveServer:
    """A running live-voting server (see `start_server`).

    Attributes
    ----------
    process : subprocess.Popen
        The server process.
    workshop_path : Path
        The workshop file votes go into.
    base_url : str
        The server's address as participants reach it.
    vote_url : str
        The join link with the join code: put it on the projector or in the QR code.
    room_url : str
        The room view's link, with its own key (for the projector, not for participants).
    log_path : Path
        Where the server writes its log.
    """

    process: subprocess.Popen[bytes]
    workshop_path: Path
    base_url: str
    vote_url: str
    room_url: str
    log_path: Path
    _log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The join link (the same as `vote_url`)."""
        return self.vote_url

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self.process.poll() is None

    def stop(self, grace: float = 5.0) -> int | None:
        """Stop the server: SIGTERM, then SIGKILL if it is still running after ``grace`` seconds.

        Returns the process's exit status.

        Examples
        --------
        >>> server = start_server(ws.path)  # doctest: +SKIP
        >>> server.stop()  # doctest: +SKIP
        0
        """
        if self.running:
            self.process.terminate()  # SIGTERM (TerminateProcess on Windows)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(grace)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    workshop: str | os.PathLike[str] | Workshop,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    advertise: str | None = None,
    limits: Limits | None = None,
    max_sessions: int | None = None,
    cull_seconds: int | None = None,
    close_on_reveal: bool | None = None,
    new_code: bool = False,
    room_factory: str | None = None,
    ready_timeout: float = 60.0,
) -> LiveServer:
    """Start the workshop's page server (voting page and room view) in a child process.

    One server per workshop; `assured-kit live`, ``make live`` and the facilitator's console
    all start it through this function.

    Parameters
    ----------
    workshop : path-like or Workshop
        An existing ``*.workshop.sqlite`` file (or the open workshop).
    host, port : str, int, optional
        Where to listen (loopback by default; the laptop's address on the venue network, or
        ``0.0.0.0``, lets phones join). A port in use is an error, never silently changed.
    advertise : str, optional
        The address put in the links and QR code (one of `candidate_addresses`).
    limits : Limits, optional
        Caps and rates; ``max_sessions`` and ``cull_seconds`` override single values.
    close_on_reveal : bool, optional
        Switch closing voting on reveal on or off for this workshop (kept in the file).
    new_code : bool, optional
        Replace the workshop's join code (old links and QR codes stop working).
    room_factory : str, optional
        ``module:function`` building the room view (``assured_kit.room:room_page`` by default).
    ready_timeout : float, optional
        Seconds to wait for the server to answer.

    Returns
    -------
    LiveServer
        Stop it with `LiveServer.stop`; it also ends when this process does, even one
        killed outright (see `assured_kit.parentwatch`).

    Examples
    --------
    >>> server = start_server("room.workshop.sqlite", port=8866)  # doctest: +SKIP
    >>> server.vote_url  # doctest: +SKIP
    'http://127.0.0.1:8866/?code=mG3v0z1Hq2Rk9sY5bXw7Tg'
    >>> server.stop()  # doctest: +SKIP
    """
    raw = getattr(workshop, "path", workshop)
    path = Path(raw).expanduser().resolve()
    if not path.is_file():
        raise AssuredKitError(
            "the workshop file does not exist",
            file=path,
            allowed="an existing *.workshop.sqlite file",
            hint="create it first in the facilitator notebook, or check the folder",
        )
    limits = limits or Limits()
    if max_sessions is not None or cull_seconds is not None:
        changes = {k: v for k, v in {"max_sessions": max_sessions,
                                     "cull_seconds": cull_seconds}.items() if v is not None}
        limits = Limits(**{**limits.__dict__, **changes})
    if limits.max_sessions < 1 or limits.cull_seconds < 10:
        raise AssuredKitError(
            f"max_sessions {limits.max_sessions} or cull_seconds {limits.cull_seconds} is too low",
            field="limits",
            allowed="at least 1 session, and at least 10 seconds before an idle page is closed",
        )
    base = base_url_for(host, port, advertise=advertise)
    log_path = Path(tempfile.mkdtemp(prefix="assured-kit-live-")) / "server.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - kept open for the child's lifetime
    command = [
        sys.executable, "-m", "assured_kit.live", str(path),
        f"--host={host}", f"--port={int(port)}", f"--limits={limits.to_json()}",
        *([f"--room-factory={room_factory}"] if room_factory else []),
        *(["--new-code"] if new_code else []),
        *([] if close_on_reveal is None
          else ["--close-on-reveal" if close_on_reveal else "--no-close-on-reveal"]),
    ]  # fmt: skip
    # The server ends when this process does, even when it is killed outright (parentwatch).
    tie, arguments = child_options()
    process = subprocess.Popen(
        [*command, *arguments], stdout=log_file, stderr=subprocess.STDOUT, **tie
    )
    server = LiveServer(process, path, base, "", "", log_path, _log=log_file)
    probe = "127.0.0.1" if host in _WILDCARDS else host
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline and server.running:
        if not server.vote_url:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            found = re.search(re.escape(_READY) + r"(\{.*\})", text)
            if found:
                keys = json.loads(found.group(1))
                server.vote_url = join_url(base, keys["code"])
                server.room_url = room_url(base, keys["room"])
        if server.vote_url:
            with contextlib.suppress(OSError), socket.create_connection((probe, port), timeout=1):
                return server
        time.sleep(0.1)
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


def serve(workshop: str | os.PathLike[str], **options: Any) -> int:
    """Start the server (`start_server`), print its links and serve until Ctrl+C.

    What ``assured-kit live`` and ``make live`` run. Returns the server's exit status.

    Examples
    --------
    >>> serve("room.workshop.sqlite", port=8866)  # doctest: +SKIP
    """
    server = start_server(workshop, **options)
    _announce(server.workshop_path, server.vote_url)
    print(
        f"Live voting for {server.workshop_path.name}\n"
        f"Join link (for the QR code): {server.vote_url}\n"
        f"Room view (projector only): {server.room_url}\n"
        f"Server log: {server.log_path}\nStop with Ctrl+C.",
        flush=True,
    )
    if host_warning := _address_warning(server.base_url):
        print(f"Warning: {host_warning}", flush=True)
    try:
        while server.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    status = server.stop() or 0
    _announce(server.workshop_path, None)
    return status


def _announce(path: Path, url: str | None) -> None:
    """Tell the room view (through the workshop file) the join link, or that voting stopped."""
    from .facilitator import Facilitator

    room = Facilitator.open(path)
    try:
        room.announce_join_url(url)
    finally:
        room.close()


def _address_warning(base_url: str) -> str | None:
    host = base_url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    for candidate in candidate_addresses():
        if candidate.address == host:
            return candidate.warning
    return None


def _run_server(path: Path, *, host: str, port: int, limits: Limits, room: str | None,
                new_code: bool, closes_on_reveal: bool | None) -> None:
    """Run the page server in this process until SIGTERM or Ctrl+C (the child's main loop)."""
    os.environ.update(server_environment(path, limits=limits, room=room))
    # Solara reads its settings when first imported, so only after the environment is set.
    import uvicorn
    from solara.server import kernel_context

    # Solara warns on every page load that plain http cannot use SameSite=None cookies; the
    # kit needs none (no embedding), so the log keeps only warnings that matter.
    warnings.filterwarnings("ignore", message="Cookies with samesite", category=UserWarning)
    # Solara writes each message to a phone straight from the thread that makes it
    # (SOLARA_SERVER_SYNC_WS_WRITE, set in `server_environment`), which needs uvicorn's
    # ``websockets`` protocol; uvicorn calls that one deprecated in favour of one Solara cannot
    # write through yet. Measured with 200 voters: 1.2 ms of server CPU a tap and 78 ms a join
    # with it, 3.8 ms and 98 ms without (every message crossing threads into the event loop).
    warnings.filterwarnings("ignore", message="The `websockets` implementation is deprecated")
    from solara.server.starlette import app as solara_app

    from . import liveapp
    from .gate import Gate, GateKeys

    shared = liveapp.hub()
    ws = shared.ws
    code = ensure_join_code(ws, rotate=new_code, author="live voting")
    key = ensure_room_key(ws, author="live voting")
    if closes_on_reveal is not None:
        set_close_on_reveal(ws, closes_on_reveal, author="live voting")

    def read_keys() -> tuple[str | None, str | None]:
        return join_code(ws), room_key(ws)

    gate = Gate(
        solara_app,
        GateKeys(read_keys),
        limits=limits,
        session_count=lambda: len(kernel_context.contexts),
        session_exists=lambda kernel: kernel in kernel_context.contexts,
        room=liveapp.room_factory() is not None,
        tap=liveapp.tap,
    ).install()
    config = uvicorn.Config(
        gate, host=host, port=port, log_level="warning", access_log=False,
        server_header=False, timeout_graceful_shutdown=3, lifespan="on",
        # Compressing every small widget message cost more CPU than anything else per tap
        # (profiled under 100 voters); on a local network it saves nothing worth that.
        ws_per_message_deflate=False, ws="websockets",
    )
    server = uvicorn.Server(config)
    print(_READY + json.dumps({"code": code, "room": key}), flush=True)
    server.run()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m assured_kit.live WORKSHOP [--host H] [--port P] ...`` (the server process).

    Examples
    --------
    >>> main(["room.workshop.sqlite", "--port", "8866"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(prog="python -m assured_kit.live")
    parser.add_argument("workshop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--limits", default=None)
    parser.add_argument("--room-factory", default=None)
    parser.add_argument("--new-code", action="store_true")
    parser.add_argument("--parent", type=int, default=None)
    parser.add_argument("--parent-signal", action="store_true")
    reveal = parser.add_mutually_exclusive_group()
    reveal.add_argument("--close-on-reveal", dest="reveal", action="store_const", const=True)
    reveal.add_argument("--no-close-on-reveal", dest="reveal", action="store_const", const=False)
    args = parser.parse_args(argv)
    if args.parent is not None:  # started by start_server: end when it goes
        exit_with_parent(args.parent, kernel_signal=args.parent_signal)
    try:
        _run_server(
            Path(args.workshop).expanduser().resolve(),
            host=args.host,
            port=args.port,
            limits=Limits.from_json(args.limits) if args.limits else Limits(),
            room=args.room_factory,
            new_code=args.new_code,
            closes_on_reveal=args.reveal,
        )
    except AssuredKitError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        pass
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
