"""The shape around a table in French statistical files: a second header row under the first (labels under
codes, or leaf labels under merged parent cells), and rows that are not data (blank, total and subtotal rows,
footnotes, repeated headers), each named so the loader can skip it and report its line."""

from __future__ import annotations

import functools
import re

# Total and subtotal labels of French tables: « Total », « TOTAL général », « Sous-total », « Ensemble »,
# « France entière / métropolitaine / de province (et DOM) », « DOM », and the fake code 99999 of a total row.
TOTAL_LABEL = re.compile(
    r"(sous[- ]?)?total(e|s|aux)?( g[ée]n[ée]ral)?( .*)?|ensemble|france( enti[eè]re| m[ée]tropolitaine| de province)"
    r"?( et dom.*| \(hors .*\))?|dom|total dom|drom|9{5}", re.IGNORECASE)
# How footnotes and disclaimers under a table start.
NOTE_START = re.compile(r"(sources?|notes?|nb|n\.b\.|champ|lecture|avertissement|mise à jour|remarques?|©|\*|\(\d)"
                        r"\s*[:.\-)]?", re.IGNORECASE)
_NUMERIC = re.compile(r"[-+]?[0-9][0-9 .,\u00a0\u202f]*%?")
_YEAR = re.compile(r"(1[89]|20)[0-9]{2}")
_CODE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
NOTE_MIN_CHARS = 40


def clean(cell: str | None) -> str:
    """A cell as a person reads it: BOMs (even inside quotes), NUL padding and outer spaces removed."""
    if not cell:
        return ""
    if "\ufeff" in cell or "\x00" in cell:  # rare: the common cell costs one strip (this runs on every sampled cell)
        cell = cell.replace("\ufeff", "").replace("\x00", "")
    return cell.strip()


@functools.lru_cache(maxsize=8)
def _cleaned(header: tuple[str, ...]) -> list[str]:
    return [clean(h) for h in header]


def is_label(cell: str) -> bool:
    """Header-like text: not a number, but a year heading (« 2010 ») counts as a label."""
    return not _NUMERIC.fullmatch(cell) or bool(_YEAR.fullmatch(cell))


def row_kind(cells: list[str], ncols: int, header: list[str] | None = None) -> str | None:
    """Why a record is not data, in French (« ligne vide », « total », « note », « en-tête répété »), or None."""
    cleaned = [clean(x) for x in cells]
    filled = [c for c in cleaned if c]
    if not filled:
        return "ligne vide"
    if header is not None and len(filled) > 1 and cleaned[:ncols] == _cleaned(tuple(header)):
        return "en-tête répété"
    # the row's label is its first filled cell among the first two (a code column may be empty on a total row);
    # in a tidy table the first cell is a year or a code, so « France métropolitaine » in `zone` stays data
    label = next((c for c in cleaned[:2] if c), "")
    if TOTAL_LABEL.fullmatch(label):
        return "total ou sous-total"
    if len(filled) == 1 and ncols > 1 and is_label(filled[0]) and (len(cells) < ncols or len(filled[0]) >= NOTE_MIN_CHARS
                                           or NOTE_START.match(filled[0])):
        return "note ou source"
    return None


def trailing_rows(records: list[tuple[int, list[str]]], ncols: int,
                  limit: int = 30) -> list[tuple[int, str, list[str]]]:
    """(line, why, record) of the non-data records closing a table: totals, footnotes, blank lines, from the end."""
    out: list[tuple[int, str, list[str]]] = []
    for line, rec in reversed(records[-limit:]):
        why = row_kind(rec, ncols)
        if why is None:
            break
        out.append((line, why, rec))
    return out[::-1]


def is_second_header(header: list[str], row: list[str], after: list[list[str]]) -> bool:
    """A second header row: all label cells, under a first row that leaves gaps for them (merged parents) or
    that it translates (variable codes `CODGEO LIBGEO` under labels, or labels under codes); the rows after it
    hold numbers or codes where it holds labels."""
    h = [clean(c) for c in header]
    r = [clean(c) for c in row]
    filled = [i for i, c in enumerate(r) if c]
    if not filled or not all(is_label(r[i]) for i in filled) or any(_YEAR.fullmatch(r[i]) for i in filled):
        return False
    if after and all(all(is_label(clean(c)) for c in rec if clean(c)) for rec in after[:5]):
        return False  # text everywhere below too: this row is data (a table of labels)
    gaps = any(i < len(h) and not h[i] for i in filled)
    # a translation row names every column the first row names, one to one
    named = [i for i, c in enumerate(h) if c]
    one_to_one = len(named) >= 2 and filled == named and r[: len(h)] != h
    codes = one_to_one and all(_CODE_NAME.fullmatch(r[i]) and len(r[i]) >= 2 for i in filled)
    codes_above = one_to_one and all(_CODE_NAME.fullmatch(h[i]) and len(h[i]) >= 2 for i in named)
    return gaps or codes or codes_above


def merge_headers(header: list[str], second: list[str]) -> list[str]:
    """Column names from two header rows: a parent label merged over several columns is repeated over them and
    joined to each leaf (« Ensemble 0 à 19 ans »); where the first row is full (labels over codes) it is kept."""
    h = [clean(c) for c in header]
    r = [clean(c) for c in second] + [""] * max(0, len(h) - len(second))
    if all(h[i] for i in range(len(h)) if r[i]):
        return h  # no gap for the second row: it translates the first (codes under labels), the first is kept
    out: list[str] = []
    parent = ""
    for i, top in enumerate(h):
        if top:
            parent = top
        leaf = r[i] if i < len(r) else ""
        if leaf and (top or parent):
            out.append(f"{top or parent} {leaf}")
        else:
            out.append(top or leaf)
    return out
