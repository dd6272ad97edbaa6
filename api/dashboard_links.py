"""The dashboards' own addresses: `/tableaux-de-bord/nouveau` (compose), `/tableaux-de-bord/<slug>` (a saved
dashboard's short permanent link) and `/tableaux-de-bord/schema-v1.json` (the JSON Schema of the document a `?d=` link
carries, for programs that write dashboards).

Streamlit gives each page one flat `url_path` (no `/` inside, no path parameter), so these addresses are redirects to
the pages that draw them: `/nouveau-tableau-de-bord` and `/tableau-de-bord?id=<slug>`, the rest of the query string
(`embed=true`…) kept. 302, not 301: the short link is the permanent address, the page behind it may move.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from api.responses import CORS
from dashboards.spec import SCHEMA
from dashboards.store import SCHEMA_PATH, SECTION

COMPOSE_PAGE = "/nouveau-tableau-de-bord"
DASHBOARD_PAGE = "/tableau-de-bord"


def _query(request: Request, **first: str) -> str:
    items = [*first.items(), *((k, v) for k, v in request.query_params.multi_items() if k not in first)]
    return f"?{urlencode(items)}" if items else ""


def compose(request: Request) -> RedirectResponse:
    return RedirectResponse(COMPOSE_PAGE + _query(request), status_code=302)


def saved(request: Request) -> RedirectResponse:
    """Any slug goes to the page, which says in French when no saved dashboard has it (a dead short link is no 404
    of the server: the visitor gets the page's explanation and a way to compose one)."""
    slug = request.path_params["slug"][:40]
    return RedirectResponse(DASHBOARD_PAGE + _query(request, id=slug), status_code=302)


def schema(request: Request) -> JSONResponse:
    return JSONResponse(SCHEMA, media_type="application/schema+json",
                        headers={**CORS, "Cache-Control": "public, max-age=3600"})


ROUTES = [
    Route(SCHEMA_PATH, schema, methods=["GET", "HEAD"]),
    Route(f"{SECTION}/nouveau", compose, methods=["GET", "HEAD"]),
    Route(f"{SECTION}/{{slug}}", saved, methods=["GET", "HEAD"]),
]
