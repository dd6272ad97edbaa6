"""French number and date formatting for display (the shared rules are in catalogue/french.py)."""

from __future__ import annotations

import math
from typing import Any

from catalogue.french import NNBSP, date_long, datetime_long, number  # noqa: F401 - re-exported for ui


def percent(value: Any, decimals: int = 1, signed: bool = False) -> str:
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(v):
        return "–"
    sign = "+" if signed and v > 0 else ""
    return f"{sign}{number(v, decimals)}{NNBSP}%"


def date_fr(value: Any) -> str:
    """ISO date or datetime text → « 27/11/2026 »; anything else unchanged."""
    text = str(value or "")
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text or "–"
