"""Delimited text (CSV, TSV...): encoding repaired or transcoded when DuckDB cannot decode it, dialect and types
sniffed on samples, then one typed `read_csv`; ragged rows and DuckDB's CSV errors explained in French."""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from loaders import LoadError
from loaders.detect.column_types import EXCEL_SERIAL, FR_MONTH, TEXT
from loaders.detect.dialect import Dialect, parse_records, read_text_sample, sniff_dialect
from loaders.detect.encoding import CHUNK, SourceScan, line_of_offset, sniff_encoding, text_codec
from loaders.detect.markers import date_by_name, guess_with_markers
from loaders.detect.names import normalise_name
from loaders.detect.table_shape import clean, row_kind, trailing_rows
from loaders.readers.staged import (
    SourceColumn,
    Staged,
    finish_columns,
    restore_lost_zeros,
    skipped_warning,
    total_rows_kept,
)
from loaders.sql import ident, sql_str

MAX_LINE_WARNINGS = 20

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
    repaired: list[dict[str, Any]] = []  # lines read leniently, for inspect's repaired_lines
    # without a whole-file scan the encoding comes from the head; the reader validates every byte of the rest
    provisional = not options.get("encoding") and scan.encoding is None
    encoding = str(options.get("encoding") or scan.encoding or sniff_encoding(path))
    read_path = path
    if encoding.lower() not in DUCKDB_ENCODINGS:
        # DuckDB 2.0.1 only decodes utf-8/utf-16/latin-1: anything else is streamed to a UTF-8 copy first.
        read_path = tmp_dir / "source-utf8.csv"
        if encoding == "mixed":
            bad = _repair_mixed_utf8(path, read_path)
            warnings += _line_warnings(bad, "octets non UTF-8, décodés en windows-1252")
            repaired += [{"line": n, "reason": "octets non UTF-8, décodés en windows-1252"} for n in bad]
        else:
            _transcode(path, read_path, encoding)
    duck_encoding = DUCKDB_ENCODINGS.get(encoding.lower(), "utf-8")
    sample, complete = read_text_sample(read_path, duck_encoding)
    dialect = sniff_dialect(sample, complete, options)
    warnings += dialect.warnings
    excluded = _non_data_records(read_path, duck_encoding, dialect)
    if excluded:
        gone = {id(rec) for _, _, rec in excluded}
        keep = [(ln, r) for ln, r in zip(dialect.sample_lines, dialect.sample_rows, strict=True) if id(r) not in gone]
        dialect.sample_lines, dialect.sample_rows = [ln for ln, _ in keep], [r for _, r in keep]
        warnings.append(skipped_warning([(line, why) for line, why, _ in excluded], "ligne"))
    cols: list[SourceColumn] = []
    trailing_empty = 0
    for i, head in enumerate(dialect.header):
        values = [r[i] for r in dialect.sample_rows if i < len(r)]
        guess, markers = guess_with_markers(values, dialect.decimal)
        guess = date_by_name(normalise_name(head), guess, values)
        empty = not head.strip() and not any(v.strip() for v in values)
        trailing_empty = trailing_empty + 1 if empty else 0
        cols.append(SourceColumn(raw=f"c{i}", source_name=" ".join(clean(head).split()), guess=guess, na_markers=markers))
    for col in cols[len(cols) - trailing_empty:]:
        col.drop_if_empty = True
    finish_columns(cols, options)
    restore_lost_zeros(cols, {c.raw: [r[i] for r in dialect.sample_rows if i < len(r)] for i, c in enumerate(cols)},
                       warnings)
    # DuckDB's dateformat is strptime's: French month names are cast by the typed COPY instead
    date_fmts = Counter(c.guess.fmt for c in cols if c.guess and c.guess.type == "date" and c.guess.fmt not in (FR_MONTH, EXCEL_SERIAL[0]))
    dateformat = date_fmts.most_common(1)[0][0] if date_fmts else None
    # a short footnote line would stop the strict reader: pad from the start, the filter then drops it
    padding = any(len(rec) != dialect.ncols for _, _, rec in excluded)
    row_filter = _exclusion_sql(excluded, dialect.ncols)

    def reader(types: dict[str, str]) -> str:
        colspec = "{" + ", ".join(f"{sql_str(c.raw)}: {sql_str(types.get(c.raw, 'VARCHAR'))}" for c in cols) + "}"
        sql = (f"read_csv({sql_str(str(read_path))}, delim={sql_str(dialect.delimiter)}, quote='\"', escape='\"', "
               f"header=false, skip={dialect.skip_lines}, columns={colspec}, auto_detect=false, strict_mode=true, "
               f"encoding={sql_str(duck_encoding)}, decimal_separator={sql_str(dialect.decimal)}")
        if dateformat:
            sql += f", dateformat={sql_str(dateformat)}"
        # parallel=false: DuckDB refuses null_padding with quoted newlines in its parallel scanner
        sql += ", null_padding=true, parallel=false)" if padding else ")"
        return f"(SELECT * FROM {sql} WHERE {row_filter})" if row_filter else sql  # noqa: S608 - quoted literals

    def on_ragged(message: str) -> None:
        nonlocal padding
        try:
            short, long = _diagnose_ragged(read_path, duck_encoding, dialect)
            if long:  # empty fields past the header: columns that the COPY drops when empty over the whole file
                width = max(w for _, w in long)
                cols.extend(SourceColumn(raw=f"c{i}", source_name="", guess=TEXT, drop_if_empty=True, name=f"c{i}")
                            for i in range(len(cols), width))
                warnings.extend(_capped([f"ligne {n} : {w - dialect.ncols} champ(s) vide(s) en trop, ignoré(s)"
                                         for n, w in long], " trop longues"))
                repaired.extend({"line": n, "reason": f"{w - dialect.ncols} champ(s) vide(s) en trop"} for n, w in long)
            excluded_lines = {line for line, _, _ in excluded}
            short = [(n, w) for n, w in short if n not in excluded_lines]  # a footnote is skipped, not padded
            warnings.extend(_capped([f"ligne {n} : {w} champ(s) au lieu de {dialect.ncols}, complétée par des "
                                     "valeurs vides" for n, w in short], " trop courtes"))
            repaired.extend({"line": n, "reason": f"{w} champ(s) au lieu de {dialect.ncols}, complétée"}
                            for n, w in short)
        except UnicodeDecodeError as exc:
            if provisional:
                raise EncodingMismatch(str(exc)) from exc
            raise LoadError(f"caractères invalides pour l'encodage {_encoding_label(encoding)}.") from exc
        padding = True

    if padding:
        on_ragged("")  # padded from the start for a footnote: the other short rows are still named
    dialect_info = {"format": "csv", "encoding": _encoding_label(encoding), "delimiter": dialect.delimiter,
                    "decimal": dialect.decimal, "header_row": dialect.header_row, "dateformat": dateformat}
    # rows are filtered on their text: DuckDB must not parse a column natively before the filter drops a footnote
    staged = Staged(reader=reader, columns=cols, dialect=dialect_info, warnings=warnings, on_ragged=on_ragged,
                    native_types=not row_filter, provisional_encoding=provisional)
    staged.skipped = [{"line": line, "reason": why} for line, why in dialect.skipped] + \
        [{"line": line, "reason": why} for line, why, _ in excluded]
    staged.repaired = repaired  # the same list: on_ragged adds to it during the COPY
    return staged


TAIL_BYTES = 64 << 10
MAX_EXCLUDED = 50


def _non_data_records(path: Path, encoding: str, dialect: Dialect) -> list[tuple[int, str, list[str]]]:
    """(1-based line, why, record) of the records that are not data: repeated headers, totals and footnotes
    in the sample, and the totals and footnotes closing the file (its tail, read apart when the sample is not the
    whole file). Totals repeated as a category (« Ensemble » on many rows) stay data."""
    recs = list(zip(dialect.sample_lines, dialect.sample_rows, strict=True))
    kinds = [(ln, row_kind(r, dialect.ncols, dialect.header)) for ln, r in recs]
    keep = total_rows_kept(kinds, [r[:2] for _, r in recs])
    found = [(ln + 1, why, rec) for (ln, why), kept, (_, rec) in zip(kinds, keep, recs, strict=True)
             if why is not None and why != "ligne vide" and not kept]
    # the records closing the file: totals, footnotes, a lone BOM on the last line (any blank-looking record)
    tail = trailing_rows(recs, dialect.ncols) if dialect.complete else _tail_records(path, encoding, dialect)
    seen = {line for line, _, _ in found}
    found += [(ln + 1, why, rec) for ln, why, rec in tail if ln + 1 not in seen]
    return sorted(found, key=lambda f: f[0])[:MAX_EXCLUDED]


def _tail_records(path: Path, encoding: str, dialect: Dialect) -> list[tuple[int, str, list[str]]]:
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - TAIL_BYTES))
        raw = fh.read()
    start = raw.find(b"\n") + 1  # the first, maybe cut, line is dropped
    text = raw[start:].decode(text_codec(encoding), errors="replace")
    recs = parse_records(text, dialect.delimiter, True)
    tail = trailing_rows(recs, dialect.ncols)
    if not tail:
        return []
    first_line = line_of_offset(path, size - len(raw) + start) - 1  # 0-based, as the sample's lines
    return [(first_line + ln, why, rec) for ln, why, rec in tail]


def _exclusion_sql(excluded: list[tuple[int, str, list[str]]], ncols: int) -> str:
    """SQL keeping every row but the excluded records, matched on their exact fields (empty fields read NULL)."""
    conds: list[str] = []
    for _, _, rec in excluded:
        cells = [rec[i] if i < len(rec) else "" for i in range(ncols)]
        if len(rec) > ncols and any(c.strip() for c in rec[ncols:]):
            continue  # a longer record cannot be matched on the table's columns
        conds.append("(" + " AND ".join(f"{ident(f'c{i}')} IS NULL" if c == "" else f"{ident(f'c{i}')} = {sql_str(c)}"
                                        for i, c in enumerate(cells)) + ")")
    return f"NOT ({' OR '.join(conds)})" if conds else ""


def _encoding_label(encoding: str) -> str:
    return {"mixed": "utf-8 (lignes en windows-1252 réparées)", "cp1252": "windows-1252",
            "mac_roman": "mac-roman"}.get(encoding, encoding)


def _transcode(src: Path, dest: Path, encoding: str) -> None:
    """Stream a single-byte (or UTF-16) file to UTF-8; an undefined byte stops the load naming its line."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    done = 0
    with src.open("rb") as fin, dest.open("wb") as fout:
        while True:
            chunk = fin.read(CHUNK)
            try:
                # the last call (empty chunk) flushes: a cut multi-byte character at the end fails there
                fout.write(decoder.decode(chunk, final=not chunk).encode("utf-8"))
            except UnicodeDecodeError as exc:
                pos = min(done + exc.start, max(0, done + len(chunk) - 1))
                line = line_of_offset(src, pos)
                what = f"octet 0x{chunk[exc.start]:02X} indécodable" if exc.start < len(chunk) else "fin de fichier tronquée"
                raise LoadError(f"ligne {line} : {what} en {encoding} ; le fichier mélange des encodages ou est "
                                "incomplet, corrigez-le ou précisez l'option « encoding ».", line=line) from exc
            if not chunk:
                return
            done += len(chunk)


def _repair_mixed_utf8(src: Path, dest: Path) -> list[int]:
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
    return bad


def _line_warnings(lines: list[int], what: str) -> list[str]:
    return _capped([f"ligne {n} : {what}" for n in lines], f" : {what}")


def _capped(warnings: list[str], rest: str) -> list[str]:
    """At most MAX_LINE_WARNINGS line warnings, then one « … et N autres lignes<rest> »."""
    if len(warnings) <= MAX_LINE_WARNINGS:
        return warnings
    return warnings[:MAX_LINE_WARNINGS] + [f"… et {len(warnings) - MAX_LINE_WARNINGS} autres lignes{rest}"]


def _diagnose_ragged(path: Path, encoding: str, dialect: Dialect) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Slow path after DuckDB refused a row: (line, width) of the short rows, kept and reported, and of the long
    rows whose extra fields are all empty (a stray delimiter at the end), read leniently; a long row with values
    beyond the header is an error naming its line and first extra column (the intent is not clear)."""
    short: list[tuple[int, int]] = []
    long: list[tuple[int, int]] = []
    with path.open(encoding=text_codec(encoding), newline="") as fh:
        for _ in range(dialect.skip_lines):
            fh.readline()
        reader = csv.reader(fh, delimiter=dialect.delimiter, quotechar='"', doublequote=True, strict=True)
        start = dialect.skip_lines + 1
        try:
            for rec in reader:
                width = len(rec)
                if rec and any(c for c in rec):
                    if width > dialect.ncols:
                        extra = next((i for i in range(dialect.ncols, width) if rec[i].strip()), None)
                        if extra is not None:
                            raise LoadError(
                                f"ligne {start}, colonne {extra + 1} : {width} champs au lieu de {dialect.ncols} "
                                f"(ligne trop longue) ; vérifiez le séparateur « {dialect.delimiter} » et les "
                                "guillemets de cette ligne.", line=start)
                        long.append((start, width))
                    if width < dialect.ncols:
                        short.append((start, width))
                start = reader.line_num + dialect.skip_lines + 1
        except csv.Error as exc:
            raise LoadError(f"ligne {start} : CSV mal formé ({exc}).", line=start) from exc
    return short, long


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
