"""The worker process of analysts' SQL (`python -m queries.sandbox_worker`): one query, under kernel-enforced limits.

The app starts one worker per query (`queries.sandbox`), so a query that exhausts memory or CPU kills this process
only, and every worker sees the versions published when it starts. Protocol, over pipes:
- stdin: one JSON request line `{"op": "query"|"tables", "sql", "max_rows", "max_bytes", "memory_limit",
  "address_space", "cpu_s", "temp_dir"}`;
- stdout: the byte `READY` once the database is built (the parent starts the query's clock then), then one JSON
  header line (`{"ok": true, "rows", "truncated"}` or `{"ok": false, "kind": "memory"|"error", "message"}`), then on
  success the result as an Arrow IPC stream.
The limits are set here, in the child, before DuckDB starts: `RLIMIT_AS` (address space: DuckDB's memory_limit does
not cover every allocation, e.g. one huge list or string in a scalar expression), and `RLIMIT_CPU` once the query
starts (a scalar expression ignores `interrupt()`); the parent also kills this process at the wall-clock limit.
"""

from __future__ import annotations

import io
import json
import math
import os
import resource
import sys
import traceback
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

import warehouse as layout
from config import get_settings
from queries import QueryError, Warehouse, _require_select, _version_file, load_sql, sql_errors

READY = b"R"
# The lowest CPU priority: on a busy machine the app's pages keep the CPU, and a starved query meets its time
# limit (a French message) rather than slowing every visitor down (measured by bench/soak.py).
NICENESS = 19
BATCH_ROWS = 256  # small batches: a few wide rows are enough to reach the byte cap
TABLES_SQL = load_sql("sandbox_tables")  # the `tables` request: what /sql lists (queries/sandbox.py sandbox_tables)


def current_files() -> list[Path]:
    """The data.parquet of the version each published dataset currently serves: the only files the sandbox reads
    (not the older versions, not the `.tmp-` versions being written, not meta.json)."""
    found = [_version_file(ds_id, entry, layout.DATA_FILE) for ds_id, entry in layout.read_registry()["datasets"].items()]
    return [path for path in found if path is not None and path.is_file()]


def limit_address_space(max_bytes: int) -> None:
    """The kernel refuses any allocation beyond this address space (malloc returns NULL: DuckDB raises, or the
    process dies); no core file is written."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def limit_cpu(seconds: float) -> None:
    """From now on, `seconds` of CPU at most: SIGXCPU at the soft limit, SIGKILL one second later."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))


def capped_arrow(reader: pa.RecordBatchReader, max_rows: int, max_bytes: int) -> tuple[pa.Table, bool]:
    """Record batches until the row or the byte cap; the last one is cut to fit. True when something was left out."""
    batches: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in reader:
        keep = min(batch.num_rows, max_rows - rows)
        if keep and size + batch.slice(0, keep).nbytes > max_bytes:  # wide rows: as many as fit, by their mean size
            keep = min(keep, int((max_bytes - size) * batch.num_rows / max(1, batch.nbytes)))
            while keep and size + batch.slice(0, keep).nbytes > max_bytes:
                keep -= max(1, keep // 16)
        if keep:
            batches.append(batch.slice(0, keep))
            rows += keep
            size += batches[-1].nbytes
        if keep < batch.num_rows:
            return pa.Table.from_batches(batches, schema=reader.schema), True
    return pa.Table.from_batches(batches, schema=reader.schema), False


def run(request: dict[str, Any], out: BinaryIO) -> dict[str, Any]:
    """Build the locked-down database, signal READY, run the one SELECT; the header to send (the table is written)."""
    settings = get_settings()
    wh = Warehouse(settings, memory_limit=str(request["memory_limit"]), threads=1, allowed_files=current_files(),
                   temp_dir=Path(request["temp_dir"]))
    out.write(READY)
    out.flush()
    limit_cpu(float(request["cpu_s"]))
    sql = TABLES_SQL if request["op"] == "tables" else str(request["sql"])
    _require_select(sql)
    cur = wh.con.cursor()
    table, truncated = capped_arrow(cur.sql(sql).to_arrow_reader(BATCH_ROWS), int(request["max_rows"]),
                                    int(request["max_bytes"]))
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return {"ok": True, "rows": table.num_rows, "truncated": truncated, "payload": sink.getvalue()}


def _is_memory(exc: BaseException | None) -> bool:
    """Whether an exception (or one it arose from) is an allocation refused under RLIMIT_AS / memory_limit: DuckDB
    raises OutOfMemoryException or reports std::bad_alloc, its Arrow stream an OSError "Out of Memory", Python
    MemoryError."""
    while exc is not None:
        if isinstance(exc, MemoryError | duckdb.OutOfMemoryException) or any(
                marker in str(exc) for marker in ("bad_alloc", "Out of Memory", "failed to allocate")):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def answer(request: dict[str, Any], out: BinaryIO) -> dict[str, Any]:
    """The header (and payload) to send back, whatever happened: the worker always answers if it can."""
    try:
        return run(request, out)
    except Exception as exc:  # noqa: BLE001 - the process boundary: every failure becomes an answer
        if _is_memory(exc):  # first: even parsing the SQL can be refused memory
            return {"ok": False, "kind": "memory", "message": ""}
        if isinstance(exc, QueryError):
            return {"ok": False, "kind": "error", "message": str(exc)}
        if isinstance(exc, duckdb.Error):
            return {"ok": False, "kind": "error", "message": sql_errors.in_french(str(exc))}
        traceback.print_exc()  # to the worker's stderr, which the app logs
        return {"ok": False, "kind": "error", "message": "La requête n'a pas pu être exécutée."}


def main() -> int:
    # Analysts' queries yield the CPU to the app's own pages (the kernel's scheduler, `nice`).
    os.nice(NICENESS)
    # The app starts each worker ahead of its query (a spare): imports and settings (which may import Streamlit to
    # look for secrets) are done before the request arrives; the database itself is built only then.
    get_settings()
    line = sys.stdin.buffer.readline()
    if not line:
        return 0  # the app stopped (or changed settings) without using this worker
    request = json.loads(line)
    limit_address_space(int(request["address_space"]))
    out = sys.stdout.buffer
    header = answer(request, out)
    payload = header.pop("payload", b"")
    out.write(json.dumps(header).encode("utf-8") + b"\n" + payload)
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
