"""The « API » page and the API calls shown on the dataset page (« API / SQL » and « Export » tabs).

The page's examples are copied from the rendered page and run as a reader would: the curl URL fetched, the Python and
pandas snippets executed, all against a live server whose public URL the page was told."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import requests

import config
import queries
from catalogue.schema import Schema
from dashboards import codec
from dashboards.spec import SCHEMA
from queries.dataset.odsql_url import RECORDS_MAX_LIMIT, api_calls, download_urls
from queries.dataset.state import parse_view
from tests.conftest import LiveServer, open_page


@pytest.fixture
def public_portal(read_only_portal: Path, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    """The app's settings name the live server as the public URL (the examples then point at it), with a rate limit
    and an export cap of their own to show that the page reads them from the settings."""
    monkeypatch.setenv("TERRITOIRE_PUBLIC_URL", live_server.url)
    monkeypatch.setenv("TERRITOIRE_API_RATE", "1234")
    monkeypatch.setenv("TERRITOIRE_EXPORT_MAX_CONCURRENT", "7")
    config.get_settings.cache_clear()
    return live_server


def codes(at: Any) -> list[str]:
    return [c.value for c in at.code]


def test_api_page_explains_and_its_examples_run(public_portal: LiveServer) -> None:
    at = open_page("pages/api_docs.py", {})
    assert at.title[0].value == "API"
    text = "\n".join(m.value for m in at.markdown)
    base = f"{public_portal.url}/api/explore/v2.1"
    assert "compatible avec l'API Explore v2.1 d'Opendatasoft" in text and "data.dordogne.fr" in text
    assert base in codes(at)
    # Limits come from the settings and the API's own paging constants.
    assert f"`limit` ≤ {RECORDS_MAX_LIMIT}" in text and "10\u202f000" in text
    assert "1\u202f234 appels par minute" in text and "Exports simultanés : 7" in text and "Retry-After" in text
    for path in ("/api/explore/v2.1/openapi.json", "/dcat/catalog.jsonld", "/dcat/catalog.ttl",
                 "/flux/catalogue.atom"):
        assert f"({public_portal.url}{path})" in text, path

    dashboard_code = next(c for c in codes(at) if c.startswith("import base64"))
    curl, python_code, pandas_code, js_code = (c for c in codes(at) if c.startswith(("curl", "import", "const"))
                                               and c != dashboard_code)
    dataset_id = re.search(r"/catalog/datasets/([a-z0-9-]+)/", curl).group(1)  # type: ignore[union-attr]
    assert dataset_id in queries.warehouse().datasets()
    url = re.fullmatch(r"curl '([^']+)'", curl).group(1)  # type: ignore[union-attr]
    answer = requests.get(url, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    assert 0 < len(answer.json()["results"]) <= 20
    assert "where=" in url and "order_by=" in url  # a real query on the example dataset, not a bare listing

    scope: dict[str, Any] = {}
    exec(python_code, scope)  # noqa: S102 - the page's own example, run as a reader would
    assert scope["data"]["results"] == answer.json()["results"]
    exec(pandas_code, scope)  # noqa: S102
    frame = scope["frame"]
    assert len(frame) == answer.json()["total_count"] and len(frame.columns) > 2  # `;` read as the separator
    grouped = next(c for c in codes(at) if c.startswith(base) and "group_by=" in c)
    groups = requests.get(grouped, timeout=60)
    assert groups.status_code == 200 and groups.json()["results"][0]["n"] > 0, groups.text[:300]
    assert "fetch(url)" in js_code and f'"{base}/catalog/datasets/{dataset_id}/records"' in js_code


def test_dataset_api_tab_shows_the_calls_of_the_view(public_portal: LiveServer) -> None:
    params = {"id": "colleges", "tab": "api", "f": "secteur_public_prive_libe:eq:Public", "sort": "-numero_uai",
              "size": "20", "page": "2"}
    at = open_page("pages/dataset.py", params)
    schema = Schema.from_meta("colleges", queries.dataset_meta("colleges"))
    view, _ = parse_view({k: [v] for k, v in params.items()}, schema)
    calls = api_calls(view, schema, public_portal.url, ["csv", "csv-comma", "json", "geojson", "parquet", "xlsx"])
    shown = codes(at)
    assert calls.records[0] in shown and calls.exports is not None
    assert all(url in shown for url in calls.exports.values())
    assert f"where={calls.where}\norder_by={calls.order_by}\nselect={calls.select}" in shown
    assert any("SELECT" in c for c in shown)  # the SQL is still there, below
    assert requests.get(calls.records[0], timeout=60).json()["total_count"] > 20


def test_dataset_api_tab_says_when_a_filter_has_no_odsql_equivalent(public_portal: LiveServer) -> None:
    at = open_page("pages/dataset.py", {"id": "contours-communes", "tab": "api", "f": "code_insee:epci:200040392"})
    assert any("pas d'équivalent exact dans l'API" in w.value and "intercommunalité" in w.value for w in at.warning)
    assert not any("/api/explore/v2.1/" in c for c in codes(at))


def test_export_tab_shows_permanent_download_urls(public_portal: LiveServer) -> None:
    at = open_page("pages/dataset.py", {"id": "colleges", "tab": "export", "f": "libelle_commune:eq:Bergerac"})
    schema = Schema.from_meta("colleges", queries.dataset_meta("colleges"))
    whole = download_urls(schema, public_portal.url, ["csv"])["csv"]
    view, _ = parse_view({"id": ["colleges"], "f": ["libelle_commune:eq:Bergerac"]}, schema)
    filtered = api_calls(view, schema, public_portal.url, ["csv"]).exports["csv"]  # type: ignore[index]
    assert whole in codes(at) and filtered in codes(at)
    answer = requests.get(filtered, timeout=60)
    assert answer.status_code == 200 and answer.text.count("Bergerac") >= 2


def test_api_page_tells_programs_how_to_write_a_dashboard(public_portal: LiveServer) -> None:
    at = open_page("pages/api_docs.py", {})
    text = "\n".join(m.value for m in at.markdown)
    schema_url = f"{public_portal.url}/tableaux-de-bord/schema-v1.json"
    assert f"({schema_url})" in text and "`/tableaux-de-bord/<identifiant>`" in text
    schema = requests.get(schema_url, timeout=30)
    assert schema.status_code == 200 and schema.headers["content-type"].startswith("application/schema+json")
    assert schema.json() == SCHEMA
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(next(c for c in codes(at) if c.startswith("import base64")), {})  # noqa: S102 - the page's example
    link = printed.getvalue().strip()
    assert link.startswith(f"{public_portal.url}/tableau-de-bord?d=")
    board = codec.decode(link.split("d=", 1)[1])
    assert board.blocks[0].type == "figure" and board.blocks[0].dataset in queries.warehouse().datasets()
