"""Shared test settings: a non-interactive matplotlib backend, seeded randomness, closed figures.

Hypothesis runs under one fixed profile, ``assured``: derandomized (the same examples on every
run and machine), no deadline (a loaded CI machine is slow, not wrong), no example database (a
failure found once must be found again from the code alone) and a modest ``max_examples``. The
nasty cases that must always run are explicit ``@example``s in the tests. For a local bug hunt,
``HYPOTHESIS_PROFILE=explore`` draws random examples, many more of them.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile(
    "assured",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=15,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, database=None, max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)
# The fixed profile is the default, in CI (where ``CI`` is set) and on a laptop alike.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "assured"))

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each test file on one worker, and every browser test on the same one.

    ``make test`` runs pytest on two workers (``-n 2 --dist loadgroup``). A file's module-scoped
    fixtures (a demo report, a server) are then built once, as in a serial run, and the
    real-browser tests run one after another, never two Chromiums and two servers at once on a
    2-core machine, while the unit tests run beside them. Without ``-n`` this does nothing.
    """
    if not getattr(config.option, "numprocesses", None):
        return
    for item in items:
        group = "browser" if item.get_closest_marker("browser") else item.path.name
        item.add_marker(pytest.mark.xdist_group(group))


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
