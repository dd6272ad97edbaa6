"""Large versions are sorted on their commune code and year (loaders/layout.py): the same rows, each commune's rows
in a few row groups that an equality filter alone reads; smaller ones keep the publisher's order."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

import config
from tests.loaders.loader_helpers import load_file
from warehouse import read_registry, resolve

CODES = [f"24{n:03d}" for n in range(1, 121)]


def write_population(path: Path, rows: int) -> list[tuple[str, int, int]]:
    """A population-like CSV in the publisher's order: years then communes, shuffled within a year."""
    rnd = random.Random(24)
    records = []
    for year in range(2016, 2024):
        block = [(code, year, rnd.randint(50, 30_000)) for code in CODES]
        rnd.shuffle(block)
        records += block
    records = (records * (rows // len(records) + 1))[:rows]
    path.write_text("code_insee;annee;population\n" + "".join(f"{c};{y};{p}\n" for c, y, p in records),
                    encoding="utf-8")
    return records


def parquet_of(dataset_id: str) -> str:
    return str(resolve(read_registry()["datasets"][dataset_id]["parquet"]))


def test_a_large_version_is_sorted_on_commune_then_year(data_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_CLUSTER_MIN_ROWS", "10000")
    config.get_settings.cache_clear()
    source = write_population(tmp_path / "population.csv", 500_000)
    meta, rows = load_file(tmp_path / "population.csv", "population")
    assert meta["layout"] == {"sorted_by": ["code_insee", "annee"]}
    got = [(r["code_insee"], r["annee"], r["population"]) for r in rows]
    assert sorted(got) == sorted(source)  # the same rows, none lost or added
    assert [g[:2] for g in got] == sorted(g[:2] for g in got)  # in commune, then year order
    # Each row group holds a narrow range of codes, so an equality filter reads one or two of them.
    groups = duckdb.sql(f"SELECT stats_min, stats_max FROM parquet_metadata('{parquet_of('population')}') "
                        "WHERE path_in_schema = 'code_insee'").fetchall()
    assert len(groups) >= 4  # unsorted, every one of them would hold every code
    assert sum(lo <= "24042" <= hi for lo, hi in groups) <= 2


def test_a_small_version_keeps_the_publisher_order(data_dir: Path, tmp_path: Path) -> None:
    source = write_population(tmp_path / "population.csv", 2_000)  # below the default 2,000,000 rows
    meta, rows = load_file(tmp_path / "population.csv", "population")
    assert meta["layout"] == {"sorted_by": []}
    assert [(r["code_insee"], r["annee"], r["population"]) for r in rows] == source


def test_a_large_version_without_commune_or_year_is_left_as_published(data_dir: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_CLUSTER_MIN_ROWS", "100")
    config.get_settings.cache_clear()
    (tmp_path / "mesures.csv").write_text("capteur;valeur\n" + "".join(f"c{i % 7};{i}\n" for i in range(500)),
                                          encoding="utf-8")
    meta, rows = load_file(tmp_path / "mesures.csv", "mesures")
    assert meta["layout"] == {"sorted_by": []}
    assert [r["valeur"] for r in rows] == list(range(500))
