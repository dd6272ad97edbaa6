"""The Explore API's OpenAPI description, served with this portal's base URL at /api/explore/v2.1/openapi.json.

It is Opendatasoft's own description (api/spec/openapi.json, MIT), the contract the API follows, with its `servers`
entry pointing at this portal instead of Opendatasoft's example portal, so that Swagger UI, code generators and
schemathesis aimed at this URL call this portal."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.responses import BASE_PATH, CORS, JSON_TYPE
from config import get_settings

SPEC_FILE = Path(__file__).resolve().parent / "spec" / "openapi.json"
PATH = f"{BASE_PATH}/openapi.json"
CACHE_MAX_AGE_S = 3600  # the description only changes with a new release of the portal


@functools.cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text("utf-8"))


@functools.cache
def description(public_base_url: str, portal_name: str) -> tuple[bytes, str]:
    """The served description and its ETag, computed once per base URL (the settings are read once per process;
    tests that change them get their own entry)."""
    spec = copy.deepcopy(_spec())
    base = public_base_url.rstrip("/") + BASE_PATH
    spec["servers"] = [{"url": base, "description": f"{portal_name}: Explore API v2.1 compatible with Opendatasoft"}]
    info = spec["info"]
    info["title"] = f"{portal_name} — {info['title']}"
    info["x-served-by"] = {"portal": portal_name, "url": public_base_url}
    info["description"] = (
        f"**Served by {portal_name}** ({public_base_url}), an open-data portal whose API is compatible with "
        "Opendatasoft's Explore API v2.1: scripts written for any Opendatasoft portal work against it unchanged. "
        "This is Opendatasoft's official OpenAPI description (Copyright (c) 2025 Opendatasoft, MIT licence), "
        "unchanged except for `servers`, this paragraph and the title.\n\n" + info.get("description", ""))
    # info.license is Opendatasoft's own attribution: kept as published.
    body = json.dumps(spec, ensure_ascii=False, indent=1).encode("utf-8")
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def openapi_json(request: Request) -> Response:
    settings = get_settings()
    body, etag = description(settings.public_base_url, settings.portal_name)
    headers = {**CORS, "ETag": etag, "Cache-Control": f"public, max-age={CACHE_MAX_AGE_S}"}
    match = request.headers.get("if-none-match")
    if match is not None and (match.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in match.split(",")]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON_TYPE, headers=headers)


ROUTES: list[BaseRoute] = [Route(PATH, openapi_json, methods=["GET"])]
