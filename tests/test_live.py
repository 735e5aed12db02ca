"""Live voting without a browser: join codes, device tokens, the voting rules, the pages' widgets,
the facilitator's panel and proxy votes, and the real server refusing a page without the code."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import free_port

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
    assert env["SOLARA_SERVER_SYNC_WS_WRITE"] == "True"
    assert live.Limits.from_json(env["ASSURED_KIT_LIVE_LIMITS"]) == live.Limits(cull_seconds=90)


def test_start_server_refuses_a_missing_workshop_or_silly_limits(tmp_path):
    with pytest.raises(AssuredKitError, match="does not exist"):
        live.start_server(tmp_path / "nope.workshop.sqlite")
    path = tmp_path / "w.workshop.sqlite"
    Workshop.create(path, title="W").close()
    with pytest.raises(AssuredKitError, match="too low"):
        live.start_server(path, max_sessions=0)


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
    server = live.start_server(path, port=free_port(), room_factory=room_module)
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
        # Solara's settings are the kit's (read after the server set them): no banner, no
        # "made with" loader, zooming allowed, the page's language stated.
        assert '"show_banner": false' in body and '"loader": "plain"' in body
        assert "user-scalable=no" not in body and '<html lang="en"' in body
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
    server = live.start_server(path, port=free_port())
    started = time.monotonic()
    server.stop(grace=5)
    assert not server.running
    assert time.monotonic() - started < 12


@pytest.mark.slow
def test_start_server_reports_a_bad_workshop_file_and_leaves_it_alone(tmp_path):
    bad = tmp_path / "bad.workshop.sqlite"
    bad.write_bytes(b"not a database " * 20)
    with pytest.raises(AssuredKitError, match="not an SQLite database"):
        live.start_server(bad, port=free_port())
    assert bad.read_bytes() == b"not a database " * 20


# --------------------------------------------------------------------------- the gate


class _Inner:
    """A stand-in page server: counts what reaches it and answers a small HTML page."""

    def __init__(self):
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send):
        self.calls.append(scope["path"])
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            return
        body = b"<html><head><title>t</title></head><body>page</body></html>"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _call(gate, path, query="", *, cookies="", client="10.0.0.5", kind="http"):
    """Send one request through the gate; return (status or websocket outcome, body, headers)."""
    headers = [(b"cookie", cookies.encode())] if cookies else []
    scope = {"type": kind, "path": path, "query_string": query.encode(), "headers": headers,
             "client": (client, 5555), "method": "GET"}
    sent = []
    messages = [{"type": "websocket.connect"} if kind == "websocket" else
                {"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    if kind == "websocket":
        return sent[0]["type"], b"", {}
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    got: dict[str, list[str]] = {}
    for k, v in start["headers"]:
        got.setdefault(k.decode(), []).append(v.decode())
    return start["status"], body, got


def _pass(headers, name):
    return next(c.split(";")[0] for c in headers["set-cookie"] if c.startswith(name))


@pytest.fixture
def gate_parts():
    from assured_kit.gate import Gate, GateKeys, Limits

    inner = _Inner()
    sessions: set[str] = set()
    keys = GateKeys(lambda: ("the-code-0123456789abcd", "the-room-key-0123456789"))

    def make(**limits):
        return Gate(inner, keys, limits=Limits(**limits), session_count=lambda: len(sessions),
                    session_exists=lambda k: k in sessions)

    return make, inner, sessions


def test_gate_refuses_wrong_codes_and_overrides_without_reaching_the_page_server(gate_parts):
    make, inner, _ = gate_parts
    gate = make()
    code = "the-code-0123456789abcd"
    for path, query in [("/", ""), ("/", "code=guess"), ("/", f"code={code}&template=lab"),
                        ("/", f"code={code}&theme=dark"), ("/", f"code={code}&code={code}"),
                        ("/vote", f"code={code}x"), ("/room", f"key={code}"),
                        ("/room", "key=the-room-key-0123456789&code=x"), ("/readyz", ""),
                        ("/resourcez", ""), ("/api/kernels", ""), ("/_solara/api/close/ab", "")]:
        status, body, _ = _call(gate, path, query)
        assert status in (403, 404), (path, query)
        assert len(body) < 2000 and b"Traceback" not in body
    assert inner.calls == []
    # Websockets without a pass never reach the page server either.
    outcome, _, _ = _call(gate, "/jupyter/api/kernels/0123abcd-0000/channels", kind="websocket")
    assert outcome == "websocket.close" and inner.calls == []


def test_gate_passes_a_valid_code_with_cookies_the_script_and_a_content_policy(gate_parts):
    make, inner, _ = gate_parts
    gate = make()
    status, body, headers = _call(gate, "/", "code=the-code-0123456789abcd&voter=t" + "x" * 20)
    assert status == 200 and inner.calls == ["/"]
    assert body.startswith(b'<html lang="en"><head><script src="/_ak/live.js"></script>')
    assert headers["content-length"] == [str(len(body))]
    assert "default-src 'self'" in headers["content-security-policy"][0]
    vote = _pass(headers, "ak_vote")
    device = _pass(headers, "ak_device")
    assert all("HttpOnly" in c and "SameSite=Strict" in c for c in headers["set-cookie"])
    # With the pass, the page's websocket goes through, and the gate notes who opened it.
    kernel = "0123abcd-1111-2222"
    outcome, _, _ = _call(gate, f"/jupyter/api/kernels/{kernel}/channels",
                          cookies=f"{vote}; {device}", kind="websocket")
    assert outcome == "websocket.accept"
    owner = gate.owner_of(kernel)
    assert owner.vote and not owner.room and owner.device == device.split("=", 1)[1]
    # A room pass is a different cookie; the voting pass does not open the room view.
    status, _, headers = _call(gate, "/room", "key=the-room-key-0123456789")
    assert status == 200 and _pass(headers, "ak_room")
    status, _, _ = _call(gate, "/room", "", cookies=vote)
    assert status == 403


def test_gate_pass_stops_working_when_the_code_rotates():
    from assured_kit.gate import Gate, GateKeys

    current = ["code-one-0123456789abcdef"]
    keys = GateKeys(lambda: (current[0], None), ttl=0)
    gate = Gate(_Inner(), keys)
    _, _, headers = _call(gate, "/", f"code={current[0]}")
    vote = _pass(headers, "ak_vote")
    current[0] = "code-two-0123456789abcdef"
    outcome, _, _ = _call(gate, "/jupyter/api/kernels/0123abcd/channels", cookies=vote,
                          kind="websocket")
    assert outcome == "websocket.close"


def test_gate_caps_sessions(gate_parts):
    make, _, sessions = gate_parts
    gate = make(max_sessions=2)
    query = "code=the-code-0123456789abcd"
    _, _, headers = _call(gate, "/", query)
    vote = _pass(headers, "ak_vote")
    sessions.update({"0123abcd-1", "0123abcd-2"})
    status, body, _ = _call(gate, "/", query, client="10.0.0.6")
    assert status == 503 and b"The room is full" in body
    # A new session is refused at the websocket too; an existing one may reconnect.
    new, _, _ = _call(gate, "/jupyter/api/kernels/0123abcd-3/channels", cookies=vote,
                      kind="websocket")
    again, _, _ = _call(gate, "/jupyter/api/kernels/0123abcd-1/channels", cookies=vote,
                        kind="websocket")
    assert (new, again) == ("websocket.close", "websocket.accept")
    sessions.clear()
    assert _call(gate, "/", query, client="10.0.0.7")[0] == 200


def test_gate_limits_page_loads_per_device_and_per_address(gate_parts):
    make, _, _ = gate_parts
    gate = make(loads_per_device=(3, 0.0), loads_per_address=(5, 0.0))
    query = "code=the-code-0123456789abcd"
    _, _, headers = _call(gate, "/", query, client="10.0.0.8")
    device = _pass(headers, "ak_device")
    seen = [_call(gate, "/", query, cookies=device, client=f"10.0.1.{i}")[0] for i in range(3)]
    assert seen == [200, 200, 429]  # the device's third load after the first
    # Without cookies (a script), the address's allowance runs out instead.
    seen = [_call(gate, "/", query, client="10.0.0.9")[0] for _ in range(6)]
    assert seen == [200] * 5 + [429]
    assert b"Too many attempts" in _call(gate, "/", query, client="10.0.0.9")[1]


def test_gate_limits_joins_and_taps_per_device(gate_parts):
    from assured_kit.gate import Owner

    make, _, _ = gate_parts
    gate = make(joins_per_device=(2, 0.0), taps_per_device=(4, 0.0))
    phone = Owner("phone-token-aaaaaaaaaaaaaaaa", "10.0.0.5", True, False)
    same_phone_other_tab = Owner("phone-token-aaaaaaaaaaaaaaaa", "10.0.0.5", True, False)
    with gate._owners_lock:
        gate._owners["k1"] = phone
        gate._owners["k2"] = same_phone_other_tab
    assert [gate.may_join(phone) for _ in range(3)] == [True, True, False]
    taps = [gate.may_tap(phone), gate.may_tap(phone), gate.may_tap(same_phone_other_tab),
            gate.may_tap(same_phone_other_tab), gate.may_tap(phone)]
    assert taps == [True, True, True, True, False]


def test_gate_alive_answers_only_with_a_pass(gate_parts):
    make, _, sessions = gate_parts
    gate = make()
    status, body, _ = _call(gate, "/_ak/alive", "kernel=0123abcd-1")
    assert status == 200 and json.loads(body) == {"boot": gate.boot, "pass": False,
                                                  "session": False, "full": False}
    _, _, headers = _call(gate, "/", "code=the-code-0123456789abcd")
    sessions.add("0123abcd-1")
    _, body, _ = _call(gate, "/_ak/alive", "kernel=0123abcd-1",
                       cookies=_pass(headers, "ak_vote"))
    assert json.loads(body)["session"] is True
    status, body, headers = _call(gate, "/_ak/live.js")
    assert status == 200 and b"Connection lost" in body
    assert headers["content-type"][0].startswith("text/javascript")


def test_gate_answers_a_failing_page_server_without_a_traceback(gate_parts):
    from assured_kit.gate import Gate, GateKeys

    async def broken(scope, receive, send):
        raise RuntimeError("/secret/path/server.py exploded")

    gate = Gate(broken, GateKeys(lambda: ("the-code-0123456789abcd", None)))
    status, body, _ = _call(gate, "/", "code=the-code-0123456789abcd")
    assert status == 500 and b"secret" not in body and b"Traceback" not in body


# --------------------------------------------------------------------------- the tap address

DEVICE = "phone-token-aaaaaaaaaaaaaaaa"
KERNEL = "0123abcd-0000-4000-8000-00000000feed"
TOKEN = "voter-token-0123456789abcdef"


def _tap_body(**change):
    return json.dumps({"kernel": KERNEL, "voter": TOKEN, "question": Q1, "round": 1,
                       "value": 4, **change}).encode()


def _post(gate, body, *, cookies="", origin="http://127.0.0.1:8866", site=None):
    """POST one tap through the gate as the page's script does; return (status, JSON answer)."""
    headers = [(b"host", b"127.0.0.1:8866"), (b"content-type", b"application/json")]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if site is not None:
        headers.append((b"sec-fetch-site", site.encode()))
    scope = {"type": "http", "path": "/_ak/tap", "query_string": b"", "headers": headers,
             "client": ("10.0.0.5", 5555), "method": "POST"}
    messages = [{"type": "http.request", "body": body[:10], "more_body": True},
                {"type": "http.request", "body": body[10:], "more_body": False}]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"Traceback" not in body and b".py" not in body
    return start["status"], body


@pytest.fixture
def tap_gate(gate_parts):
    """A gate with a voting page's session open (kernel KERNEL on DEVICE) and a tap handler."""
    from assured_kit.gate import Gate, GateKeys, Limits, Owner

    _, inner, _ = gate_parts
    handled = []

    async def handler(kernel, tap):
        handled.append((kernel, tap))
        return 200, {"saved": True}

    def make(handler=handler, **limits):
        gate = Gate(inner, GateKeys(lambda: ("the-code-0123456789abcd", "the-room-key-01234567")),
                    limits=Limits(**limits), tap=handler)
        with gate._owners_lock:
            gate._owners[KERNEL] = Owner(DEVICE, "10.0.0.5", True, False)
        _, _, headers = _call(gate, "/", "code=the-code-0123456789abcd")
        cookies = f"{_pass(headers, 'ak_vote')}; ak_device={DEVICE}"
        return gate, cookies

    return make, handled


def test_tap_address_saves_a_checked_tap(tap_gate):
    make, handled = tap_gate
    gate, cookies = make()
    status, body = _post(gate, _tap_body(value=None), cookies=cookies)
    assert (status, json.loads(body)) == (200, {"saved": True})
    assert handled == [(KERNEL, {"kernel": KERNEL, "voter": TOKEN, "question": Q1, "round": 1,
                                 "value": None})]


def test_tap_address_refuses_without_the_join_code_or_from_elsewhere(tap_gate):
    make, handled = tap_gate
    gate, cookies = make()
    device_only = f"ak_device={DEVICE}"
    old_pass = "ak_vote=" + "0" * 64 + f"; ak_device={DEVICE}"
    for kwargs in [dict(cookies=""), dict(cookies=device_only), dict(cookies=old_pass),
                   dict(cookies=cookies, origin=None),
                   dict(cookies=cookies, origin="http://evil.example"),
                   dict(cookies=cookies, origin="http://127.0.0.1:8866.evil.example"),
                   dict(cookies=cookies, site="cross-site")]:
        status, body = _post(gate, _tap_body(), **kwargs)
        assert status == 403, kwargs
        assert json.loads(body)["message"].startswith("Not saved:")
    assert handled == []


def test_tap_address_refuses_another_devices_session_and_unreadable_taps(tap_gate):
    make, handled = tap_gate
    gate, cookies = make()
    other_phone = cookies.replace(DEVICE, "other-phone-bbbbbbbbbbbbbbbb")
    status, body = _post(gate, _tap_body(), cookies=other_phone)
    assert status == 410 and json.loads(body)["reload"] is True
    status, _ = _post(gate, _tap_body(kernel="0123abcd-ffff"), cookies=cookies)
    assert status == 410  # a session the gate never saw: the page reloads
    for body in [b"", b"not json", b"[1, 2]", _tap_body(value="4"), _tap_body(round=True),
                 _tap_body(question="LA-DCS-1' OR 1=1"), _tap_body(voter="short"),
                 _tap_body(extra=1), b'{"kernel": "' + b"a" * 5000 + b'"}',
                 b"\xff\xfe", b"[" * 5000]:
        status, answer = _post(gate, body, cookies=cookies)
        assert status == 400 and b"could not be read" in answer, body[:40]
    assert handled == []


def test_tap_address_is_rate_limited_per_device_with_the_widget_taps(tap_gate):
    from assured_kit.gate import Owner

    make, handled = tap_gate
    gate, cookies = make(taps_per_device=(3, 0.0))
    assert gate.may_tap(Owner(DEVICE, "10.0.0.5", True, False))  # one tap through the widgets
    statuses = [_post(gate, _tap_body(), cookies=cookies)[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(handled) == 2


def test_tap_address_answers_a_failing_handler_without_a_traceback(tap_gate):
    make, _ = tap_gate

    async def broken(kernel, tap):
        raise RuntimeError("/secret/path/liveapp.py exploded")

    gate, cookies = make(handler=broken)
    status, body = _post(gate, _tap_body(), cookies=cookies)
    assert status == 500 and b"secret" not in body


def test_a_tap_sent_to_the_server_is_saved_then_shown_or_refused_when_moved_on(
        tmp_path, monkeypatch):
    from assured_kit import liveapp

    path = tmp_path / "tap.workshop.sqlite"
    with Workshop.create(path, title="Taps") as ws:
        code = live.ensure_join_code(ws)
        ws.set_session(question_id=Q1)
        token, rid = voting.join(ws, role="DCS", label="Pat")
    shared = liveapp.Hub(path, poll_seconds=60)
    monkeypatch.setattr(liveapp, "_HUB", shared)
    try:
        page = voting.VoterPage(shared.ws, {"code": code, "voter": token}, state=shared.state)
        shown = []
        shared.subscribe(page, lambda action: (action(), shown.append(page.saved.value)), KERNEL)
        request = {"kernel": KERNEL, "voter": token, "question": Q1, "round": 1, "value": 3}
        page.set_evidence(2)
        assert asyncio.run(liveapp.tap(KERNEL, request)) == (200, {"saved": True})
        # The answer was in the file before the page was told; the page shows it as saved.
        assert _answers(shared.ws)[["respondent_id", "rating", "evidence"]].values.tolist() \
            == [[rid, 3, 2]]
        deadline = time.monotonic() + 10
        while not shown and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "Saved: 3 · Partly confident (with evidence 2)" in shown[0]

        # The facilitator moves on before the tap arrives: refused, nothing written, and the
        # page shows the current question with the reason.
        shared.ws.set_session(question_id=Q2)
        status, answer = asyncio.run(liveapp.tap(KERNEL, {**request, "value": 5}))
        assert status == 409 and voting.MOVED_ON in answer["message"]
        assert _answers(shared.ws)["rating"].tolist() == [3]
        while len(shown) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert voting.MOVED_ON in shown[1]
        assert 'data-ak-question="LA-DCS-2"' in page.status.value

        # Another device's token, or a session with no voting page: the phone reloads.
        for session, voter in [(KERNEL, "someone-else-0123456789abc"), ("0123abcd-9", token)]:
            status, answer = asyncio.run(liveapp.tap(session, {**request, "voter": voter}))
            assert status == 410 and answer["reload"] is True
    finally:
        shared.close()


# --------------------------------------------------------------------------- what a voter saw


def _joined_page(ws, **kwargs):
    code = live.ensure_join_code(ws)
    token, rid = voting.join(ws, role="DCS", label="Pat")
    page = voting.VoterPage(ws, {"code": code, "voter": token}, **kwargs)
    return page, rid


def test_a_tap_counts_only_for_the_question_the_page_showed(ws):
    ws.set_session(question_id=Q1)
    page, rid = _joined_page(ws)
    assert "Leadership" in page.question.value and page._shown[:2] == (Q1, 1)
    # The facilitator moves on; the tap arrives before the page has heard of it.
    ws.set_session(question_id=Q2)
    dict(page.rating_buttons)[4].click()
    assert ws.ratings().empty  # counted for neither question
    assert voting.MOVED_ON in page.saved.value
    assert page._shown[:2] == (Q2, 1)  # ... and the page now shows the current question
    assert "question 2" in page.question.value
    dict(page.rating_buttons)[4].click()
    assert ws.ratings()[["respondent_id", "question_id", "rating"]].values.tolist() == [
        [rid, Q2, 4]
    ]


def test_a_tap_from_round_one_is_not_stored_in_round_two(ws):
    ws.set_session(question_id=Q1)
    page, _ = _joined_page(ws)
    ws.set_session(round=2)
    dict(page.rating_buttons)[2].click()
    assert ws.ratings().empty and voting.MOVED_ON in page.saved.value
    assert "Round 2" in page.status.value


def test_reveal_closes_voting_unless_switched_off(ws):
    ws.set_session(question_id=Q1)
    page, _ = _joined_page(ws)
    dict(page.rating_buttons)[3].click()
    assert voting.close_on_reveal(ws) is True
    ws.set_session(revealed=True)
    page.refresh()
    assert voting.VOTING_CLOSED in page.status.value
    assert all(b.disabled for _, b in page.rating_buttons)
    page.vote(5)
    assert ws.ratings()["rating"].tolist() == [3]
    assert "The room's answers (1)" in page.result.value
    # Switched off: the room sees the answers and may still change theirs.
    voting.set_close_on_reveal(ws, False)
    page.refresh()
    assert voting.VOTING_CLOSED not in page.status.value
    page.vote(5)
    assert ws.ratings()["rating"].tolist() == [5]
    with pytest.raises(AssuredKitError, match="on or off"):
        voting.set_close_on_reveal(ws, "no")


def test_page_refuses_taps_and_joins_beyond_the_device_limits(ws):
    ws.set_session(question_id=Q1)
    allowance = iter([True, True, False])
    page, _ = _joined_page(ws, may_tap=lambda: next(allowance))
    buttons = dict(page.rating_buttons)
    buttons[1].click()
    buttons[2].click()
    buttons[3].click()  # one tap too many: nothing written, and the page says so
    assert ws.ratings()["rating"].tolist() == [2]
    assert "too many taps" in page.saved.value
    assert "Saved" not in page.saved.value

    code = live.ensure_join_code(ws)
    form = voting.VoterPage(ws, {"code": code}, may_join=lambda: False)
    form.role.value, form.authority.value, form.label.value = "LM", "Derby", "Sam"
    form.join_button.click()
    assert form.respondent_id is None and "joined too often" in form.join_message.value
    assert len(ws.respondents()) == 1


def test_the_question_shows_what_its_2010_terms_mean_today(ws):
    ws.set_session(question_id="PM-LM-1")  # mentions the LSCB
    page, _ = _joined_page(ws)
    assert "What does this mean?" in page.question.value
    assert "data-term='LSCB'" in page.question.value
    ws.set_session(question_id="LA-DCS-3")  # nothing to explain
    page.refresh()
    assert "What does this mean?" not in page.question.value


def test_shared_state_is_read_once_for_every_page(ws):
    ws.set_session(question_id=Q1)
    page, rid = _joined_page(ws)
    page.vote(4)
    state = voting.live_state(ws)
    assert state["answers"][rid]["rating"] == 4
    assert state["closed"] is False and state["result"] is None
    other = voting.VoterPage(ws, {"code": state["code"], "voter": page.token}, state=state)
    assert dict(other.rating_buttons)[4].description.startswith("✓")
    assert "Saved: 4" in other.saved.value


def test_live_code_keeps_its_records_through_the_public_store_api():
    for name in ("live.py", "voting.py", "liveapp.py", "gate.py"):
        text = (REPO / "assured_kit" / name).read_text(encoding="utf-8")
        assert not re.search(r"\bws\._|\._(write|append|query|events|db)\(", text), name


# --------------------------------------------------------------------------- addresses


def test_candidate_addresses_put_wifi_first_and_warn_about_the_rest():
    found = live.candidate_addresses(interfaces={
        "lo": ["127.0.0.1", "::1"], "wg0": ["10.6.0.2"], "utun4": ["100.64.0.3"],
        "Ethernet 2": ["192.168.0.12"], "Wi-Fi": ["10.20.30.40", "fe80::1%12"],
        "eth1": ["169.254.3.4"], "docker0": ["172.17.0.1"],
    })
    assert [(a.interface, a.address, a.kind) for a in found] == [
        ("Wi-Fi", "10.20.30.40", "wifi"), ("Ethernet 2", "192.168.0.12", "wired"),
        ("docker0", "172.17.0.1", "other"), ("utun4", "100.64.0.3", "vpn"),
        ("wg0", "10.6.0.2", "vpn"), ("eth1", "169.254.3.4", "link-local"),
        ("Wi-Fi", "fe80::1", "link-local"), ("lo", "127.0.0.1", "loopback"),
        ("lo", "::1", "loopback"),
    ]
    assert [a.warning is None for a in found[:3]] == [True, True, True]
    assert all(a.warning for a in found[3:])
    assert "VPN" in found[3].warning and "only this computer" in found[-1].warning


def test_addresses_are_found_without_sending_anything(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("no socket may be connected to learn an address")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    found = live.candidate_addresses()
    assert any(a.kind == "loopback" for a in found)
    assert live.base_url_for("0.0.0.0", 8866).startswith("http://")
    assert not hasattr(live, "lan_address")


# --------------------------------------------------------------------------- a wave of taps


@pytest.mark.parametrize("remember", [False, True])
def test_cast_votes_saves_a_wave_together_and_refuses_only_the_bad_taps(ws, remember):
    ws.set_session(question_id=Q1)
    tokens = [voting.join(ws, role="DCS", label=f"V{i}")[0] for i in range(4)]
    # The server remembers devices it has seen; a forged token is never remembered.
    devices: dict[str, str] | None = {} if remember else None
    votes = [
        voting.Vote(tokens[0], Q1, 4, round=1),
        voting.Vote(tokens[1], Q1, 9, round=1),  # not on the scale: undoes the transaction
        voting.Vote(tokens[2], Q2, 3, round=1),  # a question the facilitator left
        voting.Vote("forged-token", Q1, 2, round=1),
        voting.Vote(tokens[3], Q1, None, round=1, dont_know=True),
    ]
    results = voting.cast_votes(ws, votes, devices=devices)
    if remember:
        people = ws.respondents().set_index("label")["respondent_id"]
        assert devices == {tokens[i]: people[f"V{i}"] for i in range(4)}
        again = voting.cast_votes(ws, votes[3:], devices=devices)
        assert "not joined" in str(again[0]) and isinstance(again[1], int)
    assert isinstance(results[0], int) and isinstance(results[4], int)
    assert "not a level" in str(results[1])
    assert voting.MOVED_ON in str(results[2])
    assert "not joined" in str(results[3])
    table = ws.ratings().sort_values("respondent_label")
    assert table["respondent_label"].tolist() == ["V0", "V3"]
    assert table["dont_know"].tolist() == [False, True]


def test_hub_saves_taps_from_many_sessions_and_answers_each(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from assured_kit.liveapp import Hub

    path = tmp_path / "hub.workshop.sqlite"
    with Workshop.create(path, title="Hub") as ws:
        ws.set_session(question_id=Q1)
        tokens = [voting.join(ws, role="DCS", label=f"V{i}")[0] for i in range(40)]
    hub = Hub(path, poll_seconds=0.2)
    try:
        votes = [voting.Vote(t, Q1, 1 + i % 5, round=1) for i, t in enumerate(tokens)]
        votes.append(voting.Vote(tokens[0], Q2, 1, round=1))
        with ThreadPoolExecutor(max_workers=20) as pool:
            futures = [pool.submit(hub.cast, v) for v in votes]
        assert all(isinstance(f.result(), int) for f in futures[:-1])
        with pytest.raises(AssuredKitError, match="moved on"):
            futures[-1].result()
        table = hub.ws.ratings()
        assert len(table) == 40
        assert sorted(table["rating"].astype(int)) == sorted(1 + i % 5 for i in range(40))
    finally:
        hub.ws.close()


def test_hub_refreshes_pages_on_a_change_and_lets_closed_sessions_go(tmp_path):
    from assured_kit.liveapp import Hub, SessionClosedError

    path = tmp_path / "hub.workshop.sqlite"
    with Workshop.create(path, title="Hub") as ws:
        code = live.ensure_join_code(ws)
        token, _ = voting.join(ws, role="DCS", label="Pat")
    hub = Hub(path, poll_seconds=0.05)
    try:
        page = voting.VoterPage(hub.ws, {"code": code, "voter": token}, state=hub.state)
        gone = voting.VoterPage(hub.ws, {"code": code, "voter": token}, state=hub.state)

        def closed(_action):
            raise SessionClosedError("k2")

        hub.subscribe(page, lambda action: action())
        hub.subscribe(gone, closed)
        hub.ws.set_session(question_id=Q1)
        deadline = time.monotonic() + 10
        while "Leadership" not in page.question.value and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Leadership" in page.question.value
        while len(hub._pages) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(hub._pages) == [id(page)]
    finally:
        hub.close()


def test_pages_hear_of_saved_taps_after_the_writing_but_never_later_than_two_seconds(tmp_path):
    from assured_kit.liveapp import Hub

    path = tmp_path / "show.workshop.sqlite"
    Workshop.create(path, title="Show").close()
    hub = Hub(path, poll_seconds=60)
    shown: list[float] = []
    try:
        hub.show_later(lambda action: action(), lambda: shown.append(time.monotonic()))
        deadline = time.monotonic() + 5
        while not shown and time.monotonic() < deadline:
            time.sleep(0.005)
        assert shown  # nothing being written: shown at once
        # A write that never ends (a stream of taps): every page waiting is told within two
        # seconds of its save, all together, not two seconds each in turn.
        hub._writing.set()
        asked = time.monotonic()
        for _ in range(5):
            hub.show_later(lambda action: action(), lambda: shown.append(time.monotonic()))
        time.sleep(0.5)
        assert len(shown) == 1
        while len(shown) < 6 and time.monotonic() < asked + 6:
            time.sleep(0.01)
        assert len(shown) == 6 and max(shown) - asked < 3.0
    finally:
        hub._writing.clear()
        hub.close()


def test_room_key_is_a_secret_of_its_own(ws):
    code = live.ensure_join_code(ws)
    key = live.ensure_room_key(ws)
    assert key != code and live.ensure_room_key(ws) == key and live.room_key(ws) == key
    rotated = live.ensure_room_key(ws, rotate=True)
    assert rotated != key and live.join_code(ws) == code
    assert not voting.check_code(ws, rotated)


def test_a_page_that_fails_to_build_shows_a_short_message_not_a_traceback(monkeypatch):
    from assured_kit import liveapp

    def broken(*_args, **_kwargs):
        raise RuntimeError("/home/secret/path exploded")

    monkeypatch.setattr(liveapp, "page_for", broken)
    text = liveapp._safe_page("/", "code=x").value
    assert "Something went wrong" in text
    assert "secret" not in text and "Traceback" not in text


@pytest.mark.slow
def test_a_session_runs_no_code_a_client_sends(tmp_path):
    """The page server passes only widget messages to a session: an execute request runs nothing."""
    import uuid

    from websockets.sync.client import connect

    path = tmp_path / "srv.workshop.sqlite"
    Workshop.create(path, title="Server test").close()
    marker = tmp_path / "executed.txt"
    server = live.start_server(path, port=free_port())
    try:
        _, _, headers = _get(server.vote_url)
        cookies = "; ".join(c.split(";")[0] for c in headers["set-cookie"].split("\n"))
        host = server.base_url.removeprefix("http://").rstrip("/")
        url = (f"ws://{host}/jupyter/api/kernels/{uuid.uuid4()}/channels"
               f"?session_id={uuid.uuid4()}")
        with connect(url, additional_headers={"Cookie": cookies}, open_timeout=30) as sock:
            sock.send(json.dumps({
                "header": {"msg_id": "x1", "msg_type": "execute_request", "username": "",
                           "session": "s1", "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": f"open({str(marker)!r}, 'w').write('ran')",
                            "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True},
            }))
            time.sleep(3)
        assert not marker.exists()
        assert server.running
    finally:
        server.stop()
    # Messages to phones were written straight from the session's thread (Solara's
    # synchronous writes: a quarter of the CPU a tap and a join; see live._run_server).
    assert "sync_ws_write requested but unavailable" not in server.log_path.read_text()


def test_command_line_server_announces_the_join_link_to_the_room_view(ws, monkeypatch, capsys):
    """`assured-kit live` tells the room view its join link, and takes it back on stopping."""
    from assured_kit.facilitator import Facilitator

    seen: list[str | None] = []

    class Stopped:
        workshop_path = ws.path
        vote_url = "http://127.0.0.1:8866/?code=abc"
        room_url = "http://127.0.0.1:8866/room?key=k"
        base_url = "http://127.0.0.1:8866"
        log_path = ws.path.with_suffix(".log")

        @property
        def running(self) -> bool:
            seen.append(Facilitator(ws).join_url())
            return False

        def stop(self) -> int:
            return 0

    monkeypatch.setattr(live, "start_server", lambda *a, **k: Stopped())
    assert live.serve(ws.path) == 0
    assert seen == ["http://127.0.0.1:8866/?code=abc"]
    assert Facilitator(ws).join_url() is None
    assert "Join link (for the QR code): http://127.0.0.1:8866/?code=abc" in capsys.readouterr().out
