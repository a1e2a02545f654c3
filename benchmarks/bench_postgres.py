"""PostgreSQL figures: db copy, warm hybrid search, HNSW recall, 8 HTTP clients; SQLite unchanged.

Bases: 1,000 entries embedded for real, the rest generated entries carrying perturbed copies
of those vectors (see pg_bases.py); the output says so. The bench server runs PostgreSQL's
defaults (128 MB of shared buffers); this code's search is measured too, alternated with
the rest, on a copy of its bases served by a second server tuned as a team server would be
(pg_tuned.py, --no-tuned to leave it out). The output prints each server's settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REKALL, ROOT, WARM_QUERIES, bench_env, command_line, source_tree  # noqa: E402
from pg_bases import REAL, fresh_database, perturbed_base, start_server  # noqa: E402
from pg_http import http_clients, percentile  # noqa: E402
from pg_sqlite import sqlite_unchanged  # noqa: E402
from pg_statements import statement_times  # noqa: E402
from pg_tuned import prewarmed, server_settings, tuned_server  # noqa: E402
from pg_twins import base_for, schema_of, settled  # noqa: E402

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The last commit before keyword ranking read a bounded set of rows (schema 4); its side
# searches a twin of the base taken back to its schema (also possible: schema 2, e3e8edb).
SEARCH_BEFORE = "186d5b7"


def copy_into(home: Path, url: str) -> dict[str, Any]:
    """`rekall db copy` from the SQLite base into the server, as a user runs it."""
    started = time.perf_counter()
    result = subprocess.run(
        [REKALL, "db", "copy", "--from", str(home / "rekall.db"), "--to", url, "--json"],
        env=bench_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    report["wall_s"] = time.perf_counter() - started
    return report


def copied_base(server: str, home: Path, size: int, reuse: bool, memory: str | None) -> str:
    """The URL of the size base on the server: copied in now (printing the figure), or with
    reuse the one a previous run copied, when it holds as many entries. memory: the
    database's maintenance_work_mem, as a team would set it for a base whose HNSW graph
    outgrows the 512 MB Rekall takes for a build (~2 GB at 1M entries)."""
    import psycopg

    url = server.replace("/postgres?", f"/bench_{size}?")
    if reuse:
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) FROM entries").fetchone()
            if row is not None and row[0] == size:
                print(f"{size:>7,}  db copy: skipped (--reuse)")
                return url
        except psycopg.Error:
            pass
    url = fresh_database(server, f"bench_{size}")
    if memory is not None:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE bench_{size} SET maintenance_work_mem = '{memory}'")
    copied = copy_into(home, url)
    print(
        f"{size:>7,}  db copy: {copied['wall_s']:.1f} s, {copied['vectors_copied']:,} vectors "
        f"copied, {copied['embedded']} embedded ({copied['added']:,} entries)"
    )
    return url


def server_cpu_s(url: str) -> float:
    """CPU seconds used so far by the server processes serving url's database (but the one
    asking): a load-insensitive measure, unlike wall time. Clock ticks are 10 ms, so only
    sums over many searches mean something."""
    import psutil
    import psycopg

    with psycopg.connect(url) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    total = 0.0
    for (pid,) in pids:
        try:
            used = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += used.user + used.system
    return total


def warm_search(url: str, rounds: int) -> dict[str, float]:
    """Hybrid search through the facade on the server: new queries, then repeated ones;
    and the CPU time of a new query, this process's and the server's (mean)."""
    from rekall.config import Config
    from rekall.service import Rekall

    rekall = Rekall(Config(database_url=url), long_lived=True)
    try:
        rekall.search("warm up the model", mode="hybrid")
        fresh: list[float] = []
        server, client = server_cpu_s(url), time.process_time()
        for query in WARM_QUERIES:
            started = time.perf_counter()
            rekall.search(query, mode="hybrid")
            fresh.append((time.perf_counter() - started) * 1000)
        client, server = time.process_time() - client, server_cpu_s(url) - server
        repeated: list[float] = []
        for _ in range(rounds):
            for query in WARM_QUERIES:
                started = time.perf_counter()
                rekall.search(query, mode="hybrid")
                repeated.append((time.perf_counter() - started) * 1000)
        return {
            "new_p50": statistics.median(fresh),
            "new_p95": percentile(fresh, 0.95),
            "repeated_p50": statistics.median(repeated),
            "repeated_p95": percentile(repeated, 0.95),
            "new_cpu_client": client * 1000 / len(WARM_QUERIES),
            "new_cpu_server": server * 1000 / len(WARM_QUERIES),
        }
    finally:
        rekall.close()


def warm_compared(sides: dict[str, tuple[str, Path]], rounds: int) -> dict[str, dict[str, float]]:
    """warm_search for each side (name: (url, source tree)), each in its own process,
    alternating so load hits all alike; medians of the runs' figures."""
    found: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    # A pass not counted first, then each side first once: a pass found in the server's
    # buffers the rows of the pass before it (on the same base, about half the server time
    # of the rows read), so each side follows the other and itself once.
    order = [next(iter(sides)), *sides, *reversed(sides)]
    for index, name in enumerate(order):
        url, source = sides[name]
        # One BLAS thread, as the `rekall` script runs the TUI and the MCP server: a
        # second thread spinning after each query took a core from the server.
        env = {**os.environ, "PYTHONPATH": str(source), "HF_HUB_OFFLINE": "1"}
        result = subprocess.run(
            [sys.executable, __file__, "--warm-only", url, "--rounds", str(rounds)],
            env={**env, "OPENBLAS_NUM_THREADS": "1"},
            capture_output=True,
            text=True,
            check=True,
        )
        if index:
            found[name].append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in found.items()
    }


def hnsw_recall(url: str, samples: int) -> float:
    """Mean recall@10 of the HNSW search against an exact scan, over entry vectors."""
    from rekall.core.entries import EntryFilter
    from rekall.storage.postgres import search_repo, vectors_repo
    from rekall.storage.postgres.database import PostgresDatabase

    db = PostgresDatabase(url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                "SELECT vector::real[] FROM embeddings ORDER BY random() LIMIT %s", (samples,)
            ).fetchall()
        recalls = []
        for (values,) in rows:
            blob = vectors_repo.to_blob(values)
            with db.read() as conn:
                found = search_repo.nearest(conn, blob, MODEL, 10, EntryFilter(status=None))
            with db.read() as conn:
                exact = search_repo.exact_nearest(conn, blob, MODEL, 10)
            recalls.append(len({seq for seq, _ in found} & set(exact)) / 10)
        return statistics.mean(recalls)
    finally:
        db.close()


def measured(size: int, servers: dict[str, str], args: argparse.Namespace) -> None:
    """Warm search, its statements' server time and recall on the size base: this code and
    the code before on the default server, this code on the tuned one too."""
    url = servers["defaults"].replace("/postgres?", f"/bench_{size}?")
    sides, names = {"this": (url, ROOT / "src")}, {"this": "this branch"}
    if args.before != "none":
        sides["before"] = (base_for(url, source_tree(args.before)), source_tree(args.before))
        names["before"] = f"before ({args.before})"
    if "tuned" in servers:
        sides["tuned"] = (servers["tuned"].replace("/postgres?", f"/bench_{size}?"), ROOT / "src")
        names["tuned"] = "this branch, tuned server"
        prewarmed(sides["tuned"][0])
    for name, searched in warm_compared(sides, args.rounds).items():
        print(
            f"{size:>7,}  warm hybrid search p50/p95, {names[name]}: new "
            f"{searched['new_p50']:.1f}/{searched['new_p95']:.1f} ms, repeated "
            f"{searched['repeated_p50']:.1f}/{searched['repeated_p95']:.1f} ms; CPU of a new "
            f"query (mean): {searched['new_cpu_client']:.1f} ms here + "
            f"{searched['new_cpu_server']:.1f} ms on the server"
        )
    # Schema 4's code sets on its connections what this code sets.
    older = sides.get("before", sides["this"])[1]
    timed = statement_times(sides, same_settings=schema_of(older) >= 4)
    print(
        f"{size:>7,}  candidates statements, server time (EXPLAIN ANALYZE): "
        + ", ".join(f"{names[name]} {ms:.1f} ms" for name, ms in timed.items())
    )
    recall = hnsw_recall(url, args.recall_samples)
    print(f"{size:>7,}  HNSW recall@10 vs exact, near-copies base: {recall:.3f}")
    if "http" not in args.skip:
        http = asyncio.run(http_clients(url, perturbed_base(size), args.clients, args.ops))
        print(
            f"{size:>7,}  {args.clients} HTTP MCP clients with tokens (80% search, 20% add): "
            f"{http['searches_per_s']:.1f} searches/s, p50/p95 {http['search_p50']:.0f}/"
            f"{http['search_p95']:.0f} ms, {http['adds']:.0f} adds, "
            f"{http['adds_lost']:.0f} lost"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--rounds", type=int, default=3, help="repeated-query rounds")
    parser.add_argument("--recall-samples", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--ops", type=int, default=25, help="tool calls per HTTP client")
    parser.add_argument("--runs", type=int, default=5, help="cold runs per side (SQLite)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["http", "sqlite", "postgres"])
    parser.add_argument(
        "--before", default=SEARCH_BEFORE, help="commit to compare search with; none: no twin"
    )
    parser.add_argument(
        "--build-memory",
        metavar="SIZE",
        help="maintenance_work_mem of the bases copied in, e.g. 4GB for 1M entries",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="search the bases a previous run copied in"
    )
    parser.add_argument(
        "--no-tuned",
        action="store_true",
        help="leave out the second server, tuned as a team server (pg_tuned.py)",
    )
    parser.add_argument("--warm-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_only:  # one side of warm_compared, in its own process
        print(json.dumps(warm_search(args.warm_only, args.rounds)))
        return
    server = start_server()
    print(f"$ {command_line()}")
    print(f"bases: {REAL:,} entries embedded for real, the rest with perturbed real vectors")
    sizes = [] if "postgres" in args.skip else args.sizes
    for size in sizes:
        base = perturbed_base(size)
        settled(copied_base(server, base, size, args.reuse, args.build_memory))
    servers = {"defaults": server}
    if not args.no_tuned and sizes:
        servers["tuned"] = tuned_server(server, [f"bench_{size}" for size in sizes])
    for name, url in servers.items():
        print(f"server ({name}): PostgreSQL {server_settings(url)}")
    for size in sizes:
        measured(size, servers, args)
    if "sqlite" not in args.skip:
        cold = sqlite_unchanged(perturbed_base(10_000), args.runs)
        for name, (ms, mb) in cold.items():
            print(
                f" 10,000  SQLite cold `rekall search` (hybrid), {name}: {ms:.0f} ms, {mb:.0f} MB"
            )


if __name__ == "__main__":
    main()
