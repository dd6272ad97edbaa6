"""Missing-value markers of French statistical files, read as empty values in otherwise numeric columns."""

from __future__ import annotations

import re

from loaders.detect.column_types import COMPACT_DATE, EXCEL_SERIAL, TEXT, TypeGuess, guess_column_type, matches_all

# Markers of a missing, confidential or meaningless value in French statistical files (INSEE « s » secret
# statistique, « secret », DREES « ND »/« ns », « NC » non communiqué, « NR » non renseigné, « - » néant, and
# Excel's error values of a formula exported as is). In a column whose other values are all
# numbers they are read as empty values, and the load warns with the count of each (see
# typed_copy.marker_warnings); anywhere else they are ordinary text. Exact, case-sensitive matches after
# trimming; the user option `types = {col = "text"}` keeps the original text.
NA_MARKERS: tuple[str, ...] = ("ND", "nd", "N.D.", "n.d.", "NC", "nc", "N.C.", "n.c.", "NS", "ns", "n.s.", "s", "-",
                               "secret", "Secret", "SECRET", "NR", "nr", "n.r.", "NA", "N/A", "n/a", "#N/A", "#DIV/0!",
                               "#VALEUR!", "#VALUE!", "–")
_NA_SET = frozenset(NA_MARKERS)


def guess_with_markers(values: list[str], decimal: str = ".") -> tuple[TypeGuess, bool]:
    """`guess_column_type`, except that a numeric column holding a few NA markers stays numeric (flag True)."""
    guess = guess_column_type(values, decimal)
    if guess.type != "text":
        return guess, False
    stripped = [s for v in values if v is not None and (s := v.strip())]
    numbers = [v for v in stripped if v not in _NA_SET]
    if not numbers or len(numbers) == len(stripped):
        return guess, False
    guess = guess_column_type(numbers, decimal)
    return (guess, True) if guess.type in ("integer", "number") else (TEXT, False)


DATE_NAME_TOKENS = frozenset({"date", "dat", "jour", "day", "dt"})


def date_by_name(name: str, guess: TypeGuess, values: list[str]) -> TypeGuess:
    """An integer column of yyyymmdd values or Excel serial day numbers (NA markers aside) whose name says « date »
    is a date column."""
    tokens = set(re.split(r"[^a-z0-9]+", name.lower()))
    if guess.type != "integer" or guess.thousands or not tokens & DATE_NAME_TOKENS:
        return guess
    stripped = [s for v in values if v is not None and (s := v.strip()) and s not in _NA_SET]
    for fmt in (COMPACT_DATE[0], EXCEL_SERIAL[0]):
        cand = TypeGuess("date", fmt=fmt)
        if stripped and matches_all(cand, stripped):
            return cand
    return guess
