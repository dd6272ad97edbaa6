"""Home page: key figures of the catalogue, latest datasets, a search box offering communes and EPCIs (their pages)
and leading to the catalogue."""

import streamlit as st

import queries
from config import get_settings
from ui import commune_search as place_search
from ui import format as fmt
from ui import reuses as reuse_ui
from ui.cards import escape_markdown

settings = get_settings()
st.title(f"{settings.portal_name} — les données ouvertes {settings.territory.of}")
st.write(
    "Toutes les données du territoire dans une seule base : action sociale, éducation, culture, population, "
    "services publics… Trouvez un jeu de données, explorez-le, téléchargez-le et partagez ce que vous en faites."
)

with st.form("home_search", border=False):
    col_q, col_go = st.columns([5, 1], vertical_alignment="bottom")
    q = col_q.text_input("Rechercher une commune ou un jeu de données", key="home_q",
                         placeholder="ex. Sarlat, 24200, collèges, population, RSA…")
    if col_go.form_submit_button("Rechercher", type="primary"):
        q = " ".join(q.split())
        # A commune or an EPCI named by the search is offered here first (its page answers « what is near me? »);
        # any other search goes to the catalogue as before.
        if not q or not place_search.places(q):
            st.session_state.pop("home_places_q", None)
            st.switch_page("pages/catalogue.py", query_params={"q": q} if q else None)
        st.session_state["home_places_q"] = q

if (shown := st.session_state.get("home_places_q")) and place_search.render_places(shown):
    st.page_link("pages/catalogue.py", label=f"Jeux de données correspondant à « {escape_markdown(shown)} »",
                 query_params={"q": shown}, icon=":material/search:")

try:
    summary = queries.run("catalogue_summary").iloc[0]
    latest = queries.run("latest_datasets", limit=6)
except queries.QueryError as exc:
    st.error(f"Le catalogue est momentanément indisponible : {exc}")
    st.stop()

if int(summary["datasets"]) == 0:
    st.info("Aucun jeu de données n'est encore publié. Lancez `python -m loaders build` pour charger le catalogue.")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("Jeux de données", fmt.number(summary["datasets"]))
c2.metric("Enregistrements", fmt.number(summary["records"]))
c3.metric("Producteurs", fmt.number(summary["publishers"]))
c4.metric("Dernière mise à jour", fmt.date_fr(summary["last_modified"]))

st.subheader("Derniers jeux de données mis à jour")
cols = st.columns(3)
for i, row in enumerate(latest.itertuples()):
    with cols[i % 3].container(border=True):
        st.page_link("pages/dataset.py", label=row.title, query_params={"id": row.id})
        st.caption(f"{row.publisher} · {row.license_title}")
        st.caption(f"{fmt.number(row.records)} enregistrements · mis à jour le {fmt.date_fr(row.modified)}")

st.page_link("pages/catalogue.py", label="Voir tout le catalogue", icon=":material/search:")

st.subheader("Réutilisations à la une")
reuse_ui.render_latest(n=3)
