"""Header and footer shared by every page: portal name, territory, sources and licences."""

from __future__ import annotations

import streamlit as st

import queries
from config import get_settings


def is_embedded() -> bool:
    """`?embed=true` (Streamlit's own embed mode) also hides our header and footer.

    Streamlit keeps `embed` out of st.query_params, so ask its context instead.
    """
    try:
        return bool(st.context.is_embedded)
    except Exception:  # noqa: BLE001 - no browser context (bare mode, AppTest)
        return False


def header() -> None:
    settings = get_settings()
    if is_embedded():
        return
    st.sidebar.markdown(f"**{settings.portal_name}** · {settings.territory_name} ({settings.territory_code})")
    st.sidebar.caption("Portail des données ouvertes du territoire")


def footer() -> None:
    """Sources and licences of everything the portal serves, computed from the catalogue (never hard-coded)."""
    if is_embedded():
        return
    st.divider()
    try:
        publishers = queries.run("catalogue_publishers")
    except queries.QueryError:
        publishers = None
    if publishers is not None and not publishers.empty:
        parts = [f"{row.publisher} ({row.licenses})" for row in publishers.itertuples()]
        st.caption("Sources : " + " · ".join(parts))
    st.caption(
        f"{get_settings().portal_name} — données ouvertes ; chaque jeu de données indique sa licence, "
        "sa source et sa date de mise à jour sur sa page."
    )
