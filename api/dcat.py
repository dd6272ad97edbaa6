"""The DCAT-AP catalogue of the portal for harvesters (data.gouv.fr, data.europa.eu), at stable URLs, paged with Hydra:

GET /dcat/catalog.jsonld · /dcat/catalog.ttl · /dcat/catalog.rdf   ?page=1&page_size=50 (at most MAX_PAGE_SIZE)
GET /dcat/catalog                                                    one of them, chosen by the Accept header

and the writers of the catalogue exports that carry download URLs (dcat, rdf, ttl, data.json, dublin_core).
Each dataset's distributions are the export formats this API serves for it (api/exports.py says which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.exports import dataset_formats
from api.odsql import InvalidParameterError
from api.responses import CORS, NotFound, endpoint, integer, published, text
from catalogue import dcat
from config import get_settings
from exports import catalogue as catalogue_export
from queries import QueryError
from queries.cache import cached

PREFIX = "/dcat"  # Streamlit serves its pages at top-level paths: the catalogue keeps a prefix of its own
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MEDIA = {fmt: media for fmt, (_name, media) in dcat.SERIALISATIONS.items()}
# Accept header media types → serialisation (JSON-LD first: what data.gouv.fr's harvester reads best).
ACCEPT = {"application/ld+json": "jsonld", "application/json": "jsonld", "text/turtle": "ttl",
          "application/x-turtle": "ttl", "application/rdf+xml": "rdf", "application/xml": "rdf", "text/xml": "rdf"}


def with_formats(rows: list[Mapping[str, Any]], include: set[str] | None = None) -> list[dict[str, Any]]:
    """Copies of catalogue rows with `formats`, the exports this API serves for each (none for a dataset in the
    manifest but not published), narrowed to `include` when given (ODS's `include_exports`)."""
    out = []
    for row in rows:
        try:
            formats = dataset_formats(published(str(row["id"])))
        except NotFound:
            formats = []
        out.append({**row, "formats": [f for f in formats if include is None or f in include]})
    return out


def include_exports(request: Request) -> set[str] | None:
    """ODS's `include_exports=csv,json,geojson`: the dataset exports the DCAT export lists (all by default)."""
    raw = text(request, "include_exports")
    return None if raw is None else {part.strip().lower() for part in raw.split(",") if part.strip()}


def _catalogue_rows() -> list[dict[str, Any]]:
    """The whole catalogue in a stable order (by dataset id), so that pages never overlap or skip."""
    rows = catalogue_export.public_records()
    return sorted(rows, key=lambda r: str(r["id"]))


@cached()
def _page(path: str, fmt: str, number: int, size: int) -> bytes:
    """One page of the catalogue, serialised; cached per data version (the key of the shared cache)."""
    rows = _catalogue_rows()
    paging = dcat.Paging(f"{get_settings().public_base_url}{path}", number, size, len(rows))
    if number > paging.last:
        raise NotFound(f"Page {number} does not exist: the catalogue has {paging.last} page(s) of {size} datasets.")
    chosen = with_formats(rows[(number - 1) * size:number * size])
    return catalogue_export.to_rdf(chosen, fmt, paging)


def _paging_params(request: Request) -> tuple[int, int]:
    number = integer(request, "page", 1)
    size = integer(request, "page_size", DEFAULT_PAGE_SIZE)
    if number < 1:
        raise InvalidParameterError(f"Invalid value for page API parameter: {number} (pages start at 1).", "page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidParameterError(f"Invalid value for page_size API parameter: {size} (between 1 and "
                                    f"{MAX_PAGE_SIZE}).", "page_size")
    return number, size


def _serve(fmt: str) -> Callable[[Request], Response]:
    @endpoint
    def catalog(request: Request) -> Response:
        number, size = _paging_params(request)
        try:
            body = _page(request.url.path, fmt, number, size)
        except QueryError as exc:  # the catalogue table could not be read: the executor's message
            raise NotFound(f"Catalogue unavailable: {exc}") from None
        return Response(body, media_type=f"{MEDIA[fmt]}; charset=utf-8", headers={**CORS})

    catalog.__name__ = f"catalog_{fmt}"
    return catalog


def negotiate(accept: str) -> str:
    """The serialisation the Accept header prefers (highest q, then header order); JSON-LD when nothing matches."""
    best, best_q = "jsonld", 0.0
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        fmt = ACCEPT.get(media.lower())
        if fmt is not None and q > best_q:
            best, best_q = fmt, q
    return best


def catalog(request: Request) -> Response:
    """The serialisation the client accepts, answered as its own URL would (same body, ETag and Hydra links), with
    `Vary: Accept`; answered rather than redirected, so that a harvester's HEAD sees the content type."""
    fmt = negotiate(request.headers.get("accept", ""))
    scope = {**request.scope, "path": f"{PREFIX}/catalog.{fmt}"}
    response = SERVE[fmt](Request(scope, request.receive))
    response.headers["Vary"] = "Accept"
    return response


def rdf_export(fmt: str) -> Callable[[list[Mapping[str, Any]], Request], bytes]:
    """The catalogue export writer of one serialisation (the datasets the request selects, unpaged)."""
    return lambda rows, request: catalogue_export.to_rdf(with_formats(list(rows), include_exports(request)), fmt)


def data_json(rows: list[Mapping[str, Any]], request: Request) -> bytes:
    return catalogue_export.to_data_json(with_formats(list(rows), include_exports(request)))


def dublin_core(rows: list[Mapping[str, Any]], request: Request) -> bytes:
    return catalogue_export.to_dublin_core(with_formats(list(rows), include_exports(request)))


SERVE = {fmt: _serve(fmt) for fmt in dcat.SERIALISATIONS}
ROUTES: list[BaseRoute] = [
    Route(f"{PREFIX}/catalog", catalog, methods=["GET"]),
    *[Route(f"{PREFIX}/catalog.{fmt}", handler, methods=["GET"]) for fmt, handler in SERVE.items()],
]
