"""The read-only tools: search, read one entry, similar and related entries, recent, stats."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from rekall.interfaces.mcp import results
from rekall.interfaces.mcp.outputs import (
    EntryDetail,
    LinkInfo,
    RecentOutput,
    RelatedEntry,
    RelatedOutput,
    SearchOutput,
    SimilarOutput,
    StatsOutput,
)
from rekall.interfaces.mcp.params import (
    EntryId,
    Project,
    RecentSort,
    SearchMode,
    StatusOption,
    Tags,
    Types,
    entry_filter,
)
from rekall.service import Rekall

Limit = Annotated[int, Field(ge=1, le=50, description="how many results, 1-50")]


class ReadTools:
    """Tools that never change an entry (reading one counts as an access)."""

    def __init__(self, service: Rekall) -> None:
        self.service = service

    def search_entries(
        self,
        query: Annotated[
            str,
            Field(
                description="what you are looking for: an error message, an identifier "
                "(ENOSPC, useEffect), or a question in plain words"
            ),
        ],
        mode: Annotated[
            SearchMode | None,
            Field(
                description="hybrid (the default) mixes keywords and meaning; keyword for "
                "exact identifiers and error codes; semantic for paraphrased questions"
            ),
        ] = None,
        types: Types = None,
        tags: Tags = None,
        project: Project = None,
        status: StatusOption = "active",
        limit: Limit = 10,
    ) -> SearchOutput:
        """Search the developer knowledge base: bugs and their fixes, patterns, decisions,
        pitfalls, configs, references, snippets and TILs recorded earlier.

        Use it before solving a problem from scratch, when an error looks familiar, or when
        the user asks what was decided or learnt about something. Returns up to `limit`
        ranked entries, each with id, title, tags, project, a short snippet and a score
        (`score_meaning` says how to read it). Snippets are short on purpose: call get_entry
        with an id to read an entry in full. Deprecated entries are hidden unless
        status='all'.
        """
        filters = entry_filter(types, tags, project, status)
        return results.search_output(self.service.search(query, mode, filters, limit))

    def get_entry(
        self,
        id: EntryId,
        offset: Annotated[
            int, Field(ge=0, description="character offset to continue a long content from")
        ] = 0,
        max_chars: Annotated[
            int, Field(ge=500, le=100_000, description="most content characters to return")
        ] = results.CONTENT_CHARS,
    ) -> EntryDetail:
        """Read one entry in full: its Markdown content, tags, project, status, confidence,
        dates and links to other entries.

        Use it after search_entries, find_similar or list_recent to read an entry whose
        snippet looks relevant. Returns the entry with its links. Very long content comes in
        pages: when `next_offset` is not null, call again with offset=next_offset for the rest.
        """
        entry = self.service.get(id, record_access=offset == 0)
        return results.entry_detail(entry, self._links_of(entry.id), offset, max_chars)

    def _links_of(self, entry_id: str) -> list[LinkInfo]:
        titles = {other.id: other.title for other, _ in self.service.related(entry_id, 1)}
        shown = []
        for link in self.service.links(entry_id):
            other = link.target_id if link.source_id == entry_id else link.source_id
            shown.append(results.link_info(entry_id, link, titles.get(other, "")))
        return shown

    def find_similar(
        self,
        id: EntryId,
        limit: Limit = 5,
        types: Types = None,
        tags: Tags = None,
        project: Project = None,
        status: StatusOption = "active",
    ) -> SimilarOutput:
        """Find entries closest in meaning to one entry (the entry itself excluded).

        Use it to spot duplicates before adding or editing, to gather related fixes, or to
        choose what to link an entry to. Returns ranked entries with their cosine similarity
        (1.0 identical, above ~0.5 closely related, below ~0.2 unrelated) and a snippet.
        """
        entry = self.service.get(id, record_access=False)
        filters = entry_filter(types, tags, project, status)
        response = self.service.similar(entry.id, limit, filters)
        return SimilarOutput(
            entry_id=entry.id,
            entry_title=entry.title,
            score_meaning=response.score_meaning,
            results=[results.search_hit(result) for result in response.results],
        )

    def get_related(
        self,
        id: EntryId,
        depth: Annotated[
            int, Field(ge=1, le=3, description="1: direct links only; 2-3: links of links too")
        ] = 1,
    ) -> RelatedOutput:
        """List the entries linked to one entry (related, supersedes, derived_from,
        contradicts), nearest first.

        Use it to follow what an entry builds on, what replaced it, or what contradicts it.
        Returns summaries, each with how many hops away it is and, for direct links, the link
        type and direction ('supersedes ->' means this entry supersedes that one).
        """
        entry = self.service.get(id, record_access=False)
        via: dict[str, list[str]] = {}
        for link in self.service.links(entry.id):
            if link.source_id == entry.id:
                via.setdefault(link.target_id, []).append(f"{link.type} ->")
            else:
                via.setdefault(link.source_id, []).append(f"<- {link.type}")
        found = self.service.related(entry.id, depth)[: results.MAX_LINKS_SHOWN]
        return RelatedOutput(
            entry_id=entry.id,
            results=[
                RelatedEntry(**results.summary_fields(other), hops=hops, via=via.get(other.id, []))
                for other, hops in found
            ],
        )

    def list_recent(
        self,
        limit: Limit = 10,
        sort: Annotated[
            RecentSort,
            Field(description="updated (default), created, or accessed (most read first)"),
        ] = "updated",
        types: Types = None,
        tags: Tags = None,
        project: Project = None,
        status: StatusOption = "active",
    ) -> RecentOutput:
        """List the most recently updated entries (or created, or most accessed), optionally
        only of some types, tags or a project.

        Use it to see what was recorded lately, e.g. at the start of work on a project.
        Returns summaries without content; call get_entry to read one.
        """
        filters = entry_filter(types, tags, project, status)
        entries = self.service.list_entries(filters, sort, limit)
        return RecentOutput(sort=sort, results=[results.summary(entry) for entry in entries])

    def get_stats(self) -> StatsOutput:
        """Show the size and state of the knowledge base.

        Use it when search behaves unexpectedly or the user asks about the knowledge base.
        Returns entries by type and status, links, entries not yet findable by meaning,
        whether the embedding model is loaded (or why it is unavailable), and this server's
        memory use.
        """
        return results.stats_output(self.service.stats(memory=True))
