"""Indicator cards, series and ranking charts: the drawing half of the board (data comes from `indicators.board`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st

from config import get_settings
from exports.board_pdf import Board as PdfBoard
from exports.board_pdf import Figure as PdfFigure
from exports.board_pdf import Section as PdfSection
from exports.board_pdf import board_pdf as pdf_bytes
from exports.results import csv_bytes
from indicators import Indicator, board, top_level
from indicators.board import Card, Point
from indicators.data import departement_label, departement_of
from indicators.territory import Territory
from indicators.trend import Trend, trend
from ui import charts
from ui import format as fmt

DATASET_PAGE = "pages/dataset.py"
# A chart's title under Plotly's toolbar, not beside it: on a 390 px wide phone the two overlapped.
TITLE = {"font": {"size": 14}, "x": 0, "xanchor": "left", "xref": "paper", "y": 1, "yref": "container",
         "yanchor": "top", "pad": {"t": 40}}
# Axis ticks as French numbers (« 5 000 », « 0,5 ») rather than Plotly's SI « 5k », which is English.
AXIS_NUMBERS = ",~f"
PER_LEVEL = {"commune": "commune", "epci": "intercommunalité", "departement": "département"}
# Plotly's own « Download plot as png » runs in the browser (no kaleido, works offline): keep it in the toolbar.


def note(text: str) -> None:
    """Secondary text in small type but the normal text colour: st.caption's grey fails WCAG contrast (3.9:1)."""
    st.markdown(":small[" + text.replace("[", "(").replace("]", ")") + "]")


def plotly_config(filename: str) -> dict[str, object]:
    """The portal's French Plotly config (ui.charts: fr locale, no CDN), the toolbar always shown for its PNG export."""
    return charts.plotly_config(
        filename, displayModeBar=True, modeBarButtonsToRemove=["lasso2d", "select2d"],
        toImageButtonOptions={"format": "png", "filename": filename, "scale": 2, "height": 500, "width": 900})


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


def departemental_label() -> str:
    """« Donnée départementale (Dordogne) »: on every card whose figure is the département's, not the territory's
    (« Dordogne (département) » on an EPCI's portal, where the bare name could be taken for the territory)."""
    label = departement_label()
    return f"Donnée départementale ({label})" if top_level() == "departement" else f"Donnée départementale : {label}"


def no_value_text(card: Card) -> str:
    if card.missing:  # the source published the commune but withheld its value
        return f"Valeur non diffusée pour {card.territory.name} par la source : {card.missing}."
    return (f"Pas de valeur pour {card.territory.name} dans la source (par exemple : aucun établissement concerné, "
            "ou commune absente du fichier).")


def comparison_points(card: Card) -> list[tuple[str, Point]]:
    """The other territories a card compares with, nearest first: the commune's EPCI, the département, France."""
    found: list[tuple[str, Point]] = []
    if card.epci is not None and card.territory.epci_name:
        found.append((card.territory.epci_name, card.epci))
    if card.departement is not None and card.territory.level != "departement" and not card.departemental:
        found.append((departement_label(), card.departement))
    if card.france is not None:
        found.append((card.indicator.france_label, card.france))
    return found


def comparison_texts(card: Card) -> list[str]:
    """« CA Bergerac : 33,1 % (2023) »; a comparison computed from another series than the card's own figure names
    it (« 2022, estimations au 1er janvier »), so figures of different sources are never read as like for like."""
    ind, own = card.indicator, card.latest.series if card.latest is not None else None
    texts = []
    for name, pt in comparison_points(card):
        text = point_text(ind, pt)
        if own is not None and pt.series != own:
            text = f"{text[:-1]}, {pt.series})"
        texts.append(f"{name} : {text}")
    return texts


def render_card(card: Card) -> None:
    ind = card.indicator
    with st.container(border=True):
        if card.departemental:
            note(f"**{departemental_label()}**")
        if card.error:
            st.metric(ind.label, "–", help=" ".join(ind.method.split()))
            # The engine's own message (English, technical) folded away, not in the reader's face.
            note("Données indisponibles : le calcul de cet indicateur a échoué. Réessayez plus tard.")
            with st.expander("Détail technique"):
                note(card.error)
            source_links(card, ind.id)
            return
        if card.latest is None:
            st.metric(ind.label, "–", help=" ".join(ind.method.split()))
            note(no_value_text(card))
        elif card.departemental:
            st.metric(ind.label, value_text(ind, card.latest.value), **change_metric_args(card),
                      help=" ".join(ind.method.split()))
            note(f"Pas de donnée par {PER_LEVEL[card.territory.level]} : valeur {departement_of()}, "
                 f"{ind.year_label.lower()} {card.latest.period}.")
        else:
            st.metric(ind.label, value_text(ind, card.latest.value), **change_metric_args(card),
                      help=" ".join(ind.method.split()))
            note(f"{ind.unit} · {ind.year_label} {card.latest.period}")
        if words := change_words(card):
            note(words)
        if comparisons := comparison_texts(card):
            note("Comparaison — " + " · ".join(comparisons))
        if card.break_warning:
            st.warning(card.break_warning, icon=":material/warning:")
        source_links(card, ind.id)
        with st.expander("Méthode"):
            st.markdown(" ".join(ind.method.split()))
            for remark in ind.notes:
                st.markdown(f"- {remark}")


def _grid(cards: list[Card], columns: int, heading: Callable[[str], None]) -> None:
    themes: dict[str, list[Card]] = {}
    for card in cards:
        themes.setdefault(card.indicator.theme, []).append(card)
    for theme, group in themes.items():
        heading(theme)
        for start in range(0, len(group), columns):
            cols = st.columns(columns)
            for col, card in zip(cols, group[start:start + columns], strict=False):
                with col:
                    render_card(card)


def render_cards(cards: list[Card], columns: int = 3) -> None:
    """The territory's own figures grouped by theme, in the registry's order; then, apart and folded, the
    département's figures of indicators that have no value at this level (never mixed with the territory's)."""
    own = [card for card in cards if card.available]
    context = [card for card in cards if card.departemental]
    _grid(own, columns, st.subheader)
    if finer := [card.indicator.label for card in cards if card.finer_only]:
        note(f"Publiés seulement à une échelle plus fine (voir le tableau de bord d'une commune ou la carte) : "
             f"{', '.join(finer)}.")
    if not context:
        return
    st.subheader("Contexte départemental")
    note(f"Ces indicateurs n'existent qu'à l'échelle du département : les chiffres ci-dessous sont ceux "
         f"{departement_of()}, pas ceux de {cards[0].territory.name}. Ils sont donnés pour situer le territoire.")
    with st.expander(f"{departemental_label()} : {len(context)} indicateurs", expanded=False):
        _grid(context, columns, lambda theme: st.markdown(f"**{theme}**"))


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
        separators=charts.SEPARATORS, height=max(300, 24 * len(shown) + 110),
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        title=TITLE | {"text": f"{indicator.label} — {period} ({indicator.unit})"},
        yaxis={"autorange": "reversed"}, xaxis={"title": indicator.short_unit or indicator.unit, "tickformat": AXIS_NUMBERS},
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


def export_csv(territory: Territory) -> bytes:
    """The board's data as the site's French CSV (« ; », decimal commas, BOM): the writer of every in-memory CSV."""
    return csv_bytes(pa.Table.from_pandas(board.export_frame(territory), preserve_index=False))


def _pdf_figure(card: Card) -> PdfFigure:
    ind = card.indicator
    if card.error:
        value, period, details = "–", "", ["Données indisponibles : le calcul de cet indicateur a échoué."]
    elif card.latest is None:
        value, period, details = "–", "", [no_value_text(card)]
    else:
        value, period = value_text(ind, card.latest.value), f"{ind.year_label} {card.latest.period}"
        details = [f"Évolution : {text}" for text in [change_text(card)] if text]
    details += comparison_texts(card)
    if card.break_warning:
        details.append("Rupture de série : évolution non enchaînée.")
    return PdfFigure(label=f"{ind.label} — {ind.unit}", value=value, period=period, detail=" · ".join(details),
                     sources=tuple(f"{s['title']} (jeu « {s['id']} ») — licence : {s['licence']}" for s in card.sources))


def board_pdf(territory: Territory, url: str) -> bytes:
    """The board on one A4 page, every card's figure with its unit, period, comparisons, source and licence."""
    settings = get_settings()
    cards = board.build_cards(territory)
    own = tuple(_pdf_figure(c) for c in cards if c.available)
    context = tuple(_pdf_figure(c) for c in cards if c.departemental)
    sections = (PdfSection(f"Chiffres de {territory.name}", own),
                PdfSection(f"Contexte départemental — {departemental_label()}", context,
                           note=f"Indicateurs sans donnée à l'échelle de {territory.name} : valeurs "
                                f"{departement_of()}, données pour situer le territoire."))
    generated = fmt.datetime_long(dt.datetime.now(dt.UTC).isoformat(timespec="minutes"))
    return pdf_bytes(PdfBoard(title=f"Tableau de bord — {territory.name}", territory=territory_heading(territory),
                              generated=generated, url=url, sections=sections, portal=settings.portal_name))
