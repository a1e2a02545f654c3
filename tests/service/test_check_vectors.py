"""`rekall check` on the vectors, one piece of code on both backends: missing, stale and
other-model vectors reported alike, and `check --repair` re-embedding them (PostgreSQL too);
`rekall index rebuild` reads a batch's stored hashes in one statement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rekall.config import Config, load_config
from rekall.core.entries import content_hash
from rekall.service import Rekall
from rekall.service.maintenance import SHARED_OTHER_MODEL, Finding
from tests.conftest import CliInvoker
from tests.service.conftest import fill
from tests.service.test_copy_derived import LONG, derived, drop_pieces
from tests.storage.recorder import Recorder

pytestmark = pytest.mark.model
OTHER = "another-model"
PROBES = "Kubernetes liveness probes restart stuck pods"
UNHEALTHY = (
    "1 entries have no vector, 1 have a stale vector, 1 have a vector of another model or "
    "other weights; 'rekall check --repair' re-embeds"
)


def sql(base: Rekall, *statements: str) -> None:
    """Change the base behind Rekall's back, as a bug or another tool might. Values are
    written into the statements, so the same text runs on both backends."""
    with base.db.write() as (conn, _):
        for statement in statements:
            conn.execute(statement)


def seq(entry_id: str) -> str:
    return f"(SELECT seq FROM entries WHERE id = '{entry_id}')"


def damage(base: Rekall, ids: dict[str, str]) -> str:
    """One entry without a vector, one whose text changed after its vector was made, one
    whose vector is of another model; returns the changed entry's id."""
    changed = ids["nohup keeps a job alive after logout"]
    sql(
        base,
        f"DELETE FROM embeddings WHERE entry_seq = {seq(ids['CORS fails on Safari'])}",
        f"UPDATE entries SET content = '{PROBES}' WHERE id = '{changed}'",
        f"UPDATE embeddings SET model_id = '{OTHER}' "
        f"WHERE entry_seq = {seq(ids['useEffect runs twice in StrictMode'])}",
    )
    return changed


def entry_rows(base: Rekall) -> list[tuple[Any, ...]]:
    with base.db.read() as conn:
        rows = conn.execute("SELECT id, title, content, updated_at FROM entries ORDER BY seq")
        return [tuple(row) for row in rows.fetchall()]


def finding(base: Rekall, name: str) -> Finding:
    return next(f for f in base.check().findings if f.name == name)


def test_missing_stale_and_other_model_vectors_are_reported_and_repaired(
    any_backend: Rekall,
) -> None:
    ids = fill(any_backend)
    assert finding(any_backend, "vectors").ok
    changed = damage(any_backend, ids)
    report = any_backend.check()
    assert not report.healthy
    vectors = finding(any_backend, "vectors")
    shared = any_backend.db.kind != "sqlite"  # another model may be the team's: said so
    assert (vectors.ok, vectors.detail) == (False, UNHEALTHY + SHARED_OTHER_MODEL * shared)
    entries = entry_rows(any_backend)
    progress: list[tuple[int, int]] = []
    repaired = any_backend.check(repair=True, progress=lambda d, t: progress.append((d, t)))
    assert repaired.healthy, repaired.findings
    index = "; rebuilt the vector index" if any_backend.db.kind == "sqlite" else ""
    assert repaired.repairs == [f"re-embedded 3 entries{index}"]
    assert progress[-1] == (3, 3)
    assert entry_rows(any_backend) == entries  # entries are never changed
    model_id = any_backend.semantic.model_id
    with any_backend.db.read() as conn:
        assert any_backend.db.repos.vectors.count_vectors(conn) == {model_id: len(ids)}
        seqs = {any_backend.db.repos.entries.seq_of(conn, i): i for i in ids.values()}
        stored = any_backend.db.repos.vectors.stored_hashes(conn, [*seqs, 10**9], model_id)
        assert any_backend.db.repos.vectors.stored_hashes(conn, list(seqs), OTHER) == {}
    assert set(stored) == set(seqs)
    assert stored == {s: content_hash(any_backend.get(i).embedding_text()) for s, i in seqs.items()}
    hits = any_backend.search("liveness probes restart pods", mode="semantic", limit=1).results
    assert hits[0].entry.id == changed


def test_repair_on_the_server_without_a_model_says_so(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Rekall(Config(database_url=postgres_url))
    try:
        damage(team, fill(team))
    finally:
        team.close()
    empty = tmp_path / "no-model"
    empty.mkdir()
    monkeypatch.setenv("REKALL_MODEL_PATH", str(empty))
    monkeypatch.setenv("REKALL_DATABASE_URL", postgres_url)
    bare = Rekall(load_config())
    try:
        report = bare.check(repair=True)
    finally:
        bare.close()
    assert not report.healthy
    assert [r.split(":")[0] for r in report.repairs] == ["could not re-embed"]
    found = next(f for f in report.findings if f.name == "vectors").detail
    assert found == UNHEALTHY + SHARED_OTHER_MODEL


def test_the_cli_on_the_server_reports_a_stale_vector_and_repairs_it(
    cli: CliInvoker, postgres_url: str
) -> None:
    env = {"REKALL_DATABASE_URL": postgres_url}
    added = cli("add", "til", "nohup keeps a job alive", "-c", "SIGHUP is ignored", env=env)
    assert added.exit_code == 0, added.stderr
    assert cli("add", "bug", "CORS fails on Safari", "-c", "credentials", env=env).exit_code == 0
    assert cli("check", env=env).exit_code == 0
    team = Rekall(Config(database_url=postgres_url))
    try:
        sql(team, f"UPDATE entries SET content = '{PROBES}' WHERE title LIKE 'nohup%'")
    finally:
        team.close()
    checked = cli("check", env=env)
    assert checked.exit_code == 1
    stale = r"^PROBLEM +vectors +0 entries have no vector, 1 have a stale vector; 'rekall check"
    assert re.search(stale, checked.stdout, re.M), checked.stdout
    repaired = cli("check", "--repair", env=env)
    assert repaired.exit_code == 0, repaired.stdout
    assert "repaired: re-embedded 1 entry\n" in repaired.stderr
    assert re.search(r"^ok +vectors +all 2 entries have a current vector", repaired.stdout, re.M)
    assert cli("check", env=env).exit_code == 0
    found = cli("search", "liveness probes", "--mode", "semantic", "--json", env=env)
    assert found.stdout.index("nohup keeps a job alive") < found.stdout.index("CORS")


def test_a_rebuild_reads_the_stored_hashes_of_a_batch_in_one_statement(
    any_backend: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries whose pieces are missing keep their vectors; whether a vector is current is
    read for the whole batch at once, not with a round trip per entry."""
    for n in range(3):
        any_backend.add("reference", f"Payments runbook, part {n}", LONG)
    drop_pieces(any_backend)
    vectors = derived(any_backend)[0]
    sent = record_writes(any_backend, monkeypatch)
    report = any_backend.rebuild_index()
    assert (report.embedded, report.total) == (3, 3)
    assert derived(any_backend)[0] == vectors  # the vectors kept, bit for bit
    assert finding(any_backend, "body pieces").detail.startswith("all 3 long entries have current")
    reads = [text for text, _ in sent if "content_hash FROM embeddings" in text]
    assert len(reads) == 1, reads


def record_writes(base: Rekall, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The statements run on the connections of base's write transactions from now on."""
    sent: list[tuple[str, Any]] = []
    write = base.db.write

    @contextmanager
    def recorded() -> Iterator[tuple[Any, int]]:
        with write() as (conn, generation):
            recorder = Recorder(conn)
            recorder.sent = sent
            yield recorder, generation

    monkeypatch.setattr(base.db, "write", recorded)
    return sent
