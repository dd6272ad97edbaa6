"""Limits of dataset exports: a few at once per process, each within a time limit (DuckDB interrupted past it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

import queries
from config import get_settings
from queries import QueryError


class ExportError(QueryError):
    """An export cannot be produced; the message is French and shown as is."""


class ExportBusy(ExportError):
    """Every export slot of this process is taken."""


class ExportTimeout(ExportError):
    """The export ran past TERRITOIRE_EXPORT_TIMEOUT."""


BUSY_MESSAGE = ("Trop d'exports en cours : réessayez dans une minute (les exports sont limités pour que le site reste "
                "rapide pour tous).")


def timeout_message(seconds: float) -> str:
    return (f"L'export a dépassé le temps maximal ({seconds:g} s) et a été interrompu. Filtrez les données, ou "
            "choisissez CSV ou Parquet, plus rapides.")


_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _semaphore() -> threading.BoundedSemaphore:
    """One semaphore per process, sized by TERRITOIRE_EXPORT_MAX_CONCURRENT (a new size gets a new one: tests)."""
    global _slots
    size = get_settings().export_max_concurrent
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


@contextmanager
def export_slot() -> Iterator[None]:
    """Hold one export slot for the duration of the block; ExportBusy at once when none is free (no queue: the
    visitor is told to retry rather than left waiting behind large exports)."""
    semaphore = _semaphore()
    if not semaphore.acquire(blocking=False):
        raise ExportBusy(BUSY_MESSAGE)
    try:
        yield
    finally:
        semaphore.release()


class Deadline:
    """The moment an export must end; `check()` raises ExportTimeout past it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        if self.expired or time.monotonic() >= self.at:
            self.expired = True
            raise ExportTimeout(timeout_message(self.seconds))


def timed_batches(sql: str, params: Mapping[str, Any], batch_rows: int, deadline: Deadline,
                  slice_rows: int | None = None) -> Iterator[pa.RecordBatch]:
    """Arrow batches of an export query on a cursor of the app's Warehouse, interrupted at the deadline: a timer
    stops DuckDB mid-query (a long sort before the first batch), `check()` stops a slow writer between batches.
    `slice_rows` hands batches out in zero-copy slices, so that writers that go row by row in Python (XLSX, JSON)
    are checked every few thousand rows rather than every batch."""
    warehouse = queries.warehouse()
    warehouse.refresh()
    cur = warehouse.con.cursor()

    def expire() -> None:
        deadline.expired = True
        cur.interrupt()

    timer = threading.Timer(deadline.remaining(), expire)
    timer.daemon = True
    timer.start()
    try:
        reader = cur.sql(sql, params=dict(params)).to_arrow_reader(batch_rows)
        step = slice_rows or batch_rows
        for batch in reader:
            for start in range(0, max(batch.num_rows, 1), step):
                deadline.check()
                yield batch.slice(start, step) if step < batch.num_rows else batch
    except (duckdb.Error, pa.ArrowException, OSError) as exc:  # an interrupt surfaces through DuckDB or Arrow
        if deadline.expired:
            raise ExportTimeout(timeout_message(deadline.seconds)) from exc
        if not isinstance(exc, duckdb.Error):
            raise
        raise QueryError(f"Export impossible : {exc}") from exc
    finally:
        timer.cancel()
        cur.close()
