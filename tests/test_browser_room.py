"""The console and the room view in a real browser (Voilà, Debian's Chromium) at projector sizes.

One Voilà server (127.0.0.1, a token) serves a folder holding two thin notebooks: the console
on a 12-table workshop and the console on a 4-table pseudonymous workshop. The room view of
that second workshop is served as it is on the day, by the workshop's page server
(`assured_kit.live.start_server`, 127.0.0.1) at its ``/room?key=...`` link. Playwright drives
Chromium at 1280x720 (and 1366x768 for the room view).
Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import nbformat
import pytest
from browser import (
    AXE_OPTIONS,
    chromium_browser,
    free_port,
    require_chromium,
    serious_violations,
    wait_for_http,
)
from test_browser_lab import server_process

from assured_kit.store import NOTE_LIMIT, Workshop

LABELS = [
    "1 Not confident",
    "2 Slightly confident",
    "3 Partly confident",
    "4 Mostly confident",
    "5 Fully confident",
]
#: Bounding boxes of everything that must stay put when a rating is clicked (JavaScript).
_BOXES = """() => Array.from(document.querySelectorAll(
    '.ak-bar, .ak-row, .ak-row .ak-name, .ak-row .ak-rate, .ak-row input, .ak-row select'))
  .map(e => { const r = e.getBoundingClientRect();
              return [e.className.split(' ').filter(c => c.startsWith('ak-')).join(' '),
                      Math.round(r.x * 2) / 2, Math.round(r.y * 2) / 2,
                      Math.round(r.width * 2) / 2, Math.round(r.height * 2) / 2]; })"""
#: How far below the window the lowest piece of the room view reaches (<= 0: all visible).
_OVERFLOW = """() => { const room = document.querySelector('.ak-room');
  let bottom = 0, right = 0;
  for (const e of room.querySelectorAll('*')) { const r = e.getBoundingClientRect();
    if (r.width && r.height) { bottom = Math.max(bottom, r.bottom);
                               right = Math.max(right, r.right); } }
  return [bottom - window.innerHeight, right - window.innerWidth,
          document.documentElement.scrollHeight - window.innerHeight]; }"""


#: The smallest font size (CSS px) of any visible text on the room view.
_SMALLEST_TEXT = """() => { let least = 1000;
  const walk = document.createTreeWalker(document.querySelector('.ak-room'), NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) { const node = walk.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement, r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('style')) continue;
    least = Math.min(least, parseFloat(getComputedStyle(el).fontSize)); }
  return least; }"""


def _where(boxes: list[list]) -> list[list]:
    """The positions and sizes alone (a chosen button changes its class, not its box)."""
    return [box[1:] for box in boxes]


def _notebook(target: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }  # fmt: skip
    nbformat.write(nb, target)


def _console_notebook(target: Path, workshop: Path) -> None:
    _notebook(
        target,
        "from assured_kit.console import facilitator_app",
        f"facilitator_app({str(workshop)!r}, folder={str(target.parent / 'home')!r})",
    )


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    return serious_violations(Axe().run(page, options=AXE_OPTIONS).response)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_chromium()
    root = tmp_path_factory.mktemp("room-root")
    big = root / "big.workshop.sqlite"
    with Workshop.create(big, title="Twelve tables", themes=["WF"]) as ws:
        for n in range(1, 13):
            ws.add_respondent(f"Table {n}", role="Mixed", kind="table")
    small = root / "small.workshop.sqlite"
    with Workshop.create(small, title="Four tables", themes=["WF"]) as ws:
        for n in range(1, 5):
            ws.add_respondent(f"Table {n}", role="Mixed", kind="table")
        ws.set_session(question_id=str(ws.questions()["question_id"].iloc[0]))
    _console_notebook(root / "console12.ipynb", big)
    _console_notebook(root / "console4.ipynb", small)
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "voila", str(root), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", f"--token={token}",
    ]  # fmt: skip
    log = root.parent / "voila-room.log"
    from assured_kit.live import start_server

    pages = start_server(small, host="127.0.0.1", port=free_port(), ready_timeout=120)
    try:
        with server_process(command, root, log) as server, chromium_browser() as browser:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/?token={token}", timeout=90)
            yield {
                "browser": browser,
                "url": lambda name: f"{base}/voila/render/{name}?token={token}",
                "room": pages.room_url,
                "pages": pages,
                "big": big,
                "small": small,
                "server": server,
                "log": log,
            }
    finally:
        pages.stop()


def _open(
    served, name: str, *, width: int = 1280, height: int = 720, wait: str = ".ak-row",
    rows: int = 0,
):  # fmt: skip
    page = served["browser"].new_page(viewport={"width": width, "height": height})
    page.goto(served["room"] if name == "room" else served["url"](name), timeout=120_000)
    try:
        page.wait_for_selector(wait, timeout=120_000)
    except Exception:
        pytest.fail(
            f"{name} did not render: {page.inner_text('body')[-1500:]}\n"
            + served["log"].read_text(errors="replace")[-2000:]
            + served["pages"].log_path.read_text(errors="replace")[-2000:]
        )
    if rows:
        page.wait_for_function(f"document.querySelectorAll('.ak-row').length === {rows}")
    return page


@pytest.mark.slow
@pytest.mark.browser
def test_console_shows_ten_rows_and_a_click_moves_nothing(served, artifacts):
    page = _open(served, "console12.ipynb", rows=12)
    try:
        page.wait_for_timeout(1000)  # let fonts and layout settle
        bar = page.locator(".ak-bar").bounding_box()
        assert bar is not None and bar["y"] >= 0 and bar["y"] + bar["height"] < 720
        rows = [page.locator(".ak-row").nth(i).bounding_box() for i in range(12)]
        whole = [r for r in rows if r and r["y"] >= bar["y"] + bar["height"] - 1
                 and r["y"] + r["height"] <= 720]  # fmt: skip
        page.screenshot(path=str(artifacts / "console-1280x720.png"))
        assert len(whole) >= 10, f"only {len(whole)} whole rows visible at 1280x720: {rows}"

        # Hidden results: a click turns the row's buttons into "✓ answered"; nothing else moves.
        before = page.evaluate(_BOXES)
        first = page.locator(".ak-row").nth(0)
        first.get_by_role("button", name="4 Mostly confident").click()
        first.get_by_text("✓ saved").wait_for(timeout=30_000)
        after = page.evaluate(_BOXES)
        others = lambda boxes: [b for b in boxes if b[0] != "ak-rate"]  # noqa: E731
        assert others(after) == others(before)

        # Revealed: the chosen button is marked in place; nothing moves, that row included.
        page.get_by_role("button", name="Reveal results").click()
        page.get_by_text("Hide results").wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        before = page.evaluate(_BOXES)
        second = page.locator(".ak-row").nth(1)
        second.get_by_role("button", name="2 Slightly confident").click()
        second.get_by_text("2 Slightly confident").last.wait_for(timeout=30_000)
        page.wait_for_timeout(300)
        assert _where(page.evaluate(_BOXES)) == _where(before)

        # A refused note is said to be not saved, in its own row.
        third = page.locator(".ak-row").nth(2)
        third.get_by_role("button", name="3 Partly confident").click()
        third.get_by_text("3 Partly confident").last.wait_for(timeout=30_000)
        note = third.locator("input[type=text]")
        note.fill("x" * (NOTE_LIMIT + 9))
        note.press("Enter")
        third.get_by_text("note not saved").wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts / "console-note-not-saved.png"))
        assert "✓ saved" in third.inner_text() or "✓ answered" in third.inner_text()
        serious = _serious(page)
        assert serious == [], "\n".join(serious)
    finally:
        page.screenshot(path=str(artifacts / "console-last.png"))
        page.close()
    with Workshop.open(served["big"]) as ws:
        got = ws.ratings()
    assert sorted(got["rating"].tolist()) == [2, 3, 4] and got["note"].isna().all()


@pytest.mark.slow
@pytest.mark.browser
def test_hidden_results_show_no_rating_for_any_row_and_room_view_fits(served, artifacts):
    from assured_kit import voting

    page = _open(served, "console4.ipynb")
    try:
        for n, label in enumerate(["5 Fully confident", "1 Not confident", "4 Mostly confident",
                                   "Don't know"]):  # fmt: skip
            row = page.locator(".ak-row").nth(n)
            row.get_by_role("button", name=label).click()
            row.get_by_text("✓ saved").wait_for(timeout=30_000)
        page.get_by_text("4 of 4").wait_for(timeout=30_000)  # the count follows the row
        text = page.inner_text("body")
        page.screenshot(path=str(artifacts / "console-hidden-four-rated.png"), full_page=True)
        for label in [*LABELS, "Don't know"]:
            assert label not in text, f"{label!r} visible while results are hidden"
        assert "4 of 4" in text and "answered" in text

        # A live voter in a pseudonymous workshop: counted, never shown one by one.
        with Workshop.open(served["small"]) as phone:
            token, _rid = voting.join(phone, role="DCS", label="Sam Phone")
            qid = phone.session()["question_id"]
            voting.cast_vote(phone, token, qid, 2, round=1)
        page.get_by_text("Live voters: 1 joined, 1 answered").wait_for(timeout=30_000)
        page.get_by_role("button", name="Reveal results").click()
        page.get_by_text("Hide results").wait_for(timeout=30_000)
        assert "Sam Phone" not in page.inner_text("body")
        page.screenshot(path=str(artifacts / "console-revealed-pseudonymous.png"))

        for width, height in ((1280, 720), (1366, 768)):
            room = _open(served, "room", width=width, height=height, wait=".ak-room")
            try:
                room.get_by_text("5 answered").wait_for(timeout=30_000)
                room.locator(".ak-room-charts .ak-chart").first.wait_for(timeout=30_000)
                room.wait_for_timeout(1000)
                below, beyond, scroll = room.evaluate(_OVERFLOW)
                room.screenshot(path=str(artifacts / f"room-{width}x{height}.png"))
                assert below <= 0 and beyond <= 0 and scroll <= 0, (below, beyond, scroll)
                # Every piece of text on the room view, the chart's included, is >= 18 px.
                smallest = room.evaluate(_SMALLEST_TEXT)
                assert smallest >= 18, smallest
                words = room.inner_text("body")
                assert "Workforce · DCS 1 of 4 · 1 of 7" in words
                assert "Round 1" in words and "Results shown" in words
                for name in ("Table 1", "Sam Phone"):
                    assert name not in words
                if width == 1280:
                    # The whole page, the server's template (its <html lang>) included.
                    serious = _serious(room)
                    assert serious == [], "\n".join(serious)
            finally:
                room.close()
    finally:
        page.close()
    assert served["server"].poll() is None and served["pages"].running


def _kill_newest_kernel(server_pid: int) -> None:
    """Kill the most recently started kernel of the Voilà server this test started."""
    import psutil

    kernels = [
        p for p in psutil.Process(server_pid).children(recursive=True)
        if any("ipykernel" in part for part in p.cmdline())
    ]  # fmt: skip
    assert kernels, "no kernel found under the Voilà server"
    newest = max(kernels, key=lambda p: p.create_time())
    newest.kill()
    newest.wait(timeout=10)


#: The focused element's outline width in CSS px (a visible focus ring is >= 2).
_FOCUS_RING = """() => { const e = document.activeElement;
  const s = getComputedStyle(e);
  return [e.tagName, parseFloat(s.outlineWidth), s.outlineStyle]; }"""
#: Where the keyboard is: the focused element's tag, words and focus ring (read, never moved).
_FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
  const label = e.closest('.widget-inline-hbox, .jupyter-widgets')?.querySelector('label');
  return { tag: e.tagName, text: (e.innerText || e.getAttribute('aria-label') || e.title
           || (label ? label.innerText : '') || '').trim().slice(0, 60),
           name: e.classList.contains('ak-name'), ring: parseFloat(s.outlineWidth),
           style: s.outlineStyle }; }"""


def _tab_to(page, wanted, *, back: bool = False, limit: int = 120) -> dict:
    """Press Tab (or Shift+Tab) until the focused element is ``wanted``; check its focus ring.

    ``wanted`` takes what `_FOCUSED` reports. Only keys move the focus; the page is only read.
    """
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = page.evaluate(_FOCUSED)
        seen.append(f"{focused['tag']} {focused['text']!r}")
        if wanted(focused):
            assert focused["ring"] >= 2 and focused["style"] != "none", (
                f"no visible focus on {focused}")
            return focused
    pytest.fail("the keyboard never reached it; focus went: " + " | ".join(seen[-40:]))


@pytest.mark.slow
@pytest.mark.browser
def test_keyboard_alone_runs_a_mini_workshop_and_a_reload_lands_on_it(served, artifacts):
    """Rate, reveal, next, round 2 (past its warning), rate again, an action, an export: keys only.

    The console opens the workshop by itself (the notebook names it); from there on, every
    step is a key press, and each control the keyboard stops at shows a focus ring.
    """
    page = _open(served, "console12.ipynb", rows=12)
    try:
        with Workshop.open(served["big"]) as ws:
            revealed = ws.session()["revealed"]
        name = page.locator(".ak-row").nth(3).locator(".ak-name")
        name.focus()
        page.keyboard.press("5")
        page.locator(".ak-row").nth(3).get_by_text("✓ saved").wait_for(timeout=30_000)
        for _ in range(9):  # name, six buttons, evidence, note: then the next row's name
            page.keyboard.press("Tab")
        tag, ring, style = page.evaluate(_FOCUS_RING)
        assert tag == "BUTTON" and ring >= 2 and style != "none", (tag, ring, style)
        page.keyboard.press("d")
        page.locator(".ak-row").nth(4).get_by_text("✓ saved").wait_for(timeout=30_000)
        _tab_to(page, lambda f: f["name"])  # the next row's name
        page.keyboard.press("2")
        page.locator(".ak-row").nth(5).get_by_text("✓ saved").wait_for(timeout=30_000)
        page.keyboard.press("r")
        page.get_by_text("Reveal results" if revealed else "Hide results").wait_for(timeout=30_000)
        page.keyboard.press("ArrowRight")
        page.get_by_text("Workforce · DCS 2 of 4 · 2 of 7").wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts / "console-keyboard.png"))

        # Round 2 on a question no one answered: a warning beside the button, then "anyway".
        _tab_to(page, lambda f: f["text"] == "Start round 2", back=True)
        page.keyboard.press("Enter")
        page.get_by_text("Press “Start round 2 anyway”").wait_for(timeout=30_000)
        assert page.evaluate(_FOCUSED)["text"] == "Start round 2 anyway"
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Back to round 1").wait_for(timeout=30_000)
        _tab_to(page, lambda f: f["name"])
        page.keyboard.press("4")
        page.locator(".ak-row").nth(0).get_by_text("✓ saved").wait_for(timeout=30_000)

        # An action: open its section, type what and who, save.
        _tab_to(page, lambda f: f["text"] == "Capture an action")
        page.keyboard.press("Enter")
        _tab_to(page, lambda f: f["tag"] == "TEXTAREA")
        page.keyboard.type("Audit supervision notes")
        _tab_to(page, lambda f: f["tag"] == "INPUT" and f["text"] == "Owner")
        page.keyboard.type("Head of service")
        _tab_to(page, lambda f: f["text"] == "Add action")
        page.keyboard.press("Enter")
        page.get_by_text("Audit supervision notes").last.wait_for(timeout=30_000)

        # The export, from the Summary tab.
        _tab_to(page, lambda f: f["text"] == "3 Run")  # on round to the tabs
        page.keyboard.press("ArrowRight")  # between tabs, the arrows move; no next question
        assert page.evaluate(_FOCUSED)["text"] == "4 Summary"
        page.keyboard.press("Enter")
        _tab_to(page, lambda f: f["text"] == "Export answers (CSV)")
        page.keyboard.press("Enter")
        page.get_by_text("Download big.csv").wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts / "console-keyboard-export.png"))

        page.reload(timeout=120_000)  # a new kernel: the console opens where it was
        page.wait_for_selector(".ak-row", timeout=120_000)
        page.get_by_text("Workforce · DCS 2 of 4 · 2 of 7").wait_for(timeout=30_000)

        # The page's kernel dies: the console says so plainly, and what to press.
        _kill_newest_kernel(served["server"].pid)
        page.get_by_text("The console has lost its kernel").wait_for(timeout=40_000)
        page.screenshot(path=str(artifacts / "console-kernel-lost.png"))
        assert "Run All Cells" in page.inner_text("body")
    finally:
        page.close()
    with Workshop.open(served["big"]) as ws:
        got = ws.ratings()
        session = ws.session()
        actions = ws.actions()
    assert session["revealed"] is False and session["round"] == 2
    first = got[got["round"] == 1].set_index("respondent_label")
    assert first.loc["Table 4", "rating"] == 5 and bool(first.loc["Table 5", "dont_know"])
    assert first.loc["Table 6", "rating"] == 2
    second = got[got["round"] == 2]
    assert second[["respondent_label", "question_id", "rating"]].values.tolist() == [
        ["Table 1", session["question_id"], 4]]
    assert actions["what"].tolist() == ["Audit supervision notes"]
    assert actions["owner"].tolist() == ["Head of service"]
    assert (served["big"].parent / "big.csv").is_file()
