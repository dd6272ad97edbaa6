"""pydeck layers of /carte (and of the commune page's small map): light commune and EPCI shapes, the indicator
choropleth, place names, service points with one shape each, the selected commune, and the deck itself.

Why the shapes are simplified here, once per data version and process, rather than by the loader: the warehouse
keeps the publisher's full-resolution geometry (downloads, the API, the dataset page's map); only the map of the
portal needs light shapes, and 0.3 s of shapely once per data version costs less than a second dataset to publish and
keep in step. `shapely.coverage_simplify` simplifies the communes as one coverage, so two neighbours still share
exactly the same border (no gaps or slivers), and the EPCIs are the union of their simplified communes, so their
borders run exactly along communes' borders.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

import indicators
from config import get_settings
from geo import LegendRow, class_color, classify, haversine_km, legend_rows, marker_element, quantile_edges
from indicators import territory
from indicators.data import cache_key, frame, indicator_frame
from queries.cache import cached

# Kind → (French label, dataset role, colour). The role's configured dataset is what the panel links to. Colours are
# Okabe–Ito's (Wong, Nature Methods 2011), chosen outside viridis' yellow-green-blue-violet range so a point never
# reads as a class, and every kind also has its own shape (SERVICE_SHAPES): colour is never the only cue.
SERVICE_KINDS: dict[str, tuple[str, str, list[int]]] = {
    "colleges": ("Collèges", "colleges", [213, 94, 0, 255]),  # vermillion
    "france_services": ("France services", "france_services", [255, 255, 255, 255]),  # white, dark outline
    "sante": ("Établissements de santé", "health", [204, 121, 167, 255]),  # reddish purple
    "musees": ("Musées de France", "museums", [230, 159, 0, 255]),  # orange
}
SERVICE_SHAPES: dict[str, str] = {"colleges": "square", "france_services": "diamond", "sante": "cross",
                                  "musees": "triangle"}
# Simplification tolerance in degrees (≈ 310 m east-west, 440 m north-south at 45° N): under a pixel at the
# département's zoom (≈ 570 m a pixel at zoom 7.6), a few pixels at a commune's zoom. It is what brings an
# interaction with the commune map under 300 kB (bench/map_payload.py: 0.003 gave 310-330 kB). Coordinates are then rounded to 3 decimals (≈ 80-110 m), a third of
# what the tolerance already allows; shared vertices round alike, so neighbours still share their borders.
TOLERANCE_DEG = 0.004
DECIMALS = 3
SELECTION_RGB = (20, 20, 20)
TOOLTIP_STYLE = {
    # deck.gl places its tooltip at the pointer, where the map's frame cut it at the right and bottom edges: a box
    # pinned to the map's top-left corner is never cut (the same text; the style overrides deck's translate).
    "transform": "none", "top": "8px", "left": "8px", "maxWidth": "min(320px, calc(100% - 16px))",
    "whiteSpace": "normal", "backgroundColor": "rgba(255, 255, 255, 0.95)", "color": "#161616",
    "border": "1px solid #8a8a8a", "borderRadius": "4px", "padding": "6px 8px", "fontSize": "14px",
    "fontFamily": "sans-serif", "lineHeight": "1.35",
}


def _text(value: str) -> pdk.types.String:
    """A literal string prop: pydeck turns every other string into a JSON accessor expression (« @@=pixels »)."""
    return pdk.types.String(value)


def service_dataset(kind: str) -> str:
    """The dataset id of a service layer, as this deployment configures its role."""
    return get_settings().dataset(SERVICE_KINDS[kind][1])


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(geometry), parse_float=lambda text: round(float(text), DECIMALS))


@dataclass(frozen=True)
class Shapes:
    """Simplified GeoJSON geometries by code, and names, of one level (shared read-only by every session)."""

    geometries: dict[str, dict[str, Any]]
    names: dict[str, str]


@cached()
def _shapes(version: str) -> dict[str, Any]:
    """Both levels from one coverage simplification of the territory's communes."""
    table = frame("map_commune_shapes").dropna(subset=["geometry"])
    codes = [str(c) for c in table["code"]]
    simplified = shapely.coverage_simplify(shapely.from_geojson(table["geometry"].to_numpy()), TOLERANCE_DEG)
    communes = Shapes({code: _rounded(json.loads(shapely.to_geojson(g))) for code, g in zip(codes, simplified,
                                                                                          strict=True)},
                      dict(zip(codes, (str(n) for n in table["name"]), strict=True)))
    epcis = frame("map_epci_shapes")
    members = territory.communes()[["code", "epci_code"]].dropna().astype(str)
    by_code = dict(zip(codes, simplified, strict=True))
    geometries: dict[str, dict[str, Any]] = {}
    for epci, group in members.groupby("epci_code"):
        parts = [by_code[c] for c in group["code"] if c in by_code]
        if parts:
            merged = shapely.coverage_union_all(np.array(parts, dtype=object))
            geometries[str(epci)] = _rounded(json.loads(shapely.to_geojson(merged)))
    names = {str(c): str(n) for c, n in zip(epcis["code"], epcis["name"], strict=True)}
    # Every border between two communes once (the union of the rings dissolves shared edges), for the commune lines
    # drawn under the EPCI choropleth: half the coordinates of the communes' own rings.
    edges = shapely.line_merge(shapely.union_all(shapely.boundary(simplified)))
    borders = [{"path": _rounded(json.loads(shapely.to_geojson(line)))["coordinates"]}
               for line in shapely.get_parts(edges)]
    return {"commune": communes, "epci": Shapes({c: g for c, g in geometries.items() if c in names}, names),
            "borders": borders}


def level_shapes(level: str) -> Shapes:
    shapes_of: Shapes = _shapes(cache_key())["commune" if level == "commune" else "epci"]
    return shapes_of


def codes(level: str) -> list[str]:
    """The codes in the choropleth's feature order (a click reports the feature's index)."""
    return list(shapes(level))


def shapes(level: str) -> dict[str, dict[str, Any]]:
    """Simplified GeoJSON geometry by commune INSEE code or EPCI SIREN."""
    return level_shapes(level).geometries


def choropleth(values: pd.DataFrame, level: str, value_text: Any, classes: int = 5) -> tuple[dict[str, Any],
                                                                                                list[LegendRow]]:
    """A FeatureCollection coloured by quantile class (only the properties the map needs) and its legend rows.

    `values` has columns code, name, value, period; `value_text(value)` formats a value for the tooltip. Features
    follow `shapes(level)`'s order, so a click's index gives the code (`codes(level)`): no code in each feature.
    """
    geoms = shapes(level)
    names = level_shapes(level).names
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
        name = str(row.name) if row is not None else names.get(code, code)
        text = f"{name} : {value_text(value)}" if value is not None else f"{name} : pas de valeur"
        features.append({"type": "Feature", "geometry": geom,
                         "properties": {"tooltip": text, "f": class_color(idx)[:3]}})
    return {"type": "FeatureCollection", "features": features}, legend_rows(edges, counts, missing)


def outline_layer() -> pdk.Layer:
    """Commune borders under the EPCI choropleth (thin, grey, never picked): the communes stay readable inside their
    EPCI without a basemap."""
    return pdk.Layer("PathLayer", data=_shapes(cache_key())["borders"], id="communes-outline", get_path="path",
                     get_color=[120, 120, 120, 160], width_min_pixels=0.5, width_max_pixels=1, pickable=False)


def choropleth_layer(collection: dict[str, Any], level: str, id_suffix: str = "") -> pdk.Layer:
    """The pickable fill. Its border sublayer is not pickable: deck.gl picks on pointer-down by drawing every
    pickable layer, and with the borders' paths that took over 250 ms in a software-rendered browser, past which
    deck.gl no longer counts a press as a click (the click then selected nothing)."""
    return pdk.Layer("GeoJsonLayer", data=collection, id=f"choropleth-{level}{id_suffix}", stroked=True, filled=True,
                     get_fill_color="properties.f", get_line_color=[255, 255, 255, 220], opacity=0.8,
                     line_width_min_pixels=1.5 if level == "epci" else 0.5, pickable=True, auto_highlight=True,
                     highlight_color=[255, 255, 255, 90],
                     _subLayerProps={"polygons-stroke": {"pickable": False}})


def selection_layer(code: str, level: str = "commune") -> pdk.Layer | None:
    geom = shapes(level).get(code)
    if geom is None:
        return None
    data = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geom, "properties": {}}]}
    return pdk.Layer("GeoJsonLayer", data=data, id="selection", stroked=True, filled=False,
                     get_line_color=[*SELECTION_RGB, 255], line_width_min_pixels=3, pickable=False)


@cached()
def _labels(version: str) -> list[dict[str, Any]]:
    """Commune names at their centroids, largest population first."""
    communes = territory.communes().dropna(subset=["lon", "lat"])
    values, _ = indicator_frame(indicators.get("population"), "commune")
    values = values[(values["level"] == "commune") & values["value"].notna()].sort_values("year")
    weight = dict(zip(values["code"].astype(str), values["value"], strict=False))  # the latest year wins
    rows = [{"n": str(r.name), "p": [round(float(r.lon), 3), round(float(r.lat), 3)],
             "w": float(weight.get(str(r.code)) or 0)} for r in communes.itertuples()]
    return sorted(rows, key=lambda r: -r["w"])


def labels(lat: float, lon: float, zoom: float) -> list[dict[str, Any]]:
    """The names to draw for a view: in population order, a name is kept when its box (about 7.5 px a character,
    18 px high at this zoom) touches no kept name's box and its centre is 70 px from theirs, and only around the
    view (400 px). At the département's
    zoom that leaves the main towns; a commune's zoom names its neighbours. Chosen here, from the view the page
    sends, because deck.gl's CollisionFilterExtension, which would do it as the reader zooms, filtered nothing in
    chromium's software WebGL."""
    km_per_px = 40_075 * math.cos(math.radians(lat)) / (512 * 2 ** zoom)
    kx, ky = 111.32 * math.cos(math.radians(lat)) / km_per_px, 110.57 / km_per_px  # degrees → pixels
    kept: list[tuple[float, float, float, dict[str, Any]]] = []
    for row in _labels(cache_key()):
        x, y = row["p"]
        if haversine_km(lon, lat, x, y) > 400 * km_per_px:
            continue
        px, py, width = (x - lon) * kx, (y - lat) * ky, 7.5 * len(row["n"])
        # Apart enough to read: boxes that do not touch (with a margin), centres at least 70 px apart.
        if all((abs(px - ox) > (width + ow) / 2 + 12 or abs(py - oy) > 22) and math.hypot(px - ox, py - oy) > 70
               for ox, oy, ow, _ in kept):
            kept.append((px, py, width, {"n": row["n"], "p": row["p"]}))
    return [label for *_, label in kept]


def label_layer(lat: float, lon: float, zoom: float) -> pdk.Layer:
    """Place names from the portal's own referential (names, centroids, population), dark on a white halo."""
    return pdk.Layer("TextLayer", data=labels(lat, lon, zoom), id="labels", get_position="p", get_text="n",
                     get_size=13, size_units=_text("pixels"), get_color=[22, 22, 22, 255],
                     font_family=_text("DejaVu Sans, Arial, sans-serif"), font_weight=600, character_set=_text("auto"),
                     outline_width=3, outline_color=[255, 255, 255, 230], font_settings={"sdf": True}, pickable=False)


def marker_svg(shape: str, rgb: Sequence[int], size: int = 24) -> str:
    """One service marker as an SVG document (the map's icon; the legend draws the same element)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
            f'{marker_element(shape, 0, 0, size, rgb)}</svg>')


def point_layer(kind: str, points: pd.DataFrame, id_suffix: str = "") -> pdk.Layer:
    """A service layer: one icon (the kind's shape and colour, an SVG data URL: no network) per site."""
    label, _, color = SERVICE_KINDS[kind]
    rows = points[points["kind"] == kind].dropna(subset=["lon", "lat"])
    # Only what the tooltip and the click need travels to the browser.
    data = [{"p": [round(float(r.lon), 5), round(float(r.lat), 5)], "record_id": str(r.record_id),
             "tooltip": f"{label} : {r.name} ({r.town})"} for r in rows.itertuples()]
    atlas = "data:image/svg+xml;base64," + base64.b64encode(marker_svg(SERVICE_SHAPES[kind], color, 48).encode()
                                                           ).decode()
    return pdk.Layer("IconLayer", data=data, id=f"{kind}{id_suffix}", get_position="p", get_icon="'m'", icon_atlas=_text(atlas),
                     icon_mapping={"m": {"x": 0, "y": 0, "width": 48, "height": 48, "mask": False}},
                     get_size=20, size_units=_text("pixels"), pickable=True)


def _compact(value: Any) -> str:
    # ensure_ascii=False: « é » travels as 2 bytes of UTF-8 rather than 6 of \u00e9 (names, tooltips).
    return json.dumps(value, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


class Encoded:
    """Layer data already encoded as JSON: CompactDeck splices the text in as it is, rather than encoding the data
    again (see frozen_collection() and feature_collection_json())."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _ByIdentity:
    """A few values computed from cached objects (never mutated, by the cache's convention), keyed by the object's
    identity; the object is kept alive beside its value so that its id cannot be reused by another."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.items: dict[int, tuple[object, Any]] = {}

    def get(self, source: object, build: Callable[[], Any]) -> Any:
        hit = self.items.get(id(source))
        if hit is None or hit[0] is not source:
            if len(self.items) >= self.size:
                self.items.pop(next(iter(self.items)))
            hit = (source, build())
            self.items[id(source)] = hit
        return hit[1]


# The commune outlines under every dataset map and dashboard map block (~500 polygons) are encoded once per cached
# list, not at every rerun: that encoding took 10–20 ms per map and rerun.
_COLLECTIONS = _ByIdentity()
_GEOMETRIES = _ByIdentity()


def frozen_collection(features: list[dict[str, Any]]) -> Encoded:
    """The FeatureCollection of a cached list of features, encoded once per list (its geometries shared with
    feature_collection_json's)."""
    return _COLLECTIONS.get(features, lambda: feature_collection_json(features, [f["properties"] for f in features]))


def feature_collection_json(features: list[dict[str, Any]], properties: list[dict[str, Any]]) -> Encoded:
    """A FeatureCollection of the cached `features`' geometries with new `properties` (a choropleth's colours and
    values): the geometries are encoded once per list, only the properties at every rerun."""
    geometries = _GEOMETRIES.get(features, lambda: [_compact(f["geometry"]) for f in features])
    parts = [f'{{"geometry":{g},"properties":{_compact(p)},"type":"Feature"}}'
             for g, p in zip(geometries, properties, strict=True)]
    return Encoded('{"features":[' + ",".join(parts) + '],"type":"FeatureCollection"}')


class CompactDeck(pdk.Deck):
    """pydeck indents its JSON (×4 the size of a commune map): the browser gets the compact form instead, with the
    text of Encoded layer data spliced in rather than encoded again."""

    def to_json(self) -> str:
        spliced: list[tuple[str, str]] = []
        originals = []
        for i, layer in enumerate(self.layers or []):
            if isinstance(layer.data, Encoded):
                marker = f"__territoire_encoded_{i}__"
                spliced.append((json.dumps(marker), layer.data.text))
                originals.append((layer, layer.data))
                layer._data = marker
        try:
            text = _compact(self)
        finally:
            for layer, data in originals:
                layer._data = data
        for marker, encoded in spliced:
            text = text.replace(marker, encoded, 1)
        return text


def deck(layers: list[pdk.Layer], lat: float, lon: float, zoom: float, basemap_url: str | None = None) -> CompactDeck:
    """No Carto basemap: `map_provider=None` keeps the map offline; a configured style URL is used when given."""
    view = pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom, min_zoom=6, max_zoom=15)
    tooltip = {"text": "{tooltip}", "style": TOOLTIP_STYLE}
    if basemap_url:
        return CompactDeck(layers=layers, initial_view_state=view, map_style=basemap_url, tooltip=tooltip)
    # Passing map_style=None as well would drop the key from the JSON and Streamlit would then fetch a Carto style.
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip)
