"""Private work directories of the loaders under data_dir/tmp, and the cleaning of those left by killed loads."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from config import get_settings

WORK_PREFIXES = ("load-", "convert-", "inspect-")
WORK_LOCK = ".in-use"
STALE_WORK_S = 3600


@contextlib.contextmanager
def work_dir(prefix: str) -> Iterator[Path]:
    """A private directory under data_dir/tmp, removed on exit; flock-ed while in use so that
    `clean_stale_work_dirs` can tell a live load from the leftover of a killed one."""
    base = get_settings().data_dir / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    fd = os.open(path / WORK_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _in_use(path: Path) -> bool:
    try:
        fd = os.open(path / WORK_LOCK, os.O_RDWR)
    except OSError:
        return False  # no lock file: written by a loader that predates the lock, or half-created
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the lock if we took it
    return False


def clean_stale_work_dirs(max_age_s: float = STALE_WORK_S) -> list[Path]:
    """Remove work directories left by killed loaders (kill -9 skips every `finally`): older than `max_age_s`
    and not locked by a live process. Returns what was removed."""
    base = get_settings().data_dir / "tmp"
    if not base.is_dir():
        return []
    now = time.time()
    removed: list[Path] = []
    for d in base.iterdir():
        if not d.name.startswith(WORK_PREFIXES):
            continue
        try:
            if not d.is_dir() or now - d.stat().st_mtime < max_age_s:
                continue
        except OSError:
            continue  # removed meanwhile by another cleaner
        if not _in_use(d):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed
