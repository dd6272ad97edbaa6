"""A dashboard in a link: compact JSON → zlib → base64url, the `?d=` parameter. Decoding caps every stage (the
link's length, the inflated size — no zip bomb —, the nesting depth) before the JSON Schema check of dashboards.spec.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from dashboards.spec import MAX_DEPTH, Dashboard, SpecError, parse, to_doc

MAX_COMPRESSED = 16 * 1024  # bytes of deflated JSON a link may carry (about 21 800 characters of base64)
MAX_LINK_CHARS = (MAX_COMPRESSED * 4 + 2) // 3
MAX_JSON = 64 * 1024  # bytes of JSON once inflated: 20 blocks of 4 000-character texts fit


def encode(dashboard: Dashboard) -> str:
    """The `?d=` value of a dashboard; raises SpecError when it would not fit in a link."""
    raw = json.dumps(to_doc(dashboard), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    packed = zlib.compress(raw, 9)
    if len(packed) > MAX_COMPRESSED:
        raise SpecError(f"tableau de bord trop volumineux pour un lien ({MAX_COMPRESSED // 1024} Ko compressés au plus)"
                        " : retirez un bloc ou raccourcissez les textes")
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def _inflate(text: str) -> bytes:
    if len(text) > MAX_LINK_CHARS:
        raise SpecError("lien de tableau de bord trop long")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SpecError("lien de tableau de bord illisible (caractères inattendus)") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, MAX_JSON)
    except zlib.error:
        raise SpecError("lien de tableau de bord illisible (données compressées invalides)") from None
    if inflater.unconsumed_tail or (not inflater.eof and inflater.decompress(b"", 1)):
        raise SpecError(f"tableau de bord trop volumineux une fois décompressé ({MAX_JSON // 1024} Ko au plus)")
    if not inflater.eof:
        raise SpecError("lien de tableau de bord incomplet (coupé lors de la copie ?)")
    return raw


def _depth(text: str) -> int:
    """Deepest nesting of arrays and objects, counted outside strings (checked before json.loads recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads(raw: bytes | str) -> Any:
    """JSON text (at most MAX_JSON bytes, MAX_DEPTH levels) → Python values, or SpecError."""
    if len(raw) > MAX_JSON:
        raise SpecError(f"tableau de bord trop volumineux ({MAX_JSON // 1024} Ko au plus)")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise SpecError("tableau de bord illisible (texte non UTF-8)") from None
    if _depth(text) > MAX_DEPTH:
        raise SpecError("tableau de bord trop imbriqué")
    try:
        return json.loads(text)
    except ValueError:
        raise SpecError("tableau de bord illisible (JSON invalide)") from None


def decode(text: str) -> Dashboard:
    """The dashboard of a `?d=` value; every refusal is a SpecError with a French message."""
    return parse(loads(_inflate(text.strip())))
