"""Quoting for the SQL the loaders build for their own DuckDB connection (literals and identifiers)."""

from __future__ import annotations


def sql_str(value: str) -> str:
    """A SQL string literal (DuckDB: quotes doubled, backslashes literal)."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
