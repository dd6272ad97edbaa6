"""The board's evolution chart: the territory, its EPCI, the département (and France) in base 100 or in values, with
the plotted values in a table (data from `indicators.board.series_frame` / `base100`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from indicators import Indicator, board
from indicators.data import departement_label
from indicators.territory import Territory
from ui import charts
from ui.indicator_cards import AXIS_NUMBERS, TITLE, note, plotly_config, value_text

LINE_COLORS = ["#1f5f8b", "#c0392b", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f"]
SCALES = {"base100": "Base 100 (évolutions comparées)", "valeurs": "Valeurs"}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> None:
    fig.update_layout(
        separators=charts.SEPARATORS, height=420, margin={"l": 10, "r": 10, "t": 70, "b": 10},
        title=TITLE | {"text": title}, legend={"orientation": "h", "y": -0.22, "title": {"text": ""}},
        xaxis={"title": x_title, "tickformat": "d"}, yaxis={"title": y_title, "tickformat": AXIS_NUMBERS},
    )


def _breaks(fig: go.Figure, indicator: Indicator) -> None:
    for brk in indicator.breaks:
        fig.add_vline(x=brk.year - 0.5, line_dash="dot", line_color="#555",
                      annotation_text="rupture de série", annotation_position="top left")


def _custom(indicator: Indicator, part: pd.DataFrame) -> list[list[str]]:
    """Period and the value in French (« 27 110 hab. »): Plotly's own formatting has no unit and no narrow space."""
    return [[str(p), value_text(indicator, float(v))] for p, v in zip(part["period"], part["value"], strict=True)]


def series_figure(indicator: Indicator, rows: pd.DataFrame) -> go.Figure:
    """The values themselves, one line per territory and method series."""
    fig = go.Figure()
    for i, (line, part) in enumerate(rows.groupby("line", sort=False)):
        fig.add_trace(go.Scatter(
            x=part["year"].tolist(), y=part["value"].tolist(), mode="lines+markers", name=str(line),
            line={"color": LINE_COLORS[i % len(LINE_COLORS)]}, customdata=_custom(indicator, part),
            hovertemplate="%{customdata[0]} : %{customdata[1]}<extra>" + str(line) + "</extra>",
        ))
    _breaks(fig, indicator)
    _layout(fig, f"{indicator.label} ({indicator.unit})", indicator.year_label, indicator.short_unit or indicator.unit)
    return fig


def base_text(indexed: board.Indexed) -> str:
    if indexed.base_year is not None:
        return f"base 100 en {indexed.base_year}"
    return "base 100 à la première année de chaque courbe"


def base100_figure(indicator: Indicator, indexed: board.Indexed) -> go.Figure:
    """Each line divided by its value of the base year: a commune and its département read on one scale."""
    fig = go.Figure()
    for i, (line, part) in enumerate(indexed.rows.groupby("line", sort=False)):
        name = str(line) if indexed.base_year is not None else f"{line} (base {int(part['base_year'].iloc[0])})"
        fig.add_trace(go.Scatter(
            x=part["year"].tolist(), y=part["index"].tolist(), mode="lines+markers", name=name,
            line={"color": LINE_COLORS[i % len(LINE_COLORS)]}, customdata=_custom(indicator, part),
            hovertemplate="%{customdata[0]} : indice %{y:,.1f} (%{customdata[1]})<extra>" + name + "</extra>",
        ))
    fig.add_hline(y=100, line_dash="dot", line_color="#777")
    _breaks(fig, indicator)
    base = base_text(indexed)
    _layout(fig, f"{indicator.label} — {base}", indicator.year_label, f"Indice ({base})")
    return fig


def values_table(indicator: Indicator, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per period, one column per line, values written in French with their unit."""
    table = rows.assign(text=[value_text(indicator, float(v)) for v in rows["value"]])
    wide = table.pivot_table(index=["year", "period"], columns="line", values="text", aggfunc="last", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(rows["line"]))).sort_index().fillna("–")
    wide.index = wide.index.get_level_values("period")
    wide.index.name = indicator.year_label
    wide.columns.name = None
    return wide


def missing_text(indicator: Indicator, territory: Territory, rows: pd.DataFrame) -> str:
    """Which expected lines have no value, in French (the chart then has fewer lines, and says so)."""
    expected = {territory.level} - {"departement"}
    if territory.level == "commune" and territory.epci_code and indicator.supports("epci"):
        expected.add("epci")
    if not indicator.supports(territory.level):
        return ("Indicateur disponible à l'échelle du département seulement : le graphique montre "
                f"{departement_label()}" + (" et la France." if indicator.compare_france else "."))
    missing = sorted(expected - set(rows["level"]), key=board.LINE_ORDER.get)
    if not missing:
        return ""
    names = {"epci": territory.epci_name, territory.level: territory.name}
    return (f"Pas de valeur pour {' ni pour '.join(names.get(m, m) for m in missing)} : "
            f"le graphique ne montre que {', '.join(dict.fromkeys(rows['line']))}.")


def render_series(indicator: Indicator, territory: Territory) -> None:
    rows = board.series_frame(indicator, territory)
    if rows.empty:
        st.info("Pas de série pour ce territoire.")
        return
    # Counts and amounts differ by orders of magnitude between a commune and its département: compare their
    # evolutions. Rates, means and distances are comparable as they are.
    default = "base100" if indicator.kind in ("count", "amount") and rows["line"].nunique() > 1 else "valeurs"
    scale = st.radio("Échelle du graphique", list(SCALES), format_func=SCALES.get, horizontal=True,
                     index=list(SCALES).index(default), key=f"indicators_scale_{indicator.id}")
    config = plotly_config(f"{indicator.id}-{territory.code}")
    if scale == "base100":
        indexed = board.base100(rows)
        st.plotly_chart(base100_figure(indicator, indexed), width="stretch", config=config,
                        key="indicators_series_chart")
        note(f"Base 100 : chaque courbe est divisée par sa valeur de {indexed.base_year or 'sa première année'}, puis "
             "multipliée par 100 ; 105 signifie +5 % depuis cette année-là. Les valeurs sont dans l'infobulle et le "
             "tableau ci-dessous.")
        if indexed.left_out:
            note(f"Sans valeur de base, donc absente(s) du graphique : {', '.join(indexed.left_out)}.")
    else:
        st.plotly_chart(series_figure(indicator, rows), width="stretch", config=config, key="indicators_series_chart")
    if text := missing_text(indicator, territory, rows):
        note(text)
    for brk in indicator.breaks:
        note(f"⚠️ Rupture de série en {brk.year} : {brk.text}")
    with st.expander("Valeurs du graphique (tableau)"):
        st.table(values_table(indicator, rows))
    note("Téléchargez le graphique en PNG avec l'icône d'appareil photo de sa barre d'outils.")
