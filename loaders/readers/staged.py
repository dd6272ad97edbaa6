"""What every reader returns: a staged relation and its columns, named and typed by the same rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loaders.detect.column_types import TEXT, TypeGuess
from loaders.detect.names import is_code_name, lost_zero_departement, lost_zero_width, normalise_names

GEO_COLUMNS = ("geometry", "longitude", "latitude", "centroid_lon", "centroid_lat")


@dataclass
class SourceColumn:
    """One output column: where it comes from in the staged relation and how it is typed."""

    raw: str  # column name in the staged relation
    source_name: str
    name: str = ""
    guess: TypeGuess | None = None  # None: the relation already holds the final type (`fixed_type`)
    fixed_type: str | None = None
    drop_if_empty: bool = False  # a trailing column with no header: dropped when empty over the whole file
    na_markers: bool = False  # numeric column whose NA markers (detect.markers.NA_MARKERS) are read as empty values
    pad_to: int | None = None  # a code column whose lost leading zeros are restored (detect.names.lost_zero_width)


@dataclass
class Staged:
    """A source ready for the typed COPY: `reader(types)` is a SQL table expression over its columns."""

    reader: Callable[[dict[str, str]], str]  # raw column -> DuckDB type read natively (others: VARCHAR)
    columns: list[SourceColumn]
    dialect: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    geo: dict[str, Any] = field(default_factory=lambda: {"kind": "none"})
    # called with DuckDB's message when a CSV row has the wrong width; later reads pad short rows
    on_ragged: Callable[[str], None] | None = None
    native_types: bool = False  # the reader can parse DOUBLE/DATE columns itself (CSV only)
    provisional_encoding: bool = False  # sniffed from the head: a decode error means "scan the file and retry"
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {line, reason}: titles, totals, notes (1-based)
    repaired: list[dict[str, Any]] = field(default_factory=list)  # {line, reason}: lines read leniently

    @property
    def relation(self) -> str:
        return self.reader({})


TOTAL = "total ou sous-total"
MAX_TOTAL_SHARE = 0.05


def total_rows_kept(kinds: list[tuple[int, str | None]], heads: list[list[str]]) -> list[bool]:
    """Which rows marked as totals are data after all: in a tidy table « Ensemble » or « Total » is a category
    repeated on many rows (sexe = Ensemble), while a wide table has each total or subtotal once, and few of them."""
    labels = Counter(" ".join(h).strip() for (_, why), h in zip(kinds, heads, strict=True) if why == TOTAL)
    few = sum(labels.values()) <= max(3, MAX_TOTAL_SHARE * len(kinds))
    return [why == TOTAL and not (few and labels[" ".join(h).strip()] <= 2)
            for (_, why), h in zip(kinds, heads, strict=True)]


def skipped_warning(items: list[tuple[int, str]], unit: str) -> str:
    """« 4 lignes hors données ignorées : ligne 102 (total ou sous-total), ligne 110 (note ou source)… »."""
    shown = ", ".join(f"{unit} {line} ({why})" for line, why in items[:12])
    more = f" et {len(items) - 12} autres" if len(items) > 12 else ""
    return f"{len(items)} ligne(s) hors données ignorée(s) : {shown}{more}."


def fixed(relation: str) -> Callable[[dict[str, str]], str]:
    return lambda _types: relation


def col_type(col: SourceColumn) -> str:
    """The column's type in the published Parquet and meta.json."""
    return col.fixed_type or (col.guess.type if col.guess else "text")


def restore_lost_zeros(cols: list[SourceColumn], values: dict[str, list[str]], warnings: list[str]) -> None:
    """Commune codes and postcodes stored as numbers (6114 for 06114): read as text with the zero put back."""
    for col in cols:
        if col.guess is None or col.guess.type not in ("text", "integer"):
            continue
        width = lost_zero_width(col.name, values.get(col.raw, []))
        if width is None:
            bare = lost_zero_departement(col.name, values.get(col.raw, []))
            if bare:
                warnings.append(f"Colonne « {col.name} » : codes de département sans leur zéro initial (« {bare} » "
                                f"pour « {bare.zfill(2)} ») ; laissés tels quels, à corriger à la source pour les "
                                "croiser avec d'autres données.")
            continue
        col.guess, col.na_markers, col.pad_to = TEXT, False, width
        example = next(v.strip() for v in values[col.raw] if v and len(v.strip()) < width)
        warnings.append(f"Colonne « {col.name} » : codes à {width} caractères dont le zéro initial a été perdu "
                        f"(« {example} ») ; zéro rétabli (« {example.zfill(width)} »).")


def finish_columns(cols: list[SourceColumn], options: dict[str, Any]) -> None:
    """Snake_case names, the identifier-name rule and user `types` overrides."""
    names = normalise_names([c.source_name for c in cols], reserved=tuple(
        n for n in GEO_COLUMNS if any(c.raw == n and c.guess is None for c in cols)))
    forced: dict[str, str] = {str(k): str(v) for k, v in (options.get("types") or {}).items()}
    for col, name in zip(cols, names, strict=True):
        if col.guess is None and col.raw in GEO_COLUMNS:
            col.name = col.raw
            continue
        col.name = name
        if col.guess is None:
            continue
        want = forced.get(name) or forced.get(col.source_name)
        if want == "text" or (col.guess.type == "integer" and is_code_name(name)):
            col.guess, col.na_markers = TEXT, False
