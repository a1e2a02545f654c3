"""Bounded keyword ranking on PostgreSQL: server time of a hybrid search's statements, and
how far its results move, for several bounds against ranking every matching row.

Runs on the bases `bench_postgres.py` copied to its private server (bench_<size>). The
variants are alternated query by query, so load hits them alike; the server time is
EXPLAIN ANALYZE's (less load-sensitive than wall time). "every row" ranks every entry that
holds a word of the query and counts every word, as the version before the bounds did;
"1000 first" reads a common word's first rows in the table, as schema 11 did, where the
others read its newest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import WARM_QUERIES, command_line  # noqa: E402
from pg_bases import start_server  # noqa: E402
from pg_statements import server_ms  # noqa: E402
from pg_tuned import server_settings, tuned_copy  # noqa: E402

from tests.storage.recorder import Recorder  # noqa: E402

EVERY_ROW = 10**9
# name: (RANKED_ROWS, ESTIMATE_FROM, NEWEST_MARGIN); a margin of EVERY_ROW reads a common
# word's first rows in the table rather than its newest (schema 12, keyword_bounds.newest).
VARIANTS = {
    "every row": (EVERY_ROW, EVERY_ROW, EVERY_ROW),
    "2000 rows": (2000, 1000, 2),
    "1000 rows": (1000, 1000, 2),
    "1000 first": (1000, 1000, EVERY_ROW),
    "500 rows": (500, 1000, 2),
}
# What the pool sets on its connections (storage/postgres/database.py).
SETTINGS = (
    "SET hnsw.ef_search = 200",
    "SET hnsw.iterative_scan = relaxed_order",
    "SET random_page_cost = 1.1",
)


def agreement(found: list[Any], reference: list[Any]) -> float:
    """Mean share of each reference list that the found list holds too."""
    return statistics.mean(
        len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(found, reference, strict=True)
    )


def measure(url: str, rounds: int) -> dict[str, dict[str, float]]:
    """Per variant: median and p95 server ms, and the mean share of the top 10 (hybrid)
    and of the 50 keyword candidates that ranking every row also returns."""
    import psycopg

    from rekall.config import Config
    from rekall.core.entries import EntryFilter
    from rekall.service import Rekall, searching
    from rekall.service.keyword import KeywordPlan
    from rekall.storage.postgres import keyword_bounds, search_repo
    from rekall.storage.postgres.vector_param import register_vector_param

    rekall = Rekall(Config(database_url=url), long_lived=True)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    tops: dict[str, list[list[int]]] = {name: [] for name in VARIANTS}
    hits: dict[str, list[set[int]]] = {name: [] for name in VARIANTS}
    try:
        model = rekall.semantic.model_id
        vectors = [rekall.semantic.embed_query(q).astype("<f4").tobytes() for q in WARM_QUERIES]
        with psycopg.connect(url, autocommit=True) as conn:
            register_vector_param(conn)  # statements may hold vectors in binary form
            for setting in SETTINGS:
                conn.execute(setting)
            for round_ in range(rounds + 1):  # the first round warms the caches
                for query, vector in zip(WARM_QUERIES, vectors, strict=True):
                    keyword = KeywordPlan.from_query(query).query()
                    for name, (rows, estimate, margin) in VARIANTS.items():
                        keyword_bounds.RANKED_ROWS, keyword_bounds.ESTIMATE_FROM = rows, estimate
                        keyword_bounds.NEWEST_MARGIN = margin
                        recorder = Recorder(conn)
                        search_repo.nearest(recorder, vector, model, 50, EntryFilter())
                        found = search_repo.keyword_candidates(recorder, 50, keyword, EntryFilter())
                        elapsed = server_ms(conn, recorder.sent)
                        if round_:
                            times[name].append(elapsed)
                            continue
                        hits[name].append({hit.seq for hit in found.hits})
                        ranked, _ = searching.hybrid_ranking(
                            rekall.semantic,
                            rekall.keyword,
                            query,
                            EntryFilter(),
                            10,
                            rekall.fusion_weights,
                        )
                        tops[name].append([seq for seq, _ in ranked])
    finally:
        rekall.close()
    return {
        name: {
            "p50": statistics.median(found),
            "p95": sorted(found)[int(0.95 * len(found))],
            "top10": agreement(tops[name], tops["every row"]),
            "hits": agreement(hits[name], hits["every row"]),
        }
        for name, found in times.items()
    }


def sized_bases(description: str) -> tuple[int, list[tuple[int, str]]]:
    """Parse --sizes and --rounds, print the command, start the server: the rounds, and the
    URL of each size's base."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--tuned", action="store_true", help="on the tuned server's copy (pg_tuned.py)"
    )
    args = parser.parse_args()
    print(f"$ {command_line()}")
    server = tuned_copy() if args.tuned else start_server()
    print(f"server: PostgreSQL {server_settings(server)}")
    return args.rounds, [
        (size, server.replace("/postgres?", f"/bench_{size}?")) for size in args.sizes
    ]


def main() -> None:
    rounds, bases = sized_bases(__doc__)
    for size, url in bases:
        for name, figures in measure(url, rounds).items():
            print(
                f"{size:>7,}  {name:<10} server ms p50/p95 {figures['p50']:6.1f}/"
                f"{figures['p95']:6.1f}; top 10 as every row: {figures['top10']:.3f}, "
                f"keyword candidates: {figures['hits']:.3f}"
            )


if __name__ == "__main__":
    main()
