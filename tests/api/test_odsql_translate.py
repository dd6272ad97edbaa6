"""ODSQL → DuckDB on a table shaped like the Dordogne's collèges (with a geo point): the exact SQL and parameters of
a few requests, results checked against pandas computing the same thing independently, and fuzzing of the whole
translation: never another exception than ODSQLError, never a literal of the request in the SQL text."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.odsql import DatasetSchema, ODSQLError, build_query
from catalogue.folding import LIGATURES, fold
from queries import SafeIdent, ident

COMMUNES = [  # INSEE code, name, latitude, longitude (town centres)
    ("24322", "Périgueux", 45.1840, 0.7218), ("24037", "Bergerac", 44.8530, 0.4834),
    ("24520", "Sarlat-la-Canéda", 44.8890, 1.2165), ("24311", "Nontron", 45.5290, 0.6617),
    ("24350", "Ribérac", 45.2500, 0.3370), ("24547", "Terrasson-Lavilledieu", 45.1300, 1.3010),
    ("24294", "Montpon-Ménestérol", 45.0080, 0.1590), ("24551", "Thiviers", 45.4160, 0.9190),
    ("24164", "Excideuil", 45.3390, 1.0480), ("24067", "Le Buisson-de-Cadouin", 44.8500, 0.9050),
    ("24035", "Belvès", 44.7760, 1.0050), ("24299", "Mussidan", 45.0350, 0.3630),
]
NAMES = ["Collège Bertran de Born", "Collège Jean Moulin", "Collège Michel de Montaigne", "Collège Saint-Joseph",
         "Collège Arnaut Daniel", "Collège Henri IV", "Collège Jules Ferry", "Collège Eugène Le Roy"]
COLUMNS = [("numero_uai", "text"), ("appellation_officielle", "text"), ("secteur", "text"),
           ("libelle_commune", "text"), ("code_commune", "text"), ("effectif", "integer"), ("ips", "number"),
           ("date_ouverture", "date"), ("mise_a_jour", "datetime"), ("internat", "boolean"),
           ("latitude", "number"), ("longitude", "number")]
SCHEMA = DatasetSchema.from_columns(COLUMNS, {"kind": "point", "lon": "longitude", "lat": "latitude"})
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
TABLE = SafeIdent('"colleges"')  # the in-memory test table, quoted as queries.table_name() quotes a view


def _frame() -> pd.DataFrame:
    rows = []
    for i in range(30):
        code, town, lat, lon = COMMUNES[i % len(COMMUNES)]
        missing = i % 11 == 10
        rows.append({
            "numero_uai": f"0240{i:03d}{chr(65 + i % 26)}",
            "appellation_officielle": NAMES[i % len(NAMES)] + ("" if i < 8 else f" {town}"),
            "secteur": "Privé" if i % 4 == 3 else "Public",
            "libelle_commune": town,
            "code_commune": code,
            "effectif": None if missing else 150 + (i * 37) % 600,
            "ips": None if i % 13 == 12 else round(80 + (i * 7.3) % 45, 1),
            "date_ouverture": None if missing else dt.date(1960 + (i * 3) % 50, 1 + i % 12, 1 + i % 28),
            "mise_a_jour": dt.datetime(2024, 1, 1, 10) + dt.timedelta(hours=i * 7),
            "internat": None if i % 9 == 8 else i % 3 == 0,
            "latitude": None if missing else round(lat + (i % 3) * 0.01, 4),
            "longitude": None if missing else round(lon - (i % 2) * 0.01, 4),
        })
    return pd.DataFrame(rows)


DF = _frame()
SQL_TYPES = {"text": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP",
             "boolean": "BOOLEAN"}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE colleges (" + ", ".join(f'"{n}" {SQL_TYPES[t]}' for n, t in COLUMNS) + ")")
    records = [tuple(None if (isinstance(v, float) and math.isnan(v)) else v for v in row)
               for row in DF.astype(object).where(DF.notna(), None).itertuples(index=False)]
    con.executemany("INSERT INTO colleges VALUES (" + ", ".join("?" for _ in COLUMNS) + ")", records)
    return con


def run(con: duckdb.DuckDBPyConnection, **kw: Any) -> pd.DataFrame:
    kw.setdefault("limit", 100)
    query = build_query(TABLE, SCHEMA, now=NOW, **kw)
    frame = con.execute(query.sql, query.params).df()
    frame.columns = [c.label for c in query.columns]
    return frame


def uais(con: duckdb.DuckDBPyConnection, where: str) -> set[str]:
    return set(run(con, select="numero_uai", where=where)["numero_uai"])


# ---- exact SQL ---------------------------------------------------------------------------------------------------
GOLDEN = [
    ({"select": "numero_uai", "where": "effectif > 500"},
     'SELECT "numero_uai" AS c0 FROM "colleges" WHERE ("effectif" > $p1) LIMIT $p2 OFFSET $p3',
     {"p1": 500, "p2": 10, "p3": 0}),
    ({"select": "numero_uai", "where": 'secteur = "Privé" and not internat', "order_by": "effectif desc",
      "limit": 5, "offset": 10},
     'SELECT "numero_uai" AS c0 FROM "colleges" WHERE (("secteur" = $p1) AND (NOT coalesce(("internat" IS TRUE), '
     'FALSE))) ORDER BY "effectif" DESC NULLS LAST LIMIT $p2 OFFSET $p3',
     {"p1": "Privé", "p2": 5, "p3": 10}),
    ({"select": "count(*) as n, avg(ips)", "group_by": "secteur", "order_by": "n desc"},
     'SELECT "secteur" AS c0, count(*) AS c1, avg("ips") AS c2 FROM "colleges" GROUP BY "secteur" '
     'ORDER BY c1 DESC NULLS LAST, "secteur" ASC NULLS LAST LIMIT $p1 OFFSET $p2',
     {"p1": 10, "p2": 0}),
    ({"select": "numero_uai", "where": "date_ouverture = date'1975'"},
     'SELECT "numero_uai" AS c0 FROM "colleges" WHERE ("date_ouverture" >= $p1 AND "date_ouverture" < $p2) '
     'LIMIT $p3 OFFSET $p4',
     {"p1": dt.date(1975, 1, 1), "p2": dt.date(1976, 1, 1), "p3": 10, "p4": 0}),
    ({"select": "numero_uai", "where": 'libelle_commune in ("Périgueux", "Bergerac") and ips in ]90..100]'},
     'SELECT "numero_uai" AS c0 FROM "colleges" WHERE (("libelle_commune" IN ($p1, $p2)) AND (("ips" > $p3) AND '
     '("ips" <= $p4))) LIMIT $p5 OFFSET $p6',
     {"p1": "Périgueux", "p2": "Bergerac", "p3": 90, "p4": 100, "p5": 10, "p6": 0}),
    ({"select": "numero_uai", "where": "effectif is not null", "refine": "secteur:Public",
      "exclude": "libelle_commune:Nontron", "tiebreak": ident("file_row_number", ["file_row_number"])},
     'SELECT "numero_uai" AS c0 FROM "colleges" WHERE ("effectif" IS NOT NULL) AND ("secteur" = $p1) AND '
     '((("libelle_commune" = $p2)) IS NOT TRUE) ORDER BY "file_row_number" ASC LIMIT $p3 OFFSET $p4',
     {"p1": "Public", "p2": "Nontron", "p3": 10, "p4": 0}),
    ({"select": "geo_point_2d", "where": "in_bbox(geo_point_2d, 45, 0.5, 45.3, 1)", "limit": 1},
     'SELECT (CASE WHEN "longitude" IS NULL OR "latitude" IS NULL THEN NULL ELSE struct_pack(lon := "longitude", '
     'lat := "latitude") END) AS c0 FROM "colleges" WHERE ("latitude" BETWEEN $p1 AND $p2 AND "longitude" BETWEEN '
     '$p3 AND $p4) LIMIT $p5 OFFSET $p6',
     {"p1": 45.0, "p2": 45.3, "p3": 0.5, "p4": 1.0, "p5": 1, "p6": 0}),
]


@pytest.mark.parametrize(("kw", "sql", "params"), GOLDEN)
def test_exact_sql_and_parameters(kw: dict[str, Any], sql: str, params: dict[str, Any]) -> None:
    query = build_query(TABLE, SCHEMA, now=NOW, **kw)
    assert query.sql == sql
    assert query.params == params


def test_the_count_query_shares_the_filters() -> None:
    query = build_query(TABLE, SCHEMA, where="effectif > 500", limit=5)
    assert query.count_sql == 'SELECT count(*) AS total_count FROM "colleges" WHERE ("effectif" > $p1)'
    assert query.count_params == {"p1": 500}
    grouped = build_query(TABLE, SCHEMA, group_by="secteur", where="ips > 90")
    assert grouped.count_sql == ('SELECT count(*) AS total_count FROM (SELECT 1 FROM "colleges" WHERE ("ips" > $p1) '
                                 'GROUP BY "secteur") AS g')


def test_output_columns_carry_labels_and_ods_types() -> None:
    query = build_query(TABLE, SCHEMA, select="numero_uai as uai, effectif, ips * 2, date_ouverture, "
                                                   "mise_a_jour, internat, geo_point_2d, length(secteur)")
    assert [(c.label, c.type) for c in query.columns] == [
        ("uai", "text"), ("effectif", "int"), ("ips * 2", "double"), ("date_ouverture", "date"),
        ("mise_a_jour", "datetime"), ("internat", "boolean"), ("geo_point_2d", "geo_point_2d"),
        ("length(secteur)", "int")]
    assert [c.name for c in query.columns] == [f"c{i}" for i in range(8)]


# ---- results against pandas --------------------------------------------------------------------------------------
def _haversine_m(lat: pd.Series, lon: pd.Series, clat: float, clon: float) -> pd.Series:
    p1, p2 = np.radians(lat), math.radians(clat)
    dphi, dlmb = np.radians(lat - clat), np.radians(lon - clon)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def _words(text: object) -> list[str]:
    return [w for w in re.split("[^a-z0-9]+", fold(str(text))) if w] if isinstance(text, str) else []


def _date(col: str) -> pd.Series:
    return pd.to_datetime(DF[col])


EFF, IPS = DF["effectif"], DF["ips"]
CASE_SENSITIVE = 'startswith(appellation_officielle, "collège j")'
PANDAS_CASES = [
    ("effectif > 500", EFF > 500),
    ("effectif >= 300 and secteur = \"Public\"", (EFF >= 300) & (DF.secteur == "Public")),
    ("not effectif > 500", ~(EFF > 500)),  # a null effectif is not > 500, so it is kept by `not`
    ("effectif != 409", EFF.notna() & (EFF != 409)),
    ("ips in [90..110]", IPS.between(90, 110)),
    ("ips in ]90..110[", (IPS > 90) & (IPS < 110)),
    ('libelle_commune in ("Périgueux", "Bergerac")', DF.libelle_commune.isin(["Périgueux", "Bergerac"])),
    ('libelle_commune not in ("Périgueux", "Bergerac")', ~DF.libelle_commune.isin(["Périgueux", "Bergerac"])),
    ('secteur = "Privé" or internat', (DF.secteur == "Privé") | (DF.internat == True)),  # noqa: E712
    ("internat is false", DF.internat == False),  # noqa: E712
    ("internat is not true", DF.internat != True),  # noqa: E712
    ("date_ouverture >= date'1980' and date_ouverture < date'2000-06'",
     (_date("date_ouverture") >= "1980-01-01") & (_date("date_ouverture") < "2000-06-01")),
    ("year(date_ouverture) = 1975", _date("date_ouverture").dt.year == 1975),
    ("month(date_ouverture) in (1, 2, 3)", _date("date_ouverture").dt.month.isin([1, 2, 3])),
    ("mise_a_jour > date'2024-01-05T12:00:00'", _date("mise_a_jour") > "2024-01-05 12:00:00"),
    ("mise_a_jour = date'2024-01-03'", _date("mise_a_jour").dt.strftime("%Y-%m-%d") == "2024-01-03"),
    ("within_distance(geo_point_2d, geom'POINT(0.7218 45.1840)', 20km)",
     _haversine_m(DF.latitude, DF.longitude, 45.1840, 0.7218) <= 20_000),
    ("within_distance(geo_point_2d, geom'POINT(0.7218 45.1840)', 1.5mi)",
     _haversine_m(DF.latitude, DF.longitude, 45.1840, 0.7218) <= 1.5 * 1609.344),
    ("in_bbox(geo_point_2d, 45.0, 0.5, 45.3, 1.0)", DF.latitude.between(45.0, 45.3) & DF.longitude.between(0.5, 1.0)),
    ('appellation_officielle like "jean"', DF.appellation_officielle.map(lambda s: "jean" in fold(s))),
    ('appellation_officielle like "col*born"', DF.appellation_officielle.map(lambda s: re.search("col.*born", fold(s))
                                                                              is not None)),
    ('startswith(appellation_officielle, "Collège J")', DF.appellation_officielle.str.startswith("Collège J")),
    (CASE_SENSITIVE, DF.appellation_officielle.str.startswith("collège j")),
    ('suggest(libelle_commune, "berg")', DF.libelle_commune.map(lambda s: any(w.startswith("berg")
                                                                              for w in _words(s)))),
    ('suggest("eugene")', DF.apply(lambda r: any(w.startswith("eugene") for c in ("numero_uai",
                                   "appellation_officielle", "secteur", "libelle_commune", "code_commune")
                                   for w in _words(r[c])), axis=1)),
    ('"perigueux"', DF.apply(lambda r: any(w == "perigueux" for c in ("numero_uai", "appellation_officielle",
                             "secteur", "libelle_commune", "code_commune") for w in _words(r[c])), axis=1)),
    ("effectif * 2 > ips * 10", EFF * 2 > IPS * 10),
    ("effectif / 2 >= 200", EFF / 2 >= 200),
    ("effectif is null", EFF.isna()),
    ("geo_point_2d is null", DF.latitude.isna()),
    ('code_commune = "24322"', DF.code_commune == "24322"),
    ("length(libelle_commune) > 8", DF.libelle_commune.str.len() > 8),
    ('lower(secteur) = "privé"', DF.secteur.str.lower() == "privé"),
    ("ifnull(effectif, 0) = 0", EFF.isna()),
    ("date_format(date_ouverture, 'yyyy') = '1975'", _date("date_ouverture").dt.strftime("%Y") == "1975"),
]


@pytest.mark.parametrize(("where", "mask"), PANDAS_CASES, ids=[w for w, _m in PANDAS_CASES])
def test_filters_match_pandas(con: duckdb.DuckDBPyConnection, where: str, mask: pd.Series) -> None:
    expected = set(DF.loc[mask.fillna(False).astype(bool), "numero_uai"])
    assert uais(con, where) == expected
    # Each case selects some rows and not all of them (startswith is case-sensitive: its lower-case twin, none).
    assert 0 < len(expected) < len(DF) or (where == CASE_SENSITIVE and not expected)


def test_like_reads_underscore_and_percent_as_text(con: duckdb.DuckDBPyConnection) -> None:
    # `like` runs as contains() without `*`, as LIKE with one: « _ » and « % » stay text in both (as wildcards,
    # « e_j » would match « college jean »).
    assert uais(con, 'appellation_officielle like "e j"')
    for where in ('appellation_officielle like "e_j"', 'appellation_officielle like "col*e_j"',
                  'appellation_officielle like "e%j"', 'appellation_officielle like "col*e%j"'):
        assert uais(con, where) == set(), where
    assert uais(con, 'appellation_officielle like "col*e j"') == uais(con, 'appellation_officielle like "e j"')


def test_group_by_aggregates_match_pandas(con: duckdb.DuckDBPyConnection) -> None:
    got = run(con, group_by="secteur", select="count(*) as n, count(effectif) as ne, sum(effectif) as s, "
                                              "avg(ips) as a, min(ips) as lo, max(ips) as hi, median(effectif) as m")
    expected = DF.groupby("secteur").agg(n=("numero_uai", "size"), ne=("effectif", "count"), s=("effectif", "sum"),
                                         a=("ips", "mean"), lo=("ips", "min"), hi=("ips", "max"),
                                         m=("effectif", "median")).reset_index()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_group_by_year_and_order_by_count_match_pandas(con: duckdb.DuckDBPyConnection) -> None:
    got = run(con, group_by="libelle_commune", select="count(*) as n", order_by="n desc, libelle_commune", limit=5)
    counts = DF.groupby("libelle_commune").size().reset_index(name="n")
    expected = counts.sort_values(["n", "libelle_commune"], ascending=[False, True]).head(5).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    years = run(con, group_by="year(date_ouverture) as y", select="count(*) as n", limit=-1)
    by_year = _date("date_ouverture").dt.year.value_counts(dropna=False)
    assert {(None if pd.isna(y) else int(y)): int(n) for y, n in zip(years.y, years.n, strict=True)} == {
        (None if pd.isna(y) else int(y)): int(n) for y, n in by_year.items()}


def test_static_ranges_match_pandas_cut(con: duckdb.DuckDBPyConnection) -> None:
    got = run(con, group_by="range(effectif, *, 300, 600, *) as r", select="count(*) as n", where="effectif is not null")
    cut = pd.cut(EFF.dropna(), [-np.inf, 300, 600, np.inf], right=False,
                 labels=["[*, 300[", "[300, 600[", "[600, *["]).value_counts()
    assert dict(zip(got.r, got.n, strict=True)) == {k: v for k, v in cut.items() if v}


def test_paging_and_order_match_pandas(con: duckdb.DuckDBPyConnection) -> None:
    ordered = DF.sort_values(["ips", "numero_uai"], ascending=[False, True], na_position="last")
    pages = [run(con, select="numero_uai", order_by="ips desc, numero_uai", limit=7, offset=o) for o in (0, 7, 14)]
    assert [list(p.numero_uai) for p in pages] == [list(ordered.numero_uai[o:o + 7]) for o in (0, 7, 14)]


def test_select_star_returns_every_field_with_the_geo_point(con: duckdb.DuckDBPyConnection) -> None:
    frame = run(con, where='numero_uai = "0240000A"')
    assert list(frame.columns) == [n for n, _t in COLUMNS] + ["geo_point_2d"]
    assert frame.geo_point_2d[0] == {"lon": DF.longitude[0], "lat": DF.latitude[0]}


# ---- fuzzing: any request, hostile or not, is SQL with bound values or an ODSQLError ----------------------------
MARK_TEXT = "zqxmark"  # found in no field name, no function name, no constant of the translator
MARK_NUMBER = "987654321"
FIELDS = [n for n, _t in COLUMNS] + ["geo_point_2d", "`effectif`", "nope", "`x; DROP TABLE colleges`"]
FUNCS = ["count", "sum", "avg", "min", "max", "median", "percentile", "year", "month", "date_format", "now", "length",
         "lower", "ifnull", "search", "suggest", "startswith", "within_distance", "in_bbox", "intersects", "range",
         "geo_cluster", "distance", "random", "bbox", "envelope", "json_format", "read_csv", "pg_sleep"]
STRINGS = [f"'{MARK_TEXT}'", f'"{MARK_TEXT} a"', f"'{MARK_TEXT}''; DROP TABLE colleges; --'",
           f'"{MARK_TEXT}\\" OR 1=1 --"', f"'{MARK_TEXT}*'", f"\"{MARK_TEXT} dd/MM\""]
NUMBERS = [MARK_NUMBER, f"{MARK_NUMBER}.5", f"{MARK_NUMBER}km", f"-{MARK_NUMBER}", "1", "0", "2.5", "1 day"]
OTHER = ["date'2020'", "date'2020-01-02T03:04'", "geom'POINT(0.7 45.1)'",
         "geom'POLYGON((0 0, 1 0, 1 1, 0 0))'", "true", "null", "*"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    leaf = st.sampled_from(FIELDS + STRINGS + NUMBERS + OTHER)
    if depth > 3:
        return draw(leaf)
    sub = expressions(depth + 1)  # type: ignore[call-arg]
    return draw(st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["=", "!=", ">", "<=", ":", "+", "-", "*", "/", " and ", " or ", " like "]),
                  sub).map("".join),
        st.tuples(st.sampled_from(FUNCS), st.lists(sub, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        sub.map(lambda s: f"not {s}"), sub.map(lambda s: f"({s})"),
        st.tuples(sub, st.lists(sub, min_size=1, max_size=3)).map(lambda t: f"{t[0]} in ({', '.join(t[1])})"),
        st.tuples(sub, sub, sub).map(lambda t: f"{t[0]} in [{t[1]}..{t[2]}]"),
        sub.map(lambda s: f"{s} is not null"),
    ))


def _check_sql(sql: str) -> None:
    assert MARK_TEXT not in sql and MARK_NUMBER not in sql
    # The only quoted text is the translator's own: accent folding, the search word separator, range labels, date
    # format padding, date parts.
    allowed = {"' '", "'0'", "'['", "', '", "'year'", "'month'", "'quarter'", "'week'"} | {
        f"'{k}'" for k in LIGATURES} | {f"'{v}'" for v in LIGATURES.values()}
    assert set(re.findall(r"'(?:[^']|'')*'", sql)) <= allowed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(where=expressions(), select=expressions(), group=st.one_of(st.none(), expressions()),
       order=st.one_of(st.none(), expressions()))
def test_fuzz_translation(con: duckdb.DuckDBPyConnection, where: str, select: str, group: str | None,
                          order: str | None) -> None:
    for kw in ({"where": where}, {"select": select}, {"select": select, "group_by": group, "order_by": order},
               {"where": where, "order_by": order}, {"refine": f"effectif:{where}"}, {"exclude": f"nope:{where}"}):
        try:
            query = build_query(TABLE, SCHEMA, now=NOW, **kw)
        except ODSQLError as exc:
            assert exc.to_dict()["message"]
            continue
        _check_sql(query.sql)
        _check_sql(query.count_sql)
        try:
            con.execute(query.sql, query.params).fetchall()
            con.execute(query.count_sql, query.count_params).fetchall()
        except (duckdb.ConversionException, duckdb.OutOfRangeException, duckdb.InvalidInputException) as exc:
            # Data errors of a valid query (e.g. an overflow); the executor turns them into a 400.
            assert "Parameter" not in str(exc), exc


@pytest.mark.parametrize(("kw", "clause", "position"), [
    ({"where": "effectif > 1 and nope = 2"}, "where", 17),
    ({"select": "numero_uai, frobnicate(effectif)"}, "select", 12),
    ({"group_by": "secteur, sum(effectif)"}, "group_by", 9),
    ({"order_by": "effectif desc, `nope`"}, "order_by", 15),
    ({"where": "secteur = 3"}, "where", 0),
])
def test_semantic_errors_point_at_their_place(kw: dict[str, Any], clause: str, position: int) -> None:
    with pytest.raises(ODSQLError) as info:
        build_query(TABLE, SCHEMA, now=NOW, **kw)
    assert (info.value.clause, info.value.position) == (clause, position)
    assert f"(at character {position + 1})" in info.value.message
