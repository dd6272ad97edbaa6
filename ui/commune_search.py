"""Places in the search boxes: the communes and EPCIs whose name (accents, case, hyphens ignored), postcode or INSEE
code matches what was typed, each a link (a commune → its page, an EPCI → its board)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import queries
from catalogue.folding import fold
from indicators import territory
from indicators.data import frame
from ui.cards import escape_markdown
from ui.commune_text import wrap_page_links

COMMUNE_PAGE = "pages/commune.py"
BOARD_PAGE = "pages/indicators.py"
MAX_PLACES = 8
SEARCH_POOL = 200  # matches ranked before the first MAX_PLACES are kept


@dataclass(frozen=True)
class Place:
    """A commune or an EPCI offered by a search, with the page and parameters its link opens."""

    kind: str  # "commune" | "epci"
    code: str
    name: str
    detail: str
    page: str
    params: dict[str, str]

    @property
    def label(self) -> str:
        return f"{escape_markdown(self.name)} — {escape_markdown(self.detail)}"


def _folded(text: str) -> str:
    """« Saint-Front-d'Alemps » → « saint front d alemps »: what a typed name is compared with."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(text))).split())


def _epcis(needle: str) -> pd.DataFrame:
    table = territory.epcis()
    if not needle:
        return table.head(0)
    folded = table["name"].map(_folded)
    hits = table[folded.str.contains(needle, regex=False) | (table["code"] == needle)].copy()
    hits["_later"] = ~folded[hits.index].str.startswith(needle)
    return hits.sort_values(["_later", "name"]).drop(columns="_later")


def _populations() -> dict[tuple[str, str], float]:
    table = frame("territory_search")
    return {(str(k), str(c)): float(p) for k, c, p in zip(table["kind"], table["code"], table["population"],
                                                          strict=True) if pd.notna(p)}


def places(text: str, limit: int = MAX_PLACES) -> list[Place]:
    """The communes and EPCIs matching the text: an exact INSEE or SIREN code first, then names that start with the
    text, then the others, the most populated first; [] when nothing matches or the referential is not published."""
    needle = _folded(text)
    if len(needle) < 2:
        return []
    try:
        communes = territory.search_communes(text, limit=SEARCH_POOL)
        epcis = _epcis(needle)
        population = _populations()
    except queries.QueryError:
        return []
    found = [Place("commune", str(r.code), str(r.name),
                   "commune · " + " · ".join(filter(None, [str(r.postcodes or "").replace("|", ", "),
                                                           f"INSEE {r.code}"])),
                   COMMUNE_PAGE, {"code": str(r.code)}) for r in communes.itertuples()]
    found += [Place("epci", str(r.code), str(r.name),
                    f"intercommunalité · {int(r.communes_total)} communes · SIREN {r.code}",
                    BOARD_PAGE, {"niveau": "epci", "code": str(r.code)}) for r in epcis.itertuples()]

    def order(place: Place) -> tuple[bool, bool, float]:
        return (place.code != needle, not _folded(place.name).startswith(needle),
                -population.get((place.kind, place.code), 0.0))

    return sorted(found, key=order)[:limit]


def render_places(text: str, limit: int = MAX_PLACES) -> bool:
    """The matching places as links under a heading, in a bordered box; False (nothing drawn) when none matches."""
    found = places(text, limit)
    if not found:
        return False
    wrap_page_links("place_suggestions")
    with st.container(border=True, key="place_suggestions"):
        st.markdown(f"**Communes et intercommunalités correspondant à « {escape_markdown(text.strip())} »**")
        for place in found:
            icon = ":material/location_city:" if place.kind == "commune" else ":material/hub:"
            st.page_link(place.page, label=place.label, query_params=place.params, icon=icon)
    return True
