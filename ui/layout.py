"""Header (portal name, navigation) and footer (sources and licences) shared by every page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

import queries
from catalogue import feeds
from config import get_settings
from queries import cache
from ui import charts
from ui.cards import escape_markdown


def is_embedded() -> bool:
    """`?embed=true` (Streamlit's own embed mode) also hides our header, navigation and footer.

    Streamlit keeps `embed` out of st.query_params, so ask its context instead (None outside a browser session).
    """
    return bool(st.context.is_embedded)


def header(sections: Mapping[str, Sequence[st.Page]]) -> None:
    """Portal name and the navigation, in the sidebar (nothing in embedded mode)."""
    settings = get_settings()
    charts.toolbar_css()  # every page, embedded ones too: any Plotly chart's toolbar speaks French
    if is_embedded():
        return
    st.sidebar.markdown(f"**{settings.portal_name}** · {settings.territory_name} ({settings.territory_code})")
    st.sidebar.markdown(":small[Portail des données ouvertes du territoire]")
    navigation(sections)


def navigation(sections: Mapping[str, Sequence[st.Page]]) -> None:
    """One link per visible page, grouped by section, in the order app.py registers them.

    This replaces Streamlit's sidebar menu (app.py hides it): that menu puts section <div>s directly inside a
    <ul>, which fails axe's `list`/`listitem` rules. Each st.page_link is a plain link, and the one of the current
    page is marked as such by Streamlit.
    """
    for section, pages in sections.items():
        visible = [page for page in pages if page.visibility == "visible"]
        if not visible:
            continue
        st.sidebar.markdown(f"**{section}**")
        for page in visible:
            st.sidebar.page_link(page)


def footer() -> None:
    """Sources and licences of everything the portal serves, computed from the catalogue (never hard-coded)."""
    if is_embedded():
        return
    st.divider()
    try:
        publishers = cache.run_named("catalogue_publishers")
    except queries.QueryError:
        publishers = None
    # Small print in the full text colour (WCAG AA at any size): st.caption would draw it at 60 % opacity.
    if publishers is not None and not publishers.empty:
        parts = [f"{escape_markdown(row.publisher)} ({escape_markdown(row.licenses)})" for row in publishers.itertuples()]
        st.markdown(":small[Sources : " + " · ".join(parts) + "]")
    st.markdown(
        f":small[{escape_markdown(get_settings().portal_name)} — données ouvertes ; chaque jeu de données indique sa "
        "licence, sa source et sa date de mise à jour sur sa page.]"
    )
    feed = get_settings().public_base_url + feeds.CATALOGUE_FEED_PATH
    st.markdown(f":small[[Flux Atom des jeux de données]({feed}) : nouveaux jeux et mises à jour, dans votre "
                "lecteur de flux.]")
    st.markdown(f":small[[API]({get_settings().public_base_url}/api) : les données pour vos programmes, compatible "
                "Opendatasoft.]")
    contact = get_settings().security_contact  # validated by config.py: mailto: or https:, no Markdown syntax
    if contact:
        shown = contact.removeprefix("mailto:")
        st.markdown(f":small[Vous avez trouvé une faille de sécurité ? Signalez-la à [{escape_markdown(shown)}]"
                    f"({contact}) ; ne la rendez pas publique avant sa correction.]")
