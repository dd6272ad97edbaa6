"""Analysts' SQL: read-only queries over every dataset, each run in a worker process with time, memory and size limits."""

import streamlit as st

import queries
from config import get_settings
from exports.results import csv_bytes
from queries import sandbox
from reuses import sanitize
from ui import format as fmt

settings = get_settings()
st.title("Requêtes SQL")
st.write(
    "Interrogez directement les jeux de données publiés (syntaxe DuckDB). Chaque jeu de données est une vue "
    "`ds_<identifiant>` ; la table `catalogue` décrit les jeux de données. Lecture seule : une seule instruction "
    f"`SELECT`, au plus {settings.sql_timeout_s:g} s, {fmt.number(settings.sql_max_rows)} lignes et "
    f"{fmt.number(settings.sql_max_result_bytes / 1024**2)} Mo de résultat affichés."
)

default_sql = "SELECT id, title, publisher, records\nFROM catalogue\nORDER BY records DESC"
from_link = "sql" in st.query_params
initial = st.query_params.get("sql", default_sql)
if len(initial) > sandbox.MAX_SQL_CHARS:
    st.warning("La requête transmise dans le lien est trop longue ; la requête d'exemple est affichée.")
    initial = default_sql
sql = st.text_area("Requête", value=initial, height=180, key="sql_text")
run_clicked = st.button("Exécuter", type="primary", key="sql_run")

if run_clicked:
    st.query_params["sql"] = sql
    try:
        result = sandbox.run_user_sql(sql)
    except queries.QueryError as exc:
        # The French message, then DuckDB's pointer to the faulty place in the query (queries/sql_errors.py).
        message, _, pointer = str(exc).partition("\n\n")
        st.error(sanitize.md_escape(message))
        if pointer:
            st.code(pointer, language=None)
    else:
        note = " (limite atteinte : résultat tronqué)" if result.truncated else ""
        st.caption(f"{fmt.number(result.table.num_rows)} ligne(s){note}")
        st.dataframe(result.table, width="stretch", hide_index=True)
        st.download_button("Télécharger le résultat (CSV)", csv_bytes(result.table), file_name="requete.csv",
                           mime="text/csv", key="sql_download", on_click="ignore")
    st.caption("Lien vers cette requête : ajoutez-le à vos favoris ou partagez-le, il rouvre la même requête.")
elif from_link:
    st.info("Cette requête vient d'un lien : elle n'est exécutée que lorsque vous cliquez sur « Exécuter ». "
            "Relisez-la d'abord.")

with st.expander("Tables disponibles"):
    try:
        st.dataframe(sandbox.sandbox_tables(), width="stretch", hide_index=True)
    except queries.QueryError as exc:
        st.error(str(exc))
