"""Uploaded images: checked by content with Pillow, re-encoded as a bounded WebP thumbnail."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reuses.images import ImageError, make_thumbnail
from tests.reuses.helpers import png_bytes


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_accepted_formats_become_small_webp(fmt: str) -> None:
    data, mime = make_thumbnail(png_bytes((1600, 900), fmt))
    assert mime == "image/webp"
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "WEBP" and max(img.size) == 800


def test_type_is_checked_by_content_not_name() -> None:
    with pytest.raises(ImageError, match="PNG, JPEG ou WebP"):
        make_thumbnail(b"<script>alert(1)</script>" + b"\x00" * 100)
    with pytest.raises(ImageError, match="Format"):
        make_thumbnail(png_bytes(fmt="GIF"))
    with pytest.raises(ImageError, match="Format"):
        make_thumbnail(png_bytes(fmt="BMP"))


def test_truncated_image_is_refused() -> None:
    with pytest.raises(ImageError):
        make_thumbnail(png_bytes()[:60])


def test_size_limit_and_empty_file() -> None:
    with pytest.raises(ImageError, match="taille maximale"):
        make_thumbnail(png_bytes(), max_bytes=100)
    with pytest.raises(ImageError, match="vide"):
        make_thumbnail(b"")


def test_decompression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from reuses import images
    from reuses.settings import ReuseLimits

    monkeypatch.setattr(images, "limits", lambda: ReuseLimits(image_max_pixels=10_000))
    with pytest.raises(ImageError, match="pixels"):
        make_thumbnail(png_bytes((200, 200)))


def test_metadata_is_dropped() -> None:
    img = Image.new("RGB", (50, 50), "blue")
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    data, _ = make_thumbnail(out.getvalue())
    assert b"<script>" not in data
