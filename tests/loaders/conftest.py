"""Loader test fixtures: a private data and catalogue directory per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import config


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "data"
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(d))
    monkeypatch.setenv("TERRITOIRE_CATALOGUE_DIR", str(tmp_path / "catalogue"))
    config.get_settings.cache_clear()
    yield d
    config.get_settings.cache_clear()
