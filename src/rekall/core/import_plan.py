"""What an import would change: entries to add, replace or merge, and links to add or remove."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rekall.core.entries import MAX_TAGS
from rekall.core.errors import ValidationError
from rekall.core.records import EntryRecord, ExportDocument, LinkRecord

STRATEGIES = ("skip", "replace", "merge")


@dataclass(frozen=True)
class BaseState:
    """What the base holds for the entries a document touches."""

    records: dict[str, EntryRecord]
    links: tuple[LinkRecord, ...]
    known_ids: frozenset[str]


@dataclass
class ImportPlan:
    """Records to write (new or changed), links to remove then add, and what each entry got."""

    writes: list[EntryRecord] = field(default_factory=list)
    links_removed: list[LinkRecord] = field(default_factory=list)
    links_added: list[LinkRecord] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict)  # id → added|replaced|merged|...

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcome.values() if value == outcome)


def check_strategy(strategy: str) -> str:
    """Return the strategy. Raises ValidationError naming the valid ones."""
    if strategy not in STRATEGIES:
        raise ValidationError(f"unknown strategy '{strategy}'; use one of: {', '.join(STRATEGIES)}")
    return strategy


def instant(timestamp: str) -> datetime:
    """A comparable moment; a time without offset is taken as UTC."""
    moment = datetime.fromisoformat(timestamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def merge_records(existing: EntryRecord, incoming: EntryRecord, source: str) -> EntryRecord:
    """Fields from the newer side, tags united, access figures the larger of both."""
    newer = incoming if instant(incoming.updated_at) > instant(existing.updated_at) else existing
    tags = tuple(sorted(set(existing.tags) | set(incoming.tags)))
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            f"{source}: merging entry {existing.id} would give it {len(tags)} tags; "
            f"the limit is {MAX_TAGS}. Use --strategy replace or trim the tags"
        )
    accessed = [t for t in (existing.last_accessed, incoming.last_accessed) if t]
    return dataclasses.replace(
        newer,
        tags=tags,
        access_count=max(existing.access_count, incoming.access_count),
        last_accessed=max(accessed, key=instant) if accessed else None,
    )


def check_references(document: ExportDocument, state: BaseState, source: str) -> None:
    """Every superseded_by and link end must exist in the file or the base."""
    present = {record.id for record in document.entries} | state.known_ids
    for record in document.entries:
        if record.superseded_by and record.superseded_by not in present:
            raise ValidationError(
                f"{source}: entry {record.id} is superseded by {record.superseded_by}, "
                "which is neither in the file nor in this base"
            )
    for link in document.links:
        for end in (link.source, link.target):
            if end not in present:
                raise ValidationError(
                    f"{source}: link {link.source} -> {link.target} ({link.type}) refers to "
                    f"entry {end}, which is neither in the file nor in this base"
                )


def plan_import(
    document: ExportDocument, state: BaseState, strategy: str, source: str
) -> ImportPlan:
    """Decide, without writing, what importing document into the base changes.

    skip leaves existing entries (and their links) alone; replace makes them equal to the file;
    merge unites tags and links and takes fields from the side updated last. Entries are
    matched by id. Raises ValidationError on unknown strategies and dangling references.
    """
    check_strategy(strategy)
    check_references(document, state, source)
    plan = ImportPlan()
    for record in document.entries:
        existing = state.records.get(record.id)
        if existing is None:
            plan.writes.append(record)
            plan.outcome[record.id] = "added"
        elif strategy == "skip":
            plan.outcome[record.id] = "skipped"
        else:
            target = record if strategy == "replace" else merge_records(existing, record, source)
            if target != existing:
                plan.writes.append(target)
            plan.outcome[record.id] = "replaced" if strategy == "replace" else "merged"
    _plan_links(document, state, strategy, plan)
    _mark_unchanged(state, plan)
    return plan


def _plan_links(
    document: ExportDocument, state: BaseState, strategy: str, plan: ImportPlan
) -> None:
    incoming = _by_source(document.links)
    stored = _by_source(state.links)
    for source_id, links in incoming.items():
        outcome = plan.outcome.get(source_id)
        if outcome == "skipped":
            continue
        have = stored.get(source_id, [])
        if outcome == "replaced":
            plan.links_removed += [link for link in have if link not in links]
            plan.links_added += [link for link in links if link not in have]
        else:
            keys = {link.key for link in have}
            plan.links_added += [link for link in links if link.key not in keys]
    if strategy == "replace":
        # An entry replaced by one without links loses its outgoing links too.
        for source_id, have in stored.items():
            if plan.outcome.get(source_id) == "replaced" and source_id not in incoming:
                plan.links_removed += have


def _mark_unchanged(state: BaseState, plan: ImportPlan) -> None:
    written = {record.id for record in plan.writes}
    linked = {link.source for link in [*plan.links_added, *plan.links_removed]}
    for entry_id, outcome in plan.outcome.items():
        if outcome in ("replaced", "merged") and entry_id not in written | linked:
            plan.outcome[entry_id] = "unchanged"


def _by_source(links: Iterable[LinkRecord]) -> dict[str, list[LinkRecord]]:
    grouped: dict[str, list[LinkRecord]] = defaultdict(list)
    for link in links:
        grouped[link.source].append(link)
    return grouped
