"""The typed COPY: a staged source written to Parquet in one pass, every value checked against its guessed type;
when the sample misled the guess, the types are counted over the whole file (slow path) and the COPY runs again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb

from loaders import LoadError
from loaders.detect.column_types import (
    BOOL_FALSE,
    BOOL_TRUE,
    EXCEL_SERIAL,
    FR_MONTH,
    MONTH_KEYS,
    SPACE_CLASS,
    TEXT,
    TypeGuess,
    type_candidates,
)
from loaders.detect.markers import NA_MARKERS
from loaders.detect.names import is_code_name
from loaders.readers.delimited import EncodingMismatch, duckdb_csv_error, is_encoding_error
from loaders.readers.staged import SourceColumn, Staged
from loaders.sql import ident, sql_str

T = TypeVar("T")
TYPE_ERROR = "territoire-type"
NONEMPTY_ERROR = "territoire-nonempty"
RAGGED = "Expected Number of Columns"
# zstd: files ~20 % smaller than snappy for a few % more CPU; the warehouse is written once and read often
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"
_MARKERS_SQL = "(" + ", ".join(sql_str(m) for m in NA_MARKERS) + ")"
_BOOL_SQL = "(" + ", ".join(sql_str(b) for b in sorted(BOOL_TRUE | BOOL_FALSE)) + ")"
_TRUE_SQL = "(" + ", ".join(sql_str(b) for b in sorted(BOOL_TRUE)) + ")"
_SPACES = sql_str(SPACE_CLASS)  # the spaces of French thousands separators
_SPACE_CHARS = sql_str(" \u00a0\u202f")


# Excel's accounting format shows zero as a dash between spaces (« - »); saved « as displayed », that is what the
# CSV holds. A bare « - » stays a missing-value marker (loaders.detect.markers).
ACCOUNTING_ZERO = r"\s+-\s+"


def _numeric(col: SourceColumn) -> bool:
    return col.guess is not None and col.guess.type in ("integer", "number")


def _value(col: SourceColumn) -> str:
    """The trimmed text of a column's value (NULL when empty); in a numeric column, an accounting dash reads « 0 »."""
    x = f"NULLIF(trim({ident(col.raw)}), '')"
    if _numeric(col):
        return f"CASE WHEN regexp_full_match({ident(col.raw)}, {sql_str(ACCOUNTING_ZERO)}) THEN '0' ELSE {x} END"
    return x


def _trimmed_relation(staged: Staged) -> str:
    """The staged relation with typed columns trimmed once (not once per predicate and cast)."""
    cols = [f"{_value(c)} AS {ident(c.raw)}" if c.guess is not None and c.guess.type != "text" else ident(c.raw)
            for c in staged.columns if not c.drop_if_empty]
    return f"(SELECT {', '.join(cols)} FROM {staged.relation})"  # noqa: S608 - quoted identifiers only


def valid_sql(g: TypeGuess, x: str) -> str:
    """SQL predicate: the (non-null, trimmed) text value `x` is a valid `g` value."""
    if g.type == "boolean":
        return f"lower({x}) IN {_BOOL_SQL}"
    cond = f"regexp_full_match({x}, {sql_str(g.regex() or '')})"
    if g.type == "date" and g.fmt not in (FR_MONTH, EXCEL_SERIAL[0]):  # checked whole by their regex
        cond += f" AND try_strptime({x}, {sql_str(g.fmt or '')}) IS NOT NULL"
    elif g.type == "datetime":
        test = f"TRY_CAST({x} AS TIMESTAMPTZ)" if g.fmt == "iso" else f"try_strptime({x}, {sql_str(g.fmt or '')})"
        cond += f" AND {test} IS NOT NULL"
    return cond


def cast_sql(g: TypeGuess, x: str) -> str:
    """SQL cast of a valid text value to the column type."""
    if g.type == "boolean":
        return f"lower({x}) IN {_TRUE_SQL}"
    if g.type in ("integer", "number"):
        clean = f"rtrim(rtrim({x}, '%'), {_SPACE_CHARS})" if g.percent else x
        if g.thousands == "space":
            clean = f"regexp_replace({clean}, {_SPACES}, '', 'g')"
        elif g.thousands:
            clean = f"replace({clean}, {sql_str(g.thousands)}, '')"
        if g.type == "integer":
            return f"CAST({clean} AS BIGINT)"
        if g.decimal == ",":
            clean = f"replace({clean}, ',', '.')"
        return f"CAST({clean} AS DOUBLE)"
    if g.type == "date":
        if g.fmt == FR_MONTH:
            return french_month_sql(x)
        if g.fmt == EXCEL_SERIAL[0]:  # day 0 is 1899-12-30 (Excel's 1900 leap-year bug included)
            return f"CAST(DATE '1899-12-30' + CAST({x} AS INTEGER) AS DATE)"
        return f"CAST({x} AS DATE)" if g.fmt == "%Y-%m-%d" else f"CAST(strptime({x}, {sql_str(g.fmt or '')}) AS DATE)"
    if g.type == "datetime":
        if g.fmt == "iso":
            return f"CAST(CAST({x} AS TIMESTAMPTZ) AS TIMESTAMP)"
        return f"strptime({x}, {sql_str(g.fmt or '')})"
    raise ValueError(g.type)


_MONTH_LIST = "[" + ", ".join(sql_str(k) for k in MONTH_KEYS) + "]"


def french_month_sql(x: str) -> str:
    """« janv-15 » -> 2015-01-01 in SQL, as column_types.french_month reads it."""
    word = f"rtrim(strip_accents(lower(regexp_extract({x}, '^([^0-9 ./-]+)', 1))), '.')"
    key = f"CASE WHEN starts_with({word}, 'jui') THEN left({word}, 4) ELSE left({word}, 3) END"
    year = f"CAST(regexp_extract({x}, '([0-9]+)$', 1) AS INTEGER)"
    full = f"CASE WHEN {year} >= 100 THEN {year} WHEN {year} < 69 THEN 2000 + {year} ELSE 1900 + {year} END"
    return f"make_date({full}, list_position({_MONTH_LIST}, {key}), 1)"


def _empty_sql(col: SourceColumn, x: str) -> str:
    """SQL predicate: the value `x` of `col` reads as empty (NULL, or an NA marker in a column that has them)."""
    return f"{x} IS NULL OR {x} IN {_MARKERS_SQL}" if col.na_markers else f"{x} IS NULL"


def _padded(col: SourceColumn, expr: str) -> str:
    if not col.pad_to:
        return expr
    return f"CASE WHEN regexp_full_match({expr}, '[0-9]+') THEN lpad({expr}, {int(col.pad_to)}, '0') ELSE {expr} END"


def column_sql(col: SourceColumn) -> str:
    """Output expression of a column over a trimmed all-text relation, once its type is known for sure."""
    if col.pad_to:
        return _padded(col, f"NULLIF(trim({ident(col.raw)}), '')")
    if col.guess is None:
        return f"CAST({ident(col.raw)} AS VARCHAR)" if col.fixed_type in ("text", "geometry") else ident(col.raw)
    if col.guess.type == "text":
        return f"NULLIF({ident(col.raw)}, '')"
    x = ident(col.raw)
    return f"CASE WHEN {_empty_sql(col, x)} THEN NULL ELSE {cast_sql(col.guess, x)} END"


_BAD = f"error('{TYPE_ERROR}')"


@dataclass
class Checked:
    """Fast-path SQL of one column: `expr` over the reader's columns plus `inner` (alias -> expression computed
    once in an inner projection, so a cast is not evaluated twice), and the type DuckDB may parse natively."""

    expr: str
    native: str | None = None
    inner: dict[str, str] = field(default_factory=dict)


def checked_sql(col: SourceColumn, native: bool, dateformat: str | None) -> Checked:
    """Fast-path expression raising a marked error on any value outside the guessed type. Cheap tests first:
    this runs on every value of the file."""
    g = col.guess
    c = ident(col.raw)
    if col.pad_to:
        return Checked(column_sql(col))
    if g is not None and g.type == "text" and native:
        return Checked(c)  # the CSV reader already reads empty and "" fields as NULL
    if g is None or g.type == "text":
        return Checked(column_sql(col))
    if native and g.type == "date" and g.fmt == dateformat and not col.na_markers:
        return Checked(c, "DATE")  # DuckDB's dateformat parsing is strict: a bad value fails the read (slow path)
    # untrimmed here: " ND" or " 12" fail the test and go to the (trimming) slow path
    empty = _empty_sql(col, c)
    v = ident(f"{col.raw}:v")
    if g.type == "integer" and g.thousands is None:
        # the text round trip rejects what a cast would accept silently: 024, +5, 1.5, 1_000, 1e3, spaces
        return Checked(f"CASE WHEN {empty} THEN NULL WHEN CAST({v} AS VARCHAR) = {c} THEN {v} ELSE {_BAD} END",
                       inner={v: f"TRY_CAST({c} AS BIGINT)"})
    if g.type == "number" and g.thousands is None and not g.percent:
        text = f"replace({c}, ',', '.')" if g.decimal == "," else c
        lead = f"regexp_matches({c}, '^-?0[0-9]')"  # a leading zero means a code
        return Checked(f"CASE WHEN {empty} THEN NULL WHEN {v} IS NOT NULL AND NOT {lead} THEN {v} ELSE {_BAD} END",
                       inner={v: f"TRY_CAST({text} AS DOUBLE)"})
    return Checked(f"CASE WHEN {empty} THEN NULL WHEN {valid_sql(g, c)} THEN {cast_sql(g, c)} ELSE {_BAD} END")


def _family(g: TypeGuess, decimal: str) -> list[TypeGuess]:
    """Types a column guessed as `g` on a sample may really have over the whole file, most specific first."""
    allowed = {"boolean": ("boolean",), "integer": ("integer", "number"), "number": ("number",),
               "date": ("date", "datetime"), "datetime": ("datetime",)}[g.type]
    return [c for c in type_candidates(decimal) if c.type in allowed]


def refine_types(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Slow path after a checked COPY failed: count, over the whole file, which types every column satisfies."""
    decimal = str(staged.dialect.get("decimal") or ".")
    plans: list[tuple[SourceColumn, list[TypeGuess]]] = []
    aggs: list[str] = []
    for col in staged.columns:
        if col.guess is None or (col.guess.type == "text" and not col.drop_if_empty):
            continue
        x = _value(col)
        cands = _family(col.guess, decimal) if col.guess.type != "text" else []
        plans.append((col, cands))
        dashes = f"count_if(regexp_full_match({ident(col.raw)}, {sql_str(ACCOUNTING_ZERO)}))" if _numeric(col) else "0"
        aggs += [f"count({x})", f"count_if({x} IN {_MARKERS_SQL})", dashes]
        aggs += [f"count_if({valid_sql(c, x)})" for c in cands]
    if not aggs:
        return
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {staged.relation}").fetchone() or ()  # noqa: S608 - quoted identifiers/literals
    i = 0
    for col, cands in plans:
        nonnull, markers, dashes, counts = row[i], row[i + 1], row[i + 2], row[i + 3: i + 3 + len(cands)]
        i += 3 + len(cands)
        if col.drop_if_empty and nonnull:
            col.drop_if_empty = False
            staged.warnings.append(f"Colonne sans en-tête « {col.name} » conservée : elle contient des valeurs.")
        best = next((c for c, n in zip(cands, counts, strict=True) if n == nonnull), None)
        col.na_markers = False
        if best is None and markers:
            # numbers and NA markers only (and at least one number): the markers become empty values
            best = next((c for c, n in zip(cands, counts, strict=True)
                         if c.type in ("integer", "number", "date") and n and n + markers == nonnull), None)
            col.na_markers = best is not None
        if best is None or (best.type == "integer" and is_code_name(col.name)):
            best, col.na_markers = TEXT, False
        elif dashes:
            staged.warnings.append(f"Colonne « {col.name} » : {dashes} tiret(s) « - » entouré(s) d'espaces lu(s) "
                                   "comme 0 (format comptable d'Excel, qui affiche zéro ainsi).")
        col.guess = best


def marker_warnings(con: duckdb.DuckDBPyConnection, staged: Staged) -> list[str]:
    """One French warning per numeric column whose NA markers were read as empty, with the count of each marker
    (a second read of the source, only for files that have such a column)."""
    cols = [c for c in staged.columns if c.na_markers and not c.drop_if_empty]
    if not cols:
        return []
    aggs = [f"histogram({_value(c)}) FILTER (WHERE {_value(c)} IN {_MARKERS_SQL})" for c in cols]
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {staged.relation}").fetchone() or ()  # noqa: S608 - quoted identifiers/literals
    out: list[str] = []
    for col, hist in zip(cols, row, strict=True):
        counts = sorted((hist or {}).items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(n for _, n in counts)
        if not total:
            continue
        detail = ", ".join(f"« {m} » × {n}" for m, n in counts)
        out.append(f"Colonne « {col.name} » : {total} valeur(s) non numérique(s) ({detail}) lue(s) comme vide(s) "
                   f"— marqueurs de donnée absente ou secrète ; les autres valeurs sont des nombres. Pour garder "
                   f"le texte d'origine : option « types = {{ {col.name} = \"text\" }} ».")
    return out


def _ragged_retry(staged: Staged, fn: Callable[[], T]) -> T:
    """Run a query over the staged CSV; on a row of the wrong width, diagnose it and retry once."""
    try:
        return fn()
    except duckdb.Error as exc:
        if RAGGED not in str(exc) or staged.on_ragged is None:
            raise
        handler, staged.on_ragged = staged.on_ragged, None
        handler(str(exc))
        return fn()


def _copy(con: duckdb.DuckDBPyConnection, exprs: list[str], cols: list[SourceColumn], relation: str,
          out: Path) -> int:
    select = ", ".join(f"{e} AS {ident(c.name)}" for e, c in zip(exprs, cols, strict=True))
    res = con.execute(f"COPY (SELECT {select} FROM {relation}) TO {sql_str(str(out))} ({PARQUET_OPTIONS})")  # noqa: S608 - quoted identifiers/literals
    return int((res.fetchone() or (0,))[0])


def write_parquet(con: duckdb.DuckDBPyConnection, staged: Staged, out: Path) -> int:
    """COPY the staged source to Parquet in one pass, types checked on every value; if the sample misled the
    guess, count every candidate type over the whole file (slow path) and COPY again. The row count is the
    COPY's own: the file is not read again to count it."""

    def fast() -> int:
        kept = [c for c in staged.columns if not c.drop_if_empty]
        fmt = staged.dialect.get("dateformat")
        checks = [checked_sql(c, staged.native_types, fmt) for c in kept]
        exprs = [ch.expr for ch in checks]
        types = {c.raw: ch.native for c, ch in zip(kept, checks, strict=True) if ch.native}
        dropped = [c for c in staged.columns if c.drop_if_empty]
        if dropped and exprs:
            nonempty = " OR ".join(f"{_value(c)} IS NOT NULL" for c in dropped)
            exprs[0] = f"CASE WHEN {nonempty} THEN error('{NONEMPTY_ERROR}') ELSE {exprs[0]} END"
        inner = [f"{e} AS {alias}" for ch in checks for alias, e in ch.inner.items()]
        relation = staged.reader(types)
        if inner:
            relation = f"(SELECT *, {', '.join(inner)} FROM {relation})"  # noqa: S608 - quoted identifiers only
        return _copy(con, exprs, kept, relation, out)

    def slow() -> int:
        refine_types(con, staged)
        kept = [c for c in staged.columns if not c.drop_if_empty]
        return _copy(con, [column_sql(c) for c in kept], kept, _trimmed_relation(staged), out)

    try:
        try:
            rows = _ragged_retry(staged, fast)
        except duckdb.Error as exc:
            if RAGGED in str(exc) or is_encoding_error(str(exc)):
                raise
            # a value outside the guessed type (marked error, or a native DATE the reader refused)
            rows = _ragged_retry(staged, slow)
        staged.warnings.extend(marker_warnings(con, staged))
    except duckdb.Error as exc:
        if staged.provisional_encoding and is_encoding_error(str(exc)):
            raise EncodingMismatch(str(exc)) from exc
        if "CSV Error" in str(exc) or staged.dialect.get("format") == "csv":
            raise duckdb_csv_error(exc) from exc
        raise LoadError(f"Écriture Parquet impossible : {str(exc).splitlines()[0]}") from exc
    dropped = [c for c in staged.columns if c.drop_if_empty]
    if dropped:
        staged.warnings.append(f"{len(dropped)} colonne(s) vide(s) sans en-tête en fin de ligne supprimée(s).")
    return rows
