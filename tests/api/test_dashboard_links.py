"""The dashboards' addresses on the real server: `/tableaux-de-bord/nouveau` and `/tableaux-de-bord/<slug>` lead to
the pages that draw them, the query string (`embed=true`) kept; the section itself stays the dashboards page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import LiveServer


def get(server: LiveServer, path: str) -> requests.Response:
    return requests.get(server.url + path, allow_redirects=False, timeout=30)


@pytest.mark.parametrize(("path", "page", "query"), [
    ("/tableaux-de-bord/nouveau", "/nouveau-tableau-de-bord", {}),
    ("/tableaux-de-bord/nouveau?d=abc", "/nouveau-tableau-de-bord", {"d": ["abc"]}),
    ("/tableaux-de-bord/k7mxq2wz9a", "/tableau-de-bord", {"id": ["k7mxq2wz9a"]}),
    ("/tableaux-de-bord/k7mxq2wz9a?embed=true&id=autre", "/tableau-de-bord", {"id": ["k7mxq2wz9a"],
                                                                              "embed": ["true"]}),
])
def test_dashboard_addresses_redirect_to_their_pages(live_server: LiveServer, path: str, page: str,
                                                     query: dict[str, list[str]]) -> None:
    answer = get(live_server, path)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert target.path == page and parse_qs(target.query) == query
    landed = requests.get(live_server.url + answer.headers["location"], timeout=30)
    assert landed.status_code == 200  # a page of the app, not the French 404


def test_the_section_itself_is_the_dashboards_page(live_server: LiveServer) -> None:
    assert get(live_server, "/tableaux-de-bord").status_code == 200
    assert get(live_server, "/tableaux-de-bord/a/b").status_code == 404  # no deeper addresses
