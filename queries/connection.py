"""How the executor's DuckDB connections are opened: bounded memory and threads, offline, the Python functions the
portal adds, then locked down (only the warehouse readable, nothing written or loaded, settings frozen).

`territoire_convex_hull(list of [lon, lat])` is the convex hull of points as GeoJSON text (a Point, LineString or
Polygon, as shapely gives it), or NULL for no point: what DuckDB cannot compute without its spatial extension, which
cannot be downloaded here. ODSQL's `envelope()` aggregate is this function over the distinct points of each group
(api/odsql/geo.py).

`territoire_area_km2(geojson text)` is the geodesic area (km², on the WGS84 ellipsoid, pyproj) of a GeoJSON polygon or
multipolygon in WGS84, NULL for NULL: the one area of the portal (density indicator, commune page). Planar areas in
degrees would be wrong by a factor that varies with latitude, hence the ellipsoid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import shapely
from pyproj import Geod
from shapely.geometry import mapping, shape

from config import Settings

CONVEX_HULL = "territoire_convex_hull"
AREA_KM2 = "territoire_area_km2"
WGS84 = Geod(ellps="WGS84")


def convex_hull(points: list[list[float]] | None) -> str | None:
    if not points:
        return None
    return json.dumps(mapping(shapely.MultiPoint(points).convex_hull))


def area_km2(geojson: str | None) -> float | None:
    if geojson is None:
        return None
    # The sign of pyproj's area follows the ring orientation, which GeoJSON files do not all respect.
    area, _ = WGS84.geometry_area_perimeter(shape(json.loads(geojson)))
    return abs(area) / 1e6


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    point_list = duckdb.list_type(duckdb.list_type(duckdb.sqltype("DOUBLE")))
    con.create_function(CONVEX_HULL, convex_hull, [point_list], duckdb.sqltype("VARCHAR"), null_handling="special")
    con.create_function(AREA_KM2, area_km2, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("DOUBLE"),
                        null_handling="special")


def _config(settings: Settings, memory_limit: str, threads: int, temp_dir: Path | None) -> dict[str, Any]:
    tmp = temp_dir or settings.data_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {  # the sandbox's private temp dir also caps what a query may spill to disk
        "memory_limit": memory_limit, "threads": threads, "temp_directory": str(tmp),
        **({"max_temp_directory_size": f"{settings.sql_max_memory}B"} if temp_dir else {}),
        # Offline by design: never try to download an extension at query time.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }


def _lock_down(con: duckdb.DuckDBPyConnection, warehouse_dir: Path, files: list[Path] | None) -> None:
    """Only the warehouse directory (or exactly `files`) stays readable; nothing can be written or loaded; settings
    are frozen. Paths come from the settings and the registry (checked ids and versions), never from input."""
    setting, paths = ("allowed_paths", files) if files is not None else ("allowed_directories", [f"{warehouse_dir.resolve()}/"])
    con.execute(f"SET {setting}=[{', '.join(chr(39) + str(p).replace(chr(39), chr(39) * 2) + chr(39) for p in paths)}]")
    con.execute("SET enable_external_access=false")
    con.execute("SET lock_configuration=true")


def open_locked(settings: Settings, memory_limit: str, threads: int, temp_dir: Path | None,
                allowed_files: list[Path] | None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection ready for the executor (`allowed_files`: the SQL sandbox reads only these files)."""
    con = duckdb.connect(":memory:", config=_config(settings, memory_limit, threads, temp_dir))
    register_functions(con)
    _lock_down(con, settings.warehouse_dir, allowed_files)
    return con
