"""Analysts' SQL: read-only queries over every dataset, in a sandbox with time, memory and row limits."""

import streamlit as st

import queries
from config import get_settings
from queries import sandbox
from ui import format as fmt

settings = get_settings()
st.title("Requêtes SQL")
st.write(
    "Interrogez directement les jeux de données publiés (syntaxe DuckDB). Chaque jeu de données est une vue "
    "`ds_<identifiant>` ; la table `catalogue` décrit les jeux de données. Lecture seule : une seule instruction "
    f"`SELECT`, au plus {settings.sql_timeout_s:g} s, {settings.sql_memory_limit} de mémoire et "
    f"{fmt.number(settings.sql_max_rows)} lignes affichées."
)

default_sql = "SELECT id, title, publisher, records\nFROM catalogue\nORDER BY records DESC"
initial = st.query_params.get("sql", default_sql)
if len(initial) > 20_000:
    st.warning("La requête transmise dans le lien est trop longue ; la requête d'exemple est affichée.")
    initial = default_sql
sql = st.text_area("Requête", value=initial, height=180, key="sql_text")
run_clicked = st.button("Exécuter", type="primary", key="sql_run")

if run_clicked or "sql" in st.query_params:
    st.query_params["sql"] = sql
    try:
        frame = sandbox.run_user_sql(sql)
    except queries.QueryError as exc:
        st.error(str(exc))
    else:
        note = " (limite atteinte : résultat tronqué)" if frame.attrs.get("truncated") else ""
        st.caption(f"{fmt.number(len(frame))} ligne(s){note}")
        st.dataframe(frame, width="stretch", hide_index=True)
        st.download_button("Télécharger le résultat (CSV)", frame.to_csv(index=False, sep=";").encode("utf-8-sig"),
                           file_name="requete.csv", mime="text/csv", key="sql_download")
    st.caption("Lien vers cette requête : ajoutez-le à vos favoris ou partagez-le, il rouvre la même requête.")

with st.expander("Tables disponibles"):
    try:
        st.dataframe(sandbox.sandbox_tables(), width="stretch", hide_index=True)
    except queries.QueryError as exc:
        st.error(str(exc))
