"""DCAT catalogue (JSON-LD) of the portal, built from catalogue rows: a pure function, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from catalogue import vocab

CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "ods": "https://opendatasoft.com/ns/ods#",
}
_EU_LANG = "http://publications.europa.eu/resource/authority/language/"
_LANG = {"fr": "FRA", "en": "ENG"}
_EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
# udata UpdateFrequency slug → EU frequency authority table (what DCAT-AP expects in dct:accrualPeriodicity).
FREQUENCIES: dict[str, str] = {
    "continuous": "UPDATE_CONT", "oneMinute": "1MIN", "fiveMinutes": "5MIN", "tenMinutes": "10MIN",
    "fifteenMinutes": "15MIN", "thirtyMinutes": "30MIN", "hourly": "HOURLY", "bihourly": "BIHOURLY",
    "trihourly": "TRIHOURLY", "twelveHours": "12HRS", "severalTimesADay": "CONT", "threeTimesADay": "DAILY_3",
    "semidaily": "DAILY_2", "daily": "DAILY", "fiveTimesAWeek": "OTHER", "threeTimesAWeek": "WEEKLY_3",
    "semiweekly": "WEEKLY_2", "weekly": "WEEKLY", "biweekly": "BIWEEKLY", "threeTimesAMonth": "MONTHLY_3",
    "semimonthly": "MONTHLY_2", "monthly": "MONTHLY", "bimonthly": "BIMONTHLY", "quarterly": "QUARTERLY",
    "threeTimesAYear": "ANNUAL_3", "semiannual": "ANNUAL_2", "annual": "ANNUAL", "biennial": "BIENNIAL",
    "triennial": "TRIENNIAL", "quadrennial": "QUADRENNIAL", "quinquennial": "QUINQUENNIAL",
    "decennial": "DECENNIAL", "bidecennial": "BIDECENNIAL", "tridecennial": "TRIDECENNIAL",
    "punctual": "NEVER", "irregular": "IRREG", "never": "NEVER", "notPlanned": "NOT_PLANNED", "other": "OTHER",
    "unknown": "UNKNOWN",
}
# The formats the dataset page's export tab offers for every dataset.
DISTRIBUTIONS: tuple[tuple[str, str, str], ...] = (
    ("csv", "CSV", "text/csv"),
    ("parquet", "Parquet", "application/vnd.apache.parquet"),
)
GEO_DISTRIBUTION = ("geojson", "GeoJSON", "application/geo+json")


def landing_page(base_url: str, dataset_id: str) -> str:
    return f"{base_url.rstrip('/')}/jeu-de-donnees?id={quote(dataset_id)}"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    try:
        return [str(v) for v in value if v is not None and str(v)]
    except TypeError:
        return [str(value)]


def _date(value: Any, end: bool = False) -> dict[str, str] | None:
    """ISO date/year text → a typed JSON-LD literal (xsd:date, xsd:gYear, xsd:gYearMonth); junk → None."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]) and (len(text) == 10 or text[10] in "T "):
        return {"@value": text[:10], "@type": "xsd:date"}
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return {"@value": text, "@type": "xsd:gYearMonth"}
    if re.fullmatch(r"\d{4}", text):
        return {"@value": text, "@type": "xsd:gYear"}
    return None


def _distributions(row: Mapping[str, Any], base_url: str, download_base: str | None) -> list[dict[str, Any]]:
    ds_id = str(row["id"])
    formats = list(DISTRIBUTIONS)
    if str(row.get("geo_kind") or "none") != "none":
        formats.append(GEO_DISTRIBUTION)
    out = []
    for ext, label, media in formats:
        dist: dict[str, Any] = {
            "@id": f"{landing_page(base_url, ds_id)}#distribution-{ext}",
            "@type": "dcat:Distribution",
            "dct:title": f"{row.get('title') or ds_id} ({label})",
            "dct:format": label,
            "dcat:mediaType": media,
            # The export tab builds the file on demand: it is the access point of every format.
            "dcat:accessURL": {"@id": f"{landing_page(base_url, ds_id)}&tab=export"},
        }
        if download_base:
            dist["dcat:downloadURL"] = {"@id": f"{download_base.rstrip('/')}/{quote(ds_id)}.{ext}"}
        if row.get("license_url"):
            dist["dct:license"] = {"@id": str(row["license_url"])}
        out.append(dist)
    return out


def dataset_entry(row: Mapping[str, Any], base_url: str, download_base: str | None = None,
                  territory: str = "") -> dict[str, Any]:
    """One dcat:Dataset from a catalogue row (columns of the `catalogue` table)."""
    ds_id = str(row["id"])
    page = landing_page(base_url, ds_id)
    entry: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": ds_id,
        "dct:title": str(row.get("title") or ds_id),
        "dct:description": str(row.get("description") or ""),
        "dcat:keyword": _list(row.get("keywords")),
        "dcat:theme": [{"@type": "skos:Concept", "skos:notation": t, "skos:prefLabel": vocab.TOPICS.get(t, t)}
                       for t in _list(row.get("themes"))],
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": str(row.get("publisher") or "")},
        "dcat:landingPage": {"@id": page},
        "dct:accrualPeriodicity": {"@id": _EU_FREQ + FREQUENCIES.get(str(row.get("frequency") or ""), "UNKNOWN")},
        "ods:recordsCount": int(row.get("records") or 0),
        "dcat:distribution": _distributions(row, base_url, download_base),
    }
    if row.get("publisher_url"):
        entry["dct:publisher"]["foaf:homepage"] = {"@id": str(row["publisher_url"])}
    license_url = str(row.get("license_url") or "")
    entry["dct:license"] = {"@id": license_url} if license_url else str(row.get("license_title") or "")
    entry["dct:rights"] = str(row.get("license_title") or "")
    for key, column in (("dct:issued", "created"), ("dct:modified", "modified")):
        value = _date(row.get(column))
        if value:
            entry[key] = value
    start, end = _date(row.get("temporal_start")), _date(row.get("temporal_end"))
    if start or end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if start:
            period["dcat:startDate"] = start
        if end:
            period["dcat:endDate"] = end
        entry["dct:temporal"] = period
    if territory:
        entry["dct:spatial"] = {"@type": "dct:Location", "skos:prefLabel": territory}
    source = str(row.get("source_page") or row.get("source_url") or "")
    if source:
        entry["dct:source"] = {"@id": source}
    if row.get("attribution"):
        entry["dct:bibliographicCitation"] = str(row["attribution"])
    return entry


def build_catalog(rows: Iterable[Mapping[str, Any]], *, base_url: str, title: str, description: str = "",
                  publisher: str = "", language: str = "fr", download_base: str | None = None,
                  modified: str | None = None, territory: str = "") -> dict[str, Any]:
    """The dcat:Catalog as a JSON-LD dict.

    Args:
        rows: catalogue rows (dicts with the columns of the `catalogue` table).
        base_url: public base URL of the portal (landing pages are `<base_url>/jeu-de-donnees?id=<id>`).
        title, description, publisher: about the catalogue itself.
        download_base: where static copies of the files are published (`<base>/<id>.<ext>`), if they are.
        modified: date of the catalogue; defaults to the latest dataset modification.
        territory: the area every dataset covers (dct:spatial), e.g. « Dordogne (24) ».
    """
    rows = list(rows)
    datasets = [dataset_entry(r, base_url, download_base, territory) for r in rows]
    latest = modified or max((str(r.get("modified") or "") for r in rows), default="")
    catalog: dict[str, Any] = {
        "@context": dict(CONTEXT),
        "@id": f"{base_url.rstrip('/')}/catalogue",
        "@type": "dcat:Catalog",
        "dct:title": title,
        "dct:description": description,
        "dct:language": {"@id": _EU_LANG + _LANG.get(language, "FRA")},
        "foaf:homepage": {"@id": base_url.rstrip("/") + "/"},
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher or title},
        "dcat:dataset": datasets,
    }
    stamp = _date(latest)
    if stamp:
        catalog["dct:modified"] = stamp
    return catalog
