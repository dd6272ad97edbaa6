"""Indicator tests read the session warehouse in place: they never write, so no per-test copy is needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def portal(warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Overrides the shared `portal` (a private copy per test): these tests only read, and copying 20 datasets per
    test would cost more than the tests themselves."""
    import config

    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(warehouse_dir))
    monkeypatch.delenv("TERRITOIRE_CATALOGUE_DIR", raising=False)
    config.get_settings.cache_clear()
    yield warehouse_dir
    config.get_settings.cache_clear()
