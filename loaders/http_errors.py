"""The French errors of the HTTP client (`loaders.http` re-exports them): str(exc) is shown to the operator."""

from __future__ import annotations


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
