"""Constants and environment-tunable settings of the HTTP client and the remote-source harvesters."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from config import ROOT, env_float, env_int, env_str, get_settings

USER_AGENT_NAME = "Territoire"
DATAGOUV_API = "https://www.data.gouv.fr/api/1"
ODS_API_PATH = "/api/explore/v2.1"
ODS_PAGE_SIZE = 100  # the Explore API maximum without group_by
ODS_MAX_WINDOW = 10_000  # offset + limit must stay below this on /catalog/datasets
DATAGOUV_PAGE_SIZE = 50
# data.gouv.fr resources: the first format of this list present among the main resources wins.
DATAGOUV_FORMAT_PRIORITY = ("parquet", "csv", "xlsx", "xls", "geojson", "json", "ods", "zip")
# Remote source kinds handled by `python -m loaders refresh`.
REMOTE_KINDS = ("url", "ods", "datagouv")

# How long a successfully refreshed source is considered fresh, by udata frequency slug.
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
FREQUENCY_INTERVALS: dict[str, timedelta] = {
    "continuous": _HOUR, "oneMinute": _HOUR, "fiveMinutes": _HOUR, "tenMinutes": _HOUR,
    "fifteenMinutes": _HOUR, "thirtyMinutes": _HOUR, "hourly": _HOUR, "bihourly": 2 * _HOUR,
    "trihourly": 3 * _HOUR, "twelveHours": 12 * _HOUR, "severalTimesADay": 6 * _HOUR,
    "threeTimesADay": 8 * _HOUR, "semidaily": 12 * _HOUR, "daily": _DAY, "fiveTimesAWeek": _DAY,
    "threeTimesAWeek": 2 * _DAY, "semiweekly": 3 * _DAY, "weekly": 7 * _DAY, "biweekly": 14 * _DAY,
    "threeTimesAMonth": 10 * _DAY, "semimonthly": 15 * _DAY, "monthly": 30 * _DAY, "bimonthly": 60 * _DAY,
    "quarterly": 91 * _DAY, "threeTimesAYear": 121 * _DAY, "semiannual": 182 * _DAY, "annual": 365 * _DAY,
    "biennial": 365 * _DAY, "triennial": 365 * _DAY, "quadrennial": 365 * _DAY, "quinquennial": 365 * _DAY,
    "decennial": 365 * _DAY, "bidecennial": 365 * _DAY, "tridecennial": 365 * _DAY,
    # Unknown or irregular publication: check weekly; conditional requests keep it cheap.
    "punctual": 30 * _DAY, "irregular": 7 * _DAY, "never": 365 * _DAY, "notPlanned": 30 * _DAY,
    "other": 7 * _DAY, "unknown": 7 * _DAY,
}
# After a failure, retry after 1 h, 2 h, 4 h... but never later than the normal interval nor 24 h.
FAILURE_RETRY_BASE = _HOUR
FAILURE_RETRY_MAX = _DAY


@lru_cache(maxsize=1)
def version() -> str:
    """The portal version from pyproject.toml (no installed distribution in a plain checkout)."""
    try:
        with open(ROOT / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0"


@dataclass(frozen=True)
class HttpSettings:
    """Read from the environment at each session creation so tests can shorten every wait."""

    connect_timeout: float
    read_timeout: float
    retries: int
    backoff_factor: float
    backoff_max: float
    max_retry_after: float  # a longer Retry-After is not waited for: the source fails and is retried later
    min_delay: float  # politeness: minimum seconds between two requests to the same host
    max_bytes: int
    contact_url: str
    # Outgoing policy (SSRF guard, see loaders/http.py): what a remote publisher's URL may reach.
    total_timeout: float = 1800.0  # wall clock for one download or API call, retries included
    max_json_bytes: int = 64 * 1024**2  # decoded size cap of a JSON answer
    allow_http: bool = False  # plain http for any host; https only by default
    allowed_hosts: frozenset[str] = frozenset()  # host names trusted whatever they resolve to
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()  # trusted addresses
    max_redirects: int = 5

    @property
    def user_agent(self) -> str:
        return f"{USER_AGENT_NAME}/{version()} (+{self.contact_url})"


def http_settings() -> HttpSettings:
    allowed = parse_allowed_hosts(env_str("TERRITOIRE_HTTP_ALLOWED_HOSTS"))
    return HttpSettings(
        connect_timeout=env_float("TERRITOIRE_HTTP_CONNECT_TIMEOUT", 10.0),
        read_timeout=env_float("TERRITOIRE_HTTP_READ_TIMEOUT", 60.0),
        retries=int(env_float("TERRITOIRE_HTTP_RETRIES", 5)),
        backoff_factor=env_float("TERRITOIRE_HTTP_BACKOFF", 1.0),
        backoff_max=env_float("TERRITOIRE_HTTP_BACKOFF_MAX", 60.0),
        max_retry_after=env_float("TERRITOIRE_HTTP_MAX_RETRY_AFTER", 120.0),
        min_delay=env_float("TERRITOIRE_HTTP_MIN_DELAY", 1.0),
        max_bytes=int(env_float("TERRITOIRE_HTTP_MAX_BYTES", 4 * 1024**3)),
        contact_url=env_str("TERRITOIRE_CONTACT_URL") or get_settings().public_base_url,
        total_timeout=env_float("TERRITOIRE_HTTP_TOTAL_TIMEOUT", 1800.0),
        max_json_bytes=env_int("TERRITOIRE_HTTP_MAX_JSON_BYTES", 64 * 1024**2),
        allow_http=env_str("TERRITOIRE_HTTP_ALLOW_HTTP", "0").lower() in ("1", "true", "yes", "oui"),
        allowed_hosts=frozenset(h for h in allowed if not isinstance(h, ipaddress.IPv4Network | ipaddress.IPv6Network)),
        allowed_networks=tuple(h for h in allowed if isinstance(h, ipaddress.IPv4Network | ipaddress.IPv6Network)),
    )


def parse_allowed_hosts(value: str) -> list[str | ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """TERRITOIRE_HTTP_ALLOWED_HOSTS: comma-separated host names (exact, case-insensitive) or addresses/CIDRs."""
    entries: list[str | ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in value.split(","):
        item = raw.strip().lower().rstrip(".")
        if not item:
            continue
        try:
            entries.append(ipaddress.ip_network(item.strip("[]"), strict=False))
        except ValueError:
            entries.append(item)
    return entries


def datagouv_api() -> str:
    return env_str("TERRITOIRE_DATAGOUV_API", DATAGOUV_API).rstrip("/")
