"""Server-side time of an 8-block dashboard (/tableau-de-bord?d=…) against two dataset pages, cold and warm.

Issue 18 asks that a dashboard of 8 blocks renders within the server time budget of two dataset pages, on the
embedded data and on the 10-million-row generated dataset. AppTest runs the whole app (no browser, no network):
« cold » is the first run after every result cache was emptied, « warm » the median (and p95) of the next runs of
the same session. Each data set runs in its own child process of this script (settings are read from the environment
once per process), which prints its figures as JSON. Run: `.venv/bin/python bench/dashboard_render.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Metric, ensure_data, machine, uptime_line, write_result  # noqa: E402
from bench.pages_render import build_warehouse, open_app, time_apptest  # noqa: E402

BIG_ROWS = 10_000_000
RESULT_MARK = "DASHBOARD_RENDER_RESULT "
DASHBOARD = "pages/dashboard.py"
DATASET_PAGE = "pages/dataset.py"

# The embedded data: five datasets, two maps (choropleth and points), the global filter on Périgueux.
EMBEDDED = {
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
EMBEDDED_PAGES = [{"id": "colleges", "tab": "tableau"}, {"id": "ips-colleges", "tab": "graphique"}]

# The 10-million-row dataset (bench/generate.py): every block reads the same Parquet file, the global filter on
# Périgueux (code_insee_cog2026 = 24322, ~20 000 of the 10 million rows).
BIG_ID = "perf-population-communes"
BIG = {
    "version": 1, "title": "Banc d'essai, 10 millions de lignes", "filter": {"level": "commune", "code": "24322"},
    "blocks": [
        {"type": "chart", "dataset": BIG_ID, "width": 2,
         "view": {"chart": "line", "x": "millesime", "y": "pmun", "agg": "sum"}},
        {"type": "figure", "dataset": BIG_ID, "agg": "mean", "column": "pmun", "unit": "habitants"},
        {"type": "chart", "dataset": BIG_ID, "view": {"chart": "bar", "x": "nom_origine", "y": "pmun", "agg": "sum"}},
        {"type": "map", "dataset": BIG_ID, "view": {"map": "choropleth", "mcol": "pmun", "magg": "sum"}},
        {"type": "table", "dataset": BIG_ID, "view": {"sort": "-pmun", "size": "20"}},
        {"type": "figure", "dataset": BIG_ID, "agg": "sum", "column": "ptot",
         "view": {"f": ["millesime:gte:2020"]}},
        {"type": "table", "dataset": BIG_ID, "columns": ["millesime", "nom_origine", "ptot"],
         "view": {"sort": "-millesime", "size": "20"}},
        {"type": "text", "text": "Populations légales **générées** : banc d'essai."},
    ],
}
BIG_PAGES = [{"id": BIG_ID, "tab": "tableau"},
             {"id": BIG_ID, "tab": "graphique", "chart": "line", "x": "millesime", "y": "pmun", "agg": "sum"}]

TABLE_HEAD = ("| Données | Tableau de bord à froid | à chaud (médiane) | p95 | Deux pages à froid (somme) | "
              "à chaud (médiane) | p95 | Rapport à froid (≤ 1 ?) | Rapport à chaud (≤ 1 ?) |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|")

CASES: dict[str, dict[str, Any]] = {
    "embedded": {"label": "Données embarquées", "spec": EMBEDDED, "pages": EMBEDDED_PAGES},
    "big": {"label": "10 millions de lignes", "spec": BIG, "pages": BIG_PAGES},
}


# -- one data set, in a child process ----------------------------------------------------------------------------
def clear_caches() -> None:
    import streamlit as st

    from queries import cache

    cache.clear()
    st.cache_data.clear()


def time_page(page: str, params: dict[str, str], runs: int, cold_runs: int = 1) -> dict[str, Any]:
    """`cold_runs` first runs, each in a new session after every result cache was emptied, then `runs` warm runs
    after the first of them (pages_render's AppTest timing)."""
    colds, warm = [], []
    for i in range(cold_runs):
        clear_caches()
        cold, timing = time_apptest(page, params, runs if i == 0 else 0)
        colds.append(cold)
        warm = warm or timing.runs_ms
    return {"cold": statistics.median(colds), "colds": colds, "warm": warm or colds}


def rendered(page: str, params: dict[str, str]) -> Any:
    """The page run once more in a new session (not timed), to look at what it drew."""
    at = open_app(page, params)
    at.run()
    return at


def page_problems(at: Any) -> list[str]:
    return [f"exception : {e.value}" for e in at.exception] + [f"erreur : {e.value}" for e in at.error]


def dashboard_problems(at: Any, spec: dict[str, Any]) -> list[str]:
    """Anything that makes the dashboard's figure meaningless: an exception, a block that says it cannot be drawn
    (« ne peut plus être affiché », a query error: both are st.warning), an empty chart, or fewer charts, maps, key
    figures or tables than the specification has."""
    problems = page_problems(at) + [f"avertissement : {w.value}" for w in at.warning]
    problems += [f"information : {i.value}" for i in at.info
                 if "Aucune donnée" in str(i.value) or "n'a pas de colonne" in str(i.value)]
    kinds = [b["type"] for b in spec["blocks"]]
    # A chart or map block also draws a dataframe (its text alternative): count those with the tables.
    expected = {"plotly_chart": kinds.count("chart"), "deck_gl_json_chart": kinds.count("map"),
                "metric": kinds.count("figure"),
                "dataframe": kinds.count("table") + kinds.count("chart") + kinds.count("map")}
    for element, n in expected.items():
        found = len(at.get(element))
        if found < n:
            problems.append(f"{found} élément(s) « {element} » dessiné(s), {n} attendu(s)")
    return problems


def run_case(case: str, data_dir: Path, runs: int, cold_runs: int) -> dict[str, Any]:
    if case == "big":
        from bench import generate

        generate.point_env(data_dir)
    else:
        os.environ["TERRITOIRE_DATA_DIR"] = str(data_dir)
        os.environ.pop("TERRITOIRE_CATALOGUE_DIR", None)
    import config

    config.get_settings.cache_clear()
    from dashboards import codec
    from dashboards.spec import parse

    spec = CASES[case]["spec"]
    board = parse(spec)  # raises SpecError (French) on an invalid specification
    assert len(board.blocks) == 8, len(board.blocks)
    dash_params = {"d": codec.encode(board)}

    time_page("pages/home.py", {}, 0)  # imports (duckdb, plotly, pydeck) paid once, outside every figure
    load_before = uptime_line()
    # The dashboard first: it pays the first touch of the files (DuckDB's metadata, the OS cache) if anyone does.
    dashboard = time_page(DASHBOARD, dash_params, runs, cold_runs)
    pages = [time_page(DATASET_PAGE, params, runs, cold_runs) for params in CASES[case]["pages"]]
    load_after = uptime_line()

    problems = dashboard_problems(rendered(DASHBOARD, dash_params), spec)
    for params in CASES[case]["pages"]:
        problems += [f"page {params} : {p}" for p in page_problems(rendered(DATASET_PAGE, params))]
    return {"case": case, "dashboard": dashboard, "pages": pages, "problems": problems,
            "load_before": load_before, "load_after": load_after}


# -- the parent: both data sets, the report ------------------------------------------------------------------------
def child(case: str, data_dir: Path, runs: int, cold_runs: int, env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--data-dir", str(data_dir),
           "--runs", str(runs), "--cold-runs", str(cold_runs)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"dashboard_render: the {case} case failed (exit {proc.returncode})")
    result = json.loads(lines[-1][len(RESULT_MARK):])
    result["seconds"] = time.perf_counter() - t0
    return result


def stats(values: list[float]) -> tuple[float, float]:
    from bench.common import Timing

    t = Timing("", list(values))
    return t.median, t.p95


def row(label: str, result: dict[str, Any]) -> tuple[str, dict[str, float]]:
    d_cold = result["dashboard"]["cold"]
    d_med, d_p95 = stats(result["dashboard"]["warm"])
    p_cold = sum(p["cold"] for p in result["pages"])
    p_stats = [stats(p["warm"]) for p in result["pages"]]
    p_med, p_p95 = sum(s[0] for s in p_stats), sum(s[1] for s in p_stats)
    fig = {"d_cold": d_cold, "d_med": d_med, "d_p95": d_p95, "p_cold": p_cold, "p_med": p_med, "p_p95": p_p95,
           "r_cold": d_cold / p_cold, "r_warm": d_med / p_med}

    def yes(r: float) -> str:
        return "oui" if r <= 1 else "non"

    line = (f"| {label} | {d_cold:.0f} | {d_med:.0f} | {d_p95:.0f} | {p_cold:.0f} | {p_med:.0f} | {p_p95:.0f} | "
            f"{fig['r_cold']:.2f} ({yes(fig['r_cold'])}) | {fig['r_warm']:.2f} ({yes(fig['r_warm'])}) |")
    return line, fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="warm runs of each page after its cold run")
    parser.add_argument("--cold-runs", type=int, default=5,
                        help="cold runs of each page (each after emptying the caches); the median is reported")
    parser.add_argument("--big-dir", type=Path, default=None,
                        help="data directory of the 10-million-row dataset (default: bench/out/data)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write bench/results")
    parser.add_argument("--case", choices=list(CASES), help=argparse.SUPPRESS)  # internal: one data set, JSON out
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(RESULT_MARK + json.dumps(run_case(args.case, args.data_dir, args.runs, args.cold_runs)), flush=True)
        return

    from bench import generate

    base_env = {k: v for k, v in os.environ.items() if k not in ("TERRITOIRE_DATA_DIR", "TERRITOIRE_CATALOGUE_DIR")}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="territoire-dashboard-bench-") as tmp:
        embedded_dir = Path(tmp) / "data"
        os.environ.pop("TERRITOIRE_CATALOGUE_DIR", None)  # the embedded catalogue, whatever the caller's setting
        build_warehouse(embedded_dir)
        results["embedded"] = child("embedded", embedded_dir, args.runs, args.cold_runs,
                                    {**base_env, "TERRITOIRE_DATA_DIR": str(embedded_dir)})
        shutil.rmtree(embedded_dir, ignore_errors=True)
    big_dir = args.big_dir or generate.DEFAULT_DATA_DIR
    gen = ensure_data(BIG_ROWS, 0, big_dir)  # generates the 10-million-row table unless it is already published
    results["big"] = child("big", big_dir, args.runs, args.cold_runs, {**base_env, **generate.bench_env(big_dir)})

    failed = [f"{case}: {p}" for case, r in results.items() for p in r["problems"]]
    lines, metrics = [], []
    for case, r in results.items():
        label = CASES[case]["label"]
        line, fig = row(label, r)
        lines.append(line)
        en = "embedded data" if case == "embedded" else "10M-row dataset"
        metrics += [
            Metric(f"8-block dashboard ÷ two dataset pages, warm (AppTest median), {en}", round(fig["r_warm"], 2),
                   "×", target="≤ 1", ok=fig["r_warm"] <= 1,
                   note=f"{fig['d_med']:.0f} ms vs {fig['p_med']:.0f} ms"),
            Metric(f"8-block dashboard ÷ two dataset pages, cold (median of {args.cold_runs} first runs), {en}",
                   round(fig["r_cold"], 2), "×", target="≤ 1", ok=fig["r_cold"] <= 1,
                   note=f"{fig['d_cold']:.0f} ms vs {fig['p_cold']:.0f} ms"),
            Metric(f"8-block dashboard, warm server render, {en}", round(fig["d_med"], 1), "ms",
                   p95=round(fig["d_p95"], 1)),
        ]
        print(line, flush=True)
    if failed:
        print("\n".join(failed), file=sys.stderr)
        raise SystemExit("dashboard_render: a block or a page could not be drawn; the figures would mean nothing")

    def pages_text(case: str) -> str:
        return "".join(f"\n  * `{DATASET_PAGE}?{urlencode(p)}`" for p in CASES[case]["pages"])

    def blocks_text(case: str) -> str:
        kinds = [b["type"] for b in CASES[case]["spec"]["blocks"]]
        return ", ".join(f"{kinds.count(k)} × `{k}`" for k in dict.fromkeys(kinds))

    def ms(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    colds_text = "\n".join(
        f"* {CASES[case]['label']} : tableau de bord {ms(r['dashboard']['colds'])} ; "
        + " ; ".join(f"page {i + 1} : {ms(p['colds'])}" for i, p in enumerate(r["pages"]))
        for case, r in results.items())
    m = machine()
    report = f"""# Tableaux de bord : 8 blocs contre deux pages de jeu de données

Commande : `.venv/bin/python bench/dashboard_render.py --runs {args.runs} --cold-runs {args.cold_runs}`.
Chaque jeu de données est mesuré dans son propre processus (les réglages sont lus une fois par processus) :

* **Données embarquées** : entrepôt neuf construit par `python -m loaders build` dans un dossier temporaire.
  Tableau de bord de 8 blocs sur `ips-colleges`, `colleges` et `population-communes`, filtré sur la commune 24322
  (Périgueux) :
  {blocks_text('embedded')}. Les deux pages :{pages_text('embedded')}
* **10 millions de lignes** : `{BIG_ID}` ({BIG_ROWS:,} lignes de `bench/generate.py`, dans `bench/out/data`,
  {'réutilisées' if gen.get('reused') else 'générées pour cette mesure'}). Tableau de bord de 8 blocs :
  {blocks_text('big')} ;
  courbe de la somme de `pmun` par millésime, moyenne de `pmun`, barres de la somme de `pmun` par `nom_origine`, carte
  choroplèthe des communes (somme de `pmun`), tableau trié par `pmun` décroissant (20 lignes), somme de `ptot`
  filtrée par `millesime:gte:2020`, tableau de 3 colonnes trié par millésime, texte ; filtré sur la commune 24322
  (`code_insee_cog2026`, ~20 000 des 10 millions de lignes ; les chiffres clés calculent aussi leur valeur sans ce
  filtre, sur les 10 millions). Les deux pages, sans filtre :{pages_text('big')}

Ce qui est mesuré, côté serveur, en millisecondes, par AppTest (`at.run()` de `app.py` entier : routeur, en-tête,
page, pied de page ; pas le réseau ni le dessin dans le navigateur) :

* **À froid** : un premier `at.run()` de la page, dans une nouvelle session, après `queries.cache.clear()` et
  `st.cache_data.clear()` (requêtes DuckDB réelles) ; médiane de {args.cold_runs} tels passages, chacun après un
  nouveau vidage (le premier d'entre eux paie en plus le premier accès de la page dans le processus : les valeurs
  de chaque passage sont sous le tableau). Les imports ont été payés avant (une page d'accueil) ; la connexion DuckDB
  et le cache de fichiers du système restent chauds, comme sur un serveur qui tourne. Les deux pages, chacune après un
  vidage des caches, sont additionnées (deux premières visites indépendantes).
* **À chaud** : médiane et p95 de {args.runs} `at.run()` suivants de la même session (caches remplis) ; pour les deux
  pages, somme des médianes et somme des p95.
* **Rapport** : tableau de bord ÷ deux pages ; « oui » quand il est ≤ 1, c'est-à-dire quand les 8 blocs tiennent dans
  le temps serveur de deux pages de jeu de données (demande de l'issue 18).

Le script échoue si un bloc ne peut pas être dessiné (avertissement « ne peut plus être affiché », erreur de requête,
graphique vide, moins de graphiques, cartes, chiffres clés ou tableaux que prévu) : il le vérifie sur un passage de
plus, non chronométré. Ici, les 8 blocs sont dessinés sur les deux jeux de données.

{TABLE_HEAD}
{chr(10).join(lines)}

Passages à froid, dans l'ordre (ms) :

{colds_text}

Machine : {m.get('nproc')} cœurs (`nproc`), {m.get('cpu')}, {m.get('ram')}, {m.get('os')}.
Versions : {', '.join(f'{k} {v}' for k, v in m.items() if k not in ('nproc', 'cpu', 'ram', 'os'))}.
Charge au moment de la mesure (d'autres processus tournaient sur la machine) : données embarquées, avant
`{results['embedded']['load_before']}`, après `{results['embedded']['load_after']}` ; 10 millions de lignes, avant
`{results['big']['load_before']}`, après `{results['big']['load_after']}`.
"""
    report = report.replace(f"{BIG_ROWS:,}", f"{BIG_ROWS:,}".replace(",", " "))
    if not args.no_write:
        write_result("dashboard_render", report, metrics,
                     extra={"raw": {case: {k: r[k] for k in ("dashboard", "pages")} for case, r in results.items()}})
    print(report)


if __name__ == "__main__":
    main()
