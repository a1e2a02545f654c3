"""Query-side and scoring changes to the similarity, chosen leave-one-out over the corpora.

The similarity side of hybrid search is what decides questions (decision 015): this sweep
tries changes to it alone, Rekall's keyword side and fusion (`fuse`, FusionWeights
defaults) unchanged. Each corpus is filled into a fresh base as the quality test does; the
similarity of every entry (the best of its own vector and its body pieces', a piece less
PIECE_MARGIN, as `best_per_entry` ranks) is computed over the whole index, which is the
exact list the search's nearest-vector step returns; the script first checks that the
default gives the facade's own lists. Variants:
- pseudo-relevance feedback (Rocchio): q' = normalise(q + beta * mean of the vectors that
  gave the top k entries their score), optionally weighted by similarity, optionally only
  when those k vectors agree (mean pairwise cosine >= a threshold), or with the feedback
  set taken from the top entries the keyword side also matched; then a second pass;
- an entry's score mixed from its best vector and its own (title and start) vector, or the
  mean of all its vectors;
- centring (a share of the base's mean vector taken from both sides), smoothing (each
  entry's score plus a share of its 5 nearest entries'), and the similarity min-max scaled
  over the candidates before fusion (the keyword vote scaled to match).
Each variant is judged as `sweep_fusion.py` judges a grid point: the fewest queries it
answers worse than the current default hybrid (a lower recall@10 or reciprocal rank), then
mean recall and MRR; leaving each corpus out chooses on the others. Per corpus, kind and
mode: recall@10 and MRR@10, and each variant's per-query wins / losses against the default.
No variant was kept (decision 015 has the figures).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
KINDS = ("question", "identifier")
CANDIDATES = 50


@dataclass(frozen=True)
class Variant:
    """One change to the similarity side; the default is Rekall's own."""

    feedback_k: int = 0  # 0: no feedback
    beta: float = 0.0
    weighted: bool = False  # feedback vectors weighted by their similarity
    agree: float = -1.0  # feedback only when the k vectors' mean pairwise cosine >= this
    keyword_set: bool = False  # feedback set: top-10 entries the keyword side matched
    sides_agree: bool = False  # feedback only when keyword's first is in semantic's top 3
    own_mix: float = 0.0  # score = (1 - m) * best + m * own vector's similarity
    mean_mix: float = 0.0  # score = (1 - m) * best + m * mean over the entry's vectors
    centre: float = 0.0  # query and vectors less this share of the base's mean vector
    smooth: float = 0.0  # score + s * mean score of the entry's 5 nearest entries
    scaled: float = 0.0  # similarity min-max scaled over the candidates, votes times this

    def label(self) -> str:
        if self.feedback_k:
            extra = (" w" if self.weighted else "") + (" kwset" if self.keyword_set else "")
            extra += f" agree>={self.agree:g}" if self.agree > -1 else ""
            extra += " sides agree" if self.sides_agree else ""
            return f"feedback k={self.feedback_k} b={self.beta:g}{extra}"
        if self.own_mix:
            return f"own-vector mix {self.own_mix:g}"
        if self.mean_mix:
            return f"mean-vector mix {self.mean_mix:g}"
        if self.centre:
            return f"centred {self.centre:g}"
        if self.smooth:
            return f"neighbour smoothing {self.smooth:g}"
        if self.scaled:
            return f"min-max similarity, vote x{self.scaled:g}"
        return "Rekall default"


class Corpus:
    """One corpus in a fresh base: every index row, its entry, the queries' keyword matches."""

    def __init__(self, service: Any, name: str) -> None:
        import numpy as np

        from rekall.core.entries import EntryFilter
        from rekall.core.pieces import PIECE_MARGIN, SEQ_MASK
        from rekall.search.model_files import MODEL_ID
        from rekall.service.keyword import KeywordPlan
        from rekall.testdata import quality

        self.np, self.name = np, name
        self.corpus = quality.load_named(FIXTURES, name, MODEL_ID)
        keys = quality.fill_corpus(service, self.corpus.documents, self.corpus.vectors)
        with service.db.read() as conn:
            seq_key = {service.db.repos.entries.seq_of(conn, i): k for i, k in keys.items()}
        ids, matrix = service.semantic.sync().index.arrays()
        ids = np.asarray(ids, dtype=np.int64)
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.seqs = np.array(sorted(seq_key), dtype=np.int64)
        self.keys = [seq_key[int(s)] for s in self.seqs]
        self.entry = np.searchsorted(self.seqs, ids & SEQ_MASK)
        self.piece = ids != (ids & SEQ_MASK)
        self.own = np.full(len(self.seqs), -1)
        self.own[self.entry[~self.piece]] = np.flatnonzero(~self.piece)
        self.margin = np.where(self.piece, PIECE_MARGIN, 0.0).astype(np.float32)
        self.rows_per_entry = np.bincount(self.entry, minlength=len(self.seqs))
        self.queries = [q for q in self.corpus.queries if q.kind in KINDS]
        self.vectors = {q.text: service.semantic.embed_query(q.text) for q in self.queries}
        weights, side = service.fusion_weights, service.keyword
        self.weights, self.matches = weights, {}
        for q in self.queries:
            plan = KeywordPlan.from_query(q.text, weights.prefix_last)
            hits = side.hits(plan, EntryFilter(status=None), CANDIDATES)
            self.matches[q.text] = side.weigh(plan, hits, weights)
        # The default variant must give the facade's own lists, or the sweep measures nothing.
        search = quality.facade_searcher(service, keys)
        self.same = sum(
            search(q.text, mode, 10) == self.ranked(q.text, mode, Variant())
            for q in self.queries
            for mode in ("semantic", "hybrid")
        )

    def entry_scores(self, vector: Any, variant: Variant) -> tuple[Any, Any]:
        """Every entry's similarity, and the row that gave each its score."""
        np = self.np
        rows = self.matrix @ vector - self.margin
        if variant.centre:
            rows = self.centred(vector, variant.centre) - self.margin
        best = np.full(len(self.seqs), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.entry, rows)
        order = np.lexsort((-rows, self.entry))  # per entry, its best row first
        first = order[np.r_[0, np.flatnonzero(np.diff(self.entry[order])) + 1]]
        best_row = np.empty(len(self.seqs), dtype=np.int64)
        best_row[self.entry[first]] = first
        if variant.own_mix:
            own = np.where(self.own >= 0, rows[self.own], best)
            best = (1 - variant.own_mix) * best + variant.own_mix * own
        if variant.mean_mix:
            mean = np.bincount(self.entry, rows + self.margin) / self.rows_per_entry
            best = (1 - variant.mean_mix) * best + variant.mean_mix * mean
        if variant.smooth:
            best = best + variant.smooth * best[self.neighbours()].mean(axis=1)
        return best, best_row

    def centred(self, vector: Any, share: float) -> Any:
        """Cosines once the base's mean vector (a share of it) is taken from both sides."""
        np = self.np
        mean = share * self.matrix.mean(axis=0)
        rows = self.matrix - mean
        query = vector - mean
        return (rows @ query) / (np.linalg.norm(rows, axis=1) * np.linalg.norm(query))

    def neighbours(self) -> Any:
        """Each entry's 5 nearest entries by their own vectors (computed once)."""
        np = self.np
        if not hasattr(self, "_near"):
            own = self.matrix[np.maximum(self.own, 0)]
            near = own @ own.T
            np.fill_diagonal(near, -np.inf)
            self._near = np.argsort(-near, axis=1)[:, :5]
        return self._near

    def semantic(self, text: str, variant: Variant) -> list[tuple[int, float]]:
        """The CANDIDATES nearest entries (seq, similarity), best first, ties by seq."""
        vector = self.vectors[text]
        scores, best_row = self.entry_scores(vector, variant)
        if variant.feedback_k:
            top = self.top(scores)
            chosen = self.feedback_set(text, top, variant)
            if len(chosen):
                moved = self.moved(vector, scores, best_row, chosen, variant)
                if moved is not None:
                    scores, _ = self.entry_scores(moved, variant)
        top = self.top(scores)
        return [(int(self.seqs[i]), float(scores[i])) for i in top]

    def top(self, scores: Any) -> Any:
        np = self.np
        order = np.lexsort((self.seqs, -scores))
        return order[:CANDIDATES]

    def feedback_set(self, text: str, top: Any, variant: Variant) -> Any:
        if variant.sides_agree:
            first = self.matches[text][0].hit.seq if self.matches[text] else None
            if first not in {int(self.seqs[i]) for i in top[:3]}:
                return top[:0]
        if not variant.keyword_set:
            return top[: variant.feedback_k]
        matched = {m.hit.seq for m in self.matches[text] if m.evidence.vote > 0}
        return self.np.array(
            [i for i in top[:10] if int(self.seqs[i]) in matched][: variant.feedback_k],
            dtype=int,
        )

    def moved(self, vector: Any, scores: Any, best_row: Any, chosen: Any, variant: Variant) -> Any:
        np = self.np
        fed = self.matrix[best_row[chosen]]
        if variant.agree > -1 and len(chosen) > 1:
            pair = fed @ fed.T
            n = len(chosen)
            if (pair.sum() - n) / (n * (n - 1)) < variant.agree:
                return None
        weights = np.maximum(scores[chosen], 0) if variant.weighted else np.ones(len(chosen))
        centre = (weights[:, None] * fed).sum(axis=0) / max(weights.sum(), 1e-9)
        moved = vector + variant.beta * centre
        return (moved / np.linalg.norm(moved)).astype(np.float32)

    def ranked(self, text: str, mode: str, variant: Variant) -> list[str]:
        from rekall.search.hybrid import fuse

        key_of = dict(zip(self.seqs.tolist(), self.keys, strict=True))
        if mode == "keyword":
            return [key_of[m.hit.seq] for m in self.matches[text][:10]]
        semantic = self.semantic(text, variant)
        if mode == "semantic":
            return [key_of[seq] for seq, _ in semantic[:10]]
        matches = self.matches[text]
        votes = {m.hit.seq: m.evidence.vote for m in matches}
        if variant.scaled:
            semantic, votes = self.scale(semantic, votes, variant.scaled)
        order = fuse(semantic, [m.hit.seq for m in matches], votes, self.weights)
        return [key_of[seq] for seq, _ in order[:10]]

    @staticmethod
    def scale(
        semantic: list[tuple[int, float]], votes: dict[int, float], factor: float
    ) -> tuple[list[tuple[int, float]], dict[int, float]]:
        """Per-query normalisation before fusion: the candidates' similarities mapped onto
        0..1 (last..first), the keyword votes multiplied by `factor` to stay comparable."""
        high, low = semantic[0][1], semantic[-1][1]
        spread = max(high - low, 1e-9)
        scaled = [(seq, (score - low) / spread) for seq, score in semantic]
        return scaled, {seq: vote * factor for seq, vote in votes.items()}

    def scores(self, quality: Any, mode: str, variant: Variant) -> list[Any]:
        found: Callable[..., list[str]] = lambda text, m, k: self.ranked(text, mode, variant)  # noqa: E731
        return [quality.score(found, [q for q in self.queries if q.kind == k], mode) for k in KINDS]


def variants() -> list[Variant]:
    out = [Variant()]
    for k, beta, weighted in itertools.product(
        (3, 5, 10), (0.2, 0.3, 0.5, 0.7, 1.0), (False, True)
    ):
        out.append(Variant(feedback_k=k, beta=beta, weighted=weighted))
    for k, beta, agree in itertools.product((3, 5, 10), (0.3, 0.5, 1.0), (0.5, 0.6, 0.7)):
        out.append(Variant(feedback_k=k, beta=beta, agree=agree))
    for k, beta in itertools.product((1, 3, 5), (0.2, 0.3, 0.5, 1.0)):
        out.append(Variant(feedback_k=k, beta=beta, keyword_set=True))
    for k, beta in itertools.product((3, 5, 10), (0.2, 0.3, 0.5)):
        out.append(Variant(feedback_k=k, beta=beta, sides_agree=True))
    out += [Variant(own_mix=m) for m in (0.1, 0.2, 0.3, 0.5)]
    out += [Variant(mean_mix=m) for m in (0.1, 0.2, 0.3)]
    out += [Variant(centre=c) for c in (0.25, 0.5, 1.0)]
    out += [Variant(smooth=m) for m in (0.1, 0.2, 0.3)]
    out += [Variant(scaled=f) for f in (1.0, 2.0, 4.0, 8.0)]
    return out


def compare(mine: list[Any], base: list[Any]) -> tuple[int, int]:
    """Queries this answers better / worse than the base (recall@10 or reciprocal rank)."""
    wins = losses = 0
    for a, b in zip(mine, base, strict=True):
        for x, y in zip(a.each, b.each, strict=True):
            losses += x[0] < y[0] - 1e-9 or x[1] < y[1] - 1e-9
            wins += (x[0] > y[0] + 1e-9 or x[1] > y[1] + 1e-9) and not (
                x[0] < y[0] - 1e-9 or x[1] < y[1] - 1e-9
            )
    return wins, losses


def row(label: str, cells: list[Any]) -> str:
    return f"{label:<36}" + "".join(f"{s.recall:>7.3f}{s.mrr:>7.3f}" for s in cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="eval, pydoc, debian or libdocs")
    parser.add_argument("--only", help="only the variants whose label holds this text")
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.service import Rekall
        from rekall.testdata import quality

        names = args.corpus or [quality.HAND_WRITTEN, *quality.REAL_CORPORA]
        corpora = {}
        for name in names:
            service = Rekall(db_file=Path(scratch, name))
            try:
                corpora[name] = Corpus(service, name)
            finally:
                service.close()
        sweep(quality, corpora, args.only)


def sweep(quality: Any, corpora: dict[str, Corpus], only: str | None = None) -> None:
    header = "".join(f"{n + ' q R/MRR':>14}{n + ' id R/MRR':>14}" for n in corpora)
    print(f"recall@10 and MRR@10; q = questions, id = identifiers\n{'':<36}{header}")
    default = Variant()
    for name, c in corpora.items():
        print(
            f"{name}: the default's lists equal the facade's for {c.same} of {2 * len(c.queries)}"
        )
    for mode in ("keyword", "semantic"):
        print(row(mode, [s for c in corpora.values() for s in c.scores(quality, mode, default)]))
    results: dict[Variant, dict[str, dict[str, list[Any]]]] = {}
    for variant in variants():
        if only and variant != default and only not in variant.label():
            continue
        results[variant] = {
            mode: {n: c.scores(quality, mode, variant) for n, c in corpora.items()}
            for mode in ("semantic", "hybrid")
        }
    base = results[default]["hybrid"]
    print("\nhybrid; then each corpus's queries answered better/worse than the default hybrid")
    for variant, by_mode in results.items():
        cells = [s for n in corpora for s in by_mode["hybrid"][n]]
        tally = " ".join("{}+{}-".format(*compare(by_mode["hybrid"][n], base[n])) for n in corpora)
        print(row(variant.label(), cells) + "  " + tally)
    print("\nsemantic mode with each variant")
    for variant, by_mode in results.items():
        print(row(variant.label(), [s for n in corpora for s in by_mode["semantic"][n]]))
    left_out(results, base, list(corpora))


def judged(scores: dict[str, list[Any]], base: dict[str, list[Any]]) -> tuple[int, float]:
    lost = sum(compare(scores[n], base[n])[1] for n in scores)
    mean = statistics.fmean(
        v for kinds in scores.values() for s in kinds for v in (s.recall, s.mrr)
    )
    return -lost, round(mean, 6)


def left_out(results: dict[Variant, Any], base: dict[str, list[Any]], names: list[str]) -> None:
    print("\nleft out: chosen on the other corpora (fewest losses, then mean), scored on this one")
    for left in names:
        train = [n for n in names if n != left]
        chosen = max(
            results,
            key=lambda v: judged({n: results[v]["hybrid"][n] for n in train}, base),
        )
        scored = results[chosen]["hybrid"][left]
        wins, losses = compare(scored, base[left])
        print(row(f"{left} out: {chosen.label()}", scored) + f"  {wins}+{losses}-")
    print("\nleft out, chosen by mean recall and MRR alone (losses not counted)")
    for left in names:
        train = [n for n in names if n != left]
        chosen = max(
            results,
            key=lambda v: judged({n: results[v]["hybrid"][n] for n in train}, base)[1],
        )
        scored = results[chosen]["hybrid"][left]
        wins, losses = compare(scored, base[left])
        print(row(f"{left} out: {chosen.label()}", scored) + f"  {wins}+{losses}-")


if __name__ == "__main__":
    main()
