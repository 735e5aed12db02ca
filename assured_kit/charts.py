"""Charts of the summaries, for a projector, a report or a steering-group pack.

Every chart function computes with `assured_kit.summary`, then draws: it accepts either the tidy
ratings table (and calls the summary function itself) or the summary table that function
returns, draws into ``ax`` (a new figure when ``ax`` is None) and returns the `Axes`. Nothing
here calls ``plt.show()``.

The same rules hold on every chart, so charts can be laid side by side:

- the same colour for the same scale level everywhere (`assured_kit.palette`), colour-blind
  safe, and a text label on or beside every bar, dot and cell, so colour never carries meaning
  alone;
- fixed axis ranges: shares run from 0 to 100 %, ratings over the scale's full range;
- type of at least 14 pt, theme titles wrapped; for a printed page, `page_width` draws the
  figure narrower with the same type, so a page that shrinks the chart to fit shrinks its type
  less (the report's charts print at about 10 pt on A4);
- a figure withheld by the disclosure rule (`assured_kit.summary`) is drawn as a grey, hatched
  mark labelled with `assured_kit.summary.suppressed_text`, never as a blank or a zero; a
  group where every answer was "Don't know" says so.

Examples
--------
>>> import pandas as pd
>>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcd"),
...     "theme_id": "WF", "rating": pd.array([5, 4, 2, None], dtype="Int64"),
...     "dont_know": [False, False, False, True]})
>>> ax = diverging_bars(answers)
>>> [round(p.get_width()) for p in ax.containers[-1]]  # Fully confident: 1 of 3 rated
[33]
"""

from __future__ import annotations

import functools
import textwrap
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.textpath import text_to_path

from . import palette as pal
from .errors import AssuredKitError
from .framework import get_scale
from .scales import DONT_KNOW_LABEL, Scale
from .summary import (
    authority_position,
    by_question,
    by_theme,
    change,
    compare_roles,
    evidence_grid,
    summarise,
    suppressed_text,
)
from .text import percent

__all__ = [
    "FACET_KINDS",
    "authority_spread",
    "change_dumbbell",
    "confidence_evidence",
    "diverging_bars",
    "dont_know_axes",
    "facet",
    "heatmap",
    "live_distribution",
    "page_width",
    "png_bytes",
    "role_pairs",
    "svg_image",
    "theme_profile",
]

_BAR_HEIGHT = 0.7
_MIN_LABELLED_SHARE = 8.0  # segments narrower than this many percent carry no number
_DK_PARTNERS: weakref.WeakKeyDictionary[Axes, Axes] = weakref.WeakKeyDictionary()
_LIVE: weakref.WeakKeyDictionary[Axes, dict[str, Any]] = weakref.WeakKeyDictionary()
# Where the notes beside each row start (axes fraction), for axes that keep them inside.
_NOTE_X: weakref.WeakKeyDictionary[Axes, float] = weakref.WeakKeyDictionary()
# Share of a given axes kept, inside its own box, for notes (or the Don't know panel) at its right.
_ROOM = 0.3
_DK_ROOM = 0.24
_CHAR_WIDTH = 0.6  # a character's width as a share of the type size (a generous average)
# The widest a new figure may be (inches) inside `page_width`; None: each chart's own width.
_WIDEST: ContextVar[float | None] = ContextVar("assured_kit_chart_width", default=None)


@contextmanager
def page_width(inches: float) -> Iterator[None]:
    """Draw the charts made inside the block at most ``inches`` wide, with the same type.

    Each chart function picks a figure size for a projector or a notebook (13 to 14 inches
    wide for most). A page that shows the chart narrower than that shrinks its type with it:
    a 14 inch chart on the 7.3 inches between an A4 page's margins prints its 14 pt labels at
    about 7 pt. Inside this block a chart that makes its own figure makes it no wider than
    ``inches``; type sizes, heights and everything drawn stay as they are, so the bars get
    shorter rather than the type smaller; a share written inside a bar is measured with
    the font's own widths and left out where it would not fit (the report's tables give every
    share). A chart drawn into a given ``ax`` is not affected. Charts made outside the block
    keep their own sizes.

    Parameters
    ----------
    inches : float
        The widest a chart's figure may be, in inches (more than 0).

    Raises
    ------
    AssuredKitError
        If ``inches`` is not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": "WF", "rating": pd.array([5, 4, 2], dtype="Int64"), "dont_know": False})
    >>> with page_width(10):
    ...     printed = diverging_bars(answers)
    >>> [float(ax.figure.get_figwidth()) for ax in (printed, diverging_bars(answers))]
    [10.0, 14.0]
    """
    try:
        widest = float(inches)
    except (TypeError, ValueError):
        widest = float("nan")
    if not widest > 0:
        raise AssuredKitError(
            f"a chart cannot be drawn {inches!r} inches wide",
            field="inches",
            allowed="a number of inches more than 0, such as 10",
            hint="a width given in pixels or centimetres, or left empty",
        )
    token = _WIDEST.set(widest)
    try:
        yield
    finally:
        _WIDEST.reset(token)


def svg_image(figure: Any, *, pad_inches: float = 0.1) -> bytes:
    """Return ``figure`` as a self-contained SVG image, trimmed to what it draws.

    The same picture as ``figure.savefig(..., format="svg", bbox_inches="tight")`` with text
    kept as text, no date and stable ids. The layout engine runs once, and the trimmed box is
    measured, on the figure's own renderer (which has already measured much of the chart's text
    while the chart was made), not on a throwaway SVG renderer, and without drawing the figure
    first: laying out and measuring need no drawing. The SVG is then written in one pass, the
    only drawing, with that layout fixed.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": "WF", "rating": pd.array([5, 4, 2], dtype="Int64"), "dont_know": False})
    >>> svg_image(diverging_bars(answers).figure).startswith(b"<?xml")
    True
    """
    import io

    import matplotlib
    from matplotlib.transforms import Bbox

    renderer = figure.canvas.get_renderer()
    layout = figure.get_layout_engine()
    if layout is not None and figure.axes:  # as Figure.draw runs it, minus the drawing
        layout.execute(figure)
    box = Bbox(figure.get_tightbbox(renderer).padded(pad_inches).get_points())
    buffer = io.BytesIO()
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "assured-kit",
            "figure.autolayout": False,
            "figure.constrained_layout.use": False,
        }
    ):
        # Already laid out: with no layout engine, savefig neither lays it out again nor
        # draws it once more just to measure it.
        figure.set_layout_engine(None)
        try:
            figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches=box)
        finally:
            figure.set_layout_engine(layout)
    return buffer.getvalue()


def png_bytes(figure: Any, dpi: float = 80) -> bytes:
    """Return ``figure`` as a PNG, cropped as ``savefig(bbox_inches="tight")`` crops it.

    ``savefig`` with a tight box lays the figure out and draws it twice: once to measure the
    box, once to paint the cropped figure. This lays it out and paints it once, measures the
    box on that drawing and keeps the painted pixels inside it: the same picture for half the
    drawing. A figure with something drawn outside its own edges (which a tight box widens to
    take in) is saved by ``savefig`` as before. The pixels are written as they are painted
    (RGBA, 8 bits a channel), compressed for speed rather than size.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(2, 1))
    >>> _ = figure.add_subplot().set_title("n = 12")
    >>> png_bytes(figure)[1:4]
    b'PNG'
    """
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # the layout engine runs here, once
    drawn = figure.get_tightbbox(canvas.get_renderer())
    width, height = figure.get_size_inches()
    if drawn.x0 < 0 or drawn.y0 < 0 or drawn.x1 > width or drawn.y1 > height:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        return buffer.getvalue()
    box = drawn.padded(mpl.rcParams["savefig.pad_inches"])
    painted = np.asarray(canvas.buffer_rgba())
    # The padded box in the painted pixels (rows count from the top); the padding may reach
    # past the figure's edges, where savefig shows the figure's background.
    left, top = round(box.x0 * dpi), round(painted.shape[0] - box.y1 * dpi)
    shape = (int(box.height * dpi), int(box.width * dpi))
    rows = slice(max(top, 0), min(top + shape[0], painted.shape[0]))
    columns = slice(max(left, 0), min(left + shape[1], painted.shape[1]))
    if (rows.stop - rows.start, columns.stop - columns.start) == shape:
        return _png_file(painted[rows, columns])  # inside the painting: no copy to pad it
    picture = np.empty((*shape, 4), dtype=np.uint8)
    picture[...] = np.round(np.array(mpl.colors.to_rgba(figure.get_facecolor())) * 255)
    picture[
        rows.start - top : rows.stop - top, columns.start - left : columns.stop - left
    ] = painted[rows, columns]
    return _png_file(picture)


def _png_file(pixels: np.ndarray) -> bytes:
    """Return RGBA ``pixels`` (rows from the top, 8 bits a channel) as the bytes of a PNG file.

    One image chunk with every row unfiltered, compressed at zlib's fastest level: for a
    chart's large plain areas about as small as a PNG library's file at its fastest setting,
    in under half the time (a library tries a filter on each row; here no row is filtered).
    """
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        check = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", check)

    rows, columns = pixels.shape[:2]
    lines = np.zeros((rows, 1 + 4 * columns), dtype=np.uint8)  # each row: filter 0, then RGBA
    lines[:, 1:] = pixels.reshape(rows, 4 * columns)
    header = struct.pack(">IIBBBBB", columns, rows, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(lines.data, 1)),
            chunk(b"IEND", b""),
        ]
    )


# --------------------------------------------------------------------------------------------
# Helpers shared by the charts.
# --------------------------------------------------------------------------------------------


def _new_axes(
    ax: Axes | None, size: tuple[float, float], *, dk_panel: bool = False
) -> tuple[Axes, Axes | None]:
    """Return the axes to draw on, making a figure when none is given."""
    if ax is not None:
        return ax, None
    import matplotlib.pyplot as plt

    widest = _WIDEST.get()
    if widest is not None:
        size = (min(size[0], widest), size[1])
    if dk_panel:
        _fig, (main, dk) = plt.subplots(
            1, 2, figsize=size, sharey=True, width_ratios=[5, 1], layout="constrained"
        )
        return main, dk
    _fig, main = plt.subplots(figsize=size, layout="constrained")
    return main, None


def _keep_room(ax: Axes, lo: float, hi: float, room: float = _ROOM) -> float:
    """Draw ``lo`` to ``hi`` on the left of ``ax``, keeping ``room`` of its width free at the right.

    Used when the caller gave the axes (a panel of a grid): notes beside the rows and the
    "Don't know" panel then sit inside the panel's own box and never run into its neighbour.
    Returns where the free room starts, as a fraction of the axes' width.
    """
    ax.set_xlim(lo, lo + (hi - lo) / (1 - room))
    ax.spines["bottom"].set_bounds(lo, hi)
    _NOTE_X[ax] = 1 - room + 0.02
    return 1 - room


def _width_points(ax: Axes) -> float:
    """Return the axes' width in points, as laid out now."""
    return float(ax.get_position().width * ax.figure.get_figwidth() * 72)


def _chars_fitting(ax: Axes, share: float, size: float, most: int) -> int:
    """Return how many characters of type ``size`` fit in ``share`` of the axes' width."""
    return max(6, min(most, int(_width_points(ax) * share / (_CHAR_WIDTH * size))))


def _note_width(ax: Axes, most: int) -> int:
    """Characters per line for notes beside the rows (narrower inside a grid's panel)."""
    start = _NOTE_X.get(ax)
    if start is None:
        return most
    return _chars_fitting(ax, 0.98 - start, pal.FONT_ANNOTATION, most)


def _is_tidy(data: pd.DataFrame) -> bool:
    return "dont_know" in data.columns and "rating" in data.columns


def _need(table: pd.DataFrame, columns: Sequence[str], made_by: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AssuredKitError(
            f"the table has no column(s) {', '.join(missing)}",
            field=missing[0],
            allowed=f"the tidy ratings, or the table {made_by} returns",
            hint="a summary made by another function, or a filtered copy that lost columns",
        )


def _scale_of(table: pd.DataFrame, scale: str | Scale | None) -> Scale:
    if scale is not None:
        return get_scale(scale)
    found = table.attrs.get("scale")
    if isinstance(found, Scale):
        return found
    return get_scale("confidence")


def _min_group_of(table: pd.DataFrame, min_group: int) -> int:
    return int(table.attrs.get("min_group", min_group))


def _wrap(text: str, width: int = 18) -> str:
    """Wrap a label, breaking after a slash as well as at spaces, never inside a word."""
    spaced = str(text).replace("/", "/ ")
    lines = textwrap.wrap(spaced, width=width, break_long_words=False) or [""]
    return "\n".join(line.replace("/ ", "/") for line in lines)


def _theme_title(row: Any, framework_titles: dict[str, str]) -> str:
    title = getattr(row, "theme_title", None)
    if title is None or pd.isna(title):
        title = framework_titles.get(str(row.theme_id), str(row.theme_id))
    return str(title)


def _titles() -> dict[str, str]:
    from .framework import load_framework

    fw = load_framework()
    return dict(zip(fw.theme_ids, fw.themes["title"], strict=True))


def _row_labels(table: pd.DataFrame, key: str, *, width: int = 18) -> list[str]:
    """Readable labels for the rows of a summary keyed by ``key``."""
    if key == "theme_id":
        titles = _titles()
        return [_wrap(_theme_title(row, titles), width) for row in table.itertuples(index=False)]
    if key == "question_id":
        labels = []
        for row in table.itertuples(index=False):
            text = getattr(row, "question_text", "") or ""
            short = textwrap.shorten(str(text), width=2 * width + 8, placeholder="…")
            labels.append(
                f"{row.question_id}\n{_wrap(short, width + 6)}" if short else str(row.question_id)
            )
        return labels
    if key == "respondent_id" and "respondent_label" in table.columns:
        return [_wrap(str(v), width) for v in table["respondent_label"]]
    return [_wrap("—" if pd.isna(v) else str(v), width) for v in table[key]]


def _n_text(n: Any) -> str:
    """How many people a figure rests on, as written on the charts: "n=12"."""
    return "" if n is None or pd.isna(n) else f"n={int(n)}"


def _with_n(labels: list[str], table: pd.DataFrame, column: str) -> list[str]:
    """Add each row's number of people (``column``) under its label, where the table has it."""
    if column not in table.columns:
        return labels
    counts = [_n_text(n) for n in table[column]]
    return [f"{label}\n({n})" if n else label for label, n in zip(labels, counts, strict=True)]


def _style(ax: Axes, title: str | None) -> None:
    ax.tick_params(labelsize=pal.FONT_TICK)
    if title:
        ax.set_title(title, fontsize=pal.FONT_TITLE, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _axis_label(ax: Axes, label: str, keep: bool) -> None:
    """Set the x label, centred under the data (not the room kept for notes) and wrapped to it."""
    share = 1 - _ROOM if keep else 1.0
    width = _chars_fitting(ax, share, pal.FONT_LABEL, 200)
    ax.set_xlabel("\n".join(textwrap.wrap(label, width)), fontsize=pal.FONT_LABEL)
    ax.xaxis.label.set_x(share / 2)


def _percent_axis(ax: Axes, label: str, *, keep: bool = False) -> None:
    """Set a 0 to 100 % x axis; with ``keep``, keep room inside the axes for notes at the right."""
    if keep:
        _keep_room(ax, 0, 100)
    else:
        ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    _axis_label(ax, label, keep)


def _scale_axis(ax: Axes, scale: Scale, label: str, *, keep: bool = False) -> None:
    """Set the scale's full range on the x axis; ``keep`` as for `_percent_axis`."""
    lo, hi = scale.minimum - 0.5, scale.maximum + 0.5
    if keep:
        _keep_room(ax, lo, hi)
    else:
        ax.set_xlim(lo, hi)
    width = 11 if not keep else _chars_fitting(ax, (1 - _ROOM) / len(scale.values), 14, 11)
    ax.set_xticks(
        scale.values,
        [f"{v}\n{_wrap(lab, width)}" for v, lab in zip(scale.values, scale.labels, strict=True)],
    )
    _axis_label(ax, label, keep)


def _rows_axis(ax: Axes, labels: list[str]) -> None:
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)  # first row at the top
    if not labels:
        ax.text(
            0.5,
            0.5,
            "No answers to show yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=pal.FONT_LABEL,
            gid="empty",
        )


def _points(pixels: float, ax: Axes) -> float:
    """Convert a length on the figure's canvas (pixels) to points."""
    return pixels * 72 / ax.figure.dpi


def _headline(ax: Axes, title: str | None, legend: Any = None) -> None:
    """Set the title, clear of a ``legend`` that sits on top of the axes.

    The legend's height is measured (text size, wrapped labels, marker sizes and all), so the
    title never runs into it whatever the labels are.
    """
    if not title:
        return
    # Wrapped to the axes' width, so a narrow panel's title stays above its own axes.
    width = _chars_fitting(ax, 1.0, pal.FONT_TITLE, 200)
    title = "\n".join(textwrap.wrap(title, width, break_long_words=False))
    pad = 10.0
    if legend is not None:
        above = legend.get_window_extent().y1 - ax.get_window_extent().y1
        pad += max(0.0, _points(above, ax))
    ax.set_title(title, fontsize=pal.FONT_TITLE, loc="left", pad=pad)


def _legend_above(ax: Axes, handles: Sequence[Any], title: str | None, *, ncol: int) -> None:
    """Put the legend in rows just above the axes, style them, and the title above the legend.

    The legend takes as many columns as fit the axes' width, so in a narrow panel of a grid it
    stays above its own axes rather than running over the next panel.
    """
    width = ax.get_window_extent().width
    for columns in range(max(ncol, 1), 0, -1):
        legend = ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0, 1),
            ncol=columns,
            frameon=False,
            fontsize=pal.FONT_TICK,
        )
        if columns == 1 or legend.get_window_extent().width <= width:
            break
    _style(ax, None)
    _headline(ax, title, legend)


def _figure_legend(fig: Any, handles: Sequence[Any], labels: Sequence[str]) -> Any:
    """Put a legend across the top of a figure, in as few rows as fit the figure's width."""
    labels = [_wrap(label, 18) for label in labels]
    for ncol in range(len(labels), 0, -1):
        legend = fig.legend(
            handles=handles,
            labels=labels,
            loc="outside upper center",
            ncol=ncol,
            fontsize=pal.FONT_TICK,
            frameon=False,
        )
        if ncol == 1 or legend.get_window_extent().width <= 0.96 * fig.bbox.width:
            return legend
        legend.remove()
    return None  # pragma: no cover - the loop always returns (labels are never empty)


def _direction_label(ax: Axes, first: str, low: str, high: str, share: float = 1.0) -> None:
    """Set an x label of ``first``, then "<- low | high ->", kept within ``share`` of the axes.

    When the direction line is wider than that (long level labels, a narrow axes), each end
    gets lines of its own, so the label never runs past the figure's edges. The label is
    centred on the left ``share`` of the axes (where the bars are).
    """
    ax.set_xlabel(f"{first}\n← {low}  |  {high} →", fontsize=pal.FONT_LABEL)
    if ax.xaxis.label.get_window_extent().width > share * ax.get_window_extent().width:
        width = _chars_fitting(ax, share, pal.FONT_LABEL, 56)
        lines = [first, *textwrap.wrap(f"← {low}", width), *textwrap.wrap(f"{high} →", width)]
        ax.set_xlabel("\n".join(lines), fontsize=pal.FONT_LABEL)
    ax.xaxis.label.set_x(share / 2)


def _dot_handle(label: str, marker: str, size: float, **style: Any) -> Line2D:
    """Return a legend entry showing one marker (no line)."""
    return Line2D([], [], marker=marker, linestyle="none", markersize=size, label=label, **style)


def _row_note(ax: Axes, y: float, text: str, **style: Any) -> Any:
    """Write a note centred across the axes at row ``y`` (whatever the x range)."""
    return ax.text(
        0.5,
        y,
        text,
        transform=ax.get_yaxis_transform(),
        ha="center",
        va="center",
        fontsize=pal.FONT_ANNOTATION,
        **style,
    )


def _margin_note(ax: Axes, y: float, text: str, **style: Any) -> Any:
    """Write a note beside row ``y``: just past the axes, or in the room kept inside them."""
    style.setdefault("fontsize", pal.FONT_ANNOTATION)
    x = _NOTE_X.get(ax, 1.02)
    return ax.text(x, y, text, transform=ax.get_yaxis_transform(), ha="left", va="center", **style)


def _check_value(value: str, allowed: tuple[str, ...], problem: str) -> None:
    """Refuse a ``value`` (the measure a chart shows) outside ``allowed``."""
    if value not in allowed:
        raise AssuredKitError(f"{problem} {value!r}", field="value", allowed=", ".join(allowed))


def _suppressed_band(
    ax: Axes, y: float, x0: float, x1: float, text: str, height: float
) -> Rectangle:
    band = Rectangle(
        (x0, y - height / 2),
        x1 - x0,
        height,
        facecolor=pal.SUPPRESSED,
        hatch=pal.SUPPRESSED_HATCH,
        edgecolor=pal.EDGE,
        linewidth=0.8,
        gid="suppressed",
    )
    ax.add_patch(band)
    ax.text(
        (x0 + x1) / 2,
        y,
        text,
        ha="center",
        va="center",
        fontsize=pal.FONT_ANNOTATION,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
    )
    return band


def _value_text(value: float, measure: str) -> str:
    return percent(value) if measure.endswith("share") else f"{value:.1f}"


def _measure_axis(ax: Axes, measure: str, scale: Scale, *, keep: bool = False) -> float:
    """Set the fixed x axis for a measure; return the factor from figure to axis units."""
    if measure in ("top_share", "bottom_share", "shares"):
        words = {"top_share": "at the top of", "bottom_share": "at the bottom of"}
        where = words.get(measure, "at the top (filled) and bottom (hollow) of")
        _percent_axis(ax, f"Share of rated answers {where} the scale", keep=keep)
        return 100.0
    _scale_axis(ax, scale, "Median rating", keep=keep)
    return 1.0


def _row_bars(
    ax: Axes, left: np.ndarray, widths: np.ndarray, colour: Any, *, label: str, gid: str
) -> BarContainer:
    """Add one horizontal bar per row (row ``i`` centred on ``y = i``), as ``ax.barh`` would.

    The same rectangles, styles, legend entry and ``ax.containers`` entry as ``ax.barh(range(n),
    widths, left=left, height=_BAR_HEIGHT, ...)``, each bar tagged ``gid``, for a fraction of
    the work: ``barh`` widens the data limits one rectangle at a time (most of its cost on a
    long chart), here they are widened once for all of the bars.
    """
    edge = to_rgba(pal.EDGE)
    bars = []
    for i, (x, width) in enumerate(zip(left, widths, strict=True)):
        bar = Rectangle(
            (x, i - _BAR_HEIGHT / 2),
            width,
            _BAR_HEIGHT,
            facecolor=colour,
            edgecolor=edge,
            linewidth=0.6,
            label="_nolegend_",
            gid=gid,
        )
        bar.sticky_edges.x.append(x)
        ax.add_artist(bar)  # in ax.patches, as add_patch puts it, without the limits' update
        bars.append(bar)
    if bars:
        ends = np.column_stack([left, left + widths]).ravel()
        bottoms = np.repeat(np.arange(len(bars)) - _BAR_HEIGHT / 2, 2)
        corners = np.column_stack(
            [np.tile(ends, 2), np.concatenate([bottoms, bottoms + _BAR_HEIGHT])]
        )
        ax.update_datalim(corners)
    container = BarContainer(bars, datavalues=widths, orientation="horizontal", label=label)
    ax.add_container(container)
    return container


def dont_know_axes(ax: Axes) -> Axes | None:
    """Return the "Don't know" panel drawn beside ``ax`` by `diverging_bars`, if any.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": "LA", "rating": pd.array([None] * 3, dtype="Int64"), "dont_know": True})
    >>> ax = diverging_bars(answers)
    >>> [round(p.get_width()) for p in dont_know_axes(ax).patches]
    [100]
    """
    return _DK_PARTNERS.get(ax)


# --------------------------------------------------------------------------------------------
# The charts.
# --------------------------------------------------------------------------------------------


def diverging_bars(
    data: pd.DataFrame,
    *,
    by: str = "theme_id",
    scale: str | Scale | None = None,
    min_group: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    """Draw diverging stacked bars centred on the scale's midpoint, "Don't know" apart.

    Each row is one theme (or question): the levels below the midpoint extend left of the
    centre line, the levels above it right, and a middle level is split evenly across it.
    Widths are percentages of the rated answers, on a fixed -100 % to 100 % axis. "Don't know"
    is drawn in a separate grey panel on the right as a share of all answers (see
    `dont_know_axes`).

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings, or a summary from `summarise` keyed by ``by``.
    by : str
        ``"theme_id"`` (default) or ``"question_id"`` (or any key the summary holds).
    scale : str or Scale, optional
        Defaults to the summary's scale.
    min_group : int
        Suppression threshold when computing from tidy ratings.
    title : str, optional
        Chart title.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure otherwise.
    **options
        Passed to `summarise` when computing.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers`` holds one bar container per level, lowest first, one bar per row.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abc"),
    ...     "theme_id": "PM", "rating": pd.array([1, 3, 5], dtype="Int64"), "dont_know": False})
    >>> ax = diverging_bars(answers)
    >>> [round(float(c.patches[0].get_x()), 1) for c in ax.containers]  # levels 1 to 5, left edges
    [-50.0, -16.7, -16.7, 16.7, 16.7]
    """
    if _is_tidy(data):
        if by == "question_id":
            summary = by_question(data, scale=scale, min_group=min_group, **options)
        else:
            summary = summarise(data, by=[by], scale=scale, min_group=min_group, **options)
    else:
        summary = data
    the_scale = _scale_of(summary, scale)
    levels = the_scale.values
    _need(
        summary,
        [by, "n_rated", "dont_know_share", "suppressed", *[f"n_{v}" for v in levels]],
        "summarise",
    )
    mg = _min_group_of(summary, min_group)
    n_rows = len(summary)
    made_here = ax is None
    ax, dk_ax = _new_axes(ax, (14, 1.2 * max(n_rows, 1) + 2.5), dk_panel=True)
    if dk_ax is None:  # a given axes: the Don't know panel goes inside its own box, at the right
        start = _keep_room(ax, -100, 100, _DK_ROOM)
        dk_ax = ax.inset_axes((start + 0.05, 0.0, _DK_ROOM - 0.05, 1.0), sharey=ax)
    else:
        ax.set_xlim(-100, 100)  # now, so labels can be measured against it
    _DK_PARTNERS[ax] = dk_ax
    colours = pal.level_colours(the_scale)
    # For a printed page (a narrower figure, less slack) a number's width is the font's own.
    # Measured once per number (the axes' size and range stay as they are while bars are added).
    span_of = functools.lru_cache(maxsize=None)(
        functools.partial(_text_span if _WIDEST.get() is None else _measured_span, ax)
    )

    counts = np.column_stack(
        [summary[f"n_{v}"].to_numpy(np.float64, na_value=np.nan) for v in levels]
    ).reshape(n_rows, len(levels))
    n_rated = summary["n_rated"].to_numpy(np.float64, na_value=np.nan)
    suppressed = summary["suppressed"].to_numpy(bool, na_value=True)
    drawable = ~suppressed & (n_rated > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(drawable[:, None], counts / n_rated[:, None] * 100, 0.0)
    mid = the_scale.midpoint
    below = np.array([v < mid for v in levels])
    middle = np.array([v == mid for v in levels])
    left = -(shares[:, below].sum(axis=1) + shares[:, middle].sum(axis=1) / 2)
    start = left.copy()
    for j, level in enumerate(levels):
        colour = colours[level]
        _row_bars(
            ax, start, shares[:, j], colour, label=the_scale.labels[j], gid=f"level-{level}"
        )
        for i in range(n_rows):
            width = shares[i, j]
            if not drawable[i]:
                continue
            room = max(_MIN_LABELLED_SHARE, span_of(f"{width:.0f}%") + 1.5)
            if middle[j]:
                # The middle level straddles the centre line: write its share in its right
                # half, starting just clear of the line, so the line never crosses the number.
                if width / 2 >= room:
                    ax.text(
                        1.5,
                        i,
                        f"{width:.0f}%",
                        ha="left",
                        va="center",
                        fontsize=pal.FONT_ANNOTATION,
                        color=pal.text_colour_on(colour),
                        gid="share",
                        in_layout=False,  # inside its bar: laying out need not measure it
                    )
            elif width >= room:  # only where the number fits inside its segment
                ax.text(
                    start[i] + width / 2,
                    i,
                    f"{width:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=pal.FONT_ANNOTATION,
                    color=pal.text_colour_on(colour),
                    gid="share",
                    in_layout=False,
                )
        start = start + shares[:, j]
    for i in range(n_rows):
        if suppressed[i]:
            _suppressed_band(ax, i, -100, 100, suppressed_text(mg), _BAR_HEIGHT)
        elif not drawable[i]:
            ax.text(
                0,
                i,
                f"no ratings: all {DONT_KNOW_LABEL}",
                ha="center",
                va="center",
                fontsize=pal.FONT_ANNOTATION,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
                zorder=3,
            )
    ax.axvline(0, color=pal.EDGE, linewidth=1.2)
    if made_here:
        ax.set_xlim(-100, 100)
    ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
    low = " / ".join(the_scale.label_for(v) for v in the_scale.bottom_values)
    high = " / ".join(the_scale.label_for(v) for v in the_scale.top_values)
    _direction_label(ax, "% of rated answers", low, high, 1.0 if made_here else 1 - _DK_ROOM)
    _rows_axis(ax, _with_n(_row_labels(summary, by), summary, "n_respondents"))
    dk_swatch = Patch(facecolor=pal.DONT_KNOW, edgecolor=pal.EDGE, label=DONT_KNOW_LABEL)
    if made_here:  # across the top of the figure, clear of both panels
        _figure_legend(ax.figure, [*ax.containers, dk_swatch], [*the_scale.labels, DONT_KNOW_LABEL])
        _style(ax, None)
        _headline(ax, title)
    else:
        _legend_above(ax, [*ax.containers, dk_swatch], title, ncol=min(3, len(levels) + 1))

    # "Don't know", apart: share of all answers.
    dk = summary["dont_know_share"].to_numpy(np.float64, na_value=np.nan) * 100
    dk_widths = np.where(suppressed, 0.0, np.nan_to_num(dk))
    _row_bars(
        dk_ax, np.zeros(n_rows), dk_widths, pal.DONT_KNOW, label=DONT_KNOW_LABEL, gid="dont-know"
    )
    for i in range(n_rows):
        if suppressed[i]:
            dk_ax.text(50, i, "suppressed", ha="center", va="center", fontsize=pal.FONT_ANNOTATION)
        else:
            dk_ax.text(
                min(dk[i], 100) + 3 if dk[i] < 60 else dk[i] - 3,
                i,
                f"{dk[i]:.0f}%",
                ha="left" if dk[i] < 60 else "right",
                va="center",
                fontsize=pal.FONT_ANNOTATION,
            )
    dk_ax.set_xlim(0, 100)
    if made_here:
        dk_ax.set_xticks([50, 100], ["50%", "100%"])
        dk_ax.set_title(DONT_KNOW_LABEL, fontsize=pal.FONT_LABEL)
        label = dk_ax.set_xlabel("% of all answers", fontsize=pal.FONT_LABEL)
        # The label may run a little past its narrow panel, but never past the figure's edge:
        # on a narrow figure (a chart for a printed page) it takes two lines.
        if label.get_window_extent().width > 1.25 * dk_ax.get_window_extent().width:
            dk_ax.set_xlabel("% of all\nanswers", fontsize=pal.FONT_LABEL)
    else:  # a narrow inset: the shares (of all answers) are written on the bars
        dk_ax.set_xticks([])
        dk_ax.set_xlabel(_wrap(DONT_KNOW_LABEL, 6), fontsize=pal.FONT_LABEL)
    dk_ax.tick_params(labelsize=pal.FONT_TICK, left=False, labelleft=False)
    for side in ("top", "right", "left"):
        dk_ax.spines[side].set_visible(False)
    return ax


def theme_profile(
    data: pd.DataFrame,
    *,
    scale: str | Scale | None = None,
    min_group: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    """Draw one person's, table's, authority's or room's profile across the themes.

    For each theme: a dot at the median rating (its value written beside it), a bar over the
    middle half of the answers (q1 to q3), and the classification in words at the right
    (strong, weak, contested, mixed, no ratings, suppressed). The x axis is the scale's full
    range. For a person's own self-rating pass ``min_group=1``: suppression protects people
    from others, not from themselves.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings (already filtered to the person, table, authority or room), or `by_theme`.
    scale, min_group, title, ax, **options
        As for `diverging_bars`.

    Returns
    -------
    matplotlib.axes.Axes
        One dot per drawn theme in ``ax.lines`` (gid ``"median"``); classification words are
        texts with gid ``"classification"``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": "me",
    ...     "theme_id": ["LA", "LA", "CR"], "rating": pd.array([4, 5, 1], dtype="Int64"),
    ...     "dont_know": False})
    >>> ax = theme_profile(answers, min_group=1)
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "classification"]
    ['strong', 'weak']
    """
    summary = (
        by_theme(data, scale=scale, min_group=min_group, **options) if _is_tidy(data) else data
    )
    _need(summary, ["theme_id", "median", "q1", "q3", "classification", "suppressed"], "by_theme")
    the_scale = _scale_of(summary, scale)
    mg = _min_group_of(summary, min_group)
    given = ax is not None
    ax, _ = _new_axes(ax, (13, 1.1 * max(len(summary), 1) + 2))
    lo, hi = the_scale.minimum - 0.5, the_scale.maximum + 0.5
    if given:
        _keep_room(ax, lo, hi)
    for i, row in enumerate(summary.itertuples(index=False)):
        word = str(row.classification)
        if bool(row.suppressed):
            _suppressed_band(ax, i, lo, hi, suppressed_text(mg), 0.6)
        elif pd.isna(row.median):
            ax.text(
                (lo + hi) / 2,
                i,
                f"no ratings: all {DONT_KNOW_LABEL}",
                ha="center",
                va="center",
                fontsize=pal.FONT_ANNOTATION,
            )
        else:
            median = float(row.median)
            ax.plot(
                [float(row.q1), float(row.q3)],
                [i, i],
                color=pal.EDGE,
                linewidth=4,
                solid_capstyle="butt",
                gid="middle-half",
            )
            ax.plot(
                [median],
                [i],
                marker="o",
                markersize=18,
                linestyle="none",
                color=pal.value_colour(median, the_scale),
                markeredgecolor=pal.EDGE,
                markeredgewidth=1.5,
                gid="median",
            )
            ax.text(
                median,
                i - 0.32,
                f"{median:g}",
                ha="center",
                va="bottom",
                fontsize=pal.FONT_ANNOTATION,
            )
        _margin_note(
            ax,
            i,
            word,
            fontsize=pal.FONT_LABEL,
            fontweight="bold",
            color=pal.CLASS_COLOURS.get(word, pal.EDGE),
            gid="classification",
        )
    for v in the_scale.values:
        ax.axvline(v, color="#EEEEEE", linewidth=1, zorder=0)
    ax.axvline(the_scale.midpoint, color=pal.EDGE, linewidth=1, linestyle=":", zorder=0)
    _scale_axis(ax, the_scale, "Median rating (bar: middle half of the answers)", keep=given)
    _rows_axis(ax, _with_n(_row_labels(summary, "theme_id"), summary, "n_respondents"))
    _style(ax, None)
    _headline(ax, title or "Profile by theme")
    return ax


def heatmap(
    data: pd.DataFrame,
    *,
    rows: str = "theme_id",
    columns: str = "authority",
    value: str = "top_share",
    scale: str | Scale | None = None,
    min_group: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    r"""Draw a grid of themes (or questions) against authorities (or respondents, roles, ...).

    Each cell is a rectangle coloured by ``value`` (``top_share``, ``bottom_share`` on 0 to
    100 %, or ``median`` on the scale's range, red to blue) and labelled with the figure and the
    number of people it rests on; a colour key beside the grid reads the colours.
    Suppressed cells are grey, hatched and labelled ``<3`` (for ``min_group=3``); cells where
    every answer was "Don't know" are grey and labelled "no ratings"; a pair with no answers
    at all is white and labelled "none". No cell is ever blank.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings, or `summarise(by=[rows, columns])`.
    rows, columns : str
        Keys for the rows and columns (``respondent_id`` columns are labelled with the
        respondents' labels).
    value : str
        ``"top_share"`` (default), ``"bottom_share"`` or ``"median"``.
    scale, min_group, title, ax, **options
        As for `diverging_bars`.

    Returns
    -------
    matplotlib.axes.Axes
        Cells are the rectangle patches with gid ``"cell"`` (``"suppressed"`` for withheld
        ones), in row-major order.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcdefghi"),
    ...     "authority": ["Derby"] * 4 + ["Leicester"] * 3 + ["Rutland"] * 2, "theme_id": "CR",
    ...     "rating": pd.array([4, 5, 1, 4, 2, 2, 3, 5, 5], dtype="Int64"), "dont_know": False})
    >>> ax = heatmap(answers)  # Rutland (2 people) withheld, and Leicester, which gives it away
    >>> [t.get_text() for t in ax.texts if t.get_gid() in ("cell", "suppressed")]
    ['75%\nn=4', '<3', '<3']
    """
    _check_value(value, ("top_share", "bottom_share", "median"), "cannot colour cells by")
    if _is_tidy(data):
        summary = summarise(data, by=[rows, columns], scale=scale, min_group=min_group, **options)
    else:
        summary = data
    _need(summary, [rows, columns, value, "suppressed", "n_rated"], "summarise")
    the_scale = _scale_of(summary, scale)
    mg = _min_group_of(summary, min_group)
    row_keys = [rows]
    col_keys = ["workshop_id", columns] if columns == "respondent_id" else [columns]
    row_table = summary[
        [c for c in summary.columns if c in {rows, "theme_title", "question_text", "theme_id"}]
    ]
    row_table = row_table.drop_duplicates(subset=row_keys).sort_values(row_keys, kind="stable")
    col_extra = ["respondent_label"] if "respondent_label" in summary else []
    col_table = summary[[*col_keys, *col_extra]].drop_duplicates(subset=col_keys)
    col_table = col_table.sort_values(col_keys, kind="stable")
    row_index = {k: i for i, k in enumerate(row_table[rows])}
    col_index = {tuple(k): j for j, k in enumerate(col_table[col_keys].itertuples(index=False))}
    n_r, n_c = len(row_table), len(col_table)
    ax, _ = _new_axes(ax, (max(8, 1.6 * n_c + 4), 1.1 * max(n_r, 1) + 3))
    filled = np.zeros((n_r, n_c), dtype=bool)
    cells: dict[tuple[int, int], Any] = {}
    for row in summary.itertuples(index=False):
        i = row_index[getattr(row, rows)]
        j = col_index[tuple(getattr(row, k) for k in col_keys)]
        cells[(i, j)] = row
        filled[i, j] = True
    for i in range(n_r):
        for j in range(n_c):
            row = cells.get((i, j))
            if row is None:
                face, hatch, text, gid = pal.NO_DATA, None, "none", "empty"
            elif bool(row.suppressed):
                face, hatch, text, gid = (
                    pal.SUPPRESSED,
                    pal.SUPPRESSED_HATCH,
                    f"<{mg}",
                    "suppressed",
                )
            elif pd.isna(getattr(row, value)):
                face, hatch, text, gid = pal.DONT_KNOW, None, "no\nratings", "no-ratings"
            else:
                figure = float(getattr(row, value))
                face = (
                    pal.value_colour(figure, the_scale)
                    if value == "median"
                    else pal.share_colour(figure)
                )
                n = _n_text(getattr(row, "n_respondents", None))
                hatch, text, gid = None, _value_text(figure, value), "cell"
                if n:
                    text += f"\n{n}"
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1,
                    1,
                    facecolor=face,
                    hatch=hatch,
                    edgecolor=pal.EDGE,
                    linewidth=0.8,
                    gid=gid,
                )
            )
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=pal.FONT_ANNOTATION,
                color=pal.text_colour_on(face),
                gid=gid,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1}
                if gid == "suppressed"
                else None,
                in_layout=False,  # inside its cell, so inside the axes: nothing to lay out
            )
    ax.set_xlim(-0.5, max(n_c, 1) - 0.5)
    if columns == "respondent_id" and col_extra:
        col_labels = [_wrap(str(v), 12) for v in col_table["respondent_label"]]
    else:
        col_labels = [_wrap("—" if pd.isna(v) else str(v), 12) for v in col_table[columns]]
    # Many columns: labels slant up to the right from their own column's tick.
    ax.set_xticks(
        range(n_c),
        col_labels,
        rotation=30 if n_c > 6 else 0,
        ha="left" if n_c > 6 else "center",
        rotation_mode="anchor",
    )
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("bottom")
    _rows_axis(ax, _row_labels(row_table, rows))
    measure = {
        "top_share": "% of rated answers at the top of the scale",
        "bottom_share": "% of rated answers at the bottom of the scale",
        "median": "median rating",
    }[value]
    _axis_label(
        ax,
        f"Cells: {measure}, n people. Hatched grey '<{mg}': {suppressed_text(mg)}.",
        keep=False,
    )
    _colour_key(ax, value, the_scale, measure)
    _style(ax, None)
    _headline(ax, title)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return ax


def _colour_key(ax: Axes, value: str, scale: Scale, measure: str) -> Any:
    """Draw the heatmap's colour key in a strip taken from the right of ``ax`` (its own panel)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    steps = np.linspace(0, 1, 64)
    if value == "median":
        lo, hi = float(scale.minimum), float(scale.maximum)
        colours = [pal.value_colour(lo + t * (hi - lo), scale) for t in steps]
        ticks: list[float] = [float(v) for v in scale.values]
        labels = [str(v) for v in scale.values]
    else:
        lo, hi = 0.0, 100.0
        colours = [pal.share_colour(t) for t in steps]
        ticks = [0, 25, 50, 75, 100]
        labels = [f"{t:.0f}%" for t in ticks]
    mappable = ScalarMappable(Normalize(lo, hi), ListedColormap(colours))
    key = ax.figure.colorbar(mappable, ax=ax, location="right", fraction=0.04, pad=0.02)
    key.set_ticks(ticks, labels=labels)
    key.ax.tick_params(labelsize=pal.FONT_TICK)
    key.set_label(_wrap(measure[0].upper() + measure[1:], 26), fontsize=pal.FONT_TICK)
    key.outline.set_edgecolor(pal.EDGE)
    key.ax.set_gid("colour-key")
    return key


def _lanes(value: str) -> list[tuple[str, float]]:
    """Return the measures drawn on each row, with their offsets from the row's centre."""
    if value == "shares":
        return [("top_share", -0.2), ("bottom_share", 0.2)]
    return [(value, 0.0)]


def _text_span(ax: Axes, text: str, size: float = pal.FONT_ANNOTATION) -> float:
    """Return a generous estimate of the width of ``text`` in the axes' x units."""
    lo, hi = ax.get_xlim()
    longest = max(len(line) for line in text.split("\n"))
    return longest * _CHAR_WIDTH * size * (hi - lo) / max(_width_points(ax), 1.0)


@functools.lru_cache(maxsize=1024)
def _type_width(text: str, size: float) -> float:
    """Return the width of one line of ``text`` set at ``size`` points, in points."""
    width, _height, _descent = text_to_path.get_text_width_height_descent(
        text, FontProperties(size=size), ismath=False
    )
    return float(width)


def _measured_span(ax: Axes, text: str, size: float = pal.FONT_ANNOTATION) -> float:
    """Return the width of one line of ``text`` in the axes' x units, from the font itself.

    Digits and "%" are wider than `_text_span`'s average character, so a number written
    inside a bar of a narrow figure is measured this way: it is written only where it fits.
    """
    lo, hi = ax.get_xlim()
    return _type_width(text, size) * abs(hi - lo) / max(_width_points(ax), 1.0)


def _lane_label(
    ax: Axes, y: float, xs: Sequence[float], text: str, span: tuple[float, float], **style: Any
) -> Any:
    """Write a lane's figures centred over its marks at height ``y``, kept inside ``span``.

    Kept inside the data range, a label never sits on an axis line or runs into the notes.
    """
    lo, hi = span
    half = _text_span(ax, text) / 2
    x = (min(xs) + max(xs)) / 2
    x = min(max(x, lo + half), hi - half) if hi - lo > 2 * half else (lo + hi) / 2
    style.setdefault("fontsize", pal.FONT_ANNOTATION)
    return ax.text(x, y, text, ha="center", va="center", **style)


def _lane_figures(
    ax: Axes,
    where: tuple[int, float],
    lanes: list[tuple[str, float]],
    measure: str,
    marks: dict[str, float],
    text: str,
    span: tuple[float, float],
) -> None:
    """Write a lane's figures (gid ``"figures"``) beside its marks, named when a row has two."""
    if marks:
        row, offset = where
        y = _lane_y(row, offset, lanes)
        words = _lane_word(measure, lanes) + text
        _lane_label(ax, y, list(marks.values()), words, span, gid="figures")


def _lane_word(measure: str, lanes: list[tuple[str, float]]) -> str:
    """Return the lane's name for its label: only needed when a row holds two lanes."""
    if len(lanes) == 1:
        return ""
    return "top: " if measure == "top_share" else "bottom: "


def _lane_y(i: int, offset: float, lanes: list[tuple[str, float]]) -> float:
    """Where a lane's label goes: above the top lane (or a single lane), below the bottom one."""
    if len(lanes) == 1:
        return i - 0.3
    return i + offset + (0.17 if offset > 0 else -0.17)


def role_pairs(
    data: pd.DataFrame,
    *,
    roles: tuple[str, str] = ("DCS", "LM"),
    value: str = "shares",
    scale: str | Scale | None = None,
    min_group: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    r"""Draw two roles' views per theme as paired dots, marking pairs far apart.

    Each theme gets a dot per role (different colour *and* shape) joined by a line, with the
    figures written beside them. By default (``value="shares"``) each theme has two lanes:
    the share of rated answers at the top of the scale (filled dots) and at the bottom
    (hollow dots), so a difference at either end shows. A pair flagged by `compare_roles` gets
    the word "apart" and the reason at the right; each row says how many people each side
    rests on. A suppressed side is written as such, not drawn.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings, or `compare_roles`.
    roles : (str, str)
        The two roles.
    value : str
        ``"shares"`` (default: top and bottom), ``"top_share"`` or ``"median"``.
    scale, min_group, title, ax, **options
        As for `diverging_bars`.

    Returns
    -------
    matplotlib.axes.Axes
        Dots are lines with gid ``"<role>"`` (top share or median) and ``"<role> bottom"``;
        flags are texts with gid ``"apart"``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcdef"),
    ...     "role": ["DCS"] * 3 + ["LM"] * 3, "theme_id": "PR",
    ...     "rating": pd.array([5, 5, 4, 1, 2, 2], dtype="Int64"), "dont_know": False})
    >>> ax = role_pairs(answers)
    >>> [t.get_text().split("\n")[0] for t in ax.texts if t.get_gid() == "apart"]
    ['apart']
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "figures"]
    ['top: DCS 100% · LM 0%', 'bottom: DCS 0% · LM 100%']
    """
    _check_value(value, ("shares", "top_share", "median"), "cannot compare by")
    table = (
        compare_roles(data, roles=roles, scale=scale, min_group=min_group, **options)
        if _is_tidy(data)
        else data
    )
    a, b = (r.lower() for r in roles)
    lanes = _lanes(value)
    _need(
        table,
        ["theme_id", *[f"{p}_{m}" for p in (a, b) for m, _ in lanes], "apart", "why"],
        "compare_roles",
    )
    the_scale = _scale_of(table, scale)
    mg = _min_group_of(table, min_group)
    given = ax is not None
    ax, _ = _new_axes(ax, (13, (1.6 if len(lanes) == 2 else 1.2) * max(len(table), 1) + 2.5))
    factor = _measure_axis(ax, value, the_scale, keep=given)
    span = (0.0, 100.0) if factor == 100.0 else (the_scale.minimum - 0.5, the_scale.maximum + 0.5)
    for i, row in enumerate(table.itertuples(index=False)):
        notes = {}
        for role, prefix in ((roles[0], a), (roles[1], b)):
            hidden = getattr(row, f"{prefix}_suppressed", False)
            if not pd.isna(hidden) and bool(hidden):
                notes[role] = f"{role}: suppressed (<{mg})"
            elif pd.isna(getattr(row, f"{prefix}_{lanes[0][0]}")):
                notes[role] = (
                    f"{role}: no ratings" if not pd.isna(hidden) else f"{role}: no answers"
                )
        # One side hidden: its note sits clear of the other side's figures; both: one each.
        places = [-0.3, 0.3] if len(notes) == 2 else [0.0 if len(lanes) == 2 else 0.3]
        for (_role, note), dy in zip(notes.items(), places, strict=False):
            _row_note(ax, i + dy, note, gid="suppressed")
        for measure, offset in lanes:
            y = i + offset
            points: dict[str, float] = {}
            for role, prefix in ((roles[0], a), (roles[1], b)):
                figure = getattr(row, f"{prefix}_{measure}")
                hidden = getattr(row, f"{prefix}_suppressed", False)
                if pd.isna(figure) or (not pd.isna(hidden) and bool(hidden)):
                    continue
                points[role] = float(figure) * factor
            if len(points) == 2:
                ax.plot(
                    list(points.values()),
                    [y, y],
                    color=pal.SPREAD_BOX,
                    linewidth=2,
                    zorder=1,
                    gid="pair",
                )
            for role, x in points.items():
                colour = pal.ROLE_COLOURS.get(role, pal.EDGE)
                bottom = measure == "bottom_share"
                ax.plot(
                    [x],
                    [y],
                    marker=pal.ROLE_MARKERS.get(role, "o"),
                    markersize=15,
                    linestyle="none",
                    color=colour,
                    markerfacecolor="white" if bottom else colour,
                    markeredgecolor=colour if bottom else pal.EDGE,
                    markeredgewidth=2.5 if bottom else 1.0,
                    gid=f"{role} bottom" if bottom else role,
                    zorder=2,
                )
            figures = [f"{role} {_value_text(x / factor, measure)}" for role, x in points.items()]
            _lane_figures(ax, (i, offset), lanes, measure, points, " · ".join(figures), span)
        if bool(row.apart):
            _margin_note(
                ax,
                i,
                "apart\n" + _wrap(str(row.why), _note_width(ax, 22)),
                fontweight="bold",
                color=pal.FLAG,
                gid="apart",
            )
    counts = [
        ", ".join(
            f"{role} {_n_text(getattr(row, f'{prefix}_n_respondents', None))}"
            for role, prefix in ((roles[0], a), (roles[1], b))
            if _n_text(getattr(row, f"{prefix}_n_respondents", None))
        )
        for row in table.itertuples(index=False)
    ]
    labels = [
        f"{label}\n({n})" if n else label
        for label, n in zip(_row_labels(table, "theme_id"), counts, strict=True)
    ]
    _rows_axis(ax, labels)
    handles = [
        _dot_handle(
            r,
            pal.ROLE_MARKERS.get(r, "o"),
            13,
            color=pal.ROLE_COLOURS.get(r, pal.EDGE),
            markeredgecolor=pal.EDGE,
        )
        for r in roles
    ]
    if len(lanes) == 2:
        handles += [
            _dot_handle("filled: top of the scale", "o", 13, color=pal.EDGE),
            _dot_handle(
                "hollow: bottom of the scale",
                "o",
                13,
                color=pal.EDGE,
                markerfacecolor="white",
                markeredgewidth=2.5,
            ),
        ]
    _legend_above(ax, handles, title, ncol=len(handles))
    return ax


def confidence_evidence(
    data: pd.DataFrame,
    *,
    scale: str | Scale | None = None,
    evidence_scale: str | Scale | None = None,
    min_group: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    """Draw how each confidence level rests on evidence, flagging unfounded confidence.

    One 100 % bar per confidence level (highest at the top), split by evidence level
    ("How do I know?"). The segments where the top of the confidence scale rests on the bottom
    of the evidence scale are hatched, outlined and summed at the right as "unfounded".

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings, or `evidence_grid`.
    scale, evidence_scale : str or Scale, optional
        Default to the grid's scales.
    min_group, title, ax, **options
        As for `diverging_bars`.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per evidence level; unfounded segments have gid ``"unfounded"``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcd"),
    ...     "rating": pd.array([5, 5, 5, 2], dtype="Int64"), "dont_know": False,
    ...     "evidence": pd.array([0, 3, 3, 2], dtype="Int64")})
    >>> ax = confidence_evidence(answers)
    >>> [round(p.get_width()) for p in ax.patches if p.get_gid() == "unfounded" and p.get_width()]
    [33]
    """
    if _is_tidy(data):
        grid = evidence_grid(
            data,
            scale=scale,
            evidence_scale=evidence_scale or "evidence",
            min_group=min_group,
            **options,
        )
    else:
        grid = data
    people = grid.attrs.get("n_respondents")  # the people behind the grid, None if withheld
    _need(
        grid,
        ["rating", "evidence", "n", "share_of_rating", "unfounded", "suppressed"],
        "evidence_grid",
    )
    the_scale = _scale_of(grid, scale)
    ev = evidence_scale or grid.attrs.get("evidence_scale") or "evidence"
    ev_scale = get_scale(ev)
    mg = _min_group_of(grid, min_group)
    levels = list(reversed(the_scale.values))  # highest confidence at the top
    ev_levels = ev_scale.values
    given = ax is not None
    ax, _ = _new_axes(ax, (14, 1.1 * len(levels) + 3))
    axis_title = "Share of the answers at each confidence level, by evidence: How do I know?"
    if people is not None and not bool(grid["suppressed"].any()):
        axis_title += f" ({_n_text(people)} people)"
    _percent_axis(ax, axis_title, keep=given)
    colours = pal.evidence_colours(ev_scale)
    lookup = {(int(r.rating), int(r.evidence)): r for r in grid.itertuples(index=False)}
    suppressed = bool(grid["suppressed"].any())
    n_per_level = {
        v: sum(
            int(lookup[(v, e)].n)
            for e in ev_levels
            if (v, e) in lookup and not pd.isna(lookup[(v, e)].n)
        )
        for v in levels
    }
    start = np.zeros(len(levels))
    for e in ev_levels:
        widths = np.array(
            [
                0.0
                if suppressed or (v, e) not in lookup or pd.isna(lookup[(v, e)].share_of_rating)
                else float(lookup[(v, e)].share_of_rating) * 100
                for v in levels
            ]
        )
        bars = ax.barh(
            range(len(levels)),
            widths,
            left=start,
            height=_BAR_HEIGHT,
            color=colours[e],
            edgecolor=pal.EDGE,
            linewidth=0.6,
            label=f"{e} {ev_scale.label_for(e)}",
        )
        for i, (v, bar) in enumerate(zip(levels, bars, strict=True)):
            flagged = (v, e) in lookup and bool(lookup[(v, e)].unfounded)
            bar.set_gid("unfounded" if flagged else f"evidence-{e}")
            if flagged:
                bar.set_hatch(pal.UNFOUNDED_HATCH)
                bar.set_edgecolor(pal.FLAG)
                bar.set_linewidth(2.5)
            if widths[i] >= _MIN_LABELLED_SHARE:
                ax.text(
                    start[i] + widths[i] / 2,
                    i,
                    f"{widths[i]:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=pal.FONT_ANNOTATION,
                    color=pal.text_colour_on(colours[e]),
                    bbox={"facecolor": colours[e], "edgecolor": "none", "pad": 1}
                    if flagged
                    else None,
                )
        start = start + widths
    for i, v in enumerate(levels):
        if suppressed:
            continue
        if n_per_level[v] == 0:
            ax.text(
                50,
                i,
                "no answers with evidence",
                ha="center",
                va="center",
                fontsize=pal.FONT_ANNOTATION,
            )
        elif v in the_scale.top_values:
            share = sum(
                float(lookup[(v, e)].share_of_rating)
                for e in ev_scale.bottom_values
                if (v, e) in lookup
            )
            # The flag colour only where something is flagged; "0%" is plain news.
            flagged = any(
                bool(lookup[(v, e)].unfounded)
                and not pd.isna(lookup[(v, e)].n)
                and int(lookup[(v, e)].n) > 0
                for e in ev_levels
                if (v, e) in lookup
            )
            _margin_note(
                ax,
                i,
                f"unfounded:\n{percent(share)}",
                fontweight="bold" if flagged else "normal",
                color=pal.FLAG if flagged else "black",
                gid="unfounded-share",
            )
    if suppressed:
        _suppressed_band(ax, (len(levels) - 1) / 2, 0, 100, suppressed_text(mg), len(levels) - 0.3)
    _rows_axis(
        ax,
        [
            f"{v} {_wrap(the_scale.label_for(v), 14)}"
            + ("" if suppressed else f"\n(n={n_per_level[v]} answers)")
            for v in levels
        ],
    )
    handles = [
        Patch(facecolor=colours[e], edgecolor=pal.EDGE, label=f"{e} {ev_scale.label_for(e)}")
        for e in ev_levels
    ]
    _legend_above(ax, handles, title, ncol=len(ev_levels))
    return ax


def authority_spread(
    data: pd.DataFrame,
    authority: str | None = None,
    *,
    measure: str = "top_share",
    scale: str | Scale | None = None,
    min_group: int = 3,
    min_others: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    """Draw an authority against the anonymised spread of the other authorities, per theme.

    A position, not a league table: for each theme a light bar covers the other authorities'
    range (lowest to highest), a darker box their middle half, a tick their median, and a
    diamond the authority's own figure (written beside it). No other authority is named.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings for the region, or `authority_position`.
    authority : str
        Required with tidy ratings.
    measure : str
        ``"top_share"`` (default), ``"bottom_share"`` or ``"median"``.
    scale, min_group, title, ax, **options
        As for `diverging_bars`; ``min_others`` as for `authority_position`.

    Returns
    -------
    matplotlib.axes.Axes
        The authority's dots are lines with gid ``"authority"``; range bars and boxes are patches
        with gids ``"others-range"`` and ``"others-box"``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(f"r{i}", a, r) for i, (a, r) in enumerate(
    ...     [("A", 5)] * 3 + [("B", 1)] * 3 + [("C", 3)] * 3 + [("D", 4)] * 3)]
    >>> answers = pd.DataFrame(rows, columns=["respondent_id", "authority", "rating"])
    >>> answers["rating"] = answers["rating"].astype("Int64")
    >>> answers = answers.assign(workshop_id="w", theme_id="LA", dont_know=False)
    >>> ax = authority_spread(answers, "A", measure="median")
    >>> [p.get_width() for p in ax.patches if p.get_gid() == "others-range"]
    [3.0]
    """
    if _is_tidy(data):
        if authority is None:
            raise AssuredKitError(
                "say which authority to place",
                field="authority",
                allowed="an authority present in the ratings",
            )
        table = authority_position(
            data,
            authority,
            measure=measure,
            scale=scale,  # type: ignore[arg-type]
            min_group=min_group,
            min_others=min_others,
            **options,
        )
    else:
        table = data
        measure = table.attrs.get("measure", measure)
    _need(
        table,
        [
            "theme_id",
            "authority",
            "value",
            "others_min",
            "others_q1",
            "others_median",
            "others_q3",
            "others_max",
            "others_suppressed",
            "suppressed",
        ],
        "authority_position",
    )
    name = str(table["authority"].iloc[0]) if len(table) else str(authority)
    the_scale = _scale_of(table, scale)
    mg = _min_group_of(table, min_group)
    given = ax is not None
    ax, _ = _new_axes(ax, (13, 1.2 * max(len(table), 1) + 2.5))
    factor = _measure_axis(ax, measure, the_scale, keep=given)
    span = (0.0, 100.0) if factor == 100.0 else (the_scale.minimum - 0.5, the_scale.maximum + 0.5)
    for i, row in enumerate(table.itertuples(index=False)):
        if bool(row.others_suppressed):
            _row_note(ax, i + 0.25, "other authorities: too few to show", gid="others-suppressed")
        else:
            lo, q1, med, q3, hi = (
                float(getattr(row, c)) * factor
                for c in ("others_min", "others_q1", "others_median", "others_q3", "others_max")
            )
            for x0, x1, half, face, gid in (
                (lo, hi, 0.12, pal.SPREAD_RANGE, "others-range"),  # a thin bar: the range
                (q1, q3, 0.25, pal.SPREAD_BOX, "others-box"),  # a box: the middle half
            ):
                ax.add_patch(
                    Rectangle(
                        (x0, i - half),
                        x1 - x0,
                        2 * half,
                        facecolor=face,
                        edgecolor=pal.EDGE,
                        linewidth=0.6,
                        gid=gid,
                    )
                )
            ax.plot(
                [med, med], [i - 0.3, i + 0.3], color="black", linewidth=2.5, gid="others-median"
            )
        own = row.value
        if not pd.isna(row.suppressed) and bool(row.suppressed):
            _row_note(
                ax,
                i - 0.32,
                f"{name}: suppressed (<{mg})",
                gid="suppressed",
                bbox={
                    "facecolor": pal.SUPPRESSED,
                    "edgecolor": pal.EDGE,
                    "hatch": pal.SUPPRESSED_HATCH,
                },
            )
        elif pd.isna(own):
            word = "no answers" if pd.isna(row.suppressed) else "no ratings"
            _row_note(ax, i - 0.32, f"{name}: {word}")
        else:
            x = float(own) * factor
            ax.plot(
                [x],
                [i],
                marker="D",
                markersize=15,
                linestyle="none",
                color=pal.AUTHORITY,
                markeredgecolor=pal.EDGE,
                gid="authority",
                zorder=3,
            )
            _lane_label(
                ax, i - 0.38, [x], _value_text(float(own), measure), span, fontweight="bold"
            )
        position = getattr(row, "position", None)
        if position is not None and not pd.isna(position):
            _margin_note(ax, i, _wrap(str(position), _note_width(ax, 16)), gid="position")
    counts = [
        ", ".join(
            part
            for part in (
                _n_text(getattr(row, "n_respondents", None)),
                f"{int(row.others_n)} others"
                if not pd.isna(getattr(row, "others_n", None))
                else "",
            )
            if part
        )
        for row in table.itertuples(index=False)
    ]
    _rows_axis(
        ax,
        [
            f"{label}\n({n})" if n else label
            for label, n in zip(_row_labels(table, "theme_id"), counts, strict=True)
        ],
    )
    handles = [
        _dot_handle(name, "D", 12, color=pal.AUTHORITY, markeredgecolor=pal.EDGE),
        Patch(facecolor=pal.SPREAD_RANGE, edgecolor=pal.EDGE, label="others: lowest to highest"),
        Patch(facecolor=pal.SPREAD_BOX, edgecolor=pal.EDGE, label="others: middle half"),
        Line2D([], [], color="black", linewidth=2.5, label="others: median"),
    ]
    _legend_above(ax, handles, title or f"{name} against the other authorities (not named)", ncol=2)
    return ax


def change_dumbbell(
    data: pd.DataFrame,
    *,
    between: str = "round",
    before: Any = None,
    after: Any = None,
    by: str = "theme_id",
    value: str = "shares",
    scale: str | Scale | None = None,
    min_group: int = 3,
    title: str | None = None,
    ax: Axes | None = None,
    **options: Any,
) -> Axes:
    r"""Draw change between two rounds, workshops or years as dumbbells (before -> after).

    Per theme (or question): a hollow grey dot for before, a filled dot for after, an arrow
    between them, the figures written beside them and the change at the right ("+15"), with
    "notable" where `change` flags it. By default (``value="shares"``) each row has two lanes,
    the share at the top of the scale (blue circles) and at the bottom (red squares), so a
    change at either end shows. Each row says how many people each side rests on. A suppressed
    side is written as such.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy ratings holding both sides, or `change`.
    between, before, after :
        As for `change`.
    by : str
        ``"theme_id"`` (default) or ``"question_id"``.
    value : str
        ``"shares"`` (default: top and bottom), ``"top_share"`` or ``"median"``.
    scale, min_group, title, ax, **options
        As for `diverging_bars`.

    Returns
    -------
    matplotlib.axes.Axes
        Dots are lines with gids ``"before"`` and ``"after"`` (top share or median) and
        ``"before bottom"``, ``"after bottom"``; change texts have gid ``"change"``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcabc"),
    ...     "question_id": "CR-DCS-1", "theme_id": "CR",
    ...     "round": pd.array([1, 1, 1, 2, 2, 2], dtype="Int64"),
    ...     "rating": pd.array([2, 2, 4, 4, 4, 5], dtype="Int64"), "dont_know": False})
    >>> ax = change_dumbbell(answers)
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "change"]
    ['top +67\nbottom -67 points\nnotable']
    """
    _check_value(value, ("shares", "top_share", "median"), "cannot show change in")
    if _is_tidy(data):
        keys = ["theme_id", "question_id"] if by == "question_id" else [by]
        table = change(
            data,
            between=between,
            before=before,
            after=after,
            by=keys,  # type: ignore[arg-type]
            scale=scale,
            min_group=min_group,
            **options,
        )
    else:
        table = data
    lanes = _lanes(value)
    _need(
        table,
        [by, *[f"{side}_{m}" for side in ("before", "after") for m, _ in lanes], "notable"],
        "change",
    )
    the_scale = _scale_of(table, scale)
    mg = _min_group_of(table, min_group)
    side_names = (
        _side_name(table.attrs.get("between", between), table.attrs.get("before", before)),
        _side_name(table.attrs.get("between", between), table.attrs.get("after", after)),
    )
    given = ax is not None
    ax, _ = _new_axes(ax, (13, (1.6 if len(lanes) == 2 else 1.1) * max(len(table), 1) + 2.5))
    factor = _measure_axis(ax, value, the_scale, keep=given)
    span = (0.0, 100.0) if factor == 100.0 else (the_scale.minimum - 0.5, the_scale.maximum + 0.5)
    looks = {  # lane -> (marker, colour of the later value)
        "top_share": ("o", pal.AFTER),
        "median": ("o", pal.AFTER),
        "bottom_share": ("s", pal.BURD[0]),
    }
    for i, row in enumerate(table.itertuples(index=False)):
        notes = []
        for k, side in enumerate(("before", "after")):
            hidden = getattr(row, f"{side}_suppressed", False)
            if pd.isna(getattr(row, f"{side}_{lanes[0][0]}")):
                word = (
                    "suppressed"
                    if not pd.isna(hidden) and bool(hidden)
                    else "no answers"
                    if pd.isna(hidden)
                    else "no ratings"
                )
                note = f"{side_names[k]}: {word}" + (f" (<{mg})" if word == "suppressed" else "")
                notes.append((note, word))
        places = [-0.3, 0.3] if len(notes) == 2 else [0.0 if len(lanes) == 2 else 0.3]
        for (note, word), dy in zip(notes, places, strict=False):
            _row_note(ax, i + dy, note, gid="suppressed" if word == "suppressed" else None)
        deltas = []
        for measure, offset in lanes:
            y = i + offset
            marker, colour = looks[measure]
            xs = {}
            for side in ("before", "after"):
                figure = getattr(row, f"{side}_{measure}")
                if pd.isna(figure):
                    continue
                xs[side] = float(figure) * factor
                later = side == "after"
                ax.plot(
                    [xs[side]],
                    [y],
                    marker=marker,
                    markersize=15,
                    linestyle="none",
                    markeredgewidth=2.5,
                    color=colour if later else pal.BEFORE,
                    markerfacecolor=colour if later else "white",
                    markeredgecolor=pal.EDGE if later else pal.SPREAD_BOX,
                    gid=side if measure != "bottom_share" else f"{side} bottom",
                    zorder=3,
                )
            text = " → ".join(_value_text(x / factor, measure) for x in xs.values())
            _lane_figures(ax, (i, offset), lanes, measure, xs, text, span)
            if len(xs) == 2:
                ax.annotate(
                    "",
                    xy=(xs["after"], y),
                    xytext=(xs["before"], y),
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": pal.EDGE,
                        "linewidth": 1.8,
                        "shrinkA": 9,
                        "shrinkB": 9,
                    },
                )
                delta = xs["after"] - xs["before"]
                number = f"{delta:+.0f}" if factor == 100.0 else f"{delta:+.1f}"
                deltas.append(_lane_word(measure, lanes).replace(":", "") + number)
        if deltas:
            text = "\n".join(deltas) + (" points" if factor == 100.0 else "")
            if bool(row.notable):
                text += "\nnotable"
            _margin_note(
                ax,
                i,
                text,
                fontweight="bold" if bool(row.notable) else "normal",
                color=pal.FLAG if bool(row.notable) else "black",
                gid="change",
            )
    counts = [
        " → ".join(
            _n_text(getattr(row, f"{side}_n_respondents", None)) or "?"
            for side in ("before", "after")
        )
        if "before_n_respondents" in table.columns
        else ""
        for row in table.itertuples(index=False)
    ]
    labels = [
        f"{label}\n({n})" if n else label
        for label, n in zip(_row_labels(table, by), counts, strict=True)
    ]
    _rows_axis(ax, labels)
    handles = [
        _dot_handle(
            f"before: {side_names[0]}",
            "o",
            12,
            markerfacecolor="white",
            markeredgecolor=pal.SPREAD_BOX,
            markeredgewidth=2.5,
        ),
        _dot_handle(
            f"after: {side_names[1]}", "o", 12, markerfacecolor=pal.AFTER, markeredgecolor=pal.EDGE
        ),
    ]
    if len(lanes) == 2:
        handles.append(
            _dot_handle(
                f"after, bottom of the scale: {side_names[1]}",
                "s",
                12,
                markerfacecolor=pal.BURD[0],
                markeredgecolor=pal.EDGE,
            )
        )
    _legend_above(ax, handles, title, ncol=len(handles))
    return ax


def _side_name(between: str, side: Any) -> str:
    if side is None:
        return "?"
    if between == "round":
        return f"round {side}"
    return str(side)


def live_distribution(
    ratings: pd.DataFrame,
    scale: str | Scale = "confidence",
    ax: Axes | None = None,
    *,
    title: str | None = None,
) -> Axes:
    """Draw (or update) the answers to one question: a bar per level and one for Don't know.

    Meant to be redrawn on every click: called again with the same ``ax`` it only changes the
    bar heights, count labels and y limit, so it stays cheap and does not flicker. The caller
    redraws the canvas (e.g. ``fig.canvas.draw_idle()`` or re-displaying the figure).
    No suppression is applied: this chart is for the room.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy rows for one question and round (``rating`` and ``dont_know`` are used).
    scale : str or Scale
        The workshop's scale.
    ax : matplotlib.axes.Axes, optional
        The axes from the previous call, to update in place.
    title : str, optional
        Shown above the bars (e.g. the question id).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"rating": pd.array([4, 4, None], dtype="Int64"),
    ...                         "dont_know": [False, False, True]})
    >>> ax = live_distribution(answers)
    >>> [int(p.get_height()) for p in ax.patches]
    [0, 0, 0, 2, 0, 1]
    >>> ax = live_distribution(answers.iloc[:1], ax=ax)
    >>> [int(p.get_height()) for p in ax.patches]
    [0, 0, 0, 1, 0, 0]
    """
    the_scale = get_scale(scale)
    levels = the_scale.values
    rating = np.asarray(ratings["rating"].to_numpy(np.float64, na_value=np.nan), dtype=np.float64)
    dont_know = np.asarray(ratings["dont_know"].to_numpy(bool, na_value=False), dtype=bool)
    rated = ~dont_know & ~np.isnan(rating)
    index = (rating[rated] - levels[0]).astype(np.int64)
    index = index[(index >= 0) & (index < len(levels))]
    counts = np.r_[np.bincount(index, minlength=len(levels)), dont_know.sum()]
    top = max(5, int(np.ceil(counts.max(initial=0) * 1.25 / 5) * 5))

    state = _LIVE.get(ax) if ax is not None else None
    if state is None or state["scale"] is not the_scale or state["bars"][0].axes is not ax:
        if ax is None:
            ax, _ = _new_axes(None, (10, 5.5))
        else:
            ax.clear()
        colours = [pal.level_colours(the_scale)[v] for v in levels] + [pal.DONT_KNOW]
        names = [f"{v}\n{_wrap(lab, 11)}" for v, lab in zip(levels, the_scale.labels, strict=True)]
        names.append(_wrap(DONT_KNOW_LABEL, 11))
        x = np.r_[np.arange(len(levels)), len(levels) + 0.4]
        bars = ax.bar(x, counts, width=0.8, color=colours, edgecolor=pal.EDGE, linewidth=0.8)
        texts = [
            ax.text(xi, c, f"{c}", ha="center", va="bottom", fontsize=pal.FONT_LABEL)
            for xi, c in zip(x, counts, strict=True)
        ]
        ax.set_xticks(x, names)
        ax.set_xlim(-0.6, len(levels) + 1.0)
        ax.set_ylabel("Answers", fontsize=pal.FONT_LABEL)
        _style(ax, title)
        total = ax.text(
            1.0,
            1.01,
            "",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=pal.FONT_ANNOTATION,
            gid="n",
        )
        state = {
            "scale": the_scale,
            "bars": list(bars),
            "texts": texts,
            "title": title,
            "total": total,
        }
        _LIVE[ax] = state
    else:
        for bar, text, c in zip(state["bars"], state["texts"], counts, strict=True):
            bar.set_height(c)
            text.set_y(c)
            text.set_text(f"{c}")
        if title is not None and title != state["title"]:
            ax.set_title(title, fontsize=pal.FONT_TITLE, loc="left")
            state["title"] = title
    state["total"].set_text(f"n={int(counts.sum())} answers")
    ax.set_ylim(0, top)
    return ax


# --------------------------------------------------------------------------------------------
# Small multiples.
# --------------------------------------------------------------------------------------------

#: The charts `facet` can repeat, by name.
FACET_KINDS = (
    "diverging_bars",
    "theme_profile",
    "heatmap",
    "role_pairs",
    "confidence_evidence",
    "change_dumbbell",
)


def _groups_of(data: pd.DataFrame, by: str) -> pd.Series:
    """Return the group of every answer: a column of the ratings, or the year it was held."""
    if by == "year" and "year" not in data.columns:
        _need(data, ["held_on"], "read_ratings")
        return pd.Series(pd.to_datetime(data["held_on"]).dt.year, index=data.index)
    _need(data, [by], "read_ratings")
    return data[by]


def facet(
    kind: str,
    data: pd.DataFrame,
    *,
    by: str = "authority",
    groups: Sequence[Any] | None = None,
    ncols: int = 3,
    min_group: int = 3,
    title: str | None = None,
    **options: Any,
) -> Any:
    """Draw one chart kind once per group (authority, year, role, ...) side by side.

    Each group's figures are summarised with ``where={by: group}`` (withheld as decided against
    the whole data, as in the reports) and drawn into one panel of a grid whose x axes are
    shared, so the panels read on one scale. Every panel keeps its notes, "Don't know" panel
    and legend inside its own box.

    Parameters
    ----------
    kind : str
        One of `FACET_KINDS`, e.g. ``"diverging_bars"``.
    data : pandas.DataFrame
        Tidy ratings.
    by : str
        A column of the ratings (``"authority"``, ``"role"``, ``"workshop_id"``, ...) or
        ``"year"`` (from ``held_on``).
    groups : sequence, optional
        Which groups to draw, in order; all groups present (sorted) otherwise.
    ncols : int
        Panels per row.
    min_group : int
        Suppression threshold, as for every chart.
    title : str, optional
        A title across the top of the figure.
    **options
        Passed to the chart function (e.g. ``by="question_id"`` for `diverging_bars`).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per group, titled with the group, in ``figure.axes`` order (a heatmap's colour
        keys follow the panels).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"workshop_id": "w", "respondent_id": list("abcdef"),
    ...     "role": ["DCS"] * 3 + ["LM"] * 3, "theme_id": "PR",
    ...     "rating": pd.array([5, 5, 4, 1, 2, 2], dtype="Int64"), "dont_know": False})
    >>> fig = facet("theme_profile", answers, by="role")
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['DCS', 'LM']
    """
    import matplotlib.pyplot as plt

    draw = {name: globals()[name] for name in FACET_KINDS}.get(kind)
    if draw is None:
        raise AssuredKitError(
            f"cannot draw small multiples of {kind!r}", field="kind", allowed=", ".join(FACET_KINDS)
        )
    if not _is_tidy(data):
        raise AssuredKitError(
            "small multiples need the tidy ratings, not a summary",
            field="data",
            allowed="the table read_ratings returns",
            hint="each panel summarises its own group's answers",
        )
    keys = _groups_of(data, by)
    present = [g for g in pd.unique(keys.dropna())]
    chosen = list(groups) if groups is not None else sorted(present, key=str)
    missing = [g for g in chosen if g not in set(present)]
    if missing or not chosen:
        raise AssuredKitError(
            f"no answers for {by} {', '.join(map(str, missing)) or '(none chosen)'}",
            field=by,
            allowed=", ".join(map(str, sorted(present, key=str))) or "groups present in the data",
        )
    ncols = max(1, min(ncols, len(chosen)))
    nrows = -(-len(chosen) // ncols)
    rows_drawn = data["theme_id"].nunique() if "theme_id" in data.columns else 6
    if options.get("by") == "question_id" and "question_id" in data.columns:
        rows_drawn = data["question_id"].nunique()
    per_row = 1.7 if kind in ("role_pairs", "change_dumbbell") else 1.2
    height = per_row * max(int(rows_drawn), 1) + 3.5
    fig, axes = plt.subplots(
        nrows,
        ncols,
        sharex=True,
        squeeze=False,
        figsize=(9.5 * ncols, height * nrows),
        layout="constrained",
    )
    flat = list(axes.ravel())
    for ax, group in zip(flat, chosen, strict=False):
        # Each group's figures withheld as decided against the whole data (where=), as in the
        # reports, so comparing a panel with any other output of the same data recovers nothing.
        draw(data, ax=ax, min_group=min_group, title=str(group), where={by: group}, **options)
    for ax in flat[len(chosen) :]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title, fontsize=pal.FONT_TITLE)
    return fig
