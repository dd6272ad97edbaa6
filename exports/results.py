"""CSV of a result already in memory (analysts' SQL, the catalogue): the dataset exports' French CSV writer (`;`,
decimal commas, UTF-8 BOM, spreadsheet formulas defused), so every CSV the site produces is written the same way."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa

from exports import _write_csv


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _writable(table: pa.Table) -> pa.Table:
    """Columns the CSV writer cannot write (lists, structs, maps, intervals: possible in analysts' SQL) as JSON text;
    the others are left to the writer (numbers stay numbers: -5 is not a formula)."""
    columns = []
    for col in table.columns:
        if not pa.types.is_nested(col.type):
            try:
                col.slice(0, 1).cast(pa.string())  # what the writer does: an unsupported type fails here
                columns.append(col)
                continue
            except pa.ArrowNotImplementedError:
                pass
        columns.append(pa.array([_text(v) for v in col.to_pylist()], pa.string()))
    return pa.Table.from_arrays(columns, names=table.column_names)


def csv_bytes(table: pa.Table) -> bytes:
    """The table as a CSV file for French spreadsheets (« ; », 103,5); a cell starting with = + - @ tab or CR gets a
    leading apostrophe."""
    table = _writable(table)
    buf = io.BytesIO()
    _write_csv(buf, iter(table.to_batches()), lambda: table.schema, {}, {"delimiter": ";", "decimal": ","})
    return buf.getvalue()
