"""Every embedded file under data/dordogne/ loads, with as many rows as the file holds (counted independently)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from loaders.pipeline import inspect_file
from tests.loaders.loader_helpers import ROOT

EMBEDDED = sorted(p for p in (ROOT / "data" / "dordogne").rglob("*") if p.suffix in (".csv", ".geojson"))


def _count_rows(path: Path) -> int:
    if path.suffix == ".geojson":
        doc = json.loads(path.read_text(encoding="utf-8"))
        return 1 if doc["type"] == "Feature" else len(doc["features"])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        records = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    return len(records) - 1  # the header


def test_embedded_files_exist() -> None:
    assert len(EMBEDDED) >= 25


@pytest.mark.parametrize("path", EMBEDDED, ids=lambda p: p.name)
def test_embedded_file_loads_every_row(data_dir: Path, path: Path) -> None:
    info = inspect_file(path)
    assert info["rows"] == _count_rows(path)
    assert info["columns"] and all(c["type"] in ("integer", "number", "text", "date", "datetime", "boolean",
                                                 "geometry") for c in info["columns"])
