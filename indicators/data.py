"""Cached reads for the board and the map: one query per (data version, query, level), shared by every session."""

from __future__ import annotations

from typing import Any

import pandas as pd

import queries
from config import PlaceName, get_settings
from indicators import RESULT_COLUMNS, Indicator, get, top_level
from queries import cache
from queries.cache import cached


def cache_key() -> str:
    """The data version plus the territory settings: every cached frame of the board and the map is keyed by it, so a
    process whose settings change (tests) never reads another territory's rows."""
    settings = get_settings()
    return "|".join((queries.data_version(), settings.territory_kind, settings.territory_code,
                     settings.departement_code, settings.departement_name, str(hash(settings.datasets))))


@cached()
def _derived_departement(version: str, territory: tuple[str, str]) -> str:
    found = queries.run("territory_departement")
    return str(found["code"].iloc[0]) if not found.empty else ""


def departement() -> tuple[str, str]:
    """(code, name) of the comparison département, as the SQL files bind them: the territory itself for a
    département; for an EPCI, TERRITOIRE_DEPARTEMENT_CODE or the département of most of its communes."""
    settings = get_settings()
    code = settings.departement_code
    if not code:
        key = (settings.territory_kind, settings.territory_code)
        try:
            code = _derived_departement(queries.data_version(), key)
        except queries.QueryError:
            code = ""
    return code, settings.departement_name or f"département {code}".strip()


def departement_place() -> PlaceName:
    """The comparison département's name with its article (« de la Dordogne »)."""
    settings = get_settings()
    if settings.departement_name:
        return settings.departement
    return PlaceName(departement()[1], "le", "departement")


def departement_of() -> str:
    """« de la Dordogne », or « de la Dordogne (département) » when the territory is a group of communes."""
    of = departement_place().of
    return of if top_level() == "departement" else f"{of} (département)"


def departement_label() -> str:
    """How the comparison rows are named: « Dordogne » on a département's own portal, « Dordogne (département) »
    when the territory is a group of communes (so the département is never taken for the territory)."""
    name = departement()[1]
    return name if top_level() == "departement" else f"{name} (département)"


# Every cached function takes the data version first: a new publish is a new key, never a stale frame.
@cached()
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
        return _indicator_frame(cache_key(), indicator.id, query_level), None
    except queries.QueryError as exc:
        return pd.DataFrame(columns=list(RESULT_COLUMNS)), str(exc)


@cached()
def _run(version: str, name: str, params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    return queries.run(name, **dict(params))


def frame(name: str, **params: Any) -> pd.DataFrame:
    """A named query (territory_*, map_*) cached per data version and parameters."""
    return _run(cache_key(), name, tuple(sorted(params.items())))


@cached()
def _dataset_info(version: str, dataset_id: str) -> dict[str, str]:
    spec = cache.manifest_specs().get(dataset_id)
    if spec is None:
        return {"id": dataset_id, "title": dataset_id, "licence": "licence non renseignée", "licence_url": "",
                "attribution": "", "publisher": ""}
    return {"id": spec.id, "title": spec.title, "licence": spec.license.title, "licence_url": spec.license.url,
            "attribution": spec.attribution, "publisher": spec.publisher}


def dataset_info(dataset_id: str) -> dict[str, str]:
    """Title, licence and attribution of a dataset from the manifest (what every number on screen must cite)."""
    return _dataset_info(queries.data_version(), dataset_id)
