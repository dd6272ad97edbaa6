"""The key promise of the dataset page's « API / SQL » tab: the API calls it shows return exactly the page's rows.

For views covering every filter operation, the search, sorts both ways and paging, on embedded datasets, the records
URLs built by queries/dataset/odsql_url.py are fetched over real HTTP from the live server and compared with the
page's own query (`rows_query`, run through the executor), row for row and in order; the CSV export URL is compared
with the page's filtered export (exports.export_dataset) cell for cell (byte for byte for the « , » CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import requests

import exports
import queries
from catalogue.schema import Schema
from queries.dataset import odsql_url
from queries.dataset.sql import count_query, rows_query, run
from queries.dataset.state import DatasetView, parse_view
from tests.conftest import LiveServer

# (dataset, the page's query string): every op of state.OPS but `epci` (refused, tested below), q, sort, paging.
VIEWS: list[tuple[str, dict[str, list[str]]]] = [
    ("colleges", {}),
    ("colleges", {"f": ["secteur_public_prive_libe:eq:Public"]}),
    ("colleges", {"f": ["libelle_commune:eq:Bergerac", "libelle_commune:eq:Périgueux"], "sort": ["-numero_uai"]}),
    ("colleges", {"f": ["lieu_dit_uai:ne:LE BOURG"], "sort": ["lieu_dit_uai"]}),  # ne keeps the empty values
    ("colleges", {"f": ["latitude:gte:45", "latitude:lte:45.3"], "sort": ["-latitude"]}),
    ("colleges", {"f": ["coordonnee_x:eq:501634.5", "coordonnee_x:eq:1e3"]}),
    ("france-services", {"f": ["latitude:eq:44.774464"]}),
    ("colleges", {"f": ["date_ouverture:gte:1970-01-01", "date_ouverture:lte:1990-09-01"],
                  "sort": ["-date_ouverture"]}),
    ("colleges", {"f": ["date_ouverture:eq:1965-05-01", "date_ouverture:eq:1970-09-01"]}),
    ("colleges", {"f": ["date_ouverture:ne:1965-05-01"], "sort": ["date_ouverture"]}),
    ("colleges", {"f": ["etat_etablissement:eq:1", "coordonnee_x:gte:500000"]}),
    ("colleges", {"f": ["libelle_commune:contains:PERIGU"]}),  # folded: « Périgueux »
    ("colleges", {"f": ["libelle_ministere:contains:de l'éducation"]}),  # an apostrophe
    ("colleges", {"f": ['appellation_officielle:contains:a"b\\c']}),  # quotes and backslashes stay literal
    ("colleges", {"f": ["lieu_dit_uai:null:"], "sort": ["-coordonnee_y"]}),
    ("colleges", {"f": ["boite_postale_uai:notnull:"], "sort": ["boite_postale_uai"]}),
    ("colleges", {"f": ["code_commune:dep:24"], "sort": ["-numero_uai"]}),  # startswith() in ODSQL
    ("colleges", {"f": ["code_commune:dep:33", "code_commune:dep:24"]}),  # ORed, as equal values are
    ("colleges", {"q": ["college jean"]}),
    ("colleges", {"q": ["BERGERAC"], "sort": ["-appellation_officielle"]}),
    ("colleges", {"q": ["100%_x"]}),  # LIKE's own wildcards are escaped by the API
    ("colleges", {"sort": ["libelle_commune"], "size": ["20"], "page": ["2"]}),
    ("colleges", {"sort": ["-adresse_uai"], "size": ["20"], "page": ["3"]}),  # a null address, sorted last
    ("colleges", {"size": ["200"]}),
    ("france-services", {"f": ["prise_rdv:eq:true"], "sort": ["-lib_fs"]}),
    ("france-services", {"f": ["prise_rdv:ne:false", "h_samedi:notnull:"]}),
    ("france-services", {"f": ["complement_adresse:null:", "lib_com:contains:saint"]}),
    ("france-services", {"f": ["h_lundi:contains:09:00"], "q": ["Poste"], "sort": ["h_lundi"]}),
    ("france-services", {"f": ["id_fs:gte:100", "id_fs:lte:2000", "format_fs:ne:Fixe"], "sort": ["-id_fs"],
                         "size": ["20"], "page": ["1"]}),
    ("estimations-population-age-sexe", {"f": ["sexe:eq:Femmes"], "sort": ["-population"], "size": ["200"],
                                         "page": ["3"]}),
    ("estimations-population-age-sexe", {"size": ["200"], "page": ["40"]}),  # offset 7 800: within the window
]


# The views that match no row: their values test the quoting and escaping, not the filtering.
EMPTY_MARKERS = ('contains:a"b', "100%_x")


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    return live_server


def view_of(dataset_id: str, params: dict[str, list[str]]) -> tuple[DatasetView, Schema]:
    schema = Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))
    view, notes = parse_view({"id": [dataset_id], **params}, schema)
    assert not notes, notes
    return view, schema


def _plain(value: Any, kind: str) -> Any:
    """A page cell (pandas/numpy) as the API's JSON writes it."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT or value is pd.NA:
        return None
    if kind == "date":
        return (value.date() if hasattr(value, "date") else value).isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def page_rows(view: DatasetView, schema: Schema) -> list[dict[str, Any]]:
    frame = run(rows_query(view, schema))
    kinds = {c.name: c.type for c in schema.columns}
    return [{k: _plain(v, kinds[k]) for k, v in rec.items()} for rec in frame.to_dict("records")]


def api_rows(urls: tuple[str, ...], base: str) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    total = -1
    for url in urls:
        assert url.startswith(base), url
        answer = requests.get(url, timeout=60)
        assert answer.status_code == 200, (url, answer.text[:500])
        body = answer.json()
        rows += body["results"]
        total = body["total_count"]
    return rows, total


@pytest.mark.parametrize(("dataset_id", "params"), VIEWS, ids=[f"{d}-{i}" for i, (d, _p) in enumerate(VIEWS)])
def test_records_url_returns_the_pages_rows(server: LiveServer, read_only_portal: Path, dataset_id: str,
                                            params: dict[str, list[str]]) -> None:
    view, schema = view_of(dataset_id, params)
    calls = odsql_url.api_calls(view, schema, server.url, ["csv"])
    assert not calls.refused, calls.refused
    expected = page_rows(view, schema)
    got, total = api_rows(calls.records, server.url)
    assert got == expected
    assert total == int(run(count_query(view, schema)).iloc[0, 0])
    # Only the views meant to match nothing are empty (an empty result would prove little).
    assert (total == 0) == any(v in str(params) for v in EMPTY_MARKERS), total


@pytest.mark.parametrize(("dataset_id", "params"), [v for v in VIEWS if "page" not in v[1]][::2],
                         ids=lambda p: str(p)[:40])
def test_csv_export_url_is_the_pages_filtered_export(server: LiveServer, read_only_portal: Path, tmp_path: Path,
                                                     dataset_id: str, params: dict[str, list[str]]) -> None:
    view, schema = view_of(dataset_id, params)
    calls = odsql_url.api_calls(view, schema, server.url, exports.formats_for(schema))
    assert calls.exports is not None and set(calls.exports) == set(exports.formats_for(schema))
    answer = requests.get(calls.exports["csv"], timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    result = exports.export_dataset(schema, "csv", view, directory=tmp_path, day=dt.date(2026, 1, 1))
    got, expected = csv_rows(answer.content), csv_rows(result.path.read_bytes())
    assert got[0] == expected[0] == schema.names
    # The page's French CSV writes decimal commas; the API's CSV, like Opendatasoft's, decimal points.
    numbers = [i for i, name in enumerate(schema.names) if schema.get(name).type == "number"]  # type: ignore[union-attr]
    assert got[1:] == [[c.replace(",", ".") if i in numbers else c for i, c in enumerate(r)] for r in expected[1:]]
    assert len(got) > 1 or "a\"b" in str(params) or "100%" in str(params)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(exports.BOM)
    return list(csv.reader(io.StringIO(content[len(exports.BOM):].decode("utf-8")), delimiter=";"))


def test_comma_csv_and_whole_dataset_downloads(server: LiveServer, read_only_portal: Path, tmp_path: Path) -> None:
    view, schema = view_of("france-services", {"f": ["type_fs:eq:Principal"]})
    url = odsql_url.api_calls(view, schema, server.url, ["csv-comma"]).exports["csv-comma"]  # type: ignore[index]
    assert parse_qs(urlsplit(url).query)["delimiter"] == [","]
    page = exports.export_dataset(schema, "csv-comma", view, directory=tmp_path)
    assert requests.get(url, timeout=60).content == page.path.read_bytes()
    whole = odsql_url.download_urls(schema, server.url, exports.formats_for(schema))
    assert set(whole) == set(exports.formats_for(schema))
    for fmt, link in whole.items():
        answer = requests.get(link, timeout=60)
        assert answer.status_code == 200, (fmt, answer.text[:300])
    records = requests.get(whole["json"], timeout=60).json()
    assert len(records) == schema.rows


def test_views_without_an_exact_odsql_equivalent_get_no_url(read_only_portal: Path) -> None:
    refused = [
        ("contours-communes", {"f": ["code_insee:epci:200040392"]}),  # a sub-query of the EPCI's communes
        ("colleges", {"f": ["coordonnee_x:contains:50"]}),  # `like` is for text only
        ("colleges", {"f": ["appellation_officielle:contains:jean*"]}),  # `*` is a wildcard for `like`
        ("colleges", {"q": ["ﬁn"]}),  # a compatibility ligature: folded differently by Python and DuckDB
    ]
    for dataset_id, params in refused:
        view, schema = view_of(dataset_id, params)
        calls = odsql_url.api_calls(view, schema, "http://portail.example", ["csv"])
        assert calls.refused and not calls.records and calls.exports is None, (dataset_id, params)


def test_paging_window_and_large_pages(read_only_portal: Path) -> None:
    view, schema = view_of("estimations-population-age-sexe", {"size": ["200"], "page": ["50"]})
    calls = odsql_url.api_calls(view, schema, "http://portail.example", ["csv"])
    assert [parse_qs(urlsplit(u).query)["offset"] for u in calls.records] == [["9800"], ["9900"]]
    beyond = odsql_url.api_calls(view.replace(page=51), schema, "http://portail.example", ["csv"])
    assert beyond.records == () and beyond.records_note and "10\u202f000" in beyond.records_note
    assert beyond.exports  # exports have no window


def test_odsql_text_is_quoted_and_escaped(read_only_portal: Path) -> None:
    view, schema = view_of("colleges", {"f": ['adresse_uai:eq:12 "rue" \\ d\'Aquitaine', "date_ouverture:gte:1970-01-01",
                                             "latitude:lte:45.5", "lieu_dit_uai:ne:LE BOURG"],
                                        "sort": ["-date_ouverture"]})
    calls = odsql_url.api_calls(view, schema, "http://portail.example/", [])
    assert calls.where == ('`adresse_uai` = "12 \\"rue\\" \\\\ d\'Aquitaine" and `date_ouverture` >= date\'1970-01-01\''
                           " and `latitude` <= 45.5 and not `lieu_dit_uai` = \"LE BOURG\"")
    assert calls.order_by == "`date_ouverture` desc"
    query = parse_qs(urlsplit(calls.records[0]).query)
    assert query["where"] == [calls.where] and query["order_by"] == [calls.order_by]
    assert query["select"][0].split(", ")[:2] == ["`numero_uai`", "`appellation_officielle`"]
    assert calls.records[0].startswith("http://portail.example/api/explore/v2.1/catalog/datasets/colleges/records?")
