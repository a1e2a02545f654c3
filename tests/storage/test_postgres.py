"""What only the PostgreSQL backend does: migrations under a lock, server errors, listening."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from rekall.core.errors import RefusedWriteError, StorageError
from rekall.storage.opening import open_store
from rekall.storage.postgres.connection import mask_url
from rekall.storage.postgres.database import PostgresDatabase
from rekall.storage.postgres.schema import SCHEMA_VERSION

OPEN_AND_REPORT = """
import sys
from rekall.storage.postgres.database import PostgresDatabase
db = PostgresDatabase(sys.argv[1])
with db.read() as conn:
    print(conn.execute("SELECT count(*) FROM rekall_schema").fetchone()[0])
db.close()
"""


def test_processes_starting_together_migrate_once(postgres_url: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AND_REPORT, postgres_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == [str(SCHEMA_VERSION)] * 3


def test_reopening_keeps_the_data(postgres_url: str) -> None:
    first = PostgresDatabase(postgres_url)
    with first.write() as (conn, _):
        first.repos.meta.set_meta_value(conn, "answer", 42)
    first.close()
    second = PostgresDatabase(postgres_url)
    with second.read() as conn:
        assert second.repos.meta.meta_value(conn, "answer") == 42
    second.close()


def test_passwords_are_masked() -> None:
    assert mask_url("postgresql://team:s3cret@db.internal:5432/rekall") == (
        "postgresql://team:***@db.internal:5432/rekall"
    )
    assert mask_url("postgresql://db.internal/rekall") == "postgresql://db.internal/rekall"


def test_a_server_that_is_down_is_named_with_the_password_masked() -> None:
    url = "postgresql://team:s3cret@127.0.0.1:9/rekall?connect_timeout=2"
    with pytest.raises(StorageError) as caught:
        open_store(url, None)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "cannot reach PostgreSQL at postgresql://team:***@127.0.0.1:9/rekall" in message
    assert "s3cret" not in message
    assert "start the server" in message


def test_a_missing_database_or_role_is_named_not_called_unreachable(
    postgres_server: str,
) -> None:
    parts = urlsplit(postgres_server)
    host = parts.netloc.rpartition("@")[2]
    missing = {
        "database": (parts._replace(path="/nosuchdb"), "create it (createdb NAME)"),
        "role": (parts._replace(netloc=f"nosuchrole@{host}"), "refused the login"),
    }
    for url, fix in missing.values():
        with pytest.raises(StorageError) as caught:
            PostgresDatabase(urlunsplit(url))
        assert fix in str(caught.value)
        assert "cannot reach" not in str(caught.value)


def test_an_error_saying_server_or_refused_is_not_called_unreachable(postgres_url: str) -> None:
    """Whether the server is reachable is told by the error's class, not by its words: a
    statement's error, or a trigger's RAISE EXCEPTION, may say anything."""
    db = PostgresDatabase(postgres_url)
    try:
        with pytest.raises(StorageError) as caught, db.read() as conn:
            conn.execute("SELECT 'server refused the connection'::integer")
        assert str(caught.value).startswith(f"database error on {db.location}: ")
        with db.write() as (conn, _):
            conn.execute(
                "CREATE FUNCTION no_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'connection refused: this server takes no notes'; END $$; "
                "CREATE TRIGGER no_writes BEFORE INSERT ON tags "
                "FOR EACH ROW EXECUTE FUNCTION no_writes()"
            )
        generation = db.generation()
        with pytest.raises(RefusedWriteError) as refused, db.write() as (conn, _):
            conn.execute("INSERT INTO tags (entry_id, tag) VALUES ('01NONE', 'ops')")
        assert str(refused.value) == (
            f"{db.location} refused the write (connection refused: this server takes no "
            "notes); nothing was written"
        )
        assert (refused.value.rule, refused.value.own) == ("no_writes", False)
        assert db.generation() == generation
    finally:
        db.close()


@pytest.mark.parametrize(
    "url", ["mysql://db/rekall", "postgresql://host:notaport/db", "postgresql://h/d?bogus=1"]
)
def test_bad_urls_say_what_a_url_looks_like(url: str) -> None:
    with pytest.raises(StorageError, match=r"postgresql://USER\[:PASSWORD\]@HOST"):
        PostgresDatabase(url)


def test_a_missing_database_says_how_to_create_it(postgres_server: str) -> None:
    url = postgres_server.replace("/postgres?", "/no_such_db?")
    with pytest.raises(StorageError, match="createdb"):
        PostgresDatabase(url)


def test_listeners_hear_writes_from_other_connections(postgres_url: str) -> None:
    listening = PostgresDatabase(postgres_url)
    writer = PostgresDatabase(postgres_url)
    heard: list[int] = []
    changed = threading.Event()

    def on_write(generation: int) -> None:
        heard.append(generation)
        changed.set()

    try:
        listening.listen(on_write)
        assert listening._listener.connected.wait(30)
        changed.clear()
        with writer.write() as (conn, generation):
            writer.repos.meta.set_meta_value(conn, "touched", 1)
        assert changed.wait(30)
        deadline = time.monotonic() + 30
        while generation not in heard and time.monotonic() < deadline:
            time.sleep(0.05)
        assert generation in heard
        # A rolled-back write is never announced.
        heard.clear()
        with pytest.raises(RuntimeError), writer.write() as (conn, _):
            raise RuntimeError("roll back")
        with writer.write() as (conn, committed):
            pass
        while committed not in heard and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heard == [committed]
    finally:
        writer.close()
        listening.close()


def test_many_vectors_go_in_by_copy_and_come_back_bit_for_bit(postgres_url: str) -> None:
    import random
    import struct

    from rekall.core.entries import NewEntry
    from rekall.storage.postgres import bulk

    model = "sentence-transformers/all-MiniLM-L6-v2"
    count = bulk.COPY_FROM + 6  # enough for the COPY path
    rng = random.Random(7)

    def vector() -> bytes:
        return struct.pack("<384f", *(rng.uniform(-1, 1) for _ in range(384)))

    db = PostgresDatabase(postgres_url)
    try:
        with db.write() as (conn, generation):
            seqs = [
                db.repos.entries.insert_entry(
                    conn, f"01JD3K{n:020d}", NewEntry("til", f"t{n}"), "now"
                )
                for n in range(count)
            ]
            first = {seq: vector() for seq in seqs}
            db.repos.vectors.upsert_vectors(
                conn, [(s, model, 384, "h1", v) for s, v in first.items()], generation
            )
        with db.write() as (conn, generation):  # every row again: the upsert replaces them
            second = {seq: vector() for seq in seqs}
            db.repos.vectors.upsert_vectors(
                conn, [(s, model, 384, "h2", v) for s, v in second.items()], generation
            )
        with db.read() as conn:
            stored = {v.seq: v.blob for v in db.repos.vectors.vectors_for_model(conn, model)}
            by_id = db.repos.transfer.vectors_by_id(conn, model)
        assert stored == second
        assert sorted(blob for _, blob in by_id.values()) == sorted(second.values())
        assert {digest for digest, _ in by_id.values()} == {"h2"}
    finally:
        db.close()


def test_a_bulk_load_into_an_empty_table_builds_the_hnsw_index_afresh(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random
    import struct

    from rekall.core.entries import EntryFilter, NewEntry
    from rekall.storage.postgres import bulk, search_repo

    monkeypatch.setattr(bulk, "REBUILD_FROM", 10)  # the same path as for thousands of rows
    monkeypatch.setattr(bulk, "STREAM_ROWS", 7)  # a stream sent in several pieces
    model = "sentence-transformers/all-MiniLM-L6-v2"
    rng = random.Random(11)
    db = PostgresDatabase(postgres_url)

    def index_oid() -> int:
        with db.read() as conn:
            return int(conn.execute("SELECT 'embeddings_hnsw'::regclass::oid").fetchone()[0])

    def load(count: int, start: int) -> dict[int, bytes]:
        with db.write() as (conn, generation):
            db.repos.transfer.defer_foreign_keys(conn)  # as an import does
            vectors = {}
            for n in range(start, start + count):
                new = NewEntry("til", f"t{n}")
                seq = db.repos.entries.insert_entry(conn, f"01JD3K{n:020d}", new, "now")
                vectors[seq] = struct.pack("<384f", *(rng.gauss(0, 1) for _ in range(384)))
            rows = [(s, model, 384, "h", v) for s, v in vectors.items()]
            db.repos.vectors.upsert_vectors(conn, rows, generation)
        return vectors

    try:
        before = index_oid()
        first = load(bulk.COPY_FROM + 6, 0)
        rebuilt = index_oid()
        assert rebuilt != before  # the table was empty: built afresh
        load(bulk.COPY_FROM + 6, 1000)
        assert index_oid() == rebuilt  # as many stored as coming: added to the index
        assert all(index["valid"] for index in db.server_figures()["indexes"])
        with db.read() as conn:
            rows = conn.execute("SELECT entry_seq, vector::real[] FROM embeddings").fetchall()
        stored = {int(r[0]): struct.pack(f"<{len(r[1])}f", *r[1]) for r in rows}
        assert {seq: stored[seq] for seq in first} == first  # every piece, bit for bit
        seq, blob = next(iter(first.items()))
        with db.read() as conn:
            found = search_repo.nearest(conn, blob, model, 5, EntryFilter(status=None))
        assert found[0][0] == seq and found[0][1] == pytest.approx(1.0, abs=1e-5)
    finally:
        db.close()


def test_a_base_of_schema_2_is_upgraded_to_stored_context_words_a_kept_count_and_a_new_index(
    postgres_url: str,
) -> None:
    import psycopg

    from rekall.core.entries import EntryFilter, NewEntry
    from rekall.storage.fts_repo import KeywordQuery
    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.migrations import migrate
    from rekall.storage.postgres.schema import MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a base made before m003
        migrate(conn, postgres_url, MIGRATIONS[:2], lambda c: ensure_vector_extension(c, ""))
        for n, keys in enumerate(["", "ERR_REQUIRE_ESM import", ""]):
            conn.execute(
                "INSERT INTO entries (id, type, title, content, created_at, updated_at, "
                "context_keys) VALUES (%s, 'bug', %s, 'require esm', 'now', 'now', %s)",
                (f"01JD3K{n:020d}", f"module error {n}", keys),
            )
    db = PostgresDatabase(postgres_url)  # upgrades it
    try:
        with db.read() as conn:
            assert db.repos.meta.meta_value(conn, "entries") == 3
            index = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'embeddings_hnsw' "
                "AND schemaname = current_schema()"
            ).fetchone()[0]
            hits = db.repos.keyword.search_phrases(
                conn, KeywordQuery((("require",), ("esm",)), False, False), EntryFilter(), 10
            )
        assert [hit.in_context for hit in hits] == [True, False, False]
        assert "ef_construction='128'" in index
        with db.write() as (conn, _):
            seq = db.repos.entries.insert_entry(conn, "01JD3KX", NewEntry("til", "one"), "now")
            db.repos.entries.delete_entry(conn, f"01JD3K{0:020d}")
            db.repos.entries.delete_entry(conn, f"01JD3K{1:020d}")
        with db.read() as conn:
            counted = db.repos.keyword.document_counts(
                conn, KeywordQuery((("one",),), False, False)
            )
        assert seq > 0 and counted == ([1], 2)
    finally:
        db.close()


def test_a_base_of_schema_7_is_upgraded_to_search_words_that_keep_stop_words(
    postgres_url: str,
) -> None:
    import psycopg

    from rekall.core.entries import EntryFilter
    from rekall.storage.fts_repo import KeywordQuery
    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.migrations import migrate
    from rekall.storage.postgres.schema import MIGRATIONS

    rows = [("shutil copytree and shutil rmtree", "shutil.copytree", ""), ("Finding", "", "")]
    rows.append(("Finding a program", "shutil.which returns its path", "shutil.which"))
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a base made before m008
        migrate(conn, postgres_url, MIGRATIONS[:7], lambda c: ensure_vector_extension(c, ""))
        for n, (title, content, keys) in enumerate(rows):
            conn.execute(
                "INSERT INTO entries (id, type, title, content, created_at, updated_at, "
                "context_keys) VALUES (%s, 'til', %s, %s, 'now', 'now', %s)",
                (f"01JD3K{n:020d}", title, content, keys),
            )
    db = PostgresDatabase(postgres_url)  # upgrades it
    try:
        with db.read() as conn:
            hits = db.repos.keyword.search_phrases(
                conn, KeywordQuery((("shutil", "which"),), False, False), EntryFilter(), 10
            )
            totals = conn.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'search_words'), "
                "sum(length(search)) FROM entries"
            ).fetchone()
            head_index = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'entries_head_search' "
                "AND schemaname = current_schema()"
            ).fetchone()[0]
        assert [(hit.seq, hit.in_context) for hit in hits] == [(3, True)]
        assert totals[0] == totals[1] > 0
        assert "rekall_english" in head_index
        with db.write() as (conn, _):  # the kept triggers follow the new column
            db.repos.entries.delete_entry(conn, f"01JD3K{2:020d}")
        with db.read() as conn:
            left = conn.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'search_words'), "
                "sum(length(search)) FROM entries"
            ).fetchone()
        assert left[0] == left[1] < totals[0]
    finally:
        db.close()
