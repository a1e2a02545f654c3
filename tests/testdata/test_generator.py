"""The synthetic base generator: determinism, validity, realism and the link plan."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict

import pytest

from rekall.core.entries import ENTRY_TYPES, LINK_TYPES, NewEntry, build_new_entry
from rekall.testdata import generate_entries, plan_links
from rekall.testdata.generator import Draft, iter_drafts
from rekall.testdata.topics import TECHS


@pytest.fixture(scope="module")
def thousand() -> list[NewEntry]:
    return list(generate_entries(1000, seed=42))


@pytest.fixture(scope="module")
def ten_thousand() -> list[NewEntry]:
    return list(generate_entries(10_000, seed=42))


@pytest.fixture(scope="module")
def drafts() -> list[Draft]:
    return list(iter_drafts(1000, seed=42))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _similarity(a: NewEntry, b: NewEntry) -> float:
    left, right = _words(a.content), _words(b.content)
    return len(left & right) / max(1, len(left | right))


def test_same_seed_gives_the_same_entries() -> None:
    assert list(generate_entries(300, seed=7)) == list(generate_entries(300, seed=7))


def test_different_seeds_give_different_entries() -> None:
    first = list(generate_entries(300, seed=1))
    second = list(generate_entries(300, seed=2))
    assert sum(a != b for a, b in zip(first, second, strict=True)) > 290


def test_the_default_seed_is_used_when_none_is_given() -> None:
    assert list(generate_entries(20)) == list(generate_entries(20, seed=42))


@pytest.mark.parametrize("count", [0, 1, 9, 250])
def test_count_is_exact(count: int) -> None:
    assert sum(1 for _ in generate_entries(count, seed=3)) == count


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="count"):
        list(generate_entries(-1))
    with pytest.raises(ValueError, match="count"):
        plan_links(-1)


def test_a_prefix_of_a_larger_base_is_the_smaller_base() -> None:
    assert list(generate_entries(50, seed=5)) == list(generate_entries(120, seed=5))[:50]


def test_every_type_appears_in_a_thousand(thousand: list[NewEntry]) -> None:
    counts = Counter(entry.type for entry in thousand)
    assert set(counts) == set(ENTRY_TYPES)
    assert min(counts.values()) >= 50


def test_every_entry_is_valid(thousand: list[NewEntry]) -> None:
    for entry in thousand:
        rebuilt = build_new_entry(
            entry.type, entry.title, entry.content, entry.tags, entry.project, entry.confidence
        )
        assert rebuilt == entry
        assert 1 <= len(entry.tags) <= 5
        assert 0 <= entry.confidence <= 5
        assert entry.title == entry.title.strip()


def test_no_template_slot_is_left_unfilled(thousand: list[NewEntry]) -> None:
    slot = re.compile(r"\{(tech|noun|Noun|task|Task|error|gotcha|env|area|alt|setting_\w+)\}")
    for entry in thousand:
        assert not slot.search(entry.title)
        assert not slot.search(entry.content)


def test_lengths_are_spread_like_a_real_base(thousand: list[NewEntry]) -> None:
    lengths = [len(entry.content) for entry in thousand]
    share = sum(300 <= n <= 1500 for n in lengths) / len(lengths)
    assert share >= 0.65
    assert sum(n < 200 for n in lengths) >= 50
    assert sum(n > 3000 for n in lengths) >= 10
    assert max(lengths) < 6000
    assert 400 <= statistics.median(lengths) <= 1200


def test_bodies_use_markdown_of_many_kinds(thousand: list[NewEntry]) -> None:
    text = "\n".join(entry.content for entry in thousand)
    languages = set(re.findall(r"^```(\w[\w-]*)$", text, flags=re.MULTILINE))
    assert {"python", "bash", "sql", "yaml", "js", "go", "json"} <= languages
    assert len(languages) >= 12
    assert re.search(r"^- ", text, flags=re.MULTILINE)
    assert re.search(r"^1\. ", text, flags=re.MULTILINE)
    assert "## " in text and "| --- |" in text
    assert "ERROR: deadlock detected" in text


def test_tags_and_projects_look_real(thousand: list[NewEntry]) -> None:
    tags = Counter(tag for entry in thousand for tag in entry.tags)
    assert {"docker", "postgres", "react", "k8s", "python", "git"} <= set(tags)
    projects = Counter(entry.project for entry in thousand)
    assert 0.12 <= projects[None] / len(thousand) <= 0.28
    assert len(projects) - 1 >= 12


def test_topics_cover_many_technologies(thousand: list[NewEntry]) -> None:
    primary = {tech.tags[0] for tech in TECHS}
    seen = {tag for entry in thousand for tag in entry.tags} & primary
    assert len(seen) == len(primary) >= 40
    assert {tech.domain for tech in TECHS} >= {
        "web", "databases", "devops", "languages", "tooling", "os", "networking",
        "security", "testing",
    }  # fmt: skip


def test_confidence_uses_the_whole_range(thousand: list[NewEntry]) -> None:
    assert set(Counter(entry.confidence for entry in thousand)) == set(range(6))


def test_ten_thousand_entries_are_generated(ten_thousand: list[NewEntry]) -> None:
    assert len(ten_thousand) == 10_000


def test_titles_are_mostly_distinct(ten_thousand: list[NewEntry]) -> None:
    titles = [entry.title for entry in ten_thousand]
    assert len(set(titles)) / len(titles) >= 0.7


def test_near_duplicates_reword_an_earlier_entry(drafts: list[Draft]) -> None:
    duplicates = [draft for draft in drafts if draft.duplicate_of is not None]
    assert 10 <= len(duplicates) <= 60
    for draft in duplicates:
        assert draft.duplicate_of is not None and draft.duplicate_of < draft.index
        original = drafts[draft.duplicate_of]
        assert original.duplicate_of is None
        assert (draft.entry.type, draft.entry.tags) == (original.entry.type, original.entry.tags)
        assert draft.entry.title != original.entry.title


def test_near_duplicates_are_closer_than_entries_on_the_same_topic(drafts: list[Draft]) -> None:
    pairs = [
        (draft.entry, drafts[draft.duplicate_of].entry)
        for draft in drafts
        if draft.duplicate_of is not None
    ]
    close = [_similarity(a, b) for a, b in pairs if min(len(a.content), len(b.content)) >= 400]
    assert len(close) >= 10
    groups: defaultdict[tuple[str, str], list[NewEntry]] = defaultdict(list)
    for draft in drafts:
        if draft.duplicate_of is None:
            groups[(draft.entry.type, draft.entry.tags[0])].append(draft.entry)
    peers = [
        _similarity(a, b)
        for group in groups.values()
        for a, b in zip(group, group[1:], strict=False)
    ]
    assert min(close) >= 0.4
    assert statistics.median(close) >= 0.7
    assert statistics.median(close) > 2 * statistics.median(peers)


@pytest.mark.parametrize("count", [0, 1, 10, 57, 1000])
def test_link_plan_respects_its_constraints(count: int) -> None:
    links = plan_links(count, seed=11)
    assert len(links) == count // 10
    pairs = [frozenset((source, target)) for source, target, _, _ in links]
    assert len(set(pairs)) == len(pairs)
    for source, target, kind, reason in links:
        assert 0 <= source < count and 0 <= target < count
        assert source != target
        assert kind in LINK_TYPES
        assert reason
        if kind in ("supersedes", "derived_from"):
            assert source > target


def test_link_plan_is_deterministic_and_uses_every_type() -> None:
    links = plan_links(2000, seed=4)
    assert links == plan_links(2000, seed=4)
    assert links != plan_links(2000, seed=5)
    assert {kind for _, _, kind, _ in links} == set(LINK_TYPES)


def test_near_duplicates_are_linked_to_their_original(drafts: list[Draft]) -> None:
    linked = {frozenset((source, target)) for source, target, _, _ in plan_links(1000, seed=42)}
    for draft in drafts:
        if draft.duplicate_of is not None:
            assert frozenset((draft.index, draft.duplicate_of)) in linked
