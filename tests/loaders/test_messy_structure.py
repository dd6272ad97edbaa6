"""The structure around a table (issue 14), in files written by the test: a big CSV closed by a total row and a
footnote (found in the file's tail, beyond the sniffed sample), an .xls that is an HTML table, lines in another
encoding repaired and listed, and the inspect JSON keys the publisher reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loaders import LoadError
from loaders.pipeline import inspect_file
from tests.loaders.loader_helpers import load_file, types_of


def test_total_and_footnote_after_the_sample_are_skipped_with_their_lines(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "grand.csv"
    body = "".join(f"{24000 + i % 1000:05d};Commune {i};{i * 7}\n" for i in range(20_000))  # ~0.5 MB
    path.write_text("code_insee;nom;population\n" + body + "TOTAL;;12345\n"
                    "Source : Insee, recensement de la population, exploitation principale.;;\n", encoding="utf-8")
    info = inspect_file(path)
    assert info["rows"] == 20_000
    assert info["skipped_rows"] == [{"line": 20_002, "reason": "total ou sous-total"},
                                    {"line": 20_003, "reason": "note ou source"}]
    assert [c["type"] for c in info["columns"]] == ["text", "text", "integer"]


def test_a_tidy_table_keeps_its_total_categories(data_dir: Path, tmp_path: Path) -> None:
    """« Ensemble » or « France métropolitaine » as a category value repeated on rows is data, not a total."""
    path = tmp_path / "tidy.csv"
    rows = "".join(f"{y};France métropolitaine;{s};{y - 1900}\n" for y in range(2000, 2010)
                   for s in ("Hommes", "Femmes", "Ensemble"))
    path.write_text("annee;zone;sexe;valeur\n" + rows, encoding="utf-8")
    assert inspect_file(path)["rows"] == 30


def test_xls_that_is_an_html_table(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<html><body><p>Export du 01/02/2024</p><table><tr><th>Code INSEE</th><th>Commune</th>"
                    "<th>Population</th></tr><tr><td>24322</td><td>Périgueux</td><td>29896</td></tr>"
                    "<tr><td>24037</td><td>Bergerac</td><td>26852</td></tr></table></body></html>", encoding="utf-8")
    meta, rows = load_file(path)
    assert meta["source"]["format"] == "html"
    assert types_of(meta) == {"code_insee": "text", "commune": "text", "population": "integer"}
    assert rows[0] == {"code_insee": "24322", "commune": "Périgueux", "population": 29896}
    assert any("en réalité" in w and "HTML" in w for w in meta["warnings"])


def test_mixed_encoding_lines_are_repaired_and_listed(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "melange.csv"
    path.write_bytes("nom;valeur\nÉlodie;1\nHélène;2\n".encode() + "Zoé;3\n".encode("cp1252") + "Noël;4\n".encode())
    info = inspect_file(path)
    assert info["rows"] == 4
    assert info["repaired_lines"] == [{"line": 4, "reason": "octets non UTF-8, décodés en windows-1252"}]


def test_geojson_in_lambert93_without_crs_is_detected_and_reprojected(data_dir: Path, tmp_path: Path) -> None:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(0.7218, 45.1846)  # Périgueux
    path = tmp_path / "mairies.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Mairie de Périgueux", "insee": 24322},
         "geometry": {"type": "Point", "coordinates": [x, y]}}]}), encoding="utf-8")
    info = inspect_file(path)
    assert info["projection"] == "EPSG:2154"
    assert any("Lambert-93" in w for w in info["warnings"])
    meta, rows = load_file(path)
    assert abs(rows[0]["longitude"] - 0.7218) < 1e-6 and abs(rows[0]["latitude"] - 45.1846) < 1e-6
    assert rows[0]["insee"] == "24322"


def test_long_row_with_blank_extra_fields_is_read_and_listed(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a;b;c\n1;2;3\n4;5;6; ; \n7;8;9\n", encoding="utf-8")
    info = inspect_file(path)
    assert info["rows"] == 3 and [c["name"] for c in info["columns"]] == ["a", "b", "c"]
    assert info["repaired_lines"] == [{"line": 3, "reason": "2 champ(s) vide(s) en trop"}]


def test_json_errors_name_line_and_column_and_a_windows_json_is_read(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "coupe.json"
    bad.write_text('[{"a": 1, "b": "x"},\n {"a": 2 "b": "y"}]', encoding="utf-8")
    with pytest.raises(LoadError) as err:
        inspect_file(bad)
    assert err.value.line == 2 and "ligne 2, colonne 10" in str(err.value)
    windows = tmp_path / "windows.json"
    windows.write_bytes('[{"commune": "Périgueux", "note": "cœur de ville"}]'.encode("cp1252"))
    info = inspect_file(windows)
    assert info["encoding"] == "cp1252" and info["rows"] == 1
    assert any("non UTF-8" in w for w in info["warnings"])


def test_csv_second_header_row_and_titles_are_skipped_and_listed(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "insee.csv"
    path.write_text("Population légale 2021\nSource : Insee\n\nCode géographique;Libellé;Population 2021\n"
                    "CODGEO;LIBGEO;P21_POP\n24322;Périgueux;29896\n24037;Bergerac;26852\n", encoding="utf-8")
    meta, rows = load_file(path)
    assert types_of(meta) == {"code_geographique": "text", "libelle": "text", "population_2021": "integer"}
    assert rows == [{"code_geographique": "24322", "libelle": "Périgueux", "population_2021": 29896},
                    {"code_geographique": "24037", "libelle": "Bergerac", "population_2021": 26852}]
    assert meta["reading"]["skipped_rows"] == [
        {"line": 1, "reason": "titre"}, {"line": 2, "reason": "titre"}, {"line": 3, "reason": "ligne vide"},
        {"line": 5, "reason": "seconde ligne d'en-tête"}]
