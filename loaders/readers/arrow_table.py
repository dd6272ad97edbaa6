"""Table-like sources (spreadsheets, JSON, geodata attributes): cells as canonical text in an Arrow table, typed by
the same sample rules as CSV but on every value."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from loaders.detect.markers import date_by_name, guess_with_markers
from loaders.detect.names import normalise_name
from loaders.readers.staged import SourceColumn, Staged, finish_columns, fixed, restore_lost_zeros


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
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").rstrip("\x00") or None
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars (geodata attributes come from pandas)
    if callable(tolist):
        return cell_text(tolist())
    text = str(value)
    return text if text != "" else None


def _json_default(value: Any) -> Any:
    """JSON for what `json` cannot write itself (dates, decimals, numpy scalars and arrays, bytes)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    return tolist() if callable(tolist) else str(value)


def text_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any Arrow column as canonical text: nested values (objects, lists, maps) as JSON, the rest by `cell_text`
    (so a float 75114.0 reads "75114" as in a spreadsheet)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    typ = arr.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_integer(typ) \
            or pa.types.is_boolean(typ) or pa.types.is_null(typ):
        return arr.cast(pa.string())
    values = arr.to_pylist()
    if pa.types.is_map(typ):  # a map comes back as (key, value) pairs: an object reads better
        values = [dict(v) if v is not None else None for v in values]
    return pa.array([cell_text(v) for v in values], type=pa.string())


def stage_arrow(con: duckdb.DuckDBPyConnection, table: pa.Table, source_names: list[str],
                 typed: dict[str, str], options: dict[str, Any], dialect: dict[str, Any], warnings: list[str],
                 decimal: str = ".") -> Staged:
    """Register an Arrow table of text columns (plus `typed` geo columns) and guess types on all its values."""
    con.register("staged_source", table)
    cols: list[SourceColumn] = []
    all_values: dict[str, list[str]] = {}
    for i, src in enumerate(source_names):
        raw = f"c{i}"
        values = all_values[raw] = [v for v in table.column(raw).to_pylist() if v is not None]
        guess, markers = guess_with_markers(values, decimal)
        guess = date_by_name(normalise_name(src), guess, values)
        cols.append(SourceColumn(raw=raw, source_name=src, guess=guess, na_markers=markers))
    for name, typ in typed.items():
        cols.append(SourceColumn(raw=name, source_name=name, fixed_type=typ))
    finish_columns(cols, options)
    restore_lost_zeros(cols, all_values, warnings)
    return Staged(reader=fixed("staged_source"), columns=cols, dialect=dialect, warnings=warnings)


def column_text(values: Any) -> pa.Array:
    """A pandas or Python column as canonical text, whatever its values (nested lists and objects included)."""
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.array([cell_text(v) for v in values], type=pa.string())
    return text_array(arr)


def text_table(rows: list[list[str | None]], width: int, extra: dict[str, pa.Array] | None = None) -> pa.Table:
    arrays = {f"c{i}": pa.array([r[i] if i < len(r) else None for r in rows], type=pa.string()) for i in range(width)}
    arrays.update(extra or {})
    return pa.table(arrays)
