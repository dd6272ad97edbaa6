"""The physical layout of a large dataset's Parquet file: rows sorted on the columns people filter on.

A publisher's row order scatters each commune's rows over every row group, so an equality filter on a commune code
reads the whole file (10 million rows: ~140 ms for a page and its count, bench/api.py). Sorted on the commune code,
then on the year, each commune's rows sit in one or two row groups whose min/max statistics let DuckDB skip the rest
(~8 ms), and the file compresses about three times better. The sort costs one more pass at load time (~2 s for
10 million rows), so it is done only from `TERRITOIRE_CLUSTER_MIN_ROWS` rows on (2 million): below that a filtered
scan takes a few tens of milliseconds anyway, and the publisher's order, which visitors see as the table's default
order, is kept.

The keys come from the schema roles the catalogue already detects (`catalogue/schema.py`), and are recorded in the
version's meta.json (`layout`), so the choice is visible and can be revisited.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from catalogue.schema import Schema
from config import get_settings
from loaders.sql import ident, sql_str
from loaders.typed_copy import PARQUET_OPTIONS


def sort_keys(dataset_id: str, meta: Mapping[str, Any]) -> list[str]:
    """The columns to sort a version on (commune code, then year), or [] when it stays in the publisher's order."""
    if int(meta.get("rows") or 0) < get_settings().cluster_min_rows:
        return []
    schema = Schema.from_meta(dataset_id, meta)
    keys = schema.commune_columns[:1]
    if schema.time_column and schema.time_column not in keys:
        keys.append(schema.time_column)
    return keys


def cluster(con: duckdb.DuckDBPyConnection, parquet: Path, keys: list[str]) -> None:
    """Rewrite `parquet` sorted on `keys` (same rows, same columns), replacing it only once the new file is whole."""
    if not keys:
        return
    tmp = parquet.with_name(f".sorted-{parquet.name}")
    order = ", ".join(f"{ident(k)} NULLS LAST" for k in keys)
    con.execute(f"COPY (SELECT * FROM read_parquet({sql_str(str(parquet))}) ORDER BY {order}) "  # noqa: S608 - quoted identifiers/literals
                f"TO {sql_str(str(tmp))} ({PARQUET_OPTIONS})")
    os.replace(tmp, parquet)
