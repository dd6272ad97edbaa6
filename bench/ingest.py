"""Ingest benchmark: our CSV loader vs pandas and raw DuckDB on a 1,000,000-row French-dialect CSV."""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Metric, write_result  # noqa: E402 - after the sys.path fix above

OUT = ROOT / "bench" / "out"
SOURCE = ROOT / "data" / "dordogne" / "population" / "population_communes_24_long.csv"
HEADER = ("Millésime;Année en vigueur;Code INSEE origine;Nom de la commune;Population municipale;"
          "Population comptée à part;Population totale;Code INSEE COG 2026;Densité (hab/km²);Date de mise à jour\n")
CODES = ("Code INSEE origine", "Code INSEE COG 2026")
DATE = "Date de mise à jour"
CODEC = "zstd"  # the loader's codec (loaders.typed_copy.PARQUET_OPTIONS); every contestant writes the same
THREADS, MEMORY = 2, "1GB"  # DuckDB settings of both DuckDB contestants (the loader's come from config.py)
CONTESTANTS = ("ours", "ours_copy", "ours_full", "pandas", "duckdb_raw")
LABELS = {
    "ours": "Territoire `convert_file`: detection + whole-file type check + Parquet",
    "ours_copy": "Territoire's checked COPY alone (`write_parquet`; detection done before, untimed)",
    "ours_full": "Territoire `load_dataset`: + sha256, profile, meta.json, atomic publish",
    "pandas": "pandas `read_csv` + `to_parquet` (the common approach)",
    "duckdb_raw": "raw DuckDB `COPY read_csv(hand-given params) TO parquet` (practical limit)",
}


def build_csv(rows: int, encoding: str) -> Path:
    """Repeat and vary the embedded population file: `;`, decimal comma, dd/mm/yyyy, codes as text."""
    path = OUT / f"population_{rows}_{encoding}.csv"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    with SOURCE.open(encoding="utf-8", newline="") as fh:
        src = list(csv.DictReader(fh))
    lines = []
    for n in range(rows):
        r = src[n % len(src)]
        k = n // len(src)
        pmun = int(r["pmun"]) + (k % 7) * ((n * 37) % 101 - 50)
        dens = f"{pmun / (5 + n % 97):.2f}".replace(".", ",")
        day = f"{1 + n % 28:02d}/{1 + n % 12:02d}/{2000 + k % 25}"
        lines.append(f"{r['millesime']};{r['annee_en_vigueur']};{r['code_insee_origine']};{r['nom_origine']};{pmun};"
                     f"{r['pcap']};{pmun + int(r['pcap'])};{r['code_insee_cog2026']};{dens};{day}\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(HEADER + "".join(lines), encoding=encoding, newline="")
    tmp.replace(path)
    return path


def raw_sql(path: Path, out: Path, encoding: str) -> str:
    """What an engineer who already knows the file writes by hand: dialect, encoding, date format, codes as text
    (else INSEE codes lose their leading zeros); DuckDB sniffs the other types itself."""
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in CODES)
    return (f"COPY (SELECT * FROM read_csv('{path}', delim=';', decimal_separator=',', encoding='{encoding}', "  # noqa: S608
            f"header=true, dateformat='%d/%m/%Y', types={{{types}}})) TO '{out}' (FORMAT parquet, COMPRESSION {CODEC})")


# -------------------------------------------------------------------------------------------- child process


def _cpu() -> float:
    """CPU time of this process, every thread included (DuckDB's workers, pyarrow's pool)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(name: str, path: Path, out: Path, encoding: str) -> dict[str, Any]:
    """One measured run in a fresh process: imports and settings first (untimed), then the timed ingest."""
    import duckdb

    info: dict[str, Any] = {}
    if name in ("ours", "ours_full"):
        from catalogue.manifest import parse_spec
        from config import get_settings
        from loaders.pipeline import connect, convert_file, load_dataset

        s = get_settings()  # builds settings (imports streamlit for st.secrets): process start-up, not ingest
        spec = parse_spec({"id": "bench-ingest", "title": "bench", "publisher": "bench", "license": {"id": "lov2"},
                           "source": {"path": str(path)}})

        def run() -> int:
            if name == "ours":
                return int(convert_file(path, out)["rows"])
            result = load_dataset(spec, force=True)
            info["warnings"] = result.warnings
            return result.rows

        def settings_seen() -> None:  # after the timed run: a first connect() must not warm DuckDB up for us
            probe = connect(s.data_dir / "tmp")
            info["duckdb"] = probe.execute("SELECT current_setting('threads'), current_setting('memory_limit')"
                                           ).fetchall()
            probe.close()
    elif name == "ours_copy":
        from loaders.detect.encoding import SourceScan
        from loaders.pipeline import connect, stage
        from loaders.typed_copy import write_parquet

        work = out.parent / "ours_copy_work"
        work.mkdir(exist_ok=True)
        con = connect(work)
        staged = stage(con, path, SourceScan(sha256=None, size=path.stat().st_size), "csv", {}, work)

        def run() -> int:  # the limit of ours without detection: the same COPY, its checks included
            return write_parquet(con, staged, out)
    elif name == "pandas":
        import pandas as pd
        import pyarrow.parquet  # noqa: F401 - imported by to_parquet on first use: start-up, not ingest

        def run() -> int:
            df = pd.read_csv(path, sep=";", decimal=",", encoding=encoding, dtype=dict.fromkeys(CODES, str),
                             parse_dates=[DATE], dayfirst=True)
            df.to_parquet(out, compression=CODEC)
            return len(df)
    else:
        def run() -> int:
            con = duckdb.connect(config={"threads": THREADS, "memory_limit": MEMORY,
                                         "autoinstall_known_extensions": False, "autoload_known_extensions": False})
            rows = int(con.execute(raw_sql(path, out, encoding)).fetchall()[0][0])
            info["duckdb"] = con.execute("SELECT current_setting('threads'), current_setting('memory_limit')"
                                         ).fetchall()
            con.close()
            return rows

    load0 = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), _cpu()
    rows = run()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if name in ("ours", "ours_full"):
        settings_seen()
    if name == "ours_full":
        import warehouse

        out = warehouse.resolve(warehouse.read_registry()["datasets"]["bench-ingest"]["parquet"])
    with duckdb.connect() as con:
        schema = con.execute(f"SELECT name, type FROM parquet_schema('{out}') WHERE num_children IS NULL").fetchall()  # noqa: S608
        codecs = con.execute(f"SELECT DISTINCT compression FROM parquet_metadata('{out}')").fetchall()  # noqa: S608
    return {"name": name, "wall": wall, "cpu": cpu, "rows": rows, "load": load0, "schema": schema,
            "codec": sorted(str(c[0]) for c in codecs), "bytes": Path(out).stat().st_size, **info}


# ------------------------------------------------------------------------------------------------- parent


def run_child(name: str, path: Path, work: Path, encoding: str) -> dict[str, Any]:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(work / "data"), "PYTHONPATH": str(ROOT)}
    out = work / f"{name}.parquet"
    proc = subprocess.run([sys.executable, __file__, "--child", name, "--path", str(path), "--out", str(out),
                           "--encoding", encoding], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"{name} a échoué :\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def same_rows(work: Path, names: list[str]) -> dict[str, bool]:
    """Whether each output holds the same rows as ours (positional EXCEPT ALL both ways; dates vs timestamps
    compared as timestamps)."""
    import duckdb

    ours = work / "ours.parquet"
    out: dict[str, bool] = {}
    with duckdb.connect() as con:
        for name in names:
            if name in ("ours", "ours_full"):
                continue
            other = work / f"{name}.parquet"
            diff = con.execute(f"SELECT (SELECT count(*) FROM (FROM '{ours}' EXCEPT ALL FROM '{other}')) + "  # noqa: S608
                               f"(SELECT count(*) FROM (FROM '{other}' EXCEPT ALL FROM '{ours}'))").fetchall()[0][0]
            out[name] = diff == 0
    return out


def _types(schema: list[list[str]]) -> str:
    return ", ".join(f"{n}:{t}" for n, t in schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--encoding", default="latin-1", choices=["latin-1", "cp1252"])
    parser.add_argument("--child", choices=CONTESTANTS)
    parser.add_argument("--path")
    parser.add_argument("--out")
    parser.add_argument("--no-write", action="store_true", help="print only, do not rewrite bench/results/ingest.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.path), Path(args.out), args.encoding), default=str))
        return

    path = build_csv(args.rows, args.encoding)
    path.read_bytes()  # page cache warm for every contestant alike
    names = [n for n in CONTESTANTS if n != "duckdb_raw" or args.encoding == "latin-1"]  # DuckDB has no cp1252
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    loads: list[float] = []
    try:
        for i in range(args.runs):  # interleaved so that a noisy neighbour hurts every contestant alike
            for name in names:
                res = run_child(name, path, work, args.encoding)
                runs[name].append(res)
                loads.append(res["load"])
                print(f"run {i + 1} {name:10s} wall {res['wall']:.3f} s  cpu {res['cpu']:.3f} s  "
                      f"load {res['load']:.2f}", flush=True)
        same = same_rows(work, names)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(args, path, runs, loads, same)
    print(text)
    if not args.no_write:
        write_result("ingest", text, metrics(runs))


def metrics(runs: dict[str, list[dict[str, Any]]]) -> list[Metric]:
    """The summary lines of docs/PERFORMANCE.md: each ratio against its target, met or not."""
    wall = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
    vs_pandas = wall["pandas"] / wall["ours"]
    out = [Metric("Ingest speed, ours ÷ pandas read_csv + to_parquet (median wall)", round(vs_pandas, 2), "×",
                  target="≥ 3", ok=vs_pandas >= 3,
                  note="ceiling on this machine: raw DuckDB ÷ pandas"
                       + (f" = {wall['pandas'] / wall['duckdb_raw']:.2f}×" if "duckdb_raw" in wall else ""))]
    if "duckdb_raw" in wall:
        vs_raw = wall["duckdb_raw"] / wall["ours"]
        out.append(Metric("Ingest speed, ours ÷ raw DuckDB COPY (median wall)", round(vs_raw, 2), "×",
                          target="≥ 0.85", ok=vs_raw >= 0.85))
    return out


def report(args: argparse.Namespace, path: Path, runs: dict[str, list[dict[str, Any]]], loads: list[float],
           same: dict[str, bool]) -> str:
    import duckdb
    import pandas as pd

    wall = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r["cpu"] for r in v) for k, v in runs.items()}
    best = {k: min(r["wall"] for r in v) for k, v in runs.items()}
    cpu_model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), platform.processor())
    duck = next((r["duckdb"] for v in runs.values() for r in v if "duckdb" in r), None)
    lines = [
        f"## Ingest: {args.rows:,} rows CSV ({path.stat().st_size / 1e6:.0f} MB, `;`, decimal comma, {args.encoding}, "
        "dd/mm/yyyy, INSEE codes with leading zeros)", "",
        f"Command: `.venv/bin/python bench/ingest.py --rows {args.rows} --runs {args.runs} --encoding {args.encoding}`",
        "",
        f"Machine: nproc={os.cpu_count()}, CPU {cpu_model}, Python {platform.python_version()}, DuckDB "
        f"{duckdb.__version__}, pandas {pd.__version__}; DuckDB settings seen inside the runs (threads, "
        f"memory_limit): {duck}. Load average (1 min) at the start of the runs: min {min(loads):.2f}, median "
        f"{statistics.median(loads):.2f}, max {max(loads):.2f} (other engineers' suites share the 2 cores).", "",
        f"Each run is a fresh subprocess: imports and settings untimed, then the timed ingest; wall = perf_counter, "
        f"CPU = getrusage(RUSAGE_SELF) of that subprocess (user+sys, all its threads). {args.runs} interleaved runs; "
        "median (and best wall).", "",
        "| contestant | wall s (median) | wall s (best) | rows/s (median wall) | CPU s (median) | CPU/wall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k in runs:
        lines.append(f"| {LABELS[k]} | {wall[k]:.2f} | {best[k]:.2f} | {args.rows / wall[k]:,.0f} | {cpu[k]:.2f} | "
                     f"{cpu[k] / wall[k]:.2f} |")
    lines += ["", "Ratios (higher is better for ours; targets from the issue):", ""]
    lines.append(f"- ours vs pandas: **{wall['pandas'] / wall['ours']:.2f}x** by median wall, "
                 f"{best['pandas'] / best['ours']:.2f}x by best wall, {cpu['pandas'] / cpu['ours']:.2f}x by CPU "
                 f"(target ≥ 3x); full load_dataset vs pandas: {wall['pandas'] / wall['ours_full']:.2f}x wall")
    if "duckdb_raw" in runs:
        lines.append(f"- ours vs raw DuckDB: **{wall['duckdb_raw'] / wall['ours']:.2f}x** its speed by median wall, "
                     f"{best['duckdb_raw'] / best['ours']:.2f}x by best wall, {cpu['duckdb_raw'] / cpu['ours']:.2f}x "
                     f"by CPU (target ≥ 0.85x); full load_dataset: {wall['duckdb_raw'] / wall['ours_full']:.2f}x wall")
    if "duckdb_raw" in runs and "ours_copy" in runs:
        lines.append(f"- limit of ours on this file: its checked COPY alone (detection untimed) is "
                     f"**{wall['duckdb_raw'] / wall['ours_copy']:.2f}x** raw DuckDB by median wall; the detection "
                     f"adds {wall['ours'] - wall['ours_copy']:.2f} s (encoding, dialect, types and non-data rows on "
                     "the sample, the DuckDB connection).")
    if "duckdb_raw" in runs:
        lines.append(f"- ceiling: raw DuckDB itself is {wall['pandas'] / wall['duckdb_raw']:.2f}x pandas by median wall "
                     f"({cpu['pandas'] / cpu['duckdb_raw']:.2f}x by CPU). Ours cannot beat the raw COPY it is built "
                     "on (same reader, same writer, plus detection and per-value checks), so ours vs pandas is "
                     "bounded by that figure: ≥ 3x pandas is out of reach on this machine.")
    par = {k: cpu[k] / wall[k] for k in runs if k != "pandas"}
    lines.append("- parallelism: CPU/wall " + ", ".join(f"{k} {v:.2f}" for k, v in par.items()) + f" (2.0 = both "
                 f"cores busy the whole run; pandas is single-threaded except the Parquet write). Median load "
                 f"{statistics.median(loads):.1f} on {os.cpu_count()} cores: what other processes take shows up in "
                 "wall time, CPU time is the steadier measure.")
    lines += ["", "What each contestant does and writes (Parquet schema of its output, codec, size):", ""]
    for k, v in runs.items():
        r = v[-1]
        lines.append(f"- **{k}** ({r['rows']:,} rows, {r['bytes'] / 1e6:.1f} MB, codec {'/'.join(r['codec'])}): "
                     f"{_types(r['schema'])}")
    lines.append("- same data: " + "; ".join(f"{k} {'holds exactly the same rows as ours' if v else 'DIFFERS from ours'}"
                                            for k, v in same.items()) + " (EXCEPT ALL both ways).")
    lines += [
        "",
        "- ours: encoding sniffed on the first MiB and validated by DuckDB while reading, dialect and types "
        "sniffed on a 256 KiB sample, then one DuckDB `COPY (SELECT checked casts FROM read_csv(explicit "
        "columns, strict_mode)) TO parquet`: every value of every typed column is checked (a leading zero, `+5`, "
        "`1.5` in an integer column, a bad date... raise, and the slow whole-file path retypes the column); codes "
        "stay text by name and by value; row count from the COPY.",
        f"- pandas: `pd.read_csv(path, sep=';', decimal=',', encoding='{args.encoding}', dtype={{codes: str}}, "
        f"parse_dates=['{DATE}'], dayfirst=True)` then `df.to_parquet(out, compression='{CODEC}')` (pyarrow): the "
        "same output types as ours (dates parsed, codes as text), no check beyond pandas' own inference.",
        f"- raw DuckDB: `{raw_sql(Path('<csv>'), Path('<out>'), args.encoding)}` with threads={THREADS}, "
        f"memory_limit={MEMORY}: DuckDB's lenient casts (`024` → 24), no check.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
