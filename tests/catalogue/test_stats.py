"""Usage statistics: counters and failed searches in the portal's shared database, safe from threads and processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import config
from catalogue import stats


@pytest.fixture
def private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path / "data"))
    config.get_settings.cache_clear()
    yield tmp_path / "data" / "private"
    config.get_settings.cache_clear()


def test_created_on_demand_in_the_shared_database_in_wal_mode(private: Path) -> None:
    assert not (private / "reuses.sqlite").exists()
    assert stats.popularity() == {}
    path = private / "reuses.sqlite"  # the reuse gallery's database: config.database_url()
    assert path.is_file() and str(stats.engine().url.database) == str(path)
    assert not (private / "stats.sqlite").exists()  # no second, local database
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"stats_dataset_counts", "stats_download_formats", "stats_searches"} <= tables


def test_the_configured_database_url_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "portal.sqlite"
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TERRITOIRE_REUSES_DB_URL", f"sqlite:///{target}")
    config.get_settings.cache_clear()
    stats.record_view("colleges")
    with sqlite3.connect(target) as con:
        assert con.execute("SELECT views FROM stats_dataset_counts WHERE dataset_id = 'colleges'").fetchone() == (1,)
    assert not (tmp_path / "data" / "private").exists()


COUNT_VIEWS = """
import sys
from catalogue import stats
for _ in range(int(sys.argv[1])):
    stats.record_view("colleges")
    stats.record_search("introuvable", {}, 0)
"""


def test_several_instances_count_into_the_same_tables(private: Path) -> None:
    """Two portal processes on the same database URL: every view of both is counted once."""
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(private.parent)}
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", COUNT_VIEWS, "30"], cwd=root, env=env) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert stats.popularity() == {"colleges": {"views": 60, "downloads": 0}}
    assert stats.failed_searches()[0]["count"] == 60


def test_an_older_local_stats_file_is_imported_once(private: Path) -> None:
    private.mkdir(parents=True)
    legacy = private / "stats.sqlite"
    with sqlite3.connect(legacy) as con:
        con.executescript("""
            CREATE TABLE dataset_counts (dataset_id TEXT PRIMARY KEY, views INTEGER, downloads INTEGER,
                                         updated_at TEXT);
            CREATE TABLE download_formats (dataset_id TEXT, fmt TEXT, downloads INTEGER);
            CREATE TABLE searches (id INTEGER PRIMARY KEY, at TEXT, q TEXT, filters TEXT, results INTEGER);
            INSERT INTO dataset_counts VALUES ('colleges', 7, 2, '2026-01-01T00:00:00+00:00');
            INSERT INTO download_formats VALUES ('colleges', 'csv', 2);
            INSERT INTO searches VALUES (1, '2026-01-01T00:00:00+00:00', 'chevaux', '{}', 0);
        """)
    con.close()
    stats.record_view("colleges")
    assert stats.popularity() == {"colleges": {"views": 8, "downloads": 2}}
    assert stats.download_formats("colleges") == {"csv": 2}
    assert stats.failed_searches()[0]["q"] == "chevaux"
    assert not legacy.exists() and (private / "stats.sqlite.imported").is_file()
    stats.dispose_engines()  # a restart: the claimed file is not imported again
    stats.record_view("colleges")
    assert stats.popularity() == {"colleges": {"views": 9, "downloads": 2}}


def test_views_downloads_and_popularity(private: Path) -> None:
    stats.record_view("colleges")
    stats.record_view("colleges")
    stats.record_download("colleges", "CSV")
    stats.record_download("musees-de-france", "parquet")
    assert stats.popularity() == {"colleges": {"views": 2, "downloads": 1},
                                  "musees-de-france": {"views": 0, "downloads": 1}}
    assert stats.download_formats("colleges") == {"csv": 1}


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "x" * 500, "A B", None, 42])
def test_invalid_ids_are_ignored(private: Path, bad: object) -> None:
    stats.record_view(bad)  # type: ignore[arg-type]
    stats.record_download(bad, "csv")  # type: ignore[arg-type]
    assert stats.popularity() == {}


def test_failed_searches_grouped_most_frequent_first(private: Path) -> None:
    stats.record_search("chevaux", {}, 0)
    stats.record_search("Chevaux", {}, 0)
    stats.record_search("musées", {"theme": ["culture_and_recreation"]}, 2)
    stats.record_search("vélo", {"licence": ["lov2"], "theme": ["health", "culture_and_recreation"]}, 0)
    stats.record_search("x" * 1000, {}, 0)
    failed = stats.failed_searches(10)
    assert failed[0]["q"].lower() == "chevaux" and failed[0]["count"] == 2
    velo = next(f for f in failed if f["q"] == "vélo")
    assert velo["filters"] == {"licence": ["lov2"], "theme": ["culture_and_recreation", "health"]}
    assert all(f["q"] != "musées" for f in failed)
    assert max(len(f["q"]) for f in failed) == stats.MAX_QUERY_CHARS
    assert len(stats.failed_searches(1)) == 1
    assert stats.search_count() == 5


def test_concurrent_writers_from_threads_lose_nothing(private: Path) -> None:
    n_threads, per_thread = 8, 40
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def work(i: int) -> None:
        try:
            start.wait()
            for j in range(per_thread):
                stats.record_view("colleges")
                if j % 4 == 0:
                    stats.record_download("colleges", "csv")
                if j % 10 == 0:
                    stats.record_search(f"t{i}", {}, 0)
                stats.popularity()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stats.popularity()["colleges"] == {"views": n_threads * per_thread, "downloads": n_threads * per_thread // 4}
    assert stats.search_count() == n_threads * per_thread // 10


def test_a_broken_database_never_breaks_the_caller(private: Path) -> None:
    private.mkdir(parents=True)
    (private / "reuses.sqlite").write_bytes(b"not a database at all" * 100)
    stats.record_view("colleges")
    stats.record_search("q", {}, 0)
    assert stats.popularity() == {} and stats.failed_searches() == []
