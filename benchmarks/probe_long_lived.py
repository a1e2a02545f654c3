"""Run inside a fresh process: warm-search latency, add latency and RSS of a long-lived service.

Prints one JSON object. Called by bench_search.py with REKALL_HOME set to a base; with
`--searches` it only searches (no writes) and prints every timing, for comparing two source
trees run alternately on the same base.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path

import psutil

from rekall.config import load_config
from rekall.service import Rekall

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WARM_QUERIES as QUERIES  # noqa: E402


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 1e6


def timed_ms(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def open_service(backend: str) -> Rekall:
    config = load_config()
    # Config is a NamedTuple now and a dataclass before: --against runs older trees too.
    fields = config._asdict() if hasattr(config, "_asdict") else vars(config)
    config = type(config)(**{**fields, "vector_index_backend": backend})
    return Rekall(config, long_lived=True)


def search_timings() -> dict[str, list[float]]:
    """Every warm hybrid search's wall and CPU ms: each query once (new), then one query
    again (repeated). CPU time moves much less than wall time with other processes' load."""
    service = open_service("auto")
    service.search("warm up the keyword path", mode="keyword")
    service.search(QUERIES[0])
    timings: dict[str, list[float]] = {}
    for kind, queries in [("new", QUERIES[1:]), ("repeated", [QUERIES[1]] * len(QUERIES[1:]))]:
        for query in queries:
            started, cpu = time.perf_counter(), time.process_time()
            service.search(query)
            timings.setdefault(f"{kind}_cpu", []).append((time.process_time() - cpu) * 1000)
            timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    service.close()
    return timings


def main() -> None:
    if sys.argv[1:] == ["--searches"]:
        print(json.dumps(search_timings()))
        return
    backend = sys.argv[1] if len(sys.argv) > 1 else "auto"
    figures: dict[str, float | str] = {"rss_start_mb": rss_mb()}
    service = open_service(backend)
    service.search("warm up the keyword path", mode="keyword")
    figures["rss_open_mb"] = rss_mb()
    figures["first_search_ms"] = timed_ms(lambda: service.search(QUERIES[0]))
    figures["rss_loaded_mb"] = rss_mb()
    # First time each query is seen: its vector is embedded. Later: it comes from the cache.
    fresh = [timed_ms(lambda q=q: service.search(q)) for q in QUERIES[1:]]
    figures["warm_search_new_query_ms"] = statistics.median(fresh)
    repeated = [timed_ms(lambda: service.search(QUERIES[1])) for _ in range(30)]
    figures["warm_search_repeat_ms"] = statistics.median(repeated)
    semantic = [timed_ms(lambda q=q: service.search(q, mode="semantic")) for q in QUERIES]
    figures["warm_semantic_cached_ms"] = statistics.median(semantic)
    adds = []
    for index in range(9):
        adds.append(
            timed_ms(
                lambda i=index: service.add(
                    "til",
                    f"Benchmark note {i} about connection pool sizing",
                    "Size the pool to the number of cores times two.",
                    ("bench",),
                )
            )
        )
        service.search(f"benchmark note {index} connection pool")
    figures["warm_add_ms"] = statistics.median(adds)
    figures["backend"] = str(service.stats()["backend"])
    figures["peak_rss_mb"] = float(service.stats(memory=True)["peak_rss_mb"] or 0)
    # What the idle watch does after model_idle_timeout_minutes: drop the index and the model.
    service.semantic.models.unload_if_idle(now=time.monotonic() + 1e9)
    figures["rss_model_unloaded_mb"] = rss_mb()
    service.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
