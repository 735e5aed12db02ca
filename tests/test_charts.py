"""Charts: assert on what was drawn (extents, labels, colours, suppressed cells)."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from test_summary import DK, FW, A, tidy

from assured_kit import AssuredKitError, charts, demo_workshops, get_scale, read_ratings
from assured_kit import palette as pal
from assured_kit import summary as sm
from assured_kit.scales import Scale

CONF = get_scale("confidence")
EVID = get_scale("evidence")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax) -> list[str]:
    """Every visible piece of text drawn in the figure holding ``ax``."""
    return [
        t.get_text() for t in ax.figure.findobj(Text) if t.get_visible() and t.get_text().strip()
    ]


def _same_colour(a, b) -> bool:
    return np.allclose(to_rgba(a), to_rgba(b), atol=1e-3)


def _first_question(theme: str, role: str = "DCS") -> str:
    return FW.questions_for(theme, role)["question_id"].iloc[0]


# A room of five: LA mixed with Don't know, WF leaning weak, PM all Don't know, CR on 2 people
# and IN on one (together three people, so the whole minus LA and WF gives nobody away).
ROOM = {
    "LA": [5, 4, 3, 1, DK],
    "WF": [1, 2, 2, 4, 3],
    "PM": [DK, DK, DK, DK],
    "CR": [5, 4],
    "IN": [DK, DK, 3],
}


def _room_answers(spec=ROOM) -> list[A]:
    return [
        A(f"r{i}", _first_question(theme), rating)
        for theme, ratings in spec.items()
        for i, rating in enumerate(ratings)
    ]


@pytest.fixture
def room() -> pd.DataFrame:
    return tidy(_room_answers())


def _row_of(ax, theme: str) -> int:
    """The y position of a theme's row, found from its (wrapped) title in the tick labels."""
    first_word = FW.theme_title(theme).split("/")[0].split(" ")[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    hits = [i for i, label in enumerate(labels) if label.startswith(first_word)]
    assert len(hits) == 1, (theme, labels)
    return int(ax.get_yticks()[hits[0]])


# --------------------------------------------------------------------------------------------
# Rules that hold on every chart.
# --------------------------------------------------------------------------------------------


def _region_answers() -> list[A]:
    out = []
    authorities = ["Derby", "Leicester", "Rutland", "Nottingham", "Lincolnshire"]
    for k, authority in enumerate(authorities):
        for role in ("DCS", "LM"):
            for i in range(3):
                for theme in FW.theme_ids:
                    rating = (k + i + FW.theme_ids.index(theme)) % 5 + 1
                    question = _first_question(theme, role)
                    # One DCS and one Lead Member per authority (each one person); the others
                    # answering their questions are officers and mixed tables.
                    as_role = role if i == 0 else {"DCS": "Officer", "LM": "Mixed"}[role]
                    who = {"evidence": (i + k) % 4, "authority": authority, "role": as_role}
                    out.append(A(f"{role}{k}{i}", question, rating, **who))
                    out.append(A(f"{role}{k}{i}", question, min(rating + 1, 5), round=2, **who))
    return out


CHARTS = {
    "diverging_bars": lambda f: charts.diverging_bars(f),
    "diverging_by_question": lambda f: charts.diverging_bars(f, by="question_id"),
    "theme_profile": lambda f: charts.theme_profile(f),
    "heatmap": lambda f: charts.heatmap(f),
    "role_pairs": lambda f: charts.role_pairs(f),
    "confidence_evidence": lambda f: charts.confidence_evidence(f),
    "authority_spread": lambda f: charts.authority_spread(f, "Derby"),
    "change_dumbbell": lambda f: charts.change_dumbbell(f),
    "live_distribution": lambda f: charts.live_distribution(f[f["question_id"] == "LA-DCS-1"]),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_is_projector_sized_and_returns_its_axes(name, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("a chart called plt.show()"))
    ax = CHARTS[name](tidy(_region_answers()))
    assert isinstance(ax, matplotlib.axes.Axes)
    ax.figure.canvas.draw()
    small = [
        (t.get_text(), t.get_fontsize())
        for t in ax.figure.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 14
    ]
    assert small == []
    # Drawing into a given Axes uses it and returns it.
    _fig, given = plt.subplots()
    if name == "live_distribution":
        frame = tidy(_region_answers())
        assert (
            charts.live_distribution(frame[frame["question_id"] == "LA-DCS-1"], ax=given) is given
        )
    else:
        builder = getattr(charts, name.replace("diverging_by_question", "diverging_bars"))
        frame = tidy(_region_answers())
        args = ("Derby",) if name == "authority_spread" else ()
        assert builder(frame, *args, ax=given) is given


@pytest.mark.parametrize(
    ("name", "expected"),
    [("diverging_bars", (-100, 100)), ("role_pairs", (0, 100)), ("authority_spread", (0, 100)),
     ("change_dumbbell", (0, 100)), ("confidence_evidence", (0, 100)),
     ("theme_profile", (CONF.minimum - 0.5, CONF.maximum + 0.5))],
)  # fmt: skip
def test_axis_ranges_are_fixed_whatever_the_data(name, expected):
    for answers in (_region_answers(), [a for a in _region_answers() if a.rating in (3, 4)]):
        ax = CHARTS[name](tidy(answers))
        assert ax.get_xlim() == pytest.approx(expected)


# --------------------------------------------------------------------------------------------
# Diverging bars.
# --------------------------------------------------------------------------------------------


def test_diverging_bars_extents_colours_and_labels(room):
    ax = charts.diverging_bars(room)
    table = sm.by_theme(room)
    assert len(ax.containers) == len(CONF.values)
    colours = pal.level_colours(CONF)
    for container, value in zip(ax.containers, CONF.values, strict=True):
        for patch in container:
            assert _same_colour(patch.get_facecolor(), colours[value])
    la = _row_of(ax, "LA")
    rated = [r for r in ROOM["LA"] if r != DK]
    shares = {v: 100 * rated.count(v) / len(rated) for v in CONF.values}
    widths = [c.patches[la].get_width() for c in ax.containers]
    assert widths == pytest.approx([shares[v] for v in CONF.values])
    # Centred on the midpoint: the bottom levels and half the middle level lie left of zero.
    left = sum(shares[v] for v in CONF.bottom_values) + shares[CONF.midpoint] / 2
    assert ax.containers[0].patches[la].get_x() == pytest.approx(-left)
    right_end = ax.containers[-1].patches[la].get_x() + widths[-1]
    assert right_end == pytest.approx(sum(shares[v] for v in CONF.top_values) + shares[3] / 2)
    # Numbers written on the bars that are wide enough; level names in the legend.
    texts = _texts(ax)
    for v in CONF.values:
        if shares[v] >= 8:
            assert f"{shares[v]:.0f}%" in texts
    assert set(CONF.labels) <= set(texts)
    # Rows are labelled with wrapped theme titles, in framework order.
    order = [str(t) for t in table["theme_id"]]
    assert order == [t for t in FW.theme_ids if t in ROOM]
    assert [_row_of(ax, t) for t in order] == list(range(len(order)))


def _rectangles(bars) -> list[tuple]:
    """What ``barh`` sets on each bar of a bar container, for comparing two ways of adding them."""
    return [
        (
            tuple(b.get_xy()),
            b.get_width(),
            b.get_height(),
            b.get_facecolor(),
            b.get_edgecolor(),
            b.get_linewidth(),
            tuple(b.sticky_edges.x),
            b.get_label(),
            b.get_clip_path() is not None,
        )
        for b in bars
    ]


@pytest.mark.parametrize("given_ax", [False, True])
def test_diverging_bars_add_the_bars_barh_would_add(room, given_ax):
    """Each level's bars are the rectangles ``ax.barh`` makes, with the same data limits."""
    table = sm.by_theme(room)
    table = table[~table["suppressed"] & (table["n_rated"] > 0)]  # nothing drawn but bars
    ax = charts.diverging_bars(table, ax=plt.subplots()[1] if given_ax else None)
    dk_ax = charts.dont_know_axes(ax)
    for drawn in (ax, dk_ax):
        _fig, same = plt.subplots()
        if drawn is ax:
            same.axvline(0)  # the centre line
        for container in drawn.containers:
            bars = list(container)
            again = same.barh(
                range(len(bars)),
                [b.get_width() for b in bars],
                left=[b.get_x() for b in bars],
                height=0.7,
                color=[b.get_facecolor() for b in bars],
                edgecolor=pal.EDGE,
                linewidth=0.6,
                label=container.get_label(),
            )
            assert _rectangles(container) == _rectangles(again)
            assert container.get_label() == again.get_label()
            assert list(container.datavalues) == pytest.approx(list(again.datavalues))
            assert all(bar in drawn.patches for bar in container)  # drawn, not only listed
        assert len(drawn.containers) == len(same.containers) > 0
        assert drawn.dataLim.bounds == pytest.approx(same.dataLim.bounds)


def test_png_bytes_keep_every_painted_pixel():
    """The PNG holds exactly the pixels painted, padded with the figure's background."""
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    figure = Figure(figsize=(2, 1), facecolor="white")
    figure.figimage(pixels, xo=40, yo=20, origin="upper")  # 40 px from the left, 20 up
    image = np.asarray(Image.open(io.BytesIO(charts.png_bytes(figure, dpi=80))))
    pad = 8  # savefig's 0.1 inch at 80 dpi, each side of the whole figure (nothing in it)
    assert image.shape == (80 + 2 * pad, 160 + 2 * pad, 4)
    top, left = pad + 80 - 20 - 37, pad + 40
    assert (image[top : top + 37, left : left + 53] == pixels).all()
    image = image.copy()
    image[top : top + 37, left : left + 53] = 255
    assert (image == 255).all()  # the rest: the white background and its padding


def test_dont_know_is_drawn_apart(room):
    ax = charts.diverging_bars(room)
    dk_ax = charts.dont_know_axes(ax)
    assert dk_ax is not None and dk_ax is not ax
    bars = [p for p in dk_ax.patches if p.get_gid() == "dont-know"]
    la, pm = _row_of(ax, "LA"), _row_of(ax, "PM")
    assert bars[la].get_width() == pytest.approx(100 * ROOM["LA"].count(DK) / len(ROOM["LA"]))
    assert bars[pm].get_width() == pytest.approx(100)
    assert all(_same_colour(b.get_facecolor(), pal.DONT_KNOW) for b in bars)
    assert dk_ax.get_xlim() == (0, 100)
    assert "Don't know" in [dk_ax.get_title()]


def test_a_theme_all_dont_know_says_so_and_draws_no_level(room):
    ax = charts.diverging_bars(room)
    pm = _row_of(ax, "PM")
    assert all(c.patches[pm].get_width() == 0 for c in ax.containers)
    assert "no ratings: all Don't know" in _texts(ax)


def test_a_group_below_min_group_is_greyed_hatched_and_labelled(room):
    ax = charts.diverging_bars(room)
    cr = _row_of(ax, "CR")
    assert all(c.patches[cr].get_width() == 0 for c in ax.containers)
    bands = [p for p in ax.patches if p.get_gid() == "suppressed"]
    assert len(bands) == 2  # CR and IN
    band = min(bands, key=lambda b: abs(b.get_y() + b.get_height() / 2 - cr))
    assert (
        _same_colour(band.get_facecolor(), pal.SUPPRESSED)
        and band.get_hatch() == pal.SUPPRESSED_HATCH
    )
    assert band.get_y() + band.get_height() / 2 == pytest.approx(cr)
    assert (band.get_x(), band.get_width()) == (-100, 200)
    assert "suppressed (protects groups under 3 people)" in _texts(ax)
    dk_bars = [p for p in charts.dont_know_axes(ax).patches if p.get_gid() == "dont-know"]
    assert dk_bars[cr].get_width() == 0 and "suppressed" in _texts(charts.dont_know_axes(ax))


def test_diverging_bars_by_question_label_questions_in_order():
    answers = [A(r, q, 4) for r in "abc" for q in ("WF-LM-2", "WF-DCS-1", "WF-LM-1")]
    ax = charts.diverging_bars(tidy(answers), by="question_id")
    ids = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert ids == [
        q for q in FW.questions["question_id"] if q in {"WF-LM-2", "WF-DCS-1", "WF-LM-1"}
    ]


def test_diverging_bars_draw_a_given_summary_and_a_custom_scale():
    audit = get_scale("audit")
    answers = [A(r, "IN-DCS-1", x) for r, x in zip("abcd", [1, 2, 4, 4], strict=True)]
    frame = tidy(answers).assign(scale="audit")
    table = sm.by_theme(frame)
    ax = charts.diverging_bars(table)
    assert len(ax.containers) == len(audit.values)
    # Even-sized scale: no middle level; bottom levels all left of zero.
    assert ax.containers[0].patches[0].get_x() == pytest.approx(-50)
    colours = pal.level_colours(audit)
    assert _same_colour(ax.containers[-1].patches[0].get_facecolor(), colours[audit.maximum])


# --------------------------------------------------------------------------------------------
# Layout: saved as made (no bbox_inches="tight"), every label lies inside the figure and clear of
# the legend.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_ratings(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("demo")
    demo_workshops(folder)
    return read_ratings(folder)


def _wordy_scale() -> Scale:
    """The confidence scale with long level labels, as a region might write its own."""
    words = [
        "Not at all confident in this",
        "Only slightly confident here",
        "Partly confident overall",
        "Mostly confident overall",
        "Completely and fully confident",
    ]
    levels = CONF.levels.assign(label=words)
    return Scale("wordy", "Wordy confidence", levels)


def _drawn_labels(fig) -> list[tuple[str, object]]:
    """Titles, axis labels, tick labels in view and texts of every axes (insets too)."""
    found = []
    every = [*fig.axes, *(child for ax in fig.axes for child in ax.child_axes)]
    for ax in every:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        ticks = [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        ticks += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
        titles = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        for text in [*titles, *ticks, *ax.texts]:
            if text.get_visible() and text.get_text().strip():
                found.append((text.get_text(), text.get_window_extent()))
    return found


def _layout_problems(fig) -> list[str]:
    fig.canvas.draw()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    assert legends, "the chart has no legend to keep clear of"
    frame = fig.bbox
    problems = []
    boxes = [("legend", legend.get_window_extent()) for legend in legends]
    for name, box in _drawn_labels(fig) + boxes:
        if box.x0 < frame.x0 or box.y0 < frame.y0 or box.x1 > frame.x1 or box.y1 > frame.y1:
            problems.append(f"{name!r} runs past the figure's edge")
    headings = [
        (text.get_text(), text.get_window_extent())
        for ax in fig.axes
        for text in (ax.title, ax._left_title, ax.xaxis.label)
        if text.get_visible() and text.get_text().strip()
    ]
    for i, (name, box) in enumerate(headings):
        problems += [
            f"{name!r} overlaps the legend"
            for _legend, legend_box in boxes
            if box.overlaps(legend_box)
        ]
        problems += [
            f"{name!r} overlaps {other!r}"
            for other, other_box in headings[i + 1 :]
            if box.overlaps(other_box)
        ]
    return problems


@pytest.mark.parametrize("by", ["theme_id", "question_id"])
@pytest.mark.parametrize("title", [None, "Where confidence is strong, weak or contested"])
def test_diverging_bars_keep_every_label_inside_and_clear_of_the_legend(
    demo_ratings, by, title, tmp_path
):
    ax = charts.diverging_bars(demo_ratings, by=by, title=title)
    assert _layout_problems(ax.figure) == []
    dk_title = charts.dont_know_axes(ax).title
    assert dk_title.get_text() == "Don't know"
    assert not dk_title.get_window_extent().overlaps(ax.figure.legends[0].get_window_extent())
    ax.figure.savefig(tmp_path / "bars.png")  # as made: no bbox_inches="tight"
    assert (tmp_path / "bars.png").stat().st_size > 10_000


def test_diverging_bars_fit_long_level_labels(demo_ratings):
    wordy = _wordy_scale()
    table = sm.by_theme(demo_ratings.drop(columns="scale"), scale=wordy)
    ax = charts.diverging_bars(table, title="Long labels")
    assert _layout_problems(ax.figure) == []
    # Every word of the labels is still there, only wrapped.
    legend_words = " ".join(t.get_text() for t in ax.figure.legends[0].get_texts()).split()
    assert legend_words == " ".join([*wordy.labels, "Don't know"]).split()
    low, high = " / ".join(wordy.labels[:2]), " / ".join(wordy.labels[3:])
    assert ax.get_xlabel().split() == f"% of rated answers ← {low} {high} →".split()


@pytest.mark.parametrize(
    "draw",
    [
        lambda r: charts.role_pairs(r, title="Directors and Lead Members side by side"),
        lambda r: charts.confidence_evidence(r, title="How do we know?"),
        lambda r: charts.authority_spread(r, "Derby"),
        lambda r: charts.change_dumbbell(r, between="year", title="Change in a year"),
    ],
    ids=["role_pairs", "confidence_evidence", "authority_spread", "change_dumbbell"],
)
def test_titles_sit_above_the_legend_and_inside_the_figure(demo_ratings, draw):
    ax = draw(demo_ratings)
    assert ax.get_title(loc="left")
    assert _layout_problems(ax.figure) == []


# --------------------------------------------------------------------------------------------
# Theme profile.
# --------------------------------------------------------------------------------------------


def test_theme_profile_marks_medians_and_classifications(room):
    ax = charts.theme_profile(room, min_group=1)
    table = sm.by_theme(room, min_group=1)
    dots = [line for line in ax.lines if line.get_gid() == "median"]
    drawn = table[table["median"].notna()]
    assert [d.get_xdata()[0] for d in dots] == pytest.approx(drawn["median"].astype(float).tolist())
    words = [t.get_text() for t in ax.texts if t.get_gid() == "classification"]
    assert words == [str(c) for c in table["classification"]]
    la_word = next(
        t for t in ax.texts if t.get_gid() == "classification" and t.get_position()[1] == 0
    )
    assert _same_colour(
        la_word.get_color(), pal.CLASS_COLOURS[str(table["classification"].iloc[0])]
    )
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert all(label in " ".join(ticks).replace("\n", " ") for label in CONF.labels)


def test_theme_profile_suppresses_outside_the_room(room):
    ax = charts.theme_profile(room)  # min_group 3: CR rests on 2 people
    assert "suppressed" in [t.get_text() for t in ax.texts if t.get_gid() == "classification"]
    band = next(p for p in ax.patches if p.get_gid() == "suppressed")
    assert band.get_hatch() == pal.SUPPRESSED_HATCH
    assert band.get_y() + band.get_height() / 2 == pytest.approx(_row_of(ax, "CR"))


# --------------------------------------------------------------------------------------------
# Heatmap.
# --------------------------------------------------------------------------------------------


def test_heatmap_cells_colours_and_suppressed_cells():
    ratings = [4, 5, 1, 4]
    answers = [A(r, "LA-DCS-1", x, authority="Derby") for r, x in zip("abcd", ratings, strict=True)]
    answers += [A(r, "LA-DCS-1", 5, authority="Rutland") for r in "ef"]  # two people
    # Three people: withheld as well, or LA's total minus Derby would give Rutland away.
    answers += [A(r, "LA-DCS-1", 2, authority="Leicester") for r in "ghi"]
    answers += [A(r, "WF-DCS-1", DK, authority="Derby") for r in "abc"]  # all Don't know
    ax = charts.heatmap(tidy(answers))
    cells = [p for p in ax.patches if p.get_gid() in ("cell", "suppressed", "no-ratings", "empty")]
    assert len(cells) == 2 * 3
    grid = {(round(p.get_x() + 0.5), round(p.get_y() + 0.5)): p for p in cells}
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert columns == ["Derby", "Leicester", "Rutland"]
    la, wf = _row_of(ax, "LA"), _row_of(ax, "WF")
    derby_top = sum(x >= 4 for x in ratings) / len(ratings)
    assert _same_colour(grid[(0, la)].get_facecolor(), pal.share_colour(derby_top))
    for column in (1, 2):
        suppressed = grid[(column, la)]
        assert _same_colour(suppressed.get_facecolor(), pal.SUPPRESSED)
        assert suppressed.get_hatch() == pal.SUPPRESSED_HATCH
    assert _same_colour(grid[(0, wf)].get_facecolor(), pal.DONT_KNOW)
    assert grid[(2, wf)].get_gid() == "empty"
    labels = {
        (round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts
    }
    table = sm.summarise(tidy(answers), by=["theme_id", "authority"])
    people = table.query("theme_id == 'LA' and authority == 'Derby'")["n_respondents"].iloc[0]
    assert labels[(0, la)] == f"{derby_top * 100:.0f}%\nn={people}"  # the share and its people
    assert labels[(2, la)] == "<3"
    assert labels[(0, wf)] == "no\nratings"
    assert labels[(2, wf)] == "none"
    assert "0%" not in labels.values()
    assert "suppressed" in ax.get_xlabel()


def test_heatmap_cell_labels_sit_inside_the_axes_so_layout_can_skip_them():
    """The cell labels are left out of the layout (it measured each one, twice per chart):
    that is only right while every label lies inside the grid, so nothing moves or is cut."""
    answers = [A(r, "LA-DCS-1", 4, authority=a) for r in "abc" for a in ("Derby", "Rutland")]
    answers += [A(r, "WF-DCS-1", 1, authority="Derby") for r in "ab"]
    ax = charts.heatmap(tidy(answers))
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_gid() in ("cell", "suppressed", "no-ratings", "empty")]
    assert labels and not any(t.get_in_layout() for t in labels)
    for label in labels:
        box = label.get_window_extent(renderer)
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1, label.get_text()
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1, label.get_text()
    plt.close(fig)


def test_heatmap_of_medians_by_respondent_uses_labels():
    answers = [A(r, q, x) for r, x in (("a", 1), ("b", 5)) for q in ("PR-DCS-1", "PR-DCS-2")]
    ax = charts.heatmap(tidy(answers), columns="respondent_id", value="median", min_group=1)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Label a", "Label b"]
    cells = sorted((p for p in ax.patches if p.get_gid() == "cell"), key=lambda p: p.get_x())
    assert _same_colour(cells[0].get_facecolor(), pal.value_colour(1, CONF))
    assert _same_colour(cells[1].get_facecolor(), pal.value_colour(5, CONF))


# --------------------------------------------------------------------------------------------
# DCS and Lead Member.
# --------------------------------------------------------------------------------------------


def test_role_pairs_positions_and_flags():
    answers = []
    spec = {"LA": ([5, 5, 4], [1, 2, 2]), "WF": ([3, 3, 4], [3, 4, 3])}
    for theme, (dcs, lm) in spec.items():
        # Each Director and Lead Member from another authority: three people per side.
        answers += [
            A(f"d{i}", _first_question(theme, "DCS"), r, role="DCS", authority=f"A{i}")
            for i, r in enumerate(dcs)
        ]
        answers += [
            A(f"l{i}", _first_question(theme, "LM"), r, role="LM", authority=f"A{i}")
            for i, r in enumerate(lm)
        ]
    ax = charts.role_pairs(tidy(answers))
    for role, index in (("DCS", 0), ("LM", 1)):
        dots = [line for line in ax.lines if line.get_gid() == role]
        tops = [100 * sum(r >= 4 for r in spec[t][index]) / 3 for t in spec]
        assert [d.get_xdata()[0] for d in dots] == pytest.approx(tops)
        assert all(_same_colour(d.get_color(), pal.ROLE_COLOURS[role]) for d in dots)
        assert {d.get_marker() for d in dots} == {pal.ROLE_MARKERS[role]}
        bottoms = [line for line in ax.lines if line.get_gid() == f"{role} bottom"]
        lows = [100 * sum(r <= 2 for r in spec[t][index]) / 3 for t in spec]
        assert [d.get_xdata()[0] for d in bottoms] == pytest.approx(lows)
        assert all(_same_colour(d.get_markerfacecolor(), "white") for d in bottoms)  # hollow
    flags = [t for t in ax.texts if t.get_gid() == "apart"]
    assert len(flags) == 1 and flags[0].get_position()[1] == _row_of(ax, "LA")
    assert flags[0].get_text().startswith("apart")
    figures = [t.get_text() for t in ax.texts if t.get_gid() == "figures"]
    assert figures == [
        "top: DCS 100% · LM 0%",
        "bottom: DCS 0% · LM 100%",
        "top: DCS 33% · LM 33%",
        "bottom: DCS 0% · LM 0%",
    ]
    assert [t.get_text().split("\n")[-1] for t in ax.get_yticklabels()] == ["(DCS n=3, LM n=3)"] * 2


# --------------------------------------------------------------------------------------------
# Confidence against evidence.
# --------------------------------------------------------------------------------------------


def test_confidence_evidence_flags_unfounded_cells():
    answers = [
        A("a", "IN-DCS-1", 5, evidence=0),
        A("b", "IN-DCS-1", 5, evidence=1),
        A("c", "IN-DCS-1", 5, evidence=3),
        A("d", "IN-DCS-1", 2, evidence=2),
        A("e", "IN-DCS-1", 4, evidence=2),
    ]
    ax = charts.confidence_evidence(tidy(answers))
    assert len(ax.containers) == len(EVID.values)
    colours = pal.evidence_colours(EVID)
    for container, e in zip(ax.containers, EVID.values, strict=True):
        assert all(_same_colour(p.get_facecolor(), colours[e]) for p in container)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    top_row = next(i for i, label in enumerate(labels) if label.startswith("5 "))
    fives = [a for a in answers if a.rating == 5]
    for container, e in zip(ax.containers, EVID.values, strict=True):
        share = 100 * sum(a.evidence == e for a in fives) / len(fives)
        patch = container.patches[top_row]
        assert patch.get_width() == pytest.approx(share)
        assert (patch.get_gid() == "unfounded") == (e in EVID.bottom_values)
        if e in EVID.bottom_values:
            assert patch.get_hatch() == pal.UNFOUNDED_HATCH
    unfounded = 100 * sum(a.evidence <= 1 for a in fives) / len(fives)
    assert f"unfounded:\n{unfounded:.0f}%" in [t.get_text() for t in ax.texts]


def test_confidence_evidence_suppressed_grid():
    ax = charts.confidence_evidence(tidy([A("a", "IN-DCS-1", 5, evidence=0)]))
    assert all(p.get_width() == 0 for c in ax.containers for p in c)
    assert any(p.get_gid() == "suppressed" for p in ax.patches)
    assert "suppressed (protects groups under 3 people)" in _texts(ax)


# --------------------------------------------------------------------------------------------
# An authority against the region.
# --------------------------------------------------------------------------------------------


def test_authority_spread_names_no_other_authority():
    frame = tidy(_region_answers())
    ax = charts.authority_spread(frame, "Derby", measure="median")
    ax.figure.canvas.draw()
    text = " ".join(_texts(ax))
    assert "Derby" in text
    for other in ("Leicester", "Rutland", "Nottingham", "Lincolnshire"):
        assert other not in text
    table = sm.authority_position(frame, "Derby", measure="median")
    ranges = [p for p in ax.patches if p.get_gid() == "others-range"]
    boxes = [p for p in ax.patches if p.get_gid() == "others-box"]
    dots = [line for line in ax.lines if line.get_gid() == "authority"]
    assert [p.get_x() for p in ranges] == pytest.approx(table["others_min"].astype(float).tolist())
    ends = [p.get_x() + p.get_width() for p in ranges]
    assert ends == pytest.approx(table["others_max"].astype(float).tolist())
    assert [p.get_x() for p in boxes] == pytest.approx(table["others_q1"].astype(float).tolist())
    assert [d.get_xdata()[0] for d in dots] == pytest.approx(table["value"].astype(float).tolist())
    assert all(_same_colour(d.get_color(), pal.AUTHORITY) for d in dots)


def test_authority_spread_with_too_few_others_says_so():
    answers = [a for a in _region_answers() if a.authority in ("Derby", "Leicester", "Rutland")]
    ax = charts.authority_spread(tidy(answers), "Derby")
    assert not [p for p in ax.patches if p.get_gid() == "others-range"]
    assert "other authorities: too few to show" in _texts(ax)


# --------------------------------------------------------------------------------------------
# Change.
# --------------------------------------------------------------------------------------------


def test_change_dumbbell_between_rounds():
    first, second = [2, 2, 4], [4, 4, 5]
    answers = [A(r, "CR-DCS-1", x) for r, x in zip("abc", first, strict=True)]
    answers += [A(r, "CR-DCS-1", x, round=2) for r, x in zip("abc", second, strict=True)]
    ax = charts.change_dumbbell(tidy(answers))
    before = 100 * sum(x >= 4 for x in first) / 3
    after = 100 * sum(x >= 4 for x in second) / 3
    assert [
        line.get_xdata()[0] for line in ax.lines if line.get_gid() == "before"
    ] == pytest.approx([before])
    assert [line.get_xdata()[0] for line in ax.lines if line.get_gid() == "after"] == pytest.approx(
        [after]
    )
    # The bottom of the scale is drawn too: hollow grey before, red square after.
    bottom_before = 100 * sum(x <= 2 for x in first) / 3
    bottom_after = 100 * sum(x <= 2 for x in second) / 3
    drawn = {line.get_gid(): line.get_xdata()[0] for line in ax.lines}
    assert drawn["before bottom"] == pytest.approx(bottom_before)
    assert drawn["after bottom"] == pytest.approx(bottom_after)
    changes = [t.get_text() for t in ax.texts if t.get_gid() == "change"]
    assert changes == [
        f"top {after - before:+.0f}\nbottom {bottom_after - bottom_before:+.0f} points\nnotable"
    ]
    figures = [t.get_text() for t in ax.texts if t.get_gid() == "figures"]
    assert figures == ["top: 33% → 100%", "bottom: 67% → 0%"]
    assert {"before: round 1", "after: round 2"} <= set(_texts(ax))
    # Each row says how many people each side rests on.
    assert [t.get_text().split("\n")[-1] for t in ax.get_yticklabels()] == ["(n=3 → n=3)"]
    # Only the top share, as before, when asked.
    single = charts.change_dumbbell(tidy(answers), value="top_share")
    changes = [t.get_text() for t in single.texts if t.get_gid() == "change"]
    assert changes == [f"{after - before:+.0f} points\nnotable"]


# --------------------------------------------------------------------------------------------
# The live chart.
# --------------------------------------------------------------------------------------------


def test_live_distribution_counts_and_updates_in_place():
    votes = [5, 4, 4, DK, 1]
    frame = tidy([A(f"r{i}", "LA-DCS-1", v) for i, v in enumerate(votes)])
    ax = charts.live_distribution(frame.iloc[:3], "confidence", title="LA-DCS-1")
    bars = list(ax.patches)
    expected = [votes[:3].count(v) for v in CONF.values] + [votes[:3].count(DK)]
    assert [b.get_height() for b in bars] == expected
    colours = pal.level_colours(CONF)
    assert [
        _same_colour(b.get_facecolor(), c)
        for b, c in zip(bars, [*colours.values(), pal.DONT_KNOW], strict=True)
    ] == [True] * 6
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[-1] == "Don't know" and ticks[0].startswith("1\n")
    # A click later: the same bars, new heights, count labels follow.
    again = charts.live_distribution(frame, "confidence", ax=ax)
    assert again is ax and list(ax.patches) == bars
    expected = [votes.count(v) for v in CONF.values] + [votes.count(DK)]
    assert [b.get_height() for b in ax.patches] == expected
    counts = [t.get_text() for t in ax.texts if t.get_gid() != "n"]
    assert sorted(counts) == sorted(str(c) for c in expected)
    assert [t.get_text() for t in ax.texts if t.get_gid() == "n"] == ["n=5 answers"]
    assert ax.get_ylim()[1] >= max(expected)
    # Another scale rebuilds the chart.
    rag = charts.live_distribution(
        frame.assign(rating=pd.array([3, 2, 1, None, 1], dtype="Int64")), "rag", ax=ax
    )
    assert len(rag.patches) == len(get_scale("rag").values) + 1


@pytest.mark.parametrize(
    "draw",
    [charts.diverging_bars, charts.theme_profile, charts.heatmap, charts.role_pairs,
     charts.change_dumbbell],
)  # fmt: skip
def test_no_answers_yet_is_said_not_left_blank(draw):
    ax = draw(tidy([]))
    assert "No answers to show yet" in _texts(ax)


# --------------------------------------------------------------------------------------------
# Honest labels: n on every chart, keys, swatches, flag colours, nothing on the zero line.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_says_how_many_people(name):
    ax = CHARTS[name](tidy(_region_answers()))
    assert any("n=" in text for text in _texts(ax)), _texts(ax)


def test_diverging_bars_have_a_dont_know_swatch(room):
    for ax in (charts.diverging_bars(room), charts.diverging_bars(room, ax=plt.subplots()[1])):
        legend = ax.figure.legends[0] if ax.figure.legends else ax.get_legend()
        labels = [t.get_text() for t in legend.get_texts()]
        assert labels[-1] == "Don't know"
        assert _same_colour(legend.legend_handles[-1].get_facecolor(), pal.DONT_KNOW)


def _zero_pixel(ax, x: float = 0.0) -> float:
    return ax.transData.transform((x, 0))[0]


def test_percentage_labels_stay_off_the_zero_line():
    # A big middle level (its share used to be written across the centre line).
    answers = [A(f"r{i}", "LA-DCS-1", x) for i, x in enumerate([3, 3, 3, 3, 2, 4, 5, 1])]
    for given in (None, plt.subplots()[1]):
        ax = charts.diverging_bars(tidy(answers), ax=given)
        ax.figure.canvas.draw()
        zero = _zero_pixel(ax)
        shares = [t for t in ax.texts if t.get_gid() == "share"]
        assert "50%" in [t.get_text() for t in shares]  # the middle level is still labelled
        crossing = [
            t.get_text()
            for t in shares
            if t.get_window_extent().x0 <= zero <= t.get_window_extent().x1
        ]
        assert crossing == []
    # Figures at 0% on the dot charts sit inside the plot, not on the axis line.
    low = [A(f"d{i}", "PR-DCS-1", 1, role="DCS") for i in range(3)]
    low += [A(f"l{i}", "PR-LM-1", 2, role="LM") for i in range(3)]
    ax = charts.role_pairs(tidy(low))
    ax.figure.canvas.draw()
    for text in (t for t in ax.texts if t.get_gid() == "figures"):
        assert text.get_window_extent().x0 > _zero_pixel(ax)


def test_heatmap_has_a_colour_key():
    ax = charts.heatmap(tidy(_region_answers()))
    keys = [a for a in ax.figure.axes if a.get_gid() == "colour-key"]
    assert len(keys) == 1
    key = keys[0]
    assert [t.get_text() for t in key.get_yticklabels()] == ["0%", "25%", "50%", "75%", "100%"]
    from matplotlib.collections import QuadMesh

    cmap = next(c for c in key.collections if isinstance(c, QuadMesh)).get_cmap()
    assert _same_colour(cmap(0.0), pal.share_colour(0.0))
    assert _same_colour(cmap(1.0), pal.share_colour(1.0))
    assert "top of the scale" in key.get_ylabel()
    medians = charts.heatmap(tidy(_region_answers()), value="median")
    key = next(a for a in medians.figure.axes if a.get_gid() == "colour-key")
    assert [t.get_text() for t in key.get_yticklabels()] == [str(v) for v in CONF.values]


def test_evidence_labels_take_the_flag_colour_only_when_flagged():
    founded = [A(r, "IN-DCS-1", 5, evidence=3) for r in "abc"]  # nothing unfounded
    ax = charts.confidence_evidence(tidy(founded))
    notes = {t.get_text(): t for t in ax.texts if t.get_gid() == "unfounded-share"}
    assert set(notes) == {"unfounded:\n0%"}
    assert all(not _same_colour(t.get_color(), pal.FLAG) for t in notes.values())
    unfounded = [*founded, A("d", "IN-DCS-1", 5, evidence=0), A("e", "IN-DCS-1", 4, evidence=2)]
    ax = charts.confidence_evidence(tidy(unfounded))
    five = next(t for t in ax.texts if t.get_text() == "unfounded:\n25%")
    assert _same_colour(five.get_color(), pal.FLAG)
    four = next(t for t in ax.texts if t.get_text() == "unfounded:\n0%")
    assert not _same_colour(four.get_color(), pal.FLAG)
    assert "(n=5 people)" in ax.get_xlabel().replace("\n", " ")


# --------------------------------------------------------------------------------------------
# Charts compose: into any axes of a grid with sharex, and as small multiples.
# --------------------------------------------------------------------------------------------

GRID = {
    "diverging_bars": lambda f, ax: charts.diverging_bars(f, ax=ax, title="Themes"),
    "diverging_by_question": lambda f, ax: charts.diverging_bars(f, by="question_id", ax=ax),
    "theme_profile": lambda f, ax: charts.theme_profile(f, ax=ax),
    "heatmap": lambda f, ax: charts.heatmap(f, ax=ax, title="Authorities by theme"),
    "role_pairs": lambda f, ax: charts.role_pairs(f, ax=ax, title="DCS and Lead Member"),
    "confidence_evidence": lambda f, ax: charts.confidence_evidence(f, ax=ax, title="Evidence"),
    "authority_spread": lambda f, ax: charts.authority_spread(f, "Derby", ax=ax),
    "change_dumbbell": lambda f, ax: charts.change_dumbbell(f, between="year", ax=ax),
}


def _columns(fig, panels) -> list[tuple[float, float]]:
    """Each panel's own strip of the figure: from its left edge to the next panel's."""
    edges = [p.get_window_extent().x0 for p in panels] + [fig.bbox.x1]
    return list(itertools.pairwise(edges))


def _outside_own_panel(fig, panels) -> list[str]:
    """Legends, insets, colour keys, titles and notes that reach into another panel's strip."""
    fig.canvas.draw()
    columns = _columns(fig, panels)
    problems = []
    for ax, (left, right) in zip(panels, columns, strict=True):
        pieces = [
            (f"text {t.get_text()!r}", t.get_window_extent())
            for t in ax.texts
            if t.get_visible() and t.get_text().strip()
        ]
        pieces += [
            ("title", t.get_window_extent()) for t in (ax.title, ax._left_title) if t.get_text()
        ]
        if ax.get_legend():
            pieces.append(("legend", ax.get_legend().get_window_extent()))
        pieces += [("inset", child.get_tightbbox()) for child in ax.child_axes]
        for name, box in pieces:
            if box.x0 < left - 1 or box.x1 > right + 1:
                problems.append(f"{name} of panel {panels.index(ax)} leaves its panel")
    for extra in (a for a in fig.axes if a.get_gid() == "colour-key"):
        box = extra.get_tightbbox()
        if not any(box.x0 >= lo - 1 and box.x1 <= hi + 1 for lo, hi in columns):
            problems.append(f"{extra.get_gid() or 'an extra axes'} straddles two panels")
    return problems


def _overlapping_panels(fig, panels) -> list[str]:
    """Pairs of panels whose drawn extents (labels, legends, insets and all) overlap."""
    fig.canvas.draw()
    boxes = [ax.get_tightbbox() for ax in panels]
    return [
        f"panels {i} and {j} overlap"
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


@pytest.mark.parametrize("name", sorted(GRID))
@pytest.mark.parametrize("layout", [None, "constrained"])
def test_charts_stay_in_their_own_panel_of_a_shared_grid(demo_ratings, name, layout):
    fig, panels = plt.subplots(1, 3, sharex=True, figsize=(36, 12), layout=layout)
    for ax in panels:
        GRID[name](demo_ratings, ax)
    panels = list(panels)
    assert _outside_own_panel(fig, panels) == []
    if layout == "constrained":
        assert _overlapping_panels(fig, panels) == []
    # The Don't know panel of the bars sits inside its own axes' box.
    for ax in panels:
        inset = charts.dont_know_axes(ax)
        if inset is not None:
            outer, inner = ax.get_window_extent(), inset.get_window_extent()
            assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1 + 1


@pytest.mark.parametrize("kind", charts.FACET_KINDS)
def test_facet_draws_one_panel_per_group_on_shared_axes(demo_ratings, kind):
    names = ["Derby", "Leicester", "Rutland"]
    fig = charts.facet(kind, demo_ratings, by="authority", groups=names, title="By authority")
    panels = [ax for ax in fig.axes if ax.get_gid() != "colour-key"]
    assert [ax.get_title(loc="left").replace("\n", " ") for ax in panels] == names
    assert all(panels[0].get_shared_x_axes().joined(panels[0], ax) for ax in panels)
    assert len({ax.get_xlim() for ax in panels}) == 1
    assert _overlapping_panels(fig, panels) == []
    assert _outside_own_panel(fig, panels) == []


def test_facet_wraps_into_rows(demo_ratings):
    names = ["Derby", "Leicester", "Rutland", "Nottingham"]
    fig = charts.facet("role_pairs", demo_ratings, groups=names, ncols=2)
    assert [round(ax.get_subplotspec().rowspan.start) for ax in fig.axes] == [0, 0, 1, 1]
    assert _overlapping_panels(fig, fig.axes) == []


def test_facet_by_year_and_role(demo_ratings):
    years = sorted(pd.to_datetime(demo_ratings["held_on"]).dt.year.unique())
    fig = charts.facet("diverging_bars", demo_ratings, by="year")
    assert [ax.get_title(loc="left") for ax in fig.axes] == [str(y) for y in years]
    fig = charts.facet("theme_profile", demo_ratings, by="role", groups=["DCS", "LM"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["DCS", "LM"]


def test_facet_refuses_an_unknown_kind_or_group(demo_ratings):
    from assured_kit import AssuredKitError

    with pytest.raises(AssuredKitError, match="small multiples of 'pie'"):
        charts.facet("pie", demo_ratings)
    with pytest.raises(AssuredKitError, match="no answers for authority Atlantis"):
        charts.facet("heatmap", demo_ratings, groups=["Atlantis"])
    with pytest.raises(AssuredKitError, match="tidy ratings"):
        charts.facet("heatmap", sm.by_theme(demo_ratings))


def test_share_labels_never_overlap_in_narrow_panels(demo_ratings):
    fig, panels = plt.subplots(1, 3, sharex=True, figsize=(30, 10))
    for ax, authority in zip(panels, ["Derby", "Leicester", "Nottingham"], strict=True):
        charts.diverging_bars(demo_ratings, ax=ax, where={"authority": authority})
    fig.canvas.draw()
    written = 0
    for ax in panels:
        boxes = [t.get_window_extent() for t in ax.texts if t.get_gid() == "share"]
        written += len(boxes)
        clashes = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
        assert clashes == []
    assert written > 0, "some shares are written"


def test_facet_withholds_as_the_reports_do(demo_ratings):
    fig = charts.facet("diverging_bars", demo_ratings, groups=["Derby"])
    expected = sm.summarise(demo_ratings, by=["theme_id"], where={"authority": "Derby"})
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    people = [f"(n={int(n)})" for n in expected["n_respondents"].dropna()]
    assert [label.split("\n")[-1] for label in labels if "(n=" in label] == people
    assert len(labels) == len(expected)


def test_svg_image_is_the_tight_svg_drawn_once(room):
    """`svg_image` writes what savefig(bbox_inches="tight") would, drawing the figure once."""
    import io
    import re

    import matplotlib

    from assured_kit.charts import diverging_bars, svg_image

    def size(svg: bytes) -> tuple[float, float]:
        found = re.search(rb'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        assert found, svg[:300]
        return float(found.group(1)), float(found.group(2))

    fig = diverging_bars(room).figure
    engine = fig.get_layout_engine()
    draws = []
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(event))
    image = svg_image(fig)
    assert fig.get_layout_engine() is engine  # the figure is left as it was
    # Laid out and measured on the figure's own renderer without a draw; the SVG pass is the
    # only drawing: savefig neither lays it out nor measures it again.
    assert len(draws) == 1
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "assured-kit"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.1)
    assert size(image) == pytest.approx(size(buffer.getvalue()), abs=0.05)
    text = image.decode("utf-8")
    assert "Fully confident" in text  # text kept as text, not paths
    assert "<dc:date>" not in text  # no date: the same report twice is the same file
    assert image == svg_image(diverging_bars(room).figure)  # stable ids: the same file again


@pytest.mark.parametrize("kind", ["diverging_bars", "heatmap", "role_pairs"])
def test_svg_image_without_a_layout_draw_is_the_same_file(room, kind):
    """Laying out without first drawing the figure changes nothing in the picture.

    The former way (a full draw with no output to run the layout engine, then the tight box,
    then the SVG) must give byte for byte the file `svg_image` writes now with one draw.
    """
    import io

    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.transforms import Bbox

    from assured_kit import charts
    from assured_kit.charts import svg_image

    draw = getattr(charts, kind)
    options = {"rows": "authority", "columns": "theme_id"} if kind == "heatmap" else {}
    if kind == "heatmap":
        data = room.assign(authority=room["respondent_id"].map(lambda r: f"LA {ord(r[-1]) % 2}"))
    else:
        data = room
    fig = draw(data, **options).figure
    fig.draw_without_rendering()
    box = Bbox(fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.1).get_points())
    engine = fig.get_layout_engine()
    fig.set_layout_engine(None)
    buffer = io.BytesIO()
    settings = {"svg.fonttype": "none", "svg.hashsalt": "assured-kit"}
    with matplotlib.rc_context(settings):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches=box)
    fig.set_layout_engine(engine)
    plt.close(fig)
    fresh = draw(data, **options).figure
    assert svg_image(fresh) == buffer.getvalue()
    plt.close(fresh)


# --------------------------------------------------------------------------------------------
# Charts for a printed page (page_width): narrower figures, the same type.
# --------------------------------------------------------------------------------------------


def test_page_width_narrows_new_figures_only_inside_the_block(room):
    screen = charts.diverging_bars(room).figure.get_size_inches()
    assert screen[0] == 14
    with charts.page_width(10):
        bars = charts.diverging_bars(room)
        profile = charts.theme_profile(room, min_group=1)
        _fig, given = plt.subplots(figsize=(12, 4))
        assert charts.role_pairs(room, min_group=1, ax=given) is given
        narrow_heatmap = charts.heatmap(room, min_group=1)  # 8 in: already narrower, kept
    assert tuple(bars.figure.get_size_inches()) == (10, screen[1])  # as tall as on screen
    assert profile.figure.get_figwidth() == 10
    assert given.figure.get_figwidth() == 12  # a given axes keeps its own figure
    assert narrow_heatmap.figure.get_figwidth() == 8
    # Outside the block (and after a failure inside it) charts take their own sizes again.
    with pytest.raises(RuntimeError), charts.page_width(6):
        raise RuntimeError("a chart failed")
    assert charts.diverging_bars(room).figure.get_figwidth() == 14
    assert charts.theme_profile(room, min_group=1).figure.get_figwidth() == 13


@pytest.mark.parametrize("inches", [0, -3, float("nan"), "wide", None])
def test_page_width_refuses_a_width_that_is_not_a_positive_number(inches):
    with pytest.raises(AssuredKitError, match="inches more than 0"), charts.page_width(inches):
        pytest.fail("the block ran")  # pragma: no cover


def _clashes(fig) -> list[str]:
    """Texts (ticks, shares, n, notes, titles) and legends that overlap or leave the figure,
    and numbers that run out of the bar or cell they are written on."""
    fig.canvas.draw()
    pieces = _drawn_labels(fig)
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    pieces += [("legend", legend.get_window_extent()) for legend in legends]
    frame = fig.bbox
    problems = [
        f"{name!r} runs past the figure's edge"
        for name, box in pieces
        if box.x0 < frame.x0 or box.y0 < frame.y0 or box.x1 > frame.x1 or box.y1 > frame.y1
    ]
    problems += [
        f"{a!r} overlaps {b!r}"
        for (a, box_a), (b, box_b) in itertools.combinations(pieces, 2)
        if box_a.overlaps(box_b)
    ]
    # A number written on a bar or in a cell stays inside it.
    for ax in fig.axes:
        marks = [p.get_window_extent() for p in ax.patches if p.get_width() > 0]
        for text in ax.texts:
            if not text.get_visible() or not text.get_text().strip():
                continue
            box = text.get_window_extent()
            x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
            mark = next((m for m in marks if m.x0 <= x <= m.x1 and m.y0 <= y <= m.y1), None)
            if mark is not None and (box.x0 < mark.x0 or box.x1 > mark.x1):
                problems.append(f"{text.get_text()!r} runs out of its bar")
    return problems


REPORT_CHARTS = {  # each chart kind the report draws, as it calls it
    "themes": lambda r: charts.diverging_bars(r),
    "questions": lambda r: charts.diverging_bars(
        sm.order_by_weakness(sm.by_question(r[r["theme_id"] == "PM"])), by="question_id"
    ),
    "roles": lambda r: charts.role_pairs(sm.compare_roles(r)),
    "position": lambda r: charts.authority_spread(sm.authority_position(r, "Derby")),
    "authorities": lambda r: charts.heatmap(r, rows="authority", columns="theme_id"),
    "years": lambda r: charts.change_dumbbell(sm.change(r, between="year")),
    "evidence": lambda r: charts.confidence_evidence(sm.evidence_grid(r[r["theme_id"] == "WF"])),
    **{
        f"questions {theme}": lambda r, theme=theme: charts.diverging_bars(
            sm.by_question(r[r["theme_id"] == theme]), by="question_id"
        )
        for theme in ("LA", "CR", "IN")
    },
}


@pytest.mark.parametrize("name", sorted(REPORT_CHARTS))
def test_report_charts_at_print_width_keep_their_type_and_clear_labels(demo_ratings, name):
    from assured_kit.report import CHART_WIDTH

    with charts.page_width(CHART_WIDTH):
        ax = REPORT_CHARTS[name](demo_ratings)
    fig = ax.figure
    assert fig.get_figwidth() <= CHART_WIDTH
    assert _clashes(fig) == []
    # The projector's type: nothing smaller than 14 pt, so printed on A4 (7.3 in between the
    # margins, showing the chart at 7.3 / CHART_WIDTH or more) it is 10 pt or more.
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert min(sizes) >= pal.FONT_TICK
    assert pal.FONT_TICK * (210 - 2 * 12) / 25.4 / CHART_WIDTH >= 10
