"""The help snippet (`help_html`) on a phone-width screen in a real browser (Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium_browser, require_chromium

import assured_kit as ak

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    """Every question with its help, as a bare page the way a voting page would place it."""
    require_chromium()
    fw = ak.load_framework()
    blocks = "".join(
        f"<section id='{q.question_id}'><h2>{ak.escape_html(q.text)}</h2>"
        f"{ak.help_html(fw, q.question_id)}</section>"
        for q in fw.questions.itertuples(index=False)
    )
    path = tmp_path_factory.mktemp("help") / "help.html"
    path.write_text(
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"</head><body style='margin:8px;font-family:sans-serif'>{blocks}</body></html>",
        encoding="utf-8",
    )
    return path


def test_help_opens_and_fits_a_390px_phone(page_file, artifacts):
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri(), wait_until="load")
        help_ = page.locator("#PM-LM-2 details.ak-help")
        assert help_.locator("summary").inner_text() == "What does this mean?"
        assert not help_.locator("p.ak-help-term").first.is_visible()  # closed until tapped
        help_.locator("summary").click()
        term = help_.locator("p.ak-help-term").first
        assert term.is_visible() and "overall effectiveness grade" in term.inner_text()
        for box in page.locator("details.ak-help").all():
            box.locator("summary").click()  # open every one
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1] == 390  # nothing wider than the phone
        note = page.locator("#WF-LM-3 .ak-help-editorial")
        assert note.is_visible() and note.inner_text().startswith("Editorial note")
        assert page.locator("#LA-DCS-3 details").count() == 0  # nothing to explain
        page.locator("#LA-DCS-1").screenshot(path=str(artifacts / "help-390px.png"))
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
