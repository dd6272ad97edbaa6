"""Commune page (/commune?code=24520): the resident's « what is near me? » — key figures, nearest services on a map
and as a list, the commune's indicators, the datasets that have rows for it and the reuses about it."""

import streamlit as st

from ui import commune
from ui import commune_search as search
from ui.cards import escape_markdown

code = str(st.query_params.get("code") or "")
place, notice = commune.resolve(code)

if place is None:
    st.title("Commune")
    st.warning(notice, icon=":material/location_off:")
    query = st.text_input("Rechercher une commune (nom, code postal ou code INSEE)", key="commune_q",
                          placeholder="Nom de la commune ou code postal")
    if query.strip() and not search.render_places(query):
        st.info(f"Aucune commune ni intercommunalité ne correspond à « {escape_markdown(query.strip())} ».")
    st.stop()

if place.code != code.strip():
    st.query_params["code"] = place.code  # an old code: the address now names the commune shown
st.title(place.name)
if notice:
    st.info(notice, icon=":material/info:")
commune.page(place)
