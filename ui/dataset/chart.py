"""The dataset page's « Graphique » tab: a chart builder whose aggregates DuckDB computes, drawn with Plotly."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from catalogue.schema import Schema
from queries import QueryError
from queries.cache import cached
from queries.dataset.sql import CHART_SERIES_CAP, SCATTER_CAP, Query, chart_query
from queries.dataset.state import AGGS, CHART_TYPES, ChartSpec, DatasetView, normalise_chart, suggest_chart
from ui import charts
from ui import format as fmt
from ui.dataset import data
from ui.dataset.common import Dataset, col_label, count_line, note, seed

_PALETTE = ["#0063CB", "#E4794A", "#169B62", "#A558A0", "#D8C634", "#3558A2", "#CE614A", "#6E445A", "#009081",
            "#C08C65", "#7D4E5B", "#5E2A2B"]


def _label(schema: Schema, name: str | None) -> str:
    col = schema.get(name)
    if col is None:
        return ""
    return f"{col.label} ({col.unit})" if col.unit else col.label


def value_label(schema: Schema, spec: ChartSpec) -> str:
    if spec.agg == "count" or not spec.y:
        return "Nombre d'enregistrements"
    return f"{AGGS[spec.agg]} de {_label(schema, spec.y).lower() if spec.y else ''}"


def _categorical(schema: Schema, name: str | None) -> bool:
    col = schema.get(name)
    return col is None or not (col.numeric or col.temporal) or schema.is_commune_code(col.name)


def _as_text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "(vide)" if v is None or (isinstance(v, float) and v != v) else str(v))


def figure(spec: ChartSpec, data: pd.DataFrame, schema: Schema, title: str = "", height: int = 460) -> go.Figure:
    """The chart of an aggregated frame (columns x, series, value; or the histogram/box/scatter shapes)."""
    fig = go.Figure()
    x_label = _label(schema, spec.x)
    if spec.kind == "histogram":
        mids = (data["bin_start"] + data["bin_end"]) / 2
        widths = data["bin_end"] - data["bin_start"]
        fig.add_bar(x=mids, y=data["n"], width=widths, marker_color=_PALETTE[0], name="Enregistrements",
                    customdata=list(zip(data["bin_start"], data["bin_end"], strict=True)),
                    hovertemplate="de %{customdata[0]:,.4~g} à %{customdata[1]:,.4~g} : %{y} enregistrements"
                                  "<extra></extra>")
        fig.update_layout(xaxis_title=x_label, yaxis_title="Nombre d'enregistrements", bargap=0.02)
    elif spec.kind == "box":
        for i, row in enumerate(data.itertuples()):
            name = "(toutes)" if row.x is None or row.x != row.x else str(row.x)
            fig.add_trace(go.Box(name=name, q1=[row.q1], median=[row.median], q3=[row.q3], lowerfence=[row.min],
                                 upperfence=[row.max], mean=[row.mean], marker_color=_PALETTE[i % len(_PALETTE)],
                                 showlegend=False))
        fig.update_layout(xaxis_title=x_label, yaxis_title=_label(schema, spec.y))
    elif spec.kind == "scatter":
        groups = data.groupby(_as_text(data["series"]), sort=False) if spec.series else [("", data)]
        for i, (name, part) in enumerate(groups):
            fig.add_scatter(x=part["x"], y=part["y"], mode="markers", name=str(name) or _label(schema, spec.y),
                            marker={"color": _PALETTE[i % len(_PALETTE)], "size": 7, "opacity": 0.75})
        fig.update_layout(xaxis_title=x_label, yaxis_title=_label(schema, spec.y), showlegend=bool(spec.series))
    elif spec.kind == "pie":
        totals = data.groupby(_as_text(data["x"]), sort=False)["value"].sum().sort_values(ascending=False)
        fig.add_pie(labels=list(totals.index), values=list(totals.values), sort=False,
                    marker={"colors": _PALETTE * (len(totals) // len(_PALETTE) + 1)})
    else:
        categorical = _categorical(schema, spec.x)
        frame = data.copy()
        if categorical:
            frame["x"] = _as_text(frame["x"])
            order = list(frame.groupby("x", sort=False)["value"].sum().sort_values(ascending=False).index)
        else:
            order = None
        groups = frame.groupby(_as_text(frame["series"]), sort=False) if spec.series else [("", frame)]
        for i, (name, part) in enumerate(groups):
            colour = _PALETTE[i % len(_PALETTE)]
            label = str(name) if spec.series else value_label(schema, spec)
            if spec.kind == "bar":
                fig.add_bar(x=part["x"], y=part["value"], name=label, marker_color=colour)
            else:
                fig.add_scatter(x=part["x"], y=part["value"], name=label, mode="lines+markers",
                                line={"color": colour}, stackgroup="one" if spec.kind == "area" else None)
        fig.update_layout(xaxis_title=x_label, yaxis_title=value_label(schema, spec), showlegend=bool(spec.series),
                          barmode="stack" if spec.series else "relative")
        if order is not None:
            fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
        elif spec.x and (schema.get(spec.x) and schema.get(spec.x).type == "integer"):  # type: ignore[union-attr]
            fig.update_xaxes(tickformat="d")
    fig.update_layout(title=title or None, separators=charts.SEPARATORS,
                      margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10}, height=height,
                      legend_title_text=_label(schema, spec.series) if spec.series else None)
    return fig


def chart_figure(dataset_id: str, spec: ChartSpec, query: Query, title: str = "", height: int = 460) -> go.Figure:
    """The figure of a chart query's rows (the dataset page's chart tab, a dashboard's chart block), built once per
    data version and shared by every session: plotly's checks took ~10 ms a chart at every rerun, and
    st.plotly_chart only reads the figure (plotly's to_dict)."""
    return _chart_figure(dataset_id, spec, query.sql, tuple(sorted(query.params.items())), title, height)


@cached()
def _chart_figure(dataset_id: str, spec: ChartSpec, sql: str, params: tuple[tuple[str, Any], ...], title: str,
                  height: int) -> go.Figure:
    rows = data.frame(Query(sql, dict(params)), max_rows=SCATTER_CAP + 1)
    return figure(spec, rows, data.schema(dataset_id), title=title, height=height)


def alt_table(spec: ChartSpec, data: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The chart's numbers as a table with French headings (its text alternative)."""
    if spec.kind == "histogram":
        return pd.DataFrame({
            "Intervalle": [f"de {fmt.number(a, 2)} à {fmt.number(b, 2)}" for a, b in zip(data["bin_start"],
                                                                                          data["bin_end"], strict=True)],
            "Nombre d'enregistrements": data["n"].astype("int64"),
        })
    if spec.kind == "box":
        out = data.rename(columns={"x": _label(schema, spec.x) or "Groupe", "n": "Valeurs", "min": "Minimum",
                                   "q1": "1er quartile", "median": "Médiane", "q3": "3e quartile", "max": "Maximum",
                                   "mean": "Moyenne"})
        return out
    if spec.kind == "scatter":
        cols = {"x": _label(schema, spec.x), "y": _label(schema, spec.y)}
        if spec.series:
            cols["series"] = _label(schema, spec.series)
        return data[list(cols)].rename(columns=cols)
    cols = {"x": _label(schema, spec.x)}
    if spec.series:
        cols["series"] = _label(schema, spec.series)
    cols["value"] = value_label(schema, spec)
    return data[list(cols)].rename(columns=cols)


def chart_heading(schema: Schema, spec: ChartSpec) -> str:
    if spec.kind == "histogram":
        return f"Répartition de {col_label(schema, spec.x).lower()}"
    if spec.kind in ("scatter", "box"):
        what = col_label(schema, spec.y)
        return f"{what} selon {col_label(schema, spec.x).lower()}" if spec.x else what
    return f"{value_label(schema, spec)} par {col_label(schema, spec.x).lower()}"


def render(ds: Dataset, v: DatasetView) -> DatasetView:
    schema = ds.schema
    count_line(v, schema)
    chart = v.chart or suggest_chart(schema)
    if chart is None:
        st.info("Ce jeu de données n'a pas de colonne à représenter.")
        return v
    plain = [c.name for c in schema.plain_columns]
    numeric = [c.name for c in schema.plain_columns if c.numeric]
    c1, c2, c3, c4, c5 = st.columns(5)
    seed("dataset_chart_kind", chart.kind)
    kind = c1.selectbox("Type", list(CHART_TYPES), key="dataset_chart_kind", format_func=CHART_TYPES.get)
    x_options = numeric if kind == "histogram" else plain
    if kind == "histogram" and not numeric:
        st.info("Pas de colonne numérique : l'histogramme n'est pas possible.")
        return v
    seed("dataset_chart_x", chart.x if chart.x in x_options else None)
    if st.session_state.get("dataset_chart_x") not in [None, *x_options]:
        st.session_state["dataset_chart_x"] = None
    x = c2.selectbox("Axe horizontal (x)" if kind != "box" else "Groupes", [None, *x_options], key="dataset_chart_x", placeholder="—",
                     format_func=lambda n: "—" if n is None else col_label(schema, n))
    agg_options = ["count"] if kind in ("histogram", "scatter") else list(AGGS)
    if kind == "box":
        agg_options = ["median"]
    seed("dataset_chart_agg", chart.agg if chart.agg in agg_options else agg_options[0])
    if st.session_state.get("dataset_chart_agg") not in agg_options:
        st.session_state["dataset_chart_agg"] = agg_options[0]
    agg = c3.selectbox("Agrégation", agg_options, key="dataset_chart_agg", format_func=AGGS.get,
                       disabled=len(agg_options) == 1)
    seed("dataset_chart_y", chart.y if chart.y in numeric else None)
    if st.session_state.get("dataset_chart_y") not in [None, *numeric]:
        st.session_state["dataset_chart_y"] = None
    y = c4.selectbox("Valeur (y)", [None, *numeric], key="dataset_chart_y", placeholder="—",
                     format_func=lambda n: "—" if n is None else col_label(schema, n),
                     disabled=kind == "histogram" or (agg == "count" and kind not in ("scatter", "box")))
    seed("dataset_chart_series", chart.series if chart.series in plain else None)
    if st.session_state.get("dataset_chart_series") not in [None, *plain]:
        st.session_state["dataset_chart_series"] = None
    series = c5.selectbox("Couleur / séries", [None, *plain], key="dataset_chart_series", placeholder="—",
                          format_func=lambda n: "—" if n is None else col_label(schema, n),
                          disabled=kind in ("histogram", "pie", "box"))
    wanted = ChartSpec(kind=kind, x=x, y=y, agg=agg, series=series)
    final = normalise_chart(wanted, schema)
    if final is None:
        st.info("Choisissez les colonnes du graphique (axe horizontal, et une valeur numérique pour une somme, "
                "une moyenne…).")
        return v.replace(chart=wanted)
    v = v.replace(chart=final)
    try:
        cq = chart_query(v, schema, final)
        result = data.frame(cq.query, max_rows=SCATTER_CAP + 1)
    except QueryError as exc:
        st.error(str(exc))
        return v
    if result.empty:
        st.info("Aucune donnée à représenter avec ces filtres.")
        return v
    chart_title = chart_heading(schema, final)
    charts.plotly_chart(chart_figure(ds.id, final, cq.query, title=chart_title), filename=f"{ds.id}-graphique")
    if "n_x" in result.columns and int(result["n_x"].max()) > cq.category_cap:
        note(f"Seules les {cq.category_cap} catégories les plus importantes sur "
             f"{fmt.number(int(result['n_x'].max()))} sont représentées.")
    if "n_series" in result.columns and final.series and int(result["n_series"].max()) > CHART_SERIES_CAP:
        note(f"Seules les {CHART_SERIES_CAP} séries les plus importantes sont représentées.")
    if final.kind == "scatter" and len(result) >= SCATTER_CAP:
        note(f"Nuage limité aux {fmt.number(SCATTER_CAP)} premiers enregistrements.")
    with st.expander("Données du graphique (alternative textuelle)"):
        st.dataframe(alt_table(final, result, schema), hide_index=True, width="stretch")
    return v
