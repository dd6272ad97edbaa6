"""Home page: key figures of the catalogue, latest datasets, a search box offering communes and EPCIs (their pages)
and leading to the catalogue."""

import streamlit as st

import queries
from config import get_settings
from queries import cache
from queries import catalogue_search as cs
from ui import commune_search as place_search
from ui import format as fmt
from ui import reuses as reuse_ui
from ui.cards import escape_markdown
from ui.commune_text import wrap_page_links

settings = get_settings()
st.title(f"{settings.portal_name} — les données ouvertes {settings.territory.of}")
st.write(
    "Toutes les données du territoire dans une seule base : action sociale, éducation, culture, population, "
    "services publics… Trouvez un jeu de données, explorez-le, téléchargez-le et partagez ce que vous en faites."
)

# A live search (applied after a pause in typing, or on Enter): no form, whose « Press Enter to submit form » hint
# Streamlit only writes in English. Communes and EPCIs come first (their page answers « what is near me? »), then the
# datasets that match, as on the catalogue; « Rechercher » opens the catalogue's full results.
col_q, col_go = st.columns([5, 1], vertical_alignment="bottom")
q = " ".join(col_q.text_input("Rechercher une commune ou un jeu de données", key="home_q", live=True,
                              max_chars=cs.MAX_Q_CHARS,
                              placeholder="ex. Sarlat, 24200, collèges, population, RSA…").split())
if col_go.button("Rechercher", type="primary", key="home_go"):
    st.switch_page("pages/catalogue.py", query_params={"q": q} if q else None)
if q:
    place_search.render_places(q)
    try:
        matches = cs.search(cs.CatalogueQuery(q=q), per_page=3)
    except queries.QueryError as exc:
        st.error(f"La recherche n'a pas pu aboutir : {exc}")
    else:
        wrap_page_links("home_results")
        with st.container(key="home_results"):
            for row in matches.rows.to_dict("records"):
                st.page_link("pages/dataset.py", label=escape_markdown(row["title"]), query_params={"id": row["id"]},
                             icon=":material/description:")
            noun = "jeu de données correspond" if matches.total <= 1 else "jeux de données correspondent"
            st.page_link("pages/catalogue.py", label=f"{fmt.number(matches.total)} {noun} à « {escape_markdown(q)} » "
                         ": voir le catalogue", query_params={"q": q}, icon=":material/search:")

try:
    summary = cache.run_named("catalogue_summary").iloc[0]
    latest = cache.run_named("latest_datasets", limit=6)
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

st.subheader("Tableaux de bord à la une")
reuse_ui.render_featured_dashboards(n=3)
