"""The registry: every TOML definition is valid, and its SQL file runs at each level with the result contract."""

from __future__ import annotations

from pathlib import Path

import pytest

import indicators
import queries
from indicators import RESULT_COLUMNS, DefinitionError, parse_definition
from indicators.state import BoardState, MapState

DEFINITIONS = indicators.load_definitions()


def test_registry_has_one_file_per_indicator_and_covers_the_issue() -> None:
    files = sorted(p.stem for p in indicators.DEFINITIONS_DIR.glob("*.toml"))
    assert sorted(ind.id for ind in DEFINITIONS) == files
    ids = set(files)
    for required in ("population", "part-60-ans-et-plus", "part-75-ans-et-plus", "rsa-allocataires", "rsa-depenses",
                     "apa-beneficiaires", "pch-beneficiaires", "ase-enfants-accueillis", "dnb-reussite",
                     "dnb-valeur-ajoutee", "ips-colleges", "ips-ecoles", "france-services-nombre",
                     "france-services-distance", "sante-nombre", "sante-distance", "musees-frequentation"):
        assert required in ids


def test_every_definition_names_sources_method_and_levels() -> None:
    for ind in DEFINITIONS:
        assert ind.sources and ind.method and ind.unit and ind.year_label, ind.id
        assert (indicators.SQL_DIR / f"{ind.sql}.sql").is_file()
        if ind.compare_france:
            assert ind.france_label
    assert indicators.get("ips-ecoles").breaks[0].year == 2022
    assert indicators.get("rsa-allocataires").departement_only


def test_bad_definitions_are_refused_with_a_french_message() -> None:
    good = {"label": "x", "theme": "t", "unit": "u", "sql": "indicator_population", "sources": ["population"],
            "levels": ["commune"], "method": "m", "year_label": "Année"}
    parse_definition("ok", good, "ok.toml")
    for bad in ({"sql": "indicator_nope"}, {"levels": ["canton"]}, {"sources": []}, {"kind": "weird"},
                {"params": {"level": "x"}}, {"compare_france": True}, {"sources": ["population-communes"]}):
        with pytest.raises(DefinitionError):
            parse_definition("bad", {**good, **bad}, "bad.toml")


@pytest.mark.parametrize("ind", DEFINITIONS, ids=lambda i: i.id)
def test_indicator_sql_returns_the_contract_at_every_level(ind: indicators.Indicator, portal: Path) -> None:
    for level in ind.levels:
        frame = queries.run(ind.sql, **ind.query_params(level, "24", "Dordogne"))
        assert tuple(frame.columns) == RESULT_COLUMNS, ind.id
        assert not frame.empty, (ind.id, level)
        assert set(frame["level"]) <= {level, "departement", "france"}
        # The département row is the comparison: required unless the definition says there is none (compare_departement
        # = false: medians, rates, scores that do not add up and whose file holds no département row).
        assert (frame["level"] == "departement").any() == ind.compare_departement, (ind.id, level)
        assert not frame.duplicated(["level", "code", "year", "series"]).any(), (ind.id, level)


def test_url_states_round_trip() -> None:
    board = BoardState.from_params({"niveau": "commune", "code": "24322", "indicateur": "population"})
    assert BoardState.from_params(board.to_params()) == board
    assert BoardState.from_params({"niveau": "canton"}).level == "departement"
    state = MapState.from_params({"indicateur": "population", "niveau": "epci", "couches": "sante,inconnu,colleges",
                                  "commune": "24322", "lat": "45.18", "lon": "0.72", "zoom": "10"})
    assert state.layers == ("colleges", "sante") and state.zoom == 10
    assert MapState.from_params(state.to_params()) == state
    assert MapState.from_params({"lat": "999"}).lat is None


def test_sources_by_level_narrow_the_sources_and_are_validated() -> None:
    good = {"label": "x", "theme": "t", "unit": "u", "sql": "indicator_population", "sources": ["population", "age_census"],
            "levels": ["departement", "commune"], "method": "m", "year_label": "Année",
            "sources_by_level": {"commune": ["age_census"]}}
    ind = parse_definition("ok", good, "ok.toml")
    assert ind.level_sources("commune") == ("age_census",)
    assert ind.level_sources("departement") == ("population", "age_census")  # a level left out cites them all
    for bad in ({"epci": ["age_census"]}, {"commune": []}, {"commune": ["age_estimates"]}):
        with pytest.raises(DefinitionError, match="sources_by_level"):
            parse_definition("bad", {**good, "sources_by_level": bad}, "bad.toml")
    age = indicators.get("part-60-ans-et-plus")
    assert indicators.source_ids(age, "commune") == ("population-age-communes",)
    assert indicators.source_ids(age, "departement") == ("estimations-population-age-sexe",)
