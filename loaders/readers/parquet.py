"""Parquet: the file keeps its own types; columns are only renamed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from loaders.detect.names import normalise_names
from loaders.readers.staged import SourceColumn, Staged, fixed
from loaders.sql import sql_str

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


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Staged:
    """Parquet keeps its own types; columns are only renamed (anything unusual is cast to text)."""
    relation = f"read_parquet({sql_str(str(path))})"
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()  # noqa: S608 - quoted identifiers/literals
    cols = [SourceColumn(raw=str(name), source_name=str(name), fixed_type=parquet_type(str(dtype)))
            for name, dtype, *_ in described]
    for col, name in zip(cols, normalise_names([c.source_name for c in cols]), strict=True):
        col.name = name
    dialect = {"format": "parquet", "encoding": None, "delimiter": None, "decimal": ".", "header_row": None}
    return Staged(reader=fixed(relation), columns=cols, dialect=dialect)
