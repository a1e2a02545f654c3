"""What body pieces cost: adding a long entry (warm, in process) and bulk-embedding a corpus.

Each round adds one ~3,000-character entry and one ~300-character entry to a base, with body
pieces and, in the same run, with them switched off (the code before them embedded only the
entry's own vector). Then the long documents of the stdlib corpus are embedded in bulk with
and without their pieces. Prints medians, the vectors stored per entry, and the command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

SENTENCE = "The worker retries the request after a pause that doubles each time it fails. "


def long_text(n: int) -> str:
    """About 3,000 characters in paragraphs, varied per round."""
    return "\n\n".join(f"Step {n}.{p}: " + SENTENCE * 6 for p in range(6))


def timed_adds(service: Any, rounds: int, text: str) -> list[float]:
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        service.add("reference", f"Runbook {n} {len(text)}", text.replace("Step", f"Step {n}"))
        times.append((time.perf_counter() - started) * 1000)
    return times


def pieces_off(off: bool) -> None:
    """Switch piece-making off (as before body pieces) or back on."""
    import rekall.service.pieces as pieces
    from rekall.core.pieces import body_pieces

    pieces.body_pieces = (lambda text: []) if off else body_pieces  # type: ignore[assignment]


def vectors_per_entry(service: Any) -> float:
    with service.db.read() as conn:
        own = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
        extra = conn.execute("SELECT count(*) FROM embedding_pieces").fetchone()[0]
    return (own + extra) / max(own, 1)


def bulk(service: Any, texts: list[str], off: bool) -> float:
    """Seconds to embed these texts (with their pieces unless off) as the indexer does."""
    pieces_off(off)
    started = time.perf_counter()
    for start in range(0, len(texts), 64):
        service.indexer.vectors_for(texts[start : start + 64])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--bulk", type=int, default=300, help="long stdlib documents to embed")
    args = parser.parse_args()
    print(f"$ {command_line()}  (load {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml", HF_HUB_OFFLINE="1"
        )
        from rekall.core.pieces import LONG_CHARS, body_pieces
        from rekall.service import Rekall
        from rekall.testdata import quality

        for label, text in (("long", long_text(0)), ("short", SENTENCE * 4)):
            for off in (False, True, False, True):
                pieces_off(off)
                service = Rekall(db_file=Path(scratch, f"{label}{off}{time.time()}.db"))
                service.add("til", "warm up", "load the model first")
                times = timed_adds(service, args.rounds, text)
                print(
                    f"add one {label} entry ({len(text)} chars), pieces {'off' if off else 'on '}:"
                    f" median {statistics.median(times):.0f} ms, vectors per entry "
                    f"{vectors_per_entry(service):.1f}",
                    flush=True,
                )
                service.close()
        documents = quality.load_documents(ROOT / "tests" / "fixtures", "pydoc")
        texts = [quality.embedding_text(d) for d in documents]
        long = [t for t in texts if len(t) > LONG_CHARS][: args.bulk]
        pieces = sum(len(body_pieces(t)) for t in long)
        service = Rekall(db_file=Path(scratch, "bulk.db"))
        for off in (False, True):
            seconds = bulk(service, long, off)
            print(
                f"bulk: {len(long)} long stdlib documents, pieces {'off' if off else 'on '}: "
                f"{seconds:.1f} s ({len(long) / seconds:.1f} entries/s; "
                f"{len(long) + (0 if off else pieces)} vectors)",
                flush=True,
            )
        service.close()


if __name__ == "__main__":
    main()
