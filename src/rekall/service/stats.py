"""Figures for `rekall stats`: counts, sizes, memory, and the semantic machinery's state."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from rekall.search.model_files import MODEL_ID
from rekall.storage import embeddings_repo, entries_repo, links_repo
from rekall.storage.connection import read_generation
from rekall.storage.database import Database


def memory_figures() -> dict[str, float | None]:
    """Current and peak resident memory of this process, in MB."""
    import psutil

    info = psutil.Process().memory_info()
    peak: float | None = None
    if sys.platform == "win32":
        peak = getattr(info, "peak_wset", 0) / 1e6 or None
    else:
        import resource

        # ru_maxrss is in KiB on Linux, in bytes on macOS.
        raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = raw / 1e6 if sys.platform == "darwin" else raw * 1024 / 1e6
    # ru_maxrss is the kernel's high-water mark, updated lazily: it can trail the current RSS.
    rss = info.rss / 1e6
    return {"rss_mb": round(rss, 1), "peak_rss_mb": round(max(peak, rss), 1) if peak else None}


def file_size(path: Path) -> int:
    """Size of a file plus its WAL, 0 when missing."""
    total = 0
    for candidate in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += os.path.getsize(candidate)
    return total


def storage_figures(db: Database) -> dict[str, Any]:
    """Counts of entries, links and vectors, pending vectors, generation and file size."""
    with db.read() as conn:
        counts = entries_repo.count_entries(conn)
        vectors = embeddings_repo.count_vectors(conn)
        links = links_repo.count_links(conn)
        generation = read_generation(conn)
    current = vectors.get(MODEL_ID, 0)
    return {
        "database": str(db.path),
        "database_bytes": file_size(db.path),
        "entries": counts.get("total", 0),
        "entries_by_type": {
            k: v for k, v in counts.items() if k not in ("total", "active", "deprecated")
        },
        "active": counts.get("active", 0),
        "deprecated": counts.get("deprecated", 0),
        "links": links,
        "vectors": current,
        "vectors_other_models": sum(v for k, v in vectors.items() if k != MODEL_ID),
        "entries_without_vector": counts.get("total", 0) - current,
        "write_generation": generation,
    }
