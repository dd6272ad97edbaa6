"""Cached reads for the board and the map: one query per (data version, query, level), shared by every session."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import queries
from catalogue.manifest import get_spec
from config import get_settings
from indicators import RESULT_COLUMNS, Indicator, get


def departement() -> tuple[str, str]:
    """(code, name) of the portal's département, as the SQL files bind them."""
    settings = get_settings()
    return settings.territory_code, settings.territory_name


# Every cached function takes the data version first: a new publish is a new key, never a stale frame.
@st.cache_data(show_spinner=False, max_entries=512)
def _indicator_frame(version: str, indicator_id: str, level: str) -> pd.DataFrame:
    indicator = get(indicator_id)
    if indicator is None:
        raise queries.QueryError(f"Indicateur inconnu : « {indicator_id} ».")
    code, name = departement()
    return queries.run(indicator.sql, **indicator.query_params(level, code, name))


def indicator_frame(indicator: Indicator, level: str) -> tuple[pd.DataFrame, str | None]:
    """Rows of the indicator at `level` plus the département and France rows; (empty frame, French error) on failure.

    A département-only indicator is always queried at the département level.
    """
    query_level = level if indicator.supports(level) else "departement"
    try:
        return _indicator_frame(queries.data_version(), indicator.id, query_level), None
    except queries.QueryError as exc:
        return pd.DataFrame(columns=list(RESULT_COLUMNS)), str(exc)


@st.cache_data(show_spinner=False, max_entries=64)
def _run(version: str, name: str, params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    return queries.run(name, **dict(params))


def frame(name: str, **params: Any) -> pd.DataFrame:
    """A named query (territory_*, map_*) cached per data version and parameters."""
    return _run(queries.data_version(), name, tuple(sorted(params.items())))


@st.cache_data(show_spinner=False, max_entries=64)
def _dataset_info(version: str, dataset_id: str) -> dict[str, str]:
    spec = get_spec(dataset_id)
    if spec is None:
        return {"id": dataset_id, "title": dataset_id, "licence": "licence non renseignée", "licence_url": "",
                "attribution": "", "publisher": ""}
    return {"id": spec.id, "title": spec.title, "licence": spec.license.title, "licence_url": spec.license.url,
            "attribution": spec.attribution, "publisher": spec.publisher}


def dataset_info(dataset_id: str) -> dict[str, str]:
    """Title, licence and attribution of a dataset from the manifest (what every number on screen must cite)."""
    return _dataset_info(queries.data_version(), dataset_id)
