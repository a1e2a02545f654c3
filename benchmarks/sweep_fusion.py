"""The fusion sweep behind docs/decisions/002: baselines, the weight grid, held-out choice.

For every corpus (hand-written set, Python docstrings, Debian descriptions) and query kind:
keyword alone, semantic alone, plain reciprocal rank fusion of the two (k = 60, equal
votes), and Rekall's hybrid for every FusionWeights in the grid. Then, for each corpus,
the grid point that scores best on it, and what that choice scores on the other corpora:
a parameter is only trusted if it wins where it was not chosen. Rekall's defaults are the
point chosen on TUNED_ON; the quality test scores them on the other corpora.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
KINDS = ("question", "identifier")
GRID = {
    "keyword": (0.05, 0.1, 0.2),
    "exact": (0.3, 0.5, 1.0),
    "body_match": (0.15, 0.3, 0.6),
}
CANDIDATES = 50
TUNED_ON = "debian"


def plain_rrf(search: Any, query: str, k: int) -> list[str]:
    """Equal-vote RRF of the keyword and semantic lists, as a library would do by default."""
    from rekall.search.hybrid import RankedList, reciprocal_rank_fusion

    lists = [search(query, mode, CANDIDATES) for mode in ("keyword", "semantic")]
    names = sorted({key for ranked in lists for key in ranked})
    index = {key: i for i, key in enumerate(names)}
    fused = reciprocal_rank_fusion([RankedList([index[key] for key in r], 1.0) for r in lists])
    return [names[i] for i, _ in fused[:k]]


def kind_scores(quality: Any, search: Any, queries: list[Any], mode: str, k: int) -> list[Any]:
    return [
        quality.score(search, [q for q in queries if q.kind == kind], mode, k) for kind in KINDS
    ]


def row(label: str, scores: dict[str, list[Any]]) -> str:
    cells = "".join(f"{s.recall:>7.3f}{s.mrr:>7.3f}" for name in scores for s in scores[name])
    return f"{label:<34}{cells}"


def label(values: tuple[float, ...]) -> str:
    short = {"keyword": "kw", "exact": "ex", "body_match": "body"}
    return " ".join(f"{short[name]}={value:g}" for name, value in zip(GRID, values, strict=True))


def objective(scores: list[Any], values: tuple[float, ...]) -> tuple[float, float]:
    """Mean of recall and MRR over both kinds; ties go to the point nearest the grid's middle."""
    mean = statistics.fmean(value for s in scores for value in (s.recall, s.mrr))
    off_centre = sum(
        abs(options.index(value) - (len(options) - 1) / 2)
        for options, value in zip(GRID.values(), values, strict=True)
    )
    return round(mean, 6), -off_centre


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.search.hybrid import FusionWeights
        from rekall.search.model_files import MODEL_ID
        from rekall.service import Rekall
        from rekall.testdata import quality

        opened = {}
        try:
            for name in [quality.HAND_WRITTEN, *quality.REAL_CORPORA]:
                service = Rekall(db_file=Path(scratch, name))
                opened[name] = (service, *quality.open_corpus(service, FIXTURES, name, MODEL_ID))
            sweep(quality, FusionWeights, opened, args.k)
        finally:
            for service, _, _ in opened.values():
                service.close()


def sweep(quality: Any, weights_type: Any, opened: dict[str, Any], k: int) -> None:
    header = "".join(f"{n + ' q R/MRR':>14}{n + ' id R/MRR':>14}" for n in opened)
    print(f"recall@{k} and MRR@{k}; q = questions, id = identifiers")
    print(f"{'':<34}{header}")

    def hybrid(weights: Any) -> dict[str, list[Any]]:
        out = {}
        for name, (service, search, corpus) in opened.items():
            service.fusion_weights = weights
            out[name] = kind_scores(quality, search, corpus.queries, "hybrid", k)
        return out

    for mode in ("keyword", "semantic"):
        print(
            row(
                mode,
                {n: kind_scores(quality, s, c.queries, mode, k) for n, (_, s, c) in opened.items()},
            )
        )
    rrf = {}
    for name, (_service, search, corpus) in opened.items():
        fused = lambda q, mode, limit, s=search: plain_rrf(s, q, limit)  # noqa: E731
        rrf[name] = kind_scores(quality, fused, corpus.queries, "rrf", k)
    print(row("plain RRF k=60", rrf))
    default = weights_type()
    print(row("Rekall default", hybrid(default)))
    no_prefix = dataclasses.replace(default, prefix_last=False)
    print(row("  without prefix on last word", hybrid(no_prefix)))
    for variant in ({"identifier_boost": 1.0}, {"evidence_power": 1.0}, {"prefix_match": 1.0}):
        name, value = next(iter(variant.items()))
        print(row(f"  {name}={value:g}", hybrid(dataclasses.replace(default, **variant))))
    grid = {}
    for values in itertools.product(*GRID.values()):
        weights = dataclasses.replace(default, **dict(zip(GRID, values, strict=True)))
        grid[values] = hybrid(weights)
        print(row(label(values), grid[values]), flush=True)
    print(f"\nchosen on one corpus, scored on the others (defaults: chosen on {TUNED_ON}):")
    for train in opened:
        best = max(grid, key=lambda v: objective(grid[v][train], v))
        print(row(f"on {train}: {label(best)}", grid[best]))


if __name__ == "__main__":
    main()
