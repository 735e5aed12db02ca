"""The gate in front of the live-voting page server: join code, room key, limits, refusals.

Every request to the live-voting server passes through `Gate` (an ASGI middleware) before the
page server (Solara) sees it. The gate decides in a few milliseconds, from data it already
holds, and answers a refusal itself with a small static page, so that a request without a valid
join code never costs a session:

- the voting page (``/`` or ``/vote``) needs ``?code=`` with the workshop's join code; the
  room view (``/room``) needs ``?key=`` with the workshop's room key. Any other address
  parameter (a template or theme override, a kernel id, ...) is refused;
- a page that passes gets a pass cookie, bound to the code (or key) in force, which the page's
  websocket must carry: rotating the code shuts out every page opened with the old one;
- page loads are rate-limited per device (a random cookie the gate gives each browser) and per
  address; the number of sessions is capped;
- the gate notes, for each session (kernel id), which device and address opened it and what
  it may show, so that the page itself can rate-limit joins and taps per device
  (`Gate.owner_of`);
- a tap on the voting page goes straight to the gate's tap address (``POST /_ak/tap``, sent
  by the page's script) rather than through the page server's widget messages, which cost
  several times more per tap (see `Gate` and `TapHandler`): it needs the page's pass cookie,
  a request from the page's own origin, the session's own device, and is rate-limited per
  device; it is answered only once the workshop file has the answer (or why not);
- nothing but the page server's own static files, the gate's script (``/_ak/live.js``), its
  liveness answer (``/_ak/alive``) and its tap address is served; errors never reach a client
  as a traceback.

Examples
--------
>>> limiter = RateLimiter(burst=2, per_second=0.0)
>>> [limiter.allow("phone") for _ in range(3)]
[True, True, False]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "ALLOWED_PARAMS",
    "Gate",
    "GateKeys",
    "Limits",
    "Owner",
    "RateLimiter",
    "TapHandler",
    "current_gate",
    "read_tap",
    "refusal_page",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Saves one tap for a session (kernel id) and returns ``(HTTP status, JSON answer)``.
TapHandler = Callable[[str, dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]

log = logging.getLogger("assured_kit.live")

#: The address parameters each page accepts; any other parameter is refused.
ALLOWED_PARAMS: dict[str, frozenset[str]] = {
    "vote": frozenset({"code", "voter"}),
    "room": frozenset({"key"}),
}
#: Longest value of an address parameter (codes and tokens are 22 to 43 characters).
PARAM_LIMIT = 100
#: Paths under which the page server's own static files (scripts, styles, fonts) are served.
STATIC_PREFIXES = ("/_solara/cdn/", "/static/", "/_solara/static/", "/jupyter/nbextensions/")
#: What a page may load: only this server's own files (the browser refuses anything else).
CONTENT_POLICY = (b"default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
                  b"connect-src 'self'; frame-ancestors 'none'; form-action 'self'")
_WEBSOCKET = re.compile(r"^/jupyter/api/kernels/([0-9a-fA-F-]{8,64})/channels$")
_CLOSE = re.compile(r"^/_solara/api/close/([0-9a-fA-F-]{8,64})$")
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: The largest tap request read (a tap is well under 200 bytes).
TAP_LIMIT = 2048
TAP_PATH = "/_ak/tap"
DEVICE_COOKIE = "ak_device"
VOTE_COOKIE = "ak_vote"
ROOM_COOKIE = "ak_room"


# --------------------------------------------------------------------------- limits


class RateLimiter:
    """Token buckets keyed by device or address: ``burst`` at once, then ``per_second``.

    Memory stays bounded: at most ``max_keys`` buckets are kept, the least recently used
    going first.

    Parameters
    ----------
    burst : float
        How many actions may happen at once.
    per_second : float
        How fast the allowance refills.
    max_keys : int, optional
        How many keys are remembered.

    Examples
    --------
    >>> clock = iter([0.0, 0.0, 0.0, 10.0])
    >>> limiter = RateLimiter(burst=2, per_second=0.1, clock=lambda: next(clock))
    >>> [limiter.allow("a") for _ in range(4)]
    [True, True, False, True]
    """

    def __init__(
        self,
        *,
        burst: float,
        per_second: float,
        max_keys: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = float(burst)
        self.per_second = float(per_second)
        self.max_keys = int(max_keys)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Spend one token for ``key``; return False (and spend nothing) when none is left."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.per_second)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return allowed


@dataclass(frozen=True)
class Limits:
    """The live-voting server's limits (all configurable through `assured_kit.live.start_server`).

    Attributes
    ----------
    max_sessions : int
        Open pages (sessions) at once; further pages get "the room is full".
    loads_per_device, loads_per_address : (burst, per second)
        Page loads (each starts a session) per browser and per network address.
    joins_per_device : (burst, per second)
        New respondents one browser may create.
    taps_per_device : (burst, per second)
        Saved taps (answers, evidence, notes) one browser may make.
    cull_seconds : int
        A page whose connection has gone is closed after this many seconds.

    Examples
    --------
    >>> Limits().max_sessions
    200
    """

    max_sessions: int = 200
    loads_per_device: tuple[float, float] = (10, 0.2)
    loads_per_address: tuple[float, float] = (40, 1.0)
    joins_per_device: tuple[float, float] = (3, 0.02)
    taps_per_device: tuple[float, float] = (8, 1.0)
    cull_seconds: int = 120

    def to_json(self) -> str:
        """Return the limits as JSON (how the server process receives them)."""
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Limits:
        """Read limits written by `to_json`."""
        data = json.loads(text)
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass
class Owner:
    """Who opened a session, as the gate saw its websocket: device, address, what it may show."""

    device: str
    address: str
    vote: bool
    room: bool


# --------------------------------------------------------------------------- keys


class GateKeys:
    """The join code and room key in force, re-read from the workshop at most once a second.

    Parameters
    ----------
    read : callable
        Returns ``(join code or None, room key or None)``, e.g. from the workshop file.
    ttl : float, optional
        Seconds a reading is trusted.

    Examples
    --------
    >>> keys = GateKeys(lambda: ("abc", None))
    >>> keys.vote_ok("abc"), keys.vote_ok("abd"), keys.room_ok("anything")
    (True, False, False)
    """

    def __init__(self, read: Callable[[], tuple[str | None, str | None]], *, ttl: float = 1.0):
        self._read = read
        self._ttl = ttl
        self._at = -1e9
        self._value: tuple[str | None, str | None] = (None, None)
        self._lock = threading.Lock()
        self.secret = secrets.token_bytes(32)

    def current(self) -> tuple[str | None, str | None]:
        """Return ``(join code, room key)``."""
        now = time.monotonic()
        with self._lock:
            if now - self._at > self._ttl:
                try:
                    self._value = self._read()
                except Exception:  # a busy or vanished file refuses everyone until it is back
                    log.exception("live voting: cannot read the join code")
                    self._value = (None, None)
                self._at = now
            return self._value

    @staticmethod
    def _same(given: str | None, expected: str | None) -> bool:
        if not expected or not given:
            return False
        return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))

    def vote_ok(self, code: str | None) -> bool:
        """Whether ``code`` is the join code in force."""
        return self._same(code, self.current()[0])

    def room_ok(self, key: str | None) -> bool:
        """Whether ``key`` is the room key in force."""
        return self._same(key, self.current()[1])

    def pass_for(self, kind: str) -> str | None:
        """Return the pass cookie value for ``vote`` or ``room`` under the code or key in force."""
        code, key = self.current()
        value = code if kind == "vote" else key
        if not value:
            return None
        return hmac.new(self.secret, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()

    def pass_ok(self, kind: str, given: str | None) -> bool:
        """Whether a pass cookie is valid for ``kind`` under the code or key in force."""
        return self._same(given, self.pass_for(kind))


# --------------------------------------------------------------------------- static answers


_REFUSALS: dict[str, tuple[int, str, str]] = {
    "code": (
        403,
        "This page needs a valid join link",
        "Scan the QR code or open the link the facilitator shows.",
    ),
    "key": (403, "This page needs the room view link", "Open the link from the facilitator's "
            "console on the projector laptop."),
    "busy": (429, "Too many attempts from this device", "Please wait a minute, then scan the "
             "QR code again."),
    "full": (503, "The room is full", "Every place on this live vote is taken. Please tell the "
             "facilitator, who can record your answers for you."),
    "missing": (404, "Nothing here", "Scan the QR code or open the link the facilitator shows."),
}


def refusal_page(reason: str) -> tuple[int, bytes]:
    """Return the HTTP status and the small static page for a refusal.

    Parameters
    ----------
    reason : str
        ``code``, ``key``, ``busy``, ``full`` or ``missing``.

    Examples
    --------
    >>> status, body = refusal_page("code")
    >>> status, b"valid join link" in body, len(body) < 2000
    (403, True, True)
    """
    status, title, text = _REFUSALS[reason]
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>body{{font:20px/1.4 system-ui,sans-serif;margin:24px;"
        f"color:#111;max-width:32em}}</style></head><body><main><h1>{title}</h1>"
        f"<p>{text}</p></main></body></html>"
    )
    return status, body.encode("utf-8")


def _script() -> bytes:
    return files("assured_kit").joinpath("live.js").read_bytes()


# --------------------------------------------------------------------------- the gate

_CURRENT: list[Gate] = []


def current_gate() -> Gate | None:
    """Return the gate this server process runs behind (None outside the server).

    Examples
    --------
    >>> current_gate() is None
    True
    """
    return _CURRENT[-1] if _CURRENT else None


class Gate:
    """The ASGI middleware in front of the page server (see the module's description).

    Parameters
    ----------
    app : ASGI application
        The page server (Solara's Starlette app).
    keys : GateKeys
        The join code and room key in force.
    limits : Limits, optional
        Caps and rates.
    session_count : callable, optional
        Returns how many sessions are open now (the page server's count).
    session_exists : callable, optional
        Whether a session (kernel id) is open now.
    room : bool, optional
        Whether the room view is served (its page module imports).
    tap : TapHandler, optional
        Saves a tap sent to the tap address, once the gate has checked it (`read_tap`); the
        tap address answers "not found" without one.
    """

    def __init__(
        self,
        app: ASGIApp,
        keys: GateKeys,
        *,
        limits: Limits | None = None,
        session_count: Callable[[], int] = lambda: 0,
        session_exists: Callable[[str], bool] = lambda _kernel: False,
        room: bool = True,
        tap: TapHandler | None = None,
    ) -> None:
        self.app = app
        self.tap = tap
        self.keys = keys
        self.limits = limits or Limits()
        self.session_count = session_count
        self.session_exists = session_exists
        self.room = room
        self.boot = secrets.token_hex(8)
        self._loads_device = RateLimiter(
            burst=self.limits.loads_per_device[0], per_second=self.limits.loads_per_device[1]
        )
        self._loads_address = RateLimiter(
            burst=self.limits.loads_per_address[0], per_second=self.limits.loads_per_address[1]
        )
        self._joins = RateLimiter(
            burst=self.limits.joins_per_device[0], per_second=self.limits.joins_per_device[1]
        )
        # One allowance per device, shared by all its pages and both ways of tapping.
        self._taps = RateLimiter(
            burst=self.limits.taps_per_device[0], per_second=self.limits.taps_per_device[1]
        )
        self._owners: OrderedDict[str, Owner] = OrderedDict()
        self._owners_lock = threading.Lock()

    def install(self) -> Gate:
        """Make this the gate `current_gate` returns (the server process has one)."""
        _CURRENT[:] = [self]
        return self

    # -- what pages ask of the gate ------------------------------------------------------------

    def owner_of(self, kernel_id: str) -> Owner | None:
        """Return who opened a session (None for a session the gate never saw)."""
        with self._owners_lock:
            return self._owners.get(kernel_id)

    def may_join(self, owner: Owner | None) -> bool:
        """Spend one join for the session's device; False when it has joined too often."""
        key = "unknown" if owner is None else owner.device
        return self._joins.allow(key)

    def may_tap(self, owner: Owner | None) -> bool:
        """Spend one tap for the session's device; False when it taps too fast."""
        if owner is None:
            return True  # not served through the gate (tests build pages directly)
        return self._taps.allow(owner.device)

    # -- ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection: refuse it, or pass it on to the page server."""
        kind = scope.get("type")
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        try:
            if kind == "websocket":
                await self._websocket(scope, receive, send)
            elif kind == "http":
                await self._http(scope, receive, send)
        except Exception:  # never a traceback to a client; the server's log has it
            log.exception("live voting: a request failed")
            if kind == "http":
                await _plain(send, 500, b"Something went wrong. Please scan the QR code again.")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        method = scope.get("method", "GET")
        cookies = _cookies(scope)
        if path.startswith(STATIC_PREFIXES) and method in ("GET", "HEAD"):
            if "/.." in path or "\\" in path:
                await _refuse(send, "missing")
                return
            await self.app(scope, receive, send)
            return
        if path == "/_ak/live.js" and method == "GET":
            await _respond(send, 200, _script(), "text/javascript; charset=utf-8",
                           cache="no-cache")
            return
        if path == "/_ak/alive" and method == "GET":
            await self._alive(scope, send, cookies)
            return
        if path == TAP_PATH and self.tap is not None:
            await self._tap(scope, receive, send, cookies)
            return
        close = _CLOSE.match(path)
        if close and method == "POST":
            if self._passes(cookies)[0] or self._passes(cookies)[1]:
                await self.app(scope, receive, send)
            else:
                await _plain(send, 403, b"")
            return
        page = {"/": "vote", "/vote": "vote", "/room": "room"}.get(path)
        if page is None or method not in ("GET", "HEAD") or (page == "room" and not self.room):
            await _refuse(send, "missing")
            return
        params = _params(scope)
        if params is None or not set(params) <= ALLOWED_PARAMS[page]:
            await _refuse(send, "code" if page == "vote" else "key")
            return
        ok = (self.keys.vote_ok(params.get("code")) if page == "vote"
              else self.keys.room_ok(params.get("key")))
        if not ok:
            await _refuse(send, "code" if page == "vote" else "key")
            return
        device = cookies.get(DEVICE_COOKIE, "")
        new_device = not _DEVICE.match(device)
        if new_device:
            device = secrets.token_urlsafe(18)
        address = _address(scope)
        if page == "vote" and not (
            self._loads_address.allow(address) and self._loads_device.allow(device)
        ):
            await _refuse(send, "busy")
            return
        if page == "vote" and self.session_count() >= self.limits.max_sessions:
            await _refuse(send, "full")
            return
        pass_value = self.keys.pass_for(page) or ""
        extra = [
            (b"content-security-policy", CONTENT_POLICY),
            _set_cookie(VOTE_COOKIE if page == "vote" else ROOM_COOKIE, pass_value),
            *([_set_cookie(DEVICE_COOKIE, device, days=2)] if new_device else []),
        ]
        # The page's own script goes in first; an uncompressed page lets it be inserted.
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope.get("headers", [])
                            if k != b"accept-encoding"]
        await self.app(scope, receive, _injecting(send, extra))

    async def _alive(self, scope: Scope, send: Send, cookies: dict[str, str]) -> None:
        vote, room = self._passes(cookies)
        params = _params(scope) or {}
        kernel = params.get("kernel", "")
        body = {
            "boot": self.boot,
            "pass": vote or room,
            "session": bool(kernel) and (vote or room) and self.session_exists(kernel),
            "full": self.session_count() >= self.limits.max_sessions,
        }
        await _respond(send, 200, json.dumps(body).encode(), "application/json",
                       cache="no-store")

    async def _tap(self, scope: Scope, receive: Receive, send: Send,
                   cookies: dict[str, str]) -> None:
        """Check a tap from a voting page, hand it to the tap handler, answer with its outcome."""
        assert self.tap is not None
        if scope.get("method") != "POST" or not _same_origin(scope):
            await _json(send, 403, {"message": _TAP_REFUSALS["origin"]})
            return
        if not self.keys.pass_ok("vote", cookies.get(VOTE_COOKIE)):
            await _json(send, 403, {"message": _TAP_REFUSALS["code"]})
            return
        body = await _body(receive, TAP_LIMIT)
        tap = None if body is None else read_tap(body)
        if tap is None:
            await _json(send, 400, {"message": _TAP_REFUSALS["unreadable"]})
            return
        owner = self.owner_of(tap["kernel"])
        if owner is None or not owner.vote or owner.device != cookies.get(DEVICE_COOKIE):
            # Not this browser's page, or a page the server no longer has: the page reloads.
            await _json(send, 410, {"message": _TAP_REFUSALS["gone"], "reload": True})
            return
        if not self.may_tap(owner):
            await _json(send, 429, {"message": _TAP_REFUSALS["busy"]})
            return
        status, answer = await self.tap(tap["kernel"], tap)
        await _json(send, status, answer)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        match = _WEBSOCKET.match(path)
        cookies = _cookies(scope)
        vote, room = self._passes(cookies)
        if match is None or not (vote or room):
            await _close_websocket(receive, send)
            return
        kernel = match.group(1)
        if (not self.session_exists(kernel)
                and self.session_count() >= self.limits.max_sessions + (1 if room else 0)):
            await _close_websocket(receive, send)
            return
        device = cookies.get(DEVICE_COOKIE, "")
        if not _DEVICE.match(device):
            device = "address:" + _address(scope)
        with self._owners_lock:
            self._owners.pop(kernel, None)
            owner = Owner(device, _address(scope), vote, room)
            self._owners[kernel] = owner
            while len(self._owners) > 4 * self.limits.max_sessions + 100:
                self._owners.popitem(last=False)
        await self.app(scope, receive, send)

    def _passes(self, cookies: dict[str, str]) -> tuple[bool, bool]:
        return (self.keys.pass_ok("vote", cookies.get(VOTE_COOKIE)),
                self.keys.pass_ok("room", cookies.get(ROOM_COOKIE)))


# --------------------------------------------------------------------------- taps

_TAP_REFUSALS = {
    "origin": "Not saved: this tap did not come from the voting page.",
    "code": "Not saved: this page needs a valid join link. Scan the QR code again.",
    "unreadable": "Not saved: the tap could not be read. Please tap again.",
    "gone": "Not saved: the connection was lost. Reconnecting…",
    "busy": "Not saved: too many taps at once. Wait a second and tap again.",
}
_TAP_FIELDS = {"kernel", "voter", "question", "round", "value"}
_QUESTION = re.compile(r"^[A-Za-z]{1,8}-[A-Za-z]{1,8}-[0-9]{1,3}$")


def read_tap(body: bytes) -> dict[str, Any] | None:
    """Return a tap request's fields, or None when it is not exactly a well-formed tap.

    A tap is a JSON object with ``kernel`` (the page's session), ``voter`` (the device token
    the page shows), ``question`` and ``round`` (what the page showed) and ``value`` (a whole
    number, or null for "Don't know"). Whether these are allowed is the store's decision.

    Examples
    --------
    >>> read_tap(b'{"kernel": "0123abcd-9", "voter": "short", "question": "LA-DCS-1",'
    ...          b' "round": 1, "value": 4}') is None
    True
    >>> tap = read_tap(b'{"kernel": "0123abcd-9", "voter": "token_0123456789abcdef",'
    ...                b' "question": "LA-DCS-1", "round": 2, "value": null}')
    >>> tap["question"], tap["round"], tap["value"]
    ('LA-DCS-1', 2, None)
    >>> read_tap(b'{"kernel": "0123abcd-9", "voter": "token_0123456789abcdef",'
    ...          b' "question": "LA-DCS-1", "round": true, "value": 4}') is None
    True
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or set(data) != _TAP_FIELDS:
        return None
    kernel, voter, question = data["kernel"], data["voter"], data["question"]
    rnd, value = data["round"], data["value"]
    if not (isinstance(kernel, str) and re.fullmatch(r"[0-9a-fA-F-]{8,64}", kernel)
            and isinstance(voter, str) and _DEVICE.match(voter)
            and isinstance(question, str) and _QUESTION.match(question)
            and type(rnd) is int and 1 <= rnd <= 9
            and (value is None or (type(value) is int and -1 <= value <= 100))):
        return None
    return {"kernel": kernel, "voter": voter, "question": question, "round": rnd,
            "value": value}


def _same_origin(scope: Scope) -> bool:
    """Whether a request says it comes from a page of this server (``Origin`` is its host)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    site = headers.get(b"sec-fetch-site", b"same-origin")
    return bool(host) and origin in (f"http://{host}", f"https://{host}") \
        and site == b"same-origin"


async def _body(receive: Receive, limit: int) -> bytes | None:
    """Read a request's body; None when it is longer than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message.get("type") != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


# --------------------------------------------------------------------------- ASGI helpers


def _params(scope: Scope) -> dict[str, str] | None:
    """Return the address parameters, or None when any repeats, is empty or is too long."""
    raw = scope.get("query_string", b"").decode("latin-1")
    if len(raw) > 4 * PARAM_LIMIT:
        return None
    out: dict[str, str] = {}
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=8)
    except ValueError:
        return None
    for key, value in pairs:
        if key in out or not value or len(value) > PARAM_LIMIT:
            return None
        out[key] = value
    return out


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return {}
            return {k: m.value for k, m in jar.items()}
    return {}


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _set_cookie(name: str, value: str, *, days: int | None = None) -> tuple[bytes, bytes]:
    text = f"{name}={value}; Path=/; HttpOnly; SameSite=Strict"
    if days is not None:
        text += f"; Max-Age={days * 86400}"
    return (b"set-cookie", text.encode("latin-1"))


_SCRIPT_TAG = b'<script src="/_ak/live.js"></script>'
_VIEWPORT = re.compile(rb'<meta name="viewport"[^>]*>')


def _adapted_page(content: bytes) -> bytes:
    """Put the gate's script first in the page, say its language, and let people zoom."""
    content = content.replace(b"<head>", b"<head>" + _SCRIPT_TAG, 1)
    if not re.search(rb"<html[^>]*\blang=", content):
        content = content.replace(b"<html", b'<html lang="en"', 1)
    return _VIEWPORT.sub(
        b'<meta name="viewport" content="width=device-width, initial-scale=1">', content, 1
    )


def _injecting(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """Wrap ``send``: add headers, and put the gate's script first in an HTML page's head."""
    start: dict[str, Any] = {}
    body: list[bytes] = []

    async def wrapped(message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            start.update(message)
            return
        if kind != "http.response.body":
            await send(message)
            return
        body.append(message.get("body", b""))
        if message.get("more_body"):
            return
        content = b"".join(body)
        kept = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        if any(k == b"content-type" and v.startswith(b"text/html") for k, v in kept):
            content = _adapted_page(content)
        await send({**start, "headers": [*kept, *headers,
                                         (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})

    return wrapped


async def _respond(send: Send, status: int, body: bytes, content_type: str, *,
                   cache: str = "no-store") -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", cache.encode()),
            (b"x-content-type-options", b"nosniff"),
        ],
    })
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, answer: dict[str, Any]) -> None:
    await _respond(send, status, json.dumps(answer).encode("utf-8"), "application/json")


async def _plain(send: Send, status: int, body: bytes) -> None:
    await _respond(send, status, body, "text/plain; charset=utf-8")


async def _refuse(send: Send, reason: str) -> None:
    status, body = refusal_page(reason)
    await _respond(send, status, body, "text/html; charset=utf-8")


async def _close_websocket(receive: Receive, send: Send) -> None:
    """Refuse a websocket before it is accepted (the client sees the handshake fail)."""
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})
