"""Column profile (nulls, distinct, min, max, top values) computed by DuckDB over the written Parquet."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

TOP = 5


def _json_value(value: Any) -> Any:
    """A JSON-safe scalar: dates as ISO text, non-finite floats as text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def profile_parquet(con: duckdb.DuckDBPyConnection, parquet: Path, columns: list[dict[str, Any]],
                    rows: int | None = None) -> dict[str, Any]:
    """One aggregate query for nulls/distinct/min/max, one UNION ALL query for the top values of every column."""
    if not columns:
        return {}
    src = "read_parquet('" + str(parquet).replace("'", "''") + "')"
    aggs: list[str] = []
    tops: list[str] = []
    for i, col in enumerate(columns):
        q = '"' + col["name"].replace('"', '""') + '"'
        if col["type"] == "geometry":
            # GeoJSON strings: ordering and frequency say nothing useful and cost a lot
            aggs.append(f"count(*) - count({q}), NULL, NULL, NULL")
            continue
        aggs.append(f"count(*) - count({q}), count(DISTINCT {q}), min({q}), max({q})")
        tops.append(f"(SELECT {i} AS col, CAST({q} AS VARCHAR) AS value, count(*) AS n FROM {src} "  # noqa: S608
                    f"WHERE {q} IS NOT NULL GROUP BY {q} ORDER BY n DESC, value LIMIT {TOP})")
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {src}").fetchone() or ()  # noqa: S608 - quoted identifiers/literals
    top_rows = con.execute(" UNION ALL ".join(tops)).fetchall() if tops else []
    by_col: dict[int, list[dict[str, Any]]] = {}
    for col_i, value, n in sorted(top_rows, key=lambda r: (r[0], -r[2], r[1])):
        by_col.setdefault(int(col_i), []).append({"value": value, "count": int(n)})
    profile: dict[str, Any] = {}
    for i, col in enumerate(columns):
        nulls, distinct, lo, hi = row[4 * i: 4 * i + 4]
        profile[col["name"]] = {
            "nulls": int(nulls), "distinct": None if distinct is None else int(distinct),
            "min": _json_value(lo), "max": _json_value(hi), "top": by_col.get(i, []),
        }
    return profile
