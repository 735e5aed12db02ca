"""Assured Safeguarding workshop kit.

The framework (2010 edition) as pandas tables, workshop files that keep every answer, summaries,
charts and reports, and the widgets behind the notebooks.

``import assured_kit`` stays light: modules load on first use of one of their names, so pandas is
the only heavy import until a chart, widget or workbook is asked for.

Examples
--------
>>> import assured_kit as ak
>>> fw = ak.load_framework()
>>> fw.question("LA-DCS-1")["theme_id"]
'LA'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import AssuredKitError

__version__ = "0.1.0"

# Public name -> the module that holds it. Modules are imported on first use.
_LAZY: dict[str, str] = {
    "load_framework": "framework",
    "Framework": "framework",
    "bundled_content": "framework",
    "Scale": "scales",
    "get_scale": "scales",
    "load_scales": "scales",
    "DONT_KNOW_LABEL": "scales",
}

__all__ = ["AssuredKitError", "__version__", *sorted(_LAZY)]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .framework import Framework as Framework
    from .framework import bundled_content as bundled_content
    from .framework import load_framework as load_framework
    from .scales import DONT_KNOW_LABEL as DONT_KNOW_LABEL
    from .scales import Scale as Scale
    from .scales import get_scale as get_scale
    from .scales import load_scales as load_scales


def __getattr__(name: str) -> Any:
    """Import the module holding ``name`` on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assured_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
