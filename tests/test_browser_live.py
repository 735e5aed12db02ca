"""Live voting in real Chromium pages against a real Voilà server started by `live.serve`.

Several browser contexts (separate "phones", 390 px wide) join at once and tap their ratings at
the same moment; the workshop file must then hold every vote under the right respondent, the
facilitator's panel must count them, a reload must keep a voter the same respondent, the pages
must follow the facilitator closing and revealing the question, and a page without the join
code must get the refusal and nothing else.
"""

from __future__ import annotations

import asyncio

import pytest
from browser import CHROMIUM_ARGS, free_port, require_chromium

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
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            contexts = [await browser.new_context(viewport={"width": 390, "height": 844})
                        for _ in VOTERS]
            pages = [await c.new_page() for c in contexts]
            # Everyone opens the join link and joins at the same moment.
            await asyncio.gather(*(
                _join(p, server.url, label, role, authority)
                for p, (label, role, authority, _) in zip(pages, VOTERS, strict=True)
            ))
            # ... and taps at the same moment.
            await asyncio.gather(*(
                _tap(p, rating) for p, (*_, rating) in zip(pages, VOTERS, strict=True)
            ))
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

            # A reload keeps the voter the same respondent, with their answer shown.
            await pages[1].reload(timeout=TIMEOUT)
            await pages[1].wait_for_selector("text=tap your answer", timeout=TIMEOUT)
            out["after_reload"] = await pages[1].inner_text("body")
            out["reload_url"] = pages[1].url

            # The pages follow the facilitator: reveal, then close.
            facilitator.set_session(revealed=True)
            await pages[2].wait_for_selector("text=The room's answers (4)", timeout=TIMEOUT)
            facilitator.set_session(closed=True)
            await pages[2].wait_for_selector("text=voting on this question is closed",
                                             timeout=TIMEOUT)
            out["closed_buttons_disabled"] = await pages[2].locator(
                f"button:has-text(\"{LABELS[1]}\")"
            ).is_disabled()
            await pages[2].locator("text=The room's answers (4)").scroll_into_view_if_needed()
            await pages[2].screenshot(path=str(artifacts / "live_vote_revealed.png"))

            # Pages without the right code get the refusal and nothing else.
            out["no_code"] = await _refused(browser, server.base_url)
            out["wrong_code"] = await _refused(browser, server.base_url + "?code=guess")
        finally:
            await browser.close()
    return out


def test_phones_join_and_vote_at_once(tmp_path, artifacts):
    require_chromium()
    path = tmp_path / "live.workshop.sqlite"
    with Workshop.create(path, title="East Midlands live <test>", anonymity="named") as ws:
        ws.set_session(question_id=QUESTION)
    facilitator = Workshop.open(path)  # the facilitator's notebook keeps it open throughout
    server = live.serve(path, port=free_port(), wait=False, preheat=2)
    assert server is not None
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

    assert out["closed_buttons_disabled"] is True
    assert all(width <= 390 for width in out["widest"]), out["widest"]

    for text, buttons in (out["no_code"], out["wrong_code"]):
        assert "needs a valid join link" in text
        assert "East Midlands" not in text and "Join" not in text
        assert buttons == 0
    assert (artifacts / "live_vote_phone.png").stat().st_size > 0
