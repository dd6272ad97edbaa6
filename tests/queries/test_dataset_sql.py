"""SQL of a dataset view: no user text in it (values bound), quoted allow-listed identifiers, and the builders on the
built warehouse (filters, search, sort, pages, facets, EPCI filter, charts, map queries)."""

from __future__ import annotations

from pathlib import Path

import pytest

import queries
from catalogue.schema import Schema
from queries import binning
from queries.dataset import sql, state
from tests.queries.test_dataset_state import HOSTILE, schema


@pytest.mark.parametrize("value", HOSTILE)
def test_sql_never_contains_user_text(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "table_name", lambda ds: queries.SafeIdent('"ds_essai"'))
    monkeypatch.setattr(queries, "ordered_table_name", lambda ds: queries.SafeIdent('"dsr_essai"'))
    s = schema()
    params = {"f": [f"zone:eq:{value}", f"sexe:contains:{value}", f"zone:ne:{value}"], "q": [value],
              "sort": ["zone"]}
    view, notes = state.parse_view(params, s)
    assert notes == [] and len(view.filters) == 3
    builders = [sql.rows_query(view, s), sql.count_query(view, s), sql.export_query(view, s),
                sql.facet_query(view, s, "zone"), sql.chart_query(view, s, state.ChartSpec("bar", "zone")).query,
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
    view, _ = state.parse_view({"f": ["zone:eq:l'Isle", "annee:gte:2000", "ouverture:lte:2020-01-01"]}, s)
    q = sql.count_query(view, s)
    assert "$p0" in q.sql and "l'Isle" not in q.sql
    shown = q.display_sql()
    assert "'l''Isle'" in shown and "2000" in shown and "DATE '2020-01-01'" in shown and "$p" not in shown


def test_identifiers_are_quoted_from_the_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "table_name", lambda ds: queries.SafeIdent('"ds_essai"'))
    monkeypatch.setattr(queries, "ordered_table_name", lambda ds: queries.SafeIdent('"dsr_essai"'))
    s = schema()
    view = state.DatasetView("essai", sort="zone")
    assert '"zone" ASC NULLS LAST' in sql.rows_query(view, s).sql
    bad = state.DatasetView("essai", sort='zone" DESC; --')
    with pytest.raises(queries.QueryError):
        sql.rows_query(bad, s)


# -- against the built warehouse ---------------------------------------------------------------------------------------
def real_schema(dataset_id: str) -> Schema:
    return Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))


def test_hostile_filter_value_is_bound_and_the_view_still_works(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, notes = state.parse_view({"f": ["sexe:eq:'; DROP TABLE x; --"], "q": ["'; DROP TABLE x; --"]}, s)
    assert notes == []
    q = sql.count_query(view, s)
    assert "'; DROP TABLE x; --" in q.params.values()
    assert int(sql.run(q).iloc[0, 0]) == 0
    # The warehouse is intact and the same view without the hostile filter still counts every row.
    assert int(sql.run(sql.count_query(state.DatasetView(s.dataset_id), s)).iloc[0, 0]) == s.rows


def test_filters_search_sort_and_pages_on_real_data(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, _ = state.parse_view({"f": ["sexe:eq:Femmes", "zone:eq:Dordogne", "annee:gte:2000", "annee:lte:2009"],
                             "sort": ["-population"], "size": ["20"]}, s)
    n = int(sql.run(sql.count_query(view, s)).iloc[0, 0])
    assert n == 10 * 21  # ten years, 20 age bands + the total
    page1 = sql.run(sql.rows_query(view, s))
    page2 = sql.run(sql.rows_query(view.replace(page=2), s))
    assert len(page1) == 20 and len(page2) == 20
    assert set(page1["sexe"]) == {"Femmes"} and page1["annee"].between(2000, 2009).all()
    assert list(page1["population"]) == sorted(page1["population"], reverse=True)
    assert page1["population"].min() >= page2["population"].max()
    all_rows = sql.run(sql.export_query(view, s), max_rows=100_000)
    assert len(all_rows) == n
    # Accent- and case-insensitive search inside the dataset.
    folded, _ = state.parse_view({"q": ["FEMMES"]}, s)
    accented, _ = state.parse_view({"q": ["fémmes"]}, s)
    plain, _ = state.parse_view({"f": ["sexe:eq:Femmes"]}, s)
    counts = [int(sql.run(sql.count_query(v, s)).iloc[0, 0]) for v in (folded, accented, plain)]
    assert counts[0] == counts[1] == counts[2] > 0


def test_like_wildcards_in_search_match_themselves(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, _ = state.parse_view({"q": ["%"]}, s)
    assert int(sql.run(sql.count_query(view, s)).iloc[0, 0]) == 0
    view, _ = state.parse_view({"q": ["_"]}, s)
    assert int(sql.run(sql.count_query(view, s)).iloc[0, 0]) == 0


def test_facets_are_disjunctive_and_counted_by_duckdb(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view, _ = state.parse_view({"f": ["sexe:eq:Femmes", "zone:eq:Dordogne"]}, s)
    facet = sql.run(sql.facet_query(view, s, "sexe"))
    # The sexe facet ignores its own filter (other values stay selectable) but applies the zone filter.
    assert set(facet["value"]) == {"Ensemble", "Hommes", "Femmes"}
    assert facet["n"].sum() == int(sql.run(sql.count_query(view.without_column("sexe"), s)).iloc[0, 0])


def test_epci_filter_uses_the_epci_communes_dataset(portal: Path) -> None:
    s = real_schema("population-communes")
    code = s.commune_columns[0]
    members = queries.run_sql_text('SELECT epci_siren, count(*) AS n FROM "ds_epci_communes" GROUP BY 1 '
                                   "ORDER BY 1 LIMIT 1")
    siren, n_communes = str(members.iloc[0, 0]), int(members.iloc[0, 1])
    view, notes = state.parse_view({"f": [f"{code}:epci:{siren}", "millesime:eq:2023"]}, s)
    assert notes == []
    assert int(sql.run(sql.count_query(view, s)).iloc[0, 0]) == n_communes


def test_chart_map_and_histogram_queries_run(portal: Path) -> None:
    s = real_schema("estimations-population-age-sexe")
    view = state.DatasetView(s.dataset_id)
    line = sql.run(sql.chart_query(view, s, state.ChartSpec("line", "annee", "population", "sum", "sexe")).query)
    assert set(line["series"]) == {"Ensemble", "Hommes", "Femmes"} and line["x"].nunique() == 48
    bars = sql.run(sql.chart_query(view, s, state.ChartSpec("bar", "age")).query)
    assert len(bars) == 21 and bars["value"].sum() == s.rows
    hist = sql.run(sql.histogram_query(s, "population"))
    assert int(hist["n"].sum()) == s.rows and len(hist) <= sql.HISTOGRAM_BINS
    box = sql.run(sql.chart_query(view, s, state.ChartSpec("box", "sexe", "population", "median")).query)
    assert set(box["x"]) == {"Ensemble", "Hommes", "Femmes"} and (box["q1"] <= box["q3"]).all()

    pts = real_schema("colleges")
    assert "points" in pts.map_modes
    points = sql.run(binning.points_query(state.DatasetView("colleges"), pts))
    assert len(points) == pts.rows and points["lon"].between(-1, 2).all()
    grid = sql.run(binning.grid_query(state.DatasetView("colleges"), pts, 0.02, 0.02))
    assert int(grid["n"].sum()) == pts.rows

    pop = real_schema("population-communes")
    view, _ = state.parse_view({"f": ["millesime:eq:2023"]}, pop)
    choro = sql.run(binning.choropleth_query(view, pop, pop.commune_columns[0], "pmun", "sum"), max_rows=10_000)
    assert len(choro) == 503 and 400_000 < choro["value"].sum() < 430_000
