"""One way to start Debian's Chromium under Playwright, shared by every browser test.

    from browser import chromium_browser, free_port, wait_for_http

A browser test may skip on a machine without Chromium, but fails under CI (``CI`` set), where
``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
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


def require_chromium() -> str:
    """Return Chromium's path; skip without it, but fail in CI, where it must be installed."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing at /usr/bin/chromium; CI must install Debian's chromium")
    pytest.skip("Chromium is not installed at /usr/bin/chromium")
    raise AssertionError("unreachable")


@contextlib.contextmanager
def chromium_browser() -> Iterator[object]:
    """Yield a Playwright ``Browser`` on Debian's Chromium (never a downloaded build)."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, *, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers an HTTP request (any status), or fail the test."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last = exc
            time.sleep(0.25)
    pytest.fail(f"server at {url} did not answer within {timeout:.0f} s ({last})")


#: The WCAG 2.2 AA rule tags axe-core runs (levels A and AA of 2.0, 2.1 and 2.2).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: What axe-core is asked to run, for its sync and async front ends alike.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}


def serious_violations(response: dict) -> list[str]:
    """Return axe-core's serious and critical violations, one readable line each."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}, "
        f"e.g. {v['nodes'][0]['target']} {v['nodes'][0]['html'][:160]}"
        for v in response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
