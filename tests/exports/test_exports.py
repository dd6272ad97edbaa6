"""Exports: every format, whole or filtered (exact row counts re-read), BOM, formula injection, bounded memory."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

import exports
import queries
from catalogue.schema import Schema
from queries.dataset import sql, state

ROOT = Path(__file__).resolve().parents[2]


def publish(dataset_id: str, table: pa.Table | None = None, *, parquet: Path | None = None,
            geo: dict[str, str] | None = None) -> None:
    """Publish a table (or a ready Parquet file) as a dataset version with the loaders' own atomic publisher."""
    from loaders import publish as pub

    version = pub.new_version(dataset_id)
    with pub.dataset_lock(dataset_id):
        tmp = pub.begin_version(dataset_id, version)
        target = tmp / "data.parquet"
        if parquet is not None:
            os.replace(parquet, target)
        else:
            assert table is not None
            pq.write_table(table, target)
        schema = pq.read_schema(target)
        rows = pq.read_metadata(target).num_rows
        types = {pa.types.is_integer: "integer", pa.types.is_floating: "number", pa.types.is_date: "date"}
        cols = [{"name": f.name, "type": next((t for test, t in types.items() if test(f.type)), "text")}
                for f in schema]
        meta = {"dataset_id": dataset_id, "version": version, "rows": rows,
                "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"), "source": {"path": "tests"},
                "columns": cols, "warnings": [], "profile": {}, "geo": geo or {"kind": "none"}, "changes": {}}
        pub.commit_version(dataset_id, version, tmp, meta)


@pytest.fixture
def empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import config

    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TERRITOIRE_CATALOGUE_DIR", str(tmp_path / "catalogue"))
    (tmp_path / "catalogue").mkdir()
    config.get_settings.cache_clear()
    yield tmp_path / "data"
    config.get_settings.cache_clear()


def schema_of(dataset_id: str) -> Schema:
    return Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))


def count_rows(path: Path, fmt: str) -> int:
    """Re-read an exported file with an independent reader and count its records."""
    if fmt in ("csv", "csv-comma"):
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if fmt == "csv" else ","))
        return len(rows) - 1
    if fmt == "json":
        return len(json.loads(path.read_text(encoding="utf-8"))["records"])
    if fmt == "geojson":
        return len(json.loads(path.read_text(encoding="utf-8"))["features"])
    if fmt == "parquet":
        return pq.read_metadata(path).num_rows
    if fmt == "xlsx":
        wb = load_workbook(path, read_only=True)
        return sum(1 for _ in wb["Données"].iter_rows()) - 1
    raise AssertionError(fmt)


@pytest.mark.parametrize("dataset_id", ["colleges", "estimations-population-age-sexe"])
def test_every_format_whole_and_filtered_has_the_exact_row_count(portal: Path, dataset_id: str) -> None:
    s = schema_of(dataset_id)
    params = {"f": ["secteur_public_prive_libe:eq:Public"]} if dataset_id == "colleges" else \
        {"f": ["sexe:eq:Femmes", "annee:gte:2010"], "q": ["dordogne"]}
    view, notes = state.parse_view(params, s)
    assert notes == []
    n_filtered = int(sql.run(sql.count_query(view, s)).iloc[0, 0])
    assert 0 < n_filtered < s.rows
    formats = exports.formats_for(s)
    assert ("geojson" in formats) == (dataset_id == "colleges")
    for fmt in formats:
        for v, expected, suffix in ((None, s.rows, ""), (view, n_filtered, "_filtre")):
            result = exports.export_dataset(s, fmt, v)
            assert result.rows == expected, (fmt, suffix)
            assert count_rows(result.path, fmt) == expected, (fmt, suffix)
            ext = exports.FORMATS[fmt].extension
            assert result.file_name == f"{dataset_id}_{datetime.now().date().isoformat()}{suffix}.{ext}"
            assert result.path.parent == portal / "tmp" / "exports"


def test_licence_travels_with_every_file(portal: Path) -> None:
    s = schema_of("colleges")
    js = json.loads(exports.export_dataset(s, "json").path.read_text(encoding="utf-8"))
    assert "Licence Ouverte" in js["metadata"]["licence"] and js["metadata"]["attribution"]
    assert js["count"] == 52
    gj = json.loads(exports.export_dataset(s, "geojson").path.read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and gj["features"][0]["geometry"]["type"] == "Point"
    lon, lat = gj["features"][0]["geometry"]["coordinates"]
    assert -1 < lon < 2 and 44 < lat < 46
    assert "Licence Ouverte" in gj["metadata"]["licence"]
    kv = pq.read_schema(exports.export_dataset(s, "parquet").path).metadata
    assert b"Licence Ouverte" in kv[b"territoire.licence"]
    wb = load_workbook(exports.export_dataset(s, "xlsx").path, read_only=True)
    assert wb.sheetnames == ["Données", "Licence"]
    licence = {r[0]: r[1] for r in wb["Licence"].iter_rows(values_only=True)}
    assert "Licence Ouverte" in licence["Licence"] and licence["Enregistrements"] == "52"
    readme = exports.readme_text(exports.licence_info("colleges"))
    assert "Licence Ouverte" in readme and "Attribution" in readme


def test_polygons_export_to_geojson(portal: Path) -> None:
    s = schema_of("contours-communes")
    result = exports.export_dataset(s, "geojson")
    data = json.loads(result.path.read_text(encoding="utf-8"))
    assert len(data["features"]) == 503
    assert data["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert "geometry" not in data["features"][0]["properties"]


def test_csv_bom_option_and_separators(portal: Path) -> None:
    s = schema_of("communes")
    with_bom = exports.export_dataset(s, "csv", bom=True).path.read_bytes()
    without = exports.export_dataset(s, "csv-comma", bom=False).path.read_bytes()
    assert with_bom.startswith(exports.BOM) and not without.startswith(exports.BOM)
    assert with_bom[3:].split(b"\n")[0].count(b";") == len(s.columns) - 1
    assert without.split(b"\n")[0].count(b",") == len(s.columns) - 1
    assert "Périgueux".encode() in with_bom  # UTF-8, accents intact


def test_the_french_csv_writes_decimal_commas_and_the_international_one_decimal_points(portal: Path) -> None:
    s = schema_of("ips-colleges")
    tables = {}
    for fmt, delimiter in (("csv", ";"), ("csv-comma", ",")):
        text = exports.export_dataset(s, fmt).path.read_bytes().decode("utf-8-sig")
        tables[fmt] = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    french, international = tables["csv"], tables["csv-comma"]
    assert len(french) == len(international) == s.rows
    assert "103,5" in [r["ips"] for r in french] and "103.5" in [r["ips"] for r in international]
    for fr, intl in zip(french, international, strict=True):  # the same digits, only the decimal mark differs
        assert fr["ips"] == intl["ips"].replace(".", ",") and "." not in fr["ips"] + fr["effectifs"]
        assert fr["uai"] == intl["uai"] and fr["rentree_scolaire"] == intl["rentree_scolaire"]  # text untouched


def test_formula_injection_is_defused(empty_warehouse: Path) -> None:
    values = ["=1+1", "+33 5 53", "-2", "@SUM(A1)", "\tTAB", "normal", None, "a=b"]
    publish("injection", pa.table({"texte": values, "nombre": list(range(len(values)))}))
    s = schema_of("injection")
    for fmt in ("csv", "csv-comma"):
        rows = list(csv.reader(io.StringIO(exports.export_dataset(s, fmt).path.read_bytes().decode("utf-8-sig"),
                                           newline=""), delimiter=";" if fmt == "csv" else ","))
        cells = [r[0] for r in rows[1:]]
        assert cells[:5] == ["'=1+1", "'+33 5 53", "'-2", "'@SUM(A1)", "'\tTAB"]
        assert cells[5:] == ["normal", "", "a=b"]
        assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(values))]  # numbers are untouched
    wb = load_workbook(exports.export_dataset(s, "xlsx").path)
    cell = wb["Données"]["A2"]
    assert cell.value == "=1+1" and cell.data_type == "s"  # text, never a formula
    # JSON and Parquet keep the values exactly: they are data formats, not spreadsheets.
    js = json.loads(exports.export_dataset(s, "json").path.read_text(encoding="utf-8"))
    assert js["records"][0]["texte"] == "=1+1"


def test_empty_result_still_writes_headers(portal: Path) -> None:
    s = schema_of("communes")
    view, _ = state.parse_view({"q": ["aucune commune ne s'appelle ainsi"]}, s)
    for fmt in exports.formats_for(s):
        result = exports.export_dataset(s, fmt, view)
        assert result.rows == 0 and count_rows(result.path, fmt) == 0, fmt
    header = exports.export_dataset(s, "csv", view).path.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert "code_insee" in header


def test_unknown_format_and_geojson_without_geometry_are_refused(portal: Path) -> None:
    s = schema_of("communes")
    with pytest.raises(exports.ExportError):
        exports.export_dataset(s, "shp")
    with pytest.raises(exports.ExportError):
        exports.export_dataset(s, "geojson")


def test_download_handle_leaves_no_temp_file(portal: Path) -> None:
    result = exports.export_dataset(schema_of("communes"), "csv")
    handle = exports.open_for_download(result)
    assert not result.path.exists()
    assert handle.read().startswith(exports.BOM)
    handle.close()


MEMORY_PROBE = textwrap.dedent("""
    import json, resource, sys, time
    import config, queries, exports
    from catalogue.schema import Schema
    from queries.dataset import state
    s = Schema.from_meta("gros", queries.dataset_meta("gros"))
    view, _ = state.parse_view({"f": ["k:gte:0"]}, s)
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    list(queries.warehouse().stream("SELECT 1 AS x"))  # warm up DuckDB and pyarrow before the baseline
    base = rss()
    t0 = time.monotonic()
    out = {}
    for fmt in sys.argv[1].split(","):
        r = exports.export_dataset(s, fmt, view)
        out[fmt] = {"rows": r.rows, "bytes": r.path.stat().st_size, "peak_kib": rss()}
    out["base_kib"] = base
    out["seconds"] = time.monotonic() - t0
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_a_million_rows_export_with_bounded_memory(empty_warehouse: Path, tmp_path: Path) -> None:
    import duckdb

    n = 1_000_000
    raw = tmp_path / "gros.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT i AS k, 'libellé ' || (i % 1000) AS texte, i * 1.5 AS valeur, "
                f"DATE '2020-01-01' + CAST(i % 365 AS INTEGER) AS jour FROM range({n}) t(i)) "
                f"TO '{raw}' (FORMAT parquet, ROW_GROUP_SIZE 100000)").fetchall()
    con.close()
    publish("gros", parquet=raw)
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(empty_warehouse),
           "TERRITOIRE_CATALOGUE_DIR": os.environ["TERRITOIRE_CATALOGUE_DIR"]}
    proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, "csv,parquet"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print("export 1M rows:", out)  # visible with -s: peak RSS figures for the performance notes
    assert out["csv"]["rows"] == n and out["parquet"]["rows"] == n
    assert out["csv"]["bytes"] > 30_000_000  # the file is much bigger than the memory the export used
    growth_mib = (max(out["csv"]["peak_kib"], out["parquet"]["peak_kib"]) - out["base_kib"]) / 1024
    assert growth_mib < 150, f"peak RSS grew by {growth_mib:.0f} MiB while streaming {n} rows"
    assert out["seconds"] < 20
