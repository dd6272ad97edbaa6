"""Process-wide result cache keyed by the warehouse version and the call's parameters (shared by every session)."""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, ParamSpec, TypeVar

import pandas as pd

P = ParamSpec("P")
T = TypeVar("T")

# Only small results are worth keeping (pages, facets, chart series, map bins); a big one is recomputed.
MAX_ENTRY_BYTES = 8_000_000
MAX_TOTAL_BYTES = 64_000_000
MAX_ENTRIES = 512


def _size(value: Any) -> int:
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True).sum())
    if isinstance(value, bytes | str):
        return len(value)
    return sys.getsizeof(value)


def _copy(value: Any) -> Any:
    """Callers may modify what they get (rename columns for display): hand out copies, keep the original."""
    if isinstance(value, pd.DataFrame):
        copy = value.copy(deep=False)
        copy.attrs = dict(value.attrs)
        return copy
    return value


def _freeze(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_freeze(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, set | frozenset) else tuple(items)
    if isinstance(value, Hashable):
        return value
    return repr(value)


class ResultCache:
    """A bounded LRU with a time-to-live; keys always include `queries.data_version()`, so a publish invalidates."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, ttl_s: float) -> tuple[bool, Any]:
        with self._lock:
            item = self._items.get(key)
            if item is None or time.monotonic() - item[0] > ttl_s:
                self.misses += 1
                return False, None
            self._items.move_to_end(key)
            self.hits += 1
            return True, _copy(item[2])

    def put(self, key: Hashable, value: Any) -> None:
        size = _size(value)
        if size > MAX_ENTRY_BYTES:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (time.monotonic(), size, value)
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                _, (_, dropped, _) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._items), "bytes": self._bytes, "hits": self.hits, "misses": self.misses}


CACHE = ResultCache()


def cached(fn: Callable[P, T]) -> Callable[P, T]:
    """Cache a query function's result per (data version, function, arguments), for `settings.cache_ttl_s`.

    Unlike `st.cache_data`, this works outside a Streamlit script (loaders, benchmarks, tests) and is one
    cache for the whole process: five sessions opening the same dataset page run its queries once.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        from config import get_settings
        from queries import data_version

        settings = get_settings()
        key = (str(settings.data_dir), data_version(), fn.__module__, fn.__qualname__, _freeze(args), _freeze(kwargs))
        hit, value = CACHE.get(key, settings.cache_ttl_s)
        if hit:
            return value  # type: ignore[no-any-return]
        value = fn(*args, **kwargs)
        CACHE.put(key, value)
        return _copy(value)  # type: ignore[no-any-return]

    return wrapper


def cached_sql(sql: str, params: Mapping[str, Any] | None = None, *, max_rows: int | None = None) -> pd.DataFrame:
    """`queries.run_sql_text` through the cache: for SQL built by a query builder (values bound, idents quoted)."""
    return _cached_sql(sql, dict(params or {}), max_rows=max_rows)


@cached
def _cached_sql(sql: str, params: dict[str, Any], *, max_rows: int | None = None) -> pd.DataFrame:
    from queries import run_sql_text

    return run_sql_text(sql, params, max_rows=max_rows)
