"""An unknown address gets a French « Page introuvable » with HTTP 404; pages, deep links, Streamlit's own paths and
the API's routes are untouched (real HTTP against serve.py)."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest
import requests

from api.not_found import page_paths
from tests.test_app import URL_PATHS

ROOT = Path(__file__).resolve().parent.parent


class _Links(html.parser.HTMLParser):
    """The links, forms and visible text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self.inputs: list[str | None] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
        elif tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs.append(a.get("name"))
        elif tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(data.strip())


def parse(body: str) -> _Links:
    parser = _Links()
    parser.feed(body)
    return parser


def test_the_router_pages_are_read_from_app_py() -> None:
    """The 404 middleware knows exactly the url_paths tests/test_app.py pins (app.py read, not run)."""
    assert page_paths(ROOT / "app.py") == set(URL_PATHS.values())


@pytest.mark.parametrize("path", ["/nexiste-pas", "/catalogue/inconnu", "/jeux-de-donnees", "/home",
                                  "/nexiste-pas/?q=x", "/dcat/inconnu", "/api/records/1.0/search/"])
def test_an_unknown_address_is_a_french_404_page(live_server, path: str) -> None:  # noqa: ANN001
    answer = requests.get(live_server.url + path, timeout=30)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    page = parse(answer.text)
    text = " ".join(page.text)
    assert "Page introuvable" in text and "Territoire · Dordogne" in text
    assert "Page not found" not in answer.text and 'lang="fr"' in answer.text
    assert f"{live_server.url}/" in page.hrefs and f"{live_server.url}/catalogue" in page.hrefs
    # The search form leads to the catalogue's own search parameter.
    assert page.forms == [{"action": f"{live_server.url}/catalogue", "method": "get", "role": "search"}]
    assert page.inputs == ["q"]


def test_the_404_search_form_reaches_the_catalogue_search(live_server) -> None:  # noqa: ANN001
    answer = requests.get(f"{live_server.url}/catalogue", params={"q": "collèges"}, timeout=30)
    assert answer.status_code == 200


def test_an_unknown_address_shows_its_path_escaped(live_server) -> None:  # noqa: ANN001
    answer = requests.get(live_server.url + "/<script>alert(1)</script>", timeout=30)
    assert answer.status_code == 404
    assert "<script>alert" not in answer.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


@pytest.mark.parametrize("path", sorted({f"/{p}" for p in URL_PATHS.values()}
                                        | {"/jeu-de-donnees?id=colleges&tab=tableau", "/jeu-de-donnees?id=inconnu",
                                           "/reutilisation?id=1", "/catalogue?q=coll%C3%A8ges",
                                           "/commune?code=24520"}))
def test_every_page_and_deep_link_is_still_the_app(live_server, path: str) -> None:  # noqa: ANN001
    answer = requests.get(live_server.url + path, timeout=30)
    assert answer.status_code == 200
    assert "Page introuvable" not in answer.text and '<div id="root">' in answer.text


@pytest.mark.parametrize(("path", "status", "kind"), [
    ("/_stcore/health", 200, "text/plain"),
    ("/favicon.png", 200, "image/png"),
    ("/manifest.json", 200, "application/json"),
    ("/app/static/favicon.png", 200, "image/png"),
    ("/api/explore/v2.1/catalog/datasets?limit=1", 200, "application/json"),
    ("/api/explore/v2.1/inconnu", 404, "application/json"),  # the API's own ODS-shaped 404
    ("/flux/catalogue.atom", 200, "application/atom+xml"),
    ("/dcat/catalog.ttl", 200, "text/turtle"),
    ("/media/inconnu.png", 404, "text/plain"),
    ("/flux/inconnu", 404, "text/plain"),  # the feeds' own 404
])
def test_server_paths_keep_their_own_answers(live_server, path: str, status: int, kind: str) -> None:  # noqa: ANN001
    answer = requests.get(live_server.url + path, timeout=30)
    assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (status, kind)
    assert "Page introuvable" not in answer.text


def test_old_opendatasoft_addresses_still_redirect(live_server) -> None:  # noqa: ANN001
    answer = requests.get(f"{live_server.url}/explore/dataset/colleges/table/", allow_redirects=False, timeout=30)
    assert answer.status_code == 301
    assert answer.headers["location"].startswith(f"{live_server.url}/jeu-de-donnees?id=colleges")


def test_head_and_other_methods(live_server) -> None:  # noqa: ANN001
    assert requests.head(live_server.url + "/nexiste-pas", timeout=30).status_code == 404
    assert requests.head(live_server.url + "/catalogue", timeout=30).status_code != 404
    # Not a page request: left to Streamlit (its own 405), not turned into an HTML page.
    assert "Page introuvable" not in requests.post(live_server.url + "/nexiste-pas", timeout=30).text


@pytest.mark.parametrize("path", ["/..%2F..%2Fetc%2Fpasswd", "/nexiste%00pas"])
def test_unsafe_paths_keep_streamlit_guard(live_server, path: str) -> None:  # noqa: ANN001
    """Traversal and NUL bytes still meet Streamlit's path guard (400), not a page that echoes them."""
    answer = requests.get(live_server.url + path, timeout=30)
    assert answer.status_code == 400 and "Page introuvable" not in answer.text
