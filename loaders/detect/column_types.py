"""Detection of format, encoding, CSV dialect, header row and column types, from samples of the source."""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from loaders import LoadError

CHUNK = 4 << 20
ENCODING_SAMPLE_BYTES = 1 << 20
DIALECT_SAMPLE_BYTES = 256 << 10
DELIMITER_SAMPLE_CHARS = 64 << 10
TYPE_SAMPLE_ROWS = 3000
DELIMITERS = (";", ",", "\t", "|")

# Bytes 0x80-0x9F are C1 control characters in latin-1 but letters/signs (€, œ, ’) in cp1252.
_C1 = bytes(range(0x80, 0xA0))
_NOT_C1 = bytes(b for b in range(256) if b not in _C1)
_ASCII = bytes(range(0x80))
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

TYPES = ("integer", "number", "text", "date", "datetime", "boolean", "geometry")

# A column whose name carries one of these tokens holds identifiers (INSEE, SIREN, UAI, postcodes): it stays
# text even when every value looks like an integer, so joins on codes keep working across datasets.
CODE_TOKENS = frozenset({
    "code", "codes", "cod", "insee", "siren", "siret", "uai", "cp", "codgeo", "depcom", "codcom", "codreg", "coddep",
    "codarr", "codcan", "com", "dep", "reg", "arr", "postal", "postaux", "postcode", "zipcode", "zip", "rna", "finess",
    "naf", "ape", "nic",
})

_SPACE_CLASS = "[ \u00a0\u202f]"
_THOUSANDS = {"space": _SPACE_CLASS, ".": r"\.", ",": ","}
BOOL_TRUE = frozenset({"true", "vrai", "oui"})
BOOL_FALSE = frozenset({"false", "faux", "non"})
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%d/%m/%Y", r"(0?[1-9]|[12][0-9]|3[01])/(0?[1-9]|1[0-2])/[0-9]{4}"),
    ("%Y-%m-%d", r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    ("%d-%m-%Y", r"(0?[1-9]|[12][0-9]|3[01])-(0?[1-9]|1[0-2])-[0-9]{4}"),
    ("%d.%m.%Y", r"(0?[1-9]|[12][0-9]|3[01])\.(0?[1-9]|1[0-2])\.[0-9]{4}"),
    ("%Y/%m/%d", r"[0-9]{4}/[0-9]{2}/[0-9]{2}"),
)
ISO_DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
DATETIME_FORMATS: tuple[tuple[str, str], ...] = (
    ("iso", ISO_DATETIME),
    ("%d/%m/%Y %H:%M:%S", r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2}"),
    ("%d/%m/%Y %H:%M", r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}"),
)


def int_regex(thousands: str | None) -> str:
    """Integers without leading zeros (a leading zero means a code), at most 18 digits so they fit BIGINT."""
    if thousands is None:
        return "-?(0|[1-9][0-9]{0,17})"
    sep = _THOUSANDS[thousands]
    return f"-?(0|[1-9][0-9]{{0,17}}|[1-9][0-9]{{0,2}}({sep}[0-9]{{3}}){{1,5}})"


def number_regex(decimal: str, thousands: str | None) -> str:
    """Decimal numbers; the integer part follows the same no-leading-zero rule as integers."""
    dec = re.escape(decimal)
    int_part = "0|[1-9][0-9]*"
    if thousands is not None:
        int_part += f"|[1-9][0-9]{{0,2}}({_THOUSANDS[thousands]}[0-9]{{3}})+"
    return f"-?({int_part})({dec}[0-9]+)?([eE][-+]?[0-9]{{1,3}})?"


@dataclass(frozen=True)
class TypeGuess:
    """The type of a column and how to parse its text values."""

    type: str
    decimal: str = "."
    thousands: str | None = None
    fmt: str | None = None

    def regex(self) -> str | None:
        if self.type == "integer":
            return int_regex(self.thousands)
        if self.type == "number":
            return number_regex(self.decimal, self.thousands)
        if self.type == "date":
            return dict(DATE_FORMATS)[self.fmt or "%Y-%m-%d"]
        if self.type == "datetime":
            return dict(DATETIME_FORMATS)[self.fmt or "iso"]
        return None


TEXT = TypeGuess("text")


def type_candidates(decimal: str) -> list[TypeGuess]:
    """Every typed reading of a column, most specific first; the file's decimal separator is preferred."""
    other = "." if decimal == "," else ","
    cands = [TypeGuess("boolean")]
    cands += [TypeGuess("integer", decimal, ts) for ts in (None, "space", other)]
    for dec in (decimal, other):
        cands += [TypeGuess("number", dec, ts) for ts in (None, "space", "." if dec == "," else ",")]
    cands += [TypeGuess("date", fmt=f) for f, _ in DATE_FORMATS]
    cands += [TypeGuess("datetime", fmt=f) for f, _ in DATETIME_FORMATS]
    return cands


def _python_ok(guess: TypeGuess, values: list[str], compiled: re.Pattern[str] | None) -> bool:
    if guess.type == "boolean":
        return all(v.lower() in BOOL_TRUE or v.lower() in BOOL_FALSE for v in values)
    assert compiled is not None
    if not all(compiled.fullmatch(v) for v in values):
        return False
    if guess.type in ("date", "datetime") and guess.fmt != "iso":
        try:
            for v in values:
                datetime.strptime(v, guess.fmt or "")
        except ValueError:
            return False
    return True


def guess_column_type(values: list[str], decimal: str = ".") -> TypeGuess:
    """The most specific type matching every (trimmed, non-empty) sample value; text if none or no values."""
    # distinct values only: samples repeat a lot (years, dates, categories) and each candidate tests them all
    values = list(dict.fromkeys(s for v in values if v is not None and (s := v.strip()) != ""))
    if not values:
        return TEXT
    for cand in type_candidates(decimal):
        rx = cand.regex()
        if _python_ok(cand, values, _compiled(rx) if rx else None):
            return cand
    return TEXT


@functools.cache
def _compiled(rx: str) -> re.Pattern[str]:
    return re.compile(rx)


# Markers of a missing, confidential or meaningless value in French statistical files (INSEE « s » secret
# statistique, DREES « ND »/« ns », « NC » non communiqué, « - » néant). In a column whose other values are all
# numbers they are read as empty values, and the load warns with the count of each (see pipeline.marker_warnings);
# anywhere else they are ordinary text. Exact, case-sensitive matches after trimming; the user option
# `types = {col = "text"}` keeps the original text.
NA_MARKERS: tuple[str, ...] = ("ND", "nd", "N.D.", "n.d.", "NC", "nc", "N.C.", "n.c.", "NS", "ns", "n.s.", "s", "-")
_NA_SET = frozenset(NA_MARKERS)


def guess_with_markers(values: list[str], decimal: str = ".") -> tuple[TypeGuess, bool]:
    """`guess_column_type`, except that a numeric column holding a few NA markers stays numeric (flag True)."""
    guess = guess_column_type(values, decimal)
    if guess.type != "text":
        return guess, False
    stripped = [s for v in values if v is not None and (s := v.strip())]
    numbers = [v for v in stripped if v not in _NA_SET]
    if not numbers or len(numbers) == len(stripped):
        return guess, False
    guess = guess_column_type(numbers, decimal)
    return (guess, True) if guess.type in ("integer", "number") else (TEXT, False)


def is_code_name(name: str) -> bool:
    """True when a normalised column name designates an identifier (code INSEE, SIREN...)."""
    return any(tok in CODE_TOKENS for tok in name.split("_"))


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "²": "2",
                            "³": "3", "°": "_"})


def normalise_name(name: str) -> str:
    """`Code INSEE de la commune` -> `code_insee_de_la_commune`: ASCII snake_case, may be empty."""
    text = unicodedata.normalize("NFKD", str(name).translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])(?=[a-z])", r"\1_\2", text)  # camelCase -> camel_case
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def normalise_names(names: list[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Unique snake_case names; empty ones become `colonne_<n>`, leading digits get a `c_` prefix."""
    out: list[str] = []
    seen: set[str] = set(reserved)
    for i, raw in enumerate(names):
        base = normalise_name(raw) or f"colonne_{i + 1}"
        if base[0].isdigit():
            base = f"c_{base}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        out.append(name)
    return out


# ---------------------------------------------------------------------------------------------------- format

EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx",
    ".ods": "ods", ".json": "json", ".geojson": "geojson", ".gpkg": "gpkg", ".parquet": "parquet", ".shp": "shapefile",
}


def detect_format(path: Path) -> str:
    """csv | xlsx | ods | json | geojson | shapefile | gpkg | parquet, from magic bytes then the extension."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise LoadError(f"{path.name} : archive ZIP illisible ({exc}).") from exc
        if "mimetype" in names and b"opendocument.spreadsheet" in head:
            return "ods"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shapefile"
        raise LoadError(f"{path.name} : archive ZIP sans classeur ni Shapefile, format non pris en charge.")
    ext = EXTENSIONS.get(path.suffix.lower())
    if ext == "json" or (ext is None and head.lstrip()[:1] in (b"{", b"[")):
        return "geojson" if re.search(rb'"type"\s*:\s*"FeatureCollection"', head) else "json"
    return ext or "csv"


# -------------------------------------------------------------------------------------------------- encoding


@dataclass
class SourceScan:
    """Checksum, size and text encoding of a source file (encoding None for binary formats)."""

    sha256: str | None  # None when nobody needs it (inspect, convert)
    size: int
    encoding: str | None = None
    # byte offset of the first invalid UTF-8 sequence, for files that are UTF-8 with a few foreign lines
    bad_offset: int | None = None


def scan_source(path: Path, text: bool) -> SourceScan:
    """One streamed pass: sha256, size and, for text, a strict UTF-8 check over the whole file."""
    digest = hashlib.sha256()
    size = 0
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_ok = text
    bad_offset: int | None = None
    has_c1 = False
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if not head:
                head = chunk
            if text:
                if utf8_ok:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        utf8_ok, bad_offset = False, size + exc.start
                if not has_c1 and chunk.translate(None, _NOT_C1):
                    has_c1 = True
            size += len(chunk)
    if text and utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok, bad_offset = False, size - 1
    scan = SourceScan(sha256=digest.hexdigest(), size=size, bad_offset=bad_offset)
    if not text:
        return scan
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        scan.encoding, scan.bad_offset = "utf-16", None
    elif utf8_ok:
        scan.encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    else:
        scan.encoding = _single_byte_or_mixed(path, head, bad_offset or 0, has_c1)
        if scan.encoding != "mixed":
            scan.bad_offset = None
    return scan


def _single_byte_or_mixed(path: Path, head: bytes, bad_offset: int, has_c1: bool) -> str:
    """Not valid UTF-8: latin-1, cp1252, another charset named by charset-normalizer, or UTF-8 with a few bad lines."""
    with path.open("rb") as fh:
        fh.seek(max(0, bad_offset - (256 << 10)))
        window = fh.read(512 << 10)
    return _classify_not_utf8(head[: 1 << 20] + window, has_c1)


def _classify_not_utf8(sample: bytes, has_c1: bool) -> str:
    high = len(sample.translate(None, _ASCII))
    utf8_bytes = sum(len(m) for m in _UTF8_SEQ.findall(sample))
    if high and utf8_bytes * 2 > high:
        return "mixed"  # mostly UTF-8: the invalid lines are repaired one by one, with a warning each
    if b"\x00" in sample:
        # UTF-16/32 without a BOM (their ASCII delimiters carry NUL bytes): let charset-normalizer name it
        from charset_normalizer import from_bytes

        best = from_bytes(sample[:65536]).best()
        name = (best.encoding if best else "").lower()
        if name.startswith(("utf_16", "utf_32")):
            return name.replace("_", "-")
    return "cp1252" if has_c1 else "latin-1"


def checksum(path: Path) -> SourceScan:
    """sha256 and size only: the encoding is then sniffed from the head and validated by the CSV reader."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return SourceScan(sha256=digest.hexdigest(), size=size)


def sniff_encoding(path: Path) -> str:
    """Encoding of a text file judged on its first MiB only. Provisional: DuckDB decodes the whole file while
    reading it and fails on a byte the guess does not allow (utf-8 or latin-1); the pipeline then runs the
    whole-file `scan_source` and reads again, so a late foreign byte costs a second pass, never a wrong load."""
    with path.open("rb") as fh:
        head = fh.read(ENCODING_SAMPLE_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head)  # not final: a cut last character is fine
    except UnicodeDecodeError:
        return _classify_not_utf8(head, bool(head.translate(None, _NOT_C1)))
    return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"


def line_of_offset(path: Path, offset: int) -> int:
    """1-based physical line holding a byte offset."""
    line = 1
    done = 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(CHUNK, offset - done))):
            line += chunk.count(b"\n")
            done += len(chunk)
    return line


# ---------------------------------------------------------------------------------------------------- dialect


@dataclass
class Dialect:
    """How to read a delimited text file; `header_row` is the 0-based line of the header."""

    delimiter: str
    header_row: int
    header: list[str]
    ncols: int
    decimal: str
    skip_lines: int  # physical lines before the first data line
    sample_rows: list[list[str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_text_sample(path: Path, encoding: str, nbytes: int = DIALECT_SAMPLE_BYTES) -> tuple[str, bool]:
    """The first `nbytes` of a text file decoded leniently, and whether it is the whole file."""
    with path.open("rb") as fh:
        raw = fh.read(nbytes + 1)
    complete = len(raw) <= nbytes
    raw = raw[:nbytes]
    codec = {"mixed": "utf-8", "utf-8": "utf-8-sig"}.get(encoding, encoding)
    return raw.decode(codec, errors="replace"), complete


def _records(sample: str, delimiter: str, complete: bool) -> list[tuple[int, list[str]]]:
    """Parsed records with the 0-based line where each starts; the last, maybe truncated, one is dropped."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=False)
    out: list[tuple[int, list[str]]] = []
    start = 0
    try:
        for rec in reader:
            out.append((start, rec))
            start = reader.line_num
    except csv.Error:
        pass
    if not complete and out:
        out.pop()
    return out


def sniff_dialect(sample: str, complete: bool, options: dict[str, Any] | None = None) -> Dialect:
    """Delimiter, header line and width from a text sample: the delimiter giving the most regular rows wins."""
    options = options or {}
    if sample.startswith("\ufeff"):
        sample = sample[1:]
    forced = options.get("delimiter")
    best: tuple[tuple[float, ...], str, list[tuple[int, list[str]]], int] | None = None
    head = sample[:DELIMITER_SAMPLE_CHARS]
    head_complete = complete and len(head) == len(sample)
    for delim in ([forced] if forced else DELIMITERS):
        recs = [(ln, r) for ln, r in _records(head, delim, head_complete) if any(c.strip() for c in r)]
        if not recs:
            continue
        widths = Counter(len(r) for _, r in recs)
        mode, hits = max(widths.items(), key=lambda kv: (kv[1], kv[0]))
        score = (float(mode > 1), hits / len(recs), float(mode))
        if best is None or score > best[0]:
            best = (score, delim, recs, mode)
    if best is None:
        raise LoadError("Fichier vide : aucune ligne d'en-tête trouvée.")
    _, delim, _, width = best
    if width <= 1 and not forced:
        delim = ","
    every = _records(sample, delim, complete)
    recs = [(ln, r) for ln, r in every if any(c.strip() for c in r)]
    header_idx = header_index(recs, width, options.get("header_row"))
    header_line, header = recs[header_idx]
    data = [r for _, r in recs[header_idx + 1:]]
    # data starts at the record right after the header, even when that record is all empty fields
    skip = next((ln for ln, _ in every if ln > header_line), header_line + 1)
    # the header fixes the width, unless most rows (over half) are wider (e.g. every line ends with a stray delimiter)
    widths = Counter(len(r) for r in data)
    modal, hits = widths.most_common(1)[0] if widths else (len(header), 0)
    ncols = max(len(header), modal) if hits * 2 > len(data) else len(header)
    warnings: list[str] = []
    if header_idx:
        warnings.append(f"{header_line} ligne(s) de titre au-dessus de l'en-tête ignorée(s).")
    header = (header + [""] * ncols)[:ncols]
    decimal = _decimal_of(data[:TYPE_SAMPLE_ROWS], delim)
    return Dialect(delimiter=delim, header_row=header_line, header=header, ncols=ncols, decimal=decimal,
                   skip_lines=skip, sample_rows=data[:TYPE_SAMPLE_ROWS], warnings=warnings)


def rstrip_empty(rec: list[str]) -> list[str]:
    end = len(rec)
    while end > 1 and not rec[end - 1].strip():
        end -= 1
    return rec[:end]


def header_index(recs: list[tuple[int, list[str]]], width: int, forced: Any) -> int:
    """The header is the first record as wide as the data whose cells are mostly non-empty text."""
    if forced is not None:
        for i, (line, _) in enumerate(recs):
            if line >= int(forced):
                return i
        raise LoadError(f"Ligne d'en-tête {forced} introuvable.")
    for i, (_, rec) in enumerate(recs[:50]):
        cells = [c.strip() for c in rec[:width]]
        filled = [c for c in cells if c]
        if len(rec) >= width and len(filled) * 2 >= width and sum(not _looks_numeric(c) for c in filled) * 2 >= len(filled):
            return i
    return 0


_NUMERICISH = re.compile(r"[-+]?[0-9][0-9 .,\u00a0\u202f]*")


def _looks_numeric(cell: str) -> bool:
    return bool(_NUMERICISH.fullmatch(cell))


# "1 234,5" / "1.234,5" / "12,5" count for a decimal comma; "1.5" for a dot, but "1.234" is ambiguous
_COMMA_DEC = re.compile(r"-?[0-9]{1,3}([. \u00a0\u202f][0-9]{3})+,[0-9]+|-?[0-9]+,[0-9]+")
_DOT_DEC = re.compile(r"-?[0-9]+\.[0-9]+")
_DOT_GROUPS = re.compile(r"-?[0-9]{1,3}(\.[0-9]{3})+")


def _decimal_of(rows: list[list[str]], delim: str) -> str:
    if delim == ",":
        return "."
    comma = dot = 0
    for row in rows[:2000]:
        for cell in row:
            c = cell.strip()
            if _COMMA_DEC.fullmatch(c):
                comma += 1
            elif _DOT_DEC.fullmatch(c) and not _DOT_GROUPS.fullmatch(c):
                dot += 1
    return "," if comma > dot else "."
