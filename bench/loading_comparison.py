"""Which reader gets the messy real files right: this portal against the tools a publisher could pick instead.

Every file of tests/fixtures/messy/ is read by this portal (`python -m loaders add`, then the produced Parquet read
back), csv-detective, frictionless, clevercsv, pandas defaults, DuckDB's automatic readers and GDAL through
geopandas, each with its defaults, and every result is judged by the same checker against the expectations written
by hand from the files (tests/loaders/messy_expectations.py). The table goes into docs/LOADING.md.

    make bench-loading                       # creates bench/.venv-compare, then runs this script
    .venv/bin/python bench/loading_comparison.py [--tools portal,pandas] [--only depts2013.txt] [--no-write]
    .venv/bin/python bench/loading_comparison.py --tools portal --keep-others   # re-measure the portal only

The portal runs in the main .venv; the other tools in bench/.venv-compare (csv-detective pins python-dateutil<3,
which the main environment cannot take). Each (tool, file) pair runs in its own subprocess with a time limit, so a
crash or a hang is one red cell, not a lost run. Results: bench/out/loading_comparison.json and docs/LOADING.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "loaders"))

import messy_expectations as mx  # noqa: E402  (a plain module beside the loader tests, importable in both venvs)

MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
COMPARE_PYTHON = ROOT / "bench" / ".venv-compare" / "bin" / "python"
OUT_JSON = ROOT / "bench" / "out" / "loading_comparison.json"
DOC = ROOT / "docs" / "LOADING.md"
TIMEOUT_S = 300
TEXT_FORMATS = {"csv"}  # delimited text, whatever the extension says (.txt, .xls that is really TSV)

# tool -> (label in the table, formats it claims to read; a file outside them is "—" and counts as not read)
TOOLS: dict[str, tuple[str, set[str]]] = {
    "portal": ("this portal", {"csv", "xls", "xlsx", "json", "geojson", "shapefile"}),
    "csv_detective": ("csv-detective", {"csv", "xls", "xlsx"}),
    "frictionless": ("frictionless", {"csv", "xls", "xlsx", "json"}),
    "clevercsv": ("clevercsv", {"csv"}),
    "pandas": ("pandas defaults", {"csv", "xls", "xlsx", "json", "geojson"}),
    "duckdb": ("DuckDB auto", {"csv", "json", "geojson"}),
    "gdal": ("GDAL/geopandas", {"csv", "xls", "xlsx", "geojson", "shapefile"}),
}


# ---------------------------------------------------------------------------------------------------------------
# Readers (run inside a worker subprocess, one file each)
# ---------------------------------------------------------------------------------------------------------------

def read_portal(path: Path) -> Any:
    """`python -m loaders add` in a throw-away data directory, then the published Parquet."""
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="loading-cmp-") as tmp:
        env = {**os.environ, "TERRITOIRE_DATA_DIR": f"{tmp}/data", "TERRITOIRE_CATALOGUE_DIR": f"{tmp}/catalogue"}
        proc = subprocess.run([sys.executable, "-m", "loaders", "add", str(path), "--id", "messy"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
        if proc.returncode != 0:
            raise RuntimeError((proc.stderr or proc.stdout).strip().splitlines()[-1] if (proc.stderr or proc.stdout)
                               else f"exit {proc.returncode}")
        parquet = sorted(Path(tmp, "data", "warehouse", "messy", "versions").glob("*/data.parquet"))
        return pq.read_table(parquet[-1])


def read_csv_detective(path: Path) -> Any:
    import pandas as pd
    from csv_detective import routine

    # num_rows=-1: by default the returned frame is the analysis sample (500 shuffled rows), not the file
    _, frames = routine(str(path), num_rows=-1, output_profile=False, output_schema=False, output_df=True,
                        save_results=False)
    return frames if isinstance(frames, pd.DataFrame) else pd.concat(list(frames), ignore_index=True)


def read_frictionless(path: Path) -> Any:
    import pandas as pd
    from frictionless.resources import TableResource

    with TableResource(path=str(path)) as resource:
        names = resource.schema.field_names
        rows = [row.to_list() for row in resource.row_stream]
    return pd.DataFrame(rows, columns=names)


def read_clevercsv(path: Path) -> Any:
    import clevercsv

    return clevercsv.read_dataframe(str(path))


def read_pandas(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".xls", ".xlsx"):
        return pd.read_excel(path)
    if suffix in (".json", ".geojson"):
        return pd.read_json(path)
    return pd.read_csv(path)


def read_duckdb(path: Path) -> Any:
    import duckdb

    con = duckdb.connect()
    if path.suffix.lower() in (".json", ".geojson"):
        return con.read_json(str(path)).df()
    return con.read_csv(str(path)).df()


def read_gdal(path: Path) -> Any:
    import geopandas

    return geopandas.read_file(path)


READERS = {"portal": read_portal, "csv_detective": read_csv_detective, "frictionless": read_frictionless,
           "clevercsv": read_clevercsv, "pandas": read_pandas, "duckdb": read_duckdb, "gdal": read_gdal}


def worker(tool: str, file: str) -> dict[str, Any]:
    """Read one file with one tool and judge it; never raises."""
    exp = mx.EXPECTATIONS[file]
    started = time.perf_counter()
    try:
        table = READERS[tool](exp.path)
    except BaseException as exc:  # noqa: BLE001 — any failure of the tool is a result, not a crash of the bench
        message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        return {"status": "error", "problems": [], "error": message[:300], "seconds": time.perf_counter() - started}
    seconds = time.perf_counter() - started
    try:
        problems = mx.check(table, exp)
    except Exception:  # noqa: BLE001 — a result the checker cannot even look at is a wrong reading
        problems = ["checker: " + traceback.format_exc(limit=1).strip().splitlines()[-1]]
    return {"status": "right" if not problems else "wrong", "problems": problems, "error": "", "seconds": seconds}


# ---------------------------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------------------------

def run_pair(tool: str, exp: mx.Expectation) -> dict[str, Any]:
    base = {"tool": tool, "file": exp.file}
    if exp.format not in TOOLS[tool][1]:
        return {**base, "status": "n/a", "problems": [], "error": "", "seconds": 0.0}
    python = MAIN_PYTHON if tool == "portal" else COMPARE_PYTHON
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", tool, exp.file]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {**base, "status": "error", "problems": [], "error": f"no result after {TIMEOUT_S} s", "seconds": 0.0}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return {**base, "status": "error", "problems": [], "error": f"crashed: {tail}"[:300], "seconds": 0.0}
    return {**base, **json.loads(lines[-1])}


def versions() -> dict[str, str]:
    """Versions of the compared tools, read in the compare venv."""
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "['csv-detective', 'frictionless', 'clevercsv', 'pandas', 'duckdb', 'geopandas', 'pyogrio', "
            "'python-calamine', 'openpyxl', 'xlrd']}))")
    proc = subprocess.run([str(COMPARE_PYTHON), "-c", code], capture_output=True, text=True, timeout=120)
    out = json.loads(proc.stdout) if proc.returncode == 0 else {}
    gdal = subprocess.run([str(COMPARE_PYTHON), "-c", "import pyogrio; print(pyogrio.__gdal_version_string__)"],
                          capture_output=True, text=True, timeout=120)
    if gdal.returncode == 0:
        out["GDAL"] = gdal.stdout.strip()
    return out


def cell(result: dict[str, Any]) -> str:
    status = result["status"]
    if status == "right":
        return "✓"
    if status == "wrong":
        return f"✗ {len(result['problems'])}"
    return "error" if status == "error" else "—"


def _short(text: str, limit: int = 220) -> str:
    text = text.replace(f"{ROOT}/", "").replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(results: list[dict[str, Any]], tools: list[str], tool_versions: dict[str, str], elapsed: float,
           measured: str | None = None) -> str:
    by = {(r["file"], r["tool"]): r for r in results}
    files = [e.file for e in mx.EXPECTATIONS.values() if any((e.file, t) in by for t in tools)]
    head = "| file | format | " + " | ".join(TOOLS[t][0] for t in tools) + " |"
    lines = [head, "|" + "---|" * (len(tools) + 2)]
    for f in files:
        exp = mx.EXPECTATIONS[f]
        lines.append(f"| `{f if len(f) <= 48 else f[:45] + '…'}` | {exp.format} | "
                     + " | ".join(cell(by[(f, t)]) for t in tools) + " |")
    totals = [sum(by[(f, t)]["status"] == "right" for f in files) for t in tools]
    lines.append("| **read right** | | " + " | ".join(f"**{n} / {len(files)}**" for n in totals) + " |")
    table = "\n".join(lines)
    why = []
    for f in files:
        bits = []
        for t in tools:
            r = by[(f, t)]
            if r["status"] == "wrong":
                bits.append(f"{TOOLS[t][0]}: " + "; ".join(_short(p) for p in r["problems"][:2])
                            + (f" (+{len(r['problems']) - 2})" if len(r["problems"]) > 2 else ""))
            elif r["status"] == "error":
                bits.append(f"{TOOLS[t][0]}: {_short(r['error'])}")
        if bits:
            why.append(f"- `{f}`\n" + "\n".join(f"  - {b}" for b in bits))
    stamp = measured or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    vers = ", ".join(f"{k} {v}" for k, v in tool_versions.items())
    return "\n".join([
        f"Measured {stamp} in {elapsed:.0f} s on this machine ({os.cpu_count()} cores). Tool versions: {vers}.",
        "", table, "",
        "✓ read right (header, row count, column names, key types and every spot cell as written by hand); "
        "✗ n: read, with n mismatches; error: the tool refused the file or crashed; —: a format the tool does "
        "not claim to read (counted as not read).", "",
        "### What went wrong, file by file (first two mismatches per tool)", "", *why, "",
    ])


DOC_HEAD = """# Loading real files

Issue 14 asked the loader to read the files French administrations actually publish at least as well as any tool
a publisher could pick instead, and to say precisely why, in French, when it cannot. The yardstick is
`tests/fixtures/messy/`: 23 real files copied byte for byte from public repositories (provenance and quirks in
`tests/fixtures/messy/PROVENANCE.md`). It is a training set; the loader is meant to fix classes of problems, not
these files.

## The expectations

`tests/loaders/messy_expectations.py` holds, for each file, what a careful person reading it sees: encoding,
delimiter, header line, the exact column names, the number of data rows (titles, repeated headers, subtotals and
footnotes excluded, with their line numbers and why), the types of key columns (codes stay text with their
leading zeros, counts are integers, amounts decimals, dates dates) and spot cells. They were written from the raw
bytes (xxd, Python's csv and json modules, a spreadsheet viewer), never from the loader's output. One checker,
`check(frame_or_arrow_table, expectation)`, compares any reading with them and lists the mismatches; the loader's
tests and this comparison both use it. Names are compared through a fold (accents, case and punctuation dropped),
so `Code INSEE` and `code_insee` are the same column. Where two readings are both right (a département code with
or without its restored zero, a fraction or a percentage, one layer or another of an archive) both are accepted.

## How each tool was run

Each tool with its defaults, as a publisher would call it: the portal through `python -m loaders add` (which
inspects, loads and publishes a version) and the published Parquet read back; csv-detective's `routine(…,
output_df=True, num_rows=-1)` (with the default 500 the frame returned is the shuffled analysis sample);
frictionless' `TableResource(path=…).row_stream` with the inferred schema; `clevercsv.read_dataframe`; pandas
`read_csv` / `read_excel` / `read_json` by extension; DuckDB's `read_csv` (`read_json` for JSON) with automatic
detection; GDAL through `geopandas.read_file`. A tool that does not claim a format is not run on it. For geodata
the checker also compares the first feature's position in WGS84 (a reader that kept the source projection and
declared it is reprojected before the comparison). The comparison tools live in their own virtual environment
(`bench/.venv-compare`, pinned in `bench/requirements-compare.txt`) because csv-detective pins
`python-dateutil<3`.

    make bench-loading       # or: .venv/bin/python bench/loading_comparison.py

## Results

"""

DOC_TAIL = """
## Reading the table fairly

- The portal column runs the loader of the working tree at the time of the measurement: it moves as the loader
  does, so re-run the command after a change to the loader (the section above is rewritten between its markers,
  the rest of this file is kept).
- A ✓ covers the table only. What the publisher is told (`inspect`'s JSON: sheet list, rows skipped with their line
  numbers, repaired lines, detected projection, warnings) is checked by the loader's own tests, which use the same
  expectations (`repaired`, `excluded`, `sheets`, `crs`).
- frictionless reads JSON only with its `frictionless[json]` extra (ijson, jsonlines), not installed here: its two
  JSON cells say so. It also refuses a `.txt` file by its extension, whatever the content.
- pandas' `read_excel` reads `.xls` through xlrd (installed as a dependency of csv-detective), `.xlsx` through
  openpyxl. The GDAL of the pyogrio wheels has no XLS driver.
- The expectations accept every reading a person would call right: a lost leading zero restored or not where the
  column is not unambiguously a commune code, a fraction or its percentage, trimmed or untrimmed values where the
  file pads them, the labels or the codes of a two-row header, either polygon layer of the PM3 archive. They never
  accept a wrong row count, a shifted column, a code turned into a number, a date left as text, or a footnote or a
  subtotal read as data.
"""

MARK_BEGIN, MARK_END = "<!-- results:begin -->", "<!-- results:end -->"


def write_doc(body: str) -> None:
    if DOC.exists() and MARK_BEGIN in (text := DOC.read_text(encoding="utf-8")):
        before, rest = text.split(MARK_BEGIN, 1)
        after = rest.split(MARK_END, 1)[1] if MARK_END in rest else "\n"
        DOC.write_text(f"{before}{MARK_BEGIN}\n{body}{MARK_END}{after}", encoding="utf-8")
    else:
        DOC.write_text(f"{DOC_HEAD}{MARK_BEGIN}\n{body}{MARK_END}\n{DOC_TAIL}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    parser.add_argument("--only", nargs="*", help="file names of tests/fixtures/messy/ to run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print the table, do not write docs/LOADING.md")
    parser.add_argument("--render-only", action="store_true", help=f"rewrite the doc from {OUT_JSON.name}")
    parser.add_argument("--keep-others", action="store_true",
                        help=f"with --tools: take the other tools' results from the last {OUT_JSON.name}")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker), ensure_ascii=False, default=str))
        return 0
    if args.render_only:
        saved = json.loads(OUT_JSON.read_text(encoding="utf-8"))
        write_doc(render(saved["results"], saved["tools"], saved["versions"], saved["seconds"],
                         saved.get("measured")))
        return 0
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    if any(t != "portal" for t in tools) and not COMPARE_PYTHON.exists():
        parser.error(f"{COMPARE_PYTHON} is missing: run `make bench-loading` (it creates the venv)")
    exps = [e for e in mx.EXPECTATIONS.values() if not args.only or e.file in args.only]
    started = time.perf_counter()
    pairs = [(t, e) for e in exps for t in tools]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda p: run_pair(*p), pairs))
    elapsed = time.perf_counter() - started
    tool_versions = versions() if any(t != "portal" for t in tools) else {}
    if args.keep_others and OUT_JSON.exists():
        # the comparison tools do not change between runs; the portal does, as the loader improves
        saved = json.loads(OUT_JSON.read_text(encoding="utf-8"))
        fresh = {(r["tool"], r["file"]) for r in results}
        results += [r for r in saved["results"] if (r["tool"], r["file"]) not in fresh]
        tool_versions = tool_versions or saved["versions"]
        tools = [t for t in TOOLS if t in tools or t in saved["tools"]]
        measured_others = saved.get("measured", "earlier").split(" (")[0]
        scope = ", ".join(args.tools.split(",")) if not args.only else f"{len(fresh)} re-measured pairs"
    else:
        measured_others = scope = ""
    measured = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if measured_others:
        measured += f" ({scope}; the other results: {measured_others})"
    body = render(results, tools, tool_versions, elapsed, measured)
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps({"tools": tools, "versions": tool_versions, "seconds": elapsed,
                                    "measured": measured, "results": results}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
    print(body)
    complete = {(r["tool"], r["file"]) for r in results} >= {(t, f) for t in TOOLS for f in mx.EXPECTATIONS}
    if not args.no_write and complete:
        write_doc(body)
        print(f"written: {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
