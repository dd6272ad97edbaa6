"""Short permanent links: a dashboard saved in the portal's shared database (`config.database_url()`, the reuse
gallery's), under a random slug, with the dataset versions it was composed on (to say later that the data changed).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from catalogue import database
from config import database_url
from dashboards import codec
from dashboards.spec import MAX_TITLE, Dashboard, SpecError, parse, to_doc

SLUG_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: a slug may be read aloud or retyped
SLUG_LENGTH = 10  # 32^10 ≈ 10^15: not guessable, so an unlisted dashboard stays unlisted
SLUG_RE = rf"^[{SLUG_ALPHABET}]{{{SLUG_LENGTH}}}$"

metadata = MetaData()
dashboards = Table(
    "dashboards", metadata,
    Column("slug", String(SLUG_LENGTH), primary_key=True),
    Column("title", String(MAX_TITLE * 2), nullable=False, server_default=""),
    Column("spec", Text, nullable=False),
    Column("spec_version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False, index=True),
    Column("data_versions", Text, nullable=False, server_default="{}"),
)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


@dataclass(frozen=True)
class Saved:
    slug: str
    dashboard: Dashboard
    created_at: str
    data_versions: dict[str, str]


def engine() -> Engine:
    """The engine on the configured database, the table created on first use (one engine per URL)."""
    url = database_url()
    with _engines_lock:
        found = _engines.get(url)
        if found is None:
            found = database.open_engine(url)
            with database.writing(found) as conn:  # the write lock first: instances starting together queue
                metadata.create_all(conn, checkfirst=True)
            _engines[url] = found
        return found


def dispose_engines() -> None:
    with _engines_lock:
        for found in _engines.values():
            found.dispose()
        _engines.clear()


def new_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def save(dashboard: Dashboard, data_versions: dict[str, str]) -> str:
    """Store the dashboard under a new random slug and return it. The document is checked and size-capped as a
    link's would be (a short link is no way around the limits)."""
    doc = to_doc(dashboard)
    codec.encode(dashboard)  # raises SpecError past the link's size cap
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for _ in range(5):
        slug = new_slug()
        try:
            with database.writing(engine()) as conn:
                conn.execute(insert(dashboards).values(
                    slug=slug, title=dashboard.title, spec=text, spec_version=doc["version"], created_at=now,
                    data_versions=json.dumps(dict(sorted(data_versions.items())))))
            return slug
        except IntegrityError:  # the same slug drawn twice: draw again
            continue
    raise SpecError("enregistrement impossible pour le moment, réessayez")


def load(slug: str) -> Saved | None:
    """The saved dashboard (migrated to the current version if it was saved under an older one), or None."""
    if not re.fullmatch(SLUG_RE, slug or ""):
        return None
    with database.reading(engine()) as conn:
        row = conn.execute(select(dashboards).where(dashboards.c.slug == slug)).mappings().first()
    if row is None:
        return None
    try:
        versions = json.loads(row["data_versions"] or "{}")
    except ValueError:
        versions = {}
    return Saved(slug=row["slug"], dashboard=parse(codec.loads(row["spec"])), created_at=row["created_at"],
                 data_versions={str(k): str(v) for k, v in versions.items()})


def list_recent(limit: int = 50) -> list[tuple[str, str, str]]:
    """(slug, title, created_at) of the latest saved dashboards, newest first."""
    with database.reading(engine()) as conn:
        rows = conn.execute(select(dashboards.c.slug, dashboards.c.title, dashboards.c.created_at)
                            .order_by(dashboards.c.created_at.desc(), dashboards.c.slug).limit(limit)).all()
    return [(r.slug, r.title, r.created_at) for r in rows]
