"""Two long-lived processes search by meaning, on both backends, while a third one edits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from rekall.service import Rekall
from tests.service.conftest import fill, run_cli

pytestmark = pytest.mark.model

READER = r"""
import json, sys
from rekall.service import Rekall
service = Rekall(long_lived=True)
print("ready", flush=True)
for line in sys.stdin:
    results = service.search(line.strip(), mode="semantic", limit=3).results
    print(json.dumps([[r.entry.id, r.similarity] for r in results]), flush=True)
service.close()
"""
TOPICS = [
    (
        "Kubernetes pod stuck in CrashLoopBackOff",
        "The container exits at start; read kubectl logs --previous.",
        "my container keeps restarting",
    ),
    (
        "Redis eviction policy allkeys-lru",
        "Set maxmemory-policy so the cache evicts instead of failing writes.",
        "cache runs out of memory",
    ),
    (
        "Terraform state lock stuck",
        "A crashed apply leaves the lock; terraform force-unlock with the lock id.",
        "infrastructure tool refuses to run because of a lock",
    ),
]


class Reader:
    """A long-lived Rekall process on one backend, answering semantic queries on stdin."""

    def __init__(self, backend: str) -> None:
        env = {**os.environ, "REKALL_VECTOR_INDEX_BACKEND": backend}
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.readline() == "ready"

    def readline(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the reader exited with {self.process.poll()}"
        return line.strip()

    def search(self, query: str) -> list[tuple[str, float]]:
        assert self.process.stdin is not None
        self.process.stdin.write(query + "\n")
        self.process.stdin.flush()
        return [(str(entry_id), float(score)) for entry_id, score in json.loads(self.readline())]

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()


@pytest.fixture
def readers() -> Iterator[list[Reader]]:
    started: list[Reader] = []
    try:
        started += [Reader("numpy"), Reader("sqlite-vec")]
        yield started
    finally:
        for reader in started:
            reader.close()


def true_scores(service: Rekall, query: str) -> dict[str, float]:
    """The cosine of the query with every vector the database holds now, by entry id."""
    vector = service.semantic.embed_query(query)
    with service.db.read() as conn:
        rows = conn.execute(
            "SELECT e.id, v.vector FROM embeddings v JOIN entries e ON e.seq = v.entry_seq"
        ).fetchall()
    return {row[0]: float(np.dot(vector, np.frombuffer(row[1], np.float32))) for row in rows}


def assert_current(service: Rekall, hits: list[tuple[str, float]], query: str) -> None:
    """Every score served is the one the database's current vector gives: nothing stale."""
    truth = true_scores(service, query)
    for entry_id, score in hits:
        assert score == pytest.approx(truth[entry_id], abs=1e-4), (query, entry_id)
    best = max(truth.values())
    assert hits[0][1] == pytest.approx(best, abs=1e-4), (query, hits, best)


def test_readers_on_both_backends_follow_edits_made_by_another_process(
    service: Rekall, readers: list[Reader]
) -> None:
    ids = fill(service)
    edited = ids["Retry with exponential backoff in Python"]
    for reader in readers:
        assert reader.search("wait longer between attempts")[0][0] == edited
    for title, content, query in TOPICS:
        run_cli("edit", edited, "--title", title, "-c", content)
        for reader in readers:
            hits = reader.search(query)
            assert hits[0][0] == edited, (reader.process.args, hits)
            assert_current(service, hits, query)
            assert_current(
                service,
                reader.search("wait longer between attempts"),
                "wait longer between attempts",
            )


def test_readers_searching_while_another_process_edits_end_current(
    service: Rekall, readers: list[Reader]
) -> None:
    ids = fill(service)
    edited = ids["nohup keeps a job alive after logout"]
    failures: list[BaseException] = []

    def edit_all() -> None:
        try:
            for title, content, _ in TOPICS:
                run_cli("edit", edited, "--title", title, "-c", content)
        except BaseException as error:  # reported by the test below
            failures.append(error)

    editor = threading.Thread(target=edit_all)
    editor.start()
    searched = 0
    while editor.is_alive() or searched == 0:
        for reader in readers:
            assert reader.search(TOPICS[searched % len(TOPICS)][2])
        searched += 1
    editor.join()
    assert failures == []
    title, _, query = TOPICS[-1]
    for reader in readers:
        hits = reader.search(query)
        assert hits[0][0] == edited
        assert_current(service, hits, query)
