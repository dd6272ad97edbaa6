"""Column profile (nulls, distinct, min, max, top values) computed by DuckDB over the written Parquet."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from loaders.sql import ident, sql_str

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
    """Exact profile in two queries over the Parquet (columnar: each reads only what it needs): one aggregate for
    nulls/min/max of every column, and per column one GROUP BY whose groups give both the top values and, with
    a window count over the groups, the exact number of distinct values (no separate COUNT(DISTINCT) pass).
    `rows` (the COPY's count) spares a count when given."""
    if not columns:
        return {}
    src = f"read_parquet({sql_str(str(parquet))})"
    aggs: list[str] = []
    tops: list[str] = []
    for i, col in enumerate(columns):
        q = ident(col["name"])
        if col["type"] == "geometry":
            # GeoJSON strings: ordering and frequency say nothing useful and cost a lot
            aggs.append(f"count({q}), NULL, NULL")
            continue
        aggs.append(f"count({q}), min({q}), max({q})")
        # aliases no column name can take (normalised names are [a-z0-9_]): a column may be called n, d, value
        tops.append(f'(SELECT {i}, CAST({q} AS VARCHAR) AS "~v", "~n", "~d" FROM (SELECT {q}, count(*) AS "~n", '  # noqa: S608
                    f'count(*) OVER () AS "~d" FROM {src} WHERE {q} IS NOT NULL GROUP BY {q}) ORDER BY "~n" DESC, '
                    f'"~v" LIMIT {TOP})')
    if rows is None:
        aggs.append("count(*)")
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {src}").fetchone() or ()  # noqa: S608 - quoted identifiers/literals
    total = int(row[-1]) if rows is None else rows
    top_rows = con.execute(" UNION ALL ".join(tops)).fetchall() if tops else []
    by_col: dict[int, list[dict[str, Any]]] = {}
    distinct: dict[int, int] = {}
    for col_i, value, n, d in sorted(top_rows, key=lambda r: (r[0], -r[2], r[1])):
        by_col.setdefault(int(col_i), []).append({"value": value, "count": int(n)})
        distinct[int(col_i)] = int(d)
    profile: dict[str, Any] = {}
    for i, col in enumerate(columns):
        nonnull, lo, hi = row[3 * i: 3 * i + 3]
        geometry = col["type"] == "geometry"
        profile[col["name"]] = {
            "nulls": total - int(nonnull), "distinct": None if geometry else distinct.get(i, 0),
            "min": _json_value(lo), "max": _json_value(hi), "top": by_col.get(i, []),
        }
    return profile
