"""The Starlette routes of the Explore API v2.1, mounted by asgi.py under /api/explore/v2.1/."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import catalog, compat, dashboard_links, dcat, exports, feeds, openapi, records
from api.responses import BASE_PATH, PREFLIGHT, error_response


def preflight(request: Request) -> Response:
    """A browser's CORS preflight (OPTIONS) before a cross-origin GET that sends its own headers (If-None-Match…)."""
    return Response(status_code=204, headers=PREFLIGHT)


def unknown_path(request: Request) -> Response:
    """Any other path under the API: ODS's JSON 404 (not the app's HTML page, which serves every other path)."""
    return error_response(404, "NotFoundError", f"Unknown API path: {request.url.path[:200]}")


ROUTES = [
    # Only OPTIONS: a GET on these paths goes on to the routes below (Starlette prefers a full match).
    *(Route(path, preflight, methods=["OPTIONS"]) for path in (f"{BASE_PATH}/{{path:path}}", "/dcat/{path:path}",
                                                               "/flux/{path:path}")),
    Route(f"{BASE_PATH}/catalog/datasets", catalog.datasets, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/facets", catalog.facets, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/exports", catalog.export_formats, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/exports/{{format}}", catalog.export, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}", catalog.dataset, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}/records", records.records, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}/records/{{record_id}}", records.record, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}/facets", records.facets, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}/attachments", catalog.attachments, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}/exports", exports.formats, methods=["GET"]),
    Route(f"{BASE_PATH}/catalog/datasets/{{dataset_id}}/exports/{{format}}", exports.export, methods=["GET"]),
    *dcat.ROUTES,
    *feeds.ROUTES,
    *openapi.ROUTES,
    *compat.ROUTES,
    *dashboard_links.ROUTES,
    # Last: any other path under the API answers ODS's JSON 404.
    Route(f"{BASE_PATH}/{{path:path}}", unknown_path),
    Route(BASE_PATH, unknown_path),
]
