"""The LRU cache: bounded, expiring, counting hits and misses."""

from __future__ import annotations

from rekall.search.cache import LRUCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_is_evicted() -> None:
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert len(cache) == 2


def test_entries_expire_after_ttl() -> None:
    clock = FakeClock()
    cache: LRUCache[str] = LRUCache(10, ttl_seconds=600, clock=clock)
    cache.put("q", "vector")
    clock.now = 599
    assert cache.get("q") == "vector"
    clock.now = 601
    assert cache.get("q") is None
    assert len(cache) == 0


def test_zero_ttl_never_expires_and_counts_are_kept() -> None:
    clock = FakeClock()
    cache: LRUCache[str] = LRUCache(10, ttl_seconds=0, clock=clock)
    cache.put("q", "v")
    clock.now = 1e9
    assert cache.get("q") == "v"
    assert cache.get("missing") is None
    assert (cache.hits, cache.misses) == (1, 1)
