"""pydeck decks of the dataset page's map tab, fully offline: no basemap, the commune outlines drawn as the base layer."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pandas as pd
import pydeck as pdk

import geo
from catalogue.schema import Schema
from geo.deck import CompactDeck, Encoded, feature_collection_json, frozen_collection
from queries import cache
from queries.dataset.state import MapSpec
from ui import format as fmt


def view_state(spec: MapSpec) -> pdk.ViewState:
    """The view the map opens on: `spec` has every viewport field set (ui.dataset.map.on_screen)."""
    return pdk.ViewState(latitude=spec.lat, longitude=spec.lon, zoom=spec.zoom)


def outline_layer(features: list[dict[str, Any]]) -> pdk.Layer:
    # The outlines are the cached commune features: their JSON is encoded once, not at every rerun
    # (geo.deck.frozen_collection).
    return pdk.Layer("GeoJsonLayer", data=frozen_collection(features), id="communes",
                     stroked=True, filled=True, get_fill_color=[245, 245, 240], get_line_color=[150, 150, 150],
                     line_width_min_pixels=0.5, pickable=False)


def deck(layers: list[pdk.Layer], spec: MapSpec, tooltip: dict[str, Any] | bool) -> pdk.Deck:
    # map_provider=None: no basemap request at all (the portal works offline); the outlines stand in for it.
    # map_style stays pydeck's placeholder: with map_style=None the key vanishes from the JSON and Streamlit's
    # frontend then fetches a Carto style for its theme.
    return CompactDeck(layers=layers, initial_view_state=view_state(spec), map_provider=None, tooltip=tooltip,
                       height=560)


def _tooltip_text(schema: Schema, names: list[str], prefix: str = "") -> str:
    lines = []
    for n in names:
        col = schema.get(n)
        lines.append(f"{col.label if col else n} : {{{prefix}{n}}}")
    return "\n".join(lines)


def points_deck(data: pd.DataFrame, schema: Schema, spec: MapSpec, outlines: list[dict[str, Any]]) -> pdk.Deck:
    records = data.astype(object).where(data.notna(), "–").to_dict("records")
    layer = pdk.Layer("ScatterplotLayer", data=records, id="points", get_position=["lon", "lat"],
                      get_fill_color=[0, 99, 203, 200], get_line_color=[255, 255, 255], stroked=True,
                      line_width_min_pixels=1, radius_min_pixels=4, radius_max_pixels=12, get_radius=150,
                      pickable=True)
    # Plain-text tooltips: dataset values never reach the page as HTML.
    tooltip = {"text": _tooltip_text(schema, schema.label_columns)} if schema.label_columns else True
    return deck([outline_layer(outlines), layer], spec, tooltip)


def grid_deck(data: pd.DataFrame, spec: MapSpec, outlines: list[dict[str, Any]],
              cell_km: float = 2.0) -> pdk.Deck:
    biggest = float(data["n"].max()) if not data.empty else 1.0
    # Circles scale with the cell (metres) so that neighbouring cells do not swallow each other when zoomed in.
    cell_m = cell_km * 1_000
    records = [{"lon": float(r.lon), "lat": float(r.lat), "n": int(r.n), "n_fr": fmt.number(r.n),
                "radius": cell_m * (0.1 + 0.6 * math.sqrt(float(r.n) / biggest))} for r in data.itertuples()]
    layer = pdk.Layer("ScatterplotLayer", data=records, id="grid", get_position=["lon", "lat"],
                      get_radius="radius", get_fill_color=[228, 121, 74, 190], pickable=True)
    return deck([outline_layer(outlines), layer], spec, {"text": "{n_fr} enregistrements dans cette maille"})


def polygons_deck(data: pd.DataFrame, schema: Schema, spec: MapSpec,
                  outlines: list[dict[str, Any]]) -> pdk.Deck:
    features = []
    labels = schema.label_columns
    for rec in data.to_dict("records"):
        try:
            geometry = json.loads(rec["geometry"])
        except (TypeError, ValueError):
            continue
        props = {n: ("–" if rec.get(n) is None else str(rec.get(n))) for n in labels}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    layer = pdk.Layer("GeoJsonLayer", data={"type": "FeatureCollection", "features": features}, id="polygons",
                      stroked=True, filled=True, get_fill_color=[0, 99, 203, 90], get_line_color=[0, 60, 140],
                      line_width_min_pixels=1, pickable=True)
    tooltip = {"text": _tooltip_text(schema, labels, "properties.")} if labels else True
    return deck([outline_layer(outlines), layer], spec, tooltip)


def _choropleth_features(data: pd.DataFrame, outlines: list[dict[str, Any]]) -> tuple[Encoded, list[geo.LegendRow]]:
    values = {str(r.code): r.value for r in data.itertuples()}
    edges = geo.quantile_edges(data["value"])
    counts = [0] * max(len(edges) - 1, 0)
    properties = []
    missing = 0
    for feat in outlines:
        code = feat["properties"]["code"]
        value = values.get(code)
        value = None if value is None or pd.isna(value) else float(value)
        idx = geo.classify(value, edges)
        if idx is None:
            missing += 1
            text = "pas de donnée"
        else:
            counts[idx] += 1
            text = fmt.number(value, 0 if value.is_integer() else 2)
        properties.append({**feat["properties"], "valeur": text, "fill": geo.class_color(idx)})
    # The outlines' geometries are encoded once (geo.deck.feature_collection_json); only the colours change.
    return feature_collection_json(outlines, properties), geo.legend_rows(edges, counts, missing)


def choropleth_deck(data: pd.DataFrame, spec: MapSpec, outlines: list[dict[str, Any]],
                    value_label: str) -> tuple[pdk.Deck, list[geo.LegendRow]]:
    """Communes coloured by quantile class of their value (geo's classifier and palette, as on /carte); returns
    the deck and the legend rows. The coloured communes are kept in the result cache under a digest of the values
    (a rerun, or a dashboard block showing the same map, costs no new colouring nor encoding)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes()).hexdigest()
    features, legend = cache.remember(("choropleth", digest, len(outlines)),
                                      lambda: _choropleth_features(data, outlines))
    layer = pdk.Layer("GeoJsonLayer", data=features, id="choropleth",
                      stroked=True, filled=True, get_fill_color="properties.fill", get_line_color=[120, 120, 120],
                      line_width_min_pixels=0.5, pickable=True)
    tooltip = {"text": "{nom} ({code})\n" + value_label + " : {valeur}"}
    return deck([layer], spec, tooltip), legend
