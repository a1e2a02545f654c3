"""Where the server's time goes in a warm new search on PostgreSQL, statement by statement.

Each warm query is searched through the facade (hybrid, then keyword-only) while every
statement sent is recorded; each is then run again under EXPLAIN (ANALYZE, BUFFERS) with
the pool's session settings. Runs on the bases
`bench_postgres.py` copied to its private server (bench_<size>), or with --tuned on the
tuned server's copy. Medians over the queries; "read": pages from outside shared buffers.
"""

from __future__ import annotations

import contextlib
import re
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_pg_keyword_bounds import SETTINGS, sized_bases  # noqa: E402
from common import WARM_QUERIES  # noqa: E402

from tests.storage.recorder import Recorder  # noqa: E402


def kind(sql: str) -> str:
    """A name for a statement a search sends."""
    if "pg_stats" in sql and "ts_rank" not in sql:
        return "word counts"
    if "ts_rank" in sql:
        return "keyword ranking"
    if "key = 'generation'" in sql:
        return "generation"
    if "ts_headline" in sql:
        return "shown entries"
    if "<=>" in sql:
        return "nearest vectors"
    return "other: " + sql[:40]


def explained(conn: Any, sql: str, params: Any) -> tuple[float, int, int]:
    """Server execution ms, shared buffers touched (hit + read) and of those read from
    outside the server's buffers, of one statement."""
    plan = [row[0] for row in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]
    found = re.search(r"Execution Time: ([\d.]+)", plan[-1])
    assert found is not None
    top = next((line for line in plan if "Buffers:" in line), "")
    read = sum(int(n) for n in re.findall(r"read=(\d+)", top))
    return float(found.group(1)), read + sum(int(n) for n in re.findall(r"hit=(\d+)", top)), read


@contextlib.contextmanager
def recording(rekall: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the facade's pool runs inside the block."""
    pool = rekall.db._pool
    original = pool.connection
    sent: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def connection(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with original(*args, **kwargs) as conn:
            recorder = Recorder(conn)
            yield recorder
            sent.extend(recorder.sent)

    pool.connection = connection
    try:
        yield sent
    finally:
        pool.connection = original


def measure(url: str, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per mode and statement kind: server ms and buffers of each query's statements."""
    import psycopg

    from rekall.config import Config
    from rekall.service import Rekall
    from rekall.storage.postgres.vector_param import register_vector_param

    rekall = Rekall(Config(database_url=url), long_lived=True)
    figures: dict[str, dict[str, list[float]]] = {}
    try:
        rekall.search("warm up the model", mode="hybrid")
        sent: dict[str, list[list[tuple[str, str, Any]]]] = {"hybrid": [], "keyword": []}
        for mode in sent:
            for query in WARM_QUERIES:
                with recording(rekall) as statements:
                    rekall.search(query, mode=mode)
                sent[mode].append([(kind(sql), sql, params) for sql, params in statements])
        with psycopg.connect(url, autocommit=True) as conn:
            register_vector_param(conn)  # statements may hold vectors in binary form
            for setting in SETTINGS:
                conn.execute(setting)
            for round_ in range(rounds + 1):  # the first warms the caches
                for mode, queries in sent.items():
                    for statements in queries:
                        for name, sql, params in statements:
                            ms, buffers, read = explained(conn, sql, params)
                            if round_:
                                entry = figures.setdefault(mode, {})
                                entry.setdefault(name, []).append(ms)
                                entry.setdefault(name + " buffers", []).append(buffers)
                                entry.setdefault(name + " read", []).append(read)
    finally:
        rekall.close()
    return figures


def main() -> None:
    rounds, bases = sized_bases(__doc__)
    for size, url in bases:
        for mode, kinds in measure(url, rounds).items():
            for name, values in kinds.items():
                if name.endswith((" buffers", " read")):
                    continue
                per_query = len(values) / rounds / len(WARM_QUERIES)
                print(
                    f"{size:>7,}  {mode:<7} {name:<32} x{per_query:.1f}/query  server ms "
                    f"p50/p95 {statistics.median(values):6.2f}/"
                    f"{sorted(values)[int(0.95 * len(values))]:6.2f}  buffers p50 "
                    f"{statistics.median(kinds[name + ' buffers']):,.0f}, read "
                    f"{statistics.median(kinds[name + ' read']):,.0f}"
                )


if __name__ == "__main__":
    main()
