"""Load one dataset: scan, stage, type-checked COPY to Parquet, profile, meta.json, atomic publish."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

import warehouse
from catalogue.manifest import DatasetSpec
from config import get_settings
from loaders import LoadError, publish
from loaders.detect import (
    NA_MARKERS,
    TEXT,
    SourceScan,
    TypeGuess,
    checksum,
    detect_format,
    is_code_name,
    scan_source,
    type_candidates,
)
from loaders.profile import profile_parquet
from loaders.readers import (
    EncodingMismatch,
    SourceColumn,
    Staged,
    duckdb_csv_error,
    ident,
    is_encoding_error,
    sql_str,
    stage_csv,
    stage_geo,
    stage_json,
    stage_parquet,
    stage_spreadsheet,
)

T = TypeVar("T")
TYPE_ERROR = "territoire-type"
NONEMPTY_ERROR = "territoire-nonempty"
RAGGED = "Expected Number of Columns"
GEO_FORMATS = ("geojson", "shapefile", "gpkg")
LON_NAMES = ("longitude", "lon", "lng", "long")
LAT_NAMES = ("latitude", "lat")
# zstd: files ~20 % smaller than snappy for a few % more CPU; the warehouse is written once and read often
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"
WORK_PREFIXES = ("load-", "convert-", "inspect-")
WORK_LOCK = ".in-use"
STALE_WORK_S = 3600
_MARKERS_SQL = "(" + ", ".join("'" + m.replace("'", "''") + "'" for m in NA_MARKERS) + ")"


@dataclass
class LoadResult:
    """Outcome of one `load_dataset` call."""

    dataset_id: str
    version: str | None
    rows: int
    skipped: bool
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] | None = None


def connect(tmp_dir: Path) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB: no extension download, bounded memory, spills into our own temp directory."""
    s = get_settings()
    spill = s.data_dir / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "memory_limit": s.duckdb_memory_limit, "threads": max(1, s.duckdb_threads), "temp_directory": str(spill),
    })
    con.execute("SET TimeZone = 'UTC'")  # naive datetimes are taken as UTC, offsets are converted to UTC
    return con


def stage(con: duckdb.DuckDBPyConnection, path: Path, scan: SourceScan, fmt: str, options: dict[str, Any],
          tmp_dir: Path) -> Staged:
    if fmt == "csv":
        return stage_csv(path, scan, options, tmp_dir)
    if fmt in ("xlsx", "ods"):
        return stage_spreadsheet(con, path, fmt, options)
    if fmt == "json":
        return stage_json(con, path, options)
    if fmt in GEO_FORMATS:
        return stage_geo(con, path, fmt, options)
    if fmt == "parquet":
        return stage_parquet(con, path, options)
    raise LoadError(f"{path.name} : format « {fmt} » non pris en charge.")


# -------------------------------------------------------------------------------------------- typed columns

_SPACES = "'[ \u00a0\u202f]'"


def _value(raw: str) -> str:
    return f"NULLIF(trim({ident(raw)}), '')"


def _trimmed_relation(staged: Staged) -> str:
    """The staged relation with typed columns trimmed once (not once per predicate and cast)."""
    cols = [f"{_value(c.raw)} AS {ident(c.raw)}" if c.guess is not None and c.guess.type != "text" else ident(c.raw)
            for c in staged.columns if not c.drop_if_empty]
    return f"(SELECT {', '.join(cols)} FROM {staged.relation})"  # noqa: S608 - quoted identifiers only


def valid_sql(g: TypeGuess, x: str) -> str:
    """SQL predicate: the (non-null, trimmed) text value `x` is a valid `g` value."""
    if g.type == "boolean":
        return f"lower({x}) IN ('true', 'false', 'vrai', 'faux', 'oui', 'non')"
    cond = f"regexp_full_match({x}, {sql_str(g.regex() or '')})"
    if g.type == "date":
        cond += f" AND try_strptime({x}, {sql_str(g.fmt or '')}) IS NOT NULL"
    elif g.type == "datetime":
        test = f"TRY_CAST({x} AS TIMESTAMPTZ)" if g.fmt == "iso" else f"try_strptime({x}, {sql_str(g.fmt or '')})"
        cond += f" AND {test} IS NOT NULL"
    return cond


def cast_sql(g: TypeGuess, x: str) -> str:
    """SQL cast of a valid text value to the column type."""
    if g.type == "boolean":
        return f"lower({x}) IN ('true', 'vrai', 'oui')"
    if g.type in ("integer", "number"):
        clean = x
        if g.thousands == "space":
            clean = f"regexp_replace({x}, {_SPACES}, '', 'g')"
        elif g.thousands:
            clean = f"replace({x}, {sql_str(g.thousands)}, '')"
        if g.type == "integer":
            return f"CAST({clean} AS BIGINT)"
        if g.decimal == ",":
            clean = f"replace({clean}, ',', '.')"
        return f"CAST({clean} AS DOUBLE)"
    if g.type == "date":
        return f"CAST({x} AS DATE)" if g.fmt == "%Y-%m-%d" else f"CAST(strptime({x}, {sql_str(g.fmt or '')}) AS DATE)"
    if g.type == "datetime":
        if g.fmt == "iso":
            return f"CAST(CAST({x} AS TIMESTAMPTZ) AS TIMESTAMP)"
        return f"strptime({x}, {sql_str(g.fmt or '')})"
    raise ValueError(g.type)


def column_sql(col: SourceColumn) -> str:
    """Output expression of a column over a trimmed all-text relation, once its type is known for sure."""
    if col.guess is None:
        return f"CAST({ident(col.raw)} AS VARCHAR)" if col.fixed_type in ("text", "geometry") else ident(col.raw)
    if col.guess.type == "text":
        return f"NULLIF({ident(col.raw)}, '')"
    x = ident(col.raw)
    empty = f"{x} IS NULL OR {x} IN {_MARKERS_SQL}" if col.na_markers else f"{x} IS NULL"
    return f"CASE WHEN {empty} THEN NULL ELSE {cast_sql(col.guess, x)} END"


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
    if g is not None and g.type == "text" and native:
        return Checked(c)  # the CSV reader already reads empty and "" fields as NULL
    if g is None or g.type == "text":
        return Checked(column_sql(col))
    if native and g.type == "date" and g.fmt == dateformat:
        return Checked(c, "DATE")  # DuckDB's dateformat parsing is strict: a bad value fails the read (slow path)
    # untrimmed here: " ND" or " 12" fail the test and go to the (trimming) slow path
    empty = f"{c} IS NULL OR {c} IN {_MARKERS_SQL}" if col.na_markers else f"{c} IS NULL"
    v = ident(f"{col.raw}:v")
    if g.type == "integer" and g.thousands is None:
        # the text round trip rejects what a cast would accept silently: 024, +5, 1.5, 1_000, 1e3, spaces
        return Checked(f"CASE WHEN {empty} THEN NULL WHEN CAST({v} AS VARCHAR) = {c} THEN {v} ELSE {_BAD} END",
                       inner={v: f"TRY_CAST({c} AS BIGINT)"})
    if g.type == "number" and g.thousands is None:
        text = f"replace({c}, ',', '.')" if g.decimal == "," else c
        lead = f"regexp_matches({c}, '^-?0[0-9]')"  # a leading zero means a code
        return Checked(f"CASE WHEN {empty} THEN NULL WHEN {v} IS NOT NULL AND NOT {lead} THEN {v} ELSE {_BAD} END",
                       inner={v: f"TRY_CAST({text} AS DOUBLE)"})
    return Checked(f"CASE WHEN {empty} THEN NULL WHEN {valid_sql(g, c)} THEN {cast_sql(g, c)} ELSE {_BAD} END")


def col_type(col: SourceColumn) -> str:
    return col.fixed_type or (col.guess.type if col.guess else "text")


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
        x = _value(col.raw)
        cands = _family(col.guess, decimal) if col.guess.type != "text" else []
        plans.append((col, cands))
        aggs += [f"count({x})", f"count_if({x} IN {_MARKERS_SQL})"]
        aggs += [f"count_if({valid_sql(c, x)})" for c in cands]
    if not aggs:
        return
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {staged.relation}").fetchone() or ()  # noqa: S608 - quoted identifiers/literals
    i = 0
    for col, cands in plans:
        nonnull, markers, counts = row[i], row[i + 1], row[i + 2: i + 2 + len(cands)]
        i += 2 + len(cands)
        if col.drop_if_empty and nonnull:
            col.drop_if_empty = False
            staged.warnings.append(f"Colonne sans en-tête « {col.name} » conservée : elle contient des valeurs.")
        best = next((c for c, n in zip(cands, counts, strict=True) if n == nonnull), None)
        col.na_markers = False
        if best is None and markers:
            # numbers and NA markers only (and at least one number): the markers become empty values
            best = next((c for c, n in zip(cands, counts, strict=True)
                         if c.type in ("integer", "number") and n and n + markers == nonnull), None)
            col.na_markers = best is not None
        if best is None or (best.type == "integer" and is_code_name(col.name)):
            best, col.na_markers = TEXT, False
        col.guess = best


def marker_warnings(con: duckdb.DuckDBPyConnection, staged: Staged) -> list[str]:
    """One French warning per numeric column whose NA markers were read as empty, with the count of each marker
    (a second read of the source, only for files that have such a column)."""
    cols = [c for c in staged.columns if c.na_markers and not c.drop_if_empty]
    if not cols:
        return []
    aggs = [f"histogram({_value(c.raw)}) FILTER (WHERE {_value(c.raw)} IN {_MARKERS_SQL})" for c in cols]
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
            nonempty = " OR ".join(f"NULLIF(trim({ident(c.raw)}), '') IS NOT NULL" for c in dropped)
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


def _geo_info(staged: Staged, columns: list[dict[str, Any]]) -> dict[str, Any]:
    if staged.geo.get("kind") != "none":
        return staged.geo
    numeric = {c["name"] for c in columns if c["type"] == "number"}
    lon = next((n for n in LON_NAMES if n in numeric), None)
    lat = next((n for n in LAT_NAMES if n in numeric), None)
    if lon and lat:
        return {"kind": "point", "lon": lon, "lat": lat, "geometry": None}
    return {"kind": "none"}


def _read_into(path: Path, options: dict[str, Any], out: Path, tmp_dir: Path,
               scan: SourceScan | None = None) -> tuple[Staged, SourceScan, int, list[dict[str, Any]], str]:
    """Scan, stage and write one source file to `out`; the core shared by inspect and load. A CSV's encoding is
    sniffed from its head unless `scan` already holds the whole-file one; if DuckDB then meets a byte that
    encoding does not allow, the whole file is scanned and read again."""
    if not path.is_file():
        raise LoadError(f"Fichier source introuvable : {path}")
    fmt = str(options.get("format") or detect_format(path))
    scan = scan or SourceScan(sha256=None, size=path.stat().st_size)
    con = connect(tmp_dir)
    try:
        try:
            staged = stage(con, path, scan, fmt, options, tmp_dir)
            if not staged.columns:
                raise LoadError(f"{path.name} : aucune colonne trouvée.")
            rows = write_parquet(con, staged, out)
        except EncodingMismatch:
            full = scan_source(path, text=True)
            scan = replace(scan, encoding=full.encoding, bad_offset=full.bad_offset, sha256=scan.sha256 or full.sha256)
            staged = stage(con, path, scan, fmt, options, tmp_dir)
            rows = write_parquet(con, staged, out)
    finally:
        con.close()
    columns = [{"name": c.name, "type": col_type(c), "source_name": c.source_name}
               for c in staged.columns if not c.drop_if_empty]
    return staged, scan, rows, columns, fmt


@contextlib.contextmanager
def work_dir(prefix: str) -> Iterator[Path]:
    """A private directory under data_dir/tmp, removed on exit; flock-ed while in use so that
    `clean_stale_work_dirs` can tell a live load from the leftover of a killed one."""
    base = get_settings().data_dir / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    fd = os.open(path / WORK_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _in_use(path: Path) -> bool:
    try:
        fd = os.open(path / WORK_LOCK, os.O_RDWR)
    except OSError:
        return False  # no lock file: written by a loader that predates the lock, or half-created
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the lock if we took it
    return False


def clean_stale_work_dirs(max_age_s: float = STALE_WORK_S) -> list[Path]:
    """Remove work directories left by killed loaders (kill -9 skips every `finally`): older than `max_age_s`
    and not locked by a live process. Returns what was removed."""
    base = get_settings().data_dir / "tmp"
    if not base.is_dir():
        return []
    now = time.time()
    removed: list[Path] = []
    for d in base.iterdir():
        if not d.name.startswith(WORK_PREFIXES):
            continue
        try:
            if not d.is_dir() or now - d.stat().st_mtime < max_age_s:
                continue
        except OSError:
            continue  # removed meanwhile by another cleaner
        if not _in_use(d):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def convert_file(path: Path, out: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ingest step alone (detection, whole-file typing, Parquet), without profile nor publish."""
    with work_dir("convert-") as tmp:
        staged, _, rows, columns, _ = _read_into(Path(path), options or {}, Path(out), tmp)
    return {"rows": rows, "columns": columns, "dialect": staged.dialect, "warnings": staged.warnings}


def inspect_file(path: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `inspect` JSON: a file read as a load would (dialect, row count, whole-file column types), nothing
    published; raises LoadError."""
    with work_dir("inspect-") as tmp:
        staged, _, rows, columns, _ = _read_into(Path(path), options or {}, tmp / "data.parquet", tmp)
    d = staged.dialect
    return {"format": d.get("format"), "encoding": d.get("encoding"), "delimiter": d.get("delimiter"),
            "decimal": d.get("decimal"), "header_row": d.get("header_row"), "rows": rows,
            "columns": [{"name": c["name"], "type": c["type"], "source_name": c["source_name"]} for c in columns],
            "warnings": staged.warnings, "geo": _geo_info(staged, columns)}


def _changes(prev: dict[str, Any] | None, rows: int, columns: list[dict[str, Any]]) -> dict[str, Any]:
    if prev is None:
        return {"previous_version": None, "rows_added": rows, "rows_removed": 0, "columns_added": [],
                "columns_removed": []}
    before = [c["name"] for c in prev.get("columns", [])]
    after = [c["name"] for c in columns]
    delta = rows - int(prev.get("rows") or 0)
    return {"previous_version": prev.get("version"), "rows_added": max(delta, 0), "rows_removed": max(-delta, 0),
            "columns_added": [c for c in after if c not in before],
            "columns_removed": [c for c in before if c not in after]}


def schema_change_warning(changes: dict[str, Any]) -> str | None:
    """« Colonnes ajoutées : … ; colonnes retirées : … » versus the previous version, shown on the dataset page."""
    parts = []
    if changes.get("columns_added"):
        parts.append("colonnes ajoutées : " + ", ".join(map(str, changes["columns_added"])))
    if changes.get("columns_removed"):
        parts.append("colonnes retirées : " + ", ".join(map(str, changes["columns_removed"])))
    if not parts or not changes.get("previous_version"):
        return None
    text = " ; ".join(parts)
    return text[0].upper() + text[1:] + f" (par rapport à la version {changes['previous_version']})."


def load_dataset(spec: DatasetSpec, *, source_path: Path | None = None, source_info: dict[str, Any] | None = None,
                 force: bool = False) -> LoadResult:
    """Load `spec` (or `source_path`, e.g. a downloaded file) and publish a new version unless unchanged."""
    path = source_path or spec.source_file()
    if path is None:
        raise LoadError(f"« {spec.id} » : source distante, à charger par « python -m loaders refresh ».")
    path = Path(path)
    options = dict(spec.source.options)
    clean_stale_work_dirs()
    with publish.dataset_lock(spec.id):
        if not path.is_file():
            raise LoadError(f"« {spec.id} » : fichier source introuvable ({path}).")
        fmt = str(options.get("format") or detect_format(path))
        scan = checksum(path)  # the encoding is sniffed later, from the head, and validated by the reader
        prev = warehouse.current_meta(spec.id)
        prev_src = (prev or {}).get("source") or {}
        if prev and not force and prev_src.get("sha256") == scan.sha256 and prev_src.get("options", {}) == options:
            return LoadResult(spec.id, prev.get("version"), int(prev.get("rows") or 0), True, [], prev)
        version = publish.new_version(spec.id)
        vtmp = publish.begin_version(spec.id, version)
        try:
            with work_dir(f"load-{spec.id}-") as work:
                staged, scan, rows, columns, fmt = _read_into(path, options, vtmp / "data.parquet", work, scan)
                for col in columns:
                    doc = spec.columns.get(col["name"]) or spec.columns.get(col["source_name"])
                    if doc:
                        col.update({"label": doc.label, "description": doc.description, "unit": doc.unit})
                con = connect(work)
                try:
                    profile = profile_parquet(con, vtmp / "data.parquet", columns, rows)
                finally:
                    con.close()
            d = staged.dialect
            source: dict[str, Any] = {
                "path": spec.source.path, "url": spec.source.url, "page": spec.source.page, "sha256": scan.sha256,
                "size": scan.size, "format": fmt, "encoding": d.get("encoding"), "delimiter": d.get("delimiter"),
                "decimal": d.get("decimal"), "header_row": d.get("header_row"), "etag": None, "last_modified": None,
                "options": options,
            }
            source.update({k: v for k, v in d.items() if k not in source})
            source.update(source_info or {})
            changes = _changes(prev, rows, columns)
            schema = schema_change_warning(changes)
            if schema:
                staged.warnings.append(schema)
            meta = {
                "dataset_id": spec.id, "version": version, "rows": rows,
                "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"), "title": spec.title, "source": source,
                "columns": columns, "warnings": staged.warnings, "profile": profile,
                "geo": _geo_info(staged, columns), "changes": changes,
            }
            publish.commit_version(spec.id, version, vtmp, meta)
        except BaseException:
            publish.abort_version(vtmp)
            raise
    return LoadResult(spec.id, version, rows, False, list(staged.warnings), meta)
