"""A French « Page introuvable » (HTTP 404) for addresses that are neither a page of the app nor one of the server's
own paths: Streamlit answers every unknown path with its app and an English « Page not found » dialog (status 200)."""

from __future__ import annotations

import ast
import html
from collections.abc import Iterable
from pathlib import Path

import streamlit
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit.path_security import is_unsafe_path_pattern

from config import get_settings

# Paths served by Streamlit itself: its internals, its frontend's files, media, components, the static folder at
# /app/static/. The machine API's paths (/api/explore/…, /dcat/…, /flux/…, the old Opendatasoft addresses) are the
# routes given to st.App, matched one by one: /api/explore/v2.1/… and /flux/… answer their own 404s (JSON, text), and
# a /dcat/… path that no route serves gets this page rather than the app's English dialog.
SERVER_PREFIXES = frozenset({"_stcore", "static", "media", "component", "app"})
# The frontend's top-level files (favicon.png, manifest.json, index.html), read from the installed Streamlit.
FRONTEND_FILES = frozenset(p.name for p in (Path(streamlit.__file__).parent / "static").iterdir() if p.is_file())


def page_paths(app_file: Path) -> frozenset[str]:
    """The url_path of every st.Page(...) registered in the router, read from its syntax tree: importing app.py would
    run it. The default page is "" (served at /); tests/test_app.py pins these paths."""
    paths = set()
    for node in ast.walk(ast.parse(app_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            keywords = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
            paths.add("" if keywords.get("default") else str(keywords.get("url_path", "")))
    return frozenset(paths)


def is_known(path: str, pages: frozenset[str], scope: Scope, routes: Iterable[BaseRoute]) -> bool:
    """Whether the app or the server answers this path: a page (with or without a final slash), a server path, or
    one of the routes given to st.App (the Explore API, DCAT, feeds, an Opendatasoft site's old addresses)."""
    inner = path.strip("/")
    # Traversal, NUL bytes, UNC-like paths: left to Streamlit's own path guard, which answers 400 Bad Request.
    if path.startswith(("//", "\\\\")) or is_unsafe_path_pattern(path.lstrip("/")):
        return True
    if inner in pages or inner.split("/", 1)[0] in SERVER_PREFIXES or inner in FRONTEND_FILES:
        return True
    # FULL only: a PARTIAL match is a path served for another method (the CORS preflight routes take OPTIONS only).
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def page(path: str) -> str:
    """The 404 page: the portal's name, what happened, links to the home page and the catalogue, a search form."""
    settings = get_settings()
    base = html.escape(settings.public_base_url)
    title = html.escape(f"{settings.portal_name} · {settings.territory_name}")
    shown = html.escape(path if len(path) <= 120 else path[:120] + "…")
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Page introuvable · {title}</title>
<link rel="icon" href="{base}/app/static/favicon.png">
<style>
body {{ margin: 0; font-family: "Source Sans Pro", "Source Sans 3", system-ui, sans-serif; color: #111111;
       line-height: 1.5; background: #ffffff; }}
header {{ border-bottom: 1px solid #d6d6d9; padding: 0.75rem 1.5rem; font-weight: 600; }}
header a {{ color: #111111; text-decoration: none; }}
main {{ max-width: 44rem; margin: 2rem auto; padding: 0 1.5rem; }}
h1 {{ font-size: 2rem; margin: 0 0 1rem; }}
a {{ color: #1f5f8b; }}
code {{ background: #f0f2f6; padding: 0 0.25rem; word-break: break-all; }}
form {{ display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 1.5rem 0; }}
label {{ width: 100%; font-weight: 600; }}
input {{ flex: 1 1 14rem; font: inherit; padding: 0.4rem 0.6rem; border: 1px solid #8a8a8f; border-radius: 0.4rem; }}
button {{ font: inherit; padding: 0.4rem 1rem; border: 0; border-radius: 0.4rem; background: #1f5f8b; color: #fff;
         cursor: pointer; }}
ul {{ padding-left: 1.25rem; }}
</style>
</head>
<body>
<header><a href="{base}/">{title}</a></header>
<main>
<h1>Page introuvable</h1>
<p>L'adresse <code>{shown}</code> ne correspond à aucune page du portail. Elle a peut-être été mal saisie, ou la
page a changé d'adresse.</p>
<form action="{base}/catalogue" method="get" role="search">
<label for="q">Rechercher dans le catalogue</label>
<input id="q" name="q" type="search" placeholder="ex. collèges, population, RSA…">
<button type="submit">Rechercher</button>
</form>
<ul>
<li><a href="{base}/">Accueil</a></li>
<li><a href="{base}/catalogue">Catalogue des données</a></li>
</ul>
</main>
</body>
</html>
"""


class NotFoundPage:
    """ASGI middleware (given to st.App): a GET or HEAD of an unknown path gets the French 404 page; everything else
    (pages, Streamlit's own paths, the routes, websockets, other methods) goes on to the app."""

    def __init__(self, app: ASGIApp, app_file: Path, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.pages = page_paths(app_file)
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
                and not is_known(scope.get("path", "/"), self.pages, scope, self.routes)):
            response = HTMLResponse(page(scope.get("path", "/")), status_code=404,
                                    headers={"Cache-Control": "no-cache"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
