"""Shared by the reuse tests (unit, AppTest, browser): a private data dir, a tiny catalogue, valid submissions."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import config
import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (with pages/reuses.py) on sys.path
from catalogue.manifest import write_spec
from reuses import store
from reuses.validation import ReuseDraft, ReuseInput, validate

# Submissions are only taken when moderation works (reuses.service.moderation_open): the reuse tests run with an
# admin secret unless a test removes it.
ADMIN_SECRET = "un-secret-de-test-assez-long"
DATASETS = {"ecoles": "Écoles de la Dordogne", "colleges": "Collèges", "population": "Population des communes"}

PAYLOADS = [
    '<script>alert("xss")</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic]( JaVaScRiPt:alert(1) )",
    "![image](javascript:alert(1))",
    "[a [b] c](javascript:alert(1))",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
    '"><svg onload=alert(1)>',
    "[x](&#106;avascript:alert(1))",
    "=HYPERLINK(\"http://evil.example\",\"clic\")",
]


def write_catalogue(directory: Path) -> None:
    for ds_id, title in DATASETS.items():
        write_spec({"id": ds_id, "title": title, "publisher": "Test", "license": {"id": "lov2"},
                    "source": {"path": f"data/{ds_id}.csv"}, "themes": ["education_and_research"]}, directory)


@pytest.fixture
def reuse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory (the SQLite file goes to its private/ dir), a three-dataset catalogue, an admin secret
    (moderation open) and no SMTP server (no e-mail)."""
    data_dir = tmp_path / "data"
    catalogue_dir = tmp_path / "catalogue"
    write_catalogue(catalogue_dir)
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TERRITOIRE_CATALOGUE_DIR", str(catalogue_dir))
    monkeypatch.setenv("TERRITOIRE_PUBLIC_URL", "https://donnees.exemple.fr")
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", ADMIN_SECRET)
    for name in ("TERRITOIRE_REUSES_DB_URL", "TERRITOIRE_REUSES_RATE_LIMIT", "TERRITOIRE_REUSES_RATE_WINDOW_S",
                 "TERRITOIRE_SMTP_HOST", "TERRITOIRE_SMTP_PORT", "TERRITOIRE_SMTP_USER", "TERRITOIRE_SMTP_PASSWORD",
                 "TERRITOIRE_SMTP_FROM", "TERRITOIRE_MODERATION_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    config.get_settings.cache_clear()
    store.dispose_engines()
    yield data_dir
    store.dispose_engines()
    config.get_settings.cache_clear()


def raw(**overrides: object) -> ReuseInput:
    values: dict[str, object] = dict(
        title="Carte des écoles", description="Une carte interactive des écoles de la Dordogne.",
        type="visualization", topic="education_and_research", url="https://exemple.fr/carte",
        author_name="Alice Martin", email="alice@exemple.fr", datasets=["ecoles"],
    )
    values.update(overrides)
    return ReuseInput(**values)  # type: ignore[arg-type]


def draft(**overrides: object) -> ReuseDraft:
    return validate(raw(**overrides), set(DATASETS))


def png_bytes(size: tuple[int, int] = (1200, 600), fmt: str = "PNG", color: str = "red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()
