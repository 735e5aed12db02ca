"""Steering-group analysis: loading, filters, chart panels and exports, without a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from assured_kit import AssuredKitError, load_framework
from assured_kit.analysis import (
    PANELS,
    SteeringGroup,
    filter_ratings,
    load_steering_data,
    open_steering_group,
)
from assured_kit.charts import png_bytes
from assured_kit.demo import demo_workshops
from assured_kit.ratings import read_ratings


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("steering") / "demo"
    demo_workshops(folder, seed=2)
    return folder


@pytest.fixture
def group(demo_folder) -> SteeringGroup:
    return SteeringGroup(load_steering_data(demo_folder), anonymity_seed=0)


def _texts(ax) -> list[str]:
    """Every piece of text drawn on the figure: labels, ticks, legends, titles."""
    from matplotlib.text import Text

    return [t.get_text() for t in ax.figure.findobj(Text)]


def _widget_outputs(output) -> str:
    parts = []
    for item in output.outputs:
        data = item.get("data", {})
        parts.append(str(data.get("text/html", data.get("text/plain", ""))))
        parts.append(str(item.get("text", "")))
    return "\n".join(parts)


# ----------------------------------------------------------------------------- loading


def test_nothing_given_opens_the_demo(tmp_path):
    data = load_steering_data(None, demo_folder=tmp_path / "demo")
    assert data.demo is True
    files = sorted((tmp_path / "demo").glob("*.workshop.sqlite"))
    assert files and data.sources == [tmp_path / "demo"]
    assert data.ratings["synthetic"].all()
    assert data.ratings["workshop_id"].nunique() == len(files)
    assert len(data.actions) and set(data.actions["workshop_id"]) <= set(
        data.ratings["workshop_id"]
    )


def test_folder_and_export_are_read_together(demo_folder, tmp_path):
    from assured_kit.store import Workshop

    first = sorted(demo_folder.glob("*.workshop.sqlite"))[0]
    with Workshop.open(first) as ws:
        ws.export(tmp_path / "one.csv")
    data = load_steering_data([demo_folder, tmp_path / "one.csv"])
    assert data.demo is False
    # The export repeats a workshop already in the folder: kept once.
    assert len(data.ratings) == len(read_ratings(demo_folder))


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(AssuredKitError, match="does not exist"):
        load_steering_data(tmp_path / "nowhere")


# ----------------------------------------------------------------------------- filters


def test_filters(demo_folder):
    ratings = read_ratings(demo_folder)
    years = sorted(pd.to_datetime(ratings["held_on"]).dt.year.unique())
    assert len(years) >= 2
    last = filter_ratings(ratings, years=[years[-1]])
    assert set(pd.to_datetime(last["held_on"]).dt.year) == {years[-1]}
    assert 0 < len(last) < len(ratings)
    some = sorted(ratings["authority"].dropna().unique())[:2]
    both = filter_ratings(ratings, authorities=some, roles=["DCS", "LM"], themes=["WF", "PR"])
    assert set(both["authority"]) <= set(some)
    assert set(both["role"].astype(str)) <= {"DCS", "LM"}
    assert set(both["theme_id"].astype(str)) == {"WF", "PR"}
    assert list(both.columns) == list(ratings.columns)
    assert both.dtypes.equals(ratings.dtypes)
    assert len(filter_ratings(ratings, years=(), themes=None)) == len(ratings)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"themes": ["Workforce"]}, "unknown theme(s) 'Workforce'"), ({"roles": ["dcs"]}, "'dcs'")],
)
def test_filter_typing_slips_are_errors(demo_folder, kwargs, message):
    with pytest.raises(AssuredKitError, match=re.escape(message)):
        filter_ratings(read_ratings(demo_folder), **kwargs)


# ----------------------------------------------------------------------------- panels


@pytest.mark.parametrize("name", [n for n in PANELS if n != "position"])
def test_every_panel_draws(group, name):
    ax = group.draw(name)
    assert ax.figure.axes
    drawn = ax.patches or ax.lines or ax.collections or ax.containers
    assert drawn, f"{name} drew nothing"


def test_authority_grid_is_anonymised(group):
    shown = " ".join(_texts(group.draw("heatmap")))
    assert re.search(r"Authority [A-Z]", shown)
    for name in load_framework().authorities:
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", shown), name


def test_named_authority_stays_named(demo_folder):
    ratings = read_ratings(demo_folder)
    named = ratings["authority"].value_counts().index[0]
    sg = SteeringGroup(load_steering_data(demo_folder), named_authorities=[named])
    shown = " ".join(_texts(sg.draw("heatmap")))
    assert named in shown


def test_position_names_only_the_chosen_authority(group):
    with pytest.raises(AssuredKitError, match="choose an authority"):
        group.draw("position")
    chosen = group.data.ratings["authority"].value_counts().index[0]
    group.position_authority.value = chosen
    shown = " ".join(_texts(group.draw("position")))
    assert chosen in shown
    for name in load_framework().authorities:
        if name != chosen:
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", shown), name


def test_filters_redraw_panels_and_status(group):
    box = group.panel("themes")
    assert box is group.panel("themes")  # one widget per panel
    _box, out = group.panels["themes"]
    before = group.status.value
    assert any("image/png" in o.get("data", {}) for o in out.outputs)
    group.theme_filter.value = ("WF",)
    assert group.status.value != before
    assert set(group.filtered()["theme_id"].astype(str)) == {"WF"}
    assert any("image/png" in o.get("data", {}) for o in out.outputs)
    ax = group.draw("themes")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 1 and labels[0].startswith("Workforce")


def _count_draws(group) -> list[str]:
    """Record each panel the group draws (by wrapping its ``draw``)."""
    drawn: list[str] = []
    real = group.draw

    def draw(name, ax=None):
        drawn.append(name)
        return real(name, ax)

    group.draw = draw
    return drawn


def _count_calls(monkeypatch, module, name: str) -> list[int]:
    """Record each call of ``module.name`` (for this test only)."""
    made: list[int] = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return made


def _png(out) -> str | None:
    return next((o["data"]["image/png"] for o in out.outputs if "image/png" in o["data"]), None)


def test_a_filter_change_redraws_only_what_changed(group):
    group.panel("profile")
    group.panel("position")
    drawn = _count_draws(group)
    first = _png(group.panels["profile"][1])
    group.authority_filter.value = (group.authority_filter.options[0],)
    assert drawn == ["profile"]  # the position panel ignores the authority filter
    assert _png(group.panels["profile"][1]) != first
    group.authority_filter.value = ()
    assert drawn == ["profile"]  # drawn before for these filters: shown again, not redrawn
    assert _png(group.panels["profile"][1]) == first
    group.role_filter.value = ("DCS",)
    assert drawn == ["profile", "profile", "position"]


def test_in_a_kernel_a_filter_change_answers_before_the_panels_redraw(group):
    import asyncio

    group.panel("themes")
    group.panel("profile")
    drawn = _count_draws(group)
    old = _png(group.panels["themes"][1])
    status = group.status.value

    async def change_filters() -> None:
        group.role_filter.value = ("LM",)  # dropped: changed again before it was drawn
        group.theme_filter.value = ("WF", "PR")
        # The callback has returned: status and summary are new, panels say they are redrawing
        # and keep their old picture until the new one replaces it.
        assert drawn == [] and group.status.value != status
        out = group.panels["themes"][1]
        assert "Redrawing" in _widget_outputs(out) and _png(out) == old
        for _ in range(50):
            await asyncio.sleep(0)
            if len(drawn) == 2:
                break

    asyncio.run(change_filters())
    assert drawn == ["themes", "profile"]
    out = group.panels["themes"][1]
    assert "Redrawing" not in _widget_outputs(out) and _png(out) != old
    ax = group.draw("themes")
    labels = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert labels == ["Workforce", "Prevention"]


def test_a_chart_the_filters_cannot_make_says_why(group):
    years = sorted(pd.to_datetime(group.data.ratings["held_on"]).dt.year.unique())
    group.year_filter.value = (int(years[0]),)
    with pytest.raises(AssuredKitError, match="need two years"):
        group.draw("years")
    group.panel("years")
    _box, out = group.panels["years"]
    assert "need two years" in _widget_outputs(out)


def test_nothing_matching_shows_a_message(demo_folder):
    data = load_steering_data(demo_folder)
    ratings = data.ratings
    year = pd.to_datetime(ratings["held_on"]).dt.year
    first = int(year.min())
    # No Workforce answers in the first year: that combination matches nothing.
    data.ratings = ratings[~((year == first) & (ratings["theme_id"] == "WF")).to_numpy()]
    sg = SteeringGroup(data)
    sg.panel("profile")
    sg.summary()
    sg.year_filter.value = (first,)
    sg.theme_filter.value = ("WF",)
    assert len(sg.filtered()) == 0
    assert "No answers match" in _widget_outputs(sg.panels["profile"][1])
    assert "No answers match" in _widget_outputs(sg.summary_output)
    assert "0 answers from 0 respondents" in sg.status.value


def test_high_min_group_suppresses_everything(demo_folder):
    sg = SteeringGroup(load_steering_data(demo_folder), min_group=10_000)
    table = sg.summary_table()
    assert table["suppressed"].all()
    assert table["top_share"].isna().all()
    ax = sg.draw("themes")
    assert any(t.get_text().startswith("suppressed") for t in ax.texts)


def test_summary_widget_shows_the_table(group):
    out = group.summary()
    text = _widget_outputs(out)
    assert "Leadership/Accountability" in text and "Answers" in text
    html = out.outputs[0]["data"]["text/html"]
    assert html.startswith("<table") and "<pre" not in html  # a table, not a text block
    assert "<th>People</th>" in html and "<th>Share at the top of the scale</th>" in html
    assert out.outputs[0]["data"]["text/plain"].split()[0] == "Theme"  # plain text kept


# ----------------------------------------------------------------------------- exports


def test_exporter_writes_only_when_pressed(group, tmp_path, monkeypatch):
    # The button's wiring, not the report itself (tested whole in test_report and test_cli).
    import assured_kit.report

    calls = []

    def fake_report(path, ratings, **options):
        calls.append((path, len(ratings), options))
        Path(path).write_text("report", encoding="utf-8")
        return Path(path)

    monkeypatch.setattr(assured_kit.report, "write_report", fake_report)
    box = group.exporter()
    assert box is not None
    controls = group.export_controls
    target = tmp_path / "pack.html"
    controls["path"].value = str(target)
    assert not target.exists() and calls == []
    controls["button"].click()
    assert target.exists()
    assert "Written" in controls["result"].value
    [(path, rows, options)] = calls
    assert Path(path) == target and rows == len(group.data.ratings)
    assert options["scope"] == "region" and options["min_group"] == group.min_group


def test_exporter_authority_report_and_errors(group, tmp_path):
    group.exporter()
    controls = group.export_controls
    chosen = group.data.ratings["authority"].value_counts().index[0]
    controls["path"].value = str(tmp_path / "own.xlsx")
    controls["scope"].value = "authority"
    controls["authority"].value = chosen
    controls["button"].click()
    assert (tmp_path / "own.xlsx").exists(), controls["result"].value
    controls["path"].value = str(tmp_path / "own.pdf")
    controls["button"].click()
    assert controls["result"].value.startswith("<b>Not written:</b>")
    assert not (tmp_path / "own.pdf").exists()


def test_export_follows_the_theme_filter(group, tmp_path):
    group.theme_filter.value = ("PR",)
    out = group.export_report(tmp_path / "pr.html")
    text = out.read_text(encoding="utf-8")
    assert "id='theme-PR'" in text
    assert "id='theme-LA'" not in text


def test_open_steering_group_on_a_folder(demo_folder):
    sg = open_steering_group(demo_folder, min_group=4)
    assert sg.data.demo is False and sg.min_group == 4
    assert "fewer than 4 people" in sg.status.value


def test_panels_carry_a_static_image_for_exported_notebooks(group):
    import base64

    box = group.panel("themes")
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live: the widget
    png = base64.b64decode(bundle["image/png"])  # exported or offline: the chart as drawn
    assert png.startswith(b"\x89PNG")
    # nbconvert, exporting a notebook saved without widget state, picks the PNG.
    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    choose = WidgetsDataTypeFilter(notebook_metadata={}, resources={})
    choose.display_data_priority = HTMLExporter().default_config.NbConvertBase.display_data_priority
    assert choose(bundle)[0] == "image/png"
    # After a filter changes, the static image follows the redrawn chart.
    group.theme_filter.value = ("WF",)
    assert box._repr_mimebundle_()["image/png"] != bundle["image/png"]


def test_the_picker_chooses_files_without_code(group, tmp_path):
    from assured_kit import Workshop

    other = tmp_path / "other" / "2027"
    other.mkdir(parents=True)
    with Workshop.create(
        other / "rutland.workshop.sqlite", title="Rutland", held_on="2027-01-20"
    ) as ws:
        for label in ("A", "B", "C"):
            rid = ws.add_respondent(label, role="Officer", authority="Rutland")
            ws.record(rid, "WF-DCS-1", 4)
    group.year_filter.value = tuple(group.year_filter.options[:1])
    box = group.picker()
    controls = group.picker_controls
    assert box is not None and controls["files"].options == ()
    controls["folder"].value = str(tmp_path / "nowhere")
    controls["find"].click()
    assert "is not a folder" in group.picker_message.value
    controls["folder"].value = str(tmp_path / "other")
    controls["find"].click()
    assert [label for label, _path in controls["files"].options] == [
        str(Path("2027") / "rutland.workshop.sqlite")
    ]
    controls["files"].value = (str(other / "rutland.workshop.sqlite"),)
    controls["read"].click()
    assert "Read 3 answers from 1 source(s)." in group.picker_message.value
    assert group.data.sources == [other / "rutland.workshop.sqlite"]
    # The filters offer what the new answers hold; the old year no longer applies.
    assert group.year_filter.options == (2027,) and group.year_filter.value == ()
    assert group.authority_filter.options == ("Rutland",)
    assert set(group.filtered()["authority"]) == {"Rutland"}


def test_the_picker_keeps_the_data_when_reading_fails(group, tmp_path):
    before = group.data
    group.picker()
    group.picker_controls["folder"].value = str(tmp_path / "missing")
    group.picker_controls["read"].click()
    assert "does not exist" in group.picker_message.value
    assert group.data is before


def _tight_png(figure) -> bytes:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


@pytest.mark.parametrize("outside", [False, True])
def test_a_panel_picture_is_painted_once_and_cropped_as_savefig_crops(outside):
    import io

    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    def figure() -> Figure:
        fig = Figure(figsize=(4, 2), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(["Workforce", "Leadership"], [0.4, 0.7], color="#0072B2")
        ax.set_title("Share at the top of the scale (n = 12)")
        if outside:  # drawn past the figure's right edge: a tight box widens to take it in
            fig.text(1.02, 0.5, "a note beyond the edge")
        return fig

    painted = figure()
    draws = []
    real = painted.draw
    painted.draw = lambda renderer: (draws.append(1), real(renderer))[1]
    new = np.asarray(Image.open(io.BytesIO(png_bytes(painted))))
    old = np.asarray(Image.open(io.BytesIO(_tight_png(figure()))))
    assert new.shape == old.shape  # the same crop as savefig(bbox_inches="tight")
    if outside:
        assert new.shape[1] > 4 * 80 + 40  # widened past the figure to take the note in
        assert len(draws) == 3  # painted, then savefig's own measuring and painting
    else:
        assert len(draws) == 1  # painted once, where savefig paints twice
    # The same picture, give or take anti-aliasing at a sub-pixel shift.
    assert np.abs(new.astype(int) - old.astype(int)).mean() < 8
    assert (new[..., :3] < 128).any()  # something dark (the labels) was painted


@pytest.mark.parametrize("in_a_kernel", [False, True])
def test_a_redraw_shares_the_summaries_work_and_then_lets_it_go(group, monkeypatch, in_a_kernel):
    import asyncio

    from assured_kit import summary

    for name in ("themes", "profile", "roles"):
        group.panel(name)
    made = _count_calls(monkeypatch, summary, "_Answers")
    drawn = _count_draws(group)

    async def change_filters() -> None:
        group.role_filter.value = ("DCS",)
        for _ in range(50):
            await asyncio.sleep(0)
            if len(drawn) == 3:
                break
        await asyncio.sleep(0)  # the block of shared work is left on the next turn

    if in_a_kernel:
        asyncio.run(change_filters())
    else:
        group.role_filter.value = ("DCS",)
    # Three panels and the summary table: the answers are read once, not once per summary.
    assert drawn == ["themes", "profile", "roles"] and len(made) == 1
    assert group._work is None
    assert group.filtered() is group.filtered()  # worked out once per choice of filters
    made.clear()
    group.summary_table()  # outside a redraw nothing is kept
    group.summary_table()
    assert len(made) == 2


# ----------------------------------------------------------------------------- chart tabs


def test_only_the_chart_on_the_open_tab_is_redrawn(group):
    tabs = group.charts(["themes", "profile", "roles"])
    assert tabs is group.charts()  # one set of tabs per group
    assert tabs.titles == ("Themes", "Profile", "DCS and LM") and tabs.selected_index == 0
    drawn = _count_draws(group)
    old = _png(group.panels["profile"][1])
    group.role_filter.value = ("DCS",)
    assert drawn == ["themes"]
    # A closed tab's chart says it is out of date, never shows the old filters' chart silently.
    profile = group.panels["profile"][1]
    assert "Redrawing" in _widget_outputs(profile) and _png(profile) == old
    tabs.selected_index = 1  # opening the tab draws it
    assert drawn == ["themes", "profile"]
    assert "Redrawing" not in _widget_outputs(profile) and _png(profile) != old
    group.role_filter.value = ()
    assert drawn == ["themes", "profile"]  # drawn before for these filters: shown at once
    assert "Redrawing" not in _widget_outputs(group.panels["themes"][1])
    assert _png(profile) == old
    group.role_filter.value = ("LM",)
    assert drawn == ["themes", "profile", "profile"]
    assert "Redrawing" in _widget_outputs(group.panels["themes"][1])
    assert "Redrawing" in _widget_outputs(group.panels["roles"][1])
    # Back to the filters a closed tab's chart was last drawn for: it is current again.
    group.role_filter.value = ()
    assert drawn == ["themes", "profile", "profile"]
    assert "Redrawing" not in _widget_outputs(group.panels["themes"][1])
    assert "Redrawing" not in tabs._repr_mimebundle_()["text/html"]
    with pytest.raises(AssuredKitError, match="unknown panel"):
        group.charts(["nothing"])


def test_in_a_kernel_the_tab_opened_is_drawn_first(group):
    import asyncio

    tabs = group.charts(["themes", "profile", "roles"])
    standalone = group.panel("evidence")  # shown on its own: always on view
    assert standalone is not None
    drawn = _count_draws(group)

    async def change_then_open() -> None:
        group.theme_filter.value = ("WF",)
        assert drawn == []
        tabs.selected_index = 2  # before the open tab's turn: it is closed again, not drawn
        assert "Redrawing" in _widget_outputs(group.panels["roles"][1])
        for _ in range(50):
            await asyncio.sleep(0)
            if len(drawn) == 2:
                break
        for _ in range(3):
            await asyncio.sleep(0)

    asyncio.run(change_then_open())
    assert drawn == ["roles", "evidence"]
    assert "Redrawing" in _widget_outputs(group.panels["themes"][1])
    assert "Redrawing" not in _widget_outputs(group.panels["roles"][1])
    assert group._work is None and group._pending == []


def test_exported_tabs_show_every_chart_up_to_date(group):
    import base64

    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    tabs = group.charts(["themes", "profile", "years"])
    group.year_filter.value = tuple(group.year_filter.options[:1])  # years: cannot be drawn
    drawn = _count_draws(group)
    bundle = tabs._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live: the widget
    html = bundle["text/html"]
    # Every chart as a picture, the closed tabs' brought up to date first (no old picture).
    assert drawn == ["profile", "years"]
    pictures = re.findall(r"src='data:image/png;base64,([^']+)'", html)
    assert [base64.b64decode(p)[:4] for p in pictures] == [b"\x89PNG"] * 2
    assert pictures[1] == _png(group.panels["profile"][1])
    assert "Profile across the themes" in html and "need two years" in html
    year = group.year_filter.value[0]
    assert f"The charts as drawn for these filters: Year {year}." in html
    assert "Redrawing" not in html and "http" not in html  # nothing fetched from outside
    choose = WidgetsDataTypeFilter(notebook_metadata={}, resources={})
    choose.display_data_priority = HTMLExporter().default_config.NbConvertBase.display_data_priority
    assert choose(bundle)[0] == "text/html"


def test_the_summary_table_is_made_once_per_filter_change(group, monkeypatch):
    from assured_kit import summary
    from assured_kit.report import summary_text

    group.summary()
    made = _count_calls(monkeypatch, summary, "by_theme")
    group.role_filter.value = ("DCS",)
    assert len(made) == 1  # the HTML table and its plain-text form: one summary
    (shown,) = group.summary_output.outputs
    data, where = group.sliced()
    assert shown["data"]["text/plain"] == summary_text(data, where=where)
