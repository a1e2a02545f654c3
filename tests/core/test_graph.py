"""The link tree: directions, cycles, repeats and the depth and size limits."""

from __future__ import annotations

from rekall.core.entries import Link
from rekall.core.graph import build_tree


def links_from(*edges: tuple[str, str, str]) -> dict[str, list[Link]]:
    by_entry: dict[str, list[Link]] = {}
    for source, target, kind in edges:
        link = Link(source, target, kind, None, "2025-01-01")
        by_entry.setdefault(source, []).append(link)
        by_entry.setdefault(target, []).append(link)
    return by_entry


def shape(node: object) -> object:
    from rekall.core.graph import GraphNode

    assert isinstance(node, GraphNode)
    label = node.entry_id
    if node.via is not None:
        label = f"{'->' if node.outgoing else '<-'}{node.via.type} {label}"
    if node.repeat:
        label += " (repeat)"
    if node.hidden:
        label += f" +{node.hidden}"
    return [label, [shape(child) for child in node.children]] if node.children else label


def test_directions_and_types_are_kept() -> None:
    graph = links_from(("A", "B", "related"), ("C", "A", "supersedes"))
    tree = build_tree("A", 2, lambda e: graph.get(e, []))
    assert shape(tree) == ["A", ["->related B", "<-supersedes C"]]


def test_a_cycle_is_drawn_once_then_marked_repeat() -> None:
    graph = links_from(("A", "B", "related"), ("B", "C", "related"), ("C", "A", "derived_from"))
    tree = build_tree("A", 10, lambda e: graph.get(e, []))
    # B and C are both one hop from A, so both expand there; the B-C link shows from each side.
    assert shape(tree) == [
        "A",
        [["->related B", ["->related C (repeat)"]], ["<-derived_from C", ["<-related B (repeat)"]]],
    ]


def test_depth_bounds_the_tree_and_counts_what_is_left_out() -> None:
    graph = links_from(("A", "B", "related"), ("B", "C", "related"), ("C", "D", "related"))
    assert shape(build_tree("A", 1, lambda e: graph.get(e, []))) == ["A", ["->related B +1"]]
    two = build_tree("A", 2, lambda e: graph.get(e, []))
    assert shape(two) == ["A", [["->related B", ["->related C +1"]]]]


def test_an_entry_reached_twice_expands_on_the_shortest_path() -> None:
    graph = links_from(("A", "B", "related"), ("B", "D", "related"), ("A", "D", "contradicts"))
    tree = build_tree("A", 3, lambda e: graph.get(e, []))
    assert shape(tree) == [
        "A",
        [["->related B", ["->related D (repeat)"]], ["->contradicts D", ["<-related B (repeat)"]]],
    ]


def test_two_links_between_the_same_pair_both_show() -> None:
    graph = links_from(("A", "B", "related"), ("B", "A", "supersedes"))
    tree = build_tree("A", 2, lambda e: graph.get(e, []))
    assert shape(tree) == [
        "A",
        [["->related B", ["->supersedes A (repeat)"]], "<-supersedes B (repeat)"],
    ]


def test_a_hub_stops_growing_at_the_node_limit() -> None:
    spokes = [("HUB", f"N{i}", "related") for i in range(50)]
    graph = links_from(*spokes, *[(f"N{i}", f"M{i}", "related") for i in range(50)])
    tree = build_tree("HUB", 5, lambda e: graph.get(e, []), max_nodes=20)
    assert len(tree.walk()) == 51  # the level under way finishes, nothing beyond it
    assert len(tree.children) == 50
    assert all(not child.children and child.hidden == 1 for child in tree.children)


def test_an_entry_without_links_is_a_lone_root() -> None:
    tree = build_tree("A", 3, lambda e: [])
    assert shape(tree) == "A" and tree.walk() == [tree]
