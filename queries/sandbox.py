"""Analysts' own SQL (`/sql`): each query runs in a worker process of its own, under limits the kernel enforces.

A query reaches DuckDB only in `queries.sandbox_worker`, a fresh process per query: address space (`RLIMIT_AS`)
and CPU time (`RLIMIT_CPU`) capped in the child, lowest CPU priority (nice), killed (SIGKILL) by this process at the
wall-clock limit, counted from the moment the query arrives (waiting for a slot and the worker's start included), results capped in rows and bytes, only the current data.parquet files readable. Each worker is
started one query ahead (a spare that has done its imports), but builds its database only when its query arrives,
so it sees the versions published at that moment. At most `sql_max_concurrent` queries run at once in one app
process; the next ones wait `QUEUE_WAIT_S`, then are refused with a French message.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa

from config import ROOT, Settings, get_settings, sql_worker_env
from queries import QueryError, QueryTimeout, _require_select, cache
from queries.sandbox_worker import READY

log = logging.getLogger(__name__)

MAX_SQL_CHARS = 20_000
QUEUE_WAIT_S = 2.0
# The table list (not an analyst's query) may wait for a worker's start that long on top of the query time.
STARTUP_TIMEOUT_S = 30.0
# Allocator knobs of the worker: one malloc arena and Arrow on the system allocator keep the address space close
# to the memory really used, so that RLIMIT_AS bounds memory rather than reservations.
WORKER_ENV = {"MALLOC_ARENA_MAX": "1", "ARROW_DEFAULT_MEMORY_POOL": "system", "OMP_NUM_THREADS": "1"}
BUSY = "Trop de requêtes SQL en cours, réessayez dans un instant."
TOO_MUCH_MEMORY = "La requête demande trop de mémoire ; réduisez son périmètre."
KILLED = "La requête a été arrêtée : elle demandait plus de ressources (mémoire, calcul) que le permet le service."

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(settings: Settings) -> threading.BoundedSemaphore:
    """The semaphore of this app process (per instance: several instances each allow `sql_max_concurrent`)."""
    with _slots_lock:
        return _slots.setdefault(settings.sql_max_concurrent, threading.BoundedSemaphore(settings.sql_max_concurrent))


@dataclass
class _Outcome:
    stdout: bytes
    returncode: int
    stopped: str  # "" (ended by itself), "startup", "timeout" or "too-big" (killed by us)
    query_s: float | None  # from READY to the end of the process: the time the query itself had


def _read(proc: subprocess.Popen[bytes], deadline: float, max_out: int) -> _Outcome:
    """Read the worker's output until `deadline` (time.monotonic()); kill it then, or when it says too much."""
    stream: IO[bytes] = proc.stdout  # type: ignore[assignment]
    buf = bytearray()
    stopped = ""
    ready_at: float | None = None
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                stopped = "timeout" if buf else "startup"
                break
            if not selector.select(remaining):
                continue
            chunk = os.read(stream.fileno(), 1 << 16)
            if not chunk:
                break
            if not buf:
                ready_at = time.monotonic()  # the database is ready: the query's own clock starts
            buf += chunk
            if len(buf) > max_out:
                stopped = "too-big"
                break
    if stopped:
        proc.kill()
    returncode = proc.wait()
    return _Outcome(bytes(buf), returncode, stopped, None if ready_at is None else time.monotonic() - ready_at)


def _outcome_to_table(out: _Outcome, timeout_s: float) -> tuple[pa.Table, bool]:
    """The worker's answer as an Arrow table, or the French error it amounts to."""
    if out.stopped == "startup":
        raise QueryError("Le service SQL est surchargé, réessayez dans un instant.")
    if out.stopped == "timeout" or out.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise QueryTimeout(f"La requête a dépassé la limite de {timeout_s:g} s et a été arrêtée.")
    if out.stopped == "too-big":
        raise QueryError("Le résultat dépasse la taille permise ; réduisez le nombre de lignes ou de colonnes.")
    header_line, _, payload = out.stdout[len(READY):].partition(b"\n")
    if not out.stdout.startswith(READY) or not header_line:
        raise QueryError(KILLED if out.returncode < 0 else "La requête n'a pas pu être exécutée.")
    header = json.loads(header_line)
    if not header["ok"]:
        if header["kind"] == "memory":
            raise QueryError(TOO_MUCH_MEMORY)
        raise QueryError(header["message"])
    return pa.ipc.open_stream(payload).read_all(), bool(header["truncated"])


def _private_temp_dir(settings: Settings) -> tempfile.TemporaryDirectory[str]:
    """DuckDB's temp directory for one worker: new, empty, outside the data directory, removed afterwards."""
    tmp = tempfile.TemporaryDirectory(prefix="territoire-sql-")
    if Path(tmp.name).resolve().is_relative_to(settings.data_dir):
        tmp.cleanup()
        raise QueryError("Configuration : le répertoire temporaire du système est dans le répertoire des données.")
    return tmp


def _worker_env() -> dict[str, str]:
    """The worker's environment: the portal's settings and the basics, never a secret nor the database URL."""
    return sql_worker_env() | WORKER_ENV


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    errors: IO[bytes]  # its stderr (a temporary file), logged when it fails
    settings: Settings  # the settings it was started with (its environment)

    def discard(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.errors):
            if stream is not None:
                stream.close()


def _start_worker(settings: Settings) -> _Worker:
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
        [sys.executable, "-m", "queries.sandbox_worker"], cwd=ROOT, env=_worker_env(),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, start_new_session=True)
    return _Worker(proc, errors, settings)


_spare: _Worker | None = None
_spare_lock = threading.Lock()


def _take_worker(settings: Settings) -> _Worker:
    """A worker that has already imported its modules (the spare), and a new spare started for the next query."""
    global _spare
    with _spare_lock:
        worker, _spare = _spare, None
        if worker is not None and (worker.settings != settings or worker.proc.poll() is not None):
            worker.discard()
            worker = None
        worker = worker or _start_worker(settings)
        _spare = _start_worker(settings)
        return worker


def run_in_worker(request: dict[str, Any], settings: Settings | None = None,
                  deadline: float | None = None) -> tuple[pa.Table, bool]:
    """Run one request in a fresh worker process with the user-SQL limits, killed at `deadline` (time.monotonic(),
    default: the time limit from now); (Arrow table, truncated)."""
    settings = settings or get_settings()
    deadline = time.monotonic() + settings.sql_timeout_s if deadline is None else deadline
    with _private_temp_dir(settings) as tmp:
        request = {**request, "temp_dir": tmp, "max_rows": settings.sql_max_rows,
                   "max_bytes": settings.sql_max_result_bytes, "memory_limit": settings.sql_memory_limit,
                   "address_space": settings.sql_max_memory, "cpu_s": settings.sql_timeout_s}
        worker = _take_worker(settings)
        try:
            try:
                worker.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")  # type: ignore[union-attr]
                worker.proc.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass  # the worker died at once: its exit status says why
            out = _read(worker.proc, deadline, settings.sql_max_result_bytes * 2 + (1 << 20))
            if out.returncode != 0 and not out.stopped:
                worker.errors.seek(0)
                log.warning("worker SQL terminé (code %s) : %s", out.returncode,
                            worker.errors.read()[-2000:].decode(errors="replace"))
        finally:
            worker.discard()
        try:
            return _outcome_to_table(out, settings.sql_timeout_s)
        except QueryError as exc:
            exc.query_s = out.query_s  # type: ignore[attr-defined]  # how long the query itself ran (tests, bench)
            raise


@dataclass(frozen=True)
class UserResult:
    """An analyst's result: at most `sql_max_rows` rows and `sql_max_result_bytes` bytes; `truncated` if cut."""

    table: pa.Table
    truncated: bool

    @property
    def frame(self) -> pd.DataFrame:
        return self.table.to_pandas()


def run_user_sql(sql: str) -> UserResult:
    """Run an analyst's SELECT in a worker process of its own, with the user-SQL limits: the time limit runs from
    now, so the wait for a slot and the worker's start count against it (no answer comes later than the limit)."""
    settings = get_settings()
    arrived = time.monotonic()
    if len(sql) > MAX_SQL_CHARS:
        raise QueryError("Requête trop longue (20 000 caractères au plus).")
    _require_select(sql)  # refused at once, without using a worker (the worker checks again)
    slot = _slot(settings)
    if not slot.acquire(timeout=min(QUEUE_WAIT_S, settings.sql_timeout_s / 2)):
        raise QueryError(BUSY)
    try:
        return UserResult(*run_in_worker({"op": "query", "sql": sql}, settings, arrived + settings.sql_timeout_s))
    finally:
        slot.release()


@dataclass(frozen=True)
class SandboxTable:
    """A table or view of the SQL sandbox, named as it must be typed in a query."""

    name: str  # its name in the database (`ds_ips_colleges`)
    typed: str  # as it must be written in SQL (double-quoted only when DuckDB needs it)
    title: str | None  # the dataset's title, for a dataset's view
    columns: tuple[tuple[str, str], ...]  # (name as it must be typed, DuckDB type), in order

    @property
    def kind(self) -> str:
        """« dataset » (a `ds_` view with its title), « catalogue », or « other » (the `dsr_` views that add
        `file_row_number`, and the portal's helper tables)."""
        if self.title is not None and self.name.startswith("ds_"):
            return "dataset"
        return "catalogue" if self.name == "catalogue" else "other"


@cache.cached()
def sandbox_tables() -> tuple[SandboxTable, ...]:
    """Tables an analyst can query, datasets first, then the catalogue, then the others, each with its columns and
    types (the worker's `tables` request, queries/sql/sandbox_tables.sql over the sandbox's own database, once per
    data version)."""
    table, _ = run_in_worker({"op": "tables"}, deadline=time.monotonic() + STARTUP_TIMEOUT_S)
    found = [SandboxTable(row["table_name"], row["table_typed"], row["title"],
                          tuple(zip(row["column_names"], row["column_types"], strict=True)))
             for row in table.to_pylist()]
    order = {"dataset": 0, "catalogue": 1, "other": 2}
    return tuple(sorted(found, key=lambda t: (order[t.kind], t.name)))
