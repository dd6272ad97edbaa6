"""Streaming exports of a dataset (whole or filtered) to CSV, JSON, GeoJSON, Parquet and XLSX files, with its licence."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import queries
from catalogue import vocab
from catalogue.schema import Schema
from config import get_settings
from exports.limits import Deadline, ExportError, export_slot, timed_batches
from queries import QueryError, cache
from queries.dataset.sql import export_query
from queries.dataset.state import DatasetView

BOM = b"\xef\xbb\xbf"
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header row
BATCH_ROWS = 20_000
SLICE_ROWS = 2_000  # formats written row by row in Python check their time limit every SLICE_ROWS rows
ROW_BY_ROW = ("json", "geojson", "xlsx")
TMP_MAX_AGE_S = 3_600
# A cell starting with one of these is read as a formula by spreadsheet software (CSV injection, OWASP).
FORMULA_START = "=+-@\t\r"


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    extension: str
    mime: str
    geo_only: bool = False


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "CSV pour tableurs français (séparateur « ; », virgule décimale)", "csv", "text/csv"),
    "csv-comma": ExportFormat("csv-comma", "CSV international (séparateur « , », point décimal)", "csv", "text/csv"),
    "json": ExportFormat("json", "JSON", "json", "application/json"),
    "geojson": ExportFormat("geojson", "GeoJSON", "geojson", "application/geo+json", geo_only=True),
    "parquet": ExportFormat("parquet", "Parquet", "parquet", "application/vnd.apache.parquet"),
    "xlsx": ExportFormat("xlsx", "Excel (XLSX)", "xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    file_name: str
    mime: str
    rows: int


def formats_for(schema: Schema) -> list[str]:
    """Formats offered for a dataset: GeoJSON only when it has a geometry or coordinates."""
    geo = schema.has_geometry or schema.lon_lat is not None
    return [k for k, f in FORMATS.items() if geo or not f.geo_only]


def file_name(dataset_id: str, fmt: str, filtered: bool, day: dt.date | None = None) -> str:
    """`<id>_<YYYY-MM-DD>[_filtre].<ext>`."""
    day = day or dt.date.today()
    return f"{dataset_id}_{day.isoformat()}{'_filtre' if filtered else ''}.{FORMATS[fmt].extension}"


def export_dir() -> Path:
    path = get_settings().data_dir / "tmp" / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(directory: Path) -> None:
    """Forget exports older than an hour (an interrupted download must not fill the disk)."""
    limit = time.time() - TMP_MAX_AGE_S
    for p in directory.glob("*"):
        try:
            if p.stat().st_mtime < limit:
                p.unlink()
        except OSError:
            pass


# -- licence ----------------------------------------------------------------------------------------------------------
def licence_info(dataset_id: str, view: DatasetView | None = None, rows: int | None = None) -> dict[str, Any]:
    """Licence, attribution and provenance of an export (shipped inside or next to every file)."""
    try:
        spec = cache.manifest_specs().get(dataset_id)
    except Exception:  # noqa: BLE001 - a broken manifest file must not stop an export; the licence says so
        spec = None
    try:
        meta = queries.dataset_meta(dataset_id)
    except QueryError:
        meta = {}
    settings = get_settings()
    lic_id = spec.license.id if spec else "notspecified"
    info = {
        "jeu_de_donnees": dataset_id,
        "titre": spec.title if spec else dataset_id,
        "producteur": spec.publisher if spec else "",
        "licence": spec.license.title if spec else vocab.license_title(lic_id),
        "licence_url": spec.license.url if spec else vocab.license_url(lic_id),
        "licence_resume": vocab.license_summary(lic_id),
        "attribution": (spec.attribution if spec else "") or (spec.publisher if spec else ""),
        "source": (spec.source.page or spec.source.url or spec.source.path or "") if spec else "",
        "version": meta.get("version", ""),
        "charge_le": meta.get("loaded_at", ""),
        "exporte_le": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "portail": f"{settings.portal_name} — {settings.public_base_url}/jeu-de-donnees?id={dataset_id}",
        "filtre": ("lien de la vue : " + settings.public_base_url + "/jeu-de-donnees?" + view.query_string())
        if view is not None and view.is_filtered else "jeu de données complet",
    }
    if rows is not None:
        info["enregistrements"] = rows
    return info


def readme_text(info: dict[str, Any]) -> str:
    """README.txt that accompanies a CSV (the same facts as the JSON metadata and the XLSX « Licence » sheet)."""
    lines = [
        f"{info['titre']} ({info['jeu_de_donnees']})",
        "",
        f"Producteur : {info['producteur']}",
        f"Licence : {info['licence']} {info['licence_url']}".rstrip(),
        f"En clair : {info['licence_resume']}",
        f"Attribution à reprendre : {info['attribution']}",
        f"Source : {info['source']}",
        f"Version : {info['version']} (chargée le {info['charge_le']})",
        f"Exporté le : {info['exporte_le']}",
        f"Contenu : {info['filtre']}",
        f"Page du jeu de données : {info['portail']}",
    ]
    if "enregistrements" in info:
        lines.append(f"Enregistrements : {info['enregistrements']}")
    return "\n".join(lines) + "\n"


_LICENCE_LABELS = {
    "jeu_de_donnees": "Jeu de données", "titre": "Titre", "producteur": "Producteur", "licence": "Licence",
    "licence_url": "Texte de la licence", "licence_resume": "En clair", "attribution": "Attribution",
    "source": "Source", "version": "Version", "charge_le": "Chargé le", "exporte_le": "Exporté le",
    "portail": "Page du jeu de données", "filtre": "Contenu", "enregistrements": "Enregistrements",
}


# -- batches ----------------------------------------------------------------------------------------------------------
def _empty_schema(sql: str, params: dict[str, Any]) -> pa.Schema:
    """Column names and types when the export has no row (the stream then yields no batch to learn them from)."""
    frame = queries.warehouse().execute(sql, params, max_rows=0).frame
    return pa.Schema.from_pandas(frame, preserve_index=False)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def defuse_formulas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Prefix text cells that start with = + - @ (or tab/CR) with a quote so spreadsheets show them as text."""
    arrays = []
    for arr in batch.columns:
        if _is_text(arr.type):
            if not pa.types.is_string(arr.type):
                arr = arr.cast(pa.string())  # one type for every batch: the CSV writer checks the schema
            # The first character looked up in the set: 5× faster than an anchored regex (bench/api.py, 10M rows).
            first = pc.utf8_slice_codeunits(arr, 0, 1)
            mask = pc.fill_null(pc.is_in(first, value_set=pa.array(list(FORMULA_START))), False)
            if pc.any(mask).as_py():
                arr = pc.if_else(mask, pc.binary_join_element_wise(pa.scalar("'"), arr, pa.scalar("")), arr)
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def decimal_commas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Floating-point and decimal columns written with a decimal comma (103.5 → « 103,5 »), as French spreadsheets
    read them: with a point, French Excel takes some values for dates. The digits are Arrow's own (the same text the
    CSV writer would produce); other columns, dates and times included, are unchanged."""
    arrays = []
    for arr in batch.columns:
        if pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
            arr = pc.replace_substring(arr.cast(pa.string()), ".", ",")
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_jsonable, allow_nan=False)


def _clean_record(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))) else v)
            for k, v in rec.items()}


# -- writers: each consumes batches and returns the number of rows written ---------------------------------------------
Writer = Callable[[IO[bytes], Iterator[pa.RecordBatch], Callable[[], pa.Schema], dict[str, Any], dict[str, Any]], int]


def _write_csv(out: IO[bytes], batches: Iterator[pa.RecordBatch], empty_schema: Callable[[], pa.Schema],
               info: dict[str, Any], opts: dict[str, Any]) -> int:
    if opts.get("bom", True):
        out.write(BOM)
    write_opts = pacsv.WriteOptions(delimiter=opts.get("delimiter", ";"), include_header=True, quoting_style="needed")
    comma = opts.get("decimal", ".") == ","
    writer = None
    rows = 0
    for batch in batches:
        # Formulas first: a number turned into « -2,5 » text stays a number for spreadsheets, not a formula.
        batch = defuse_formulas(batch)
        if comma:
            batch = decimal_commas(batch)
        if writer is None:
            writer = pacsv.CSVWriter(out, batch.schema, write_options=write_opts)
        writer.write_batch(batch)
        rows += batch.num_rows
    if writer is None:
        schema = empty_schema()
        writer = pacsv.CSVWriter(out, schema, write_options=write_opts)
    writer.close()
    return rows


def _write_json(out: IO[bytes], batches: Iterator[pa.RecordBatch], empty_schema: Callable[[], pa.Schema],
                info: dict[str, Any], opts: dict[str, Any]) -> int:
    # The metadata comes first and the row count last: the count is only known once every batch is written.
    meta = {k: v for k, v in info.items() if k != "enregistrements"}
    out.write(('{"metadata": ' + _dumps(meta) + ',\n"records": [').encode("utf-8"))
    rows = 0
    for batch in batches:
        for rec in batch.to_pylist():
            out.write((("\n" if rows == 0 else ",\n") + _dumps(_clean_record(rec))).encode("utf-8"))
            rows += 1
    out.write(f'\n],\n"count": {rows}}}\n'.encode())
    return rows


def _feature_writer(schema_geo: tuple[str | None, str | None, str | None]) -> Callable[[dict[str, Any]], Any]:
    geom_col, lon_col, lat_col = schema_geo

    def feature(rec: dict[str, Any]) -> dict[str, Any]:
        geometry = None
        if geom_col and rec.get(geom_col):
            try:
                geometry = json.loads(rec[geom_col])
            except (TypeError, ValueError):
                geometry = None
        if geometry is None and lon_col and lat_col and rec.get(lon_col) is not None and rec.get(lat_col) is not None:
            geometry = {"type": "Point", "coordinates": [rec[lon_col], rec[lat_col]]}
        props = {k: v for k, v in rec.items() if k != geom_col}
        return {"type": "Feature", "geometry": geometry, "properties": _clean_record(props)}

    return feature


def _write_geojson(out: IO[bytes], batches: Iterator[pa.RecordBatch], empty_schema: Callable[[], pa.Schema],
                   info: dict[str, Any], opts: dict[str, Any]) -> int:
    feature = _feature_writer(opts["geo"])
    meta = {k: v for k, v in info.items() if k != "enregistrements"}
    # `metadata` is a foreign member, allowed by RFC 7946 §6.1; GIS software ignores it.
    out.write(('{"type": "FeatureCollection", "metadata": ' + _dumps(meta) + ',\n"features": [').encode("utf-8"))
    rows = 0
    for batch in batches:
        for rec in batch.to_pylist():
            out.write((("\n" if rows == 0 else ",\n") + _dumps(feature(rec))).encode("utf-8"))
            rows += 1
    out.write(b"\n]}\n")
    return rows


def _write_parquet(out: IO[bytes], batches: Iterator[pa.RecordBatch], empty_schema: Callable[[], pa.Schema],
                   info: dict[str, Any], opts: dict[str, Any]) -> int:
    kv = {f"territoire.{k}".encode(): str(v).encode("utf-8") for k, v in info.items() if k != "enregistrements"}
    writer = None
    schema = None
    rows = 0
    for batch in batches:
        if writer is None or schema is None:
            schema = batch.schema.with_metadata({**(batch.schema.metadata or {}), **kv})
            writer = pq.ParquetWriter(out, schema, compression=opts.get("compression", "zstd"))
        writer.write_batch(batch.replace_schema_metadata(schema.metadata))
        rows += batch.num_rows
    if writer is None:
        writer = pq.ParquetWriter(out, empty_schema().with_metadata(kv), compression=opts.get("compression", "zstd"))
    writer.close()
    return rows


def _xlsx_value(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, (list, dict)):
        return _dumps(value)
    return value


def _discard_sheet(ws: Any) -> None:
    """A workbook abandoned half-way (time limit, too many rows): close the sheet's stream and delete the temp file
    openpyxl writes it to, which it would otherwise keep until the process exits."""
    writer = getattr(ws, "_writer", None)
    if writer is None:
        return
    with contextlib.suppress(Exception):  # best effort: the export is already failing with its own message
        ws.close()
    with contextlib.suppress(OSError, ValueError):
        writer.cleanup()


def _write_xlsx(out: IO[bytes], batches: Iterator[pa.RecordBatch], empty_schema: Callable[[], pa.Schema],
                info: dict[str, Any], opts: dict[str, Any]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Données")
    header_written = False
    rows = 0
    try:
        for batch in batches:
            if not header_written:
                ws.append(batch.schema.names)
                header_written = True
            if rows + batch.num_rows > XLSX_MAX_ROWS:
                raise ExportError("Trop d'enregistrements pour une feuille Excel (1 048 575 au plus) : "
                                  "choisissez CSV ou Parquet, ou filtrez.")
            for rec in batch.to_pylist():
                row = []
                for value in rec.values():
                    value = _xlsx_value(value)
                    if isinstance(value, str) and value.startswith("="):
                        # openpyxl stores a string starting with "=" as a formula: force a plain text cell.
                        cell = WriteOnlyCell(ws, value=value)
                        cell.data_type = "s"
                        row.append(cell)
                    else:
                        row.append(value)
                ws.append(row)
                rows += 1
    except BaseException:
        _discard_sheet(ws)
        raise
    if not header_written:
        ws.append(empty_schema().names)
    lic = wb.create_sheet("Licence")
    lic.append(["Champ", "Valeur"])
    for key, value in {**info, "enregistrements": rows}.items():
        lic.append([_LICENCE_LABELS.get(key, key), _xlsx_value(str(value))])
    wb.save(out)
    return rows


WRITERS: dict[str, Writer] = {
    "csv": _write_csv, "csv-comma": _write_csv, "json": _write_json, "geojson": _write_geojson,
    "parquet": _write_parquet, "xlsx": _write_xlsx,
}


def export_dataset(schema: Schema, fmt: str, view: DatasetView | None = None, *, bom: bool = True,
                   directory: Path | None = None, day: dt.date | None = None) -> ExportResult:
    """Write the whole dataset (view None or unfiltered) or exactly the view's filtered rows to a temp file.

    Args:
        schema: the dataset's columns (allow-list for the SQL).
        fmt: a key of FORMATS.
        view: the current view; only its filters, search and sort apply (never its page).
        bom: UTF-8 byte order mark at the start of CSV files (Excel needs it to read accents).
        directory: where to write (default `<data_dir>/tmp/exports/`).
        day: the date in the file name (default today).
    """
    if fmt not in FORMATS:
        raise ExportError(f"Format d'export inconnu : « {fmt} ».")
    if fmt not in formats_for(schema):
        raise ExportError("Ce jeu de données n'a pas de géométrie : l'export GeoJSON n'est pas proposé.")
    filtered = view is not None and view.is_filtered
    query = export_query(view if filtered else None, schema)
    directory = directory or export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _sweep(directory)
    name = file_name(schema.dataset_id, fmt, filtered, day)
    path = directory / f"{uuid.uuid4().hex}_{name}"
    info = licence_info(schema.dataset_id, view if filtered else None)
    lon_lat = schema.lon_lat
    geom = str(schema.geo.get("geometry") or "geometry") if schema.has_geometry else None
    # The French CSV (« ; ») writes decimal commas, the international one (« , ») decimal points.
    opts = {"bom": bom, "delimiter": "," if fmt == "csv-comma" else ";", "decimal": "." if fmt == "csv-comma" else ",",
            "geo": (geom, lon_lat[0] if lon_lat else None, lon_lat[1] if lon_lat else None)}
    tmp = path.with_name(path.name + ".part")
    with export_slot():  # ExportBusy (French message) when TERRITOIRE_EXPORT_MAX_CONCURRENT exports are running
        # Past TERRITOIRE_EXPORT_TIMEOUT the query is interrupted or the writer stopped, and the partial file removed.
        deadline = Deadline(get_settings().export_timeout_s)
        slices = SLICE_ROWS if fmt in ROW_BY_ROW else None
        batches = timed_batches(query.sql, query.params, BATCH_ROWS, deadline, slices)
        try:
            with tmp.open("wb") as out:
                rows = WRITERS[fmt](out, batches, lambda: _empty_schema(query.sql, query.params), info, opts)
            deadline.check()
            os.replace(tmp, path)
        except QueryError:
            tmp.unlink(missing_ok=True)
            raise
        except (OSError, pa.ArrowException, ValueError) as exc:
            tmp.unlink(missing_ok=True)
            raise ExportError(f"Export impossible : {exc}") from exc
        finally:
            batches.close()  # an export that stopped half-way releases its DuckDB cursor now, not at garbage collection
    return ExportResult(path=path, file_name=name, mime=FORMATS[fmt].mime, rows=rows)


def open_for_download(result: ExportResult) -> IO[bytes]:
    """Open the file and unlink it at once: the handle still reads it, and nothing stays in the temp folder."""
    handle = result.path.open("rb")
    result.path.unlink(missing_ok=True)
    return handle
