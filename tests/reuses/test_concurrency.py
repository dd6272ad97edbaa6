"""No submission is lost: several threads and several processes write at once; a crash leaves nothing half-done."""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import config
from reuses import store
from tests.reuses import workers


@pytest.fixture(autouse=True)
def _plain_main_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned children re-run the parent's `__main__` file; after an AppTest in the same pytest process that is a
    page script (Streamlit runs pages as `__main__`), so give the children an empty main module instead."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


def _all_ids() -> set[str]:
    return {r.id for r in store.list_by_status("pending")}


def test_threads_submitting_at_once_lose_nothing(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_REUSES_RATE_LIMIT", "100000")
    catalogue = os.environ["TERRITOIRE_CATALOGUE_DIR"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(workers.submit_many, str(reuse_env), catalogue, f"t{w}", 15) for w in range(8)]
        acknowledged = {i for f in futures for i in f.result()}
    assert len(acknowledged) == 120
    assert _all_ids() == acknowledged
    assert all(set(r.datasets) == {"ecoles", "colleges"} for r in store.list_by_status("pending"))


@pytest.mark.slow
def test_processes_submitting_at_once_lose_nothing(reuse_env: Path) -> None:
    catalogue = os.environ["TERRITOIRE_CATALOGUE_DIR"]
    store.get_engine()  # create the schema first, as the app does at start-up (the race on it is tested below)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(workers.submit_many, [(str(reuse_env), catalogue, f"p{w}", 20) for w in range(4)])
    acknowledged = {i for ids in results for i in ids}
    assert len(acknowledged) == 80
    store.dispose_engines()
    assert _all_ids() == acknowledged


@pytest.mark.slow
def test_processes_racing_on_a_fresh_database_migrate_once(reuse_env: Path) -> None:
    catalogue = os.environ["TERRITOIRE_CATALOGUE_DIR"]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(workers.submit_many, [(str(reuse_env), catalogue, f"m{w}", 3) for w in range(4)])
    assert len(_all_ids()) == sum(len(r) for r in results) == 12
    from sqlalchemy import select

    from reuses import schema

    with store.get_engine().connect() as conn:
        versions = [r.version for r in conn.execute(select(schema.schema_version.c.version))]
    assert versions == list(range(1, schema.LATEST_VERSION + 1))


@pytest.mark.slow
def test_process_killed_before_commit_leaves_nothing(reuse_env: Path) -> None:
    catalogue = os.environ["TERRITOIRE_CATALOGUE_DIR"]
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=workers.crash_during_commit, args=(str(reuse_env), catalogue))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    config.get_settings.cache_clear()
    store.dispose_engines()
    assert store.counts_by_status() == {"pending": 0, "published": 0, "rejected": 0}
    # and the database is still writable: the lock died with the process
    ids = workers.submit_many(str(reuse_env), catalogue, "after", 1)
    assert _all_ids() == set(ids)
