"""pydeck layers for the map page: offline commune outlines, an indicator choropleth, service points, a selection."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from config import get_settings
from geo import LegendRow, class_color, classify, legend_rows, quantile_edges
from indicators.data import cache_key, frame
from queries.cache import cached

# Kind → (French label, dataset role, colour). The role's configured dataset is what the panel links to.
SERVICE_KINDS: dict[str, tuple[str, str, list[int]]] = {
    "colleges": ("Collèges", "colleges", [21, 101, 192, 230]),
    "france_services": ("France services", "france_services", [0, 137, 123, 230]),
    "sante": ("Établissements de santé", "health", [198, 40, 40, 230]),
    "musees": ("Musées de France", "museums", [94, 53, 177, 230]),
}


def service_dataset(kind: str) -> str:
    """The dataset id of a service layer, as this deployment configures its role."""
    return get_settings().dataset(SERVICE_KINDS[kind][1])


@cached()
def _shapes(version: str, name: str) -> dict[str, dict[str, Any]]:
    """Parsed GeoJSON geometries by code, shared read-only by every session (parsing 850 kB once, not per run)."""
    table = frame(name)
    return {str(code): json.loads(geom) for code, geom in zip(table["code"], table["geometry"], strict=True) if geom}


def shapes(level: str) -> dict[str, dict[str, Any]]:
    return _shapes(cache_key(), "map_commune_shapes" if level == "commune" else "map_epci_shapes")


def choropleth(values: pd.DataFrame, level: str, value_text: Any, classes: int = 5) -> tuple[dict[str, Any],
                                                                                                list[LegendRow]]:
    """A FeatureCollection coloured by quantile class (only the properties the map needs) and its legend rows.

    `values` has columns code, name, value, period; `value_text(value)` formats a value for the tooltip.
    """
    geoms = shapes(level)
    by_code = {str(r.code): r for r in values.itertuples()}
    edges = quantile_edges([float(v) for v in values["value"].dropna()], classes)
    counts = [0] * max(len(edges) - 1, 0)
    features = []
    missing = 0
    for code, geom in geoms.items():
        row = by_code.get(code)
        value = float(row.value) if row is not None and pd.notna(row.value) else None
        idx = classify(value, edges)
        if idx is None:
            missing += 1
        else:
            counts[idx] += 1
        name = str(row.name) if row is not None else code
        text = f"{name} : {value_text(value)}" if value is not None else f"{name} : pas de valeur"
        features.append({"type": "Feature", "geometry": geom,
                         "properties": {"code": code, "tooltip": text, "fill": class_color(idx)}})
    return {"type": "FeatureCollection", "features": features}, legend_rows(edges, counts, missing)


def outline_layer() -> pdk.Layer:
    """Commune outlines from the warehouse: the offline base map (no tile server, no network)."""
    geoms = shapes("commune")
    data = {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in geoms.values()]}
    return pdk.Layer("GeoJsonLayer", data=data, id="communes-outline", stroked=True, filled=True,
                     get_fill_color=[245, 245, 240, 255], get_line_color=[150, 150, 150, 255],
                     line_width_min_pixels=0.5, pickable=False)


def choropleth_layer(collection: dict[str, Any], level: str) -> pdk.Layer:
    return pdk.Layer("GeoJsonLayer", data=collection, id=f"choropleth-{level}", stroked=True, filled=True,
                     get_fill_color="properties.fill", get_line_color=[255, 255, 255, 200],
                     line_width_min_pixels=1 if level == "epci" else 0.5, pickable=True, auto_highlight=True)


def selection_layer(code: str) -> pdk.Layer | None:
    geom = shapes("commune").get(code)
    if geom is None:
        return None
    data = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geom, "properties": {}}]}
    return pdk.Layer("GeoJsonLayer", data=data, id="selection", stroked=True, filled=False,
                     get_line_color=[20, 20, 20, 255], line_width_min_pixels=3, pickable=False)


def point_layer(kind: str, points: pd.DataFrame) -> pdk.Layer:
    label, _, color = SERVICE_KINDS[kind]
    rows = points[points["kind"] == kind].dropna(subset=["lon", "lat"])
    # Only what the tooltip and the click need travels to the browser.
    data = [{"lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6), "record_id": str(r.record_id),
             "tooltip": f"{label} : {r.name} ({r.town})"} for r in rows.itertuples()]
    return pdk.Layer("ScatterplotLayer", data=data, id=kind, get_position=["lon", "lat"], get_fill_color=color,
                     get_line_color=[255, 255, 255, 255], stroked=True, line_width_min_pixels=1, get_radius=300,
                     radius_min_pixels=5, radius_max_pixels=12, pickable=True)


class CompactDeck(pdk.Deck):
    """pydeck indents its JSON (×4 the size of a commune map): the browser gets the compact form instead."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def deck(layers: list[pdk.Layer], lat: float, lon: float, zoom: float, basemap_url: str | None = None) -> CompactDeck:
    """No Carto basemap: `map_provider=None` keeps the map offline; a configured style URL is used when given."""
    view = pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom, min_zoom=6, max_zoom=15)
    if basemap_url:
        return CompactDeck(layers=layers, initial_view_state=view, map_style=basemap_url,
                           tooltip={"text": "{tooltip}"})
    # Passing map_style=None as well would drop the key from the JSON and Streamlit would then fetch a Carto style.
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip={"text": "{tooltip}"})
