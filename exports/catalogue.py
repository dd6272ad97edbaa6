"""Downloads of the whole catalogue: CSV (`;`, UTF-8 with BOM, for spreadsheets), JSON and DCAT JSON-LD."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from catalogue import dcat
from config import get_settings
from exports.results import csv_bytes
from queries import catalogue_search
from queries.cache import cached

LIST_SEPARATOR = " | "  # inside a `;` CSV cell; keywords themselves may contain commas
CSV_COLUMNS = [
    "id", "title", "description", "publisher", "publisher_url", "themes", "theme_labels", "keywords", "license_id",
    "license_title", "license_url", "frequency", "spatial_granularity", "temporal_start", "temporal_end", "created",
    "modified", "records", "columns_count", "has_map", "has_time_series", "source_page", "source_url",
    "attribution", "version", "landing_page",
]


def _plain(value: Any) -> Any:
    """numpy/pandas scalars and arrays → JSON-friendly Python values."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and pd.isna(value):
        return None
    return value


def records(frame: pd.DataFrame, base_url: str) -> list[dict[str, Any]]:
    """Catalogue rows as plain dicts, with their public landing page."""
    rows = []
    for raw in frame.to_dict("records"):
        row = {k: _plain(v) for k, v in raw.items()}
        row["landing_page"] = dcat.landing_page(base_url, str(row["id"]))
        rows.append(row)
    return rows


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return value


def _csv_column(values: list[Any]) -> pa.Array:
    """Counts stay numbers; everything else is text."""
    if all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
        return pa.array(values, pa.int64())
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def to_csv(rows: list[Mapping[str, Any]]) -> bytes:
    """`;`, UTF-8 with BOM (Excel reads the accents right), spreadsheet formulas defused: the dataset exports' writer."""
    cells = [[_csv_cell(row.get(col)) for row in rows] for col in CSV_COLUMNS]
    return csv_bytes(pa.Table.from_arrays([_csv_column(values) for values in cells], names=CSV_COLUMNS))


def to_json(rows: list[Mapping[str, Any]]) -> bytes:
    return json.dumps(list(rows), ensure_ascii=False, indent=1).encode("utf-8")


def dcat_catalog(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    settings = get_settings()
    return dcat.build_catalog(
        rows, base_url=settings.public_base_url,
        title=f"{settings.portal_name} — catalogue des données ouvertes {settings.territory.of}",
        description=f"Jeux de données ouverts publiés par le portail {settings.portal_name} "
                    f"({settings.territory_name}, {settings.territory_code}).",
        publisher=settings.portal_name, territory=f"{settings.territory_name} ({settings.territory_code})",
    )


def to_jsonld(rows: list[Mapping[str, Any]]) -> bytes:
    return json.dumps(dcat_catalog(rows), ensure_ascii=False, indent=1).encode("utf-8")


@cached()
def catalogue_files() -> dict[str, bytes]:
    """{"csv", "json", "jsonld"} bytes of the current catalogue, built once per data version and settings (base URL)
    in the shared result cache."""
    base_url = get_settings().public_base_url
    rows = records(catalogue_search.all_entries(), base_url)
    return {"csv": to_csv(rows), "json": to_json(rows), "jsonld": to_jsonld(rows)}
