"""Figures for `rekall stats`: counts, sizes, memory, and the semantic machinery's state."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekall.search.model_files import MODEL_ID

if TYPE_CHECKING:
    from rekall.storage.contract import Store


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


def index_detail(index: dict[str, Any]) -> str:
    """A server index's method, settings as built (an HNSW graph's m and ef_construction, a
    GIN index's pending list limit) and size: "hnsw m=16, ef_construction=128, 15.8 MB"."""
    settings = f" {index['settings']}" if index["settings"] else ""
    return f"{index['method']}{settings}, {index['bytes'] / 1e6:.1f} MB"


def place_figures(db: Store) -> dict[str, Any]:
    """The file's size on SQLite; server, pgvector and index state on PostgreSQL."""
    server = getattr(db, "server_figures", None)
    if server is not None:
        figures: dict[str, Any] = server()
        # A copy a stopped rebuild left shows as the NOT VALID index it is.
        indexes = figures["indexes"] + figures.pop("leftovers")
        figures["indexes"] = "; ".join(
            f"{i['name']} ({index_detail(i)}, {'valid' if i['valid'] else 'NOT VALID'})"
            for i in indexes
        )
        return figures
    return {"database_bytes": file_size(Path(db.location))}


def storage_figures(db: Store, model_id: str = MODEL_ID) -> dict[str, Any]:
    """Counts of entries, links and vectors, pending vectors, generation, and where it lives.

    model_id is the current model's (with its weights' fingerprint when not the published).
    """
    generation = db.generation()
    with db.read() as conn:
        counts = db.repos.entries.count_entries(conn)
        vectors = db.repos.vectors.count_vectors(conn)
        links = db.repos.links.count_links(conn)
    current = vectors.get(model_id, 0)
    return {
        "storage_backend": db.kind,
        "database": db.location,
        **place_figures(db),
        "entries": counts.get("total", 0),
        # Sorted: PostgreSQL's GROUP BY gives the types in no particular order.
        "entries_by_type": {
            k: v for k, v in sorted(counts.items()) if k not in ("total", "active", "deprecated")
        },
        "active": counts.get("active", 0),
        "deprecated": counts.get("deprecated", 0),
        "links": links,
        "vectors": current,
        "vectors_other_models": sum(v for k, v in vectors.items() if k != model_id),
        "entries_without_vector": counts.get("total", 0) - current,
        "write_generation": generation,
    }
