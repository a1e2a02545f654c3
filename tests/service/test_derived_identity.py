"""Derived vector files are trusted only for the database history they were built from."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rekall.config import Config
from rekall.service import Rekall
from rekall.storage import embeddings_repo
from rekall.storage.connection import read_identity
from tests.service.conftest import fill, run_cli

pytestmark = pytest.mark.model

BACKENDS = ["numpy", "sqlite-vec"]
EVICTION = ("Kubernetes pod eviction order", "Under memory pressure the kubelet evicts by QoS.")


def top_hit(service: Rekall, query: str) -> tuple[str, float]:
    result = service.search(query, mode="semantic", limit=1).results[0]
    assert result.similarity is not None
    return result.entry.title, result.similarity


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_copied_back_and_written_past_the_index_is_not_served_old_vectors(
    backend: str, db_file: Path, tmp_path: Path, opened: list[Rekall]
) -> None:
    config = Config(vector_index_backend=backend)
    first = Rekall(config)
    opened.append(first)
    fill(first)
    backup = first.backup(tmp_path / "rekall.db.bak")
    evicted = first.add("til", *EVICTION)
    assert top_hit(first, "pod eviction under memory pressure")[0] == EVICTION[0]
    with first.db.read() as conn:
        indexed = read_identity(conn)
    evicted_seq = seq_of(first, evicted.id)
    first.close()
    opened.remove(first)

    # The user copies the backup back by hand, then goes on working past the index's state.
    for stale in db_file.parent.glob("rekall.db-*"):
        stale.unlink()
    shutil.copyfile(backup, db_file)
    added = run_cli("add", "til", "Redis maxmemory policy", "-c", "Evict least recently used.")
    assert "copied back" in added.stderr and "rekall restore" in added.stderr
    new_id = added.stdout.strip()
    reused = Rekall(config)
    opened.append(reused)
    confidence = 1
    while reused.db.generation() <= indexed.generation:
        confidence = 3 - confidence
        reused.update(new_id, confidence=confidence)
    assert seq_of(reused, new_id) == evicted_seq  # the lost entry's seq is taken again

    query = "pod eviction under memory pressure"
    served = {r.entry.id: r.similarity for r in reused.search(query, mode="semantic").results}
    assert served[new_id] == pytest.approx(true_similarity(reused, query, new_id), abs=1e-4)
    assert top_hit(reused, "cache evicts least recently used keys")[0] == "Redis maxmemory policy"
    assert reused.semantic.sync().lineage != indexed.lineage  # a new history, new files


def seq_of(service: Rekall, entry_id: str) -> int:
    with service.db.read() as conn:
        return int(conn.execute("SELECT seq FROM entries WHERE id = ?", (entry_id,)).fetchone()[0])


def true_similarity(service: Rekall, query: str, entry_id: str) -> float:
    """The cosine between the query and the vector the database holds for the entry now."""
    seq = seq_of(service, entry_id)
    with service.db.read() as conn:
        row = conn.execute("SELECT vector FROM embeddings WHERE entry_seq = ?", (seq,)).fetchone()
    return float(np.dot(service.semantic.embed_query(query), np.frombuffer(row[0], np.float32)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_index_rebuild_is_seen_by_another_process(
    backend: str, service: Rekall, opened: list[Rekall]
) -> None:
    fill(service)
    other = Rekall(Config(vector_index_backend=backend), long_lived=True)
    opened.append(other)
    other.search("warm up", mode="semantic")
    with service.db.read() as conn:
        before = read_identity(conn)
    service.rebuild_index(backend)
    with service.db.read() as conn:
        after = read_identity(conn)
    assert after.token != before.token and after.uid == before.uid
    other.search("warm up", mode="semantic")
    assert other.semantic.sync().lineage == after.lineage


def test_concurrent_catch_up_never_moves_the_shared_index_back(
    service: Rekall, monkeypatch: pytest.MonkeyPatch, opened: list[Rekall]
) -> None:
    """A reads the changes, an edit lands, B catches up, then A writes: A must not win."""
    ids = fill(service)
    entry_id = ids["Retry with exponential backoff in Python"]
    config = Config(vector_index_backend="sqlite-vec")
    process_a, process_b = Rekall(config), Rekall(config)
    opened += [process_a, process_b]
    process_a.search("warm up", mode="semantic")
    process_b.search("warm up", mode="semantic")
    service.update(entry_id, title="Kubernetes pod stuck in CrashLoopBackOff")

    real = embeddings_repo.vectors_changed_since
    interleaved: list[bool] = []

    def read_then_let_others_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        changes = real(*args, **kwargs)
        if not interleaved:
            interleaved.append(True)
            service.update(
                entry_id,
                title="Redis eviction policy allkeys-lru",
                content="Set maxmemory-policy so the cache evicts instead of failing writes.",
            )
            process_b.search("warm up", mode="semantic")  # B catches up past A's read
        return changes

    monkeypatch.setattr(embeddings_repo, "vectors_changed_since", read_then_let_others_run)
    process_a.search("warm up", mode="semantic")  # A applies what it read before the edit
    monkeypatch.undo()
    assert interleaved

    seq = seq_of(service, entry_id)
    with service.db.read() as conn:
        current = read_identity(conn)
        stored = conn.execute("SELECT vector FROM embeddings WHERE entry_seq = ?", (seq,))
        vector = np.frombuffer(stored.fetchone()[0], dtype=np.float32)
    for reader in (process_b, process_a):
        hits = reader.semantic.nearest(vector, 1, [seq])
        assert hits[0][0] == seq and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert process_b.semantic.sync().index.built_state() == (current.lineage, current.generation)
    assert top_hit(process_b, "cache runs out of memory")[0] == "Redis eviction policy allkeys-lru"


def test_restores_leave_one_sqlite_vec_index_file(
    db_file: Path, tmp_path: Path, opened: list[Rekall]
) -> None:
    service = Rekall(Config(vector_index_backend="sqlite-vec"))
    opened.append(service)
    fill(service)
    index_dir = db_file.parent / "index"
    # A file an earlier version named by the database's uid, which a restore changes.
    legacy = index_dir / "vectors-123456789.sqlite-vec.db"
    assert top_hit(service, "browser blocks cross-origin request")[0] == "CORS fails on Safari"
    legacy.write_bytes(b"")
    legacy.with_name(legacy.name + "-wal").write_bytes(b"")
    backup = service.backup(tmp_path / "backup.db")
    for _ in range(2):  # each restore gives the database a new uid
        service.add("til", *EVICTION)
        service.restore(backup)
        assert top_hit(service, "pod eviction under memory pressure")[0] != EVICTION[0]
    databases = sorted(path.name for path in index_dir.glob("*.sqlite-vec.db"))
    assert databases == ["vectors.sqlite-vec.db"]
    assert not list(index_dir.glob("vectors-*"))
