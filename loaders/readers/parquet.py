"""Parquet: the file keeps its own types; columns are renamed and nested ones flattened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from loaders import LoadError
from loaders.detect.names import normalise_names
from loaders.readers.staged import SourceColumn, Staged, fixed
from loaders.sql import ident, sql_str

INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                           "UINTEGER", "UBIGINT", "UHUGEINT"})


def parquet_type(duck_type: str) -> str:
    """Our column type for a DuckDB type read from Parquet; anything unusual becomes text."""
    t = duck_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t == "DATE":
        return "date"
    if t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT", "REAL"):
        return "number"
    return "integer" if t in INTEGER_TYPES else "text"


NESTED_DEPTH = 4


def _leaves(path: list[str], typ: pa.DataType, depth: int = 0) -> list[tuple[list[str], pa.DataType]]:
    """Struct fields, recursively, as dotted paths; lists, maps and deeper structs stay whole."""
    if pa.types.is_struct(typ) and typ.num_fields and depth < NESTED_DEPTH:
        return [leaf for f in typ for leaf in _leaves([*path, f.name], f.type, depth + 1)]
    return [(path, typ)]


def _expr(path: list[str], typ: pa.DataType) -> str:
    expr = ident(path[0])
    for part in path[1:]:
        expr = f"struct_extract({expr}, {sql_str(part)})"
    if pa.types.is_nested(typ) or pa.types.is_union(typ):
        # lists, maps and deep structs as JSON text: DuckDB's own text form of them is not JSON
        expr = f"CAST(to_json({expr}) AS VARCHAR)"
    return expr


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Staged:
    """Parquet keeps its own types; columns are only renamed. Nested columns (ODS geo_point_2d {lon, lat}, any
    struct) are flattened to dotted columns (`geo_point_2d.lon`), lists and maps kept as JSON text."""
    source = f"read_parquet({sql_str(str(path))})"
    try:
        schema = con.sql(f"SELECT * FROM {source} LIMIT 0").to_arrow_table().schema  # noqa: S608 - quoted literal
    except duckdb.Error as exc:
        raise LoadError(f"{path.name} : fichier Parquet illisible ({str(exc).splitlines()[0]}).") from exc
    leaves = [leaf for f in schema for leaf in _leaves([f.name], f.type)]
    select = ", ".join(f"{_expr(p, t)} AS {ident(f'c{i}')}" for i, (p, t) in enumerate(leaves))
    relation = f"(SELECT {select} FROM {source})"  # noqa: S608 - quoted identifiers/literals
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()  # noqa: S608 - quoted identifiers/literals
    cols = [SourceColumn(raw=str(d[0]), source_name=".".join(p), fixed_type=parquet_type(str(d[1])))
            for d, (p, _) in zip(described, leaves, strict=True)]
    for col, name in zip(cols, normalise_names([c.source_name for c in cols]), strict=True):
        col.name = name
    warnings = [f"Colonne imbriquée « {f.name} » mise à plat en colonnes « {f.name}.… »." for f in schema
                if pa.types.is_struct(f.type)]
    dialect = {"format": "parquet", "encoding": None, "delimiter": None, "decimal": ".", "header_row": None}
    return Staged(reader=fixed(relation), columns=cols, dialect=dialect, warnings=warnings)
