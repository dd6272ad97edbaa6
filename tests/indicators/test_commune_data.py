"""Commune-level data (data/dordogne/communes_plus/): how it loads, and the indicators built on it, checked against
values read by hand from the CSV files (the lines are quoted in the comments) and against sums recomputed here with
the csv module, not with our SQL."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import indicators
import warehouse
from indicators import board, territory
from tests.indicators.test_values import frame_of

DATA = Path(__file__).resolve().parents[2] / "data" / "dordogne"
NEW_IDS = ("caf-rsa-foyers", "caf-prime-activite-foyers", "caf-aides-logement-foyers", "taux-pauvrete",
           "niveau-vie-median", "apl-medecins-generalistes")


def rows(rel: str) -> list[dict[str, str]]:
    with (DATA / rel).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def table(dataset_id: str) -> pd.DataFrame:
    """The published Parquet of a dataset's current version, read directly (not through the executor)."""
    entry = warehouse.read_registry()["datasets"][dataset_id]
    return pq.read_table(warehouse.resolve(entry["parquet"])).to_pandas()


def row_of(frame: pd.DataFrame, level: str, code: str, year: int) -> pd.Series:
    hit = frame[(frame["level"] == level) & (frame["code"] == code) & (frame["year"] == year)]
    assert len(hit) == 1, (level, code, year, hit)
    return hit.iloc[0]


def card_of(cards: list[board.Card], indicator_id: str) -> board.Card:
    return next(c for c in cards if c.indicator.id == indicator_id)


# -- Loading ------------------------------------------------------------------------------------------------------
def test_codes_stay_text_and_secret_cells_are_null(portal: Path) -> None:
    ages = table("population-age-communes")
    assert len(ages) == 1008 and str(ages["code_insee"].dtype) in ("object", "str", "string")
    # The two département rows carry their code apart, so `code_insee` holds commune codes only (a map, a filter).
    dep = ages[ages["niveau"] == "DEP"]
    assert len(dep) == 2 and dep["code_insee"].isna().all() and set(dep["code_departement"]) == {"24"}
    assert ages.loc[ages["niveau"] == "COM", "code_insee"].str.fullmatch(r"24\d{3}").all()
    caf = table("allocataires-caf-communes")
    assert len(caf) == 2515 and caf["code_insee"].str.fullmatch(r"24\d{3}").all()
    apl = table("apl-medecins-generalistes")
    assert len(apl) == 1509 and apl["apl_mg"].notna().all()
    filo = table("revenus-pauvrete-communes").set_index("codgeo")
    assert len(filo) == 503
    # The file's `s` cells: 37 for the median, 473 for the poverty rate (published for 30 communes only).
    raw = rows("communes_plus/filosofi_2021_communes_24.csv")
    assert sum(r["MED21"] == "s" for r in raw) == 37 and sum(r["TP6021"] == "s" for r in raw) == 473
    assert filo["med21"].isna().sum() == 37 and filo["tp6021"].isna().sum() == 473
    assert not (filo["tp6021"] == 0).any() and not (filo["med21"] == 0).any()  # secret is NULL, never 0
    # 24001,305,600,19940,s,s,… (Abjat-sur-Bandiat: median published, poverty rate secret)
    assert filo.loc["24001", "med21"] == 19940 and pd.isna(filo.loc["24001", "tp6021"])
    # 24037,14155,26791,20040,42.0,22.0,… (Bergerac)
    assert filo.loc["24037", "med21"] == 20040 and filo.loc["24037", "tp6021"] == 22.0


# -- Ages (RP 2023) -----------------------------------------------------------------------------------------------
# Bands 75-79 … 95+ of the two lines of each commune in ages_rp2023_communes_24.csv, read by hand.
SARLAT_75P = (347.4 + 233.6 + 176.5 + 109.5 + 28.9) + (276 + 159.9 + 105.8 + 48.8 + 9)  # F + M = 1 495.4
BERGERAC_75P = (981.6 + 712.2 + 611.9 + 431 + 191.5) + (769.1 + 535.3 + 381 + 162.9 + 25.7)  # 4 802.2


def census_totals() -> dict[tuple[str, str], dict[str, float]]:
    """(niveau, code) → {'all', '60', '75'}: both sexes summed, recomputed from the CSV."""
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows("communes_plus/ages_rp2023_communes_24.csv"):
        key = (r["niveau"], r["code_insee"] or r["code_departement"])
        for col, text in r.items():
            if col.startswith("a") and col[1:3].isdigit():
                low = int(col[1:3])
                out[key]["all"] += float(text)
                out[key]["60"] += float(text) if low >= 60 else 0.0
                out[key]["75"] += float(text) if low >= 75 else 0.0
    return out


def test_part_75_ans_at_commune_level_from_the_census(portal: Path) -> None:
    frame = frame_of("part-75-ans-et-plus", "commune")
    totals = census_totals()
    for code, older in (("24520", SARLAT_75P), ("24037", BERGERAC_75P)):
        row = row_of(frame, "commune", code, 2023)
        assert row["numerator"] == pytest.approx(older)
        assert row["denominator"] == pytest.approx(totals[("COM", code)]["all"])
        assert row["value"] == pytest.approx(100 * older / totals[("COM", code)]["all"])
        assert row["series"] == "recensement 2023"
    assert row_of(frame, "commune", "24520", 2023)["value"] == pytest.approx(17.06, abs=0.01)
    assert row_of(frame, "commune", "24037", 2023)["value"] == pytest.approx(17.71, abs=0.01)
    # The comparison row is the département's own census line (14.7 % in PROVENANCE.md), not the estimations.
    dep = row_of(frame, "departement", "24", 2023)
    assert dep["value"] == pytest.approx(100 * totals[("DEP", "24")]["75"] / totals[("DEP", "24")]["all"])
    assert dep["value"] == pytest.approx(14.7, abs=0.05) and dep["denominator"] == pytest.approx(417_614.2)
    assert frame["code"].nunique() == 504 and not (frame["level"] == "france").any()
    # The département board keeps the long series of the estimations (unchanged by the census rows).
    assert set(frame_of("part-75-ans-et-plus", "departement")["series"]) == {"estimations au 1er janvier"}


def test_epci_age_shares_are_sums_of_their_communes(portal: Path) -> None:
    totals = census_totals()
    members: dict[str, list[str]] = defaultdict(list)
    for r in rows("referentiel/epci_communes_24_2026.csv"):
        members[r["epci_siren"]].append(r["code_insee"])
    frame = frame_of("part-60-ans-et-plus", "epci")
    epcis = frame[frame["level"] == "epci"]
    assert len(epcis) == len(members) == 22
    for siren, codes in members.items():
        row = row_of(frame, "epci", siren, 2023)
        assert row["numerator"] == pytest.approx(sum(totals[("COM", c)]["60"] for c in codes))
        assert row["denominator"] == pytest.approx(sum(totals[("COM", c)]["all"] for c in codes))


# -- CAF households -----------------------------------------------------------------------------------------------
def test_rsa_households_per_1000_inhabitants(portal: Path) -> None:
    frame = frame_of("caf-rsa-foyers", "commune")
    # caf…csv: « 24037,2024,6525,12575,1055,… » and « 24520,2024,1915,3540,210,… »; population_communes_24_cog2026.csv:
    # pmun 2023 Bergerac 27 110, Sarlat 8 763. December 2024 is divided by the latest millésime, 2023.
    bergerac = row_of(frame, "commune", "24037", 2024)
    assert (bergerac["numerator"], bergerac["denominator"]) == (1055, 27_110)
    assert bergerac["value"] == pytest.approx(1000 * 1055 / 27_110)  # 38.9 ‰
    sarlat = row_of(frame, "commune", "24520", 2024)
    assert sarlat["value"] == pytest.approx(1000 * 210 / 8763)  # 24.0 ‰
    # « 24037,2020,6830,13350,1305,… » over the millésime 2020 (26 360).
    assert row_of(frame, "commune", "24037", 2020)["value"] == pytest.approx(1000 * 1305 / 26_360)
    # PROVENANCE.md: 10 835 RSA households in Dordogne in 2020, 9 375 in 2024 (sums of the 503 communes).
    assert row_of(frame, "departement", "24", 2020)["numerator"] == 10_835
    assert row_of(frame, "departement", "24", 2024)["numerator"] == 9_375


def test_caf_epci_counts_are_sums_of_their_communes(portal: Path) -> None:
    caf = {(r["code_insee"], int(r["annee"])): r for r in rows("communes_plus/caf_allocataires_communes_24_2020_2024.csv")}
    pmun = {(r["code_insee_cog2026"], int(r["millesime"])): int(r["pmun"])
            for r in rows("population/population_communes_24_cog2026.csv")}
    members: dict[str, list[str]] = defaultdict(list)
    for r in rows("referentiel/epci_communes_24_2026.csv"):
        members[r["epci_siren"]].append(r["code_insee"])
    for ind_id, column in (("caf-rsa-foyers", "indfoy_rsa"), ("caf-aides-logement-foyers", "indfoy_ndural"),
                           ("caf-prime-activite-foyers", "indfoy_ppa")):
        frame = frame_of(ind_id, "epci")
        for siren, codes in members.items():
            for year in (2020, 2024):
                row = row_of(frame, "epci", siren, year)
                households = sum(int(caf[(c, year)][column]) for c in codes)
                population = sum(pmun[(c, min(year, 2023))] for c in codes)
                assert (row["numerator"], row["denominator"]) == (households, population), (ind_id, siren, year)
                assert row["value"] == pytest.approx(1000 * households / population)


# -- Filosofi, APL: commune only ----------------------------------------------------------------------------------
def test_poverty_rate_and_median_commune_only_with_secret_rows(portal: Path) -> None:
    poverty = frame_of("taux-pauvrete", "commune")
    assert set(poverty["level"]) == {"commune"} and len(poverty) == 503  # no EPCI, no département row
    assert row_of(poverty, "commune", "24037", 2021)["value"] == 22.0  # Bergerac
    assert row_of(poverty, "commune", "24520", 2021)["value"] == 17.0  # Sarlat-la-Canéda
    secret = row_of(poverty, "commune", "24001", 2021)  # Abjat-sur-Bandiat: `s`
    assert math.isnan(secret["value"]) and secret["series"] == "secret statistique"
    assert poverty["value"].notna().sum() == 30
    assert set(poverty.loc[poverty["value"].isna(), "series"]) == {"secret statistique"}
    median = frame_of("niveau-vie-median", "commune")
    assert row_of(median, "commune", "24037", 2021)["value"] == 20_040
    assert row_of(median, "commune", "24520", 2021)["value"] == 21_280
    assert median["value"].isna().sum() == 37
    for level in ("epci", "departement"):
        assert frame_of("taux-pauvrete", level).empty  # nothing to show, rather than another level's figure


def test_gp_access_commune_only(portal: Path) -> None:
    frame = frame_of("apl-medecins-generalistes", "commune")
    # apl…csv: « 24520,2022,4.4,3.42 » … « 24520,2024,4.11,3.27 »; « 24037,2024,3.4,2.67 »
    assert [row_of(frame, "commune", "24520", y)["value"] for y in (2022, 2023, 2024)] == [4.4, 4.19, 4.11]
    assert row_of(frame, "commune", "24037", 2024)["value"] == 3.4
    assert set(frame["level"]) == {"commune"} and len(frame) == 1509
    # PROVENANCE.md: 223 communes at or below 2.5 in 2024.
    assert (frame.loc[frame["year"] == 2024, "value"] <= 2.5).sum() == 223


# -- The board ----------------------------------------------------------------------------------------------------
def test_commune_board_has_the_new_cards_with_their_own_figures(portal: Path) -> None:
    bergerac = territory.resolve("commune", "24037").territory
    cards = board.build_cards(bergerac)
    for ind_id in (*NEW_IDS, "part-60-ans-et-plus", "part-75-ans-et-plus"):
        card = card_of(cards, ind_id)
        assert card.available and not card.error and card.latest is not None, ind_id
    assert card_of(cards, "taux-pauvrete").latest.value == 22.0
    assert card_of(cards, "niveau-vie-median").latest.value == 20_040
    apl = card_of(cards, "apl-medecins-generalistes")
    assert (apl.latest.value, apl.latest.period, apl.previous.value) == (3.4, "2024", 3.39)
    rsa = card_of(cards, "caf-rsa-foyers")
    assert rsa.latest.period == "2024" and rsa.latest.value == pytest.approx(1000 * 1055 / 27_110)
    assert rsa.previous.period == "2023" and rsa.change < 0 and not rsa.break_warning
    assert rsa.departement.value == pytest.approx(1000 * 9375 / 417_614)
    # Ages: the commune's census figure, compared with the département's census figure of the same year.
    ages = card_of(cards, "part-75-ans-et-plus")
    assert ages.latest.period == "2023" and ages.latest.value == pytest.approx(100 * BERGERAC_75P / 27_110.2, abs=1e-3)
    assert ages.departement.period == "2023" and ages.departement.series == "recensement 2023"
    assert ages.previous is None and ages.france is None
    # Medians, rates and APL: no comparison row exists, so none is shown.
    for ind_id in ("taux-pauvrete", "niveau-vie-median", "apl-medecins-generalistes"):
        assert card_of(cards, ind_id).departement is None, ind_id


def test_secret_value_gives_an_empty_card_and_other_levels_show_nothing(portal: Path) -> None:
    abjat = territory.resolve("commune", "24001").territory
    card = board.build_card(indicators.get("taux-pauvrete"), abjat)
    assert card.available and card.latest is None and card.departement is None and not card.error
    frame = frame_of("taux-pauvrete", "commune")
    assert frame.loc[frame["code"] == "24001", "series"].tolist() == ["secret statistique"]
    for level_territory in (territory.top_territory(), territory.resolve("epci", "200027217").territory):
        for ind_id in ("taux-pauvrete", "niveau-vie-median", "apl-medecins-generalistes"):
            card = board.build_card(indicators.get(ind_id), level_territory)
            assert not card.available and card.latest is None, (ind_id, level_territory.level)
