"""A bounded, expiring LRU cache for query vectors and other per-process results."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """At most max_size items, each living ttl_seconds (0: forever); thread-safe.

    Keys must carry everything the value depends on (model id, write generation…), so an
    entry can never be served for a state it was not computed from.
    """

    def __init__(
        self,
        max_size: int,
        ttl_seconds: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_size = max_size
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """The cached value, or None when absent or expired."""
        with self._lock:
            item = self._items.get(key)
            if item is None or self._expired(item[0]):
                if item is not None:
                    del self._items[key]
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: Hashable, value: V) -> None:
        """Store a value, evicting the least recently used past max_size."""
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (hit and miss counts are kept)."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def _expired(self, stored_at: float) -> bool:
        return self.ttl_seconds > 0 and self._clock() - stored_at > self.ttl_seconds
