"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright.

One browser and one build of the region's and Derby's reports serve every test here; each
report is opened, checked and printed to an A4 PDF once (`printed`), and the tests read the
results: the page itself, and the PDF read with PDFium (pypdfium2): text sizes, what is on
page 1, the margins.
"""

from __future__ import annotations

import base64
import html
import math
import re
import unicodedata
from pathlib import Path

import pytest
from browser import chromium_browser, require_chromium

from assured_kit.demo import demo_workshops
from assured_kit.report import DEFAULT_MARKING, report_from_sources

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
#: A4 less the report's 12 mm side margins, in CSS pixels (96 per inch).
PRINTABLE_WIDTH = (210 - 2 * 12) / 25.4 * 96
#: The smallest printed text size (pt) allowed outside the charts.
MIN_BODY_PT = 10.0
#: The smallest printed text size (pt) allowed inside the charts: tick labels, shares, n, keys.
MIN_CHART_PT = 9.0


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


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as opened:
        yield opened


def _visit(browser, path: Path) -> dict:
    """Open a report, note what it did, measure it in print media and print it to A4."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen: dict = {"problems": [], "requests": []}
    page.on(
        "console",
        lambda message: (
            seen["problems"].append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: seen["problems"].append(f"page error: {error}"))
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.goto(path.as_uri(), wait_until="load")
    # Every chart decoded and drew (a broken image has no natural width).
    seen["image_widths"] = page.eval_on_selector_all("img", "is => is.map(i => i.naturalWidth)")
    seen["scripts"] = page.eval_on_selector_all("script", "s => s.length")
    seen["themes"] = page.eval_on_selector_all(
        "section.theme h2", "hs => hs.map(h => h.textContent)"
    )
    seen["banner"] = page.text_content(".banner")
    seen["messages"] = page.eval_on_selector_all(
        "#key-messages li", "ls => ls.map(l => l.innerText)"
    )
    seen["message_links"] = page.eval_on_selector_all(
        "#key-messages li", "ls => ls.map(l => Array.from(l.querySelectorAll('a'), a => a.hash))"
    )
    seen["headings"] = page.eval_on_selector_all(
        "h2, h3, h4", "hs => hs.map(h => h.innerText)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{path.stem}.png"), full_page=True)
    # The page as printed: laid out at the printable width of A4, in print media.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": math.floor(PRINTABLE_WIDTH), "height": 1000})
    seen["too_wide"] = page.evaluate(
        """(limit) => {
          const out = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && (r.right > limit + 0.5 || r.left < -0.5)) {
              out.push(`${e.tagName}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
            }
          }
          return out;
        }""",
        PRINTABLE_WIDTH,
    )
    seen["scroll_width"] = page.evaluate("document.documentElement.scrollWidth")
    # Each chart as laid out for print: its image's width between the borders, and its SVG.
    seen["chart_images"] = page.eval_on_selector_all(
        "img[src^='data:image/svg+xml']", "is => is.map(i => [i.clientWidth, i.src])"
    )
    seen["pdf"] = page.pdf(format="A4", scale=1, print_background=True)
    (ARTIFACTS / f"report-{path.stem}.pdf").write_bytes(seen["pdf"])
    seen["chart_text"] = _chart_text(path.read_text(encoding="utf-8"))
    seen["pages"], seen["runs"] = _pdf_runs(seen["pdf"])
    page.close()
    return seen


@pytest.fixture(scope="module")
def printed(browser, reports) -> dict[str, dict]:
    return {which: _visit(browser, path) for which, path in reports.items()}


def _plain(text: str) -> str:
    """Text as compared here: ligatures unfolded (NFKC), whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _chart_text(page_html: str) -> str:
    """Return every word drawn inside the report's SVG charts, one string."""
    words = []
    for data in re.findall(r"src='data:image/svg\+xml;base64,([^']+)'", page_html):
        svg = base64.b64decode(data).decode("utf-8")
        for inner in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S):
            words.append(html.unescape(re.sub(r"<[^>]+>", "", inner)))
    return _plain("\n".join(words))


def _chart_type(images: list[tuple[float, str]]) -> list[tuple[int, float, str]]:
    """Return every text of the charts as printed: (chart, size in pt, text), from their SVGs.

    A chart's text sizes are in the units of its SVG's viewBox, and the page draws the whole
    viewBox across the image's laid-out width (CSS px, 96 to the inch), so a text prints at
    its size x laid-out width / viewBox width, x 72 / 96 for points.
    """
    found = []
    for number, (width, src) in enumerate(images, start=1):
        svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        view = re.search(r'viewBox="0 0 ([\d.]+) [\d.]+"', svg)
        assert view, svg[:300]
        scale = width / float(view.group(1)) * 72 / 96
        for tag, inner in re.findall(r"<text\b([^>]*)>(.*?)</text>", svg, re.S):
            size = re.search(r"font-size: *([\d.]+)px", tag)
            assert size and "scale(" not in tag, tag  # its size, not scaled again
            text = html.unescape(re.sub(r"<[^>]+>", "", inner))
            found.append((number, float(size.group(1)) * scale, text))
    return found


def _pdf_runs(pdf: bytes) -> tuple[list[str], list[tuple[int, float, str]]]:
    """Return each page's text, and every printed word as (page, size in pt, word).

    Read with PDFium (pypdfium2): a glyph's size is its font size times the scale of its
    text matrix, in PDF points. pypdf gave the same figures but took ten seconds a report.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(pdf)
    pages: list[str] = []
    words: list[tuple[int, float, str]] = []
    matrix = pdfium_c.FS_MATRIX()
    try:
        for number, page in enumerate(document, start=1):
            text_page = page.get_textpage()
            pages.append(text_page.get_text_range())
            word, size = "", 0.0
            for i in range(text_page.count_chars()):
                char = chr(pdfium_c.FPDFText_GetUnicode(text_page, i))
                if pdfium_c.FPDFText_IsGenerated(text_page, i) == 1 or char.isspace():
                    if word:
                        words.append((number, size, word))
                    word, size = "", 0.0
                    continue
                pdfium_c.FPDFText_GetMatrix(text_page, i, matrix)
                glyph = pdfium_c.FPDFText_GetFontSize(text_page, i) * math.hypot(
                    matrix.c, matrix.d
                )
                size = glyph if not word else min(size, glyph)
                word += char
            if word:
                words.append((number, size, word))
    finally:
        document.close()
    return pages, words


@pytest.mark.parametrize("which", ["region", "authority"])
def test_report_opens_cleanly_and_prints_to_a4(printed, which):
    seen = printed[which]
    assert seen["image_widths"] and all(w > 0 for w in seen["image_widths"])
    assert seen["scripts"] == 0
    assert seen["themes"][0].startswith("1. Leadership")
    assert seen["banner"] and "SYNTHETIC DATA" in seen["banner"]
    assert seen["problems"] == []
    assert all(u.startswith(("file:", "data:")) for u in seen["requests"]), seen["requests"]
    assert seen["pdf"].startswith(b"%PDF")
    # Page 1, then the overview and one page (at least) per theme.
    assert len(seen["pages"]) > 6


@pytest.mark.parametrize("which", ["region", "authority"])
def test_printed_report_fits_a4_at_full_size(printed, which):
    seen = printed[which]
    # Nothing is wider than the printable width, so Chromium never shrinks the page to fit.
    assert seen["too_wide"] == []
    assert seen["scroll_width"] <= math.ceil(PRINTABLE_WIDTH)
    runs = seen["runs"]
    # Body text (everything but the words inside charts) is printed at 10 pt or more.
    body = [(n, size, text) for n, size, text in runs if _plain(text) not in seen["chart_text"]]
    assert len(body) > 500
    small = [(n, round(size, 1), text) for n, size, text in body if size < MIN_BODY_PT - 0.05]
    assert small == [], small[:10]
    # Most of the words are body text at the report's 10-11 pt, not shrunk.
    sizes = sorted(size for _, size, text in body for _ in _plain(text))
    assert sizes[len(sizes) // 2] >= MIN_BODY_PT


@pytest.mark.parametrize("which", ["region", "authority"])
def test_chart_text_prints_at_nine_points_or_more(printed, which):
    seen = printed[which]
    # Every chart fits between the margins, so nothing shrinks the page to fit it.
    widths = [width for width, _src in seen["chart_images"]]
    assert len(widths) >= 10
    assert min(widths) > 0 and max(widths) <= PRINTABLE_WIDTH
    # Every text of every chart (tick labels, shares, n, legends, keys, notes), as printed at
    # the width the page gives its image: 9 pt or more.
    texts = _chart_type(seen["chart_images"])
    assert len(texts) > 300
    small = [(n, round(size, 1), text) for n, size, text in texts if size < MIN_CHART_PT]
    assert small == [], small[:10]
    # The same measured in the printed PDF: no word on any page is smaller than that. The
    # charts' own words are among them: "(n=12)" is written so only on charts.
    runs = seen["runs"]
    assert [run for run in runs if run[1] < MIN_CHART_PT - 0.05] == []
    on_charts = [size for _page, size, word in runs if re.fullmatch(r"\(n=\d+\)", word)]
    assert len(on_charts) >= 20
    # ... and the PDF agrees with the SVGs' sizes, so both measure what a reader sees.
    expected = {round(size, 1) for _n, size, text in texts if re.fullmatch(r"\(n=\d+\)", text)}
    assert {round(size, 1) for size in on_charts} <= {
        round(e + d, 1) for e in expected for d in (-0.1, 0.0, 0.1)
    }


@pytest.mark.parametrize("which", ["region", "authority"])
def test_key_messages_are_on_page_one_with_margins(printed, which):
    seen = printed[which]
    pages = seen["pages"]
    first = _plain(pages[0])
    assert _plain("Key messages") in first
    assert 3 <= len(seen["messages"]) <= 16
    for message in seen["messages"]:
        assert _plain(message) in first, message
        assert re.search(r"\(n = \d+|n = \d+ people", message), message
    # Each message links to its theme's section (or, for all themes, the change table).
    assert all(
        links and links[0].startswith(("#theme-", "#change-years"))
        for links in seen["message_links"]
    )
    # How to read this follows the key messages.
    whole = _plain("".join(pages))
    assert whole.index(_plain("Key messages")) < whole.index(_plain("How to read this"))
    # Title, protective marking and page numbers in the margins of every page.
    for number, text in enumerate(pages, start=1):
        plain = _plain(text)
        assert _plain(f"Page {number} of {len(pages)}") in plain, number
        assert _plain(DEFAULT_MARKING) in plain, number


@pytest.mark.parametrize("which", ["region", "authority"])
def test_no_heading_is_left_alone_at_the_foot_of_a_page(printed, which):
    seen = printed[which]
    pages = seen["pages"]
    headings = {_plain(h) for h in seen["headings"] if _plain(h)}
    for number, text in enumerate(pages[:-1], start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        last = _plain(lines[-1])
        assert not any(h.endswith(last) for h in headings if len(last) > 3), (number, last)


def test_report_glossary_and_editorial_notes_are_present_and_linked(browser, reports):
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
    assert -1 < top < 900  # at the top of the view, give or take a sub-pixel of rounding
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
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#glossary").screenshot(path=str(ARTIFACTS / "report-glossary.png"))
    page.close()
