"""Population density: the geodesic-area UDF of every executor connection, the density indicator's figures recomputed
from the source files, and its aggregation (an EPCI or the département is Σ population / Σ area, not a mean)."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import shape

import indicators
from config import get_settings
from indicators.data import indicator_frame
from queries.connection import open_locked

DATA = Path(__file__).resolve().parents[2] / "data" / "dordogne"
# WGS84 ellipsoid: semi-major axis (m) and flattening.
A, F = 6_378_137.0, 1 / 298.257223563
E2 = F * (2 - F)
B = A * (1 - F)
# INSEE's official areas (km²; as quoted by the French Wikipedia infoboxes, from INSEE/IGN): the outlines of the
# warehouse are simplified 2018 outlines, so the computed areas are within a few percent, not equal.
OFFICIAL_KM2 = {"24520": 47.13, "24037": 56.19, "24322": 9.82}
DORDOGNE_KM2 = 9_060


def band_area_km2(lon0: float, lon1: float, lat0: float, lat1: float) -> float:
    """Closed-form area of an ellipsoidal quadrangle bounded by two meridians and two parallels (authalic latitude
    formula), computed here by hand rather than by pyproj."""
    e = math.sqrt(E2)

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - E2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return math.radians(lon1 - lon0) * B * B / 2 * (q(lat1) - q(lat0)) / 1e6


def square(lon: float, lat: float, side: float, clockwise: bool = False) -> dict[str, object]:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring[::-1] if clockwise else ring]}


def frame_of(level: str) -> pd.DataFrame:
    ind = indicators.get("densite")
    assert ind is not None
    frame, error = indicator_frame(ind, level)
    assert error is None, error
    return frame


def row(frame: pd.DataFrame, level: str, code: str, year: int) -> pd.Series:
    hit = frame[(frame["level"] == level) & (frame["code"] == code) & (frame["year"] == year)]
    assert len(hit) == 1, (level, code, year)
    return hit.iloc[0]


def test_the_area_udf_of_an_executor_connection_measures_a_known_square(portal: Path) -> None:
    con = open_locked(get_settings(), "256MB", 1, None, None)
    try:
        def area(geometry: dict[str, object] | None) -> float | None:
            found = con.execute("SELECT territoire_area_km2(?)", [None if geometry is None else json.dumps(geometry)])
            return found.fetchone()[0]  # type: ignore[index]

        # 0.01° × 0.01° at the equator: 1.113 km along the equator × 1.106 km along the meridian ≈ 1.2309 km².
        expected = band_area_km2(0, 0.01, 0, 0.01)
        assert expected == pytest.approx(1.2309, abs=1e-4)
        assert area(square(0, 0, 0.01)) == pytest.approx(expected, rel=1e-6)
        assert area(square(0, 0, 0.01, clockwise=True)) == pytest.approx(expected, rel=1e-6)  # orientation ignored
        # The same square in Dordogne (45° N) is smaller, by about cos 45° = 0.707: meridians converge.
        north = band_area_km2(0.7, 0.71, 45, 45.01)
        assert 0.70 * expected < north < 0.72 * expected
        assert area(square(0.7, 45, 0.01)) == pytest.approx(north, rel=1e-5)
        two = {"type": "MultiPolygon", "coordinates": [square(0, 0, 0.01)["coordinates"],
                                                       square(1, 0, 0.01)["coordinates"]]}
        assert area(two) == pytest.approx(2 * expected, rel=1e-6)
        assert area(None) is None
    finally:
        con.close()


def test_commune_density_is_its_population_over_its_geodesic_area(portal: Path) -> None:
    collection = json.loads((DATA / "geo" / "communes_24.geojson").read_text(encoding="utf-8"))
    geod = Geod(ellps="WGS84")
    km2 = {f["properties"]["code_insee"]: abs(geod.geometry_area_perimeter(shape(f["geometry"]))[0]) / 1e6
           for f in collection["features"]}
    with (DATA / "population" / "population_communes_24_cog2026.csv").open(encoding="utf-8", newline="") as fh:
        pop = {(r["code_insee_cog2026"], int(r["millesime"])): int(r["pmun"]) for r in csv.DictReader(fh)}
    frame = frame_of("commune")
    sarlat = row(frame, "commune", "24520", 2023)
    assert sarlat["numerator"] == pop[("24520", 2023)] == 8_763
    assert sarlat["denominator"] == pytest.approx(km2["24520"], rel=1e-9)
    assert sarlat["value"] == pytest.approx(8_763 / km2["24520"]) == pytest.approx(180.0, abs=0.1)
    for code, official in OFFICIAL_KM2.items():
        found = row(frame, "commune", code, 2023)
        # Simplified outlines: Bergerac is 0.8 % above INSEE's area, Sarlat and Périgueux 3.3 %.
        assert abs(found["denominator"] / official - 1) < 0.04, (code, found["denominator"])
        assert found["value"] == pytest.approx(pop[(code, 2023)] / found["denominator"])
    assert frame[frame["level"] == "commune"]["code"].nunique() == 503
    # The area does not change with the millésime: only the population does.
    assert row(frame, "commune", "24520", 2016)["denominator"] == sarlat["denominator"]


def test_epci_and_departement_density_are_sums_over_sums(portal: Path) -> None:
    communes = frame_of("commune")
    communes = communes[(communes["level"] == "commune") & (communes["year"] == 2023)].set_index("code")
    members: dict[str, set[str]] = defaultdict(set)
    with (DATA / "referentiel" / "epci_communes_24_2026.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            members[r["epci_siren"]].add(r["code_insee"])
    epcis = frame_of("epci")
    for siren, codes in members.items():
        part = communes.loc[sorted(codes)]
        found = row(epcis, "epci", siren, 2023)
        assert found["numerator"] == part["numerator"].sum()
        assert found["denominator"] == pytest.approx(part["denominator"].sum())
        assert found["value"] == pytest.approx(part["numerator"].sum() / part["denominator"].sum())
    # CA Bergeracoise: a dense town among rural communes; a mean of the communes' densities (79) would understate the
    # people per km² of the whole EPCI (105).
    bergerac = communes.loc[sorted(members["200070647"])]
    assert row(epcis, "epci", "200070647", 2023)["value"] > 1.2 * bergerac["value"].mean()
    dep = row(frame_of("departement"), "departement", "24", 2023)
    assert dep["numerator"] == communes["numerator"].sum() == 417_614
    assert dep["denominator"] == pytest.approx(communes["denominator"].sum())
    # 9 223 km² from the outlines against 9 060 km² officially (+1.8 %): about 45 inhabitants per km².
    assert abs(dep["denominator"] / DORDOGNE_KM2 - 1) < 0.02
    assert dep["value"] == pytest.approx(45.3, abs=0.1)


def test_the_definition_follows_population_and_is_neutral() -> None:
    ids = [ind.id for ind in indicators.registry()]
    assert ids.index("densite") == ids.index("population") + 1
    density = indicators.get("densite")
    assert density is not None and density.higher_is == "neutral" and density.decimals in (0, 1)
    assert density.levels == ("departement", "epci", "commune") and density.mappable
