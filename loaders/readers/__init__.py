"""Readers: expose any supported source to DuckDB as a relation of text columns (plus typed geo/Parquet columns),
one module per format family; `staged` holds what they all return."""
