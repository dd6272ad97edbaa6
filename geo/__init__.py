"""Geographic helpers of every map: haversine distance, the one classifier (quantiles, pandas `qcut`), the one
palette (viridis, sequential and colour-blind safe) and the legend drawn from it (an SVG image, no emoji)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import pandas as pd

from queries.binning import EARTH_RADIUS_KM

# Viridis in five classes, light (low values) → dark (high values): sequential, readable with every common colour
# vision deficiency and in grey. Each colour has a French name for the legend's text alternative.
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


def legend_svg(items: Sequence[tuple[tuple[int, int, int], str]]) -> str:
    """A legend drawn as an SVG image (for `st.image`): a colour swatch and a text per item. Texts are escaped:
    the image shows them as text, never as markup."""
    row_h, swatch = 24, 18
    width = 34 + 8 * max((len(text) for _, text in items), default=10)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row_h * len(items) + 4}" '
             'role="img" font-family="sans-serif" font-size="14">']
    for i, ((r, g, b), text) in enumerate(items):
        y = 2 + i * row_h
        parts.append(f'<rect x="1" y="{y}" width="{swatch}" height="{swatch}" fill="rgb({r},{g},{b})" '
                     'stroke="#666" stroke-width="1"/>')
        parts.append(f'<text x="{swatch + 10}" y="{y + 14}" fill="#161616">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
