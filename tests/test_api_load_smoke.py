"""The API load test in small (bench/api_load.py): locust in its own process, 5 clients for 8 s, on the live server."""

from __future__ import annotations

from pathlib import Path

from bench import api_load


def test_api_load_smoke_has_no_error_but_intended_429s(live_server: object, tmp_path: Path) -> None:
    result = api_load.run_load(live_server.url, users=5, duration=8, work=tmp_path,  # type: ignore[attr-defined]
                               spawn_rate=5)
    assert result.errors == [], (result.errors[:10], result.log_tail[-1500:])
    # locust's statistics were written and read back: requests of several kinds, each with its percentiles.
    assert result.total["name"] == "Aggregated"
    assert result.total["requests"] >= 20, result.total
    names = {k["name"] for k in result.kinds}
    # The scraper runs without pauses, so its kind is always there; the visitors' kinds are drawn at random by
    # locust, so only their number is checked.
    assert "scraper: records pages" in names and len(names) >= 4, names
    assert all(k["p95"] >= k["p50"] >= 0 for k in result.kinds) and result.total["p95"] > 0, result.kinds
    # Every failure locust counted is a 429 (rate limit or busy export slots): nothing else failed.
    assert sum(k["failures"] for k in result.kinds) == sum(result.intended_429.values())
