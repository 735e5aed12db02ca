"""Live voting in real Chromium pages against the real page server started by `live.start_server`.

Several browser contexts (separate "phones", 390 px wide) join at once and tap their ratings at
the same moment; the workshop file must then hold every vote under the right respondent, the
facilitator's panel must count them, a reload must keep a voter the same respondent, the pages
must follow the facilitator revealing (which closes voting) and closing the question, a page
without the join code must get the refusal and nothing else, no request may leave 127.0.0.1,
and axe-core must find no serious or critical WCAG 2.2 AA problem at 390 px. A page whose
server goes away must say so and come back by itself, same respondent, same saved answer.
"""

from __future__ import annotations

import asyncio

import pytest
from browser import (
    AXE_OPTIONS,
    CHROMIUM_ARGS,
    free_port,
    require_chromium,
    serious_violations,
)

from assured_kit import live
from assured_kit.store import Workshop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "LA-DCS-1"
VOTERS = [  # label, role button, authority, rating tapped
    ("Ann Lee", "Director of Children's Services", "Derby", 2),
    ("Bo <b>Chan</b>", "Lead Member for Children's Services", "Rutland", 4),
    ("Cy Dunn", "Another senior officer", "Leicester", 5),
    ("Di Evans", "Lead Member for Children's Services", "Derby", None),  # Don't know
]
LABELS = {1: "1 · Not confident", 2: "2 · Slightly confident", 3: "3 · Partly confident",
          4: "4 · Mostly confident", 5: "5 · Fully confident", None: "Don't know"}
TIMEOUT = 90_000  # ms, for any single wait


async def _join(page, url: str, label: str, role: str, authority: str) -> None:
    await page.goto(url, timeout=TIMEOUT)
    await page.wait_for_selector("button:has-text('Join')", timeout=TIMEOUT)
    await page.click(f"button:has-text(\"{role}\")")
    await page.select_option("select", authority)
    await page.fill("input[type=text]", label)
    await page.click("button:has-text('Join')")
    await page.wait_for_selector("text=tap your answer", timeout=TIMEOUT)


async def _tap(page, rating: int | None) -> None:
    await page.click(f"button:has-text(\"{LABELS[rating]}\")", timeout=TIMEOUT)
    await page.wait_for_selector(f".ak-saved:has-text(\"Saved: {LABELS[rating]}\")",
                                 timeout=TIMEOUT)


async def _serious_problems(page) -> list[str]:
    """Run axe-core (bundled with axe-playwright-python) on the page: serious or worse."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options=AXE_OPTIONS)
    return serious_violations(results.response)


def _watch_network(context, seen: list[str]) -> None:
    """Record every request and websocket a browser context makes."""
    context.on("request", lambda request: seen.append(request.url))
    context.on("page", lambda page: page.on("websocket", lambda ws: seen.append(ws.url)))


def _outside(seen: list[str]) -> list[str]:
    from urllib.parse import urlsplit

    return [url for url in seen
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).hostname != "127.0.0.1"]


async def _refused(browser, url: str) -> tuple[str, int]:
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await page.goto(url, timeout=TIMEOUT)
    await page.wait_for_selector("text=needs a valid join link", timeout=TIMEOUT)
    text = await page.inner_text("body")
    buttons = await page.locator("button").count()
    await context.close()
    return text, buttons


async def _session(server, facilitator: Workshop, artifacts) -> dict[str, object]:
    from playwright.async_api import async_playwright

    out: dict[str, object] = {}
    seen: list[str] = []
    out["seen"] = seen
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            contexts = [await browser.new_context(viewport={"width": 390, "height": 844})
                        for _ in VOTERS]
            for context in contexts:
                _watch_network(context, seen)
            pages = [await c.new_page() for c in contexts]
            # The join form, checked with axe-core before anyone joins.
            await pages[0].goto(server.vote_url, timeout=TIMEOUT)
            await pages[0].wait_for_selector("button:has-text('Join')", timeout=TIMEOUT)
            out["axe_join"] = await _serious_problems(pages[0])
            # Everyone opens the join link and joins at the same moment.
            await asyncio.gather(*(
                _join(p, server.url, label, role, authority)
                for p, (label, role, authority, _) in zip(pages, VOTERS, strict=True)
            ))
            # ... and taps at the same moment.
            await asyncio.gather(*(
                _tap(p, rating) for p, (*_, rating) in zip(pages, VOTERS, strict=True)
            ))
            # The question's 2010 terms are explained under it (LSCB here), closed until tapped.
            await pages[0].click("summary:has-text('What does this mean?')")
            gloss = pages[0].locator(".ak-help p[data-term='LSCB']")
            await gloss.wait_for(state="visible", timeout=TIMEOUT)
            out["gloss"] = await gloss.inner_text()
            out["gloss_right"] = await gloss.evaluate("e => e.getBoundingClientRect().right")
            # Nothing on the page reaches past the phone's 390 px: no sideways scrolling.
            out["widest"] = [
                await p.evaluate(
                    "Math.max(document.documentElement.scrollWidth, ...Array.from("
                    "document.querySelectorAll('.ak-vote, .ak-vote *'),"
                    " e => Math.ceil(e.getBoundingClientRect().right)))"
                )
                for p in pages
            ]
            await pages[0].screenshot(path=str(artifacts / "live_vote_phone.png"), full_page=True)
            out["axe_vote"] = await _serious_problems(pages[0])

            # A reload keeps the voter the same respondent, with their answer shown.
            await pages[1].reload(timeout=TIMEOUT)
            await pages[1].wait_for_selector("text=tap your answer", timeout=TIMEOUT)
            out["after_reload"] = await pages[1].inner_text("body")
            out["reload_url"] = pages[1].url

            # The pages follow the facilitator: revealing the answers closes voting.
            facilitator.set_session(revealed=True)
            await pages[2].wait_for_selector("text=The room's answers (4)", timeout=TIMEOUT)
            await pages[2].wait_for_selector("text=Voting closed", timeout=TIMEOUT)
            out["closed_buttons_disabled"] = await pages[2].locator(
                f"button:has-text(\"{LABELS[1]}\")"
            ).is_disabled()
            out["closed_everywhere"] = [
                await p.locator("text=Voting closed").count() for p in pages
            ]
            await pages[2].locator("text=The room's answers (4)").scroll_into_view_if_needed()
            await pages[2].screenshot(path=str(artifacts / "live_vote_revealed.png"))

            # Pages without the right code get the refusal and nothing else.
            out["no_code"] = await _refused(browser, server.base_url)
            out["wrong_code"] = await _refused(browser, server.base_url + "?code=guess")
        finally:
            await browser.close()
    return out


def _named_workshop(path, title: str):
    """A named-voting workshop with the question open, closed again (the server opens it)."""
    with Workshop.create(path, title=title, anonymity="named") as ws:
        ws.set_session(question_id=QUESTION)
    return path


def test_phones_join_and_vote_at_once(tmp_path, artifacts):
    require_chromium()
    path = _named_workshop(tmp_path / "live.workshop.sqlite", "East Midlands live <test>")
    facilitator = Workshop.open(path)  # the facilitator's notebook keeps it open throughout
    server = live.start_server(path, port=free_port())
    try:
        out = asyncio.run(_session(server, facilitator, artifacts))
        panel = live.live_panel(facilitator, url=server.url)
        count, names = panel.count(), panel.names()
        panel.close()
    finally:
        server.stop()

    table = facilitator.ratings()
    people = facilitator.respondents().set_index("label")
    facilitator.close()

    # Every vote is in the file, under the right respondent, written by that respondent.
    assert len(people) == len(VOTERS)  # the reload did not add anyone
    assert sorted(table["respondent_label"]) == sorted(label for label, *_ in VOTERS)
    by_label = table.set_index("respondent_label")
    for label, _role, authority, rating in VOTERS:
        row = by_label.loc[label]
        assert row["question_id"] == QUESTION and row["round"] == 1
        assert row["respondent_id"] == people.loc[label, "respondent_id"]
        assert row["author"] == row["respondent_id"]
        assert row["authority"] == authority
        if rating is None:
            assert bool(row["dont_know"]) and str(row["rating"]) == "<NA>"
        else:
            assert int(row["rating"]) == rating and not bool(row["dont_know"])
        assert not bool(row["proxy"])

    # The facilitator's count matches; names only because the workshop is named.
    assert count == len(VOTERS)
    assert sorted(names) == sorted(label for label, *_ in VOTERS)

    # Reload: same respondent, answer still marked, token kept in the address.
    assert "You: Bo <b>Chan</b>" in out["after_reload"]
    assert "✓ 4 · Mostly confident" in out["after_reload"]
    assert "voter=" in out["reload_url"]

    assert "LSCB" in out["gloss"] and "Today" in out["gloss"]
    assert out["gloss_right"] <= 390
    assert out["closed_buttons_disabled"] is True
    assert all(out["closed_everywhere"]), out["closed_everywhere"]
    assert out["axe_join"] == [] and out["axe_vote"] == [], (out["axe_join"], out["axe_vote"])
    assert out["seen"] and _outside(out["seen"]) == [], _outside(out["seen"])
    # The taps went to the gate's tap address (the page's script), not through the widgets.
    assert sum(url.endswith("/_ak/tap") for url in out["seen"]) == len(VOTERS), out["seen"]
    assert all(width <= 390 for width in out["widest"]), out["widest"]

    for text, buttons in (out["no_code"], out["wrong_code"]):
        assert "needs a valid join link" in text
        assert "East Midlands" not in text and "Join" not in text
        assert buttons == 0
    assert (artifacts / "live_vote_phone.png").stat().st_size > 0


async def _reconnect(path, port: int, artifacts) -> dict[str, object]:
    from playwright.async_api import async_playwright

    out: dict[str, object] = {}
    server = live.start_server(path, port=port)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            await _join(page, server.vote_url, "Ann Lee", "Director of Children's Services",
                        "Derby")
            await _tap(page, 2)
            # The server goes away (a crash, a restart, a laptop lid): the page must say so.
            server.stop()
            banner = page.locator("#ak-connection")
            await banner.wait_for(state="visible", timeout=TIMEOUT)
            out["banner"] = await banner.inner_text()
            out["banner_role"] = await banner.get_attribute("role")
            await page.screenshot(path=str(artifacts / "live_vote_reconnecting.png"))
            # The server comes back on the same address: the page reconnects by itself and
            # shows the current question and the saved answer, for the same respondent.
            server = live.start_server(path, port=port)
            await banner.wait_for(state="detached", timeout=TIMEOUT)
            await page.wait_for_selector(f".ak-saved:has-text(\"Saved: {LABELS[2]}\")",
                                         timeout=TIMEOUT)
            await page.wait_for_selector("text=tap your answer", timeout=TIMEOUT)
            out["banner_after"] = await page.locator("#ak-connection").count()
            out["after"] = await page.inner_text("body")
            await _tap(page, 5)  # and voting works again
        finally:
            await browser.close()
            server.stop()
    return out


def test_a_dead_connection_says_so_and_recovers_by_itself(tmp_path, artifacts):
    require_chromium()
    path = _named_workshop(tmp_path / "reconnect.workshop.sqlite", "Reconnect")
    out = asyncio.run(_reconnect(path, free_port(), artifacts))
    assert out["banner"] == "Connection lost — reconnecting…"
    assert out["banner_role"] == "alert"
    assert out["banner_after"] == 0
    assert "You: Ann Lee" in out["after"] and "✓ 2 · Slightly confident" in out["after"]
    with Workshop.open(path) as ws:
        assert len(ws.respondents()) == 1
        assert ws.ratings()["rating"].tolist() == [5]
