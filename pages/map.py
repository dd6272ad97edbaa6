"""Map for residents: communes or EPCIs coloured by an indicator, public-service layers and a commune's panel."""

import streamlit as st

import indicators
from config import get_settings
from geo import deck as maps
from geo import legend_svg
from indicators import board, territory
from indicators.data import dataset_info, frame, indicator_frame
from indicators.state import MAP_LAYERS, MapState, default_view, map_levels
from ui import format as fmt
from ui import indicator_cards as cards

KEY_INDICATORS = ("population", "population-croissance", "france-services-distance", "sante-distance",
                  "colleges-distance", "ips-ecoles", "dnb-reussite")
COMMUNE_ZOOM = 11.0

st.title("Carte du territoire")
cards.note(
    "Communes ou intercommunalités colorées selon un indicateur, services publics à afficher, et pour une commune : "
    "ses indicateurs clés et les services les plus proches. Les contours viennent de l'entrepôt : la carte "
    "fonctionne sans connexion à un fond de carte."
)

place = get_settings().territory
levels = map_levels(indicators.board_levels())
communes = territory.communes()
commune_labels = {row["code"]: territory.commune_label(row) for row in communes.to_dict("records")}
located = communes.dropna(subset=["lon", "lat"])
home_view = default_view(located["lon"].tolist(), located["lat"].tolist())

# -- URL → widgets (a shared link reproduces the view); afterwards the widgets lead ------------------------------
url_state = MapState.from_params(st.query_params, levels)
notice = ""
if st.session_state.get("map_synced") != url_state.to_params():
    st.session_state["map_level"] = url_state.level
    choices = [ind.id for ind in indicators.mappable(url_state.level)]
    st.session_state["map_indicator"] = url_state.indicator if url_state.indicator in choices else "population"
    for kind in MAP_LAYERS:
        st.session_state[f"map_layer_{kind}"] = kind in url_state.layers
    commune_code = None
    if url_state.commune:
        resolution = territory.resolve("commune", url_state.commune)
        if resolution.territory.level == "commune":
            commune_code = resolution.territory.code
        notice = resolution.notice
    st.session_state["map_commune"] = commune_code
    st.session_state["map_prev_commune"] = commune_code
    if url_state.lat is not None and url_state.lon is not None and url_state.zoom is not None:
        st.session_state["map_view"] = (url_state.lat, url_state.lon, url_state.zoom)
    else:
        # A link naming a commune but no view opens zoomed on that commune.
        st.session_state["map_view"] = None
        st.session_state["map_prev_commune"] = None

# A click on a commune of the map selects it, as the search box does (read before the widgets are drawn).
clicked = (st.session_state.get("map_deck") or {}).get("selection", {}).get("objects", {})
clicked_commune = next((obj.get("properties", {}).get("code") for obj in clicked.get("choropleth-commune", [])), None)
if clicked_commune and clicked_commune != st.session_state.get("map_last_click"):
    st.session_state["map_commune"] = clicked_commune
st.session_state["map_last_click"] = clicked_commune

controls = st.columns([2, 3, 3])
with controls[0]:
    level = st.radio("Découpage", levels, key="map_level", horizontal=True,
                     format_func={"commune": "Communes", "epci": "Intercommunalités"}.get)
with controls[1]:
    choices = [ind.id for ind in indicators.mappable(level)]
    if st.session_state.get("map_indicator") not in choices:
        st.session_state["map_indicator"] = choices[0]
    indicator = indicators.get(st.selectbox("Indicateur", choices, key="map_indicator",
                                            format_func=lambda i: indicators.get(i).label))
with controls[2]:
    commune_code = st.selectbox("Rechercher une commune (nom ou code postal)", list(commune_labels),
                                format_func=commune_labels.get, key="map_commune", index=None,
                                placeholder="Nom de la commune ou code postal")
layer_cols = st.columns(len(MAP_LAYERS))
layers_on = []
for col, kind in zip(layer_cols, MAP_LAYERS, strict=True):
    with col:
        if st.toggle(maps.SERVICE_KINDS[kind][0], key=f"map_layer_{kind}"):
            layers_on.append(kind)

# -- View: a newly chosen commune zooms to it; otherwise keep the view of the link ---------------------------------
selected = None
if commune_code:
    hit = communes[communes["code"] == commune_code]
    selected = territory.commune_territory(hit.iloc[0]) if not hit.empty else None
if commune_code != st.session_state.get("map_prev_commune"):
    st.session_state["map_view"] = (selected.lat, selected.lon, COMMUNE_ZOOM) if selected and selected.lat else None
    st.session_state["map_prev_commune"] = commune_code
lat, lon, zoom = st.session_state.get("map_view") or home_view

new_state = MapState(indicator=indicator.id, level=level, layers=tuple(layers_on), commune=commune_code or "",
                     lat=lat, lon=lon, zoom=zoom)
if dict(st.query_params) != new_state.to_params():
    st.query_params.from_dict(new_state.to_params())
st.session_state["map_synced"] = new_state.to_params()
if notice:
    st.info(notice, icon=":material/info:")

# -- Map and legend -------------------------------------------------------------------------------------------------
values, error = indicator_frame(indicator, level)
rows = values[(values["level"] == level) & values["value"].notna()]
period = ""
if not rows.empty:
    latest_year = int(rows["year"].max())
    rows = rows[rows["year"] == latest_year]
    period = str(rows["period"].iloc[0])
collection, legend = maps.choropleth(rows, level, lambda v: cards.value_text(indicator, v))
layer_list = [maps.outline_layer()] if level == "epci" else []
layer_list.append(maps.choropleth_layer(collection, level))
if selected is not None and (layer := maps.selection_layer(selected.code)) is not None:
    layer_list.append(layer)
points = frame("map_service_points")
layer_list += [maps.point_layer(kind, points) for kind in layers_on]

map_col, panel = st.columns([3, 2])
with map_col:
    unit_word = "communes" if level == "commune" else "intercommunalités"
    st.pydeck_chart(
        maps.deck(layer_list, lat, lon, zoom, get_settings().basemap_url), height=560, on_select="rerun",
        selection_mode="single-object", key="map_deck",
        alt=f"Carte des {unit_word} {place.of} colorées selon « {indicator.label} » ({period}).",
    )
    cards.note("Survolez une commune ou un point pour sa valeur ; cliquez sur une commune pour l'afficher dans le "
               "panneau. L'adresse de la page garde l'indicateur, les couches, la commune et le cadrage.")
    st.markdown(f"**{indicator.label}** — {indicator.unit}, {indicator.year_label.lower()} {period} "
                f"(classes par quantiles)")
    spans = [("pas de valeur" if row.low is None else
              f"{cards.value_text(indicator, row.low)} à {cards.value_text(indicator, row.high)}") for row in legend]
    legend_text = " ; ".join(f"{row.colour} : {span}" for row, span in zip(legend, spans, strict=True))
    st.image(legend_svg([(row.rgb, f"{span} ({row.count})") for row, span in zip(legend, spans, strict=True)]),
             alt=f"Légende : {indicator.label} — {legend_text}")
    table = ["| Couleur | Classe | " + unit_word.capitalize() + " |", "|---|---|---:|"]
    table += [f"| {row.colour} | {span} | {row.count} |" for row, span in zip(legend, spans, strict=True)]
    st.markdown("\n".join(table))
    if error:
        st.warning(f"Indicateur indisponible : {error}")
    for info in (dataset_info(ds) for ds in indicators.source_ids(indicator)):
        st.page_link(cards.DATASET_PAGE, label=f"Source : {info['title']}", query_params={"id": info["id"]},
                     icon=":material/description:")
    cards.note(f"Licence : {' ; '.join(sorted({dataset_info(ds)['licence'] for ds in indicators.source_ids(indicator)}))}. "
               f"Méthode : {' '.join(indicator.method.split())}")
    for brk in indicator.breaks:
        cards.note(f"⚠️ Rupture de série en {brk.year} : {brk.text}")

with panel:
    if selected is None:
        st.subheader("Une commune")
        st.info("Recherchez une commune (nom ou code postal) ou cliquez sur la carte pour voir ses indicateurs clés "
                "et les services publics les plus proches.")
    else:
        st.subheader(selected.name)
        cards.note(f"Commune {selected.code} · codes postaux {selected.postcodes.replace('|', ', ')} · "
                   f"{selected.epci_name}")
        st.markdown("**Indicateurs clés**")
        lines = []
        by_id = {card.indicator.id: card for card in board.build_cards(selected)}  # one cache hit when warm
        for ind_id in dict.fromkeys((*KEY_INDICATORS, indicator.id)):
            card = by_id.get(ind_id)
            if card is None or not card.available:
                continue
            ind = card.indicator
            value = (f"{cards.value_text(ind, card.latest.value)} ({card.latest.period})" if card.latest
                     else "pas de valeur")
            lines.append(f"- {ind.label} : **{value}**")
        st.markdown("\n".join(lines))
        st.page_link("pages/indicators.py", label="Tableau de bord complet de la commune", icon=":material/monitoring:",
                     query_params={"niveau": "commune", "code": selected.code})
        st.markdown("**Services les plus proches** (à vol d'oiseau depuis le centroïde de la commune)")
        nearest = frame("map_nearest_services", code=selected.code, per_kind=1)
        for kind, (label, _, _) in maps.SERVICE_KINDS.items():
            dataset_id = maps.service_dataset(kind)
            hit = nearest[nearest["kind"] == kind]
            if hit.empty:
                continue
            row = hit.iloc[0]
            st.markdown(f"- {label} : **{row['name']}** ({row['town']}) — {fmt.number(row['distance_km'], 1)} km")
            st.page_link(cards.DATASET_PAGE, label=f"Jeu de données : {dataset_info(dataset_id)['title']}",
                         query_params={"id": dataset_id}, icon=":material/description:")

    clicked_points = [(kind, obj) for kind in layers_on for obj in clicked.get(kind, [])]
    for kind, obj in clicked_points:
        label, dataset_id = maps.SERVICE_KINDS[kind][0], maps.service_dataset(kind)
        st.markdown(f"**Point choisi** — {obj.get('tooltip', '')}")
        st.page_link(cards.DATASET_PAGE, label=f"Jeu de données : {dataset_info(dataset_id)['title']}",
                     query_params={"id": dataset_id}, icon=":material/description:")

    if layers_on:
        st.markdown("**Couches affichées**")
    for kind in layers_on:
        label, dataset_id = maps.SERVICE_KINDS[kind][0], maps.service_dataset(kind)
        subset = points[points["kind"] == kind]
        info = dataset_info(dataset_id)
        with st.expander(f"{label} ({len(subset)})"):
            st.page_link(cards.DATASET_PAGE, label=f"Jeu de données : {info['title']}",
                         query_params={"id": dataset_id}, icon=":material/description:")
            cards.note(f"Licence : {info['licence']}")
            st.markdown("\n".join(f"- {r.name} ({r.town})" for r in subset.itertuples()))
