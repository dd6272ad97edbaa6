"""The one process-wide result cache: bounded in bytes (LRU), keyed by function, arguments and data version."""

from __future__ import annotations

import functools
import logging
import pickle
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import pandas as pd
from cachetools import TLRUCache
from pympler import asizeof

import queries
from catalogue.manifest import DatasetSpec, load_manifest
from config import get_settings

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


# pympler walks every object of a value in Python: ~80 ms for the commune outlines (500 polygons, 120,000 objects),
# paid at each first view. Past SMALL_PICKLE bytes of pickle, a value is sized as its pickle times PICKLE_FACTOR
# instead (a few ms): Python objects take 2–7× their pickle in memory (6.8× for the outlines, the worst measured), so
# the estimate errs high and the cache stays under its bound.
SMALL_PICKLE = 16 * 1024
PICKLE_FACTOR = 8


def measure(value: Any) -> int:
    """Bytes a result holds: pandas' deep memory use for frames, the length of bytes, pympler's estimate for small
    values, a pessimistic estimate from the pickle's length for large ones."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True))
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    try:
        packed = len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return int(asizeof.asizeof(value))
    return int(asizeof.asizeof(value)) if packed < SMALL_PICKLE else packed * PICKLE_FACTOR


def freeze(value: Any) -> Hashable:
    """A hashable, type-aware key for an argument: lists and dicts become tuples; 1, 1.0 and True stay distinct."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), freeze(v)) for k, v in value.items())))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted((freeze(v) for v in value), key=repr)))
    hash(value)  # an unhashable argument is a programming error: say so at once
    return (type(value).__qualname__, value)


@dataclass(frozen=True)
class _Entry:
    value: Any
    size: int
    ttl: float


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    too_large: int = 0


class ResultCache:
    """An LRU of results whose total size stays under `max_bytes`; two threads asking for the same key while it is
    being computed wait for the one computation (single flight). Entries expire after their ttl; a change of scope
    (data version, settings) drops every entry at once."""

    def __init__(self, max_bytes: int, timer: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._lock = threading.Lock()
        self._lru: TLRUCache[Hashable, _Entry] = TLRUCache(
            maxsize=self.max_bytes, ttu=lambda _key, entry, now: now + entry.ttl, timer=timer,
            getsizeof=lambda entry: entry.size)
        self._pending: dict[Hashable, Future[Any]] = {}
        self._scope: Hashable = None
        self.stats = CacheStats()

    @property
    def current_bytes(self) -> int:
        with self._lock:
            self._lru.expire()
            return int(self._lru.currsize)

    def __len__(self) -> int:
        with self._lock:
            self._lru.expire()
            return len(self._lru)

    def __contains__(self, key: Hashable) -> bool:
        """Whether `key` (under the current scope) holds a live entry."""
        with self._lock:
            return (self._scope, key) in self._lru

    def clear(self) -> None:
        with self._lock:
            self._lru.clear()

    def get_or_compute(self, key: Hashable, compute: Callable[[], R], ttl: float, scope: Hashable = None) -> R:
        """The cached value of `key`, else `compute()` once (other callers of the same key wait for it)."""
        key = (scope, key)  # a computation started under an older scope is never handed to a newer one
        with self._lock:
            if scope != self._scope:
                self._lru.clear()
                self._scope = scope
            entry = self._lru.get(key)
            if entry is not None:
                self.stats.hits += 1
                return entry.value  # type: ignore[no-any-return]
            self.stats.misses += 1
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = self._pending[key] = Future()
        if not owner:
            return future.result()  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._pending.pop(key, None)
            future.set_exception(exc)
            raise
        future.set_result(value)  # waiters go on at once; measuring a large result can take a moment
        size = measure(value)
        with self._lock:
            self._pending.pop(key, None)
            if scope == self._scope:
                if size > self.max_bytes:
                    self.stats.too_large += 1
                    log.info("résultat de %d octets non mis en cache (budget %d)", size, self.max_bytes)
                else:
                    self._lru[key] = _Entry(value, size, ttl)
        return value


_shared: ResultCache | None = None
_shared_lock = threading.Lock()


def shared() -> ResultCache:
    """The process-wide cache, rebuilt empty when TERRITOIRE_CACHE_MAX_BYTES changes (tests)."""
    global _shared
    budget = get_settings().cache_max_bytes
    with _shared_lock:
        if _shared is None or _shared.max_bytes != budget:
            _shared = ResultCache(budget)
        return _shared


def clear() -> None:
    """Forget every cached result (tests; an administrator after a manual change)."""
    with _shared_lock:
        current = _shared
    if current is not None:
        current.clear()


def scope() -> Hashable:
    """What every key depends on besides the arguments: the published data (and manifest) and the settings."""
    return (queries.data_version(), hash(get_settings()))


def cached(ttl: float | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: cache a function's result in the shared cache, keyed by its name, its arguments and `scope()`.

    The result is shared by every session: treat it as read-only. A DataFrame is handed out as a shallow copy
    (copy-on-write in pandas 3), so a caller that adds a column never changes the cached frame. `ttl` (seconds,
    default TERRITOIRE_CACHE_TTL) bounds the life of results that depend on something the data version does not
    cover (the reuse gallery).
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        name = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (name, freeze(args), freeze(kwargs))
            life = float(ttl if ttl is not None else get_settings().cache_ttl_s)
            value = shared().get_or_compute(key, lambda: func(*args, **kwargs), life, scope())
            if isinstance(value, pd.DataFrame):
                return value.copy(deep=False)  # type: ignore[return-value]
            return value

        return wrapper

    return decorate


@cached()
def run_named(name: str, **params: Any) -> pd.DataFrame:
    """`queries.run` of a named query, cached until the data or the manifests change: the catalogue-wide figures
    drawn on every page (the footer's sources, the home page's summary), which were queried at every rerun."""
    return queries.run(name, **params)


def remember(key: Hashable, compute: Callable[[], R]) -> R:
    """`cached` for a value whose inputs are no plain arguments (a frame, cached features): the caller names it by
    `key`, e.g. a digest of the frame; same cache, same scope (data version, settings), same bounds."""
    return shared().get_or_compute(("remember", freeze(key)), compute, float(get_settings().cache_ttl_s), scope())


@cached()
def manifest_specs() -> dict[str, DatasetSpec]:
    """Every manifest entry by id (generated ones included), read once per data version — whose token covers the
    manifest files — instead of once per dataset a page cites (16 reads of every TOML file on a board's first
    view: half a second)."""
    return {entry.id: entry for entry in load_manifest(include_generated=True)}
