"""French number and date formatting for display."""

from __future__ import annotations

import math
from typing import Any

NNBSP = "\u202f"  # narrow no-break space: the French thousands separator


def number(value: Any, decimals: int = 0) -> str:
    """1234567.8 → « 1 234 568 » (French grouping, comma decimals); None/NaN → « – »."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    text = f"{v:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


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
