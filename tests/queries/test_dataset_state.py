"""A dataset page's URL state: hostile parameters dropped with a French note, round trips, chart choices."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest

from catalogue.schema import Schema
from queries.dataset import state

HOSTILE = [
    "'; DROP TABLE x; --",
    '" OR 1=1 --',
    "population) FROM catalogue; --",
    "%_\\",
    "1; SELECT * FROM read_csv('/etc/passwd')",
    "$p9999",
    "é' || (SELECT 1) || '",
]


def schema() -> Schema:
    cols = [
        {"name": "annee", "type": "integer"}, {"name": "zone", "type": "text"}, {"name": "sexe", "type": "text"},
        {"name": "population", "type": "number"}, {"name": "code_insee", "type": "text"},
        {"name": "ouverture", "type": "date"}, {"name": "geometry", "type": "geometry"},
    ]
    profile = {"zone": {"distinct": 3, "nulls": 0, "top": [{"value": "Dordogne", "count": 10}]},
               "code_insee": {"distinct": 500, "nulls": 0, "min": "24001", "max": "24587",
                              "top": [{"value": "24037", "count": 3}]}}
    return Schema.from_meta("essai", {"rows": 100, "columns": cols, "profile": profile,
                                         "geo": {"kind": "polygon", "geometry": "geometry"}})


def qs(text: str) -> dict[str, list[str]]:
    return parse_qs(text, keep_blank_values=True)


def test_round_trip_of_a_full_view() -> None:
    s = schema()
    text = ("id=essai&tab=graphique&f=zone:eq:Dordogne&f=zone:eq:France&f=annee:gte:1990&f=population:lte:1e5"
            "&f=ouverture:gte:2020-01-31&f=sexe:contains:fem&f=code_insee:null:&q=pér&sort=-population&page=3"
            "&size=100&chart=line&x=annee&y=population&agg=sum&series=sexe&map=choropleth&mcol=population"
            "&magg=mean&lat=45.1&lon=0.7&zoom=8")
    view, notes = state.parse_view(qs(text), s)
    assert notes == []
    assert view.tab == "graphique" and view.page == 3 and view.size == 100
    assert view.sort == "population" and view.desc
    assert [f.to_param() for f in view.filters][:2] == ["zone:eq:Dordogne", "zone:eq:France"]
    assert view.filters[2].value == 1990 and view.filters[3].value == 100000.0
    assert view.filters[4].value == dt.date(2020, 1, 31)
    assert view.chart == state.ChartSpec("line", "annee", "population", "sum", "sexe")
    assert view.map == state.MapSpec("choropleth", "population", "mean", 45.1, 0.7, 8.0)
    again, notes2 = state.parse_view(qs(view.query_string()), s)
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
    view, notes = state.parse_view(params, schema())
    assert notes, params
    assert all(isinstance(n, str) and n for n in notes)
    assert view.page >= 1 and view.size in state.PAGE_SIZES and view.tab in state.TABS
    for f in view.filters:
        assert f.column in schema().names and f.op in state.OPS


def test_too_many_filters_are_capped() -> None:
    view, notes = state.parse_view({"f": [f"annee:eq:{1900 + i}" for i in range(100)]}, schema())
    assert len(view.filters) == state.MAX_FILTERS and notes


def test_suggested_chart_prefers_a_time_series() -> None:
    assert state.suggest_chart(schema()) == state.ChartSpec("line", "annee", "population", "sum", None)


def test_chart_specs_are_normalised() -> None:
    s = schema()
    assert state.normalise_chart(state.ChartSpec("bar", "zone", None, "sum"), s) == state.ChartSpec("bar", "zone")
    assert state.normalise_chart(state.ChartSpec("histogram", "zone"), s) == state.ChartSpec("histogram", "population")
    assert state.normalise_chart(state.ChartSpec("pie", "zone", series="sexe"), s).series is None  # type: ignore[union-attr]
    assert state.normalise_chart(state.ChartSpec("bar", None), s) is None
