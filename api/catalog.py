"""GET /catalog/datasets, /catalog/datasets/{dataset_id}, /catalog/facets, /catalog/exports[/{format}] and
…/attachments: the catalogue table under Opendatasoft's names (the shared view `api_catalog`), filtered by ODSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

import queries
from api import dcat as dcat_api
from api import feeds as feeds_api
from api.odsql import DatasetSchema, InvalidParameterError, ODSQLError, build_query, check_page
from api.odsql.query import check_lang, wall_clock
from api.records import dataset_url, facet_names
from api.responses import (
    CORS,
    base_url,
    boolean,
    dumps,
    endpoint,
    format_link,
    integer,
    json_response,
    link,
    odsql_params,
    published,
    run,
    schema_of,
    texts,
)
from exports import catalogue as catalogue_export

CATALOG_VIEW = "api_catalog"
CATALOG_FIELDS = [("dataset_id", "text"), ("title", "text"), ("description", "text"), ("publisher", "text"),
                  ("license", "text"), ("license_url", "text"), ("modified", "date"), ("records_count", "integer"),
                  ("keyword", "text"), ("theme", "text"), ("frequency", "text"), ("spatial_granularity", "text"),
                  ("features_geo", "boolean"), ("features_timeserie", "boolean")]
CATALOG_SCHEMA = DatasetSchema.from_columns(CATALOG_FIELDS)
# keyword and theme are lists: refine/exclude on them match one entry of the list (the catalogue facets' values).
LIST_FIELDS = {"keyword": "keywords", "theme": "theme_labels"}
CATALOG_FACETS = ("publisher", "theme", "keyword", "license", "features", "language")
# Catalogue exports: format → (media type, file name, writer of the selected rows). dcat and rdf are DCAT-AP in
# RDF/XML, as Opendatasoft serves them, ttl the same graph in Turtle (api/dcat.py, with each dataset's download URLs).
CATALOG_EXPORTS: dict[str, tuple[str, str, Callable[[list[dict[str, Any]], Request], bytes]]] = {
    "csv": ("text/csv; charset=utf-8", "catalog.csv", lambda rows, _request: catalogue_export.to_csv(rows)),
    "json": ("application/json; charset=utf-8", "catalog.json", lambda rows, _request: catalogue_export.to_json(rows)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "catalog.xlsx",
             lambda rows, _request: catalogue_export.to_xlsx(rows)),
    "dcat": ("application/rdf+xml; charset=utf-8", "catalog.rdf", dcat_api.rdf_export("rdf")),
    "rdf": ("application/rdf+xml; charset=utf-8", "catalog.rdf", dcat_api.rdf_export("rdf")),
    "ttl": ("text/turtle; charset=utf-8", "catalog.ttl", dcat_api.rdf_export("ttl")),
    "data.json": ("application/json; charset=utf-8", "data.json", dcat_api.data_json),
    "dublin_core": ("application/xml; charset=utf-8", "catalog_dublin_core.xml", dcat_api.dublin_core),
    "rss": ("application/rss+xml; charset=utf-8", "catalog.rss", feeds_api.catalogue_rss),  # the Atom feed's entries
}
# An ODSQL select/group_by makes rows of its own, which only the tabular formats can carry.
PROJECTED_EXPORTS: dict[str, Callable[[list[dict[str, Any]]], bytes]] = {
    "csv": catalogue_export.projected_csv, "json": dumps, "xlsx": catalogue_export.projected_xlsx}
# ODS's national DCAT-AP variants (dcat_ap_ch, dcat_ap_de…) exist only where a portal activates them.
DCAT_AP_VARIANT = "dcat_ap_"


def _catalog_query(request: Request, *, select: str | None = None, export: bool = False, **kw: Any) -> Any:
    params = odsql_params(request)
    if select is not None:
        params["select"] = select
    table = queries.ident(CATALOG_VIEW, [CATALOG_VIEW])
    tiebreak = queries.ident("dataset_id", ["dataset_id"])
    return build_query(table, CATALOG_SCHEMA, tiebreak=tiebreak, export=export, **{**params, **kw})


def _entries() -> dict[str, dict[str, Any]]:
    """The whole catalogue as plain dicts (lists kept), by dataset id."""
    rows = catalogue_export.public_records()  # landing pages on the portal's public URL, not under the API's base
    return {str(r["id"]): r for r in rows}


def _list_facets(values: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Split refine/exclude values: those on a list field (keyword, theme) are matched here, entry by entry, since
    ODSQL sees these lists joined into one text; the others go to ODSQL."""
    plain, lists = [], []
    for value in values:
        name, sep, wanted = value.partition(":")
        if sep and name.strip().lower() in LIST_FIELDS:
            lists.append((LIST_FIELDS[name.strip().lower()], wanted))
        else:
            plain.append(value)
    return plain, lists


def _matching_ids(request: Request, *, limit: int, offset: int = 0, export: bool = False) -> tuple[list[str], int]:
    """Ids of the datasets the request selects, in its order, and their count."""
    refine, refine_lists = _list_facets(texts(request, "refine"))
    exclude, exclude_lists = _list_facets(texts(request, "exclude"))
    if not refine_lists and not exclude_lists:
        rows, total = run(_catalog_query(request, select="dataset_id", limit=limit, offset=offset, export=export))
        return [str(r["dataset_id"]) for r in rows], total
    check_page(limit, offset, grouped=False, export=export)
    rows, _total = run(_catalog_query(request, select="dataset_id", limit=-1, offset=0, export=True, refine=refine,
                                      exclude=exclude))
    entries = _entries()
    ids = [str(r["dataset_id"]) for r in rows if str(r["dataset_id"]) in entries]
    ids = [i for i in ids if all(value in (entries[i].get(key) or []) for key, value in refine_lists)
           and not any(value in (entries[i].get(key) or []) for key, value in exclude_lists)]
    return ids[offset:offset + limit if limit >= 0 else None], len(ids)


def _features(entry: Mapping[str, Any]) -> list[str]:
    return ["analyze"] + (["geo"] if entry.get("has_map") else []) + (["timeserie"] if entry.get("has_time_series")
                                                                       else [])


def dataset_object(entry: Mapping[str, Any], include_links: bool = False) -> dict[str, Any]:
    """One dataset as ODS describes it: dataset_id, metas.default, fields with ODS types, features, links."""
    dataset_id = str(entry["id"])
    meta = published(dataset_id)
    labels = {str(c["name"]): c for c in meta.get("columns", [])}
    fields = [{"name": f.name, "label": str(labels.get(f.name, {}).get("label") or f.name), "type": f.type,
               "annotations": {}, "description": labels.get(f.name, {}).get("description") or None}
              for f in schema_of(meta).fields]
    modified = str(entry.get("modified") or "")
    default = {
        "title": entry.get("title"), "description": entry.get("description"), "publisher": entry.get("publisher"),
        "license": entry.get("license_title"), "license_url": entry.get("license_url") or None,
        "modified": f"{modified}T00:00:00+00:00" if len(modified) == 10 else (modified or None),
        "data_processed": entry.get("loaded_at") or None, "metadata_processed": entry.get("loaded_at") or None,
        "records_count": int(entry.get("records") or 0), "keyword": list(entry.get("keywords") or []),
        "theme": list(entry.get("theme_labels") or []), "language": "fr", "timezone": None,
        "references": entry.get("source_page") or entry.get("source_url") or None,
        "attributions": entry.get("attribution") or None, "frequency": entry.get("frequency") or None,
        "spatial_granularity": entry.get("spatial_granularity") or None, "version": entry.get("version") or None,
        "landing_page": entry.get("landing_page"),
    }
    obj: dict[str, Any] = {"dataset_id": dataset_id, "dataset_uid": f"da_{dataset_id}", "attachments": [],
                           "has_records": int(entry.get("records") or 0) > 0, "data_visible": True,
                           "features": _features(entry), "metas": {"default": default}, "fields": fields}
    if include_links:
        url = dataset_url(dataset_id)
        obj = {"_links": [link(url, "self"), link(f"{base_url()}/catalog/datasets", "catalog")], **obj}
    return obj


@endpoint
def datasets(request: Request) -> Response:
    limit, offset = integer(request, "limit", 10), integer(request, "offset", 0)
    include_links = boolean(request, "include_links")
    boolean(request, "include_app_metas")  # checked; this portal has no application metadata to add
    params = odsql_params(request)
    if params["select"] or params["group_by"]:  # a projection or aggregation of the catalogue: rows as ODSQL gives them
        rows, total = run(_catalog_query(request, limit=limit, offset=offset))
        return json_response({"total_count": total, "results": rows})
    ids, total = _matching_ids(request, limit=limit, offset=offset)
    entries = _entries()
    results = [dataset_object(entries[i], include_links) for i in ids if i in entries]
    body: dict[str, Any] = {"total_count": total, "results": results}
    if include_links:
        body = {"total_count": total, "_links": [link(f"{base_url()}/catalog/datasets", "self")], "results": results}
    return json_response(body)


@endpoint
def dataset(request: Request) -> Response:
    dataset_id = request.path_params["dataset_id"]
    published(dataset_id)
    entry = _entries().get(dataset_id)
    if entry is None:  # published but absent from the manifest (a broken manifest file hides its dataset)
        return json_response({"error_code": "NotFoundError", "message": f"Unknown dataset: {dataset_id[:100]}"}, 404)
    boolean(request, "include_app_metas")  # checked; this portal has no application metadata to add
    params = odsql_params(request)  # lang and timezone are checked even where no date is written
    check_lang(params["lang"])
    wall_clock(params["timezone"])
    if params["select"]:  # the fields the client chose, as the datasets list gives them
        rows, _total = run(_catalog_query(request, refine=[f"dataset_id:{dataset_id}"], where=None, exclude=None,
                                          group_by=None, order_by=None, limit=1, offset=0),
                           count=False)
        return json_response(rows[0] if rows else {})
    return json_response(dataset_object(entry, boolean(request, "include_links")))


@endpoint
def facets(request: Request) -> Response:
    """Facets of the catalogue (publisher, theme, keyword, license, features, language) over the datasets that the
    where/refine/exclude parameters select; counted here, the catalogue being one row per dataset."""
    wanted = [name for name, _limit in facet_names(request, DatasetSchema.from_columns(
        [(n, "text") for n in CATALOG_FACETS]), list(CATALOG_FACETS))]
    ids, _total = _matching_ids(request, limit=-1, export=True)
    entries = _entries()
    chosen = [entries[i] for i in ids if i in entries]
    sources = {"publisher": lambda e: [e.get("publisher")], "theme": lambda e: e.get("theme_labels") or [],
               "keyword": lambda e: e.get("keywords") or [], "license": lambda e: [e.get("license_title")],
               "features": _features, "language": lambda e: ["fr"]}
    out = []
    for name in wanted:
        counts = Counter(str(v) for e in chosen for v in sources[name](e) if v)
        values = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append({"name": name, "facets": [{"name": v, "count": n, "value": v, "state": "displayed"}
                                             for v, n in values]})
    return json_response({"_links": [], "facets": out})


@endpoint
def export_formats(request: Request) -> Response:
    url = f"{base_url()}/catalog/exports"
    return json_response({"_links": [link(url, "self")] + [format_link(f"{url}/{fmt}", "catalog", fmt)
                                                            for fmt in CATALOG_EXPORTS]})


@endpoint
def export(request: Request) -> Response:
    """The catalogue (or the datasets ODSQL selects) in one of CATALOG_EXPORTS, written by exports/catalogue.py."""
    fmt = request.path_params["format"]
    if fmt.startswith(DCAT_AP_VARIANT):
        raise InvalidParameterError(f"The {fmt[:40]} export format is not activated on this portal. Available "
                                    f"formats: {', '.join(CATALOG_EXPORTS)}.", "format")
    if fmt not in CATALOG_EXPORTS:
        raise InvalidParameterError(f"Unsupported export format for the catalog: {fmt[:40]}. Available formats: "
                                    f"{', '.join(CATALOG_EXPORTS)}.", "format")
    limit, offset = integer(request, "limit", -1), integer(request, "offset", 0)
    media_type, name, write = CATALOG_EXPORTS[fmt]
    params = odsql_params(request)
    if params["select"] or params["group_by"]:  # rows as ODSQL gives them, as the datasets list does
        clause = "select" if params["select"] else "group_by"
        if fmt not in PROJECTED_EXPORTS:
            raise ODSQLError(f"{clause} applies to the {', '.join(PROJECTED_EXPORTS)} catalogue exports, not to "
                             f"{fmt}", clause)
        rows, _total = run(_catalog_query(request, limit=limit, offset=offset, export=True), count=False)
        body = PROJECTED_EXPORTS[fmt](rows)
    else:
        ids, _total = _matching_ids(request, limit=limit, offset=offset, export=True)
        entries = _entries()
        body = write([entries[i] for i in ids if i in entries], request)
    return Response(body, media_type=media_type,
                    headers={**CORS, "Content-Disposition": f'attachment; filename="{quote(name)}"'})


@endpoint
def attachments(request: Request) -> Response:
    published(request.path_params["dataset_id"])
    return json_response({"_links": [], "attachments": []})
