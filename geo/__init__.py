"""Geographic helpers of every map: haversine distance, the one classifier (quantiles, pandas `qcut`), the one
palette (viridis, sequential and colour-blind safe) and the legend drawn from it (an SVG image, no emoji)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import pandas as pd

from queries.binning import EARTH_RADIUS_KM

# Viridis in five classes, light (low values) → dark (high values): sequential, perceptually uniform, readable with
# every common colour vision deficiency and in grey (van der Walt & Smith, matplotlib's default colormap since 2.0;
# https://bids.github.io/colormap/). Legends name classes by number and lightness (« classe 1, la plus claire »),
# never by colour names. The names below are kept for the dataset page's legend.
PALETTE: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("jaune", (253, 231, 37)),
    ("vert", (94, 201, 98)),
    ("bleu-vert", (33, 145, 140)),
    ("bleu", (59, 82, 139)),
    ("violet foncé", (68, 1, 84)),
)
NO_DATA: tuple[str, tuple[int, int, int]] = ("gris clair", (224, 224, 224))
CLASSES = len(PALETTE)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (km) between two WGS84 points: « à vol d'oiseau »."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def quantile_edges(values: Sequence[float | None] | pd.Series, classes: int = CLASSES) -> list[float]:
    """Class edges at the quantiles of the values (min … max), from pandas `qcut`; tied quantiles are merged, so
    there are fewer classes when values tie (one value: one class [v, v]); no value: no edge."""
    clean = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype(float).dropna()
    if clean.empty:
        return []
    _, edges = pd.qcut(clean, classes, retbins=True, duplicates="drop")
    edges = [float(e) for e in edges]
    return edges if len(edges) > 1 else [edges[0], edges[0]]


def classify(value: float | None, edges: Sequence[float]) -> int | None:
    """Index of the class holding the value, as `qcut` assigns it: the first class is [e0, e1], the next (e_i, e_i+1]."""
    if value is None or math.isnan(value) or len(edges) < 2:
        return None
    for i in range(1, len(edges)):
        if value <= edges[i]:
            return i - 1
    return len(edges) - 2


def class_color(index: int | None, alpha: int = 200) -> list[int]:
    """RGBA of a class (None: no data) for pydeck."""
    rgb = NO_DATA[1] if index is None else PALETTE[min(index, CLASSES - 1)][1]
    return [*rgb, alpha]


@dataclass(frozen=True)
class LegendRow:
    """One class of a legend: its colour (name, RGB), bounds (None for « no data ») and how many areas it holds."""

    colour: str
    rgb: tuple[int, int, int]
    low: float | None
    high: float | None
    count: int


def legend_rows(edges: Sequence[float], counts: Sequence[int], missing: int = 0) -> list[LegendRow]:
    """The legend of `quantile_edges` classes: one row per class, then « no data » when some areas have none."""
    rows = [LegendRow(PALETTE[i][0], PALETTE[i][1], edges[i], edges[i + 1], counts[i])
            for i in range(min(len(edges) - 1, CLASSES))]
    if missing:
        rows.append(LegendRow(NO_DATA[0], NO_DATA[1], None, None, missing))
    return rows


def marker_element(shape: str, x: float, y: float, size: float, rgb: Sequence[int]) -> str:
    """An SVG element drawing a map marker (square, diamond, triangle, cross, circle) in a `size` box at (x, y), filled
    with `rgb` and outlined in near-black: the service points of /carte and their legend swatches are the same drawing."""
    r, g, b = rgb[:3]
    pad, half, arm = size * 0.12, size / 2, size * 0.15
    x0, y0, x1, y1, cx, cy = x + pad, y + pad, x + size - pad, y + size - pad, x + half, y + half
    style = f'fill="rgb({r},{g},{b})" stroke="#1a1a1a" stroke-width="{max(size / 16, 1):.1f}" stroke-linejoin="round"'

    def poly(points: list[tuple[float, float]]) -> str:
        return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" {style}/>'

    if shape == "square":
        return f'<rect x="{x0 + 1:.1f}" y="{y0 + 1:.1f}" width="{x1 - x0 - 2:.1f}" height="{y1 - y0 - 2:.1f}" {style}/>'
    if shape == "diamond":
        return poly([(cx, y0 - 1), (x1 + 1, cy), (cx, y1 + 1), (x0 - 1, cy)])
    if shape == "triangle":
        return poly([(cx, y0 - 1), (x1 + 1, y1), (x0 - 1, y1)])
    if shape == "cross":
        return poly([(cx - arm, y0), (cx + arm, y0), (cx + arm, cy - arm), (x1, cy - arm), (x1, cy + arm),
                     (cx + arm, cy + arm), (cx + arm, y1), (cx - arm, y1), (cx - arm, cy + arm), (x0, cy + arm),
                     (x0, cy - arm), (cx - arm, cy - arm)])
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{half - pad:.1f}" {style}/>'


def legend_svg(items: Sequence[tuple[tuple[int, int, int], str] | tuple[tuple[int, int, int], str, str]],
               title: str = "") -> str:
    """A legend drawn as an SVG image (for `st.image`): a swatch and a text per item, under an optional title. An
    item is (rgb, text) for a filled area, or (rgb, text, shape) with shape « outline » (a line around an area) or
    a marker shape (square, diamond, triangle, cross, circle). Texts are escaped: the image shows them as text,
    never as markup."""
    row_h, swatch = 24, 18
    top = 24 if title else 0
    width = 34 + 8 * max([len(item[1]) for item in items] + [len(title)], default=10)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + row_h * len(items) + 4}" '
             'role="img" font-family="sans-serif" font-size="14">']
    if title:
        parts.append(f'<text x="1" y="16" fill="#161616" font-weight="bold">{escape(title)}</text>')
    for i, item in enumerate(items):
        (r, g, b), text = item[0], item[1]
        shape = item[2] if len(item) > 2 else "area"  # type: ignore[misc]
        y = top + 2 + i * row_h
        if shape == "area":
            parts.append(f'<rect x="1" y="{y}" width="{swatch}" height="{swatch}" fill="rgb({r},{g},{b})" '
                         'stroke="#666" stroke-width="1"/>')
        elif shape == "outline":
            parts.append(f'<rect x="2.5" y="{y + 1.5}" width="{swatch - 3}" height="{swatch - 3}" fill="none" '
                         f'stroke="rgb({r},{g},{b})" stroke-width="3"/>')
        else:
            parts.append(marker_element(shape, 0, y - 1, swatch + 2, (r, g, b)))
        parts.append(f'<text x="{swatch + 10}" y="{y + 14}" fill="#161616">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
