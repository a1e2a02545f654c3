"""The semantic commands from the CLI: test generate, search modes, similar, stats, index, model."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import click
import pytest

from tests.conftest import CliInvoker


@pytest.fixture
def generated(cli: CliInvoker) -> CliInvoker:
    """A base of 40 generated entries (all embedded)."""
    result = cli("test", "generate", "--count", "40", "--seed", "3", "--into-current")
    assert result.exit_code == 0, result.stderr
    assert "Added 40 entries" in result.stderr
    assert re.search(
        r"\(40 embedded\) into the current base in [\d.]+ s, [\d.]+ entries/s\.", result.stderr
    )
    return cli


def stats(cli: CliInvoker) -> dict[str, object]:
    result = cli("stats", "--memory", "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.model
def test_generate_embeds_every_entry_and_links_some(generated: CliInvoker) -> None:
    figures = stats(generated)
    assert figures["entries"] == 40
    assert figures["vectors"] == 40
    assert figures["entries_without_vector"] == 0
    assert figures["links"] == 4
    assert figures["backend"] == "numpy"
    assert "auto" in str(figures["backend_reason"])
    assert isinstance(figures["rss_mb"], float) and isinstance(figures["peak_rss_mb"], float)


@pytest.mark.model
def test_generate_is_deterministic_for_a_seed(
    cli: CliInvoker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles = []
    for name in ("a", "b"):
        monkeypatch.setenv("REKALL_HOME", str(tmp_path / name))
        assert (
            cli("test", "generate", "--count", "15", "--seed", "9", "--into-current").exit_code == 0
        )
        listed = json.loads(cli("list", "--json", "--sort", "title", "-n", "50").stdout)
        titles.append([entry["title"] for entry in listed])
    assert titles[0] == titles[1] and len(titles[0]) == 15


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
@pytest.mark.model
def test_search_json_says_what_scores_mean(generated: CliInvoker, mode: str) -> None:
    generated("add", "bug", "CORS fails on Safari", "-c", "Use credentials include.")
    result = generated("search", "cors safari", "--mode", mode, "--json", "-n", "5")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == mode
    assert data["score_meaning"]
    assert data["results"][0]["title"] == "CORS fails on Safari"
    assert len(data["results"]) <= 5


@pytest.mark.model
def test_similar_lists_neighbours(generated: CliInvoker) -> None:
    listed = json.loads(generated("list", "--json", "-n", "100").stdout)
    first, others = listed[0], [entry["id"] for entry in listed[1:]]
    # Ids made in the same millisecond share their first 10 characters, so 12 can match two
    # entries (it happened in a full run): type more, as the CLI asks a user to.
    length = next(n for n in range(12, 27) if not any(o[:n] == first["id"][:n] for o in others))
    result = generated("similar", first["id"][:length], "--json", "-n", "3")
    assert result.exit_code == 0, result.stderr
    ids = [item["id"] for item in json.loads(result.stdout)["results"]]
    assert len(ids) == 3 and first["id"] not in ids


@pytest.mark.model
def test_index_rebuild_reports_up_to_date(generated: CliInvoker) -> None:
    result = generated("index", "rebuild", "--backend", "sqlite-vec")
    assert result.exit_code == 0, result.stderr
    assert "Re-embedded 0 entries; 40 were up to date" in result.stderr
    assert "entries/s" not in result.stderr


def test_index_rebuild_says_how_fast_it_embedded(generated: CliInvoker, db_file: Path) -> None:
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute(
            "DELETE FROM embeddings WHERE entry_seq IN (SELECT entry_seq FROM embeddings LIMIT 5)"
        )
    result = generated("index", "rebuild")
    assert result.exit_code == 0, result.stderr
    assert re.search(
        r"Re-embedded 5 entries; 35 were up to date; .* s, [\d.]+ entries/s\.", result.stderr
    )


@pytest.mark.model
def test_model_status_says_where_the_model_is(cli: CliInvoker) -> None:
    result = cli("model", "status", "--json")
    assert result.exit_code == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["available"] is True and status["source"] == "package"
    assert status["dimensions"] == 384 and status["loads"] is True
    assert "loaded" not in status  # "loaded False" beside "loads True" read as a contradiction


@pytest.mark.skipif(sys.platform == "win32", reason="the peak comes from getrusage on POSIX")
def test_stats_memory_peak_is_never_below_the_current_rss(
    cli: CliInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    import resource

    cli("add", "til", "one entry", "-c", "so the base exists")
    # The kernel updates ru_maxrss lazily, so in a young process it can trail the RSS that
    # psutil reads (seen as a peak below the current figure). Make it trail by a lot.
    real = resource.getrusage(resource.RUSAGE_SELF)
    lagging = resource.struct_rusage((*real[:2], 1024, *real[3:]))  # ru_maxrss: 1 MiB
    monkeypatch.setattr(resource, "getrusage", lambda who: lagging)
    figures = json.loads(cli("stats", "--memory", "--json").stdout)
    assert figures["rss_mb"] > 10
    assert figures["peak_rss_mb"] >= figures["rss_mb"]


def test_model_status_without_model_exits_1(
    cli: CliInvoker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REKALL_MODEL_PATH", str(tmp_path))
    result = cli("model", "status")
    assert result.exit_code == 1
    assert "config.json" in result.stdout


@pytest.mark.model
def test_hybrid_json_carries_each_results_evidence(cli: CliInvoker) -> None:
    for title, content in [
        ("ENOSPC: file watchers limit reached", "Raise fs.inotify.max_user_watches."),
        ("Disk full on the build agent", "The runner ran out of space."),
    ]:
        assert cli("add", "bug", title, "-c", content).exit_code == 0
    result = cli("search", "why does ENOSPC stop my watcher", "--json")
    assert result.exit_code == 0, result.stderr
    top = json.loads(result.stdout)["results"][0]
    assert top["title"].startswith("ENOSPC")
    assert top["matched"]["ENOSPC"] == ["title"]
    assert top["keyword_rank"] == 1 and top["semantic_rank"] >= 1
    assert 0 < top["similarity"] < top["score"]  # the fused score adds the keyword vote
    assert 0 < top["keyword_strength"] <= 1


def test_search_highlights_matched_words_in_the_snippet(
    cli: CliInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.interfaces.cli import render

    assert cli("add", "til", "Pool notes", "-c", "size the pgbouncer pool by cores").exit_code == 0
    plain = cli("search", "pgbouncer", "-m", "keyword").stdout
    assert "size the [pgbouncer] pool" in plain  # no terminal: brackets
    monkeypatch.setattr(render, "use_color", lambda: True)  # a terminal: bold yellow words
    marked = render.styled_snippet("size the \x02pgbouncer\x03 pool")
    assert marked == f"size the {click.style('pgbouncer', bold=True, fg='yellow')} pool"
