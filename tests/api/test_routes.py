"""The Explore API v2.1 over real HTTP: the server `make run` starts (serve.py → asgi.py) on a free port, the Streamlit
app and /api/explore/v2.1/ on that one port; answers checked against Opendatasoft's OpenAPI description (status,
shapes, error body) and their values against the warehouse read directly (pandas over the same rows)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pandas as pd
import pytest
import requests

import queries
from api.odsql import DatasetSchema, build_query
from tests.api.conftest import API, spec_schema
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("api-routes") / "data"
    shutil.copytree(warehouse_dir, data_dir)
    live = LiveServer(data_dir)
    yield live
    live.stop()


def get(server: LiveServer, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}{API}{path}", params=params, timeout=60)


def conforms(path: str, response: requests.Response, status: int = 200) -> Any:
    """The answer has the spec's status and JSON shape (and the open CORS header); returns its body."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    jsonschema.validate(body, spec_schema(path, "200" if status == 200 else "400"))
    return body


def rows_of(dataset_id: str) -> pd.DataFrame:
    return queries.run_sql_text(f"SELECT * FROM {queries.ordered_table_name(dataset_id)} ORDER BY file_row_number",
                                max_rows=1_000_000)


# -- one port ----------------------------------------------------------------------------------------------------------
def test_the_app_and_the_api_share_one_port(server: LiveServer) -> None:
    assert requests.get(f"{server.url}/_stcore/health", timeout=10).text == "ok"
    home = requests.get(f"{server.url}/", timeout=10)
    assert home.status_code == 200 and "<html" in home.text.lower()
    conforms("/catalog/datasets", get(server, "/catalog/datasets"))


# -- catalogue ---------------------------------------------------------------------------------------------------------
def test_catalog_datasets_list_every_published_dataset(server: LiveServer, read_only_portal: Path) -> None:
    catalogue = queries.run("catalogue_export", max_rows=10_000)
    body = conforms("/catalog/datasets", get(server, "/catalog/datasets", limit=100))
    assert body["total_count"] == len(catalogue) == len(body["results"])
    assert [d["dataset_id"] for d in body["results"]] == sorted(catalogue.id)  # tie-break: dataset_id
    colleges = next(d for d in body["results"] if d["dataset_id"] == "colleges")
    entry = catalogue.set_index("id").loc["colleges"]
    default = colleges["metas"]["default"]
    assert default["title"] == entry.title and default["records_count"] == entry.records
    assert default["publisher"] == entry.publisher and default["license"] == entry.license_title
    assert default["keyword"] == list(entry.keywords)
    fields = {f["name"]: f["type"] for f in colleges["fields"]}
    assert fields["geo_point_2d"] == "geo_point_2d" and fields["date_ouverture"] == "date"
    assert "geo" in colleges["features"]


def test_catalog_datasets_where_order_and_pages(server: LiveServer, read_only_portal: Path) -> None:
    catalogue = queries.run("catalogue_export", max_rows=10_000)
    big = catalogue[catalogue.records > 100].sort_values(["records", "id"], ascending=[False, True])
    body = conforms("/catalog/datasets", get(server, "/catalog/datasets", where="records_count > 100",
                                             order_by="records_count desc", limit=3, offset=1))
    assert body["total_count"] == len(big)
    assert [d["dataset_id"] for d in body["results"]] == list(big.id[1:4])
    grouped = get(server, "/catalog/datasets", select="count(*) as n", group_by="publisher", limit=100).json()
    assert {r["publisher"]: r["n"] for r in grouped["results"]} == dict(catalogue.groupby("publisher").size())


def test_catalog_dataset_and_unknown_ids(server: LiveServer) -> None:
    body = conforms("/catalog/datasets/{dataset_id}", get(server, "/catalog/datasets/colleges", include_links="true"))
    assert body["dataset_id"] == "colleges"
    assert {"rel": "self", "href": f"{server.url}{API}/catalog/datasets/colleges"} in body["_links"]
    chosen = get(server, "/catalog/datasets/colleges", select="dataset_id, title, records_count").json()
    assert chosen == {"dataset_id": "colleges", "title": body["metas"]["default"]["title"],
                      "records_count": body["metas"]["default"]["records_count"]}
    # The landing page is the portal's own dataset page, not a path under the API's base.
    landing = body["metas"]["default"]["landing_page"]
    assert landing.endswith("/jeu-de-donnees?id=colleges") and "/api/" not in landing, landing
    for path in ("/catalog/datasets/nope", "/catalog/datasets/nope/records", "/catalog/datasets/nope/facets",
                 "/catalog/datasets/nope/exports", "/catalog/datasets/nope/exports/csv",
                 "/catalog/datasets/nope/attachments", "/catalog/datasets/colleges/records/nope",
                 "/catalog/datasets/colleges%27--/records", "/catalog/datasets/COLLEGES/records"):
        answer = get(server, path)
        assert answer.status_code == 404, path
        assert set(answer.json()) == {"error_code", "message"}
    # An encoded slash is refused by the server before any route (a plain 400): never a file, never a 5xx.
    traversal = get(server, "/catalog/datasets/..%2F..%2Fetc%2Fpasswd/records")
    assert traversal.status_code in (400, 404) and "root:" not in traversal.text


def test_catalog_facets_count_the_selected_datasets(server: LiveServer, read_only_portal: Path) -> None:
    catalogue = queries.run("catalogue_export", max_rows=10_000)
    body = conforms("/catalog/facets", get(server, "/catalog/facets"))
    facets = {f["name"]: {v["value"]: v["count"] for v in f["facets"]} for f in body["facets"]}
    assert facets["publisher"] == dict(catalogue.groupby("publisher").size())
    assert facets["keyword"] == dict(pd.Series([k for ks in catalogue.keywords for k in ks]).value_counts())
    refined = get(server, "/catalog/facets", facet="publisher", refine="publisher:INSEE").json()
    assert refined["facets"] == [{"name": "publisher", "facets": [
        {"name": "INSEE", "value": "INSEE", "state": "displayed", "count": int((catalogue.publisher == "INSEE").sum())}]}]


def test_catalog_refine_on_a_keyword_or_theme_matches_one_entry_of_the_list(server: LiveServer,
                                                                           read_only_portal: Path) -> None:
    catalogue = queries.run("catalogue_export", max_rows=10_000)
    theme = catalogue.theme_labels[catalogue.theme_labels.map(len) > 1].iloc[0][0]  # a dataset with several themes
    with_theme = sorted(i for i, labels in zip(catalogue.id, catalogue.theme_labels, strict=True) if theme in labels)
    body = conforms("/catalog/datasets", get(server, "/catalog/datasets", refine=f"theme:{theme}", limit=100))
    assert body["total_count"] == len(with_theme) > 0
    assert [d["dataset_id"] for d in body["results"]] == with_theme
    page = get(server, "/catalog/datasets", exclude=f"theme:{theme}", limit=2, offset=1).json()
    assert page["total_count"] == len(catalogue) - len(with_theme)
    assert [d["dataset_id"] for d in page["results"]] == sorted(set(catalogue.id) - set(with_theme))[1:3]
    facets = get(server, "/catalog/facets", facet="theme", refine=f"theme:{theme}").json()["facets"][0]["facets"]
    assert {"name": theme, "value": theme, "count": len(with_theme), "state": "displayed"} in facets


def test_cors_preflight_and_exposed_headers(server: LiveServer) -> None:
    """A cross-origin script may send If-None-Match (a preflight first) and read ETag and Retry-After."""
    for path in (f"{API}/catalog/datasets/colleges/records", "/dcat/catalog.ttl", "/flux/catalogue.atom"):
        answer = requests.options(server.url + path, timeout=30, headers={
            "Origin": "https://reuse.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match"})
        assert answer.status_code == 204, path
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "If-None-Match" in answer.headers["access-control-allow-headers"]
    exposed = get(server, "/catalog/datasets/colleges/records").headers["access-control-expose-headers"]
    assert {"ETag", "Retry-After"} <= {h.strip() for h in exposed.split(",")}
    # A preflight is no way around an unknown path: the GET still answers ODS's 404.
    assert get(server, "/nope").status_code == 404


def test_attachments_are_an_empty_list(server: LiveServer) -> None:
    body = conforms("/catalog/datasets/{dataset_id}/attachments", get(server, "/catalog/datasets/colleges/attachments"))
    assert body == {"_links": [], "attachments": []}


# -- records -----------------------------------------------------------------------------------------------------------
def test_records_match_the_warehouse(server: LiveServer, read_only_portal: Path) -> None:
    rows = rows_of("colleges")
    public = rows[rows.secteur_public_prive_libe == "Public"].sort_values(["appellation_officielle", "file_row_number"],
                                                                         kind="stable")
    body = conforms("/catalog/datasets/{dataset_id}/records", get(
        server, "/catalog/datasets/colleges/records", select="numero_uai, appellation_officielle, geo_point_2d",
        where='secteur_public_prive_libe = "Public"', order_by="appellation_officielle", limit=20, offset=5))
    assert body["total_count"] == len(public)
    assert [r["numero_uai"] for r in body["results"]] == list(public.numero_uai[5:25])
    first = public.iloc[5]
    assert body["results"][0]["geo_point_2d"] == pytest.approx({"lon": first.longitude, "lat": first.latitude})
    assert set(body["results"][0]) == {"numero_uai", "appellation_officielle", "geo_point_2d"}


def test_records_refine_exclude_group_by(server: LiveServer, read_only_portal: Path) -> None:
    rows = rows_of("colleges")
    grouped = get(server, "/catalog/datasets/colleges/records", select="count(*) as n",
                  group_by="secteur_public_prive_libe", exclude="denomination_principale:COLLEGE").json()
    kept = rows[rows.denomination_principale != "COLLEGE"]
    assert {r["secteur_public_prive_libe"]: r["n"] for r in grouped["results"]} == dict(
        kept.groupby("secteur_public_prive_libe").size())
    refined = get(server, "/catalog/datasets/colleges/records", refine="secteur_public_prive_libe:Privé").json()
    assert refined["total_count"] == int((rows.secteur_public_prive_libe == "Privé").sum())
    assert len(refined["results"]) == 10  # ODS's default limit


def test_records_errors_are_ods_400s(server: LiveServer) -> None:
    path = "/catalog/datasets/{dataset_id}/records"
    for params, code in (({"where": "nope = 1"}, "ODSQLError"), ({"select": "invalid_function(x)"}, "ODSQLError"),
                         ({"where": "numero_uai = "}, "ODSQLError"), ({"limit": 101}, "InvalidRESTParameterError"),
                         ({"limit": 100, "offset": 9_950}, "InvalidRESTParameterError"),
                         ({"limit": "ten"}, "InvalidRESTParameterError"),
                         ({"timezone": "Mars/Olympus"}, "InvalidRESTParameterError"),
                         ({"lang": "xx"}, "InvalidRESTParameterError")):
        body = conforms(path, get(server, "/catalog/datasets/colleges/records", **params), 400)
        assert body["error_code"] == code, (params, body)
    body = get(server, "/catalog/datasets/colleges/records", where="nope = 1").json()
    assert "nope" in body["message"] and "where" in body["message"]


def test_record_by_id_is_the_row_number_of_the_current_version(server: LiveServer, read_only_portal: Path) -> None:
    rows = rows_of("colleges")
    listed = get(server, "/catalog/datasets/colleges/records", include_links="true", order_by="numero_uai desc",
                 limit=3).json()
    top = rows.sort_values("numero_uai", ascending=False).head(3)
    assert [r["_id"] for r in listed["results"]] == [str(n) for n in top.file_row_number]
    record_id = listed["results"][0]["_id"]
    body = conforms("/catalog/datasets/{dataset_id}/records/{record_id}",
                    get(server, f"/catalog/datasets/colleges/records/{record_id}"))
    row = rows[rows.file_row_number == int(record_id)].iloc[0]
    assert body["numero_uai"] == row.numero_uai and body["appellation_officielle"] == row.appellation_officielle
    assert "_record_number" not in body and "file_row_number" not in body
    assert get(server, f"/catalog/datasets/colleges/records/{len(rows)}").status_code == 404
    assert get(server, "/catalog/datasets/colleges/records/1", select="numero_uai").json() == {
        "numero_uai": rows.numero_uai[1]}


# -- dataset facets ----------------------------------------------------------------------------------------------------
def test_dataset_facets_match_the_warehouse(server: LiveServer, read_only_portal: Path) -> None:
    rows = rows_of("colleges")
    body = conforms("/catalog/datasets/{dataset_id}/facets", get(
        server, "/catalog/datasets/colleges/facets", facet=["secteur_public_prive_libe",
                                                            'facet(name="denomination_principale", limit=2)'],
        where="date_ouverture >= date'1960-01-01'"))
    recent = rows[pd.to_datetime(rows.date_ouverture) >= pd.Timestamp("1960-01-01")]
    facets = {f["name"]: f["facets"] for f in body["facets"]}
    assert {v["value"]: v["count"] for v in facets["secteur_public_prive_libe"]} == dict(
        recent.groupby("secteur_public_prive_libe").size())
    expected = recent.denomination_principale.value_counts()
    assert [v["count"] for v in facets["denomination_principale"]] == sorted(expected, reverse=True)[:2]
    assert get(server, "/catalog/datasets/colleges/facets", facet="nope").json()["error_code"] == "ODSQLError"
    default = get(server, "/catalog/datasets/colleges/facets").json()
    assert default["facets"] and all(f["facets"] for f in default["facets"])


def test_conditional_requests_answer_304_for_the_same_data_and_request(server: LiveServer) -> None:
    first = get(server, "/catalog/datasets/colleges/records", limit=2)
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    url = f"{server.url}{API}/catalog/datasets/colleges/records"
    again = requests.get(url, params={"limit": 2}, headers={"If-None-Match": tag}, timeout=30)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert requests.get(url, params={"limit": 2}, headers={"If-Modified-Since": modified}, timeout=30).status_code == 304
    other = requests.get(url, params={"limit": 3}, headers={"If-None-Match": tag}, timeout=30)
    assert other.status_code == 200 and other.headers["etag"] != tag
    assert get(server, "/catalog/datasets/colleges/records", where="nope = 1").headers.get("etag") is None


# -- lang, timezone, include_app_metas ---------------------------------------------------------------------------------
def test_lang_and_timezone_shape_dates_and_datetimes(server: LiveServer) -> None:
    path = "/catalog/datasets/colleges/records"
    months = {"en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                     "November", "December"],
              "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                     "novembre", "décembre"]}
    for lang, names in months.items():
        rows = get(server, path, select='date_ouverture, date_format(date_ouverture, "d MMMM yyyy") as d',
                   where="date_ouverture is not null", limit=20, lang=lang).json()["results"]
        for row in rows:
            day = dt.date.fromisoformat(row["date_ouverture"])
            assert row["d"] == f"{day.day} {names[day.month - 1]} {day.year}", (lang, row)
    before = dt.datetime.now(dt.UTC)
    body = conforms("/catalog/datasets/{dataset_id}/records", get(server, path, select="now() as t", limit=1,
                                                                 timezone="Asia/Tokyo"))
    moment = dt.datetime.fromisoformat(body["results"][0]["t"])  # ISO 8601 with the zone's offset
    assert moment.utcoffset() == dt.timedelta(hours=9) and abs(moment - before) < dt.timedelta(minutes=1)
    utc = get(server, path, select="now() as t", limit=1).json()["results"][0]["t"]
    assert dt.datetime.fromisoformat(utc).utcoffset() == dt.timedelta(0)


def test_datetime_fields_are_read_and_compared_in_the_requested_time_zone() -> None:
    # No embedded dataset has a datetime field: the translation runs on DuckDB over a table stored as the loaders
    # store datetimes (UTC, without offset).
    schema = DatasetSchema.from_columns([("id", "int"), ("moment", "datetime")])
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, TIMESTAMP '2020-01-08 23:30:00'), "
                "(2, TIMESTAMP '2020-07-01 12:00:00')) AS v(id, moment)")
    table = queries.ident("t", ["t"])

    def rows(**kw: Any) -> list[tuple[Any, ...]]:
        query = build_query(table, schema, order_by="id", **kw)
        return con.execute(query.sql, query.params).fetchall()

    # 23:30 UTC on 8 January is already 9 January in Paris (UTC+1); 12:00 UTC on 1 July is 14:00 there (UTC+2).
    assert rows(select="id, moment", timezone="Europe/Paris") == [(1, dt.datetime(2020, 1, 9, 0, 30)),
                                                              (2, dt.datetime(2020, 7, 1, 14, 0))]
    assert rows(select="id", where="moment >= date'2020-01-09'", timezone="Europe/Paris") == [(1,), (2,)]
    assert rows(select="id", where="moment >= date'2020-01-09'") == [(2,)]
    assert rows(select="id", where="hour(moment) = 14", timezone="Europe/Paris") == [(2,)]


def test_include_app_metas_is_a_checked_boolean(server: LiveServer) -> None:
    for path in ("/catalog/datasets", "/catalog/datasets/colleges", "/catalog/datasets/colleges/records"):
        assert get(server, path, include_app_metas="true").json() == get(server, path).json()
        refused = get(server, path, include_app_metas="maybe")
        assert refused.status_code == 400 and refused.json()["error_code"] == "InvalidRESTParameterError"



def test_a_dataset_checks_its_lang_and_timezone(server: LiveServer) -> None:
    path = "/catalog/datasets/{dataset_id}"
    assert conforms(path, get(server, "/catalog/datasets/colleges", lang="en", timezone="Europe/Paris"))
    for params in ({"lang": "xx"}, {"timezone": "Mars/Olympus"}):
        body = conforms(path, get(server, "/catalog/datasets/colleges", **params), 400)
        assert body["error_code"] == "InvalidRESTParameterError", body
