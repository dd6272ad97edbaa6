"""Nested values (objects, lists, maps) in JSON, GeoJSON properties and Parquet: flattened to dotted columns or kept
as JSON text, typed, never a crash (issue 14: « Unsupported cast from struct<lon, lat> to utf8 »)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from loaders.pipeline import inspect_file
from tests.loaders.loader_helpers import load_file, types_of

MESSY = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "messy"


def test_parquet_structs_are_flattened_lists_and_maps_kept_as_json(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "nested.parquet"
    duckdb.sql(f"""COPY (SELECT 1 AS id, {{'lon': 0.72::DOUBLE, 'lat': 45.18::DOUBLE}} AS geo_point_2d, [3, 1] AS annees,
                   MAP {{'a': 1}} AS m, {{'x': {{'y': 'z'}}}} AS n) TO '{path}'""")
    meta, rows = load_file(path)
    assert types_of(meta) == {"id": "integer", "geo_point_2d_lon": "number", "geo_point_2d_lat": "number",
                              "annees": "text", "m": "text", "n_x_y": "text"}
    assert rows == [{"id": 1, "geo_point_2d_lon": 0.72, "geo_point_2d_lat": 45.18, "annees": "[3,1]",
                     "m": '{"a":1}', "n_x_y": "z"}]
    assert meta["geo"] == {"kind": "point", "lon": "geo_point_2d_lon", "lat": "geo_point_2d_lat", "geometry": None}
    assert any("geo_point_2d" in w and "mise à plat" in w for w in meta["warnings"])


def test_geojson_list_properties_become_json_text(data_dir: Path) -> None:
    # geom_x_y is [lat, lon] in a property (Paris arrondissements): Arrow cannot cast list<double> to text
    meta, rows = load_file(MESSY / "arrondissements.geojson")
    assert len(rows) == 20 and types_of(meta)["geom_x_y"] == "text"
    first = next(r for r in rows if r["l_ar"] == "14ème Ardt")
    lat, lon = json.loads(first["geom_x_y"])
    assert 48.8 < lat < 48.9 and 2.3 < lon < 2.4


def test_ods_flat_export_nested_objects_and_lists(data_dir: Path) -> None:
    info = inspect_file(MESSY / "fr-esr-principaux-etablissements-enseignement-superieur.json")
    types = {c["name"]: c["type"] for c in info["columns"]}
    assert info["rows"] == 250
    assert types["coordonnees_lon"] == types["coordonnees_lat"] == "number"
    assert "coordonnees" not in types  # null in one record only: no all-empty column beside the flattened pair
    assert types["type_d_etablissement"] == "text" and types["uai"] == "text" and types["siret"] == "text"
    assert info["geo"]["kind"] == "point" and info["geo"]["lon"] == "coordonnees_lon"


def test_ods_v1_records_fields_lifted_and_geometry_kept(data_dir: Path) -> None:
    meta, rows = load_file(MESSY / "liste-et-localisation-des-musees-de-france.json")
    types = types_of(meta)
    assert len(rows) == 1216
    assert types["code_postal"] == "text" and types["geometry"] == "geometry" and types["latitude"] == "number"
    assert types["record_timestamp"] == "datetime" and "fields" not in types
    brou = next(r for r in rows if r["nom_officiel_du_musee"] == "musée de Brou")
    assert brou["code_postal"] == "01000" and brou["lieu"] == "Monastère royal de Brou"
    assert (brou["geometry_lon"], brou["geometry_lat"]) == (5.236521, 46.196549)
    assert json.loads(brou["geolocalisation"]) == [46.196549, 5.236521]
    # keys missing from a record (instead of null) are empty values there
    assert sum(r["lieu"] is None for r in rows) == 1216 - 515
    assert meta["geo"]["kind"] == "point"
