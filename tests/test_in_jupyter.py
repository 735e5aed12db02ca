"""The kit inside a real Jupyter server: notebooks saved as committed, exports linked in Lab.

The hook is tested as a unit, then for real: a Jupyter server started as `make lab` starts it
(``JUPYTER_CONFIG_PATH`` naming ``jupyter-config/``), on 127.0.0.1 with a token, is sent the
facilitator notebook full of outputs, counts and widget state through its contents API, as
JupyterLab's autosave sends it; the file's bytes must not change and git must see no change.
The same server starts a kernel that runs the console and exports: the export is offered by
its place under the server's root (`assured_kit.jupyterhost`), and the server sends that file.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser import free_port, wait_for_http

from assured_kit.console import export_link
from assured_kit.jupyterhost import JupyterServer, jupyter_server
from assured_kit.notebookfiles import KIT_NOTEBOOKS, is_kit_notebook, pre_save_hook, strip_notebook
from assured_kit.store import Workshop

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SERVER_EXTENSIONS = ("jupyterlab", "voila.server_extension", "jupyter_lsp", "notebook_shim",
                     "solara.server.jupyter.server_extension", "jupyter_server_terminals")


def _used(notebook: dict) -> dict:
    """The notebook as JupyterLab holds it after Run All: outputs, counts, widgets, timings."""
    nb = copy.deepcopy(notebook)
    for n, cell in enumerate(nb["cells"]):
        cell["metadata"]["scrolled"] = True
        cell["metadata"]["jupyter"] = {"outputs_hidden": False}
        if cell["cell_type"] == "code":
            cell["execution_count"] = n + 1
            cell["metadata"]["execution"] = {"iopub.status.idle": "2026-12-02T01:00:00Z"}
            cell["outputs"] = [{
                "output_type": "display_data", "metadata": {},
                "data": {"text/plain": ["VBox(children=(HTML(value='Derby workshop'),))"],
                         "application/vnd.jupyter.widget-view+json": {
                             "model_id": "ab12", "version_major": 2, "version_minor": 0}},
            }]
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb["metadata"]["language_info"].update(version="3.11.2", mimetype="text/x-python")
    return nb


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_used_notebook_strips_back_to_the_committed_one(path):
    committed = _read(path)
    assert strip_notebook(_used(committed)) == committed
    assert strip_notebook(committed) == committed  # nothing to strip: unchanged


def test_the_hook_touches_only_the_kits_notebooks():
    class Manager:
        root_dir = str(REPO)

    used = _used(_read(NOTEBOOKS[0]))
    mine = {"type": "notebook", "content": copy.deepcopy(used)}
    pre_save_hook(model=mine, path="scratch/analysis.ipynb", contents_manager=Manager())
    assert mine["content"] == used  # someone's own notebook keeps its outputs
    text = {"type": "file", "format": "text", "content": "outputs"}
    pre_save_hook(model=text, path="notebooks/notes.txt", contents_manager=Manager())
    assert text["content"] == "outputs"
    kit = {"type": "notebook", "content": copy.deepcopy(used)}
    pre_save_hook(model=kit, path=f"notebooks/{NOTEBOOKS[0].name}", contents_manager=Manager())
    assert kit["content"] == _read(NOTEBOOKS[0])
    assert is_kit_notebook(KIT_NOTEBOOKS / "facilitator.ipynb")
    assert not is_kit_notebook(KIT_NOTEBOOKS / "sub" / "facilitator.ipynb")
    assert not is_kit_notebook(KIT_NOTEBOOKS / "facilitator.py")


def _lab_config_path() -> str:
    """The ``JUPYTER_CONFIG_PATH`` that ``make lab`` sets, read from the Makefile's dry run."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    line = subprocess.run(
        [make, "-n", "-s", "lab", "STAMP="], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip().splitlines()[-1]
    assert line.startswith('JUPYTER_CONFIG_PATH="') and "/jupyter lab " in line, line
    folder = line.split('"', 2)[1].split("${", 1)[0]
    assert Path(folder) == REPO / "jupyter-config"
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One Jupyter server as `make lab` starts it, rooted at the repository, on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("jupyter")
    port, token = free_port(), secrets.token_hex(16)
    runtime = tmp / "runtime"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": _lab_config_path(),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),  # no user settings
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "ASSURED_KIT_HOME": str(tmp / "kit-home"),
        "MPLBACKEND": "Agg",
    }
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
        # The save hook is the server's own setting; the extensions (JupyterLab's pages, Voila,
        # Solara, ...) only slow the start, so they are left off.
        *(f"--ServerApp.jpserver_extensions={name}=False" for name in SERVER_EXTENSIONS),
    ]  # fmt: skip
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/api/status?token={token}", timeout=60)
        yield {"base": base, "token": token, "runtime": runtime, "log": log}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _call(server, method: str, path: str, body: dict | None = None):
    request = urllib.request.Request(
        f"{server['base']}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {server['token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_jupyter_saving_a_used_notebook_leaves_the_committed_file(server):
    notebook = REPO / "notebooks" / "facilitator.ipynb"
    committed = notebook.read_bytes()
    try:
        used = _used(json.loads(committed))
        status, body = _call(server, "PUT", "/api/contents/notebooks/facilitator.ipynb",
                             {"type": "notebook", "format": "json", "content": used})
        assert status == 200, server["log"].read_text()
        saved = json.loads(body)
        assert saved["type"] == "notebook" and saved["path"] == "notebooks/facilitator.ipynb"
        assert notebook.read_bytes() == committed, "saving wrote outputs into the notebook"
        diff = subprocess.run(["git", "diff", "--exit-code", "--", str(notebook)], cwd=REPO,
                              capture_output=True, text=True)
        assert diff.returncode == 0, diff.stdout
        nbformat.validate(nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4))
    finally:
        if notebook.read_bytes() != committed:  # never leave the repository changed
            notebook.write_bytes(committed)


# What the console's Export button shows, run in a kernel the server started.
EXPORT_IN_KERNEL = """
import json
from assured_kit.console import facilitator_app
app = facilitator_app({workshop!r}, auto_refresh=0)
app.summary.export_buttons["csv"].click()
print("EXPORTED" + json.dumps(app.summary.exported.value))
"""


@pytest.mark.slow
def test_an_export_in_jupyterlab_links_to_the_file_in_lab(server, artifacts):
    """The console, in a kernel a Jupyter server started, links to the export under its root."""
    from jupyter_client import BlockingKernelClient

    folder = artifacts / "in-jupyter"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    workshop = folder / "links.workshop.sqlite"
    with Workshop.create(workshop, title="Links", themes=["WF"]) as ws:
        ws.record(ws.add_respondent("Table 1", role="Mixed", kind="table"), "WF-DCS-1", 4)
    relative = workshop.relative_to(REPO).parent.as_posix()
    status, body = _call(server, "POST", "/api/sessions", {
        "path": f"{relative}/links.ipynb", "name": "links.ipynb", "type": "notebook",
        "kernel": {"name": "python3"}})
    kernel = json.loads(body)["kernel"]["id"]
    client = BlockingKernelClient(connection_file=str(server["runtime"] / f"kernel-{kernel}.json"))
    client.load_connection_file()
    client.start_channels()
    printed: list[str] = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            EXPORT_IN_KERNEL.format(workshop=str(workshop)), timeout=120,
            output_hook=lambda msg: printed.append(msg["content"].get("text", ""))
            if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        _call(server, "DELETE", f"/api/sessions/{json.loads(body)['id']}")
    lines = [ln for ln in "".join(printed).splitlines() if ln.startswith("EXPORTED")]
    assert len(lines) == 1, printed
    html = json.loads(lines[0].removeprefix("EXPORTED"))
    target = f"{relative}/links.csv"
    assert f"href='/lab/tree/{target}'" in html and f"href='/files/{target}'" in html
    assert "data:" not in html  # Jupyter serves the file; it is not packed into the page
    status, served = _call(server, "GET", f"/files/{target}")
    assert status == 200 and served == (folder / "links.csv").read_bytes()


def test_the_server_is_the_one_named_for_the_kernels_parent(tmp_path):
    info = {"pid": 4242, "root_dir": str(tmp_path), "base_url": "/user/ann/", "port": 1}
    (tmp_path / "jpserver-4242.json").write_text(json.dumps(info), encoding="utf-8")
    (tmp_path / "jpserver-99.json").write_text("{not json", encoding="utf-8")
    found = jupyter_server(parent_pid=4242, runtime_dir=tmp_path, environ={})
    assert found == JupyterServer(root=tmp_path, base_url="/user/ann/")
    assert found.lab_url("a b/c.csv") == "/user/ann/lab/tree/a%20b/c.csv"
    assert jupyter_server(parent_pid=4243, runtime_dir=tmp_path, environ={}) is None
    assert jupyter_server(parent_pid=99, runtime_dir=tmp_path, environ={}) is None
    voila = {"SERVER_SOFTWARE": "voila/0.5.13"}  # Voila's pages have no file browser
    assert jupyter_server(parent_pid=4242, runtime_dir=tmp_path, environ=voila) is None


def test_an_export_outside_the_servers_root_keeps_its_download(tmp_path):
    inside, outside = tmp_path / "root" / "a.csv", tmp_path / "elsewhere" / "b.csv"
    for path in (inside, outside):
        path.parent.mkdir()
        path.write_text("x,y\n", encoding="utf-8")
    server = JupyterServer(root=tmp_path / "root")
    assert "href='/lab/tree/a.csv'" in export_link(inside, server=server)
    html = export_link(outside, server=server)
    assert "href='data:text/csv;base64," in html and "/lab/tree" not in html
