"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import chromium_browser, require_chromium

from assured_kit.demo import demo_workshops
from assured_kit.report import report_from_sources

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-report")
    demo_workshops(folder / "demo", seed=4)
    ratings_owner = "Derby"
    return {
        "region": report_from_sources([folder / "demo"], folder / "region.html"),
        "authority": report_from_sources(
            [folder / "demo"], folder / "authority.html", authority=ratings_owner
        ),
    }


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.parametrize("which", ["region", "authority"])
def test_report_opens_cleanly_and_prints_to_a4(reports, artifacts, which):
    path = reports[which]
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        requests: list[str] = []
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri(), wait_until="load")
        # Every chart decoded and drew (a broken image has no natural width).
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert widths and all(w > 0 for w in widths)
        assert page.eval_on_selector_all("script", "s => s.length") == 0
        themes = page.eval_on_selector_all("section.theme h2", "hs => hs.map(h => h.textContent)")
        assert themes[0].startswith("1. Leadership")
        banner = page.text_content(".banner")
        assert banner and "SYNTHETIC DATA" in banner
        page.screenshot(path=str(artifacts / f"report-{which}.png"), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
    assert problems == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert pdf.startswith(b"%PDF")
    (artifacts / f"report-{which}.pdf").write_bytes(pdf)
    # An overview page and then one page (at least) per theme.
    assert _pdf_pages(pdf) > 6


def test_report_glossary_and_editorial_notes_are_present_and_linked(reports, artifacts):
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(reports["region"].as_uri(), wait_until="load")
        links = page.eval_on_selector_all(
            "a.term", "as => as.map(a => [a.getAttribute('href'), a.textContent])"
        )
        assert len(links) >= 5
        # Every marked term points at an entry that exists, once per term.
        for href, _text in links:
            assert page.locator(f"dt{href}").count() == 1, href
        assert len({h for h, _ in links}) == len(links)
        entries = page.eval_on_selector_all("section.glossary dt", "ds => ds.map(d => d.id)")
        assert sorted(entries) == sorted(h[1:] for h, _ in links)
        # Following a link brings its entry into view.
        href = next(h for h, _ in links if h == "#term-lscb")
        page.click(f"a.term[href='{href}']")
        assert page.evaluate("location.hash") == href
        top = page.eval_on_selector(href, "d => d.getBoundingClientRect().top")
        assert 0 <= top < 900
        entry = page.text_content(f"{href} + dd") or ""
        assert "In 2010:" in entry and "Today:" in entry and "Source:" in entry
        # Editorial notes are visible beside the words they annotate, marked as editorial.
        notes = page.eval_on_selector_all(
            ".ak-help-editorial",
            "ps => ps.filter(p => p.offsetParent !== null).map(p => p.textContent)",
        )
        assert notes and all("Editorial note (not part of the 2010 text)" in n for n in notes)
        assert any("I/we am" in n for n in notes)
        changes = page.text_content("#changes-since-2010") or ""
        assert "What changed since 2010" in changes and "Source:" in changes
        credit = page.text_content("p.credit") or ""
        assert "Ofsted" in credit and "ILACS" in credit
        page.locator("#glossary").screenshot(path=str(artifacts / "report-glossary.png"))
