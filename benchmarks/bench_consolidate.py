"""Consolidation figures: `rekall consolidate` at 10K, one matrix product vs N searches."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REKALL, bench_env, command_line, generated_base, median_run  # noqa: E402

from rekall.core.results import SIMILAR_EXISTING_THRESHOLD  # noqa: E402
from rekall.search.lookalikes import lookalike_clusters  # noqa: E402
from rekall.search.model_files import MODEL_ID  # noqa: E402
from rekall.search.vectors import NumpyIndex  # noqa: E402
from rekall.service.vector_sync import stack  # noqa: E402
from rekall.storage import embeddings_repo  # noqa: E402
from rekall.storage.database import open_database  # noqa: E402

NEIGHBOURS = 20  # what a search per entry must ask for to see a whole group


def load_vectors(home: Path) -> tuple[object, object]:
    db = open_database(home / "rekall.db")
    with db.read() as conn:
        rows = list(embeddings_repo.vectors_for_model(conn, MODEL_ID))
    db.close()
    return stack(rows, 384)


SAMPLE = 1_000  # searches timed for the alternative; its total is extrapolated to N


def pairs_by_searching(ids: object, matrix: object, threshold: float) -> int:
    """The alternative: one top-k search per entry (SAMPLE of them), keeping hits above it."""
    index = NumpyIndex(384, ids, matrix)  # type: ignore[arg-type]
    found = 0
    for row in matrix[:SAMPLE]:  # type: ignore[index]
        found += sum(1 for _, score in index.search(row, NEIGHBOURS) if score >= threshold) - 1
    return found


def timed(action: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = generated_base(args.count)
    threshold = SIMILAR_EXISTING_THRESHOLD
    wall, rss = median_run([REKALL, "consolidate"], bench_env(home), args.runs)
    ids, matrix = load_vectors(home)
    clusters = lookalike_clusters(ids, matrix, threshold)  # type: ignore[arg-type]
    product = timed(lambda: lookalike_clusters(ids, matrix, threshold), args.runs)  # type: ignore[arg-type]
    sample = timed(lambda: pairs_by_searching(ids, matrix, threshold), 1)
    searches = sample * args.count / SAMPLE
    grouped = sum(len(group) for group in clusters)
    print(command_line())
    print(f"base: {args.count:,} entries; {len(clusters)} groups, {grouped} entries grouped")
    print(
        f"cold `rekall consolidate`: {wall:.0f} ms, peak RSS {rss:.0f} MB (median of {args.runs})"
    )
    print(f"in process: blocked matrix product + grouping {product:.0f} ms (median of {args.runs})")
    print(
        f"            one top-{NEIGHBOURS} search per entry {searches:.0f} ms "
        f"(timed on {SAMPLE:,} searches, times {args.count // SAMPLE})"
    )
    print(f"            ratio {searches / product:.1f}x")


if __name__ == "__main__":
    main()
