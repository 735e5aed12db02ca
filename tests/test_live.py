"""Live voting without a browser: join codes, device tokens, the voting rules, the pages' widgets,
the facilitator's panel and proxy votes, and the real server refusing a page without the code."""

from __future__ import annotations

import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assured_kit import live, voting
from assured_kit.errors import AssuredKitError
from assured_kit.store import Workshop

REPO = Path(__file__).resolve().parent.parent
Q1, Q2 = "LA-DCS-1", "LA-DCS-2"


@pytest.fixture
def make_ws(tmp_path):
    opened: list[Workshop] = []

    def make(anonymity: str = "pseudonymous", title: str = "Derby, spring") -> Workshop:
        path = tmp_path / f"{anonymity}-{len(opened)}.workshop.sqlite"
        ws = Workshop.create(path, title=title, anonymity=anonymity)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def ws(make_ws):
    return make_ws()


def _answers(ws: Workshop):
    return ws.ratings().sort_values("respondent_id").reset_index(drop=True)


def _text_of(widget) -> str:
    """All the HTML and descriptions a widget tree shows, in order."""
    parts = []
    stack = [widget]
    while stack:
        w = stack.pop(0)
        if hasattr(w, "value") and isinstance(w.value, str) and w.__class__.__name__ == "HTML":
            parts.append(w.value)
        if getattr(w, "description", None):
            parts.append(w.description)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(parts)


# --------------------------------------------------------------------------- join codes


def test_join_code_is_long_random_and_kept_in_the_workshop(ws):
    codes = {live.new_join_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", c) for c in codes)

    assert live.join_code(ws) is None
    code = live.ensure_join_code(ws)
    assert live.ensure_join_code(ws) == code  # kept, not replaced
    with Workshop.open(ws.path) as again:
        assert live.join_code(again) == code  # survives a reopen (and a server restart)
    kinds = ws.history()["kind"].tolist()
    assert kinds.count("live.code") == 1

    rotated = live.ensure_join_code(ws, rotate=True)
    assert rotated != code
    assert voting.check_code(ws, rotated)
    assert not voting.check_code(ws, code)


@pytest.mark.parametrize("given", [None, "", "wrong", "x" * 22, " "])
def test_check_code_refuses_anything_but_the_code(ws, given):
    code = live.ensure_join_code(ws)
    assert voting.check_code(ws, code)
    assert not voting.check_code(ws, given)


def test_no_code_is_valid_before_live_voting_or_after_it_is_retired(ws):
    assert not voting.check_code(ws, "anything")
    code = live.ensure_join_code(ws)
    live.retire_join_code(ws)
    assert live.join_code(ws) is None
    assert not voting.check_code(ws, code)
    assert live.ensure_join_code(ws) not in (None, code)


def test_parse_query_takes_first_values_and_ignores_oversized_ones():
    assert voting.parse_query("code=a&voter=b&code=c&other=1") == {"code": "a", "voter": "b"}
    assert voting.parse_query("code=" + "x" * 101) == {}
    assert voting.parse_query(None) == {}
    assert voting.parse_query("code=a%2Bb") == {"code": "a+b"}


def test_join_url_and_addresses():
    assert live.join_url("http://10.0.0.5:8866/", "a+b/c") == "http://10.0.0.5:8866/?code=a%2Bb%2Fc"
    assert live.base_url_for("127.0.0.1", 9001) == "http://127.0.0.1:9001/"
    assert live.base_url_for("::1", 9001) == "http://[::1]:9001/"
    wildcard = live.base_url_for("0.0.0.0", 9001)
    assert "0.0.0.0" not in wildcard
    assert wildcard.endswith(":9001/")


def test_qr_code_is_inline_svg_of_exactly_the_join_link():
    import segno

    url = "http://127.0.0.1:8866/?code=abc"
    svg = live.qr_svg(url)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<path" in svg and "<title>Join link</title>" in svg
    # It encodes the whole link (code included), not just the server's address.
    matrix = segno.make(url, error="m", micro=False).matrix
    assert matrix != segno.make("http://127.0.0.1:8866/", error="m", micro=False).matrix
    assert svg == live.qr_svg(url)
    assert svg != live.qr_svg("http://127.0.0.1:8866/?code=abd")


# --------------------------------------------------------------------------- tokens and joining


def test_token_binds_to_its_respondent_and_only_a_digest_is_stored(ws):
    token, rid = voting.join(ws, role="LM", authority="Derby", label="Sam")
    other_token, other = voting.join(ws, role="DCS", authority="Rutland", label="Alex")
    assert rid != other
    assert voting.respondent_for_token(ws, token) == rid
    assert voting.respondent_for_token(ws, other_token) == other
    assert voting.respondent_for_token(ws, "not-a-token") is None
    assert voting.respondent_for_token(ws, None) is None
    assert voting.respondent_for_token(ws, rid) is None  # a respondent id is not a token

    raw = ws.path.read_bytes() + Path(f"{ws.path}-wal").read_bytes()
    assert token.encode() not in raw
    assert voting.device_digest(token).encode() in raw
    # The stored digest does not work as a token either.
    assert voting.respondent_for_token(ws, voting.device_digest(token)) is None

    people = ws.respondents().set_index("respondent_id")
    assert people.loc[rid, "label"] == "Sam"
    assert people.loc[rid, "role"] == "LM"
    assert people.loc[rid, "authority"] == "Derby"
    binding = ws.history().query("kind == 'live.device'")
    assert binding["author"].tolist() == [rid, other]


def test_join_rules_per_anonymity_mode(make_ws):
    named = make_ws("named")
    with pytest.raises(AssuredKitError, match="label is needed"):
        voting.join(named, role="DCS", label="  ")
    with pytest.raises(AssuredKitError, match="at most 60"):
        voting.join(named, role="DCS", label="x" * 61)
    voting.join(named, role="DCS", label="Jo Smith")
    with pytest.raises(AssuredKitError, match="already"):
        voting.join(named, role="LM", label="jo smith")
    with pytest.raises(AssuredKitError, match="not one of this workshop's authorities"):
        voting.join(named, role="LM", label="Kim", authority="Atlantis")
    assert named.respondents()["label"].tolist() == ["Jo Smith"]  # failures wrote nothing
    assert (named.history()["kind"] == "live.device").sum() == 1

    anonymous = make_ws("anonymous")
    _, rid = voting.join(anonymous, role="Mixed", label="Should be ignored")
    row = anonymous.respondents().iloc[0]
    assert row["respondent_id"] == rid
    assert re.fullmatch(r"Voter [0-9A-F]{6}", row["label"])
    assert row["kind"] == "table"


# --------------------------------------------------------------------------- casting votes


def test_cast_vote_writes_only_the_tokens_respondent(ws):
    a_token, a = voting.join(ws, role="DCS", label="A")
    b_token, b = voting.join(ws, role="LM", label="B")
    ws.set_session(question_id=Q1)
    voting.cast_vote(ws, a_token, Q1, 4, round=1, evidence=2, note="we audit")
    voting.cast_vote(ws, b_token, Q1, dont_know=True, round=1)
    voting.cast_vote(ws, a_token, Q1, 5, round=1)  # a change of mind: latest wins
    table = _answers(ws)
    assert table["respondent_id"].tolist() == [a, b]
    assert table["rating"].tolist()[0] == 5
    assert table["dont_know"].tolist() == [False, True]
    assert table["author"].tolist() == [a, b]
    assert not table["proxy"].any()


@pytest.mark.parametrize(
    ("session", "question", "rnd", "message"),
    [
        ({"question_id": None}, Q1, 1, "moved on"),
        ({"question_id": Q2}, Q1, 1, "moved on"),
        ({"question_id": Q1, "round": 2}, Q1, 1, "moved on"),
        ({"question_id": Q1, "revealed": True}, Q1, 1, "closed"),
        ({"question_id": Q1, "closed": True}, Q1, 1, "closed"),
    ],
)
def test_cast_vote_refuses_anything_but_the_open_question(ws, session, question, rnd, message):
    token, _ = voting.join(ws, role="DCS", label="A")
    ws.set_session(**session)
    before = len(ws.history())
    with pytest.raises(AssuredKitError, match=message):
        voting.cast_vote(ws, token, question, 3, round=rnd)
    assert len(ws.history()) == before
    assert ws.ratings().empty


def test_cast_vote_refuses_unknown_or_forged_tokens(ws):
    token, rid = voting.join(ws, role="DCS", label="A")
    ws.set_session(question_id=Q1)
    for forged in ["", "nope", rid, voting.device_digest(token), token + "x"]:
        with pytest.raises(AssuredKitError, match="not joined"):
            voting.cast_vote(ws, forged, Q1, 3, round=1)
    with pytest.raises(AssuredKitError, match="not a level"):
        voting.cast_vote(ws, token, Q1, 9, round=1)
    assert ws.ratings().empty


# --------------------------------------------------------------------------- the voter's page


def test_page_without_the_code_shows_the_refusal_and_nothing_else(ws):
    code = live.ensure_join_code(ws)
    for query in ["", "code=wrong", f"voter=abc&code={code}x", f"code={code[:-1]}"]:
        shown = voting.VoterPage(ws, voting.parse_query(query)).widget
        text = _text_of(shown)
        assert "needs a valid join link" in text
        assert ws.title not in text
        assert len(shown.children) == 2  # the style sheet and the refusal
    # No workshop given by the server: refused too, and nothing is opened or written.
    assert "needs a valid join link" in _text_of(voting.VoterPage(None, {"code": code}).widget)


def test_join_page_states_title_and_mode_before_asking(make_ws):
    for mode in ("named", "pseudonymous", "anonymous"):
        ws = make_ws(mode, title="Leicester <b>spring</b> & more")
        code = live.ensure_join_code(ws)
        page = voting.VoterPage(ws, {"code": code})
        header = page.widget.children[1].value
        assert "Leicester &lt;b&gt;spring&lt;/b&gt; &amp; more" in header
        assert "<b>spring</b>" not in header
        assert voting.ANONYMITY_TEXT[mode].split(":")[0] in header
        has_label_box = page.label in page.widget.children
        assert has_label_box == (mode != "anonymous")


def test_voter_page_join_vote_change_close_reveal(ws):
    code = live.ensure_join_code(ws)
    page = voting.VoterPage(ws, {"code": code})
    page.join_button.click()
    assert "Choose your role" in page.join_message.value
    page.role.value = "LM"
    page.authority.value = "Derby"
    page.label.value = "<img src=x onerror=alert(1)>"
    page.join_button.click()
    rid = page.respondent_id
    assert rid is not None and page.token is not None
    assert voting.respondent_for_token(ws, page.token) == rid
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.who.value
    assert "<img" not in page.who.value
    assert "Waiting for the facilitator" in page.status.value
    assert all(b.disabled for _, b in page.rating_buttons)

    ws.set_session(question_id=Q1)
    page.refresh()
    assert "Leadership" in page.question.value
    buttons = dict(page.rating_buttons)
    evidence = dict(page.evidence_buttons)
    evidence[3].click()
    assert ws.ratings().empty  # evidence alone is not an answer
    page.note.value = "<script>alert('x')</script>"
    buttons[2].click()
    buttons[4].click()
    table = ws.ratings()
    assert table[["respondent_id", "rating", "evidence", "note"]].values.tolist() == [
        [rid, 4, 3, "<script>alert('x')</script>"]
    ]
    assert buttons[4].description.startswith("✓")
    assert not buttons[2].description.startswith("✓")
    assert "<script>" not in _text_of(page.widget)

    assert page.result.value == ""  # hidden until revealed
    ws.set_session(revealed=True)
    page.refresh()
    assert "The room's answers (1)" in page.result.value
    assert "4 · Mostly confident</span>" in page.result.value

    ws.set_session(closed=True)
    page.refresh()
    assert all(b.disabled for _, b in page.rating_buttons)
    page.vote(1)  # a tap that arrives after closing is refused
    assert "closed" in page.saved.value
    assert ws.ratings()["rating"].tolist() == [4]


def test_reload_with_the_token_is_the_same_respondent(ws):
    code = live.ensure_join_code(ws)
    token, rid = voting.join(ws, role="DCS", label="Pat")
    ws.set_session(question_id=Q1)
    voting.cast_vote(ws, token, Q1, 3, round=1)
    again = voting.VoterPage(ws, voting.parse_query(f"code={code}&voter={token}"))
    assert again.respondent_id == rid
    assert dict(again.rating_buttons)[3].description.startswith("✓")
    assert len(ws.respondents()) == 1


def test_new_question_and_round_two_follow_the_facilitator(ws):
    code = live.ensure_join_code(ws)
    token, _ = voting.join(ws, role="DCS", label="Pat")
    page = voting.VoterPage(ws, {"code": code, "voter": token})
    ws.set_session(question_id=Q1)
    page.refresh()
    page.vote(2)
    ws.set_session(round=2)
    page.refresh()
    assert "Round 2 (after discussion)" in page.status.value
    assert not any(b.description.startswith("✓") for _, b in page.rating_buttons)
    page.vote(None)
    ws.set_session(question_id=Q2, round=1)
    page.refresh()
    page.vote(5)
    table = ws.ratings()
    got = sorted(zip(table["question_id"], table["round"], table["rating"].astype(object),
                     table["dont_know"], strict=True))
    assert [(q, int(r), None if str(v) == "<NA>" else int(v), dk) for q, r, v, dk in got] == [
        (Q1, 1, 2, False), (Q1, 2, None, True), (Q2, 1, 5, False)
    ]


def test_rotating_the_code_shuts_open_pages_out(ws):
    code = live.ensure_join_code(ws)
    token, _ = voting.join(ws, role="DCS", label="Pat")
    page = voting.VoterPage(ws, {"code": code, "voter": token})
    live.ensure_join_code(ws, rotate=True)
    page.refresh()
    assert page.respondent_id is None
    assert "needs a valid join link" in _text_of(page.widget)


# --------------------------------------------------------------------------- facilitator side


def test_panel_count_names_and_proxy_votes(make_ws):
    ws = make_ws("named")
    code = live.ensure_join_code(ws)
    url = live.join_url("http://127.0.0.1:8866", code)
    tokens = [voting.join(ws, role="DCS", label=name)[0] for name in ["Ann", "<b>Bo</b>", "Cy"]]
    no_device = ws.add_respondent("Table 9", role="Mixed", kind="table")
    panel = live.live_panel(ws, url=url)
    assert panel.count() == 0
    assert "needs" not in panel.join.value and "?code=" in panel.join.value
    assert panel.qr.value.startswith("<svg")

    with pytest.raises(AssuredKitError, match="no question is open"):
        live.record_proxy(ws, no_device, 3)
    ws.set_session(question_id=Q1)
    voting.cast_vote(ws, tokens[0], Q1, 4, round=1)
    voting.cast_vote(ws, tokens[1], Q1, 2, round=1)
    voting.cast_vote(ws, tokens[1], Q1, 3, round=1)  # a change is not a second answer
    panel.proxy_who.value = None
    panel.refresh()
    assert panel.count() == 2 == live.answer_count(ws)
    assert panel.names() == ["Ann", "<b>Bo</b>"]
    assert "&lt;b&gt;Bo&lt;/b&gt;" in panel.counter.value
    assert "<b>Bo</b>" not in panel.counter.value

    panel.proxy_who.value = no_device
    panel.proxy_rating.value = None  # Don't know
    panel.proxy_button.click()
    assert "Saved a proxy vote for Table 9" in panel.message.value
    assert panel.count() == 3
    row = ws.ratings().set_index("respondent_id").loc[no_device]
    assert bool(row["proxy"]) and bool(row["dont_know"]) and row["author"] == "facilitator"
    assert not ws.ratings().set_index("respondent_id").loc[
        voting.respondent_for_token(ws, tokens[0]), "proxy"
    ]
    ws.set_session(round=2)
    assert panel.count() == 0  # round 2 counts afresh
    panel.close()


def test_panel_shows_only_a_count_outside_named_mode(make_ws):
    ws = make_ws("pseudonymous")
    code = live.ensure_join_code(ws)
    token, _ = voting.join(ws, role="DCS", label="Secret name")
    ws.set_session(question_id=Q1)
    voting.cast_vote(ws, token, Q1, 4, round=1)
    panel = live.live_panel(ws, url=live.join_url("http://127.0.0.1:1", code))
    assert panel.count() == 1
    assert panel.names() == []
    assert "Secret name" not in panel.counter.value


def test_panel_controls_close_and_reveal(ws):
    code = live.ensure_join_code(ws)
    ws.set_session(question_id=Q1)
    panel = live.live_panel(ws, url=live.join_url("http://127.0.0.1:1", code))
    panel.close_button.click()
    assert ws.session()["closed"] is True
    assert panel.close_button.description == "Reopen voting"
    panel.reveal_button.click()
    assert ws.session()["revealed"] is True
    assert "shown to" in panel.status.value
    panel.close_button.click()
    assert ws.session()["closed"] is False


# --------------------------------------------------------------------------- the server


def test_server_environment_is_offline_quiet_and_culls():
    env = live.server_environment(Path("w.workshop.sqlite"), limits=live.Limits(cull_seconds=90))
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_MODE"] == "production"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "90s"
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    assert env["SOLARA_APP"] == "assured_kit.liveapp"
    assert live.Limits.from_json(env["ASSURED_KIT_LIVE_LIMITS"]) == live.Limits(cull_seconds=90)


def test_start_server_refuses_a_missing_workshop_or_silly_limits(tmp_path):
    with pytest.raises(AssuredKitError, match="does not exist"):
        live.start_server(tmp_path / "nope.workshop.sqlite")
    path = tmp_path / "w.workshop.sqlite"
    Workshop.create(path, title="W").close()
    with pytest.raises(AssuredKitError, match="too low"):
        live.start_server(path, max_sessions=0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ROOM_MODULE = """
import ipywidgets as widgets

def page(path):
    return widgets.HTML("<h1>Room view for " + path.name + "</h1>")
"""


@pytest.fixture
def room_module(tmp_path, monkeypatch):
    """A test-only room page factory, importable by the server process."""
    folder = tmp_path / "roompkg"
    folder.mkdir()
    (folder / "ak_test_room.py").write_text(ROOM_MODULE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(folder))
    return "ak_test_room:page"


def _get(url: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    """GET a page: status, body and headers (repeated headers joined with a newline)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        reply = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as exc:
        reply = exc
    with reply:
        names = {k.lower() for k in reply.headers}
        got = {k: "\n".join(reply.headers.get_all(k)) for k in names}
        return reply.status, reply.read().decode(), got


@pytest.mark.slow
def test_real_server_checks_codes_and_keys_before_any_session(tmp_path, room_module):
    path = tmp_path / "srv.workshop.sqlite"
    Workshop.create(path, title="Server test").close()
    server = live.start_server(path, port=_free_port(), room_factory=room_module)
    try:
        base = server.base_url
        assert server.vote_url.startswith(base + "?code=")
        assert server.room_url.startswith(base + "room?key=")
        code = server.vote_url.split("code=", 1)[1]
        key = server.room_url.split("key=", 1)[1]
        assert code != key
        refusals = [
            base, base + "?code=guess", f"{base}?code={code}&template=lab",
            f"{base}?code={code}&theme=dark", f"{base}?code={code}&kernelid=abc",
            f"{base}room?key={code}", f"{base}room", f"{base}?key={key}",
            base + "readyz", base + "resourcez", base + "api/kernels", base + "tree",
        ]
        for url in refusals:
            status, body, _ = _get(url)
            assert status in (403, 404), url
            assert len(body) < 2000 and "Traceback" not in body and "solara" not in body.lower()
        status, body, headers = _get(server.vote_url)
        assert status == 200 and "/_ak/live.js" in body
        assert "ak_vote=" in headers.get("set-cookie", "")
        assert "default-src 'self'" in headers.get("content-security-policy", "")
        status, body, headers = _get(server.room_url)
        assert status == 200 and "ak_room=" in headers.get("set-cookie", "")
        # A pass cookie for the room view is not a pass for the voting page, and the other way.
        room_pass = next(c for c in headers["set-cookie"].split("\n") if c.startswith("ak_room"))
        status, _, _ = _get(base, Cookie=room_pass.split(";")[0])
        assert status == 403
    finally:
        assert server.stop() is not None
    assert not server.running


@pytest.mark.slow
def test_stop_ends_a_server_that_ignores_interrupts(tmp_path):
    """stop() sends SIGTERM (not SIGINT, which a server under nohup ignores)."""
    path = tmp_path / "srv.workshop.sqlite"
    Workshop.create(path, title="Server test").close()
    server = live.start_server(path, port=_free_port())
    started = time.monotonic()
    server.stop(grace=5)
    assert not server.running
    assert time.monotonic() - started < 12


@pytest.mark.slow
def test_start_server_reports_a_bad_workshop_file_and_leaves_it_alone(tmp_path):
    bad = tmp_path / "bad.workshop.sqlite"
    bad.write_bytes(b"not a database " * 20)
    with pytest.raises(AssuredKitError, match="not an SQLite database"):
        live.start_server(bad, port=_free_port())
    assert bad.read_bytes() == b"not a database " * 20
