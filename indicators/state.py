"""URL state of the board (`/indicateurs`) and of the map (`/carte`): parsed into dataclasses, written back as strings."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from indicators import LEVELS

BOARD_PATH = "indicateurs"  # app.py's url_path of pages/indicators.py
MAP_LAYERS: tuple[str, ...] = ("colleges", "france_services", "sante", "musees")
MAP_LEVELS: tuple[str, ...] = ("commune", "epci")  # the map's divisions, finest first


def map_levels(board_levels: Sequence[str]) -> tuple[str, ...]:
    """The divisions the map can colour for a territory: those strictly below its own level."""
    return tuple(level for level in MAP_LEVELS if level in board_levels[1:])


def default_view(lons: Sequence[float], lats: Sequence[float]) -> tuple[float, float, float]:
    """(lat, lon, zoom) framing every commune centroid of the territory in a 500 px high map."""
    if not lons or not lats:
        return (46.6, 2.4, 5.0)  # France
    lat = (min(lats) + max(lats)) / 2
    lon = (min(lons) + max(lons)) / 2
    # Web-Mercator: a degree of latitude spans 1/cos(lat) degrees of longitude on screen. 300 / span is calibrated
    # on the Dordogne (centroid span ≈ 1.2° of latitude → zoom 7.6); padding for the outlines beyond the centroids.
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) / math.cos(math.radians(lat)), 0.05)
    zoom = min(max(math.log2(300 / span), 5.0), 12.0)
    return (round(lat, 4), round(lon, 4), round(zoom, 1))


def _get(params: Mapping[str, object], key: str) -> str:
    value = params.get(key)
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value or "").strip()


def _float(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if low <= value <= high else None


@dataclass(frozen=True)
class BoardState:
    """`?niveau=commune&code=24322&indicateur=population`"""

    level: str = "departement"
    code: str = ""
    indicator: str = ""
    top: str = "departement"  # the configured territory's own level: no code in the link

    @classmethod
    def from_params(cls, params: Mapping[str, object], levels: Sequence[str] = LEVELS) -> BoardState:
        """`levels`: the board's levels, the territory's own level first (indicators.board_levels())."""
        level = _get(params, "niveau")
        level = level if level in levels else levels[0]
        return cls(level=level, code="" if level == levels[0] else _get(params, "code")[:12],
                   indicator=_get(params, "indicateur")[:64], top=levels[0])

    def to_params(self) -> dict[str, str]:
        params = {"niveau": self.level}
        if self.level != self.top and self.code:
            params["code"] = self.code
        if self.indicator:
            params["indicateur"] = self.indicator
        return params

    def url(self, base: str) -> str:
        """The board's address with this state, to share or bookmark (`base`: the portal's public URL)."""
        return f"{base.rstrip('/')}/{BOARD_PATH}?{urlencode(self.to_params())}"


@dataclass(frozen=True)
class MapState:
    """`?indicateur=population&niveau=commune&couches=colleges,sante&commune=24322&lat=45.18&lon=0.72&zoom=10`
    (`&epci=200040392` instead of `commune` when an EPCI was clicked on the EPCI map)"""

    indicator: str = ""
    level: str = "commune"
    layers: tuple[str, ...] = ()
    commune: str = ""
    epci: str = ""
    lat: float | None = None
    lon: float | None = None
    zoom: float | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, object], levels: Sequence[str] = MAP_LEVELS) -> MapState:
        """`levels`: the divisions offered (map_levels()), finest first."""
        level = _get(params, "niveau")
        layers = tuple(x for x in MAP_LAYERS if x in _get(params, "couches").split(","))
        return cls(indicator=_get(params, "indicateur")[:64], level=level if level in levels else levels[0],
                   layers=layers, commune=_get(params, "commune")[:12], epci=_get(params, "epci")[:12],
                   lat=_float(_get(params, "lat"), -85, 85),
                   lon=_float(_get(params, "lon"), -180, 180), zoom=_float(_get(params, "zoom"), 3, 16))

    def to_params(self) -> dict[str, str]:
        params = {"indicateur": self.indicator, "niveau": self.level}
        if self.layers:
            params["couches"] = ",".join(self.layers)
        if self.commune:
            params["commune"] = self.commune
        if self.epci:
            params["epci"] = self.epci
        if self.lat is not None and self.lon is not None and self.zoom is not None:
            params |= {"lat": f"{self.lat:.4f}", "lon": f"{self.lon:.4f}", "zoom": f"{self.zoom:g}"}
        return {k: v for k, v in params.items() if v}
