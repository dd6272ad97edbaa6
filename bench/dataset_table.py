"""Dataset page table: paging, sorting, filtering, search, facet and chart latency through the real builder + executor."""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Metric, Timing, fmt_ms, machine, time_runs, uptime_line, write_result  # noqa: E402

# The largest embedded datasets; the first one found in the warehouse is measured.
CANDIDATES = ("estimations-population-age-sexe", "aide-sociale-departementale")
TARGET_P95_MS = 150.0  # one table interaction (count + page), server side, on the embedded data


def build_warehouse(data_dir: Path) -> None:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
    env.pop("TERRITOIRE_CATALOGUE_DIR", None)
    subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, check=True, capture_output=True)


def operations(dataset_id: str) -> list[tuple[str, Any]]:
    """(label, fn(i)) pairs: each call runs what the page runs for one interaction, with parameters varying by i."""
    import queries
    from catalogue.schema import Schema
    from queries.dataset import sql, state

    schema = Schema.from_meta(dataset_id, queries.dataset_meta(dataset_id))
    base = state.DatasetView(dataset_id, tab="tableau")
    rng = random.Random(24)
    rows = schema.rows
    pages = max(1, rows // base.size)
    text_cols = [c.name for c in schema.plain_columns if c.textual]
    num_cols = [c.name for c in schema.plain_columns if c.numeric]
    facet_col = (schema.facet_columns() or text_cols)[0]
    facet_values = [str(r.value) for r in sql.run(sql.facet_query(base, schema, facet_col, 20)).itertuples()]
    time_col = schema.time_column or (num_cols[0] if num_cols else None)
    prof = schema.profile.get(time_col or "", {}) if time_col else {}
    lo, hi = prof.get("min"), prof.get("max")
    sort_cols = [c.name for c in schema.plain_columns]

    def table(view: state.DatasetView) -> None:
        sql.run(sql.count_query(view, schema))
        sql.run(sql.rows_query(view, schema))

    def open_table(i: int) -> None:
        table(base)

    def page_n(i: int) -> None:
        table(base.replace(page=rng.randint(1, pages)))

    def sort_page(i: int) -> None:
        table(base.replace(sort=rng.choice(sort_cols), desc=bool(i % 2), page=rng.randint(1, pages)))

    def filter_sort(i: int) -> None:
        flts = [state.Filter(facet_col, "eq", v, v) for v in rng.sample(facet_values, min(2, len(facet_values)))]
        if time_col and isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
            start = lo + (hi - lo) * rng.random() / 2
            value = int(start) if isinstance(lo, int) else float(start)
            flts.append(state.Filter(time_col, "gte", value, str(value)))
        table(base.replace(filters=tuple(flts), sort=rng.choice(sort_cols), desc=True))

    def search(i: int) -> None:
        words = ["dordogne", "femmes", "ans", "total", "é", "aide", "2010", "xyz"]
        table(base.replace(q=words[i % len(words)]))

    def facet(i: int) -> None:
        view = base.replace(filters=(state.Filter(facet_col, "eq", facet_values[i % len(facet_values)],
                                               facet_values[i % len(facet_values)]),))
        for name in schema.facet_columns()[:3]:
            sql.run(sql.facet_query(view, schema, name))

    def chart(i: int) -> None:
        spec = state.suggest_chart(schema)
        assert spec is not None
        sql.run(sql.chart_query(base, schema, spec).query)

    return [
        ("Open the table: count + first page of 50", open_table),
        ("Random page (LIMIT/OFFSET), count + page", page_n),
        ("Sort on a random column + random page", sort_page),
        (f"Filter (2 values of `{facet_col}`" + (f", `{time_col}` ≥ x" if time_col else "") + ") + sort", filter_sort),
        ("Full-text search inside the dataset (`q`, accent-insensitive)", search),
        ("Facet counts of 3 columns under a filter", facet),
        ("Suggested chart aggregate", chart),
    ]


def time_page(dataset_id: str, runs: int) -> Timing:
    """The whole dataset page (router, header, filters, table tab) rerun in one AppTest session, caches warm."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.query_params["id"] = dataset_id
    at.query_params["tab"] = "tableau"
    at.query_params["sort"] = "-population" if dataset_id.startswith("estimations") else "-annee"
    at.switch_page("pages/dataset.py").run()
    assert not at.exception, [e.value for e in at.exception]

    def rerun(i: int) -> None:
        at.query_params["page"] = str(1 + i % 5)
        at.run()

    return time_runs("page", rerun, runs, warmup=2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, help="an existing data dir (default: build one in a temp dir)")
    args = parser.parse_args()
    tmp = None
    if args.data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-dataset-table-")
        args.data_dir = Path(tmp.name) / "data"
        build_warehouse(args.data_dir)
    os.environ["TERRITOIRE_DATA_DIR"] = str(args.data_dir.resolve())
    os.environ.pop("TERRITOIRE_CATALOGUE_DIR", None)

    import queries

    dataset_id = next(d for d in CANDIDATES if d in queries.published_ids())
    rows = int(queries.dataset_meta(dataset_id).get("rows") or 0)
    load_before = uptime_line()
    timings = [(label, time_runs(label, fn, args.runs)) for label, fn in operations(dataset_id)]
    page = time_page(dataset_id, max(10, args.runs // 2))
    load_after = uptime_line()
    m = machine()

    lines = [
        "## Dataset page table (`bench/dataset_table.py`)",
        "",
        f"Command: `.venv/bin/python bench/dataset_table.py --runs {args.runs}` (warehouse built by "
        "`python -m loaders build` from the embedded data in a temporary directory).",
        "",
        f"Dataset: `{dataset_id}`, {format(rows, ',').replace(',', ' ')} rows × {len(queries.dataset_meta(dataset_id).get('columns') or [])} "
        "columns (the largest embedded dataset). Path measured: `queries.dataset.sql` builds the SQL (identifiers "
        "from the allow-list, values bound) → `queries.run_sql_text` → `Warehouse.execute` (DuckDB over the current "
        "Parquet version). No result cache in the way: each call is DuckDB work + the Arrow → pandas conversion. "
        f"Each operation: 1 warm-up then {args.runs} runs with varying parameters (pages, sort columns, filter "
        "values, search words); p95 = nearest rank.",
        "",
        "| Operation (server side) | runs | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, t in timings:
        lines.append(f"| {label} | {len(t.runs_ms)} | {fmt_ms(t.median)} | {fmt_ms(t.p95)} | "
                     f"{fmt_ms(max(t.runs_ms))} |")
    lines.append(f"| Whole page rerun (AppTest: router, header, sidebar filters, table tab; caches warm) | "
                 f"{len(page.runs_ms)} | {fmt_ms(page.median)} | {fmt_ms(page.p95)} | {fmt_ms(max(page.runs_ms))} |")
    worst = max(t.p95 for label, t in timings[:5])
    lines += [
        "",
        f"Target: each table interaction (count + one page, with sort, filters or search) p95 ≤ {TARGET_P95_MS:g} ms "
        f"server side. Worst p95 among them: {fmt_ms(worst)} ms — {'met' if worst <= TARGET_P95_MS else 'NOT met'}.",
        "",
        f"Machine: {m['nproc']} cores (`nproc`), {m['cpu']}, {m['ram']}, {m['os']}. Versions: python {m['python']}, "
        f"duckdb {m['duckdb']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, streamlit {m['streamlit']}.",
        f"Load before: `{load_before}`; after: `{load_after}` (other processes share the 2 cores: they show in "
        "the p95).",
    ]
    metrics = [Metric(name=f"dataset table: {label}", value=round(t.median, 1), unit="ms", p95=round(t.p95, 1),
                      target=f"p95 ≤ {TARGET_P95_MS:g} ms" if i < 5 else "", ok=(t.p95 <= TARGET_P95_MS) if i < 5
                      else None) for i, (label, t) in enumerate(timings)]
    metrics.append(Metric(name="dataset page rerun (table tab, AppTest)", value=round(page.median, 1), unit="ms",
                          p95=round(page.p95, 1)))
    path = write_result("dataset_table", "\n".join(lines), metrics)
    print(path.read_text(encoding="utf-8"))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
