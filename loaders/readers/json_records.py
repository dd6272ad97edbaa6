"""JSON: a list of records, at the top of the document or nested under a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from loaders import LoadError
from loaders.detect.encoding import single_byte_charset
from loaders.readers.arrow_table import cell_text, stage_arrow, text_table
from loaders.readers.staged import Staged


def _find_records(node: Any, path: str = "") -> tuple[str, list[dict[str, Any]]] | None:
    """Depth-first search for the first list of objects, in key order."""
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        return path, node
    if isinstance(node, dict):
        for key, value in node.items():
            found = _find_records(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    return None


def stage_json(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Staged:
    """A list of records, at the top or nested under a key (found, or given as `records_path` a.b.c)."""
    raw = path.read_bytes()
    warnings: list[str] = []
    encoding = "utf-8"
    try:
        try:
            doc = json.loads(raw)
        except UnicodeDecodeError:
            # a JSON saved by a Windows tool in its own charset: read it as a person would, and say so
            encoding = single_byte_charset(raw) if any(0x80 <= b < 0xA0 for b in raw) else "latin-1"
            doc = json.loads(raw.decode(encoding, errors="strict"))
            warnings.append(f"JSON non UTF-8 : décodé en {encoding}.")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(f"{path.name} : JSON invalide, ligne {line}, colonne {col} : octet 0x{raw[exc.start]:02X} "
                        f"indécodable (ni UTF-8 ni {encoding}).", line=line) from exc
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path.name} : JSON invalide, ligne {exc.lineno}, colonne {exc.colno} ({exc.msg}) ; "
                        "fichier tronqué ou mal formé.", line=exc.lineno) from exc
    except ValueError as exc:
        raise LoadError(f"{path.name} : JSON invalide ({exc}).") from exc
    rp = options.get("records_path")
    if rp:
        node = doc
        for key in str(rp).split("."):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise LoadError(f"{path.name} : chemin « {rp} » absent du JSON.")
        if not isinstance(node, list) or not all(isinstance(x, dict) for x in node):
            raise LoadError(f"{path.name} : « {rp} » n'est pas une liste d'objets.")
        records, found_path = node, str(rp)
    else:
        found = _find_records(doc)
        if found is None:
            raise LoadError(f"{path.name} : aucune liste d'objets trouvée dans le JSON.")
        found_path, records = found
    if _ods_records(records):
        warnings.append("Export « records » d'Opendatasoft : les champs de « fields » deviennent des colonnes.")
        records = [_lift_fields(rec) for rec in records]
    geometry = _geometry_key(records)
    flat = [flatten(rec, skip=geometry) for rec in records]
    keys: dict[str, None] = {}
    for rec in flat:  # keys missing from some records (instead of null) are empty values there
        for k in rec:
            keys.setdefault(k, None)
    # an object null in a few records only: its flattened keys carry it, no all-empty column of its own
    names = [k for k in keys if not (any(n.startswith(f"{k}.") for n in keys) and all(r.get(k) is None for r in flat))]
    rows = [[cell_text(rec.get(k)) for k in names] for rec in flat]
    extra, typed, geo = _geometry_columns(records, geometry, names)
    dialect = {"format": "json", "encoding": encoding, "delimiter": None, "decimal": ".", "header_row": None,
               "records_path": found_path or None}
    staged = stage_arrow(con, text_table(rows, len(names), extra), names, typed, options, dialect, warnings)
    staged.geo = geo
    return staged


MAX_DEPTH = 4
GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                            "GeometryCollection"})


def flatten(rec: dict[str, Any], prefix: str = "", depth: int = 0, skip: str | None = None) -> dict[str, Any]:
    """Nested objects become dotted keys (`coordonnees.lon`); lists, and objects nested deeper than MAX_DEPTH,
    stay whole and are written as JSON text."""
    out: dict[str, Any] = {}
    for key, value in rec.items():
        name = f"{prefix}{key}"
        if name == skip:
            continue
        if isinstance(value, dict) and value and depth < MAX_DEPTH:
            out.update(flatten(value, f"{name}.", depth + 1))
        else:
            out[name] = value
    return out


def _ods_records(records: list[dict[str, Any]]) -> bool:
    """Opendatasoft's v1 records export: {datasetid, recordid, fields{...}, geometry, record_timestamp}."""
    return all(isinstance(r.get("fields"), dict) and "recordid" in r for r in records)


def _lift_fields(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k != "fields"}
    for key, value in rec["fields"].items():
        out[key if key not in out else f"fields.{key}"] = value
    return out


def _is_geometry(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in GEOMETRY_TYPES and (
        "coordinates" in value or "geometries" in value)


def _geometry_key(records: list[dict[str, Any]]) -> str | None:
    """The top-level key holding a GeoJSON geometry in every record that has it (ODS `geometry`, `geo_shape`)."""
    for key in ("geometry", "geo_shape", "geom", "the_geom"):
        values = [r[key] for r in records if r.get(key) is not None]
        if values and all(_is_geometry(v) for v in values):
            return key
    return None


def _geometry_columns(records: list[dict[str, Any]], key: str | None,
                      names: list[str]) -> tuple[dict[str, pa.Array], dict[str, str], dict[str, Any]]:
    """The GeoJSON geometry as text, plus longitude/latitude of points, as the geodata reader writes them."""
    if key is None:
        return {}, {}, {"kind": "none"}
    geoms = [r.get(key) for r in records]
    extra = {"geometry": pa.array([json.dumps(g) if g else None for g in geoms], type=pa.string())}
    typed = {"geometry": "geometry"}
    if all(g is None or g.get("type") == "Point" for g in geoms):
        # ODS records often carry longitude/latitude fields too: the geometry's own pair then gets its prefix
        lon, lat = ("longitude", "latitude") if {"longitude", "latitude"}.isdisjoint(names) else \
            ("geometry_lon", "geometry_lat")
        extra[lon] = pa.array([_coord(g, 0) for g in geoms], type=pa.float64())
        extra[lat] = pa.array([_coord(g, 1) for g in geoms], type=pa.float64())
        typed.update({lon: "number", lat: "number"})
        return extra, typed, {"kind": "point", "lon": lon, "lat": lat, "geometry": "geometry"}
    import shapely  # only JSON documents with shapes pay for the import

    shapes = shapely.from_geojson(extra["geometry"].to_pylist(), on_invalid="ignore")
    cent = shapely.centroid(shapes)
    extra["centroid_lon"] = pa.array(shapely.get_x(cent), type=pa.float64(), from_pandas=True)
    extra["centroid_lat"] = pa.array(shapely.get_y(cent), type=pa.float64(), from_pandas=True)
    typed.update(centroid_lon="number", centroid_lat="number")
    return extra, typed, {"kind": "polygon", "lon": "centroid_lon", "lat": "centroid_lat", "geometry": "geometry"}


def _coord(geom: dict[str, Any] | None, i: int) -> float | None:
    coords = (geom or {}).get("coordinates")
    if isinstance(coords, list) and len(coords) > i and isinstance(coords[i], int | float):
        return float(coords[i])
    return None
