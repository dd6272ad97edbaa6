"""Robustness of /sql: p95 of a normal dataset-page query alone, then while 5 hostile analysts' queries run in a loop.

The normal query is what the dataset page's table tab runs (`queries.dataset.sql` count + first page, with a filter
and a sort, through `queries.run_sql_text`, no cache). The hostile sessions call
`queries.sandbox.run_user_sql` (worker processes, the production limits) with exhaustion and escape queries, in a
loop, from 5 threads of the same process: that is the app process serving both. Prints the figures as JSON and
writes bench/results/sandbox_attack.md/.json (section under « Robustesse »).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Metric, Timing, fmt_ms, p95, rss_mb, uptime_line, write_result  # noqa: E402

DATASET = "population-communes"
HOSTILE = [
    "SELECT length(list_sort(range(20000000)))",
    "SELECT length(regexp_replace(repeat('a', 50000000), 'a', 'bb', 'g'))",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
    "SELECT max(a.range + b.range) FROM range(100000) a, range(100000) b",
    "SELECT repeat('x', 200000) FROM range(5000)",
    "SELECT length(list_sort(range(200000000)))",
    "SELECT * FROM glob('/**')",
]
SESSIONS = 5
RATIO_TARGET = 3.0


def build_warehouse(data_dir: Path) -> None:
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
    env.pop("TERRITOIRE_CATALOGUE_DIR", None)
    subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, check=True, capture_output=True)


def normal_query() -> Any:
    """The table tab of the population dataset: filtered by year, sorted by population; count + first page."""
    import queries
    from catalogue.schema import Schema
    from queries.dataset import sql, state

    schema = Schema.from_meta(DATASET, queries.dataset_meta(DATASET))
    view = state.DatasetView(dataset_id=DATASET, tab="tableau", sort="pmun", desc=True,
                             filters=(state.Filter(column="millesime", op="gte", value=2016, raw="2016"),))

    def run(_: int) -> None:
        int(sql.run(sql.count_query(view, schema), max_rows=1).iloc[0, 0])
        sql.run(sql.rows_query(view, schema), max_rows=view.size)

    return run


def measure(fn: Any, runs: int, pause_s: float) -> Timing:
    timing = Timing("normal")
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        timing.runs_ms.append((time.perf_counter() - t0) * 1000)
        time.sleep(pause_s)  # a visitor's pace, so that the attack runs between two measures too
    return timing


class Attack:
    """SESSIONS threads, each running the hostile queries in turn until stopped; every outcome is counted."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.outcomes: Counter[str] = Counter()
        self.kill_s: list[float] = []  # from the call to the refusal, for queries that reached a worker
        self.query_s: list[float] = []  # the query's own time in its worker (from READY to its end)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.session, args=(k,), daemon=True) for k in range(SESSIONS)]

    def session(self, k: int) -> None:
        import queries
        from queries import sandbox

        i = k
        while not self.stop.is_set():
            sql = HOSTILE[i % len(HOSTILE)]
            i += 1
            t0 = time.perf_counter()
            query_s = None
            try:
                result = sandbox.run_user_sql(sql)
                outcome = "tronqué" if result.truncated else "exécuté"
            except queries.QueryTimeout as exc:
                outcome, query_s = "arrêté (temps)", getattr(exc, "query_s", None)
            except queries.QueryError as exc:
                query_s = getattr(exc, "query_s", None)
                outcome = ("refusé (concurrence)" if str(exc) == sandbox.BUSY else
                           "refusé (mémoire)" if str(exc) == sandbox.TOO_MUCH_MEMORY else "refusé (autre)")
            took = time.perf_counter() - t0
            with self.lock:
                self.outcomes[outcome] += 1
                if outcome != "refusé (concurrence)":
                    self.kill_s.append(took)
                if query_s is not None:
                    self.query_s.append(query_s)

    def __enter__(self) -> Attack:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100, help="normal queries measured in each phase")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between two normal queries")
    parser.add_argument("--warmup-s", type=float, default=5.0, help="attack running before the measures start")
    parser.add_argument("--data-dir", type=Path, help="an existing data directory (default: build the embedded one)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="territoire-bench-sql-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if args.data_dir is None:
            build_warehouse(data_dir)
        os.environ["TERRITOIRE_DATA_DIR"] = str(data_dir)
        os.environ.pop("TERRITOIRE_CATALOGUE_DIR", None)
        import config
        from queries import sandbox

        config.get_settings.cache_clear()
        settings = config.get_settings()
        load_before = uptime_line()
        run = normal_query()
        for i in range(5):
            run(-1 - i)  # warm: files in the page cache, views built
        rss_start = rss_mb(os.getpid())
        baseline = measure(run, args.runs, args.pause)
        with Attack() as attack:
            time.sleep(args.warmup_s)
            rss_attack = [rss_mb(os.getpid())]
            attacked = measure(run, args.runs, args.pause)
            rss_attack.append(rss_mb(os.getpid()))
        load_after = uptime_line()

    ratio = attacked.p95 / baseline.p95
    worst_kill = max(attack.kill_s) if attack.kill_s else 0.0
    worst_query = max(attack.query_s) if attack.query_s else 0.0
    figures = {
        "normal_query_p50_ms": round(baseline.median, 1), "normal_query_p95_ms": round(baseline.p95, 1),
        "under_attack_p50_ms": round(attacked.median, 1), "under_attack_p95_ms": round(attacked.p95, 1),
        "p95_ratio": round(ratio, 2), "runs_per_phase": args.runs, "hostile_sessions": SESSIONS,
        "hostile_outcomes": dict(attack.outcomes), "hostile_slowest_answer_s": round(worst_kill, 2),
        "hostile_answer_p95_s": round(p95(attack.kill_s), 2) if attack.kill_s else None,
        "hostile_longest_query_in_worker_s": round(worst_query, 2),
        "app_rss_mb": {"start": round(rss_start, 1), "during_attack_max": round(max(rss_attack), 1)},
        "limits": {"timeout_s": settings.sql_timeout_s, "max_concurrent": settings.sql_max_concurrent,
                   "address_space_bytes": settings.sql_max_memory, "max_result_bytes": settings.sql_max_result_bytes,
                   "duckdb_memory_limit": settings.sql_memory_limit, "queue_wait_s": sandbox.QUEUE_WAIT_S},
        "load": {"before": load_before, "after": load_after},
    }
    print(json.dumps(figures, ensure_ascii=False, indent=1))

    limit_s = settings.sql_timeout_s + 1  # counted from the query's arrival; 1 s for the kill and the reply
    metrics = [
        Metric("requête hostile la plus longue dans son worker (jusqu'à l'arrêt)", worst_query, "s",
               target=f"≤ {settings.sql_timeout_s + 1:g}", ok=worst_query <= settings.sql_timeout_s + 1,
               note="horloge de la requête : du worker prêt à sa fin"),
        Metric("requête normale de la page d'un jeu de données, seule", baseline.median, "ms", p95=baseline.p95),
        Metric("la même, pendant 5 sessions SQL hostiles", attacked.median, "ms", p95=attacked.p95),
        Metric("p95 pendant l'attaque ÷ p95 seule", ratio, "×", target=f"≤ {RATIO_TARGET:g}",
               ok=ratio <= RATIO_TARGET),
        Metric("réponse la plus lente à une requête hostile (arrêt compris)", worst_kill, "s",
               target=f"≤ {limit_s:g}", ok=worst_kill <= limit_s,
               note="limite comptée dès l'arrivée de la requête (attente et démarrage compris), + 1 s"),
    ]
    outcomes = ", ".join(f"{k} : {v}" for k, v in sorted(attack.outcomes.items()))
    hostile = "\n".join(f"- `{q}`" for q in HOSTILE)
    md = f"""## Analysts' SQL under attack (/sql) while a dataset page is served

Does a visitor of a dataset page notice when strangers hammer `/sql`? The normal query is the dataset page's table
tab (`{DATASET}`: a filter and a sort; count + first page) through `queries.dataset.sql` and
`queries.run_sql_text`, without cache, {args.runs} times with {args.pause:g} s between two, first alone, then while
{SESSIONS} sessions (threads of the same process, like {SESSIONS} visitors of one app instance) run these queries in a
loop through `queries.sandbox.run_user_sql` with the production limits ({settings.sql_timeout_s:g} s,
{settings.sql_max_concurrent} at once, address space {settings.sql_max_memory / 1024**3:g} GiB, result
{settings.sql_max_result_bytes / 1024**2:g} MiB, DuckDB memory_limit {settings.sql_memory_limit}):

{hostile}

| | median | p95 |
|---|---:|---:|
| normal query alone | {fmt_ms(baseline.median)} ms | {fmt_ms(baseline.p95)} ms |
| normal query during the attack | {fmt_ms(attacked.median)} ms | {fmt_ms(attacked.p95)} ms |

- p95 ratio (attack ÷ alone, same run): **{ratio:.2f}** (target ≤ {RATIO_TARGET:g}: {"met" if ratio <= RATIO_TARGET else "**NO**"}).
- Hostile outcomes: {outcomes}. Slowest answer to a hostile query, kill included: {worst_kill:.1f} s
  (p95 {p95(attack.kill_s) if attack.kill_s else 0:.1f} s, worker start included); longest time a hostile query
  ran in its worker before it ended or was killed: {worst_query:.2f} s (limit {settings.sql_timeout_s:g} s);
  « refusé (concurrence) » is the cap at work (others wait
  {sandbox.QUEUE_WAIT_S:g} s, then get « {sandbox.BUSY} »).
- App process RSS: {rss_start:.0f} MB at the start, at most {max(rss_attack):.0f} MB during the attack (results
  never exceed the byte cap in the app; the 2 GB of `repeat` stay in the worker, which the kernel stops).
- Machine load before: `{load_before}`; after: `{load_after}`.

Command: `python bench/sandbox_attack.py` (`--runs`, `--pause`, `--data-dir`).
"""
    write_result("sandbox_attack", md, metrics, {"figures": figures, "group": "Robustesse"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
