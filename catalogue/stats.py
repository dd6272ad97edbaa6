"""Usage statistics counted by the portal itself: dataset views and downloads, catalogue searches.

They live in the portal's shared database (`config.database_url()`, the reuse gallery's SQLAlchemy URL): every
instance serving the portal counts into the same tables (PostgreSQL for several hosts; SQLite in WAL mode for one).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from catalogue import database
from catalogue.manifest import ID_RE
from config import database_url, get_settings

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
MAX_QUERY_CHARS = 200  # a search box is not a storage service: longer input is cut before it is stored
MAX_FILTER_CHARS = 2_000

metadata = MetaData()
_counts = Table(
    "stats_dataset_counts", metadata,
    Column("dataset_id", String(80), primary_key=True),
    Column("views", Integer, nullable=False, default=0),
    Column("downloads", Integer, nullable=False, default=0),
    Column("updated_at", String(32), nullable=False),
)
_formats = Table(
    "stats_download_formats", metadata,
    Column("dataset_id", String(80), primary_key=True),
    Column("fmt", String(20), primary_key=True),
    Column("downloads", Integer, nullable=False, default=0),
)
_searches = Table(
    "stats_searches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("q", String(MAX_QUERY_CHARS), nullable=False),
    Column("filters", String(MAX_FILTER_CHARS), nullable=False),
    Column("results", Integer, nullable=False),
    Index("stats_searches_empty", "results", "q", "filters"),
)

def _create_tables(target: Engine) -> None:
    with database.writing(target) as conn:  # the write lock from the start: instances starting together queue
        metadata.create_all(conn, checkfirst=True)


def _open(url: str) -> Engine:
    new = database.open_engine(url, busy_timeout_ms=BUSY_TIMEOUT_MS, durable=False)
    try:
        try:
            _create_tables(new)
        except SQLAlchemyError:
            # Another instance may have created the tables between the check and the CREATE: look again once.
            _create_tables(new)
        _import_legacy_file(new)
    except SQLAlchemyError:
        new.dispose()  # not kept: the next call tries again (a database that was down may be back)
        raise
    return new


_engines = database.EnginePool(_open)


def engine() -> Engine:
    """The statistics engine on the configured database, its tables created on first use (one per URL)."""
    return _engines.get(database_url())


def _import_legacy_file(target: Engine) -> None:
    """Counters of an older portal kept in `<private_dir>/stats.sqlite` move into the shared database once: the file
    is first renamed `stats.sqlite.imported` (an atomic claim: two processes never import it twice), then read; an
    upgrade loses no statistics."""
    legacy = get_settings().private_dir / "stats.sqlite"
    claimed = legacy.with_name(legacy.name + ".imported")
    try:
        legacy.rename(claimed)
    except OSError:  # no older file (the usual case), or another process claimed it first
        return
    try:
        with closing(sqlite3.connect(claimed)) as con:
            counts = con.execute("SELECT dataset_id, views, downloads, updated_at FROM dataset_counts").fetchall()
            formats = con.execute("SELECT dataset_id, fmt, downloads FROM download_formats").fetchall()
            logged = con.execute("SELECT at, q, filters, results FROM searches").fetchall()
    except sqlite3.Error as exc:
        log.warning("ancien fichier de statistiques illisible, ignoré (%s) : %s", claimed, exc)
        return
    try:
        with database.writing(target) as conn:
            for ds, views, downloads, at in counts:
                _upsert(conn, _counts, {"dataset_id": ds, "updated_at": at},
                        {"views": views, "downloads": downloads}, ["dataset_id"])
            for ds, fmt, downloads in formats:
                _upsert(conn, _formats, {"dataset_id": ds, "fmt": fmt}, {"downloads": downloads},
                        ["dataset_id", "fmt"])
            if logged:
                conn.execute(insert(_searches), [{"at": a, "q": q, "filters": f, "results": r}
                                                 for a, q, f, r in logged])
    except SQLAlchemyError:
        claimed.rename(legacy)  # nothing was imported: try again next time
        raise
    log.info("statistiques de %s importées dans la base partagée", legacy)


def dispose_engines() -> None:
    """Close every pooled connection (tests; a worker about to fork)."""
    _engines.dispose()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _valid_id(dataset_id: Any) -> bool:
    return isinstance(dataset_id, str) and bool(ID_RE.match(dataset_id))


def _upsert(conn: Connection, table: Table, values: dict[str, Any], add: dict[str, int], keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE adding `add` to the counters: one atomic statement per counter row."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table).values(**values, **add)
    updates: dict[str, Any] = {name: table.c[name] + n for name, n in add.items()}
    updates |= {name: stmt.excluded[name] for name in values if name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))


def _write(work: Callable[[Connection], None]) -> None:
    """One short transaction; a statistics failure is logged and never breaks a page."""
    try:
        with database.writing(engine()) as conn:
            work(conn)
    except SQLAlchemyError as exc:
        log.warning("statistiques non enregistrées : %s", exc)


def _read(statement: Any, default: Any) -> Any:
    try:
        with database.reading(engine()) as conn:
            return conn.execute(statement).all()
    except SQLAlchemyError as exc:
        log.warning("statistiques illisibles : %s", exc)
        return default


def record_view(dataset_id: str) -> None:
    """Count one view of a dataset page (unknown-looking ids are ignored)."""
    if not _valid_id(dataset_id):
        return
    _write(lambda conn: _upsert(conn, _counts, {"dataset_id": dataset_id, "updated_at": _now()},
                                {"views": 1, "downloads": 0}, ["dataset_id"]))


def record_download(dataset_id: str, fmt: str) -> None:
    """Count one download of a dataset in a format (csv, parquet, geojson, xlsx…)."""
    if not _valid_id(dataset_id):
        return
    fmt = str(fmt or "inconnu").lower()[:20]

    def work(conn: Connection) -> None:
        _upsert(conn, _counts, {"dataset_id": dataset_id, "updated_at": _now()}, {"views": 0, "downloads": 1},
                ["dataset_id"])
        _upsert(conn, _formats, {"dataset_id": dataset_id, "fmt": fmt}, {"downloads": 1}, ["dataset_id", "fmt"])

    _write(work)


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
    row = {"at": _now(), "q": q, "filters": _canonical_filters(filters), "results": max(0, int(results))}
    _write(lambda conn: conn.execute(insert(_searches).values(**row)))


def popularity() -> dict[str, dict[str, int]]:
    """{dataset_id: {"views": n, "downloads": n}} for every dataset seen at least once."""
    c = _counts.c
    rows = _read(select(c.dataset_id, c.views, c.downloads), [])
    return {ds: {"views": int(v), "downloads": int(d)} for ds, v, d in rows}


def download_formats(dataset_id: str) -> dict[str, int]:
    """Downloads of one dataset per format."""
    c = _formats.c
    rows = _read(select(c.fmt, c.downloads).where(c.dataset_id == dataset_id), [])
    return {fmt: int(n) for fmt, n in rows}


def failed_searches(limit: int = 50) -> list[dict[str, Any]]:
    """Searches that found nothing, most frequent first: [{"q", "filters" (dict), "count", "last_at"}]."""
    limit = max(1, min(int(limit), 1_000))
    c = _searches.c
    n = func.count().label("n")
    last_at = func.max(c.at).label("last_at")
    statement = (select(func.min(c.q), c.filters, n, last_at).where(c.results == 0)
                 .group_by(func.lower(c.q), c.filters).order_by(n.desc(), last_at.desc()).limit(limit))
    out = []
    for q, filters, count, last in _read(statement, []):
        try:
            parsed = json.loads(filters)
        except ValueError:
            parsed = {}
        out.append({"q": q, "filters": parsed, "count": int(count), "last_at": last})
    return out


def search_count() -> int:
    """Number of searches logged (all results)."""
    rows = _read(select(func.count()).select_from(_searches), [(0,)])
    return int(rows[0][0])
