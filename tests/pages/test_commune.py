"""The resident's question, « what is near me in Sarlat-la-Canéda? »: the nearest services (several per kind, public
first, health by type, address and data date, proper case) and the commune page."""

from __future__ import annotations

from pathlib import Path

import queries
from ui.commune_text import proper_case, town_name

SARLAT = "24520"


def test_three_nearest_colleges_keep_the_public_one_first(read_only_portal: Path) -> None:
    rows = queries.run("map_nearest_services", code=SARLAT, per_kind=3)
    colleges = rows[rows["kind"] == "colleges"]
    assert len(colleges) == 3
    assert colleges["name"].iloc[0] == "Collège La Boétie" and colleges["sector"].iloc[0] == "public"
    # The private Saint-Joseph is nearer to the centroid, yet the public collège comes first.
    assert colleges["distance_km"].iloc[1] < colleges["distance_km"].iloc[0]
    assert list(colleges["rank"]) == [1, 2, 3]
    assert {"address", "postcode", "data_date", "category", "type", "lon", "lat"} <= set(rows.columns)
    health = rows[rows["kind"] == "sante"]
    assert list(dict.fromkeys(health["category"]))[0] == "hopital"  # a one-line summary shows a hospital
    assert health["data_date"].astype(str).str.startswith("2020-03-06").all()
    assert health.groupby("category").size().max() <= 3


def test_one_per_kind_is_the_nearest_public_college(read_only_portal: Path) -> None:
    rows = queries.run("map_nearest_services", code=SARLAT, per_kind=1)
    college = rows[rows["kind"] == "colleges"]
    assert list(college["name"]) == ["Collège La Boétie"]  # /carte's one-line panel


def test_finess_capitals_become_proper_french_case(read_only_portal: Path) -> None:
    assert proper_case("CENTRE HOSPITALIER DE BELVES") == "Centre hospitalier de Belvès"
    assert (proper_case("EHPAD - UNITE DE SOINS DE LONGUE DUREE DU CH DE SARLAT")
            == "EHPAD - unité de soins de longue durée du CH de Sarlat")
    assert proper_case("3 RUE DE L'HOPITAL") == "3 rue de l'hôpital"
    assert proper_case("Rue GABRIEL TARDE") == "Rue Gabriel Tarde"
    assert proper_case("S.A. PERIGORD REEDUCATION") == "S.A. Périgord rééducation"
    assert town_name("SARLAT LA CANEDA") == "Sarlat-la-Canéda"
    assert town_name("ST MEDARD DE MUSSIDAN") == "Saint-Médard-de-Mussidan"
