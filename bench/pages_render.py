"""Server-side render time of /indicateurs and /carte, warm: AppTest runs of the whole app, and the pages' data calls."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Metric, Timing, machine, uptime_line, write_result  # noqa: E402

TARGET_MS = 300.0
DEFAULT_OUT = ROOT / "bench" / "results" / "pages_render.md"
CASES = [
    ("Indicateurs — département", "pages/indicators.py", {}),
    ("Indicateurs — EPCI (CA Le Grand Périgueux)", "pages/indicators.py", {"niveau": "epci", "code": "200040392"}),
    ("Indicateurs — commune (Périgueux)", "pages/indicators.py", {"niveau": "commune", "code": "24322"}),
    ("Carte — communes, population", "pages/map.py", {}),
    ("Carte — commune 24520, 2 couches", "pages/map.py",
     {"indicateur": "france-services-distance", "commune": "24520", "couches": "france_services,sante"}),
]


def build_warehouse(data_dir: Path) -> None:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, check=True, capture_output=True)


def open_app(page: str, params: dict[str, str]) -> Any:
    """A new AppTest session of the whole app, switched to `page` with these URL parameters, not yet run on it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def time_apptest(page: str, params: dict[str, str], runs: int) -> tuple[float, Timing]:
    """Cold first run of the page, then `runs` warm reruns of the same session (caches filled)."""
    at = open_app(page, params)
    t0 = time.perf_counter()
    at.run()
    cold = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    timing = Timing(page)
    for _ in range(runs):
        t0 = time.perf_counter()
        at.run()
        timing.runs_ms.append((time.perf_counter() - t0) * 1000)
    return cold, timing


def time_data_calls(page: str, params: dict[str, str], runs: int) -> Timing:
    """The page's own data work (cards, series, ranking; or choropleth, nearest services), caches warm."""
    import indicators
    from geo import deck as maps
    from indicators import board, territory
    from indicators.data import frame, indicator_frame

    timing = Timing(page)
    for i in range(runs + 1):
        t0 = time.perf_counter()
        if page == "pages/indicators.py":
            current = territory.resolve(params.get("niveau", "departement"), params.get("code", "")).territory
            board.build_cards(current)
            board.series_frame(indicators.get("population"), current)
            board.ranking(indicators.get("population"), "commune")
        else:
            ind = indicators.get(params.get("indicateur", "population"))
            values, _ = indicator_frame(ind, "commune")
            rows = values[(values["level"] == "commune") & values["value"].notna()]
            rows = rows[rows["year"] == rows["year"].max()]
            collection, _ = maps.choropleth(rows, "commune", str)
            layers = [maps.choropleth_layer(collection, "commune")]
            if params.get("commune"):
                frame("map_nearest_services", code=params["commune"], per_kind=1)
                current = territory.resolve("commune", params["commune"]).territory
                board.build_cards(current)
            points = frame("map_service_points")
            layers += [maps.point_layer(k, points) for k in params.get("couches", "").split(",") if k]
            maps.deck(layers, 45.1, 0.75, 7.6).to_json()
        if i:  # the first pass fills the caches
            timing.runs_ms.append((time.perf_counter() - t0) * 1000)
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data-dir", type=Path, help="existing data directory (default: build a fresh warehouse)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="territoire-bench-"))
    if args.data_dir is None:
        build_warehouse(data_dir)
    os.environ["TERRITOIRE_DATA_DIR"] = str(data_dir)
    import config

    config.get_settings.cache_clear()

    lines = []
    metrics: list[Metric] = []
    for label, page, params in CASES:
        cold, warm = time_apptest(page, params, args.runs)
        data = time_data_calls(page, params, args.runs)
        verdict = "oui" if warm.median < TARGET_MS else "non"
        lines.append(f"| {label} | {cold:.0f} | {warm.median:.0f} | {warm.p95:.0f} | {data.median:.0f} | {verdict} |")
        metrics.append(Metric(f"Warm server render, {label} (AppTest, median)", round(warm.median, 1), "ms",
                              target=f"< {TARGET_MS:.0f}", ok=warm.median < TARGET_MS, p95=round(warm.p95, 1)))
        print(lines[-1], flush=True)

    m = machine()
    report = f"""# Rendu serveur des pages /indicateurs et /carte

Commande : `.venv/bin/python bench/pages_render.py --runs {args.runs}` (entrepôt construit par `python -m loaders build`
depuis les données embarquées, dans un dossier temporaire).

Ce qui est mesuré, côté serveur, en millisecondes :

* **AppTest à chaud** : `at.run()` de `app.py` (routeur, en-tête, page, pied de page) dans la même session après un
  premier passage qui remplit les caches (`queries.cache`, par version des données) ; médiane et p95 de {args.runs}
  passages. Inclut le travail d'AppTest (protobuf), pas le réseau ni le dessin dans le navigateur.
* **1er passage** : le premier `at.run()` de la page, caches vides pour cette page (requêtes DuckDB réelles).
* **Données seules** : les appels de données de la page (cartes d'indicateurs, série, classement ; ou choroplèthe,
  services les plus proches et sérialisation de la carte), caches chauds, médiane de {args.runs}.

Objectif : moins de {TARGET_MS:.0f} ms de temps serveur à chaud.

| Page | 1er passage | AppTest à chaud (médiane) | p95 | Données seules (médiane) | < {TARGET_MS:.0f} ms |
|---|---:|---:|---:|---:|:---:|
{chr(10).join(lines)}

Machine : {m.get('nproc')} cœurs (`nproc`), {m.get('cpu')}, {m.get('ram')}, {m.get('os')}.
Versions : {', '.join(f'{k} {v}' for k, v in m.items() if k not in ('nproc', 'cpu', 'ram', 'os'))}.
Charge au moment de la mesure : {uptime_line()} (d'autres processus tournaient sur la machine).
"""
    if args.out == DEFAULT_OUT:
        write_result("pages_render", report, metrics)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
