"""Run every benchmark script in bench/ and assemble docs/PERFORMANCE.md from bench/results/*.md and *.json."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/run_all.py` from the repo root
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS_DIR, machine, uptime_line  # noqa: E402 - after the sys.path fix above

BENCH_DIR = ROOT / "bench"
DOC = ROOT / "docs" / "PERFORMANCE.md"
# Known scripts, in the order they run and appear; any other bench/*.py with a `main` and no leading underscore
# is run afterwards. memory_server comes after scale because it reuses the data scale generates.
ORDER = ["ingest", "catalogue_search", "dataset_table", "pages_render", "dashboard_render", "map_payload", "scale",
         "memory_server", "api", "api_load", "sandbox_attack", "soak"]
# A script whose results JSON names a group (write_result's `extra`, e.g. {"group": "Robustesse"}) is placed, after
# the others, under that group's heading: the API's benchmarks together, the hostile-use ones (sandbox attacks, the
# soak test) together.
GROUPS = {"API": "The Explore API (Opendatasoft v2.1) of the real server on the 10-million-row dataset: requests and "
                 "exports against DuckDB on the same file, then 50 concurrent API clients (locust).",
          "Robustesse": "How the portal holds under hostile use: attacks on the analysts' SQL sandbox and a soak "
                        "test of the real server with visitors and hostile SQL sessions at once."}
NOT_BENCHMARKS = {"run_all", "generate", "common", "__init__", "conftest", "locustfile"}
TIMEOUT_S = 3600


def scripts(only: list[str] | None, skip: list[str]) -> list[str]:
    found = {p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_") and p.stem not in NOT_BENCHMARKS}
    names = [n for n in ORDER if n in found] + sorted(found - set(ORDER))
    if only:
        names = [n for n in names if n in only]
    return [n for n in names if n not in skip]


def run_script(name: str, args: list[str]) -> dict[str, Any]:
    """Run one benchmark in its own process (clean memory, its own imports); never let one failure stop the rest."""
    cmd = [sys.executable, str(BENCH_DIR / f"{name}.py"), *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = -1, str(exc.stdout or ""), f"timeout after {TIMEOUT_S} s"
    took = time.perf_counter() - t0
    status = "ok" if rc == 0 else f"failed (exit {rc})"
    print(f"[{status}] {name} in {took:.0f} s", flush=True)
    if rc != 0:
        print((err or out)[-3000:], file=sys.stderr)
    return {"name": name, "cmd": " ".join(["python", f"bench/{name}.py", *args]), "rc": rc, "seconds": took,
            "stderr_tail": (err or "")[-1500:]}


_TARGET = re.compile(r"(p95\s*)?([≤≥<>]=?)\s*([0-9][0-9 .,]*)")


def ratio_vs_target(metric: dict[str, Any]) -> str:
    """measured ÷ target number (p95 when the target is about p95); ≤ targets are met below 1, ≥ targets above 1."""
    m = _TARGET.search(str(metric.get("target") or ""))
    if not m:
        return ""
    try:
        target = float(m.group(3).replace(" ", "").replace(",", "."))
    except ValueError:
        return ""
    measured = metric.get("p95") if m.group(1) and metric.get("p95") is not None else metric.get("value")
    if measured is None or target == 0:
        return ""
    return f"{float(measured) / target:.2f}"


def _num(value: Any) -> str:
    if value is None:
        return ""
    v = float(value)
    return f"{v:,.1f}".replace(",", " ") if abs(v) >= 10 else f"{v:.3g}"


def summary(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| Benchmark | Measure | median / value | p95 | target | measured ÷ target | met |",
             "|---|---|---:|---:|---|---:|---|"]
    for name, data in results.items():
        for m in data.get("metrics", []):
            ok = m.get("ok")
            met = "yes" if ok else ("**NO**" if ok is False else "n/a")
            value = f"{_num(m.get('value'))} {m.get('unit', '')}".strip()
            note = f" ({m['note']})" if m.get("note") else ""
            lines.append(f"| {name} | {m.get('name', '')}{note} | {value} | {_num(m.get('p95'))} | "
                         f"{m.get('target', '')} | {ratio_vs_target(m)} | {met} |")
    return lines


def assemble(runs: list[dict[str, Any]], command: str) -> str:
    info = machine()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    # Every section present, whether it ran in this invocation or an earlier one (the table below says which ran).
    names = list(dict.fromkeys([r["name"] for r in runs] + [p.stem for p in sorted(RESULTS_DIR.glob("*.md"))]))
    ordered = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
    results: dict[str, dict[str, Any]] = {}
    for n in ordered:
        path = RESULTS_DIR / f"{n}.json"
        if path.is_file():
            results[n] = json.loads(path.read_text(encoding="utf-8"))
    out = [
        "# Performance",
        "",
        "Generated by `bench/run_all.py` from `bench/results/*.md`; do not edit by hand (see `bench/README.md`).",
        "Every figure below was measured on the machine described here, in the run described here; nothing is",
        "estimated. A target that was missed says **NO**.",
        "",
        "## Machine and run",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, commit `{commit}`",
        f"- Command: `{command}`",
        f"- CPU: {info['cpu']} — {info['nproc']} cores (`nproc`); RAM: {info['ram']}",
        f"- OS: {info['os']}",
        f"- Python {info['python']}, duckdb {info['duckdb']}, pandas {info['pandas']}, pyarrow {info['pyarrow']}, "
        f"streamlit {info['streamlit']}, plotly {info['plotly']}, pydeck {info['pydeck']}",
        f"- Machine load at the end (other engineers' tests may run on the same 2 cores): `{uptime_line()}`",
    ]
    if runs:
        out += ["", "| Script | command | result | duration |", "|---|---|---|---:|"]
        for r in runs:
            result = "ok" if r["rc"] == 0 else f"**failed** (exit {r['rc']})"
            out.append(f"| {r['name']} | `{r['cmd']}` | {result} | {r['seconds']:.0f} s |")
    out += ["", "## Summary", ""] + summary(results)
    out += ["", "`measured ÷ target` uses the p95 when the target is a p95; below 1 meets a ≤ target, above 1 meets a ≥ "
            "target.", ""]
    grouped = {n: str(results.get(n, {}).get("group", "")) for n in ordered}
    ordered = [n for n in ordered if grouped[n] not in GROUPS] + [n for g in GROUPS for n in ordered if grouped[n] == g]
    opened: set[str] = set()
    for n in ordered:
        group = grouped[n] if grouped[n] in GROUPS else ""
        if group and group not in opened:
            opened.add(group)
            out += [f"## {group}", "", GROUPS[group], ""]
        md = RESULTS_DIR / f"{n}.md"
        if md.is_file():
            text = md.read_text(encoding="utf-8").strip()
            # Sections are level-2 headings in the assembled document whatever their own level (level 3 in a group).
            text = re.sub(r"^#{1,2} ", "### " if group else "## ", text, flags=re.M)
            out += [text, ""]
        else:
            run = next((r for r in runs if r["name"] == n), None)
            out += [f"## {n}", "", f"No result section (`bench/results/{n}.md` missing)."]
            if run and run["rc"] != 0:
                out += ["", "```", run["stderr_tail"].strip(), "```"]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="run only these scripts (names without .py)")
    parser.add_argument("--skip", nargs="*", default=[], help="do not run these scripts")
    parser.add_argument("--assemble-only", action="store_true", help="only rebuild docs/PERFORMANCE.md")
    parser.add_argument("--scale-args", default="", help="extra arguments for scale.py, e.g. '--rows 1000000'")
    parser.add_argument("--output", type=Path, default=DOC)
    args = parser.parse_args(argv)
    command = " ".join(["python", "bench/run_all.py", *(argv if argv is not None else sys.argv[1:])])
    runs: list[dict[str, Any]] = []
    if not args.assemble_only:
        for name in scripts(args.only, args.skip):
            extra = args.scale_args.split() if name == "scale" and args.scale_args else []
            runs.append(run_script(name, extra))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(assemble(runs, command), encoding="utf-8")
    print(f"→ {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0 if all(r["rc"] == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
