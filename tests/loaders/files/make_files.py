"""Generate the quirk files of the loader tests (run once: `python tests/loaders/files/make_files.py`)."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

HERE = Path(__file__).resolve().parent
NBSP, NNBSP = "\u00a0", "\u202f"


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def make_text_files() -> None:
    text("cp1252_euro_oe.csv", "Libellé;Montant (€);Commentaire\nCœur de ville;12,50;prix en €\n"
         "Œuvre d’art;1250,00;« guillemets »\nÉglise;3,75;—\n", "cp1252")
    text("latin1_semicolon_decimal_comma.csv", "Commune;Densité;Surface km²\nPérigueux;1 234,5;9,82\n"
         "Bergerac;45,25;56,0\nSarlat-la-Canéda;213,75;47,1\n", "latin-1")
    text("utf8_bom.csv", "\ufeffcode_insee,nom,population\n24322,Périgueux,29896\n24037,Bergerac,26852\n")
    text("title_lines_above_header.csv", "Populations légales 2021\nSource : INSEE, recensement\n;;\n"
         "Code commune;Commune;Population\n24322;Périgueux;29896\n24037;Bergerac;26852\n24520;Sarlat;8786\n")
    text("thousands_nbsp.csv", f"commune;population;budget\nA;1{NBSP}234;12{NBSP}345{NBSP}678,50\nB;999;1{NBSP}000,25\n"
         f"C;45{NBSP}000;0,5\n")
    text("thousands_narrow_nbsp.csv", f"commune;population;budget\nA;1{NNBSP}234;12{NNBSP}345,5\nB;987;3,25\n"
         f"C;123{NNBSP}456;1{NNBSP}000{NNBSP}000,75\n")
    text("thousands_dot.csv", "commune;population;budget\nA;1.234;1.234.567,89\nB;12.345;12,5\nC;999;1.000,0\n")
    text("dates_ddmmyyyy.csv", "evenement;date;horodatage\nouverture;01/02/2021;01/02/2021 08:30\n"
         "fermeture;31/12/2021;31/12/2021 18:05\nreprise;15/03/2022;15/03/2022 09:00\n")
    text("trailing_empty_columns.csv", "a;b;c;;\n1;x;2,5;;\n2;y;3,5;;\n3;z;4,5;;\n")
    text("quoted_newlines.csv", 'id,texte,valeur\n1,"ligne un\nligne deux",10\n2,"avec ""guillemets"", virgule",20\n'
         '3,"trois\nlignes\nici",30\n')
    text("pipe_delimited.txt", "code|libelle|taux\n01|Ain|1.5\n2A|Corse-du-Sud|2.25\n24|Dordogne|3\n")
    text("tab.tsv", "annee\tcommune\tvaleur\n2020\tPérigueux\t1,5\n2021\tBergerac\t2,5\n2022\tSarlat\t-3,25\n")
    text("codes_leading_zeros_2A_2B.csv", "code_commune;identifiant;siren;uai;cp;valeur\n"
         "01001;024;012345678;0240004Z;01400;1\n2A004;125;213000000;0240005A;20000;2\n"
         "2B033;7;200000172;0240006B;20200;3\n24322;01234;212403221;0241234C;24000;4\n")
    text("ragged_long_row.csv", "a;b;c\n1;2;3\n4;5;6\n7;8;9;10\n11;12;13\n")
    text("ragged_short_row.csv", "a;b;c\n1;2;3\n4;5\n7;8;9\n10\n")
    # UTF-8 file with one line saved by a cp1252 tool: repaired and reported
    (HERE / "undecodable_bytes.csv").write_bytes(
        "nom;ville\nÉlodie;Périgueux\n".encode() + "Hélène;Bergerac\n".encode("cp1252") + "Zoé;Sarlat\n".encode())
    # cp1252 file with a byte cp1252 does not define (0x81): the load fails naming the line
    (HERE / "undecodable_bytes_cp1252.csv").write_bytes(
        b"nom;prix\n" + "Cœur;5 €\n".encode("cp1252") + b"Bad\x81;1\n" + "Fin;2\n".encode("cp1252"))
    # the sample (first rows) says integer; values far below say otherwise: whole-column typing must see them
    rows = "".join(f"{i};{i * 3}\n" for i in range(1, 9001))
    text("late_leading_zero.csv", "id;code\n" + rows + "9001;0042\n")
    text("late_text_value.csv", "id;mesure\n" + rows + "9001;non mesuré\n")
    text("late_decimal_value.csv", "id;mesure\n" + rows + "9001;2,5\n")


def make_json_files() -> None:
    records = [{"code": "24322", "nom": "Périgueux", "population": 29896, "ratio": 1.5, "actif": True},
               {"code": "24037", "nom": "Bergerac", "population": 26852, "ratio": 0.25, "actif": False},
               {"code": "2A004", "nom": "Ajaccio", "population": 71361, "ratio": None, "actif": True}]
    (HERE / "json_list.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    nested = {"meta": {"source": "test", "count": 3}, "result": {"total": 3, "records": records}}
    (HERE / "json_nested.json").write_text(json.dumps(nested, ensure_ascii=False), encoding="utf-8")


def make_spreadsheets() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Données"
    ws.append(["Effectifs des collèges de la Dordogne"])
    ws.append(["Source : rectorat, rentrée 2023"])
    ws.append([])
    ws.append(["UAI", "Nom", "Effectif", "IPS", "Date d'ouverture"])
    ws.append(["0240004Z", "Collège A", 302, 98.5, date(1970, 9, 1)])
    ws.append(["0240005A", "Collège B", 455, 101.25, date(1985, 9, 2)])
    ws.append(["0241234C", "Collège C", 120, 87.0, date(2001, 9, 3)])
    notes = wb.create_sheet("Notes")
    notes.append(["Remarque"])
    notes.append(["Données provisoires"])
    wb.save(HERE / "xlsx_title_block_two_sheets.xlsx")
    _write_ods(HERE / "ods_simple.ods", [["commune", "population", "densite"], ["Périgueux", 29896, 1234.5],
                                          ["Bergerac", 26852, 45.25]])


def _write_ods(path: Path, rows: list[list[object]]) -> None:
    """A minimal OpenDocument spreadsheet written by hand (odfpy is not a dependency)."""
    cells = []
    for row in rows:
        out = []
        for v in row:
            if isinstance(v, str):
                out.append(f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>')
            else:
                out.append(f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p>'
                           "</table:table-cell>")
        cells.append("<table:table-row>" + "".join(out) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Feuille1">'
        + "".join(cells) + "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def make_geo_files() -> None:
    import geopandas as gpd
    from shapely.geometry import Point, Polygon

    points = gpd.GeoDataFrame({"uai": ["0240004Z", "0240005A", "0241234C"], "nom": ["A", "B", "C"],
                               "effectif": [302, 455, 120]},
                              geometry=[Point(0.7218, 45.1845), Point(0.4823, 44.8531), Point(1.2167, 44.8897)],
                              crs="EPSG:4326")
    points.to_file(HERE / "geojson_points.geojson", driver="GeoJSON")
    square = [(0.5, 45.0), (0.6, 45.0), (0.6, 45.1), (0.5, 45.1)]
    polys = gpd.GeoDataFrame({"code_insee": ["24001", "24002"], "surface": [12.5, 8.25]},
                             geometry=[Polygon(square), Polygon([(x + 0.2, y) for x, y in square])], crs="EPSG:4326")
    polys.to_file(HERE / "geojson_polygons.geojson", driver="GeoJSON")
    lambert = polys.to_crs(2154)  # Lambert-93: the loader must reproject to WGS84
    with TemporaryDirectory() as tmp:
        lambert.to_file(Path(tmp) / "communes.shp", driver="ESRI Shapefile")
        with zipfile.ZipFile(HERE / "shapefile_lambert93.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(Path(tmp).iterdir()):
                zf.write(f, f.name)
    gpkg = HERE / "geopackage_points.gpkg"
    gpkg.unlink(missing_ok=True)
    points.to_crs(2154).to_file(gpkg, driver="GPKG", layer="colleges")


def make_parquet() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"Code INSEE": ["24001", "24002"], "Population": pa.array([639, 1765], pa.int64()),
                      "Densité": [12.5, 30.25], "Mise à jour": [date(2024, 1, 1), date(2025, 1, 1)]})
    pq.write_table(table, HERE / "parquet_simple.parquet")


if __name__ == "__main__":
    make_text_files()
    make_json_files()
    make_spreadsheets()
    make_geo_files()
    make_parquet()
    print("fichiers générés dans", HERE)
