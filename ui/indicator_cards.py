"""Indicator cards, series and ranking charts: the drawing half of the board (data comes from `indicators.board`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from indicators import LEVEL_LABELS, Indicator
from indicators.board import Card, Point
from indicators.data import departement_label, departement_of
from indicators.territory import Territory
from indicators.trend import Trend, trend
from ui import format as fmt

DATASET_PAGE = "pages/dataset.py"
# Plotly's own « Download plot as png » runs in the browser (no kaleido, works offline): keep it in the toolbar.
LINE_COLORS = ["#1f5f8b", "#c0392b", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f"]


def note(text: str) -> None:
    """Secondary text in small type but the normal text colour: st.caption's grey fails WCAG contrast (3.9:1)."""
    st.markdown(":small[" + text.replace("[", "(").replace("]", ")") + "]")


def plotly_config(filename: str) -> dict[str, object]:
    return {
        "displaylogo": False,
        "displayModeBar": True,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2, "height": 500, "width": 900},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        "locale": "fr",
    }


def value_text(indicator: Indicator, value: float | None) -> str:
    if value is None:
        return "–"
    unit = indicator.short_unit if indicator.short_unit is not None else indicator.unit
    return f"{fmt.number(value, indicator.decimals)}{fmt.NNBSP + unit if unit else ''}".strip()


def point_text(indicator: Indicator, point: Point | None) -> str:
    return "–" if point is None else f"{value_text(indicator, point.value)} ({point.period})"


def change_text(card: Card) -> str | None:
    """« +1 289 hab. (+0,3 %) depuis 2022 »; rates change in points, not in percent of percent."""
    if card.change is None or card.previous is None:
        return None
    ind = card.indicator
    sign = {"up": "+", "down": "−", "flat": "±"}[card_trend(card).direction]
    unit = "pt" if ind.short_unit in ("%", "%/an") else ind.short_unit
    text = f"{sign}{fmt.number(abs(card.change), ind.decimals)}{fmt.NNBSP + unit if unit else ''}"
    if card.change_pct is not None:
        text += f" ({fmt.percent(card.change_pct, 1, signed=True)})"
    return f"{text} depuis {card.previous.period}"


def card_trend(card: Card) -> Trend:
    """Arrow, colour and words of the card's change (no change = flat and grey)."""
    return trend(card.change or 0.0, card.indicator.decimals, card.indicator.higher_is)


def change_metric_args(card: Card) -> dict[str, str | None]:
    """st.metric's delta, arrow and colour, set explicitly: Streamlit's own guess reads « −0,32 » (true minus sign)
    as a rise and knows nothing of whether a rise is good."""
    shown = card_trend(card)
    return {"delta": change_text(card), "delta_arrow": shown.arrow, "delta_color": shown.color}


def change_words(card: Card) -> str | None:
    """The change in words, on its own line: the metric's delta line is cut to the card's width (« depuis 2022 : … »)
    and its arrow and colour say nothing to a screen reader or a colour-blind reader."""
    if card.change is None or card.previous is None:
        return None
    return f"Évolution depuis {card.previous.period} : {card_trend(card).wording}."


def source_links(card: Card, key_prefix: str) -> None:
    for info in card.sources:
        st.page_link(DATASET_PAGE, label=f"Source : {info['title']}", query_params={"id": info["id"]}, icon=":material/description:")
    licences = sorted({info["licence"] for info in card.sources})
    note("Licence : " + " ; ".join(licences))


def render_card(card: Card) -> None:
    ind = card.indicator
    with st.container(border=True):
        if card.error:
            st.metric(ind.label, "–", help=" ".join(ind.method.split()))
            note(f"Données indisponibles : {card.error}")
            source_links(card, ind.id)
            return
        if card.latest is None:
            st.metric(ind.label, "–", help=" ".join(ind.method.split()))
            note(f"Pas de valeur pour {card.territory.name} (par exemple : aucun établissement concerné).")
        elif not card.available:
            st.metric(f"{ind.label} — {departement_label()}", value_text(ind, card.latest.value),
                      **change_metric_args(card), help=" ".join(ind.method.split()))
            note(f"Indicateur disponible à l'échelle du département seulement (pas de donnée par "
                 f"{LEVEL_LABELS[card.territory.level].lower()}) : valeur {departement_of()}, "
                 f"{ind.year_label.lower()} {card.latest.period}.")
        else:
            st.metric(ind.label, value_text(ind, card.latest.value), **change_metric_args(card),
                      help=" ".join(ind.method.split()))
            note(f"{ind.unit} · {ind.year_label} {card.latest.period}")
        if words := change_words(card):
            note(words)
        comparisons = []
        if card.departement is not None and card.territory.level != "departement" and card.available:
            comparisons.append(f"{departement_label()} : {point_text(ind, card.departement)}")
        if card.france is not None:
            comparisons.append(f"{ind.france_label} : {point_text(ind, card.france)}")
        if comparisons:
            note("Comparaison — " + " · ".join(comparisons))
        if card.break_warning:
            st.warning(card.break_warning, icon=":material/warning:")
        source_links(card, ind.id)
        with st.expander("Méthode"):
            st.markdown(" ".join(ind.method.split()))
            for remark in ind.notes:
                st.markdown(f"- {remark}")


def render_cards(cards: list[Card], columns: int = 3) -> None:
    """Cards grouped by theme, in the registry's order."""
    themes: dict[str, list[Card]] = {}
    for card in cards:
        themes.setdefault(card.indicator.theme, []).append(card)
    for theme, group in themes.items():
        st.subheader(theme)
        for start in range(0, len(group), columns):
            cols = st.columns(columns)
            for col, card in zip(cols, group[start:start + columns], strict=False):
                with col:
                    render_card(card)


def series_figure(indicator: Indicator, rows: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for i, (line, part) in enumerate(rows.groupby("line", sort=False)):
        fig.add_trace(go.Scatter(
            x=part["year"], y=part["value"], mode="lines+markers", name=str(line),
            line={"color": LINE_COLORS[i % len(LINE_COLORS)]}, customdata=part[["period"]].to_numpy(),
            hovertemplate="%{customdata[0]} : %{y:,." + str(indicator.decimals) + "f}<extra>" + str(line) + "</extra>",
        ))
    for brk in indicator.breaks:
        fig.add_vline(x=brk.year - 0.5, line_dash="dot", line_color="#555",
                      annotation_text="rupture de série", annotation_position="top left")
    fig.update_layout(
        separators=",\u202f", height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": f"{indicator.label} ({indicator.unit})", "font": {"size": 15}},
        legend={"orientation": "h", "y": -0.2}, xaxis={"title": indicator.year_label, "tickformat": "d"},
        yaxis={"title": indicator.short_unit or indicator.unit},
    )
    return fig


def ranking_figure(indicator: Indicator, ranked: pd.DataFrame, highlight: str, top: int = 20) -> go.Figure:
    shown = ranked.head(top)
    if highlight and highlight not in set(shown["code"]) and highlight in set(ranked["code"]):
        shown = pd.concat([shown, ranked[ranked["code"] == highlight]])
    colors = ["#c0392b" if code == highlight else "#1f5f8b" for code in shown["code"]]
    labels = [f"{r.rank}. {r.name}" for r in shown.itertuples()]
    fig = go.Figure(go.Bar(x=shown["value"], y=labels, orientation="h", marker_color=colors,
                           hovertemplate="%{y} : %{x:,." + str(indicator.decimals) + "f}<extra></extra>"))
    period = str(shown["period"].iloc[0]) if not shown.empty else ""
    fig.update_layout(
        separators=",\u202f", height=max(300, 24 * len(shown) + 80), margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": f"{indicator.label} — {period} ({indicator.unit})", "font": {"size": 15}},
        yaxis={"autorange": "reversed"}, xaxis={"title": indicator.short_unit or indicator.unit},
    )
    return fig


def share_link(url: str) -> None:
    """A real link, and the address in a field to copy: st.code's copy button would say « Copy to clipboard »."""
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    with left:
        st.link_button("Lien de ce tableau de bord", url, icon=":material/link:")
    with right:
        key = f"indicators_share_{url}"
        # Read-only in effect: an edit is put back at once, so the field always holds the board's address.
        st.text_input("Lien à copier", value=url, key=key, on_change=lambda: st.session_state.update({key: url}),
                      help="Sélectionnez le lien (Ctrl+A dans le champ) puis copiez-le (Ctrl+C) : il rouvre ce "
                           "tableau de bord sur le même territoire et le même indicateur.")


def territory_heading(territory: Territory) -> str:
    if territory.level == "commune":
        epci = f" · {territory.epci_name}" if territory.epci_name else ""
        return f"{territory.name} (commune {territory.code}{epci})"
    if territory.level == "epci":
        return f"{territory.name} (EPCI {territory.code})"
    return f"{territory.name} (département {territory.code})"
