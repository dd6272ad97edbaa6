"""Atomic, versioned publishing into the warehouse: temp dir + fsync + rename, then os.replace of the pointers."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import atomic
import warehouse
from config import get_settings
from loaders import LoadError
from warehouse import TMP_PREFIX, VERSION_RE, current_version, dataset_dir, list_versions, read_meta

VERSION_FMT = "%Y%m%dT%H%M%S%fZ"


def new_version(dataset_id: str) -> str:
    """`YYYYmmddTHHMMSSffffffZ` in UTC, strictly after every existing version of the dataset."""
    now = datetime.now(UTC)
    existing = [v["version"] for v in list_versions(dataset_id)]
    if existing:
        last = datetime.strptime(max(existing), VERSION_FMT).replace(tzinfo=UTC)
        now = max(now, last + timedelta(microseconds=1))
    return now.strftime(VERSION_FMT)


@contextlib.contextmanager
def dataset_lock(dataset_id: str) -> Iterator[None]:
    """Exclusive per-dataset lock (fcntl): two loaders never publish the same dataset at once."""
    ddir = dataset_dir(dataset_id)
    ddir.mkdir(parents=True, exist_ok=True)
    with _flock(ddir / ".lock"):
        yield


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    """Readers of the pointers and metadata see the old or the new content, never half."""
    atomic.write_text(path, json.dumps(data, ensure_ascii=False, indent=1))


def begin_version(dataset_id: str, version: str) -> Path:
    """A fresh temporary version directory (call with the dataset lock held); stale ones are removed first."""
    vdir = warehouse.versions_dir(dataset_id)
    vdir.mkdir(parents=True, exist_ok=True)
    for stale in vdir.glob(TMP_PREFIX + "*"):
        # only a killed or crashed loader leaves one behind: the lock guarantees nobody is writing it
        shutil.rmtree(stale, ignore_errors=True)
    tmp = vdir / f"{TMP_PREFIX}{version}"
    tmp.mkdir()
    return tmp


def abort_version(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


def commit_version(dataset_id: str, version: str, tmp: Path, meta: dict[str, Any]) -> Path:
    """Write meta.json, fsync everything, rename the directory, then point current.json and the registry at it."""
    write_json_atomic(tmp / warehouse.META_FILE, meta)
    for f in tmp.iterdir():
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    atomic.fsync_dir(tmp)
    final = tmp.parent / version
    os.rename(tmp, final)
    atomic.fsync_dir(tmp.parent)
    _set_current(dataset_id, version)
    prune(dataset_id)
    return final


def _set_current(dataset_id: str, version: str) -> None:
    write_json_atomic(warehouse.current_pointer(dataset_id), {"version": version})
    meta = json.loads(warehouse.meta_path(dataset_id, version).read_text(encoding="utf-8"))
    with _flock(warehouse.root() / ".registry.lock"):
        reg = warehouse.read_registry()
        datasets = reg.setdefault("datasets", {})
        datasets[dataset_id] = {"version": version, **warehouse.relative_paths(dataset_id, version),
                                "rows": meta.get("rows"), "loaded_at": meta.get("loaded_at")}
        for ds_id, entry in datasets.items():  # entries written by older loaders held absolute paths
            if isinstance(entry, dict) and entry.get("version"):
                entry.update(warehouse.relative_paths(ds_id, str(entry["version"])))
        reg["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_json_atomic(warehouse.registry_path(), reg)


def prune(dataset_id: str) -> list[str]:
    """Delete versions beyond `settings.keep_versions` (newest kept); the current one is never deleted."""
    keep = max(1, get_settings().keep_versions)
    current = current_version(dataset_id)
    removed: list[str] = []
    for v in list_versions(dataset_id)[keep:]:
        if v["version"] != current:
            shutil.rmtree(warehouse.version_dir(dataset_id, v["version"]), ignore_errors=True)
            removed.append(v["version"])
    return removed


def restore(dataset_id: str, version: str) -> dict[str, Any]:
    """Serve an older (kept) version again; returns its meta. Raises LoadError when it does not exist."""
    with dataset_lock(dataset_id):
        meta = read_meta(dataset_id, version) if VERSION_RE.match(version) else None
        if meta is None:
            known = ", ".join(v["version"] for v in list_versions(dataset_id)) or "aucune"
            raise LoadError(f"Version « {version} » introuvable pour « {dataset_id} » (versions : {known}).")
        _set_current(dataset_id, version)
        return meta
