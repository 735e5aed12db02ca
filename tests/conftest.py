"""Shared test settings: a non-interactive matplotlib backend, seeded randomness, closed figures."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(autouse=True)
def _seed_and_close_figures():
    random.seed(0)
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def framework_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled framework folder, for validation tests."""
    from assured_kit.framework import bundled_content

    target = tmp_path / "framework"
    shutil.copytree(bundled_content(), target)
    return target


@pytest.fixture
def artifacts() -> Path:
    """The folder where browser tests keep their screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
