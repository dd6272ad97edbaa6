"""French ways of writing numbers and dates, shared by the pages, the indicators and the feeds (the layers below the
UI cannot import it, so the rules live here, once)."""

from __future__ import annotations

import datetime as dt
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
    if v != v:  # NaN
        return "–"
    text = f"{v:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


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
