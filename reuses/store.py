"""The only module that touches the reuse database: engine, transactions, queries and moderation actions."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from catalogue import database
from catalogue.folding import fold
from catalogue.vocab import REUSE_TYPES, TOPICS
from reuses import schema
from reuses.guard import login_wait_s
from reuses.sanitize import plain_text, url_key
from reuses.settings import database_url, limits, login_limits
from reuses.validation import ReuseDraft, ValidationError

STATUSES = {"pending": "En attente", "published": "Publiée", "rejected": "Rejetée"}
# What the submitter reads on the status view of their reference
SUBMITTER_STATUSES = {"pending": "En attente de modération", "published": "Publiée", "rejected": "Refusée"}
SORTS = {"recent": "Plus récentes", "popular": "Plus consultées", "title": "Titre (A → Z)"}
BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 7_240_001  # pg_advisory_xact_lock key: one migrating process at a time



class NotFound(LookupError):
    """No reuse with this id."""


class RateLimited(RuntimeError):
    """Too many submissions from this client address or e-mail address in the configured window."""


class QueueFull(RuntimeError):
    """The moderation queue holds the configured maximum of pending submissions."""


@dataclass(frozen=True)
class Reuse:
    """One reuse as read from the store. `email` is only filled for moderators (include_private=True)."""

    id: str
    title: str
    description: str
    type: str
    topic: str
    url: str
    image_url: str
    has_image: bool
    author_name: str
    permalink: str
    status: str
    featured: bool
    views: int
    created_at: str
    updated_at: str
    published_at: str | None
    reject_reason: str
    datasets: tuple[str, ...] = ()
    email: str = field(default="", repr=False)

    @property
    def type_label(self) -> str:
        return REUSE_TYPES.get(self.type, self.type)

    @property
    def topic_label(self) -> str:
        return TOPICS.get(self.topic, self.topic)

    @property
    def date(self) -> str:
        """Publication date (or submission date while pending), ISO."""
        return self.published_at or self.created_at


# ---------------------------------------------------------------------------------------------- engine


def create_engine_for(url: str) -> Engine:
    """A new engine on `url`, its schema migrated to the latest version (tests use it to simulate restarts)."""
    engine = database.open_engine(url, busy_timeout_ms=BUSY_TIMEOUT_MS)
    migrate(engine)
    return engine


def migrate(engine: Engine, target: int | None = None) -> list[int]:
    """Bring the schema up to `target` (default: latest) under the database write lock."""
    with _write(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        return schema.migrate(conn, target)


_engines = database.EnginePool(create_engine_for)


def get_engine() -> Engine:
    """The process-wide engine for the configured database (one per URL: tests change the data dir)."""
    return _engines.get(database_url())


def dispose_engines() -> None:
    """Close every pooled connection (tests; a worker about to fork)."""
    _engines.dispose()


@contextmanager
def _write(engine: Engine | None = None) -> Iterator[Connection]:
    """A write transaction: everything inside commits together or not at all."""
    with database.writing(engine or get_engine()) as conn:
        yield conn


@contextmanager
def _read(engine: Engine | None = None) -> Iterator[Connection]:
    with database.reading(engine or get_engine()) as conn:
        yield conn


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _hash(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


_REFERENCE_RE = re.compile(r"^[A-Z2-7]{16}$")


def new_reference() -> str:
    """The submitter's private reference: 80 random bits in base32, grouped by four (ABCD-EFGH-IJKL-MNOP), easy to
    copy or read over the phone. Only its hash is stored: whoever holds it, and only they, can see the status."""
    code = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return "-".join(code[i:i + 4] for i in range(0, 16, 4))


def reference_key(reference: str) -> str | None:
    """The stored form of a reference (as typed: case, spaces and dashes do not matter), None when malformed."""
    code = re.sub(r"[\s\-]", "", str(reference or "")[:64]).upper()
    if not _REFERENCE_RE.match(code):
        return None
    return hashlib.sha256(("territoire-reuse-reference:" + code).encode("ascii")).hexdigest()


def new_id(title: str) -> str:
    """A readable, unguessable id: slug of the title + 8 random hex digits."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:50].strip("-") or "reutilisation"
    return f"{slug}-{secrets.token_hex(4)}"


# ---------------------------------------------------------------------------------------------- reading

_T = schema.reuses
_PUBLIC_COLUMNS = [c for c in _T.c if c.name not in ("image_data", "email", "submitter_key", "reference_key")]


def _rows_to_reuses(conn: Connection, rows: Sequence[Any], include_private: bool = False) -> list[Reuse]:
    ids = [r.id for r in rows]
    links: dict[str, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        q = (select(schema.reuse_datasets.c.reuse_id, schema.reuse_datasets.c.dataset_id)
             .where(schema.reuse_datasets.c.reuse_id.in_(chunk))
             .order_by(schema.reuse_datasets.c.reuse_id, schema.reuse_datasets.c.dataset_id))
        for rid, did in conn.execute(q):
            links[rid].append(did)
    out = []
    for r in rows:
        m = r._mapping
        out.append(Reuse(
            id=m["id"], title=m["title"], description=m["description"], type=m["type"], topic=m["topic"],
            url=m["url"], image_url=m["image_url"] or "", has_image=bool(m["has_image"]),
            author_name=m["author_name"], permalink=m["permalink"] or "", status=m["status"],
            featured=bool(m["featured"]), views=int(m["views"] or 0), created_at=m["created_at"],
            updated_at=m["updated_at"], published_at=m["published_at"], reject_reason=m["reject_reason"] or "",
            datasets=tuple(links[m["id"]]), email=m["email"] if include_private else "",
        ))
    return out


def _select(include_private: bool = False) -> Any:
    cols = [*_PUBLIC_COLUMNS, (_T.c.image_data.is_not(None)).label("has_image")]
    if include_private:
        cols.append(_T.c.email)
    return select(*cols)


def _matches(reuse: Reuse, terms: list[str]) -> bool:
    haystack = fold(" ".join([reuse.title, reuse.description, reuse.author_name, reuse.type_label,
                               reuse.topic_label, *reuse.datasets]))
    return all(t in haystack for t in terms)


def list_published(dataset_id: str | None = None, *, type: str | None = None, topic: str | None = None,
                   q: str | None = None, sort: str = "recent", featured: bool | None = None,
                   limit: int | None = None) -> list[Reuse]:
    """Published reuses, filtered (dataset, udata type and topic slugs, featured, free-text search) and sorted
    (`recent`, `popular` = views, `title`). Never returns e-mails or pending/rejected reuses."""
    query = _select().where(_T.c.status == "published")
    if dataset_id:
        query = query.where(_T.c.id.in_(select(schema.reuse_datasets.c.reuse_id)
                                        .where(schema.reuse_datasets.c.dataset_id == dataset_id)))
    if type:
        query = query.where(_T.c.type == type)
    if topic:
        query = query.where(_T.c.topic == topic)
    if featured is not None:
        query = query.where(_T.c.featured == bool(featured))
    if sort == "popular":
        query = query.order_by(_T.c.views.desc(), _T.c.published_at.desc(), _T.c.id)
    elif sort == "title":
        query = query.order_by(func.lower(_T.c.title), _T.c.id)
    else:
        query = query.order_by(_T.c.published_at.desc(), _T.c.id)
    terms = fold(q or "").split()
    if limit is not None and not terms:
        query = query.limit(limit)
    with _read() as conn:
        found = _rows_to_reuses(conn, conn.execute(query).all())
    if terms:
        found = [r for r in found if _matches(r, terms)]
    return found[:limit] if limit is not None else found


def list_latest(n: int = 3, type: str | None = None) -> list[Reuse]:
    """The `n` reuses (of one type, if given) for the home page: featured ones first, then the most recently
    published."""
    featured = list_published(type=type, featured=True, limit=n)
    if len(featured) >= n:
        return featured
    ids = {r.id for r in featured}
    others = [r for r in list_published(type=type, limit=n + len(featured)) if r.id not in ids]
    return (featured + others)[:n]


def get(reuse_id: str, include_private: bool = False) -> Reuse | None:
    """Any reuse by id, whatever its status (moderation); None when unknown."""
    with _read() as conn:
        rows = conn.execute(_select(include_private).where(_T.c.id == str(reuse_id)[:80])).all()
        found = _rows_to_reuses(conn, rows, include_private)
    return found[0] if found else None


def get_published(reuse_id: str) -> Reuse | None:
    """A published reuse by id, or None (unknown, pending or rejected look the same to the public)."""
    reuse = get(reuse_id)
    return reuse if reuse is not None and reuse.status == "published" else None


def get_by_reference(reference: str) -> Reuse | None:
    """The reuse this private reference was given for, whatever its status; None for an unknown or malformed one."""
    key = reference_key(reference)
    if key is None:
        return None
    with _read() as conn:
        rows = conn.execute(_select().where(_T.c.reference_key == key)).all()
        found = _rows_to_reuses(conn, rows)
    return found[0] if found else None


def get_image(reuse_id: str) -> tuple[bytes, str] | None:
    """The stored thumbnail (bytes, mime) of a reuse, if it has one."""
    with _read() as conn:
        row = conn.execute(select(_T.c.image_data, _T.c.image_mime).where(_T.c.id == reuse_id)).first()
    if row is None or row.image_data is None:
        return None
    return bytes(row.image_data), row.image_mime or "image/webp"


def images_to_copy() -> list[tuple[str, str]]:
    """(id, image_url) of reuses whose external image was never copied (recorded before images were fetched)."""
    with _read() as conn:
        rows = conn.execute(select(_T.c.id, _T.c.image_url).where(_T.c.image_url != "", _T.c.image_data.is_(None))
                            .order_by(_T.c.id)).all()
    return [(r.id, r.image_url) for r in rows]


def set_image(reuse_id: str, data: bytes, mime: str) -> None:
    """Store a copied thumbnail for a reuse (the `fetch-images` command)."""
    with _write() as conn:
        _require(conn, reuse_id)
        conn.execute(update(_T).where(_T.c.id == reuse_id).values(image_data=data, image_mime=mime, updated_at=_now()))


def list_by_status(status: str, *, offset: int = 0, limit: int | None = None) -> list[Reuse]:
    """Reuses of one status for moderators (with e-mail), oldest first for the pending queue; one page of them
    when `limit` is given (the queue can hold thousands: the page never loads them all)."""
    order = _T.c.created_at.asc() if status == "pending" else _T.c.updated_at.desc()
    query = _select(True).where(_T.c.status == status).order_by(order, _T.c.id).offset(max(0, offset))
    if limit is not None:
        query = query.limit(max(0, limit))
    with _read() as conn:
        rows = conn.execute(query).all()
        return _rows_to_reuses(conn, rows, True)


def counts_by_status() -> dict[str, int]:
    with _read() as conn:
        rows = conn.execute(select(_T.c.status, func.count()).group_by(_T.c.status)).all()
    return {s: 0 for s in STATUSES} | {s: int(n) for s, n in rows}


def audit_entries(limit: int = 200) -> list[dict[str, Any]]:
    """The latest moderation actions, newest first."""
    a = schema.audit_log
    with _read() as conn:
        rows = conn.execute(select(a.c.at, a.c.moderator, a.c.action, a.c.reuse_id, a.c.details)
                            .order_by(a.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


# ---------------------------------------------------------------------------------------------- writing


def submission_count(conn: Connection, client_key: str, email: str, since: str) -> tuple[int, int]:
    """(submissions from this client address, submissions with this e-mail) since the ISO instant `since`."""
    ev = schema.submission_events
    by_client = conn.execute(select(func.count()).where(ev.c.at >= since, ev.c.client_key == _hash(client_key)))
    by_email = conn.execute(select(func.count()).where(ev.c.at >= since, ev.c.email_key == _hash(email)))
    return int(by_client.scalar_one()), int(by_email.scalar_one())


def _check_submission(conn: Connection, client_key: str, email: str, moment: datetime) -> None:
    """Raise RateLimited or QueueFull when this submission must be refused (read-only, cheap)."""
    lim = limits()
    since = (moment - timedelta(seconds=lim.rate_window_s)).isoformat(timespec="microseconds")
    by_client, by_email = submission_count(conn, client_key, email, since)
    if by_client >= lim.rate_limit or by_email >= lim.rate_limit:
        minutes = max(1, lim.rate_window_s // 60)
        raise RateLimited(f"Trop de propositions depuis cette connexion ou avec ce courriel : {lim.rate_limit} au "
                          f"plus en {minutes} minutes. Merci de réessayer plus tard.")
    pending = conn.execute(select(func.count()).where(_T.c.status == "pending")).scalar_one()
    if int(pending) >= lim.max_pending:
        raise QueueFull("La file de modération est pleine : l'équipe du portail relit les propositions déjà "
                        "reçues. Merci de réessayer dans quelques jours.")


def check_submission(client_key: str, email: str, now: datetime | None = None) -> None:
    """The rate limit (per client address and per e-mail) and the pending cap, checked before any costly work
    (decoding an image, fetching one). `submit` checks them again inside its write transaction."""
    with _read() as conn:
        _check_submission(conn, client_key, email, now or datetime.now(UTC))


def _insert_links(conn: Connection, reuse_id: str, datasets: Sequence[str]) -> None:
    if datasets:
        conn.execute(insert(schema.reuse_datasets), [{"reuse_id": reuse_id, "dataset_id": d} for d in datasets])


def submit(draft: ReuseDraft, client_key: str, now: datetime | None = None, *, reference: str = "") -> str:
    """Store a validated submission as *pending*, in one transaction with its datasets and rate-limit event.

    `reference` (see `new_reference`) is stored hashed: its holder follows the submission with `get_by_reference`.

    `client_key` is the client's address (`reuses.guard.client_address`). Raises RateLimited when that address
    or the e-mail already sent `rate_limit` submissions in the window, QueueFull when `max_pending` reuses await
    moderation, ValidationError (field `url`) when a reuse with the same URL exists. Returns the new id.
    """
    moment = now or datetime.now(UTC)
    stamp = moment.isoformat(timespec="microseconds")
    key = url_key(draft.url)
    reuse_id = new_id(draft.title)
    ref_key = reference_key(reference) if reference else ""
    if ref_key is None:
        raise ValueError("malformed submitter reference")
    try:
        with _write() as conn:
            _check_submission(conn, client_key, draft.email, moment)
            if conn.execute(select(_T.c.id).where(_T.c.url_key == key)).first() is not None:
                raise ValidationError({"url": "Cette réutilisation a déjà été proposée (même adresse)."})
            conn.execute(insert(_T).values(
                id=reuse_id, title=draft.title, description=draft.description, type=draft.type, topic=draft.topic,
                url=draft.url, url_key=key, image_url=draft.image_url, author_name=draft.author_name,
                email=draft.email, permalink=draft.permalink, status="pending", created_at=stamp, updated_at=stamp,
                published_at=None, featured=False, reject_reason="", views=0, image_data=draft.image_data,
                image_mime=draft.image_mime, submitter_key=_hash(client_key), reference_key=ref_key,
            ))
            _insert_links(conn, reuse_id, draft.datasets)
            conn.execute(insert(schema.submission_events).values(
                at=stamp, client_key=_hash(client_key), email_key=_hash(draft.email)))
    except IntegrityError as exc:  # a concurrent submission with the same URL won the race
        if "url_key" in str(exc.orig) or "unique" in str(exc.orig).lower():
            raise ValidationError({"url": "Cette réutilisation a déjà été proposée (même adresse)."}) from None
        raise
    return reuse_id


def record_view(reuse_id: str) -> None:
    """Count one view of a published reuse (the page calls it once per session and reuse)."""
    with _write() as conn:
        conn.execute(update(_T).where(_T.c.id == reuse_id, _T.c.status == "published")
                     .values(views=_T.c.views + 1))


def _moderator(name: str) -> str:
    who = plain_text(name)[: limits().moderator_max]
    if not who:
        raise ValidationError({"moderator": "Indiquez votre nom de modérateur ou modératrice."})
    return who


def _log(conn: Connection, moderator: str, action: str, reuse_id: str, details: str = "") -> None:
    conn.execute(insert(schema.audit_log).values(at=_now(), moderator=moderator, action=action,
                                                 reuse_id=reuse_id, details=details[:4000]))


def _require(conn: Connection, reuse_id: str) -> Any:
    row = conn.execute(select(_T.c.id, _T.c.status, _T.c.title).where(_T.c.id == reuse_id)).first()
    if row is None:
        raise NotFound(f"Réutilisation « {reuse_id} » introuvable.")
    return row


def publish(reuse_id: str, moderator: str) -> None:
    who = _moderator(moderator)
    with _write() as conn:
        row = _require(conn, reuse_id)
        stamp = _now()
        conn.execute(update(_T).where(_T.c.id == reuse_id).values(
            status="published", updated_at=stamp, reject_reason="",
            published_at=func.coalesce(_T.c.published_at, stamp)))
        _log(conn, who, "publish", reuse_id, f"{row.status} → published")


def reject(reuse_id: str, moderator: str, reason: str) -> None:
    who = _moderator(moderator)
    why = plain_text(reason)[: limits().reason_max]
    if not why:
        raise ValidationError({"reason": "Indiquez le motif du rejet."})
    with _write() as conn:
        row = _require(conn, reuse_id)
        conn.execute(update(_T).where(_T.c.id == reuse_id).values(status="rejected", updated_at=_now(),
                                                                   reject_reason=why, featured=False))
        _log(conn, who, "reject", reuse_id, f"{row.status} → rejected : {why}")


def set_featured(reuse_id: str, moderator: str, featured: bool) -> None:
    who = _moderator(moderator)
    with _write() as conn:
        _require(conn, reuse_id)
        conn.execute(update(_T).where(_T.c.id == reuse_id).values(featured=bool(featured), updated_at=_now()))
        _log(conn, who, "feature" if featured else "unfeature", reuse_id)


def edit(reuse_id: str, moderator: str, draft: ReuseDraft, *, remove_image: bool = False) -> None:
    """Replace the editable fields (not the e-mail, status or counters) and the datasets used."""
    who = _moderator(moderator)
    key = url_key(draft.url)
    try:
        with _write() as conn:
            _require(conn, reuse_id)
            clash = conn.execute(select(_T.c.id).where(_T.c.url_key == key, _T.c.id != reuse_id)).first()
            if clash is not None:
                raise ValidationError({"url": f"Une autre réutilisation ({clash.id}) a déjà cette adresse."})
            before = conn.execute(select(_T).where(_T.c.id == reuse_id)).one()._mapping
            values: dict[str, Any] = dict(title=draft.title, description=draft.description, type=draft.type,
                                          topic=draft.topic, url=draft.url, url_key=key, image_url=draft.image_url,
                                          author_name=draft.author_name, permalink=draft.permalink)
            if draft.image_data is not None:
                # an upload comes with image_url "" (validate); a fetched image keeps its address as a record
                values.update(image_data=draft.image_data, image_mime=draft.image_mime)
            elif remove_image:
                values.update(image_data=None, image_mime="")
            changed = sorted(k for k, v in values.items() if k != "url_key" and before[k] != v)
            conn.execute(update(_T).where(_T.c.id == reuse_id).values(updated_at=_now(), **values))
            old_links = {r.dataset_id for r in conn.execute(select(schema.reuse_datasets.c.dataset_id)
                                                            .where(schema.reuse_datasets.c.reuse_id == reuse_id))}
            if old_links != set(draft.datasets):
                changed.append("datasets")
                conn.execute(delete(schema.reuse_datasets).where(schema.reuse_datasets.c.reuse_id == reuse_id))
                _insert_links(conn, reuse_id, draft.datasets)
            _log(conn, who, "edit", reuse_id, "champs modifiés : " + (", ".join(changed) or "aucun"))
    except IntegrityError:
        raise ValidationError({"url": "Une autre réutilisation a déjà cette adresse."}) from None


def delete_reuse(reuse_id: str, moderator: str) -> None:
    who = _moderator(moderator)
    with _write() as conn:
        row = _require(conn, reuse_id)
        conn.execute(delete(schema.reuse_datasets).where(schema.reuse_datasets.c.reuse_id == reuse_id))
        conn.execute(delete(_T).where(_T.c.id == reuse_id))
        _log(conn, who, "delete", reuse_id, f"« {row.title} » ({row.status}) supprimée")


# ---------------------------------------------------------------------------------------------- admin login

LOGIN_FAILED = "login_failed"


def login_wait(client: str, now: datetime | None = None) -> int:
    """Seconds this client address must wait before its next /admin login attempt (0: it may try now)."""
    lim = login_limits()
    moment = now or datetime.now(UTC)
    since = (moment - timedelta(seconds=lim.window_s)).isoformat(timespec="microseconds")
    f = schema.login_failures
    with _read() as conn:
        mine = conn.execute(select(f.c.at).where(f.c.at >= since, f.c.client_key == _hash(client))
                            .order_by(f.c.at.desc()).limit(lim.max_failures + 32)).scalars().all()
        everyone = conn.execute(select(f.c.at).where(f.c.at >= since).order_by(f.c.at.desc())
                                .limit(lim.global_max_failures)).scalars().all()
    return login_wait_s([datetime.fromisoformat(t) for t in mine], [datetime.fromisoformat(t) for t in everyone],
                        moment, lim)


def record_login_failure(client: str, now: datetime | None = None) -> None:
    """Count one failed /admin login from this address and write it to the audit log, in one transaction.
    Failures older than the window are deleted here, so the table stays small."""
    lim = login_limits()
    moment = now or datetime.now(UTC)
    stamp = moment.isoformat(timespec="microseconds")
    f = schema.login_failures
    with _write() as conn:
        old = (moment - timedelta(seconds=lim.window_s)).isoformat(timespec="microseconds")
        conn.execute(delete(f).where(f.c.at < old))
        conn.execute(insert(f).values(at=stamp, client_key=_hash(client)))
        conn.execute(insert(schema.audit_log).values(at=stamp, moderator="—", action=LOGIN_FAILED, reuse_id="",
                                                     details=f"adresse {client[:64]}"))


def clear_login_failures(client: str) -> None:
    """A successful login from this address forgets its failures (the global count keeps them)."""
    f = schema.login_failures
    with _write() as conn:
        conn.execute(update(f).where(f.c.client_key == _hash(client)).values(client_key=""))


# ---------------------------------------------------------------------------------------------- backup

BACKUP_FORMAT = "territoire-reuses-backup"


def export_backup() -> dict[str, Any]:
    """Every table as plain JSON-able data (images base64): the private backup, e-mails included."""
    import base64

    with _read() as conn:
        version = schema.current_version(conn)
        out: dict[str, Any] = {"format": BACKUP_FORMAT, "schema_version": version, "exported_at": _now()}
        for table in (schema.reuses, schema.reuse_datasets, schema.audit_log, schema.submission_events):
            rows = []
            for r in conn.execute(select(table).order_by(*table.primary_key.columns)):
                row = dict(r._mapping)
                if table is schema.reuses:
                    data = row.pop("image_data")
                    row["image_data_b64"] = base64.b64encode(bytes(data)).decode("ascii") if data is not None else None
                    row["featured"] = bool(row["featured"])
                rows.append(row)
            out[table.name] = rows
    return out


def import_backup(data: dict[str, Any], *, replace: bool = False) -> dict[str, int]:
    """Load a backup made by `export_backup` in one transaction. With `replace`, existing rows are deleted
    first; otherwise reuses whose id already exists are skipped. Returns the number of rows added per table."""
    import base64

    if data.get("format") != BACKUP_FORMAT:
        raise ValueError("Ce fichier n'est pas une sauvegarde des réutilisations Territoire.")
    if int(data.get("schema_version", 0)) > schema.LATEST_VERSION:
        raise ValueError("Sauvegarde faite par une version plus récente du portail : mettez le code à jour.")
    added = {"reuses": 0, "reuse_datasets": 0, "audit_log": 0, "submission_events": 0}
    with _write() as conn:
        if replace:
            for table in (schema.reuse_datasets, schema.reuses, schema.audit_log, schema.submission_events):
                conn.execute(delete(table))
        existing = {r.id for r in conn.execute(select(_T.c.id))}
        existing_keys = {r.url_key for r in conn.execute(select(_T.c.url_key))}
        fresh: set[str] = set()
        for row in data.get("reuses", []):
            if row["id"] in existing or row.get("url_key", url_key(row["url"])) in existing_keys:
                continue
            values = {c.name: row[c.name] for c in _T.c if c.name in row and c.name != "image_data"}
            values.setdefault("url_key", url_key(row["url"]))
            b64 = row.get("image_data_b64")
            values["image_data"] = base64.b64decode(b64) if b64 else None
            conn.execute(insert(_T).values(**values))
            existing_keys.add(values["url_key"])
            fresh.add(row["id"])
            added["reuses"] += 1
        links = [r for r in data.get("reuse_datasets", []) if r["reuse_id"] in fresh]
        if links:
            conn.execute(insert(schema.reuse_datasets), links)
            added["reuse_datasets"] = len(links)
        for name in ("audit_log", "submission_events"):
            table = schema.metadata.tables[name]
            renamed = {"session_key": "client_key"}  # backups made before schema version 4
            rows = [{renamed.get(k, k): v for k, v in r.items() if k != "id" or replace} for r in data.get(name, [])]
            if not replace:  # merge: keep only entries that are not already there
                known = {tuple(r) for r in conn.execute(select(*[c for c in table.c if c.name != "id"]))}
                rows = [r for r in rows if tuple(r[c.name] for c in table.c if c.name != "id") not in known]
            if rows:
                conn.execute(insert(table), rows)
                added[name] = len(rows)
    return added


__all__ = [
    "LOGIN_FAILED", "NotFound", "QueueFull", "RateLimited", "Reuse", "SORTS", "STATUSES", "SUBMITTER_STATUSES",
    "audit_entries", "get_by_reference", "new_reference", "reference_key",
    "check_submission", "clear_login_failures", "counts_by_status", "create_engine_for", "delete_reuse",
    "dispose_engines", "edit", "export_backup", "get", "get_engine", "get_image", "get_published", "import_backup",
    "images_to_copy", "list_by_status", "list_latest", "list_published", "login_wait", "migrate", "publish",
    "record_login_failure", "record_view", "reject", "set_featured", "set_image", "submit",
]
