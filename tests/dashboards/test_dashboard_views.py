"""A block against its dataset's real schema: the dataset page's parser reads its view, the dashboard's territory and
year replace the block's own filters on those columns, vanished columns are named, and values stay bound."""

from __future__ import annotations

from pathlib import Path

import pytest

import queries
from catalogue.schema import Schema
from dashboards.spec import GlobalFilter, parse
from dashboards.views import figure_query, resolve, view_doc
from queries.dataset.state import parse_view


def schema_of(dataset_id: str) -> Schema:
    return Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))


def block(**fields: object):
    return parse({"version": 1, "blocks": [fields]}).blocks[0]


def test_commune_and_year_filters_replace_the_blocks_own(read_only_portal: Path) -> None:
    schema = schema_of("population-communes")
    b = block(type="figure", dataset="population-communes", agg="sum", column="pmun",
              view={"f": ["code_insee_cog2026:eq:24037", "millesime:eq:2016"]})
    r = resolve(b, schema, GlobalFilter("commune", "24322", 2022))
    assert r.problems == () and set(r.applied) == {"territoire", "année"}
    assert {(f.column, f.op, f.value) for f in r.view.filters} == {("code_insee_cog2026", "eq", "24322"),
                                                                   ("millesime", "eq", 2022)}
    value = queries.run_sql_text(*_q(figure_query(r.view, schema, b.agg, b.column)))
    own = queries.run_sql_text(*_q(figure_query(r.own, schema, b.agg, b.column)))
    assert 20_000 < value.loc[0, "value"] < 35_000  # Périgueux
    assert own.loc[0, "value"] != value.loc[0, "value"]


def _q(query):
    return query.sql, query.params


def test_an_epci_filters_communes_through_the_epci_membership(read_only_portal: Path) -> None:
    schema = schema_of("population-communes")
    b = block(type="figure", dataset="population-communes", view={"f": ["millesime:eq:2022"]})
    r = resolve(b, schema, GlobalFilter("epci", "200040392"))
    assert any(f.op == "epci" for f in r.view.filters)
    n = queries.run_sql_text(*_q(figure_query(r.view, schema, "count", None))).loc[0, "value"]
    assert 10 < n < 100  # the communes of one EPCI, one year


def test_a_departement_filters_communes_by_their_code_prefix(read_only_portal: Path) -> None:
    schema = schema_of("population-communes")
    b = block(type="figure", dataset="population-communes", view={"f": ["millesime:eq:2022"]})
    every = queries.run_sql_text(*_q(figure_query(resolve(b, schema, GlobalFilter()).view, schema, "count", None)))
    counts = {}
    for code in ("24", "33", "2A"):
        r = resolve(b, schema, GlobalFilter("departement", code))
        assert r.applied == ("territoire",) and any(f.op == "dep" and f.value == code for f in r.view.filters)
        query = figure_query(r.view, schema, "count", None)
        assert code not in query.sql  # bound
        counts[code] = queries.run_sql_text(*_q(query)).loc[0, "value"]
    assert counts == {"24": every.loc[0, "value"], "33": 0, "2A": 0}  # every commune of the embedded data is in 24


def test_a_vanished_column_is_named_in_french(read_only_portal: Path) -> None:
    schema = schema_of("ips-colleges")
    for b, word in [(block(type="chart", dataset="ips-colleges", view={"chart": "bar", "x": "disparue"}), "disparue"),
                    (block(type="table", dataset="ips-colleges", columns=["ips", "ancienne"]), "ancienne"),
                    (block(type="figure", dataset="ips-colleges", agg="sum", column="secteur"), "numérique"),
                    (block(type="table", dataset="ips-colleges", view={"f": ["partie:eq:1"]}), "partie")]:
        r = resolve(b, schema, GlobalFilter())
        assert r.problems and word in " ".join(r.problems)


@pytest.mark.parametrize("payload", ["'; DROP TABLE catalogue; --", "x') OR (1=1", "1 OR secteur IS NOT NULL", "\"ips\""])
def test_filter_values_are_bound_never_spliced(read_only_portal: Path, payload: str) -> None:
    schema = schema_of("ips-colleges")
    b = block(type="figure", dataset="ips-colleges", view={"f": [f"secteur:eq:{payload}"], "q": payload})
    r = resolve(b, schema, GlobalFilter())
    query = figure_query(r.view, schema, "count", None)
    assert payload not in query.sql and payload in query.params.values()
    assert queries.run_sql_text(query.sql, query.params).loc[0, "value"] == 0


def test_a_dataset_page_view_becomes_a_block_view_and_back(read_only_portal: Path) -> None:
    schema = schema_of("ips-colleges")
    params = {"f": ["secteur:eq:Public", "ips:gte:100"], "chart": ["line"], "x": ["nom_de_la_commune"],
              "sort": ["-ips"], "map": ["choropleth"], "mcol": ["ips"], "magg": ["mean"], "zoom": ["9"]}
    view, notes = parse_view(params, schema)
    assert notes == []
    b = block(type="chart", dataset="ips-colleges", view=view_doc(view))
    again = resolve(b, schema, GlobalFilter())
    assert again.problems == () and again.view == view
