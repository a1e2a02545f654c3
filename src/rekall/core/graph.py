"""The links around an entry as a tree: breadth first, bounded in depth and size, cycle-safe."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from rekall.core.entries import Link

MAX_GRAPH_DEPTH = 10
MAX_GRAPH_NODES = 500


@dataclass
class GraphNode:
    """One entry in the tree, reached from its parent through `via`.

    outgoing: the link points from the parent to this entry (else from this entry to the
    parent). repeat: the entry is drawn elsewhere in the tree (a cycle or a second path), so
    it is not expanded again. hidden: links of this entry left out at the depth or size limit.
    """

    entry_id: str
    via: Link | None = None
    outgoing: bool = True
    depth: int = 0
    repeat: bool = False
    hidden: int = 0
    children: list[GraphNode] = field(default_factory=list)

    def walk(self) -> list[GraphNode]:
        """This node and every node below it, depth first."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


def build_tree(
    root_id: str,
    depth: int,
    links_of: Callable[[str], list[Link]],
    max_nodes: int = MAX_GRAPH_NODES,
) -> GraphNode:
    """The tree of links around root_id, each entry expanded once at its nearest distance.

    Breadth first, so an entry reachable by several paths is expanded on the shortest one and
    drawn as a repeat elsewhere; that is also what stops cycles.
    """
    root = GraphNode(root_id)
    expanded = {root_id}
    queue = deque([root])
    count = 1
    while queue:
        node = queue.popleft()
        links = [link for link in links_of(node.entry_id) if link != node.via]
        if node.depth >= depth or count >= max_nodes:
            node.hidden = len(links)
            continue
        for link in links:
            outgoing = link.source_id == node.entry_id
            other = link.target_id if outgoing else link.source_id
            child = GraphNode(other, link, outgoing, node.depth + 1, repeat=other in expanded)
            node.children.append(child)
            count += 1
            if not child.repeat:
                expanded.add(other)
                queue.append(child)
    return root
