"""The one result cache: bounded in bytes (LRU), oversized results not kept, scoped by data version, single flight."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import queries
from queries import cache
from tests.exports.test_exports import empty_warehouse, publish  # noqa: F401 - fixture used below

KB = 1_000


def test_least_recently_used_entries_go_first_when_the_byte_budget_is_exceeded() -> None:
    c = cache.ResultCache(max_bytes=3 * KB)
    for key in ("a", "b", "c"):
        c.get_or_compute(key, lambda: b"x" * KB, ttl=60)
    assert c.current_bytes == 3 * KB
    c.get_or_compute("a", lambda: pytest.fail("a is cached"), ttl=60)  # a becomes the most recently used
    c.get_or_compute("d", lambda: b"y" * KB, ttl=60)
    assert "b" not in c  # the least recently used went
    assert all(k in c for k in ("a", "c", "d"))
    assert c.current_bytes <= 3 * KB


def test_frames_are_measured_with_their_strings() -> None:
    frame = pd.DataFrame({"text": ["é" * 10_000] * 50})
    assert cache.measure(frame) > 50 * 10_000  # deep: the strings, not 50 pointers
    assert cache.measure({"k": b"z" * 100_000}) > 100_000  # containers: pympler's deep size


def test_large_python_values_are_sized_high_from_their_pickle() -> None:
    """Nested lists of floats (map outlines) take several times their pickle in memory: the quick estimate must not
    fall below pympler's walk, or the cache would exceed its bound."""
    from pympler import asizeof

    outlines = [{"type": "Feature", "geometry": {"coordinates": [[[0.1 * i + j, 45.0 + j] for j in range(200)]]},
                 "properties": {"code": f"24{i:03d}"}} for i in range(100)]
    assert cache.measure(outlines) >= asizeof.asizeof(outlines)
    small = {"a": list(range(50))}
    assert cache.measure(small) == asizeof.asizeof(small)  # small values keep pympler's exact walk


def test_a_result_larger_than_the_budget_is_returned_but_not_cached() -> None:
    c = cache.ResultCache(max_bytes=10 * KB)
    calls = []

    def big() -> bytes:
        calls.append(1)
        return b"x" * (20 * KB)

    assert len(c.get_or_compute("big", big, ttl=60)) == 20 * KB
    assert len(c.get_or_compute("big", big, ttl=60)) == 20 * KB
    assert calls == [1, 1]
    assert len(c) == 0 and c.stats.too_large == 2


def test_a_new_scope_drops_every_entry() -> None:
    c = cache.ResultCache(max_bytes=10 * KB)
    c.get_or_compute("k", lambda: b"old", ttl=60, scope="v1")
    assert c.get_or_compute("k", lambda: b"new", ttl=60, scope="v2") == b"new"
    assert c.current_bytes == len(b"new")


def test_entries_expire_after_their_ttl() -> None:
    now = [0.0]
    c = cache.ResultCache(max_bytes=10 * KB, timer=lambda: now[0])
    c.get_or_compute("k", lambda: b"first", ttl=5)
    now[0] = 4.0
    assert c.get_or_compute("k", lambda: b"second", ttl=5) == b"first"
    now[0] = 6.0
    assert c.get_or_compute("k", lambda: b"second", ttl=5) == b"second"


def test_concurrent_callers_of_one_key_compute_it_once() -> None:
    c = cache.ResultCache(max_bytes=10 * KB)
    calls = []
    start = threading.Barrier(8)

    def slow() -> bytes:
        calls.append(threading.get_ident())
        time.sleep(0.3)
        return b"result"

    results: list[bytes] = []

    def ask() -> None:
        start.wait()
        results.append(c.get_or_compute("same", slow, ttl=60))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(calls) == 1
    assert results == [b"result"] * 8


def test_a_failed_computation_reaches_every_waiter_and_is_not_cached() -> None:
    c = cache.ResultCache(max_bytes=10 * KB)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def failing() -> bytes:
        time.sleep(0.2)
        raise queries.QueryError("Requête trop longue.")

    def ask() -> None:
        start.wait()
        try:
            c.get_or_compute("k", failing, ttl=60)
        except queries.QueryError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(errors) == 4
    assert c.get_or_compute("k", lambda: b"ok", ttl=60) == b"ok"


def test_the_decorator_keys_on_arguments_and_the_published_version(empty_warehouse: Path) -> None:  # noqa: F811
    publish("mesures", pa.table({"v": [1, 2, 3]}))
    calls: list[tuple[object, ...]] = []

    @cache.cached()
    def total(dataset_id: str, columns: list[str]) -> pd.DataFrame:
        calls.append((dataset_id, tuple(columns)))
        return queries.run_sql_text(f"SELECT sum(v) AS s FROM {queries.table_name(dataset_id)}")

    first = total("mesures", ["v"])
    first["mutated"] = 1  # a caller adding a column does not change what the next caller gets
    assert list(total("mesures", ["v"]).columns) == ["s"]
    assert total("mesures", ["v"]).loc[0, "s"] == 6
    assert len(calls) == 1
    total("mesures", ["w"])  # other arguments (lists are keys too): another entry
    assert len(calls) == 2

    publish("mesures", pa.table({"v": [10, 20]}))  # a new version: the old results are gone
    assert total("mesures", ["v"]).loc[0, "s"] == 30
    assert len(calls) == 3


def test_the_shared_cache_follows_its_configured_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import config

    monkeypatch.setenv("TERRITOIRE_CACHE_MAX_BYTES", "12345")
    config.get_settings.cache_clear()
    assert cache.shared().max_bytes == 12345
    monkeypatch.delenv("TERRITOIRE_CACHE_MAX_BYTES")
    config.get_settings.cache_clear()
    assert cache.shared().max_bytes == 256 * 1024 * 1024


def test_unhashable_arguments_are_refused_at_once() -> None:
    with pytest.raises(TypeError):
        cache.freeze(object.__new__(type("Unhashable", (), {"__hash__": None})))
    assert cache.freeze(1) != cache.freeze(1.0) != cache.freeze(True)
