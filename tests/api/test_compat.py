"""Old Opendatasoft addresses (api/compat.py) over real HTTP: every /explore/dataset/{id}/ variant redirects to the
matching tab of the dataset page with ODS's parameters translated, the old download links end on the export, and
/explore/ on the catalogue search; nothing answers a 500."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import requests

from catalogue.schema import Schema
from queries.dataset import state
from tests.conftest import LiveServer, open_page

API = "/api/explore/v2.1"
POINTS, PLAIN, DATED = "musees-de-france", "population-communes", "mouvements-communes"
TABS = {"": None, "information": None, "table": "tableau", "map": "carte", "analyze": "graphique",
        "export": "export", "api": "api", "images": None}


def get(server: LiveServer, path: str, **kw: Any) -> requests.Response:
    return requests.get(server.url + path, allow_redirects=False, timeout=30, **kw)


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query, keep_blank_values=True)


def page_url(server: LiveServer, query: str) -> str:
    return f"{server.url}/jeu-de-donnees?{query}"


@pytest.mark.parametrize("tab", list(TABS))
@pytest.mark.parametrize("slash", ["/", ""])
def test_dataset_tabs_redirect_permanently(live_server: LiveServer, tab: str, slash: str) -> None:
    path = f"/explore/dataset/{POINTS}" + (f"/{tab}{slash}" if tab else slash)
    answer = get(live_server, path)
    assert answer.status_code == 301, (path, answer.text[:200])
    expected = f"id={POINTS}" + (f"&tab={TABS[tab]}" if TABS[tab] else "")
    assert answer.headers["location"] == page_url(live_server, expected)
    assert answer.headers["cache-control"] == "public, max-age=86400"  # permanent, yet not cached for ever
    followed = requests.get(live_server.url + path, timeout=30)
    assert followed.status_code == 200 and "text/html" in followed.headers["content-type"]
    assert followed.url == page_url(live_server, expected)


def test_embedded_view_stays_embedded(live_server: LiveServer) -> None:
    answer = get(live_server, f"/explore/embed/dataset/{POINTS}/map/?location=9,45.2,0.9")
    assert answer.status_code == 301
    assert answer.headers["location"] == page_url(live_server, f"id={POINTS}&tab=carte&lat=45.2&lon=0.9&zoom=9"
                                                                "&embed=true")


def schema_of(warehouse_dir: Path, dataset_id: str) -> Schema:
    base = warehouse_dir / "warehouse" / dataset_id
    version = json.loads((base / "current.json").read_text())["version"]
    return Schema.from_meta(dataset_id, json.loads((base / "versions" / version / "meta.json").read_text()), {})


@pytest.mark.parametrize(("path", "expected"), [
    # refine → eq; v1 sort is descending unless prefixed by « - » (the page's is the opposite); plain q → q.
    (f"/explore/dataset/{PLAIN}/table/?refine.millesime=2021&sort=pmun&q=24037",
     f"id={PLAIN}&tab=tableau&f=millesime:eq:2021&q=24037&sort=-pmun"),
    (f"/explore/dataset/{PLAIN}/table/?sort=-ptot", f"id={PLAIN}&tab=tableau&sort=ptot"),
    # Several values of one field: OR on the page, kept only where ODS also ORs them (a disjunctive facet).
    (f"/explore/dataset/{PLAIN}/table/?refine.millesime=2020&refine.millesime=2021&disjunctive.millesime=true",
     f"id={PLAIN}&tab=tableau&f=millesime:eq:2020&f=millesime:eq:2021"),
    (f"/explore/dataset/{PLAIN}/table/?disjunctive.millesime&refine.millesime=2020&refine.millesime=2023",
     f"id={PLAIN}&tab=tableau&f=millesime:eq:2020&f=millesime:eq:2023"),  # ODS links write it without a value
    (f"/explore/dataset/{PLAIN}/table/?refine.millesime=2020&refine.millesime=2021", f"id={PLAIN}&tab=tableau"),
    # exclude → ne (ODS, like `ne`, keeps the records where the field is empty).
    (f"/explore/dataset/{PLAIN}/?exclude.millesime=2016", f"id={PLAIN}&f=millesime:ne:2016"),
    # A date facet value (year, month, day) → the days it covers.
    (f"/explore/dataset/{DATED}/table/?refine.date_eff=2019/02",
     f"id={DATED}&tab=tableau&f=date_eff:gte:2019-02-01&f=date_eff:lte:2019-02-28"),
    (f"/explore/dataset/{DATED}/table/?refine.date_eff=2019", f"id={DATED}&tab=tableau&f=date_eff:gte:2019-01-01"
                                                              "&f=date_eff:lte:2019-12-31"),
    # The map's location=<zoom>,<lat>,<lon>; ODS-only parameters (basemap, dataChart…) are dropped.
    (f"/explore/dataset/{POINTS}/map/?location=11,45.18,0.72&basemap=jawg.streets&dataChart=eyJx",
     f"id={POINTS}&tab=carte&lat=45.18&lon=0.72&zoom=11"),
    # No exact equivalent: an unknown field, a bad value, q written in ODS's query language, a geometry sort.
    (f"/explore/dataset/{PLAIN}/table/?refine.nope=1&refine.millesime=deux&q=pmun>5&sort=geometry",
     f"id={PLAIN}&tab=tableau"),
    (f"/explore/dataset/{PLAIN}/table/?q=a%20AND%20b", f"id={PLAIN}&tab=tableau"),
])
def test_ods_parameters_translated(live_server: LiveServer, warehouse_dir: Path, path: str, expected: str) -> None:
    answer = get(live_server, path)
    assert answer.status_code == 301
    assert answer.headers["location"] == page_url(live_server, expected)
    # The page accepts every translated parameter as it is (no « ignoré » note).
    dataset_id = expected.split("&")[0].removeprefix("id=")
    view, notes = state.parse_view(query_of(answer.headers["location"]), schema_of(warehouse_dir, dataset_id))
    assert notes == [] and view.dataset_id == dataset_id


def test_ods_dataset_ids_are_found(live_server: LiveServer) -> None:
    """ODS ids may hold capitals and underscores: their slug is this portal's id."""
    answer = get(live_server, "/explore/dataset/Musees_de_France/analyze/")
    assert answer.status_code == 301
    assert answer.headers["location"] == page_url(live_server, f"id={POINTS}&tab=graphique")


@pytest.mark.parametrize("old_id", ["jeu-disparu", "%3Cscript%3Ealert(1)%22'", "x" * 300])
def test_unknown_dataset_goes_to_the_page_that_says_so(live_server: LiveServer, old_id: str) -> None:
    answer = get(live_server, f"/explore/dataset/{old_id}/table/")
    assert answer.status_code == 302  # temporary: the id may be published later
    location = answer.headers["location"]
    assert location.startswith(f"{live_server.url}/jeu-de-donnees?id=") and "<" not in location
    assert query_of(location)["tab"] == ["tableau"]
    assert requests.get(location, timeout=30).status_code == 200


def test_unknown_dataset_page_says_introuvable(read_only_portal: Path) -> None:
    at = open_page("pages/dataset.py", {"id": "jeu-disparu", "tab": "tableau"})
    shown = " ".join(str(e.value) for kind in ("error", "warning", "info", "markdown") for e in getattr(at, kind))
    assert "introuvable" in shown


def export_url(server: LiveServer, dataset_id: str, fmt: str, query: str = "") -> str:
    return f"{server.url}{API}/catalog/datasets/{dataset_id}/exports/{fmt}" + (f"?{query}" if query else "")


@pytest.mark.parametrize(("path", "dataset_id", "fmt", "query"), [
    (f"/explore/dataset/{PLAIN}/download/?format=csv", PLAIN, "csv", ""),
    (f"/explore/dataset/{PLAIN}/download?format=csv", PLAIN, "csv", ""),
    (f"/explore/dataset/{PLAIN}/download/", PLAIN, "csv", ""),  # v1's default format
    (f"/explore/dataset/{PLAIN}/download?format=csv&use_labels_for_header=true&csv_separator=%7C", PLAIN, "csv",
     "use_labels=true&delimiter=%7C"),
    (f"/explore/dataset/{PLAIN}/download/?format=json&refine.millesime=2021&exclude.code_insee_cog2026=24037"
     "&fields=code_insee_cog2026,pmun&sort=-pmun", PLAIN, "json",
     "refine=millesime%3A2021&exclude=code_insee_cog2026%3A24037&select=code_insee_cog2026%2C+pmun"
     "&order_by=pmun+asc"),
    (f"/explore/dataset/{POINTS}/download/?format=geojson", POINTS, "geojson", ""),
    (f"/explore/dataset/{POINTS}/download/?format=xls", POINTS, "xlsx", ""),
    # ODS API v1's download, the other old link found in scripts.
    (f"/api/records/1.0/download/?dataset={PLAIN}&format=csv&refine.millesime=2021", PLAIN, "csv",
     "refine=millesime%3A2021"),
    (f"/api/records/1.0/download?dataset={POINTS}&format=geojson", POINTS, "geojson", ""),
])
def test_download_links_serve_the_export(live_server: LiveServer, path: str, dataset_id: str, fmt: str,
                                          query: str) -> None:
    answer = get(live_server, path)
    assert answer.status_code == 301
    assert answer.headers["location"] == export_url(live_server, dataset_id, fmt, query)
    assert answer.headers["access-control-allow-origin"] == "*"  # a script's fetch() may follow it
    followed = requests.get(live_server.url + path, timeout=60)
    direct = requests.get(answer.headers["location"], timeout=60)
    assert followed.status_code == direct.status_code == 200
    if fmt == "xlsx":  # the workbook's licence sheet records when it was written: compare the data sheet
        data = [pd.read_excel(io.BytesIO(r.content), sheet_name=0) for r in (followed, direct)]
        pd.testing.assert_frame_equal(data[0], data[1])
        assert len(data[0]) == 15
    else:
        assert followed.content == direct.content and len(followed.content) > 100


def test_download_filters_apply(live_server: LiveServer) -> None:
    rows = requests.get(live_server.url + f"/explore/dataset/{PLAIN}/download/?format=json&refine.millesime=2021"
                        "&fields=code_insee_cog2026,millesime", timeout=60).json()
    assert rows and {r["millesime"] for r in rows} == {2021} and set(rows[0]) == {"code_insee_cog2026", "millesime"}


def test_download_errors_are_the_apis(live_server: LiveServer) -> None:
    shp = requests.get(live_server.url + f"/explore/dataset/{POINTS}/download/?format=shp", timeout=30)
    assert shp.status_code == 400 and shp.json()["error_code"]  # ODS's error body, naming the formats served
    no_dataset = get(live_server, "/api/records/1.0/download/?format=csv")
    assert no_dataset.status_code == 400 and no_dataset.json()["error_code"] == "InvalidRESTParameterError"
    answer = get(live_server, "/explore/dataset/jeu-disparu/download/?format=csv")
    assert answer.status_code == 302
    missing = requests.get(live_server.url + "/explore/dataset/jeu-disparu/download/?format=csv", timeout=30)
    assert missing.status_code == 404 and missing.json()["error_code"] == "NotFoundError"


@pytest.mark.parametrize(("path", "expected"), [
    ("/explore", ""),
    ("/explore/", ""),
    ("/explore/?q=mus%C3%A9es", "?q=mus%C3%A9es"),
    ("/explore/?q=population&sort=modified&refine.publisher=INSEE&refine.theme=Soci%C3%A9t%C3%A9+et+d%C3%A9mographie"
     "&refine.keyword=recensement", "?q=population&theme=society_and_demography&producteur=INSEE"
                                    "&mot_cle=recensement&tri=modification"),
    ("/explore/?refine.keyword=a&refine.keyword=b", ""),  # not a disjunctive facet: no exact equivalent
    ("/explore/?refine.keyword=a&refine.keyword=b&disjunctive.keyword=true", "?mot_cle=a&mot_cle=b"),
    ("/explore/?sort=records_count&q=title%3Ax", "?tri=enregistrements"),
])
def test_explore_goes_to_the_catalogue(live_server: LiveServer, path: str, expected: str) -> None:
    answer = get(live_server, path)
    assert answer.status_code == 301
    assert answer.headers["location"] == f"{live_server.url}/catalogue{expected}"
    assert requests.get(live_server.url + path, timeout=30).status_code == 200


def test_head_requests(live_server: LiveServer) -> None:
    answer = requests.head(live_server.url + f"/explore/dataset/{POINTS}/table/", timeout=30)
    assert answer.status_code == 301 and answer.headers["location"].endswith(f"id={POINTS}&tab=tableau")


HOSTILE = ["%0d%0aSet-Cookie:%20x=1", "%3Cimg%20src=x%20onerror=alert(1)%3E", "..%2F..%2Fetc%2Fpasswd", "%00",
           "%E2%80%AE", "a" * 5000, "%FF%FE", "'%20OR%201=1--"]
# Streamlit's path guard answers 400 to these in a path, before any route sees them.
PATH_GUARDED = {"..%2F..%2Fetc%2Fpasswd", "%00"}


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_addresses_never_fail(live_server: LiveServer, warehouse_dir: Path, value: str) -> None:
    """Whatever an old link holds, the answer is a redirect to a page or export of this portal (no 500, no header
    injection, no path outside it), and what reaches the dataset page passes its own checks."""
    paths = [f"/explore/dataset/{value}/table/", f"/explore/dataset/{PLAIN}/table/?refine.millesime={value}"
             f"&exclude.code_insee_cog2026={value}&q={value}&sort={value}&location={value}",
             f"/explore/dataset/{PLAIN}/download/?format={value}&refine.millesime={value}&fields={value}",
             f"/explore/?q={value}&refine.publisher={value}&sort={value}"]
    for path in paths:
        answer = get(live_server, path)
        if path == paths[0] and value in PATH_GUARDED:
            assert answer.status_code == 400
            continue
        assert answer.status_code in (301, 302), (path, answer.status_code, answer.text[:200])
        location = answer.headers["location"]
        assert location.startswith(live_server.url + "/") and "set-cookie" not in answer.headers, location
        assert not any(c in location for c in "<>\"'\r\n\x00 "), location
        if "/jeu-de-donnees?" in location and f"id={PLAIN}" in location:
            _, notes = state.parse_view(query_of(location), schema_of(warehouse_dir, PLAIN))
            assert notes == [], (path, notes)
