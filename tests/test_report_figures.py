"""The figures the reports and charts show stay the same when the code is made faster.

A snapshot (``tests/data/report_figures.json``) holds, for the synthetic demo data (seed 0):

- every table of the region workbook and of one authority's workbook (Derby), as
  `assured_kit.workbook.read_tables` reads them back: the summaries every report shows;
- what each chart kind of the regional report draws (the cases ``benchmarks/bench_report.py``
  times): its texts (shares, n, labels), its bars and bands, its dots and lines, and its tick
  labels.

Speed work (compute each summary once, draw fewer artists, reuse figures) must leave all of it
unchanged. A deliberate change of the figures (a new suppression rule, another demo data set)
rewrites the snapshot on purpose::

    .venv/bin/python tests/test_report_figures.py --update

and the diff of the JSON file shows what moved.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import Collection
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

SNAPSHOT = Path(__file__).resolve().parent / "data" / "report_figures.json"
AUTHORITY = "Derby"
DIGITS = 6


def _plain(value: Any) -> Any:
    """A JSON-ready value: rounded floats, None for missing."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else round(float(value), DIGITS)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _records(table: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in table.columns],
        "rows": [[_plain(v) for v in row] for row in table.itertuples(index=False)],
    }


def _workbooks(folder: Path, out: Path) -> dict[str, Any]:
    from assured_kit.report import gather, write_report
    from assured_kit.workbook import read_tables

    ratings, actions, examples = gather([folder])
    found: dict[str, Any] = {}
    for scope, authority in (("region", None), ("authority", AUTHORITY)):
        path = out / f"{scope}.xlsx"
        write_report(
            path,
            ratings,
            scope=scope,
            authority=authority,
            actions=actions,
            examples=examples,
            seed=0,
            key=out / "key",
        )
        found[scope] = {name: _records(t) for name, t in read_tables(path).items()}
    return found


def _colour(value: Any) -> str | None:
    try:
        return to_hex(value, keep_alpha=True)
    except (TypeError, ValueError):
        return None


def _drawn(fig: Any) -> dict[str, Any]:
    """What a figure shows, however it is drawn: texts, bars, dots, lines, tick labels."""
    texts, bars, dots, lines, ticks = [], [], [], [], []
    for art in fig.findobj(Text):
        if not art.get_visible() or not art.get_text().strip():
            continue
        if art.axes is not None and art in (
            *art.axes.get_xticklabels(),
            *art.axes.get_yticklabels(),
        ):
            continue
        x, y = art.get_position()
        texts.append(
            [art.get_text(), _plain(x), _plain(y), _colour(art.get_color()), art.get_fontsize()]
        )
    for art in fig.findobj(Rectangle):
        if art.axes is None or art is art.axes.patch or not art.get_visible():
            continue
        if art.get_width() == 0 and art.get_height() == 0:
            continue
        bars.append(
            [
                _plain(art.get_x()),
                _plain(art.get_y()),
                _plain(art.get_width()),
                _plain(art.get_height()),
                _colour(art.get_facecolor()),
                art.get_hatch(),
            ]
        )
    for art in fig.findobj(Line2D):
        if art.axes is None or not art.get_visible():
            continue
        xs, ys = (np.asarray(v, dtype=float) for v in art.get_data())
        if art.get_marker() not in (None, "None", "none", ""):
            colour = _colour(art.get_markerfacecolor())
            dots += [[_plain(x), _plain(y), colour] for x, y in zip(xs, ys, strict=True)]
        if art.get_linestyle() not in ("None", "none", ""):
            lines.append([[_plain(x) for x in xs], [_plain(y) for y in ys]])
    for art in fig.findobj(Collection):
        offsets = np.asarray(art.get_offsets(), dtype=float).reshape(-1, 2)
        colours = [_colour(c) for c in art.get_facecolors()] or [None]
        for i, (x, y) in enumerate(offsets):
            dots.append([_plain(x), _plain(y), colours[i % len(colours)]])
    for ax in fig.axes:
        ticks.append(
            [
                [t.get_text() for t in ax.get_xticklabels()],
                [t.get_text() for t in ax.get_yticklabels()],
            ]
        )
    key = json.dumps
    return {
        "texts": sorted(texts, key=key),
        "bars": sorted(bars, key=key),
        "dots": sorted(dots, key=key),
        "lines": sorted(lines, key=key),
        "ticks": ticks,
    }


def _charts(folder: Path) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from assured_kit.report import gather

    ratings, _actions, _examples = gather([folder])
    cases = _bench_report().chart_cases(ratings)  # the charts the benchmark times
    found = {}
    for name, (draw, table, options) in cases.items():
        ax = draw(table, **options)
        found[name] = _drawn(ax.figure)
        plt.close(ax.figure)
    return found


def _bench_report() -> Any:
    """The benchmark script ``benchmarks/bench_report.py``, as a module."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_report.py"
    spec = importlib.util.spec_from_file_location("bench_report", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def capture() -> dict[str, Any]:
    """Make the demo data (seed 0) and return its workbooks' tables and what its charts draw."""
    from assured_kit.demo import demo_workshops

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        demo_workshops(folder, seed=0)
        return {"workbooks": _workbooks(folder, Path(tmp)), "charts": _charts(folder)}


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    return json.loads(json.dumps(capture()))  # the same types as read back from the file


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def _first_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old["columns"] != new["columns"]:
        return f"columns {old['columns']} became {new['columns']}"
    if len(old["rows"]) != len(new["rows"]):
        return f"{len(old['rows'])} rows became {len(new['rows'])}"
    for i, (a, b) in enumerate(zip(old["rows"], new["rows"], strict=True)):
        if a != b:
            return f"row {i}: {a} became {b}"
    return ""


@pytest.mark.parametrize("scope", ["region", "authority"])
def test_workbook_tables_unchanged(before, now, scope):
    old, new = before["workbooks"][scope], now["workbooks"][scope]
    assert sorted(new) == sorted(old)
    changed = {
        name: _first_difference(old[name], new[name])
        for name in old
        if old[name] != new[name]
    }
    assert not changed, changed


def test_charts_draw_the_same_figures(before, now):
    assert sorted(now["charts"]) == sorted(before["charts"])
    for name, old in before["charts"].items():
        new = now["charts"][name]
        for part in ("texts", "bars", "dots", "lines", "ticks"):
            assert new[part] == old[part], f"{name}: its {part} changed"


def test_the_snapshot_covers_every_figure(before):
    """The snapshot is not empty: tables with rows and charts with bars, dots and labels."""
    for scope in ("region", "authority"):
        tables = before["workbooks"][scope]
        assert {"Themes", "Questions", "Roles"} <= set(tables)
        assert all(len(tables[name]["rows"]) for name in ("Themes", "Questions", "Roles"))
    drawn = before["charts"]
    assert len(drawn) == 8
    assert all(chart["texts"] for chart in drawn.values())
    assert all(chart["bars"] or chart["dots"] for chart in drawn.values())


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_report_figures.py --update")
    SNAPSHOT.write_text(json.dumps(capture(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
