"""Downloads of the whole catalogue: CSV (`;`, UTF-8 with BOM, for spreadsheets), JSON, XLSX, DCAT-AP (JSON-LD, Turtle,
RDF/XML, built by catalogue.dcat), Project Open Data's data.json and Dublin Core (OAI-DC XML)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd
import pyarrow as pa

import queries
from catalogue import dcat
from catalogue.schema import Schema
from config import get_settings
from exports import WRITERS, formats_for
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
# udata frequency slug → ISO 8601 repeating duration, as Project Open Data 1.1 writes accrualPeriodicity.
POD_PERIODICITY = {"daily": "R/P1D", "weekly": "R/P1W", "biweekly": "R/P2W", "monthly": "R/P1M",
                   "bimonthly": "R/P2M", "quarterly": "R/P3M", "semiannual": "R/P6M", "annual": "R/P1Y",
                   "biennial": "R/P2Y", "triennial": "R/P3Y", "quadrennial": "R/P4Y", "quinquennial": "R/P5Y",
                   "decennial": "R/P10Y", "hourly": "R/PT1H", "continuous": "R/PT1S", "irregular": "irregular",
                   "punctual": "irregular"}
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"


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


def public_records() -> list[dict[str, Any]]:
    """The whole catalogue as plain rows (lists kept), each with its landing page on the portal's public URL: the
    input of every catalogue writer (files, API exports, DCAT, feeds)."""
    return records(catalogue_search.all_entries(), get_settings().public_base_url)


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


def _table(rows: list[Mapping[str, Any]]) -> pa.Table:
    cells = [[_csv_cell(row.get(col)) for row in rows] for col in CSV_COLUMNS]
    return pa.Table.from_arrays([_csv_column(values) for values in cells], names=CSV_COLUMNS)


def to_csv(rows: list[Mapping[str, Any]]) -> bytes:
    """`;`, UTF-8 with BOM (Excel reads the accents right), spreadsheet formulas defused: the dataset exports' writer."""
    return csv_bytes(_table(rows))


def to_xlsx(rows: list[Mapping[str, Any]]) -> bytes:
    """The CSV's columns in a spreadsheet, written by the dataset exports' XLSX writer (formulas kept as text)."""
    return _xlsx(_table(rows))


def projected_csv(rows: list[Mapping[str, Any]]) -> bytes:
    """Rows an ODSQL select/group_by made of the catalogue (their own columns), as the catalogue CSV is written."""
    return csv_bytes(pa.Table.from_pylist(list(rows)))


def projected_xlsx(rows: list[Mapping[str, Any]]) -> bytes:
    return _xlsx(pa.Table.from_pylist(list(rows)))


def _xlsx(table: pa.Table) -> bytes:
    settings = get_settings()
    buf = io.BytesIO()
    info = {"titre": f"Catalogue du portail {settings.portal_name}", "portail": f"{settings.public_base_url}/catalogue"}
    WRITERS["xlsx"](buf, iter(table.to_batches()), lambda: table.schema, info, {})
    return buf.getvalue()


def to_json(rows: list[Mapping[str, Any]]) -> bytes:
    return json.dumps(list(rows), ensure_ascii=False, indent=1).encode("utf-8")


def site() -> dcat.Site:
    """The portal as the DCAT catalogue describes it (settings)."""
    settings = get_settings()
    return dcat.Site(
        base_url=settings.public_base_url,
        title=f"{settings.portal_name} — catalogue des données ouvertes {settings.territory.of}",
        description=f"Jeux de données ouverts publiés par le portail {settings.portal_name} "
                    f"({settings.territory_name}, {settings.territory_code}).",
        publisher=settings.portal_name, territory=f"{settings.territory_name} ({settings.territory_code})",
    )


def to_rdf(rows: list[Mapping[str, Any]], fmt: str = "jsonld", paging: dcat.Paging | None = None) -> bytes:
    """The DCAT-AP catalogue of these rows (each with its `formats`) as JSON-LD, Turtle (`ttl`) or RDF/XML (`rdf`)."""
    return dcat.serialise(dcat.build_graph(rows, site(), paging=paging), fmt)


def to_jsonld(rows: list[Mapping[str, Any]]) -> bytes:
    return to_rdf(rows, "jsonld")


def _pod_distribution(root: str, dataset_id: str, fmt: str) -> dict[str, str]:
    spec = dcat.FORMATS.get(fmt, dcat.Format(fmt.upper(), None, None))
    out = {"@type": "dcat:Distribution", "title": spec.label, "format": spec.label,
           "downloadURL": dcat.download_url(root, dataset_id, fmt)}
    if spec.media_type:
        out["mediaType"] = spec.media_type
    return out


def to_data_json(rows: list[Mapping[str, Any]]) -> bytes:
    """Project Open Data metadata schema 1.1 (`data.json`, as CKAN and Opendatasoft serve it)."""
    portal = site()
    datasets = []
    for row in rows:
        ds_id = str(row["id"])
        entry: dict[str, Any] = {
            "@type": "dcat:Dataset", "identifier": dcat.landing_page(portal.root, ds_id),
            "title": row.get("title") or ds_id, "description": row.get("description") or row.get("title") or ds_id,
            "keyword": list(row.get("keywords") or []) or [ds_id], "modified": str(row.get("modified") or ""),
            "publisher": {"@type": "org:Organization", "name": row.get("publisher") or portal.publisher},
            "contactPoint": {"@type": "vcard:Contact", "fn": row.get("publisher") or portal.publisher},
            "accessLevel": "public", "landingPage": dcat.landing_page(portal.root, ds_id), "language": ["fr-FR"],
            "theme": list(row.get("theme_labels") or []), "spatial": portal.territory,
            "distribution": [_pod_distribution(portal.root, ds_id, f) for f in row.get("formats") or []],
        }
        if dcat.license_uri(row):
            entry["license"] = dcat.license_uri(row)
        if row.get("created"):
            entry["issued"] = str(row["created"])
        if str(row.get("frequency") or "") in POD_PERIODICITY:
            entry["accrualPeriodicity"] = POD_PERIODICITY[str(row["frequency"])]
        if row.get("temporal_start") and row.get("temporal_end"):
            entry["temporal"] = f"{row['temporal_start']}/{row['temporal_end']}"
        datasets.append(entry)
    body = {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@type": "dcat:Catalog",
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": datasets}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def to_dublin_core(rows: list[Mapping[str, Any]]) -> bytes:
    """One OAI-DC record (`oai_dc:dc`, Dublin Core elements) per dataset, in one XML document."""
    ET.register_namespace("oai_dc", OAI_DC)
    ET.register_namespace("dc", DC)
    portal = site()
    root = ET.Element("records")
    for row in rows:
        record = ET.SubElement(root, f"{{{OAI_DC}}}dc")

        def add(name: str, value: Any, parent: ET.Element = record) -> None:
            if str(value or "").strip():
                ET.SubElement(parent, f"{{{DC}}}{name}").text = str(value)

        add("identifier", dcat.landing_page(portal.root, str(row["id"])))
        add("title", row.get("title"))
        add("description", row.get("description"))
        add("creator", row.get("publisher"))
        add("publisher", row.get("publisher"))
        for keyword in [*(row.get("theme_labels") or []), *(row.get("keywords") or [])]:
            add("subject", keyword)
        add("date", row.get("modified"))
        add("type", "Dataset")
        for fmt in row.get("formats") or []:
            spec = dcat.FORMATS.get(fmt)
            add("format", spec.media_type if spec and spec.media_type else fmt)
        add("language", "fr")
        add("coverage", portal.territory)
        if row.get("temporal_start") or row.get("temporal_end"):
            add("coverage", f"{row.get('temporal_start') or ''}/{row.get('temporal_end') or ''}")
        add("rights", dcat.license_uri(row) or row.get("license_title"))
        add("source", row.get("source_page") or row.get("source_url"))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def tab_formats(dataset_id: str) -> list[str]:
    """The dataset's export formats by the export tab's rule (exports.formats_for) that the API also serves, for the
    catalogue built without the API (the catalogue page's download, `python -m catalogue dcat`). The API's own DCAT
    asks api/exports.py instead; a test checks this list never names a format the API refuses."""
    schema = Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))
    return [fmt for fmt in formats_for(schema) if fmt in dcat.FORMATS]


@cached()
def catalogue_files() -> dict[str, bytes]:
    """{"csv", "json", "jsonld", "ttl", "rdf"} bytes of the current catalogue, built once per data version and settings
    (base URL) in the shared result cache."""
    rows = public_records()
    published = set(queries.published_ids())
    for row in rows:
        row["formats"] = tab_formats(str(row["id"])) if str(row["id"]) in published else []
    graph = dcat.build_graph(rows, site())
    return {"csv": to_csv(rows), "json": to_json(rows),
            **{fmt: dcat.serialise(graph, fmt) for fmt in dcat.SERIALISATIONS}}
