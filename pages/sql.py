"""Analysts' SQL: read-only queries over every dataset, each run in a worker process with time, memory and size limits."""

import re

import streamlit as st

import queries
from config import get_settings
from dashboards.spec import MAX_SQL
from exports.results import csv_bytes
from queries import sandbox, sandbox_examples
from reuses import sanitize
from ui import format as fmt
from ui.reuses import page_link

# DuckDB's type names are what a query casts to; the French word says what they hold.
TYPE_WORDS = {"VARCHAR": "texte", "BIGINT": "entier", "INTEGER": "entier", "HUGEINT": "entier", "DOUBLE": "nombre",
              "FLOAT": "nombre", "DATE": "date", "TIMESTAMP": "date et heure", "TIMESTAMP WITH TIME ZONE":
              "date et heure", "BOOLEAN": "vrai / faux", "VARCHAR[]": "liste de textes"}


def load_into_editor(sql: str) -> None:
    """An example or a table's query, put in the editor (run only when the visitor presses « Exécuter »)."""
    st.session_state["sql_text"] = sql


def dashed_names(sql: str) -> list[tuple[str, str]]:
    """(as typed, as it must be typed) for each `ds_…`/`dsr_…` name written with dashes, as dataset ids have them:
    DuckDB then reads a subtraction and answers with a syntax error that does not say why."""
    found = re.findall(r"\b(dsr?_[A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+)", sql)
    return [(name, re.sub(r"[^a-z0-9]", "_", name.lower())) for name in dict.fromkeys(found)]


def table_label(table: sandbox.SandboxTable) -> str:
    if table.kind == "dataset":
        return f"{table.typed} — {table.title}"
    if table.kind == "catalogue":
        return f"{table.typed} — le catalogue : un enregistrement par jeu de données"
    if table.name.startswith("dsr_"):
        return f"{table.typed} — comme ds_{table.name[4:]}, avec file_row_number (rang de la ligne dans le fichier)"
    return f"{table.typed} — table de travail du portail"


settings = get_settings()
st.title("Requêtes SQL")
st.write(
    "Interrogez directement les jeux de données publiés (syntaxe DuckDB). Chaque jeu de données est une vue nommée "
    "`ds_` suivie de son identifiant, tirets remplacés par « _ » : le jeu `ips-colleges` s'interroge avec "
    "`ds_ips_colleges`. La table `catalogue` décrit les jeux de données. Les noms exacts des tables et de leurs "
    "colonnes sont listés sous l'éditeur. Lecture seule : une seule instruction `SELECT`, au plus "
    f"{settings.sql_timeout_s:g} s, {fmt.number(settings.sql_max_rows)} lignes et "
    f"{fmt.number(settings.sql_max_result_bytes / 1024**2)} Mo de résultat affichés."
)

examples = sandbox_examples.examples()
if examples:
    st.markdown("**Exemples** : un clic charge la requête dans l'éditeur ; « Exécuter » la lance.")
    for example in examples:
        st.button(example.label, key=f"sql_example_{example.key}", on_click=load_into_editor, args=(example.sql,),
                  icon=":material/edit_note:")

default_sql = "SELECT id, title, publisher, records\nFROM catalogue\nORDER BY records DESC"
from_link = "sql" in st.query_params
initial = st.query_params.get("sql", default_sql)
if len(initial) > sandbox.MAX_SQL_CHARS:
    st.warning("La requête transmise dans le lien est trop longue ; la requête d'exemple est affichée.")
    initial = default_sql
# The editor's text lives in the session (examples write it there); a link seeds it on the first run only.
if "sql_text" not in st.session_state:
    st.session_state["sql_text"] = initial
sql = st.text_area("Requête", height=180, key="sql_text")
run_clicked = st.button("Exécuter", type="primary", key="sql_run")

if run_clicked:
    st.query_params["sql"] = sql
    try:
        # The worker may take up to the time limit: the visitor sees that it runs. (No show_time: Streamlit writes
        # the elapsed time in English, « 0.8 seconds ».)
        with st.spinner(f"Requête en cours d'exécution (au plus {settings.sql_timeout_s:g} s)…"):
            result = sandbox.run_user_sql(sql)
    except queries.QueryError as exc:
        # The French message, then DuckDB's pointer to the faulty place in the query (queries/sql_errors.py).
        message, _, pointer = str(exc).partition("\n\n")
        st.error(sanitize.md_escape(message))
        if pointer:
            st.code(pointer, language=None)
        for typed, meant in dashed_names(sql):
            st.info(f"Dans les noms de tables, les tirets de l'identifiant deviennent « _ » : écrivez `{meant}` "
                    f"et non `{typed}`.")
    else:
        note = " (limite atteinte : résultat tronqué)" if result.truncated else ""
        st.caption(f"{fmt.number(result.table.num_rows)} ligne(s){note}")
        # NULL is SQL's word for a missing value (Streamlit would write Python's « None »).
        st.dataframe(result.table, width="stretch", hide_index=True, placeholder="NULL")
        st.download_button("Télécharger le résultat (CSV)", csv_bytes(result.table), file_name="requete.csv",
                           mime="text/csv", key="sql_download", on_click="ignore")
        if len(sql) <= MAX_SQL:  # the block keeps the query and runs it on demand, in this same sandbox
            page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Ajouter au tableau de bord",
                      query_params={"bloc": "table", "sql": sql}, icon=":material/dashboard_customize:")
        else:
            st.caption(f"Requête trop longue pour un tableau de bord ({fmt.number(MAX_SQL)} caractères au plus).")
    st.caption("Lien vers cette requête : ajoutez-le à vos favoris ou partagez-le, il rouvre la même requête.")
elif from_link:
    st.info("Cette requête vient d'un lien : elle n'est exécutée que lorsque vous cliquez sur « Exécuter ». "
            "Relisez-la d'abord.")

st.subheader("Tables et colonnes")
try:
    tables = sandbox.sandbox_tables()
except queries.QueryError as exc:
    st.error(sanitize.md_escape(str(exc)))
else:
    by_name = {t.name: t for t in tables}
    n_datasets = sum(t.kind == "dataset" for t in tables)
    st.caption(f"{fmt.number(len(tables))} tables : {fmt.number(n_datasets)} jeux de données (ds_…), le catalogue, "
               "et les variantes dsr_… et tables de travail du portail. Les noms s'écrivent tels qu'affichés.")
    chosen = st.selectbox("Table", list(by_name), key="sql_table", format_func=lambda n: table_label(by_name[n]))
    table = by_name[chosen]
    st.code(table.typed, language=None)
    st.dataframe({"Colonne": [c for c, _ in table.columns],
                  "Type": [f"{t} ({TYPE_WORDS[t]})" if t in TYPE_WORDS else t for _, t in table.columns]},
                 width="stretch", hide_index=True)
    starter = "SELECT " + ", ".join(c for c, _ in table.columns) + f"\nFROM {table.typed}\nLIMIT 100"
    st.code(starter, language="sql", wrap_lines=True)
    st.button("Charger cette requête dans l'éditeur", key="sql_load_table", on_click=load_into_editor,
              args=(starter,), icon=":material/edit_note:")
