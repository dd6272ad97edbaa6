"""What every Explore API route shares: JSON answers (CORS open for GET), ODS's error body, request parameters, the
dataset a path names, and running a built ODSQL query through the one executor."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import email.utils
import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import queries
from api import ratelimit
from api.odsql import DatasetSchema, FieldInfo, InvalidParameterError, ODSQLError, ODSQLQuery, build_query
from config import get_settings
from exports.limits import ExportBusy
from queries import QueryError, QueryTimeout

BASE_PATH = "/api/explore/v2.1"
JSON_TYPE = "application/json; charset=utf-8"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
        # Without this a script in another origin cannot read the validators, the quota's wait or the file name.
        "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After, Content-Disposition, Link"}
# What a cross-origin script may send: conditional requests (its own cache) and an API key header, as on ODS.
PREFLIGHT = {**CORS, "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since, Authorization, Accept",
             "Access-Control-Max-Age": "86400"}
RETRY_AFTER_S = 30
CACHE_MAX_AGE_S = 60  # a new dataset version changes the ETag; clients and proxies revalidate after a minute
# The record id: the row's position in the current version's Parquet file (DuckDB's file_row_number). It is stable
# for as long as that version is current (a new version may renumber rows), cheap to look up and never reused within
# a version. It is exposed to ODSQL under this name only for the record routes and include_links.
RECORD_FIELD = "_record_number"
ROW_NUMBER = "file_row_number"


class NotFound(Exception):
    """404: an unknown dataset, record or format (the message is ODS's, in English like the rest of the API)."""


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return str(value)


def clean(value: Any) -> Any:
    """NaN and infinities → null, recursively (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):
        return clean(value.tolist())
    return value


def dumps(data: Any) -> bytes:
    return json.dumps(clean(data), ensure_ascii=False, default=_default, allow_nan=False).encode("utf-8")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type=JSON_TYPE, headers={**CORS, **(headers or {})})


def error_response(status: int, error_code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response({"error_code": error_code, "message": message}, status, headers)


def quota_response(retry_after_s: float, call_limit: int, error: str) -> Response:
    """ODS's 429 (the spec's `quota` answer: errorcode, reset_time, limit_time_unit, call_limit, error), with
    Retry-After in whole seconds."""
    wait = max(1, math.ceil(retry_after_s))
    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait)).replace(microsecond=0)
    body = {"errorcode": 10002, "reset_time": reset.isoformat().replace("+00:00", "Z"), "limit_time_unit": "minute",
            "call_limit": call_limit, "error": error}
    return json_response(body, 429, {"Retry-After": str(wait)})


def endpoint(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """A route handler whose refusals become ODS's error answers: 400 for a bad request (ODSQL or parameter), 404 for
    what does not exist, 429 (with Retry-After) past the client's rate or when exports are all busy; never a 500 for
    bad input."""

    @functools.wraps(handler)
    def wrapped(request: Request) -> Response:
        wait = ratelimit.wait_s(request)
        if wait > 0:  # checked first: a throttled client costs no query, not even the ETag's
            return quota_response(wait, get_settings().api_rate_per_min,
                                  "Too many requests from this client: "
                                  f"{get_settings().api_rate_per_min} API calls per minute at most.")
        try:
            tag, modified = validators(request)
            if _not_modified(request, tag, modified):
                return Response(status_code=304, headers={**CORS, **_cache_headers(tag, modified)})
            response = handler(request)
            if response.status_code == 200:
                response.headers.update(_cache_headers(tag, modified))
            return response
        except ODSQLError as exc:
            return JSONResponse(exc.to_dict(), 400, headers=CORS, media_type=JSON_TYPE)
        except NotFound as exc:
            return error_response(404, "NotFoundError", str(exc))
        except ExportBusy:
            return quota_response(RETRY_AFTER_S, get_settings().export_max_concurrent,
                                  "Too many exports running at once: retry in a moment (at most "
                                  f"{get_settings().export_max_concurrent} exports at a time).")
        except QueryTimeout as exc:
            return error_response(400, "QueryTimeoutError", str(exc))
        except QueryError as exc:
            return error_response(400, "InvalidQueryError", str(exc))

    return wrapped


# -- conditional requests -----------------------------------------------------------------------------------------------
def validators(request: Request) -> tuple[str, dt.datetime | None]:
    """The ETag of an answer (the warehouse's data version — it changes with any dataset version or manifest edit —
    and the request's path and parameters) and, for a dataset's routes, the load time of its current version."""
    digest = hashlib.sha256(f"{queries.data_version()}|{request.url.path}|{request.url.query}".encode()).hexdigest()
    modified = None
    dataset_id = request.path_params.get("dataset_id")
    if dataset_id in queries.warehouse().datasets():
        with contextlib.suppress(QueryError, ValueError, TypeError):
            stamp = dt.datetime.fromisoformat(str(queries.dataset_meta(dataset_id).get("loaded_at")))
            modified = (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).replace(microsecond=0)
    return f'"{digest[:32]}"', modified


def _not_modified(request: Request, tag: str, modified: dt.datetime | None) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        return tag in [t.strip().removeprefix("W/") for t in match.split(",")] or match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since and modified is not None:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            return modified <= email.utils.parsedate_to_datetime(since)
    return False


def _cache_headers(tag: str, modified: dt.datetime | None) -> dict[str, str]:
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={CACHE_MAX_AGE_S}"}
    if modified is not None:
        headers["Last-Modified"] = email.utils.format_datetime(modified.astimezone(dt.UTC), usegmt=True)
    return headers


# -- parameters --------------------------------------------------------------------------------------------------------
def text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value is not None and value.strip() else None


def texts(request: Request, name: str) -> list[str]:
    """A parameter ODS accepts several times (where, refine, exclude, facet): every value, in order."""
    return [v for v in request.query_params.getlist(name) if v.strip()]


def integer(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidParameterError(f"Invalid value for {name} API parameter: {raw[:30]!r} is not an integer.",
                                    name) from None
    if abs(value) > 2**62:
        raise InvalidParameterError(f"Invalid value for {name} API parameter: {raw[:30]} is out of range.", name)
    return value


def boolean(request: Request, name: str, default: bool = False) -> bool:
    raw = (request.query_params.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise InvalidParameterError(f"Invalid value for {name} API parameter: {raw[:20]!r} is not a boolean.", name)


def odsql_params(request: Request) -> dict[str, Any]:
    """The ODSQL parameters of a request, as build_query takes them."""
    return {"select": text(request, "select"), "where": texts(request, "where"),
            "group_by": text(request, "group_by"), "order_by": text(request, "order_by"),
            "refine": texts(request, "refine"), "exclude": texts(request, "exclude"),
            "lang": text(request, "lang") or "fr", "timezone": text(request, "timezone") or "UTC"}


# -- datasets ----------------------------------------------------------------------------------------------------------
def base_url() -> str:
    return get_settings().public_base_url + BASE_PATH


def published(dataset_id: str) -> dict[str, Any]:
    """The dataset's meta.json; NotFound unless the id is a published dataset (the registry is the allow-list)."""
    if dataset_id not in queries.warehouse().datasets():
        raise NotFound(f"Unknown dataset: {dataset_id[:100]}")
    try:
        return queries.dataset_meta(dataset_id)
    except QueryError:
        raise NotFound(f"Unknown dataset: {dataset_id[:100]}") from None


def schema_of(meta: Mapping[str, Any], with_record_number: bool = False) -> DatasetSchema:
    schema = DatasetSchema.from_meta(meta)
    if with_record_number and RECORD_FIELD not in schema.by_name:
        return DatasetSchema((*schema.fields, FieldInfo(RECORD_FIELD, "int", column=ROW_NUMBER)))
    return schema


def dataset_query(dataset_id: str, schema: DatasetSchema, **kw: Any) -> ODSQLQuery:
    """build_query over the dataset's view with file_row_number (a total order for record pages). An export without
    order_by reads the file in its own order (DuckDB keeps insertion order): no sort of every row."""
    if kw.get("export") and not kw.get("order_by"):
        return build_query(queries.ordered_table_name(dataset_id), schema, **kw)
    tiebreak = queries.ident(ROW_NUMBER, [ROW_NUMBER])
    return build_query(queries.ordered_table_name(dataset_id), schema, tiebreak=tiebreak, **kw)


def run(query: ODSQLQuery, *, count: bool = True) -> tuple[list[dict[str, Any]], int]:
    """The rows (as {label: value}) and total_count of a built query, through the executor."""
    wh = queries.warehouse()
    frame = wh.execute(query.sql, query.params).frame
    labels = [c.label for c in query.columns]
    shapes = {c.label for c in query.columns if c.type == "geo_shape"}
    moments = {c.label for c in query.columns if c.type == "datetime"}
    zone = ZoneInfo(query.timezone)
    rows = [dict(zip(labels, values, strict=True)) for values in frame.itertuples(index=False, name=None)]
    total = total_from_page(query, len(rows)) if count else len(rows)
    if total is None:
        total = int(wh.execute(query.count_sql, query.count_params).frame.iloc[0, 0])
    return [clean({k: _shape(v) if k in shapes else in_zone(_none(v), zone) if k in moments else _none(v)
                   for k, v in row.items()}) for row in rows], total


def total_from_page(query: ODSQLQuery, shown: int) -> int | None:
    """A page that is not full holds every row past its offset: the total, without scanning the data again (a
    grouped chart's count of groups was a second GROUP BY over the whole selection). None when it must be counted."""
    if query.limit >= 0 and shown < query.limit and (shown > 0 or query.offset == 0):
        return query.offset + shown
    return None


def in_zone(value: Any, zone: ZoneInfo) -> Any:
    """A datetime (the request's wall-clock time, without offset) → ISO 8601 with that zone's offset, as ODS writes
    datetimes ("2020-01-08T11:00:00+01:00")."""
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=zone)
        return stamp.isoformat()
    return value


def _shape(value: Any) -> Any:
    """A geo_shape cell (GeoJSON text in the warehouse) → the GeoJSON Feature ODS returns."""
    value = _none(value)
    if isinstance(value, str):
        try:
            return {"type": "Feature", "geometry": json.loads(value), "properties": {}}
        except ValueError:
            return None
    return value


def _none(value: Any) -> Any:
    """pandas' missing values (NaT, NA, NaN) → None."""
    try:
        missing = value is None or (not isinstance(value, list | tuple | dict) and not hasattr(value, "__len__")
                                    and bool(value != value))
    except (TypeError, ValueError):
        missing = False
    if missing or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def format_link(href: str, rel: str, fmt: str) -> dict[str, str]:
    """A link to one export format. The spec's `links` schema allows only the relations self, first, last, next,
    dataset and catalog: an export is a representation of the dataset (or of the catalogue), so the relation is that
    one, and the format is named beside it (`format`: the schema allows other properties)."""
    return {"href": href, "rel": rel, "format": fmt}

