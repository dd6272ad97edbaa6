"""French open-data quirks, each in a crafted file of tests/loaders/files/, detected without any option."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from loaders import LoadError
from loaders.detect import inspect_file, normalise_names
from tests.loaders.loader_helpers import FILES, load_file, types_of


def test_cp1252_is_transcoded(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "cp1252_euro_oe.csv")
    assert meta["source"]["encoding"] == "windows-1252"
    assert [r["libelle"] for r in rows] == ["Cœur de ville", "Œuvre d’art", "Église"]
    assert rows[0]["commentaire"] == "prix en €"
    assert [r["montant"] for r in rows] == [12.5, 1250.0, 3.75]
    assert meta["columns"][1] == {"name": "montant", "type": "number", "source_name": "Montant (€)"}


def test_latin1_semicolon_decimal_comma(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "latin1_semicolon_decimal_comma.csv")
    src = meta["source"]
    assert (src["encoding"], src["delimiter"], src["decimal"], src["header_row"]) == ("latin-1", ";", ",", 0)
    assert rows[0] == {"commune": "Périgueux", "densite": 1234.5, "surface_km2": 9.82}
    assert types_of(meta) == {"commune": "text", "densite": "number", "surface_km2": "number"}


def test_utf8_bom(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "utf8_bom.csv")
    assert meta["source"]["encoding"] == "utf-8-sig"
    assert meta["columns"][0]["name"] == "code_insee"
    assert rows[0]["nom"] == "Périgueux" and rows[0]["population"] == 29896


def test_title_lines_above_header(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "title_lines_above_header.csv")
    assert meta["source"]["header_row"] == 3
    assert [c["source_name"] for c in meta["columns"]] == ["Code commune", "Commune", "Population"]
    assert len(rows) == 3 and rows[2] == {"code_commune": "24520", "commune": "Sarlat", "population": 8786}
    assert any("titre" in w for w in meta["warnings"])


@pytest.mark.parametrize("name", ["thousands_nbsp.csv", "thousands_narrow_nbsp.csv"])
def test_thousands_spaces(data_dir: Path, name: str) -> None:
    meta, rows = load_file(FILES / name)
    assert types_of(meta) == {"commune": "text", "population": "integer", "budget": "number"}
    assert rows[0]["population"] == 1234
    assert rows[0]["budget"] in (12345678.5, 12345.5)
    assert rows[2]["population"] in (45000, 123456)


def test_thousands_dot(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "thousands_dot.csv")
    assert meta["source"]["decimal"] == ","
    assert [r["population"] for r in rows] == [1234, 12345, 999]
    assert [r["budget"] for r in rows] == [1234567.89, 12.5, 1000.0]


def test_dates_ddmmyyyy(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "dates_ddmmyyyy.csv")
    assert types_of(meta)["date"] == "date" and types_of(meta)["horodatage"] == "datetime"
    assert rows[1]["date"] == date(2021, 12, 31)
    assert rows[1]["horodatage"] == datetime(2021, 12, 31, 18, 5)


def test_trailing_empty_columns_dropped_with_warning(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "trailing_empty_columns.csv")
    assert [c["name"] for c in meta["columns"]] == ["a", "b", "c"]
    assert rows[0] == {"a": 1, "b": "x", "c": 2.5}
    assert any("vide" in w for w in meta["warnings"])


def test_quoted_newlines(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "quoted_newlines.csv")
    assert meta["rows"] == 3
    assert rows[0]["texte"] == "ligne un\nligne deux"
    assert rows[1]["texte"] == 'avec "guillemets", virgule'
    assert [r["valeur"] for r in rows] == [10, 20, 30]


def test_pipe_and_tab(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "pipe_delimited.txt")
    assert meta["source"]["delimiter"] == "|"
    assert [r["code"] for r in rows] == ["01", "2A", "24"]
    meta, rows = load_file(FILES / "tab.tsv", "essai-tab")
    assert meta["source"]["delimiter"] == "\t" and meta["source"]["decimal"] == ","
    assert [r["valeur"] for r in rows] == [1.5, 2.5, -3.25]


def test_codes_with_leading_zeros_stay_text(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "codes_leading_zeros_2A_2B.csv")
    types = types_of(meta)
    assert types == {"code_commune": "text", "identifiant": "text", "siren": "text", "uai": "text", "cp": "text",
                     "valeur": "integer"}
    assert [r["code_commune"] for r in rows] == ["01001", "2A004", "2B033", "24322"]
    assert rows[0]["identifiant"] == "024" and rows[3]["identifiant"] == "01234"
    assert rows[0]["siren"] == "012345678" and rows[0]["uai"] == "0240004Z" and rows[0]["cp"] == "01400"


def test_whole_column_typing_beyond_the_sample(data_dir: Path) -> None:
    """The type guess comes from the first rows; the COPY checks every value and falls back when one breaks it."""
    meta, rows = load_file(FILES / "late_leading_zero.csv")
    assert types_of(meta)["code"] == "text" and rows[-1]["code"] == "0042" and rows[0]["code"] == "3"
    meta, rows = load_file(FILES / "late_text_value.csv", "essai-texte")
    assert types_of(meta)["mesure"] == "text" and rows[-1]["mesure"] == "non mesuré" and meta["rows"] == 9001
    meta, rows = load_file(FILES / "late_decimal_value.csv", "essai-decimal")
    assert types_of(meta)["mesure"] == "number" and rows[-1]["mesure"] == 2.5 and rows[0]["mesure"] == 3.0


def test_ragged_long_row_fails_naming_the_line(data_dir: Path) -> None:
    with pytest.raises(LoadError) as err:
        inspect_file(FILES / "ragged_long_row.csv")
    assert err.value.line == 4
    assert "ligne 4" in str(err.value) and "4 champs au lieu de 3" in str(err.value)


def test_ragged_short_row_kept_padded_and_reported(data_dir: Path) -> None:
    """Documented choice: a short row is kept, padded with nulls, and each one is named in the warnings."""
    meta, rows = load_file(FILES / "ragged_short_row.csv")
    assert meta["rows"] == 4
    assert rows[1] == {"a": 4, "b": 5, "c": None} and rows[3] == {"a": 10, "b": None, "c": None}
    assert "ligne 3 : 2 champ(s) au lieu de 3, complétée par des valeurs vides" in meta["warnings"]
    assert any(w.startswith("ligne 5 :") for w in meta["warnings"])


def test_undecodable_line_is_repaired_and_reported(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "undecodable_bytes.csv")
    assert [r["nom"] for r in rows] == ["Élodie", "Hélène", "Zoé"]
    assert meta["warnings"] == ["ligne 3 : octets non UTF-8, décodés en windows-1252"]


def test_undecodable_byte_fails_naming_the_line(data_dir: Path) -> None:
    with pytest.raises(LoadError) as err:
        inspect_file(FILES / "undecodable_bytes_cp1252.csv")
    assert err.value.line == 3 and "ligne 3" in str(err.value)


def test_xlsx_title_block_and_second_sheet(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "xlsx_title_block_two_sheets.xlsx")
    assert meta["source"]["format"] == "xlsx" and meta["source"]["header_row"] == 3
    assert types_of(meta) == {"uai": "text", "nom": "text", "effectif": "integer", "ips": "number",
                              "date_d_ouverture": "date"}
    assert rows[0] == {"uai": "0240004Z", "nom": "Collège A", "effectif": 302, "ips": 98.5,
                       "date_d_ouverture": date(1970, 9, 1)}
    assert any("2 feuilles" in w for w in meta["warnings"])
    meta, rows = load_file(FILES / "xlsx_title_block_two_sheets.xlsx", "essai-notes", sheet="Notes")
    assert rows == [{"remarque": "Données provisoires"}]


def test_ods(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "ods_simple.ods")
    assert meta["source"]["format"] == "ods"
    assert rows == [{"commune": "Périgueux", "population": 29896, "densite": 1234.5},
                    {"commune": "Bergerac", "population": 26852, "densite": 45.25}]


@pytest.mark.parametrize("name", ["json_list.json", "json_nested.json"])
def test_json_records(data_dir: Path, name: str) -> None:
    meta, rows = load_file(FILES / name)
    assert types_of(meta) == {"code": "text", "nom": "text", "population": "integer", "ratio": "number",
                              "actif": "boolean"}
    assert rows[2] == {"code": "2A004", "nom": "Ajaccio", "population": 71361, "ratio": None, "actif": True}


def test_json_records_path_option(data_dir: Path) -> None:
    info = inspect_file(FILES / "json_nested.json", {"records_path": "result.records"})
    assert info["rows"] == 3
    with pytest.raises(LoadError, match="absent"):
        inspect_file(FILES / "json_nested.json", {"records_path": "result.nope"})


def test_geojson_points(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "geojson_points.geojson")
    assert meta["geo"] == {"kind": "point", "lon": "longitude", "lat": "latitude", "geometry": "geometry"}
    assert types_of(meta)["geometry"] == "geometry" and types_of(meta)["uai"] == "text"
    assert json.loads(rows[0]["geometry"]) == {"type": "Point", "coordinates": [0.7218, 45.1845]}
    assert rows[0]["longitude"] == pytest.approx(0.7218) and rows[0]["latitude"] == pytest.approx(45.1845)


@pytest.mark.parametrize("name", ["geojson_polygons.geojson", "shapefile_lambert93.zip"])
def test_polygons_reprojected_to_wgs84(data_dir: Path, name: str) -> None:
    meta, rows = load_file(FILES / name)
    assert meta["geo"]["kind"] == "polygon"
    assert types_of(meta)["code_insee"] == "text"
    assert rows[0]["centroid_lon"] == pytest.approx(0.55, abs=1e-4)
    assert rows[0]["centroid_lat"] == pytest.approx(45.05, abs=1e-4)
    assert json.loads(rows[0]["geometry"])["type"] == "Polygon"


def test_geopackage_reprojected(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "geopackage_points.gpkg")
    assert meta["source"]["format"] == "gpkg" and meta["geo"]["kind"] == "point"
    assert rows[1]["longitude"] == pytest.approx(0.4823, abs=1e-6)
    assert rows[1]["latitude"] == pytest.approx(44.8531, abs=1e-6)


def test_parquet_keeps_types_and_renames(data_dir: Path) -> None:
    meta, rows = load_file(FILES / "parquet_simple.parquet")
    assert types_of(meta) == {"code_insee": "text", "population": "integer", "densite": "number",
                              "mise_a_jour": "date"}
    assert rows[0] == {"code_insee": "24001", "population": 639, "densite": 12.5, "mise_a_jour": date(2024, 1, 1)}


def test_profile_in_meta(data_dir: Path) -> None:
    meta, _ = load_file(FILES / "codes_leading_zeros_2A_2B.csv")
    prof = meta["profile"]["valeur"]
    assert prof == {"nulls": 0, "distinct": 4, "min": 1, "max": 4,
                    "top": [{"value": "1", "count": 1}, {"value": "2", "count": 1}, {"value": "3", "count": 1},
                            {"value": "4", "count": 1}]}
    assert meta["profile"]["code_commune"]["min"] == "01001"


def test_names_are_snake_case_ascii_and_unique() -> None:
    assert normalise_names(["Code INSEE de la commune", "Nom", "nom", "", "2016", "Cœur (€)", "Taux d'accès 6ème"]) == [
        "code_insee_de_la_commune", "nom", "nom_2", "colonne_4", "c_2016", "coeur", "taux_d_acces_6eme"]
