"""Python functions the executor's DuckDB connections know: what DuckDB cannot compute without its spatial extension,
which cannot be downloaded here (the portal works offline).

`territoire_convex_hull(list of [lon, lat])` is the convex hull of points as GeoJSON text (a Point, LineString or
Polygon, as shapely gives it), or NULL for no point: ODSQL's `envelope()` aggregate is this function over the
distinct points of each group (api/odsql/geo.py).
"""

from __future__ import annotations

import json

import duckdb
import shapely
from shapely.geometry import mapping

CONVEX_HULL = "territoire_convex_hull"


def convex_hull(points: list[list[float]] | None) -> str | None:
    if not points:
        return None
    return json.dumps(mapping(shapely.MultiPoint(points).convex_hull))


def register(con: duckdb.DuckDBPyConnection) -> None:
    point_list = duckdb.list_type(duckdb.list_type(duckdb.sqltype("DOUBLE")))
    con.create_function(CONVEX_HULL, convex_hull, [point_list], duckdb.sqltype("VARCHAR"), null_handling="special")
