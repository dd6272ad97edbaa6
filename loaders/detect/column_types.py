"""Column types (integer, number, date, boolean...) guessed from sample values, and the text patterns of each."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

SPACE_CLASS = "[ \u00a0\u202f]"
_THOUSANDS = {"space": SPACE_CLASS, ".": r"\.", ",": ","}
BOOL_TRUE = frozenset({"true", "vrai", "oui"})
BOOL_FALSE = frozenset({"false", "faux", "non"})
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%d/%m/%Y", r"(0?[1-9]|[12][0-9]|3[01])/(0?[1-9]|1[0-2])/[0-9]{4}"),
    ("%Y-%m-%d", r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    ("%d-%m-%Y", r"(0?[1-9]|[12][0-9]|3[01])-(0?[1-9]|1[0-2])-[0-9]{4}"),
    ("%d.%m.%Y", r"(0?[1-9]|[12][0-9]|3[01])\.(0?[1-9]|1[0-2])\.[0-9]{4}"),
    ("%Y/%m/%d", r"[0-9]{4}/[0-9]{2}/[0-9]{2}"),
)
ISO_DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
DATETIME_FORMATS: tuple[tuple[str, str], ...] = (
    ("iso", ISO_DATETIME),
    ("%d/%m/%Y %H:%M:%S", r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2}"),
    ("%d/%m/%Y %H:%M", r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}"),
)


def int_regex(thousands: str | None) -> str:
    """Integers without leading zeros (a leading zero means a code), at most 18 digits so they fit BIGINT."""
    if thousands is None:
        return "-?(0|[1-9][0-9]{0,17})"
    sep = _THOUSANDS[thousands]
    return f"-?(0|[1-9][0-9]{{0,17}}|[1-9][0-9]{{0,2}}({sep}[0-9]{{3}}){{1,5}})"


def number_regex(decimal: str, thousands: str | None) -> str:
    """Decimal numbers; the integer part follows the same no-leading-zero rule as integers."""
    dec = re.escape(decimal)
    int_part = "0|[1-9][0-9]*"
    if thousands is not None:
        int_part += f"|[1-9][0-9]{{0,2}}({_THOUSANDS[thousands]}[0-9]{{3}})+"
    return f"-?({int_part})({dec}[0-9]+)?([eE][-+]?[0-9]{{1,3}})?"


@dataclass(frozen=True)
class TypeGuess:
    """The type of a column and how to parse its text values."""

    type: str
    decimal: str = "."
    thousands: str | None = None
    fmt: str | None = None

    def regex(self) -> str | None:
        if self.type == "integer":
            return int_regex(self.thousands)
        if self.type == "number":
            return number_regex(self.decimal, self.thousands)
        if self.type == "date":
            return dict(DATE_FORMATS)[self.fmt or "%Y-%m-%d"]
        if self.type == "datetime":
            return dict(DATETIME_FORMATS)[self.fmt or "iso"]
        return None


TEXT = TypeGuess("text")


def type_candidates(decimal: str) -> list[TypeGuess]:
    """Every typed reading of a column, most specific first; the file's decimal separator is preferred."""
    other = "." if decimal == "," else ","
    cands = [TypeGuess("boolean")]
    cands += [TypeGuess("integer", decimal, ts) for ts in (None, "space", other)]
    for dec in (decimal, other):
        cands += [TypeGuess("number", dec, ts) for ts in (None, "space", "." if dec == "," else ",")]
    cands += [TypeGuess("date", fmt=f) for f, _ in DATE_FORMATS]
    cands += [TypeGuess("datetime", fmt=f) for f, _ in DATETIME_FORMATS]
    return cands


def _python_ok(guess: TypeGuess, values: list[str], compiled: re.Pattern[str] | None) -> bool:
    if guess.type == "boolean":
        return all(v.lower() in BOOL_TRUE or v.lower() in BOOL_FALSE for v in values)
    assert compiled is not None
    if not all(compiled.fullmatch(v) for v in values):
        return False
    if guess.type in ("date", "datetime") and guess.fmt != "iso":
        try:
            for v in values:
                datetime.strptime(v, guess.fmt or "")
        except ValueError:
            return False
    return True


def guess_column_type(values: list[str], decimal: str = ".") -> TypeGuess:
    """The most specific type matching every (trimmed, non-empty) sample value; text if none or no values."""
    # distinct values only: samples repeat a lot (years, dates, categories) and each candidate tests them all
    values = list(dict.fromkeys(s for v in values if v is not None and (s := v.strip()) != ""))
    if not values:
        return TEXT
    for cand in type_candidates(decimal):
        rx = cand.regex()
        if _python_ok(cand, values, _compiled(rx) if rx else None):
            return cand
    return TEXT


@functools.cache
def _compiled(rx: str) -> re.Pattern[str]:
    return re.compile(rx)
