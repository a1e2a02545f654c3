"""`rekall graph`: the links around an entry, drawn as a tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from rekall.core.graph import MAX_GRAPH_DEPTH, GraphNode
from rekall.interfaces.cli import render
from rekall.interfaces.cli.context import get_service

if TYPE_CHECKING:
    from rekall.service.graph import EntryGraph

EPILOG = """\b
Examples:
  rekall graph 01JD3K
  rekall graph 01JD3K --depth 3 --json
\b
-supersedes-> : this entry supersedes the one below it
<-supersedes- : the one below supersedes this entry
(repeat)      : drawn elsewhere in the tree (a cycle or a second path)
"""


@click.command(epilog=EPILOG)
@click.argument("entry_id")
@click.option(
    "--depth",
    type=click.IntRange(1, MAX_GRAPH_DEPTH),
    default=2,
    show_default=True,
    help="How many link hops to draw.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the tree as nested JSON.")
def graph(entry_id: str, depth: int, as_json: bool) -> None:
    """Draw the links around an entry as a tree, with link types and directions."""
    found = get_service().graph(entry_id, depth)
    if as_json:
        render.print_json(node_to_dict(found, found.root))
        return
    for line in tree_lines(found):
        click.echo(line)
    if not found.root.children and not found.root.hidden:
        click.echo("No links.", err=True)


def node_label(found: EntryGraph, node: GraphNode) -> str:
    """One node: the link from its parent, then the entry."""
    entry = found.entries[node.entry_id]
    title = render.style(entry.title, bold=True)
    text = f"{render.style(entry.id, dim=True)}  {entry.type:<9} {title}"
    if entry.status == "deprecated":
        text += render.style(" [deprecated]", fg="red")
    if node.via is not None:
        arrow = f"-{node.via.type}->" if node.outgoing else f"<-{node.via.type}-"
        text = f"{render.style(arrow, fg='cyan')} {text}"
    if node.repeat:
        text += render.style(" (repeat)", dim=True)
    if node.hidden:
        text += render.style(
            f" (+{node.hidden} more link{'s' if node.hidden != 1 else ''})", dim=True
        )
    return text


def tree_lines(found: EntryGraph) -> list[str]:
    """The tree drawn with box characters, the root entry first."""
    lines = [node_label(found, found.root)]

    def draw(node: GraphNode, prefix: str) -> None:
        for index, child in enumerate(node.children):
            last = index == len(node.children) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{node_label(found, child)}")
            draw(child, prefix + ("    " if last else "│   "))

    draw(found.root, "")
    return lines


def node_to_dict(found: EntryGraph, node: GraphNode) -> dict[str, Any]:
    """The JSON shape of a node and its subtree."""
    entry = found.entries[node.entry_id]
    data: dict[str, Any] = {
        "id": entry.id,
        "type": entry.type,
        "title": entry.title,
        "status": entry.status,
        "depth": node.depth,
    }
    if node.via is not None:
        data["link"] = {
            **render.link_to_dict(node.via),
            "direction": "outgoing" if node.outgoing else "incoming",
        }
    data["repeat"] = node.repeat
    data["hidden_links"] = node.hidden
    data["children"] = [node_to_dict(found, child) for child in node.children]
    return data


COMMANDS = [graph]
