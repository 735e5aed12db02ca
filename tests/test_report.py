"""HTML and XLSX reports: structure, suppression, anonymisation and inert participant text."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit import AssuredKitError, load_framework
from assured_kit.ratings import read_ratings
from assured_kit.report import (
    AuthorityNames,
    report_from_sources,
    summary_text,
    workshop_report,
    write_report,
)
from assured_kit.safety import escape_html
from assured_kit.store import Workshop
from assured_kit.summary import describe_classification

EVIL_NOTE = '=HYPERLINK("http://evil.example/x","<script>alert(\'pwned\')</script>")'
EVIL_ACTION = "@SUM(1+1)<script>document.title='x'</script>"
SUPPRESSED = "suppressed (protects groups under 3 people)"

# authority -> (ratings for LA-DCS-1, LA-DCS-2, CR-DCS-1, CR-LM-1 per respondent)
PEOPLE = {
    "Derby": [5, 4, 4, 5],
    "Rutland": [2, 1, 2],
    "Leicester": [3, 4, 5],
    "Nottingham": [4, 4, 4],
    "Lincolnshire": [1, 5],  # only two respondents: suppressed wherever it stands alone
}


def _make_region(folder: Path, *, synthetic: bool = False) -> list[Path]:
    """Two real workshop files: a regional one and a local Derby one."""
    regional = Workshop.create(
        folder / "regional.workshop.sqlite",
        title="East Midlands regional workshop",
        held_on="2025-03-14",
        synthetic=synthetic,
    )
    with regional as ws:
        for authority, ratings in PEOPLE.items():
            for i, rating in enumerate(ratings):
                # One DCS and one Lead Member per authority (each one person), then officers.
                role = ("DCS", "LM", "Officer", "Officer")[i]
                rid = ws.add_respondent(f"{authority} {i}", role=role, authority=authority)
                ws.record(rid, "LA-DCS-1", rating, evidence=i % 4)
                ws.record(rid, "LA-DCS-2", max(1, rating - 1), evidence=(i + 1) % 4)
                if authority in ("Derby", "Rutland", "Leicester"):
                    ws.record(rid, "CR-DCS-1", dont_know=True)
                    ws.record(rid, "CR-LM-1", rating)
        # Workforce answered by two people only: suppressed in every report.
        derby = ws.respondents().query("authority == 'Derby'")["respondent_id"].tolist()
        ws.record(derby[0], "WF-DCS-1", 1)
        ws.record(derby[1], "WF-DCS-1", 1)
        ws.add_action(EVIL_ACTION, owner="Rutland's DCS", theme_id="LA", due="2025-06-30")
        ws.add_action("Review the partnership protocol", owner="DCS", question_id="LA-DCS-1")
        ws.add_example(
            "Joint audits with Rutland health visitors",
            theme_id="LA",
            authority="Rutland",
            consent_to_share=True,
        )
        ws.add_example(
            "Private example nobody agreed to share",
            theme_id="LA",
            authority="Derby",
            consent_to_share=False,
        )
    local = Workshop.create(
        folder / "derby.workshop.sqlite",
        title="Derby local workshop",
        held_on="2026-02-01",
        synthetic=synthetic,
    )
    with local as ws:
        for i in range(3):
            rid = ws.add_respondent(f"Table {i}", role="Mixed", kind="table", authority="Derby")
            # A note from a group of three tables: shown (escaped) where the group is shown.
            ws.record(rid, "LA-DCS-1", 2 + i, note=EVIL_NOTE if i == 0 else None)
    return [folder / "regional.workshop.sqlite", folder / "derby.workshop.sqlite"]


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("region")
    _make_region(folder)
    return folder


@pytest.fixture(scope="module")
def region_html(region, tmp_path_factory) -> str:
    """The region's HTML report with the default options, built once for the tests reading it."""
    out = report_from_sources([region], tmp_path_factory.mktemp("region-html") / "region.html")
    return out.read_text(encoding="utf-8")


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)
                if tag == "img":
                    self.images.append(value)


def _parse(text: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(text)
    return parser


def _everything_shown(text: str) -> str:
    """The page's text plus the text inside every embedded SVG chart."""
    parts = [text]
    for url in _parse(text).images:
        if url.startswith("data:image/svg+xml;base64,"):
            parts.append(base64.b64decode(url.split(",", 1)[1]).decode("utf-8"))
    return "\n".join(parts)


def _workbook_text(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    return "\n".join(
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


# ----------------------------------------------------------------------------- HTML


def test_region_report_is_organised_per_theme(region_html):
    text = region_html
    fw = load_framework()
    assert fw.about["headline_question"] in text
    for theme in ("LA", "CR", "WF"):
        section = re.search(
            rf"<section class='theme' id='theme-{theme}'>(.*?)</section>", text, re.S
        )
        assert section, theme
        body = section.group(1)
        assert (
            body.index("What do we know?")
            < body.index("How do we know?")
            < body.index("What will we do next?")
        )
    # The source's examples of practice for a theme sit in that theme's section.
    la = re.search(r"id='theme-LA'>(.*?)</section>", text, re.S).group(1)
    first_quote = fw.examples_for("LA")["quote"].iloc[0]
    assert pd.Series([first_quote]).map(lambda q: q[:60] in la.replace("&#x27;", "'")).all()
    # How to read this: the classification words, from summary's thresholds.
    assert "How to read this" in text and "at least 60% of those who gave a rating" in text
    assert escape_html(describe_classification(min_group=3)) in text


def test_participant_text_is_inert_in_html(region_html):
    text = region_html
    parsed = _parse(text)
    assert "script" not in parsed.tags  # no live script element at all
    assert re.search(r"<script", text, re.I) is None
    # The note and the action are shown, escaped.
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in text
    assert "=HYPERLINK(&quot;http://evil.example/x&quot;" in text
    assert "@SUM(1+1)&lt;script&gt;" in text
    # Nothing is fetched: every src/href is inline data or an anchor on the page.
    assert parsed.urls
    assert all(u.startswith(("data:", "#")) for u in parsed.urls), parsed.urls
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_suppressed_theme_shows_words_not_zero(region_html):
    text = region_html
    rows = re.findall(r"<tr>(.*?)</tr>", text, re.S)
    workforce = [r for r in rows if r.startswith("<td>Workforce</td>")]
    assert workforce
    for row in workforce:
        assert SUPPRESSED in row
        assert not re.search(r">\s*0%?\s*<", row)
    # The authorities table has one row per authority: its Workforce column shows no figure
    # (Derby's two people are withheld; nobody else answered).
    table = re.search(
        r"<table><caption>Share at the top of the scale, by authority \(n: people\)</caption>"
        r"(.*?)</table>",
        text,
        re.S,
    ).group(1)
    header = re.findall(r"<th scope='col'>(.*?)</th>", table)
    column = header.index("Workforce")
    body = re.findall(r"<tr>(<td.*?)</tr>", table, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[column] for row in body]
    assert SUPPRESSED in cells
    assert set(cells) == {SUPPRESSED, "no answers"}
    wf = re.search(r"id='theme-WF'>(.*?)</section>", text, re.S).group(1)
    assert f"Figures for this theme are {SUPPRESSED}" in wf


def test_authority_report_names_no_other_authority(region, tmp_path):
    out = report_from_sources([region], tmp_path / "derby.html", authority="Derby")
    shown = _everything_shown(out.read_text(encoding="utf-8"))
    assert "Derby" in shown
    others = [a for a in load_framework().authorities if a != "Derby"]
    for name in others:
        assert name.casefold() not in shown.casefold(), name
    # The action mentioning Rutland and the shared example are scrubbed, not dropped.
    assert "Authority " in shown
    assert "Joint audits with Authority " in shown


def test_named_authorities_stay_named_in_region_report(region, tmp_path):
    ratings = read_ratings(region)
    out = write_report(tmp_path / "r.html", ratings, scope="region", named_authorities=("Rutland",))
    shown = _everything_shown(out.read_text(encoding="utf-8"))
    assert "Rutland" in shown
    for name in ("Derby", "Leicester", "Nottingham", "Lincolnshire"):
        assert name not in shown, name
    assert re.search(r"Authority [A-Z]\b", shown)


def test_letters_do_not_follow_alphabetical_order():
    names = ["Derby", "Derbyshire", "Leicester", "Leicestershire", "Lincolnshire", "Rutland"]
    orders = {tuple(AuthorityNames(names, seed=seed).label(n) for n in names) for seed in range(20)}
    assert len(orders) > 1
    scrubbed = AuthorityNames(names, seed=0).scrub("Derbyshire met DERBY and Leicester's team")
    assert not any(n.casefold() in scrubbed.casefold() for n in names)


def test_synthetic_banner(tmp_path):
    real = tmp_path / "real"
    fake = tmp_path / "fake"
    real.mkdir()
    fake.mkdir()
    _make_region(real)
    _make_region(fake, synthetic=True)
    assert "SYNTHETIC DATA" not in report_from_sources([real], tmp_path / "a.html").read_text()
    assert "SYNTHETIC DATA" in report_from_sources([fake], tmp_path / "b.html").read_text()


def test_actions_and_consented_examples_only(region_html):
    text = region_html
    assert "Joint audits with" in text
    assert "Private example nobody agreed to share" not in text
    assert "30 June 2025" in text


def test_print_rules_for_a4(region_html):
    text = region_html
    assert "@media print" in text and "size: A4" in text
    assert re.search(r"section\.theme\s*\{[^}]*break-before:\s*page", text)


def test_workshop_report_uses_the_workshops_min_group(tmp_path):
    path = tmp_path / "w.workshop.sqlite"
    with Workshop.create(path, title="Small room", min_group=5) as ws:
        for i in range(4):
            ws.record(ws.add_respondent(f"P{i}"), "LA-DCS-1", 4)
        out = workshop_report(ws, tmp_path / "w.html")
    text = out.read_text(encoding="utf-8")
    assert "<h1>Small room</h1>" in text
    assert "suppressed (protects groups under 5 people)" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scope": "nation"}, "unknown scope 'nation'"),
        ({"scope": "authority"}, "an authority report needs the authority"),
        ({"scope": "authority", "authority": "Narnia"}, "no answers from authority 'Narnia'"),
        ({"min_group": 0}, "min_group 0 is not a whole number of at least 1"),
    ],
)
def test_bad_arguments(region, tmp_path, kwargs, message):
    ratings = read_ratings(region)
    with pytest.raises(AssuredKitError, match=re.escape(message)):
        write_report(tmp_path / "r.html", ratings, **kwargs)
    assert not (tmp_path / "r.html").exists()


def test_bad_suffix(region, tmp_path):
    with pytest.raises(
        AssuredKitError, match=r"cannot write a report as 'r\.pdf'.*\.html or \.xlsx"
    ):
        write_report(tmp_path / "r.pdf", read_ratings(region))


# ----------------------------------------------------------------------------- XLSX


@pytest.fixture(scope="module")
def region_xlsx(region, tmp_path_factory) -> Path:
    """The region's XLSX report with the default options, written once."""
    return report_from_sources([region], tmp_path_factory.mktemp("region-xlsx") / "r.xlsx")


def test_xlsx_neutralises_participant_text(region_xlsx):
    book = openpyxl.load_workbook(region_xlsx)
    notes = book["Notes"]
    cells = [c for row in notes.iter_rows(min_row=2) for c in row if c.value == "'" + EVIL_NOTE]
    assert cells, "the note is in the workbook, apostrophe-prefixed"
    assert all(c.data_type != "f" for c in cells)
    actions = book["Actions"]
    what = [c for row in actions.iter_rows(min_row=2) for c in row if "SUM(1+1)" in str(c.value)]
    assert [c.value for c in what] == ["'" + EVIL_ACTION]
    assert all(c.data_type != "f" for c in what)
    formulas = [
        c.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []


def test_xlsx_suppressed_cells_are_blank_with_a_flag(region_xlsx):
    book = openpyxl.load_workbook(region_xlsx)
    read_me = [tuple(r) for r in book["Read me"].iter_rows(values_only=True)]
    assert ("Strong, weak, contested", describe_classification(min_group=3)) in [
        r[:2] for r in read_me
    ]
    themes = book["Themes"]
    header = [c.value for c in themes[1]]
    wf = next(r for r in themes.iter_rows(min_row=2, values_only=True) if r[0] == "WF")
    row = dict(zip(header, wf, strict=True))
    for column in ("People", "Answers", "Median rating", "Share at the top of the scale"):
        assert row[column] is None, column
    assert row["Suppressed"] is True and row["Classification"] == "suppressed"
    la = next(r for r in themes.iter_rows(min_row=2, values_only=True) if r[0] == "LA")
    assert dict(zip(header, la, strict=True))["People"] == 18
    data_cells = [
        c.value
        for sheet in book.worksheets
        if sheet.title not in ("Read me", "Data dictionary")
        for row in sheet.iter_rows()
        for c in row
    ]
    assert not [v for v in data_cells if isinstance(v, str) and SUPPRESSED in v]


def test_xlsx_authority_report_is_anonymised(region, tmp_path):
    out = report_from_sources([region], tmp_path / "derby.xlsx", authority="Derby")
    text = _workbook_text(out)
    for name in load_framework().authorities:
        if name != "Derby":
            assert name.casefold() not in text.casefold(), name
    assert "Position" in openpyxl.load_workbook(out).sheetnames


def test_region_xlsx_authorities_sorted_by_letter(region_xlsx):
    book = openpyxl.load_workbook(region_xlsx)
    rows = list(book["Authorities"].iter_rows(min_row=2, values_only=True))
    la = [r[1] for r in rows if r[0] == "LA"]
    assert la == sorted(la, key=lambda s: (len(s), s))
    assert all(a.startswith("Authority ") for a in la)


# ----------------------------------------------------------------------------- text summary


def test_summary_text_table(region):
    text = summary_text([region])
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["Theme", "n", "Answers"]
    workforce = next(line for line in lines if line.startswith("Workforce"))
    assert SUPPRESSED in workforce
    leadership = next(line for line in lines if line.startswith("Leadership"))
    assert leadership.split()[1] == "18"  # 15 regional people + 3 Derby tables


# ------------------------------------------------------------------------ 2010 words, 2026 eyes


def test_report_links_terms_to_a_glossary_and_shows_editorial_notes(region_html):
    text = region_html
    links = re.findall(r"<a class='term' href='#(term-[a-z0-9-]+)'>", text)
    targets = set(re.findall(r"<dt id='(term-[a-z0-9-]+)'>", text))
    assert links and len(links) == len(set(links))  # each term marked once, at first use
    assert set(links) == targets  # every link has its entry, and every entry is linked
    assert "term-lscb" in targets and "term-children-s-trust" in targets  # LA-DCS-1
    glossary = text[text.index("id='glossary'") :]
    assert "In 2010:" in glossary and "Today:" in glossary and "Source:" in glossary
    # LA-DCS-1's note sits in its question's row; WF-EX-5's beside its quote.
    row = re.search(r"<td id='question-LA-DCS-1'>LA-DCS-1: (.*?)</td>", text, re.S).group(1)
    assert "Editorial note</strong> (not part of the 2010 text)" in row
    wf = re.search(r"id='theme-WF'>(.*?)</section>", text, re.S).group(1)
    quote = re.search(r"Chair and Vice Chair.*?</blockquote>", wf, re.S).group(0)
    assert "(not part of the 2010 text): As in the source" in quote
    # The framework's words are still there, as printed, around the links.
    plain = re.sub(r"<[^>]+>", "", row).replace("&#x27;", "'")
    assert load_framework().question("LA-DCS-1")["text"] in plain


def test_report_credits_ofsted_for_the_three_questions(region_html):
    text = region_html
    assert "framework&#x27;s three questions" not in text and "framework's three" not in text
    credit = re.search(r"<p class='credit'>(.*?)</p>", text, re.S).group(1)
    assert "Ofsted" in credit and "ILACS" in credit and "not the framework" in credit
    assert text.index("class='headline'") < text.index("class='credit'")


def test_report_ends_with_what_changed_since_2010(region_html):
    text = region_html
    changes = re.search(
        r"<section class='changes' id='changes-since-2010'>(.*?)</section>", text, re.S
    ).group(1)
    for heading in ("Structures", "Duties and guidance", "Inspection and performance"):
        assert f"<h3>{heading}</h3>" in changes
    items = re.findall(r"<li>(.*?)</li>", changes, re.S)
    assert items and all("Source:" in item and "checked 20" in item for item in items)
    assert "Children&#x27;s Wellbeing and Schools Act 2026" in changes
    assert text.index("id='glossary'") < text.index("id='changes-since-2010'")


# ------------------------------------------------------------- first page, print, comparisons


def _answers(plan: list[tuple[int, str, list[int]]]) -> pd.DataFrame:
    """Tidy ratings of LA-DCS-1: (year, authority, one rating per officer) per workshop."""
    rows = []
    for year, authority, ratings in plan:
        for i, rating in enumerate(ratings):
            rows.append(
                {
                    "workshop_id": f"w{year}-{authority}",
                    "workshop_title": f"{authority} workshop {year}",
                    "held_on": pd.Timestamp(f"{year}-05-01"),
                    "synthetic": False,
                    "scale": "confidence",
                    "authority": authority,
                    "respondent_id": f"R{i:04d}",
                    "respondent_label": f"Officer {i}",
                    "role": "Officer",
                    "respondent_kind": "person",
                    "question_id": "LA-DCS-1",
                    "question_role": "DCS",
                    "theme_id": "LA",
                    "round": 1,
                    "rating": rating,
                    "dont_know": False,
                    "evidence": None,
                    "note": None,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.astype({"round": "Int64", "rating": "Int64", "evidence": "Int64"})


def _section(text: str, start: str, end: str = "</table>") -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def _key_section(text: str) -> str:
    return re.search(r"<section class='key' id='key-messages'>(.*?)</section>", text, re.S).group(1)


def test_key_messages_open_the_report_with_n_and_links(region_html):
    text = region_html
    key = _key_section(text)
    # First: after the title, before the headline question and How to read this.
    assert text.index("<h1>") < text.index("id='key-messages'") < text.index("class='headline'")
    assert text.index("id='key-messages'") < text.index("How to read this")
    items = re.findall(r"<li>(.*?)</li>", key, re.S)
    assert len(items) >= 3
    for item in items:
        assert re.search(r"n = \d+", item), item
        assert re.search(r"<a href='#(theme-(LA|CR|WF|PR|IN|PM)|change-years)'>", item), item
    # Three questions rated (WF-DCS-1 withheld, CR-DCS-1 all Don't know): one each side, so
    # none is called weak or strong only for want of others. LA-DCS-2 (the most at the
    # bottom) is the weakest; LA-DCS-1 (61% at the top, against CR-LM-1's 60%) the strongest.
    weakest = [i for i in items if "Among the weakest" in i]
    assert len(weakest) == 1 and "LA-DCS-2" in weakest[0] and "n = 15 people" in weakest[0]
    strongest = [i for i in items if "Among the strongest" in i]
    assert len(strongest) == 1 and "LA-DCS-1" in strongest[0] and "61%" in strongest[0]
    assert "n = 18 people" in strongest[0]
    # Workforce rests on two people: withheld, so it feeds no message.
    assert "WF-DCS-1" not in key and "theme-WF" not in key


def test_questions_sorted_weakest_first_and_actions_linked(region_html):
    text = region_html
    la = re.search(r"id='theme-LA'>(.*?)</section>", text, re.S).group(1)
    table = _section(la, "<caption>Leadership/Accountability: by question, weakest first")
    order = re.findall(r"<td id='question-(LA-[A-Z]+-\d)'>", table)
    assert order == ["LA-DCS-2", "LA-DCS-1"]
    # The action on LA-DCS-1 links to that question's row.
    actions = _section(la, "<h4>Actions</h4>")
    assert "<a href='#question-LA-DCS-1'>LA-DCS-1</a>" in actions
    assert "Review the partnership protocol" in actions


def test_change_since_last_year_is_like_for_like_or_flagged(region_html):
    text = region_html
    block = _section(text, "<h3 id='change-years'>Change since last year (2025 to 2026)</h3>")
    # 2025: five authorities; 2026: Derby's local workshop only.
    assert "Different authorities took part (5 in 2025, 1 in 2026; 1 in both)" in block
    headers = re.findall(r"<th scope='col'>(.*?)</th>", block)
    assert headers[:5] == ["Theme", "2025", "2026", "Change at the top", "Change at the bottom"]
    assert re.search(r"\d+% top, \d+% bottom \(n\s=\s\d+; ", block)


def test_year_changes_within_chance_say_so(tmp_path):
    # Three authorities of three officers each, three years: half as many at the top, then more.
    towns = ("Derby", "Rutland", "Leicester")
    plan = [(2024, a, [2, 4, 4]) for a in towns]
    plan += [(2025, a, [2, 2, 4]) for a in towns]
    plan += [(2026, a, [2, 4, 4]) for a in towns]
    out = write_report(tmp_path / "t.html", _answers(plan), scope="region", seed=1)
    text = out.read_text(encoding="utf-8")
    block = _section(text, "<h3 id='change-years'>Change since last year (2025 to 2026)</h3>")
    assert "Different authorities took part" not in text  # the same three every year
    assert "+33 points" in block and "top: too few answers to tell" in block
    assert ">Notable<" not in block  # 33 points is short of the flag: no empty column
    key = _key_section(text)
    assert "moved by more than chance would give between 2025 and 2026" in key
    # Three years: the trend, with n, oldest first.
    trend = _section(text, "<h3>Trend over 3 years</h3>")
    assert re.findall(r"<th scope='col'>(\d{4})</th>", trend) == ["2024", "2025", "2026"]
    assert "67% (n = 9)" in trend and "33% (n = 9)" in trend
    # How to read this names the interval.
    assert "95% Wilson score interval" in text and "Newcombe" in text


def test_year_changes_beyond_chance_are_called_and_flagged_when_others_joined(tmp_path):
    plan = [(2025, a, [1, 2, 2, 2, 2, 2, 2, 2, 2, 3]) for a in ("Derby", "Rutland", "Leicester")]
    joined = ("Derby", "Rutland", "Lincolnshire")
    plan += [(2026, a, [5, 5, 4, 4, 4, 4, 4, 5, 5, 3]) for a in joined]
    out = write_report(tmp_path / "b.html", _answers(plan), scope="region", seed=1)
    text = out.read_text(encoding="utf-8")
    block = _section(text, "<h3 id='change-years'>Change since last year (2025 to 2026)</h3>")
    assert "top: a real rise; bottom: a real fall" in block
    assert "<th scope='col'>Notable</th>" in block and "top shares 90 points apart" in block
    assert "Different authorities took part (3 in 2025, 3 in 2026; 2 in both)" in block
    key = _key_section(text)
    assert (
        "the share at the top of the scale rose from 0% to 90% "
        "(n = 30 people in 2025, 30 in 2026)." in key
    )
    assert "Different authorities took part" in key
    assert "Trend over" not in text  # two years are a change, not a trend


def test_print_margins_carry_title_marking_and_page_numbers(region_html, tmp_path):
    text = region_html
    page = text[text.index("@page { size: A4 portrait;") : text.index("</style>")]
    assert "@top-right { content: \"Official – Sensitive\"" in page
    assert "counter(page)" in page and "counter(pages)" in page
    assert '@top-left { content: "Assured Safeguarding: the regional picture"' in page
    title = 'Derby "draft" </style><script>x</script>'
    answers = _answers([(2026, "Derby", [4, 4, 5])])
    text = write_report(
        tmp_path / "n.html", answers, scope="region", marking="", title=title, seed=1
    ).read_text("utf-8")
    assert "@top-right" not in text and "class='marking'" not in text
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "<" not in style and "\\3c /style\\3e" in style
    assert "<script" not in text


def test_key_messages_on_roles_apart_and_confidence_ahead_of_evidence(tmp_path):
    towns = ("Derby", "Rutland", "Leicester", "Nottingham")
    # Each authority's Director sure (5, on no evidence), its Lead Member not (1).
    answers = _answers([(2026, town, [5, 1]) for town in towns])
    answers["role"] = ["DCS", "LM"] * len(towns)
    answers["respondent_label"] = answers["role"]
    answers["evidence"] = pd.array([0, 2] * len(towns), dtype="Int64")
    text = write_report(tmp_path / "r.html", answers, scope="region", seed=1).read_text("utf-8")
    key = _key_section(text)
    apart = re.search(r"Directors and Lead Members apart:</span> (.*?)</li>", key).group(1)
    assert "<a href='#theme-LA'>Leadership/Accountability</a>" in apart
    assert "100% of Directors' ratings are at the top of the scale against 0% of Lead" in apart
    assert "(n = 4 and 4 people)" in apart
    # The roles table carries each side's n too.
    roles = _section(text, "<caption>DCS and Lead Member views by theme (n: people)")
    assert "100% (n = 4)" in roles and "0% (n = 4)" in roles
    ahead = re.search(r"Confidence ahead of evidence:</span> (.*?)</li>", key).group(1)
    assert "LA-DCS-1" in ahead and "4 of 4 confident answers rest on no evidence" in ahead
    assert "n = 8 people" in ahead


def test_a_region_report_makes_each_summary_once(region, tmp_path, monkeypatch):
    """Every summary table the region's page needs is made once, however often it is asked for.

    The page asks for the summary by question three times (its table, the weakest questions,
    the most split) and for the one by theme and authority twice (its table, and which notes
    and examples may be shown); on a million answers each costs seconds.
    """
    from assured_kit import report, summary

    ratings, actions, examples = report.gather([region])
    made: list[tuple[object, ...]] = []
    real = summary._in_slice

    def counted(make, frame, by, where, min_group):
        made.append((make.__qualname__, tuple(by or ()), repr(where), min_group, id(frame)))
        return real(make, frame, by, where, min_group)

    monkeypatch.setattr(summary, "_in_slice", counted)
    monkeypatch.setattr(report, "_embed", lambda draw, **_: "")  # charts draw from the tables
    write_report(
        tmp_path / "region.html", ratings, scope="region", actions=actions, examples=examples
    )
    assert made
    repeated = sorted({m[:4] for m in made if made.count(m) > 1})
    assert not repeated, repeated
