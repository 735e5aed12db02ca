"""Steering-group analysis: many workshops in, filters, every chart, reports out.

The logic behind ``notebooks/steering_group.ipynb``. `load_steering_data` reads a folder of
workshop files and exports (or, pointed at nothing, writes the synthetic demo workshops into a
temporary folder and reads those); `filter_ratings` narrows the tidy table by year, authority,
role and theme; `SteeringGroup` wires both to ipywidgets: filter controls, one panel per chart of
`assured_kit.charts` redrawn whenever a filter changes, a summary table, and report exports.

Everything shown outside the room follows the privacy rules: the one disclosure rule of
`assured_kit.summary` (people counted; small groups withheld, and any figure that would give one
away), and the authority grid shows authorities as "Authority A", "B", ... from the analyst's
key (the same letters as the reports made from the same data) unless they are in
``named_authorities``. The filters pick a slice of the answers (`assured_kit.summary.where_from`):
every table, chart and report is made from the whole data with that slice as ``where``, so what
is withheld is decided on the whole data and agrees with every other output made from it, with
one value or several picked in a filter.
"""

from __future__ import annotations

import asyncio
import contextvars
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "PANELS",
    "SteeringData",
    "SteeringGroup",
    "figure_output",
    "filter_ratings",
    "html_output",
    "load_steering_data",
    "open_steering_group",
]


@dataclass
class SteeringData:
    """What the steering group works on: answers, actions and examples, and where they came from.

    Attributes
    ----------
    ratings : pandas.DataFrame
        The tidy ratings of every workshop read.
    actions, examples : pandas.DataFrame
        Actions and examples of good practice from the workshop files, with ``workshop_id``.
    sources : list of pathlib.Path
        What was read.
    demo : bool
        True when the demo workshops were generated because no source was given.
    """

    ratings: pd.DataFrame
    actions: pd.DataFrame
    examples: pd.DataFrame
    sources: list[Path]
    demo: bool


def load_steering_data(
    sources: str | Path | Sequence[str | Path] | None = None,
    *,
    demo_seed: int = 0,
    demo_folder: str | Path | None = None,
) -> SteeringData:
    """Read workshop files, folders and exports; with no source, open the demo workshops.

    Parameters
    ----------
    sources : path or sequence of paths, optional
        ``*.workshop.sqlite`` files, folders of them, tidy CSV/XLSX exports. None or empty: write
        the synthetic demo workshops (`demo_workshops`) into ``demo_folder`` (a new temporary
        folder by default) and read those.
    demo_seed : int
        Seed for the demo data.
    demo_folder : path, optional
        Where to write the demo workshops.

    Returns
    -------
    SteeringData

    Examples
    --------
    >>> data = load_steering_data()          # nothing given: the synthetic demo region
    >>> data.demo, bool(data.ratings["synthetic"].all())
    (True, True)
    """
    from .report import gather

    if sources is None or (isinstance(sources, str) and not sources.strip()):
        items: list[Path] = []
    elif isinstance(sources, str | Path):
        items = [Path(sources)]
    else:
        items = [Path(s) for s in sources]
    demo = not items
    if demo:
        from .demo import demo_workshops

        folder = (
            Path(demo_folder)
            if demo_folder is not None
            else Path(tempfile.mkdtemp(prefix="assured-kit-demo-"))
        )
        demo_workshops(folder, seed=demo_seed)
        items = [folder]
    for item in items:
        if not item.exists():
            raise AssuredKitError(
                f"{str(item)!r} does not exist",
                field="sources",
                allowed="workshop files, folders of them, tidy CSV/XLSX exports",
                hint="a typing slip in the path, or a path relative to another folder",
            )
    ratings, actions, examples = gather(items)
    return SteeringData(ratings, actions, examples, items, demo)


def filter_ratings(
    ratings: pd.DataFrame,
    *,
    years: Iterable[int] | int | None = None,
    authorities: Iterable[str] | str | None = None,
    roles: Iterable[str] | str | None = None,
    themes: Iterable[str] | str | None = None,
    workshops: Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """Keep the answers from the chosen years, authorities, respondent roles, themes, workshops.

    ``None`` (or an empty selection) keeps everything for that filter. To *summarise* a slice,
    pass the whole data and ``where=where_from(...)`` instead (`assured_kit.summary.where_from`):
    a filtered table summarised on its own would withhold differently from the whole data's
    outputs, and the two could be subtracted.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Tidy ratings.
    years : int or iterable of int, optional
        Years the workshops were held (from ``held_on``).
    authorities : str or iterable of str, optional
        Respondents' authorities.
    roles : str or iterable of str, optional
        Respondents' roles: DCS, LM, Officer, Mixed.
    themes : str or iterable of str, optional
        Theme ids, e.g. ``"WF"``.
    workshops : str or iterable of str, optional
        Workshops by id or by title (exactly as shown in the reports).

    Returns
    -------
    pandas.DataFrame
        The rows kept, columns and dtypes unchanged.

    Raises
    ------
    AssuredKitError
        For a theme, role or workshop that does not exist (a typing slip would otherwise show
        nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"held_on": pd.to_datetime(["2025-03-01", "2026-03-01"]),
    ...     "authority": ["Derby", "Rutland"], "role": ["DCS", "LM"], "theme_id": ["LA", "WF"]})
    >>> filter_ratings(answers, years=2026)["authority"].tolist()
    ['Rutland']
    >>> len(filter_ratings(answers, roles=["DCS", "LM"], themes=None))
    2
    """
    from .summary import where_from, where_mask

    chosen = where_from(
        ratings,
        years=years,
        authorities=authorities,
        roles=roles,
        themes=themes,
        workshops=workshops,
    )
    return ratings[where_mask(ratings, chosen)]


# --------------------------------------------------------------------------- outputs


#: Resolution of a panel's picture (dots per inch of the figure's size).
_PANEL_DPI = 80


def figure_output(figure: Any, title: str = "chart") -> dict[str, Any]:
    """Render a matplotlib figure as one notebook output (PNG), then close it.

    Setting an ``ipywidgets.Output``'s ``outputs`` to such items works the same inside and
    outside a running kernel (so the widgets are testable without a browser) and replaces
    the old picture in one step, without flicker.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> sorted(figure_output(Figure(figsize=(2, 1)))["data"])
    ['image/png', 'text/plain']
    """
    import base64

    import matplotlib.pyplot as plt

    from .charts import png_bytes

    try:
        png = png_bytes(figure, dpi=_PANEL_DPI)
    finally:
        if plt.fignum_exists(getattr(figure, "number", -1)):
            plt.close(figure)
    return {
        "output_type": "display_data",
        "data": {
            "image/png": base64.b64encode(png).decode("ascii"),
            "text/plain": f"<{title}>",
        },
        "metadata": {},
    }


def html_output(html: str, text: str = "") -> dict[str, Any]:
    """Return one notebook output holding ``html`` (already escaped by the caller).

    Examples
    --------
    >>> html_output("<i>none</i>")["data"]["text/html"]
    '<i>none</i>'
    """
    return {
        "output_type": "display_data",
        "data": {"text/html": html, "text/plain": text or html},
        "metadata": {},
    }


def _first_png(out: Any) -> str | None:
    """Return the base64 PNG an ``ipywidgets.Output`` shows, or None."""
    for item in out.outputs:
        data = item.get("data", {})
        if "image/png" in data:
            return str(data["image/png"])
    return None


def _panel_box(children: list[Any], out: Any, fresh: Callable[[], None]) -> Any:
    """Return a VBox of a panel whose display also carries its chart as a static PNG.

    A live notebook shows the widget (redrawn when a filter changes). An exported notebook, or
    one opened without its widget state, has no widget to show: it falls back to the PNG of
    the chart, so the charts are there offline (nothing fetched to draw them). ``fresh`` brings
    the panel up to date with the filters first (a panel in a closed tab may not be).
    """
    import ipywidgets as w

    class PanelBox(w.VBox):  # type: ignore[misc]
        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            fresh()
            bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
            png = _first_png(out)
            if png is not None:
                bundle["image/png"] = png
            return bundle

    return PanelBox(children)


def _widget_says_redrawing(out: Any) -> bool:
    """Return whether an ``ipywidgets.Output`` already says its panel is being redrawn."""
    return any(o.get("data", {}).get("text/html") == _REDRAWING for o in out.outputs)


def _tabs_box(group: SteeringGroup, names: list[str]) -> Any:
    """Return a Tab of the panels ``names``, whose display also carries every chart as HTML.

    Only the open tab's chart is redrawn when a filter changes (see `SteeringGroup.charts`).
    An exported notebook, or one opened without its widget state, shows every chart instead:
    one self-contained HTML block of their pictures, each brought up to date first.
    """
    import ipywidgets as w

    from .safety import escape_html

    class ChartTabs(w.Tab):  # type: ignore[misc]
        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
            parts = []
            for name in names:
                group._bring_up_to_date(name)
                title = escape_html(PANELS[name][0])
                out = group.panels[name][1]
                png = _first_png(out)
                if png is None:
                    body = "".join(
                        str(o.get("data", {}).get("text/html", "")) for o in out.outputs
                    )
                else:
                    body = f"<img alt='{title}' src='data:image/png;base64,{png}'>"
                parts.append(f"<section><h3>{title}</h3>{body}</section>")
            when = escape_html(group.filters_text())
            caption = f"<p><i>The charts as drawn for these filters: {when}.</i></p>"
            bundle["text/html"] = caption + "".join(parts)
            return bundle

    tabs = ChartTabs([group.panel(name) for name in names])
    tabs.titles = tuple(_TAB_TITLES.get(name, name) for name in names)
    tabs.selected_index = 0
    return tabs


def _filter_options(ratings: pd.DataFrame) -> tuple[list[int], list[str], list[str]]:
    """Return the years, authorities and roles present, as the filters offer them."""
    years = sorted({int(y) for y in pd.to_datetime(ratings["held_on"]).dt.year.dropna()})
    from .anonymity import authorities_of

    authorities = sorted(authorities_of(ratings))
    roles = [x for x in ("DCS", "LM", "Officer", "Mixed") if (ratings["role"] == x).any()]
    return years, authorities, roles


#: The columns of the steering group's theme table, in order.
_SUMMARY_COLUMNS = (
    "theme_title",
    "n_respondents",
    "n_answers",
    "median",
    "top_share",
    "bottom_share",
    "dont_know_share",
    "classification",
)


def summary_html(table: pd.DataFrame) -> str:
    """Return a theme summary (`assured_kit.summary.by_theme`) as an HTML table in plain words.

    Shares are written as percentages; a withheld row says so instead of showing figures.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"theme_title": ["Workforce"], "n_respondents": [4], "n_answers": [8],
    ...     "median": [4.0], "top_share": [0.75], "bottom_share": [0.0],
    ...     "dont_know_share": [0.0], "classification": ["strong"], "suppressed": [False]})
    >>> "<td>75%</td>" in summary_html(t)
    True
    """
    from .safety import escape_html
    from .summary import suppressed_text
    from .text import percent
    from .workbook import column_heading

    columns = [c for c in _SUMMARY_COLUMNS if c in table.columns]
    head = "".join(f"<th>{escape_html(column_heading(c))}</th>" for c in columns)
    rows = []
    for row in table.itertuples(index=False):
        cells = []
        for c in columns:
            value = getattr(row, c)
            hidden = bool(getattr(row, "suppressed", False)) and c not in (
                "theme_title",
                "classification",
            )
            if hidden:
                text = suppressed_text(int(table.attrs.get("min_group", 3)))
            elif value is None or pd.isna(value):
                text = "–"
            elif c.endswith("_share"):
                text = percent(value)
            elif c == "median":
                text = f"{float(value):g}"
            else:
                text = str(value)
            cells.append(f"<td>{escape_html(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        "<table style='border-collapse:collapse;font-size:1.05em' border='1' cellpadding='4'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


# --------------------------------------------------------------------------- panels


def _anonymised_grid(group: SteeringGroup, ratings: pd.DataFrame, ax: Axes | None) -> Axes:
    from . import charts
    from .anonymity import AuthorityNames, authorities_in
    from .framework import load_framework
    from .summary import summarise

    data, where = group.sliced()
    table = summarise(data, by=["theme_id", "authority"], min_group=group.min_group, where=where)
    table = table[table["authority"].notna()]
    # Letters over every authority of the data set, from the analyst's key: the same letters
    # as in every report made from this data with that key.
    names = AuthorityNames(
        authorities_in(group.data.ratings, group.data.examples, load_framework())
        | set(group.named_authorities),
        named=group.named_authorities,
        seed=group.anonymity_seed,
        key=group.key,
    )
    table = table.assign(authority=[names.label(a) for a in table["authority"]])
    return charts.heatmap(
        table, rows="theme_id", columns="authority", ax=ax, title="Authorities by theme"
    )


def _position(group: SteeringGroup, _ratings: pd.DataFrame, ax: Axes | None) -> Axes:
    from . import charts

    authority = group.position_authority.value
    if not authority:
        raise AssuredKitError("choose an authority to place against the region", field="authority")
    # The spread needs the whole region: every filter but the authority one.
    data, where = group.sliced(ignore_authority=True)
    return charts.authority_spread(
        data, authority, min_group=group.min_group, ax=ax, where=where
    )


def _chart(name: str) -> Callable[[SteeringGroup, pd.DataFrame, Axes | None], Axes]:
    def draw(group: SteeringGroup, ratings: pd.DataFrame, ax: Axes | None) -> Axes:
        from . import charts

        data, where = group.sliced()
        kw: dict[str, Any] = {"min_group": group.min_group, "ax": ax, "where": where}
        if name == "themes":
            return charts.diverging_bars(data, by="theme_id", **kw)
        if name == "questions":
            return charts.diverging_bars(data, by="question_id", **kw)
        if name == "profile":
            return charts.theme_profile(data, **kw)
        if name == "roles":
            return charts.role_pairs(data, **kw)
        if name == "evidence":
            return charts.confidence_evidence(data, **kw)
        if name == "rounds":
            return charts.change_dumbbell(data, between="round", **kw)
        if name == "years":
            # The two latest years picked (or present) are compared, in the slice of the
            # other filters.
            years = sorted(int(y) for y in group.year_filter.value)
            if len(years) == 1:
                raise AssuredKitError(
                    f"need two years to compare, and only {years[0]} is chosen: pick two, or none",
                    field="year",
                )
            if where:
                where.pop("year", None)
            sides = {"before": years[-2], "after": years[-1]} if years else {}
            return charts.change_dumbbell(data, between="year", **kw, **sides)
        raise AssuredKitError(f"unknown chart {name!r}", field="panel")  # pragma: no cover

    return draw


#: Panel name -> (title, drawing function).
PANELS: dict[str, tuple[str, Callable[..., Axes]]] = {
    "themes": ("Where confidence is strong, weak or contested, by theme", _chart("themes")),
    "questions": ("By question", _chart("questions")),
    "profile": ("Profile across the themes", _chart("profile")),
    "heatmap": ("Themes against authorities (anonymised)", _anonymised_grid),
    "roles": ("Directors and Lead Members side by side", _chart("roles")),
    "evidence": ("Confidence against evidence: how do we know?", _chart("evidence")),
    "position": ("An authority against the spread of the region", _position),
    "rounds": ("Change after discussion (round 1 to round 2)", _chart("rounds")),
    "years": ("Change between the two latest years", _chart("years")),
}


#: Short names of the panels on the tabs of `SteeringGroup.charts`.
_TAB_TITLES = {
    "themes": "Themes",
    "questions": "Questions",
    "profile": "Profile",
    "heatmap": "Authorities",
    "roles": "DCS and LM",
    "evidence": "Evidence",
    "position": "One authority",
    "rounds": "After discussion",
    "years": "Between years",
}

#: How many drawn panels are kept, for going back to earlier filters (a PNG each).
_DRAWN_KEPT = 64
_REDRAWING = "<i>Redrawing for the new filters…</i>"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """Return the event loop running now (a notebook kernel's), or None (a script, a test)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class SteeringGroup:
    """The steering-group notebook's controller: filters, chart panels, summary, exports.

    Parameters
    ----------
    data : SteeringData
        From `load_steering_data`.
    min_group : int
        Figures resting on fewer people are suppressed, with any figure that would give them
        away (3 by default; see `assured_kit.summary.describe_disclosure`).
    named_authorities : sequence of str
        Authorities that agreed to be named in the authority grid and in reports.
    anonymity_seed : int, optional
        A fixed anonymity key (tests only).
    key : path, optional
        The analyst's anonymity key file; by default the one beside the data (written on first
        use), so the letters agree with every report made from the same data.
    allow_small_groups : bool
        Required with ``min_group=1``; every panel, summary and report then says so.

    Examples
    --------
    >>> sg = SteeringGroup(load_steering_data())
    >>> sg.theme_filter.value = ("WF",)
    >>> set(sg.filtered()["theme_id"].astype(str))
    {'WF'}
    """

    def __init__(
        self,
        data: SteeringData,
        *,
        min_group: int = 3,
        named_authorities: Sequence[str] = (),
        anonymity_seed: int | None = None,
        key: str | Path | None = None,
        allow_small_groups: bool = False,
    ) -> None:
        import ipywidgets as w

        from .anonymity import key_path
        from .summary import check_min_group

        self.min_group = check_min_group(min_group, allow_small_groups=allow_small_groups)
        self.allow_small_groups = allow_small_groups
        self.key = key_path(key, beside=data.sources[0] if data.sources else None)
        self.data = data
        self.named_authorities = tuple(named_authorities)
        self.anonymity_seed = anonymity_seed
        years, authorities, roles = _filter_options(data.ratings)
        from .framework import load_framework

        fw = load_framework()
        themes = [(fw.theme_title(t), t) for t in fw.theme_ids]
        layout = w.Layout(width="15em", height="8em")
        self.year_filter = w.SelectMultiple(options=years, description="Year", layout=layout)
        self.authority_filter = w.SelectMultiple(
            options=authorities, description="Authority", layout=layout
        )
        self.role_filter = w.SelectMultiple(options=roles, description="Role", layout=layout)
        self.theme_filter = w.SelectMultiple(options=themes, description="Theme", layout=layout)
        self.status = w.HTML()
        self.position_authority = w.Dropdown(
            options=[("(choose)", "")] + [(a, a) for a in authorities],
            description="Authority",
        )
        self.panels: dict[str, tuple[Any, Any]] = {}
        # Drawn panels by what they show (see `_panel_key`): going back to earlier filters
        # shows them again at once, and a panel whose inputs did not change is not redrawn.
        self._drawn: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._shown: dict[str, tuple[Any, ...]] = {}
        # The panels on the tabs of `charts`, in order: only the open one is redrawn at once.
        self._tabs: Any = None
        self._in_tabs: list[str] = []
        self._data_version = 0
        # In a kernel: panels waiting to be redrawn, and the event loop redrawing them.
        self._pending: list[str] = []
        self._stepping_on: asyncio.AbstractEventLoop | None = None
        # While panels wait to be redrawn in a kernel: the context their summaries share work
        # in (`assured_kit.summary.reusing_work`), and that block, left when the last is drawn.
        self._work: tuple[contextvars.Context, Any] | None = None
        # The answers the filters keep, for the filters chosen last (see `filtered`).
        self._kept: tuple[tuple[Any, ...], pd.DataFrame] | None = None
        # Every control a refresh follows: a panel's picture is kept per their values.
        self._filter_controls = (
            self.year_filter,
            self.authority_filter,
            self.role_filter,
            self.theme_filter,
        )
        for control in self._filter_controls:
            control.observe(lambda _change: self.refresh(), names="value")
        self.position_authority.observe(lambda _c: self.refresh(only="position"), names="value")
        self.filters = w.VBox(
            [
                w.HTML(
                    "<b>Filters</b> (choose none to keep everything; Ctrl/Cmd-click for several)"
                ),
                w.HBox(
                    [self.year_filter, self.authority_filter, self.role_filter, self.theme_filter]
                ),
                self.status,
            ]
        )
        self.summary_output = w.Output()
        self.export_controls: dict[str, Any] = {}
        self._update_status()

    # ------------------------------------------------------------------ data

    def load(self, sources: Sequence[str | Path]) -> None:
        """Read other workshop files, folders or exports and redraw everything for them.

        The filters offer the years, authorities and roles of the new answers (choices that
        no longer exist are dropped). Nothing changes if the files cannot be read.
        """
        from .anonymity import key_path

        data = load_steering_data(list(sources))  # raises before anything is replaced
        self.data = data
        self._data_version += 1
        self._drawn.clear()
        self.key = key_path(None, beside=data.sources[0] if data.sources else None)
        years, authorities, roles = _filter_options(data.ratings)
        for control, options in (
            (self.year_filter, years),
            (self.authority_filter, authorities),
            (self.role_filter, roles),
        ):
            kept = tuple(v for v in control.value if v in options)
            with control.hold_trait_notifications():
                control.value = ()
                control.options = options
                control.value = kept
        self.position_authority.options = [("(choose)", "")] + [(a, a) for a in authorities]
        self.refresh()

    def picker(self, folder: str | Path | None = None) -> Any:
        """Return a widget to choose the workshop files and folders to read, without code.

        Type or paste a folder, press *Find files* to list the workshop files
        (``*.workshop.sqlite``) and answer exports (``.csv``, ``.xlsx``) in it and its
        subfolders, choose some (none chosen: the whole folder), then *Read these*.
        """
        import ipywidgets as w

        from .safety import escape_html

        where = w.Text(
            value=str(folder or ""),
            description="Folder",
            placeholder="e.g. C:\\Users\\me\\Workshops",
            layout=w.Layout(width="40em"),
        )
        files = w.SelectMultiple(options=[], description="Files", layout=w.Layout(width="40em"))
        find = w.Button(description="Find files")
        read = w.Button(description="Read these", button_style="primary")
        message = w.HTML()

        def look(_button: Any = None) -> None:
            base = Path(where.value.strip().strip('"'))
            if not where.value.strip() or not base.is_dir():
                files.options = []
                message.value = f"<i>{escape_html(str(base))} is not a folder.</i>"
                return
            found = sorted(
                path
                for pattern in ("*.workshop.sqlite", "*.csv", "*.xlsx")
                for path in base.rglob(pattern)
            )
            files.options = [(str(p.relative_to(base)), str(p)) for p in found]
            message.value = f"{len(found)} file(s) found."

        def load(_button: Any) -> None:
            chosen = list(files.value) or ([where.value.strip().strip('"')] if where.value else [])
            try:
                self.load(chosen)
            except AssuredKitError as exc:
                message.value = f"<i>{escape_html(str(exc))}</i>"
                return
            message.value = escape_html(
                f"Read {len(self.data.ratings):,} answers from {len(chosen)} source(s)."
            )

        find.on_click(look)
        read.on_click(load)
        self.picker_controls = {"folder": where, "files": files, "find": find, "read": read}
        self.picker_message = message
        if folder is not None:
            look()
        return w.VBox([w.HBox([where, find]), files, read, message])

    def sliced(
        self, *, ignore_authority: bool = False
    ) -> tuple[pd.DataFrame, dict[str, Any] | None]:
        """Return the answers to summarise (all of them) and the ``where`` slice to show.

        The chosen years, authorities, roles and themes are one slice of the whole data
        (`assured_kit.summary.where_from`): summaries are made from every answer with
        ``where``, so what is withheld agrees with the reports made from the same data. Where
        a filter picks several values, their answers are summed and a sum is shown only where
        each of its parts is.
        """
        from .summary import where_from

        where = where_from(
            self.data.ratings,
            years=self.year_filter.value,
            authorities=None if ignore_authority else self.authority_filter.value,
            roles=self.role_filter.value,
            themes=self.theme_filter.value,
        )
        return self.data.ratings, dict(where) or None

    def filtered(self, *, ignore_authority: bool = False) -> pd.DataFrame:
        """Return the answers the filters keep (worked out once per choice of filters)."""
        key = (
            self._data_version,
            id(self.data),
            id(self.data.ratings),
            ignore_authority,
            *(control.value for control in self._filter_controls),
        )
        if self._kept is None or self._kept[0] != key:
            from .summary import where_mask

            ratings, where = self.sliced(ignore_authority=ignore_authority)
            self._kept = (key, ratings[where_mask(ratings, where)])
        return self._kept[1]

    def filters_text(self) -> str:
        """Return the filters chosen, in plain words.

        Examples
        --------
        >>> sg = open_steering_group()
        >>> sg.filters_text()
        'none (every answer)'
        >>> sg.role_filter.value = ("DCS", "LM")
        >>> sg.theme_filter.value = ("WF",)
        >>> sg.filters_text()
        'Role DCS, LM; Theme Workforce'
        """
        labels = {value: str(label) for label, value in self.theme_filter.options}
        chosen = []
        for control in self._filter_controls:
            if control.value:
                values = ", ".join(labels.get(v, str(v)) for v in control.value)
                chosen.append(f"{control.description} {values}")
        return "; ".join(chosen) or "none (every answer)"

    def _update_status(self) -> None:
        from .safety import escape_html

        r = self.filtered()
        people = r[["workshop_id", "respondent_id"]].drop_duplicates() if len(r) else r
        where = (
            "the synthetic demo workshops"
            if self.data.demo
            else ", ".join(str(s) for s in self.data.sources)
        )
        from .summary import describe_disclosure

        self.status.value = (
            f"{len(r):,} answers from {len(people):,} respondents in "
            f"{r['workshop_id'].nunique() if len(r) else 0} workshops; source: "
            f"{escape_html(where)}. {escape_html(describe_disclosure(self.min_group))}"
        )

    # ------------------------------------------------------------------ panels

    def draw(self, name: str, ax: Axes | None = None) -> Axes:
        """Draw one panel's chart for the current filters and return its Axes.

        Raises
        ------
        AssuredKitError
            For an unknown panel, or a chart the filtered answers cannot make (e.g. change
            between years with one year chosen).
        """
        if name not in PANELS:
            raise AssuredKitError(
                f"unknown panel {name!r}", field="panel", allowed=", ".join(PANELS)
            )
        draw = PANELS[name][1]
        return draw(self, self.filtered(), ax)

    def panel(self, name: str) -> Any:
        """Return the widget of one chart panel; it is redrawn whenever a filter changes."""
        import ipywidgets as w

        if name not in PANELS:
            raise AssuredKitError(
                f"unknown panel {name!r}", field="panel", allowed=", ".join(PANELS)
            )
        if name not in self.panels:
            title = PANELS[name][0]
            out = w.Output()
            parts = [w.HTML(f"<h3>{title}</h3>")]
            if name == "position":
                parts.append(self.position_authority)
            box = _panel_box([*parts, out], out, lambda: self._bring_up_to_date(name))
            self.panels[name] = (box, out)
            self._render(name)
        return self.panels[name][0]

    def charts(self, names: Sequence[str] | None = None) -> Any:
        """Return the chart panels (every one by default) on tabs, one chart a tab.

        When a filter changes, only the chart on the open tab is redrawn, so what the analyst
        looks at is up to date in well under a second; a chart on a closed tab says it is
        being redrawn and is drawn when its tab is opened (or shown again at once if it was
        drawn before for these filters). An exported notebook, or one opened without its
        widget state, shows every chart as a picture, each up to date, under a line naming the
        filters they were drawn for. A group has one set of tabs: later calls return it. A
        panel on the tabs is redrawn only while its tab is open, even if also shown elsewhere.

        Examples
        --------
        >>> sg = open_steering_group()
        >>> tabs = sg.charts(["themes", "profile"])
        >>> tabs.titles
        ('Themes', 'Profile')
        """
        chosen = list(PANELS) if names is None else list(names)
        for name in chosen:
            if name not in PANELS:
                raise AssuredKitError(
                    f"unknown panel {name!r}", field="panel", allowed=", ".join(PANELS)
                )
        if self._tabs is not None:
            return self._tabs
        self._in_tabs = chosen
        self._tabs = _tabs_box(self, chosen)
        self._tabs.observe(lambda _change: self._open_tab(), names="selected_index")
        return self._tabs

    def _visible(self, name: str) -> bool:
        """Return whether panel ``name`` is on view: on its own, or on the open tab."""
        if name not in self._in_tabs or self._tabs is None:
            return True
        index = self._tabs.selected_index
        return index is not None and self._in_tabs[index] == name

    def _open_tab(self) -> None:
        """Bring the chart on the tab just opened up to date (first in the queue, in a kernel)."""
        index = self._tabs.selected_index
        if index is None:
            return
        name = self._in_tabs[index]
        self.refresh(only=name)
        if name in self._pending[1:]:  # in a kernel: drawn before any other panel waiting
            self._pending.remove(name)
            self._pending.insert(0, name)

    def _bring_up_to_date(self, name: str) -> None:
        """Draw panel ``name`` now if what it shows is not for the current filters, or says so."""
        out = self.panels[name][1]
        if self._shown.get(name) != self._panel_key(name) or _widget_says_redrawing(out):
            from .summary import reusing_work

            with reusing_work():
                self._render(name)
            if name in self._pending:
                self._pending.remove(name)

    def _panel_key(self, name: str) -> tuple[Any, ...]:
        """Return what panel ``name`` shows depends on: the data read and the filters it reads."""
        position = name == "position"  # placed against the region: no authority filter
        filters = tuple(
            control.value
            for control in self._filter_controls
            if not (position and control is self.authority_filter)
        )
        chosen = self.position_authority.value if position else None
        return (
            name,
            self._data_version,
            id(self.data),
            self.min_group,
            self.named_authorities,
            filters,
            chosen,
        )

    def _render(self, name: str) -> None:
        """Draw panel ``name`` for the current filters (or show it as drawn before for them)."""
        _box, out = self.panels[name]
        key = self._panel_key(name)
        if key not in self._drawn:
            self._drawn[key] = self._draw_output(name)
            while len(self._drawn) > _DRAWN_KEPT:
                self._drawn.popitem(last=False)
        self._drawn.move_to_end(key)
        if self._shown.get(name) != key or out.outputs != (self._drawn[key],):
            out.outputs = (self._drawn[key],)  # unchanged pictures are not sent again
        self._shown[name] = key

    def _draw_output(self, name: str) -> dict[str, Any]:
        """Draw panel ``name`` and return it as one notebook output (a PNG, or a message)."""
        import matplotlib.pyplot as plt

        from .safety import escape_html

        if not len(self.filtered()) and name != "position":
            return html_output("<i>No answers match the filters.</i>")
        before = set(plt.get_fignums())
        try:
            ax = self.draw(name)
        except AssuredKitError as exc:
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
            return html_output(f"<i>{escape_html(str(exc))}</i>")
        return figure_output(ax.figure, PANELS[name][0])

    def refresh(self, only: str | None = None) -> None:
        """Redraw every panel on view (or just ``only``) and the summary, for the current filters.

        Only panels whose inputs changed are drawn again; one drawn before for the same filters
        is shown again at once. A panel on a closed tab of `charts` is not drawn: it says it is
        being redrawn, and is drawn when its tab is opened. Inside a running notebook kernel
        the status and the summary table change at once and the panels on view are redrawn one
        after another on the kernel's event loop, each saying "Redrawing" until its new picture
        replaces the old: a filter change answers at once, and each panel is drawn once, for the
        filters chosen when its turn comes, however many changes came meanwhile. Without an
        event loop (a script, the tests) every panel on view is redrawn before this returns.

        The summaries behind the table and the panels of one redraw share the work each would
        repeat on the same answers (`assured_kit.summary.reusing_work`).
        """
        from .summary import reusing_work

        names = [n for n in self.panels if only is None or n == only]
        for name in names:
            if not self._visible(name):
                self._set_aside(name)
        names = [n for n in names if self._visible(n)]
        loop = _running_loop()
        if loop is None:
            with reusing_work():
                self._update_status()
                if only is None:
                    self._render_summary()
                for name in names:
                    self._render(name)
            return
        if self._work is None:
            work = reusing_work()
            context = contextvars.copy_context()
            context.run(work.__enter__)
            self._work = (context, work)
        context = self._work[0]
        context.run(self._update_status)
        if only is None:
            context.run(self._render_summary)
        for name in names:
            key = self._panel_key(name)
            if key in self._drawn:  # unchanged, or drawn before for these filters
                if name in self._pending:
                    self._pending.remove(name)
                context.run(self._render, name)
                continue
            self._mark_redrawing(name)
            if name not in self._pending:
                self._pending.append(name)
        if self._pending and self._stepping_on is not loop:
            self._stepping_on = loop
            loop.call_soon(self._step, loop, context=context)
        elif not self._pending and self._stepping_on is None:
            self._leave_work()

    def _mark_redrawing(self, name: str) -> None:
        """Say panel ``name`` is being redrawn, keeping its old picture below until replaced."""
        _box, out = self.panels[name]
        old = tuple(o for o in out.outputs if "image/png" in o.get("data", {}))
        out.outputs = (html_output(_REDRAWING), *old)

    def _set_aside(self, name: str) -> None:
        """Leave panel ``name`` (on a closed tab) undrawn, saying so if it is out of date."""
        key = self._panel_key(name)
        if name in self._pending:
            self._pending.remove(name)
        if key in self._drawn:  # drawn before for these filters: shown again, at no cost
            self._render(name)
        elif self._shown.get(name) != key and not _widget_says_redrawing(self.panels[name][1]):
            self._mark_redrawing(name)

    def _step(self, loop: asyncio.AbstractEventLoop) -> None:
        """Redraw the next panel waiting (for the filters chosen now), then let the kernel in."""
        while self._pending and not self._visible(self._pending[0]):
            self._pending.pop(0)  # its tab was closed meanwhile: drawn when opened again
        if not self._pending:
            self._stepping_on = None
            loop.call_soon(self._leave_work)  # from outside the block's own context
            return
        try:
            self._render(self._pending.pop(0))
        finally:  # a chart that fails to draw does not stop the others
            if self._pending and self._work is not None:
                loop.call_soon(self._step, loop, context=self._work[0])
            else:
                self._stepping_on = None
                loop.call_soon(self._leave_work)  # from outside the block's own context

    def _leave_work(self) -> None:
        """End the block of shared summary work opened for the panels waiting in a kernel."""
        if self._work is not None and not self._pending and self._stepping_on is None:
            context, work = self._work
            self._work = None
            context.run(work.__exit__, None, None, None)

    # ------------------------------------------------------------------ tables and exports

    def summary_table(self) -> pd.DataFrame:
        """Return the theme-by-theme summary of the filtered answers (suppression applied)."""
        from .summary import by_theme

        data, where = self.sliced()
        return by_theme(data, min_group=self.min_group, where=where)

    def summary(self) -> Any:
        """Return a widget with the theme table (suppressed rows say so), kept up to date."""
        self._render_summary()
        return self.summary_output

    def _render_summary(self) -> None:
        from .report import summary_text

        r = self.filtered()
        if not len(r):
            self.summary_output.outputs = (html_output("<i>No answers match the filters.</i>"),)
            return
        data, where = self.sliced()
        table = self.summary_table()
        text = summary_text(
            data,
            min_group=self.min_group,
            allow_small_groups=self.allow_small_groups,
            where=where,
            table=table,  # the one the HTML shows, not made twice
        )
        self.summary_output.outputs = (html_output(summary_html(table), text),)

    def export_report(
        self, path: str | Path, *, scope: str = "region", authority: str | None = None
    ) -> Path:
        """Write a report (``.html`` or ``.xlsx``) of the filtered answers.

        The report is made from the whole data with the filters as its slice (see `sliced`).
        For ``scope="authority"`` the authority filter is ignored, so the authority is placed
        against the whole (filtered) region.
        """
        from .report import write_report

        ratings = self.filtered(ignore_authority=scope == "authority")
        _data, where = self.sliced(ignore_authority=scope == "authority")
        kept = set(ratings["workshop_id"].astype(str)) if len(ratings) else set()
        actions = self.data.actions
        examples = self.data.examples
        if len(actions):
            actions = actions[actions["workshop_id"].astype(str).isin(kept)]
        if len(examples):
            examples = examples[examples["workshop_id"].astype(str).isin(kept)]
        if self.theme_filter.value:
            chosen = list(self.theme_filter.value)
            actions = (
                actions[actions["theme_id"].astype(str).isin(chosen)] if len(actions) else actions
            )
            examples = (
                examples[examples["theme_id"].astype(str).isin(chosen)]
                if len(examples)
                else examples
            )
        return write_report(
            path,
            self.data.ratings,
            where=where,
            scope=scope,
            authority=authority,
            min_group=self.min_group,
            actions=actions,
            examples=examples,
            named_authorities=self.named_authorities,
            key=self.key,
            allow_small_groups=self.allow_small_groups,
        )

    def exporter(self) -> Any:
        """Return the export controls: a file name, the scope, an authority and a button."""
        import ipywidgets as w

        from .safety import escape_html

        path = w.Text(
            value="steering-group-report.html",
            description="File",
            layout=w.Layout(width="30em"),
        )
        scope = w.Dropdown(
            options=[
                ("Region", "region"),
                ("One authority", "authority"),
                ("One workshop", "workshop"),
            ],
            value="region",
            description="Report for",
        )
        authority = w.Dropdown(
            options=[("(none)", None)] + [(a, a) for a in self.authority_filter.options],
            description="Authority",
        )
        button = w.Button(description="Write report", button_style="primary", icon="file")
        result = w.HTML("<i>Nothing is written until you press the button.</i>")

        def write(_button: Any) -> None:
            try:
                written = self.export_report(
                    path.value, scope=scope.value, authority=authority.value
                )
            except AssuredKitError as exc:
                result.value = f"<b>Not written:</b> {escape_html(str(exc))}"
                return
            result.value = f"Written: <code>{escape_html(str(written))}</code>"

        button.on_click(write)
        box = w.VBox([w.HBox([path, scope, authority]), button, result])
        self.export_controls = {
            "path": path,
            "scope": scope,
            "authority": authority,
            "button": button,
            "result": result,
        }
        return box


def open_steering_group(
    sources: str | Path | Sequence[str | Path] | None = None,
    *,
    min_group: int = 3,
    named_authorities: Sequence[str] = (),
    demo_seed: int = 0,
    key: str | Path | None = None,
    allow_small_groups: bool = False,
) -> SteeringGroup:
    """Load the sources (or the demo workshops, given nothing) and return the controller.

    ``key`` and ``allow_small_groups`` are as for `SteeringGroup`.

    Examples
    --------
    >>> sg = open_steering_group()
    >>> sg.data.demo
    True
    """
    data = load_steering_data(sources, demo_seed=demo_seed)
    return SteeringGroup(
        data,
        min_group=min_group,
        named_authorities=named_authorities,
        key=key,
        allow_small_groups=allow_small_groups,
    )
