"""The fusion sweep behind docs/decisions/002: baselines, the weight grid, held-out choice.

For every corpus (hand-written set, Python docstrings, Debian descriptions, numpy/click/rich
docstrings) and query kind: keyword alone, semantic alone, plain reciprocal rank fusion of
the two (k = 60, equal votes), and Rekall's hybrid for every FusionWeights in the grid.
A point is judged first by its worst margin over the mode to beat (semantic on questions,
keyword on identifiers), then by its mean recall and MRR. Then, for each corpus, the point
it would choose, and what that choice scores on the others; and leave one corpus out: the
point chosen on all the others, scored on it. A parameter is only trusted if it wins where
it was not chosen; Rekall's defaults are the point every left-out choice agrees on, and the
quality test scores them on every corpus. `--quick` prints the grid and choices only.
Last, search as you type: every query cut inside one of its words (every third such
state), scored against the finished query's answers, with and without the prefix rule.
"""

from __future__ import annotations

import argparse
import contextlib
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


def plain_rrf(search: Any, query: str, k: int) -> list[str]:
    """Equal-vote RRF of the keyword and semantic lists, as a library would do by default."""
    from rekall.search.rank_fusion import RankedList, reciprocal_rank_fusion

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


def point(values: tuple[Any, ...]) -> dict[str, Any]:
    """The FusionWeights fields of a grid point."""
    return dict(zip(GRID, values, strict=True))


def label(values: tuple[Any, ...]) -> str:
    short = {"keyword": "kw", "exact": "ex", "body_match": "body"}
    return " ".join(f"{short[name]}={value:g}" for name, value in point(values).items())


def losses(scores: dict[str, list[Any]], alone: dict[str, dict[str, list[Any]]]) -> int:
    """Queries the point answers worse than the mode to beat (semantic on questions, keyword
    on identifiers: the issue's bar): a lower recall@k or a lower reciprocal rank."""
    rival = dict(zip(KINDS, ("semantic", "keyword"), strict=True))
    return sum(
        mine[0] < theirs[0] - 1e-9 or mine[1] < theirs[1] - 1e-9
        for name, kinds in scores.items()
        for i, (kind, score) in enumerate(zip(KINDS, kinds, strict=True))
        for mine, theirs in zip(score.each, alone[rival[kind]][name][i].each, strict=True)
    )


def margin(scores: dict[str, list[Any]], alone: dict[str, dict[str, list[Any]]]) -> float:
    """The worst of hybrid less the mode to beat, over corpora, kinds, recall and MRR."""
    rival = dict(zip(KINDS, ("semantic", "keyword"), strict=True))
    return min(
        getattr(mine, measure) - getattr(alone[rival[kind]][name][i], measure)
        for name, kinds in scores.items()
        for i, (kind, mine) in enumerate(zip(KINDS, kinds, strict=True))
        for measure in ("recall", "mrr")
    )


def objective(
    scores: dict[str, list[Any]], alone: dict[str, dict[str, list[Any]]], values: tuple[Any, ...]
) -> tuple[int, float, float]:
    """First the fewest queries answered worse than the mode to beat (a point that trades
    losses for gains on the corpora it is chosen on trades them on the next one too), then
    the mean of recall and MRR over both kinds; last, the point nearest the grid's middle."""
    mean = statistics.fmean(
        value for kinds in scores.values() for s in kinds for value in (s.recall, s.mrr)
    )
    off_centre = sum(
        abs(options.index(value) - (len(options) - 1) / 2)
        for options, value in zip(GRID.values(), values, strict=True)
    )
    return -losses(scores, alone), round(mean, 6), -off_centre


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="the grid and choices only")
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
            sweep(quality, FusionWeights, opened, args.k, args.quick)
        finally:
            for service, _, _ in opened.values():
                service.close()


def sweep(quality: Any, weights_type: Any, opened: dict[str, Any], k: int, quick: bool) -> None:
    header = "".join(f"{n + ' q R/MRR':>14}{n + ' id R/MRR':>14}" for n in opened)
    print(f"recall@{k} and MRR@{k}; q = questions, id = identifiers")
    print(f"{'':<34}{header}")

    def hybrid(weights: Any) -> dict[str, list[Any]]:
        out = {}
        for name, (service, search, corpus) in opened.items():
            service.fusion_weights = weights
            out[name] = kind_scores(quality, search, corpus.queries, "hybrid", k)
        return out

    alone = {
        mode: {n: kind_scores(quality, s, c.queries, mode, k) for n, (_, s, c) in opened.items()}
        for mode in ("keyword", "semantic")
    }
    for mode, scores in alone.items():
        print(row(mode, scores))
    rrf = {}
    for name, (_service, search, corpus) in opened.items():
        fused = lambda q, mode, limit, s=search: plain_rrf(s, q, limit)  # noqa: E731
        rrf[name] = kind_scores(quality, fused, corpus.queries, "rrf", k)
    print(row("plain RRF k=60", rrf))
    default = weights_type()
    print(row("Rekall default", hybrid(default)))
    if not quick:
        variants(quality, opened, default, hybrid, k)
    grid = {}
    for values in itertools.product(*GRID.values()):
        grid[values] = hybrid(default._replace(**point(values)))
        print(row(label(values), grid[values]), flush=True)
    choose(grid, alone, default)
    if not quick:
        typing(quality, opened, default)


def variants(quality: Any, opened: dict[str, Any], default: Any, hybrid: Any, k: int) -> None:
    """The defaults with one rule changed: no prefix, keyword alone without it, and others."""
    no_prefix = default._replace(prefix_last=False)
    print(row("  without prefix on last word", hybrid(no_prefix)))
    keyword_alone = {}
    for name, (service, search, corpus) in opened.items():
        service.fusion_weights = no_prefix
        keyword_alone[name] = kind_scores(quality, search, corpus.queries, "keyword", k)
    print(row("  keyword, without prefix", keyword_alone))
    with whole_when_held():
        for name, (service, search, corpus) in opened.items():
            service.fusion_weights = default
            forget(service)
            keyword_alone[name] = kind_scores(quality, search, corpus.queries, "keyword", k)
    print(row("  keyword, whole word if held", keyword_alone))
    for service, _, _ in opened.values():
        forget(service)
    for variant in ({"identifier_boost": 1.0}, {"evidence_power": 1.0}, {"prefix_match": 1.0}):
        name, value = next(iter(variant.items()))
        print(row(f"  {name}={value:g}", hybrid(default._replace(**variant))))


def choose(grid: dict[Any, Any], alone: dict[str, Any], default: Any) -> None:
    """The point each corpus would choose, and each corpus scored by the others' choice."""
    names = list(next(iter(grid.values())))

    def best(train: list[str]) -> Any:
        def judged(values: Any) -> Any:
            return objective({n: grid[values][n] for n in train}, alone, values)

        return max(grid, key=judged)

    current = next(v for v in grid if point(v) == {n: getattr(default, n) for n in GRID})
    lost = {n: losses({n: grid[current][n]}, alone) for n in names}
    print(f"\nqueries the defaults answer worse than the mode to beat: {lost}")
    print("\nchosen on one corpus, scored on the others:")
    for train in names:
        print(row(f"on {train}: {label(best([train]))}", grid[best([train])]))
    print("\nchosen on every corpus:")
    print(row(label(best(names)), grid[best(names)]))
    print("\nleft out: chosen on the other corpora, scored on this one")
    for left in names:
        chosen = best([n for n in names if n != left])
        same = point(chosen) == {n: getattr(default, n) for n in GRID}
        mark = " (the defaults)" if same else ""
        scored = {left: grid[chosen][left]}
        print(row(f"{left} out: {label(chosen)}{mark}", scored), end="")
        print(f"   worst margin {margin(scored, alone):+.3f}, {losses(scored, alone)} lost")


def typing(quality: Any, opened: dict[str, Any], default: Any) -> None:
    """Search as you type: recall@10 of every state against the finished query's answers."""
    import re
    from unittest import mock

    print("\nas you type: queries cut inside a word of 5+ letters after 3+ of them (every third)")
    print(f"{'':<34}{'states':>8}{'keyword R':>11}{'empty':>7}{'hybrid R':>10}{'empty':>7}")
    for name, (service, search, corpus) in opened.items():
        states = [
            (q.text[:cut], q)
            for q in corpus.queries
            if q.kind in KINDS
            for word in re.finditer(r"\w{5,}", q.text)
            for cut in range(word.start() + 3, word.end())
        ][::3]
        rules = {
            "prefix (the default)": (default, None),
            "prefix, no shorter forms": (
                default,
                mock.patch("rekall.storage.fts_repo.typed_stand_ins", return_value=[]),
            ),
            "no prefix": (default._replace(prefix_last=False), None),
            "whole word if held": (default, whole_when_held()),
        }
        for rule, (weights, patch) in rules.items():
            service.fusion_weights = weights
            forget(service)
            with patch or contextlib.nullcontext():
                cells = [typed_recall(search, states, mode) for mode in ("keyword", "hybrid")]
            text = "".join(f"{recall:>10.3f}{empty:>7}" for recall, empty in cells)
            print(f"{name + ': ' + rule:<34}{len(states):>8} {text}", flush=True)
        service.fusion_weights = default


def forget(service: Any) -> None:
    """Drop what the base remembers of earlier searches: a patched keyword rule changes the
    answers without changing the write generation or the weights those memories are under."""
    service.keyword.counts.clear()
    service.rankings.clear()


def whole_when_held() -> Any:
    """A variant: the last word is a prefix only when no entry holds it as a whole word."""
    from unittest import mock

    from rekall.storage import fts_repo

    original = fts_repo._quoted

    def quoted(conn: Any, query: Any) -> list[str]:
        parts = original(conn, query)
        if query.prefix_last and parts:
            whole = '"' + " ".join(query.phrases[-1]) + '"'
            parts[-1] = whole if fts_repo._matches_any(conn, whole) else parts[-1]
        return parts

    return mock.patch.object(fts_repo, "_quoted", quoted)


def typed_recall(search: Any, states: list[Any], mode: str) -> tuple[float, int]:
    """Mean recall@10 over the typed states, and how many returned nothing."""
    recalls, empty = [], 0
    for text, query in states:
        found = search(text, mode, 10)
        empty += not found
        recalls.append(len([key for key in found if key in query.relevant]) / len(query.relevant))
    return statistics.fmean(recalls), empty


if __name__ == "__main__":
    main()
