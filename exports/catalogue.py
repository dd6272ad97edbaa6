"""Downloads of the whole catalogue: CSV (`;`, UTF-8 with BOM, for spreadsheets), JSON and DCAT JSON-LD."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from catalogue import dcat
from config import get_settings
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


def to_csv(rows: list[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        out = []
        for col in CSV_COLUMNS:
            value = row.get(col)
            if isinstance(value, list | tuple):
                value = LIST_SEPARATOR.join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "oui" if value else "non"
            out.append("" if value is None else value)
        writer.writerow(out)
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 accents right


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
