"""The kit installs as a wheel that carries its content, starts light, and the conda file agrees."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_import_stays_light():
    code = (
        "import sys, assured_kit; assured_kit.load_framework(); "
        "heavy = ('matplotlib', 'ipywidgets', 'openpyxl'); "
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_face_lists_what_it_exports():
    import assured_kit as ak

    assert "load_framework" in ak.__all__ and "AssuredKitError" in ak.__all__
    for name in ak.__all__:
        assert getattr(ak, name) is not None, name
    assert issubclass(ak.AssuredKitError, ValueError)
    with pytest.raises(AttributeError):
        ak.no_such_name  # noqa: B018


@pytest.mark.slow
def test_wheel_ships_the_content(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("assured_kit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in [
        "questions.csv",
        "examples.csv",
        "themes.csv",
        "glossary.csv",
        "scales.csv",
        "authorities.csv",
        "framework.toml",
    ]:
        assert f"assured_kit/content/{data}" in names
    assert "assured_kit/py.typed" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import assured_kit as ak; fw = ak.load_framework(); "
        "print(ak.__file__); print(fw.source); print(len(fw.questions), len(fw.examples))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    ).stdout.splitlines()
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "assured_kit" / "content")
    assert out[2] == "47 41"


def _requirement_names(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$", spec)
        assert match, spec
        out[match.group(1).lower()] = match.group(2).replace(" ", "")
    return out


def test_environment_yml_in_step_with_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = _requirement_names(project["dependencies"])
    env_text = (REPO / "environment.yml").read_text(encoding="utf-8")
    conda = {}
    dependencies = env_text.split("dependencies:", 1)[1]
    for line in dependencies.splitlines():
        match = re.match(r"^  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if match and match.group(1) not in {"pip", "python"}:
            conda[match.group(1).lower()] = match.group(2).strip()
    assert conda == wanted
    assert "- -e ." in env_text
    python = re.search(r"^  - python(.*)$", env_text, re.MULTILINE)
    assert python and python.group(1).strip() == project["requires-python"]
