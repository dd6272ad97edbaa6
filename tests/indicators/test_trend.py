"""A card's change: the arrow follows the sign, the colour and the words say whether that rise or fall is good news."""

from __future__ import annotations

import dataclasses

import pytest

import indicators
from indicators.board import Card, Point
from indicators.territory import Territory
from indicators.trend import trend
from ui.indicator_cards import change_metric_args, change_words

NNBSP = "\u202f"

CASES = [
    # change, higher_is → direction, arrow, colour, wording
    (0.32, "better", "up", "up", "green", "en hausse, favorable"),
    (0.32, "worse", "up", "up", "red", "en hausse, défavorable"),
    (0.32, "neutral", "up", "up", "gray", "en hausse"),
    (-0.32, "better", "down", "down", "red", "en baisse, défavorable"),
    (-0.32, "worse", "down", "down", "green", "en baisse, favorable"),
    (-0.32, "neutral", "down", "down", "gray", "en baisse"),
    (0.0, "better", "flat", "off", "gray", "stable"),
    (0.0, "worse", "flat", "off", "gray", "stable"),
    (0.0, "neutral", "flat", "off", "gray", "stable"),
]


@pytest.mark.parametrize(("change", "higher_is", "direction", "arrow", "color", "wording"), CASES)
def test_every_direction_and_judgement(change: float, higher_is: str, direction: str, arrow: str, color: str,
                                       wording: str) -> None:
    shown = trend(change, 2, higher_is)
    assert (shown.direction, shown.arrow, shown.color, shown.wording) == (direction, arrow, color, wording)


def test_a_change_that_rounds_to_zero_is_flat() -> None:
    assert trend(0.04, 1, "better").direction == "flat"
    assert trend(-0.06, 1, "better").direction == "down"


@pytest.mark.parametrize(("change", "higher_is", "text", "arrow", "color", "words"), [
    (-0.32, "worse", "−0,3 pt depuis 2022", "down", "green", "Évolution depuis 2022 : en baisse, favorable."),
    (-0.32, "better", "−0,3 pt depuis 2022", "down", "red", "Évolution depuis 2022 : en baisse, défavorable."),
    (0.32, "neutral", "+0,3 pt depuis 2022", "up", "gray", "Évolution depuis 2022 : en hausse."),
    (0.01, "better", "±0,0 pt depuis 2022", "off", "gray", "Évolution depuis 2022 : stable."),
])
def test_card_delta_sign_arrow_colour_and_words_agree(change: float, higher_is: str, text: str, arrow: str,
                                                      color: str, words: str) -> None:
    """The issue's « ↑ −0,32 pt »: a negative change in points now gets the down arrow and says so."""
    ind = dataclasses.replace(indicators.get("part-60-ans-et-plus"), higher_is=higher_is)
    card = Card(indicator=ind, territory=Territory("departement", "24", "Dordogne"), available=True,
                latest=Point(38.5, 2023, "2023", ""), previous=Point(38.5 - change, 2022, "2022", ""), change=change)
    args = change_metric_args(card)
    assert (args["delta"].replace(NNBSP, " "), args["delta_arrow"], args["delta_color"]) == (text, arrow, color)
    assert change_words(card) == words
    assert change_words(dataclasses.replace(card, previous=None, change=None)) is None


def test_definitions_say_whether_up_is_good() -> None:
    assert indicators.get("dnb-reussite").higher_is == "better"
    assert indicators.get("sante-distance").higher_is == "worse"
    assert indicators.get("population").higher_is == "neutral"
    good = {"label": "x", "theme": "t", "unit": "u", "sql": "indicator_population", "sources": ["population"],
            "levels": ["commune"], "method": "m", "year_label": "Année"}
    assert indicators.parse_definition("ok", good, "ok.toml").higher_is == "neutral"
    with pytest.raises(indicators.DefinitionError, match="higher_is"):
        indicators.parse_definition("bad", {**good, "higher_is": "up"}, "bad.toml")
