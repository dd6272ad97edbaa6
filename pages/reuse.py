"""One reuse: sanitised description, link, image, datasets used and optional portal permalink; with ?suivi=<reference>,
the status of the submission that reference was given for."""

import streamlit as st

from reuses import store
from ui import reuses as ui

reference = str(st.query_params.get("suivi", "") or "").strip()[:64]
if reference:  # the submitter's private status view: only the holder of the reference gets here
    ui.render_submission_status(reference)
    st.stop()

reuse_id = str(st.query_params.get("id", "") or "").strip()[:80]
reuse = ui.safely(store.get_published, reuse_id, default=None) if reuse_id else None

if reuse is None:
    st.title("Réutilisation introuvable")
    st.warning("Cette réutilisation n'existe pas, n'est pas encore publiée ou a été retirée."
               if reuse_id else "Aucune réutilisation n'est indiquée dans l'adresse (paramètre « id »).")
    ui.page_link(ui.GALLERY, "← Voir toutes les réutilisations")
    st.stop()

viewed = st.session_state.setdefault("reuse_viewed", set())
if reuse.id not in viewed:  # one view per session and reuse
    ui.safely(store.record_view, reuse.id, default=None)
    viewed.add(reuse.id)

ui.render_reuse_detail(reuse)
