"""URL state of the board (`/indicateurs`) and of the map (`/carte`): parsed into dataclasses, written back as strings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from indicators import LEVELS

MAP_LAYERS: tuple[str, ...] = ("colleges", "france_services", "sante", "musees")
MAP_LEVELS: tuple[str, ...] = ("commune", "epci")
DEFAULT_VIEW = (45.1, 0.75, 7.6)  # lat, lon, zoom: the whole département in a 500 px high map


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

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> BoardState:
        level = _get(params, "niveau")
        level = level if level in LEVELS else "departement"
        return cls(level=level, code="" if level == "departement" else _get(params, "code")[:12],
                   indicator=_get(params, "indicateur")[:64])

    def to_params(self) -> dict[str, str]:
        params = {"niveau": self.level}
        if self.level != "departement" and self.code:
            params["code"] = self.code
        if self.indicator:
            params["indicateur"] = self.indicator
        return params


@dataclass(frozen=True)
class MapState:
    """`?indicateur=population&niveau=commune&couches=colleges,sante&commune=24322&lat=45.18&lon=0.72&zoom=10`"""

    indicator: str = ""
    level: str = "commune"
    layers: tuple[str, ...] = ()
    commune: str = ""
    lat: float | None = None
    lon: float | None = None
    zoom: float | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> MapState:
        level = _get(params, "niveau")
        layers = tuple(x for x in MAP_LAYERS if x in _get(params, "couches").split(","))
        return cls(indicator=_get(params, "indicateur")[:64], level=level if level in MAP_LEVELS else "commune",
                   layers=layers, commune=_get(params, "commune")[:12], lat=_float(_get(params, "lat"), 40, 50),
                   lon=_float(_get(params, "lon"), -5, 10), zoom=_float(_get(params, "zoom"), 3, 16))

    def to_params(self) -> dict[str, str]:
        params = {"indicateur": self.indicator, "niveau": self.level}
        if self.layers:
            params["couches"] = ",".join(self.layers)
        if self.commune:
            params["commune"] = self.commune
        if self.lat is not None and self.lon is not None and self.zoom is not None:
            params |= {"lat": f"{self.lat:.4f}", "lon": f"{self.lon:.4f}", "zoom": f"{self.zoom:g}"}
        return {k: v for k, v in params.items() if v}
