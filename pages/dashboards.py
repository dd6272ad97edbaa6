"""Dashboards (`/tableaux-de-bord`): what a dashboard is, where to compose one; saved ones are not listed."""

import streamlit as st

from ui.reuses import page_link

st.title("Tableaux de bord")
st.write("Un tableau de bord réunit plusieurs vues des données du portail — graphiques, cartes, tableaux, chiffres "
         "clés, textes — dans un seul lien à partager, sans compte.")
page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Nouveau tableau de bord",
          icon=":material/add_circle:")

# Saved dashboards are not listed: anyone may save one without an account, and this site publishes only what a
# moderator approved (as the reuse gallery does). A saved dashboard is reached by its short link.
st.info("Les tableaux de bord enregistrés ne sont pas listés : chacun s'ouvre par son lien court, "
        "« /tableau-de-bord?id=… », ou par son lien long. Pour faire connaître le vôtre, proposez-le comme "
        "réutilisation.")
page_link(("pages/reuse_submit.py", "proposer-une-reutilisation"), "Proposer une réutilisation",
          icon=":material/add_circle:")
