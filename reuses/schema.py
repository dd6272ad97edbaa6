"""Tables of the reuse store and the ordered schema migrations recorded in `schema_version`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateTable

# Current shape of the tables, used to build queries. Migrations below create and alter them step by step;
# they never call metadata.create_all, so an old database is always brought forward by the same path.
metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String(40), nullable=False),
)

reuses = Table(
    "reuses", metadata,
    Column("id", String(80), primary_key=True),
    Column("title", String(400), nullable=False),
    Column("description", Text, nullable=False),
    Column("type", String(40), nullable=False),
    Column("topic", String(60), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("url_key", String(2000), nullable=False, unique=True),
    Column("image_url", String(2000), nullable=False, server_default=""),
    Column("author_name", String(200), nullable=False),
    Column("email", String(320), nullable=False, server_default=""),
    Column("permalink", String(2000), nullable=False, server_default=""),
    Column("status", String(20), nullable=False, index=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    # v2
    Column("published_at", String(40), nullable=True),
    Column("featured", Boolean, nullable=False, server_default=false()),
    Column("reject_reason", Text, nullable=False, server_default=""),
    Column("views", Integer, nullable=False, server_default=text("0")),
    # v3
    Column("image_data", LargeBinary, nullable=True),
    Column("image_mime", String(40), nullable=False, server_default=""),
    Column("submitter_key", String(64), nullable=False, server_default=""),
    # v5: SHA-256 of the submitter's private reference (reuses.store.new_reference), "" for reuses older than v5
    Column("reference_key", String(64), nullable=False, server_default=""),
    Index("ix_reuses_reference_key", "reference_key"),
)

reuse_datasets = Table(
    "reuse_datasets", metadata,
    Column("reuse_id", String(80), ForeignKey("reuses.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", String(120), primary_key=True),
    Index("ix_reuse_datasets_dataset", "dataset_id"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False, index=True),
    Column("moderator", String(120), nullable=False),
    Column("action", String(40), nullable=False),
    Column("reuse_id", String(80), nullable=False),
    Column("details", Text, nullable=False, server_default=""),
)

submission_events = Table(
    "submission_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False, index=True),
    Column("client_key", String(64), nullable=False, index=True),  # v4: was session_key (a per-tab token)
    Column("email_key", String(64), nullable=False, index=True),
)

# v4
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False, index=True),
    Column("client_key", String(64), nullable=False, index=True),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _create_all(conn: Connection, shape: MetaData) -> None:
    """Create the tables (and their indexes) of a migration's own snapshot of the schema."""
    for table in shape.sorted_tables:
        conn.execute(CreateTable(table))
        for index in table.indexes:
            conn.execute(CreateIndex(index))


def _add_columns(conn: Connection, table: Table, names: list[str]) -> None:
    for name in names:
        ddl = CreateColumn(table.c[name]).compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))


def _v1_initial(conn: Connection) -> None:
    """Reuses awaiting moderation or published, and the datasets they use (snapshot of version 1)."""
    shape = MetaData()
    Table(
        "reuses", shape,
        Column("id", String(80), primary_key=True),
        Column("title", String(400), nullable=False),
        Column("description", Text, nullable=False),
        Column("type", String(40), nullable=False),
        Column("topic", String(60), nullable=False),
        Column("url", String(2000), nullable=False),
        Column("url_key", String(2000), nullable=False, unique=True),
        Column("image_url", String(2000), nullable=False, server_default=""),
        Column("author_name", String(200), nullable=False),
        Column("email", String(320), nullable=False, server_default=""),
        Column("permalink", String(2000), nullable=False, server_default=""),
        Column("status", String(20), nullable=False, index=True),
        Column("created_at", String(40), nullable=False),
        Column("updated_at", String(40), nullable=False),
    )
    Table(
        "reuse_datasets", shape,
        Column("reuse_id", String(80), ForeignKey("reuses.id", ondelete="CASCADE"), primary_key=True),
        Column("dataset_id", String(120), primary_key=True),
        Index("ix_reuse_datasets_dataset", "dataset_id"),
    )
    _create_all(conn, shape)


def _v2_moderation(conn: Connection) -> None:
    """Moderation: publication date, featured flag, rejection reason, view counter, audit log."""
    _add_columns(conn, reuses, ["published_at", "featured", "reject_reason", "views"])
    conn.execute(reuses.update().where(reuses.c.status == "published").values(published_at=reuses.c.updated_at))
    shape = MetaData()
    Table(
        "audit_log", shape,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", String(40), nullable=False, index=True),
        Column("moderator", String(120), nullable=False),
        Column("action", String(40), nullable=False),
        Column("reuse_id", String(80), nullable=False),
        Column("details", Text, nullable=False, server_default=""),
    )
    _create_all(conn, shape)


def _v3_images_and_rate_limit(conn: Connection) -> None:
    """Uploaded thumbnails kept as BLOBs, and submission events for the per-session/per-email rate limit."""
    _add_columns(conn, reuses, ["image_data", "image_mime", "submitter_key"])
    shape = MetaData()
    Table(
        "submission_events", shape,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", String(40), nullable=False, index=True),
        Column("session_key", String(64), nullable=False, index=True),
        Column("email_key", String(64), nullable=False, index=True),
    )
    _create_all(conn, shape)


def _v4_client_keys_and_login_failures(conn: Connection) -> None:
    """Rate limits keyed on the client address (not a per-tab token, which a reload renews) and failed /admin
    logins counted in the database, so both hold across tabs, reloads and instances."""
    conn.execute(text("ALTER TABLE submission_events RENAME COLUMN session_key TO client_key"))
    shape = MetaData()
    Table(
        "login_failures", shape,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", String(40), nullable=False, index=True),
        Column("client_key", String(64), nullable=False, index=True),
    )
    _create_all(conn, shape)


def _v5_submitter_reference(conn: Connection) -> None:
    """The submitter's private reference, stored hashed, through which they follow their submission's status."""
    _add_columns(conn, reuses, ["reference_key"])
    conn.execute(CreateIndex(next(i for i in reuses.indexes if i.name == "ix_reuses_reference_key")))


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _v1_initial),
    (2, _v2_moderation),
    (3, _v3_images_and_rate_limit),
    (4, _v4_client_keys_and_login_failures),
    (5, _v5_submitter_reference),
]
LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, "schema_version"):
        return 0
    return int(conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one())


def migrate(conn: Connection, target: int | None = None) -> list[int]:
    """Apply, inside the caller's write transaction, every migration newer than the recorded version.

    The caller holds the database write lock (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so
    concurrent processes starting together apply each migration once. Returns the versions applied.
    """
    target = LATEST_VERSION if target is None else target
    if not conn.dialect.has_table(conn, "schema_version"):
        conn.execute(CreateTable(schema_version))
    done = current_version(conn)
    applied: list[int] = []
    for version, step in MIGRATIONS:
        if done < version <= target:
            step(conn)
            conn.execute(insert(schema_version).values(version=version, applied_at=_now()))
            applied.append(version)
    return applied
