"""Opendatasoft harvesting end to end against a local portal: catalogue, metadata, exports, faults, freshness."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import warehouse
from loaders.sources import ods, state
from loaders.sources.refresh import harvest_ods, refresh_all
from tests.conftest import open_page
from tests.loaders.server import (
    FIXTURES,
    ODS_API,
    PORTAL_DIR,
    FakeServer,
    configure_env,
    publish_ods_dataset,
    serve_ods_portal,
)

ROOT = Path(__file__).resolve().parents[2]
EXPORT = f"{ODS_API}/catalog/datasets/communes-dordogne/exports/parquet"
META = f"{ODS_API}/catalog/datasets/communes-dordogne"
GEO_EXPORT = f"{ODS_API}/catalog/datasets/colleges-dordogne/exports/geojson"


@pytest.fixture
def portal_srv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, dict[str, Any]]]:
    with FakeServer() as srv:
        datasets = serve_ods_portal(srv)
        configure_env(monkeypatch, tmp_path, srv)
        yield srv, datasets


def _by_id(outcomes: list[Any]) -> dict[str, Any]:
    return {o.id: o for o in outcomes}


# ------------------------------------------------------------------------------------ pure mapping


def test_mapping_of_recorded_explore_dataset() -> None:
    recorded = json.loads((FIXTURES / "opendatasoft_explore_v2.1" / "datasets-v2.1.json").read_text())
    ds = recorded["results"][0]
    entry = ods.to_manifest(ds, "https://documentation-resources.opendatasoft.com/explore/")
    assert entry["id"] == "ods-world-administrative-boundaries-countries-and-territories"
    assert entry["license"] == {"id": "other-at", "title": "Open Government Licence v3.0",
                                "url": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}
    assert entry["themes"] == ["politics_and_public_life"]
    assert "<p>" not in entry["description"] and entry["description"].startswith("This dataset displays")
    assert entry["source"]["url"] == "https://documentation-resources.opendatasoft.com"
    assert entry["source"]["dataset_id"] == ds["dataset_id"] and entry["source"]["kind"] == "ods"
    assert entry["columns"]["color_code"]["description"].startswith("ISO 3 code")
    assert entry["keywords"][:2] == ["United Nation", "ISO-3 code"]
    # The entry is a valid manifest.
    from catalogue.manifest import parse_spec

    assert parse_spec(entry).source.options["dataset_id"] == ds["dataset_id"]


@pytest.mark.parametrize(("name", "url", "expected"), [
    ("Licence Ouverte v2.0 (Etalab)", None, "lov2"),
    ("Licence Ouverte / Open Licence", "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
     "fr-lo"),
    ("Open Database License (ODbL)", None, "odc-odbl"),
    ("ODbL", None, "odc-odbl"),
    ("CC BY 4.0", None, "cc-by"),
    ("CC BY-SA 4.0", None, "cc-by-sa"),
    ("Creative Commons Attribution-ShareAlike", None, "cc-by-sa"),
    ("CC0 1.0", None, "cc-zero"),
    ("Open Data Commons Public Domain Dedication and License", None, "odc-pddl"),
    ("", None, "notspecified"),
    (None, None, "notspecified"),
    ("Licence maison", "https://example.org/l", "other-at"),
])
def test_license_mapping(name: str | None, url: str | None, expected: str) -> None:
    assert ods.map_license(name, url)["id"] == expected


def test_theme_mapping() -> None:
    assert ods.map_themes(["Administration, Gouvernement, Finances publiques, Citoyenneté"]) == \
        ["politics_and_public_life"]
    assert ods.map_themes(["Transports, Déplacements", "Santé"]) == ["transport_and_mobility", "health"]
    assert ods.map_themes(["Education, Formation, Recherche, Enseignement"]) == ["education_and_research"]
    assert ods.map_themes(["Aménagement du territoire, Urbanisme"]) == ["housing_and_development"]
    assert ods.map_themes(["Inclassable"]) == ["others"]
    assert ods.map_themes(None) == ["others"]


def test_html_description_sanitised() -> None:
    text = ods.html_to_markdown('<p>Des <strong>communes</strong></p><ul><li><a href="https://x.fr">lien</a></li>'
                                '<li><a href="javascript:alert(1)">piège</a></li></ul><script>alert(1)</script>'
                                '<img src=x onerror=alert(1)>&lt;b&gt; population < 500</p>')
    assert "**communes**" in text and "- [lien](https://x.fr)" in text
    assert "javascript" not in text and "alert" not in text and not re.search(r"<[A-Za-z/]", text)
    assert "piège" in text and "population < 500" in text


def test_portal_root_and_ids() -> None:
    assert ods.portal_root("https://data.example.fr/explore/dataset/x/table/") == "https://data.example.fr"
    assert ods.portal_root("https://data.example.fr/api/explore/v2.1/catalog/datasets") == "https://data.example.fr"
    assert ods.make_id("Mon_Jeu@public") == "ods-mon-jeu-public"
    with pytest.raises(ods.OdsError):
        ods.portal_root("data.example.fr")


def test_catalogue_pagination(portal_srv: tuple[FakeServer, dict[str, Any]],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    srv, _ = portal_srv
    monkeypatch.setattr(ods.S, "ODS_PAGE_SIZE", 1)
    found = ods.fetch_catalogue(srv.base_url)
    assert [d["dataset_id"] for d in found] == ["communes-dordogne", "colleges-dordogne"]
    calls = [r for r in srv.log if r.path == f"{ODS_API}/catalog/datasets"]
    assert [(r.param("limit"), r.param("offset")) for r in calls] == [("1", "0"), ("1", "1")]


# ------------------------------------------------------------------------------------ end to end


def test_harvest_portal_end_to_end(portal_srv: tuple[FakeServer, dict[str, Any]], tmp_path: Path) -> None:
    srv, _ = portal_srv
    outcomes = _by_id(harvest_ods(srv.base_url))
    assert {k: o.status for k, o in outcomes.items()} == {"ods-communes-dordogne": "updated",
                                                          "ods-colleges-dordogne": "updated"}
    manifest = tomllib.loads((tmp_path / "catalogue" / "ods-communes-dordogne.toml").read_text())
    assert manifest["title"] == "Communes de la Dordogne"
    assert manifest["license"]["id"] == "lov2"
    assert manifest["themes"] == ["politics_and_public_life"]
    assert manifest["source"] == {"kind": "ods", "url": srv.base_url, "dataset_id": "communes-dordogne",
                                  "page": f"{srv.base_url}/explore/dataset/communes-dordogne/"}
    assert "alert" not in manifest["description"] and "**communes**" in manifest["description"]
    meta = warehouse.current_meta("ods-communes-dordogne")
    assert meta is not None and meta["rows"] == 30
    assert meta["source"]["export_format"] == "parquet" and meta["source"]["dataset_id"] == "communes-dordogne"
    assert meta["source"]["remote_modified"] == "2026-01-15T10:00:05+00:00"
    labels = {c["name"]: c.get("label") for c in meta["columns"]}
    assert labels["population_municipale"] == "Population municipale"
    geo = warehouse.current_meta("ods-colleges-dordogne")
    assert geo is not None and geo["rows"] == 10 and geo["source"]["export_format"] == "geojson"
    assert geo["geo"]["kind"] == "point"
    # Data only through /exports, never /records.
    assert not [r for r in srv.log if r.path.endswith("/records")]
    assert srv.hits(f"{ODS_API}/catalog/datasets/colleges-dordogne/exports/parquet") == 1  # 404 → geojson
    status = {r["id"]: r for r in state.sources_status()}
    assert status["ods-communes-dordogne"]["status"] == "ok" and status["ods-communes-dordogne"]["last_error"] is None
    assert status["ods-communes-dordogne"]["url"] == f"{srv.base_url}/explore/dataset/communes-dordogne/"


def test_dataset_page_shows_harvested_dataset(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, _ = portal_srv
    harvest_ods(srv.base_url, ["communes-dordogne"])
    at = open_page("pages/dataset.py", {"id": "ods-communes-dordogne"})  # through the router, as a visitor
    shown = " ".join(str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption")
                     for e in getattr(at, kind))
    assert "Communes de la Dordogne" in shown
    assert "Département de la Dordogne" in shown  # the harvested publisher


def test_chosen_dataset_with_subset_and_local_id(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, _ = portal_srv
    outcomes = harvest_ods(srv.base_url, ["communes-dordogne"], as_id="communes-24", where='population_municipale > 500',
                           refine=["nom:Agonac"], select="code_insee, nom")
    assert [(o.id, o.status) for o in outcomes] == [("communes-24", "updated")]
    export = [r for r in srv.log if r.path == EXPORT][-1]
    assert export.param("where") == "population_municipale > 500"
    assert export.params("refine") == ["nom:Agonac"] and export.param("select") == "code_insee, nom"


def test_second_refresh_downloads_nothing(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, _ = portal_srv
    harvest_ods(srv.base_url)
    version = warehouse.current_version("ods-communes-dordogne")
    srv.reset_log()
    outcomes = _by_id(refresh_all())
    assert {o.status for o in outcomes.values()} == {"unchanged"}
    assert srv.hits(EXPORT) == 0 and srv.hits(GEO_EXPORT) == 0  # only the small metadata documents
    assert srv.hits(META) == 1
    assert warehouse.current_version("ods-communes-dordogne") == version


def test_portal_modified_date_triggers_download_and_identical_bytes_keep_version(
        portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, datasets = portal_srv
    harvest_ods(srv.base_url, ["communes-dordogne"])
    version = warehouse.current_version("ods-communes-dordogne")
    datasets["communes-dordogne"]["metas"]["default"]["data_processed"] = "2026-02-01T00:00:00+00:00"
    publish_ods_dataset(srv, datasets["communes-dordogne"])
    srv.reset_log()
    [outcome] = refresh_all(["ods-communes-dordogne"])
    assert srv.hits(EXPORT) == 1
    assert outcome.status == "unchanged" and "identique" in outcome.message  # same sha256: no new version
    assert warehouse.current_version("ods-communes-dordogne") == version
    srv.reset_log()
    refresh_all(["ods-communes-dordogne"])
    assert srv.hits(EXPORT) == 0  # the new date is remembered


def test_schema_change_is_published_with_a_warning(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, datasets = portal_srv
    harvest_ods(srv.base_url, ["communes-dordogne"])
    first = warehouse.current_version("ods-communes-dordogne")
    srv.route_file(EXPORT, PORTAL_DIR / "communes-dordogne-schema-v2.parquet", "application/vnd.apache.parquet",
                   etag=False)
    datasets["communes-dordogne"]["metas"]["default"]["data_processed"] = "2026-03-01T00:00:00+00:00"
    publish_ods_dataset(srv, datasets["communes-dordogne"])
    [outcome] = refresh_all(["ods-communes-dordogne"])
    assert outcome.status == "updated"
    assert outcome.warning and "population_municipale" in outcome.warning and "epci_siren" in outcome.warning
    assert "32 lignes chargées, la source en annonce 30" in outcome.warning  # records_count not updated
    meta = warehouse.current_meta("ods-communes-dordogne")
    assert meta is not None and meta["version"] != first and meta["rows"] == 32
    assert meta["changes"]["columns_removed"] == ["population_municipale"]
    assert meta["changes"]["columns_added"] == ["epci_siren"] and meta["changes"]["rows_added"] == 2
    assert state.load_state()["ods-communes-dordogne"]["warning"] == outcome.warning


# ------------------------------------------------------------------------------------ faults


def _harvest_then_change(srv: FakeServer, datasets: dict[str, Any]) -> str | None:
    harvest_ods(srv.base_url)
    datasets["communes-dordogne"]["metas"]["default"]["data_processed"] = "2026-05-01T00:00:00+00:00"
    publish_ods_dataset(srv, datasets["communes-dordogne"])
    srv.route_file(EXPORT, PORTAL_DIR / "communes-dordogne-schema-v2.parquet", "application/vnd.apache.parquet",
                   etag=False)
    return warehouse.current_version("ods-communes-dordogne")


def test_odsql_error_is_a_clear_failure_and_last_version_stays(
        portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, datasets = portal_srv
    version = _harvest_then_change(srv, datasets)
    body = (FIXTURES / "opendatasoft_explore_v2.1" / "error_invalid_odsql.json").read_bytes()
    srv.fault(EXPORT, "status", times=1, status=400, body=body)
    outcomes = _by_id(refresh_all())
    failed = outcomes["ods-communes-dordogne"]
    assert failed.status == "failed"
    assert "refuse le filtre" in failed.message and "ODSQL query is malformed" in failed.message
    assert srv.hits(f"{ODS_API}/catalog/datasets/communes-dordogne/exports/csv") == 0  # no pointless fallback
    assert outcomes["ods-colleges-dordogne"].status == "unchanged"  # the other source went on
    assert warehouse.current_version("ods-communes-dordogne") == version
    entry = state.load_state()["ods-communes-dordogne"]
    assert entry["last_error"] == failed.message and entry["failures"] == 1 and entry["last_success"]
    # Next run (fault gone) picks the change up: the failed attempt did not record the new date.
    [again] = refresh_all(["ods-communes-dordogne"])
    assert again.status == "updated" and state.load_state()["ods-communes-dordogne"]["last_error"] is None


def test_quota_429_with_long_retry_after_fails_fast_and_schedules_later(
        portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, datasets = portal_srv
    version = _harvest_then_change(srv, datasets)
    body = (FIXTURES / "opendatasoft_explore_v2.1" / "error_quota_exceeded.json").read_bytes()
    srv.fault(META, "status", times=20, status=429, body=body, headers={"Retry-After": "7200"})
    outcomes = _by_id(refresh_all())
    failed = outcomes["ods-communes-dordogne"]
    assert failed.status == "failed" and "Quota" in failed.message and "Too many requests" in failed.message
    assert outcomes["ods-colleges-dordogne"].status == "unchanged"
    assert warehouse.current_version("ods-communes-dordogne") == version
    entry = state.load_state()["ods-communes-dordogne"]
    due = state.parse_iso(entry["next_refresh"])
    assert due is not None and (due - state.now_utc()).total_seconds() >= 7100
    assert not state.is_due("ods-communes-dordogne")


def test_short_429_and_5xx_are_retried_transparently(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, datasets = portal_srv
    _harvest_then_change(srv, datasets)
    srv.fault(META, "status", times=1, status=429, headers={"Retry-After": "1"})
    srv.fault(EXPORT, "status", times=2, status=503)
    [outcome] = refresh_all(["ods-communes-dordogne"])
    assert outcome.status == "updated"
    assert srv.hits(EXPORT, status=503) == 2


@pytest.mark.parametrize("kind", ["truncate", "reset", "delay"])
def test_broken_export_forever_fails_without_partial_dataset(
        portal_srv: tuple[FakeServer, dict[str, Any]], kind: str) -> None:
    srv, datasets = portal_srv
    version = _harvest_then_change(srv, datasets)
    srv.fault(EXPORT, kind, times=50, seconds=3)
    [outcome] = refresh_all(["ods-communes-dordogne"])
    assert outcome.status == "failed"
    assert any(w in outcome.message for w in ("incomplet", "interrompue", "Délai", "Connexion"))
    assert warehouse.current_version("ods-communes-dordogne") == version
    assert warehouse.current_meta("ods-communes-dordogne")["rows"] == 30
    assert list(state.downloads_dir().iterdir()) == []
    wh = warehouse.dataset_dir("ods-communes-dordogne") / "versions"
    assert not [p for p in wh.iterdir() if p.name.startswith(".")]


def test_invalid_json_metadata_fails_with_french_message(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, datasets = portal_srv
    version = _harvest_then_change(srv, datasets)
    srv.fault(META, "invalid_json", times=50)
    [outcome] = refresh_all(["ods-communes-dordogne"])
    assert outcome.status == "failed" and "JSON invalide" in outcome.message
    assert warehouse.current_version("ods-communes-dordogne") == version


def test_unknown_dataset_is_reported(portal_srv: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, _ = portal_srv
    [outcome] = harvest_ods(srv.base_url, ["nexiste-pas"])
    assert outcome.status == "failed" and "introuvable" in outcome.message
