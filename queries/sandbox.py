"""Analysts' own SQL (`/sql`): a second, smaller DuckDB database with the user-SQL time, memory and row limits."""

from __future__ import annotations

import pandas as pd

from config import get_settings
from queries import QueryError, Warehouse, engine


def sandbox() -> Warehouse:
    """A second, smaller database for analysts' own SQL: 1 thread, its own memory limit, same read-only views."""
    return engine("sandbox", memory_limit=get_settings().sql_memory_limit, threads=1)


def run_user_sql(sql: str) -> pd.DataFrame:
    """Run an analyst's SELECT in the sandbox with the user-SQL time, memory and row limits."""
    settings = get_settings()
    if len(sql) > 20_000:
        raise QueryError("Requête trop longue (20 000 caractères au plus).")
    result = sandbox().execute(sql, {}, max_rows=settings.sql_max_rows, timeout_s=settings.sql_timeout_s)
    frame = result.frame
    frame.attrs["truncated"] = result.truncated
    return frame


def sandbox_tables() -> pd.DataFrame:
    """Tables an analyst can query: the catalogue and one view per dataset, with their columns."""
    return sandbox().execute(
        "SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS columns "
        "FROM information_schema.columns WHERE table_schema = 'main' GROUP BY table_name ORDER BY table_name",
        {}, max_rows=10_000,
    ).frame
