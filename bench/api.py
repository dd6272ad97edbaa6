"""The Explore API on the 10-million-row dataset, over real HTTP against the real server, with DuckDB as the baseline.

The benchmark data (bench/generate.py, published by the real loader) is copied into a temporary portal and served by
serve.py as `make run` starts it (bench.common.Server, the soak's helper). Every request goes over a keep-alive HTTP
connection on 127.0.0.1, so each time is the server's work plus one loopback round trip: an upper bound of the
server-side time. In the same run, the equivalent DuckDB query on the same Parquet file (same threads as the server)
gives the baseline, and each figure is also given as a ratio to it.

    python bench/api.py                        # 10M rows, 20 runs per kind, full exports
    python bench/api.py --rows 1000000 --runs 5 --no-write     # a quick try

Measured: records with where + order_by + limit=100, records without where, facets with and without where, group_by
(p50/p95 over varied parameters); the full CSV export streamed and discarded by the client (bytes/s) against DuckDB's
own `COPY (SELECT …) TO '….csv'` of the same columns in the same order, with the server's RSS (and its children's)
sampled every 100 ms during the export; the same for parquet, and jsonl on one millésime (~1.7M rows).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/api.py` from the repo root
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402 - after the sys.path fix above
from bench.common import (  # noqa: E402
    MemorySampler,
    Metric,
    Server,
    children_of,
    cpu_seconds,
    ensure_data,
    fmt_ms,
    p95,
    published_parquet,
    rss_mb,
    uptime_line,
    write_result,
)

API = "/api/explore/v2.1/catalog/datasets"
RECORDS_P95_MS = 100.0
FACETS_P95_MS = 150.0
CSV_RATIO_MIN = 0.5
RSS_GROWTH_MAX_MB = 150.0
# Python writes JSON a record at a time: one millésime (~1.7M rows) says its speed well enough. A where, not a limit:
# DuckDB gathers the rows of a LIMIT below ~1M before handing any out (RSS +225 MB for LIMIT 1000000 in-process).
JSONL_WHERE = "millesime = 2019"  # the same text in ODSQL and in DuckDB's SQL
CURL = shutil.which("curl") or "curl"


@dataclass
class Kind:
    """One kind of request: the API's times and the DuckDB baseline's, over the same varied parameters."""

    name: str
    api_ms: list[float] = field(default_factory=list)
    duck_ms: list[float] = field(default_factory=list)
    target: str = ""
    target_ms: float | None = None

    def row(self) -> str:
        a50, a95 = statistics.median(self.api_ms), p95(self.api_ms)
        d50, d95 = statistics.median(self.duck_ms), p95(self.duck_ms)
        return (f"| {self.name} | {len(self.api_ms)} | {fmt_ms(a50)} | {fmt_ms(a95)} | {fmt_ms(d50)} | {fmt_ms(d95)} "
                f"| {a95 / d95:.2f} | {self.target or '—'} |")


@dataclass
class Export:
    """One streamed export over HTTP against DuckDB writing the same rows itself."""

    fmt: str
    rows: int
    api_s: float
    api_bytes: int
    duck_s: float
    duck_bytes: int
    rss_before_mb: float
    rss_peak_mb: float
    status: int
    api_cpu_s: float  # the server's CPU time (all its threads) during the export: less sensitive to other load
    duck_cpu_s: float

    @property
    def ratio(self) -> float:  # speed ratio: the same rows in each, so the inverse ratio of the times
        return self.duck_s / self.api_s if self.api_s else 0.0

    @property
    def growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_before_mb


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Baseline:
    """DuckDB on the same Parquet file, with the server's thread count: what the API adds is the rest."""

    def __init__(self, parquet: Path, threads: int, tmp: Path) -> None:
        import duckdb

        self.con = duckdb.connect(":memory:", config={"threads": threads, "temp_directory": str(tmp)})
        self.src = f"read_parquet('{parquet}')"

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql.replace("{src}", self.src), params or []).fetchall()


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def measure_queries(http: requests.Session, base: str, duck: Baseline, runs: int) -> list[Kind]:
    """Each kind: one warm-up, then `runs` varied requests; the API and DuckDB answer the same question."""
    codes = [r[0] for r in duck.rows("SELECT code_insee_cog2026, count(*) c FROM {src} GROUP BY 1 ORDER BY c DESC, 1 "  # noqa: S608 - the bench's own identifiers
                                     f"LIMIT {runs + 1}")]
    years = [r[0] for r in duck.rows("SELECT DISTINCT millesime FROM {src} ORDER BY 1")]
    sorts = ["ptot desc", "pmun", "nom_origine", "millesime desc", "pcap desc"]
    aggs = ["sum(ptot)", "avg(pmun)", "max(pcap)", "count(*)"]
    facet_fields = ["millesime", "code_insee_cog2026", "nom_origine"]

    def get(params: dict[str, Any], path: str = "records") -> dict[str, Any]:
        resp = http.get(f"{base}/{path}", params=params, timeout=120)
        if resp.status_code != 200:
            raise RuntimeError(f"{resp.status_code} for {resp.url}: {resp.text[:300]}")
        return resp.json()

    def get_facets(params: dict[str, Any]) -> None:
        answer = get(params, "facets")
        # (a facet may be empty: nom_origine is null in the recent millésimes, and ODS leaves nulls out)
        if [f["name"] for f in answer["facets"]] != facet_fields or not any(f["facets"] for f in answer["facets"]):
            raise RuntimeError(f"facets not computed: {str(answer)[:300]}")

    def where_sort(i: int) -> tuple[str, int, str]:
        return codes[i % len(codes)], years[i % len(years)], sorts[i % len(sorts)]

    def api_where(i: int) -> None:
        code, year, sort = where_sort(i)
        get({"where": f"code_insee_cog2026 = {_quote(code)} and millesime >= {year}", "order_by": sort,
             "limit": 100})

    def duck_where(i: int) -> None:
        code, year, sort = where_sort(i)
        duck.rows(f"SELECT * FROM {{src}} WHERE code_insee_cog2026 = ? AND millesime >= ? ORDER BY {sort} LIMIT 100",  # noqa: S608 - the bench's own identifiers
                  [code, year])
        duck.rows("SELECT count(*) FROM {src} WHERE code_insee_cog2026 = ? AND millesime >= ?", [code, year])

    def api_plain(i: int) -> None:
        get({"limit": 100, "offset": (i % 90) * 100})

    def duck_plain(i: int) -> None:
        duck.rows("SELECT * FROM {src} LIMIT 100 OFFSET ?", [(i % 90) * 100])
        duck.rows("SELECT count(*) FROM {src}")

    def facet_limit(i: int) -> int:  # a different request each run: no answer can come from a cache
        return 100 - (i % 90)

    def api_facets(i: int) -> None:
        get_facets({"facet": [f'facet(name="{name}", limit={facet_limit(i)})' for name in facet_fields]})

    def duck_facets(i: int) -> None:
        for name in facet_fields:
            duck.rows(f"SELECT {name} AS value, count(*) AS n FROM {{src}} GROUP BY 1 ORDER BY n DESC, value "  # noqa: S608 - the bench's own identifiers
                      "LIMIT ?", [facet_limit(i)])

    def api_facets_where(i: int) -> None:
        get_facets({"facet": [f'facet(name="{name}", limit={facet_limit(i)})' for name in facet_fields],
                    "where": f"millesime = {years[i % len(years)]}"})

    def duck_facets_where(i: int) -> None:
        for name in facet_fields:
            duck.rows(f"SELECT {name} AS value, count(*) AS n FROM {{src}} WHERE millesime = ? GROUP BY 1 "  # noqa: S608 - the bench's own identifiers
                      "ORDER BY n DESC, value LIMIT ?", [years[i % len(years)], facet_limit(i)])

    def api_group(i: int) -> None:
        agg = aggs[i % len(aggs)]
        get({"select": f"millesime, {agg} as v", "group_by": "millesime", "order_by": "millesime", "limit": 100,
             "where": f"pmun >= {i * 10}"})

    def duck_group(i: int) -> None:
        agg = aggs[i % len(aggs)]
        duck.rows(f"SELECT millesime, {agg} AS v FROM {{src}} WHERE pmun >= ? GROUP BY 1 ORDER BY 1 LIMIT 100",  # noqa: S608 - the bench's own identifiers
                  [i * 10])
        duck.rows("SELECT count(DISTINCT millesime) FROM {src} WHERE pmun >= ?", [i * 10])

    plan = [
        (Kind("records: where + order_by + limit=100", target=f"p95 ≤ {RECORDS_P95_MS:g} ms",
              target_ms=RECORDS_P95_MS), api_where, duck_where),
        (Kind("records: no where, limit=100, offset varies"), api_plain, duck_plain),
        (Kind("facets (3 fields), no where", target=f"p95 ≤ {FACETS_P95_MS:g} ms", target_ms=FACETS_P95_MS),
         api_facets, duck_facets),
        (Kind("facets (3 fields) with where", target=f"p95 ≤ {FACETS_P95_MS:g} ms", target_ms=FACETS_P95_MS),
         api_facets_where, duck_facets_where),
        (Kind("records: select aggregate + group_by"), api_group, duck_group),
    ]
    kinds = []
    for kind, api_fn, duck_fn in plan:
        api_fn(-1)
        duck_fn(-1)
        for i in range(runs):  # interleaved: a burst of load on the machine hits both sides alike
            kind.api_ms.append(_timed(lambda i=i, fn=api_fn: fn(i)))
            kind.duck_ms.append(_timed(lambda i=i, fn=duck_fn: fn(i)))
        kinds.append(kind)
        print(kind.row(), flush=True)
    return kinds


def server_rss(pid: int) -> float:
    return rss_mb(pid) + sum(rss_mb(c) for c in children_of(pid))


def stream(url: str, params: dict[str, Any]) -> tuple[int, int, float]:
    """(status, bytes, seconds) of one export read to the end and discarded, by curl: a Python client decoding the
    chunked answer is the bottleneck (requests' iter_content took 57 s for the 513 MB CSV curl read in 5.5–9.9 s, same server, same minutes)."""
    full = f"{url}?{urlencode(params)}" if params else url
    t0 = time.perf_counter()
    out = subprocess.run([CURL, "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", full],
                         capture_output=True, text=True, timeout=900, check=True).stdout.split()
    return int(out[0]), int(out[1]), time.perf_counter() - t0


def measure_export(base: str, pid: int, duck: Baseline, fmt: str, columns: list[str],
                   rows: int, where: str | None, tmp: Path) -> Export:
    params: dict[str, Any] = {"where": where} if where else {}
    sampler = MemorySampler(pid, interval=0.1)
    time.sleep(0.5)  # the memory freed by the previous request returned to the allocator
    before = server_rss(pid)
    sampler.start()
    cpu0 = cpu_seconds(pid)
    try:
        status, size, api_s = stream(f"{base}/exports/{fmt}", params)
    finally:
        api_cpu = cpu_seconds(pid) - cpu0
        sampler.stop()
    target = tmp / f"copy.{fmt}"
    cols = ", ".join(f'"{c}"' for c in columns)
    options = {"csv": "(FORMAT csv, HEADER, DELIMITER ';')", "parquet": "(FORMAT parquet)",
               "jsonl": "(FORMAT json)"}[fmt]
    sql = f"COPY (SELECT {cols} FROM {{src}}{f' WHERE {where}' if where else ''}) TO '{target}' {options}"  # noqa: S608 - the bench's own identifiers
    t0, cpu0 = time.perf_counter(), time.process_time()
    duck.rows(sql)
    duck_s, duck_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    duck_bytes = target.stat().st_size
    target.unlink()
    if where:
        rows = duck.rows(f"SELECT count(*) FROM {{src}} WHERE {where}")[0][0]  # noqa: S608 - the bench's own text
    return Export(fmt, rows, api_s, size, duck_s, duck_bytes, before, max(sampler.samples or [before]),
                  status, api_cpu, duck_cpu)


def _settings_used() -> dict[str, Any]:
    """The limits the server applied (it inherits this environment): export slots, time limits, API rate limits."""
    from dataclasses import fields

    import config

    settings = config.get_settings()
    return {f.name: getattr(settings, f.name) for f in fields(settings)
            if any(k in f.name for k in ("export", "api", "rate", "duckdb_threads", "query_timeout"))}


def run(rows: int, runs: int, data_dir: Path, exports: list[str], export_runs: int) -> tuple[str, list[Metric],
                                                                                            dict[str, Any]]:
    gen = ensure_data(rows, 0, data_dir)
    work = Path(tempfile.mkdtemp(prefix="territoire-api-bench-"))
    try:
        portal = work / "data"
        shutil.copytree(data_dir, portal, ignore=shutil.ignore_patterns("tmp"))  # a temporary portal: ours to write
        env = generate.bench_env(portal)
        os.environ.update(env)
        settings = _settings_used()
        parquet = published_parquet(portal, generate.TABLE_ID)
        duck = Baseline(parquet, int(settings.get("duckdb_threads", 2)), work)
        columns = [d[0] for d in duck.con.execute(f"DESCRIBE SELECT * FROM {duck.src}").fetchall()]  # noqa: S608 - the bench's own identifiers
        load_before = uptime_line()
        server = Server(portal, work / "server.log", env)
        try:
            base = f"{server.url}{API}/{generate.TABLE_ID}"
            with requests.Session() as http:
                kinds = measure_queries(http, base, duck, runs)
                done: list[Export] = []
                for fmt in exports:
                    where = JSONL_WHERE if fmt == "jsonl" else None
                    for _ in range(export_runs if fmt == "csv" else 1):
                        done.append(measure_export(base, server.proc.pid, duck, fmt, columns, rows, where,
                                                   work))
                        e = done[-1]
                        print(f"export {fmt}: {e.api_bytes / e.api_s / 1e6:.1f} MB/s vs COPY "
                              f"{e.duck_bytes / e.duck_s / 1e6:.1f} MB/s, ratio {e.ratio:.2f}, RSS "
                              f"+{e.growth_mb:.0f} MB", flush=True)
            errors = server.log_errors()
        finally:
            server.stop()
        load_after = uptime_line()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(rows, runs, kinds, done, errors, settings, load_before, load_after, gen)


def report(rows: int, runs: int, kinds: list[Kind], exports: list[Export], errors: list[str], settings: dict[str, Any],
           load_before: str, load_after: str, gen: dict[str, Any]) -> tuple[str, list[Metric], dict[str, Any]]:
    metrics = []
    for kind in kinds:
        ratio = p95(kind.api_ms) / p95(kind.duck_ms)
        metrics.append(Metric(f"API {kind.name}", round(statistics.median(kind.api_ms), 1), "ms", kind.target,
                              p95(kind.api_ms) <= kind.target_ms if kind.target_ms else None,
                              round(p95(kind.api_ms), 1), f"DuckDB p95 {fmt_ms(p95(kind.duck_ms))} ms, ×{ratio:.2f}"))
    csv = [e for e in exports if e.fmt == "csv"]
    if csv:
        ratio = statistics.median(e.ratio for e in csv)
        growth = max(e.growth_mb for e in csv)
        speed = statistics.median(e.api_bytes / e.api_s for e in csv) / 1e6
        metrics.append(Metric("API full CSV export speed ÷ DuckDB COPY … TO csv", round(ratio, 2), "×",
                              f"≥ {CSV_RATIO_MIN:g}", ratio >= CSV_RATIO_MIN and all(e.status == 200 for e in csv),
                              note=f"{speed:.0f} MB/s over HTTP, median of {len(csv)}"))
        metrics.append(Metric("server RSS growth during the CSV export", round(growth, 1), "MB",
                              f"≤ {RSS_GROWTH_MAX_MB:g}", growth <= RSS_GROWTH_MAX_MB))
    for e in exports:
        if e.fmt != "csv":
            metrics.append(Metric(f"API {e.fmt} export speed ÷ DuckDB COPY", round(e.ratio, 2), "×",
                                  note=f"{format(e.rows, ',').replace(',', ' ')} rows, RSS +{e.growth_mb:.0f} MB"))
    rows_label = f"{rows:,}".replace(",", " ")
    metrics.append(Metric("server errors in its log", len(errors), "", "0", not errors))
    lines = [
        f"## Explore API on {rows_label} rows",
        "",
        f"Data: `{generate.TABLE_ID}`, {rows_label} rows × 8 columns (bench/generate.py, published by the real loader), "
        "copied into a temporary portal and served by `serve.py` (the app and its API in one process, as `make run` "
        "starts it) on 127.0.0.1. Every request goes over one keep-alive HTTP connection: each time below is the "
        "server's work plus a loopback round trip. The baseline is DuckDB in the benchmark's process, on the same "
        f"Parquet file with the server's thread count ({settings.get('duckdb_threads')}), answering the same "
        "question (for records: the page of 100 rows and the count the API returns as `total_count`); API and "
        f"DuckDB runs alternate, {runs} varied runs each after one warm-up (commune codes, years, sort columns, "
        "offsets and aggregates change from run to run).",
        "",
        "| Request | runs | API p50 (ms) | API p95 (ms) | DuckDB p50 (ms) | DuckDB p95 (ms) | API p95 ÷ DuckDB p95 "
        "| target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *[k.row() for k in kinds],
        "",
    ]
    if exports:
        lines += [
            "Exports: `GET …/exports/{format}` read to the end by `curl -o /dev/null` (a Python client is slower than the server), against "
            "DuckDB's own `COPY (SELECT <the same columns> FROM read_parquet(…)) TO '…'` (the same rows in the same "
            "order, `;` delimiter and header for CSV) on the same machine in the same run. The speed ratio is "
            "COPY's time ÷ the API's time for the same rows. CPU: the server process's CPU time (all its threads) "
            "during the export, and the benchmark process's during COPY — the work each did, which other load on "
            "the machine changes less than the wall-clock times. The server's RSS (with its children) is sampled every "
            "100 ms during the export; growth = peak − RSS just before.",
            "",
            "| format | rows | API (s) | API MB | API MB/s | COPY (s) | COPY MB | COPY MB/s | API speed ÷ COPY | "
            "server CPU (s) | COPY CPU (s) | RSS before (MB) | RSS growth (MB) | HTTP |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *[f"| {e.fmt} | {e.rows:,} | {e.api_s:.2f} | {e.api_bytes / 1e6:.0f} | {e.api_bytes / e.api_s / 1e6:.0f} | "
              f"{e.duck_s:.2f} | {e.duck_bytes / 1e6:.0f} | {e.duck_bytes / e.duck_s / 1e6:.0f} | {e.ratio:.2f} | "
              f"{e.api_cpu_s:.1f} | {e.duck_cpu_s:.1f} | "
              f"{e.rss_before_mb:.0f} | {e.growth_mb:.0f} | {e.status} |".replace(",", " ") for e in exports],
            "",
        ]
    lines += [
        f"Server settings in force: `{json.dumps(settings, default=str)}`. Server log errors: {len(errors)}"
        + (f" (first: `{errors[0][:200]}`)" if errors else "") + ".",
        "",
        f"Load before: `{load_before}`; after: `{load_after}` (2 cores: other processes show up directly in the "
        "times).",
    ]
    extra = {"group": "API", "generate": gen, "settings": settings,
             "kinds": [{"name": k.name, "api_ms": k.api_ms, "duck_ms": k.duck_ms} for k in kinds],
             "exports": [{**e.__dict__, "ratio": e.ratio, "growth_mb": e.growth_mb} for e in exports]}
    return "\n".join(lines), metrics, extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20, help="varied runs per request kind")
    parser.add_argument("--export-runs", type=int, default=3, help="full CSV exports (the median is reported)")
    parser.add_argument("--exports", default="csv,parquet,jsonl", help="formats to export ('' for none)")
    parser.add_argument("--data-dir", type=Path, default=generate.DEFAULT_DATA_DIR)
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write bench/results/")
    args = parser.parse_args(argv)
    exports = [f for f in args.exports.split(",") if f]
    md, metrics, extra = run(args.rows, args.runs, args.data_dir.resolve(), exports, args.export_runs)
    print(md)
    if not args.no_write:
        print(f"→ {write_result('api', md, metrics, extra)}")
    return 0  # a missed target is a NO in the document, not a failed run


if __name__ == "__main__":
    raise SystemExit(main())
