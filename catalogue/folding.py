"""Accent and case folding, the one rule every search uses: `fold()` in Python and `fold_sql()` in DuckDB."""

from __future__ import annotations

import unicodedata

# Letters Unicode does not decompose into a base letter + accent (NFKD leaves them whole): spelt out here once.
LIGATURES: dict[str, str] = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O"}
_TABLE = str.maketrans(LIGATURES)


def strip_accents(text: str) -> str:
    """« Cœur de l'Élysée » → « Coeur de l'Elysee »: ligatures spelt out, accents dropped, case kept."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_TABLE))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lowercase and accent-free (« Collèges » → « colleges », « Œuvres » → « oeuvres »): what searches compare."""
    return strip_accents((text or "").lower())


def fold_sql(expr: str) -> str:
    """The same folding as a DuckDB expression over `expr` (an allow-listed identifier or a `$p` parameter).

    Lowercase first, then the lowercase ligatures of LIGATURES (the table above, never a second copy), then
    DuckDB's strip_accents for the decomposable accents."""
    out = f"lower(CAST({expr} AS VARCHAR))"
    for src, dst in LIGATURES.items():
        if src.islower():
            out = f"replace({out}, '{src}', '{dst}')"
    return f"strip_accents({out})"
