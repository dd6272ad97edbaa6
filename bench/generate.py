"""Benchmark data: a real embedded dataset scaled to N rows and N map points, published through the real loaders."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/generate.py` from the repo root
    sys.path.insert(0, str(ROOT))

OUT_DIR = ROOT / "bench" / "out"
DEFAULT_DATA_DIR = OUT_DIR / "data"
TABLE_ID = "perf-population-communes"
POINTS_ID = "perf-points"
TITLE_PREFIX = "[Généré pour les tests de performance] "
SOURCE_CSV = ROOT / "data" / "dordogne" / "population" / "population_communes_24_long.csv"
COMMUNES_GEOJSON = ROOT / "data" / "dordogne" / "geo" / "communes_24.geojson"
COMMUNES_POP_CSV = ROOT / "data" / "dordogne" / "population" / "population_communes_24_cog2026.csv"
# Point categories with their share: a plausible mix of local equipment, so that facets and colours have work to do.
POINT_CATEGORIES = {
    "Commerce": 0.34, "Service public": 0.12, "Santé": 0.14, "Enseignement": 0.08, "Sport": 0.10,
    "Culture": 0.05, "Tourisme": 0.12, "Transport": 0.05,
}


def bench_catalogue_dir(data_dir: Path) -> Path:
    """The manifest directory of the benchmark data: under the bench data dir, never `catalogue/datasets/`."""
    return data_dir / "catalogue"


def bench_env(data_dir: Path) -> dict[str, str]:
    """Environment that points the app (or a subprocess) at the benchmark data and its own catalogue."""
    return {"TERRITOIRE_DATA_DIR": str(data_dir), "TERRITOIRE_CATALOGUE_DIR": str(bench_catalogue_dir(data_dir))}


def _duck(threads: int = 2, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    import duckdb  # heavy imports stay local: the benchmark's child processes import this module for its constants

    tmp = OUT_DIR / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(":memory:", config={
        "threads": threads, "memory_limit": memory_limit, "temp_directory": str(tmp),
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    })


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def generate_table(rows: int, target: Path) -> Path:
    """Scale `population_communes_24_long.csv` to `rows` rows in DuckDB, streamed to Parquet (never through pandas).

    Each generated row copies a real source row chosen by a hash of its number (same columns, the same
    commune codes and names, the same millésimes), and jitters the counts by ±10 % inside the observed
    ranges; `ptot = pmun + pcap` stays true. Hash-based draws keep the output identical from run to run.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.parquet")
    con = _duck()
    con.execute(
        # Codes stay text: they are identifiers (INSEE codes), not quantities.
        "CREATE TEMP TABLE src AS SELECT row_number() OVER () - 1 AS i, * FROM read_csv("  # noqa: S608 - path literal is ours
        + _sql_str(SOURCE_CSV)
        + ", header=true, types={'code_insee_origine': 'VARCHAR', 'code_insee_cog2026': 'VARCHAR'})"
    )
    n, pmun_lo, pmun_hi, pcap_hi = con.execute("SELECT count(*), min(pmun), max(pmun), max(pcap) FROM src").fetchone()
    sql = f"""
        COPY (
            WITH draws AS (
                SELECT k,
                       hash(k) % {n} AS i,
                       (hash(k, 'pmun') % 1000003) / 1000003.0 AS u_pmun,
                       (hash(k, 'pcap') % 1000003) / 1000003.0 AS u_pcap
                FROM range({rows}) r(k)
            ), jittered AS (
                SELECT d.k, s.millesime, s.annee_en_vigueur, s.code_insee_origine, s.nom_origine,
                       least(greatest(round(s.pmun * (0.9 + 0.2 * d.u_pmun)), {pmun_lo}), {pmun_hi})::BIGINT AS pmun,
                       least(greatest(round(s.pcap * (0.9 + 0.2 * d.u_pcap)), 0), {pcap_hi})::BIGINT AS pcap,
                       s.code_insee_cog2026
                FROM draws d JOIN src s USING (i)
            )
            SELECT millesime, annee_en_vigueur, code_insee_origine, nom_origine, pmun, pcap, pmun + pcap AS ptot,
                   code_insee_cog2026
            FROM jittered ORDER BY k
        ) TO {_sql_str(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)
    """  # noqa: S608 - only numbers computed above and our own paths are interpolated
    con.execute(sql)
    con.close()
    os.replace(tmp, target)
    return target


def _communes() -> tuple[list[str], list[str], Any, Any]:
    """Codes, names, shapely polygons and population weights (latest millésime) of the Dordogne communes."""
    import numpy as np
    import shapely

    features = json.loads(COMMUNES_GEOJSON.read_text(encoding="utf-8"))["features"]
    codes = [str(f["properties"]["code_insee"]) for f in features]
    names = [str(f["properties"]["nom"]) for f in features]
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    con = _duck(threads=1, memory_limit="256MB")
    pop = dict(con.execute(
        "SELECT code_insee_cog2026::VARCHAR, arg_max(pmun, millesime) FROM read_csv("  # noqa: S608 - our path
        + _sql_str(COMMUNES_POP_CSV) + ", header=true) GROUP BY 1"
    ).fetchall())
    con.close()
    # A commune absent from the population file still gets a small weight: every commune can hold points.
    weights = np.array([float(pop.get(c, 50)) for c in codes])
    return codes, names, geoms, weights / weights.sum()


def generate_points(points: int, target: Path, seed: int = 24) -> Path:
    """`points` points inside the Dordogne communes, communes drawn by population, positions by rejection sampling.

    Vectorised: every round draws uniform positions in each pending point's commune bounding box and keeps
    those that `shapely.contains_xy` places inside the commune polygon.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    rng = np.random.default_rng(seed)
    codes, names, geoms, weights = _communes()
    commune = rng.choice(len(codes), size=points, p=weights)
    bounds = shapely.bounds(geoms)  # (n, 4): minx, miny, maxx, maxy
    lon = np.empty(points)
    lat = np.empty(points)
    pending = np.arange(points)
    for _ in range(50):
        if pending.size == 0:
            break
        b = bounds[commune[pending]]
        x = b[:, 0] + rng.random(pending.size) * (b[:, 2] - b[:, 0])
        y = b[:, 1] + rng.random(pending.size) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(geoms[commune[pending]], x, y)
        lon[pending[inside]] = x[inside]
        lat[pending[inside]] = y[inside]
        pending = pending[~inside]
    if pending.size:  # a sliver commune that refused 50 rounds: fall back to a point guaranteed inside it
        rep = shapely.point_on_surface(geoms[commune[pending]])
        lon[pending], lat[pending] = shapely.get_x(rep), shapely.get_y(rep)
    cats = list(POINT_CATEGORIES)
    cat = rng.choice(len(cats), size=points, p=np.array(list(POINT_CATEGORIES.values())))
    table = pa.table({
        "point_id": pa.array(np.arange(1, points + 1, dtype=np.int64)),
        "code_insee": pa.DictionaryArray.from_arrays(pa.array(commune.astype(np.int32)), pa.array(codes)).cast(pa.string()),
        "commune": pa.DictionaryArray.from_arrays(pa.array(commune.astype(np.int32)), pa.array(names)).cast(pa.string()),
        "categorie": pa.DictionaryArray.from_arrays(pa.array(cat.astype(np.int32)), pa.array(cats)).cast(pa.string()),
        # A skewed positive measure (e.g. yearly visits): log-normal like most counts of the real data.
        "valeur": pa.array(np.round(rng.lognormal(mean=4.0, sigma=1.0, size=points), 1)),
        "longitude": pa.array(np.round(lon, 6)),
        "latitude": pa.array(np.round(lat, 6)),
    })
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.parquet")
    pq.write_table(table, tmp, compression="zstd", row_group_size=122_880)
    os.replace(tmp, target)
    return target


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def table_spec(source: Path, rows: int, dataset_id: str = TABLE_ID) -> dict[str, Any]:
    """Manifest entry of the scaled table: clearly generated, same column documentation as the real dataset."""
    return {
        "id": dataset_id,
        "title": f"{TITLE_PREFIX}Populations légales des communes × {_fmt(rows)} lignes",
        "description": (
            f"**Données générées** pour mesurer les performances du portail : {_fmt(rows)} lignes tirées de "
            "`population_communes_24_long.csv` (populations légales INSEE des communes de la Dordogne), "
            "les effectifs étant perturbés de ±10 % dans les bornes observées. Ne pas utiliser pour une analyse."
        ),
        "publisher": "Territoire (banc d'essai)",
        "themes": ["society_and_demography"],
        "keywords": ["benchmark", "généré", "performance"],
        "frequency": "unknown",
        "spatial_granularity": "commune",
        "generated": True,
        "attribution": "Données générées à partir des populations légales INSEE — Licence Ouverte 2.0",
        "provenance": f"bench/generate.py --rows {rows} à partir de data/dordogne/population/population_communes_24_long.csv",
        "license": {"id": "lov2", "title": "Licence Ouverte / Open Licence version 2.0",
                    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
        "source": {"path": str(source)},
        "columns": {
            "millesime": {"label": "Millésime"},
            "annee_en_vigueur": {"label": "Année d'entrée en vigueur"},
            "code_insee_origine": {"label": "Code INSEE d'origine"},
            "nom_origine": {"label": "Nom de la commune d'origine"},
            "pmun": {"label": "Population municipale", "unit": "habitants"},
            "pcap": {"label": "Population comptée à part", "unit": "habitants"},
            "ptot": {"label": "Population totale", "unit": "habitants"},
            "code_insee_cog2026": {"label": "Code INSEE de la commune (COG 2026)"},
        },
    }


def points_spec(source: Path, points: int, dataset_id: str = POINTS_ID) -> dict[str, Any]:
    """Manifest entry of the generated point dataset."""
    return {
        "id": dataset_id,
        "title": f"{TITLE_PREFIX}{_fmt(points)} points répartis sur la Dordogne",
        "description": (
            f"**Données générées** pour mesurer la carte : {_fmt(points)} points tirés dans les communes de la "
            "Dordogne au prorata de leur population (position uniforme dans le contour communal). "
            "Ne pas utiliser pour une analyse."
        ),
        "publisher": "Territoire (banc d'essai)",
        "themes": ["housing_and_development"],
        "keywords": ["benchmark", "généré", "performance", "carte"],
        "frequency": "unknown",
        "spatial_granularity": "point",
        "generated": True,
        "attribution": "Données générées ; contours communaux IGN/INSEE — Licence Ouverte 2.0",
        "provenance": f"bench/generate.py --points {points} à partir de data/dordogne/geo/communes_24.geojson",
        "license": {"id": "lov2", "title": "Licence Ouverte / Open Licence version 2.0",
                    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
        "source": {"path": str(source)},
        "columns": {
            "point_id": {"label": "Identifiant du point"},
            "code_insee": {"label": "Code INSEE de la commune"},
            "commune": {"label": "Commune"},
            "categorie": {"label": "Catégorie"},
            "valeur": {"label": "Valeur (fréquentation simulée)"},
            "longitude": {"label": "Longitude (WGS84)"},
            "latitude": {"label": "Latitude (WGS84)"},
        },
    }


def point_env(data_dir: Path) -> None:
    """Point this process's settings at the bench data dir (config is cached: clear it)."""
    os.environ.update(bench_env(data_dir))
    import config

    config.get_settings.cache_clear()


def publish(spec_dict: dict[str, Any], data_dir: Path, force: bool = False) -> dict[str, Any]:
    """Register the manifest entry in the bench catalogue and publish the Parquet through `loaders.load_dataset`."""
    point_env(data_dir)
    from catalogue.manifest import get_spec, write_spec
    from loaders.pipeline import load_dataset

    catalogue_dir = bench_catalogue_dir(data_dir)
    write_spec(spec_dict, catalogue_dir)
    spec = get_spec(spec_dict["id"], catalogue_dir)
    assert spec is not None
    result = load_dataset(spec, source_path=Path(spec_dict["source"]["path"]), force=force)
    return {"version": getattr(result, "version", None), "rows": getattr(result, "rows", None)}


# The referential datasets a deployment always has (the dataset map draws commune outlines from them): published in the
# bench warehouse too, so that the page measured is the page that ships.
REFERENTIAL_ROLES = ("communes", "epci", "epci_communes", "commune_contours", "epci_contours")


def publish_referentials(data_dir: Path) -> None:
    """Copy the embedded manifest entries of the referential roles into the bench catalogue and load them."""
    point_env(data_dir)
    from catalogue.manifest import get_spec
    from config import ROOT, get_settings
    from loaders.pipeline import load_dataset

    catalogue_dir = bench_catalogue_dir(data_dir)
    catalogue_dir.mkdir(parents=True, exist_ok=True)
    for role in REFERENTIAL_ROLES:
        dataset_id = get_settings().dataset(role)
        shutil.copyfile(ROOT / "catalogue" / "datasets" / f"{dataset_id}.toml", catalogue_dir / f"{dataset_id}.toml")
        spec = get_spec(dataset_id, catalogue_dir)
        assert spec is not None
        load_dataset(spec)


def build(rows: int, points: int, data_dir: Path, force: bool = False, publish_data: bool = True,
          table_id: str = TABLE_ID, points_id: str = POINTS_ID) -> dict[str, Any]:
    """Generate both datasets (skipped when the Parquet of the same size exists) and publish them; returns timings."""
    report: dict[str, Any] = {"data_dir": str(data_dir)}
    src_dir = data_dir.parent / "sources" if data_dir.name == "data" else data_dir / "sources"
    specs = []
    if rows:
        target = src_dir / f"{table_id}-{rows}.parquet"
        t0 = time.perf_counter()
        if force or not target.is_file():
            generate_table(rows, target)
        report["table_generate_s"] = round(time.perf_counter() - t0, 2)
        report["table_parquet_mb"] = round(target.stat().st_size / 1e6, 1)
        specs.append(table_spec(target, rows, table_id))
    if points:
        target = src_dir / f"{points_id}-{points}.parquet"
        t0 = time.perf_counter()
        if force or not target.is_file():
            generate_points(points, target)
        report["points_generate_s"] = round(time.perf_counter() - t0, 2)
        report["points_parquet_mb"] = round(target.stat().st_size / 1e6, 1)
        specs.append(points_spec(target, points, points_id))
    if publish_data:
        publish_referentials(data_dir)
        for spec in specs:
            t0 = time.perf_counter()
            publish(spec, data_dir, force=force)
            report[f"publish_{spec['id']}_s"] = round(time.perf_counter() - t0, 2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the scaled table (0: skip)")
    parser.add_argument("--points", type=int, default=1_000_000, help="points of the map dataset (0: skip)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="bench TERRITOIRE_DATA_DIR")
    parser.add_argument("--force", action="store_true", help="regenerate and republish even if unchanged")
    parser.add_argument("--no-publish", action="store_true", help="only write the generated Parquet files")
    args = parser.parse_args(argv)
    report = build(args.rows, args.points, args.data_dir.resolve(), force=args.force,
                   publish_data=not args.no_publish)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
