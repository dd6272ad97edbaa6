"""Federation round trip: this portal's own Opendatasoft harvester (`python -m loaders harvest ods`, run as users run
it) harvests datasets from a running instance of this portal over its Explore API, and gets the same rows, types and
metadata back (a plain dataset, a point dataset whose geo_point_2d the API derives, a polygon dataset)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from api.odsql.schema import ODS_TYPES
from catalogue.manifest import DatasetSpec, get_spec
from tests.conftest import ROOT, LiveServer
from tests.loaders.server import LOCAL_POLICY

API = "/api/explore/v2.1"
PLAIN, POINTS, SHAPES = "population-communes", "musees-de-france", "contours-epci"
DATASETS = (PLAIN, POINTS, SHAPES)


def current(data_dir: Path, dataset_id: str) -> tuple[dict[str, Any], Path]:
    """meta.json and data.parquet of a dataset's current version in a data directory."""
    base = data_dir / "warehouse" / dataset_id
    version = json.loads((base / "current.json").read_text())["version"]
    return json.loads((base / "versions" / version / "meta.json").read_text()), base / "versions" / version / \
        "data.parquet"


def loaders_command(data_dir: Path, catalogue_dir: Path, *args: str) -> str:
    """`python -m loaders <args>` for the federated portal, as its operator runs it; its output."""
    # The outgoing policy's documented allow-list (README: TERRITOIRE_HTTP_ALLOWED_HOSTS) lets the harvester reach
    # the local instance over plain http; no politeness delay between calls to our own server.
    env = {**os.environ, **LOCAL_POLICY, "TERRITOIRE_DATA_DIR": str(data_dir),
           "TERRITOIRE_CATALOGUE_DIR": str(catalogue_dir), "TERRITOIRE_HTTP_MIN_DELAY": "0"}
    proc = subprocess.run([sys.executable, "-m", "loaders", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def harvest(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(data dir, manifest dir, command output) of a fresh portal that harvested DATASETS from the live one."""
    root = tmp_path_factory.mktemp("federated")
    data_dir, catalogue_dir = root / "data", root / "catalogue"
    catalogue_dir.mkdir()
    args = [a for ds in DATASETS for a in ("--dataset", ds)]
    return data_dir, catalogue_dir, loaders_command(data_dir, catalogue_dir, "harvest", "ods", live_server.url, *args)


def sorted_frame(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_same_rows_and_column_types(harvest: tuple[Path, Path, str], warehouse_dir: Path, dataset_id: str) -> None:
    data_dir, _, output = harvest
    source_meta, source_file = current(warehouse_dir, dataset_id)
    meta, data_file = current(data_dir, f"ods-{dataset_id}")
    assert f"ods-{dataset_id} [ods] : mis à jour" in output
    assert meta["warnings"] == []
    assert [(c["name"], c["type"]) for c in meta["columns"]] == [(c["name"], c["type"]) for c in
                                                                  source_meta["columns"]]
    assert meta["geo"] == source_meta["geo"]
    assert meta["rows"] == source_meta["rows"] > 0
    pd.testing.assert_frame_equal(sorted_frame(data_file), sorted_frame(source_file))  # values and dtypes


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_ods_field_types_map_to_loader_types(harvest: tuple[Path, Path, str], live_server: LiveServer,
                                             dataset_id: str) -> None:
    """Each field the source's API announces (ODS types) is a harvested column of the matching loader type; the
    geo_point_2d the API derives from longitude/latitude comes back as those two columns, not as a copy."""
    fields = requests.get(f"{live_server.url}{API}/catalog/datasets/{dataset_id}", timeout=30).json()["fields"]
    meta, _ = current(harvest[0], f"ods-{dataset_id}")
    loader_types = {c["name"]: c["type"] for c in meta["columns"]}
    announced = {f["name"]: f["type"] for f in fields if f["type"] != "geo_point_2d"}
    assert announced == {name: ODS_TYPES[kind] for name, kind in loader_types.items()}
    points = [f for f in fields if f["type"] == "geo_point_2d"]
    assert bool(points) == (meta["geo"]["kind"] == "point")
    if points:
        assert {meta["geo"]["lon"], meta["geo"]["lat"]} <= set(loader_types)


def _metadata(spec: DatasetSpec) -> dict[str, Any]:
    return {"title": spec.title, "description": spec.description.strip(), "publisher": spec.publisher,
            "license": spec.license, "themes": spec.themes, "keywords": spec.keywords, "frequency": spec.frequency,
            "spatial_granularity": spec.spatial_granularity, "modified": spec.modified,
            "attribution": spec.attribution,
            "columns": {name: (doc.label, doc.description) for name, doc in spec.columns.items()}}


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_same_metadata(harvest: tuple[Path, Path, str], live_server: LiveServer, dataset_id: str) -> None:
    source = get_spec(dataset_id, ROOT / "catalogue" / "datasets")
    harvested = get_spec(f"ods-{dataset_id}", harvest[1])
    assert source is not None and harvested is not None
    assert _metadata(harvested) == _metadata(source)
    assert "\n" in harvested.description  # Markdown paragraphs kept, not folded into one line
    assert harvested.source.kind == "ods" and harvested.source.options["dataset_id"] == dataset_id
    # The provenance link the harvester writes is the source's old-style ODS address, which the source redirects to
    # its own dataset page (api/compat.py).
    answer = requests.get(str(harvested.source.page), allow_redirects=False, timeout=30)
    assert answer.status_code == 301
    assert answer.headers["location"] == f"{live_server.url}/jeu-de-donnees?id={dataset_id}"


def test_refresh_of_an_unchanged_source_downloads_nothing(harvest: tuple[Path, Path, str]) -> None:
    data_dir, catalogue_dir, _ = harvest
    versions = {ds: current(data_dir, f"ods-{ds}")[0]["version"] for ds in DATASETS}
    output = loaders_command(data_dir, catalogue_dir, "refresh")
    assert all(f"ods-{ds} [ods] : inchangé" in output for ds in DATASETS), output
    assert {ds: current(data_dir, f"ods-{ds}")[0]["version"] for ds in DATASETS} == versions


def test_a_point_of_its_own_becomes_longitude_and_latitude(tmp_path: Path) -> None:
    """A geo_point_2d that repeats no column (an ODS dataset located by its point only) is split into the two
    columns the loader maps; one that repeats columns is dropped (the round trips above)."""
    import duckdb

    from loaders.sources.ods_points import split_points

    path = tmp_path / "export.parquet"
    duckdb.sql(f"COPY (SELECT * FROM (VALUES ('a', {{'lon': 0.7::DOUBLE, 'lat': 45.1::DOUBLE}}), ('b', NULL)) t(nom, geo_point_2d)) "
               f"TO '{path}' (FORMAT parquet)")
    assert split_points(path) == ["« geo_point_2d » devient les colonnes longitude et latitude"]
    assert duckdb.sql(f"SELECT * FROM '{path}' ORDER BY nom").fetchall() == [("a", 0.7, 45.1), ("b", None, None)]
    assert [d[0] for d in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()] == ["nom", "longitude", "latitude"]
