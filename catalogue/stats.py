"""Usage statistics counted by the portal itself: dataset views and downloads, catalogue searches (SQLite, WAL)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalogue.manifest import ID_RE
from config import get_settings

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 10.0
MAX_QUERY_CHARS = 200  # a search box is not a storage service: longer input is cut before it is stored
MAX_FILTER_CHARS = 2_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS dataset_counts (
    dataset_id TEXT PRIMARY KEY,
    views      INTEGER NOT NULL DEFAULT 0,
    downloads  INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS download_formats (
    dataset_id TEXT NOT NULL,
    fmt        TEXT NOT NULL,
    downloads  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, fmt)
);
CREATE TABLE IF NOT EXISTS searches (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    q       TEXT NOT NULL,
    filters TEXT NOT NULL,
    results INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_empty ON searches (results, q, filters);
"""

_init_lock = threading.Lock()
_initialised: set[Path] = set()


def db_path() -> Path:
    """`<private_dir>/stats.sqlite`: private, never reachable from the analysts' SQL."""
    return get_settings().private_dir / "stats.sqlite"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def _connect() -> Iterator[sqlite3.Connection]:
    """One short-lived connection per call: safe from any thread, WAL lets readers run while one writer commits."""
    path = db_path()
    if path not in _initialised or not path.exists():
        with _init_lock:
            if path not in _initialised or not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
                try:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.executescript(SCHEMA)
                    con.commit()
                finally:
                    con.close()
                _initialised.add(path)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable enough for counters, much faster
        yield con
    finally:
        con.close()


def _valid_id(dataset_id: Any) -> bool:
    return isinstance(dataset_id, str) and bool(ID_RE.match(dataset_id))


def _write(*statements: tuple[str, tuple[Any, ...]]) -> None:
    """Statements in one short transaction; a statistics failure must never break a page."""
    try:
        with _connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    con.execute(sql, params)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    except sqlite3.Error as exc:
        log.warning("statistiques non enregistrées : %s", exc)


def record_view(dataset_id: str) -> None:
    """Count one view of a dataset page (unknown-looking ids are ignored)."""
    if not _valid_id(dataset_id):
        return
    _write((
        "INSERT INTO dataset_counts (dataset_id, views, downloads, updated_at) VALUES (?, 1, 0, ?) "
        "ON CONFLICT (dataset_id) DO UPDATE SET views = views + 1, updated_at = excluded.updated_at",
        (dataset_id, _now()),
    ))


def record_download(dataset_id: str, fmt: str) -> None:
    """Count one download of a dataset in a format (csv, parquet, geojson, xlsx…)."""
    if not _valid_id(dataset_id):
        return
    fmt = str(fmt or "inconnu").lower()[:20]
    _write(
        ("INSERT INTO dataset_counts (dataset_id, views, downloads, updated_at) VALUES (?, 0, 1, ?) "
         "ON CONFLICT (dataset_id) DO UPDATE SET downloads = downloads + 1, updated_at = excluded.updated_at",
         (dataset_id, _now())),
        ("INSERT INTO download_formats (dataset_id, fmt, downloads) VALUES (?, ?, 1) "
         "ON CONFLICT (dataset_id, fmt) DO UPDATE SET downloads = downloads + 1",
         (dataset_id, fmt)),
    )


def _canonical_filters(filters: Mapping[str, Any] | None) -> str:
    """Filters as stable JSON (sorted keys and values) so identical searches group together."""
    clean: dict[str, list[str]] = {}
    for key, values in (filters or {}).items():
        if isinstance(values, str | int | float | bool):
            values = [values]
        vals = sorted({str(v) for v in (values or [])})
        if vals:
            clean[str(key)] = vals
    text = json.dumps(clean, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_FILTER_CHARS else text[:MAX_FILTER_CHARS]


def record_search(q: str, filters: Mapping[str, Any] | None, results: int) -> None:
    """Log one catalogue search and its result count (searches with no result are shown to the publisher)."""
    q = " ".join(str(q or "").split())[:MAX_QUERY_CHARS]
    _write(("INSERT INTO searches (at, q, filters, results) VALUES (?, ?, ?, ?)",
            (_now(), q, _canonical_filters(filters), max(0, int(results)))))


def popularity() -> dict[str, dict[str, int]]:
    """{dataset_id: {"views": n, "downloads": n}} for every dataset seen at least once."""
    try:
        with _connect() as con:
            rows = con.execute("SELECT dataset_id, views, downloads FROM dataset_counts").fetchall()
    except sqlite3.Error as exc:
        log.warning("statistiques illisibles : %s", exc)
        return {}
    return {ds: {"views": int(v), "downloads": int(d)} for ds, v, d in rows}


def download_formats(dataset_id: str) -> dict[str, int]:
    """Downloads of one dataset per format."""
    try:
        with _connect() as con:
            rows = con.execute("SELECT fmt, downloads FROM download_formats WHERE dataset_id = ?",
                               (dataset_id,)).fetchall()
    except sqlite3.Error:
        return {}
    return {fmt: int(n) for fmt, n in rows}


def failed_searches(limit: int = 50) -> list[dict[str, Any]]:
    """Searches that found nothing, most frequent first: [{"q", "filters" (dict), "count", "last_at"}]."""
    limit = max(1, min(int(limit), 1_000))
    try:
        with _connect() as con:
            rows = con.execute(
                "SELECT q, filters, count(*) AS n, max(at) AS last_at FROM searches WHERE results = 0 "
                "GROUP BY lower(q), filters ORDER BY n DESC, last_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
    except sqlite3.Error as exc:
        log.warning("statistiques illisibles : %s", exc)
        return []
    out = []
    for q, filters, n, last_at in rows:
        try:
            parsed = json.loads(filters)
        except ValueError:
            parsed = {}
        out.append({"q": q, "filters": parsed, "count": int(n), "last_at": last_at})
    return out


def search_count() -> int:
    """Number of searches logged (all results)."""
    try:
        with _connect() as con:
            return int(con.execute("SELECT count(*) FROM searches").fetchone()[0])
    except sqlite3.Error:
        return 0
