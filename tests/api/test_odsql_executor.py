"""ODSQL through the project's guarded executor, on the real warehouse built from the embedded Dordogne data: the
translator's SQL runs as is in Warehouse.execute (one SELECT, bound values, views named by queries.table_name), and
its answers match pandas over the same rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import queries
from api.odsql import DatasetSchema, ODSQLError, build_query

DATASET = "colleges"
CENTER = (0.7218, 45.1840)  # Périgueux


def _query(**kw: object) -> tuple[pd.DataFrame, int]:
    schema = DatasetSchema.from_meta(queries.dataset_meta(DATASET))
    tiebreak = queries.ident("file_row_number", ["file_row_number"])
    query = build_query(queries.ordered_table_name(DATASET), schema, tiebreak=tiebreak, **kw)
    wh = queries.warehouse()
    frame = wh.execute(query.sql, query.params).frame
    frame.columns = [c.label for c in query.columns]
    total = int(wh.execute(query.count_sql, query.count_params).frame.iloc[0, 0])
    return frame, total


def _all_rows() -> pd.DataFrame:
    return queries.run_sql_text(f"SELECT * FROM {queries.ordered_table_name(DATASET)} ORDER BY file_row_number")


def test_the_dataset_schema_has_a_geo_point(read_only_portal: Path) -> None:
    schema = DatasetSchema.from_meta(queries.dataset_meta(DATASET))
    point = schema.by_name["geo_point_2d"]
    assert (point.type, point.lon, point.lat) == ("geo_point_2d", "longitude", "latitude")
    assert schema.by_name["date_ouverture"].type == "date"


def test_records_with_geo_filter_and_order_match_pandas(read_only_portal: Path) -> None:
    frame, total = _query(select="numero_uai, appellation_officielle, geo_point_2d",
                          where=f"within_distance(geo_point_2d, geom'POINT({CENTER[0]} {CENTER[1]})', 15km)",
                          order_by="appellation_officielle", limit=100)
    rows = _all_rows()
    lat, lon = np.radians(rows.latitude.astype(float)), np.radians(rows.longitude.astype(float))
    clat, clon = math.radians(CENTER[1]), math.radians(CENTER[0])
    a = np.sin((lat - clat) / 2) ** 2 + np.cos(lat) * math.cos(clat) * np.sin((lon - clon) / 2) ** 2
    near = rows[2 * 6_371_008.8 * np.arcsin(np.sqrt(a)) <= 15_000]
    expected = near.sort_values(["appellation_officielle", "file_row_number"], kind="stable")
    assert 0 < len(expected) < len(rows)
    assert total == len(expected)
    assert list(frame.numero_uai) == list(expected.numero_uai)
    first = frame.geo_point_2d[0]
    assert set(first) == {"lon", "lat"}


def test_group_by_through_the_executor_matches_pandas(read_only_portal: Path) -> None:
    frame, total = _query(select="count(*) as n", group_by="secteur_public_prive_libe as secteur", limit=-1)
    counts = _all_rows().groupby("secteur_public_prive_libe", dropna=False).size()
    assert total == len(counts)
    assert dict(zip(frame.secteur, frame.n, strict=True)) == dict(counts.items())


def test_search_and_refine_through_the_executor(read_only_portal: Path) -> None:
    frame, total = _query(select="appellation_officielle", where='suggest(appellation_officielle, "jean")',
                          refine="secteur_public_prive_libe:Public")
    rows = _all_rows()
    expected = rows[(rows.secteur_public_prive_libe == "Public")
                    & rows.appellation_officielle.str.lower().str.contains(r"(?:^|[^a-z0-9])jean", regex=True)]
    assert total == len(expected) > 0
    assert set(frame.appellation_officielle) == set(expected.appellation_officielle)


def test_hostile_requests_are_refused_before_the_database(read_only_portal: Path) -> None:
    for kw in ({"where": "1 = 1; DROP TABLE catalogue"}, {"select": "* FROM catalogue --"},
               {"where": "read_parquet('/etc/passwd') is null"}, {"order_by": "(SELECT 1)"},
               {"group_by": "`x\"; DROP TABLE t; --`"}, {"where": "numero_uai = '' OR 1=1 --'"}):
        with pytest.raises(ODSQLError):
            _query(**kw)
    # A literal that looks like SQL is only a value: it matches no row.
    frame, total = _query(select="numero_uai", where="numero_uai = \"' OR 1=1 --\"")
    assert (len(frame), total) == (0, 0)


@pytest.mark.parametrize("kw", [
    {"limit": 10}, {"limit": 100}, {"limit": 10, "offset": 100}, {"limit": 100, "offset": 20},
    {"limit": 10, "offset": 5000}, {"where": 'secteur_public_prive_libe = "Public"', "limit": 100},
    {"select": "count(*) as n", "group_by": "secteur_public_prive_libe", "limit": 10},
    {"select": "count(*) as n", "group_by": "secteur_public_prive_libe", "limit": 1},
    {"select": "count(*) as n", "group_by": "secteur_public_prive_libe", "limit": 1, "offset": 1},
    {"select": "count(*) as n", "group_by": "libelle_commune", "limit": -1},
    {"select": "count(*) as n", "limit": 10},
])
def test_total_count_without_a_second_scan_is_the_counted_one(read_only_portal: Path, kw: dict[str, object]) -> None:
    from api import responses

    schema = DatasetSchema.from_meta(queries.dataset_meta(DATASET))
    query = responses.dataset_query(DATASET, schema, **kw)
    rows, total = responses.run(query)
    counted = int(queries.warehouse().execute(query.count_sql, query.count_params).frame.iloc[0, 0])
    assert total == counted
    assert len(rows) <= counted
