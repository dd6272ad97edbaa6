"""Schema analysis (pure): column roles and what a dataset can show, from meta.json columns and their profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from catalogue.schema import Schema


def make(columns: list[tuple[str, str]], profile: dict[str, Any] | None = None, geo: dict[str, Any] | None = None,
         rows: int = 100) -> Schema:
    return Schema.from_meta("essai", {"rows": rows, "columns": [{"name": n, "type": t} for n, t in columns],
                                      "profile": profile or {}, "geo": geo or {}})


def test_commune_codes_need_a_known_name_and_code_like_values() -> None:
    s = make([("code_insee", "text"), ("com_av", "text"), ("code_postal", "text"), ("insee_com", "text")],
             {"code_insee": {"min": "24001", "max": "24586", "top": [{"value": "2A004"}]},
              "insee_com": {"top": [{"value": "Périgueux"}]}})
    assert s.commune_columns == ["code_insee", "com_av"]  # a postcode is not a commune; names are not codes
    assert s.has_map and s.map_modes == ["choropleth"]


def test_epci_codes() -> None:
    s = make([("epci_siren", "text"), ("siren", "text")], {"epci_siren": {"top": [{"value": "200040392"}]}})
    assert s.epci_columns == ["epci_siren"]


def test_time_series_is_a_year_like_column_not_any_date() -> None:
    assert make([("annee", "integer"), ("valeur", "number")]).time_column == "annee"
    assert make([("rentree_scolaire", "text")]).has_time_series
    dated = make([("date_ouverture", "date"), ("nom", "text")])
    assert dated.time_column is None and not dated.has_time_series


def test_map_modes_from_coordinates_geometry_and_codes() -> None:
    points = make([("longitude", "number"), ("latitude", "number")], geo={"kind": "point"})
    assert points.map_modes == ["points"]
    polygons = make([("nom", "text"), ("geometry", "text")], geo={"kind": "polygon", "geometry": "geometry"})
    assert polygons.has_geometry and polygons.map_modes == ["polygons"]
    plain = make([("nom", "text"), ("valeur", "number")])
    assert plain.map_modes == [] and not plain.has_map


def test_measures_labels_and_categories() -> None:
    s = make([("code_insee", "text"), ("annee", "integer"), ("population", "integer"), ("latitude", "number"),
              ("nom", "text"), ("sexe", "text"), ("autre", "number")],
             {"sexe": {"distinct": 3, "nulls": 0}, "nom": {"distinct": 95, "nulls": 0}})
    assert s.measure_columns == ["population", "autre"]  # no code, year or coordinate; hinted names first
    assert s.label_columns[0] == "nom"
    assert s.main_category == "sexe" and s.facet_columns() == ["sexe"]  # « nom » identifies records


@pytest.mark.parametrize("ctype, raw, value", [
    ("integer", " 42 ", 42), ("number", "1,5", 1.5), ("number", "1e5", 100000.0), ("date", "2020-01-31", dt.date(2020, 1, 31)),
    ("boolean", "oui", True), ("text", "l'Isle", "l'Isle"),
])
def test_column_parses_values_by_type(ctype: str, raw: str, value: Any) -> None:
    assert make([("c", ctype)]).columns[0].parse(raw) == value


@pytest.mark.parametrize("ctype, raw", [("integer", "1.5"), ("number", "nan"), ("number", "inf"), ("date", "31/01/2020"),
                                        ("boolean", "peut-être"), ("geometry", "{}")])
def test_column_rejects_values_of_another_type(ctype: str, raw: str) -> None:
    with pytest.raises(ValueError):
        make([("c", ctype)]).columns[0].parse(raw)
