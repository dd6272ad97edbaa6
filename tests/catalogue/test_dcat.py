"""DCAT-AP catalogue (pure rdflib builder, its serialisations and Hydra paging), checked against the official
DCAT-AP 3.0.1 SHACL shapes; the catalogue downloads (CSV, JSON, data.json, Dublin Core, `python -m catalogue dcat`)."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from xml.etree import ElementTree as ET

import pyshacl
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns

from catalogue import dcat, vocab
from exports import catalogue as exports

# Open copies of rdflib's closed namespaces: pytest probes module attributes, which these would warn about.
DCAT, DCTERMS, FOAF, RDF, SH, SKOS, XSD = (Namespace(str(n)) for n in (ns.DCAT, ns.DCTERMS, ns.FOAF, ns.RDF, ns.SH,
                                                                      ns.SKOS, ns.XSD))
ROOT = Path(__file__).resolve().parents[2]
SHAPES = ROOT / "tests" / "fixtures" / "dcat-ap-3.0.1"
BASE = "https://data.example.fr"
SITE = dcat.Site(BASE + "/", "Territoire — catalogue", "Les données ouvertes.", "Territoire",
                 territory="Dordogne (24)")
EU = "http://publications.europa.eu/resource/authority/"
LOV2 = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")

ROW = {
    "id": "colleges", "title": "Collèges de la Dordogne", "description": "Annuaire **géolocalisé**.",
    "publisher": "Ministère de l'Éducation nationale (DEPP)", "publisher_url": "https://data.education.gouv.fr",
    "themes": ["education_and_research"], "keywords": ["collèges", "UAI"], "license_id": "lov2",
    "license_title": "Licence Ouverte / Open Licence version 2.0",
    "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence", "frequency": "annual",
    "spatial_granularity": "point", "temporal_start": "2016", "temporal_end": "2023-06-30",
    "created": "2024-11-20", "modified": "2025-01-31T10:00:00Z", "records": 52, "geo_kind": "point",
    "source_page": "https://data.education.gouv.fr/explore/", "attribution": "DEPP, 2024",
    "formats": ["csv", "json", "jsonl", "geojson", "parquet", "xlsx"],
}
BARE = {"id": "x", "title": "X", "frequency": "not-a-slug", "temporal_start": "", "temporal_end": "",
        "modified": "n/a", "license_id": "notspecified", "license_url": "", "license_title": "Licence non spécifiée"}


@functools.cache
def shapes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHAPES / name)
    return graph


def violations(graph: Graph, *names: str) -> list[str]:
    """The DCAT-AP results of severity Violation (warnings are a to-do list, not a failure)."""
    _conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes(*names))
    return [f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
            for r in report.subjects(RDF.type, SH.ValidationResult)
            if report.value(r, SH.resultSeverity) == SH.Violation]


def test_dataset_mapping() -> None:
    g = dcat.build_graph([ROW], SITE)
    ds = URIRef(f"{BASE}/jeu-de-donnees?id=colleges")
    catalog = URIRef(f"{BASE}/catalogue")
    assert (catalog, RDF.type, DCAT.Catalog) in g and (catalog, DCAT.dataset, ds) in g
    assert g.value(catalog, DCTERMS.modified) == Literal("2025-01-31", datatype=XSD.date)
    assert g.value(catalog, DCTERMS.issued) == Literal("2024-11-20", datatype=XSD.date)
    assert g.value(catalog, FOAF.homepage) == URIRef(f"{BASE}/")
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert g.value(ds, DCTERMS.identifier) == Literal("colleges")
    assert g.value(ds, DCTERMS.title) == Literal("Collèges de la Dordogne", lang="fr")
    assert set(g.objects(ds, DCAT.keyword)) == {Literal("collèges", lang="fr"), Literal("UAI", lang="fr")}
    # education_and_research → the EU data themes « Éducation, culture et sport » and « Science et technologie »
    assert set(g.objects(ds, DCAT.theme)) == {URIRef(f"{EU}data-theme/EDUC"), URIRef(f"{EU}data-theme/TECH")}
    assert g.value(URIRef(f"{EU}data-theme/EDUC"), SKOS.prefLabel) == Literal("Éducation, culture et sport", lang="fr")
    publisher = g.value(ds, DCTERMS.publisher)
    assert g.value(publisher, FOAF.name) == Literal(ROW["publisher"])
    assert g.value(publisher, FOAF.homepage) == URIRef(ROW["publisher_url"])
    assert g.value(ds, DCTERMS.license) == LOV2 and (LOV2, RDF.type, DCTERMS.LicenseDocument) in g
    assert g.value(ds, DCTERMS.issued) == Literal("2024-11-20", datatype=XSD.date)
    assert g.value(ds, DCTERMS.modified) == Literal("2025-01-31", datatype=XSD.date)
    assert g.value(ds, DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/ANNUAL")
    period = g.value(ds, DCTERMS.temporal)
    assert g.value(period, DCAT.startDate) == Literal("2016-01-01", datatype=XSD.date)  # a year: from its first day
    assert g.value(period, DCAT.endDate) == Literal("2023-06-30", datatype=XSD.date)
    assert dcat.period_bound("2016", end=True) == Literal("2016-12-31", datatype=XSD.date)
    assert dcat.period_bound("2024-02", end=True) == Literal("2024-02-29", datatype=XSD.date)
    assert dcat.period_bound("2024-02") == Literal("2024-02-01", datatype=XSD.date)
    assert g.value(g.value(ds, DCTERMS.spatial), SKOS.prefLabel) == Literal("Dordogne (24)", lang="fr")
    assert g.value(ds, DCAT.landingPage) == ds
    assert g.value(ds, FOAF.page) == URIRef(ROW["source_page"])


def test_one_distribution_per_format_with_its_download_url() -> None:
    g = dcat.build_graph([ROW], SITE)
    ds = URIRef(f"{BASE}/jeu-de-donnees?id=colleges")
    api = URIRef(f"{BASE}/api/explore/v2.1")
    by_url = {str(g.value(d, DCAT.downloadURL)): d for d in g.objects(ds, DCAT.distribution)}
    assert set(by_url) == {f"{BASE}/api/explore/v2.1/catalog/datasets/colleges/exports/{fmt}"
                           for fmt in ROW["formats"]}
    csv_dist = by_url[f"{BASE}/api/explore/v2.1/catalog/datasets/colleges/exports/csv"]
    assert g.value(csv_dist, DCAT.accessURL) == g.value(csv_dist, DCAT.downloadURL)
    assert g.value(csv_dist, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert g.value(csv_dist, DCTERMS["format"]) == URIRef(f"{EU}file-type/CSV")
    assert g.value(csv_dist, DCTERMS.license) == LOV2
    assert g.value(csv_dist, DCAT.accessService) is None  # a file, not an API resource (see catalogue/dcat.py)
    parquet = by_url[f"{BASE}/api/explore/v2.1/catalog/datasets/colleges/exports/parquet"]
    assert g.value(parquet, DCTERMS["format"]) == URIRef(f"{EU}file-type/PARQUET")
    # The API is the catalogue's data service: its endpoint, its OpenAPI description, the datasets it serves.
    assert (URIRef(f"{BASE}/catalogue"), DCAT.service, api) in g
    assert g.value(api, DCAT.endpointURL) == api and g.value(api, DCTERMS.identifier) == Literal(str(api))
    assert g.value(api, DCAT.endpointDescription) == URIRef(f"{BASE}/api/explore/v2.1/openapi.json")
    assert (api, DCAT.servesDataset, ds) in g


def test_optional_fields_left_out() -> None:
    g = dcat.build_graph([BARE], SITE)
    ds = URIRef(f"{BASE}/jeu-de-donnees?id=x")
    assert g.value(ds, DCTERMS.temporal) is None and g.value(ds, DCTERMS.modified) is None
    assert g.value(ds, DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/UNKNOWN")
    assert g.value(ds, DCTERMS.license) is None  # no licence URI known: no licence rather than a fake one
    assert g.value(ds, DCAT.distribution) is None  # no format served (e.g. not published)
    assert g.value(ds, DCTERMS.description) == Literal("X", lang="fr")  # mandatory: the title stands in


def test_shapes_report_no_violation() -> None:
    graph = dcat.build_graph([ROW, BARE], SITE, paging=dcat.Paging(f"{BASE}/dcat/catalog.ttl", 1, 2, 2))
    assert violations(graph, "shapes.ttl", "range.ttl") == []
    with_contact = dcat.build_graph([ROW], dataclasses.replace(SITE, contact="opendata@example.fr"))
    assert violations(with_contact, "shapes.ttl", "range.ttl") == []


def test_contact_point_when_configured() -> None:
    ds = URIRef(f"{BASE}/jeu-de-donnees?id=colleges")
    assert dcat.build_graph([ROW], SITE).value(ds, DCAT.contactPoint) is None
    vcard = dcat.VCARD
    for contact, prop, value in (("opendata@example.fr", vcard.hasEmail, "mailto:opendata@example.fr"),
                                 ("https://example.fr/contact", vcard.hasURL, "https://example.fr/contact")):
        g = dcat.build_graph([ROW], dataclasses.replace(SITE, contact=contact))
        point = g.value(ds, DCAT.contactPoint)
        assert g.value(point, prop) == URIRef(value) and g.value(point, vcard.fn) == Literal("Territoire")
        assert g.value(URIRef(f"{BASE}/api/explore/v2.1"), DCAT.contactPoint) == point


def test_serialisations_round_trip() -> None:
    graph = dcat.build_graph([ROW, BARE], SITE)
    for fmt, parser in (("jsonld", "json-ld"), ("ttl", "turtle"), ("rdf", "xml")):
        data = dcat.serialise(graph, fmt)
        assert Graph().parse(data=data, format=parser).isomorphic(graph), fmt
    compact = json.loads(dcat.serialise(graph, "jsonld"))
    assert compact["@context"]["dcat"] == str(DCAT)


def test_hydra_paging() -> None:
    hydra = dcat.HYDRA
    url = f"{BASE}/dcat/catalog.jsonld"
    g = dcat.build_graph([ROW], SITE, paging=dcat.Paging(url, 2, 10, 25))
    view = URIRef(f"{url}?page=2&page_size=10")
    assert g.value(URIRef(f"{BASE}/catalogue"), hydra.view) == view
    assert (view, RDF.type, hydra.PartialCollectionView) in g and (view, RDF.type, hydra.PagedCollection) in g
    assert g.value(view, hydra.totalItems) == Literal(25)
    assert {p: str(g.value(view, hydra[p])) for p in ("first", "previous", "next", "last")} == {
        "first": f"{url}?page=1&page_size=10", "previous": f"{url}?page=1&page_size=10",
        "next": f"{url}?page=3&page_size=10", "last": f"{url}?page=3&page_size=10"}
    assert g.value(view, hydra.nextPage) == g.value(view, hydra.next)
    last = dcat.build_graph([ROW], SITE, paging=dcat.Paging(url, 3, 10, 25))
    assert last.value(URIRef(f"{url}?page=3&page_size=10"), hydra.next) is None


def test_vocabularies_are_covered() -> None:
    assert set(vocab.FREQUENCIES) <= set(dcat.FREQUENCIES)
    assert set(vocab.TOPICS) == set(dcat.THEMES)
    assert all(code in dcat.EU_THEMES for codes in dcat.THEMES.values() for code in codes)
    with_url = {lid for lid, facts in vocab.LICENSES.items() if facts["url"]}
    assert with_url <= set(dcat.LICENSE_URIS)


def test_data_json_and_dublin_core() -> None:
    pod = json.loads(exports.to_data_json([ROW]))
    assert pod["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    (entry,) = pod["dataset"]
    assert entry["license"] == str(LOV2) and entry["accrualPeriodicity"] == "R/P1Y"
    assert entry["temporal"] == "2016/2023-06-30"
    assert {d["downloadURL"].rsplit("/", 1)[1] for d in entry["distribution"]} == set(ROW["formats"])
    dc = "{http://purl.org/dc/elements/1.1/}"
    (record,) = ET.fromstring(exports.to_dublin_core([ROW]))
    assert record.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert record.find(f"{dc}title").text == ROW["title"]
    assert record.find(f"{dc}rights").text == str(LOV2)
    assert "text/csv" in [f.text for f in record.findall(f"{dc}format")]


def manifest_files() -> dict[str, dict]:
    """The manifest as written: one TOML file per dataset, read without the project's loader."""
    return {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "catalogue" / "datasets").glob("*.toml")}


def test_catalogue_files_cover_the_whole_catalogue(portal: Path) -> None:
    ids = set(manifest_files())  # the embedded warehouse publishes every manifest entry
    files = exports.catalogue_files()

    assert files["csv"].startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8-sig")), delimiter=";"))
    assert {r["id"] for r in rows} == ids and len(rows) == len(ids)
    assert all(r["landing_page"].endswith(f"/jeu-de-donnees?id={r['id']}") for r in rows)
    assert "search_text" not in rows[0]

    entries = json.loads(files["json"])
    assert {e["id"] for e in entries} == ids and len(entries) == len(ids)
    colleges = next(e for e in entries if e["id"] == "colleges")
    assert colleges["keywords"] == manifest_files()["colleges"]["keywords"]

    graphs = {fmt: Graph().parse(data=files[fmt], format=parser)
              for fmt, parser in (("jsonld", "json-ld"), ("ttl", "turtle"), ("rdf", "xml"))}
    assert graphs["jsonld"].isomorphic(graphs["ttl"]) and graphs["ttl"].isomorphic(graphs["rdf"])
    g = graphs["ttl"]
    assert sorted(str(g.value(d, DCTERMS.identifier)) for d in g.subjects(RDF.type, DCAT.Dataset)) == sorted(ids)
    colleges_ds = next(d for d in g.subjects(RDF.type, DCAT.Dataset) if str(d).endswith("id=colleges"))
    toml = manifest_files()["colleges"]
    assert g.value(colleges_ds, DCTERMS.title) == Literal(toml["title"], lang="fr")
    assert g.value(colleges_ds, DCTERMS.license) == LOV2
    # the collèges are points: GeoJSON is offered; the communes table has no geometry: it is not
    formats = {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1] for d in g.objects(colleges_ds, DCAT.distribution)}
    assert {"csv", "json", "geojson", "parquet", "xlsx"} <= formats
    communes = next(d for d in g.subjects(RDF.type, DCAT.Dataset) if str(d).endswith("id=communes"))
    assert "geojson" not in {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]
                             for d in g.objects(communes, DCAT.distribution)}


def test_python_m_catalogue_dcat_prints_the_catalogue(portal: Path) -> None:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(portal), "TERRITOIRE_PUBLIC_URL": BASE}
    proc = subprocess.run([sys.executable, "-m", "catalogue", "dcat"], cwd=ROOT, env=env, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    g = Graph().parse(data=proc.stdout, format="json-ld")
    catalog = URIRef(f"{BASE}/catalogue")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert g.value(catalog, FOAF.homepage) == URIRef(f"{BASE}/")
    assert len(set(g.objects(catalog, DCAT.dataset))) == len(manifest_files())
