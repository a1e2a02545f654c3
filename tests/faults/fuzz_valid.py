"""Generated import files that are valid but odd (any Unicode, fields at their limits, links,
lookalike entries, an id the base already holds), and what must hold after importing one:
the base holds the file's entries and links as written, and `rekall check` finds nothing wrong.

Shared by tests/faults/test_fuzz.py and benchmarks/bench_fuzz.py, as fuzz.py is.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from rekall.core import entries as core
from rekall.core.errors import RekallError
from rekall.core.records import record_to_dict
from rekall.service import Rekall
from tests.faults.fuzz import Fingerprint
from tests.faults.fuzz_formats import FORMS, as_form, stored_vectors, write_import, wrong_vectors

# Stands for an id the base already holds; replaced when the file is written.
EXISTING = "EXISTING"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENTRY_ID = st.text(alphabet=CROCKFORD, min_size=24, max_size=24).map(lambda s: "01" + s)
# Any character a text field may hold: no lone surrogates, no NUL (both refused).
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
# What a tag or project name is made of once normalised: lower case, no spaces or commas.
WORD_CHAR = st.characters(whitelist_categories=("Ll", "Lo", "Nd"), whitelist_characters="-_.+#")
# Valid text that looks like something else: escapes typed as text, SQL, FTS5 syntax, a
# byte-order mark, right-to-left override, a combining accent.
ODD_TEXT = st.sampled_from(
    [
        "\\u0000 in the log",
        "\\x00\\n",
        "'; DROP TABLE entries; --",
        'NEAR("a" "b") OR title:*',
        "\ufeffBOM first",
        "\u202eevil.txt",
        "e\u0301",
        "%s %n {0}",
    ]
)
TITLE = st.one_of(
    ODD_TEXT,
    st.text(ANY_CHAR, min_size=1, max_size=80),
    st.builds(lambda c: c * core.MAX_TITLE_CHARS, st.sampled_from(["é", "字", "😀", "a"])),
).filter(lambda title: title.strip() != "")
CONTENT = st.one_of(
    ODD_TEXT,
    st.text(ANY_CHAR, max_size=200),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["é", "字", "😀", "\n", "a"]), st.integers(1, 30_000)
    ),
)
TAG = st.text(WORD_CHAR, min_size=1, max_size=core.MAX_TAG_CHARS).filter(lambda t: t == t.lower())
PROJECT = (
    st.lists(st.text(WORD_CHAR, min_size=1, max_size=12), min_size=1, max_size=4)
    .map(" ".join)
    .filter(lambda p: len(p) <= core.MAX_PROJECT_CHARS)
)
TIMESTAMP = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(timezone.utc)
).map(lambda moment: moment.isoformat())
CONTEXT = st.fixed_dictionaries(
    {
        "structured": st.fixed_dictionaries(
            {"situation": ODD_TEXT | st.text(ANY_CHAR, max_size=200)},
            optional={"error_messages": st.lists(st.text(ANY_CHAR, min_size=1, max_size=80))},
        ),
        "keywords": st.lists(st.text(ANY_CHAR, min_size=1, max_size=40), max_size=5),
    }
)


@st.composite
def valid_entry(draw: st.DrawFn, entry_id: str, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """One entry object as an export writes it; sometimes a lookalike of an earlier one."""
    entry: dict[str, Any] = {
        "id": entry_id,
        "type": draw(st.sampled_from(core.ENTRY_TYPES)),
        "title": draw(TITLE),
        "content": draw(CONTENT),
        "created_at": draw(TIMESTAMP),
        "updated_at": draw(TIMESTAMP),
    }
    if earlier and draw(st.booleans()):  # same title and text under another id
        entry.update(title=earlier[0]["title"], content=earlier[0]["content"])
    optional = {
        "tags": st.lists(TAG, max_size=6).map(lambda tags: tags + tags[:1]),  # one repeated
        "project": PROJECT,
        "confidence": st.integers(*core.CONFIDENCE_RANGE),
        "access_count": st.integers(0, 2**62),
        "context": CONTEXT,
        "created_by": st.text(ANY_CHAR, min_size=1, max_size=64),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        entry[name] = draw(optional[name])
    return entry


@st.composite
def valid_import(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """A strategy, a form (fuzz_formats.FORMS) and an export document that must import:
    entries (one may be an id the base holds), links between them, and supersession pointing
    forward only (no ring)."""
    ids = draw(st.lists(ENTRY_ID, min_size=1, max_size=4, unique=True))
    if draw(st.booleans()):
        ids[0] = EXISTING
    entries: list[dict[str, Any]] = []
    for entry_id in ids:
        entries.append(draw(valid_entry(entry_id, entries)))
    for position, entry in enumerate(entries[:-1]):
        if draw(st.booleans()):
            entry.update(status="deprecated", superseded_by=ids[position + 1])
    pairs = [(a, b) for a in ids for b in ids if a != b]
    links = draw(
        st.lists(st.tuples(st.sampled_from(pairs), st.sampled_from(core.LINK_TYPES)), unique=True)
        if pairs
        else st.just([])
    )
    document = {
        "format": "rekall-export",
        "version": draw(st.sampled_from([1, 2])),
        "entries": entries,
        "links": [
            {
                "source": a,
                "target": b,
                "type": kind,
                "reason": draw(st.none() | st.text(ANY_CHAR, max_size=60)),
                "created_at": draw(TIMESTAMP),
            }
            for (a, b), kind in links
        ],
    }
    strategy = draw(st.sampled_from(["skip", "replace", "merge"]))
    form = draw(st.sampled_from(FORMS))
    return strategy, form, as_form(form, document)


def with_existing(document: dict[str, Any], existing: str) -> dict[str, Any]:
    """The document with the EXISTING placeholder replaced by an id the base holds."""

    def swap(value: Any) -> Any:
        return existing if value == EXISTING else value

    entries = [
        {**entry, "id": swap(entry["id"]), "superseded_by": swap(entry.get("superseded_by"))}
        for entry in document["entries"]
    ]
    for entry, raw in zip(entries, document["entries"], strict=True):
        if "superseded_by" not in raw:
            del entry["superseded_by"]
    links = [
        {**link, "source": swap(link["source"]), "target": swap(link["target"])}
        for link in document["links"]
    ]
    return {**document, "entries": entries, "links": links}


def expected_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as an export of the base must show it: tags and keywords normalised."""
    expected = dict(entry)
    if "tags" in expected:
        expected["tags"] = sorted(set(expected["tags"]))
    if "context" in expected:
        context = expected["context"]
        expected["context"] = {
            "structured": context["structured"],
            "legacy_text": None,
            "keywords": sorted(set(context["keywords"])),
        }
    return expected


def check_valid_import(
    strategy: str,
    form: str,
    document: dict[str, Any],
    base: Rekall,
    folder: Path,
    db_file: Path,
    fingerprint: Fingerprint,
) -> str:
    """Import a valid file; "imported", or what went wrong ("refused: …", "wrong: …",
    "traceback: …"). Afterwards the base must hold the file as written, with the vectors it
    should have taken from it, and pass its check."""
    document = with_existing(document, held_id(base, {e["id"] for e in document["entries"]}))
    with base.db.read() as conn:  # earlier files may have brought some of these ids too
        before = base.db.repos.transfer.read_records(conn, [e["id"] for e in document["entries"]])
    vectors_before = stored_vectors(base)
    path, carried = write_import(form, document, folder, escapes_non_ascii(document))
    try:
        report = base.import_data(path, strategy)
    except RekallError as exc:
        return f"refused: {exc}"[:300]
    except Exception as exc:  # the figure counts these; a test fails on them
        return f"traceback: {type(exc).__name__}: {exc}"[:300]
    held = {entry_id: record_to_dict(record) for entry_id, record in before.items()}
    return _wrong(strategy, document, base, held, report.added) or (
        wrong_vectors(form, document, carried, vectors_before, (strategy, set(held)), base)
        or "imported"
    )


def held_id(base: Rekall, avoid: set[str]) -> str:
    """An id the base holds that the file does not already name."""
    from rekall.core.entries import EntryFilter

    for entry in base.list_entries(EntryFilter(status=None), "created", len(avoid) + 1):
        if entry.id not in avoid:
            return entry.id
    return base.add("til", "A fresh entry to aim at").id


def escapes_non_ascii(document: dict[str, Any]) -> bool:
    """Some files escape non-ASCII characters (\\uXXXX), the others write them as UTF-8."""
    return len(document["entries"]) % 2 == 0


def _wrong(
    strategy: str,
    document: dict[str, Any],
    base: Rekall,
    held: dict[str, dict[str, Any]],
    added: int,
) -> str:
    """What differs from the file, "" when nothing (held: the base's entries of the file's
    ids, before)."""
    ids = [entry["id"] for entry in document["entries"]]
    with base.db.read() as conn:
        stored = base.db.repos.transfer.read_records(conn, ids)
        links = {link.key for link in base.db.repos.transfer.read_links(conn, ids)}
    if added != len(ids) - len(held):
        return f"wrong: {added} added; {len(ids)} entries, {len(held)} held before"
    for entry in document["entries"]:
        found = record_to_dict(stored[entry["id"]])
        if entry["id"] in held and strategy != "replace":
            expected = held[entry["id"]] if strategy == "skip" else {}  # merge: own tests
        else:
            expected = expected_fields(entry)
        differ = sorted(name for name, value in expected.items() if found.get(name) != value)
        if differ:
            return f"wrong: entry {entry['id']} differs in {', '.join(differ)}"
    written = {
        (link["source"], link["target"], link["type"])
        for link in document["links"]
        if strategy == "replace" or link["source"] not in held
    }
    if not written <= links:
        return f"wrong: links missing: {sorted(written - links)[:3]}"
    return _unhealthy(base)


def _unhealthy(base: Rekall) -> str:
    """ "" when check finds nothing wrong. Without a model entries have no vector, which is
    expected here; a stale vector, another model's or an orphan is not."""
    for finding in base.check().findings:
        if finding.ok:
            continue
        if finding.name == "vectors" and finding.detail.split(";")[0].endswith(
            "entries have no vector, 0 have a stale vector"
        ):
            continue
        return f"wrong: check: {finding.name}: {finding.detail}"[:300]
    return ""
