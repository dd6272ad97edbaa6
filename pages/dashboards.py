"""Dashboards (`/tableaux-de-bord`): the latest saved ones, and where to compose a new one."""

import streamlit as st

from dashboards import store
from ui import format as fmt
from ui.dataset.common import md_escape
from ui.reuses import page_link

st.title("Tableaux de bord")
st.write("Un tableau de bord réunit plusieurs vues des données du portail — graphiques, cartes, tableaux, chiffres "
         "clés, textes — dans un seul lien à partager, sans compte.")
page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Nouveau tableau de bord",
          icon=":material/add_circle:")

saved = store.list_recent(50)
st.subheader("Tableaux de bord enregistrés", anchor=False)
if not saved:
    st.info("Aucun tableau de bord n'a encore été enregistré.")
for slug, title, created in saved:
    st.markdown(f"- [{md_escape(title or 'Tableau de bord sans titre')}](/tableau-de-bord?id={slug}) "
                f":small[enregistré le {fmt.date_fr(created[:10])}]")
