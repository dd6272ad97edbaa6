"""Server-side time of an 8-block dashboard (/tableau-de-bord?d=…) against two dataset pages, cold and warm.

Issue 18 asks that a dashboard of 8 blocks renders within the server time budget of two dataset pages. AppTest runs
the whole app in this process (no browser, no network): « cold » is the first run after every result cache was
emptied, « warm » the median of the next runs of the same session. Run: `.venv/bin/python bench/dashboard_render.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import uptime_line  # noqa: E402
from bench.pages_render import time_apptest  # noqa: E402

EIGHT_BLOCKS = {
    "version": 1, "title": "Banc d'essai", "filter": {"level": "commune", "code": "24322"},
    "blocks": [
        {"type": "chart", "dataset": "ips-colleges", "width": 2,
         "view": {"chart": "bar", "x": "secteur", "y": "ips", "agg": "mean"}},
        {"type": "figure", "dataset": "ips-colleges", "agg": "mean", "column": "ips"},
        {"type": "map", "dataset": "ips-colleges", "view": {"map": "choropleth", "mcol": "ips", "magg": "mean"}},
        {"type": "map", "dataset": "colleges", "view": {"map": "points"}},
        {"type": "table", "dataset": "ips-colleges", "view": {"sort": "-ips", "size": "20"}},
        {"type": "chart", "dataset": "population-communes", "view": {"chart": "line", "x": "millesime", "y": "pmun",
                                                                     "agg": "sum"}},
        {"type": "table", "dataset": "colleges", "view": {"size": "20"}},
        {"type": "text", "text": "Texte **de présentation**."},
    ],
}
TWO_PAGES = [("pages/dataset.py", {"id": "colleges", "tab": "tableau"}),
             ("pages/dataset.py", {"id": "ips-colleges", "tab": "graphique"})]


def clear_caches() -> None:
    import streamlit as st

    from queries import cache

    cache.clear()
    st.cache_data.clear()


def time_page(page: str, params: dict[str, str], runs: int) -> tuple[float, float]:
    """(cold ms, warm median ms) of one page, every result cache emptied first (pages_render's AppTest timing)."""
    clear_caches()
    cold, timing = time_apptest(page, params, runs)
    return cold, timing.median if timing.runs_ms else cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from dashboards import codec
    from dashboards.spec import parse

    time_page("pages/home.py", {}, 0)  # imports (duckdb, plotly, pydeck) paid once, outside every figure
    rows = [("Tableau de bord, 8 blocs", *time_page("pages/dashboard.py", {"d": codec.encode(parse(EIGHT_BLOCKS))},
                                                     args.runs))]
    pages = [time_page(page, params, args.runs) for page, params in TWO_PAGES]
    rows.append(("Deux pages de jeu de données (somme)", sum(p[0] for p in pages), sum(p[1] for p in pages)))
    print("| cas | à froid (ms) | à chaud, médiane (ms) |\n|---|---:|---:|")
    for name, cold, warm in rows:
        print(f"| {name} | {cold:.0f} | {warm:.0f} |")
    print(f"\n{uptime_line()}")


if __name__ == "__main__":
    main()
