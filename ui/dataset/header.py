"""The dataset page's header (title, publisher, licence, size, ignored link parameters) and its « Partager » box."""

from __future__ import annotations

import streamlit as st

from queries.dataset.state import DatasetView
from ui import format as fmt
from ui.dataset.common import Dataset, md_escape, note, share_url
from ui.reuses import page_link

# The dashboard block each data tab gives: the view (filters, sort, chart, map) goes with it (issue 18).
DASHBOARD_BLOCKS = {"tableau": "table", "graphique": "chart", "carte": "map"}
COMPOSER = ("pages/dashboard_compose.py", "nouveau-tableau-de-bord")


def back_to_catalogue(message: str) -> None:
    """The page for a link that names no dataset we can show."""
    st.title("Jeu de données")
    st.error(message)
    st.page_link("pages/catalogue.py", label="Retour au catalogue", icon=":material/search:")


def render(ds: Dataset, notes: list[str]) -> None:
    st.title(ds.title)
    bits = [f"{fmt.number(ds.schema.rows)} enregistrements", f"{len(ds.schema.columns)} colonnes"]
    if ds.spec:
        bits = [ds.spec.publisher, ds.spec.license.title, *bits]
    if ds.meta.get("loaded_at"):
        bits.append(f"chargé le {fmt.date_fr(ds.meta['loaded_at'])}")
    note(" · ".join(bits))
    if notes:
        st.warning("Certains paramètres du lien ont été ignorés : " + " ; ".join(md_escape(n) for n in notes) + ".")
        st.page_link("pages/catalogue.py", label="Retour au catalogue", icon=":material/search:")


def share_box(ds: Dataset, view: DatasetView) -> None:
    """« Partager » (the view's link and embed code) and, on the table, chart and map tabs, « Ajouter au tableau de
    bord », which opens the composer with this view as a new block (the dashboard being composed in this session
    keeps its other blocks)."""
    row = st.container(horizontal=True, vertical_alignment="center")
    with row:
        _share_popover(ds, view)
        block = DASHBOARD_BLOCKS.get(view.tab)
        if block:
            page_link(COMPOSER, "Ajouter au tableau de bord", icon=":material/dashboard_customize:",
                      query_params={"bloc": block, "vue": view.replace(embed=False, page=1).query_string()})


def _share_popover(ds: Dataset, view: DatasetView) -> None:
    with st.popover("Partager", icon=":material/share:"):
        url = share_url(view)
        note("Lien vers cette vue (onglet, filtres, tri, page, graphique, carte) :")
        st.code(url, language=None, wrap_lines=True)
        embed = f"{url}&embed=true"
        note("Intégrer dans un site (iframe) :")
        st.code(f'<iframe src="{embed}" title="{ds.title.replace(chr(34), "&quot;")}" width="100%" height="720" '
                f'style="border:0" loading="lazy"></iframe>', language="html", wrap_lines=True)
