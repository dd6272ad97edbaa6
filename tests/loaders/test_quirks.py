"""French open-data quirks, each in a crafted file of tests/loaders/files/, detected without any option."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from catalogue.manifest import parse_spec
from loaders import LoadError
from loaders.detect.names import normalise_names
from loaders.pipeline import inspect_file, load_dataset
from tests.loaders.loader_helpers import FILES, ROOT, load_file, types_of


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


def test_na_markers_in_numeric_column_become_empty_with_a_warning(data_dir: Path, tmp_path: Path) -> None:
    """ND/nd/-/ns/s... in a column whose other values are all numbers: empty values, counted in a warning."""
    src = tmp_path / "drees.csv"
    values = ["2938", "ND", "3038", "-", "12,5", "nd", "", "ns", "ND", "s", "7"]
    src.write_text("zone;annee;valeur;libelle\n" + "".join(
        f"Dordogne;{2000 + i};{v};ligne {i}\n" for i, v in enumerate(values)), encoding="utf-8")
    meta, rows = load_file(src)
    assert types_of(meta) == {"zone": "text", "annee": "integer", "valeur": "number", "libelle": "text"}
    assert [r["valeur"] for r in rows] == [2938, None, 3038, None, 12.5, None, None, None, None, None, 7]
    [warning] = [w for w in meta["warnings"] if "valeur" in w]
    assert "6 valeur(s) non numérique(s)" in warning
    assert "« ND » × 2" in warning and "« - » × 1" in warning and "« s » × 1" in warning
    assert meta["profile"]["valeur"]["nulls"] == 7  # the 6 markers and the really empty value
    # the user can keep the original text
    meta, rows = load_file(src, "essai-texte", types={"valeur": "text"})
    assert types_of(meta)["valeur"] == "text" and rows[1]["valeur"] == "ND"
    assert not any("valeur" in w for w in meta["warnings"])


def test_na_markers_beyond_the_sample_and_other_text(data_dir: Path, tmp_path: Path) -> None:
    """A marker after the sampled rows goes through the whole-file slow path; a real word keeps the column text."""
    src = tmp_path / "tard.csv"
    src.write_text("id;mesure;note\n" + "".join(f"{i};{i * 3};{i}\n" for i in range(1, 9001))
                   + "9001;NC;ND\n9002;5;abc\n", encoding="utf-8")
    meta, rows = load_file(src)
    assert types_of(meta) == {"id": "integer", "mesure": "integer", "note": "text"}
    assert rows[-2]["mesure"] is None and rows[-1]["mesure"] == 5 and rows[-2]["note"] == "ND"
    assert any("« mesure »" in w and "« NC » × 1" in w for w in meta["warnings"])
    # only markers: nothing numeric to protect, the column stays text
    src.write_text("a;b\n1;ND\n2;-\n", encoding="utf-8")
    meta, _ = load_file(src, "essai-que-des-marqueurs")
    assert types_of(meta)["b"] == "text" and meta["warnings"] == []


def test_real_drees_file_valeur_column(data_dir: Path) -> None:
    meta, rows = load_file(ROOT / "data" / "dordogne" / "social" / "aide_sociale_departementale_24_long.csv")
    assert types_of(meta)["valeur"] == "number" and types_of(meta)["valeur_num"] == "number"
    [warning] = [w for w in meta["warnings"] if "« valeur »" in w]
    assert "« ND » × 142" in warning and "« - » × 12" in warning and "« nd » × 2" in warning
    assert "158 valeur(s)" in warning
    assert all(r["valeur"] == r["valeur_num"] for r in rows)  # the publisher's own conversion agrees
    assert meta["rows"] == 3833


def test_late_leading_zero_in_a_non_code_column_stays_text(data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "zero.csv"
    src.write_text("numero;mesure\n" + "".join(f"{i};{i}\n" for i in range(1, 9001)) + "9001;0042\n",
                   encoding="utf-8")
    meta, rows = load_file(src)
    assert types_of(meta) == {"numero": "integer", "mesure": "text"} and rows[-1]["mesure"] == "0042"


def _big_ascii_head(n: int = 30000) -> bytes:
    # more than the 1 MiB encoding sample: the sniff only sees ASCII
    return ("commune;population;libelle\n" + "".join(f"C{i};{i};texte ascii numero {i}\n" for i in range(n))).encode()


def test_late_latin1_byte_after_an_ascii_head(data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "tardif.csv"
    src.write_bytes(_big_ascii_head() + "Périgueux;29896;préfecture\n".encode("latin-1"))
    assert src.stat().st_size > 1 << 20
    meta, rows = load_file(src)
    assert meta["source"]["encoding"] == "latin-1" and rows[-1]["commune"] == "Périgueux"
    assert meta["rows"] == 30001 and meta["source"]["sha256"]


def test_late_cp1252_byte_after_a_latin1_head(data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "euro.csv"
    head = _big_ascii_head().replace(b"texte ascii", "texte accentué".encode("latin-1"))
    src.write_bytes(head + "Sarlat;8786;prix en €\n".encode("cp1252"))
    meta, rows = load_file(src)
    assert meta["source"]["encoding"] == "windows-1252"
    assert rows[0]["libelle"] == "texte accentué numero 0" and rows[-1]["libelle"] == "prix en €"


def test_late_undecodable_line_after_a_utf8_head_with_a_short_row(data_dir: Path, tmp_path: Path) -> None:
    """The short row sends DuckDB to the ragged diagnosis before it meets the bad byte: both are still reported."""
    src = tmp_path / "mixte.csv"
    src.write_bytes(_big_ascii_head().replace(b"C5;5;texte ascii numero 5\n", b"C5;5\n")
                    + "Bergerac;26852;Hélène\n".encode() + "Sarlat;8786;Zoé\n".encode("cp1252"))
    meta, rows = load_file(src)
    assert rows[-1]["libelle"] == "Zoé" and rows[-2]["libelle"] == "Hélène" and meta["rows"] == 30002
    assert "ligne 30003 : octets non UTF-8, décodés en windows-1252" in meta["warnings"]
    assert "ligne 7 : 2 champ(s) au lieu de 3, complétée par des valeurs vides" in meta["warnings"]


def test_unknown_source_options_are_ignored(data_dir: Path) -> None:
    """Options of other source kinds (portal queries, ZIP member...) reach the readers and must not change them."""
    extra = {"dataset_id": "communes", "where": "dep = '24'", "refine": {"dep": "24"}, "select": "a, b",
             "resource_id": "0b1c", "slug": "mon-jeu", "zip_member": "data.csv"}
    src = FILES / "latin1_semicolon_decimal_comma.csv"
    plain, plain_rows = load_file(src)
    spec = parse_spec({"id": "essai-options", "title": "Essai", "publisher": "Tests", "license": {"id": "lov2"},
                       "source": {"path": str(src), **extra}})
    assert spec.source.options == extra
    meta = load_dataset(spec).meta
    assert meta is not None and meta["columns"] == plain["columns"] and meta["warnings"] == []
    assert meta["rows"] == plain["rows"] and meta["profile"] == plain["profile"]
    assert meta["source"]["options"] == extra
    for name in ("xlsx_title_block_two_sheets.xlsx", "json_nested.json", "geojson_points.geojson",
                 "parquet_simple.parquet"):
        assert inspect_file(FILES / name, extra)["rows"] == inspect_file(FILES / name)["rows"]


def test_profile_matches_direct_aggregates(data_dir: Path, tmp_path: Path) -> None:
    """Distinct counts come from the top-values GROUP BY: check them against COUNT(DISTINCT) on a real file."""
    import duckdb

    from warehouse import read_registry, resolve

    src = tmp_path / "p.csv"
    src.write_text("a;b;vide;d\n1;x;;01/02/2020\n1;y;;\n2;x;;03/04/2021\n;x;;03/04/2021\n", encoding="utf-8")
    for path, ds in ((ROOT / "data" / "dordogne" / "population" / "population_communes_24_long.csv", "essai-long"),
                     (src, "essai-petit")):
        meta, _ = load_file(path, ds)
        parquet = resolve(read_registry()["datasets"][ds]["parquet"])
        with duckdb.connect() as con:
            for col in meta["columns"]:
                q = '"' + col["name"] + '"'
                nulls, distinct = con.execute(
                    f"SELECT count(*) - count({q}), count(DISTINCT {q}) FROM '{parquet}'").fetchall()[0]
                prof = meta["profile"][col["name"]]
                assert (prof["nulls"], prof["distinct"]) == (nulls, distinct), col["name"]
                assert sum(t["count"] for t in prof["top"]) <= meta["rows"] - nulls
    assert meta["profile"]["vide"] == {"nulls": 4, "distinct": 0, "min": None, "max": None, "top": []}
    assert meta["profile"]["b"]["top"] == [{"value": "x", "count": 3}, {"value": "y", "count": 1}]
    assert meta["profile"]["d"]["min"] == "2020-02-01" and meta["profile"]["d"]["distinct"] == 2
