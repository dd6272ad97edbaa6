"""queries.binning: distances and grid cells at any latitude, and the points map's limits on real data."""

from __future__ import annotations

from pathlib import Path

import pytest

import queries
from catalogue.schema import Schema
from geo import haversine_km
from queries import binning
from queries.dataset import sql, state

# Hand-computed: one degree along a meridian is π × 6371.0088 km / 180 = 111.1951 km; along a parallel it is that
# times cos(latitude): 111.1951 km at 0°, 78.6268 km at 45°N (cos = 0.707107), 55.5975 km at 60°N (cos = 0.5).
KM_PER_DEG = 111.1951
# At zoom 10 a cell of 4 screen pixels spans 360 / (256 × 2**10) × 4 = 0.0054931640625 degrees of longitude.
CELL_LON_Z10 = 0.0054931640625


@pytest.mark.parametrize(("lat", "km_per_deg_lon", "cell_w_km"), [
    (0.0, 111.1951, 0.610813),  # 0.0054931640625 × 111.1951
    (45.0, 78.6268, 0.431910),  # 0.0054931640625 × 78.6268 (the old fixed « × 78 » said 0.428 everywhere)
    (60.0, 55.5975, 0.305406),  # 0.0054931640625 × 55.5975
])
def test_degrees_to_km_and_cell_sizes_at_any_latitude(lat: float, km_per_deg_lon: float, cell_w_km: float) -> None:
    assert binning.KM_PER_DEGREE_LAT == pytest.approx(KM_PER_DEG, abs=1e-4)
    assert binning.km_per_degree_lon(lat) == pytest.approx(km_per_deg_lon, abs=1e-4)
    cell_lon, cell_lat = binning.cell_size(10, lat)
    assert cell_lon == pytest.approx(CELL_LON_Z10, rel=1e-12)
    assert binning.cell_km(cell_lon, lat) == pytest.approx(cell_w_km, abs=1e-5)
    # Square on the ground: the cell's height (degrees of latitude × 111.1951 km) equals its width.
    assert cell_lat * KM_PER_DEG == pytest.approx(cell_w_km, abs=1e-5)
    # And the great-circle distance across the cell agrees (haversine, over a few hundred metres).
    assert haversine_km(0.0, lat, cell_lon, lat) == pytest.approx(cell_w_km, rel=1e-4)
    assert haversine_km(0.0, lat, 0.0, lat + cell_lat) == pytest.approx(cell_w_km, rel=1e-4)


def test_cells_follow_the_zoom_and_the_view_box_the_latitude() -> None:
    assert binning.cell_size(11, 45.0)[0] == pytest.approx(CELL_LON_Z10 / 2)
    assert binning.cell_size(10.9, 45.0) == binning.cell_size(10, 45.0)  # whole zoom levels: stable cells
    box = binning.view_bbox(1.0, 60.0, 10)
    half_w = 600 * 360 / (256 * 2**10)  # 600 px either side of the centre
    assert (box.min_lon, box.max_lon) == pytest.approx((1.0 - half_w, 1.0 + half_w))
    assert (box.max_lat - box.min_lat) == pytest.approx(700 * 360 / (256 * 2**10) * 0.5)  # × cos(60°)


def schema_of(dataset_id: str) -> Schema:
    return Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))


def test_point_map_never_sends_more_than_the_caps(read_only_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = schema_of("france-services")
    view = state.DatasetView("france-services", tab="carte")
    total = int(sql.run(binning.points_count_query(view, schema)).loc[0, "n"])
    sent: list[int] = []

    def run(query: sql.Query) -> object:
        frame = sql.run(query)
        sent.append(len(frame))
        return frame

    whole = binning.point_map(view, schema, run, total=total, zoom=8, lat=45.15)
    assert whole.kind == "points" and len(whole.frame) == total == 37 and whole.cell_km is None

    # Fewer points allowed than the dataset has: a grid of counts, where every point is counted once.
    monkeypatch.setattr(binning, "MAX_POINTS", 10)
    grid = binning.point_map(view, schema, run, total=total, zoom=8, lat=45.15)
    assert grid.kind == "grid" and int(grid.frame["n"].sum()) == total and len(grid.frame) <= binning.MAX_CELLS
    assert grid.cell_km == pytest.approx(binning.cell_km(binning.cell_size(8, 45.15)[0], 45.15))

    # Fewer cells allowed than the grid fills: cells double in size; what is sent stays under the cap.
    monkeypatch.setattr(binning, "MAX_CELLS", 4)
    coarse = binning.point_map(view, schema, run, total=total, zoom=8, lat=45.15)
    assert coarse.kind == "grid" and len(coarse.frame) <= 4 and coarse.cell_km > grid.cell_km

    # Centred on Périgueux: only the points of the view's box are counted and sent.
    monkeypatch.setattr(binning, "MAX_POINTS", 5_000)
    near = binning.point_map(view, schema, run, total=total, zoom=12, lat=45.18431, lon=0.71859)
    box = binning.view_bbox(0.71859, 45.18431, 12)
    assert near.kind == "points" and 0 < near.in_view == len(near.frame) < total
    assert near.frame["lon"].between(box.min_lon, box.max_lon).all()
    assert near.frame["lat"].between(box.min_lat, box.max_lat).all()
    assert max(sent) <= 37


def test_grid_cells_are_square_on_the_ground_in_duckdb(read_only_portal: Path) -> None:
    """The grid DuckDB computes has cell centres one cell apart: width and height in km equal at the latitude."""
    schema = schema_of("france-services")
    view = state.DatasetView("france-services", tab="carte")
    lat = 45.15
    cell_lon, cell_lat = binning.cell_size(9, lat)
    grid = sql.run(binning.grid_query(view, schema, cell_lon, cell_lat))
    assert int(grid["n"].sum()) == 37
    steps_lon = (grid["lon"] / cell_lon - 0.5).round(6)
    steps_lat = (grid["lat"] / cell_lat - 0.5).round(6)
    assert (steps_lon == steps_lon.round()).all() and (steps_lat == steps_lat.round()).all()
    assert cell_lon * binning.km_per_degree_lon(lat) == pytest.approx(cell_lat * binning.KM_PER_DEGREE_LAT)
