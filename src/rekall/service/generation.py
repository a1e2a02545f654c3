"""`rekall test generate`: a realistic synthetic base written and embedded in batches."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import islice

from rekall.core.errors import ValidationError
from rekall.service.entries import EntryOperations
from rekall.service.indexing import Indexer, Progress

BATCH = 256


@dataclass(frozen=True)
class GenerationReport:
    """What was added, and how long it took."""

    entries: int
    links: int
    embedded: int
    seconds: float


def generate(
    indexer: Indexer, entries: EntryOperations, count: int, seed: int, progress: Progress | None
) -> GenerationReport:
    """Insert count generated entries in batches (each batch one transaction), then links."""
    from rekall.testdata import generate_entries, plan_links

    started = time.perf_counter()
    source = generate_entries(count, seed)
    ids: list[str] = []
    embedded = 0
    while batch := list(islice(source, BATCH)):
        added = indexer.insert_many(batch, entries.clock())
        embedded += len(added) if indexer.engine.models.loaded else 0
        ids.extend(added)
        if progress:
            progress(len(ids), count)
    links = 0
    now = entries.clock()
    with entries.db.write() as (conn, _):
        for source_index, target_index, link_type, reason in plan_links(count, seed):
            try:
                entries.db.repos.links.add_link(
                    conn, ids[source_index], ids[target_index], link_type, reason, now
                )
                links += 1
            except ValidationError:
                continue  # the plan may hold a link already made by an earlier run
    return GenerationReport(len(ids), links, embedded, time.perf_counter() - started)
