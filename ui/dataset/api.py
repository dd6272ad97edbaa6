"""The dataset page's « API / SQL » tab: the API calls and the SQL that reproduce the view, and its permanent link."""

from __future__ import annotations

import json

import streamlit as st

import exports
import queries
from config import get_settings
from queries.dataset.odsql_url import EXPORT_LABELS, api_calls
from queries.dataset.sql import export_query, rows_query
from queries.dataset.state import OPS, DatasetView
from ui.dataset.common import Dataset, count_line, md_escape, note, raw_of, share_url


def render_api_calls(ds: Dataset, v: DatasetView) -> None:
    """The Explore API calls that return exactly this view's rows (or why there is none)."""
    formats = exports.formats_for(ds.schema)
    calls = api_calls(v, ds.schema, get_settings().public_base_url, formats)
    st.markdown("**Appels à l'API qui reproduisent cette vue** — API compatible Opendatasoft Explore v2.1 : les "
                "mêmes filtres, le même tri, les mêmes colonnes.")
    st.page_link("pages/api_docs.py", label="Documentation de l'API et exemples", icon=":material/api:")
    if calls.refused:
        st.warning("Cette vue n'a pas d'équivalent exact dans l'API (langage ODSQL) : "
                   + " ; ".join(md_escape(r) for r in calls.refused)
                   + ". Aucune adresse n'est proposée plutôt qu'une adresse qui renverrait d'autres lignes ; "
                     "le SQL ci-dessous, lui, reproduit la vue.")
        return
    note("Enregistrements de cette page (JSON : `total_count` et `results`) :")
    for url in calls.records:
        st.code(url, language=None, wrap_lines=True)
    if calls.records_note:
        note(calls.records_note)
    clauses = [f"{name}={text}" for name, text in (("where", calls.where), ("order_by", calls.order_by),
                                                   ("select", calls.select)) if text]
    if clauses:
        with st.expander("Paramètres ODSQL en clair"):
            st.code("\n".join(clauses), language=None, wrap_lines=True)
    with st.expander("Exports de toutes les lignes de la vue (sans limite, dans l'ordre de la vue)"):
        for fmt_key, url in (calls.exports or {}).items():
            note(EXPORT_LABELS[fmt_key])
            st.code(url, language=None, wrap_lines=True)


def render(ds: Dataset, v: DatasetView) -> None:
    schema, dataset_id = ds.schema, ds.id
    count_line(v, schema)
    render_api_calls(ds, v)
    page_q = rows_query(v, schema)
    full_q = export_query(v if v.is_filtered else None, schema)
    st.markdown("**SQL qui reproduit cette vue** — valeurs écrites en clair pour la lecture ; le portail, lui, "
                "les transmet séparément (paramètres liés).")
    st.code(page_q.display_sql(), language="sql", wrap_lines=True)
    sandbox_sql = full_q.display_sql()
    st.page_link("pages/sql.py", label="Ouvrir dans l'éditeur SQL (tous les enregistrements de la vue)",
                 query_params={"sql": sandbox_sql}, icon=":material/terminal:")
    note(f"Dans l'éditeur SQL, ce jeu de données est la vue `{queries.view_name(dataset_id)}`.")
    with st.expander("Requête exécutée (paramétrée)"):
        st.code(page_q.sql, language="sql", wrap_lines=True)
        st.code(json.dumps({k: raw_of(val) for k, val in page_q.params.items()}, ensure_ascii=False, indent=2),
                language="json")
    st.markdown("**Lien permanent de la vue**")
    st.code(share_url(v), language=None, wrap_lines=True)
    note("Le lien garde l'onglet, les filtres (`f=colonne:opération:valeur`, répétable), la recherche (`q`), "
         "le tri (`sort=colonne` ou `sort=-colonne`), la page (`page`, `size`), le graphique (`chart`, `x`, "
         "`y`, `agg`, `series`) et la carte (`map`, `mcol`, `magg`). Opérations : "
         + ", ".join(f"`{k}` ({label})" for k, label in OPS.items()) + ".")
