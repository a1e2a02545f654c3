"""The facade's link graph: the tree of links around one entry, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rekall.core.entries import Entry
from rekall.core.errors import ValidationError
from rekall.core.graph import MAX_GRAPH_DEPTH, GraphNode, build_tree

if TYPE_CHECKING:
    from rekall.storage.contract import Store


@dataclass(frozen=True)
class EntryGraph:
    """A tree of links and every entry it names, by id."""

    root: GraphNode
    entries: dict[str, Entry]


def entry_graph(db: Store, id_or_prefix: str, depth: int) -> EntryGraph:
    """The links around an entry up to depth hops. Raises ValidationError, NotFoundError."""
    if not 1 <= depth <= MAX_GRAPH_DEPTH:
        raise ValidationError(f"depth must be between 1 and {MAX_GRAPH_DEPTH}, not {depth}")
    with db.read() as conn:
        root_id = db.repos.entries.resolve_id(conn, id_or_prefix)
        root = build_tree(root_id, depth, lambda entry_id: db.repos.links.links_of(conn, entry_id))
        ids = {node.entry_id for node in root.walk()}
        entries = {entry_id: db.repos.entries.fetch_entry(conn, entry_id) for entry_id in ids}
    return EntryGraph(root, entries)
