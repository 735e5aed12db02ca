"""The kit's own notebooks stay as committed when JupyterLab saves them.

Running the facilitator notebook in JupyterLab fills it with outputs, execution counts and
widget state, and JupyterLab saves all of that into the file (it autosaves every two minutes),
so the file shows as modified in git and carries a workshop's details with it. `make lab`
starts JupyterLab with the server settings in ``jupyter-config/`` (through
``JUPYTER_CONFIG_PATH``), which name `pre_save_hook`: before any save of a notebook in the
kit's ``notebooks/`` folder, the hook puts it back into the committed form with
`strip_notebook`. Edits to the cells' text are saved as usual; other notebooks are untouched.

A save hook was chosen over the alternatives because it works whatever the user does in the
browser: a read-only file makes JupyterLab refuse to save (and warn) on every autosave, and a git
filter changes only what git sees, leaving outputs and workshop details in the file on disk.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["KIT_NOTEBOOKS", "is_kit_notebook", "pre_save_hook", "strip_notebook"]

#: The folder holding the kit's notebooks (the repository's ``notebooks/``).
KIT_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

#: Cell metadata that says how the notebook is meant to run; everything else (execution
#: timings, collapsed or scrolled outputs, hidden inputs) is what one session left behind.
_CELL_KEYS = ("tags", "editable", "deletable")
#: The kernel every kit notebook runs on (the environment's own Python).
_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def strip_notebook(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a notebook (nbformat 4, as a dict) in the form the kit commits.

    No outputs or execution counts; cell metadata only ``tags``, ``editable`` and
    ``deletable``; notebook metadata only the standard Python kernel and language name (no
    widget state, no Python version). Cell text and ids are kept.

    Examples
    --------
    >>> cell = {"cell_type": "code", "id": "a1", "source": "1 + 1", "execution_count": 3,
    ...         "outputs": [{"output_type": "execute_result"}],
    ...         "metadata": {"tags": ["parameters"], "scrolled": True}}
    >>> nb = {"cells": [cell], "nbformat": 4, "nbformat_minor": 5,
    ...       "metadata": {"widgets": {"state": {}}, "language_info": {"version": "3.11.2"}}}
    >>> clean = strip_notebook(nb)
    >>> clean["cells"][0]["outputs"], clean["cells"][0]["execution_count"]
    ([], None)
    >>> clean["cells"][0]["metadata"], sorted(clean["metadata"])
    ({'tags': ['parameters']}, ['kernelspec', 'language_info'])
    """
    out = copy.deepcopy(dict(notebook))
    for cell in out.get("cells", []):
        metadata = cell.get("metadata") or {}
        cell["metadata"] = {k: metadata[k] for k in _CELL_KEYS if k in metadata}
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    out["metadata"] = {"kernelspec": dict(_KERNELSPEC), "language_info": {"name": "python"}}
    return out


def is_kit_notebook(path: str | Path, folder: Path = KIT_NOTEBOOKS) -> bool:
    """Say whether a file is one of the kit's notebooks (an ``.ipynb`` directly in ``folder``).

    Examples
    --------
    >>> is_kit_notebook(KIT_NOTEBOOKS / "facilitator.ipynb")
    True
    >>> is_kit_notebook(KIT_NOTEBOOKS.parent / "my-copy.ipynb")
    False
    """
    target = Path(path).resolve()
    return target.suffix == ".ipynb" and target.parent == folder.resolve()


def pre_save_hook(
    *, model: MutableMapping[str, Any], path: str, contents_manager: Any, **_: Any
) -> None:
    """Strip a kit notebook before the Jupyter server saves it (``ContentsManager.pre_save_hook``).

    ``path`` is the API path (relative to the server's ``root_dir``). Models of other files,
    and notebooks outside the kit's ``notebooks/`` folder, are left exactly as they are.

    Examples
    --------
    >>> class Manager:
    ...     root_dir = str(KIT_NOTEBOOKS.parent)
    >>> model = {"type": "notebook", "content": {"cells": [], "metadata": {"widgets": {}}}}
    >>> pre_save_hook(model=model, path="notebooks/facilitator.ipynb", contents_manager=Manager())
    >>> "widgets" in model["content"]["metadata"]
    False
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), Mapping):
        return
    root = Path(getattr(contents_manager, "root_dir", "") or ".")
    if is_kit_notebook(root / path.lstrip("/")):
        model["content"] = strip_notebook(model["content"])
