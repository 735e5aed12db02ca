"""The live-voting server's pages as Solara runs them: one light session per phone, one process.

`assured_kit.live.start_server` runs Solara's server with this module as its app, behind
`assured_kit.gate.Gate`. Solara runs `LivePage` once for every browser that opens a page; it
builds that browser's widgets:

- ``/`` (or ``/vote``): the participant's voting page, `assured_kit.voting.VoterPage`;
- ``/room``: the room view for the projector, built by a page factory (by default
  ``assured_kit.room:room_page``, imported only when the room view is asked for), shown only
  to a session whose websocket carried the room pass.

All sessions share one open workshop and one `Hub`, which re-reads the facilitator's state from
the workshop file once a second and updates only the pages whose view changed. Nothing a page
does can show a traceback to its browser: failures become a short message, and the server's
log keeps the detail.

Taps take a shorter road than the rest of the page (`tap`): the page's script sends each one to
the gate's tap address, which hands it here; the hub saves the taps arriving together in one
transaction and the answer goes back once the file has them. Only then is the voter's page told
(its widgets show "Saved"), on the hub's own thread, after the answer: a hall tapping at once
costs a few disk writes and no widget messages on the way in. Profiled with 200 voters, a tap
through the widgets cost about 5 ms of server CPU (receiving the widget message, Solara's
per-message bookkeeping, status messages and replies, each crossing threads), so 200 taps at
once queued for over a second before the last was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .errors import AssuredKitError

__all__ = [
    "ENV_ROOM", "ENV_WORKSHOP", "Hub", "SessionClosedError", "hub", "page_for", "room_factory",
    "tap",
]

#: Environment variable naming the workshop file the server serves.
ENV_WORKSHOP = "ASSURED_KIT_LIVE_WORKSHOP"
#: Environment variable naming the room view's page factory, ``module:function``.
ENV_ROOM = "ASSURED_KIT_LIVE_ROOM"
DEFAULT_ROOM = "assured_kit.room:room_page"

log = logging.getLogger("assured_kit.live")

_NOT_AVAILABLE = (
    '<div style="font-size:20px;padding:16px 0"><b>This page is not available.</b><br>'
    "Scan the QR code or open the link the facilitator shows.</div>"
)


def room_factory(spec: str | None = None) -> Callable[[Path], widgets.Widget] | None:
    """Return the room view's page factory named by ``module:function``, or None.

    None when the module does not import (the room view is then not served).

    Examples
    --------
    >>> room_factory("assured_kit.no_such_module:page") is None
    True
    >>> room_factory("os.path:basename").__name__
    'basename'
    """
    spec = spec or os.environ.get(ENV_ROOM) or DEFAULT_ROOM
    module_name, _, name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    factory = getattr(module, name or "room_page", None)
    return factory if callable(factory) else None


class Hub:
    """The one place the server reads the workshop; pages subscribe to its snapshots.

    A background thread re-reads the facilitator's state every ``poll_seconds`` (`snapshot`)
    and calls every subscribed page's ``refresh(state)`` when the state changed. Each page is
    refreshed inside its own session (``run_in``), so its widget changes reach its browser.

    Parameters
    ----------
    path : Path
        The workshop file.
    poll_seconds : float, optional
        How often the file is re-read.
    """

    def __init__(self, path: Path, *, poll_seconds: float = 1.0) -> None:
        from .store import Workshop

        self.path = path
        self.ws = Workshop.open(path)
        self.poll_seconds = poll_seconds
        self._pages: dict[int, tuple[Any, Callable[[Callable[[], None]], None]]] = {}
        self._by_session: dict[str, tuple[Any, Callable[[Callable[[], None]], None]]] = {}
        self._shows: queue.Queue[tuple[float, Callable[[Callable[[], None]], None],
                                       Callable[[], None]]] = queue.Queue()
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None
        self._threads: dict[str, threading.Thread] = {}
        self._votes: queue.Queue[tuple[Any, Future[int]]] = queue.Queue()
        self._writing = threading.Event()
        self._last_tap = 0.0
        self._devices: dict[str, str] = {}
        self._stopped = threading.Event()

    def close(self) -> None:
        """Stop following the file and close the workshop (the server does this on exit)."""
        self._stopped.set()
        with self._lock:
            self._pages.clear()
            self._by_session.clear()
        self.ws.close()

    def cast(self, vote: Any, *, timeout: float = 30.0) -> int:
        """Save a tap and return its event id once the file has it (or raise its error).

        Taps arriving while the previous ones are being written are saved together, in one
        transaction (`assured_kit.voting.cast_votes`): a hall tapping at once costs a few disk
        writes, not one each.
        """
        return self.cast_soon(vote).result(timeout)

    def cast_soon(self, vote: Any) -> Future[int]:
        """Queue a tap for saving; the future gives its event id once the file has it."""
        done: Future[int] = Future()
        self._last_tap = time.monotonic()
        self._start("live-votes", self._write_votes)
        self._votes.put((vote, done))
        return done

    def _write_votes(self) -> None:
        from .voting import cast_votes

        while True:
            waiting = [self._votes.get()]
            self._writing.set()
            with contextlib.suppress(queue.Empty):
                while len(waiting) < 500:
                    waiting.append(self._votes.get_nowait())
            try:
                results = cast_votes(self.ws, [vote for vote, _ in waiting],
                                     devices=self._devices)
            except Exception as exc:  # a busy or broken file: every tap hears of it
                for _, done in waiting:
                    done.set_exception(exc)
                continue
            finally:
                if self._votes.empty():
                    self._writing.clear()
            for (_, done), result in zip(waiting, results, strict=True):
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    def snapshot(self) -> dict[str, Any]:
        """Return the live state now (see `assured_kit.voting.live_state`)."""
        from .voting import live_state

        return live_state(self.ws)

    @property
    def state(self) -> dict[str, Any]:
        """The latest snapshot (read now when there is none yet)."""
        if self._state is None:
            self._state = self.snapshot()
        return self._state

    def subscribe(self, page: Any, run_in: Callable[[Callable[[], None]], None],
                  session: str | None = None) -> None:
        """Refresh ``page`` (inside its session, through ``run_in``) on every change.

        ``session`` (the session's kernel id) lets taps sent to the gate find the page.
        """
        with self._lock:
            self._pages[id(page)] = (page, run_in)
            if session is not None:
                self._by_session[session] = (page, run_in)
        self._start("live-hub", self._watch)

    def _start(self, name: str, target: Callable[[], None]) -> None:
        """Start the hub's thread ``name`` (running ``target``) unless it has started."""
        with self._lock:
            if name not in self._threads:
                self._threads[name] = threading.Thread(target=target, name=name, daemon=True)
                self._threads[name].start()

    def unsubscribe(self, page: Any) -> None:
        """Stop refreshing ``page``."""
        with self._lock:
            self._pages.pop(id(page), None)
            for session, (other, _) in list(self._by_session.items()):
                if other is page:
                    del self._by_session[session]

    def page_in(self, session: str) -> tuple[Any, Callable[[Callable[[], None]], None]] | None:
        """Return the voting page of a session (kernel id) and how to run code in it, or None."""
        with self._lock:
            return self._by_session.get(session)

    def show_later(self, run_in: Callable[[Callable[[], None]], None],
                   action: Callable[[], None]) -> None:
        """Run ``action`` in a page's session on the hub's own thread, in the order asked."""
        self._start("live-pages", self._show)
        self._shows.put((time.monotonic(), run_in, action))

    def _show(self) -> None:
        while True:
            asked, run_in, action = self._shows.get()
            # Saving comes first: while a wave of taps arrives and is written, pages wait to be
            # told (at most two seconds after the save), so showing "Saved" never slows saving.
            deadline = asked + 2.0
            while (self._writing.is_set() or time.monotonic() - self._last_tap < 0.02) \
                    and time.monotonic() < deadline:
                time.sleep(0.005)
            try:
                run_in(action)
            except SessionClosedError:
                pass  # the page has gone; its phone reloads and sees the saved answer
            except Exception:
                log.exception("live voting: a page could not show a tap")

    def _watch(self) -> None:
        tick = 0
        while not self._stopped.wait(self.poll_seconds):
            tick += 1
            try:
                state = self.snapshot()
            except Exception:  # a busy file: try again next time; the log says why
                log.exception("live voting: cannot read the workshop")
                continue
            changed = state != self._state
            if not changed and tick % 10:
                continue
            self._state = state
            with self._lock:
                pages = list(self._pages.values())
            for page, run_in in pages:
                # On a change every page is refreshed; now and then, closed pages are let go.
                action = (lambda page=page, state=state: page.refresh(state)) if changed \
                    else (lambda: None)
                try:
                    run_in(action)
                except SessionClosedError:
                    self.unsubscribe(page)
                except Exception:
                    log.exception("live voting: a page refresh failed")
                    self.unsubscribe(page)


class SessionClosedError(RuntimeError):
    """The browser session a page belonged to has closed (left, culled or reloaded)."""


_HUB: Hub | None = None
_HUB_LOCK = threading.Lock()


def hub() -> Hub:
    """Return the server's one `Hub` (opening the workshop on first use)."""
    global _HUB
    with _HUB_LOCK:
        if _HUB is None:
            target = os.environ.get(ENV_WORKSHOP)
            if not target:
                raise AssuredKitError("the live-voting server was started without a workshop",
                                      field="workshop")
            _HUB = Hub(Path(target))
        return _HUB


async def tap(session: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Save a tap the gate checked (`assured_kit.gate.read_tap`); return the HTTP answer.

    The vote is the session's page's (`VoterPage.vote_for`: its device token, with the evidence
    and note chosen on it) for the question and round the phone showed. The answer comes only
    once the workshop file has the vote (200) or has refused it (409, with the reason the page
    then shows too, e.g. `assured_kit.voting.MOVED_ON`); a session with no voting page, or
    another device's token, gets 410 (the page reloads).

    Parameters
    ----------
    session : str
        The page's session (kernel id), which the gate found was opened by this device.
    request : dict
        ``voter``, ``question``, ``round`` and ``value`` as `assured_kit.gate.read_tap` read them.

    Returns
    -------
    (int, dict)
        The HTTP status and the JSON answer (``message`` in plain words when not saved).

    Examples
    --------
    >>> asyncio.run(tap(kernel_id, {"voter": token, "question": "LA-DCS-1", "round": 1,
    ...                             "value": 4}))  # doctest: +SKIP
    (200, {'saved': True})
    """
    shared = hub()
    found = shared.page_in(session)
    if found is None or found[0].token != request["voter"]:
        return 410, {"message": "Not saved: the connection was lost. Reconnecting…",
                     "reload": True}
    page, run_in = found
    vote = page.vote_for(request["value"], request["question"], request["round"])
    try:
        await asyncio.wrap_future(shared.cast_soon(vote))
    except AssuredKitError as exc:
        shared.show_later(run_in, lambda error=exc: page.not_saved(error))
        return 409, {"saved": False, "message": f"Not saved: {exc.problem}."}
    shared.show_later(run_in, lambda: page.saved_vote(vote))
    return 200, {"saved": True}


def _gate_owner() -> Any:
    """Return who opened this session, as the gate saw it (None outside the server)."""
    from .gate import current_gate

    gate, session = current_gate(), _session_id()
    return None if gate is None or session is None else gate.owner_of(session)


def _session_id() -> str | None:
    """Return the current Solara session's kernel id (None outside the server)."""
    from .gate import current_gate

    if current_gate() is None:
        return None
    from solara.server import kernel_context

    return str(kernel_context.get_current_context().id)


def _run_in_session() -> Callable[[Callable[[], None]], None]:
    """Return a function that runs a callable inside the current Solara session."""
    from solara.server import kernel_context

    context = kernel_context.get_current_context()
    one_at_a_time = threading.RLock()  # the hub's threads (refreshes, "Saved") take turns

    def run_in(action: Callable[[], None]) -> None:
        if context.closed_event.is_set():
            raise SessionClosedError(context.id)
        with one_at_a_time, context:
            action()

    return run_in


def page_for(path: str, search: str | None, *, owner: Any = None) -> widgets.Widget:
    """Build the widget for one page: the voting page, the room view, or a refusal.

    Parameters
    ----------
    path : str
        The page's path (``/``, ``/vote`` or ``/room``).
    search : str or None
        The address parameters (``code=...&voter=...`` or ``key=...``).
    owner : gate.Owner, optional
        Who opened the session; decides whether the room view may be shown and limits joins
        and taps per device.
    """
    from .gate import current_gate
    from .voting import VoterPage, parse_query

    path = "/" + path.strip("/")
    if path == "/room":
        if owner is None or not owner.room:
            return widgets.HTML(_NOT_AVAILABLE)
        factory = room_factory()
        if factory is None:
            return widgets.HTML(_NOT_AVAILABLE)
        return factory(hub().path)
    if path not in ("/", "/vote") or (owner is not None and not owner.vote):
        return widgets.HTML(_NOT_AVAILABLE)
    shared = hub()
    gate = current_gate()
    voter = VoterPage(
        shared.ws,
        parse_query(search or ""),
        state=shared.state,
        may_join=(lambda: gate.may_join(owner)) if gate is not None else None,
        may_tap=(lambda: gate.may_tap(owner)) if gate is not None else None,
        cast=shared.cast,
    )
    if voter.respondent_id is not None or voter.joining:
        shared.subscribe(voter, _run_in_session(), _session_id())
    return voter.widget


def _safe_page(path: str, search: str | None) -> widgets.Widget:
    try:
        return page_for(path, search, owner=_gate_owner())
    except Exception:
        log.exception("live voting: a page could not be built")
        return widgets.HTML(
            '<div style="font-size:20px;padding:16px 0"><b>Something went wrong.</b><br>'
            "Please scan the QR code again.</div>"
        )


def _solara_pages() -> dict[str, Any]:
    """Build the Solara components and routes (Solara is imported only now: see `__getattr__`)."""
    import solara

    @solara.component
    def LivePage() -> None:  # noqa: N802 - a Solara component
        """Show this session's page: one widget per session, built once."""
        router = solara.use_router()
        widget = solara.use_memo(lambda: _safe_page(router.path, router.search),
                                 dependencies=[])
        solara.display(widget)

    @solara.component
    def Layout(children: list[Any] | None = None) -> None:  # noqa: N802 - a Solara component
        """Show the page alone: no navigation bar, title or tabs around it."""
        solara.Column(children=children or [], style={"padding": "0 8px"})

    # The pages Solara serves (the gate lets through only these, with a valid code or key).
    routes = [
        solara.Route(path="/", component=LivePage, layout=Layout),
        solara.Route(path="vote", component=LivePage, layout=Layout),
        solara.Route(path="room", component=LivePage, layout=Layout),
    ]
    return {"LivePage": LivePage, "Layout": Layout, "routes": routes}


_SOLARA_NAMES = ("LivePage", "Layout", "routes")


def __getattr__(name: str) -> Any:
    """Give Solara its ``routes`` (and components) on first use (PEP 562).

    Solara reads its settings once, when it is first imported; importing it lazily lets the
    server process set them (`assured_kit.live.server_environment`) before that happens.
    """
    if name not in _SOLARA_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    built = _solara_pages()
    globals().update(built)
    return built[name]
