"""A child process that ends when the process that started it dies, however it died.

The facilitator's console starts the workshop's page server (`assured_kit.live.start_server`)
as a child process. When the kernel is stopped normally it stops the server, but a kernel killed
outright (SIGKILL, an out-of-memory kill, a crashed laptop session) runs no clean-up, and the
server would stay behind holding its port, so the next "Open room view" fails.

The parent starts the child with `child_options` (a pipe on its stdin, and its own pid on the
command line); the child calls `exit_with_parent` first thing. Three independent signals then
end the child, so that no single one has to be perfect:

- **Linux**: ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` asks the kernel itself to send SIGTERM the
  moment the parent dies. Linux sends it when the parent *thread* that started the child ends,
  so the parent asks for it only when it starts the child from its main thread.
- **Everywhere**: the parent holds the write end of the child's stdin pipe. When the parent dies
  the operating system closes it, and a thread in the child reading stdin sees end-of-file.
- **POSIX**: a thread checks every half second that the child's parent is still the process
  that started it (an orphan is adopted by another process, so its parent pid changes).

The child then sends itself SIGTERM, which lets the server close its connections, and exits
outright if it is still running a few seconds later.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["child_options", "exit_with_parent"]

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1
#: How often the fallback thread checks the parent pid.
_POLL_SECONDS = 0.5


def child_options() -> tuple[dict[str, Any], list[str]]:
    """Return the `subprocess.Popen` keywords and the arguments that tie a child to this process.

    Pass the keywords to ``Popen`` and the arguments to the child's command line; the child
    hands them to `exit_with_parent`. The returned ``Popen`` object's ``stdin`` must be kept
    open (it is, for as long as the ``Popen`` object lives): closing it ends the child.

    Examples
    --------
    >>> keywords, arguments = child_options()
    >>> keywords["stdin"] == subprocess.PIPE, arguments[0] == f"--parent={os.getpid()}"
    (True, True)
    """
    arguments = [f"--parent={os.getpid()}"]
    if threading.current_thread() is threading.main_thread():
        arguments.append("--parent-signal")
    return {"stdin": subprocess.PIPE}, arguments


def exit_with_parent(
    parent_pid: int,
    *,
    kernel_signal: bool = True,
    pipe: IO[bytes] | None = None,
    grace: float = 5.0,
    end: Callable[[], None] | None = None,
) -> list[str]:
    """End this process soon after process ``parent_pid`` dies (call it first thing in the child).

    Parameters
    ----------
    parent_pid : int
        The pid of the process that started this one (``--parent`` from `child_options`).
    kernel_signal : bool, optional
        On Linux, also ask the kernel for SIGTERM when the parent dies (``--parent-signal``).
    pipe : binary file, optional
        The pipe the parent holds open (this process's stdin by default); end-of-file on it
        means the parent has gone. Not watched when stdin is not a pipe.
    grace : float, optional
        Seconds between the SIGTERM this process sends itself and exiting outright.
    end : callable, optional
        What to do when the parent has gone (by default: SIGTERM, then exit after ``grace``).

    Returns
    -------
    list of str
        The ways being watched, among ``signal``, ``pipe`` and ``pid``.

    Examples
    --------
    >>> exit_with_parent(os.getppid(), kernel_signal=False, pipe=None,
    ...                  end=lambda: None)  # doctest: +SKIP
    ['pid']
    """
    finish = end or (lambda: _terminate_self(grace))
    once = threading.Lock()

    def parent_gone() -> None:
        if once.acquire(blocking=False):
            finish()

    watching: list[str] = []
    if kernel_signal and sys.platform.startswith("linux") and _set_death_signal():
        watching.append("signal")
    if os.name == "posix" and os.getppid() != parent_pid:
        parent_gone()  # it died before we were watching: the signal was never armed
        return watching
    source = pipe if pipe is not None else _stdin_pipe()
    if source is not None:
        threading.Thread(
            target=_wait_for_eof, args=(source, parent_gone), name="parent-pipe", daemon=True
        ).start()
        watching.append("pipe")
    if os.name == "posix":
        threading.Thread(
            target=_poll_parent, args=(parent_pid, parent_gone), name="parent-pid", daemon=True
        ).start()
        watching.append("pid")
    return watching


def _set_death_signal() -> bool:
    """Ask Linux to send this process SIGTERM when its parent dies; say whether it worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stdin_pipe() -> IO[bytes] | None:
    """Return stdin's binary stream when it is a pipe (as `child_options` makes it), else None."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        return None
    try:
        return stream if stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode) else None
    except (OSError, ValueError):
        return None


def _wait_for_eof(pipe: IO[bytes], parent_gone: Callable[[], None]) -> None:
    with contextlib.suppress(OSError, ValueError):
        while pipe.read(4096):
            pass  # the parent writes nothing; anything written is ignored
    parent_gone()


def _poll_parent(parent_pid: int, parent_gone: Callable[[], None]) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_POLL_SECONDS)
    parent_gone()


def _terminate_self(grace: float) -> None:
    """Send this process SIGTERM (a clean shutdown), then exit outright after ``grace`` seconds."""
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)
    os._exit(1)
