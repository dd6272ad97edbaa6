"""Dashboards (`/tableaux-de-bord`): what a dashboard is, where to compose one, and the ones published through the
reuse gallery's moderation (saved ones are not listed)."""

import streamlit as st

from reuses import store as reuse_store
from ui import reuses as reuse_ui
from ui.reuses import page_link

st.title("Tableaux de bord")
st.write("Un tableau de bord réunit plusieurs vues des données du portail — graphiques, cartes, tableaux, chiffres "
         "clés, textes — dans un seul lien à partager, sans compte.")
page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Nouveau tableau de bord",
          icon=":material/add_circle:")

st.subheader("Tableaux de bord publiés", anchor=False)
# Saved dashboards are not listed: anyone may save one without an account, and this site publishes only what a
# moderator approved (as the reuse gallery does). A saved dashboard is reached by its short link.
found = reuse_ui.safely(reuse_store.list_published, type="dashboard", default=[])
if found:
    reuse_ui.render_reuse_cards(found, columns=3)
else:
    st.caption("Aucun tableau de bord publié pour l'instant.")
st.info("Les tableaux de bord enregistrés ne sont listés ici qu'une fois proposés comme réutilisation et relus par "
        "l'équipe du portail. Les autres s'ouvrent par leur lien court, « /tableaux-de-bord/… », ou par leur lien "
        "long.")
page_link(("pages/reuse_submit.py", "proposer-une-reutilisation"), "Proposer une réutilisation",
          icon=":material/add_circle:", query_params={"type": "dashboard"})
