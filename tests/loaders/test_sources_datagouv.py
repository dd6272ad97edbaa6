"""data.gouv.fr harvesting against the recorded API responses served locally: resources, search, freshness."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import warehouse
from loaders.sources import datagouv, state
from loaders.sources.refresh import harvest_datagouv, refresh_all
from tests.loaders.server import (
    DG_ID,
    DG_SLUG,
    FIXTURES,
    FakeServer,
    configure_env,
    publish_datagouv_dataset,
    serve_datagouv,
)

RECORDED = json.loads((FIXTURES / "datagouv" / "dataset_metadata.json").read_text(encoding="utf-8"))
MAIN_RID = "f868cca6-8da1-4369-a78d-47463f19a9a3"  # first main CSV: export-dataset
HARVEST_RID = "7ea59647-ce69-4b30-bf56-a63000ca9859"
LOCAL_ID = "dg-" + DG_SLUG


@pytest.fixture
def dg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, dict[str, Any]]]:
    with FakeServer() as srv:
        dataset = serve_datagouv(srv)
        configure_env(monkeypatch, tmp_path, srv)
        yield srv, dataset


def _path(dataset: dict[str, Any], rid: str) -> str:
    return urlsplit(next(r["url"] for r in dataset["resources"] if r["id"] == rid)).path


def test_metadata_mapping_of_recorded_dataset() -> None:
    resource = datagouv.choose_resource(RECORDED)
    assert resource["id"] == MAIN_RID
    entry = datagouv.to_manifest(RECORDED, resource, base="https://www.data.gouv.fr/api/1")
    assert entry["id"] == LOCAL_ID
    assert entry["publisher"] == "data.gouv.fr"
    assert entry["publisher_url"] == "https://www.data.gouv.fr/fr/organizations/data-gouv-fr/"
    assert entry["license"]["id"] == "lov2" and entry["frequency"] == "weekly"
    assert entry["created"] == "2019-06-26" and entry["modified"] == "2025-04-07"
    assert entry["source"] == {"kind": "datagouv", "url": "https://www.data.gouv.fr/api/1", "dataset_id": DG_ID,
                               "resource_id": MAIN_RID, "slug": DG_SLUG,
                               "page": "https://www.data.gouv.fr/fr/datasets/catalogue-des-donnees-de-data-gouv-fr/"}
    assert entry["description"].startswith("La plateforme data.gouv.fr")
    from catalogue.manifest import parse_spec

    assert parse_spec(entry).spatial_granularity == "other"


def test_resource_choice_by_format_priority_and_type() -> None:
    ds = {"slug": "x", "resources": [
        {"id": "doc", "type": "documentation", "format": "parquet", "url": "https://x/doc.parquet"},
        {"id": "pdf", "type": "main", "format": "pdf", "url": "https://x/a.pdf"},
        {"id": "xlsx", "type": "main", "format": "xlsx", "url": "https://x/a.xlsx"},
        {"id": "csv", "type": "main", "format": "", "url": "https://x/a.csv"},
        {"id": "geo", "type": "main", "format": "geojson", "url": "https://x/a.geojson"},
    ]}
    assert datagouv.choose_resource(ds)["id"] == "csv"  # format read from the URL when empty; doc ignored
    assert datagouv.choose_resource(ds, "geo")["id"] == "geo"
    with pytest.raises(datagouv.DatagouvError, match="absente"):
        datagouv.choose_resource(ds, "nope")
    with pytest.raises(datagouv.DatagouvError, match="Aucune ressource"):
        datagouv.choose_resource({"slug": "y", "resources": [{"id": "p", "type": "main", "format": "pdf"}]})


@pytest.mark.parametrize(("raw", "slug"), [("weekly", "weekly"), ("fortnighly", "biweekly"), ("irreg", "irregular"),
                                           ("realtime", "continuous"), ("annual_2", "annual"), (None, "unknown"),
                                           ("whatever", "unknown")])
def test_frequency_aliases(raw: str | None, slug: str) -> None:
    assert datagouv.frequency(raw) == slug


def test_spatial_and_temporal_mapping() -> None:
    ds = {**RECORDED, "spatial": {"granularity": "fr:commune", "zones": []}, "tags": ["santé", "dordogne"],
          "temporal_coverage": {"start": "2016-01-01T00:00:00", "end": "2023-12-31T00:00:00"}}
    entry = datagouv.to_manifest(ds, datagouv.choose_resource(ds))
    assert entry["spatial_granularity"] == "commune"
    assert entry["temporal_coverage"] == {"start": "2016-01-01", "end": "2023-12-31"}
    assert entry["keywords"] == ["santé", "dordogne"] and entry["themes"] == ["health"]


def test_harvest_by_slug_loads_main_resource(dg: tuple[FakeServer, dict[str, Any]], tmp_path: Path) -> None:
    srv, dataset = dg
    [outcome] = harvest_datagouv([DG_SLUG])
    assert (outcome.id, outcome.status) == (LOCAL_ID, "updated")
    manifest = tomllib.loads((tmp_path / "catalogue" / f"{LOCAL_ID}.toml").read_text())
    assert manifest["source"]["resource_id"] == MAIN_RID and manifest["source"]["url"] == srv.base_url + "/api/1"
    meta = warehouse.current_meta(LOCAL_ID)
    assert meta is not None and meta["rows"] == 5
    assert meta["source"]["resource_id"] == MAIN_RID and meta["source"]["etag"]
    assert meta["source"]["last_modified"]
    assert srv.hits(_path(dataset, MAIN_RID)) == 1
    # No other resource of the dataset was downloaded.
    others = [_path(dataset, r["id"]) for r in dataset["resources"] if r["id"] != MAIN_RID]
    assert sum(srv.hits(p) for p in others) == 0


def test_harvest_named_resources(dg: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, dataset = dg
    outcomes = harvest_datagouv([DG_ID], resource_ids=[MAIN_RID, HARVEST_RID])
    assert [(o.id, o.status) for o in outcomes] == [(f"{LOCAL_ID}-f868cca6", "updated"),
                                                    (f"{LOCAL_ID}-7ea59647", "updated")]
    assert warehouse.current_meta(f"{LOCAL_ID}-7ea59647")["rows"] == 2
    [one] = harvest_datagouv([DG_ID], resource_ids=[HARVEST_RID], as_id="moissonneurs")
    assert one.id == "moissonneurs" and warehouse.current_meta("moissonneurs")["rows"] == 2


def test_search_then_harvest(dg: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, _ = dg
    outcomes = harvest_datagouv(None, q="catalogue", organization="data-gouv-fr", tags=["open-data"], limit=5)
    assert [(o.id, o.status) for o in outcomes] == [(LOCAL_ID, "updated")]
    call = next(r for r in srv.log if r.path == "/api/1/datasets/")
    assert (call.param("q"), call.param("organization"), call.params("tag")) == ("catalogue", "data-gouv-fr",
                                                                                  ["open-data"])


def test_refresh_unchanged_resource_downloads_nothing(dg: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, dataset = dg
    harvest_datagouv([DG_SLUG])
    srv.reset_log()
    [outcome] = refresh_all()
    assert outcome.status == "unchanged"
    assert srv.hits(_path(dataset, MAIN_RID)) == 0
    # The portal says the resource changed, the file server says 304: still nothing downloaded.
    dataset["resources"][0]["last_modified"] = "2026-01-01T00:00:00+00:00"
    publish_datagouv_dataset(srv, dataset)
    [outcome] = refresh_all()
    assert outcome.status == "unchanged" and "304" in outcome.message
    assert srv.hits(_path(dataset, MAIN_RID), status=304) == 1 and srv.hits(_path(dataset, MAIN_RID), 200) == 0


def test_replaced_file_gives_a_new_version(dg: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, dataset = dg
    harvest_datagouv([DG_SLUG])
    first = warehouse.current_version(LOCAL_ID)
    path = _path(dataset, MAIN_RID)
    body = srv.routes[path].body + b"5d13a8b6634f41070a43df06;Jeu 6;jeu-6;;https://x/;CD24;o6;lov2;annual;;;\n"
    srv.route(path, body, content_type="text/csv", last_modified=1_780_000_000)
    dataset["resources"][0]["last_modified"] = "2026-06-01T00:00:00+00:00"
    publish_datagouv_dataset(srv, dataset)
    [outcome] = refresh_all()
    assert outcome.status == "updated"
    meta = warehouse.current_meta(LOCAL_ID)
    assert meta["version"] != first and meta["rows"] == 6 and meta["changes"]["rows_added"] == 1
    assert len(warehouse.list_versions(LOCAL_ID)) == 2


def test_vanished_resource_falls_back_on_main_one(dg: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, dataset = dg
    harvest_datagouv([DG_SLUG], resource_ids=[HARVEST_RID])
    dataset["resources"] = [r for r in dataset["resources"] if r["id"] != HARVEST_RID]
    publish_datagouv_dataset(srv, dataset)
    [outcome] = refresh_all()
    assert outcome.status == "updated" and "a disparu" in outcome.message
    assert warehouse.current_meta(LOCAL_ID)["rows"] == 5


def test_unknown_dataset_and_server_errors(dg: tuple[FakeServer, dict[str, Any]]) -> None:
    srv, dataset = dg
    [missing] = harvest_datagouv(["nexiste-pas"])
    assert missing.status == "failed" and "introuvable" in missing.message
    harvest_datagouv([DG_SLUG])
    version = warehouse.current_version(LOCAL_ID)
    srv.fault(f"/api/1/datasets/{DG_ID}/", "status", times=20, status=502)
    [failed] = refresh_all()
    assert failed.status == "failed" and "502" in failed.message
    assert warehouse.current_version(LOCAL_ID) == version
    row = next(r for r in state.sources_status() if r["id"] == LOCAL_ID)
    assert row["status"] == "failed" and row["last_error"] == failed.message and row["last_success"]
