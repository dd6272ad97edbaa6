"""The harvestable DCAT-AP catalogue over real HTTP: /dcat/catalog.{jsonld,ttl,rdf} (Hydra paging, content negotiation,
CORS, ETag) and the catalogue exports dcat, rdf, ttl, data.json, dublin_core, xlsx. The served catalogue is validated
with pyshacl against the official DCAT-AP 3.0.1 shapes, and every download URL it lists is fetched."""

from __future__ import annotations

import functools
import io
import json
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pyshacl
import pytest
import requests
from openpyxl import load_workbook
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns

import queries
from tests.conftest import ROOT, LiveServer

API = "/api/explore/v2.1"
SHAPES = ROOT / "tests" / "fixtures" / "dcat-ap-3.0.1"
# Open copies of rdflib's closed namespaces: pytest probes module attributes, which these would warn about.
DCAT, DCTERMS, RDF, SH = (Namespace(str(n)) for n in (ns.DCAT, ns.DCTERMS, ns.RDF, ns.SH))
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
PARSERS = {"jsonld": "json-ld", "ttl": "turtle", "rdf": "xml"}
# What each export answers with (api/exports.py), by the last segment of a download URL.
EXPORT_TYPES = {"csv": "text/csv", "json": "application/json", "jsonl": "application/jsonl",
                "geojson": "application/geo+json", "parquet": "application/vnd.apache.parquet",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    return live_server


def fetch(server: LiveServer, path: str, **kw: Any) -> requests.Response:
    return requests.get(f"{server.url}{path}", timeout=120, **kw)


@functools.cache
def catalogue_graph(url: str, fmt: str) -> Graph:
    """The whole served catalogue (one page) in one serialisation."""
    answer = requests.get(f"{url}/dcat/catalog.{fmt}", params={"page_size": 500}, timeout=120)
    assert answer.status_code == 200, answer.text[:300]
    return Graph().parse(data=answer.content, format=PARSERS[fmt])


@functools.cache
def shapes() -> Graph:
    graph = Graph()
    for name in ("shapes.ttl", "range.ttl"):
        graph.parse(SHAPES / name)
    return graph


def published_ids(server: LiveServer) -> set[str]:
    return {str(d["dataset_id"]) for d in fetch(server, f"{API}/catalog/datasets", params={"limit": 100,
                                                                                             "select": "dataset_id"}
                                                 ).json()["results"]}


def dataset_ids(graph: Graph) -> list[str]:
    return [str(graph.value(d, DCTERMS.identifier)) for d in graph.subjects(RDF.type, DCAT.Dataset)]


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_served_catalogue_has_zero_violations(server: LiveServer, fmt: str) -> None:
    graph = catalogue_graph(server.url, fmt)
    assert sorted(dataset_ids(graph)) == sorted(published_ids(server))
    _conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes())
    found = [f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
             for r in report.subjects(RDF.type, SH.ValidationResult)
             if report.value(r, SH.resultSeverity) == SH.Violation]
    assert found == []
    assert without_paging(catalogue_graph(server.url, "rdf")).isomorphic(without_paging(graph))


def without_paging(graph: Graph) -> Graph:
    """The graph without its Hydra view (whose URLs name the serialisation)."""
    out = Graph()
    views = set(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
    for s, p, o in graph:
        if s not in views and o not in views and not str(p).startswith(str(HYDRA)) and o != HYDRA.Collection:
            out.add((s, p, o))
    return out


def test_every_download_url_answers(server: LiveServer) -> None:
    graph = catalogue_graph(server.url, "ttl")
    for ds in graph.subjects(RDF.type, DCAT.Dataset):
        ds_id = str(graph.value(ds, DCTERMS.identifier))
        # the distributions are exactly the formats the API lists for the dataset
        listed = {link["href"].rsplit("/", 1)[1] for link in fetch(
            server, f"{API}/catalog/datasets/{ds_id}/exports").json()["_links"][1:]}
        urls = {str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(ds, DCAT.distribution)}
        assert {u.rsplit("/", 1)[1] for u in urls} == listed, ds_id
        licence = graph.value(ds, DCTERMS.license)
        assert isinstance(licence, URIRef) and (licence, RDF.type, DCTERMS.LicenseDocument) in graph, ds_id
        for dist in graph.objects(ds, DCAT.distribution):
            url = str(graph.value(dist, DCAT.downloadURL))
            assert url.startswith(f"{server.url}{API}/catalog/datasets/{ds_id}/exports/")
            answer = _small_get(url)
            fmt = url.rsplit("/", 1)[1]
            assert answer.status_code == 200, (url, answer.text[:200])
            assert answer.headers["content-type"].split(";")[0] == EXPORT_TYPES[fmt], url
            media = graph.value(dist, DCAT.mediaType)
            if media is not None:  # the IANA type the catalogue states is the one served
                assert str(media).endswith("/" + EXPORT_TYPES[fmt]), url
            assert graph.value(dist, DCTERMS.license) == licence


def _small_get(url: str) -> requests.Response:
    """One row of the export (a small GET); exports share a few slots: a 429 waits for the previous one to end."""
    for _ in range(50):
        answer = requests.get(url, params={"limit": 1}, timeout=60)
        if answer.status_code != 429:
            return answer
        time.sleep(0.2)
    return answer


def test_paging_walks_every_dataset_once(server: LiveServer) -> None:
    ids = published_ids(server)
    url = f"{server.url}/dcat/catalog.jsonld?page=1&page_size=6"
    seen: list[str] = []
    pages = 0
    last = None
    while url:
        answer = requests.get(url, timeout=60)
        assert answer.status_code == 200, answer.text[:300]
        graph = Graph().parse(data=answer.content, format="json-ld")
        view = URIRef(url)
        assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
        assert graph.value(view, HYDRA.totalItems) == Literal(len(ids))
        assert str(graph.value(view, HYDRA.first)) == f"{server.url}/dcat/catalog.jsonld?page=1&page_size=6"
        last = str(graph.value(view, HYDRA.last))
        page_ids = dataset_ids(graph)
        assert 0 < len(page_ids) <= 6
        seen += page_ids
        pages += 1
        url = str(graph.value(view, HYDRA.next) or "")
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert pages == -(-len(ids) // 6) and last == f"{server.url}/dcat/catalog.jsonld?page={pages}&page_size=6"
    assert fetch(server, "/dcat/catalog.ttl", params={"page": pages + 1, "page_size": 6}).status_code == 404
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 100_000}, {"page": "x"}):
        refused = fetch(server, "/dcat/catalog.ttl", params=bad)
        assert refused.status_code == 400 and set(refused.json()) == {"error_code", "message"}, bad


def test_headers_and_content_negotiation(server: LiveServer) -> None:
    answer = fetch(server, "/dcat/catalog.ttl")
    assert answer.headers["content-type"].startswith("text/turtle")
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "max-age" in answer.headers["cache-control"]
    again = fetch(server, "/dcat/catalog.ttl", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    for accept, fmt in (("text/turtle", "ttl"), ("application/rdf+xml", "rdf"),
                        ("application/ld+json", "jsonld"), ("text/html;q=0.9, text/turtle;q=0.5", "ttl"),
                        ("application/rdf+xml;q=0.2, application/ld+json", "jsonld"), ("*/*", "jsonld")):
        chosen = fetch(server, "/dcat/catalog", params={"page_size": 5}, headers={"Accept": accept})
        direct = fetch(server, f"/dcat/catalog.{fmt}", params={"page_size": 5})
        assert chosen.status_code == 200, accept
        assert "Accept" in [v.strip() for v in chosen.headers["vary"].split(",")], accept
        assert chosen.headers["content-type"] == direct.headers["content-type"], accept
        assert chosen.headers["etag"] == direct.headers["etag"], accept  # one representation, one tag
        graph = Graph().parse(data=chosen.content, format=PARSERS[fmt])
        assert len(dataset_ids(graph)) == 5, accept
        next_page = graph.value(URIRef(f"{server.url}/dcat/catalog.{fmt}?page=1&page_size=5"), HYDRA.next)
        assert str(next_page) == f"{server.url}/dcat/catalog.{fmt}?page=2&page_size=5", accept
    head = requests.head(f"{server.url}/dcat/catalog", headers={"Accept": "text/turtle"}, timeout=60)
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/turtle")


def test_catalogue_exports(server: LiveServer, read_only_portal: Path) -> None:
    ids = published_ids(server)
    for fmt, parser in (("dcat", "xml"), ("rdf", "xml"), ("ttl", "turtle")):
        answer = fetch(server, f"{API}/catalog/exports/{fmt}")
        assert answer.status_code == 200, answer.text[:300]
        graph = Graph().parse(data=answer.content, format=parser)
        assert sorted(dataset_ids(graph)) == sorted(ids), fmt
    assert fetch(server, f"{API}/catalog/exports/dcat").headers["content-type"].startswith("application/rdf+xml")
    # ODSQL selects the datasets, include_exports the distributions
    big = fetch(server, f"{API}/catalog/exports/ttl", params={"where": "records_count > 1000",
                                                              "include_exports": "csv,parquet"})
    graph = Graph().parse(data=big.content, format="turtle")
    catalogue = queries.run("catalogue_export", max_rows=10_000)
    assert sorted(dataset_ids(graph)) == sorted(catalogue[catalogue.records > 1000].id)
    assert {str(u).rsplit("/", 1)[1] for u in graph.objects(None, DCAT.downloadURL)} == {"csv", "parquet"}

    pod = json.loads(fetch(server, f"{API}/catalog/exports/data.json").content)
    assert sorted(e["identifier"].rsplit("=", 1)[1] for e in pod["dataset"]) == sorted(ids)
    assert all(d["downloadURL"].startswith(f"{server.url}{API}/catalog/datasets/")
               for e in pod["dataset"] for d in e["distribution"])
    records = ET.fromstring(fetch(server, f"{API}/catalog/exports/dublin_core").content)
    assert len(records) == len(ids)
    sheet = load_workbook(io.BytesIO(fetch(server, f"{API}/catalog/exports/xlsx").content), read_only=True)
    assert sorted(row[0] for row in sheet.worksheets[0].iter_rows(min_row=2, values_only=True)) == sorted(ids)

    refused = fetch(server, f"{API}/catalog/exports/dcat_ap_ch")
    assert refused.status_code == 400 and "not activated" in refused.json()["message"]
    unknown = fetch(server, f"{API}/catalog/exports/docx")
    assert unknown.status_code == 400 and unknown.json()["error_code"] == "InvalidRESTParameterError"


def test_catalogue_built_without_the_api_lists_only_served_formats(server: LiveServer, read_only_portal: Path) -> None:
    """The catalogue page's download and `python -m catalogue dcat` name formats by the export tab's rule: every
    download URL they list is one the API serves."""
    from exports import catalogue as exports

    offline = Graph().parse(data=exports.catalogue_files()["ttl"], format="turtle")
    served = {str(u).rsplit(API, 1)[1] for u in catalogue_graph(server.url, "ttl").objects(None, DCAT.downloadURL)}
    listed = {str(u).rsplit(API, 1)[1] for u in offline.objects(None, DCAT.downloadURL)}
    assert listed and listed <= served
