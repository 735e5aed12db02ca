"""A real browser runs the facilitator notebook in JupyterLab and a click lands in the file.

JupyterLab is started headless on 127.0.0.1 with a token, in a temporary root folder holding a
copy of the notebook whose parameters cell points at a temporary workshop. Playwright drives
Debian's Chromium: open the notebook, run all cells, click a rating button for a respondent.
The test then finds that answer in the SQLite file. A screenshot is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from browser import chromium_browser, free_port, require_chromium, wait_for_http

from assured_kit.store import Workshop

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "facilitator.ipynb"


def _notebook_pointing_at(workshop: Path, target: Path) -> None:
    """Copy the notebook, setting ``WORKSHOP`` in its parameters cell (as a facilitator would)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = cell.source.splitlines()
    assert "WORKSHOP = None" in lines
    cell.source = "\n".join(
        f"WORKSHOP = {str(workshop)!r}" if ln == "WORKSHOP = None" else ln for ln in lines
    )
    nbformat.write(nb, target)


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "JUPYTER_CONFIG_DIR": str(root.parent / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(root.parent / "jupyter-runtime"),
            "JUPYTERLAB_WORKSPACES_DIR": str(root.parent / "lab-workspaces"),
            "JUPYTERLAB_SETTINGS_DIR": str(root.parent / "lab-settings"),
            "ASSURED_KIT_HOME": str(root.parent / "kit-home"),
            "MPLBACKEND": "Agg",
        }
    )
    return env


@contextlib.contextmanager
def server_process(command: list[str], root: Path, log: Path):
    """Run a server in its own process group; always stop the whole group afterwards."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=root,
            env=_env(root),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)


def _lab_command(root: Path, port: int, token: str) -> list[str]:
    return [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=",
    ]  # fmt: skip


def _voila_command(notebook: Path, port: int, token: str) -> list[str]:
    return [
        sys.executable, "-m", "voila", str(notebook),
        "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", f"--token={token}",
    ]  # fmt: skip


def _room(root: Path) -> tuple[Path, str]:
    """A workshop with two tables, and the notebook copy pointed at it."""
    root.mkdir()
    workshop = root / "browser.workshop.sqlite"
    with Workshop.create(workshop, title="Browser test workshop", themes=["WF"]) as ws:
        ws.add_respondent("Table Alpha", role="Mixed", kind="table")
        ws.add_respondent("Table Beta", role="Mixed", kind="table")
        question = str(ws.questions()["question_id"].iloc[0])
    _notebook_pointing_at(workshop, root / "facilitator.ipynb")
    return workshop, question


def _saved_answers(workshop: Path, *, timeout: float = 60):
    """Poll the workshop file until it holds an answer (or the time is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Workshop.open(workshop) as ws:
            answers = ws.ratings()
        if len(answers):
            return answers
        time.sleep(0.5)
    return None


def _click_first_rating(page, label: str) -> None:
    button = page.get_by_role("button", name=label).first
    button.wait_for(state="visible", timeout=60_000)
    button.click()
    page.get_by_text("✓ saved").first.wait_for(timeout=30_000)


@pytest.mark.slow
@pytest.mark.browser
def test_rating_click_in_jupyterlab_is_saved(tmp_path, artifacts):
    require_chromium()
    root = tmp_path / "lab-root"
    workshop, question = _room(root)
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "jupyterlab.log"
    shot = artifacts / "facilitator-jupyterlab.png"
    shot.unlink(missing_ok=True)
    found = None
    with (
        server_process(_lab_command(root, port, token), root, log) as server,
        chromium_browser() as browser,
    ):
        wait_for_http(f"{base}/api/status?token={token}", timeout=60)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/facilitator.ipynb?token={token}", timeout=60_000)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            # Wait for the kernel to be ready, then Run > Run All Cells.
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
            )
            # JupyterLab may ask which kernel to use; a facilitator keeps the one offered.
            choose = page.get_by_role("button", name="Select", exact=True)
            with contextlib.suppress(Exception):
                choose.wait_for(state="visible", timeout=5_000)
                choose.click()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:
                _click_first_rating(page, "4 Mostly confident")
            except Exception as exc:
                page.screenshot(path=str(shot.with_name("facilitator-jupyterlab-failed.png")))
                visible = page.inner_text("body")[-2000:]
                server_log = log.read_text(errors="replace")[-3000:]
                pytest.fail(
                    f"no rating button: {exc}\n--- page ---\n{visible}\n--- log ---\n{server_log}"
                )
            found = _saved_answers(workshop)
            # Results hidden: the rated row says it answered, never what.
            rated = page.locator(".ak-row").first.inner_text()
        finally:
            page.screenshot(path=str(shot))
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]

    assert found is not None, "the click was not saved within 60 s"
    assert found[["respondent_label", "question_id", "round", "rating"]].values.tolist() == [
        ["Table Alpha", question, 1, 4]
    ]
    assert "✓" in rated and not any(w in rated for w in ("confident", "Don't know")), rated
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.browser
def test_rating_click_in_voila_is_saved(tmp_path, artifacts):
    require_chromium()
    root = tmp_path / "voila-root"
    workshop, question = _room(root)
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "voila.log"
    shot = artifacts / "facilitator-voila.png"
    shot.unlink(missing_ok=True)
    found = None
    command = _voila_command(root / "facilitator.ipynb", port, token)
    with server_process(command, root, log) as server, chromium_browser() as browser:
        wait_for_http(f"{base}/?token={token}", timeout=60)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{base}/?token={token}", timeout=90_000)
            _click_first_rating(page, "Don't know")
            found = _saved_answers(workshop)
        finally:
            page.screenshot(path=str(shot))
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]

    assert found is not None, "the click was not saved within 60 s"
    assert found[["respondent_label", "question_id", "round", "dont_know"]].values.tolist() == [
        ["Table Alpha", question, 1, True]
    ]
