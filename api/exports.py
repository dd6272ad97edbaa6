"""GET …/exports (the list) and …/exports/{format}: every row ODSQL selects, streamed as it is written (no records
cap), under the export limits of exports/limits.py (a slot per export, a time limit) and with exports/' writers."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from api.export_options import WGS84, ExportOptions, export_options, gzipped, headers, join_lists, projection
from api.odsql import ODSQLQuery
from api.odsql.errors import InvalidParameterError
from api.records import dataset_url
from api.responses import (
    CORS,
    clean,
    dataset_query,
    endpoint,
    format_link,
    in_zone,
    integer,
    json_response,
    link,
    odsql_params,
    published,
    schema_of,
)
from config import get_settings
from exports import BOM, WRITERS, defuse_formulas, licence_info
from exports.limits import Deadline, export_slot, timed_batches

LOG = logging.getLogger(__name__)
# Rows per DuckDB batch; a Parquet batch is one row group, so bigger ones make a better file. CSV keeps 20 000: on
# 10M rows, formatted 2 at a time, 50 000-row batches were 8 % faster but the RSS grew by 100-143 MB instead of 76.
BATCH_ROWS = {"parquet": 50_000}
DEFAULT_BATCH_ROWS = 20_000
CHUNK_BYTES = 256 * 1024  # small writes are gathered up to this; a formatted batch (~1 MB of CSV) goes as it is
QUEUE_CHUNKS = 4  # a few MB wait for a slow client at most; the writer blocks beyond it
# Batches Arrow formats at once (it releases the GIL), in order, at most CSV_AHEAD ahead of the one being written:
# 10M rows in 2.1 s instead of 3.0 s one at a time, for 14 MB more (2 cores, bench/api.py measures it over HTTP).
CSV_WORKERS = 2
CSV_AHEAD = 3
STALL_S = 30.0  # a client that reads nothing for this long is gone: its export stops and frees its slot
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
           "jsonl": "application/jsonl; charset=utf-8", "geojson": "application/geo+json; charset=utf-8",
           "parquet": "application/vnd.apache.parquet",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# The other formats of ODS's list (fgb, gpx, jsonld, kml, n3, ov2, rdfxml, shp, turtle) need GIS or RDF writers
# this portal does not have: they are refused with a 400 naming the formats it serves.
GEO_TYPES = ("geo_point_2d", "geo_shape")
GZIP_TYPE = "application/gzip"  # compressed=true: the file itself is a .gz (not a Content-Encoding)


class _Pipe(io.RawIOBase):
    """The writable end a writer thread fills and the response drains, in chunks, with back-pressure."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: queue.Queue[bytes | None] = queue.Queue(QUEUE_CHUNKS)
        self.buffer = bytearray()
        self.position = 0
        self.cancelled = threading.Event()
        self.stalled = False

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def write(self, data: Any) -> int:
        if self.cancelled.is_set():
            raise BrokenPipeError(self.reason())
        view = memoryview(data).cast("B")
        size = view.nbytes
        self.position += size
        if not self.buffer and size >= CHUNK_BYTES:  # a whole formatted batch: one copy, handed over as it is
            self.push(bytes(view))
            return size
        self.buffer += view
        if len(self.buffer) >= CHUNK_BYTES:
            self.push()
        return size

    def push(self, item: bytes | None = b"") -> None:
        """Hand a chunk to the response; a reader that takes nothing for STALL_S is gone (the export stops)."""
        chunk = bytes(self.buffer) if item == b"" else item
        self.buffer.clear()
        waited = 0.0
        while not self.cancelled.is_set():
            try:
                self.chunks.put(chunk, timeout=0.5)
                return
            except queue.Full:
                waited += 0.5
                if waited >= STALL_S:
                    self.stalled = True
                    self.cancelled.set()
        if item is not None:
            raise BrokenPipeError(self.reason())

    def reason(self) -> str:
        return f"the client read nothing for {STALL_S:g} s" if self.stalled else "the client went away"

    def close(self) -> None:  # pyarrow closes the sink it was given; the stream ends when the writer returns
        pass


def _flatten_geo(batch: pa.RecordBatch) -> pa.RecordBatch:
    """geo_point_2d structs → "lat, lon" text, as ODS writes them in CSV and spreadsheets."""
    arrays = []
    for arr in batch.columns:
        if pa.types.is_struct(arr.type) and {arr.type.field(i).name for i in range(arr.type.num_fields)} == {"lon",
                                                                                                           "lat"}:
            lat, lon = pc.cast(arr.field("lat"), pa.string()), pc.cast(arr.field("lon"), pa.string())
            arr = pc.binary_join_element_wise(lat, lon, ", ")
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _csv_chunk(batch: pa.RecordBatch, options: pacsv.WriteOptions) -> pa.Buffer:
    """One batch as CSV text in memory, spreadsheet formulas defused (exports.defuse_formulas, vectorised)."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(defuse_formulas(_flatten_geo(batch)), sink, options)
    return sink.getvalue()


def _write_csv(out: IO[bytes], batches: Iterator[pa.RecordBatch], empty: pa.Schema, delimiter: str,
               bom: bool, quoting: str = "needed") -> None:
    """CSV as the export tab writes it, each batch formatted by Arrow into memory and handed over in one write (a
    Python sink written line by line is 3× slower). CSV_WORKERS batches are formatted at once, in order, at most
    CSV_AHEAD ahead of the client."""
    if bom:
        out.write(BOM)
    pending: collections.deque[Future[pa.Buffer]] = collections.deque()
    header = True
    with ThreadPoolExecutor(CSV_WORKERS, thread_name_prefix="api-csv") as pool:
        try:
            for batch in batches:
                options = pacsv.WriteOptions(include_header=header, delimiter=delimiter, quoting_style=quoting)
                pending.append(pool.submit(_csv_chunk, batch, options))
                header = False
                if len(pending) >= CSV_AHEAD:
                    out.write(pending.popleft().result())
            while pending:
                out.write(pending.popleft().result())
        finally:
            for future in pending:  # the client went away or the time ran out: drop what is not started
                future.cancel()
    if header:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(empty.empty_table(), sink, pacsv.WriteOptions(delimiter=delimiter, quoting_style=quoting))
        out.write(sink.getvalue().to_pybytes())


def _json_default(zone: ZoneInfo) -> Callable[[Any], Any]:
    """How the JSON writers write what json does not know: datetimes with the request's offset (as the records route
    does), anything else as text."""
    return lambda value: in_zone(value, zone) if isinstance(value, dt.datetime) else str(value)


def _write_records(out: IO[bytes], batches: Iterator[pa.RecordBatch], lines: bool, zone: ZoneInfo) -> None:
    """ODS's json export (one array of records) or jsonl (one record a line)."""
    default = _json_default(zone)
    first = True
    if not lines:
        out.write(b"[")
    for batch in batches:
        for rec in batch.to_pylist():
            data = json.dumps(clean(rec), ensure_ascii=False, default=default, allow_nan=False)
            out.write(((data + "\n") if lines else (("" if first else ",\n") + data)).encode("utf-8"))
            first = False
    if not lines:
        out.write(b"]\n")


def _write_geojson(out: IO[bytes], batches: Iterator[pa.RecordBatch], geo: tuple[str, str], zone: ZoneInfo,
                   epsg: int = WGS84) -> None:
    """A FeatureCollection; the geometry is the first geo field (a point {lon, lat} or a GeoJSON shape), in WGS 84
    or reprojected into `epsg` (named then by the `crs` member GDAL and ODS write, RFC 7946 knowing only WGS 84)."""
    name, kind = geo
    default = _json_default(zone)
    project = projection(epsg)
    crs = "" if project is None else f'"crs": {{"type": "name", "properties": {{"name": "EPSG:{epsg}"}}}}, '
    out.write(b'{"type": "FeatureCollection", ' + crs.encode() + b'"features": [')
    first = True
    for batch in batches:
        for rec in batch.to_pylist():
            value = rec.pop(name, None)
            geometry = None
            if kind == "geo_point_2d" and isinstance(value, dict) and None not in (value.get("lon"), value.get("lat")):
                geometry = {"type": "Point", "coordinates": [value["lon"], value["lat"]]}
            elif isinstance(value, str):
                with contextlib.suppress(ValueError):
                    geometry = json.loads(value)
            elif isinstance(value, dict):
                geometry = value
            if project is not None and geometry is not None:
                geometry = project(geometry)
            feature = {"type": "Feature", "geometry": geometry, "properties": clean(rec)}
            out.write((("" if first else ",\n") + json.dumps(feature, ensure_ascii=False, default=default,
                                                              allow_nan=False)).encode("utf-8"))
            first = False
    out.write(b"]}\n")


def _writer(fmt: str, opts: ExportOptions, dataset_id: str, query: ODSQLQuery, names: list[str]) -> Callable[
        [IO[bytes], Iterator[pa.RecordBatch]], None]:
    """The writer of one format with the request's options (the batches' columns are already named `names`)."""
    write = _format_writer(fmt, opts, dataset_id, query, names)
    return gzipped(write) if opts.compressed else write


def _format_writer(fmt: str, opts: ExportOptions, dataset_id: str, query: ODSQLQuery,
                   names: list[str]) -> Callable[[IO[bytes], Iterator[pa.RecordBatch]], None]:
    geo = next(((c.label, c.type) for c in query.columns if c.type in GEO_TYPES), None)
    zone = ZoneInfo(query.timezone)
    if fmt == "geojson" and geo is None:
        raise InvalidParameterError("The geojson export needs a geographic field (geo_point_2d or geo_shape): this "
                                    "dataset, or this select, has none. Use csv, json, jsonl, parquet or xlsx.",
                                    "format")
    if opts.epsg != WGS84 and geo is not None and fmt != "geojson":
        raise InvalidParameterError(f"Invalid value for epsg API parameter: {opts.epsg}. Only the geojson export "
                                    f"reprojects geometries; {fmt} writes them in WGS 84 (epsg={WGS84}).", "epsg")
    info = licence_info(dataset_id)
    empty = pa.schema([pa.field(name, pa.string()) for name in names])
    sep = opts.list_separator
    if fmt == "csv":
        quoting = "all_valid" if opts.quote_all else "needed"
        return lambda out, batches: _write_csv(out, (join_lists(b, sep) for b in batches), empty, opts.delimiter,
                                               opts.with_bom, quoting)
    if fmt == "xlsx":
        sheet = {"bom": opts.with_bom, "delimiter": opts.delimiter, "geo": (None, None, None)}
        return lambda out, batches: WRITERS[fmt](out, (join_lists(_flatten_geo(b), sep) for b in batches),
                                                 lambda: empty, info, sheet) and None
    if fmt == "parquet":
        codec = {"compression": opts.parquet_compression}
        return lambda out, batches: WRITERS["parquet"](out, batches, lambda: empty, info, codec) and None
    if fmt == "geojson" and geo is not None:
        return lambda out, batches: _write_geojson(out, batches, geo, zone, opts.epsg)
    return lambda out, batches: _write_records(out, batches, lines=fmt == "jsonl", zone=zone)


def _stream(write: Callable[[IO[bytes], Iterator[pa.RecordBatch]], None], batches: Iterator[pa.RecordBatch],
            stack: contextlib.ExitStack) -> AsyncIterator[bytes]:
    """Run the writer in a thread into a pipe and yield its chunks; the export slot is freed when it ends. An async
    generator, so that a client who goes away cancels it at once: the writer then stops at its next write."""
    pipe = _Pipe()

    def work() -> None:
        try:
            write(pipe, batches)
            pipe.push()
        except Exception as exc:  # noqa: BLE001 - the answer has started: the stream ends (truncated), as ODS does
            LOG.warning("API export stopped: %s", exc)
        finally:
            with contextlib.suppress(Exception):
                batches.close()  # type: ignore[attr-defined]  # a generator: releases the DuckDB cursor now
            stack.close()
            pipe.push(None)

    def next_chunk() -> bytes | None:
        while True:
            try:
                return pipe.chunks.get(timeout=1.0)
            except queue.Empty:
                if not thread.is_alive():
                    return None  # the writer stopped without its end marker (its reader was declared gone)

    thread = threading.Thread(target=work, name="api-export", daemon=True)
    thread.start()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while (chunk := await anyio.to_thread.run_sync(next_chunk, abandon_on_cancel=True)) is not None:
                if chunk:
                    yield chunk
        finally:
            pipe.cancelled.set()

    return chunks()


class _ExportResponse(StreamingResponse):
    """A streamed export whose chunk generator is closed as soon as the answer ends, sent or not (a client gone away
    would otherwise leave it to the garbage collector, and the export holding its slot until then)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]


def _chain(first: pa.RecordBatch | None, rest: Iterator[pa.RecordBatch],
           raw: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The first batch (already read) then the rest; closing it closes the DuckDB cursor at once."""
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        raw.close()  # type: ignore[attr-defined]


def dataset_formats(meta: dict[str, Any]) -> list[str]:
    """The formats served for a dataset (geojson only with a geo field): this list and the DCAT distributions."""
    has_geo = any(f.type in GEO_TYPES for f in schema_of(meta).fields)
    return [fmt for fmt in FORMATS if has_geo or fmt != "geojson"]


@endpoint
def formats(request: Request) -> Response:
    dataset_id = request.path_params["dataset_id"]
    meta = published(dataset_id)
    url = f"{dataset_url(dataset_id)}/exports"
    return json_response({"_links": [link(url, "self")] + [format_link(f"{url}/{fmt}", "dataset", fmt)
                                                            for fmt in dataset_formats(meta)]})


@endpoint
def export(request: Request) -> Response:
    dataset_id = request.path_params["dataset_id"]
    fmt = request.path_params["format"]
    meta = published(dataset_id)
    if fmt not in FORMATS:
        raise InvalidParameterError(f"Unsupported export format: {fmt[:40]}. Available formats: "
                                    f"{', '.join(FORMATS)}.", "format")
    limit, offset = integer(request, "limit", -1), integer(request, "offset", 0)
    query = dataset_query(dataset_id, schema_of(meta), limit=limit, offset=offset, export=True,
                          **odsql_params(request))
    opts = export_options(request)
    # Field labels as headers where the output lists its fields as a header row (ODS's use_labels).
    labels = headers(query, meta, opts.use_labels and fmt in ("csv", "xlsx"))
    write = _writer(fmt, opts, dataset_id, query, labels)
    stack = contextlib.ExitStack()
    stack.enter_context(export_slot())  # ExportBusy → 429 before anything is sent
    try:
        deadline = Deadline(get_settings().export_timeout_s)
        raw = timed_batches(query.sql, query.params, BATCH_ROWS.get(fmt, DEFAULT_BATCH_ROWS), deadline)
        batches = (b.rename_columns(labels) for b in raw)
        first = next(batches, None)  # a query DuckDB refuses is still a 400 here, before the 200 is sent
    except BaseException:
        stack.close()
        raise
    rows = _chain(first, batches, raw)
    name = quote(f"{dataset_id}.{fmt}" + (".gz" if opts.compressed else ""))
    answer_headers = {**CORS, "Content-Disposition": f'attachment; filename="{name}"'}
    media_type = GZIP_TYPE if opts.compressed else FORMATS[fmt]
    return _ExportResponse(_stream(write, rows, stack), media_type=media_type, headers=answer_headers)
