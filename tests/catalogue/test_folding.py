"""Accent folding: one rule, and its DuckDB counterpart folds French text exactly as the Python function does."""

from __future__ import annotations

import duckdb
import pytest

from catalogue.folding import LIGATURES, fold, fold_sql, strip_accents

FRENCH = ["Collèges publics", "ŒUVRES d'art", "Lætitia Cœur", "Périgueux", "ÉCOLE MATERNELLE", "Çà et là", "naïveté",
          "Straße", "Øre", "Saint-Émilion", "Île-de-France", "Mœurs", "rentrée 2023"]


@pytest.mark.parametrize("text", FRENCH)
def test_sql_folds_like_python(text: str) -> None:
    con = duckdb.connect()
    assert con.execute(f"SELECT {fold_sql('$t')}", {"t": text}).fetchall()[0][0] == fold(text)


def test_every_ligature_is_spelt_out_in_both() -> None:
    con = duckdb.connect()
    for letter, spelt in LIGATURES.items():
        assert fold(letter) == spelt.lower()
        assert con.execute(f"SELECT {fold_sql('$t')}", {"t": letter}).fetchall()[0][0] == spelt.lower()


def test_strip_accents_keeps_the_case() -> None:
    assert strip_accents("Cœur de l'Élysée") == "Coeur de l'Elysee"
    assert fold("Cœur de l'Élysée") == "coeur de l'elysee"
