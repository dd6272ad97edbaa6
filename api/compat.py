"""Old Opendatasoft portal URLs (/explore/...) redirected to this portal's pages and exports.

A collectivité that replaces its Opendatasoft site keeps its domain: bookmarks, search results, reuses and scripts
still point at `/explore/dataset/<id>/table/?refine.commune=…`, `/explore/dataset/<id>/download/?format=csv` or API
v1's `/api/records/1.0/download/?dataset=<id>`. These routes send them to the same place here. The ODS parameters that
have an equivalent are translated (refine, exclude, sort, the map's location; `q` only when it is plain words, the
page's search being a close but not identical full-text match), the others dropped; a redirect never fails (an unknown
dataset goes to the dataset page, which says « introuvable »). Downloads end on the v2.1 export, whose JSON is a flat
array of records where v1's wrapped each in {"fields": …}.

Status: 301 Moved Permanently, as a site move calls for (RFC 9110 §15.4.2, and the search engines' site-move advice):
the old address is gone for good, links and rankings move to the new one. The answer carries a one-day max-age, so a
browser does not keep it forever (filters are translated against the dataset's current columns). An id that names no
dataset gets a 302: it may be published later and must not be cached as a dead end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

import queries
from api.responses import BASE_PATH, CORS, error_response
from catalogue import vocab
from catalogue.manifest import load_manifest
from catalogue.schema import Column
from config import get_settings
from queries import QueryError
from queries.catalogue_search import FACETS, CatalogueQuery
from queries.dataset.state import MAX_FILTERS, MAX_VALUE_LEN, DatasetView, Filter, MapSpec

PERMANENT, TEMPORARY = 301, 302
CACHE = {"Cache-Control": "public, max-age=86400"}
# ODS dataset tabs → the dataset page's `tab` values (queries.dataset.state.TABS). ODS tabs this portal does not
# have (images, calendar, custom views…) open the dataset page on its first tab.
TABS = {"": "informations", "information": "informations", "table": "tableau", "map": "carte",
        "analyze": "graphique", "export": "export", "api": "api"}
# ODS v1 download formats → Explore v2.1 export formats (v1 called the spreadsheet export `xls`).
DOWNLOAD_FORMATS = {"xls": "xlsx"}
# ODS catalogue sorts (v1 semantics: descending unless prefixed by `-`) → the catalogue page's `tri`.
CATALOGUE_SORTS = {"modified": "modification", "records_count": "enregistrements",
                   "explore.popularity_score": "popularite"}
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# ODS `q` is a query language; only plain words have an equivalent (the page's full-text search).
PLAIN_Q = re.compile(r"^[\w' .,-]{1,200}$")
QUERY_WORDS = re.compile(r"\b(AND|OR|NOT)\b|#|\*|\.\.")
# A hierarchical date facet value of ODS: 2020, 2020/05 or 2020/05/12.
DATE_FACET = re.compile(r"^(\d{4})(?:/(\d{1,2})(?:/(\d{1,2}))?)?$")


def _redirect(url: str, status: int) -> Response:
    # CORS as on the API: a script's fetch() of an old download link follows the redirect only if it allows it.
    return RedirectResponse(url, status_code=status, headers={**CORS, **(CACHE if status == PERMANENT else {})})


def _base() -> str:
    return get_settings().public_base_url


def _resolve(old_id: str) -> str | None:
    """This portal's id for an ODS dataset id: the same id, its slug (ODS ids may hold capitals and underscores), or
    the dataset harvested from that id (`source.dataset_id` of a manifest of kind `ods`); None when there is none."""
    published = queries.warehouse().datasets()
    if old_id in published:
        return old_id
    slug = re.sub(r"[^a-z0-9]+", "-", old_id.lower()).strip("-")
    if slug in published:
        return slug
    with contextlib.suppress(Exception):  # a broken manifest must not turn a redirect into a 500
        for spec in load_manifest():
            if spec.source.kind == "ods" and str(spec.source.options.get("dataset_id")) == old_id \
                    and spec.id in published:
                return spec.id
    return None


def _columns(dataset_id: str) -> dict[str, Column]:
    try:
        meta = queries.dataset_meta(dataset_id)
    except QueryError:
        return {}
    return {str(c["name"]): Column(str(c["name"]), str(c.get("type") or "text"), str(c["name"]))
            for c in meta.get("columns") or []}


def _params(request: Request, prefix: str) -> list[tuple[str, str]]:
    """(field, value) of every `<prefix>.<field>=value` parameter, in order."""
    return [(key[len(prefix):], value) for key, value in request.query_params.multi_items()
            if key.startswith(prefix) and FIELD_RE.match(key[len(prefix):])]


def _disjunctive(request: Request, name: str) -> bool:
    """`disjunctive.<name>` (ODS links often write it without a value) or `disjunctive.<name>=true`."""
    value = request.query_params.get(f"disjunctive.{name}")
    return value is not None and value.strip().lower() in ("", "true")


def _date_range(value: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of an ODS date facet value (a year, a month or a day)."""
    match = DATE_FACET.match(value.strip())
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None and month is not None:
            first = dt.date(year, month, day)  # type: ignore[arg-type]
            return first, first
        if month is not None:
            first = dt.date(year, month, 1)  # type: ignore[arg-type]
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)  # type: ignore[operator]
            return first, nxt - dt.timedelta(days=1)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)  # type: ignore[arg-type]
    except ValueError:
        return None


def _refines(request: Request, columns: dict[str, Column]) -> list[Filter]:
    """`refine.<field>` → `f=<field>:eq:<value>`, `exclude.<field>` → `ne` (ODS keeps the records where the field is
    empty, as `ne` does). A date refine (2020, 2020/05, 2020/05/12) becomes a gte/lte pair. Several values of one field
    combine with OR on the page: kept only when ODS does the same, i.e. with `disjunctive.<field>=true`."""
    out: list[Filter] = []
    refines: dict[str, list[str]] = {}
    for name, value in _params(request, "refine."):
        refines.setdefault(name, []).append(value)
    for name, values in refines.items():
        col = columns.get(name)
        if col is None or col.type == "geometry" or (len(values) > 1 and not _disjunctive(request, name)):
            continue
        if col.type == "date":
            span = _date_range(values[0]) if len(values) == 1 else None
            if span:
                out += [Filter(name, "gte", span[0], span[0].isoformat()),
                        Filter(name, "lte", span[1], span[1].isoformat())]
            continue
        if col.type == "datetime":  # a day of ODS depends on its time zone: no exact equivalent
            continue
        out += [f for f in (_typed(col, "eq", v) for v in values) if f is not None]
    for name, value in _params(request, "exclude."):
        col = columns.get(name)
        if col is not None and col.type not in ("geometry", "date", "datetime"):
            flt = _typed(col, "ne", value)
            if flt is not None:
                out.append(flt)
    return out[:MAX_FILTERS]


def _typed(col: Column, op: str, raw: str) -> Filter | None:
    if len(raw) > MAX_VALUE_LEN or not raw.isprintable():  # what the page would refuse, with a note
        return None
    try:
        return Filter(col.name, op, col.parse(raw) if col.type != "text" else raw, raw)
    except ValueError:
        return None


def _sort(request: Request, columns: dict[str, Column]) -> tuple[str | None, bool]:
    """ODS v1 `sort=field` is descending and `sort=-field` ascending: the page's `sort` says the opposite."""
    raw = (request.query_params.get("sort") or "").strip()
    name = raw.removeprefix("-")
    col = columns.get(name)
    if col is None or col.type == "geometry":
        return None, False
    return name, not raw.startswith("-")


def _location(request: Request) -> MapSpec:
    """ODS map `location=<zoom>,<lat>,<lon>` → the page's zoom, lat and lon."""
    parts = (request.query_params.get("location") or "").split(",")
    with contextlib.suppress(ValueError):
        if len(parts) == 3:
            zoom, lat, lon = (float(p) for p in parts)
            if 0 <= zoom <= 22 and -90 <= lat <= 90 and -180 <= lon <= 180:
                return MapSpec(lat=round(lat, 6), lon=round(lon, 6), zoom=round(zoom, 2))
    return MapSpec()


def plain_q(request: Request) -> str:
    q = " ".join((request.query_params.get("q") or "").split())
    return q if PLAIN_Q.match(q) and not QUERY_WORDS.search(q) else ""


def dataset_page(request: Request) -> Response:
    """/explore/dataset/{id}/[{tab}/] and /explore/embed/dataset/{id}/{tab}/ → /jeu-de-donnees?id=…&tab=…"""
    old_id = request.path_params["dataset_id"]
    tab = TABS.get(request.path_params.get("tab", "").strip("/").lower(), "informations")
    embed = request.url.path.startswith("/explore/embed/")
    dataset_id = _resolve(old_id)
    if dataset_id is None:
        query = urlencode({"id": old_id[:200], **({"tab": tab} if tab != "informations" else {})})
        return _redirect(f"{_base()}/jeu-de-donnees?{query}", TEMPORARY)
    columns = _columns(dataset_id)
    sort, desc = _sort(request, columns)
    view = DatasetView(dataset_id, tab=tab, filters=tuple(_refines(request, columns)), q=plain_q(request),
                       sort=sort, desc=desc, map=_location(request))
    # `embed` is Streamlit's own parameter (not part of DatasetView): an old ODS iframe stays an embedded view.
    embedded = "&embed=true" if embed else ""
    return _redirect(f"{_base()}/jeu-de-donnees?{view.query_string()}{embedded}", PERMANENT)


def _export_params(request: Request) -> list[tuple[str, str]]:
    """ODS v1 download parameters → Explore v2.1 export parameters, where the meaning is the same."""
    out: list[tuple[str, str]] = []
    out += [("refine", f"{name}:{value}") for name, value in _params(request, "refine.")]
    out += [("exclude", f"{name}:{value}") for name, value in _params(request, "exclude.")]
    q = plain_q(request)
    if q:
        out.append(("where", f'search("{q}")'))  # plain words only: nothing to escape
    fields = [f.strip() for f in (request.query_params.get("fields") or "").split(",") if f.strip()]
    if fields and all(FIELD_RE.match(f) for f in fields):
        out.append(("select", ", ".join(fields)))
    sort = (request.query_params.get("sort") or "").strip()
    if FIELD_RE.match(sort.removeprefix("-")):
        out.append(("order_by", f"{sort.removeprefix('-')} {'asc' if sort.startswith('-') else 'desc'}"))
    for name in ("lang", "timezone"):
        if request.query_params.get(name):
            out.append((name, request.query_params[name]))
    if (request.query_params.get("use_labels_for_header") or "").lower() == "true":
        out.append(("use_labels", "true"))
    separator = request.query_params.get("csv_separator")
    if separator and len(separator) == 1:
        out.append(("delimiter", separator))
    return out


def download(request: Request) -> Response:
    """/explore/dataset/{id}/download/?format=csv|json|geojson… and ODS API v1's /api/records/1.0/download/?dataset=…
    → the Explore v2.1 export of the same rows."""
    old_id = request.path_params.get("dataset_id") or (request.query_params.get("dataset") or "").strip()
    if not old_id:
        return error_response(400, "InvalidRESTParameterError", "Missing value for the dataset API parameter.")
    resolved = _resolve(old_id)
    dataset_id = resolved or old_id  # unknown: the API's own 404 answers, in ODS's error shape
    fmt = (request.query_params.get("format") or "csv").strip().lower()
    fmt = DOWNLOAD_FORMATS.get(fmt, fmt)
    url = f"{_base()}{BASE_PATH}/catalog/datasets/{quote(dataset_id, safe='')}/exports/{quote(fmt[:40], safe='')}"
    query = urlencode(_export_params(request))
    return _redirect(f"{url}?{query}" if query else url, PERMANENT if resolved else TEMPORARY)


def _catalogue_filters(request: Request) -> dict[str, tuple[str, ...]]:
    """ODS catalogue facets → the catalogue page's: publisher, keyword, theme (label or id), licence (title or id)."""
    themes = {label: slug for slug, label in vocab.TOPICS.items()}
    licences = {info["title"]: lid for lid, info in vocab.LICENSES.items()}
    names = {"publisher": ("producteur", {}), "keyword": ("mot_cle", {}), "theme": ("theme", themes),
             "license": ("licence", licences)}
    out: dict[str, tuple[str, ...]] = {}
    for facet, (key, ids) in names.items():
        values = tuple(dict.fromkeys(ids.get(v, v) for k, v in _params(request, "refine.") if k == facet))
        # The page combines several values of a facet with OR; ODS does so only for a disjunctive facet.
        if values and key in FACETS and (len(values) == 1 or _disjunctive(request, facet)):
            out[key] = values
    return out


def explore(request: Request) -> Response:
    """/explore/[?q=…&refine.publisher=…&sort=modified] → /catalogue with the same search."""
    sort = CATALOGUE_SORTS.get((request.query_params.get("sort") or "").strip())
    query = CatalogueQuery(q=plain_q(request), filters=_catalogue_filters(request), sort=sort)
    params: dict[str, Any] = query.to_params()
    suffix = f"?{urlencode(params, doseq=True)}" if params else ""
    return _redirect(f"{_base()}/catalogue{suffix}", PERMANENT)


# Each old address with and without its trailing slash (ODS wrote both).
ROUTES: list[BaseRoute] = [Route(path + end, handler, methods=["GET"]) for path, handler in (
    ("/explore", explore),
    ("/explore/dataset/{dataset_id}", dataset_page),
    ("/explore/dataset/{dataset_id}/download", download),
    ("/explore/dataset/{dataset_id}/{tab}", dataset_page),
    ("/explore/embed/dataset/{dataset_id}/{tab}", dataset_page),
    ("/api/records/1.0/download", download),
) for end in ("", "/")]
