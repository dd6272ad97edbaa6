"""The French errors of the HTTP client (`loaders.http` re-exports them) and the reading of error answers."""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests


class HttpError(Exception):
    """A remote request failed for good; `str(exc)` is a French message for the source's state."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retry_after = retry_after  # seconds, when the server said when to come back


class NotFound(HttpError):
    """404/410: the resource or dataset is gone."""


class RateLimited(HttpError):
    """429 after every retry, or a Retry-After too long to wait for."""


class RemoteQueryError(HttpError):
    """400 with an explanation, e.g. an Opendatasoft ODSQL error body."""


class InvalidResponse(HttpError):
    """The body is not what was announced: invalid JSON, truncated or oversized download."""


class Refused(HttpError):
    """The outgoing policy refuses the URL: scheme, address (private, loopback...) or too many redirects."""


class TotalTimeout(HttpError):
    """The call took longer than TERRITOIRE_HTTP_TOTAL_TIMEOUT (wall clock, retries and slow bodies included)."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def error_message(body: bytes) -> str:
    """The explanation carried by an API error body (Opendatasoft `message`/`error`, udata `message`)."""
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        text = re.sub(r"<[^>]+>", " ", body[:300].decode("utf-8", "replace"))
        return " ".join(text.split())
    if isinstance(data, dict):
        code = data.get("error_code") or data.get("errorcode")
        for key in ("message", "error", "detail"):
            if data.get(key):
                return f"{data[key]} ({code})" if code else str(data[key])
    return ""


def raise_for_status(resp: requests.Response, body: bytes | None = None) -> None:
    """Turn an error status (after urllib3's retries) into a French HttpError subclass."""
    if resp.status_code < 400:
        return
    if body is None:
        try:
            body = resp.raw.read(64 * 1024, decode_content=True) if resp.raw is not None else b""
        except Exception:  # noqa: BLE001 - the body is only decoration for the message
            body = b""
    detail = error_message(body or b"")
    url = resp.url
    status = resp.status_code
    suffix = f" : {detail}" if detail else ""
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    if status == 429:
        when = f" ; réessayer dans {retry_after:.0f} s" if retry_after is not None else ""
        raise RateLimited(f"Quota de requêtes dépassé sur {urlsplit(url).netloc} (HTTP 429){suffix}{when}.",
                          url=url, status=status, retry_after=retry_after)
    if status in (404, 410):
        raise NotFound(f"Ressource introuvable (HTTP {status}) : {url}", url=url, status=status)
    if status == 400:
        raise RemoteQueryError(f"Requête refusée par le serveur (HTTP 400){suffix}.", url=url, status=status)
    if status >= 500:
        raise HttpError(f"Le serveur distant est en erreur (HTTP {status}) après plusieurs essais{suffix}.",
                        url=url, status=status, retry_after=retry_after)
    raise HttpError(f"Requête refusée (HTTP {status}){suffix} : {url}", url=url, status=status)
