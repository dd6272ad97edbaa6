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
# French month and year (« janv-15 », « févr. 2015 », « mars 2020 »): the first day of the month. Not a strptime
# format (month names are French): parsed by `french_month` here and by `french_month_sql` in the typed COPY.
FR_MONTH = "fr-month"
FR_MONTH_RX = (r"(?i)(janv(ier)?|jan|f[ée]v(r(ier)?)?|mars?|avr(il)?|mai|juin|juil(let)?|ao[uû]t?|sept?(embre)?|"
               r"oct(obre)?|nov(embre)?|d[ée]c(embre)?)\.?[-/ ]?([0-9]{2}|[0-9]{4})")
MONTH_KEYS = ("jan", "fev", "mar", "avr", "mai", "juin", "juil", "aou", "sep", "oct", "nov", "dec")
# yyyymmdd dates look like integers: read as dates only in a column whose name says so (markers.date_by_name)
COMPACT_DATE = ("%Y%m%d", r"(1[89]|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])")
# Excel serial day numbers (a date cell that lost its format: 45292 = 2024-01-01), 1954-2173, same name rule
EXCEL_SERIAL = ("excel-serial", r"[2-9][0-9]{4}")
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


PERCENT_SUFFIX = f"{SPACE_CLASS}?%"


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
    percent: bool = False  # « 12,5 % »: the number as written, the sign dropped

    def regex(self) -> str | None:
        if self.type == "integer":
            return int_regex(self.thousands)
        if self.type == "number":
            return number_regex(self.decimal, self.thousands) + (PERCENT_SUFFIX if self.percent else "")
        if self.type == "date":
            return dict((*DATE_FORMATS, COMPACT_DATE, EXCEL_SERIAL, (FR_MONTH, FR_MONTH_RX)))[self.fmt or "%Y-%m-%d"]
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
    cands += [TypeGuess("number", dec, ts, percent=True) for dec in (decimal, other) for ts in (None, "space")]
    cands += [TypeGuess("date", fmt=f) for f, _ in DATE_FORMATS] + [TypeGuess("date", fmt=FR_MONTH)]
    cands += [TypeGuess("datetime", fmt=f) for f, _ in DATETIME_FORMATS]
    return cands


def _python_ok(guess: TypeGuess, values: list[str], compiled: re.Pattern[str] | None) -> bool:
    if guess.type == "boolean":
        return all(v.lower() in BOOL_TRUE or v.lower() in BOOL_FALSE for v in values)
    assert compiled is not None
    if not all(compiled.fullmatch(v) for v in values):
        return False
    if guess.fmt == FR_MONTH:
        return all(french_month(v) is not None for v in values)
    if guess.fmt == EXCEL_SERIAL[0]:
        return all(compiled.fullmatch(v) for v in values)
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


def matches_all(guess: TypeGuess, values: list[str]) -> bool:
    """Every (trimmed, non-empty) value is a valid `guess` value."""
    rx = guess.regex()
    return _python_ok(guess, values, _compiled(rx) if rx else None)


@functools.cache
def _compiled(rx: str) -> re.Pattern[str]:
    return re.compile(rx)


def _month_key(word: str) -> str:
    folded = word.lower().replace("é", "e").replace("û", "u").rstrip(".")
    return folded[:4] if folded.startswith("jui") else folded[:3]


def french_month(value: str) -> tuple[int, int] | None:
    """(year, month) of « janv-15 », « févr. 2015 », « décembre 2020 »; two-digit years as strptime's %y."""
    m = _compiled(FR_MONTH_RX).fullmatch(value)
    if not m:
        return None
    key = _month_key(m.group(1))
    if key not in MONTH_KEYS:
        return None
    year = int(m.group(m.lastindex or 0))
    if year < 100:
        year += 2000 if year < 69 else 1900
    return year, MONTH_KEYS.index(key) + 1
