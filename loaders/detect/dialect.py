"""CSV sniffing: delimiter, header row (under any title block), width and decimal separator of a text sample."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders import LoadError
from loaders.detect.encoding import text_codec
from loaders.detect.table_shape import is_label, is_second_header, merge_headers

DIALECT_SAMPLE_BYTES = 256 << 10
DELIMITER_SAMPLE_CHARS = 64 << 10
TYPE_SAMPLE_ROWS = 3000
DELIMITERS = (";", ",", "\t", "|")


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
    sample_lines: list[int] = field(default_factory=list)  # 0-based line where each sample row starts
    complete: bool = False  # the sample is the whole file
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, why) above the data: titles...
    warnings: list[str] = field(default_factory=list)


def read_text_sample(path: Path, encoding: str, nbytes: int = DIALECT_SAMPLE_BYTES) -> tuple[str, bool]:
    """The first `nbytes` of a text file decoded leniently, and whether it is the whole file."""
    with path.open("rb") as fh:
        raw = fh.read(nbytes + 1)
    complete = len(raw) <= nbytes
    raw = raw[:nbytes]
    return raw.decode(text_codec(encoding), errors="replace"), complete


def parse_records(sample: str, delimiter: str, complete: bool) -> list[tuple[int, list[str]]]:
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
        recs = [(ln, r) for ln, r in parse_records(head, delim, head_complete) if any(c.strip() for c in r)]
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
    every = parse_records(sample, delim, complete)
    recs = [(ln, r) for ln, r in every if any(c.strip() for c in r)]
    header_idx = header_index(recs, width, options.get("header_row"))
    header_line, header = recs[header_idx]
    titles = {ln for ln, _ in recs[:header_idx]}
    skipped = [(ln + 1, "titre" if ln in titles else "ligne vide") for ln in range(header_line)]
    last_header = header_line
    rest = recs[header_idx + 1:]
    if options.get("header_row") is None and rest and is_second_header(header, rest[0][1], [r for _, r in rest[1:6]]):
        # labels under variable codes (or codes under labels), or leaves under merged parents: one header
        last_header = rest[0][0]
        skipped.append((last_header + 1, "seconde ligne d'en-tête"))
        header = merge_headers(header, rest[0][1])
        rest = rest[1:]
    data = [r for _, r in rest]
    lines = [ln for ln, _ in rest]
    # data starts at the record right after the header, even when that record is all empty fields
    skip = next((ln for ln, _ in every if ln > last_header), last_header + 1)
    # the header fixes the width, unless most rows (over half) are wider (e.g. every line ends with a stray delimiter)
    widths = Counter(len(r) for r in data)
    modal, hits = widths.most_common(1)[0] if widths else (len(header), 0)
    ncols = max(len(header), modal) if hits * 2 > len(data) else len(header)
    warnings: list[str] = []
    if header_idx:
        warnings.append(title_rows_warning(header_line))
    header = (header + [""] * ncols)[:ncols]
    decimal = _decimal_of(data[:TYPE_SAMPLE_ROWS], delim)
    return Dialect(delimiter=delim, header_row=header_line, header=header, ncols=ncols, decimal=decimal,
                   skip_lines=skip, sample_rows=data[:TYPE_SAMPLE_ROWS], sample_lines=lines[:TYPE_SAMPLE_ROWS],
                   complete=complete and len(data) <= TYPE_SAMPLE_ROWS, warnings=warnings, skipped=skipped)


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
        if len(rec) >= width and len(filled) * 2 >= width and sum(is_label(c) for c in filled) * 2 >= len(filled):
            return i
    return 0


def title_rows_warning(header_line: int) -> str:
    """The warning of a file (CSV or sheet) whose header sits under a title block."""
    return f"{header_line} ligne(s) de titre au-dessus de l'en-tête ignorée(s)."


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
