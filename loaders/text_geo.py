"""Coordinates and shapes written as text in a table: a « lat, lon » point column (« Geo Point » of Opendatasoft CSV
exports, « coordonnees ») or a GeoJSON geometry inside a field (« Geo Shape »). Checked over the whole column after the
typed COPY, then turned into the portal's map columns: latitude/longitude numbers for points, the GeoJSON kept as the
geometry column with a centroid for shapes. The order of a point's two numbers is read from their ranges."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from loaders.readers.staged import SourceColumn, Staged, col_type

POINT = re.compile(r"\s*(-?\d{1,3}(?:\.\d+)?)\s*[,;]\s*(-?\d{1,3}(?:\.\d+)?)\s*")
GEOJSON_START = re.compile(r'\s*\{\s*"type"\s*:\s*"(Point|MultiPoint|LineString|MultiLineString|Polygon|MultiPolygon|'
                           r'GeometryCollection)"')
SAMPLE = 50  # non-empty values looked at before a column is read whole
# Metropolitan France and Corsica, in degrees: what tells « lat, lon » from « lon, lat » when both are below 90
FRANCE_LAT, FRANCE_LON = (41.0, 51.5), (-5.5, 10.0)


@dataclass(frozen=True)
class Found:
    column: SourceColumn
    kind: str  # "point" (two numbers) or "geojson"


def _values(out: Path, name: str) -> pa.ChunkedArray:
    return pq.read_table(out, columns=[name]).column(name)


def _candidates(out: Path, staged: Staged) -> list[Found]:
    """Text columns whose first non-empty values are all points or all GeoJSON geometries (the first rows only are
    read here: a column is read whole only when they all are)."""
    texts = [c for c in staged.columns if not c.drop_if_empty and col_type(c) == "text"]
    if not texts:
        return []
    first = next(pq.ParquetFile(out).iter_batches(batch_size=1_000, columns=[c.name for c in texts]), None)
    if first is None:
        return []
    found = []
    for col in texts:
        head = [v for v in first.column(col.name).to_pylist() if v not in (None, "")][:SAMPLE]
        if not head:
            continue
        if all(POINT.fullmatch(v) for v in head):
            found.append(Found(col, "point"))
        elif all(GEOJSON_START.match(v) for v in head):
            found.append(Found(col, "geojson"))
    return found


def _within(values: np.ndarray, bounds: tuple[float, float]) -> bool:
    return bool(values.size) and bool(np.all((values >= bounds[0]) & (values <= bounds[1])))


def _point_order(first: np.ndarray, second: np.ndarray) -> tuple[bool, str]:
    """(first is the latitude, how it was told): a number beyond ±90 is a longitude; else the range of France."""
    if np.any(np.abs(first) > 90):
        return False, "le premier nombre dépasse 90 : c'est la longitude"
    if np.any(np.abs(second) > 90):
        return True, "le second nombre dépasse 90 : c'est la longitude"
    if _within(first, FRANCE_LAT) and _within(second, FRANCE_LON):
        return True, "ordre latitude, longitude d'après l'étendue des valeurs (France)"
    if _within(second, FRANCE_LAT) and _within(first, FRANCE_LON):
        return False, "ordre longitude, latitude d'après l'étendue des valeurs (France)"
    return True, "ordre latitude, longitude supposé (celui des exports Opendatasoft), à vérifier"


def _free(staged: Staged, wanted: str, prefix: str) -> str:
    names = {c.name for c in staged.columns}
    return wanted if wanted not in names else f"{prefix}_{wanted}"


def _point_columns(out: Path, staged: Staged, name: str) -> dict[str, np.ndarray] | None:
    """latitude/longitude of a « nombre, nombre » column read whole, or None if one value is not such a point."""
    texts = _values(out, name).to_pylist()
    parts = [POINT.fullmatch(v) if v not in (None, "") else None for v in texts]
    if any(m is None and v not in (None, "") for m, v in zip(parts, texts, strict=True)):
        return None
    pairs = np.array([(float(m.group(1)), float(m.group(2))) for m in parts if m], dtype=float)
    lat_first, how = _point_order(pairs[:, 0], pairs[:, 1])
    lat, lon = (pairs[:, 0], pairs[:, 1]) if lat_first else (pairs[:, 1], pairs[:, 0])
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180):
        return None
    mask = np.array([m is not None for m in parts])
    lat_all, lon_all = np.full(len(texts), np.nan), np.full(len(texts), np.nan)
    lat_all[mask], lon_all[mask] = lat, lon
    lat_name, lon_name = _free(staged, "latitude", name), _free(staged, "longitude", name)
    staged.geo = {"kind": "point", "lon": lon_name, "lat": lat_name, "geometry": None}
    staged.warnings.append(f"Colonne « {name} » : points « nombre, nombre » lus comme coordonnées ({how}) ; "
                           f"colonnes « {lat_name} » et « {lon_name} » ajoutées pour la carte.")
    return {lat_name: lat_all, lon_name: lon_all}


def _shape_columns(out: Path, staged: Staged, col: SourceColumn) -> dict[str, np.ndarray] | None:
    """The GeoJSON column as the dataset's geometry, with each shape's centre (unless a point column already gave
    the coordinates), or None if one value is no geometry in degrees."""
    name = col.name
    texts = _values(out, name).to_pylist()
    try:
        geoms = shapely.from_geojson(np.array(texts, dtype=object), on_invalid="ignore")
    except (shapely.errors.GEOSException, ValueError, TypeError):
        return None
    parsed = ~shapely.is_missing(geoms)
    if int(parsed.sum()) != sum(v not in (None, "") for v in texts):
        return None
    bounds = shapely.total_bounds(geoms[parsed])
    if np.any(np.abs(bounds[[1, 3]]) > 90) or np.any(np.abs(bounds[[0, 2]]) > 180):
        return None  # metres (an undeclared projection): not guessed inside a text field
    col.fixed_type = "geometry"
    points = set(shapely.get_type_id(geoms[parsed]).tolist()) == {0}  # 0 = Point
    kind = "point" if points else "polygon"
    if staged.geo.get("kind") == "point":  # « Geo Point » beside « Geo Shape »: the point is the shape's centre
        staged.geo = {**staged.geo, "kind": kind, "geometry": name}
        staged.warnings.append(f"Colonne « {name} » : géométries GeoJSON (WGS 84) lues comme la géométrie du jeu de "
                               "données.")
        return {}
    lon_name, lat_name = ((_free(staged, "longitude", name), _free(staged, "latitude", name)) if points else
                          (_free(staged, "centroid_lon", name), _free(staged, "centroid_lat", name)))
    cent = shapely.centroid(geoms)
    staged.geo = {"kind": kind, "lon": lon_name, "lat": lat_name, "geometry": name}
    staged.warnings.append(f"Colonne « {name} » : géométries GeoJSON (WGS 84) lues comme la géométrie du jeu de "
                           f"données ; coordonnées de chaque forme dans « {lon_name} » et « {lat_name} ».")
    return {lon_name: shapely.get_x(cent), lat_name: shapely.get_y(cent)}


def add_text_geometry(out: Path, staged: Staged) -> None:
    """Give the written Parquet `out` map columns from a point text column and/or a GeoJSON text column (the first
    of each kind whose every value reads as such; otherwise it stays text, with no warning: it may be a label that
    looks alike)."""
    if staged.geo.get("kind") != "none":
        return
    found = _candidates(out, staged)
    extra: dict[str, np.ndarray] = {}
    origin: dict[str, str] = {}
    for kind in ("point", "geojson"):
        for item in (f for f in found if f.kind == kind):
            got = (_point_columns(out, staged, item.column.name) if kind == "point"
                   else _shape_columns(out, staged, item.column))
            if got is not None:
                extra.update(got)
                origin.update(dict.fromkeys(got, item.column.name))
                break
    if extra:
        _append(out, extra)
        staged.columns += [SourceColumn(raw=n, source_name=f"{n} (calculée depuis « {origin[n]} »)", name=n,
                                        fixed_type="number") for n in extra]


def _append(out: Path, extra: dict[str, np.ndarray]) -> None:
    """Rewrite `out` with the new number columns (a new file renamed over the old: no half-written Parquet)."""
    table = pq.read_table(out)
    for n, values in extra.items():
        table = table.append_column(n, pa.array(values, type=pa.float64(), from_pandas=True))
    tmp = out.with_name(out.name + ".geo.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, out)
