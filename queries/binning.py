"""Map payloads of point datasets: grid bins per zoom level computed by DuckDB, individual points once zoomed in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from queries import QueryError, dataset_meta, ident, render_sql, table_name, warehouse
from queries.cache import cached
from catalogue.schema import Schema
from queries.dataset.sql import AGG_SQL, Binder, Query, ident, select_sql, view_table, where_clause
from queries.dataset.state import DatasetView

TILE_PX = 256  # web-mercator tile size: the world is TILE_PX * 2**zoom pixels wide
CELL_PX = 8  # one bin per ~8×8 screen pixels: finer than the eye needs, coarse enough to stay small
POINT_ZOOM = 12.0  # from this zoom on, individual points are sent when there are few enough in view
MAX_POINTS = 10_000  # most individual points sent to the browser for one view (≈ 0.6 MB of pydeck JSON)
POINTS_CAP = 5_000  # above this many points the map shows a grid of counts computed by DuckDB
POLYGONS_CAP = 3_000
MAX_BINS = 50_000  # a safety cap: even a huge viewport at a fine zoom cannot send more cells than this


@dataclass(frozen=True)
class BBox:
    """A WGS84 bounding box."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def rounded(self, digits: int = 4) -> BBox:
        """Rounded outwards, so that nearly identical views share one cache entry."""
        f = 10**digits
        return BBox(math.floor(self.min_lon * f) / f, math.floor(self.min_lat * f) / f,
                    math.ceil(self.max_lon * f) / f, math.ceil(self.max_lat * f) / f)

    def params(self) -> dict[str, float]:
        return {"min_lon": self.min_lon, "min_lat": self.min_lat, "max_lon": self.max_lon, "max_lat": self.max_lat}

    @property
    def centre_lat(self) -> float:
        return (self.min_lat + self.max_lat) / 2


@dataclass(frozen=True)
class MapData:
    """What the map draws: `bins` (lon, lat, n) or `points` (lon, lat), with the number of points it covers."""

    kind: Literal["bins", "points"]
    frame: pd.DataFrame
    zoom: float
    points_in_view: int


def geo_columns(dataset_id: str) -> tuple[str, str]:
    """The longitude/latitude columns of a point dataset, from its meta.json (`geo`), else by their usual names."""
    meta = dataset_meta(dataset_id)
    names = [c["name"] for c in meta.get("columns", [])]
    geo = meta.get("geo") or {}
    lon, lat = geo.get("lon"), geo.get("lat")
    if lon in names and lat in names:
        return str(lon), str(lat)
    for lon_name, lat_name in (("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"), ("x", "y")):
        if lon_name in names and lat_name in names:
            return lon_name, lat_name
    raise QueryError("Ce jeu de données n'a pas de colonnes longitude/latitude.")


def cell_size(zoom: float, lat: float) -> tuple[float, float]:
    """Cell size in degrees (lon, lat) for CELL_PX screen pixels at this zoom; latitude cells shrink with cos(lat)
    so that cells stay roughly square on a web-mercator map."""
    cell_lon = 360.0 / (TILE_PX * 2 ** math.floor(zoom)) * CELL_PX
    return cell_lon, cell_lon * math.cos(math.radians(lat))


def zoom_to_fit(bbox: BBox, width_px: int = 1200, height_px: int = 700) -> float:
    """The web-mercator zoom at which `bbox` fills a viewport of that size (the map's opening view)."""

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = (bbox.max_lon - bbox.min_lon) / 360.0
    span_y = (merc_y(bbox.max_lat) - merc_y(bbox.min_lat)) / (2 * math.pi)
    zx = math.log2(width_px / TILE_PX / max(span_x, 1e-9))
    zy = math.log2(height_px / TILE_PX / max(span_y, 1e-9))
    return round(min(zx, zy, 20.0), 2)


def view_bbox(lon: float, lat: float, zoom: float, width_px: int = 1200, height_px: int = 700) -> BBox:
    """The bounding box a web-mercator map of that size shows around (lon, lat) at `zoom` (e.g. from the URL's
    `lon`, `lat`, `zoom`: Streamlit does not send the deck.gl viewport back to the server)."""
    deg_per_px = 360.0 / (TILE_PX * 2**zoom)
    half_w = width_px / 2 * deg_per_px
    half_h = height_px / 2 * deg_per_px * math.cos(math.radians(lat))
    return BBox(lon - half_w, lat - half_h, lon + half_w, lat + half_h)


@cached
def extent(dataset_id: str) -> BBox:
    """The dataset's bounding box: from the loader's profile (min/max), else one aggregate query."""
    lon, lat = geo_columns(dataset_id)
    profile = dataset_meta(dataset_id).get("profile") or {}
    try:
        return BBox(float(profile[lon]["min"]), float(profile[lat]["min"]), float(profile[lon]["max"]),
                    float(profile[lat]["max"]))
    except (KeyError, TypeError, ValueError):
        pass
    wh = warehouse()
    sql = (f"SELECT min({ident(lon, [lon])}), min({ident(lat, [lat])}), max({ident(lon, [lon])}), "  # noqa: S608
           f"max({ident(lat, [lat])}) FROM {table_name(dataset_id)}")  # idents allow-listed and quoted
    row = wh.execute(sql, {}, max_rows=1).frame.iloc[0]
    return BBox(*(float(v) for v in row))


def _idents(dataset_id: str) -> dict[str, Any]:
    lon, lat = geo_columns(dataset_id)
    return {"table": table_name(dataset_id), "lon": ident(lon, [lon]), "lat": ident(lat, [lat])}


@cached
def binned_points(dataset_id: str, zoom: float, bbox: BBox) -> pd.DataFrame:
    """Points per grid cell (lon, lat, n) in `bbox` at `zoom`: the whole aggregation runs in DuckDB."""
    cell_lon, cell_lat = cell_size(zoom, bbox.centre_lat)
    sql = render_sql("points_binned", _idents(dataset_id))
    frame = warehouse().execute(sql, {"cell_lon": cell_lon, "cell_lat": cell_lat, **bbox.params()},
                                max_rows=MAX_BINS).frame
    frame["n"] = frame["n"].astype("int64")
    return frame


@cached
def points_in_view(dataset_id: str, bbox: BBox, limit: int = MAX_POINTS) -> pd.DataFrame:
    """Individual points (lon, lat) in `bbox`, at most `limit` (+1 to tell that there were more)."""
    sql = render_sql("points_in_view", _idents(dataset_id))
    return warehouse().execute(sql, {**bbox.params(), "limit": limit + 1}, max_rows=limit + 1).frame


def map_data(dataset_id: str, zoom: float | None = None, bbox: BBox | None = None, *,
             point_zoom: float = POINT_ZOOM, max_points: int = MAX_POINTS) -> MapData:
    """The map payload for a view: bins at low zoom; individual points from `point_zoom` on when ≤ `max_points`.

    Without a view, the territory view: the dataset's extent at the zoom that fits it.
    """
    bbox = (bbox or extent(dataset_id)).rounded()
    zoom = zoom_to_fit(bbox) if zoom is None else zoom
    if zoom >= point_zoom:
        pts = points_in_view(dataset_id, bbox, max_points)
        if len(pts) <= max_points:
            return MapData("points", pts, zoom, len(pts))
    bins = binned_points(dataset_id, zoom, bbox)
    return MapData("bins", bins, zoom, int(bins["n"].sum()) if len(bins) else 0)


# -- the dataset page's map queries (built with the page's filters, values bound) ---------------------------------
def _and(where: str, *conds: str) -> str:
    for cond in conds:
        if cond:
            where = (where + f"\n  AND {cond}") if where else f"WHERE {cond}"
    return where


def _bbox_clause(lon: str, lat: str, bbox: BBox | None, bind: Binder) -> str:
    """Points inside a WGS84 box; the bounds are bound values."""
    if bbox is None:
        return ""
    return (f"CAST({lon} AS DOUBLE) BETWEEN {bind(float(bbox.min_lon))} AND {bind(float(bbox.max_lon))} "
            f"AND CAST({lat} AS DOUBLE) BETWEEN {bind(float(bbox.min_lat))} AND {bind(float(bbox.max_lat))}")


def points_query(view: DatasetView, schema: Schema, cap: int = POINTS_CAP, bbox: BBox | None = None) -> Query:
    """Individual points with the fields a tooltip shows (call only when the filtered count is at most `cap`)."""
    lon_lat = schema.lon_lat
    assert lon_lat is not None
    bind = Binder()
    lon, lat = ident(schema, lon_lat[0]), ident(schema, lon_lat[1])
    labels = [f"CAST({ident(schema, n)} AS VARCHAR) AS {ident(schema, n)}" for n in schema.label_columns]
    where = _and(where_clause(view, schema, bind), f"{lon} IS NOT NULL AND {lat} IS NOT NULL",
                 _bbox_clause(lon, lat, bbox, bind))
    cols = [f"CAST({lon} AS DOUBLE) AS lon", f"CAST({lat} AS DOUBLE) AS lat", *labels]
    return Query(select_sql(cols, view_table(schema), where, f"LIMIT {bind(cap)}"), bind.params)


def points_count_query(view: DatasetView, schema: Schema, bbox: BBox | None = None) -> Query:
    """How many located points the current filter has inside the map's view (decides points or grid)."""
    lon_lat = schema.lon_lat
    assert lon_lat is not None
    bind = Binder()
    lon, lat = ident(schema, lon_lat[0]), ident(schema, lon_lat[1])
    where = _and(where_clause(view, schema, bind), f"{lon} IS NOT NULL AND {lat} IS NOT NULL",
                 _bbox_clause(lon, lat, bbox, bind))
    return Query(select_sql(["count(*) AS n"], view_table(schema), where), bind.params)


def grid_query(view: DatasetView, schema: Schema, cell_deg: float = 0.02, cell_lat_deg: float | None = None,
               bbox: BBox | None = None, max_cells: int = 50_000) -> Query:
    """Points binned on a regular grid by DuckDB: one cell centre and its count per non-empty cell (cells sized
    for the zoom, restricted to the view when one is known)."""
    lon_lat = schema.lon_lat
    assert lon_lat is not None
    bind = Binder()
    lon, lat = ident(schema, lon_lat[0]), ident(schema, lon_lat[1])
    where = _and(where_clause(view, schema, bind), f"{lon} IS NOT NULL AND {lat} IS NOT NULL",
                 _bbox_clause(lon, lat, bbox, bind))
    cell, cell_lat = bind(cell_deg), bind(cell_lat_deg if cell_lat_deg is not None else cell_deg)
    cols = [f"(floor(CAST({lon} AS DOUBLE) / {cell}) + 0.5) * {cell} AS lon",
            f"(floor(CAST({lat} AS DOUBLE) / {cell_lat}) + 0.5) * {cell_lat} AS lat", "count(*) AS n"]
    return Query(select_sql(cols, view_table(schema), where, f"GROUP BY 1, 2\nORDER BY n DESC\nLIMIT {bind(max_cells)}"),
                 bind.params)


def polygons_query(view: DatasetView, schema: Schema, cap: int = POLYGONS_CAP) -> Query:
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
