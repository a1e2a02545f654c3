"""What could lift hybrid search on questions, measured on the corpora before anything is built.

For every corpus: semantic alone and Rekall's hybrid, then both again with one change to the
similarity side, the keyword side and the fusion being Rekall's own (FusionWeights defaults):
- pseudo-relevance feedback (Rocchio): the query vector moved toward the mean of its top
  entries' vectors before the search;
- a hubness correction: each entry's similarity less a share of its mean similarity to its
  10 nearest entries (entries near everything stop crowding every list);
- more vectors per entry, an entry scoring its best one: its title with its first paragraph
  (a summary), and its body cut into ~700-character pieces under the title (the model reads
  only the first 256 tokens, ~1,000 characters, of a long entry). These are embedded by the
  real model on every run (a few minutes on 2 cores); the entries/s are printed.
Decision 002 quotes these figures.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
CANDIDATES = 50
PIECE = 700  # characters per body piece
LONG = 900  # entries whose embedded text is longer get body pieces
BATCH = 32


def summary(entry: Any, full: str) -> list[str]:
    """Title and first paragraph, when that is shorter than what is embedded already."""
    first = re.split(r"\n\s*\n", entry.content.strip(), maxsplit=1)[0].strip()
    text = f"{entry.title.strip()}\n{first}"
    return [text] if len(text) < len(full) - 20 else []


def pieces(entry: Any, full: str, size: int = PIECE, long: int = LONG) -> list[str]:
    """The body of a long entry in pieces of about `size` characters, each under the title."""
    if len(full) <= long:
        return []
    out, current = [], ""
    for paragraph in re.split(r"\n\s*\n", entry.content):
        rest = paragraph.strip()
        while len(rest) > size:  # a long paragraph is cut at a line or sentence end
            cut = max(rest.rfind("\n", 0, size), rest.rfind(". ", 0, size))
            cut = cut if cut > size // 3 else size
            out += [current] if current else []
            out.append(rest[: cut + 1].strip())
            current, rest = "", rest[cut + 1 :].strip()
        if current and len(current) + len(rest) > size:
            out.append(current)
            current = ""
        current = f"{current}\n\n{rest}".strip()
    out += [current] if current else []
    return [f"{entry.title.strip()}\n{piece}" for piece in out if piece]


class Probe:
    """One corpus in a fresh base: its vectors, queries and the variants' rankings."""

    def __init__(self, service: Any, name: str) -> None:
        import numpy as np

        from rekall.core.pieces import SEQ_MASK
        from rekall.search.model_files import MODEL_ID
        from rekall.testdata import quality

        self.np, self.service, self.quality = np, service, quality
        self.corpus = quality.load_named(FIXTURES, name, MODEL_ID)
        keys = quality.fill_corpus(service, self.corpus.documents, self.corpus.vectors)
        with service.db.read() as conn:
            seq_key = {service.db.repos.entries.seq_of(conn, i): k for i, k in keys.items()}
        seqs, matrix = service.semantic.sync().index.arrays()
        own = np.asarray(seqs) <= SEQ_MASK  # the entries' own vectors, not their body pieces'
        self.seqs, self.matrix = np.asarray(seqs)[own], np.asarray(matrix)[own]
        self.keys = [seq_key[int(seq)] for seq in self.seqs]
        self.extra: dict[str, tuple[Any, Any]] = {}

    def embed_extra(self, label: str, make: Callable[[Any, str], list[str]]) -> float:
        """Embed each entry's extra texts; returns entries/s."""
        row_of = {key: row for row, key in enumerate(self.keys)}
        texts, rows = [], []
        for item in self.corpus.documents:
            made = make(self.quality.new_entry(item), self.quality.embedding_text(item))
            texts += made
            rows += [row_of[str(item["key"])]] * len(made)
        started = time.perf_counter()
        embed = self.service.semantic.embed_texts
        parts = [embed(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        vectors = self.np.vstack(parts) if parts else self.np.zeros((0, self.matrix.shape[1]))
        self.extra[label] = (self.np.asarray(rows, dtype=int), vectors.astype("float32"))
        return len(texts) / max(time.perf_counter() - started, 1e-9)

    def similarities(self, vector: Any, variant: str) -> Any:
        np = self.np
        scores = self.matrix @ vector
        if variant.startswith("feedback"):
            top = np.argsort(-scores)[:3]
            moved = vector + 0.3 * self.matrix[top].mean(axis=0)
            scores = self.matrix @ (moved / np.linalg.norm(moved))
        elif variant == "hubness":
            if "hub" not in self.extra:
                near = self.matrix @ self.matrix.T
                np.fill_diagonal(near, -1.0)
                self.extra["hub"] = (np.sort(near, axis=1)[:, -10:].mean(axis=1), None)
            scores = scores - 0.2 * self.extra["hub"][0]
        for label in [variant] if variant.startswith("pieces ") else variant.split("+"):
            if label.startswith(("summary", "pieces")):
                rows, vectors = self.extra[label]
                # SIZE:LONG:MARGIN: a piece counts for its similarity less the margin.
                margin = float(label.split(":")[2]) if label.count(":") == 2 else 0.0
                np.maximum.at(scores, rows, vectors @ vector - margin)
        return scores

    def ranked(self, text: str, vector: Any, variant: str, hybrid: bool) -> list[str]:
        scores = self.similarities(vector, variant)
        top = self.np.argsort(-scores, kind="stable")[:CANDIDATES]
        semantic = [(int(self.seqs[i]), float(scores[i])) for i in top]
        if not hybrid:
            return [self.keys[i] for i in top[:10]]
        return self.fused(text, semantic)

    def fused(self, text: str, semantic: list[tuple[int, float]]) -> list[str]:
        from rekall.core.entries import EntryFilter
        from rekall.search.hybrid import fuse
        from rekall.service.keyword import KeywordPlan

        weights, side = self.service.fusion_weights, self.service.keyword
        plan = KeywordPlan.from_query(text, weights.prefix_last)
        matches = side.weigh(plan, side.hits(plan, EntryFilter(status=None), CANDIDATES), weights)
        votes = {m.hit.seq: m.evidence.vote for m in matches}
        order = fuse(semantic, [m.hit.seq for m in matches], votes, weights)
        key_of = dict(zip(self.seqs.tolist(), self.keys, strict=True))
        return [key_of[seq] for seq, _ in order[:10]]


VARIANTS = ("plain", "feedback", "hubness", "summary", "pieces", "summary+pieces")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="eval, pydoc or debian (default: all)")
    parser.add_argument(
        "--pieces",
        nargs="+",
        metavar="SIZE:LONG[:MARGIN]",
        help="only plain and body pieces of SIZE characters for texts over LONG (a piece "
        "scoring its similarity less MARGIN), per variant",
    )
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.service import Rekall
        from rekall.testdata import quality

        print("recall@10 / MRR@10; q = questions, id = identifiers; variant of the similarity")
        for name in args.corpus or [quality.HAND_WRITTEN, *quality.REAL_CORPORA]:
            service = Rekall(db_file=Path(scratch, name))
            try:
                report(Probe(service, name), name, args.pieces)
            finally:
                service.close()


def report(probe: Probe, name: str, sizes: list[str] | None = None) -> None:
    makers: dict[str, Callable[[Any, str], list[str]]] = {"summary": summary, "pieces": pieces}
    variants: tuple[str, ...] = VARIANTS
    if sizes:
        from rekall.core.pieces import body_pieces

        makers = {
            f"pieces {pair}": lambda e, f, p=pair: body_pieces(f, *map(int, p.split(":")[:2]))
            for pair in sizes
        }
        variants = ("plain", *makers)
    rates = {label: probe.embed_extra(label, make) for label, make in makers.items()}
    counts = {label: len(probe.extra[label][0]) for label in rates}
    print(
        f"\n{name}: {len(probe.keys)} entries; extra vectors: "
        + ", ".join(f"{label} {counts[label]} ({rates[label]:.0f}/s)" for label in rates)
    )
    queries = [q for q in probe.corpus.queries if q.kind in ("question", "identifier")]
    vectors = {q.text: probe.service.semantic.embed_query(q.text) for q in queries}
    print(f"{'':<24}{'semantic q':>14}{'semantic id':>14}{'hybrid q':>14}{'hybrid id':>14}")
    for variant in variants:
        cells = []
        for hybrid in (False, True):
            for kind in ("question", "identifier"):
                group = [q for q in queries if q.kind == kind]
                found = lambda text, mode, k, h=hybrid, v=variant: probe.ranked(  # noqa: E731
                    text, vectors[text], v, h
                )
                score = probe.quality.score(found, group, "probe")
                cells.append(f"{score.recall:.3f}/{score.mrr:.3f}")
        print(f"{variant:<24}" + "".join(f"{cell:>14}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
