"""The consolidation tools: find groups of lookalike entries, and merge one group into one."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from rekall.core.entries import EntryFilter
from rekall.core.results import SIMILAR_EXISTING_THRESHOLD
from rekall.interfaces.mcp import results
from rekall.interfaces.mcp.outputs import EntrySummary
from rekall.interfaces.mcp.params import EntryId, Project, Types
from rekall.service import Rekall

MAX_GROUPS = 100


class Lookalike(EntrySummary):
    """A member of a group, with how close it is to the group's first entry."""

    similarity: float = Field(description="cosine similarity of meaning to the entry to keep, 0-1")


class DuplicateGroup(BaseModel):
    """Entries that say much the same thing; the first is the suggested one to keep."""

    keep: str = Field(description="the id to pass as keep to merge_entries")
    entries: list[Lookalike]


class DuplicatesOutput(BaseModel):
    """Groups of lookalike entries, largest first."""

    threshold: float
    compared: int = Field(description="active entries compared")
    without_vector: int = Field(description="active entries not compared: no stored vector yet")
    groups: list[DuplicateGroup]


class MergeOutput(BaseModel):
    """What merge_entries did, or would do when dry_run was set."""

    kept: EntrySummary
    content_chars: int = Field(description="length of the kept entry's merged content")
    merged: list[str] = Field(description="ids of the entries merged into kept")
    others: str = Field(description="what became of them: deprecated or deleted")
    links_moved: int
    dry_run: bool


class MergeTools:
    """Tools that find and unite near-duplicate entries."""

    def __init__(self, service: Rekall) -> None:
        self.service = service

    def find_duplicates(
        self,
        threshold: Annotated[
            float,
            Field(ge=0.5, le=1.0, description="smallest cosine similarity (default 0.70)"),
        ] = SIMILAR_EXISTING_THRESHOLD,
        types: Types = None,
        project: Project = None,
        limit: Annotated[int, Field(ge=1, le=MAX_GROUPS, description="most groups")] = 20,
    ) -> DuplicatesOutput:
        """Find groups of active entries so alike in meaning that they may repeat each other.

        Use it to tidy the knowledge base: review a group, then unite it with merge_entries
        (keep = the group's keep id). Compares the stored vectors of every active entry.
        Returns the groups, largest first, each with its entries and their similarity to the
        one to keep.
        """
        filters = EntryFilter(tuple(types or ()), (), project)
        report = self.service.find_duplicates(threshold, filters, limit)
        groups = [
            DuplicateGroup(
                keep=cluster.entries[0].id,
                entries=[
                    Lookalike(**results.summary_fields(entry), similarity=round(similarity, 4))
                    for entry, similarity in zip(cluster.entries, cluster.similarities, strict=True)
                ],
            )
            for cluster in report.clusters
        ]
        return DuplicatesOutput(
            threshold=threshold,
            compared=report.compared,
            without_vector=report.without_vector,
            groups=groups,
        )

    def merge_entries(
        self,
        keep: Annotated[EntryId, Field(description="the entry that remains")],
        others: Annotated[
            list[str], Field(min_length=1, description="ids of the entries to merge into keep")
        ],
        delete: Annotated[
            bool, Field(description="delete the others instead of deprecating them")
        ] = False,
        dry_run: Annotated[bool, Field(description="report the result; change nothing")] = False,
    ) -> MergeOutput:
        """Unite near-duplicate entries into one: keep gets their content (appended under a
        separator), tags, links, context and review history; the others are deprecated and
        point to keep (or deleted). All or nothing.

        Use it after find_duplicates, or when two entries clearly describe the same thing. Try
        dry_run first and confirm with the user before merging or deleting. Returns the kept
        entry's summary, what became of the others and how many links moved.
        """
        report = self.service.merge(keep, tuple(others), delete, dry_run)
        return MergeOutput(
            kept=results.summary(report.kept),
            content_chars=len(report.kept.content),
            merged=[entry.id for entry in report.merged],
            others="deleted" if report.deleted else "deprecated",
            links_moved=report.links_moved,
            dry_run=report.dry_run,
        )
