"""Every notebook in notebooks/ runs top to bottom on a real kernel, and is committed clean.

Each notebook has a cell tagged ``parameters``; a cell injected after it points the notebook at
temporary files (as papermill does), so a test run never writes into the repository or the
user's home folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _workshop_for(tmp_path: Path) -> str:
    import assured_kit as ak

    path = tmp_path / "notebook-test.workshop.sqlite"
    ws = ak.Workshop.create(path, title="Notebook test workshop", held_on="2026-11-27")
    for label, role in [("Table 1", "Mixed"), ("Table 2", "Mixed"), ("Table 3", "Mixed")]:
        ws.add_respondent(label, role=role, kind="table")
    ws.close()
    return str(path)


def _parameters(name: str, tmp_path: Path) -> dict[str, object]:
    """Values injected after each notebook's parameters cell."""
    if name == "facilitator.ipynb":
        return {"WORKSHOP": _workshop_for(tmp_path)}
    return {}


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert "facilitator.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: execution count kept"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSURED_KIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    index = next(
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    )
    values = _parameters(path.name, tmp_path)
    if values:
        source = "\n".join(f"{k} = {v!r}" for k, v in values.items())
        injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
        nb.cells.insert(index + 1, injected)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == []
    assert not list(REPO.glob("notebooks/*.workshop.sqlite"))
    shown = [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")]
    assert shown, f"{path.name} displayed nothing"
    if path.name == "steering_group.ipynb":
        # Saved without widget state (an export, a notebook opened offline), the chart tabs
        # still show every chart: pictures in the output itself, nothing fetched.
        from assured_kit.analysis import PANELS

        (charts,) = [c for c in nb.cells if c.source == "sg.charts()"]
        html = "".join(str(o.get("data", {}).get("text/html", "")) for o in charts.outputs)
        assert all(title in html for title, _draw in PANELS.values())
        assert html.count("src='data:image/png;base64,") == len(PANELS) - 1  # all but position
        assert "choose an authority" in html
