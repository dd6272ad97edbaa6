"""French number and date formatting for display."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

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


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
          "décembre")
# Times are shown on the wall clock of metropolitan France, where the portal's visitors are (stored times are UTC).
DISPLAY_ZONE = ZoneInfo("Europe/Paris")


def _parse_iso(value: Any) -> dt.date | dt.datetime | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    text = str(value or "").strip()
    try:
        return dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
    except ValueError:
        return None


def date_long(value: Any) -> str:
    """ISO date or datetime → « 7 décembre 2026 » (« 1er » for the first of the month); anything else unchanged."""
    parsed = _parse_iso(value)
    if parsed is None:
        return str(value or "") or "–"
    if isinstance(parsed, dt.datetime) and parsed.tzinfo is not None:
        parsed = parsed.astimezone(DISPLAY_ZONE)
    day = "1er" if parsed.day == 1 else str(parsed.day)
    return f"{day} {MONTHS[parsed.month - 1]} {parsed.year}"


def datetime_long(value: Any) -> str:
    """ISO datetime → « 7 décembre 2026 à 15 h 40 » in French time (a time with an offset is converted; one without
    is taken as written); a plain date → « 7 décembre 2026 »; anything else unchanged."""
    parsed = _parse_iso(value)
    if not isinstance(parsed, dt.datetime):
        return date_long(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(DISPLAY_ZONE)
    return f"{date_long(parsed)} à {parsed.hour} h {parsed.minute:02d}"
