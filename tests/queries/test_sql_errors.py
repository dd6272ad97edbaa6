"""DuckDB's refusals in French: the messages come from a real DuckDB connection, not from copied strings, so a
DuckDB upgrade that rewords an error makes this test fail instead of letting English through."""

from __future__ import annotations

import duckdb
import pytest

from queries.sql_errors import in_french


def duckdb_error(sql: str) -> str:
    con = duckdb.connect()
    con.execute("CREATE TABLE communes (code VARCHAR, nom VARCHAR, population INTEGER)")
    con.execute("CREATE TABLE colleges (code VARCHAR, nom VARCHAR)")
    with pytest.raises(duckdb.Error) as caught:
        con.execute(sql).fetchall()
    return str(caught.value)


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM comunes", "La table « comunes » n'existe pas"),
    ("SELECT popul FROM communes", "La colonne « popul » n'existe pas dans les tables de la requête."),
    ("SELECT nom, sum(population) FROM communes", "La colonne « nom » doit figurer dans le GROUP BY"),
    ("SELECT sum(nom) FROM communes", "Aucune fonction ne correspond à « sum(VARCHAR) »"),
    ("SELECT lower_case(nom) FROM communes", "La fonction « lower_case » n'existe pas."),
    ("SELECT code FROM communes, colleges", "Le nom de colonne « code » est ambigu"),
    ("SELEC 1", "Erreur de syntaxe près de « SELEC »."),
    ("SELECT CAST('douze' AS INTEGER)", "Impossible de convertir « douze » en INT32."),
])
def test_common_refusals_are_translated(sql: str, expected: str) -> None:
    said = in_french(duckdb_error(sql))
    assert said.startswith(expected), said
    assert "Error" not in said.split("\n\n")[0]


def test_the_pointer_to_the_faulty_place_is_kept_and_suggestions_are_translated() -> None:
    head, _, pointer = in_french(duckdb_error("SELECT popul FROM communes")).partition("\n\n")
    assert "Vouliez-vous dire" in head and "population" in head
    assert pointer.startswith("LINE 1: SELECT popul FROM communes") and "^" in pointer
    head, _, pointer = in_french(duckdb_error("SELEC nom FROM communes")).partition("\n\n")
    assert head == "Erreur de syntaxe près de « SELEC »." and pointer.startswith("LINE 1: SELEC nom")


def test_an_unknown_error_keeps_duckdb_detail_after_a_french_lead() -> None:
    said = in_french(duckdb_error("SELECT 1 / 0 WHERE error('au secours')"))
    assert said.startswith("Requête refusée") and "au secours" in said
