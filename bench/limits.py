"""Bounded memory and time: the result cache stays under its byte budget; exports are capped and timed out while
interactive queries keep answering. Prints Markdown figures.

    .venv/bin/python -m bench.limits [--data-dir DIR]   # DIR: a built warehouse (default: build one in a temp dir);
                                                         # a generated dataset `bench-limites` is published into it
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)]


def cache_figures(budget: int) -> list[str]:
    """Distinct dataset-page queries through ui.dataset.data.frame (the page's cached path) under a small budget."""
    import config
    from queries import cache
    from queries.dataset import sql, state
    from ui.dataset import data

    os.environ["TERRITOIRE_CACHE_MAX_BYTES"] = str(budget)
    config.get_settings.cache_clear()
    cache.clear()
    dataset_id = "population-communes"
    schema = data.schema(dataset_id)
    peak = 0
    asked = 0
    started = time.perf_counter()
    for page in range(1, 41):
        for sort in ("", "-pmun", "pmun", "-millesime"):
            params = {"page": [str(page)], "sort": [sort]} if sort else {"page": [str(page)]}
            view, _ = state.parse_view(params, schema)
            data.frame(sql.rows_query(view, schema))
            asked += 1
            peak = max(peak, cache.shared().current_bytes)
    elapsed = time.perf_counter() - started
    shared = cache.shared()
    return [
        f"| result cache, budget {budget / 1e3:.0f} kB | {asked} distinct table pages of `{dataset_id}` | "
        f"peak {peak / 1e3:.0f} kB, {len(shared)} entries kept, {shared.stats.misses - len(shared)} evicted, "
        f"{shared.stats.too_large} too large | {elapsed:.1f} s |",
    ]


def export_figures() -> list[str]:
    """A large XLSX export under a 2 s limit, a second export refused, interactive queries timed meanwhile."""
    import pyarrow as pa

    import config
    import exports
    import queries
    from catalogue.schema import Schema
    from exports.limits import ExportBusy, ExportTimeout
    from queries.dataset import sql, state
    from tests.exports.test_exports import publish

    rows = 400_000
    publish("bench-limites", pa.table({"n": pa.array(range(rows), pa.int64()),
                                       "libelle": pa.array([f"ligne {i}" for i in range(rows)])}))
    schema = Schema.from_meta("bench-limites", queries.dataset_meta("bench-limites"))
    os.environ["TERRITOIRE_EXPORT_TIMEOUT"] = "2"
    os.environ["TERRITOIRE_EXPORT_MAX_CONCURRENT"] = "1"
    config.get_settings.cache_clear()

    population = Schema.from_meta("population-communes", queries.dataset_meta("population-communes"))

    def interactive(n: int) -> list[float]:
        """The dataset page's filtered count, uncached (queries.dataset.sql.run, not the page's cache)."""
        times = []
        for i in range(n):
            view, _ = state.parse_view({"f": [f"millesime:gte:{2016 + i % 7}"]}, population)
            t0 = time.perf_counter()
            sql.run(sql.count_query(view, population))
            times.append((time.perf_counter() - t0) * 1000)
        return times

    idle = interactive(40)
    outcome: dict[str, object] = {}

    def export() -> None:
        t0 = time.perf_counter()
        try:
            exports.export_dataset(schema, "xlsx", directory=Path(tempfile.mkdtemp()))
        except ExportTimeout as exc:
            outcome["timeout"] = str(exc)
        outcome["elapsed"] = time.perf_counter() - t0

    worker = threading.Thread(target=export)
    worker.start()
    time.sleep(0.3)
    try:
        exports.export_dataset(schema, "csv", directory=Path(tempfile.mkdtemp()))
        refused = "no"
    except ExportBusy:
        refused = "yes"
    during = interactive(40)
    worker.join()
    return [
        f"| XLSX export of {rows:,} rows, limit 2 s | stopped after {outcome['elapsed']:.2f} s, "
        f"{'French timeout message' if 'timeout' in outcome else 'NOT stopped'}; 2nd export refused: {refused} | |",
        f"| dataset page's filtered count (uncached), idle | median {statistics.median(idle):.1f} ms, p95 {p95(idle):.1f} ms | |",
        f"| same, during the export | median {statistics.median(during):.1f} ms, p95 {p95(during):.1f} ms | |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.conftest import build_warehouse

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="territoire-limits-"))
    if args.data_dir is None:
        build_warehouse(data_dir)
    os.environ["TERRITOIRE_DATA_DIR"] = str(data_dir)
    lines = ["| what | measured | time |", "|---|---|---|"]
    lines += cache_figures(200_000)
    lines += export_figures()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
