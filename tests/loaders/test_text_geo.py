"""Coordinates and shapes written as text in a table (issue 14): a « lat, lon » column, as Opendatasoft's CSV exports
write « Geo Point », and GeoJSON inside a field (« Geo Shape »), read whole, become the dataset's map columns; the
order of the two numbers comes from their ranges; anything else stays text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalogue.schema import Schema
from tests.loaders.loader_helpers import load_file, types_of
from tests.loaders.messy_expectations import FIXTURES

SQUARE = {"type": "Polygon", "coordinates": [[[0.70, 45.10], [0.80, 45.10], [0.80, 45.20], [0.70, 45.20],
                                              [0.70, 45.10]]]}


def test_an_opendatasoft_export_gets_its_points_and_shapes(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "export-ods.csv"
    shape = json.dumps(SQUARE).replace('"', '""')
    path.write_text("Nom;Geo Point;Geo Shape\n"
                    f'Périgueux;45.15, 0.75;"{shape}"\n'
                    'Bergerac;44.85,0.48;"{""type"": ""Point"", ""coordinates"": [0.48, 44.85]}"\n'
                    "Sans lieu;;\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"nom": "text", "geo_point": "text", "geo_shape": "geometry", "latitude": "number",
                              "longitude": "number"}
    assert [(r["latitude"], r["longitude"]) for r in rows][:2] == [(45.15, 0.75), (44.85, 0.48)]
    assert rows[2]["latitude"] is None and rows[2]["geo_shape"] is None
    schema = Schema.from_meta("essai", meta)
    assert schema.has_geometry and schema.lon_lat == ("longitude", "latitude") and schema.map_modes
    warned = " ".join(meta["warnings"])
    assert "« geo_point » : points" in warned and "latitude, longitude" in warned and "« geo_shape »" in warned


def test_longitude_first_is_told_from_the_ranges(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("lieu,coordonnees\nSarlat,\"1.2167, 44.8890\"\nNontron,\"0.6620, 45.5290\"\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert [(r["latitude"], r["longitude"]) for r in rows] == [(44.889, 1.2167), (45.529, 0.662)]
    assert "longitude, latitude" in " ".join(meta["warnings"])


def test_shapes_alone_give_their_centres(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "zones.csv"
    shape = json.dumps(SQUARE).replace('"', '""')  # a quoted CSV field: inner quotes doubled
    path.write_text(f'zone;forme\nA;"{shape}"\n', encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta)["forme"] == "geometry"
    assert (round(rows[0]["centroid_lon"], 6), round(rows[0]["centroid_lat"], 6)) == (0.75, 45.15)
    assert meta["geo"]["kind"] == "polygon"


@pytest.mark.parametrize("lines", [
    ["45.15, 0.75", "voir la mairie"],  # one value is not a point: the column is a label
    ['"{""type"": ""Polygon"", ""coordinates"": [[[550000, 6450000], [551000, 6450000], [550000, 6451000], '
     '[550000, 6450000]]]}"'],  # metres of an undeclared projection: not guessed inside a text field
])
def test_look_alikes_stay_text(data_dir: Path, tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "divers.csv"
    path.write_text("nom;valeur\n" + "".join(f"L{i};{v}\n" for i, v in enumerate(lines)), encoding="utf-8")
    meta, _rows = load_file(path)
    assert types_of(meta) == {"nom": "text", "valeur": "text"} and meta["geo"]["kind"] == "none"


def test_real_files_get_map_coordinates(data_dir: Path) -> None:
    """liste-des-gares.csv: `C_GEO` « 46.0393696173,4.06306753627 » (latitude first) on line 2, beside `Geo Shape`
    (a GeoJSON point); the Côtes d'Armor fibre file: a GeoJSON point as text in `geometry`."""
    meta, rows = load_file(FIXTURES / "liste-des-gares.csv", "gares")
    assert (rows[0]["latitude"], rows[0]["longitude"]) == (46.0393696173, 4.06306753627)
    assert meta["geo"] == {"kind": "point", "lon": "longitude", "lat": "latitude", "geometry": "geo_shape"}
    fibre = next(FIXTURES.glob("Fibre optique_*.csv"))
    meta, rows = load_file(fibre, "fibre")
    assert (rows[0]["longitude"], rows[0]["latitude"]) == (-3.298212707607814, 48.62452996083914)
    assert types_of(meta)["geometry"] == "geometry" and meta["geo"]["kind"] == "point"


def test_number_coordinates_already_there_win(data_dir: Path, tmp_path: Path) -> None:
    """A file with latitude/longitude numbers keeps them as its map columns; its « lat, lon » text stays text."""
    path = tmp_path / "musees.csv"
    path.write_text('nom;latitude;longitude;position\nA;45.18;0.72;"45.18, 0.72"\nB;44.85;0.48;"44.85, 0.48"\n',
                    encoding="utf-8")
    meta, _rows = load_file(path)
    assert types_of(meta) == {"nom": "text", "latitude": "number", "longitude": "number", "position": "text"}
    assert meta["geo"]["kind"] == "point" and meta["geo"]["lat"] == "latitude"
