"""The parameters of a dataset export, under Opendatasoft's names and defaults: the CSV dialect (delimiter, with_bom,
quote_all, list_separator), field labels as headers (use_labels), GZIP (compressed), the Parquet codec
(parquet_compression) and the projection of the geojson export (epsg, by PROJ). A value out of range is ODS's 400."""

from __future__ import annotations

import functools
import gzip
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely
import shapely.errors
import shapely.geometry
from starlette.requests import Request

from api.odsql import ODSQLQuery
from api.odsql.errors import InvalidParameterError
from api.responses import boolean, integer, text

WGS84 = 4326
PARQUET_CODECS = ("snappy", "zstd")
MAX_SEPARATOR = 10  # characters of a list_separator
GZIP_LEVEL = 6  # zlib's default: most of the gain of 9 at a fraction of its CPU

Write = Callable[[IO[bytes], Iterator[pa.RecordBatch]], None]


@dataclass(frozen=True)
class ExportOptions:
    delimiter: str = ";"
    with_bom: bool = True
    quote_all: bool = False
    list_separator: str = ","
    use_labels: bool = False
    compressed: bool = False
    parquet_compression: str = "snappy"
    epsg: int = WGS84


def _invalid(name: str, value: str, expected: str) -> InvalidParameterError:
    return InvalidParameterError(f"Invalid value for {name} API parameter: {value[:20]!r} ({expected}).", name)


def export_options(request: Request) -> ExportOptions:
    """The export parameters of a request, checked."""
    delimiter = text(request, "delimiter") or request.query_params.get("delimiter") or ";"  # a tab is only space
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise _invalid("delimiter", delimiter, "one character, such as ; , | or a tab")
    separator = request.query_params.get("list_separator") or ","
    if len(separator) > MAX_SEPARATOR or any(c in separator for c in "\r\n\""):
        raise _invalid("list_separator", separator, f"at most {MAX_SEPARATOR} characters, no quote nor line break")
    codec = (text(request, "parquet_compression") or "snappy").lower()
    if codec not in PARQUET_CODECS:
        raise _invalid("parquet_compression", codec, " or ".join(PARQUET_CODECS))
    epsg = integer(request, "epsg", WGS84)
    if epsg != WGS84:
        try:
            pyproj.CRS.from_epsg(epsg)
        except (pyproj.exceptions.CRSError, OverflowError, ValueError):
            raise InvalidParameterError(f"Invalid value for epsg API parameter: {epsg} is not an EPSG code known to "
                                        f"PROJ (geometries are stored in WGS 84, epsg={WGS84}).", "epsg") from None
    return ExportOptions(delimiter=delimiter, with_bom=boolean(request, "with_bom", True),
                         quote_all=boolean(request, "quote_all"), list_separator=separator,
                         use_labels=boolean(request, "use_labels"), compressed=boolean(request, "compressed"),
                         parquet_compression=codec, epsg=epsg)


def headers(query: ODSQLQuery, meta: Mapping[str, Any], use_labels: bool) -> list[str]:
    """The column names of an export: the result's labels, or with use_labels each field's label from the dataset's
    schema (a computed column keeps its own; a label two columns would share keeps the names)."""
    names = [c.label for c in query.columns]
    if not use_labels:
        return names
    labels = {str(c["name"]): str(c.get("label") or c["name"]) for c in meta.get("columns", [])}
    chosen = [labels.get(name, name) for name in names]
    return chosen if len(set(chosen)) == len(chosen) else names


@functools.lru_cache(maxsize=16)
def _transformer(epsg: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(WGS84, epsg, always_xy=True)


def projection(epsg: int) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """GeoJSON geometry (WGS 84, lon/lat) → the same geometry in `epsg` (x/y, PROJ's axis order made lon/lat first);
    None for WGS 84 itself. A geometry PROJ cannot map (out of the projection's area) gets infinite coordinates:
    it is written as null rather than as a wrong shape."""
    if epsg == WGS84:
        return None
    transformer = _transformer(epsg)

    def coords(points: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(points[:, 0], points[:, 1])
        return np.column_stack([x, y])

    def project(geometry: dict[str, Any]) -> dict[str, Any]:
        try:
            moved = shapely.transform(shapely.geometry.shape(geometry), coords)
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
            return None  # type: ignore[return-value]
        bounds = moved.bounds
        if moved.is_empty or not all(np.isfinite(bounds)):
            return None  # type: ignore[return-value]
        return shapely.geometry.mapping(moved)

    return project


def join_lists(batch: pa.RecordBatch, separator: str) -> pa.RecordBatch:
    """List columns → text, entries joined by list_separator (CSV and spreadsheet cells hold one value)."""
    if not any(pa.types.is_list(t) or pa.types.is_large_list(t) for t in batch.schema.types):
        return batch  # the usual case: nothing to rebuild
    arrays = []
    for arr in batch.columns:
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            arr = pc.binary_join(pc.cast(arr, pa.list_(pa.string())), separator)
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


class _Forward(io.RawIOBase):
    """A write-only, unseekable view of a stream. GzipFile says it can seek, but only forward: a writer that seeks
    back when it can (zipfile, for xlsx) must see a stream it cannot seek, as the response's pipe is."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self.target = target

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.target.tell()

    def write(self, data: Any) -> int:
        return self.target.write(data)


def gzipped(write: Write) -> Write:
    """The same writer, its output compressed with GZIP as it streams (compressed=true: a .gz file)."""

    def run(out: IO[bytes], batches: Iterator[pa.RecordBatch]) -> None:
        # mtime=0: the same export gives the same bytes (the ETag is the request's, not the moment's)
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as zipped:
            write(_Forward(zipped), batches)  # type: ignore[arg-type]

    return run
