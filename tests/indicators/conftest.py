"""Indicator tests read the session warehouse in place: they never write, so no per-test copy is needed."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def portal(read_only_portal: Path) -> Path:
    """Overrides the shared `portal` (a private copy per test): these tests only read."""
    return read_only_portal
