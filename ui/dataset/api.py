"""The dataset page's « API / SQL » tab: the SQL that reproduces the view, its parameters and its permanent link."""

from __future__ import annotations

import json

import streamlit as st

import queries
from queries.dataset.sql import export_query, rows_query
from queries.dataset.state import OPS, DatasetView
from ui.dataset.common import Dataset, count_line, note, raw_of, share_url


def render(ds: Dataset, v: DatasetView) -> None:
    schema, dataset_id = ds.schema, ds.id
    count_line(v, schema)
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
