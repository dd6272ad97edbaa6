"""Table-like sources (spreadsheets, JSON, geodata attributes): cells as canonical text in an Arrow table, typed by
the same sample rules as CSV but on every value."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from loaders.detect.markers import guess_with_markers
from loaders.readers.staged import SourceColumn, Staged, finish_columns, fixed


def cell_text(value: Any) -> str | None:
    """Canonical text of a spreadsheet/JSON cell, so every source goes through the same typing rules."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text != "" else None


def stage_arrow(con: duckdb.DuckDBPyConnection, table: pa.Table, source_names: list[str],
                 typed: dict[str, str], options: dict[str, Any], dialect: dict[str, Any], warnings: list[str],
                 decimal: str = ".") -> Staged:
    """Register an Arrow table of text columns (plus `typed` geo columns) and guess types on all its values."""
    con.register("staged_source", table)
    cols: list[SourceColumn] = []
    for i, src in enumerate(source_names):
        raw = f"c{i}"
        values = [v for v in table.column(raw).to_pylist() if v is not None]
        guess, markers = guess_with_markers(values, decimal)
        cols.append(SourceColumn(raw=raw, source_name=src, guess=guess, na_markers=markers))
    for name, typ in typed.items():
        cols.append(SourceColumn(raw=name, source_name=name, fixed_type=typ))
    finish_columns(cols, options)
    return Staged(reader=fixed("staged_source"), columns=cols, dialect=dialect, warnings=warnings)


def text_table(rows: list[list[str | None]], width: int, extra: dict[str, pa.Array] | None = None) -> pa.Table:
    arrays = {f"c{i}": pa.array([r[i] if i < len(r) else None for r in rows], type=pa.string()) for i in range(width)}
    arrays.update(extra or {})
    return pa.table(arrays)
