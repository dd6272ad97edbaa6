"""Plotly figures of the dataset page's chart builder, drawn from aggregates DuckDB already computed."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from queries import dataset_view as dv
from ui import format as fmt

_PALETTE = ["#0063CB", "#E4794A", "#169B62", "#A558A0", "#D8C634", "#3558A2", "#CE614A", "#6E445A", "#009081",
            "#C08C65", "#7D4E5B", "#5E2A2B"]


def _label(schema: dv.Schema, name: str | None) -> str:
    col = schema.get(name)
    if col is None:
        return ""
    return f"{col.label} ({col.unit})" if col.unit else col.label


def value_label(schema: dv.Schema, spec: dv.ChartSpec) -> str:
    if spec.agg == "count" or not spec.y:
        return "Nombre d'enregistrements"
    return f"{dv.AGGS[spec.agg]} de {_label(schema, spec.y).lower() if spec.y else ''}"


def _categorical(schema: dv.Schema, name: str | None) -> bool:
    col = schema.get(name)
    return col is None or not (col.numeric or col.temporal) or schema.is_commune_code(col.name)


def _as_text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "(vide)" if v is None or (isinstance(v, float) and v != v) else str(v))


def figure(spec: dv.ChartSpec, data: pd.DataFrame, schema: dv.Schema, title: str = "") -> go.Figure:
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
    fig.update_layout(title=title or None, separators=", ", margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
                      height=460, legend_title_text=_label(schema, spec.series) if spec.series else None)
    return fig


def alt_table(spec: dv.ChartSpec, data: pd.DataFrame, schema: dv.Schema) -> pd.DataFrame:
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
