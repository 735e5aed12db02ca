"""Using the kit's notebooks in JupyterLab leaves them as committed (`assured_kit.notebookfiles`).

The hook is tested as a unit, then for real: a Jupyter server started as `make lab` starts it
(``JUPYTER_CONFIG_PATH`` naming ``jupyter-config/``), on 127.0.0.1 with a token, is sent the
facilitator notebook full of outputs, counts and widget state through its contents API, as
JupyterLab's autosave sends it; the file's bytes must not change and git must see no change.
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

from assured_kit.notebookfiles import KIT_NOTEBOOKS, is_kit_notebook, pre_save_hook, strip_notebook

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


@pytest.mark.slow
def test_jupyter_saving_a_used_notebook_leaves_the_committed_file(tmp_path):
    notebook = REPO / "notebooks" / "facilitator.ipynb"
    committed = notebook.read_bytes()
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": _lab_config_path(),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # no user settings
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
        # The save hook is the server's own setting; the extensions (JupyterLab's pages, Voila,
        # Solara, ...) only slow the start, so they are left off.
        *(f"--ServerApp.jpserver_extensions={name}=False" for name in SERVER_EXTENSIONS),
    ]  # fmt: skip
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/api/status?token={token}", timeout=60)
        used = _used(json.loads(committed))
        body = json.dumps({"type": "notebook", "format": "json", "content": used}).encode()
        request = urllib.request.Request(
            f"{base}/api/contents/notebooks/facilitator.ipynb", data=body, method="PUT",
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200, log.read_text()
            saved = json.load(response)
        assert saved["type"] == "notebook" and saved["path"] == "notebooks/facilitator.ipynb"
        assert notebook.read_bytes() == committed, "saving wrote outputs into the notebook"
        diff = subprocess.run(["git", "diff", "--exit-code", "--", str(notebook)], cwd=REPO,
                              capture_output=True, text=True)
        assert diff.returncode == 0, diff.stdout
        nbformat.validate(nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4))
    finally:
        if notebook.read_bytes() != committed:  # never leave the repository changed
            notebook.write_bytes(committed)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
