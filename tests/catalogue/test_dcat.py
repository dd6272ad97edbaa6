"""DCAT JSON-LD catalogue (pure builder) and the catalogue downloads (CSV, JSON, `python -m catalogue dcat`)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from catalogue import dcat
from exports import catalogue as exports

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://data.example.fr"

ROW = {
    "id": "colleges", "title": "Collèges de la Dordogne", "description": "Annuaire **géolocalisé**.",
    "publisher": "Ministère de l'Éducation nationale (DEPP)", "publisher_url": "https://data.education.gouv.fr",
    "themes": ["education_and_research"], "keywords": ["collèges", "UAI"], "license_id": "lov2",
    "license_title": "Licence Ouverte / Open Licence version 2.0",
    "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence", "frequency": "annual",
    "spatial_granularity": "point", "temporal_start": "2016", "temporal_end": "2023-06-30",
    "created": "2024-11-20", "modified": "2025-01-31T10:00:00Z", "records": 52, "geo_kind": "point",
    "source_page": "https://data.education.gouv.fr/explore/", "attribution": "DEPP, 2024",
}


def test_catalog_shape_and_dataset_mapping() -> None:
    cat = dcat.build_catalog([ROW], base_url=BASE + "/", title="Territoire", publisher="Territoire",
                             territory="Dordogne (24)")
    assert cat["@type"] == "dcat:Catalog"
    assert {"dcat", "dct", "foaf", "xsd"} <= set(cat["@context"])
    assert cat["dct:modified"] == {"@value": "2025-01-31", "@type": "xsd:date"}
    (ds,) = cat["dcat:dataset"]
    expected = {"@id", "@type", "dct:identifier", "dct:title", "dct:description", "dcat:keyword", "dcat:theme",
                "dct:publisher", "dct:license", "dct:issued", "dct:modified", "dct:accrualPeriodicity",
                "dct:temporal", "dcat:landingPage", "dcat:distribution", "ods:recordsCount"}
    assert expected <= set(ds)
    assert ds["@type"] == "dcat:Dataset" and ds["dct:identifier"] == "colleges"
    assert ds["dcat:landingPage"] == {"@id": f"{BASE}/jeu-de-donnees?id=colleges"}
    assert ds["dct:publisher"] == {"@type": "foaf:Agent", "foaf:name": ROW["publisher"],
                                   "foaf:homepage": {"@id": ROW["publisher_url"]}}
    assert ds["dct:license"] == {"@id": ROW["license_url"]}
    assert ds["dct:issued"] == {"@value": "2024-11-20", "@type": "xsd:date"}
    assert ds["dct:accrualPeriodicity"]["@id"].endswith("/frequency/ANNUAL")
    assert ds["dct:temporal"] == {"@type": "dct:PeriodOfTime",
                                  "dcat:startDate": {"@value": "2016", "@type": "xsd:gYear"},
                                  "dcat:endDate": {"@value": "2023-06-30", "@type": "xsd:date"}}
    assert ds["dcat:keyword"] == ["collèges", "UAI"]
    assert ds["dcat:theme"][0]["skos:prefLabel"] == "Éducation et recherche"
    assert ds["ods:recordsCount"] == 52
    assert ds["dct:spatial"] == {"@type": "dct:Location", "skos:prefLabel": "Dordogne (24)"}
    formats = {d["dct:format"]: d for d in ds["dcat:distribution"]}
    assert set(formats) == {"CSV", "Parquet", "GeoJSON"}
    assert formats["CSV"]["dcat:mediaType"] == "text/csv"
    assert formats["CSV"]["dcat:accessURL"]["@id"] == f"{BASE}/jeu-de-donnees?id=colleges&tab=export"
    assert all(d["@type"] == "dcat:Distribution" for d in ds["dcat:distribution"])
    json.dumps(cat)  # plain JSON all the way down


def test_optional_fields_and_static_downloads() -> None:
    row = {"id": "x", "title": "X", "frequency": "not-a-slug", "geo_kind": "none", "temporal_start": "",
           "temporal_end": "", "modified": "n/a", "license_url": "", "license_title": "Licence non spécifiée"}
    ds = dcat.build_catalog([row], base_url=BASE, title="T", download_base="https://files.example.fr/")[
        "dcat:dataset"][0]
    assert "dct:temporal" not in ds and "dct:modified" not in ds
    assert ds["dct:accrualPeriodicity"]["@id"].endswith("/UNKNOWN")
    assert ds["dct:license"] == "Licence non spécifiée"
    assert {d["dct:format"] for d in ds["dcat:distribution"]} == {"CSV", "Parquet"}
    assert ds["dcat:distribution"][0]["dcat:downloadURL"] == {"@id": "https://files.example.fr/x.csv"}


def test_every_udata_frequency_is_mapped() -> None:
    from catalogue import vocab

    assert set(vocab.FREQUENCIES) <= set(dcat.FREQUENCIES)


def manifest_files() -> dict[str, dict]:
    """The manifest as written: one TOML file per dataset, read without the project's loader."""
    return {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "catalogue" / "datasets").glob("*.toml")}


LOV2 = {"@id": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"}


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

    cat = json.loads(files["jsonld"])
    assert sorted(d["dct:identifier"] for d in cat["dcat:dataset"]) == sorted(ids)
    counts = {d["dct:identifier"]: d["ods:recordsCount"] for d in cat["dcat:dataset"]}
    # Row counts stated by the manifests' own descriptions: 52 collèges, the 503 communes of the COG 2026.
    assert counts["colleges"] == 52 and counts["contours-communes"] == 503 and counts["epci-communes"] == 503


def test_python_m_catalogue_dcat_prints_the_catalogue(portal: Path) -> None:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(portal), "TERRITOIRE_PUBLIC_URL": BASE}
    proc = subprocess.run([sys.executable, "-m", "catalogue", "dcat"], cwd=ROOT, env=env, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    cat = json.loads(proc.stdout)
    assert cat["@id"] == f"{BASE}/catalogue" and cat["@type"] == "dcat:Catalog"
    assert cat["foaf:homepage"] == {"@id": f"{BASE}/"}
    assert sorted(d["dct:identifier"] for d in cat["dcat:dataset"]) == sorted(manifest_files())

    # One dataset in full, expected values written by hand or read from its TOML file.
    toml = manifest_files()["colleges"]
    ds = next(d for d in cat["dcat:dataset"] if d["dct:identifier"] == "colleges")
    landing = f"{BASE}/jeu-de-donnees?id=colleges"
    assert ds["@id"] == landing and ds["dcat:landingPage"] == {"@id": landing}
    assert ds["@type"] == "dcat:Dataset"
    assert ds["dct:title"] == toml["title"] == "Collèges de la Dordogne : adresses et géolocalisation"
    assert ds["dct:description"].strip() == toml["description"].strip()
    assert ds["dcat:keyword"] == toml["keywords"]
    assert ds["dcat:theme"] == [{"@type": "skos:Concept", "skos:notation": "education_and_research",
                                 "skos:prefLabel": "Éducation et recherche"}]
    assert ds["dct:publisher"] == {"@type": "foaf:Agent", "foaf:name": "Ministère de l'Éducation nationale (DEPP)",
                                   "foaf:homepage": {"@id": "https://data.education.gouv.fr"}}
    assert ds["dct:license"] == LOV2
    assert ds["dct:issued"] == ds["dct:modified"] == {"@value": "2024-11-20", "@type": "xsd:date"}
    assert ds["dct:temporal"] == {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": "2024", "@type": "xsd:gYear"},
                                  "dcat:endDate": {"@value": "2024", "@type": "xsd:gYear"}}
    assert ds["dct:accrualPeriodicity"] == {"@id": "http://publications.europa.eu/resource/authority/frequency/IRREG"}
    assert ds["ods:recordsCount"] == 52
    assert [(d["@id"], d["dct:format"], d["dcat:mediaType"]) for d in ds["dcat:distribution"]] == [
        (f"{landing}#distribution-csv", "CSV", "text/csv"),
        (f"{landing}#distribution-parquet", "Parquet", "application/vnd.apache.parquet"),
        (f"{landing}#distribution-geojson", "GeoJSON", "application/geo+json"),  # the collèges are points
    ]
    assert all(d["dcat:accessURL"] == {"@id": f"{landing}&tab=export"} and d["dct:license"] == LOV2
               for d in ds["dcat:distribution"])
