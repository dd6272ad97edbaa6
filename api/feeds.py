"""Atom feeds of new and updated datasets, for the catalogue and per dataset (built by catalogue/feeds.py), and the
RFC 8288 `Link` header that announces the catalogue feed on the app's HTML pages (Streamlit cannot write a
`<link rel="alternate">` into the page head).

GET /flux/catalogue.atom                      the newest 50 datasets published or updated
GET /flux/jeux-de-donnees/{dataset_id}.atom   the dataset's kept versions, each with what changed (404 if unknown)
"""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import queries
import warehouse
from api.responses import CORS, base_url, endpoint, published
from catalogue import feeds
from config import get_settings
from exports import catalogue as catalogue_export
from queries import QueryError

DATASET_PAGE = "/jeu-de-donnees"


def current_metas(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Current meta.json of each published dataset of `rows` (it says whether a version replaced another)."""
    out = {}
    for row in rows:
        try:
            out[str(row["id"])] = queries.dataset_meta(str(row["id"]))
        except QueryError:  # in the manifest but not published: no meta, the builder leaves it out
            continue
    return out


def catalogue_feed(rows: list[dict[str, Any]]) -> Any:
    """The catalogue feed (a FeedGenerator) of these rows; the catalogue's `rss` export renders the same one."""
    settings = get_settings()
    return feeds.catalogue_feed(rows, base_url=settings.public_base_url, portal_name=settings.portal_name,
                                territory_of=settings.territory.of, metas=current_metas(rows))


def catalogue_rss(rows: list[dict[str, Any]], _request: Request | None = None) -> bytes:
    """The catalogue's `rss` export (GET /catalog/exports/rss, a writer of api.catalog.CATALOG_EXPORTS): the catalogue
    feed's entries as RSS 2.0."""
    return feeds.rss_bytes(catalogue_feed(rows), f"{base_url()}/catalog/exports/rss")


def _atom(fg: Any) -> Response:
    updated = fg.updated()
    headers = {**CORS}
    if updated is not None and updated > feeds.EPOCH:  # the endpoint wrapper adds ETag and Cache-Control
        headers["Last-Modified"] = email.utils.format_datetime(updated.astimezone(dt.UTC).replace(microsecond=0),
                                                               usegmt=True)
    return Response(fg.atom_str(pretty=True), media_type=feeds.ATOM_TYPE, headers=headers)


@endpoint
def catalogue(request: Request) -> Response:
    return _atom(catalogue_feed(catalogue_export.public_records()))


@endpoint
def dataset(request: Request) -> Response:
    dataset_id = request.path_params["dataset_id"]
    published(dataset_id)  # 404 (ODS's JSON error) unless a published dataset
    row = next((r for r in catalogue_export.public_records() if str(r.get("id")) == dataset_id), {"id": dataset_id})
    settings = get_settings()
    fg = feeds.dataset_feed(row, feeds.stored_versions(dataset_id), base_url=settings.public_base_url,
                            portal_name=settings.portal_name)
    return _atom(fg)


def unknown_feed(request: Request) -> Response:
    """Any other path under /flux/: a plain 404, not the app's HTML page (which answers every other path)."""
    return PlainTextResponse(f"Flux inconnu : {request.url.path[:200]}", status_code=404, headers=CORS)


# -- Link header on the app's pages ------------------------------------------------------------------------------------
def page_links(path: str, query_string: bytes) -> list[str]:
    """RFC 8288 links to the feeds that fit a page: the catalogue feed everywhere, a dataset's own feed on its page."""
    base = get_settings().public_base_url
    links = [_link(f"{base}{feeds.CATALOGUE_FEED_PATH}", "Nouveaux jeux de données et mises à jour")]
    if path.rstrip("/").endswith(DATASET_PAGE):
        wanted = parse_qs(query_string.decode("latin-1")).get("id", [""])[0]
        # The id is checked (pattern, then a current version on disk) before it is echoed into a header.
        if warehouse.ID_RE.fullmatch(wanted) and warehouse.current_version(wanted):
            links.append(_link(f"{base}{feeds.dataset_feed_path(wanted)}", "Versions de ce jeu de données"))
    return links


def _link(href: str, title: str) -> str:
    """One link-value; the French title as `title*` (RFC 8187: header values are Latin-1 on the wire)."""
    return f"<{href}>; rel=\"alternate\"; type=\"application/atom+xml\"; title*=UTF-8''{quote(title, safe='')}"


class FeedLinkHeader:
    """ASGI middleware (given to st.App): adds the feeds' `Link` header to HTML answers, i.e. the app's pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def send_with_links(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    for value in page_links(scope.get("path", ""), scope.get("query_string", b"")):
                        headers.append("Link", value)
            await send(message)

        await self.app(scope, receive, send_with_links)


ROUTES: list[BaseRoute] = [
    Route(feeds.CATALOGUE_FEED_PATH, catalogue, methods=["GET"]),
    Route(feeds.DATASET_FEED_DIR + "/{dataset_id}.atom", dataset, methods=["GET"]),
    Route(feeds.FEED_PREFIX + "/{path:path}", unknown_feed),
]
