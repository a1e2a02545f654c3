"""pgvector HNSW recall@10 against exact search, per index setting, and what each costs.

The base vectors are made from real MiniLM vectors (the 1,000 embedded bench entries and the
two quality corpora's documents): either "near-copies" (one of the 1,000 bench entries'
vectors plus small noise, ~100 copies around each, as bench_postgres.py's bases) or
"mixtures" (a random blend of three of the 5,617 real vectors plus noise: a spread-out
cloud, closer to a real base of distinct texts). Queries are
held-out vectors made the same way. The output says which. With --filtered, the same
queries ask only for 10% or 1% of the rows (as a type or project filter does), with
pgvector 0.8's iterative scan off and on.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line, generated_base  # noqa: E402
from pg_bases import REAL, fresh_database, start_server  # noqa: E402

CORPORA = ROOT / "tests" / "fixtures" / "corpora"


def real_vectors() -> np.ndarray:
    """Every really embedded vector at hand: the bench base's and the quality corpora's."""
    with closing(sqlite3.connect(generated_base(REAL) / "rekall.db")) as conn:
        rows = conn.execute("SELECT vector FROM embeddings").fetchall()
    found = [np.frombuffer(blob, dtype=np.float32) for (blob,) in rows]
    for name in ("pydoc", "debian"):
        found.extend(np.load(CORPORA / f"{name}.vectors.npy").astype(np.float32))
    return np.stack(found)


def made_vectors(real: np.ndarray, count: int, kind: str, seed: int) -> np.ndarray:
    """count unit vectors made from the real ones (see the module docstring)."""
    rng = np.random.default_rng(seed)
    if kind == "near-copies":  # of the bench base's REAL vectors, as bench_postgres.py's
        made = real[np.arange(count) % REAL] + rng.normal(0, 0.02, (count, 384))
    else:
        picks = rng.integers(0, len(real), (count, 3))
        weights = rng.dirichlet([1.0, 1.0, 1.0], count)
        made = np.einsum("nk,nkd->nd", weights, real[picks]) + rng.normal(0, 0.01, (count, 384))
    made = made.astype(np.float32)
    return made / np.linalg.norm(made, axis=1, keepdims=True)


def load(url: str, vectors: np.ndarray) -> None:
    """The vectors into table v (id, vector) by COPY."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(
            "CREATE TABLE v (id INTEGER PRIMARY KEY, vector vector(384) NOT NULL, "
            "part INTEGER GENERATED ALWAYS AS (id % 100) STORED)"
        )
        with conn.cursor().copy("COPY v (id, vector) FROM STDIN") as copy:
            for index, vector in enumerate(vectors):
                copy.write(f"{index}\t{literal(vector)}\n")


def literal(vector: np.ndarray) -> str:
    """pgvector's text form of a vector."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


# Filters as SQL on v, and the ids they allow: a tenth and a hundredth of the rows.
FILTERS = {
    "10%": ("part < 10", lambda ids: ids % 100 < 10),
    "1%": ("part = 0", lambda ids: ids % 100 == 0),
}


def exact(
    vectors: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> list[set[int]]:
    """The true k nearest ids of each query (cosine) among the allowed ones, by numpy."""
    ids = np.arange(len(vectors)) if allowed is None else np.flatnonzero(allowed)
    scores = queries @ vectors[ids].T
    return [set(ids[np.argpartition(-row, k)[:k]].tolist()) for row in scores]


def build(url: str, m: int, ef_construction: int, memory: str) -> float:
    """(Re)build the HNSW index with these settings; return seconds. memory: the build's
    maintenance_work_mem, which should hold the graph (~2 GB at 1M vectors)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS v_hnsw")
        conn.execute(f"SET maintenance_work_mem = '{memory}'")
        started = time.perf_counter()
        conn.execute(
            f"CREATE INDEX v_hnsw ON v USING hnsw (vector vector_cosine_ops) "
            f"WITH (m = {m}, ef_construction = {ef_construction})"
        )
        return time.perf_counter() - started


def searched(
    url: str,
    queries: np.ndarray,
    truth: list[set[int]],
    ef: int,
    where: str = "true",
    iterative: str = "off",
) -> tuple[float, float]:
    """Mean recall@10 of the index at this ef_search, and the median ms per query."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET hnsw.ef_search = {ef}")
        conn.execute(f"SET hnsw.iterative_scan = {iterative}")
        recalls, times = [], []
        for query, true in zip(queries, truth, strict=True):
            started = time.perf_counter()
            rows = conn.execute(
                f"SELECT id FROM v WHERE {where} ORDER BY vector <=> %s::vector LIMIT 10",
                (literal(query),),
            ).fetchall()
            times.append((time.perf_counter() - started) * 1000)
            recalls.append(len({r[0] for r in rows} & true) / 10)
    return statistics.mean(recalls), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--kind", choices=["mixtures", "near-copies"], default="mixtures")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", nargs="+", default=["16:128"], help="m:ef_construction")
    parser.add_argument("--ef-search", type=int, nargs="+", default=[40, 100, 200, 400])
    parser.add_argument("--filtered", action="store_true", help="also 10%% and 1%% filters")
    parser.add_argument("--build-memory", default="512MB", help="maintenance_work_mem")
    args = parser.parse_args()
    print(f"$ {command_line()}")
    real = real_vectors()
    made = made_vectors(real, args.size + args.queries, args.kind, seed=7)
    vectors, queries = made[: args.size], made[args.size :]
    donors = REAL if args.kind == "near-copies" else len(real)
    print(f"{args.size:,} {args.kind} of {donors:,} real MiniLM vectors; held-out queries")
    url = fresh_database(start_server(), f"recall_{args.kind.replace('-', '_')}_{args.size}")
    load(url, vectors)
    truth = exact(vectors, queries, 10)
    for setting in args.index:
        m, ef_construction = (int(part) for part in setting.split(":"))
        seconds = build(url, m, ef_construction, args.build_memory)
        for ef in args.ef_search:
            recall, ms = searched(url, queries, truth, ef)
            print(
                f"m={m} ef_construction={ef_construction} (build {seconds:.0f} s) "
                f"ef_search={ef}: recall@10 {recall:.3f}, {ms:.2f} ms per query (median)"
            )
            if args.filtered:
                for share, (where, allows) in FILTERS.items():
                    allowed = exact(vectors, queries, 10, allows(np.arange(len(vectors))))
                    for iterative in ("off", "strict_order", "relaxed_order"):
                        recall, ms = searched(url, queries, allowed, ef, where, iterative)
                        print(
                            f"    filter {share} of rows, iterative_scan {iterative}: "
                            f"recall@10 {recall:.3f}, {ms:.2f} ms"
                        )


if __name__ == "__main__":
    main()
