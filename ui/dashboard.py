"""A dashboard on screen: its blocks on a three-column grid, the territory and year it follows, and how to share it
(the link carrying it, the short link, the embed code, printing)."""

from __future__ import annotations

import html
from collections.abc import Iterator

import streamlit as st

from dashboards import codec, store
from dashboards.spec import LEVELS, Block, Dashboard, GlobalFilter, SpecError
from indicators import data as indicators_data
from ui.dashboard_blocks import prepare, public_url, short_url
from ui.dataset import data
from ui.dataset.common import md_escape, note
from ui.reuses import SUBMIT, page_link

GRID = 3
# Printing (Ctrl+P, « Enregistrer au format PDF ») gives the dashboard alone: no navigation, header, sharing box or
# links; the blocks on the full width of an A4 page, none cut across two pages.
PRINT_CSS = """
@page { size: A4; margin: 12mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  .st-key-dashboard_share, .st-key-dashboard_links { display: none !important; }
  [data-testid="stMain"] { margin-left: 0 !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  [class*="st-key-dashboard_cell_"] { break-inside: avoid; }
}
"""


def rows(blocks: tuple[Block, ...]) -> Iterator[list[tuple[int, Block]]]:
    """Blocks in order, packed into rows of at most GRID columns (a block that does not fit starts a new row)."""
    row: list[tuple[int, Block]] = []
    used = 0
    for i, block in enumerate(blocks):
        if row and used + block.width > GRID:
            yield row
            row, used = [], 0
        row.append((i, block))
        used += block.width
    if row:
        yield row


def departement_of(commune: str) -> str:
    return commune[:3] if commune.startswith("97") else commune[:2]


def level_names(level: str) -> dict[str, str]:
    """The places a dashboard can be filtered on at `level` (code → name): the territory's communes, its EPCIs, or
    the départements its communes belong to (the comparison département named as the boards name it)."""
    if level == "commune":
        return {c: v[0] for c, v in data.commune_centres().items()}
    if level == "epci":
        return data.epci_names()
    known_code, known_name = indicators_data.departement()
    codes = sorted({departement_of(c) for c in data.commune_centres()})
    return {c: known_name.capitalize() if c == known_code else f"Département {c}" for c in codes}


def territory_label(gf: GlobalFilter) -> str:
    """« Commune : Périgueux (24322) · année 2023 », or "" without a global filter."""
    parts = []
    if gf.level and gf.code:
        names = level_names(gf.level)
        parts.append(f"{LEVELS[gf.level]} : {names.get(gf.code, gf.code)} ({gf.code})")
    if gf.year is not None:
        parts.append(f"année {gf.year}")
    return " · ".join(parts)


def grid(dashboard: Dashboard, saved_versions: dict[str, str] | None = None) -> None:
    """Every block, row by row; on a narrow screen Streamlit stacks the columns."""
    label = territory_label(dashboard.filter)
    if label:
        st.markdown(f"**Filtre du tableau de bord** — {md_escape(label)}")
    if not dashboard.blocks:
        st.info("Ce tableau de bord ne contient encore aucun bloc.")
    for row in rows(dashboard.blocks):
        widths = [block.width for _, block in row]
        spare = GRID - sum(widths)
        columns = st.columns(widths + ([spare] if spare else []), gap="medium")
        for column, (i, block) in zip(columns, row, strict=False):
            with column, st.container(border=True, key=f"dashboard_cell_{i}"):
                prepare(block, dashboard.filter, saved_versions or {}, key=f"dashboard_block_{i}")()


def print_styles() -> None:
    st.html(f"<style>{PRINT_CSS}</style>")


def share(dashboard: Dashboard, slug: str | None = None) -> None:
    """The link to copy, the short link when there is one, the embed code, how to print, and (for a saved one)
    proposing it to the reuse gallery."""
    try:
        url = short_url(slug) if slug else public_url(f"d={codec.encode(dashboard)}")
    except SpecError as exc:
        st.error(f"Ce tableau de bord ne tient pas dans un lien : {exc}.")
        return
    embed = url + ("?" if slug else "&") + "embed=true"
    with st.container(key="dashboard_share"), st.expander("Partager, intégrer, imprimer", icon=":material/share:"):
        st.markdown("**Lien à copier**" + (" (lien court permanent)" if slug else ""))
        st.code(url, language=None, wrap_lines=True)
        st.markdown("**Code d'intégration** (une page web peut afficher ce tableau de bord)")
        frame = (f'<iframe src="{html.escape(embed)}" width="100%" height="900" '
                 f'title="{html.escape(dashboard.title or "Tableau de bord")}" loading="lazy"></iframe>')
        st.code(frame, language="html", wrap_lines=True)
        note("Pour une version imprimable ou un PDF : « Imprimer » dans le navigateur (Ctrl+P), destination "
             "« Enregistrer au format PDF » ; la navigation et ces boutons ne sont pas imprimés.")
        if slug:
            propose_link(dashboard, slug)


def propose_link(dashboard: Dashboard, slug: str) -> None:
    """« Proposer comme réutilisation »: the reuse form, filled with this dashboard's short link, title and datasets
    (it is then moderated like any reuse, and a moderator may feature it on the home page)."""
    datasets = list(dict.fromkeys(b.dataset for b in dashboard.blocks if b.dataset))
    params = {"type": "dashboard", "url": short_url(slug), "permalink": store.short_path(slug)}
    if dashboard.title:
        params["title"] = dashboard.title
    if datasets:
        params["datasets"] = ",".join(datasets)
    page_link(SUBMIT, "Proposer comme réutilisation", query_params=params, icon=":material/lightbulb:")
