"""PostgreSQL: what new entries waiting in the keyword indexes' pending lists cost a search.

A GIN index takes new rows' words into a pending list that every search reads whole until
autovacuum (or the list's limit) merges it. Two copies of the 10K bench base get the same new
entries by `rekall db copy`: one with the limit Rekall sets (m010), one with the server's
default (4 MB, as before m010); autovacuum is off on both so neither list is merged while
they are measured. Then warm hybrid search on each, alternated, and the copies' times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_postgres import copied_base, copy_into, warm_compared  # noqa: E402
from common import ROOT, command_line  # noqa: E402
from pg_bases import perturbed_base, start_server  # noqa: E402

from rekall.storage.postgres.database import PostgresDatabase  # noqa: E402
from rekall.storage.postgres.schema_keyword import KEYWORD_INDEXES, PENDING_LIST_KB  # noqa: E402

SIDES = {"bounded (m010)": PENDING_LIST_KB, "server default": 4096}


def side_database(server: str, name: str, limit_kb: int) -> str:
    """A copy of bench_10000 named name, its keyword indexes merging at limit_kb, and
    autovacuum off on entries; returns its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE bench_10000")
    url = server.replace("/postgres?", f"/{name}?")
    PostgresDatabase(url).close()  # brought to this schema first: m010 sets the limit
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE entries SET (autovacuum_enabled = off)")
        for index in KEYWORD_INDEXES:
            conn.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {limit_kb})")
    return url


def pending_pages(url: str) -> int:
    """Pages in the keyword indexes' pending lists, both indexes."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        return sum(
            int(conn.execute("SELECT pending_pages FROM pgstatginindex(%s)", (i,)).fetchone()[0])
            for i in KEYWORD_INDEXES
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--new", type=int, default=2000, help="entries added to each copy")
    parser.add_argument("--rounds", type=int, default=3, help="repeated-query rounds")
    parser.add_argument("--runs", type=int, default=3, help="warm passes per side")
    args = parser.parse_args()
    server = start_server()
    print(f"$ {command_line()}")
    copied_base(server, perturbed_base(10_000), 10_000, reuse=True, memory=None)
    extra = perturbed_base(args.new, seed=7)  # other ids than the base's (seed 42)
    urls = {}
    for index, (side, limit) in enumerate(SIDES.items()):
        urls[side] = url = side_database(server, f"pending_{index}", limit)
        copied = copy_into(extra, url)
        print(
            f"{side:>15}: {copied['added']:,} added by db copy in {copied['wall_s']:.1f} s; "
            f"pending lists {pending_pages(url)} pages (limit {limit} kB)"
        )
    sides = {side: (url, ROOT / "src") for side, url in urls.items()}
    for _ in range(args.runs):
        figures = warm_compared(sides, args.rounds)
        print(
            "  warm new query p50 / server CPU per query: "
            + "; ".join(
                f"{side} {f['new_p50']:.1f} / {f['new_cpu_server']:.1f} ms"
                for side, f in figures.items()
            )
        )


if __name__ == "__main__":
    main()
