"""Search quality: recall@10 and MRR of keyword, semantic and hybrid on the labelled set."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

EVAL = ROOT / "tests" / "fixtures" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.service import Rekall
        from rekall.testdata import quality

        service = Rekall()
        keys = quality.fill_corpus(service, quality.load_corpus(EVAL / "corpus.json"))
        queries = quality.load_queries(EVAL / "queries.json")
        table = quality.score_table(quality.facade_searcher(service, keys), queries, args.k)
        service.close()
    print(f"{len(keys)} entries, {len(queries)} queries")
    print(f"{'queries':<12}{'mode':<10}{'recall@' + str(args.k):>10}{'MRR':>8}")
    for (kind, mode), result in table.items():
        print(
            f"{kind + f' ({result.queries})':<12}{mode:<10}{result.recall:>10.3f}{result.mrr:>8.3f}"
        )


if __name__ == "__main__":
    main()
