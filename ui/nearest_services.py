"""The services nearest a commune, as a resident reads them: several per kind, public and private told apart (public
first), health establishments grouped by type, each with its address, its distance and the date of its data; and
the same sites on an offline map. Used by the commune page and /carte's commune panel."""

from __future__ import annotations

import math

import pandas as pd
import pydeck as pdk
import streamlit as st

import queries
from catalogue.french import date_long
from config import get_settings
from geo import deck as maps
from geo import haversine_km, legend_svg
from indicators.data import dataset_info, frame
from ui import format as fmt
from ui import reuses as reuse_ui
from ui.cards import escape_markdown
from ui.commune_text import proper_case, town_name
from ui.dataset import data as dataset_data

# Health establishments by FINESS group (the `category` column of map_nearest_services.sql), in reading order.
HEALTH_GROUPS = {
    "hopital": "Hôpitaux (centres hospitaliers)",
    "clinique": "Cliniques et établissements de soins",
    "ssr": "Soins de suite et de réadaptation (SSR)",
    "psychiatrie": "Psychiatrie et santé mentale",
    "long_sejour": "Soins de longue durée (USLD, unités d'EHPAD)",
    "autre": "Autres établissements de santé",
}
# What a date held in the data means, per kind (the others cite their dataset's last update).
DATA_DATE_WORDS = {"sante": "données au {}", "musees": "fiche mise à jour le {}"}
SECTOR_WORDS = {"public": "public", "privé": "privé"}


def nearest(code: str, per_kind: int = 3) -> pd.DataFrame:
    """The rows of map_nearest_services for a commune (cached per data version, commune and count)."""
    return frame("map_nearest_services", code=code, per_kind=int(per_kind))


def _dataset_date(kind: str) -> str:
    spec = dataset_data.spec(maps.service_dataset(kind))
    return f"jeu de données mis à jour le {date_long(spec.modified)}" if spec is not None and spec.modified else ""


def line(row: pd.Series, kind: str, fallback_date: str) -> str:
    """« **Collège La Boétie** (public) — 1,9 km · Rue Gabriel Tarde, 24204 Sarlat-la-Canéda · jeu de données mis
    à jour le … »: Markdown with every value from the data escaped."""
    name = proper_case(row["name"])
    name = escape_markdown(name[:1].upper() + name[1:])  # « musée Paul Reclus » opens a line: « Musée Paul Reclus »
    tags = []
    if isinstance(row.get("sector"), str) and row["sector"] in SECTOR_WORDS:
        tags.append(SECTOR_WORDS[row["sector"]])
    if isinstance(row.get("type"), str) and row["type"].strip():
        tags.append(escape_markdown(row["type"].strip()))
    head = f"**{name}**" + (f" ({' · '.join(tags)})" if tags else "")
    parts = [f"{fmt.number(row['distance_km'], 1)} km"]
    if isinstance(row.get("site"), str) and row["site"].strip():
        parts.append(f"site : {escape_markdown(proper_case(row['site']))}")
    place = " ".join(p for p in (str(row["postcode"] or "") if pd.notna(row.get("postcode")) else "",
                                 town_name(row["town"])) if p)
    address = proper_case(row["address"]) if pd.notna(row.get("address")) else ""
    where = ", ".join(p for p in (address, place) if p)
    if where:
        parts.append(escape_markdown(where))
    if pd.notna(row.get("data_date")) and kind in DATA_DATE_WORDS:
        parts.append(DATA_DATE_WORDS[kind].format(date_long(str(row["data_date"])[:10])))
    elif fallback_date:
        parts.append(fallback_date)
    return f"{head} — {' · '.join(parts)}"


def show(code: str, per_kind: int = 3) -> None:
    """The list: for each kind of service its `per_kind` nearest sites (health: per group), then the source."""
    try:
        rows = nearest(code, per_kind)
    except queries.QueryError as exc:
        st.warning(f"Services les plus proches indisponibles : {exc}")
        return
    if rows.empty:
        st.info("Aucun service localisé pour cette commune.")
        return
    st.markdown("Distances à vol d'oiseau depuis le centre de la commune ; les établissements publics d'abord.")
    for kind, (label, _, _) in maps.SERVICE_KINDS.items():
        subset = rows[rows["kind"] == kind]
        if subset.empty:
            continue
        st.markdown(f"**{label}**")
        fallback = _dataset_date(kind)
        for category, group in subset.groupby("category", sort=False):
            lines = [f"{i}. {line(row, kind, fallback)}" for i, (_, row) in enumerate(group.iterrows(), start=1)]
            if kind == "sante":
                st.markdown(f"*{HEALTH_GROUPS.get(str(category), HEALTH_GROUPS['autre'])}*")
            st.markdown("\n".join(lines))
        info = dataset_info(maps.service_dataset(kind))
        # reuse_ui.page_link falls back to a plain link when the page runs outside the router (tests, embeds).
        reuse_ui.page_link(reuse_ui.DATASET, f"Source : {info['title']}", {"id": info["id"]},
                           icon=":material/description:")
        st.markdown(f":small[Licence : {escape_markdown(info['licence'])}]")


def _zoom(distance_km: float, lat: float) -> float:
    """A zoom showing about twice the farthest distance across a 560-pixel map (Web Mercator: 156.5 km per 256-pixel
    tile at zoom 0 and the equator, halved at each level)."""
    span_km = max(2.0 * distance_km, 4.0) * 1.3
    km_per_px_zoom0 = 40075.0 * math.cos(math.radians(lat)) / 256.0
    return max(6.0, min(13.0, math.log2(km_per_px_zoom0 * 560.0 / span_km)))


def _outlines(communes: pd.DataFrame, lon: float, lat: float, radius_km: float) -> pdk.Layer:
    """The outlines of the communes around (centroid within `radius_km`): the offline background of the map, without
    sending the whole territory's outlines (700 kB for 503 communes) to draw a few dozen."""
    geometries = maps.shapes("commune")
    near = [str(r.code) for r in communes.dropna(subset=["lon", "lat"]).itertuples()
            if haversine_km(lon, lat, float(r.lon), float(r.lat)) <= radius_km and str(r.code) in geometries]
    features = [{"type": "Feature", "geometry": geometries[code], "properties": {}} for code in near]
    return pdk.Layer("GeoJsonLayer", data={"type": "FeatureCollection", "features": features}, id="communes-around",
                     stroked=True, filled=True, pickable=False, line_width_min_pixels=0.5,
                     get_fill_color=[245, 245, 240, 255], get_line_color=[150, 150, 150, 255])


def show_map(code: str, per_kind: int = 3, height: int = 420) -> None:
    """The same sites on an offline map (the communes' outlines as the background, no basemap fetched), the
    commune outlined, one colour per kind with its drawn legend."""
    try:
        rows = nearest(code, per_kind).dropna(subset=["lon", "lat"])
        centre = frame("territory_communes")
    except queries.QueryError as exc:
        st.warning(f"Carte indisponible : {exc}")
        return
    hit = centre[centre["code"] == code].dropna(subset=["lon", "lat"])
    if hit.empty:
        return
    lat, lon = float(hit["lat"].iloc[0]), float(hit["lon"].iloc[0])
    # Framed on the everyday services (collèges, France services, museums, hospitals); the specialised health sites
    # lie further away and are a zoom-out away.
    everyday = rows[(rows["kind"] != "sante") | (rows["category"] == "hopital")]
    farthest = float(everyday["distance_km"].max()) if not everyday.empty else 5.0
    layers = [_outlines(centre, lon, lat, 1.6 * max(farthest, 5.0))]  # about the view's half-width
    if (selection := maps.selection_layer(code)) is not None:
        layers.append(selection)
    legend = []
    for kind, (label, _, color) in maps.SERVICE_KINDS.items():
        subset = rows[rows["kind"] == kind]
        if subset.empty:
            continue
        data = [{"lon": round(float(r["lon"]), 6), "lat": round(float(r["lat"]), 6),
                 "tooltip": f"{label} : {proper_case(r['name'])} ({fmt.number(r['distance_km'], 1)} km)"}
                for _, r in subset.iterrows()]
        layers.append(pdk.Layer("ScatterplotLayer", data=data, id=f"nearest-{kind}", get_position=["lon", "lat"],
                                get_fill_color=color, get_line_color=[255, 255, 255, 255], stroked=True,
                                line_width_min_pixels=1, get_radius=250, radius_min_pixels=6, radius_max_pixels=14,
                                pickable=True))
        legend.append((tuple(color[:3]), f"{label} ({len(subset)})"))
    st.pydeck_chart(maps.deck(layers, lat, lon, _zoom(farthest, lat), get_settings().basemap_url), height=height,
                    key=f"nearest_map_{code}",
                    alt="Carte des services les plus proches de la commune : " + " ; ".join(t for _, t in legend))
    if legend:
        st.image(legend_svg(legend), alt="Légende : " + " ; ".join(text for _, text in legend))
