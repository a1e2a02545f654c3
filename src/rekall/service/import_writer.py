"""The vector and write steps of an import: embed (or reuse) first, then one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rekall.core.entries import content_hash
from rekall.core.errors import ValidationError
from rekall.core.export_vectors import REMEDY, ExportVectors
from rekall.core.import_plan import ImportPlan
from rekall.core.records import EntryRecord
from rekall.search.model_files import MODEL_ID
from rekall.service.indexing import Indexer, Progress, VectorRow

if TYPE_CHECKING:
    from rekall.storage.contract import Repositories

EMBED_BATCH = 64
# The embedder L2-normalises; float32 rounding stays far inside this.
UNIT_NORM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class VectorSupply:
    """Vectors that arrive with an import (an export file, an earlier database), by entry id.

    summary holds float32 bytes of entry vectors, stored under summary_model_id instead of
    re-embedding; when text_hashes names an entry, its vector is used only if the entry's
    text still has that hash. context holds (model id, dimensions, bytes) of context vectors.
    """

    summary: Mapping[str, bytes] = field(default_factory=dict)
    context: Mapping[str, tuple[str, int, bytes]] = field(default_factory=dict)
    summary_model_id: str = MODEL_ID
    text_hashes: Mapping[str, str] = field(default_factory=dict)


def check_vector_values(vectors: ExportVectors, source: str) -> None:
    """Every vector finite and of unit length. Raises ValidationError naming the entry."""
    import numpy as np

    if not vectors.items:
        return
    ids = list(vectors.items)
    matrix = np.frombuffer(
        b"".join(blob for _, blob in vectors.items.values()), dtype="<f4"
    ).reshape(len(ids), vectors.dimensions)
    finite = np.isfinite(matrix).all(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.linalg.norm(matrix.astype(np.float64), axis=1)
    bad = ~finite | (np.abs(norms - 1.0) > UNIT_NORM_TOLERANCE)
    if bad.any():
        row = int(np.argmax(bad))
        problem = (
            "is not a number (NaN or infinity)" if not finite[row] else "is not of unit length"
        )
        raise ValidationError(
            f'{source}: "vectors": the vector of entry {ids[row]} {problem}; {REMEDY}'
        )


def supply_from_export(
    vectors: ExportVectors | None, model_id: str, dimensions: int, source: str
) -> tuple[VectorSupply, list[str]]:
    """The file's vectors to reuse when they are the current model's; notices otherwise.

    Raises ValidationError when they claim the current model at another dimension.
    """
    if vectors is None or not vectors.items:
        return VectorSupply(), []
    if vectors.model_id != model_id:
        return VectorSupply(), [
            f"The file's {len(vectors.items)} vectors were computed by {vectors.model_id}, "
            f"not by the model in use ({model_id}): its entries are embedded again."
        ]
    if vectors.dimensions != dimensions:
        raise ValidationError(
            f'{source}: "vectors" claims model {model_id} with {vectors.dimensions} '
            f"dimensions; that model has {dimensions}; {REMEDY}"
        )
    summary = {entry_id: blob for entry_id, (_, blob) in vectors.items.items()}
    hashes = {entry_id: digest for entry_id, (digest, _) in vectors.items.items()}
    return VectorSupply(summary, summary_model_id=model_id, text_hashes=hashes), []


@dataclass
class PreparedVectors:
    """Vector rows ready to store, by entry id, and what it took to get them."""

    rows: dict[str, VectorRow] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def prepare_vectors(
    indexer: Indexer,
    writes: Sequence[EntryRecord],
    stored: Mapping[str, tuple[int, str | None]],
    supply: VectorSupply,
    progress: Progress | None,
    dry_run: bool,
) -> PreparedVectors:
    """Vectors for every written entry whose stored vector is missing or of other text.

    Supplied vectors are reused as they are; the rest are embedded in batches (or, in a dry
    run, only counted). Without a model, entries are written without a vector.
    """
    prepared = PreparedVectors()
    todo: list[tuple[str, str]] = []
    for record in writes:
        text = record.embedding_text()
        digest = content_hash(text)
        if stored.get(record.id, (0, None))[1] == digest:
            continue
        blob = supply.summary.get(record.id)
        if supply.text_hashes.get(record.id, digest) != digest:
            blob = None  # computed from other text (edited in the file, or merged)
        if blob is not None:
            prepared.rows[record.id] = (supply.summary_model_id, len(blob) // 4, digest, blob)
        else:
            todo.append((record.id, text))
    written = {record.id for record in writes}
    prepared.counts = {
        "vectors_reused": len(prepared.rows),
        "context_vectors": len(written & set(supply.context)),
        "embedded": len(todo) if dry_run else _embed(indexer, todo, prepared.rows, progress),
    }
    prepared.counts["without_vector"] = 0 if dry_run else len(todo) - prepared.counts["embedded"]
    return prepared


def _embed(
    indexer: Indexer,
    todo: list[tuple[str, str]],
    rows: dict[str, VectorRow],
    progress: Progress | None,
) -> int:
    done = 0
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vectors = indexer.vectors_for([text for _, text in batch])
        if vectors is None:
            break  # no model: the indexer has told the user how to embed later
        rows.update((entry_id, row) for (entry_id, _), row in zip(batch, vectors, strict=True))
        done += len(batch)
        if progress:
            progress(done, len(todo))
    return done


def write_plan(
    repos: Repositories,
    conn: Any,
    plan: ImportPlan,
    vectors: PreparedVectors,
    supply: VectorSupply,
    generation: int,
) -> None:
    """Inside the caller's write transaction: entries, links, then vectors that still match.

    A vector of older text is dropped whatever its model: one of weights that cannot load
    now would otherwise be served once they are back.
    """
    # superseded_by may name an entry inserted later in this same transaction.
    repos.transfer.defer_foreign_keys(conn)
    before = repos.transfer.seqs_and_hashes(conn, [r.id for r in plan.writes], None)
    seqs = repos.transfer.write_records(
        conn, plan.writes, {entry_id: seq for entry_id, (seq, _) in before.items()}
    )
    upserts: list[tuple[int, str, int, str, bytes]] = []
    stale: list[int] = []
    for record in plan.writes:
        existing = before.get(record.id)
        current = content_hash(record.embedding_text())
        row = vectors.rows.get(record.id)
        if row is not None and row[2] == current:
            upserts.append((seqs[record.id], *row))
        elif existing is not None and existing[1] not in (None, current):
            stale.append(seqs[record.id])  # never leave a vector of the old text behind
        if record.id in supply.context:
            repos.transfer.upsert_context_vector(conn, record.id, *supply.context[record.id])
    repos.transfer.remove_links(conn, plan.links_removed)
    repos.transfer.add_links(conn, plan.links_added)
    repos.vectors.delete_vectors(conn, stale)
    repos.vectors.upsert_vectors(conn, upserts, generation)
