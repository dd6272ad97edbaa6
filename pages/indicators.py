"""Indicator board for elected officials: pick a territory, read its cards, series and ranking, export the data."""

import streamlit as st

import indicators
from config import capitalize, get_settings
from indicators import LEVEL_LABELS, board, territory
from indicators.data import departement_place
from indicators.state import BoardState
from ui import indicator_cards as cards
from ui import indicator_series as series

place = get_settings().territory
levels = indicators.board_levels()
top = levels[0]

st.title("Indicateurs du territoire")
cards.note(
    "Population, vieillissement, aide sociale, collèges et écoles, services publics, musées : chaque chiffre "
    "indique sa source, sa licence, sa période et, quand il est calculé, sa méthode."
)

# -- URL → widgets: a shared link opens the same board; after that, the widgets lead -------------------------------
url_state = BoardState.from_params(st.query_params, levels)
resolution = territory.resolve(url_state.level, url_state.code)
if st.session_state.get("indicators_synced") != url_state.to_params():
    st.session_state["indicators_level"] = resolution.territory.level
    if resolution.territory.level != top:
        st.session_state[f"indicators_{resolution.territory.level}"] = resolution.territory.code
    if indicators.get(url_state.indicator):
        st.session_state["indicators_series"] = url_state.indicator

communes = territory.communes()
epcis = territory.epcis()
commune_labels = {row["code"]: territory.commune_label(row) for row in communes.to_dict("records")}
epci_labels = dict(zip(epcis["code"], epcis["name"], strict=True))



def open_commune_epci(previous_level: str, commune_code: str | None) -> None:
    """Commune → EPCI opens the commune's own EPCI, not the empty picker (which showed the whole territory)."""
    if previous_level == "commune" and commune_code and st.session_state.get("indicators_level") == "epci":
        if epci := territory.commune_epci(commune_code):
            st.session_state["indicators_epci"] = epci


pick_level, pick_place = st.columns([2, 3])
with pick_level:
    # The callback's arguments are this run's level and commune: it runs on the next run, before the widgets.
    level = st.radio("Niveau", levels, key="indicators_level", horizontal=True,
                     format_func=lambda lv: capitalize(place.with_article) if lv == top else LEVEL_LABELS[lv],
                     on_change=open_commune_epci, args=(st.session_state.get("indicators_level"),
                                                        st.session_state.get("indicators_commune")))
with pick_place:
    if level == top:
        code = ""
    elif level == "epci":
        code = st.selectbox("Intercommunalité", list(epci_labels), format_func=epci_labels.get, key="indicators_epci",
                            index=None, placeholder="Choisir une intercommunalité")
    else:
        code = st.selectbox("Commune (tapez un nom ou un code postal)", list(commune_labels),
                            format_func=commune_labels.get, key="indicators_commune", index=None,
                            placeholder="Nom de la commune ou code postal")

if level != top and not code:
    st.info("Choisissez une intercommunalité ou une commune : en attendant, le tableau de bord montre "
            f"{place.with_article}.")
current = territory.resolve(level, code or "").territory if code else territory.top_territory()
if resolution.notice and current.code == resolution.territory.code:
    (st.info if resolution.redirected else st.warning)(resolution.notice, icon=":material/info:")

series_choices = [ind.id for ind in indicators.registry()]
st.session_state.setdefault("indicators_series", "population")
series_id = st.session_state["indicators_series"]
new_state = BoardState(level=current.level, code=current.code if current.level != top else "",
                       indicator=series_id, top=top)
if dict(st.query_params) != new_state.to_params():
    st.query_params.from_dict(new_state.to_params())
st.session_state["indicators_synced"] = new_state.to_params()

st.header(cards.territory_heading(current))
if current.level == "epci":
    row = epcis[epcis["code"] == current.code]
    if not row.empty and int(row["communes_outside"].iloc[0] or 0) > 0:
        cards.note(f"Cette intercommunalité compte {int(row['communes_outside'].iloc[0])} commune(s) hors du "
                   f"département : les indicateurs ne portent que sur ses communes situées {departement_place().in_}.")
cards.share_link(new_state.url(get_settings().public_base_url))

# -- Cards ------------------------------------------------------------------------------------------------------------
cards.render_cards(board.build_cards(current))

# -- Series -----------------------------------------------------------------------------------------------------------
st.header("Évolution dans le temps")
series_ind = indicators.get(st.selectbox("Indicateur", series_choices, format_func=lambda i: indicators.get(i).label,
                                         key="indicators_series"))
if series_ind is not None:
    series.render_series(series_ind, current)

# -- Ranking ----------------------------------------------------------------------------------------------------------
st.header("Classement")
rank_levels = [lv for lv in ("commune", "epci") if lv in levels[1:]]
st.session_state.setdefault("indicators_rank_level", "epci" if current.level == "epci" != top else "commune")
rank_level = st.radio("Classer les", rank_levels, format_func={"commune": "communes",
                      "epci": "intercommunalités"}.get, key="indicators_rank_level", horizontal=True)
rankable = [ind.id for ind in indicators.for_level(rank_level)]
if st.session_state.get("indicators_rank_indicator") not in rankable:
    st.session_state["indicators_rank_indicator"] = series_id if series_id in rankable else rankable[0]
rank_ind = indicators.get(st.selectbox("Indicateur du classement", rankable, key="indicators_rank_indicator",
                                       format_func=lambda i: indicators.get(i).label))
if rank_ind is not None:
    ranked = board.ranking(rank_ind, rank_level)
    if ranked.empty:
        st.info("Pas de valeur à classer.")
    else:
        highlight = current.code if current.level == rank_level else ""
        mine = ranked[ranked["code"] == highlight]
        if not mine.empty:
            st.markdown(f"**{current.name}** : {int(mine['rank'].iloc[0])}e sur {len(ranked)} "
                        f"({cards.value_text(rank_ind, float(mine['value'].iloc[0]))}).")
        st.plotly_chart(cards.ranking_figure(rank_ind, ranked, highlight), width="stretch",
                        config=cards.plotly_config(f"classement-{rank_ind.id}-{rank_level}"),
                        key="indicators_ranking_chart")
        table = ranked[["rank", "name", "code", "value", "period"]].rename(columns={
            "rank": "Rang", "name": "Territoire", "code": "Code", "value": f"Valeur ({rank_ind.unit})",
            "period": rank_ind.year_label})
        st.dataframe(table, hide_index=True, width="stretch", height=320,
                     column_config={f"Valeur ({rank_ind.unit})": st.column_config.NumberColumn(
                         format="localized")})
        cards.note(f"{len(ranked)} territoires ayant une valeur ; ceux sans valeur (par exemple sans établissement) "
                   f"ne sont pas classés. Méthode : {' '.join(rank_ind.method.split())}")

# -- Exports ----------------------------------------------------------------------------------------------------------
st.header("Télécharger le tableau de bord et ses données")
cards.note(f"Le tableau de bord sur une page A4 (chaque chiffre avec son unité, sa période, sa source et sa licence), "
           f"et toutes les séries affichées pour {current.name}, ses territoires de comparaison et la France, avec "
           "sources, licences et méthodes (une ligne par indicateur et par période).")
slug = f"indicateurs-{current.level}-{current.code}"
share_url = new_state.url(get_settings().public_base_url)
pdf_col, csv_col, xlsx_col = st.columns(3)
with pdf_col:
    # Built only when clicked (the callable), by fpdf2 from the cards' data: a document, not a screenshot.
    st.download_button("Télécharger le tableau de bord (PDF, A4)", lambda: cards.board_pdf(current, share_url),
                       file_name=f"tableau-de-bord-{current.level}-{current.code}.pdf", mime="application/pdf",
                       key="indicators_export_pdf", on_click="ignore", icon=":material/picture_as_pdf:")
with csv_col:
    st.download_button("Télécharger les données en CSV", lambda: cards.export_csv(current), file_name=f"{slug}.csv",
                       mime="text/csv", key="indicators_export_csv", on_click="ignore", icon=":material/download:")
with xlsx_col:
    st.download_button("Télécharger les données en XLSX", lambda: board.export_xlsx(current), file_name=f"{slug}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="indicators_export_xlsx", on_click="ignore", icon=":material/download:")
