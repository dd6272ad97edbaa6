"""The commune page's sections: key figures, nearest services, indicators, datasets with rows for it, reuses."""

from __future__ import annotations

import re

import streamlit as st

import queries
from indicators import board, territory
from indicators.board import Card
from indicators.territory import Territory
from ui import commune_data, nearest_services
from ui import format as fmt
from ui import indicator_cards as cards
from ui import reuses as reuse_ui
from ui.cards import escape_markdown
from ui.commune_text import wrap_page_links

CODE_RE = re.compile(r"^(2[AB]|\d{2})\d{3}$")
BOARD_PAGE = "pages/indicators.py"
DATASET_PAGE = "pages/dataset.py"
MAX_REUSES = 6


def resolve(code: str) -> tuple[Territory | None, str]:
    """The commune a link's code designates (an old code leads to its current commune) and a French notice; (None,
    message) when the link names no commune the portal knows."""
    code = code.strip()
    if not code:
        return None, "Aucune commune n'est indiquée dans le lien. Recherchez-la par son nom ou son code postal."
    if not CODE_RE.match(code):
        return None, (f"« {escape_markdown(code[:20])} » n'est pas un code INSEE de commune (5 caractères, par "
                      "exemple 24520). Recherchez la commune par son nom ou son code postal.")
    found = territory.resolve("commune", code)
    if found.territory.level != "commune":
        return None, (f"Aucune commune du territoire ne porte le code INSEE {code} (géographie COG 2026). "
                      "Recherchez-la par son nom ou son code postal.")
    return found.territory, found.notice if found.redirected else ""


def _card(cards_: list[Card], indicator_id: str) -> Card | None:
    return next((c for c in cards_ if c.indicator.id == indicator_id and c.available and c.latest), None)


def key_figures(place: Territory, cards_: list[Card]) -> None:
    """Population and its change, area and density (the density indicator's own figures), EPCI and postcodes."""
    population = _card(cards_, "population")
    density = _card(cards_, "densite")
    area = commune_data.area_km2(place.code)
    cols = st.columns(3)
    with cols[0]:
        if population is not None:
            st.metric(f"Population municipale ({population.latest.period})",
                      cards.value_text(population.indicator, population.latest.value),
                      **cards.change_metric_args(population))
        else:
            st.metric("Population municipale", "–")
    # « ≈ »: the area is exact for the outline the warehouse holds, but that outline is simplified (1 to 3 % off the
    # official INSEE area), so the figures are rounded and said to be approximate.
    with cols[1]:
        st.metric("Superficie", f"≈ {fmt.number(area, 1)} km²" if area else "–",
                  help="Aire géodésique du contour de la commune dans l'entrepôt (tracé simplifié) : elle s'écarte de "
                       "1 à 3 % de la superficie officielle.")
    with cols[2]:
        st.metric("Densité", f"≈ {cards.value_text(density.indicator, density.latest.value)}" if density else "–",
                  help="Population municipale divisée par cette superficie — l'indicateur « Densité de population » "
                       "du tableau de bord.")
    facts = [f"Code INSEE {place.code}"]
    if place.postcodes:
        plural = "s" if "|" in place.postcodes else ""
        facts.append(f"code{plural} postal{'aux' if plural else ''} {place.postcodes.replace('|', ', ')}")
    st.markdown(" · ".join(facts))
    if place.epci_code and place.epci_name:
        st.page_link(BOARD_PAGE, label=f"Intercommunalité : {escape_markdown(place.epci_name)}",
                     query_params={"niveau": "epci", "code": place.epci_code}, icon=":material/hub:")


def services(place: Territory) -> None:
    st.header("Services les plus proches")
    wrap_page_links("commune_services")
    with st.container(key="commune_services"):
        map_col, list_col = st.columns([2, 3], gap="large")
        with map_col:
            nearest_services.show_map(place.code)
        with list_col:
            nearest_services.show(place.code)


def indicator_cards(place: Territory, cards_: list[Card]) -> None:
    """The cards that exist at the commune level and have a value for it (never a département figure)."""
    st.header("Indicateurs")
    own = [c for c in cards_ if c.available and c.latest is not None and not c.error]
    if own:
        cards.render_cards(own)
    else:
        st.info("Aucun indicateur n'a de valeur pour cette commune.")
    st.page_link(BOARD_PAGE, label="Tableau de bord complet de la commune",
                 query_params={"niveau": "commune", "code": place.code}, icon=":material/monitoring:")


def datasets(place: Territory) -> set[str]:
    """The datasets with rows for the commune, each with its count and a link to exactly those rows."""
    st.header("Données sur la commune")
    try:
        found = commune_data.datasets_with_rows(place.code)
    except queries.QueryError as exc:
        st.warning(f"Liste indisponible : {exc}")
        return set()
    if not found:
        st.info("Aucun jeu de données du catalogue n'a de ligne pour cette commune.")
        return set()
    st.markdown(f"{len(found)} jeux de données du catalogue ont des lignes pour {escape_markdown(place.name)} :")
    with st.container(key="commune_datasets"):
        _dataset_links(found)
    return {item.dataset_id for item in found}


def _dataset_links(found: tuple[commune_data.DatasetRows, ...]) -> None:
    wrap_page_links("commune_datasets")
    for item in found:
        noun = "ligne" if item.rows == 1 else "lignes"
        st.page_link(DATASET_PAGE, label=f"{escape_markdown(item.title)} — {fmt.number(item.rows)} {noun}",
                     query_params=item.params, icon=":material/table:")
        cards.note(f"Filtre : {escape_markdown(item.column_label)} = "
                   f"{', '.join(str(v).rsplit(':', 1)[-1] for v in item.params['f'])}")


def reuses(place: Territory, dataset_ids: set[str]) -> None:
    st.header("Réutilisations")
    naming, using = reuse_ui.safely(commune_data.reuses_about, place.name, dataset_ids, default=([], []))
    if naming:
        st.markdown(f"**Qui parlent de {escape_markdown(place.name)}**")
        reuse_ui.render_reuse_cards(naming[:MAX_REUSES])
    if using:
        st.markdown("**Qui utilisent des données de la commune**")
        reuse_ui.render_reuse_cards(using[:MAX_REUSES])
    if not naming and not using:
        st.info(f"Aucune réutilisation publiée ne concerne encore {escape_markdown(place.name)}.")
    reuse_ui.page_link(reuse_ui.SUBMIT, "Proposer une réutilisation", icon=":material/add_circle:")


def page(place: Territory) -> None:
    cards_ = board.build_cards(place)
    key_figures(place, cards_)
    services(place)
    indicator_cards(place, cards_)
    reuses(place, datasets(place))
