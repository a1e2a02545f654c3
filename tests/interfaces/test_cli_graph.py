"""`rekall graph` through the CLI on a real database: the drawn tree and its JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

Invoke = Callable[..., Result]


def add(cli: Invoke, title: str) -> str:
    result = cli("add", "bug", title)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_graph_draws_types_directions_and_cycles(cli: Invoke) -> None:
    a, b, c = add(cli, "Alpha"), add(cli, "Beta"), add(cli, "Gamma")
    assert cli("link", a, b, "--type", "related").exit_code == 0
    assert cli("link", c, a, "--type", "supersedes").exit_code == 0
    assert cli("link", b, c, "--type", "derived_from").exit_code == 0
    result = cli("graph", a[:10])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(a) and "Alpha" in lines[0]
    assert lines[1].startswith(f"├── -related-> {b}")
    assert lines[2].startswith(f"│   └── -derived_from-> {c}") and lines[2].endswith("(repeat)")
    assert lines[3].startswith(f"└── <-supersedes- {c}")
    assert lines[4].startswith(f"    └── <-derived_from- {b}") and lines[4].endswith("(repeat)")
    assert len(lines) == 5


def test_graph_depth_one_counts_the_links_beyond(cli: Invoke) -> None:
    a, b, c = add(cli, "Alpha"), add(cli, "Beta"), add(cli, "Gamma")
    cli("link", a, b)
    cli("link", b, c)
    lines = cli("graph", a, "--depth", "1").stdout.splitlines()
    assert len(lines) == 2 and lines[1].endswith("(+1 more link)")


def test_graph_json_is_a_nested_tree(cli: Invoke) -> None:
    a, b = add(cli, "Alpha"), add(cli, "Beta")
    cli("link", b, a, "--type", "supersedes", "--reason", "newer")
    data = json.loads(cli("graph", a, "--json").stdout)
    assert (data["id"], data["title"], data["depth"], data["repeat"]) == (a, "Alpha", 0, False)
    assert "link" not in data
    [child] = data["children"]
    assert child["id"] == b and child["depth"] == 1 and child["children"] == []
    assert child["link"]["type"] == "supersedes" and child["link"]["direction"] == "incoming"
    assert (child["link"]["source"], child["link"]["target"]) == (b, a)
    assert child["link"]["reason"] == "newer"


def test_graph_of_a_lone_entry_says_so(cli: Invoke) -> None:
    a = add(cli, "Alone")
    result = cli("graph", a)
    assert result.exit_code == 0 and result.stdout.splitlines()[0].startswith(a)
    assert "No links." in result.stderr


def test_graph_bad_input_is_refused(cli: Invoke) -> None:
    result = cli("graph", "ZZZZZZ")
    assert result.exit_code == 1 and "no entry id" in result.stderr
    a = add(cli, "Alpha")
    result = cli("graph", a, "--depth", "11")
    assert result.exit_code == 2 and "--depth" in result.stderr
