"""Map for residents: communes or EPCIs coloured by an indicator, public-service layers and a commune's (or an
EPCI's) panel. The map comes first in the page's order, so a phone shows it before the controls."""

import streamlit as st

import indicators
from config import get_settings
from geo import PALETTE, legend_svg
from geo import deck as maps
from indicators import board, territory
from indicators.data import dataset_info, frame, indicator_frame
from indicators.state import MAP_LAYERS, MapState, default_view, map_levels
from ui import indicator_cards as cards
from ui import nearest_services

KEY_INDICATORS = ("population", "population-croissance", "france-services-distance", "sante-distance",
                  "colleges-distance", "ips-ecoles", "dnb-reussite")
COMMUNE_ZOOM = 11.0
LEVEL_WORDS = {"commune": "Communes", "epci": "Intercommunalités"}

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
    st.session_state["map_epci"] = url_state.epci if url_state.epci in maps.shapes("epci") else None
    if url_state.lat is not None and url_state.lon is not None and url_state.zoom is not None:
        st.session_state["map_view"] = (url_state.lat, url_state.lon, url_state.zoom)
    else:
        # A link naming a commune but no view opens zoomed on that commune.
        st.session_state["map_view"] = None
        st.session_state["map_prev_commune"] = None

# -- A click on the map (read before the widgets it sets are drawn) ------------------------------------------------
# The pickable layers' ids carry the number of clicks read so far: once a click is read, the next map has new ids,
# so Streamlit's chart finds no layer of its selection and drops it. Otherwise it would keep the clicked shape
# selected, repaint every other shape of every layer pale (its own selection style) and show an English « Clear
# selection » button. (Changing the chart's key does not do it: the browser keeps the chart and its selection.)
clicks = int(st.session_state.get("map_clicks", 0))
id_suffix = f"-{clicks}"
clicked = (st.session_state.get("map_deck") or {}).get("selection", {})
for layer_id, indices in (clicked.get("indices") or {}).items():
    if not indices or not layer_id.endswith(id_suffix):
        continue  # an earlier map's selection, already read
    st.session_state["map_clicks"] = clicks + 1
    layer_id = layer_id.removesuffix(id_suffix)
    clicked_level = layer_id.removeprefix("choropleth-")
    if clicked_level in ("commune", "epci") and indices[0] < len(codes := maps.codes(clicked_level)):
        if clicked_level == "commune":
            st.session_state["map_commune"], st.session_state["map_epci"] = codes[indices[0]], None
        else:
            st.session_state["map_epci"], st.session_state["map_commune"] = codes[indices[0]], None
        st.session_state["map_point"] = None
    elif layer_id in MAP_LAYERS:
        objects = (clicked.get("objects") or {}).get(f"{layer_id}{id_suffix}") or [{}]
        st.session_state["map_point"] = (layer_id, str(objects[0].get("tooltip", "")))
    break
id_suffix = f"-{st.session_state.get('map_clicks', 0)}"

map_col, side = st.columns([3, 2])
with side:
    level = st.radio("Découpage", levels, key="map_level", horizontal=True, format_func=LEVEL_WORDS.get)
    choices = [ind.id for ind in indicators.mappable(level)]
    if st.session_state.get("map_indicator") not in choices:
        st.session_state["map_indicator"] = choices[0]
    indicator = indicators.get(st.selectbox("Indicateur", choices, key="map_indicator",
                                            format_func=lambda i: indicators.get(i).label))
    commune_code = st.selectbox("Rechercher une commune (nom ou code postal)", list(commune_labels),
                                format_func=commune_labels.get, key="map_commune", index=None,
                                placeholder="Nom de la commune ou code postal")
    st.markdown("**Services publics**")
    layers_on = [kind for kind in MAP_LAYERS if st.toggle(maps.SERVICE_KINDS[kind][0], key=f"map_layer_{kind}")]

# -- View: a newly chosen commune zooms to it; otherwise keep the view of the link ---------------------------------
selected = None
if commune_code:
    hit = communes[communes["code"] == commune_code]
    selected = territory.commune_territory(hit.iloc[0]) if not hit.empty else None
if commune_code != st.session_state.get("map_prev_commune"):
    st.session_state["map_view"] = (selected.lat, selected.lon, COMMUNE_ZOOM) if selected and selected.lat else None
    st.session_state["map_prev_commune"] = commune_code
    if commune_code:
        st.session_state["map_epci"] = None
epci_code = st.session_state.get("map_epci") if level == "epci" and not selected else None
lat, lon, zoom = st.session_state.get("map_view") or home_view

new_state = MapState(indicator=indicator.id, level=level, layers=tuple(layers_on), commune=commune_code or "",
                     epci=epci_code or "", lat=lat, lon=lon, zoom=zoom)
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
# At the EPCI level the communes' borders are drawn over the fill (not picked), so they stay visible.
layer_list = [maps.choropleth_layer(collection, level, id_suffix)]
if level == "epci":
    layer_list.append(maps.outline_layer())
outlined = (selected.code, "commune") if selected is not None else (epci_code, "epci") if epci_code else None
if outlined and (layer := maps.selection_layer(*outlined)) is not None:
    layer_list.append(layer)
layer_list.append(maps.label_layer(lat, lon, zoom))
points = frame("map_service_points")
layer_list += [maps.point_layer(kind, points, id_suffix) for kind in layers_on]

unit_word = "communes" if level == "commune" else "intercommunalités"
spans = [("pas de valeur" if row.low is None else
          f"{cards.value_text(indicator, row.low)} à {cards.value_text(indicator, row.high)}") for row in legend]
# Classes are named by number and lightness, never by colour (« classe 1, la plus claire »).
class_names = ["Sans valeur" if row.low is None else
               f"Classe {i + 1}" + (" (la plus claire)" if i == 0 else " (la plus foncée)"
                                    if i == len([r for r in legend if r.low is not None]) - 1 else "")
               for i, row in enumerate(legend)]
with map_col:
    st.pydeck_chart(
        maps.deck(layer_list, lat, lon, zoom, get_settings().basemap_url), height=560, on_select="rerun",
        selection_mode="single-object", key="map_deck",
        alt=f"Carte des {unit_word} {place.of} colorées selon « {indicator.label} » ({period}), en {len(PALETTE)} "
            f"classes de la plus claire (valeurs basses) à la plus foncée (valeurs hautes).",
    )
    cards.note("Survolez une commune ou un point : sa valeur s'affiche en haut à gauche de la carte ; cliquez sur "
               f"{'une commune' if level == 'commune' else 'une intercommunalité'} pour l'afficher dans le panneau. "
               "L'adresse de la page garde l'indicateur, les couches, la sélection et le cadrage.")
    title = f"{indicator.label} — {indicator.unit}, {indicator.year_label.lower()} {period}"
    items: list[tuple] = [(row.rgb, f"{name} : {span} ({row.count})")
                          for row, name, span in zip(legend, class_names, spans, strict=True)]
    if outlined:
        items.append((maps.SELECTION_RGB, "Commune choisie" if outlined[1] == "commune" else "Intercommunalité choisie",
                      "outline"))
    items += [(tuple(maps.SERVICE_KINDS[kind][2][:3]), maps.SERVICE_KINDS[kind][0], maps.SERVICE_SHAPES[kind])
              for kind in layers_on]
    st.markdown(f"**{indicator.label}** — {indicator.unit}, {indicator.year_label.lower()} {period} "
                f"(classes par quantiles, de la plus claire à la plus foncée)")
    st.image(legend_svg(items), alt=f"Légende : {title} — " + " ; ".join(text for _, text, *_ in items))
    table = ["| Classe | Valeurs | " + unit_word.capitalize() + " |", "|---|---|---:|"]
    table += [f"| {name} | {span} | {row.count} |" for row, name, span in zip(legend, class_names, spans, strict=True)]
    st.markdown("\n".join(table))
    if error:
        st.warning(f"Indicateur indisponible : {error}")
    infos = [dataset_info(ds) for ds in indicators.source_ids(indicator, level)]  # this level's sources only
    for info in infos:
        st.page_link(cards.DATASET_PAGE, label=f"Source : {info['title']}", query_params={"id": info["id"]},
                     icon=":material/description:")
    cards.note(f"Licence : {' ; '.join(sorted({info['licence'] for info in infos}))}. "
               f"Méthode : {' '.join(indicator.method.split())} Noms de lieux et contours : référentiel des communes "
               "du portail (contours simplifiés pour la carte ; le jeu de données garde les contours complets).")
    for brk in indicator.breaks:
        cards.note(f"⚠️ Rupture de série en {brk.year} : {brk.text}")

with side:
    point = st.session_state.get("map_point")
    if point and point[0] in layers_on:
        kind, text = point
        st.markdown(f"**Point choisi** — {text}")
        dataset_id = maps.service_dataset(kind)
        st.page_link(cards.DATASET_PAGE, label=f"Jeu de données : {dataset_info(dataset_id)['title']}",
                     query_params={"id": dataset_id}, icon=":material/description:")
    if selected is None and epci_code:
        epci_name = maps.level_shapes("epci").names.get(epci_code, epci_code)
        members = communes[communes["epci_code"].astype(str) == epci_code]
        st.subheader(epci_name)
        cards.note(f"Intercommunalité (SIREN {epci_code}) · {len(members)} communes {place.of}")
        st.page_link("pages/indicators.py", label="Tableau de bord de l'intercommunalité", icon=":material/monitoring:",
                     query_params={"niveau": "epci", "code": epci_code})
        st.markdown(", ".join(sorted(members["name"].astype(str))))
    elif selected is None:
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
        st.page_link("pages/commune.py", label=f"Page de la commune : {selected.name}", icon=":material/location_city:",
                     query_params={"code": selected.code})
        st.markdown("**Services les plus proches**")
        nearest_services.show(selected.code)

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
