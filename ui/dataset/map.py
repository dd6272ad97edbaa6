"""The dataset page's map tab: points (or DuckDB's grid of counts, from queries.binning), polygons, or communes
coloured by value (geo's classes, palette and legend, as on /carte)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

import geo
from catalogue.schema import Schema
from indicators.state import default_view
from queries import QueryError, binning
from queries.dataset.state import AGGS, MAP_MODES, DatasetView, MapSpec
from ui import format as fmt
from ui.dataset import data, map_decks
from ui.dataset.common import col_label, note, seed


def choropleth_code_column(schema: Schema) -> str:
    cols = schema.commune_columns
    return next((c for c in cols if "cog" in c), cols[0])


def centre_picker(m: MapSpec) -> MapSpec:
    """Centre the map on a commune (zoom 12) or on the whole territory; the choice goes into the URL viewport."""
    communes = data.commune_centres()
    if not communes:
        return m
    options = ["", *communes]
    current = next((code for code, (_, lon, lat) in communes.items()
                    if m.zoom is not None and m.lat is not None and m.lon is not None
                    and abs(lat - m.lat) < 1e-4 and abs(lon - m.lon) < 1e-4), "")
    seed("dataset_map_centre", current)
    choice = st.selectbox("Centrer la carte sur", options, key="dataset_map_centre",
                          format_func=lambda c: communes[c][0] if c else "Tout le territoire")
    if not choice:
        return MapSpec(mode=m.mode, lat=None, lon=None, zoom=None) if current else m
    name, lon, lat = communes[choice]
    return MapSpec(mode=m.mode, lat=round(lat, 5), lon=round(lon, 5), zoom=12.0)


def on_screen(m: MapSpec) -> MapSpec:
    """The view the map opens on: the URL's viewport, else the whole territory framed from its communes' centres
    (indicators.state.default_view, as /carte opens)."""
    centres = data.commune_centres().values()
    lat, lon, zoom = default_view([c[1] for c in centres], [c[2] for c in centres])
    return replace(m, lat=lat if m.lat is None else m.lat, lon=lon if m.lon is None else m.lon,
                   zoom=zoom if m.zoom is None else m.zoom)


def render(v: DatasetView, schema: Schema, n: int) -> DatasetView:
    """The map tab for `n` filtered records; returns the view with the map settings chosen on screen."""
    modes = schema.map_modes
    seed("dataset_map_mode", v.map.mode if v.map.mode in modes else modes[0])
    mode = st.radio("Représentation", modes, key="dataset_map_mode", horizontal=True, format_func=MAP_MODES.get)
    m = v.map
    outlines = data.commune_features()
    try:
        if mode == "points":
            m = points_map(v, schema, n, outlines)
        elif mode == "polygons":
            m = polygons_map(v, schema, outlines)
        else:
            m = choropleth_map(v, schema, outlines)
    except QueryError as exc:
        st.error(str(exc))
    note("Fond : contours des communes (aucune carte en ligne n'est chargée).")
    return v.replace(map=m)


def text_alternative(table: object) -> None:
    with st.expander("Données de la carte (alternative textuelle)"):
        st.dataframe(table, hide_index=True, width="stretch")


def points_map(v: DatasetView, schema: Schema, n: int, outlines: list[dict]) -> MapSpec:
    m = centre_picker(v.map)
    # Streamlit sends no pan/zoom events: the view is the one in the URL (set by the picker or a link).
    zoomed = m.zoom is not None and m.lat is not None and m.lon is not None
    shown = on_screen(m)
    assert shown.zoom is not None and shown.lat is not None
    layer = binning.point_map(v, schema, data.frame, total=n, zoom=shown.zoom, lat=shown.lat,
                              lon=m.lon if zoomed else None)
    table = layer.frame
    if layer.kind == "grid":
        cell_km = layer.cell_km or 0.0
        note(f"{fmt.number(layer.in_view)} points dans la vue : regroupés par mailles d'environ "
             f"{fmt.number(cell_km, 1)} km (taille du cercle = nombre d'enregistrements). "
             + ("Trop de points dans cette vue pour les montrer un par un." if zoomed else
                "Centrez la carte sur une commune pour voir les points un par un."))
        deck = map_decks.grid_deck(table, shown, outlines, cell_km=cell_km)
        table = table.rename(columns={"lon": "Longitude du centre", "lat": "Latitude du centre",
                                      "n": "Enregistrements"})
    else:
        deck = map_decks.points_deck(table, schema, shown, outlines)
        if not zoomed and len(table) < n:
            note(f"{fmt.number(n - len(table))} enregistrement(s) sans coordonnées ne sont pas placés.")
        table = table.rename(columns={"lon": "Longitude", "lat": "Latitude",
                                      **{c: col_label(schema, c) for c in schema.label_columns}})
    st.pydeck_chart(deck, width="stretch", height=560)
    text_alternative(table)
    return MapSpec(mode="points", lat=m.lat, lon=m.lon, zoom=m.zoom)


def polygons_map(v: DatasetView, schema: Schema, outlines: list[dict]) -> MapSpec:
    m = v.map
    polys = data.frame(binning.polygons_query(v, schema))
    if len(polys) >= binning.MAX_POLYGONS:
        note(f"Seuls les {fmt.number(binning.MAX_POLYGONS)} premiers contours sont dessinés.")
    st.pydeck_chart(map_decks.polygons_deck(polys, schema, on_screen(m), outlines), width="stretch", height=560)
    text_alternative(polys.drop(columns=["geometry"]).rename(
        columns={c: col_label(schema, c) for c in schema.label_columns}))
    return MapSpec(mode="polygons", lat=m.lat, lon=m.lon, zoom=m.zoom)


def choropleth_map(v: DatasetView, schema: Schema, outlines: list[dict]) -> MapSpec:
    m = v.map
    numeric = [c.name for c in schema.plain_columns if c.numeric and not schema.is_commune_code(c.name)]
    c1, c2 = st.columns(2)
    seed("dataset_map_col", m.column if m.column in numeric else None)
    column = c1.selectbox("Valeur par commune", [None, *numeric], key="dataset_map_col",
                          placeholder="Nombre d'enregistrements",
                          format_func=lambda c: "Nombre d'enregistrements" if c is None else col_label(schema, c))
    aggs = [a for a in AGGS if a != "count"] if column else ["count"]
    seed("dataset_map_agg", m.agg if m.agg in aggs else aggs[0])
    if st.session_state.get("dataset_map_agg") not in aggs:
        st.session_state["dataset_map_agg"] = aggs[0]
    agg = c2.selectbox("Agrégation", aggs, key="dataset_map_agg", format_func=AGGS.get, disabled=column is None)
    values = data.frame(binning.choropleth_query(v, schema, choropleth_code_column(schema), column, agg))
    label = "Nombre d'enregistrements" if column is None else f"{AGGS[agg]} de {col_label(schema, column)}"
    deck, legend = map_decks.choropleth_deck(values, on_screen(m), outlines, label)
    st.pydeck_chart(deck, width="stretch", height=560)
    if legend:
        legend_block(label, legend)
    known = {f["properties"]["code"] for f in outlines}
    unmatched = [c for c in values["code"] if c not in known]
    if unmatched:
        note(f"{len(unmatched)} code(s) commune sans contour (codes d'une autre année du COG ?) : "
             + ", ".join(unmatched[:10]) + ("…" if len(unmatched) > 10 else ""))
    names = data.commune_names()
    table = values.assign(nom=values["code"].map(lambda c: names.get(c, "")))
    text_alternative(table.rename(columns={"code": "Code commune", "nom": "Commune", "value": label,
                                           "n": "Enregistrements"})[["Code commune", "Commune", label,
                                                                     "Enregistrements"]])
    return MapSpec(mode="choropleth", column=column, agg=agg if column else "count", lat=m.lat, lon=m.lon,
                      zoom=m.zoom)


def legend_block(label: str, legend: list[geo.LegendRow]) -> None:
    """The drawn legend (swatches in geo's palette) and the same classes as text, for screen readers."""
    bounds = [b for row in legend if row.low is not None for b in (row.low, row.high)]
    decimals = 0 if all(float(b).is_integer() for b in bounds) else 2

    def span(row: geo.LegendRow) -> str:
        if row.low is None or row.high is None:
            return "pas de donnée"
        return f"{fmt.number(row.low, decimals)} – {fmt.number(row.high, decimals)}"

    text = " · ".join(f"{row.colour} : {span(row)}" for row in legend)
    note(label + " — classes (quantiles)")
    st.image(geo.legend_svg([(row.rgb, f"{span(row)} ({row.count} communes)") for row in legend]),
             alt=f"Légende : {label} — {text}")
    note(text)
