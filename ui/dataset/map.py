"""The dataset page's map tab: points (or a DuckDB grid of counts when too many), polygons, or a choropleth."""

from __future__ import annotations

import streamlit as st

from catalogue.schema import Schema
from queries import QueryError, binning
from queries.dataset.state import AGGS, MAP_MODES, DatasetView, MapSpec
from ui import dataset_maps
from ui import format as fmt
from ui.dataset import data
from ui.dataset.common import col_label, note, seed


def choropleth_code_column(schema: Schema) -> str:
    cols = schema.commune_columns
    return next((c for c in cols if "cog" in c), cols[0])


GRID_CELLS = 5_000  # most grid cells sent for one map view (≈ 0.5 MB of pydeck JSON)


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


def render(v: DatasetView, schema: Schema, n: int) -> DatasetView:
    """The map tab for `n` filtered records; returns the view with the map settings chosen on screen."""
    modes = schema.map_modes
    seed("dataset_map_mode", v.map.mode if v.map.mode in modes else modes[0])
    mode = st.radio("Représentation", modes, key="dataset_map_mode", horizontal=True, format_func=MAP_MODES.get)
    m = v.map
    outlines = data.commune_features()
    try:
        if mode == "points":
            m = centre_picker(m)
            # Streamlit sends no pan/zoom events: the view is the one in the URL (set by the picker or a link).
            zoomed = m.zoom is not None and m.lat is not None and m.lon is not None
            zoom = m.zoom if m.zoom is not None else dataset_maps.ZOOM
            centre_lat = m.lat if m.lat is not None else dataset_maps.CENTER_LAT
            bbox = binning.view_bbox(m.lon, m.lat, m.zoom) if zoomed else None
            in_view = int(data.frame(binning.points_count_query(v, schema, bbox)).loc[0, "n"]) if zoomed else n
            if in_view > binning.POINTS_CAP:
                # Cells of ~4 screen pixels at this zoom, computed by DuckDB: the payload stays small at any scale.
                cell_lon, cell_lat = (size / 2 for size in binning.cell_size(zoom, centre_lat))
                for _ in range(4):  # a dense view would fill more cells than we send: coarsen until it fits
                    table = data.frame(binning.grid_query(v, schema, cell_lon, cell_lat, bbox, max_cells=GRID_CELLS))
                    if len(table) < GRID_CELLS:
                        break
                    cell_lon, cell_lat = cell_lon * 2, cell_lat * 2
                note(f"{fmt.number(in_view)} points dans la vue : regroupés par mailles d'environ "
                     f"{fmt.number(cell_lon * 78, 1)} km (taille du cercle = nombre d'enregistrements). "
                     + ("Trop de points dans cette vue pour les montrer un par un." if zoomed else
                        "Centrez la carte sur une commune pour voir les points un par un."))
                deck = dataset_maps.grid_deck(table, m, outlines, cell_km=cell_lon * 78)
                table = table.rename(columns={"lon": "Longitude du centre", "lat": "Latitude du centre",
                                              "n": "Enregistrements"})
            else:
                table = data.frame(binning.points_query(v, schema, bbox=bbox))
                deck = dataset_maps.points_deck(table, schema, m, outlines)
                if not zoomed and len(table) < n:
                    note(f"{fmt.number(n - len(table))} enregistrement(s) sans coordonnées ne sont pas placés.")
                table = table.rename(columns={"lon": "Longitude", "lat": "Latitude",
                                              **{c: col_label(schema, c) for c in schema.label_columns}})
            st.pydeck_chart(deck, width="stretch", height=560)
            with st.expander("Données de la carte (alternative textuelle)"):
                st.dataframe(table, hide_index=True, width="stretch")
            m = MapSpec(mode="points", lat=m.lat, lon=m.lon, zoom=m.zoom)
        elif mode == "polygons":
            polys = data.frame(binning.polygons_query(v, schema))
            if len(polys) >= binning.POLYGONS_CAP:
                note(f"Seuls les {fmt.number(binning.POLYGONS_CAP)} premiers contours sont dessinés.")
            st.pydeck_chart(dataset_maps.polygons_deck(polys, schema, m, outlines), width="stretch", height=560)
            with st.expander("Données de la carte (alternative textuelle)"):
                named = polys.drop(columns=["geometry"]).rename(
                    columns={c: col_label(schema, c) for c in schema.label_columns})
                st.dataframe(named, hide_index=True, width="stretch")
            m = MapSpec(mode="polygons", lat=m.lat, lon=m.lon, zoom=m.zoom)
        else:
            numeric = [c.name for c in schema.plain_columns if c.numeric and not schema.is_commune_code(c.name)]
            c1, c2 = st.columns(2)
            seed("dataset_map_col", m.column if m.column in numeric else None)
            column = c1.selectbox("Valeur par commune", [None, *numeric], key="dataset_map_col",
                                  placeholder="Nombre d'enregistrements",
                                  format_func=lambda c: "Nombre d'enregistrements" if c is None
                                  else col_label(schema, c))
            aggs = [a for a in AGGS if a != "count"] if column else ["count"]
            seed("dataset_map_agg", m.agg if m.agg in aggs else aggs[0])
            if st.session_state.get("dataset_map_agg") not in aggs:
                st.session_state["dataset_map_agg"] = aggs[0]
            agg = c2.selectbox("Agrégation", aggs, key="dataset_map_agg", format_func=AGGS.get,
                               disabled=column is None)
            code_col = choropleth_code_column(schema)
            values = data.frame(binning.choropleth_query(v, schema, code_col, column, agg))
            label = "Nombre d'enregistrements" if column is None else f"{AGGS[agg]} de {col_label(schema, column)}"
            deck, legend = dataset_maps.choropleth_deck(values, m, outlines, label)
            st.pydeck_chart(deck, width="stretch", height=560)
            if legend:
                note(label + " — classes (quantiles) : " + " · ".join(t for t, _ in legend)
                           + " · gris : pas de donnée")
            known = {f["properties"]["code"] for f in outlines}
            unmatched = [c for c in values["code"] if c not in known]
            if unmatched:
                note(f"{len(unmatched)} code(s) commune sans contour (codes d'une autre année du COG ?) : "
                           + ", ".join(unmatched[:10]) + ("…" if len(unmatched) > 10 else ""))
            names = data.commune_names()
            with st.expander("Données de la carte (alternative textuelle)"):
                table = values.assign(nom=values["code"].map(lambda c: names.get(c, "")))
                st.dataframe(table.rename(columns={"code": "Code commune", "nom": "Commune", "value": label,
                                                   "n": "Enregistrements"})[["Code commune", "Commune", label,
                                                                             "Enregistrements"]],
                             hide_index=True, width="stretch")
            m = MapSpec(mode="choropleth", column=column, agg=agg if column else "count", lat=m.lat, lon=m.lon,
                           zoom=m.zoom)
    except QueryError as exc:
        st.error(str(exc))
    note("Fond : contours des communes (aucune carte en ligne n'est chargée).")
    return v.replace(map=m)
