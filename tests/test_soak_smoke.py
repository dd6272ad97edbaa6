"""The soak test in small (bench/soak.py): the real server, 5 visitors and 1 hostile SQL session for 12 s."""

from __future__ import annotations

from pathlib import Path

from bench import soak


def test_soak_smoke_no_server_error_and_memory_under_the_ceiling(warehouse_dir: Path) -> None:
    report = soak.soak(duration=12, sessions=5, hostile=1, data_dir=warehouse_dir, think=(1.0, 3.0), warm=False)
    assert report.errors == [], report.errors[:10]
    assert report.peak_rss_mb <= report.ceiling_mb, report.peak_rss_mb
    # Every visitor really browsed and the hostile analyst's attacks reached /sql's button. (Latencies are only
    # reported here: the full soak, `make bench`, holds them against the time limit on a quiet machine.)
    assert report.browse_runs >= report.sessions, report.browse_runs
    assert report.sql_runs >= 1
    assert sum(report.sql_outcomes.values()) == report.sql_runs
    assert report.http_checks >= 5
