"""Colours and type sizes for every chart, in one place.

Every chart draws the same level of a scale in the same colour, so charts can be compared side by
side, and every colour here is safe for the common forms of colour blindness:

- scale levels use Paul Tol's diverging *BuRd* scheme (red at the bottom of a scale, blue at the
  top, a near-white neutral in the middle of an odd-sized scale);
- evidence levels ("How do I know?") use Tol's sequential *YlOrBr* scheme (darker = firmer);
- the two roles and single highlighted marks use Tol's *vibrant* qualitative scheme;
- "Don't know" and suppressed figures are greys, and suppressed cells are hatched as well.

Colour is never the only carrier of meaning: charts also write the level, share or word on or
beside every mark. This module has no matplotlib import, so it is cheap to load.

Examples
--------
>>> from assured_kit import get_scale
>>> level_colours(get_scale("confidence"))[5]
'#2166AC'
>>> text_colour_on("#2166AC"), text_colour_on("#F7F7F7")
('white', 'black')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .scales import Scale

__all__ = [
    "AFTER",
    "AUTHORITY",
    "BEFORE",
    "BURD",
    "CLASS_COLOURS",
    "DONT_KNOW",
    "EDGE",
    "FLAG",
    "FONT_ANNOTATION",
    "FONT_LABEL",
    "FONT_TICK",
    "FONT_TITLE",
    "NO_DATA",
    "ROLE_COLOURS",
    "ROLE_MARKERS",
    "SPREAD_BOX",
    "SPREAD_RANGE",
    "SUPPRESSED",
    "SUPPRESSED_HATCH",
    "UNFOUNDED_HATCH",
    "YLORBR",
    "blend",
    "evidence_colours",
    "level_colours",
    "share_colour",
    "text_colour_on",
    "value_colour",
]

#: Paul Tol's diverging BuRd scheme, from the bottom of a scale (red) to the top (blue).
BURD = (
    "#B2182B",
    "#D6604D",
    "#F4A582",
    "#FDDBC7",
    "#F7F7F7",
    "#D1E5F0",
    "#92C5DE",
    "#4393C3",
    "#2166AC",
)
#: Paul Tol's sequential YlOrBr scheme, light to dark.
YLORBR = (
    "#FFFFE5",
    "#FFF7BC",
    "#FEE391",
    "#FEC44F",
    "#FB9A29",
    "#EC7014",
    "#CC4C02",
    "#993404",
    "#662506",
)

# Which BuRd colours a scale with n levels uses: symmetric, and even-sized scales skip the
# neutral middle so no level looks like "no opinion".
_BURD_PICKS = {
    2: (0, 8),
    3: (0, 4, 8),
    4: (0, 2, 6, 8),
    5: (0, 2, 4, 6, 8),
    6: (0, 1, 3, 5, 7, 8),
    7: (0, 1, 2, 4, 6, 7, 8),
    8: (0, 1, 2, 3, 5, 6, 7, 8),
    9: tuple(range(9)),
}
_YLORBR_PICKS = {2: (3, 7), 3: (2, 5, 8), 4: (2, 4, 6, 8), 5: (2, 3, 5, 7, 8)}

#: "Don't know": Tol's grey.
DONT_KNOW = "#BBBBBB"
#: Suppressed figures: a lighter grey, always drawn with `SUPPRESSED_HATCH` and a label.
SUPPRESSED = "#DDDDDD"
SUPPRESSED_HATCH = "///"
#: A cell with no answers at all (not suppressed, just empty).
NO_DATA = "#FFFFFF"
#: Outline of bars and cells, so the pale neutral level stays visible on a projector.
EDGE = "#444444"
#: Hatch for the unfounded-confidence cells (high confidence on evidence level 0 or 1).
UNFOUNDED_HATCH = "xx"
#: Tol's vibrant scheme: the two roles, with different marker shapes as well as colours.
ROLE_COLOURS = {"DCS": "#0077BB", "LM": "#EE7733", "Officer": "#009988", "Mixed": "#33BBEE"}
ROLE_MARKERS = {"DCS": "o", "LM": "s", "Officer": "^", "Mixed": "D"}
#: An authority's own position, drawn over the anonymised spread of the others.
AUTHORITY = "#EE3377"
#: Range (min-max) and quartile box of the other authorities.
SPREAD_RANGE = "#DDDDDD"
SPREAD_BOX = "#999999"
#: Change charts: the earlier value (hollow) and the later value (filled).
BEFORE = "#BBBBBB"
AFTER = "#0077BB"
#: Text flags (divergent roles, unfounded confidence).
FLAG = "#CC3311"
#: Classification words on theme profiles: strong/weak take the ends of the scale's palette.
CLASS_COLOURS = {
    "strong": BURD[8],
    "weak": BURD[0],
    "contested": "#AA3377",
    "mixed": "#777777",
    "no ratings": "#777777",
    "suppressed": "#777777",
}

#: Type sizes in points; nothing a projector audience must read is smaller than 14 pt.
FONT_TITLE = 20
FONT_LABEL = 16
FONT_TICK = 14
FONT_ANNOTATION = 14


def _rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02X}" for c in rgb)


def blend(colours: tuple[str, ...], position: float) -> str:
    """Return the colour at ``position`` (0 to 1) along a list of colours, blended linearly.

    Examples
    --------
    >>> blend(("#000000", "#FFFFFF"), 0.5)
    '#808080'
    """
    position = min(1.0, max(0.0, float(position)))
    scaled = position * (len(colours) - 1)
    i = min(int(scaled), len(colours) - 2)
    frac = scaled - i
    a, b = _rgb(colours[i]), _rgb(colours[i + 1])
    return _hex(tuple(x + (y - x) * frac for x, y in zip(a, b, strict=True)))  # type: ignore[arg-type]


def _pick(scheme: tuple[str, ...], picks: dict[int, tuple[int, ...]], n: int) -> list[str]:
    if n in picks:
        return [scheme[i] for i in picks[n]]
    return [blend(scheme, i / (n - 1)) for i in range(n)]


def level_colours(scale: Scale) -> dict[int, str]:
    """Return each level's colour (value -> hex), the same on every chart.

    Examples
    --------
    >>> from assured_kit import get_scale
    >>> level_colours(get_scale("rag"))
    {1: '#B2182B', 2: '#F7F7F7', 3: '#2166AC'}
    """
    return dict(zip(scale.values, _pick(BURD, _BURD_PICKS, len(scale.values)), strict=True))


def evidence_colours(scale: Scale) -> dict[int, str]:
    """Return each evidence level's colour (value -> hex), light for none, dark for triangulated.

    Examples
    --------
    >>> from assured_kit import get_scale
    >>> evidence_colours(get_scale("evidence"))[3]
    '#662506'
    """
    return dict(zip(scale.values, _pick(YLORBR, _YLORBR_PICKS, len(scale.values)), strict=True))


def share_colour(share: float) -> str:
    """Return the heatmap colour of a share from 0 (white) to 1 (the top of the scale's blue).

    Examples
    --------
    >>> share_colour(0.0), share_colour(1.0)
    ('#F7F7F7', '#2166AC')
    """
    return blend(BURD[4:], share)


def value_colour(value: float, scale: Scale) -> str:
    """Return the heatmap colour of a value on the scale (e.g. a median), red to blue.

    Examples
    --------
    >>> from assured_kit import get_scale
    >>> value_colour(3, get_scale("confidence"))
    '#F7F7F7'
    """
    span = scale.maximum - scale.minimum
    return blend(BURD, (float(value) - scale.minimum) / span)


def text_colour_on(background: str) -> str:
    """Return ``"black"`` or ``"white"``, whichever reads better on ``background``.

    Examples
    --------
    >>> text_colour_on("#B2182B")
    'white'
    """

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(background))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.18 else "white"
