"""The OpenAPI description served at /api/explore/v2.1/openapi.json, over real HTTP: Opendatasoft's official
description with this portal's base URL in `servers`, the same paths, open CORS and a working ETag."""

from __future__ import annotations

import requests

from tests.api.conftest import load_spec
from tests.conftest import LiveServer

SPEC = load_spec()
PATH = "/api/explore/v2.1/openapi.json"


def test_served_description_points_at_this_portal(live_server: LiveServer) -> None:
    answer = requests.get(live_server.url + PATH, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["access-control-allow-origin"] == "*"
    served = answer.json()
    assert served["servers"][0]["url"] == f"{live_server.url}/api/explore/v2.1"
    assert len(served["servers"]) == 1
    assert served["paths"] == SPEC["paths"]
    assert served["components"] == SPEC["components"]
    assert served["openapi"] == SPEC["openapi"]
    # Which portal serves it, and Opendatasoft's attribution kept.
    assert served["info"]["license"] == SPEC["info"]["license"]
    assert "Territoire" in served["info"]["title"] and live_server.url in served["info"]["description"]
    assert "Opendatasoft" in served["info"]["description"]


def test_etag_revalidates_with_304(live_server: LiveServer) -> None:
    first = requests.get(live_server.url + PATH, timeout=30)
    etag = first.headers["etag"]
    again = requests.get(live_server.url + PATH, headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["access-control-allow-origin"] == "*"
    other = requests.get(live_server.url + PATH, headers={"If-None-Match": '"something-else"'}, timeout=30)
    assert other.status_code == 200 and other.content == first.content
