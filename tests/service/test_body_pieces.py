"""Body-piece vectors of long entries, with the real model, on both backends: a question
answered only past what the model reads of the whole entry is found, and the pieces follow
every edit and delete, in this process and in others."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rekall.core.entries import content_hash
from rekall.core.pieces import body_pieces
from rekall.service import Rekall
from tests.service.conftest import fill, run_cli

pytestmark = pytest.mark.model

# A runbook whose last paragraph, past the ~1,000 characters the model reads, answers QUESTION.
PARAGRAPHS = [
    "Deploys go out from the main branch through the release pipeline. Tag the commit, wait "
    "for the image build, then promote the image from staging to production in the deploy "
    "dashboard. Never deploy on Friday afternoons; the freeze calendar lists the other days.",
    "Logs are shipped to the central log store with the service name as the index. Search by "
    "request id first: every response carries it in a header, and support tickets quote it. "
    "Error rates above two percent for five minutes page the on-call engineer.",
    "Database migrations run before the new version starts. They must be backwards compatible "
    "for one release: add columns as nullable, backfill in batches of ten thousand rows, and "
    "drop old columns only in the release after, during the low-traffic window.",
    "Feature flags are read at request time from the flag service, cached for thirty seconds. "
    "A flag fully rolled out for two weeks is removed from the code in the next sprint, and "
    "its entry deleted from the flag service, so the list stays short enough to review.",
    "The payment provider's webhooks are retried for three days with exponential backoff. "
    "Handlers must be idempotent: store the event id and skip duplicates. A signing secret "
    "rotation needs both the old and the new secret accepted for an hour.",
]
ANSWER = (
    "When the TLS certificate of the public endpoint is close to its expiry date, run certbot "
    "renew for the payments domain on the edge host and reload nginx. Browsers show "
    "NET::ERR_CERT_DATE_INVALID once it has lapsed, and mobile clients refuse to connect."
)
RUNBOOK = "Payments service on-call runbook"
QUESTION = "how do I renew an expiring https certificate"


def add_base(service: Rekall, content: str) -> str:
    """The small base, a related short entry, and the runbook; returns the runbook's id."""
    fill(service)
    service.add(
        "til",
        "Let's Encrypt rate limits",
        "Let's Encrypt allows 50 certificates per registered domain per week; use the staging "
        "endpoint while testing.",
        ("tls",),
    )
    return service.add("reference", RUNBOOK, content, ("runbook",), "payments").id


def semantic_titles(service: Rekall, query: str = QUESTION) -> list[str]:
    return [r.entry.title for r in service.search(query, mode="semantic", limit=5).results]


def stored(service: Rekall, entry_id: str) -> list[str]:
    """The piece hashes stored for an entry, under the model in use."""
    with service.db.read() as conn:
        seq = service.db.repos.entries.seq_of(conn, entry_id)
        return service.db.repos.vectors.stored_pieces(conn, service.semantic.model_id).get(seq, [])


def test_a_question_answered_in_the_second_half_of_a_long_entry_finds_it(
    any_backend: Rekall,
) -> None:
    content = "\n\n".join([*PARAGRAPHS, ANSWER])
    entry_id = add_base(any_backend, content)
    whole = any_backend.get(entry_id).embedding_text()
    assert len(whole) > 1500 and ANSWER not in whole[:1100]
    assert stored(any_backend, entry_id) == [content_hash(p) for p in body_pieces(whole)]
    assert semantic_titles(any_backend)[0] == RUNBOOK
    hybrid = any_backend.search(QUESTION, limit=5).results
    assert hybrid[0].entry.title == RUNBOOK
    assert len({r.entry.id for r in hybrid}) == len(hybrid)  # each entry once


def test_an_edit_replaces_the_pieces_and_a_delete_removes_them(any_backend: Rekall) -> None:
    entry_id = add_base(any_backend, "\n\n".join([*PARAGRAPHS, ANSWER]))
    before = stored(any_backend, entry_id)
    any_backend.update(entry_id, content="\n\n".join([*PARAGRAPHS, PARAGRAPHS[0]]))
    after = stored(any_backend, entry_id)
    assert after and after != before
    assert RUNBOOK not in semantic_titles(any_backend)[:1]
    any_backend.update(entry_id, content="Short now.")
    assert stored(any_backend, entry_id) == []
    any_backend.update(entry_id, content="\n\n".join([*PARAGRAPHS, ANSWER]))
    assert semantic_titles(any_backend)[0] == RUNBOOK
    any_backend.delete(entry_id)
    with any_backend.db.read() as conn:
        assert any_backend.db.repos.vectors.stored_pieces(conn, any_backend.semantic.model_id) == {}
    assert RUNBOOK not in semantic_titles(any_backend)


@pytest.mark.parametrize("backend", ["numpy", "sqlite-vec"])
def test_another_process_sees_pieces_replaced_and_removed(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    if backend == "sqlite-vec":
        pytest.importorskip("sqlite_vec")
    monkeypatch.setenv("REKALL_VECTOR_INDEX_BACKEND", backend)
    reader = Rekall(long_lived=True)
    try:
        entry_id = add_base(reader, "\n\n".join([*PARAGRAPHS, ANSWER]))
        # The reader's index (and the snapshot or index file a new process starts from)
        # holds the pieces; each CLI call below is a cold process catching up from it.
        assert semantic_titles(reader)[0] == RUNBOOK
        run_cli("edit", entry_id, "--content", "\n\n".join([*PARAGRAPHS, PARAGRAPHS[1]]))
        assert RUNBOOK not in semantic_titles(reader)[:1]
        assert _cli_titles()[:1] != [RUNBOOK]
        run_cli("edit", entry_id, "--content", "\n\n".join([*PARAGRAPHS, ANSWER]))
        assert semantic_titles(reader)[0] == RUNBOOK
        assert _cli_titles()[0] == RUNBOOK
        run_cli("delete", entry_id, "--yes")
        assert RUNBOOK not in semantic_titles(reader)
        assert RUNBOOK not in _cli_titles()
    finally:
        reader.close()


def _cli_titles() -> list[str]:
    out = run_cli("search", QUESTION, "--mode", "semantic", "--limit", "5", "--json").stdout
    data: Any = json.loads(out)
    return [item["title"] for item in data["results"]]


def test_long_entries_added_together_get_their_pieces_in_one_write(
    any_backend: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.core.entries import NewEntry
    from rekall.storage.postgres import bulk

    # Past this many piece rows a server takes them in one COPY stream: a few suffice here.
    monkeypatch.setattr(bulk, "COPY_FROM", 2)
    fill(any_backend)
    contents = ["\n\n".join([*PARAGRAPHS[n:], *PARAGRAPHS[:n], ANSWER]) for n in range(3)]
    entries = [NewEntry("reference", f"{RUNBOOK} {n}", text) for n, text in enumerate(contents)]
    ids = any_backend.indexer.insert_many(entries, any_backend.clock())
    for entry_id in ids:
        whole = any_backend.get(entry_id).embedding_text()
        assert stored(any_backend, entry_id) == [content_hash(p) for p in body_pieces(whole)]
    assert semantic_titles(any_backend)[0].startswith(RUNBOOK)
