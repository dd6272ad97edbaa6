"""Limits and storage location of the reuse gallery, read from environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field

import config
from config import env_int, env_str


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
    max_pending: int = 200
    moderation_page_size: int = 20


def limits() -> ReuseLimits:
    """Limits from the environment: TERRITOIRE_REUSES_RATE_LIMIT, _RATE_WINDOW_S, _IMAGE_MAX_BYTES, _MAX_PENDING."""
    return ReuseLimits(
        rate_limit=env_int("TERRITOIRE_REUSES_RATE_LIMIT", 3),
        rate_window_s=env_int("TERRITOIRE_REUSES_RATE_WINDOW_S", 3_600),
        image_max_bytes=env_int("TERRITOIRE_REUSES_IMAGE_MAX_BYTES", 5 * 1024 * 1024),
        max_pending=max(1, env_int("TERRITOIRE_REUSES_MAX_PENDING", 200)),
    )


@dataclass(frozen=True)
class LoginLimits:
    """Throttling of the /admin login, counted in the database so it holds across tabs, reloads and instances.

    After `max_failures` failures from one address within `window_s`, each further attempt waits `delay_s`, doubled
    at every new failure, up to `max_delay_s`. Past `global_max_failures` failures from all addresses within
    `window_s`, every address waits until the oldest of them leaves the window.
    """

    min_secret_length: int = 16
    max_failures: int = 5
    delay_s: int = 30
    max_delay_s: int = 3_600
    global_max_failures: int = 100
    window_s: int = 3_600


def login_limits() -> LoginLimits:
    """TERRITOIRE_ADMIN_MAX_FAILURES, _LOGIN_DELAY_S, _GLOBAL_MAX_FAILURES, _FAILURE_WINDOW_S."""
    return LoginLimits(
        max_failures=max(1, env_int("TERRITOIRE_ADMIN_MAX_FAILURES", 5)),
        delay_s=max(1, env_int("TERRITOIRE_ADMIN_LOGIN_DELAY_S", 30)),
        global_max_failures=max(1, env_int("TERRITOIRE_ADMIN_GLOBAL_MAX_FAILURES", 100)),
        window_s=max(60, env_int("TERRITOIRE_ADMIN_FAILURE_WINDOW_S", 3_600)),
    )


@dataclass(frozen=True)
class ProxySettings:
    """Where the client address comes from: the socket, or a header set by trusted reverse proxies."""

    header: str = ""  # e.g. X-Forwarded-For, X-Real-IP; empty: the socket's address
    count: int = 1  # proxies in front of the app that append to the header: the address is that many from the right


def proxy_settings() -> ProxySettings:
    """TERRITOIRE_TRUSTED_PROXY_HEADER and TERRITOIRE_TRUSTED_PROXY_COUNT."""
    return ProxySettings(header=env_str("TERRITOIRE_TRUSTED_PROXY_HEADER"),
                         count=max(1, env_int("TERRITOIRE_TRUSTED_PROXY_COUNT", 1)))


def database_url() -> str:
    """The portal's shared database, which the usage statistics use too (config.database_url:
    TERRITOIRE_REUSES_DB_URL, e.g. postgresql+psycopg://..., or `<private_dir>/reuses.sqlite`)."""
    return config.database_url()


@dataclass(frozen=True)
class SmtpSettings:
    """Where moderators are told of a new submission by e-mail; `enabled` only with a host, a sender and a recipient."""

    host: str = ""
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    to: str = ""
    timeout_s: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender and self.to)


def smtp_settings() -> SmtpSettings:
    """TERRITOIRE_SMTP_HOST, _PORT (587; 465 means implicit TLS), _USER, _PASSWORD, _FROM, and
    TERRITOIRE_MODERATION_EMAIL (the moderators' address, several separated by commas)."""
    return SmtpSettings(host=env_str("TERRITOIRE_SMTP_HOST"), port=env_int("TERRITOIRE_SMTP_PORT", 587),
                        user=env_str("TERRITOIRE_SMTP_USER"), password=env_str("TERRITOIRE_SMTP_PASSWORD"),
                        sender=env_str("TERRITOIRE_SMTP_FROM"), to=env_str("TERRITOIRE_MODERATION_EMAIL"))
