"""The warehouse's on-disk layout, and reading it: the one module that knows where versions, pointers and meta live.

```
<warehouse>/registry.json                          {"updated_at", "datasets": {id: {"version", "parquet", "meta", ...}}}
<warehouse>/<id>/current.json                      {"version": "<version>"}
<warehouse>/<id>/versions/<version>/data.parquet
<warehouse>/<id>/versions/<version>/meta.json
<warehouse>/<id>/versions/.tmp-<version>/          a version being written (never read)
```
Writers (`loaders.publish`) and readers (`queries`, `catalogue.build`) both go through the paths built here, so the
layout is spelt out once. Ids and versions are validated before they become paths (no traversal).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from config import get_settings

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
VERSION_RE = re.compile(r"^\d{8}T\d{12}Z$")
TMP_PREFIX = ".tmp-"
DATA_FILE = "data.parquet"
META_FILE = "meta.json"
REGISTRY_FILE = "registry.json"
CURRENT_FILE = "current.json"


def root() -> Path:
    return get_settings().warehouse_dir


def registry_path() -> Path:
    return root() / REGISTRY_FILE


def dataset_dir(dataset_id: str) -> Path:
    if not ID_RE.match(dataset_id):
        raise ValueError(f"invalid dataset id: {dataset_id!r}")
    return root() / dataset_id


def versions_dir(dataset_id: str) -> Path:
    return dataset_dir(dataset_id) / "versions"


def current_pointer(dataset_id: str) -> Path:
    return dataset_dir(dataset_id) / CURRENT_FILE


def version_dir(dataset_id: str, version: str) -> Path:
    """Where a version lives, derived from id and version only (the data directory can be moved or copied)."""
    if not VERSION_RE.match(version):
        raise ValueError(f"invalid version: {version!r}")
    return versions_dir(dataset_id) / version


def data_path(dataset_id: str, version: str) -> Path:
    return version_dir(dataset_id, version) / DATA_FILE


def meta_path(dataset_id: str, version: str) -> Path:
    return version_dir(dataset_id, version) / META_FILE


def relative_paths(dataset_id: str, version: str) -> dict[str, str]:
    """Registry paths of a version, relative to the warehouse directory (POSIX separators) so that a data
    directory can be moved or mounted elsewhere; `resolve()` turns them back into paths."""
    base = f"{dataset_id}/versions/{version}"
    return {"parquet": f"{base}/{DATA_FILE}", "meta": f"{base}/{META_FILE}"}


def resolve(registry_path_value: str) -> Path:
    """Absolute path of a registry `parquet`/`meta` entry (older registries stored absolute paths)."""
    path = Path(registry_path_value)
    return path if path.is_absolute() else root() / path


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_registry() -> dict[str, Any]:
    """`{"updated_at", "datasets": {id: {"version", "parquet", "meta", "rows", "loaded_at"}}}`; `parquet` and
    `meta` are relative to the warehouse directory (see `resolve`). Missing or unreadable: an empty registry."""
    data = _read_json(registry_path())
    if data is None:
        return {"updated_at": None, "datasets": {}}
    data.setdefault("datasets", {})
    return data


def current_version(dataset_id: str) -> str | None:
    data = _read_json(current_pointer(dataset_id)) if ID_RE.match(dataset_id) else None
    version = str((data or {}).get("version", ""))
    return version if VERSION_RE.match(version) else None


def read_meta(dataset_id: str, version: str) -> dict[str, Any] | None:
    """meta.json of one version; None when the id, the version or the file is not valid."""
    if not ID_RE.match(dataset_id) or not VERSION_RE.match(version):
        return None
    return _read_json(meta_path(dataset_id, version))


def current_meta(dataset_id: str) -> dict[str, Any] | None:
    """meta.json of the version currently served, or None when the dataset was never loaded."""
    version = current_version(dataset_id)
    return read_meta(dataset_id, version) if version else None


def list_versions(dataset_id: str) -> list[dict[str, Any]]:
    """Published versions, newest first: version, rows, loaded_at, sha256, current, changes (from each meta.json)."""
    if not ID_RE.match(dataset_id):
        return []
    vdir = versions_dir(dataset_id)
    if not vdir.exists():
        return []
    current = current_version(dataset_id)
    out: list[dict[str, Any]] = []
    for d in sorted((p for p in vdir.iterdir() if VERSION_RE.match(p.name)), key=lambda p: p.name, reverse=True):
        meta = read_meta(dataset_id, d.name) or {}
        out.append({"version": d.name, "rows": meta.get("rows"), "loaded_at": meta.get("loaded_at"),
                    "sha256": (meta.get("source") or {}).get("sha256"), "current": d.name == current,
                    "changes": meta.get("changes") or {}})
    return out
