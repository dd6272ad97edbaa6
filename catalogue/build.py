"""Build the `catalogue` table (one row per published dataset) from the manifest and the warehouse metadata."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

import warehouse
from catalogue import vocab
from catalogue.folding import fold
from catalogue.manifest import DatasetSpec, load_manifest
from catalogue.schema import Schema
from config import Settings

COLUMNS = [
    "id", "title", "description", "publisher", "publisher_url", "themes", "theme_labels", "keywords",
    "license_id", "license_title", "license_url", "frequency", "spatial_granularity", "temporal_start",
    "temporal_end", "created", "modified", "attribution", "provenance", "source_url", "source_page", "records",
    "columns_count", "column_labels", "loaded_at", "version", "geo_kind", "has_map", "has_time_series",
    "warnings_count", "search_text", "title_key", "title_words", "keyword_words", "publisher_words",
]
# search_text, title_key and the *_words columns are the folded text the search reads, computed here with
# catalogue.folding so that no SQL folds text itself; catalogue_export.sql leaves them out.


def words(text: str) -> str:
    """« Les Collèges » → « les colleges » with a leading space: a token starts a word where « ' ' + token » occurs."""
    return " " + re.sub(r"[^a-z0-9]+", " ", fold(text))


def _read_meta(dataset_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    return warehouse.read_meta(dataset_id, str(entry.get("version", ""))) or {}


def row_for(spec: DatasetSpec, meta: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    cols = meta.get("columns", [])
    labels = [spec.columns[c["name"]].label if c["name"] in spec.columns else c["name"] for c in cols]
    schema = Schema.from_meta(spec.id, meta, spec.columns)
    theme_labels = [vocab.topic_label(t) for t in spec.themes]
    search = " ".join([spec.title, spec.description, " ".join(spec.keywords), spec.publisher, " ".join(labels),
                       " ".join(theme_labels), spec.id])
    return {
        "id": spec.id, "title": spec.title, "description": spec.description, "publisher": spec.publisher,
        "publisher_url": spec.publisher_url, "themes": list(spec.themes), "theme_labels": theme_labels,
        "keywords": list(spec.keywords), "license_id": spec.license.id, "license_title": spec.license.title,
        "license_url": spec.license.url, "frequency": spec.frequency, "spatial_granularity": spec.spatial_granularity,
        "temporal_start": str(spec.temporal_coverage.get("start", "")),
        "temporal_end": str(spec.temporal_coverage.get("end", "")), "created": spec.created,
        "modified": spec.modified or (meta.get("loaded_at") or "")[:10], "attribution": spec.attribution,
        "provenance": spec.provenance, "source_url": spec.source.url or "", "source_page": spec.source.page or "",
        "records": int(meta.get("rows") or 0), "columns_count": len(cols), "column_labels": labels,
        "loaded_at": meta.get("loaded_at") or "", "version": entry.get("version") or meta.get("version") or "",
        "geo_kind": (meta.get("geo") or {}).get("kind") or "none", "has_map": schema.has_map,
        "has_time_series": schema.has_time_series, "warnings_count": len(meta.get("warnings") or []),
        "search_text": fold(search), "title_key": fold(spec.title), "title_words": words(spec.title),
        "keyword_words": words(" ".join([*spec.keywords, *theme_labels])), "publisher_words": words(spec.publisher),
    }


def catalogue_frame(live: dict[str, Any], settings: Settings) -> pd.DataFrame:
    """One row per dataset that is both in the manifest and published in the warehouse."""
    # A broken manifest file hides its own dataset only (logged; listed on /admin, reported by `loaders build`).
    specs = load_manifest(settings.catalogue_dir, include_generated=True)
    rows = [row_for(s, _read_meta(s.id, live[s.id]), live[s.id]) for s in specs if s.id in live]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        # Typed empty frame so that the SQL over `catalogue` still binds (lists must stay lists).
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
        frame["records"] = frame["records"].astype("int64")
        frame["columns_count"] = frame["columns_count"].astype("int64")
        frame["warnings_count"] = frame["warnings_count"].astype("int64")
        frame["has_map"] = frame["has_map"].astype("bool")
        frame["has_time_series"] = frame["has_time_series"].astype("bool")
    return frame


def spec_path(settings: Settings, dataset_id: str) -> Path:
    return settings.catalogue_dir / f"{dataset_id}.toml"
