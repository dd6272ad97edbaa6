"""Property: random tables written in random French dialects read back identical (values and types)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.detect.encoding import scan_source
from loaders.pipeline import _read_into

# French text: ASCII and the letters and signs French writes with (the encoding is told from them, as a person
# would). Random symbol soup (« ÇžÚ™¥¯Ÿ ») is no French text: read as MacRoman it can look more French than as
# windows-1252, and no sniffer can tell a few bytes of it apart.
TEXT_ALPHABET = st.sampled_from(
    [chr(c) for c in range(32, 127)] + list("àâäæçéèêëîïôöœùûüÿÀÂÄÆÇÉÈÊËÎÏÔÖŒÙÛÜŸ«»°€’–…"))
KINDS = ("integer", "number", "text", "date")


def _texts() -> st.SearchStrategy[str]:
    # letters first so a text value never looks like a number, a date or a boolean
    return st.builds(lambda a, b: a + b.strip(), st.sampled_from("abcdéèçZ"), st.text(TEXT_ALPHABET, max_size=12))


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.integers(-10**12, 10**12),
    "number": st.integers(-10**8, 10**8).map(lambda n: n / 100),
    "text": _texts(),
    "date": st.dates(date(1900, 1, 1), date(2100, 12, 31)),
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[Any]], dict[str, Any]]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=2, max_size=5))
    if "number" not in kinds:
        kinds.append("number")
    n = draw(st.integers(3, 40))
    cols = [draw(st.lists(VALUES[k] | st.none(), min_size=n, max_size=n).filter(
        lambda v: sum(x is not None for x in v) >= 2)) for k in kinds]
    dialect = {
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252"])),
        "delimiter": draw(st.sampled_from([";", ",", "\t", "|"])),
        "decimal": draw(st.sampled_from([",", "."])),
        "thousands": draw(st.sampled_from([None, " ", "\u00a0", "\u202f"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        "dates": draw(st.sampled_from(["%d/%m/%Y", "%Y-%m-%d"])),
    }
    if dialect["thousands"] == "\u202f" and dialect["encoding"] in ("latin-1", "cp1252"):
        dialect["thousands"] = "\u00a0"  # the narrow no-break space only exists in Unicode
    if dialect["delimiter"] == ",":
        dialect["decimal"] = "."
    if dialect["encoding"] == "latin-1":
        # latin-1 has no €, œ, Š...: keep those to cp1252 and UTF-8
        cols = [[v.encode("latin-1", "ignore").decode("latin-1") if isinstance(v, str) else v for v in c]
                for c in cols]
    rows = [list(r) for r in zip(*cols, strict=True)]
    return kinds, rows, dialect


def _fmt(kind: str, value: Any, d: dict[str, Any]) -> str:
    if value is None:
        return ""
    if kind == "integer":
        s = f"{abs(value):,}".replace(",", d["thousands"] or "")
        return ("-" if value < 0 else "") + s
    if kind == "number":
        whole, frac = f"{abs(value):.2f}".split(".")
        whole = f"{int(whole):,}".replace(",", d["thousands"] or "")
        return ("-" if value < 0 else "") + whole + d["decimal"] + frac
    if kind == "date":
        return value.strftime(d["dates"])
    return str(value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables())
def test_random_french_dialects_roundtrip(data_dir: Path, table: tuple[list[str], list[list[Any]], dict[str, Any]]
                                          ) -> None:
    kinds, rows, d = table
    header = [f"Colonne {i} é" for i in range(len(kinds))]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=d["delimiter"], quoting=d["quoting"], lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(k, v, d) for k, v in zip(kinds, row, strict=True)])
    work = data_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    src = work / "table.csv"
    src.write_bytes(buf.getvalue().encode(d["encoding"]))
    out = work / "out.parquet"
    staged, _, nrows, columns, _ = _read_into(src, {}, out, work, scan_source(src, text=True))
    assert nrows == len(rows)
    assert [c["type"] for c in columns] == kinds
    assert [c["source_name"] for c in columns] == header
    got = duckdb.sql(f"SELECT * FROM read_parquet('{out}')").fetchall()
    for want, have in zip(rows, got, strict=True):
        for kind, w, h in zip(kinds, want, have, strict=True):
            if kind == "number" and w is not None:
                assert h is not None and abs(h - w) < 1e-9
            else:
                assert h == w
