"""Cached data access of the dataset page: schema, manifest entry, query results (keyed by the warehouse version)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import shapely

import queries
import warehouse
from catalogue.manifest import DatasetSpec, ManifestError
from catalogue.schema import Schema
from queries import QueryError, cache
from queries.cache import cached
from queries.dataset import lookups
from queries.dataset.sql import Query, count_query, profile_query
from queries.dataset.state import DatasetView


def spec(dataset_id: str) -> DatasetSpec | None:
    """The manifest entry (title, licence, column labels...) or None if the manifest does not describe it."""
    try:
        return cache.manifest_specs().get(dataset_id)
    except ManifestError:
        return None


@cached()
def _meta(version: str, dataset_id: str) -> dict[str, Any]:
    return queries.dataset_meta(dataset_id)


def meta(dataset_id: str) -> dict[str, Any]:
    """meta.json of the current version; raises QueryError for an id the registry does not know."""
    return _meta(queries.data_version(), dataset_id)


@cached()
def _schema(version: str, dataset_id: str) -> Schema:
    entry = spec(dataset_id)
    return Schema.from_meta(dataset_id, meta(dataset_id), entry.columns if entry else {})


def schema(dataset_id: str) -> Schema:
    """The dataset's columns and roles (raises QueryError for an id the registry does not know)."""
    return _schema(queries.data_version(), dataset_id)


@cached()
def _frame(version: str, sql: str, params: tuple[tuple[str, Any], ...], max_rows: int | None) -> pd.DataFrame:
    return queries.run_sql_text(sql, dict(params), max_rows=max_rows)


def frame(query: Query, max_rows: int | None = None) -> pd.DataFrame:
    """Rows of a built query (values bound), cached per warehouse version, SQL and parameters."""
    return _frame(queries.data_version(), query.sql, tuple(sorted(query.params.items())), max_rows)


def count(view: DatasetView, schema_: Schema) -> int:
    result = frame(count_query(view, schema_))
    return int(result.iloc[0, 0]) if not result.empty else 0


@cached()
def _commune_names(version: str) -> dict[str, str]:
    try:
        return lookups.commune_names()
    except QueryError:
        return {}


def commune_names() -> dict[str, str]:
    return _commune_names(queries.data_version())


@cached()
def _epci_names(version: str) -> dict[str, str]:
    try:
        return lookups.epci_names()
    except QueryError:
        return {}


def epci_names() -> dict[str, str]:
    return _epci_names(queries.data_version())


def _rounded(xy: np.ndarray) -> np.ndarray:
    """Coordinates to 4 decimals (about 10 m): the outline layer weighs a third of the original."""
    return np.round(xy, 4)


@cached()
def _commune_features(version: str) -> list[dict[str, Any]]:
    try:
        shapes = lookups.commune_shapes()
    except QueryError:  # a portal without the commune outlines referential: maps without the base layer
        return []
    codes, geometries = [], []
    for code, (_name, geometry) in sorted(shapes.items()):
        try:
            geometries.append(shapely.from_geojson(geometry))
        except (shapely.errors.GEOSException, ValueError, TypeError):
            continue
        codes.append(code)
    # shapely rounds every coordinate at once (numpy); rounding the nested lists in Python took ~100 ms.
    texts = shapely.to_geojson(shapely.transform(np.array(geometries, dtype=object), _rounded))
    return [{"type": "Feature", "geometry": json.loads(text), "properties": {"code": code, "nom": shapes[code][0]}}
            for code, text in zip(codes, texts, strict=True)]


@cached()
def _commune_centres(version: str) -> dict[str, tuple[str, float, float]]:
    try:
        frame = queries.run("territory_communes")
    except queries.QueryError:  # a portal without the communes referential: no picker, the map still works
        return {}
    return {str(r.code): (str(r.name), float(r.lon), float(r.lat)) for r in frame.itertuples()
            if r.lon == r.lon and r.lat == r.lat}  # NaN-safe: a commune without outline has no centre


def commune_centres() -> dict[str, tuple[str, float, float]]:
    """Commune code → (name, centroid lon, centroid lat), sorted by name, to centre maps on a commune."""
    return _commune_centres(queries.data_version())


def commune_features() -> list[dict[str, Any]]:
    """GeoJSON features of the communes (code, nom), for the offline base layer and the choropleth."""
    return _commune_features(queries.data_version())


@cached()
def _versions(version: str, dataset_id: str) -> list[dict[str, Any]]:
    return warehouse.list_versions(dataset_id)


def versions(dataset_id: str) -> list[dict[str, Any]]:
    return _versions(queries.data_version(), dataset_id)


def profile(schema_: Schema) -> dict[str, dict[str, Any]]:
    """The column profile of meta.json, completed by one DuckDB scan when the loader did not profile a column."""
    out = {name: dict(p) for name, p in schema_.profile.items()}
    missing = [c for c in schema_.plain_columns if c.name not in out]
    if missing:
        try:
            row = frame(profile_query(schema_)).iloc[0]
        except (QueryError, IndexError):
            return out
        for i, c in enumerate(schema_.plain_columns):
            if c.name in out:
                continue
            out[c.name] = {"nulls": int(row[f"n{i}"]), "distinct": int(row[f"d{i}"]), "min": row[f"lo{i}"],
                           "max": row[f"hi{i}"], "top": []}
    return out
