"""Indicator values checked against the source files, recomputed here independently (csv/pandas/shapely, not our SQL)."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point, shape

import indicators
from indicators import board, territory
from indicators.data import indicator_frame

DATA = Path(__file__).resolve().parents[2] / "data" / "dordogne"


def rows(rel: str) -> list[dict[str, str]]:
    with (DATA / rel).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def frame_of(indicator_id: str, level: str) -> pd.DataFrame:
    ind = indicators.get(indicator_id)
    assert ind is not None
    frame, error = indicator_frame(ind, level)
    assert error is None, error
    return frame


def value(frame: pd.DataFrame, level: str, code: str, year: int) -> float:
    hit = frame[(frame["level"] == level) & (frame["code"] == code) & (frame["year"] == year)]
    assert len(hit) == 1, (level, code, year, hit)
    return float(hit["value"].iloc[0])


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371.0088
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def polygons() -> dict[str, object]:
    collection = json.loads((DATA / "geo" / "communes_24.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code_insee"]: shape(f["geometry"]) for f in collection["features"]}


def commune_of(polys: dict[str, object], lon: float, lat: float) -> str:
    pt = Point(lon, lat)
    return next(code for code, poly in polys.items() if poly.covers(pt))  # type: ignore[attr-defined]


# -- Population ---------------------------------------------------------------------------------------------------
def test_departement_population_2023_is_417614(portal: Path) -> None:
    assert value(frame_of("population", "departement"), "departement", "24", 2023) == 417_614
    card = board.build_card(indicators.get("population"), territory.top_territory())
    assert card.latest is not None and card.latest.value == 417_614 and card.latest.period == "2023"
    assert card.previous is not None and card.change == 417_614 - 416_325


def test_communes_sum_to_the_departement_for_every_millesime(portal: Path) -> None:
    by_year: dict[int, int] = defaultdict(int)
    for r in rows("population/population_communes_24_cog2026.csv"):
        by_year[int(r["millesime"])] += int(r["pmun"])
    # PROVENANCE.md: 2016 414 789 · 2019 413 223 · 2020 412 807 · 2021 413 730 · 2022 416 325 · 2023 417 614
    assert dict(by_year) == {2016: 414_789, 2019: 413_223, 2020: 412_807, 2021: 413_730, 2022: 416_325,
                             2023: 417_614}
    raw_2023 = sum(int(r["PMUN"]) for r in rows("population/raw/populations_legales_millesime2023_24.csv"))
    assert raw_2023 == 417_614
    frame = frame_of("population", "commune")
    communes = frame[frame["level"] == "commune"]
    assert communes["code"].nunique() == 503
    for year, total in by_year.items():
        assert communes.loc[communes["year"] == year, "value"].sum() == total
        assert value(frame, "departement", "24", year) == total


def test_epci_population_is_the_sum_of_its_communes(portal: Path) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for r in rows("referentiel/epci_communes_24_2026.csv"):
        members[r["epci_siren"]].add(r["code_insee"])
    pop = {(r["code_insee_cog2026"], int(r["millesime"])): int(r["pmun"])
           for r in rows("population/population_communes_24_cog2026.csv")}
    frame = frame_of("population", "epci")
    assert frame[frame["level"] == "epci"]["code"].nunique() == len(members) == 22
    for siren, codes in members.items():
        for year in (2016, 2023):
            assert value(frame, "epci", siren, year) == sum(pop[(c, year)] for c in codes), (siren, year)


def test_merged_commune_population_adds_its_former_communes(portal: Path) -> None:
    # 2016 (COG 2018): Sigoulès (24534) and Flaugeac (24181) were separate; COG 2026 adds them up in 24534.
    raw = {r["Code commune"]: int(r["Population municipale"])
           for r in rows("population/raw/populations_legales_millesime2016_24.csv")}
    assert raw["534"] + raw["181"] == 920 + 324
    assert value(frame_of("population", "commune"), "commune", "24534", 2016) == raw["534"] + raw["181"]


def test_growth_rate_is_annualised(portal: Path) -> None:
    frame = frame_of("population-croissance", "departement")
    assert value(frame, "departement", "24", 2023) == pytest.approx((417_614 / 416_325 - 1) * 100)
    assert value(frame, "departement", "24", 2019) == pytest.approx(((413_223 / 414_789) ** (1 / 3) - 1) * 100)


def test_age_shares_departement_and_france(portal: Path) -> None:
    est = rows("population/estimations_population_24_sexe_age_1975_2022.csv")

    def share(zone: str, low: int) -> float:
        sel = [r for r in est if r["annee"] == "2022" and r["zone"] == zone and r["sexe"] == "Ensemble"]
        total = next(int(r["population"]) for r in sel if r["age"] == "Total")
        older = sum(int(r["population"]) for r in sel if r["age"] != "Total" and int(r["age"].split()[0]) >= low)
        return 100 * older / total

    for ind_id, low in (("part-60-ans-et-plus", 60), ("part-75-ans-et-plus", 75)):
        frame = frame_of(ind_id, "departement")
        assert value(frame, "departement", "24", 2022) == pytest.approx(share("Dordogne", low))
        assert value(frame, "france", "FRM", 2022) == pytest.approx(share("France métropolitaine", low))


# -- Social aid ---------------------------------------------------------------------------------------------------
def _pop(zone: str, year: int, low: int = 0, high: int = 200) -> int:
    return sum(int(r["population"]) for r in rows("population/estimations_population_24_sexe_age_1975_2022.csv")
               if r["annee"] == str(year) and r["zone"] == zone and r["sexe"] == "Ensemble" and r["age"] != "Total"
               and low <= int(r["age"].split()[0]) <= high)


def _drees(onglet: str, zone: str, colonne: str) -> float:
    hit = [r for r in rows("social/aide_sociale_departementale_24_long.csv")
           if r["onglet"] == onglet and r["zone"] == zone and r["colonne"] == colonne]
    assert len(hit) == 1, (onglet, zone, colonne)
    return float(hit[0]["valeur_num"])


def test_rsa_per_1000_inhabitants_15_69_dordogne_and_france(portal: Path) -> None:
    frame = frame_of("rsa-allocataires", "departement")
    expected = 1000 * _drees("Tableau 11", "Dordogne", "2019 | Total RSA") / _pop("Dordogne", 2019, 15, 69)
    assert value(frame, "departement", "24", 2019) == pytest.approx(expected)
    fr = 1000 * _drees("Tableau 11", "France métropolitaine", "2019 | Total RSA") / _pop("France métropolitaine",
                                                                                         2019, 15, 69)
    assert value(frame, "france", "FRM", 2019) == pytest.approx(fr)
    # 2016 is published twice: the revised « 2016 (2) » value, comparable with 2017+, is the one kept.
    revised = 1000 * _drees("Tableau 11", "Dordogne", "2016 (2) | Total RSA") / _pop("Dordogne", 2016, 15, 69)
    assert value(frame[frame["series"] == "Total RSA"], "departement", "24", 2016) == pytest.approx(revised)


def test_rsa_series_break_is_not_chained(portal: Path) -> None:
    frame = frame_of("rsa-allocataires", "departement")
    dep = frame[frame["level"] == "departement"]
    assert set(dep.loc[dep["year"] <= 2015, "series"]) == {"Total RSA socle"}
    assert set(dep.loc[dep["year"] >= 2017, "series"]) == {"Total RSA"}
    lines = board.series_frame(indicators.get("rsa-allocataires"), territory.top_territory())["line"]
    assert lines.nunique() == 4  # Dordogne and France, each split at the 2016 break
    card = board.build_card(indicators.get("rsa-allocataires"), territory.top_territory())
    assert "2016" in card.break_warning or "RSA socle" in card.break_warning


def test_spending_per_inhabitant_converts_thousands_of_euros(portal: Path) -> None:
    frame = frame_of("rsa-depenses", "departement")
    expected = _drees("RSA-RMI tab1", "Dordogne", "2019") * 1000 / _pop("Dordogne", 2019)
    assert value(frame, "departement", "24", 2019) == pytest.approx(expected)
    assert 100 < expected < 250  # € per inhabitant, not k€


def test_apa_per_1000_people_aged_60_or_more(portal: Path) -> None:
    frame = frame_of("apa-beneficiaires", "departement")
    expected = 1000 * _drees("Tab4-pa", "Dordogne", "2020") / _pop("Dordogne", 2020, 60)
    assert value(frame, "departement", "24", 2020) == pytest.approx(expected)
    fr = 1000 * _drees("Tab4-pa", "TOTAL estimé France métropolitaine", "2020") / _pop("France métropolitaine", 2020, 60)
    assert value(frame, "france", "FRM", 2020) == pytest.approx(fr)


def test_social_aid_is_departement_only_and_says_so(portal: Path) -> None:
    commune = territory.resolve("commune", "24322").territory
    card = board.build_card(indicators.get("pch-beneficiaires"), commune)
    assert not card.available and card.latest is not None
    assert card.latest.value == board.build_card(indicators.get("pch-beneficiaires"),
                                                 territory.top_territory()).latest.value


# -- Education ----------------------------------------------------------------------------------------------------
def test_dnb_success_weighted_by_candidates(portal: Path) -> None:
    va = [r for r in rows("services/colleges_24_valeur_ajoutee_2022_2023.csv") if r["Session"] == "2023"]
    num = sum(float(r["Taux de réussite - G"]) * int(r["Nb candidats - G"]) for r in va if r["Taux de réussite - G"])
    den = sum(int(r["Nb candidats - G"]) for r in va if r["Taux de réussite - G"])
    assert value(frame_of("dnb-reussite", "departement"), "departement", "24", 2023) == pytest.approx(num / den)


def test_ips_ecoles_commune_mean_and_method_break(portal: Path) -> None:
    schools = rows("services/ips_ecoles_24.csv")

    def mean(code: str, year: str) -> float:
        vals = [float(r["ips"]) for r in schools if r["code_insee_de_la_commune"] == code
                and r["rentree_scolaire"] == year and r["ips"] not in ("", "NS")]
        return sum(vals) / len(vals)

    frame = frame_of("ips-ecoles", "commune")
    assert value(frame, "commune", "24322", 2024) == pytest.approx(mean("24322", "2024-2025"))
    periguex = frame[(frame["level"] == "commune") & (frame["code"] == "24322")]
    assert set(periguex.loc[periguex["year"] == 2021, "series"]) == {"IPS avant 2022"}
    assert set(periguex.loc[periguex["year"] >= 2022, "series"]) == {"IPS depuis 2022"}
    card = board.build_card(indicators.get("ips-ecoles"), territory.resolve("commune", "24322").territory)
    assert "2022" in card.break_warning
    national = {r["ips_national"] for r in schools if r["rentree_scolaire"] == "2024-2025" and r["ips_national"]}
    assert value(frame, "france", "FR", 2024) == pytest.approx(float(national.pop()))


def test_change_is_never_computed_across_a_series_break(portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = pd.DataFrame({"level": ["departement"] * 2, "code": ["24"] * 2, "name": ["Dordogne"] * 2,
                         "year": [2021, 2022], "period": ["2021-2022", "2022-2023"], "value": [100.0, 101.0],
                         "numerator": [None] * 2, "denominator": [None] * 2,
                         "series": ["IPS avant 2022", "IPS depuis 2022"]})
    monkeypatch.setattr(board, "indicator_frame", lambda ind, level: (fake, None))
    card = board.build_card(indicators.get("ips-ecoles"), territory.top_territory())
    assert card.change is None and card.previous is None and "2022" in card.break_warning


# -- Services -----------------------------------------------------------------------------------------------------
def test_france_services_count_is_37_and_by_commune(portal: Path) -> None:
    fs = rows("services/france_services_24.csv")
    assert len(fs) == 37
    frame = frame_of("france-services-nombre", "commune")
    assert value(frame, "departement", "24", 2024) == 37
    per_commune = Counter(r["insee_com"] for r in fs)
    got = frame[(frame["level"] == "commune") & (frame["value"] > 0)].set_index("code")["value"].to_dict()
    assert got == {k: float(v) for k, v in per_commune.items()}


def test_health_and_museum_counts_match_point_in_polygon(portal: Path, polygons: dict[str, object]) -> None:
    health = Counter(commune_of(polygons, float(r["lon"]), float(r["lat"]))
                     for r in rows("services/etablissements_sante_24_gisco2020.csv"))
    frame = frame_of("sante-nombre", "commune")
    got = frame[(frame["level"] == "commune") & (frame["value"] > 0)].set_index("code")["value"].to_dict()
    assert got == {k: float(v) for k, v in health.items()}
    assert value(frame, "departement", "24", 2020) == 37
    museums = Counter(commune_of(polygons, float(r["longitude"]), float(r["latitude"]))
                      for r in rows("services/musees_de_france_24.csv"))
    frame = frame_of("musees-frequentation", "commune")
    assert set(frame.loc[frame["level"] == "commune", "code"]) <= set(museums)


def test_nearest_france_services_distance_from_the_centroid(portal: Path, polygons: dict[str, object]) -> None:
    fs = [(float(r["longitude"]), float(r["latitude"])) for r in rows("services/france_services_24.csv")]
    frame = frame_of("france-services-distance", "commune")
    for code in ("24322", "24534", "24520", "24001"):
        c = polygons[code].centroid  # type: ignore[attr-defined]
        expected = min(haversine(c.x, c.y, lon, lat) for lon, lat in fs)
        assert value(frame, "commune", code, 2024) == pytest.approx(expected, abs=1e-6)
    assert value(frame, "commune", "24322", 2024) < 3  # Périgueux has France services next door


def test_museum_attendance_departement_total(portal: Path) -> None:
    visits = rows("services/musees_frequentation_24_2001_2021.csv")
    for year in (2001, 2019, 2021):
        total = sum(int(r["total"]) for r in visits if r["annee"] == str(year) and r["total"])
        assert value(frame_of("musees-frequentation", "departement"), "departement", "24", year) == total


# -- Territories --------------------------------------------------------------------------------------------------
def test_old_commune_codes_lead_to_the_current_commune(portal: Path) -> None:
    flaugeac = territory.resolve("commune", "24181")
    assert flaugeac.redirected and flaugeac.territory.code == "24534"
    assert "Flaugeac" in flaugeac.notice and "Sigoulès-et-Flaugeac" in flaugeac.notice
    born = territory.resolve("commune", "24049")  # Born-de-Champs → Sainte-Sabine-Born (1974) → Beaumontois (2016)
    assert born.territory.code == "24028"
    current = set(territory.communes()["code"])
    merged = [r for r in rows("referentiel/mouvements_communes_24.csv")
              if r["MOD"] in ("31", "32", "33", "34") and r["COM_AV"] != r["COM_AP"] and r["COM_AV"] not in current]
    assert merged
    for r in merged:
        assert territory.resolve("commune", r["COM_AV"]).territory.code in current, r["COM_AV"]
    assert territory.resolve("commune", "99999").territory.level == "departement"
    for level, kind in (("epci", "intercommunalité"), ("commune", "commune")):
        blank = territory.resolve(level, "")
        assert blank.territory.level == "departement" and blank.notice.startswith(f"Aucune {kind} indiquée"), blank


def test_search_by_name_and_postcode(portal: Path) -> None:
    assert "24322" in set(territory.search_communes("perigueux")["code"])
    assert "24322" in set(territory.search_communes("24000")["code"])
    assert "24520" in set(territory.search_communes("Sarlat")["code"])


def test_commune_epci_follows_the_epci_communes_table(portal: Path) -> None:
    """Every commune's EPCI as the reference file lists it; an unknown code has none."""
    with (DATA / "referentiel/epci_communes_24_2026.csv").open(encoding="utf-8") as fh:
        expected = {r["code_insee"]: r["epci_siren"] for r in csv.DictReader(fh)}
    assert territory.commune_epci("24037") == expected["24037"] == "200070647"  # Bergerac → CA Bergeracoise
    assert {code: territory.commune_epci(code) for code in expected} == expected
    assert territory.commune_epci("99999") == ""
