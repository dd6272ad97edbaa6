"""Load test of the Explore API: 50 concurrent clients for 60 s against the real server, with locust.

The server is the one bench/api.py measures: the 10-million-row benchmark data copied into a temporary portal, served
by serve.py on 127.0.0.1 (bench.common.Server). Locust runs headless in a subprocess (it patches the stdlib with
gevent, so it is never imported here or in pytest) with bench/locustfile.py: 49 visitors with a realistic mix
(catalogue list and search, records with where/order_by/refine, facets, record by id, small exports, a big export
now and then, 304 revalidations), each from an address of its own sent as X-Forwarded-For (the server trusts that
header here, as behind a reverse proxy), and one scraper that never pauses and is meant to hit the rate limit.

    python bench/api_load.py                                # 50 users, 60 s
    python bench/api_load.py --users 10 --duration 15 --no-write

Reported from locust's CSV statistics: requests/s, p50/p95/p99 per request kind, errors split into the intended 429s
(rate limit, busy export slots: the settings are printed) and the others (the target is 0); the server's RSS (with its
children) and CPU time, sampled every 0.5 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/api_load.py` from the repo root
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402 - after the sys.path fix above
from bench.common import (  # noqa: E402
    MemorySampler,
    Metric,
    Server,
    cpu_seconds,
    ensure_data,
    uptime_line,
    write_result,
)

LOCUSTFILE = ROOT / "bench" / "locustfile.py"
PROXY_HEADER = "X-Forwarded-For"
# The rate limit of this test: a visitor (a request every 1-4 s) stays far below it, the scraper (no pause, ~10
# requests/s on 2 cores) goes over it within its first minute, so the intended 429s show up in a 60 s run.
RATE_PER_MIN = 120


@dataclass
class LoadResult:
    """What locust measured, by request kind, and the failures sorted into intended 429s and errors."""

    users: int
    duration_s: float
    kinds: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] = field(default_factory=dict)
    intended_429: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    log_tail: str = ""

    @property
    def error_count(self) -> int:
        return sum(int(e.split(" × ", 1)[0]) for e in self.errors)


def _num(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def run_load(host: str, users: int, duration: float, work: Path, spawn_rate: float = 10.0,
             env: dict[str, str] | None = None) -> LoadResult:
    """Locust headless in its own process against `host` for `duration` seconds; its CSV statistics, parsed."""
    prefix = work / "locust"
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(users),
           "--spawn-rate", str(spawn_rate), "--run-time", f"{int(duration)}s", "--host", host, "--csv", str(prefix),
           "--only-summary", "--stop-timeout", "10", "--exit-code-on-error", "0"]
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=duration + 120)
    result = LoadResult(users, duration, log_tail=(proc.stderr or proc.stdout)[-3000:])
    if proc.returncode != 0:
        result.errors.append(f"1 × locust exited {proc.returncode}: {result.log_tail[-500:]}")
    stats = prefix.with_name("locust_stats.csv")
    if stats.is_file():
        for row in csv.DictReader(stats.open(encoding="utf-8")):
            kind = {"name": row["Name"], "requests": int(_num(row["Request Count"])),
                    "failures": int(_num(row["Failure Count"])), "rps": _num(row["Requests/s"]),
                    "p50": _num(row["50%"]), "p95": _num(row["95%"]), "p99": _num(row["99%"]),
                    "max": _num(row["Max Response Time"])}
            if row["Name"] == "Aggregated":
                result.total = kind
            else:
                result.kinds.append(kind)
    else:
        result.errors.append("1 × locust wrote no statistics")
    failures = prefix.with_name("locust_failures.csv")
    for row in csv.DictReader(failures.open(encoding="utf-8")) if failures.is_file() else []:
        count = int(_num(row["Occurrences"]))
        if "HTTP 429" in row["Error"]:  # the rate limit or the export slots: refusals the API is meant to give
            label = row["Error"].split("HTTP 429", 1)[1].strip(" ')\"") or "429"
            result.intended_429[label] = result.intended_429.get(label, 0) + count
        else:
            result.errors.append(f"{count} × {row['Name']}: {row['Error'][:200]}")
    exceptions = prefix.with_name("locust_exceptions.csv")
    for row in csv.DictReader(exceptions.open(encoding="utf-8")) if exceptions.is_file() else []:
        result.errors.append(f"{int(_num(row['Count']))} × exception: {row['Message'][:200]}")
    return result


def _settings() -> dict[str, Any]:
    import config

    config.get_settings.cache_clear()  # read again, with this test's environment
    s = config.get_settings()
    return {"TERRITOIRE_API_RATE (calls/min/client)": s.api_rate_per_min,
            "TERRITOIRE_EXPORT_MAX_CONCURRENT": s.export_max_concurrent,
            "TERRITOIRE_EXPORT_TIMEOUT (s)": s.export_timeout_s, "TERRITOIRE_QUERY_TIMEOUT (s)": s.query_timeout_s,
            "TERRITOIRE_TRUSTED_PROXY_HEADER": os.environ.get("TERRITOIRE_TRUSTED_PROXY_HEADER", "")}


def load_test(rows: int, users: int, duration: float, data_dir: Path, rate: int | None) -> tuple[str, list[Metric],
                                                                                                dict[str, Any]]:
    ensure_data(rows, 0, data_dir)
    work = Path(tempfile.mkdtemp(prefix="territoire-api-load-"))
    try:
        portal = work / "data"
        shutil.copytree(data_dir, portal, ignore=shutil.ignore_patterns("tmp"))
        env = {**generate.bench_env(portal), "TERRITOIRE_TRUSTED_PROXY_HEADER": PROXY_HEADER,
               "TERRITOIRE_TRUSTED_PROXY_COUNT": "1"}
        if rate is not None:
            env["TERRITOIRE_API_RATE"] = str(rate)
        os.environ.update(env)  # the settings below are read as the server reads them
        settings = _settings()
        load_before = uptime_line()
        server = Server(portal, work / "server.log", env)
        sampler = MemorySampler(server.proc.pid, interval=0.5)
        try:
            sampler.start()
            cpu0, t0 = cpu_seconds(server.proc.pid), time.perf_counter()
            result = run_load(server.url, users, duration, work)
            cpu, wall = cpu_seconds(server.proc.pid) - cpu0, time.perf_counter() - t0
        finally:
            sampler.stop()
            log_errors = server.log_errors()
            server.stop()
        load_after = uptime_line()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.errors += [f"1 × server log: {line[:200]}" for line in log_errors]
    samples = sampler.samples or [0.0]
    return report(result, settings, max(samples), samples[0], cpu, wall, load_before, load_after, rows)


def report(r: LoadResult, settings: dict[str, Any], peak_mb: float, start_mb: float, cpu_s: float, wall_s: float,
           load_before: str, load_after: str, rows: int) -> tuple[str, list[Metric], dict[str, Any]]:
    total = r.total or {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    n429 = sum(r.intended_429.values())
    metrics = [
        Metric(f"API load, {r.users} clients × {r.duration_s:g} s: errors other than 429", r.error_count, "", "0",
               r.error_count == 0 and bool(r.total)),
        Metric("API load: all requests", total["p50"], "ms", ok=None, p95=total["p95"],
               note=f"{total['rps']:.1f} requests/s, p99 {total['p99']:g} ms, {total['requests']} requests"),
        Metric("API load: intended 429s", n429, "", note=", ".join(f"{k}: {v}" for k, v in r.intended_429.items())),
        Metric("API load: server peak RSS", round(peak_mb, 1), "MB", note=f"{start_mb:.0f} MB at the start"),
    ]
    rows_md = [f"| {k['name']} | {k['requests']} | {k['failures']} | {k['rps']:.2f} | {k['p50']:g} | {k['p95']:g} | "
               f"{k['p99']:g} | {k['max']:.0f} |" for k in sorted(r.kinds, key=lambda k: -k["requests"])]
    lines = [
        "## Explore API under load (locust)",
        "",
        f"{r.users} concurrent clients for {r.duration_s:g} s against the server of the section above (the "
        f"{_int(rows)}-row benchmark portal, serve.py on 127.0.0.1), driven by locust {_locust_version()} headless in its "
        f"own process with `bench/locustfile.py`: {r.users - 1} visitors pausing 1–4 s between requests (catalogue list and "
        "search, records with where + order_by and with refine, facets, record by id, small exports in csv/json/jsonl/"
        "parquet, a big CSV export of "
        f"{_int(int(os.environ.get('LOAD_BIG_EXPORT_ROWS', '200000')))} rows now and then, revalidations with If-None-Match), "
        "each from an address of its own sent as X-Forwarded-For, and 1 scraper without pauses from one address, "
        "there to go over the rate limit. Locust's percentiles are its own (rounded to 2 significant digits); the "
        "load generator shares the 2 cores with the server.",
        "",
        "| Request kind | requests | failures | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows_md,
        f"| **all** | {total['requests']} | {sum(k['failures'] for k in r.kinds)} | {total['rps']:.2f} | {total['p50']:g} "
        f"| {total['p95']:g} | {total['p99']:g} | {total['max']:.0f} |",
        "",
        f"- Intended 429s: {n429} ({', '.join(f'`{k}` × {v}' for k, v in r.intended_429.items()) or 'none'}); "
        f"settings: {', '.join(f'{k} = {v}' for k, v in settings.items())}.",
        f"- Errors other than 429 (HTTP status, exceptions, server log tracebacks): **{r.error_count}**"
        + ("" if not r.errors else " — " + "; ".join(f"`{e}`" for e in r.errors[:5])) + ".",
        f"- Server: peak RSS {peak_mb:.0f} MB (with children; {start_mb:.0f} MB when the load started), "
        f"CPU {cpu_s:.0f} s in {wall_s:.0f} s of wall time ({cpu_s / wall_s:.2f} cores).",
        f"- Load before: `{load_before}`; after: `{load_after}`.",
    ]
    extra = {"group": "API", "settings": settings, "kinds": r.kinds, "total": r.total, "intended_429": r.intended_429,
             "errors": r.errors, "server_cpu_s": cpu_s, "peak_rss_mb": peak_mb}
    return "\n".join(lines), metrics, extra


def _int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--rate", type=int, default=RATE_PER_MIN, help="TERRITOIRE_API_RATE for the server")
    parser.add_argument("--data-dir", type=Path, default=generate.DEFAULT_DATA_DIR)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    md, metrics, extra = load_test(args.rows, args.users, args.duration, args.data_dir.resolve(), args.rate)
    print(md)
    if not args.no_write:
        print(f"→ {write_result('api_load', md, metrics, extra)}")
    return 0  # a missed target is a NO in the document, not a failed run


if __name__ == "__main__":
    raise SystemExit(main())
