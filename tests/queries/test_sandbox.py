"""Analysts' SQL sandbox: real worker processes and real DuckDB. Every escape is refused, every exhaustion is killed
within its limit, results are capped in bytes, the concurrency cap refuses the next query, and a restored version
takes the withdrawn one out of reach."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

import config
import queries
import warehouse
from loaders import publish
from queries import sandbox
from queries.sandbox_worker import current_files

ROOT = Path(__file__).resolve().parents[2]
OLD_VERSION = "20200101T000000000000Z"
TIMEOUT_S = 3.0
# The tests of the memory and byte caps give a query this long: on a busy machine (the browser tests run beside the
# others in `make test`) a worker's start and a big scan can pass TIMEOUT_S before the cap they test is reached.
ROOMY_TIMEOUT_S = 30.0


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> config.Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    return config.get_settings()


@pytest.fixture
def sandbox_portal(portal: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A portal copy holding what the sandbox must never reach: an older version, an unfinished `.tmp-` version, and
    a private file; small limits so that exhaustion tests stay short."""
    versions = portal / "warehouse" / "communes" / "versions"
    current = versions / warehouse.current_version("communes")  # type: ignore[operator]
    shutil.copytree(current, versions / OLD_VERSION)
    shutil.copytree(current, versions / f"{warehouse.TMP_PREFIX}20991231T000000000000Z")
    (portal / "private").mkdir(exist_ok=True)
    (portal / "private" / "secret.csv").write_text("cle;valeur\nmot-de-passe;hunter2\n", encoding="utf-8")
    configure(monkeypatch, TERRITOIRE_SQL_TIMEOUT=str(TIMEOUT_S))
    return portal


def test_a_normal_query_runs_in_a_worker_and_sees_every_view(sandbox_portal: Path) -> None:
    result = sandbox.run_user_sql("SELECT count(*) AS n FROM ds_communes")
    assert result.table.column("n").to_pylist() == [queries.dataset_meta("communes")["rows"]]
    assert not result.truncated
    catalogue = sandbox.run_user_sql("SELECT id FROM catalogue ORDER BY id").table.column("id").to_pylist()
    assert catalogue == queries.published_ids()


def test_only_the_current_parquet_files_are_allowed(sandbox_portal: Path) -> None:
    settings = config.get_settings()
    row = sandbox.run_user_sql(
        "SELECT current_setting('allowed_paths') AS paths, current_setting('allowed_directories') AS dirs, "
        "current_setting('temp_directory') AS tmp, current_setting('enable_external_access') AS external, "
        "current_setting('lock_configuration') AS locked, current_setting('threads') AS threads, "
        "current_setting('autoload_known_extensions') AS autoload, current_setting('memory_limit') AS memory, "
        "current_setting('max_temp_directory_size') AS spill"
    ).table.to_pylist()[0]
    expected = sorted(str(p) for p in current_files())
    assert sorted(row["paths"]) == expected and len(expected) == len(queries.published_ids())
    assert not any(OLD_VERSION in p or warehouse.TMP_PREFIX in p or p.endswith("meta.json") for p in row["paths"])
    # The only directory is the worker's own temp directory: outside the data directory, and gone afterwards.
    assert [d.rstrip("/") for d in row["dirs"]] == [row["tmp"]]
    assert not Path(row["tmp"]).is_relative_to(settings.data_dir) and not Path(row["tmp"]).exists()
    assert (row["external"], row["locked"], row["threads"], row["autoload"]) == (False, True, 1, False)
    assert row["memory"].replace(" ", "").lower().startswith(("256", "244"))  # 256 MB as DuckDB prints it
    assert row["spill"] == "1.0 GiB"  # TERRITOIRE_SQL_MAX_MEMORY also caps what a query may write to its temp dir


def _escapes(portal: Path) -> list[str]:
    wh = portal / "warehouse"
    versions = wh / "communes" / "versions"
    tmp_version = next(versions.glob(f"{warehouse.TMP_PREFIX}*"))
    current = versions / warehouse.current_version("communes")  # type: ignore[operator]
    return [
        f"SELECT * FROM glob('{wh}/*')",
        f"SELECT * FROM glob('{versions}/*/*')",
        "SELECT * FROM glob('/tmp/*')",
        f"SELECT count(*) FROM read_parquet('{versions / OLD_VERSION / 'data.parquet'}')",
        f"SELECT count(*) FROM read_parquet('{versions}/*/data.parquet')",
        f"SELECT count(*) FROM read_parquet('{tmp_version / 'data.parquet'}')",
        f"SELECT * FROM read_text('{current / 'meta.json'}')",
        f"SELECT * FROM read_json('{wh / 'registry.json'}')",
        f"SELECT * FROM read_csv('{portal / 'private' / 'secret.csv'}')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/proc/self/environ')",
        f"SELECT * FROM read_csv('{current}/../../../../private/secret.csv')",
        "SELECT * FROM read_csv('https://example.org/x.csv')",
        "SELECT * FROM duckdb_extensions()",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "RESET lock_configuration",
        f"ATTACH '{portal}/private/x.duckdb' AS x",
        f"COPY (SELECT 1) TO '{wh}/evil.csv'",
        f"EXPORT DATABASE '{portal}/exported'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA database_list",
        "CALL pragma_version()",
        "CREATE TABLE t AS SELECT 1",
        "SELECT 1; SELECT 2",
        "SELECT 1; COPY (SELECT 1) TO '/tmp/evil.csv'",
    ]


def _refusal(sql: str) -> str | None:
    """The French message of the refusal, None if the query ran."""
    try:
        sandbox.run_user_sql(sql)
    except queries.QueryError as exc:
        return str(exc)
    return None


def test_every_escape_is_refused(sandbox_portal: Path) -> None:
    escapes = _escapes(sandbox_portal)
    with ThreadPoolExecutor(2) as pool:  # two at once: the default concurrency cap
        refusals = dict(zip(escapes, pool.map(_refusal, escapes), strict=True))
    assert not [sql for sql, message in refusals.items() if message is None]
    assert not [m for m in refusals.values() if "Traceback" in str(m) or "Trop de requêtes" in str(m)]
    assert not (sandbox_portal / "warehouse" / "evil.csv").exists()
    assert not (sandbox_portal / "exported").exists() and not (sandbox_portal / "private" / "x.duckdb").exists()


@pytest.mark.parametrize("sql", [
    "SELECT length(list_sort(range(20000000)))",
    "SELECT length(regexp_replace(repeat('a', 50000000), 'a', 'bb', 'g'))",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
    "SELECT max(a.range + b.range) FROM range(100000) a, range(100000) b",
])
def test_exhaustion_is_stopped_at_the_time_limit(sql: str, sandbox_portal: Path) -> None:
    """Without the worker these ran 17 to 25 s (or forever) in the app's process; now the query gets TIMEOUT_S of
    its own, counted from the moment its worker's database is ready (the worker's start is bounded apart)."""
    with pytest.raises(queries.QueryError) as caught:
        sandbox.run_user_sql(sql)
    assert str(caught.value) in (sandbox.TOO_MUCH_MEMORY,
                                 f"La requête a dépassé la limite de {TIMEOUT_S:g} s et a été arrêtée.")
    assert caught.value.query_s < TIMEOUT_S + 1, caught.value.query_s  # type: ignore[attr-defined]


def test_memory_exhaustion_is_refused_by_the_kernel_limit(sandbox_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1.6 GB list in one scalar expression: DuckDB's memory_limit does not cover it, RLIMIT_AS does."""
    configure(monkeypatch, TERRITOIRE_SQL_TIMEOUT=str(ROOMY_TIMEOUT_S))
    for sql in ("SELECT length(list_sort(range(200000000)))",
                "SELECT length(string_agg(repeat('x', 100000), '')) FROM range(100000)"):
        with pytest.raises(queries.QueryError, match="trop de mémoire") as caught:
            sandbox.run_user_sql(sql)
        assert caught.value.query_s < ROOMY_TIMEOUT_S, caught.value.query_s  # type: ignore[attr-defined]
    # The next query runs normally: nothing was left behind.
    assert sandbox.run_user_sql("SELECT 42 AS x").table.column("x").to_pylist() == [42]


def test_results_are_capped_in_bytes_as_well_as_rows(sandbox_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, TERRITOIRE_SQL_MAX_RESULT_BYTES=str(1024**2), TERRITOIRE_SQL_MAX_ROWS="100",
                         TERRITOIRE_SQL_TIMEOUT=str(ROOMY_TIMEOUT_S))
    wide = sandbox.run_user_sql("SELECT repeat('x', 20000) AS s FROM range(5000)")
    assert wide.truncated and 0 < wide.table.num_rows <= settings.sql_max_result_bytes // 20000
    assert wide.table.nbytes <= settings.sql_max_result_bytes
    narrow = sandbox.run_user_sql("SELECT * FROM range(1000)")
    assert narrow.truncated and narrow.table.num_rows == 100
    exact = sandbox.run_user_sql("SELECT * FROM range(100)")
    assert not exact.truncated and exact.table.num_rows == 100


def test_two_gigabytes_of_text_never_reach_the_app(sandbox_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """5 000 rows of 200 kB: cut at the byte cap when the worker has room for one DuckDB chunk (2 048 rows), refused
    for memory under the default address space; never 2 GB in the app."""
    roomy = configure(monkeypatch, TERRITOIRE_SQL_MAX_MEMORY=str(2 * 1024**3), TERRITOIRE_SQL_TIMEOUT=str(ROOMY_TIMEOUT_S))
    result = sandbox.run_user_sql("SELECT repeat('x', 200000) AS s FROM range(5000)")
    assert result.truncated and result.table.nbytes <= roomy.sql_max_result_bytes
    assert 0 < result.table.num_rows <= roomy.sql_max_result_bytes // 200_000
    configure(monkeypatch, TERRITOIRE_SQL_MAX_MEMORY=str(1024**3))
    with pytest.raises(queries.QueryError, match="trop de mémoire"):
        sandbox.run_user_sql("SELECT repeat('x', 200000) AS s FROM range(5000)")


def test_the_concurrency_cap_refuses_the_next_query(sandbox_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, TERRITOIRE_SQL_MAX_CONCURRENT="1")
    monkeypatch.setattr(sandbox, "QUEUE_WAIT_S", 0.5)
    outcome: list[BaseException] = []

    def slow() -> None:
        try:
            sandbox.run_user_sql("SELECT max(a.range + b.range) FROM range(100000) a, range(100000) b")
        except queries.QueryError as exc:
            outcome.append(exc)

    first = threading.Thread(target=slow)
    first.start()
    slot = sandbox._slot(settings)
    deadline = time.monotonic() + 10
    while slot._value and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.02)
    t0 = time.perf_counter()
    with pytest.raises(queries.QueryError, match="Trop de requêtes SQL en cours"):
        sandbox.run_user_sql("SELECT 1")
    assert time.perf_counter() - t0 < 2
    first.join(sandbox.STARTUP_TIMEOUT_S + TIMEOUT_S + 10)
    assert len(outcome) == 1 and isinstance(outcome[0], queries.QueryTimeout)
    assert sandbox.run_user_sql("SELECT 1 AS x").table.num_rows == 1  # the slot was given back


def _publish_marked_version(dataset_id: str) -> str:
    """A new version of `dataset_id` through the publish API, with a marker column the old one lacks."""
    old = warehouse.current_version(dataset_id)
    assert old
    version = publish.new_version(dataset_id)
    with publish.dataset_lock(dataset_id):
        tmp = publish.begin_version(dataset_id, version)
        src = warehouse.data_path(dataset_id, old)
        duckdb.execute(f"COPY (SELECT *, 'nouvelle' AS marqueur FROM read_parquet('{src}')) "
                       f"TO '{tmp / warehouse.DATA_FILE}' (FORMAT parquet)")
        meta = {**json.loads(warehouse.meta_path(dataset_id, old).read_text(encoding="utf-8")), "version": version}
        publish.commit_version(dataset_id, version, tmp, meta)
    return version


def test_restoring_an_older_version_takes_the_withdrawn_one_out_of_reach(sandbox_portal: Path) -> None:
    old = warehouse.current_version("communes")
    new = _publish_marked_version("communes")
    assert sandbox.run_user_sql("SELECT DISTINCT marqueur FROM ds_communes").table.to_pylist() == [
        {"marqueur": "nouvelle"}]  # a fresh worker sees the new version at once
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(sandbox_portal)}
    proc = subprocess.run([sys.executable, "-m", "loaders", "restore", "communes", str(old)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(queries.QueryError, match="marqueur"):
        sandbox.run_user_sql("SELECT DISTINCT marqueur FROM ds_communes")
    withdrawn = warehouse.data_path("communes", new)
    assert withdrawn.is_file()  # kept on disk (restorable), yet unreadable from SQL
    with pytest.raises(queries.QueryError, match="Accès refusé"):
        sandbox.run_user_sql(f"SELECT count(*) FROM read_parquet('{withdrawn}')")


def test_sandbox_tables_lists_the_catalogue_and_each_dataset(sandbox_portal: Path) -> None:
    tables = {t.name: t for t in sandbox.sandbox_tables()}
    assert "catalogue" in tables
    assert {queries.view_name(ds) for ds in queries.published_ids()} <= set(tables)
    assert ("code_insee", "VARCHAR") in tables["ds_communes"].columns


def test_the_worker_gets_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", "un-secret-de-moderation-tres-long")
    monkeypatch.setenv("TERRITOIRE_REUSES_DB_URL", "postgresql://user:motdepasse@db/territoire")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("TERRITOIRE_SQL_TIMEOUT", "3")
    env = sandbox._worker_env()
    assert not {"TERRITOIRE_ADMIN_SECRET", "TERRITOIRE_REUSES_DB_URL", "AWS_SECRET_ACCESS_KEY"} & set(env)
    assert env["TERRITOIRE_SQL_TIMEOUT"] == "3" and env["MALLOC_ARENA_MAX"] == "1"
