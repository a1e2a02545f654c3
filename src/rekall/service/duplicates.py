"""Finding lookalike entries across the whole base, for `rekall consolidate`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import Entry, EntryFilter
from rekall.core.errors import ValidationError
from rekall.search.model_files import MODEL_ID
from rekall.service.semantic import DIMENSIONS

if TYPE_CHECKING:
    from rekall.storage.contract import Store


@dataclass(frozen=True)
class Cluster:
    """Lookalike entries: the suggested one to keep first, then the others, closest first."""

    entries: tuple[Entry, ...]
    similarities: tuple[float, ...]


@dataclass(frozen=True)
class DuplicateReport:
    """The clusters found, and how many active entries had no vector to compare."""

    clusters: list[Cluster]
    compared: int
    without_vector: int


def find_duplicates(
    db: Store, threshold: float, filters: EntryFilter, limit: int, model_id: str = MODEL_ID
) -> DuplicateReport:
    """Clusters of active entries at least threshold similar in meaning, largest first.

    Uses the stored vectors of model_id (no model needed). Raises ValidationError on a bad
    threshold.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValidationError(f"threshold {threshold} is out of range; use a cosine in 0-1")
    import numpy as np

    from rekall.search.lookalikes import lookalike_clusters
    from rekall.service.vector_sync import stack

    with db.read() as conn:
        allowed = db.repos.entries.filtered_seqs(conn, filters._replace(status="active"))
        total = (
            len(allowed) if allowed is not None else db.repos.entries.count_entries(conn)["total"]
        )
        rows = list(db.repos.vectors.vectors_for_model(conn, model_id))
        if allowed is not None:
            keep = set(allowed)
            rows = [row for row in rows if row.seq in keep]
        ids, matrix = stack(rows, DIMENSIONS)
        groups = lookalike_clusters(ids, np.ascontiguousarray(matrix), threshold)[:limit]
        found = db.repos.entries.fetch_by_seqs(conn, [seq for group in groups for seq, _ in group])
    clusters = [
        Cluster(tuple(found[seq] for seq, _ in group), tuple(sim for _, sim in group))
        for group in groups
    ]
    return DuplicateReport(clusters, len(rows), total - len(rows))
