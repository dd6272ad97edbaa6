"""The single HTTP client of the project: one outgoing policy, retries with backoff, politeness, capped downloads.

Every request the project makes goes through here: https only (unless TERRITOIRE_HTTP_ALLOW_HTTP), redirects
followed by hand with each hop checked again, addresses checked and pinned by `loaders.http_guard`, a total
time limit per call, and bodies capped (files, JSON, `fetch_bytes`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import MaxRetryError, ProtocolError, ResponseError
from urllib3.util.retry import Retry

from loaders.http_errors import (
    HttpError,
    InvalidResponse,
    NotFound,
    RateLimited,
    Refused,
    RemoteQueryError,
    TotalTimeout,
    error_message,
    parse_retry_after,
    raise_for_status,
)
from loaders.http_guard import GuardedAdapter, check_url, time_limit
from loaders.settings import HttpSettings, http_settings

__all__ = ["Download", "HttpError", "InvalidResponse", "NotFound", "RateLimited", "Refused", "RemoteQueryError",
           "TotalTimeout", "download", "fetch_bytes", "get_json", "http_settings", "parse_retry_after",
           "raise_for_status", "session"]

RETRY_STATUSES = (429, 500, 502, 503, 504)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
CHUNK = 1 << 16


class _RetryAfterTooLong(ResponseError):
    """Raised inside urllib3 when the server asks us to come back later than we are willing to wait."""

    def __init__(self, retry_after: float, status: int, body: bytes) -> None:
        super().__init__(f"Retry-After {retry_after:.0f} s")
        self.retry_after = retry_after
        self.status = status
        self.body = body


class _Retry(Retry):
    """urllib3 Retry that refuses to sleep through a Retry-After longer than the configured cap.

    A quota reset hours away must not freeze the whole refresh: the source is marked failed with the
    retry time and the other sources go on.
    """

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Self:
        if response is not None and self.respect_retry_after_header:
            after = self.get_retry_after(response)
            if after is not None and after > http_settings().max_retry_after:
                # With raise_on_status=False urllib3 then hands the response back: raise_for_status explains it.
                raise MaxRetryError(_pool, url or "", _RetryAfterTooLong(after, response.status, b""))
        return super().increment(method, url, response, error, _pool, _stacktrace)


class PoliteSession(requests.Session):
    """A Session that waits `min_delay` between two requests to the same host (across threads)."""

    _last_request: dict[str, float] = {}
    _lock = threading.Lock()

    def __init__(self, settings: HttpSettings) -> None:
        super().__init__()
        self.settings = settings

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        target = url.decode() if isinstance(url, bytes) else url
        host = urlsplit(target).netloc
        with PoliteSession._lock:
            now = time.monotonic()
            wait = PoliteSession._last_request.get(host, 0.0) + self.settings.min_delay - now
            PoliteSession._last_request[host] = now + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)
        kwargs.setdefault("timeout", (self.settings.connect_timeout, self.settings.read_timeout))
        verb = method.decode() if isinstance(method, bytes) else method
        return super().request(verb, target, *args, **kwargs)

    def merge_environment_settings(self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        """The environment's CA bundle still applies, its proxies never: a proxy would connect to the target
        itself, out of reach of the address check."""
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        merged["proxies"] = {}
        return merged


def make_session(settings: HttpSettings | None = None) -> PoliteSession:
    """Build the project's Session: timeouts, retries on connection errors and 429/5xx, named User-Agent."""
    settings = settings or http_settings()
    retry = _Retry(
        total=settings.retries, connect=settings.retries, read=settings.retries, status=settings.retries,
        other=settings.retries, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=settings.backoff_factor, backoff_max=settings.backoff_max,
        respect_retry_after_header=True, raise_on_status=False,  # the caller turns the last status into a message
    )
    session = PoliteSession(settings)
    adapter = GuardedAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = settings.user_agent
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


_local = threading.local()


def session() -> PoliteSession:
    """One shared Session per thread, rebuilt when the environment-driven settings change (tests)."""
    settings = http_settings()
    current: PoliteSession | None = getattr(_local, "session", None)
    if current is None or current.settings != settings:
        current = make_session(settings)
        _local.session = current
    return current


def _backoff_sleep(attempt: int, settings: HttpSettings) -> None:
    time.sleep(min(settings.backoff_factor * (2 ** attempt), settings.backoff_max))


# Errors worth one more try at our level: urllib3 retries stop once headers arrived, a body can still break.
_TRANSIENT = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.Timeout, ProtocolError)


def _network_message(exc: Exception, url: str) -> str:
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(exc):
        return f"Délai d'attente dépassé en contactant {url}."
    if isinstance(exc, requests.exceptions.RetryError):
        return f"Le serveur a répondu en erreur à chaque essai : {url}."
    return f"Connexion impossible ou interrompue avec {url} ({type(exc).__name__})."


def _request(url: str, params: Any, headers: dict[str, str]) -> requests.Response:
    """One streamed GET, redirects not followed; urllib3 has already retried connection errors and 429/5xx."""
    try:
        return session().get(url, params=params, headers=headers, stream=True, allow_redirects=False)
    except requests.exceptions.RetryError as exc:
        # urllib3 refused a Retry-After longer than we accept (or gave up on 429/5xx)
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, _RetryAfterTooLong):
            detail = error_message(reason.body)
            raise RateLimited(f"Quota de requêtes dépassé ou service indisponible sur {urlsplit(url).netloc} "
                              f"(HTTP {reason.status}){' : ' + detail if detail else ''} ; "
                              f"réessayer dans {reason.retry_after:.0f} s.",
                              url=url, status=reason.status, retry_after=reason.retry_after) from exc
        raise RateLimited(f"Le serveur refuse nos requêtes (quota ou indisponibilité prolongée) : {url}.",
                          url=url, status=429) from exc
    except requests.exceptions.RequestException as exc:
        raise HttpError(_network_message(exc, url), url=url) from exc


def _open(url: str, params: Any, headers: dict[str, str], settings: HttpSettings) -> requests.Response:
    """GET `url`, following redirects by hand (bounded): every hop is checked by the policy again."""
    for _ in range(settings.max_redirects + 1):
        check_url(url, settings)
        resp = _request(url, params, headers)
        location = resp.headers.get("Location")
        if resp.status_code not in REDIRECT_STATUSES or not location:
            return resp
        resp.close()
        url, params = urljoin(resp.url, location), None
    raise Refused(f"Trop de redirections (plus de {settings.max_redirects}) : {url[:200]}", url=url)


def _read_capped(resp: requests.Response, limit: int, what: str) -> bytes:
    """The decoded body, refused as soon as it passes `limit` bytes (announced or received)."""
    announced = resp.headers.get("Content-Length", "")
    too_big = InvalidResponse(f"{what} trop volumineux (plus de {limit} octets) : {resp.url}", url=resp.url,
                              status=resp.status_code)
    if announced.isdigit() and int(announced) > limit:
        raise too_big
    body = bytearray()
    for chunk in resp.iter_content(CHUNK):
        body += chunk
        if len(body) > limit:
            raise too_big
    return bytes(body)


def get_json(url: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> Any:
    """GET a JSON document (size-capped); retries broken bodies and invalid JSON, raises HttpError (French)."""
    settings = http_settings()
    last: HttpError | None = None
    with time_limit(url, settings) as deadline:
        for attempt in range(settings.retries + 1):
            with _open(url, params, {"Accept": "application/json"}, settings) as resp:
                raise_for_status(resp)
                try:
                    content = _read_capped(resp, settings.max_json_bytes, "Document JSON")
                except _TRANSIENT as exc:  # the body broke after the headers: urllib3 does not retry that
                    deadline.check()
                    last = InvalidResponse(f"Réponse incomplète de {url} ({type(exc).__name__}).", url=url)
                    _backoff_sleep(attempt, settings)
                    continue
                deadline.check()
                try:
                    return json.loads(content.decode(resp.encoding or "utf-8"))
                except (ValueError, UnicodeDecodeError):
                    # A proxy or a half-deployed portal may answer 200 with HTML: worth another try.
                    last = InvalidResponse(f"Réponse JSON invalide de {resp.url} ({len(content)} octets).",
                                           url=resp.url, status=resp.status_code)
            _backoff_sleep(attempt, settings)
    assert last is not None
    raise last


def fetch_bytes(url: str, *, max_bytes: int, accept: str | None = None) -> tuple[bytes, str]:
    """GET a small remote document (a reuse's image...) under the whole policy; returns (body, Content-Type).

    Refused (`Refused`) for a forbidden scheme or address, at any redirect hop; `InvalidResponse` past
    `max_bytes`; `TotalTimeout` past TERRITOIRE_HTTP_TOTAL_TIMEOUT; other failures are `HttpError` (French).
    """
    settings = http_settings()
    with time_limit(url, settings) as deadline, _open(url, None, {"Accept": accept or "*/*"}, settings) as resp:
        raise_for_status(resp)
        try:
            body = _read_capped(resp, max_bytes, "Document")
        except _TRANSIENT as exc:
            deadline.check()
            raise HttpError(_network_message(exc, url), url=url) from exc
        deadline.check()
        return body, resp.headers.get("Content-Type", "")


@dataclass
class Download:
    """The outcome of `download()`: either `not_modified`, or a complete temp file with its digest."""

    url: str
    not_modified: bool = False
    path: Path | None = None
    sha256: str = ""
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    filename: str = ""  # from Content-Disposition, else the URL's last path segment
    headers: dict[str, str] = field(default_factory=dict)

    def source_info(self) -> dict[str, Any]:
        """The fields merged into meta.json `source` by the core loader."""
        return {"url": self.url, "etag": self.etag, "last_modified": self.last_modified,
                "content_type": self.content_type, "downloaded_sha256": self.sha256, "downloaded_size": self.size}


def _filename(resp: requests.Response) -> str:
    disposition = resp.headers.get("Content-Disposition", "")
    m = re.search(r"filename\*=(?:UTF-8'')?([^;]+)|filename=\"?([^\";]+)\"?", disposition, re.I)
    if m:
        return os.path.basename((m.group(1) or m.group(2)).strip())
    return os.path.basename(urlsplit(resp.url).path)


def download(url: str, dest_dir: Path, *, params: dict[str, Any] | list[tuple[str, Any]] | None = None,
             etag: str | None = None, last_modified: str | None = None, suffix: str = "") -> Download:
    """Stream `url` to a temp file in `dest_dir`, hashing as it goes; conditional when etag/last_modified given.

    A truncated body (fewer bytes than Content-Length), a reset or a read timeout while streaming is
    retried with backoff; the temp file never survives a failure. The caller owns (and removes) the file.
    """
    settings = http_settings()
    headers = {"Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    dest_dir.mkdir(parents=True, exist_ok=True)
    last: HttpError | None = None
    with time_limit(url, settings) as deadline:
        for attempt in range(settings.retries + 1):
            tmp: Path | None = None
            try:
                with _open(url, params, headers, settings) as resp:
                    if resp.status_code == 304:
                        return Download(url=resp.url, not_modified=True, etag=resp.headers.get("ETag") or etag,
                                        last_modified=resp.headers.get("Last-Modified") or last_modified)
                    raise_for_status(resp)
                    expected = resp.headers.get("Content-Length")
                    if expected is not None and expected.isdigit() and int(expected) > settings.max_bytes:
                        raise _too_big(url, settings)
                    name = _filename(resp)
                    ext = suffix or Path(name).suffix
                    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=".download-", suffix=ext)
                    tmp = Path(tmp_name)
                    digest = hashlib.sha256()
                    size = 0
                    with os.fdopen(fd, "wb") as fh:
                        for chunk in resp.iter_content(CHUNK):
                            size += len(chunk)
                            if size > settings.max_bytes:
                                raise _too_big(url, settings)
                            digest.update(chunk)
                            fh.write(chunk)
                        deadline.check()  # a body cut by the watchdog may look complete
                        fh.flush()
                        os.fsync(fh.fileno())
                    # Compare wire bytes (before gzip decoding) with the announced length.
                    received = resp.raw.tell() if resp.raw is not None else size
                    if expected is not None and expected.isdigit() and received != int(expected):
                        raise ProtocolError(f"corps tronqué : {received} octets reçus sur {expected} annoncés")
                    return Download(url=resp.url, path=tmp, sha256=digest.hexdigest(), size=size,
                                    etag=resp.headers.get("ETag"), last_modified=resp.headers.get("Last-Modified"),
                                    content_type=resp.headers.get("Content-Type", ""), filename=name,
                                    headers=dict(resp.headers))
            except _TRANSIENT as exc:  # raised while streaming the body: retried here
                _unlink(tmp)
                deadline.check()
                if isinstance(exc, (ProtocolError, requests.exceptions.ChunkedEncodingError)):
                    last = InvalidResponse(f"Téléchargement incomplet de {url} ({exc}).", url=url)
                else:
                    last = HttpError(_network_message(exc, url), url=url)
                _backoff_sleep(attempt, settings)
            except BaseException:
                _unlink(tmp)
                raise
    assert last is not None
    raise last


def _too_big(url: str, settings: HttpSettings) -> InvalidResponse:
    return InvalidResponse(f"Fichier trop volumineux (plus de {settings.max_bytes} octets) : {url}", url=url)


def _unlink(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)
