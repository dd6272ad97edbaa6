"""The dataset view spec: hostile URL parameters, round trips, and SQL that carries no user text (values bound)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs

import pytest

import queries
import warehouse
from queries import binning
from queries import dataset_view as dv

HOSTILE = [
    "'; DROP TABLE x; --",
    '" OR 1=1 --',
    "population) FROM catalogue; --",
    "%_\\",
    "1; SELECT * FROM read_csv('/etc/passwd')",
    "$p9999",
    "é' || (SELECT 1) || '",
]


def schema() -> dv.Schema:
    cols = [
        {"name": "annee", "type": "integer"}, {"name": "zone", "type": "text"}, {"name": "sexe", "type": "text"},
        {"name": "population", "type": "number"}, {"name": "code_insee", "type": "text"},
        {"name": "ouverture", "type": "date"}, {"name": "geometry", "type": "geometry"},
    ]
    profile = {"zone": {"distinct": 3, "nulls": 0, "top": [{"value": "Dordogne", "count": 10}]},
               "code_insee": {"distinct": 500, "nulls": 0, "min": "24001", "max": "24587",
                              "top": [{"value": "24037", "count": 3}]}}
    return dv.Schema.from_meta("essai", {"rows": 100, "columns": cols, "profile": profile,
                                         "geo": {"kind": "polygon", "geometry": "geometry"}})


def qs(text: str) -> dict[str, list[str]]:
    return parse_qs(text, keep_blank_values=True)


def test_round_trip_of_a_full_view() -> None:
    s = schema()
    text = ("id=essai&tab=graphique&f=zone:eq:Dordogne&f=zone:eq:France&f=annee:gte:1990&f=population:lte:1e5"
            "&f=ouverture:gte:2020-01-31&f=sexe:contains:fem&f=code_insee:null:&q=pér&sort=-population&page=3"
            "&size=100&chart=line&x=annee&y=population&agg=sum&series=sexe&map=choropleth&mcol=population"
            "&magg=mean&lat=45.1&lon=0.7&zoom=8")
    view, notes = dv.parse_view(qs(text), s)
    assert notes == []
    assert view.tab == "graphique" and view.page == 3 and view.size == 100
    assert view.sort == "population" and view.desc
    assert [f.to_param() for f in view.filters][:2] == ["zone:eq:Dordogne", "zone:eq:France"]
    assert view.filters[2].value == 1990 and view.filters[3].value == 100000.0
    assert view.filters[4].value == dt.date(2020, 1, 31)
    assert view.chart == dv.ChartSpec("line", "annee", "population", "sum", "sexe")
    assert view.map == dv.MapSpec("choropleth", "population", "mean", 45.1, 0.7, 8.0)
    again, notes2 = dv.parse_view(qs(view.query_string()), s)
    assert again == view and notes2 == []


@pytest.mark.parametrize("params", [
    {"f": ["nope:eq:1"]}, {"f": ["zone:drop:1"]}, {"f": ["annee:eq:deux mille"]}, {"f": ["annee:eq:1e400"]},
    {"f": ["population:gte:nan"]}, {"f": ["population:gte:inf"]}, {"f": ["ouverture:gte:31/01/2020"]},
    {"f": ["geometry:eq:x"]}, {"f": ["zone"]}, {"f": ["zone:eq:" + "x" * 5000]}, {"f": ["zone:eq:a\x00b"]},
    {"f": ["code_insee:epci:1; DROP"]}, {"sort": ["population; DROP TABLE x"]}, {"sort": ["-geometry"]},
    {"page": ["99999999999999999999"]}, {"page": ["-1"]}, {"page": ["0"]}, {"page": ["1.5"]}, {"size": ["1000000"]},
    {"tab": ["<script>alert(1)</script>"]}, {"chart": ["pie); DROP"]}, {"chart": ["bar"], "x": ["nope"]},
    {"chart": ["bar"], "agg": ["sum(population)"]}, {"map": ["heatmap"]}, {"mcol": ["zone"]},
    {"lat": ["91"]}, {"zoom": ["1e9"]}, {"q": ["x" * 1000]},
])
def test_malformed_parameters_are_dropped_with_a_french_note(params: dict[str, list[str]]) -> None:
    view, notes = dv.parse_view(params, schema())
    assert notes, params
    assert all(isinstance(n, str) and n for n in notes)
    assert view.page >= 1 and view.size in dv.PAGE_SIZES and view.tab in dv.TABS
    for f in view.filters:
        assert f.column in schema().names and f.op in dv.OPS


def test_too_many_filters_are_capped() -> None:
    view, notes = dv.parse_view({"f": [f"annee:eq:{1900 + i}" for i in range(100)]}, schema())
    assert len(view.filters) == dv.MAX_FILTERS and notes


@pytest.mark.parametrize("value", HOSTILE)
def test_sql_never_contains_user_text(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "table_name", lambda ds: queries.SafeIdent('"ds_essai"'))
    monkeypatch.setattr(queries, "ordered_table_name", lambda ds: queries.SafeIdent('"dsr_essai"'))
    s = schema()
    params = {"f": [f"zone:eq:{value}", f"sexe:contains:{value}", f"zone:ne:{value}"], "q": [value],
              "sort": ["zone"]}
    view, notes = dv.parse_view(params, s)
    assert notes == [] and len(view.filters) == 3
    builders = [dv.rows_query(view, s), dv.count_query(view, s), dv.export_query(view, s),
                dv.facet_query(view, s, "zone"), dv.chart_query(view, s, dv.ChartSpec("bar", "zone")).query,
                binning.choropleth_query(view, s, "code_insee", "population", "sum"), binning.polygons_query(view, s)]
    for q in builders:
        assert value not in q.sql
        assert "DROP" not in q.sql and "passwd" not in q.sql
        bound = [v for v in q.params.values() if isinstance(v, str)]
        assert value in bound


def test_display_sql_inlines_escaped_literals_only_for_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "table_name", lambda ds: queries.SafeIdent('"ds_essai"'))
    monkeypatch.setattr(queries, "ordered_table_name", lambda ds: queries.SafeIdent('"dsr_essai"'))
    s = schema()
    view, _ = dv.parse_view({"f": ["zone:eq:l'Isle", "annee:gte:2000", "ouverture:lte:2020-01-01"]}, s)
    q = dv.count_query(view, s)
    assert "$p0" in q.sql and "l'Isle" not in q.sql
    shown = q.display_sql()
    assert "'l''Isle'" in shown and "2000" in shown and "DATE '2020-01-01'" in shown and "$p" not in shown


def test_identifiers_are_quoted_from_the_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "table_name", lambda ds: queries.SafeIdent('"ds_essai"'))
    monkeypatch.setattr(queries, "ordered_table_name", lambda ds: queries.SafeIdent('"dsr_essai"'))
    s = schema()
    view = dv.DatasetView("essai", sort="zone")
    assert '"zone" ASC NULLS LAST' in dv.rows_query(view, s).sql
    bad = dv.DatasetView("essai", sort='zone" DESC; --')
    with pytest.raises(queries.QueryError):
        dv.rows_query(bad, s)


def test_suggested_chart_prefers_a_time_series() -> None:
    assert dv.suggest_chart(schema()) == dv.ChartSpec("line", "annee", "population", "sum", None)


def test_chart_specs_are_normalised() -> None:
    s = schema()
    assert dv.normalise_chart(dv.ChartSpec("bar", "zone", None, "sum"), s) == dv.ChartSpec("bar", "zone")
    assert dv.normalise_chart(dv.ChartSpec("histogram", "zone"), s) == dv.ChartSpec("histogram", "population")
    assert dv.normalise_chart(dv.ChartSpec("pie", "zone", series="sexe"), s).series is None  # type: ignore[union-attr]
    assert dv.normalise_chart(dv.ChartSpec("bar", None), s) is None


# -- against the built warehouse ---------------------------------------------------------------------------------------
def real_schema(dataset_id: str) -> dv.Schema:
    return dv.Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))


def test_hostile_filter_value_is_bound_and_the_view_still_works(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, notes = dv.parse_view({"f": ["sexe:eq:'; DROP TABLE x; --"], "q": ["'; DROP TABLE x; --"]}, s)
    assert notes == []
    q = dv.count_query(view, s)
    assert "'; DROP TABLE x; --" in q.params.values()
    assert int(dv.run(q).iloc[0, 0]) == 0
    # The warehouse is intact and the same view without the hostile filter still counts every row.
    assert int(dv.run(dv.count_query(dv.DatasetView(s.dataset_id), s)).iloc[0, 0]) == s.rows


def test_filters_search_sort_and_pages_on_real_data(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, _ = dv.parse_view({"f": ["sexe:eq:Femmes", "zone:eq:Dordogne", "annee:gte:2000", "annee:lte:2009"],
                             "sort": ["-population"], "size": ["20"]}, s)
    n = int(dv.run(dv.count_query(view, s)).iloc[0, 0])
    assert n == 10 * 21  # ten years, 20 age bands + the total
    page1 = dv.run(dv.rows_query(view, s))
    page2 = dv.run(dv.rows_query(view.replace(page=2), s))
    assert len(page1) == 20 and len(page2) == 20
    assert set(page1["sexe"]) == {"Femmes"} and page1["annee"].between(2000, 2009).all()
    assert list(page1["population"]) == sorted(page1["population"], reverse=True)
    assert page1["population"].min() >= page2["population"].max()
    all_rows = dv.run(dv.export_query(view, s), max_rows=100_000)
    assert len(all_rows) == n
    # Accent- and case-insensitive search inside the dataset.
    folded, _ = dv.parse_view({"q": ["FEMMES"]}, s)
    accented, _ = dv.parse_view({"q": ["fémmes"]}, s)
    plain, _ = dv.parse_view({"f": ["sexe:eq:Femmes"]}, s)
    counts = [int(dv.run(dv.count_query(v, s)).iloc[0, 0]) for v in (folded, accented, plain)]
    assert counts[0] == counts[1] == counts[2] > 0


def test_like_wildcards_in_search_match_themselves(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, _ = dv.parse_view({"q": ["%"]}, s)
    assert int(dv.run(dv.count_query(view, s)).iloc[0, 0]) == 0
    view, _ = dv.parse_view({"q": ["_"]}, s)
    assert int(dv.run(dv.count_query(view, s)).iloc[0, 0]) == 0


def test_facets_are_disjunctive_and_counted_by_duckdb(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, _ = dv.parse_view({"f": ["sexe:eq:Femmes", "zone:eq:Dordogne"]}, s)
    facet = dv.run(dv.facet_query(view, s, "sexe"))
    # The sexe facet ignores its own filter (other values stay selectable) but applies the zone filter.
    assert set(facet["value"]) == {"Ensemble", "Hommes", "Femmes"}
    assert facet["n"].sum() == int(dv.run(dv.count_query(view.without_column("sexe"), s)).iloc[0, 0])


def test_epci_filter_uses_the_epci_communes_dataset(portal: Path) -> None:
    s = real_schema("population-communes")
    code = s.commune_columns[0]
    members = queries.run_sql_text('SELECT epci_siren, count(*) AS n FROM "ds_epci_communes" GROUP BY 1 '
                                   "ORDER BY 1 LIMIT 1")
    siren, n_communes = str(members.iloc[0, 0]), int(members.iloc[0, 1])
    view, notes = dv.parse_view({"f": [f"{code}:epci:{siren}", "millesime:eq:2023"]}, s)
    assert notes == []
    assert int(dv.run(dv.count_query(view, s)).iloc[0, 0]) == n_communes


def test_chart_map_and_histogram_queries_run(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view = dv.DatasetView(s.dataset_id)
    line = dv.run(dv.chart_query(view, s, dv.ChartSpec("line", "annee", "population", "sum", "sexe")).query)
    assert set(line["series"]) == {"Ensemble", "Hommes", "Femmes"} and line["x"].nunique() == 48
    bars = dv.run(dv.chart_query(view, s, dv.ChartSpec("bar", "age")).query)
    assert len(bars) == 21 and bars["value"].sum() == s.rows
    hist = dv.run(dv.histogram_query(s, "population"))
    assert int(hist["n"].sum()) == s.rows and len(hist) <= dv.HISTOGRAM_BINS
    box = dv.run(dv.chart_query(view, s, dv.ChartSpec("box", "sexe", "population", "median")).query)
    assert set(box["x"]) == {"Ensemble", "Hommes", "Femmes"} and (box["q1"] <= box["q3"]).all()

    pts = real_schema("colleges")
    assert "points" in pts.map_modes
    points = dv.run(binning.points_query(dv.DatasetView("colleges"), pts))
    assert len(points) == pts.rows and points["lon"].between(-1, 2).all()
    grid = dv.run(binning.grid_query(dv.DatasetView("colleges"), pts))
    assert int(grid["n"].sum()) == pts.rows

    pop = real_schema("population-communes")
    view, _ = dv.parse_view({"f": ["millesime:eq:2023"]}, pop)
    choro = dv.run(binning.choropleth_query(view, pop, pop.commune_columns[0], "pmun", "sum"), max_rows=10_000)
    assert len(choro) == 503 and 400_000 < choro["value"].sum() < 430_000


def test_versions_and_commune_lookups(portal: Path) -> None:
    versions = warehouse.list_versions("colleges")
    assert versions and versions[0]["rows"] == 52 and "changes" in versions[0]
    assert warehouse.list_versions("../etc") == []
    names = dv.commune_names()
    assert names.get("24322") == "Périgueux"
    assert len(dv.commune_shapes()) == 503
    assert dv.epci_names()
