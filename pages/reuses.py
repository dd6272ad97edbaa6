"""Reuse gallery: cards filtered by type, topic and dataset, searchable, sorted; the view lives in the URL."""

import math

import streamlit as st

from catalogue.vocab import REUSE_TYPES, TOPICS
from reuses import exports, service, store
from reuses.store import SORTS
from ui import reuses as ui

st.title("Réutilisations")
st.write("Applications, cartes, articles et visualisations réalisés avec les données du portail. "
         "Vous avez réalisé quelque chose avec nos données ?")
ui.page_link(ui.SUBMIT, "Proposer une réutilisation", icon=":material/add_circle:")

state = ui.GalleryState.from_query(st.query_params)
if st.session_state.get("reuses_synced") != state:  # the URL changed (shared link, back button): widgets follow
    st.session_state.update(reuses_q=state.q, reuses_type=state.type, reuses_topic=state.topic,
                            reuses_dataset=state.dataset, reuses_sort=state.sort)

titles = ui.dataset_titles()
dataset_options = ["", *titles]
if state.dataset and state.dataset not in titles:
    dataset_options.append(state.dataset)

c_q, c_type, c_topic, c_dataset, c_sort = st.columns([3, 2, 2, 3, 2], vertical_alignment="bottom")
q = c_q.text_input("Rechercher", key="reuses_q", placeholder="ex. carte, écoles, budget…")
type_ = c_type.selectbox("Type", ["", *REUSE_TYPES], key="reuses_type",
                         format_func=lambda s: REUSE_TYPES.get(s, "Tous les types"))
topic = c_topic.selectbox("Thématique", ["", *TOPICS], key="reuses_topic",
                          format_func=lambda s: TOPICS.get(s, "Toutes les thématiques"))
dataset = c_dataset.selectbox("Jeu de données", dataset_options, key="reuses_dataset",
                              format_func=lambda s: titles.get(s, s) if s else "Tous les jeux de données")
sort = c_sort.selectbox("Trier par", list(SORTS), key="reuses_sort", format_func=SORTS.get)

view = ui.GalleryState(q=q.strip()[:200], type=type_, topic=topic, dataset=dataset, sort=sort, page=state.page)
if view.filters_changed(state):
    view = ui.GalleryState(**{**view.__dict__, "page": 1})

found = ui.safely(store.list_published, dataset_id=view.dataset or None, type=view.type or None,
                  topic=view.topic or None, q=view.q or None, sort=view.sort, default=[])
pages = max(1, math.ceil(len(found) / ui.PAGE_SIZE))
if view.page > pages:
    view = ui.GalleryState(**{**view.__dict__, "page": pages})

if view.to_query() != ui.GalleryState.from_query(st.query_params).to_query():
    st.query_params.from_dict(view.to_query())
st.session_state["reuses_synced"] = view

count = len(found)
filtered = view != ui.GalleryState(sort=view.sort, page=view.page)
if found or filtered:
    st.caption(f"{count} réutilisation{'s' if count > 1 else ''} publiée{'s' if count > 1 else ''}"
               + (" correspondant à votre recherche" if filtered else ""))

if not found and not filtered:  # an empty gallery: nothing to "match", an invitation instead
    st.info("Aucune réutilisation publiée pour l'instant.")
    if service.moderation_open():  # otherwise the form says submissions are closed
        st.write("Vous avez réalisé une carte, une application ou un article avec les données du portail ? "
                 "Proposez-la : elle sera la première de la galerie.")
        ui.page_link(ui.SUBMIT, "Proposer la première réutilisation", icon=":material/add_circle:")
elif not found:
    st.info("Aucune réutilisation ne correspond à ces critères.")
else:
    start = (view.page - 1) * ui.PAGE_SIZE
    ui.render_reuse_cards(found[start:start + ui.PAGE_SIZE])
    if pages > 1:
        prev_col, info_col, next_col = st.columns([1, 2, 1])
        if prev_col.button("← Précédentes", key="reuses_prev", disabled=view.page <= 1):
            st.query_params["page"] = str(view.page - 1)
            st.rerun()
        info_col.caption(f"Page {view.page} sur {pages}")
        if next_col.button("Suivantes →", key="reuses_next", disabled=view.page >= pages):
            st.query_params["page"] = str(view.page + 1)
            st.rerun()

st.subheader("Télécharger")
st.caption("Les réutilisations publiées affichées ci-dessus (sans les adresses électroniques des auteurs).")
d_csv, d_json = st.columns(2)
d_csv.download_button("Télécharger en CSV", exports.to_csv(found), file_name="reutilisations.csv",
                      mime="text/csv", key="reuses_download_csv", on_click="ignore")
d_json.download_button("Télécharger en JSON", exports.to_json(found), file_name="reutilisations.json",
                       mime="application/json", key="reuses_download_json", on_click="ignore")
