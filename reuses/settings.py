"""Limits and storage location of the reuse gallery, read from environment variables."""

from __future__ import annotations

from dataclasses import dataclass

from config import env_int, env_str, get_settings


@dataclass(frozen=True)
class ReuseLimits:
    """Everything configurable about submissions (udata caps titles at 350 and descriptions at 100 000)."""

    title_min: int = 3
    title_max: int = 200
    description_min: int = 20
    description_max: int = 10_000
    author_max: int = 120
    email_max: int = 254
    url_max: int = 2_000
    reason_max: int = 2_000
    moderator_max: int = 80
    datasets_max: int = 20
    image_max_bytes: int = 5 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    thumbnail_px: int = 800
    rate_limit: int = 3
    rate_window_s: int = 3_600


def limits() -> ReuseLimits:
    """Limits from the environment: TERRITOIRE_REUSES_RATE_LIMIT, _RATE_WINDOW_S, _IMAGE_MAX_BYTES."""
    return ReuseLimits(
        rate_limit=env_int("TERRITOIRE_REUSES_RATE_LIMIT", 3),
        rate_window_s=env_int("TERRITOIRE_REUSES_RATE_WINDOW_S", 3_600),
        image_max_bytes=env_int("TERRITOIRE_REUSES_IMAGE_MAX_BYTES", 5 * 1024 * 1024),
    )


def database_url() -> str:
    """TERRITOIRE_REUSES_DB_URL (e.g. postgresql+psycopg://...) or `<private_dir>/reuses.sqlite`."""
    url = env_str("TERRITOIRE_REUSES_DB_URL")
    if url:
        return url
    return f"sqlite:///{get_settings().private_dir / 'reuses.sqlite'}"
