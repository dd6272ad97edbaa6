"""Readers: expose any supported source to DuckDB as a relation of text columns (plus typed geo/Parquet columns)."""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from loaders import LoadError
from loaders.detect import (
    CHUNK,
    TEXT,
    Dialect,
    SourceScan,
    TypeGuess,
    guess_with_markers,
    header_index,
    is_code_name,
    line_of_offset,
    normalise_names,
    read_text_sample,
    rstrip_empty,
    sniff_dialect,
    sniff_encoding,
)

MAX_LINE_WARNINGS = 20
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
    na_markers: bool = False  # numeric column whose NA markers (detect.NA_MARKERS) are read as empty values


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

    @property
    def relation(self) -> str:
        return self.reader({})


def fixed(relation: str) -> Callable[[dict[str, str]], str]:
    return lambda _types: relation


def sql_str(value: str) -> str:
    """A SQL string literal (DuckDB: quotes doubled, backslashes literal)."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _finish_columns(cols: list[SourceColumn], options: dict[str, Any]) -> None:
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


# ------------------------------------------------------------------------------------------------------ CSV

DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1"}


class EncodingMismatch(Exception):
    """DuckDB met a byte the encoding sniffed from the file's head does not allow: scan the whole file, read again."""


ENCODING_ERRORS = ("invalid unicode", "not latin-1 encoded")


def is_encoding_error(message: str) -> bool:
    low = message.lower()
    return any(e in low for e in ENCODING_ERRORS)


def stage_csv(path: Path, scan: SourceScan, options: dict[str, Any], tmp_dir: Path) -> Staged:
    """Sniff encoding, dialect and types on samples; the COPY then reads the file once, typed and checked."""
    warnings: list[str] = []
    # without a whole-file scan the encoding comes from the head; the reader validates every byte of the rest
    provisional = not options.get("encoding") and scan.encoding is None
    encoding = str(options.get("encoding") or scan.encoding or sniff_encoding(path))
    read_path = path
    if encoding.lower() not in DUCKDB_ENCODINGS:
        # DuckDB 2.0.1 only decodes utf-8/utf-16/latin-1: anything else is streamed to a UTF-8 copy first.
        read_path = tmp_dir / "source-utf8.csv"
        if encoding == "mixed":
            warnings += _repair_mixed_utf8(path, read_path)
        else:
            _transcode(path, read_path, encoding)
    duck_encoding = DUCKDB_ENCODINGS.get(encoding.lower(), "utf-8")
    sample, complete = read_text_sample(read_path, duck_encoding)
    dialect = sniff_dialect(sample, complete, options)
    warnings += dialect.warnings
    cols: list[SourceColumn] = []
    trailing_empty = 0
    for i, head in enumerate(dialect.header):
        values = [r[i] for r in dialect.sample_rows if i < len(r)]
        guess, markers = guess_with_markers(values, dialect.decimal)
        empty = not head.strip() and not any(v.strip() for v in values)
        trailing_empty = trailing_empty + 1 if empty else 0
        cols.append(SourceColumn(raw=f"c{i}", source_name=head.strip(), guess=guess, na_markers=markers))
    for col in cols[len(cols) - trailing_empty:]:
        col.drop_if_empty = True
    _finish_columns(cols, options)
    date_fmts = Counter(c.guess.fmt for c in cols if c.guess and c.guess.type == "date")
    dateformat = date_fmts.most_common(1)[0][0] if date_fmts else None
    padding = False

    def reader(types: dict[str, str]) -> str:
        colspec = "{" + ", ".join(f"{sql_str(c.raw)}: {sql_str(types.get(c.raw, 'VARCHAR'))}" for c in cols) + "}"
        sql = (f"read_csv({sql_str(str(read_path))}, delim={sql_str(dialect.delimiter)}, quote='\"', escape='\"', "
               f"header=false, skip={dialect.skip_lines}, columns={colspec}, auto_detect=false, strict_mode=true, "
               f"encoding={sql_str(duck_encoding)}, decimal_separator={sql_str(dialect.decimal)}")
        if dateformat:
            sql += f", dateformat={sql_str(dateformat)}"
        # parallel=false: DuckDB refuses null_padding with quoted newlines in its parallel scanner
        return sql + (", null_padding=true, parallel=false)" if padding else ")")

    def on_ragged(message: str) -> None:
        nonlocal padding
        try:
            warnings.extend(_diagnose_ragged(read_path, duck_encoding, dialect))
        except UnicodeDecodeError as exc:
            if provisional:
                raise EncodingMismatch(str(exc)) from exc
            raise LoadError(f"caractères invalides pour l'encodage {_encoding_label(encoding)}.") from exc
        padding = True

    dialect_info = {"format": "csv", "encoding": _encoding_label(encoding), "delimiter": dialect.delimiter,
                    "decimal": dialect.decimal, "header_row": dialect.header_row, "dateformat": dateformat}
    return Staged(reader=reader, columns=cols, dialect=dialect_info, warnings=warnings, on_ragged=on_ragged,
                  native_types=True, provisional_encoding=provisional)


def _encoding_label(encoding: str) -> str:
    return {"mixed": "utf-8 (lignes en windows-1252 réparées)", "cp1252": "windows-1252"}.get(encoding, encoding)


def _transcode(src: Path, dest: Path, encoding: str) -> None:
    """Stream a single-byte (or UTF-16) file to UTF-8; an undefined byte stops the load naming its line."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    done = 0
    with src.open("rb") as fin, dest.open("wb") as fout:
        while chunk := fin.read(CHUNK):
            try:
                fout.write(decoder.decode(chunk).encode("utf-8"))
            except UnicodeDecodeError as exc:
                line = line_of_offset(src, done + exc.start)
                raise LoadError(f"ligne {line} : octet 0x{chunk[exc.start]:02X} indécodable en {encoding} ; "
                                "le fichier mélange des encodages, corrigez-le ou précisez l'option « encoding ».",
                                line=line) from exc
            done += len(chunk)
        fout.write(decoder.decode(b"", final=True).encode("utf-8"))


def _repair_mixed_utf8(src: Path, dest: Path) -> list[str]:
    """UTF-8 file with a few foreign lines: each invalid line is decoded as windows-1252 and reported."""
    bad: list[int] = []
    with src.open("rb") as fin, dest.open("wb") as fout:
        for lineno, raw in enumerate(fin, start=1):
            try:
                raw.decode("utf-8")
                fout.write(raw)
                continue
            except UnicodeDecodeError:
                pass
            try:
                fout.write(raw.decode("cp1252").encode("utf-8"))
            except UnicodeDecodeError as exc:
                raise LoadError(f"ligne {lineno} : octets indécodables (ni UTF-8 ni windows-1252) ; "
                                "corrigez le fichier.", line=lineno) from exc
            bad.append(lineno)
    return _line_warnings(bad, "octets non UTF-8, décodés en windows-1252")


def _line_warnings(lines: list[int], what: str) -> list[str]:
    out = [f"ligne {n} : {what}" for n in lines[:MAX_LINE_WARNINGS]]
    if len(lines) > MAX_LINE_WARNINGS:
        out.append(f"… et {len(lines) - MAX_LINE_WARNINGS} autres lignes : {what}")
    return out


def _diagnose_ragged(path: Path, encoding: str, dialect: Dialect) -> list[str]:
    """Slow path after DuckDB refused a row: a long row is an error, short rows are kept and reported."""
    short: list[str] = []
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as fh:
        for _ in range(dialect.skip_lines):
            fh.readline()
        reader = csv.reader(fh, delimiter=dialect.delimiter, quotechar='"', doublequote=True, strict=True)
        start = dialect.skip_lines + 1
        try:
            for rec in reader:
                width = len(rec)
                if rec and any(c for c in rec):
                    if width > dialect.ncols:
                        raise LoadError(
                            f"ligne {start} : {width} champs au lieu de {dialect.ncols} (ligne trop longue) ; "
                            f"vérifiez le séparateur « {dialect.delimiter} » et les guillemets de cette ligne.",
                            line=start)
                    if width < dialect.ncols:
                        short.append(f"ligne {start} : {width} champ(s) au lieu de {dialect.ncols}, "
                                     "complétée par des valeurs vides")
                start = reader.line_num + dialect.skip_lines + 1
        except csv.Error as exc:
            raise LoadError(f"ligne {start} : CSV mal formé ({exc}).", line=start) from exc
    if len(short) > MAX_LINE_WARNINGS:
        short = short[:MAX_LINE_WARNINGS] + [f"… et {len(short) - MAX_LINE_WARNINGS} autres lignes trop courtes"]
    return short


CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def duckdb_csv_error(exc: duckdb.Error) -> LoadError:
    """Translate a DuckDB CSV error into a French LoadError naming the line."""
    msg = str(exc)
    m = CSV_LINE.search(msg)
    line = int(m.group(1)) if m else None
    first = next((ln.strip() for ln in msg.splitlines()[1:] if ln.strip()), msg.splitlines()[0] if msg else "")
    if "unicode" in msg.lower():
        what = "caractères invalides pour l'encodage détecté"
    elif "quote" in msg.lower():
        what = "guillemets non refermés"
    else:
        what = f"lecture impossible ({first})"
    where = f"ligne {line} : " if line else ""
    return LoadError(f"{where}{what}.", line=line)


# ----------------------------------------------------------------------------------------------- table-like


def cell_text(value: Any) -> str | None:
    """Canonical text of a spreadsheet/JSON cell, so every source goes through the same typing rules."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text != "" else None


def _stage_arrow(con: duckdb.DuckDBPyConnection, table: pa.Table, source_names: list[str],
                 typed: dict[str, str], options: dict[str, Any], dialect: dict[str, Any], warnings: list[str],
                 decimal: str = ".") -> Staged:
    """Register an Arrow table of text columns (plus `typed` geo columns) and guess types on all its values."""
    con.register("staged_source", table)
    cols: list[SourceColumn] = []
    for i, src in enumerate(source_names):
        raw = f"c{i}"
        values = [v for v in table.column(raw).to_pylist() if v is not None]
        guess, markers = guess_with_markers(values, decimal)
        cols.append(SourceColumn(raw=raw, source_name=src, guess=guess, na_markers=markers))
    for name, typ in typed.items():
        cols.append(SourceColumn(raw=name, source_name=name, fixed_type=typ))
    _finish_columns(cols, options)
    return Staged(reader=fixed("staged_source"), columns=cols, dialect=dialect, warnings=warnings)


def _text_table(rows: list[list[str | None]], width: int, extra: dict[str, pa.Array] | None = None) -> pa.Table:
    arrays = {f"c{i}": pa.array([r[i] if i < len(r) else None for r in rows], type=pa.string()) for i in range(width)}
    arrays.update(extra or {})
    return pa.table(arrays)


def stage_spreadsheet(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: dict[str, Any]) -> Staged:
    """XLSX/ODS via python-calamine: choose the sheet, find the header under any title block."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt workbooks
        raise LoadError(f"{path.name} : classeur illisible ({exc}).") from exc
    names = list(wb.sheet_names)
    sheets = {n: wb.get_sheet_by_name(n).to_python() for n in names}
    warnings: list[str] = []
    wanted = options.get("sheet")
    if wanted is not None:
        if isinstance(wanted, int) or str(wanted).isdigit():
            idx = int(wanted)
            if not 0 <= idx < len(names):
                raise LoadError(f"Feuille n° {idx} absente (feuilles : {', '.join(names)}).")
            sheet = names[idx]
        elif str(wanted) in sheets:
            sheet = str(wanted)
        else:
            raise LoadError(f"Feuille « {wanted} » absente (feuilles : {', '.join(names)}).")
    else:
        filled = [n for n in names if any(any(cell_text(v) for v in row) for row in sheets[n])]
        if not filled:
            raise LoadError(f"{path.name} : classeur vide.")
        sheet = filled[0]
        if len(filled) > 1:
            warnings.append(f"Le classeur contient {len(filled)} feuilles avec des données ; « {sheet} » a été "
                            f"chargée (option « sheet » pour en choisir une autre : {', '.join(filled)}).")
    rows = [[cell_text(v) for v in row] for row in sheets[sheet]]
    text_rows = [(i, [v or "" for v in row]) for i, row in enumerate(rows) if any(row)]
    if not text_rows:
        raise LoadError(f"Feuille « {sheet} » vide.")
    widths = Counter(len(rstrip_empty(r)) for _, r in text_rows)
    width = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
    hidx = header_index(text_rows, width, options.get("header_row"))
    header_line, header = text_rows[hidx]
    data = [rows[i] for i, _ in text_rows[hidx + 1:]]
    ncols = max([len(rstrip_empty(header))] + [len(rstrip_empty([v or "" for v in r])) for r in data] or [1])
    header = (header + [""] * ncols)[:ncols]
    if hidx:
        warnings.append(f"{header_line} ligne(s) de titre au-dessus de l'en-tête ignorée(s).")
    dialect = {"format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "header_row": header_line,
               "sheet": sheet}
    return _stage_arrow(con, _text_table(data, ncols), [h.strip() for h in header], {}, options, dialect, warnings)


def _find_records(node: Any, path: str = "") -> tuple[str, list[dict[str, Any]]] | None:
    """Depth-first search for the first list of objects, in key order."""
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        return path, node
    if isinstance(node, dict):
        for key, value in node.items():
            found = _find_records(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    return None


def stage_json(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Staged:
    """A list of records, at the top or nested under a key (found, or given as `records_path` a.b.c)."""
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path.name} : JSON invalide ({exc}).") from exc
    rp = options.get("records_path")
    if rp:
        node = doc
        for key in str(rp).split("."):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise LoadError(f"{path.name} : chemin « {rp} » absent du JSON.")
        if not isinstance(node, list) or not all(isinstance(x, dict) for x in node):
            raise LoadError(f"{path.name} : « {rp} » n'est pas une liste d'objets.")
        records, found_path = node, str(rp)
    else:
        found = _find_records(doc)
        if found is None:
            raise LoadError(f"{path.name} : aucune liste d'objets trouvée dans le JSON.")
        found_path, records = found
    keys: dict[str, None] = {}
    for rec in records:
        for k in rec:
            keys.setdefault(str(k), None)
    names = list(keys)
    rows = [[cell_text(rec.get(k)) for k in names] for rec in records]
    dialect = {"format": "json", "encoding": "utf-8", "delimiter": None, "decimal": ".", "header_row": None,
               "records_path": found_path or None}
    return _stage_arrow(con, _text_table(rows, len(names)), names, {}, options, dialect, [])


def stage_geo(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: dict[str, Any]) -> Staged:
    """GeoJSON, zipped Shapefile, GeoPackage: reprojected to WGS84, geometry kept as GeoJSON text."""
    import pyogrio
    import shapely

    warnings: list[str] = []
    layer = options.get("layer")
    target = f"/vsizip/{path}" if fmt == "shapefile" and path.suffix.lower() == ".zip" else str(path)
    try:
        gdf = pyogrio.read_dataframe(target, layer=layer)
        if fmt == "gpkg" and layer is None and len(pyogrio.list_layers(target)) > 1:
            warnings.append(f"Le GeoPackage contient plusieurs couches ; « {pyogrio.list_layers(target)[0][0]} » "
                            "a été chargée (option « layer » pour en choisir une autre).")
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in several classes
        raise LoadError(f"{path.name} : fichier géographique illisible ({exc}).") from exc
    if gdf.crs is None:
        warnings.append("Système de coordonnées absent : WGS84 (EPSG:4326) supposé.")
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry.values
    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    geojson = shapely.to_geojson(geoms)
    extra: dict[str, pa.Array] = {"geometry": pa.array(geojson, type=pa.string())}
    if kinds and kinds <= {0}:  # 0 = Point
        geo = {"kind": "point", "lon": "longitude", "lat": "latitude", "geometry": "geometry"}
        extra["longitude"] = pa.array(shapely.get_x(geoms), type=pa.float64(), from_pandas=True)
        extra["latitude"] = pa.array(shapely.get_y(geoms), type=pa.float64(), from_pandas=True)
    else:
        # every non-point geometry (lines included) gets a centroid, so the map can always place a marker
        cent = shapely.centroid(geoms)
        geo = {"kind": "polygon", "lon": "centroid_lon", "lat": "centroid_lat", "geometry": "geometry"}
        extra["centroid_lon"] = pa.array(shapely.get_x(cent), type=pa.float64(), from_pandas=True)
        extra["centroid_lat"] = pa.array(shapely.get_y(cent), type=pa.float64(), from_pandas=True)
    attrs = gdf.drop(columns=gdf.geometry.name)
    attrs = attrs.drop(columns=[c for c in attrs.columns if str(c).lower() in GEO_COLUMNS])
    arrays = {f"c{i}": pa.array(attrs[c], from_pandas=True).cast(pa.string()) for i, c in enumerate(attrs.columns)}
    arrays.update(extra)
    typed = {"geometry": "geometry", **{k: "number" for k in extra if k != "geometry"}}
    dialect = {"format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "header_row": None,
               "layer": layer}
    staged = _stage_arrow(con, pa.table(arrays), [str(c) for c in attrs.columns], typed, options, dialect, warnings)
    staged.geo = geo
    return staged


INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                           "UINTEGER", "UBIGINT", "UHUGEINT"})


def parquet_type(duck_type: str) -> str:
    """Our column type for a DuckDB type read from Parquet; anything unusual becomes text."""
    t = duck_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t == "DATE":
        return "date"
    if t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT", "REAL"):
        return "number"
    return "integer" if t in INTEGER_TYPES else "text"


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Staged:
    """Parquet keeps its own types; columns are only renamed (anything unusual is cast to text)."""
    relation = f"read_parquet({sql_str(str(path))})"
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()  # noqa: S608 - quoted identifiers/literals
    cols = [SourceColumn(raw=str(name), source_name=str(name), fixed_type=parquet_type(str(dtype)))
            for name, dtype, *_ in described]
    for col, name in zip(cols, normalise_names([c.source_name for c in cols]), strict=True):
        col.name = name
    dialect = {"format": "parquet", "encoding": None, "delimiter": None, "decimal": ".", "header_row": None}
    return Staged(reader=fixed(relation), columns=cols, dialect=dialect)
