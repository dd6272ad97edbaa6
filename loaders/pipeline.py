"""Load one dataset: detect, stage, typed COPY to Parquet, profile, meta.json, atomic publish. The entry points
`load_dataset`, `inspect_file` and `convert_file` share one read path (`_read_into`)."""

from __future__ import annotations

import csv
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

import warehouse
from catalogue.manifest import DatasetSpec
from config import get_settings
from loaders import LoadError, layout, publish
from loaders.changes import changes_since, schema_change_warning
from loaders.detect.encoding import SourceScan, scan_source
from loaders.detect.file_format import detect_format, extension_note
from loaders.detect.projection import projection_of, xy_pairs
from loaders.profile import profile_parquet
from loaders.readers.delimited import EncodingMismatch, stage_csv
from loaders.readers.geodata import stage_geo
from loaders.readers.json_records import stage_json
from loaders.readers.parquet import stage_parquet
from loaders.readers.spreadsheet import stage_spreadsheet
from loaders.readers.staged import Staged, col_type
from loaders.sql import ident, sql_str
from loaders.text_geo import add_text_geometry
from loaders.typed_copy import write_parquet
from loaders.workdirs import clean_stale_work_dirs, work_dir

GEO_FORMATS = ("geojson", "shapefile", "gpkg")
# Errors of the reading libraries on damaged bytes (a cut archive, a broken Parquet footer, undecodable text)
DATA_ERRORS = (duckdb.Error, pa.ArrowException, UnicodeError, csv.Error, zipfile.BadZipFile, zlib.error, EOFError)
LON_NAMES = ("longitude", "lon", "lng", "long")
LAT_NAMES = ("latitude", "lat")


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
    if fmt in ("xlsx", "ods", "html"):
        return stage_spreadsheet(con, path, fmt, options)
    if fmt == "json":
        return stage_json(con, path, options)
    if fmt in GEO_FORMATS:
        return stage_geo(con, path, fmt, options)
    if fmt == "parquet":
        return stage_parquet(con, path, options)
    raise LoadError(f"{path.name} : format « {fmt} » non pris en charge.")


def _geo_info(staged: Staged, columns: list[dict[str, Any]]) -> dict[str, Any]:
    if staged.geo.get("kind") != "none":
        return staged.geo
    numeric = {c["name"] for c in columns if c["type"] == "number"}
    lon = next((n for n in LON_NAMES if n in numeric), None)
    lat = next((n for n in LAT_NAMES if n in numeric), None)
    if lon and lat:
        return {"kind": "point", "lon": lon, "lat": lat, "geometry": None}
    # a flattened {lon, lat} object (JSON `coordonnees`, Parquet struct): coordonnees_lon / coordonnees_lat
    for name in sorted(numeric):
        for lon_suffix, lat_suffix in (("_lon", "_lat"), ("_longitude", "_latitude")):
            if name.endswith(lon_suffix) and (pair := name[: -len(lon_suffix)] + lat_suffix) in numeric:
                return {"kind": "point", "lon": name, "lat": pair, "geometry": None}
    return {"kind": "none"}


def _xy_projection(out: Path, staged: Staged, tmp_dir: Path) -> str | None:
    """The projection of x/y number columns (Lambert-93 metres in a CSV: `x_l93`, `no_x`), from their range in the
    written Parquet (a columnar read of two columns), reported to the publisher; the columns stay as they are."""
    numeric = {c.name for c in staged.columns if col_type(c) == "number" and not c.drop_if_empty}
    pairs = xy_pairs(numeric)
    if not pairs:
        return None
    con = connect(tmp_dir)
    try:
        for x, y in pairs:
            bounds = con.execute(f"SELECT min({ident(x)}), max({ident(x)}), min({ident(y)}), max({ident(y)}) "  # noqa: S608
                                 f"FROM read_parquet({sql_str(str(out))})").fetchone()
            if bounds and None not in bounds and (found := projection_of(*(float(b) for b in bounds))):
                staged.warnings.append(f"Colonnes « {x} » et « {y} » : coordonnées en mètres, {found[1]} "
                                       f"(EPSG:{found[0]}) d'après leur étendue.")
                return f"EPSG:{found[0]}"
    finally:
        con.close()
    return None


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
    except DATA_ERRORS as exc:
        # a reader library refusing the bytes of a damaged file: the publisher gets a French message, not a
        # traceback (the readers translate the errors they expect, with the line, before it gets here)
        detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise LoadError(f"{path.name} : fichier illisible en {fmt} ({detail}).") from exc
    finally:
        con.close()
    if fmt not in GEO_FORMATS and _geo_info(staged, [{"name": c.name, "type": col_type(c)} for c in staged.columns
                                                     if not c.drop_if_empty])["kind"] == "none":
        add_text_geometry(out, staged)  # only where no longitude/latitude number columns already place the rows
    if fmt not in GEO_FORMATS and not staged.dialect.get("projection"):
        staged.dialect["projection"] = _xy_projection(out, staged, tmp_dir)
    note = None if options.get("format") else extension_note(path, fmt)
    if note:
        staged.warnings.insert(0, note)
    columns = [{"name": c.name, "type": col_type(c), "source_name": c.source_name}
               for c in staged.columns if not c.drop_if_empty]
    return staged, scan, rows, columns, fmt


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
            "warnings": staged.warnings, "geo": _geo_info(staged, columns), **reading_report(staged)}


def reading_report(staged: Staged) -> dict[str, Any]:
    """What the publisher needs beyond the dialect: the sheets and the one read, the lines skipped (titles,
    totals, footnotes) and repaired, with their 1-based line numbers, and the source's projection."""
    d = staged.dialect
    return {"sheets": d.get("sheets"), "sheet": d.get("sheet"), "layers": d.get("layers"), "layer": d.get("layer"),
            "skipped_rows": staged.skipped, "repaired_lines": staged.repaired, "projection": d.get("projection")}


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
        scan = scan_source(path, text=False)  # the encoding is sniffed later, from the head, and validated by the reader
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
                    # Large versions are sorted on the columns people filter on (the profile is the same rows').
                    keys = layout.sort_keys(spec.id, {"rows": rows, "columns": columns, "profile": profile})
                    layout.cluster(con, vtmp / "data.parquet", keys)
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
            changes = changes_since(prev, rows, columns)
            schema = schema_change_warning(changes)
            if schema:
                staged.warnings.append(schema)
            meta = {
                "dataset_id": spec.id, "version": version, "rows": rows,
                "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"), "title": spec.title, "source": source,
                "columns": columns, "warnings": staged.warnings, "profile": profile,
                "geo": _geo_info(staged, columns), "reading": reading_report(staged), "changes": changes, "layout": {"sorted_by": keys},
            }
            publish.commit_version(spec.id, version, vtmp, meta)
        except BaseException:
            publish.abort_version(vtmp)
            raise
    return LoadResult(spec.id, version, rows, False, list(staged.warnings), meta)
