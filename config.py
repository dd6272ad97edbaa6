"""Settings of the portal, read once from environment variables (and st.secrets for the admin secret)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


# Tunables of one part (HTTP client, reuse limits) are read at call time through these helpers, so that this
# module stays the only one that reads the environment while tests can still shorten a wait for one call.
def env_str(name: str, default: str = "") -> str:
    """A string setting from the environment (stripped; empty means the default)."""
    return _env(name, default)


def env_float(name: str, default: float) -> float:
    """A number setting from the environment; an unreadable value falls back to the default."""
    try:
        return float(_env(name, str(default)))
    except ValueError:
        return default


def env_int(name: str, default: int) -> int:
    try:
        return int(float(_env(name, str(default))))
    except ValueError:
        return default


def _admin_secret() -> str | None:
    """The moderation secret: environment first, then Streamlit secrets. Never stored in the repo."""
    secret = os.environ.get("TERRITOIRE_ADMIN_SECRET", "").strip()
    if secret:
        return secret
    try:
        import streamlit as st

        value = st.secrets.get("admin_secret")  # raises when no secrets file exists
    except Exception:  # noqa: BLE001 - no secrets.toml is a normal situation
        return None
    return str(value).strip() or None if value else None


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one deployment of the portal."""

    root: Path
    data_dir: Path
    catalogue_dir: Path
    territory_code: str
    territory_name: str
    portal_name: str
    public_base_url: str
    port: int
    admin_secret: str | None
    duckdb_memory_limit: str
    duckdb_threads: int
    query_timeout_s: float
    max_rows: int
    sql_timeout_s: float
    sql_memory_limit: str
    sql_max_rows: int
    keep_versions: int
    cache_ttl_s: int
    basemap_url: str | None

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def private_dir(self) -> Path:
        return self.data_dir / "private"

    @property
    def embedded_dir(self) -> Path:
        return self.root / "data"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings from the environment; tests call `get_settings.cache_clear()` after changing it."""
    data_dir = Path(_env("TERRITOIRE_DATA_DIR", str(ROOT / "var"))).resolve()
    return Settings(
        root=ROOT,
        data_dir=data_dir,
        catalogue_dir=Path(_env("TERRITOIRE_CATALOGUE_DIR", str(ROOT / "catalogue" / "datasets"))).resolve(),
        territory_code=_env("TERRITOIRE_CODE", "24"),
        territory_name=_env("TERRITOIRE_NAME", "Dordogne"),
        portal_name=_env("TERRITOIRE_PORTAL_NAME", "Territoire"),
        public_base_url=_env("TERRITOIRE_PUBLIC_URL", "http://127.0.0.1:8501").rstrip("/"),
        port=int(_env("TERRITOIRE_PORT", "8501")),
        admin_secret=_admin_secret(),
        duckdb_memory_limit=_env("TERRITOIRE_DUCKDB_MEMORY", "1GB"),
        duckdb_threads=int(_env("TERRITOIRE_DUCKDB_THREADS", "2")),
        query_timeout_s=float(_env("TERRITOIRE_QUERY_TIMEOUT", "10")),
        max_rows=int(_env("TERRITOIRE_MAX_ROWS", "10000")),
        sql_timeout_s=float(_env("TERRITOIRE_SQL_TIMEOUT", "5")),
        sql_memory_limit=_env("TERRITOIRE_SQL_MEMORY", "256MB"),
        sql_max_rows=int(_env("TERRITOIRE_SQL_MAX_ROWS", "5000")),
        keep_versions=int(_env("TERRITOIRE_KEEP_VERSIONS", "5")),
        cache_ttl_s=int(_env("TERRITOIRE_CACHE_TTL", "600")),
        basemap_url=os.environ.get("TERRITOIRE_BASEMAP_URL", "").strip() or None,
    )
