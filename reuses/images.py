"""Uploaded images: type checked from the bytes with Pillow, re-encoded as a small WebP thumbnail."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from reuses.settings import limits

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
THUMBNAIL_MIME = "image/webp"


class ImageError(ValueError):
    """The upload is not an acceptable image; the message is in French, for the person submitting."""


def make_thumbnail(data: bytes, max_bytes: int | None = None, max_px: int | None = None) -> tuple[bytes, str]:
    """Check an upload by content (PNG, JPEG or WebP, whatever its name says) and return (WebP bytes, mime).

    The image is decoded, EXIF-rotated, reduced to fit `max_px` and re-encoded: metadata, scripts hidden in
    comments and polyglot payloads do not survive. Decompression bombs are refused before decoding.
    """
    lim = limits()
    max_bytes = max_bytes or lim.image_max_bytes
    max_px = max_px or lim.thumbnail_px
    if not data:
        raise ImageError("Le fichier image est vide.")
    if len(data) > max_bytes:
        raise ImageError(f"L'image dépasse la taille maximale de {max_bytes // (1024 * 1024)} Mo.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if fmt not in ALLOWED_FORMATS:
                    raise ImageError("Format d'image non accepté : envoyez un fichier PNG, JPEG ou WebP.")
                if width * height > lim.image_max_pixels:
                    raise ImageError("L'image est trop grande (nombre de pixels).")
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.seek(0)  # first frame of an animated image
                img.load()
                img = ImageOps.exif_transpose(img)
                img = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P", "PA") else "RGB")
                img.thumbnail((max_px, max_px))
                out = io.BytesIO()
                img.save(out, format="WEBP", quality=82, method=4)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("Le fichier n'est pas une image PNG, JPEG ou WebP lisible.") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageError("L'image est illisible ou corrompue.") from None
    return out.getvalue(), THUMBNAIL_MIME
