"""A dashboard (`/tableau-de-bord`): `?d=` carries its specification, `?id=` names a saved one (short link)."""

import streamlit as st

from dashboards import codec, store
from dashboards.spec import SpecError
from ui import dashboard
from ui.layout import is_embedded
from ui.reuses import page_link

params = st.query_params
slug = params.get("id")
encoded = params.get("d")
saved_versions: dict[str, str] = {}
board = None
error = ""
if slug:
    try:
        saved = store.load(slug)
    except SpecError as exc:
        saved, error = None, f"Ce tableau de bord enregistré ne peut plus être ouvert : {exc}."
    if saved is None:
        error = error or "Aucun tableau de bord enregistré ne porte ce nom : le lien est peut-être incomplet."
    else:
        board, saved_versions = saved.dashboard, saved.data_versions
elif encoded:
    try:
        board = codec.decode(encoded)
    except SpecError as exc:
        error = f"Ce lien de tableau de bord ne peut pas être ouvert : {exc}."

if board is None:
    st.title("Tableau de bord")
    if error:
        st.error(error)
    else:
        st.info("Ce lien ne contient pas de tableau de bord.")
    page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Composer un tableau de bord",
              icon=":material/add_circle:")
    st.stop()

dashboard.print_styles()
st.title(board.title or "Tableau de bord")
dashboard.grid(board, saved_versions)
if not is_embedded():
    dashboard.share(board, slug=slug or None)
    with st.container(key="dashboard_links"):
        page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Modifier une copie de ce tableau de bord",
                  query_params={"d": codec.encode(board)}, icon=":material/edit:")
