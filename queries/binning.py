"""Every map of the portal's datasets goes through here: the view's box, grid cells sized for the zoom and the
latitude, one set of limits, and the DuckDB queries (points, grid of counts, polygons, values per commune) built
with the page's filters, every value bound."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from catalogue.schema import Schema
from queries.dataset.sql import AGG_SQL, Binder, Query, ident, select_sql, view_table, where_clause
from queries.dataset.state import DatasetView

# -- limits: what one map view may send to the browser ----------------------------------------------------------------
MAX_POINTS = 5_000  # individual points (≈ 0.3 MB of pydeck JSON); above this, a grid of counts computed by DuckDB
MAX_CELLS = 5_000  # grid cells (≈ 0.5 MB of pydeck JSON)
MAX_POLYGONS = 3_000  # polygon outlines of a geometry dataset
COARSEN_STEPS = 4  # a dense view fills more cells than we send: double the cell size up to this many times

# -- web-mercator screen geometry and distances on the ground --------------------------------------------------------
TILE_PX = 256  # web-mercator tile size: the world is TILE_PX * 2**zoom pixels wide
CELL_PX = 4  # one grid cell per ~4×4 screen pixels at the view's zoom
VIEW_PX = (1200, 700)  # the map's size on screen (width, height), for the box a URL viewport shows
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), as in the SQL files' haversine distances
KM_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM / 180  # 111.195 km along a meridian, at any latitude


def km_per_degree_lon(lat: float) -> float:
    """Length (km) of one degree of longitude at this latitude: 111.195 km at the equator, × cos(latitude)."""
    return KM_PER_DEGREE_LAT * math.cos(math.radians(lat))


@dataclass(frozen=True)
class BBox:
    """A WGS84 bounding box."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def cell_size(zoom: float, lat: float) -> tuple[float, float]:
    """Grid cell (degrees of longitude, of latitude) of CELL_PX screen pixels at this zoom, square on the ground at
    latitude `lat`: a degree of longitude is cos(lat) times shorter than a degree of latitude."""
    cell_lon = 360.0 / (TILE_PX * 2 ** math.floor(zoom)) * CELL_PX
    return cell_lon, cell_lon * math.cos(math.radians(lat))


def cell_km(cell_lon: float, lat: float) -> float:
    """Width on the ground (km) of a cell `cell_lon` degrees wide at latitude `lat` (its height, from cell_size)."""
    return cell_lon * km_per_degree_lon(lat)


def view_bbox(lon: float, lat: float, zoom: float, width_px: int = VIEW_PX[0], height_px: int = VIEW_PX[1]) -> BBox:
    """The box a web-mercator map of that size shows around (lon, lat) at `zoom` (from the URL's `lon`, `lat`,
    `zoom`: Streamlit does not send the deck.gl viewport back to the server)."""
    deg_per_px = 360.0 / (TILE_PX * 2**zoom)
    half_w = width_px / 2 * deg_per_px
    half_h = height_px / 2 * deg_per_px * math.cos(math.radians(lat))
    return BBox(lon - half_w, lat - half_h, lon + half_w, lat + half_h)


# -- what the points map shows ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointMap:
    """The points layer of one view: `points` (lon, lat and the label columns) or a `grid` (lon, lat, n)."""

    kind: Literal["points", "grid"]
    frame: pd.DataFrame
    in_view: int  # located records in the view (the filtered count when the map is not centred)
    cell_km: float | None = None  # grid cell width on the ground, at the view's latitude


def point_map(view: DatasetView, schema: Schema, run: Callable[[Query], pd.DataFrame], *, total: int, zoom: float,
              lat: float, lon: float | None = None) -> PointMap:
    """Individual points when at most MAX_POINTS are in view, else DuckDB's grid of counts, cells sized for `zoom`
    at latitude `lat` and coarsened until fewer than MAX_CELLS are filled. With `lon`, the map is centred on
    (lon, lat): only its box is counted and queried; without, the whole filtered dataset (`total` records)."""
    bbox = view_bbox(lon, lat, zoom) if lon is not None else None
    in_view = int(run(points_count_query(view, schema, bbox)).loc[0, "n"]) if bbox is not None else total
    if in_view <= MAX_POINTS:
        return PointMap("points", run(points_query(view, schema, MAX_POINTS, bbox)), in_view)
    cell_lon, cell_lat = cell_size(zoom, lat)
    for _ in range(COARSEN_STEPS):
        grid = run(grid_query(view, schema, cell_lon, cell_lat, bbox, MAX_CELLS))
        if len(grid) < MAX_CELLS:
            break
        cell_lon, cell_lat = cell_lon * 2, cell_lat * 2
    return PointMap("grid", grid, in_view, cell_km(cell_lon, lat))


# -- the queries (the page's filters, values bound) ------------------------------------------------------------------
def _and(where: str, *conds: str) -> str:
    for cond in conds:
        if cond:
            where = (where + f"\n  AND {cond}") if where else f"WHERE {cond}"
    return where


def _located(view: DatasetView, schema: Schema, bind: Binder, bbox: BBox | None) -> tuple[str, str, str]:
    """(lon, lat, WHERE): the view's filters, located records only, inside `bbox` when given (bounds bound)."""
    lon_lat = schema.lon_lat
    assert lon_lat is not None
    lon, lat = ident(schema, lon_lat[0]), ident(schema, lon_lat[1])
    box = ""
    if bbox is not None:
        box = (f"CAST({lon} AS DOUBLE) BETWEEN {bind(float(bbox.min_lon))} AND {bind(float(bbox.max_lon))} "
               f"AND CAST({lat} AS DOUBLE) BETWEEN {bind(float(bbox.min_lat))} AND {bind(float(bbox.max_lat))}")
    return lon, lat, _and(where_clause(view, schema, bind), f"{lon} IS NOT NULL AND {lat} IS NOT NULL", box)


def points_query(view: DatasetView, schema: Schema, cap: int = MAX_POINTS, bbox: BBox | None = None) -> Query:
    """Individual points with the fields a tooltip shows, at most `cap`."""
    bind = Binder()
    lon, lat, where = _located(view, schema, bind, bbox)
    labels = [f"CAST({ident(schema, n)} AS VARCHAR) AS {ident(schema, n)}" for n in schema.label_columns]
    cols = [f"CAST({lon} AS DOUBLE) AS lon", f"CAST({lat} AS DOUBLE) AS lat", *labels]
    return Query(select_sql(cols, view_table(schema), where, f"LIMIT {bind(cap)}"), bind.params)


def points_count_query(view: DatasetView, schema: Schema, bbox: BBox | None = None) -> Query:
    """How many located records the view's filters keep inside the box (decides points or grid)."""
    bind = Binder()
    _, _, where = _located(view, schema, bind, bbox)
    return Query(select_sql(["count(*) AS n"], view_table(schema), where), bind.params)


def grid_query(view: DatasetView, schema: Schema, cell_lon: float, cell_lat: float, bbox: BBox | None = None,
               max_cells: int = MAX_CELLS) -> Query:
    """Located records counted per grid cell by DuckDB: the centre and count of each non-empty cell, the fullest
    first, at most `max_cells`."""
    bind = Binder()
    lon, lat, where = _located(view, schema, bind, bbox)
    cx, cy = bind(float(cell_lon)), bind(float(cell_lat))
    cols = [f"(floor(CAST({lon} AS DOUBLE) / {cx}) + 0.5) * {cx} AS lon",
            f"(floor(CAST({lat} AS DOUBLE) / {cy}) + 0.5) * {cy} AS lat", "count(*) AS n"]
    return Query(select_sql(cols, view_table(schema), where, f"GROUP BY 1, 2\nORDER BY n DESC\nLIMIT {bind(max_cells)}"),
                 bind.params)


def polygons_query(view: DatasetView, schema: Schema, cap: int = MAX_POLYGONS) -> Query:
    bind = Binder()
    geom = ident(schema, schema.geometry_column)
    labels = [f"CAST({ident(schema, n)} AS VARCHAR) AS {ident(schema, n)}" for n in schema.label_columns]
    where = _and(where_clause(view, schema, bind), f"{geom} IS NOT NULL")
    return Query(select_sql([f"{geom} AS geometry", *labels], view_table(schema), where, f"LIMIT {bind(cap)}"), bind.params)


def choropleth_query(view: DatasetView, schema: Schema, code_column: str, measure: str | None, agg: str) -> Query:
    """One value per commune code (count or an aggregate of a numeric column), under the view's filters."""
    bind = Binder()
    code = ident(schema, code_column)
    if agg == "count" or not measure:
        value = "count(*)"
    else:
        value = f"{AGG_SQL[agg]}({ident(schema, measure)})"
    where = _and(where_clause(view, schema, bind), f"{code} IS NOT NULL")
    cols = [f"CAST({code} AS VARCHAR) AS code", f"{value} AS value", "count(*) AS n"]
    return Query(select_sql(cols, view_table(schema), where, "GROUP BY 1"), bind.params)
