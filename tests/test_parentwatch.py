"""The page server does not outlive a killed kernel (`assured_kit.parentwatch`).

Each of the three ways a child notices its parent has gone is tested on its own (the others
switched off), then the real server is started by a stand-in kernel that is SIGKILLed.
Everything listens on, and connects to, 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import psutil
import pytest
from browser import free_port

from assured_kit.parentwatch import child_options
from assured_kit.store import Workshop

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and parent pids are POSIX")

# A child that watches its parent. ``end`` exits with status 3, or does nothing when the child
# must be ended by the kernel's signal alone.
CHILD = textwrap.dedent("""
    import os, sys, time
    from assured_kit.parentwatch import exit_with_parent
    parent, kernel, quiet = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"
    watching = exit_with_parent(
        parent, kernel_signal=kernel, end=(lambda: None) if quiet else (lambda: os._exit(3)))
    print(os.getpid(), ",".join(watching), flush=True)
    time.sleep(60)
""")

# A stand-in kernel: starts CHILD (stdin a pipe, or not), prints the child's pid, then waits to
# be killed.
PARENT = textwrap.dedent("""
    import os, subprocess, sys, time
    child = subprocess.Popen(
        [sys.executable, "-c", sys.argv[1], str(os.getpid()), *sys.argv[3:]],
        stdin=subprocess.PIPE if sys.argv[2] == "pipe" else subprocess.DEVNULL,
        stdout=subprocess.PIPE, text=True)
    print(child.stdout.readline().strip(), flush=True)
    time.sleep(60)
""")


def _gone(pid: int, within: float) -> bool:
    """Wait until ``pid`` has exited (an unreaped zombie counts as exited)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _kill(pid: int) -> None:
    """Clean up a process this test started (directly or through its stand-in parent)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _orphan(stdin: str, kernel: bool, quiet: bool) -> tuple[int, str]:
    """Start a stand-in kernel and its watching child, SIGKILL the kernel; return the child."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, stdin, "1" if kernel else "0", "1" if quiet else "0"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        pid, watching = parent.stdout.readline().split()
    finally:
        parent.kill()  # SIGKILL: no clean-up of any kind in the parent
        parent.wait(10)
    return int(pid), watching


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_the_kernel_signal_alone_ends_an_orphan():
    pid, watching = _orphan("devnull", kernel=True, quiet=True)
    try:
        assert watching == "signal,pid"
        assert _gone(pid, within=5)
    finally:
        _kill(pid)


def test_the_parent_pid_check_alone_ends_an_orphan():
    pid, watching = _orphan("devnull", kernel=False, quiet=False)
    try:
        assert watching == "pid"  # no pipe on stdin, no kernel signal
        assert _gone(pid, within=5)
    finally:
        _kill(pid)


def test_the_pipe_alone_ends_the_child_while_the_parent_lives():
    """Closing the pipe is what the parent's death does; the parent pid does not change here."""
    keywords, arguments = child_options()
    assert keywords == {"stdin": subprocess.PIPE} and arguments[0] == f"--parent={os.getpid()}"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(os.getpid()), "0", "0"],
        stdout=subprocess.PIPE, text=True, **keywords,
    )
    try:
        assert child.stdout.readline().split()[1] == "pipe,pid"
        time.sleep(0.3)
        assert child.poll() is None  # alive while the pipe is open
        child.stdin.close()
        assert child.wait(5) == 3
    finally:
        child.kill()
        child.wait(5)


SERVER_PARENT = textwrap.dedent("""
    import sys, time
    from assured_kit.live import start_server
    server = start_server(sys.argv[1], port=int(sys.argv[2]))
    print(server.process.pid, flush=True)
    time.sleep(120)
""")


@pytest.mark.slow
def test_the_page_server_ends_when_its_kernel_is_killed(tmp_path):
    path = tmp_path / "kill.workshop.sqlite"
    Workshop.create(path, title="Killed kernel").close()
    port = free_port()
    kernel = subprocess.Popen(
        [sys.executable, "-c", SERVER_PARENT, str(path), str(port)],
        stdout=subprocess.PIPE, text=True,
    )
    server = None
    try:
        server = int(kernel.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the server is listening
        kernel.kill()  # SIGKILL, as when a kernel is killed outright
        kernel.wait(10)
        assert _gone(server, within=8), "the page server outlived its killed kernel"
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the port is closed
    finally:
        kernel.kill()
        kernel.wait(10)
        if server is not None:
            _kill(server)
