"""Live voting without a browser: join codes, device tokens, the voting rules, the pages' widgets,
the facilitator's panel and proxy votes, and the real server refusing a page without the code."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.request
from pathlib import Path

import nbformat
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
        ({"question_id": None}, Q1, 1, "not open"),
        ({"question_id": Q2}, Q1, 1, "not open"),
        ({"question_id": Q1, "round": 2}, Q1, 1, "not the current round"),
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
        shown = voting.page(ws.path, query_string=query, poll=False)
        text = _text_of(shown)
        assert "needs a valid join link" in text
        assert ws.title not in text
        assert len(shown.children) == 2  # the style sheet and the refusal
    # No workshop given by the server: refused too, and nothing is opened or written.
    assert "needs a valid join link" in _text_of(voting.page(None, query_string=f"code={code}",
                                                             poll=False))


def test_join_page_states_title_and_mode_before_asking(make_ws):
    for mode in ("named", "pseudonymous", "anonymous"):
        ws = make_ws(mode, title="Leicester <b>spring</b> & more")
        code = live.ensure_join_code(ws)
        page = voting.VoterPage(ws, {"code": code}, poll=False)
        header = page.widget.children[1].value
        assert "Leicester &lt;b&gt;spring&lt;/b&gt; &amp; more" in header
        assert "<b>spring</b>" not in header
        assert voting.ANONYMITY_TEXT[mode].split(":")[0] in header
        has_label_box = page.label in page.widget.children
        assert has_label_box == (mode != "anonymous")


def test_voter_page_join_vote_change_close_reveal(ws):
    code = live.ensure_join_code(ws)
    page = voting.VoterPage(ws, {"code": code}, poll=False)
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
    again = voting.VoterPage(ws, voting.parse_query(f"code={code}&voter={token}"), poll=False)
    assert again.respondent_id == rid
    assert dict(again.rating_buttons)[3].description.startswith("✓")
    assert len(ws.respondents()) == 1


def test_new_question_and_round_two_follow_the_facilitator(ws):
    code = live.ensure_join_code(ws)
    token, _ = voting.join(ws, role="DCS", label="Pat")
    page = voting.VoterPage(ws, {"code": code, "voter": token}, poll=False)
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
    page = voting.VoterPage(ws, {"code": code, "voter": token}, poll=False)
    live.ensure_join_code(ws, rotate=True)
    page.refresh()
    assert page.respondent_id is None
    assert "needs a valid join link" in _text_of(page.widget)


def test_device_script_carries_only_json_encoded_values(ws):
    code = live.ensure_join_code(ws)
    page = voting.VoterPage(ws, {"code": code}, poll=False)
    page.role.value = "DCS"
    page.authority.value = None
    page.label.value = "Robin"
    recall = page.device_script(recall=True)
    assert json.dumps(code) in recall and "location.replace" in recall
    page.join_button.click()
    script = page.device_script(recall=False)
    assert json.dumps(f"?code={code}&voter={page.token}") in script
    assert "localStorage.setItem" in script
    assert json.dumps(page.token) in script


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


def test_voila_settings_are_safe_by_default():
    cfg = live.voila_config()
    assert cfg.Voila.ip == "127.0.0.1"
    assert cfg.Voila.port == live.DEFAULT_PORT
    assert cfg.Voila.port_retries == 0
    assert cfg.Voila.open_browser is False
    assert cfg.Voila.config_file_paths == []
    assert cfg.Voila.tornado_settings == {"serve_traceback": False}
    assert cfg.VoilaConfiguration.show_tracebacks is False
    assert cfg.VoilaConfiguration.file_allowlist == []
    assert cfg.VoilaConfiguration.preheat_kernel is True
    assert cfg.VoilaExecutor.startup_timeout >= 300
    assert cfg.MappingKernelManager.cull_idle_timeout > 0
    assert cfg.MappingKernelManager.cull_interval > 0
    off = live.voila_config(preheat=0, host="0.0.0.0", port=9000)
    assert off.VoilaConfiguration.preheat_kernel is False
    assert (off.Voila.ip, off.Voila.port) == ("0.0.0.0", 9000)
    with pytest.raises(AssuredKitError, match="preheat"):
        live.voila_config(preheat=-1)


def test_kernel_environment_names_the_workshop_and_a_reachable_address(tmp_path):
    env = live._kernel_env(tmp_path / "a.workshop.sqlite", "0.0.0.0")
    assert env[live.ENV_WORKSHOP] == str(tmp_path / "a.workshop.sqlite")
    assert env["VOILA_APP_IP"] == "127.0.0.1"
    assert live._kernel_env(tmp_path / "a", "192.168.1.9")["VOILA_APP_IP"] == "192.168.1.9"
    assert str(REPO) in env["PYTHONPATH"].split(":")


def test_vote_notebook_is_thin_and_matches_the_built_in_copy():
    committed = nbformat.read(live.vote_notebook(), as_version=4)
    built = live._thin_vote_notebook()
    assert [c.source for c in committed.cells] == [c.source for c in built.cells]
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert [c.source.splitlines()[-1] for c in code] == [
        "WORKSHOP = None", "from assured_kit import voting", "voting.page(WORKSHOP)"
    ]
    assert all(c.cell_type == "code" for c in committed.cells)  # nothing else for voters to see


def test_serve_refuses_a_missing_workshop(tmp_path):
    with pytest.raises(AssuredKitError, match="does not exist"):
        live.serve(tmp_path / "nope.workshop.sqlite", wait=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_real_server_ignores_code_sent_to_a_voters_kernel(tmp_path):
    """Voilà passes only widget messages to kernels: an execute request runs nothing."""
    import websocket  # websocket-client, installed with jupyter_server

    path = tmp_path / "srv.workshop.sqlite"
    Workshop.create(path, title="Server test").close()
    marker = tmp_path / "executed.txt"
    server = live.serve(path, port=_free_port(), wait=False, preheat=0)
    assert server is not None
    try:
        page = urllib.request.urlopen(server.url, timeout=120).read().decode()
        kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page) or re.search(
            r"kernel_id\W+([0-9a-f-]{36})", page
        )
        assert kernel, "the page names its kernel"
        host = server.base_url.removeprefix("http://").rstrip("/")
        sock = websocket.create_connection(
            f"ws://{host}/api/kernels/{kernel.group(1)}/channels", timeout=30
        )
        message = {
            "header": {"msg_id": "x1", "msg_type": "execute_request", "username": "",
                       "session": "s1", "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": f"open({str(marker)!r}, 'w').write('ran')", "silent": False,
                        "store_history": False, "user_expressions": {}, "allow_stdin": False,
                        "stop_on_error": True},
        }
        sock.send(json.dumps(message))
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.2)
        sock.close()
        assert not marker.exists()
        assert server.running
    finally:
        server.stop()
    assert not server.running
    assert "Traceback" not in page


@pytest.mark.slow
def test_serve_reports_a_bad_workshop_file_and_leaves_it_alone(tmp_path):
    bad = tmp_path / "bad.workshop.sqlite"
    bad.write_bytes(b"not a database " * 20)
    with pytest.raises(AssuredKitError, match="not an SQLite database"):
        live.serve(bad, port=_free_port(), wait=False)
    assert bad.read_bytes() == b"not a database " * 20


def test_query_string_outside_preheat_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "code=abc")
    assert voting._voila_query_string() == "code=abc"
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    assert voting._voila_query_string() == "code=abc"


def test_preheated_kernel_waits_for_its_request_details(monkeypatch):
    """A preheated kernel gets its page's query string over Voila's request-info websocket,
    even when the server starts listening only after the kernel began asking."""
    import asyncio
    import threading

    from websockets.asyncio.server import serve as ws_serve

    port = _free_port()
    seen_paths: list[str] = []
    started = threading.Event()
    stop = threading.Event()

    async def handler(connection):
        seen_paths.append(connection.request.path)
        await connection.send(json.dumps({"QUERY_STRING": "code=xyz&voter=t1",
                                          "SERVER_NAME": "127.0.0.1"}))

    async def run_server():
        await asyncio.sleep(1.5)  # the kernel asks before the server listens
        async with ws_serve(handler, "127.0.0.1", port):
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    server = threading.Thread(target=lambda: asyncio.run(run_server()), daemon=True)
    server.start()
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_KERNEL_ID", "0123abcd-0000-0000-0000-000000000000")
    monkeypatch.setenv("VOILA_APP_IP", "127.0.0.1")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_SERVER_URL", "/")
    monkeypatch.delenv("VOILA_WS_BASE_URL", raising=False)
    monkeypatch.setenv("QUERY_STRING", "stale")
    try:
        assert voting._voila_query_string(retry_for=20) == "code=xyz&voter=t1"
    finally:
        stop.set()
        server.join(5)
    assert started.is_set()
    assert seen_paths == ["/voila/query/0123abcd-0000-0000-0000-000000000000"]
    import os

    assert os.environ["QUERY_STRING"] == "code=xyz&voter=t1"


def test_server_side_waits_look_at_the_socket_every_second(monkeypatch):
    import asyncio
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    calls: list[float | None] = []

    async def fake_get_msg(self, timeout=None):
        calls.append(timeout)
        if len(calls) < 3:
            await asyncio.sleep(0)
            raise Empty
        return {"msg_type": "execute_reply"}

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", fake_get_msg)
    live._poll_in_slices()
    patched = AsyncZMQSocketChannel.get_msg
    assert patched is not fake_get_msg
    # No time limit: keeps asking in one-second slices until the reply is there.
    assert asyncio.run(patched(object(), None)) == {"msg_type": "execute_reply"}
    assert calls == [1.0, 1.0, 1.0]
    # A time limit is kept: Empty once it has passed.
    calls.clear()

    async def never(self, timeout=None):
        calls.append(timeout)
        await asyncio.sleep(timeout or 0)
        raise Empty

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", never)
    live._poll_in_slices()
    with pytest.raises(Empty):
        asyncio.run(AsyncZMQSocketChannel.get_msg(object(), 0.3))
    assert calls and all(c is not None and c <= 0.3 for c in calls)
    live._poll_in_slices()  # applying it twice wraps only once
    assert AsyncZMQSocketChannel.get_msg._in_slices
