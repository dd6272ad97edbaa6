"""The Starlette routes of the Explore API v2.1, mounted by asgi.py under /api/explore/v2.1/."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import catalog, compat, dcat, exports, feeds, openapi, records
from api.responses import BASE_PATH, error_response


def unknown_path(request: Request) -> Response:
    """Any other path under the API: ODS's JSON 404 (not the app's HTML page, which serves every other path)."""
    return error_response(404, "NotFoundError", f"Unknown API path: {request.url.path[:200]}")


ROUTES = [
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
    # Last: any other path under the API answers ODS's JSON 404.
    Route(f"{BASE_PATH}/{{path:path}}", unknown_path),
    Route(BASE_PATH, unknown_path),
]
