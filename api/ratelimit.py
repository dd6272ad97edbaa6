"""The per-client rate limit of the Explore API: TERRITOIRE_API_RATE calls per minute per client address (0: none).

The client is the socket's peer, or the address the trusted reverse proxies put in TERRITOIRE_TRUSTED_PROXY_HEADER
(`reuses.guard.client_address`, the one rule the admin login limit uses too). The limit is the generic cell rate
algorithm (a token bucket kept as one timestamp per client): a client may spend its whole minute's allowance at once,
then one call every 60/rate seconds. The timestamps live in a bounded TTL cache, so idle clients cost nothing and a
flood of addresses cannot grow memory without bound. The limit is per process: N instances allow N times the rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from starlette.requests import Request

from config import get_settings
from reuses.guard import client_address
from reuses.settings import proxy_settings

WINDOW_S = 60.0
MAX_CLIENTS = 100_000  # addresses remembered; beyond, the least recently stored are forgotten (their limit restarts)


class RateLimiter:
    """`per_minute` calls per client within any minute, as a burst or spread out."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.interval = WINDOW_S / per_minute
        self.clock = clock
        # A client's entry is its "theoretical arrival time", never more than a window ahead of its last call: once
        # the entry expires (a window after it was stored), a fresh one is equivalent.
        self.arrivals: TTLCache[str, float] = TTLCache(MAX_CLIENTS, WINDOW_S, timer=clock)
        self.lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """0 when the call is allowed (and counted); otherwise the seconds until this client's next allowed call."""
        with self.lock:
            now = self.clock()
            arrival = max(self.arrivals.get(client, now), now) + self.interval
            if arrival - now > WINDOW_S:
                return arrival - now - WINDOW_S
            self.arrivals[client] = arrival
            return 0.0


_limiter_lock = threading.Lock()
_limiter: RateLimiter | None = None


def limiter() -> RateLimiter | None:
    """The process's limiter, sized by the settings (None when the limit is off; a new rate gets a new one: tests)."""
    global _limiter
    rate = get_settings().api_rate_per_min
    if rate <= 0:
        return None
    with _limiter_lock:
        if _limiter is None or _limiter.per_minute != rate:
            _limiter = RateLimiter(rate)
        return _limiter


def client_of(request: Request) -> str:
    proxy = proxy_settings()
    values = request.headers.getlist(proxy.header) if proxy.header else []
    return client_address(request.client.host if request.client else None, values, proxy)


def wait_s(request: Request) -> float:
    """0 when this request is within its client's rate (it is counted); else the seconds the client must wait."""
    current = limiter()
    return 0.0 if current is None else current.acquire(client_of(request))
