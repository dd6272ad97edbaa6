"""Every real file of the training set (tests/fixtures/messy/, issue 14) through the real CLI: `inspect` gives the
right dialect, header line, row count, skipped and repaired lines, and `add` publishes the right header, rows,
types and cells. The expectations were written by hand from reading each file (tests/loaders/messy_expectations.py,
with the reasoning for each file); the same checker measures the other tools in bench/loading_comparison.py."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from loaders.cli import main
from tests.loaders.messy_expectations import EXPECTATIONS, Expectation, check, encoding_matches
from warehouse import read_registry, resolve

INSPECT_KEYS = {"format", "encoding", "delimiter", "decimal", "header_row", "rows", "columns", "warnings",
                "sheets", "sheet", "skipped_rows", "repaired_lines", "projection"}
FORMATS = {"csv": ("csv",), "xlsx": ("xlsx",), "xls": ("xlsx",), "json": ("json",), "geojson": ("geojson",),
           "shapefile": ("shapefile",)}


def _inspect(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["inspect", str(path)]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("exp", list(EXPECTATIONS.values()), ids=[e.file[:30] for e in EXPECTATIONS.values()])
def test_messy_file_inspect_and_add(data_dir: Path, capsys: pytest.CaptureFixture[str], exp: Expectation) -> None:
    info = _inspect(exp.path, capsys)
    assert INSPECT_KEYS <= set(info)
    assert info["format"] in FORMATS[exp.format]
    assert info["rows"] == exp.rows
    if exp.format == "csv":
        assert encoding_matches(info["encoding"], exp), info["encoding"]
        assert info["delimiter"] == exp.delimiter
    if exp.header_line is not None:
        assert info["header_row"] == exp.header_line - 1  # inspect counts from 0, the expectations from 1
    # every line the file holds around or inside its table (titles, second header, totals, notes) is named
    assert {s["line"] for s in info["skipped_rows"]} == {line for line, _ in exp.excluded}
    assert {r["line"] for r in info["repaired_lines"]} == set(exp.repaired)
    if exp.sheets:
        assert (info["sheet"], tuple(info["sheets"])) == (exp.sheet, exp.sheets)
    if exp.crs:
        assert info["projection"] == exp.crs
    if exp.layer:
        assert info["layer"] in {exp.layer, *(a.layer for a in exp.alternatives)}

    assert main(["add", str(exp.path), "--id", "messy"]) == 0, capsys.readouterr().err
    parquet = resolve(read_registry()["datasets"]["messy"]["parquet"])
    table = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')").to_arrow_table()
    assert check(table, exp) == []
