"""Refresh state of remote sources in `<data_dir>/private/sources_state.json` (atomic writes, file lock)."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import atomic
from config import get_settings
from loaders import settings as S

STATE_FILE = "sources_state.json"


class RefreshBusy(RuntimeError):
    """Another refresh holds the lock (cron overlap): this run does nothing."""


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def state_path() -> Path:
    return get_settings().private_dir / STATE_FILE


def downloads_dir() -> Path:
    """Temp downloads live next to the warehouse (same filesystem) and are swept at each refresh."""
    return get_settings().private_dir / "downloads"


@contextlib.contextmanager
def _file_lock(name: str, blocking: bool = True) -> Iterator[None]:
    private = get_settings().private_dir
    private.mkdir(parents=True, exist_ok=True)
    with open(private / name, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise RefreshBusy("Un rafraîchissement des sources est déjà en cours.") from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def refresh_lock() -> Iterator[None]:
    """Held for a whole refresh; the kernel releases it if the process is killed (kill -9 included)."""
    with _file_lock(".refresh.lock", blocking=False):
        yield


def load_state() -> dict[str, dict[str, Any]]:
    """Per-source state, keyed by dataset id; an unreadable file counts as empty (it is only a cache)."""
    path = state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sources = data.get("sources") if isinstance(data, dict) else None
    return sources if isinstance(sources, dict) else {}


def _write(sources: dict[str, dict[str, Any]]) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps({"updated_at": iso(now_utc()), "sources": sources}, ensure_ascii=False,
                                        indent=1, sort_keys=True))


def update_source(source_id: str, _compute: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                  **fields: Any) -> dict[str, Any]:
    """Merge `fields` (and `_compute(previous entry)`) into one source's state, read-modify-write under a lock."""
    with _file_lock(".sources_state.lock"):
        sources = load_state()
        entry = dict(sources.get(source_id) or {})
        entry.update(fields)
        if _compute is not None:
            entry.update(_compute(dict(sources.get(source_id) or {})))
        sources[source_id] = entry
        _write(sources)
        return entry


def next_refresh(frequency: str, *, failures: int = 0, retry_after: float | None = None,
                 at: datetime | None = None) -> datetime:
    """When to look again: the frequency's interval after a success, a growing backoff after failures."""
    at = at or now_utc()
    interval = S.FREQUENCY_INTERVALS.get(frequency, S.FREQUENCY_INTERVALS["unknown"])
    if failures <= 0:
        return at + interval
    backoff = min(S.FAILURE_RETRY_BASE * (2 ** (failures - 1)), S.FAILURE_RETRY_MAX, interval)
    if retry_after is not None:
        backoff = max(backoff, timedelta(seconds=retry_after))
    return at + backoff


def is_due(source_id: str, state: dict[str, dict[str, Any]] | None = None, at: datetime | None = None) -> bool:
    entry = (state if state is not None else load_state()).get(source_id) or {}
    due = parse_iso(entry.get("next_refresh"))
    return due is None or due <= (at or now_utc())


def record_success(source_id: str, *, kind: str, url: str, frequency: str, changed: bool, version: str | None,
                   message: str, **remote: Any) -> dict[str, Any]:
    """After a refresh that ended well (updated or unchanged): errors are cleared, the next check scheduled."""
    at = now_utc()
    fields: dict[str, Any] = {
        "kind": kind, "url": url, "last_checked": iso(at), "last_success": iso(at), "last_error": None,
        "last_error_at": None, "failures": 0, "next_refresh": iso(next_refresh(frequency, at=at)),
        "last_outcome": "updated" if changed else "unchanged", "message": message,
    }
    if changed:
        fields["last_changed"] = iso(at)
    if version:
        fields["version"] = version
    fields.update({k: v for k, v in remote.items()})
    return update_source(source_id, **fields)


def record_failure(source_id: str, *, kind: str, url: str, frequency: str, message: str,
                   retry_after: float | None = None) -> dict[str, Any]:
    """After a failed refresh: the last good version stays served; retry sooner than the normal interval."""
    at = now_utc()

    def backoff(previous: dict[str, Any]) -> dict[str, Any]:
        failures = int(previous.get("failures") or 0) + 1
        return {"failures": failures,
                "next_refresh": iso(next_refresh(frequency, failures=failures, retry_after=retry_after, at=at))}

    return update_source(source_id, backoff, kind=kind, url=url, last_checked=iso(at), last_error=message,
                         last_error_at=iso(at), last_outcome="failed")


def _display_url(kind: str, url: str, options: dict[str, Any]) -> str:
    if kind == "ods" and options.get("dataset_id"):
        return f"{url.rstrip('/')}/explore/dataset/{options['dataset_id']}/"
    return url


def sources_status() -> list[dict[str, Any]]:
    """One row per remote source for the admin page: id, title, kind, url, last success/error, next refresh.

    Pure read: the manifest (remote sources only) joined with the state file; never touches the network.
    """
    from catalogue.manifest import ManifestError, load_manifest

    state = load_state()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        specs = load_manifest(include_generated=True)
    except ManifestError:
        specs = []  # the admin page still shows what the state file knows
    for spec in specs:
        if spec.source.kind not in S.REMOTE_KINDS:
            continue
        seen.add(spec.id)
        entry = state.get(spec.id) or {}
        rows.append(_row(spec.id, spec.title, spec.source.kind,
                         _display_url(spec.source.kind, spec.source.url or "", spec.source.options),
                         spec.frequency, entry, in_manifest=True))
    for source_id, entry in sorted(state.items()):
        if source_id not in seen:
            rows.append(_row(source_id, source_id, str(entry.get("kind", "")), str(entry.get("url", "")),
                             "unknown", entry, in_manifest=False))
    return rows


def _row(source_id: str, title: str, kind: str, url: str, frequency: str, entry: dict[str, Any],
         in_manifest: bool) -> dict[str, Any]:
    if entry.get("last_outcome") == "failed":
        status = "failed"
    elif entry.get("last_success"):
        status = "ok"
    else:
        status = "never"
    return {
        "id": source_id, "title": title, "kind": kind, "url": url, "frequency": frequency, "status": status,
        "version": entry.get("version"), "last_success": entry.get("last_success"),
        "last_changed": entry.get("last_changed"), "last_checked": entry.get("last_checked"),
        "last_error": entry.get("last_error"), "last_error_at": entry.get("last_error_at"),
        "failures": int(entry.get("failures") or 0), "next_refresh": entry.get("next_refresh"),
        "warning": entry.get("warning"), "in_manifest": in_manifest,
    }
