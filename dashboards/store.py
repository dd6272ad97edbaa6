"""Short permanent links: a dashboard saved in the portal's shared database (`config.database_url()`, the reuse
gallery's), under a random slug, with the dataset versions it was composed on (to say later that the data changed).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.exc import IntegrityError

from catalogue import database
from config import database_url
from dashboards import codec
from dashboards.spec import MAX_TITLE, VERSION, Dashboard, SpecError, parse, to_doc

SLUG_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: a slug may be read aloud or retyped
SLUG_LENGTH = 10  # 32^10 ≈ 10^15: not guessable, so an unlisted dashboard stays unlisted
SLUG_RE = rf"^[{SLUG_ALPHABET}]{{{SLUG_LENGTH}}}$"
# Saving needs no account, so one client address may save at most this many dashboards an hour: the shared
# database cannot be filled by a script (a long ?d= link needs no saving and has no limit).
SAVES_PER_HOUR = 20
SECTION = "/tableaux-de-bord"  # a saved dashboard's address is SECTION/<slug> (asgi redirects it to its page)
SCHEMA_PATH = f"{SECTION}/schema-v{VERSION}.json"  # the JSON Schema of a dashboard, served for programs

metadata = MetaData()
dashboards = Table(
    "dashboards", metadata,
    Column("slug", String(SLUG_LENGTH), primary_key=True),
    Column("title", String(MAX_TITLE * 2), nullable=False, server_default=""),
    Column("spec", Text, nullable=False),
    Column("spec_version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False, index=True),
    Column("data_versions", Text, nullable=False, server_default="{}"),
    Column("client_key", String(64), nullable=False, server_default="", index=True),  # sha-256 of the address
)

@dataclass(frozen=True)
class Saved:
    slug: str
    dashboard: Dashboard
    created_at: str
    data_versions: dict[str, str]


def _open(url: str) -> Engine:
    found = database.open_engine(url)
    with database.writing(found) as conn:  # the write lock first: instances starting together queue
        metadata.create_all(conn, checkfirst=True)
    return found


_engines = database.EnginePool(_open)


def engine() -> Engine:
    """The engine on the configured database, the table created on first use (one engine per URL)."""
    return _engines.get(database_url())


def dispose_engines() -> None:
    _engines.dispose()


def short_path(slug: str) -> str:
    return f"{SECTION}/{slug}"


def new_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


class SaveLimitError(SpecError):
    """This client address saved SAVES_PER_HOUR dashboards in the last hour."""


def save(dashboard: Dashboard, data_versions: dict[str, str], client: str = "") -> str:
    """Store the dashboard under a new random slug and return it. The document is checked and size-capped as a
    link's would be (a short link is no way around the limits); `client` (the visitor's address) is counted against
    SAVES_PER_HOUR, stored only as a hash."""
    doc = to_doc(dashboard)
    codec.encode(dashboard)  # raises SpecError past the link's size cap
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    moment = datetime.now(UTC)
    now, hour_ago = moment.isoformat(timespec="seconds"), (moment - timedelta(hours=1)).isoformat(timespec="seconds")
    client_key = hashlib.sha256(client.strip().lower().encode()).hexdigest() if client else ""
    for _ in range(5):
        slug = new_slug()
        try:
            with database.writing(engine()) as conn:  # count and insert under the write lock: no race past the cap
                if client_key:
                    recent = conn.execute(select(func.count()).select_from(dashboards).where(
                        dashboards.c.client_key == client_key, dashboards.c.created_at >= hour_ago)).scalar_one()
                    if recent >= SAVES_PER_HOUR:
                        raise SaveLimitError(
                            f"vous avez enregistré {SAVES_PER_HOUR} tableaux de bord dans l'heure : réessayez plus "
                            "tard, ou partagez le lien long, qui n'a pas besoin d'être enregistré")
                conn.execute(insert(dashboards).values(
                    slug=slug, title=dashboard.title, spec=text, spec_version=doc["version"], created_at=now,
                    data_versions=json.dumps(dict(sorted(data_versions.items()))), client_key=client_key))
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

