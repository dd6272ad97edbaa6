"""GET …/records, …/records/{record_id} and …/facets of one dataset: ODSQL through build_query and the executor."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from api.odsql import DatasetSchema, ODSQLError
from api.responses import (
    RECORD_FIELD,
    NotFound,
    base_url,
    boolean,
    dataset_query,
    endpoint,
    integer,
    json_response,
    link,
    odsql_params,
    published,
    run,
    schema_of,
    text,
    texts,
)
from catalogue.schema import Schema

FACET_LIMIT = 100  # values per facet
DEFAULT_FACETS = 6
_FACET_CALL = re.compile(r'^\s*facet\s*\((?P<args>.*)\)\s*$', re.IGNORECASE | re.DOTALL)
_FACET_ARG = re.compile(r'(?P<key>[a-z_]+)\s*=\s*(?:"(?P<str>(?:[^"\\]|\\.)*)"|(?P<raw>[^,\s)]+))', re.IGNORECASE)


def dataset_url(dataset_id: str) -> str:
    return f"{base_url()}/catalog/datasets/{quote(dataset_id, safe='')}"


@endpoint
def records(request: Request) -> Response:
    dataset_id = request.path_params["dataset_id"]
    meta = published(dataset_id)
    include_links = boolean(request, "include_links")
    boolean(request, "include_app_metas")  # checked; this portal has no application metadata to add
    params = odsql_params(request)
    limit, offset = integer(request, "limit", 10), integer(request, "offset", 0)
    query = None
    if include_links and params["group_by"] is None:
        # The record id rides along as one more selected field; an aggregated select has no record ids.
        try:
            query = dataset_query(dataset_id, schema_of(meta, with_record_number=True), limit=limit, offset=offset,
                                  **{**params, "select": f"{params['select'] or '*'}, {RECORD_FIELD}"})
        except ODSQLError:
            query = None
    if query is None:
        query = dataset_query(dataset_id, schema_of(meta), limit=limit, offset=offset, **params)
    rows, total = run(query)
    url = dataset_url(dataset_id)
    if include_links:
        for row in rows:
            number = row.pop(RECORD_FIELD, None)
            if number is not None:
                row["_id"] = str(number)
                row["_links"] = [link(f"{url}/records/{number}", "self"), link(url, "dataset")]
    body: dict[str, Any] = {"total_count": total, "results": rows}
    if include_links:
        body = {"total_count": total, "_links": [link(f"{url}/records", "self"), link(url, "dataset")],
                "results": rows}
    return json_response(body)


@endpoint
def record(request: Request) -> Response:
    """One record by its id (the row's position in the current version: see api.responses.RECORD_FIELD)."""
    dataset_id = request.path_params["dataset_id"]
    meta = published(dataset_id)
    record_id = request.path_params["record_id"]
    if not re.fullmatch(r"\d{1,18}", record_id):
        raise NotFound(f"Unknown record: {record_id[:40]}")
    schema = schema_of(meta, with_record_number=True)
    select = text(request, "select") or "exclude(" + RECORD_FIELD + ")"
    query = dataset_query(dataset_id, schema, select=select, where=f"{RECORD_FIELD} = {int(record_id)}", limit=1,
                          lang=text(request, "lang") or "fr", timezone=text(request, "timezone") or "UTC")
    rows, _total = run(query, count=False)
    if not rows:
        raise NotFound(f"Unknown record: {record_id}")
    return json_response(rows[0])


def facet_names(request: Request, schema: DatasetSchema, default: list[str]) -> list[tuple[str, int]]:
    """(field, limit) of each `facet` parameter (`field` or `facet(name="field", limit=…)`), else the defaults."""
    wanted = texts(request, "facet")
    if not wanted:
        return [(name, FACET_LIMIT) for name in default if schema.find(name)]
    out = []
    for raw in wanted[:50]:
        call = _FACET_CALL.match(raw)
        name, limit = raw.strip(), FACET_LIMIT
        if call:
            args = {m["key"].lower(): m["str"] if m["str"] is not None else m["raw"]
                    for m in _FACET_ARG.finditer(call["args"])}
            name = args.get("name") or ""
            if args.get("limit", "").lstrip("-").isdigit():
                limit = max(1, min(int(args["limit"]), FACET_LIMIT))
        info = schema.find(name)
        if info is None:
            raise ODSQLError(f"Unknown field: {name[:60]}", "facet")
        out.append((info.name, limit))
    return out


def facet_values(run_facet: Any, schema: DatasetSchema, names: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """ODS's facet enumeration: per field, its values with their counts (most frequent first; dates by year)."""
    facets = []
    for name, limit in names:
        info = schema.by_name[name]
        if info.type in ("geo_point_2d", "geo_shape"):
            raise ODSQLError(f"{name} is a geo field: it has no facet", "facet")
        key = f"year(`{name}`)" if info.type in ("date", "datetime") else f"`{name}`"
        rows, _total = run_facet(select="count(*) as count", group_by=f"{key} as value",
                                 order_by="count desc, value", limit=limit)
        values = [{"name": str(r["value"]), "count": int(r["count"]), "value": str(r["value"]), "state": "displayed"}
                  for r in rows if r["value"] is not None]
        facets.append({"name": name, "facets": values})
    return facets


@endpoint
def facets(request: Request) -> Response:
    dataset_id = request.path_params["dataset_id"]
    meta = published(dataset_id)
    schema = schema_of(meta)
    default = Schema.from_meta(dataset_id, meta).facet_columns(DEFAULT_FACETS)
    names = facet_names(request, schema, default)
    params = odsql_params(request)
    filters = {k: params[k] for k in ("where", "refine", "exclude", "lang", "timezone")}

    def run_facet(**kw: Any) -> tuple[list[dict[str, Any]], int]:
        return run(dataset_query(dataset_id, schema, **filters, **kw), count=False)

    return json_response({"_links": [], "facets": facet_values(run_facet, schema, names)})
