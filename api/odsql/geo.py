"""ODSQL's geo functions over a geo_point_2d field (a longitude and a latitude column): within_distance(), in_bbox(),
intersects() / within() / disjoint() with a polygon, distance(), bbox(), geo_cluster(). DuckDB's spatial extension is
not available offline, so the geometry is computed in plain SQL: haversine distances, and an even-odd ray cast
over the polygon's edges (bound as one list parameter)."""

from __future__ import annotations

import json
import math
import re

import shapely
import shapely.errors
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from api.odsql import ast
from api.odsql.context import Context, Typed
from api.odsql.schema import FieldInfo
from queries.connection import CONVEX_HULL

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG), as ODS and most web maps use
METERS_PER_DEGREE = 111_195.08  # of latitude, on that sphere
UNITS_M = {"mi": 1609.344, "yd": 0.9144, "ft": 0.3048, "m": 1.0, "cm": 0.01, "km": 1000.0, "mm": 0.001}
MAX_VERTICES = 10_000
MAX_GEOMETRY_CHARS = 200_000


def point_field(ctx: Context, node: ast.Node, function: str) -> tuple[str, str]:
    """The quoted longitude and latitude columns of the geo_point_2d field `node`."""
    if not isinstance(node, ast.Field):
        raise ctx.error(node, f"{function}() expects a geo field as its first argument")
    info: FieldInfo = ctx.field_info(node)
    if info.type == "geo_shape":
        raise ctx.error(node, f"{function}() is not supported on geo_shape fields (only geo_point_2d): {info.name}")
    if info.type != "geo_point_2d" or not (info.lon and info.lat):
        points = [f.name for f in ctx.schema.of_type({"geo_point_2d"})]
        hint = f" (this dataset's point field is {points[0]})" if points else " (this dataset has no geo_point_2d field)"
        raise ctx.error(node, f"{function}() expects a geo_point_2d field, {info.name} is {info.type}{hint}")
    return ctx.column(info.lon), ctx.column(info.lat)


def geometry(ctx: Context, node: ast.Node, function: str) -> shapely.Geometry:
    """A geom'…' literal (WKT or GeoJSON), read with shapely."""
    if not isinstance(node, ast.GeomLiteral):
        raise ctx.error(node, f"{function}() expects a geometry literal, e.g. geom'POINT(0.72 45.18)'")
    text = node.text.strip()
    if len(text) > MAX_GEOMETRY_CHARS:
        raise ctx.error(node, "geometry literal too large")
    try:
        geom = shape(json.loads(text)) if text.startswith("{") else _from_wkt(text)
    except Exception as exc:  # noqa: BLE001 - shapely/json raise many kinds; all mean "not a geometry"
        raise ctx.error(node, f"invalid geometry literal: {str(exc)[:120]}") from None
    if geom is None or geom.is_empty:
        raise ctx.error(node, "empty geometry literal")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise ctx.error(node, f"geometry literal with more than {MAX_VERTICES} vertices")
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.flatten()):
        raise ctx.error(node, "geometry literal with non-finite coordinates")
    return geom


def _from_wkt(text: str) -> shapely.Geometry:
    """WKT, with polygon rings closed when their last point was left out (ODS's own example polygon is not
    closed; GeoJSON polygons are closed by shapely.geometry.shape already)."""
    try:
        return shapely.from_wkt(text)
    except shapely.errors.GEOSException:
        m = re.fullmatch(r"\s*(MULTI)?POLYGON\s*\((.*)\)\s*", text, flags=re.IGNORECASE | re.DOTALL)
        if m is None:
            raise
    polygons = []
    for body in re.split(r"\)\s*\)\s*,\s*\(\s*\(", m.group(2).strip()[1:-1]) if m.group(1) else [m.group(2)]:
        rings = [[tuple(float(v) for v in point.split()) for point in ring.split(",")]
                 for ring in re.findall(r"\(([^()]*)\)", "(" + body.strip().strip("()") + ")")]
        polygons.append(Polygon(rings[0], rings[1:]))
    return polygons[0] if not m.group(1) else MultiPolygon(polygons)


def haversine(ctx: Context, lon: str, lat: str, center: Point) -> str:
    """Great-circle distance in meters between the columns and a bound point."""
    clon, clat = ctx.bind(float(center.x)), ctx.bind(float(center.y))
    radius = ctx.bind(EARTH_RADIUS_M)
    return (f"(2 * {radius} * asin(sqrt(pow(sin(radians({lat} - {clat}) / 2), 2) + cos(radians({clat})) * "
            f"cos(radians({lat})) * pow(sin(radians({lon} - {clon}) / 2), 2))))")


def _number(ctx: Context, node: ast.Node, what: str) -> float:
    typed = node.operand if isinstance(node, ast.Negative) else node
    if not (isinstance(typed, ast.Literal) and typed.kind == "number"):
        raise ctx.error(node, f"{what} must be a number")
    return -float(typed.value) if isinstance(node, ast.Negative) else float(typed.value)


def within_distance(ctx: Context, node: ast.Func) -> str:
    if len(node.args) != 3:
        raise ctx.error(node, "within_distance() expects a geo field, a point and a distance, e.g. "
                              "within_distance(geo_point_2d, geom'POINT(0.72 45.18)', 5km)")
    lon, lat = point_field(ctx, node.args[0], "within_distance")
    center = geometry(ctx, node.args[1], "within_distance")
    if not isinstance(center, Point):
        raise ctx.error(node.args[1], f"within_distance() expects a point, got a {center.geom_type}")
    dist_node = node.args[2]
    if isinstance(dist_node, ast.Quantity):
        if dist_node.unit not in UNITS_M:
            raise ctx.error(dist_node, f"unknown distance unit '{dist_node.unit}' (mi, yd, ft, m, cm, km, mm)")
        meters = dist_node.value * UNITS_M[dist_node.unit]
    else:
        meters = _number(ctx, dist_node, "the distance")
    if not (0 <= meters <= 2.1e7) or not -90 <= center.y <= 90:
        raise ctx.error(dist_node, "distance or center out of range")
    # A box around the circle first (cheap, prunes most rows), then the exact distance.
    dlat = meters / METERS_PER_DEGREE
    cos_lat = math.cos(math.radians(center.y))
    box = f"{lat} BETWEEN {ctx.bind(center.y - dlat)} AND {ctx.bind(center.y + dlat)}"
    if cos_lat > 0.01 and meters / (METERS_PER_DEGREE * cos_lat) < 180:
        dlon = meters / (METERS_PER_DEGREE * cos_lat)
        box += f" AND {lon} BETWEEN {ctx.bind(center.x - dlon)} AND {ctx.bind(center.x + dlon)}"
    return f"({box} AND {haversine(ctx, lon, lat, center)} <= {ctx.bind(meters)})"


def in_bbox(ctx: Context, node: ast.Func) -> str:
    if len(node.args) != 5:
        raise ctx.error(node, "in_bbox() expects a geo field and lat1, lon1, lat2, lon2")
    lon, lat = point_field(ctx, node.args[0], "in_bbox")
    lat1, lon1, lat2, lon2 = (_number(ctx, a, "in_bbox() coordinates") for a in node.args[1:])
    return (f"({lat} BETWEEN {ctx.bind(min(lat1, lat2))} AND {ctx.bind(max(lat1, lat2))} AND "
            f"{lon} BETWEEN {ctx.bind(min(lon1, lon2))} AND {ctx.bind(max(lon1, lon2))})")


def _point_in_polygons(ctx: Context, lon: str, lat: str, geom: Polygon | MultiPolygon) -> str:
    """Even-odd rule over every ring's edges (holes and several polygons included), inside the bounding box."""
    edges = []
    polygons = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            pts = list(ring.coords)
            for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
                if y1 != y2:  # horizontal edges never cross a horizontal ray
                    edges.append({"x1": float(x1), "y1": float(y1), "x2": float(x2), "y2": float(y2)})
    minx, miny, maxx, maxy = geom.bounds
    crossing = (f"len(list_filter({ctx.bind(edges)}, lambda e: ((e.y1 > {lat}) <> (e.y2 > {lat})) AND "
                f"({lon} < (e.x2 - e.x1) * ({lat} - e.y1) / (e.y2 - e.y1) + e.x1))) % 2 = 1")
    return (f"({lon} BETWEEN {ctx.bind(minx)} AND {ctx.bind(maxx)} AND {lat} BETWEEN {ctx.bind(miny)} AND "
            f"{ctx.bind(maxy)} AND {crossing})")


def spatial(ctx: Context, node: ast.Func) -> str:
    """intersects(), within(), disjoint() of a point field with a polygon (or a point) literal."""
    if len(node.args) != 2:
        raise ctx.error(node, f"{node.name}() expects a geo field and a geometry literal")
    lon, lat = point_field(ctx, node.args[0], node.name)
    geom = geometry(ctx, node.args[1], node.name)
    if isinstance(geom, (Polygon, MultiPolygon)):
        inside = _point_in_polygons(ctx, lon, lat, geom)
    elif isinstance(geom, Point):
        inside = f"({lon} = {ctx.bind(float(geom.x))} AND {lat} = {ctx.bind(float(geom.y))})"
    else:
        raise ctx.error(node.args[1], f"{node.name}() of a point field supports polygons and points, "
                                      f"not {geom.geom_type}")
    if node.name == "disjoint":
        return f"({lon} IS NOT NULL AND {lat} IS NOT NULL AND NOT coalesce({inside}, FALSE))"
    return inside


def distance(ctx: Context, node: ast.Func) -> Typed:
    if len(node.args) != 2:
        raise ctx.error(node, "distance() expects a geo field and a point")
    lon, lat = point_field(ctx, node.args[0], "distance")
    center = geometry(ctx, node.args[1], "distance")
    if not isinstance(center, Point):
        raise ctx.error(node.args[1], f"distance() expects a point, got a {center.geom_type}")
    return Typed(haversine(ctx, lon, lat, center), "double")


def bbox(ctx: Context, node: ast.Func) -> Typed:
    """The bounding box of the points, as a GeoJSON Polygon (text)."""
    if len(node.args) != 1:
        raise ctx.error(node, "bbox() expects a geo field")
    lon, lat = point_field(ctx, node.args[0], "bbox")
    x0, y0, x1, y1 = f"min({lon})", f"min({lat})", f"max({lon})", f"max({lat})"
    ring = f"[[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}], [{x0}, {y0}]]"
    return Typed(f"(CASE WHEN count({lon}) = 0 THEN NULL ELSE CAST(to_json(struct_pack(type := "
                 f"{ctx.bind('Polygon')}, coordinates := [{ring}])) AS VARCHAR) END)", "geo_shape", aggregate=True)


def envelope(ctx: Context, node: ast.Func) -> Typed:
    """The convex hull of the points (GeoJSON text), computed by the executor's `territoire_convex_hull` (shapely)
    over the distinct points of the group."""
    if len(node.args) != 1:
        raise ctx.error(node, "envelope() expects a geo_point_2d field")
    lon, lat = point_field(ctx, node.args[0], "envelope")
    points = f"list(DISTINCT [{lon}::DOUBLE, {lat}::DOUBLE]) FILTER (WHERE {lon} IS NOT NULL AND {lat} IS NOT NULL)"
    return Typed(f"{CONVEX_HULL}({points})", "geo_shape", aggregate=True)


def geo_cluster(ctx: Context, node: ast.Func) -> Typed:
    """Groups of nearby points: a grid whose cell is `radius` pixels of a 256-pixel tile at `zoom` (ODS's geohash
    grid, without its second merging pass); each group is named by its cell's centre."""
    if not 2 <= len(node.args) <= 3:
        raise ctx.error(node, "geo_cluster() expects a geo field, a zoom level and an optional radius")
    lon, lat = point_field(ctx, node.args[0], "geo_cluster")
    zoom = _number(ctx, node.args[1], "the zoom level")
    radius = _number(ctx, node.args[2], "the radius") if len(node.args) == 3 else 40.0
    if not (0 <= zoom <= 25 and zoom == int(zoom)) or not 0 < radius <= 10_000:
        raise ctx.error(node, "geo_cluster(): zoom is an integer from 0 to 25, radius a positive number")
    cell = ctx.bind(360.0 / 2 ** int(zoom) * radius / 256.0)
    ctx.extra_where.append(f"({lon} IS NOT NULL AND {lat} IS NOT NULL)")
    key = (f"struct_pack(lon := (floor({lon} / {cell}) + 0.5) * {cell}, "
           f"lat := (floor({lat} / {cell}) + 0.5) * {cell})")
    return Typed(key, "geo_point_2d")
