"""Compose a dashboard (`/nouveau-tableau-de-bord`; `?d=` starts from a copy of an existing one)."""

import streamlit as st

from ui import dashboard, dashboard_compose
from ui.reuses import page_link

st.title("Composer un tableau de bord")
st.write("Réunissez graphiques, cartes, tableaux, chiffres clés et textes tirés des jeux de données du portail, "
         "puis partagez-les en un seul lien. Un filtre de territoire et d'année s'applique à chaque bloc dont le "
         "jeu de données a cette dimension.")
params = st.query_params
for text in dashboard_compose.start(params.get("d")) + dashboard_compose.incoming(params.get("bloc"), params.get("vue"),
                                                                                 params.get("sql")):
    st.warning(text)

dashboard_compose.settings_form()
st.subheader("Blocs", anchor=False)
dashboard_compose.block_list()
dashboard_compose.add_form()

board = dashboard_compose.current()
st.divider()
st.header("Aperçu", anchor=False)
dashboard.grid(board)
st.divider()
dashboard_compose.result(board)
page_link(("pages/dashboards.py", "tableaux-de-bord"), "Tous les tableaux de bord", icon=":material/dashboard:")
