"""Territoire: the router. Registers every page with a stable French url_path, then runs the chosen one."""

import logging
import os

import streamlit as st

from config import get_settings
from ui import layout

settings = get_settings()
# A local favicon: a :material/...: page icon would be fetched from fonts.gstatic.com (the portal works offline).
st.set_page_config(page_title=f"{settings.portal_name} · {settings.territory_name}",
                   page_icon=str(settings.root / "static" / "favicon.png"), layout="wide")

# url_path values are a public link contract: never rename one silently (tests/test_app.py pins them).
PAGES = {
    "Découvrir": [
        st.Page("pages/home.py", title="Accueil", icon=":material/home:", default=True),
        st.Page("pages/catalogue.py", title="Catalogue", icon=":material/search:", url_path="catalogue"),
        st.Page("pages/dataset.py", title="Jeu de données", icon=":material/description:", url_path="jeu-de-donnees",
                visibility="hidden"),
    ],
    "Territoire": [
        st.Page("pages/indicators.py", title="Indicateurs", icon=":material/monitoring:", url_path="indicateurs"),
        st.Page("pages/map.py", title="Carte", icon=":material/map:", url_path="carte"),
        st.Page("pages/commune.py", title="Commune", icon=":material/location_city:", url_path="commune",
                visibility="hidden"),
    ],
    "Communauté": [
        st.Page("pages/reuses.py", title="Réutilisations", icon=":material/lightbulb:", url_path="reutilisations"),
        st.Page("pages/reuse.py", title="Réutilisation", icon=":material/lightbulb:", url_path="reutilisation", visibility="hidden"),
        st.Page("pages/reuse_submit.py", title="Proposer une réutilisation", icon=":material/add_circle:",
                url_path="proposer-une-reutilisation"),
    ],
    "Analyser": [
        st.Page("pages/sql.py", title="Requêtes SQL", icon=":material/terminal:", url_path="sql"),
        st.Page("pages/dashboards.py", title="Tableaux de bord", icon=":material/dashboard:", url_path="tableaux-de-bord"),
        st.Page("pages/dashboard.py", title="Tableau de bord", icon=":material/dashboard:", url_path="tableau-de-bord",
                visibility="hidden"),
        st.Page("pages/dashboard_compose.py", title="Composer un tableau de bord", icon=":material/dashboard_customize:",
                url_path="nouveau-tableau-de-bord", visibility="hidden"),
        st.Page("pages/api_docs.py", title="API", icon=":material/api:", url_path="api"),
        st.Page("pages/admin.py", title="Administration", icon=":material/admin_panel_settings:", url_path="admin"),
    ],
}

# Streamlit's own sidebar menu is hidden: its markup fails axe's `list`/`listitem` rules. ui/layout.py draws the
# same sections with st.page_link (hidden pages are reachable by link only, as before).
page = st.navigation(PAGES, position="hidden")
layout.header(PAGES)
try:
    page.run()
except Exception:  # noqa: BLE001 - last line of defence; st.stop/st.rerun are BaseExceptions and pass through
    # Visitors get a French message instead of Streamlit's red box; the traceback goes to the server log.
    # Tests set TERRITOIRE_STRICT=1 so that any bug still fails them loudly.
    if os.environ.get("TERRITOIRE_STRICT") == "1":
        raise
    logging.getLogger("territoire").exception("page error: %s", page.url_path)
    st.error("Cette page a rencontré une erreur inattendue. Vos données ne sont pas perdues : "
             "rechargez la page ou revenez au catalogue.")
    st.page_link("pages/catalogue.py", label="Retour au catalogue", icon=":material/search:")
layout.footer()
