"""Catalogue search latency on 2,000 generated catalogue entries, through the real executor; writes a markdown section."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULT = ROOT / "bench" / "results" / "catalogue_search.md"

PUBLISHERS = ["INSEE", "Conseil départemental de la Dordogne", "Ministère de la Culture", "DREES", "ARS Nouvelle-Aquitaine",
              "Ministère de l'Éducation nationale (DEPP)", "Région Nouvelle-Aquitaine", "Agglomération de Périgueux",
              "Syndicat mixte du Périgord", "IGN"]
EXTRA_WORDS = ["transports", "vélos", "chevaux", "réseaux", "hôpitaux", "écoles", "budgets", "subventions",
               "routes départementales", "eaux pluviales", "bibliothèques", "marchés publics", "collèges"]
QUERIES = ["", "college", "musées", "population communes", "dordogne", "sociaux", "ips collèges", "xyzzy"]
FACET_SETS: list[dict[str, tuple[str, ...]]] = [
    {}, {"theme": ("education_and_research",)}, {"theme": ("education_and_research", "culture_and_recreation")},
    {"producteur": ("INSEE",), "contenu": ("carte",)}, {"annee": ("2024", "2025")},
]
SORTS = [None, "titre", "popularite"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def build_warehouse(data_dir: Path) -> None:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
    env.pop("TERRITOIRE_CATALOGUE_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"loaders build a échoué :\n{proc.stdout}\n{proc.stderr}")


def generate(n: int, catalogue_dir: Path, data_dir: Path, seed: int = 24) -> int:
    """n manifest entries varied from the real ones (marked generated = true), each published as its base's files."""
    rng = random.Random(seed)
    real = [tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "catalogue" / "datasets").glob("*.toml"))]
    registry_path = data_dir / "warehouse" / "registry.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    live = registry["datasets"]
    real = [r for r in real if r["id"] in live]
    from catalogue import vocab

    topics = list(vocab.TOPICS)
    grans = ["commune", "epci", "canton", "departement", "point", "other"]
    for i in range(n):
        base = real[i % len(real)]
        entry = json.loads(json.dumps(base))  # deep copy of plain TOML data
        ds_id = f"gen-{i:04d}-{base['id']}"[:80]
        extra = rng.sample(EXTRA_WORDS, 2)
        entry.update({
            "id": ds_id,
            "title": f"{base['title']} — {extra[0]} (jeu généré n° {i})",
            "description": f"JEU GÉNÉRÉ POUR LE BANC D'ESSAI, ne pas publier. {base.get('description', '')} "
                           f"Voir aussi : {', '.join(extra)}.",
            "publisher": rng.choice(PUBLISHERS),
            "themes": rng.sample(topics, rng.randint(1, 2)),
            "keywords": list(base.get("keywords", []))[: rng.randint(1, 6)] + extra,
            "spatial_granularity": rng.choice(grans),
            "modified": f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "generated": True,
        })
        (catalogue_dir / f"{ds_id}.toml").write_bytes(tomli_w.dumps(entry).encode("utf-8"))
        # Same Parquet and meta as its base (a symlinked dataset folder): only the metadata varies.
        (data_dir / "warehouse" / ds_id).symlink_to(data_dir / "warehouse" / base["id"], target_is_directory=True)
        live[ds_id] = dict(live[base["id"]])
    registry_path.write_text(json.dumps(registry), encoding="utf-8")
    return len(real)


def measure(runs: int) -> dict[str, Any]:
    from queries import catalogue_search as cs

    rng = random.Random(7)
    t0 = time.perf_counter()
    known = cs.known_values()
    first_ms = (time.perf_counter() - t0) * 1000
    total = cs.facet_counts(cs.CatalogueQuery())[0]
    ids = list(cs.all_entries()["id"])
    popularity = {i: rng.randint(1, 500) for i in rng.sample(ids, min(500, len(ids)))}
    cases = [(q, f, s) for q in QUERIES for f in FACET_SETS for s in SORTS]
    timings: dict[str, list[float]] = {"all": [], "text": [], "no_text": [], "facets": [], "no_facets": []}
    results: dict[str, int] = {}
    for q, facets, sort in cases:
        facets = {k: tuple(v for v in vals if v in known.get(k, {})) for k, vals in facets.items()}
        query = cs.CatalogueQuery(q=q, filters={k: v for k, v in facets.items() if v}, sort=sort,
                                  page=rng.randint(1, 3))
        cs.search(query, popularity)  # warm-up of this exact statement
        for _ in range(runs):
            t = time.perf_counter()
            res = cs.search(query, popularity)
            ms = (time.perf_counter() - t) * 1000
            timings["all"].append(ms)
            timings["text" if q else "no_text"].append(ms)
            timings["facets" if query.filters else "no_facets"].append(ms)
        results[f"{q!r} {dict(query.filters)}"] = res.total
    import queries

    wh = queries.warehouse()
    refresh_ms = []
    for _ in range(20):
        t = time.perf_counter()
        wh.refresh()  # what every executor call pays before running SQL (stat of registry + manifest files)
        refresh_ms.append((time.perf_counter() - t) * 1000)
    from exports import catalogue as exports

    t = time.perf_counter()
    files = exports.catalogue_files()
    export_ms = (time.perf_counter() - t) * 1000
    return {"entries": total, "first_ms": first_ms, "cases": len(cases), "runs": runs, "timings": timings,
            "refresh_ms": statistics.median(refresh_ms),
            "export_ms": export_ms, "export_sizes": {k: len(v) for k, v in files.items()},
            "sample_results": dict(list(results.items())[:6])}


def machine() -> dict[str, str]:
    import duckdb
    import pandas
    import streamlit

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "duckdb": duckdb.__version__, "pandas": pandas.__version__, "streamlit": streamlit.__version__,
            "os": platform.platform()}


def row(name: str, values: list[float]) -> str:
    return f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p95(values):.1f} | {max(values):.1f} |"


def report(command: str, small: dict[str, Any], big: dict[str, Any], n_real: int, load: tuple[float, float]) -> str:
    m = machine()
    lines = [
        "## Catalogue search (`bench/catalogue_search.py`)",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `{command}`.",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['os']}; Python {m['python']}, DuckDB {m['duckdb']}, "
        f"pandas {m['pandas']}, Streamlit {m['streamlit']}. Load average (1 min) {load[0]:.1f} at the start, "
        f"{load[1]:.1f} at the end: other work shared the 2 cores, so read the figures as upper bounds.",
        "",
        "What is measured: `queries.catalogue_search.search()` end to end — one query through the real executor "
        "(`queries.run_sql_text`, bound parameters, DuckDB in-memory) returning the total, the ranked ids of the "
        "page and the 7 disjunctive facets, then `catalogue_cards` for the page's 10 cards; no result cache. "
        f"{big['cases']} cases = {len(QUERIES)} queries × {len(FACET_SETS)} facet sets × {len(SORTS)} sorts, random "
        f"page 1–3, popularity of 500 datasets bound as lists; {big['runs']} timed runs per case after one warm-up.",
        "",
        f"The 2,000-entry catalogue is **generated** (`generated = true`, ids `gen-NNNN-…`, written to a temporary "
        f"catalogue directory, never to `catalogue/datasets/`): each entry copies one of the {n_real} real manifest "
        f"entries and varies title, description, publisher, themes, keywords, granularity and modification date; it "
        f"is published with its base dataset's Parquet file.",
        "",
        "| catalogue | entries | first search (cold, ms) | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|---|",
        f"| real (embedded data) | {small['entries']} | {small['first_ms']:.0f} | "
        f"{statistics.median(small['timings']['all']):.1f} | {p95(small['timings']['all']):.1f} |",
        f"| generated | {big['entries']} | {big['first_ms']:.0f} | {statistics.median(big['timings']['all']):.1f} | "
        f"{p95(big['timings']['all']):.1f} |",
        "",
        f"Breakdown on the {big['entries']}-entry catalogue:",
        "",
        "| subset | searches | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---|---|---|---|",
        row("all", big["timings"]["all"]),
        row("with text query", big["timings"]["text"]),
        row("without text query", big["timings"]["no_text"]),
        row("with facet filters", big["timings"]["facets"]),
        row("without facet filters", big["timings"]["no_facets"]),
        "",
        f"Executor overhead included above: each executor call first checks whether the warehouse changed "
        f"(`Warehouse.refresh()`: stat of registry.json and of every manifest file): median "
        f"{small['refresh_ms']:.1f} ms with {small['entries']} manifest files, {big['refresh_ms']:.1f} ms with "
        f"{big['entries']}; a search makes two calls.",
        "",
        f"Whole-catalogue downloads built once per data version (CSV + JSON + DCAT JSON-LD for "
        f"{big['entries']} entries): {big['export_ms']:.0f} ms; sizes "
        + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in big["export_sizes"].items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args()
    command = "python bench/catalogue_search.py" + (f" --entries {args.entries}" if args.entries != 2000 else "") + \
        (f" --runs {args.runs}" if args.runs != 3 else "")

    import config

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as tmp:
        data_dir, cat_dir = Path(tmp) / "data", Path(tmp) / "catalogue"
        build_warehouse(data_dir)
        os.environ["TERRITOIRE_DATA_DIR"] = str(data_dir)
        os.environ.pop("TERRITOIRE_CATALOGUE_DIR", None)
        config.get_settings.cache_clear()
        small = measure(args.runs)

        shutil.copytree(ROOT / "catalogue" / "datasets", cat_dir)
        n_real = generate(args.entries, cat_dir, data_dir)
        os.environ["TERRITOIRE_CATALOGUE_DIR"] = str(cat_dir)
        config.get_settings.cache_clear()
        t = time.perf_counter()
        import queries

        queries.warehouse()  # views for every generated id and the catalogue table
        setup_ms = (time.perf_counter() - t) * 1000
        big = measure(args.runs)
    text = report(command, small, big, n_real, (load_start, os.getloadavg()[0]))
    text += f"Setting up the executor for {big['entries']} entries (views + catalogue table): {setup_ms:.0f} ms.\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
