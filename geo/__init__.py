"""Small geographic helpers: haversine distance, quantile classes and their colours for choropleth maps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), the same constant as the SQL files

# Five sequential classes whose colours match the coloured-square emoji, so a text legend can show them without HTML.
CLASS_COLORS: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    ("🟨", "jaune", (253, 216, 53)),
    ("🟧", "orange", (245, 124, 0)),
    ("🟥", "rouge", (229, 57, 53)),
    ("🟪", "violet", (142, 36, 170)),
    ("🟫", "brun", (109, 76, 65)),
)
NO_DATA = ("⬜", "gris clair", (224, 224, 224))


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (km) between two WGS84 points: « à vol d'oiseau »."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def quantile_edges(values: Sequence[float], classes: int = 5) -> list[float]:
    """Class edges at the quantiles of the values (min … max), duplicates removed: fewer classes when values tie."""
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return []
    edges = [data[0]]
    for i in range(1, classes):
        pos = i * (len(data) - 1) / classes
        low, frac = int(pos), pos - int(pos)
        q = data[low] + (data[min(low + 1, len(data) - 1)] - data[low]) * frac
        if q > edges[-1]:
            edges.append(q)
    if data[-1] > edges[-1] or len(edges) == 1:
        edges.append(data[-1])
    return edges


def classify(value: float | None, edges: Sequence[float]) -> int | None:
    """Index of the class holding the value: the first class is [e0, e1], the next ones (e_i, e_i+1]."""
    if value is None or math.isnan(value) or len(edges) < 2:
        return None
    for i in range(1, len(edges)):
        if value <= edges[i]:
            return i - 1
    return len(edges) - 2


def class_color(index: int | None, alpha: int = 200) -> list[int]:
    rgb = NO_DATA[2] if index is None else CLASS_COLORS[min(index, len(CLASS_COLORS) - 1)][2]
    return [*rgb, alpha]


@dataclass(frozen=True)
class LegendRow:
    """One line of the legend table."""

    swatch: str
    colour: str
    low: float | None
    high: float | None
    count: int
