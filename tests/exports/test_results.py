"""CSV of results in memory (analysts' SQL, the catalogue): the dataset exports' writer, spreadsheet formulas defused."""

from __future__ import annotations

import csv
import io

import duckdb

from exports import catalogue as catalogue_exports
from exports.results import csv_bytes


def read(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers_with_a_decimal_comma() -> None:
    table = duckdb.sql(
        "SELECT * FROM (VALUES ('=1+1', '+33', '-x', '@A1', chr(9) || 'tab', chr(13) || 'cr', 'texte', -5, 2.5, "
        "-1.25::DOUBLE)) t(a, b, c, d, e, f, g, n, x, y)").to_arrow_table()
    (row,) = read(csv_bytes(table))
    assert row == {"a": "'=1+1", "b": "'+33", "c": "'-x", "d": "'@A1", "e": "'\ttab", "f": "'\rcr", "g": "texte",
                   "n": "-5", "x": "2,5", "y": "-1,25"}


def test_values_the_csv_writer_cannot_write_become_json_text() -> None:
    table = duckdb.sql("SELECT [1, 2] AS l, {'k': '=v'} AS s, MAP([1], ['a']) AS m, INTERVAL 1 DAY AS i, "
                       "NULL AS nothing").to_arrow_table()
    (row,) = read(csv_bytes(table))
    assert row["l"] == "[1, 2]" and row["s"] == '{"k": "=v"}' and row["m"] == '[[1, "a"]]'
    assert row["i"] and row["nothing"] == ""
    empty = read(csv_bytes(table.slice(0, 0)))
    assert empty == []


def test_the_catalogue_csv_defuses_formulas_too() -> None:
    rows = [{"id": "jeu", "title": "=HYPERLINK(\"http://evil\",\"clic\")", "description": "@SUM(1)",
             "publisher": "+33 5 53 02 00 00", "keywords": ["-a", "b"], "records": 12, "has_map": True}]
    (row,) = read(catalogue_exports.to_csv(rows))
    assert row["title"] == "'=HYPERLINK(\"http://evil\",\"clic\")"
    assert row["description"] == "'@SUM(1)" and row["publisher"] == "'+33 5 53 02 00 00"
    assert row["keywords"] == "'-a | b" and row["records"] == "12" and row["has_map"] == "oui"
    assert list(row) == catalogue_exports.CSV_COLUMNS
