"""Text encoding of a source: a whole-file scan (with checksum and size) or a quick sniff of the head."""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4 << 20
ENCODING_SAMPLE_BYTES = 1 << 20

# Bytes 0x80-0x9F are C1 control characters in latin-1 but letters/signs (€, œ, ’) in cp1252.
_C1 = bytes(range(0x80, 0xA0))
_NOT_C1 = bytes(b for b in range(256) if b not in _C1)
_ASCII = bytes(range(0x80))
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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
    return single_byte_charset(sample) if has_c1 else "latin-1"


# What a right single-byte reading of a French file is made of above ASCII: accented letters inside words, and a
# few signs. A wrong reading turns them into box-drawing signs, other languages' letters or undefined bytes.
FRENCH_LOWER = frozenset("àâäæçéèêëîïôöœùûüÿ")
FRENCH_UPPER = frozenset("ÀÂÄÆÇÉÈÊËÎÏÔÖŒÙÛÜŸ")
FRENCH_SIGNS = frozenset("«»°€’‘“”–—…•·²³µ×\u00a0ºª")
SINGLE_BYTE = ("cp1252", "cp850", "mac_roman")


def _french_score(sample: bytes, encoding: str) -> int:
    text = sample.decode(encoding, errors="replace")
    score = 0
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        near_letter = (i > 0 and text[i - 1].isalpha()) or (i + 1 < len(text) and text[i + 1].isalpha())
        if ch in FRENCH_LOWER:
            score += 2 if near_letter else 1
        elif ch in FRENCH_UPPER and i > 0 and text[i - 1].islower():
            score -= 2  # « dÈs »: a capital inside a lowercase word is a wrong reading of a small letter
        elif ch in FRENCH_UPPER or ch in FRENCH_SIGNS:
            score += 1
        else:
            score -= 2
    return score


def single_byte_charset(sample: bytes) -> str:
    """windows-1252, DOS (CP850) or MacRoman for a non-UTF-8 file with bytes 0x80-0x9F: the reading whose
    characters above ASCII are the most French (accented letters inside words). Bytes that cp1252 leaves
    undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) count against it, so they point to CP850 or MacRoman rather than to
    mixed encodings; cp1252 wins ties (by far the most common)."""
    scores = {enc: _french_score(sample[: 256 << 10], enc) for enc in SINGLE_BYTE}
    return max(SINGLE_BYTE, key=lambda enc: (scores[enc], enc == "cp1252"))


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


def text_codec(encoding: str) -> str:
    """The Python codec that reads text of a detected encoding: a UTF-8 BOM is skipped, and a "mixed" file (UTF-8
    with a few foreign lines) is read as UTF-8."""
    return {"mixed": "utf-8", "utf-8": "utf-8-sig"}.get(encoding, encoding)


def line_of_offset(path: Path, offset: int) -> int:
    """1-based physical line holding a byte offset."""
    line = 1
    done = 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(CHUNK, offset - done))):
            line += chunk.count(b"\n")
            done += len(chunk)
    return line
