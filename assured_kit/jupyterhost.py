"""Where the console's kernel runs: under a Jupyter server (JupyterLab), under Voilà, or neither.

Inside JupyterLab an exported file can be offered as a link that opens it in JupyterLab, but
only if the file lies under the server's root folder, and the link must be relative to that
root. The kernel is not told the root, so it is found from the server itself: a Jupyter server
writes ``jpserver-<pid>.json`` (its root folder and base URL, among other things) into Jupyter's
runtime folder, and it starts each kernel as its own child process. The file named after this
process's parent pid therefore describes exactly the server running this kernel. Nothing else
is read from it (it also holds the server's token, which the kit never uses or shows).

Voilà starts kernels with ``SERVER_SOFTWARE`` set to ``voila/<version>``; its pages have no
file browser, so there the console keeps its plain download links.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

__all__ = ["JupyterServer", "jupyter_server", "under_voila"]


@dataclass(frozen=True)
class JupyterServer:
    """The Jupyter server running this kernel: its root folder and base URL.

    Examples
    --------
    >>> server = JupyterServer(root=Path("/home/ann/kit"), base_url="/")
    >>> server.path_of(Path("/home/ann/kit/exports/a b.csv"))
    'exports/a b.csv'
    >>> server.lab_url("exports/a b.csv"), server.files_url("exports/a b.csv")
    ('/lab/tree/exports/a%20b.csv', '/files/exports/a%20b.csv')
    >>> server.path_of(Path("/tmp/elsewhere.csv")) is None
    True
    """

    root: Path
    base_url: str = "/"

    def path_of(self, file: Path) -> str | None:
        """Return ``file``'s path relative to the server's root (as the file browser shows it).

        None when the file is outside the root, where JupyterLab cannot reach it.
        """
        try:
            relative = Path(file).resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        return PurePosixPath(*relative.parts).as_posix()

    def _url(self, kind: str, relative: str) -> str:
        base = "/" + self.base_url.strip("/") + "/" if self.base_url.strip("/") else "/"
        return f"{base}{kind}/{quote(relative)}"

    def lab_url(self, relative: str) -> str:
        """Return the address that opens a file (or folder) in JupyterLab, in a new Lab tab."""
        return self._url("lab/tree", relative)

    def files_url(self, relative: str) -> str:
        """Return the address the server sends a file's bytes from (to download or view it)."""
        return self._url("files", relative)


def under_voila(environ: dict[str, str] | None = None) -> bool:
    """Say whether this kernel was started by Voilà (from its ``SERVER_SOFTWARE`` variable).

    Examples
    --------
    >>> under_voila({"SERVER_SOFTWARE": "voila/0.5.13"}), under_voila({})
    (True, False)
    """
    env = os.environ if environ is None else environ
    return env.get("SERVER_SOFTWARE", "").startswith("voila/")


def jupyter_server(
    *, parent_pid: int | None = None, runtime_dir: Path | None = None,
    environ: dict[str, str] | None = None,
) -> JupyterServer | None:
    """Return the Jupyter server that started this kernel, or None (Voilà, a script, a test).

    Parameters
    ----------
    parent_pid : int, optional
        The server's pid (this process's parent by default).
    runtime_dir : Path, optional
        Jupyter's runtime folder (``jupyter --runtime-dir``; found as Jupyter finds it by
        default).
    environ : dict, optional
        The environment to read (``os.environ`` by default).

    Examples
    --------
    >>> jupyter_server(environ={"SERVER_SOFTWARE": "voila/0.5.13"}) is None
    True
    """
    if under_voila(environ):
        return None
    pid = os.getppid() if parent_pid is None else parent_pid
    if runtime_dir is None:
        try:  # installed with JupyterLab; without it there is no Jupyter server to find
            from jupyter_core.paths import jupyter_runtime_dir
        except ImportError:
            return None
        runtime_dir = Path(jupyter_runtime_dir())
    try:
        info = json.loads((runtime_dir / f"jpserver-{int(pid)}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("pid") != pid or not info.get("root_dir"):
        return None
    return JupyterServer(root=Path(info["root_dir"]), base_url=str(info.get("base_url") or "/"))
