"""Direction and meaning of a card's change: the arrow follows the sign, the colour says whether that is good news."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trend:
    """How to show a change: Streamlit's metric arrow and colour, and the same meaning in words (colour is not enough)."""

    direction: str  # "up" | "down" | "flat"
    arrow: str  # st.metric delta_arrow: "up" | "down" | "off"
    color: str  # st.metric delta_color: "green" (good news) | "red" (bad news) | "gray" (neither)
    wording: str  # « en hausse, favorable », « en baisse », « stable »…


def trend(change: float, decimals: int, higher_is: str) -> Trend:
    """A change that rounds to zero at the shown precision is flat: « ↑ +0,0 » would contradict its own text."""
    shown = round(change, decimals)
    if shown == 0:
        return Trend("flat", "off", "gray", "stable")
    direction = "up" if shown > 0 else "down"
    word = "en hausse" if direction == "up" else "en baisse"
    if higher_is == "neutral":
        return Trend(direction, direction, "gray", word)
    good = (direction == "up") == (higher_is == "better")
    return Trend(direction, direction, "green" if good else "red", f"{word}, {'favorable' if good else 'défavorable'}")
