"""Dataset page: information, table, chart, map, export, API/SQL and reuses tabs; every view is a shareable link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import streamlit as st

from catalogue.stats import record_view
from queries import QueryError
from queries.dataset import state
from ui import format as fmt
from ui.dataset import api, chart, data, export, filters, header, informations, table
from ui.dataset import map as map_tab
from ui.dataset.common import Dataset, count_line, md_escape, note, seed
from ui.reuses import render_dataset_reuses

DATA_TABS = ("tableau", "graphique", "carte", "export", "api")


def canonical(params: dict[str, Any]) -> str:
    """The query string in a stable order: equal views compare equal."""
    items = []
    for key in sorted(params):
        values = params[key]
        items += [(key, v) for v in ([values] if isinstance(values, str) else values)]
    return urlencode(items)


# -- the dataset and the view the link asks for ---------------------------------------------------------------------
params = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
dataset_id = (params.get("id") or [""])[-1].strip()
if not dataset_id:
    header.back_to_catalogue("Aucun jeu de données n'est indiqué dans le lien (paramètre « id »).")
    st.stop()
if not state.valid_id(dataset_id):
    header.back_to_catalogue("Identifiant de jeu de données invalide : choisissez un jeu de données dans le catalogue.")
    st.stop()
try:
    ds = Dataset(dataset_id, data.schema(dataset_id), data.spec(dataset_id), data.meta(dataset_id))
except QueryError:
    header.back_to_catalogue(f"Jeu de données introuvable : « {md_escape(dataset_id)} ». Il a peut-être été renommé "
                             "ou retiré ; retrouvez-le dans le catalogue.")
    st.stop()

view, notes = state.parse_view(params, ds.schema)
# Streamlit hides `embed` from st.query_params; st.context tells whether the page is inside an iframe.
view = view.replace(embed=view.embed or bool(st.context.is_embedded))
if view.tab == "carte" and not ds.schema.has_map:
    notes.append("ce jeu de données n'a ni géométrie, ni coordonnées, ni code commune : pas de carte")
    view = view.replace(tab="informations")

url_sig = canonical(params)
st.session_state["dataset_from_url"] = st.session_state.get("dataset_sig") != url_sig
if st.session_state["dataset_from_url"]:
    st.session_state["dataset_extra_cols"] = []
if st.session_state.get("dataset_viewed") != dataset_id:
    st.session_state["dataset_viewed"] = dataset_id
    record_view(dataset_id)

# -- header, tabs, filters ------------------------------------------------------------------------------------------
if not view.embed:
    header.render(ds, notes)
tabs = [t for t in state.TABS if t != "carte" or ds.schema.has_map]
seed("dataset_tab", view.tab)
tab = st.segmented_control("Vue du jeu de données", tabs, format_func=state.TABS.get, key="dataset_tab",
                           required=True) or "informations"
view = view.replace(tab=tab)
if view.embed and view.tab in DATA_TABS:
    note(f"{ds.title} — {fmt.number(ds.schema.rows)} enregistrements")
if view.tab in DATA_TABS:
    view = filters.render(ds.schema, view)

# -- the tab --------------------------------------------------------------------------------------------------------
share_col = None if view.embed else st.container()
try:
    if view.tab == "informations":
        informations.render(ds)
    elif view.tab == "tableau":
        view = table.render(ds, view)
    elif view.tab == "graphique":
        view = chart.render(ds, view)
    elif view.tab == "carte":
        view = map_tab.render(view, ds.schema, count_line(view, ds.schema))
    elif view.tab == "export":
        export.render(ds, view)
    elif view.tab == "api":
        api.render(ds, view)
    else:
        render_dataset_reuses(dataset_id)
except QueryError as exc:
    # A time limit, a missing reference dataset (EPCI list) or a dataset replaced while reading: say so in French.
    st.error(f"Cette vue n'a pas pu être calculée : {exc}")
    st.page_link("pages/catalogue.py", label="Retour au catalogue", icon=":material/search:")
if share_col is not None:
    with share_col:
        header.share_box(ds, view)

# -- write the view back to the URL ---------------------------------------------------------------------------------
new_params = view.to_params()
new_sig = canonical(new_params)
if new_sig != url_sig:
    st.query_params.from_dict(new_params)
st.session_state["dataset_sig"] = new_sig
