"""Plotly in French: the config every st.plotly_chart gets (toolbar titles, number and date formats).

plotly.js reads a locale given inline in its config (`locale` + `locales`), and Streamlit 1.67 hands the config of
st.plotly_chart to Plotly unchanged (it only drops `mapboxAccessToken`), so no script is loaded from a CDN: the
dictionary is plotly.js's own `lib/locales/fr.js`, vendored as JSON in static/vendor/plotly.js/ (MIT, provenance
in its README.md).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import streamlit as st

from catalogue.french import NNBSP

LOCALE_FILE = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly.js" / "locale-fr.json"

# The plotly.js bundled by Streamlit 1.67 is 4.2.0; the registry's newest fr locale is 4.1.1's, which lacks these
# toolbar texts added since. Ours, in the official file's style.
_ADDED = {
    "Cancel": "Annuler",
    "Download plot as JSON": "Télécharger le graphique en fichier JSON",
    "Draw circle": "Dessiner un cercle",
    "Draw closed freeform": "Dessiner une forme fermée",
    "Draw line": "Dessiner une ligne",
    "Draw open freeform": "Dessiner une forme ouverte",
    "Draw rectangle": "Dessiner un rectangle",
    "Erase active shape": "Effacer la forme active",
    "JSON download succeeded": "Téléchargement du fichier JSON réussi",
    "Sorry, there was a problem downloading your JSON file!":
        "Désolé, un problème est survenu lors du téléchargement de votre fichier JSON",
}

# Decimal comma and the narrow no-break space between thousands, as everywhere else on the portal (catalogue.french);
# the official locale groups with an ordinary space, which a line may break.
SEPARATORS = f",{NNBSP}"


def _locale() -> dict[str, Any]:
    official = json.loads(LOCALE_FILE.read_text(encoding="utf-8"))
    return {"dictionary": {**official["dictionary"], **_ADDED},
            "format": {**official["format"], "decimal": ",", "thousands": NNBSP}}


PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "locale": "fr",
    "locales": {"fr": _locale()},
}


def plotly_config(filename: str | None = None, **options: Any) -> dict[str, Any]:
    """PLOTLY_CONFIG plus a download file name (« Télécharger le graphique » saves `<filename>.png`) and any other
    plotly.js config option; a fresh copy, so callers may change it."""
    config = copy.deepcopy(PLOTLY_CONFIG)
    if filename:
        config["toImageButtonOptions"] = {"format": "png", "filename": filename, "scale": 2}
    config.update(options)
    return config


# Streamlit adds its own full-screen button to Plotly's toolbar, titled « Fullscreen » / « Close fullscreen » whatever
# the locale (no parameter: streamlit/streamlit#1353). Plotly draws a button's tooltip in CSS from its data-title,
# so the tooltip can be French; the button's aria-label stays English (the last resort of CSS, noted in the docs).
TOOLBAR_CSS = """
.js-plotly-plot .plotly .modebar-btn[data-title="Fullscreen"]::after { content: "Plein écran"; }
.js-plotly-plot .plotly .modebar-btn[data-title="Close fullscreen"]::after { content: "Quitter le plein écran"; }
"""


def toolbar_css() -> None:
    """The French tooltips of Streamlit's full-screen button; ui.layout.header draws it on every page."""
    st.html(f"<style>{TOOLBAR_CSS}</style>")


def plotly_chart(fig: Any, *, filename: str | None = None, **kwargs: Any) -> Any:
    """st.plotly_chart in French: the locale config (with a download file name) and the toolbar's tooltips; other
    arguments (key, on_select, width…) go to st.plotly_chart, full width by default."""
    toolbar_css()
    kwargs.setdefault("width", "stretch")
    return st.plotly_chart(fig, config=plotly_config(filename), **kwargs)
