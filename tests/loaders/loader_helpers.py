"""Helpers of the loader tests: build a spec for a file, load it, read its rows back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from catalogue.manifest import DatasetSpec, parse_spec

FILES = Path(__file__).resolve().parent / "files"
ROOT = Path(__file__).resolve().parents[2]


def make_spec(path: Path, dataset_id: str = "essai", **options: Any) -> DatasetSpec:
    return parse_spec({"id": dataset_id, "title": "Essai", "publisher": "Tests", "license": {"id": "lov2"},
                       "source": {"path": str(path), **options}})


def load_file(path: Path, dataset_id: str = "essai", **options: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Load a file as a dataset; return its meta.json and its rows (read back from the Parquet)."""
    from loaders.pipeline import load_dataset
    from warehouse import current_meta, read_registry, resolve

    load_dataset(make_spec(path, dataset_id, **options), force=True)
    meta = current_meta(dataset_id)
    assert meta is not None
    parquet = resolve(read_registry()["datasets"][dataset_id]["parquet"])
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')")
    rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return meta, rows


def types_of(meta: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["type"] for c in meta["columns"]}
