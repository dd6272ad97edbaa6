"""Geodata (GeoJSON, zipped Shapefile, GeoPackage): WGS84 geometry as GeoJSON text, points or centroids as
longitude/latitude columns, attributes typed like any table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from loaders import LoadError
from loaders.readers.arrow_table import column_text, stage_arrow
from loaders.readers.staged import GEO_COLUMNS, Staged


def stage_geo(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: dict[str, Any]) -> Staged:
    """GeoJSON, zipped Shapefile, GeoPackage: reprojected to WGS84, geometry kept as GeoJSON text."""
    import pyogrio
    import shapely

    warnings: list[str] = []
    layer = options.get("layer")
    target = f"/vsizip/{path}" if fmt == "shapefile" and path.suffix.lower() == ".zip" else str(path)
    try:
        gdf = pyogrio.read_dataframe(target, layer=layer)
        if fmt == "gpkg" and layer is None and len(pyogrio.list_layers(target)) > 1:
            warnings.append(f"Le GeoPackage contient plusieurs couches ; « {pyogrio.list_layers(target)[0][0]} » "
                            "a été chargée (option « layer » pour en choisir une autre).")
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in several classes
        raise LoadError(f"{path.name} : fichier géographique illisible ({exc}).") from exc
    if gdf.crs is None:
        warnings.append("Système de coordonnées absent : WGS84 (EPSG:4326) supposé.")
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry.values
    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    geojson = shapely.to_geojson(geoms)
    extra: dict[str, pa.Array] = {"geometry": pa.array(geojson, type=pa.string())}
    if kinds and kinds <= {0}:  # 0 = Point
        geo = {"kind": "point", "lon": "longitude", "lat": "latitude", "geometry": "geometry"}
        extra["longitude"] = pa.array(shapely.get_x(geoms), type=pa.float64(), from_pandas=True)
        extra["latitude"] = pa.array(shapely.get_y(geoms), type=pa.float64(), from_pandas=True)
    else:
        # every non-point geometry (lines included) gets a centroid, so the map can always place a marker
        cent = shapely.centroid(geoms)
        geo = {"kind": "polygon", "lon": "centroid_lon", "lat": "centroid_lat", "geometry": "geometry"}
        extra["centroid_lon"] = pa.array(shapely.get_x(cent), type=pa.float64(), from_pandas=True)
        extra["centroid_lat"] = pa.array(shapely.get_y(cent), type=pa.float64(), from_pandas=True)
    attrs = gdf.drop(columns=gdf.geometry.name)
    attrs = attrs.drop(columns=[c for c in attrs.columns if str(c).lower() in GEO_COLUMNS])
    # lists and objects in properties (GeoJSON) become JSON text: Arrow cannot cast them to text itself
    arrays = {f"c{i}": column_text(attrs[c]) for i, c in enumerate(attrs.columns)}
    arrays.update(extra)
    typed = {"geometry": "geometry", **{k: "number" for k in extra if k != "geometry"}}
    dialect = {"format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "header_row": None,
               "layer": layer}
    staged = stage_arrow(con, pa.table(arrays), [str(c) for c in attrs.columns], typed, options, dialect, warnings)
    staged.geo = geo
    return staged
