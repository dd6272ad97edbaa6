"""Geodata (GeoJSON, Shapefile zipped at any depth, GeoPackage): WGS84 geometry as GeoJSON text, points or
centroids as longitude/latitude columns, attributes typed like any table. What GDAL cannot know is detected: the
text encoding of a .dbf without .cpg, and a French projection (Lambert-93...) without .prj or `crs` member."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from loaders import LoadError
from loaders.detect.projection import projection_of
from loaders.readers.arrow_table import column_text, stage_arrow
from loaders.readers.staged import GEO_COLUMNS, Staged


def _zip_layers(path: Path) -> list[str]:
    """Shapefiles inside a zip, nested folders included, in archive order."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [n for n in zf.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
    except zipfile.BadZipFile as exc:
        raise LoadError(f"{path.name} : archive ZIP illisible ({exc}).") from exc


def _dbf_bytes(path: Path, member: str | None) -> tuple[bytes, bool]:
    """The .dbf of a shapefile (the zip member's or the file's sibling) and whether a .cpg declares its encoding."""
    if member is not None:
        stem = member[:-4]
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            dbf = names.get(f"{stem}.dbf".lower())
            return (zf.read(dbf) if dbf else b""), f"{stem}.cpg".lower() in names
    dbf_path, cpg = path.with_suffix(".dbf"), path.with_suffix(".cpg")
    return (dbf_path.read_bytes() if dbf_path.is_file() else b""), cpg.is_file()


def dbf_encoding(data: bytes) -> str | None:
    """UTF-8 when the records of a .dbf decode as UTF-8 and hold non-ASCII text, else cp1252 when they hold
    non-ASCII bytes; None for plain ASCII (GDAL's default is then harmless)."""
    if len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    records = data[header_len:].replace(b"\x00", b" ")
    if records.isascii():
        return None
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "UTF-8"


def _choose_layer(path: Path, layers: list[str], wanted: Any, warnings: list[str]) -> str:
    import pyogrio

    if not layers:
        raise LoadError(f"{path.name} : archive ZIP sans Shapefile (.shp).")
    stems = {Path(n).stem: n for n in layers}
    if wanted is not None:
        if str(wanted) in stems:
            return stems[str(wanted)]
        raise LoadError(f"{path.name} : couche « {wanted} » absente (couches : {', '.join(stems)}).")
    if len(layers) == 1:
        return layers[0]
    # several shapefiles (a CNIG servitude: generating and envelope layers): the one with the most features
    counts = {n: int(pyogrio.read_info(f"/vsizip/{path}/{n}").get("features") or 0) for n in layers}
    best = max(layers, key=lambda n: counts[n])
    warnings.append(f"L'archive contient {len(layers)} couches ; « {Path(best).stem} » ({counts[best]} objets) a été "
                    f"chargée (option « layer » pour en choisir une autre : {', '.join(stems)}).")
    return best


def _in_degrees(gdf: Any) -> bool:
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    # NaN bounds (no geometry) compare false: nothing to reproject either
    return not (xmin < -180 or xmax > 360 or ymin < -90 or ymax > 90)


def _undeclared_crs(gdf: Any, warnings: list[str]) -> tuple[Any, str]:
    """A layer without projection: WGS84 if its coordinates are degrees, else a French projection recognised from
    the coordinate range, reprojected; anything else is refused rather than drawn in the ocean."""
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    if not gdf.geometry.notna().any() or _in_degrees(gdf):
        warnings.append("Système de coordonnées absent : WGS84 (EPSG:4326) supposé (coordonnées en degrés).")
        return gdf.set_crs(4326, allow_override=True), "EPSG:4326"
    found = projection_of(xmin, xmax, ymin, ymax)
    if found:
        epsg, label = found
        warnings.append(f"Système de coordonnées absent : coordonnées en mètres reconnues comme {label} "
                        f"(EPSG:{epsg}), converties en WGS84.")
        return gdf.set_crs(epsg, allow_override=True).to_crs(4326), f"EPSG:{epsg}"
    raise LoadError(f"Système de coordonnées absent et non reconnu (x de {xmin:.0f} à {xmax:.0f}, y de {ymin:.0f} à "
                    f"{ymax:.0f}) : ajoutez le fichier .prj ou le membre « crs ».")


def _read(path: Path, fmt: str, options: dict[str, Any], warnings: list[str]) -> tuple[Any, dict[str, Any]]:
    try:
        return _read_layer(path, fmt, options, warnings)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL and zipfile errors come in many classes (damaged archives)
        raise LoadError(f"{path.name} : fichier géographique illisible ({str(exc).splitlines()[0][:300]}).") from exc


def _read_layer(path: Path, fmt: str, options: dict[str, Any], warnings: list[str]) -> tuple[Any, dict[str, Any]]:
    import pyogrio

    layer = options.get("layer")
    info: dict[str, Any] = {"layer": layer}
    member = None
    target = str(path)
    kwargs: dict[str, Any] = {}
    if fmt == "shapefile" and path.suffix.lower() == ".zip":
        layers = _zip_layers(path)
        member = _choose_layer(path, layers, layer, warnings)
        target, layer = f"/vsizip/{path}/{member}", None
        info.update(layers=[Path(n).stem for n in layers], layer=Path(member).stem)
    if fmt == "shapefile":
        dbf, declared = _dbf_bytes(path, member)
        encoding = None if declared else dbf_encoding(dbf)
        if encoding:
            kwargs["encoding"] = encoding
            warnings.append(f"Encodage des attributs (.dbf) non déclaré (pas de .cpg) : {encoding} détecté.")
            info["encoding"] = encoding.lower()
    gdf = pyogrio.read_dataframe(target, layer=layer, **kwargs)
    if fmt == "gpkg" and layer is None and len(pyogrio.list_layers(target)) > 1:
        names = [str(n) for n, _ in pyogrio.list_layers(target)]
        info.update(layers=names, layer=names[0])
        warnings.append(f"Le GeoPackage contient plusieurs couches ; « {names[0]} » a été chargée (option "
                        f"« layer » pour en choisir une autre : {', '.join(names)}).")
    return gdf, info


def stage_geo(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: dict[str, Any]) -> Staged:
    """GeoJSON, zipped Shapefile, GeoPackage: reprojected to WGS84, geometry kept as GeoJSON text."""
    import shapely

    warnings: list[str] = []
    gdf, info = _read(path, fmt, options, warnings)
    # GeoJSON without a `crs` member is read as WGS84 by GDAL (RFC 7946): metres there mean an undeclared projection
    if gdf.crs is None or (gdf.crs.to_epsg() == 4326 and not _in_degrees(gdf)):
        gdf, projection = _undeclared_crs(gdf, warnings)
    else:
        epsg = gdf.crs.to_epsg()
        projection = f"EPSG:{epsg}" if epsg else gdf.crs.name
        if epsg != 4326:
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
    dialect = {"format": fmt, "encoding": info.get("encoding"), "delimiter": None, "decimal": ".",
               "header_row": None, "layer": info.get("layer"), "layers": info.get("layers"), "projection": projection}
    staged = stage_arrow(con, pa.table(arrays), [str(c) for c in attrs.columns], typed, options, dialect, warnings)
    staged.geo = geo
    return staged
