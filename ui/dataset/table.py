"""The dataset page's « Tableau » tab: one sorted page of rows, read by DuckDB (LIMIT/OFFSET), never the whole file."""

from __future__ import annotations

import streamlit as st

from queries.dataset.sql import rows_query
from queries.dataset.state import PAGE_SIZES, DatasetView
from ui import format as fmt
from ui.dataset import data
from ui.dataset.common import Dataset, col_label, count_line, note, seed


def render(ds: Dataset, v: DatasetView) -> DatasetView:
    schema = ds.schema
    total = count_line(v, schema)
    sortable = [c.name for c in schema.plain_columns]
    c1, c2, c3, c4 = st.columns([3, 2, 1, 1])
    seed("dataset_sort", v.sort)
    sort = c1.selectbox("Trier par", [None, *sortable], key="dataset_sort", placeholder="Ordre du fichier",
                        format_func=lambda n: "Ordre du fichier" if n is None else col_label(schema, n))
    seed("dataset_desc", "desc" if v.desc else "asc")
    direction = c2.radio("Ordre", ["asc", "desc"], key="dataset_desc", horizontal=True,
                         format_func=lambda d: "Croissant" if d == "asc" else "Décroissant")
    seed("dataset_size", v.size)
    size = c3.selectbox("Par page", list(PAGE_SIZES), key="dataset_size")
    pages = max(1, -(-total // size))
    page = min(v.page, pages)
    if (sort, direction == "desc", size) != (v.sort, v.desc, v.size):
        page = 1
        st.session_state["dataset_page"] = 1
    seed("dataset_page", page)
    if st.session_state.get("dataset_page", 1) > pages:
        st.session_state["dataset_page"] = pages
    page = int(c4.number_input(f"Page (sur {fmt.number(pages)})", min_value=1, max_value=pages, step=1,
                               key="dataset_page"))
    v = v.replace(sort=sort, desc=direction == "desc" and sort is not None, size=size, page=page)
    rows = data.frame(rows_query(v, schema))
    start = (page - 1) * size
    if total:
        note(f"Enregistrements {fmt.number(start + 1)} à {fmt.number(start + len(rows))} — page "
             f"{fmt.number(page)} sur {fmt.number(pages)}"
             + (" · la colonne géométrie est disponible à l'export" if schema.has_geometry else ""))
    else:
        st.info("Aucun enregistrement ne correspond aux filtres.")
    config = {c.name: st.column_config.Column(c.label + (f" ({c.unit})" if c.unit else ""),
                                              help=c.description[:300] or c.name)
              for c in schema.plain_columns}
    # An empty cell for a missing value (Streamlit writes « None » by default).
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config, placeholder="")
    return v
