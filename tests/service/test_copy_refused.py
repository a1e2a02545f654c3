"""`rekall db copy` when the target refuses one of its writes (a constraint or a trigger):
a clear error naming why, nothing written, on both backends and through the CLI."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rekall.core.errors import StorageError
from rekall.service import Rekall, copy_derived
from rekall.service.copying import copy_base
from tests.conftest import CliInvoker
from tests.service.test_copy_concurrent import MEANWHILE, open_target, without_vector
from tests.service.test_copy_derived import LONG, MODEL, derived, drop_pieces, long_entry
from tests.service.test_copy_derived import RUNBOOK as LONG_TITLE
from tests.storage.test_refusals import TEAM_TRIGGERS

pytestmark = pytest.mark.model
OTHER = "other-weights"
PIECE_REFUSED = "it refused the copy's write: a piece vector must match its entry's vector"
# A rule of the team's own on the target: no title may say "runbook". A PL/pgSQL trigger's
# plain RAISE EXCEPTION is SQLSTATE P0001, not an integrity error; its words say "refused".
PG_TRIGGER = """
    CREATE FUNCTION no_runbooks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF lower(NEW.title) LIKE '%runbook%' THEN
            RAISE EXCEPTION 'refused: runbooks live in the wiki, not on this server';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER no_runbooks BEFORE INSERT ON entries
        FOR EACH ROW EXECUTE FUNCTION no_runbooks();
"""
# Each rule: the SQL that adds it, the database's reason, and the rule the error names.
RULES = {
    "sqlite-trigger": (
        TEAM_TRIGGERS["sqlite"],
        "runbooks live in the wiki",
        "",
    ),
    "postgres-check": (
        "ALTER TABLE entries ADD CONSTRAINT no_runbooks CHECK (lower(title) NOT LIKE '%runbook%')",
        'new row for relation "entries" violates check constraint "no_runbooks"',
        " (no_runbooks)",
    ),
    "postgres-trigger": (
        PG_TRIGGER,
        "refused: runbooks live in the wiki, not on this server",
        " (no_runbooks)",
    ),
}


def held(base: Rekall) -> tuple[Any, ...]:
    """Every entry as a record, and every vector and body piece under either weights."""
    repos = base.db.repos
    with base.db.read() as conn:
        ids = [str(row[0]) for row in conn.execute("SELECT id FROM entries ORDER BY id")]
        return (
            repos.transfer.read_records(conn, ids),
            *(repos.transfer.vectors_by_id(conn, model) for model in (MODEL, OTHER)),
            *(repos.transfer.pieces_by_id(conn, model) for model in (MODEL, OTHER)),
        )


def embed_under_other_weights(base: Rekall, entry_id: str) -> None:
    """Store the entry's vector as another machine embedding it under other weights does:
    another model id, other bits, the same text. Its body pieces go with the old vector."""
    with base.db.write() as (conn, generation):
        digest, blob = base.db.repos.transfer.vectors_by_id(conn, MODEL)[entry_id]
        seq = base.db.repos.transfer.seqs_and_hashes(conn, [entry_id], MODEL)[entry_id][0]
        values = -np.frombuffer(blob, dtype="<f4")
        row = (seq, OTHER, values.size, digest, values.tobytes())
        base.db.repos.vectors.upsert_vectors(conn, [row], generation)


def test_a_piece_refused_after_another_process_embedded_its_entry_again_is_named(
    tmp_path: Path, target_url: str
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    target, other = open_target(target_url), open_target(target_url)
    try:
        personal.add("reference", LONG_TITLE, LONG, ("ops",))
        copy_base(personal, target)
        drop_pieces(target)  # the copy will write the long entry's pieces, over its vector
        long_id = long_entry(personal)
        without_vector(personal, "nohup survives logout", "SIGHUP is ignored")
        states: list[tuple[Any, ...]] = []

        def meanwhile(done: int, total: int) -> None:
            """While the copy embeds, after it read the target: another machine embeds the
            long entry again under other weights, on its own connection."""
            if not states:
                embed_under_other_weights(other, long_id)
                states.append(held(other))

        with pytest.raises(StorageError, match=MEANWHILE) as raised:
            copy_base(personal, target, progress=meanwhile)
        assert PIECE_REFUSED in str(raised.value)
        assert str(raised.value).endswith("nothing was written: run the copy again")
        assert held(target) == states[0]  # the other's write stands, nothing of the copy's

        again = copy_base(personal, target)  # as the error says: run it again
        assert (again.added, again.vectors_replaced) == (1, 1)
        assert derived(target)[0][long_id] == derived(personal)[0][long_id]
        assert derived(target)[1] == derived(personal)[1]  # the long entry's pieces
    finally:
        for base in (personal, target, other):
            base.close()


@pytest.mark.parametrize("rule", list(RULES))
def test_a_write_the_target_refuses_by_its_own_rule_names_the_reason(
    tmp_path: Path, rule: str, request: pytest.FixtureRequest
) -> None:
    on_server = rule.startswith("postgres")
    url = request.getfixturevalue("postgres_url") if on_server else str(tmp_path / "t.db")
    personal = Rekall(db_file=tmp_path / "personal.db")
    target = open_target(url)
    try:
        personal.add("til", "nohup survives logout", "SIGHUP is ignored", ("shell",))
        copy_base(personal, target)
        sql, reason, named = RULES[rule]
        with target.db.write() as (conn, _):
            conn.execute(sql)
        personal.add("reference", LONG_TITLE, LONG, ("ops",))
        before, generation = held(target), target.db.generation()

        with pytest.raises(StorageError) as raised:
            copy_base(personal, target)
        assert str(raised.value) == (
            f"the target ({target.db.location}) refused the copy's write ({reason}); "
            "nothing was written. No other process wrote to it meanwhile, so a rule added to "
            f"the target{named}, not one of Rekall's schema, forbids what the source holds: "
            "change that rule or the source, then run the copy again"
        )
        assert "DETAIL" not in str(raised.value)  # the driver's first line only
        assert (held(target), target.db.generation()) == (before, generation)
    finally:
        personal.close()
        target.close()


def change_outside_rekall(url: str, entry_id: str) -> None:
    """What a hand edit does to the target (psql, sqlite3): the entry's vector relabelled as
    other weights', on a connection of its own, with no write of Rekall's counted."""
    sql = (
        "UPDATE embeddings SET model_id = 'other-weights' "
        "WHERE entry_seq = (SELECT seq FROM entries WHERE id = {})"
    )
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.format("%s"), (entry_id,))
        return
    with closing(sqlite3.connect(url)) as conn, conn:
        conn.execute(sql.format("?"), (entry_id,))


def test_a_write_refused_by_a_rule_of_rekalls_own_schema_says_so(
    tmp_path: Path, target_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    target = open_target(target_url)
    try:
        personal.add("reference", LONG_TITLE, LONG, ("ops",))
        copy_base(personal, target)
        drop_pieces(target)  # the copy will write the long entry's pieces, over its vector
        differences = copy_derived.differences

        def read_then_edited(repos: Any, conn: Any, *rest: Any) -> copy_derived.Differences:
            """The copy's read of the target; then, before its write, a hand edit of it."""
            found = differences(repos, conn, *rest)
            change_outside_rekall(target_url, long_entry(personal))
            return found

        monkeypatch.setattr(copy_derived, "differences", read_then_edited)
        generation = target.db.generation()
        with pytest.raises(StorageError) as raised:
            copy_base(personal, target)
        message = str(raised.value)
        assert f"({PIECE_REFUSED.split(': ')[1]}); nothing was written. " in message
        assert "another process wrote" not in message and "rule added to" not in message
        named = " (rekall_piece_matches)" if target.db.kind == "postgres" else ""
        assert (
            f"No other process wrote to it meanwhile, so the refused rule{named} is one of "
            "Rekall's own schema, which Rekall's writes keep, so the target or the source was "
            "changed outside Rekall, or Rekall has a bug: run 'rekall check' on both, then run "
            "the copy again; if it is refused again, report it as a bug in Rekall"
        ) in message
        assert target.db.generation() == generation
    finally:
        personal.close()
        target.close()


def test_the_cli_says_the_target_refused_and_exits_non_zero(
    cli: CliInvoker, target_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("add", "reference", LONG_TITLE, "--content", LONG).exit_code == 0
    assert cli("db", "copy", "--to", target_url).exit_code == 0
    other = open_target(target_url)
    drop_pieces(other)
    differences = copy_derived.differences
    states: list[tuple[Any, ...]] = []

    def read_then_embedded(repos: Any, conn: Any, *rest: Any) -> copy_derived.Differences:
        """The copy's read of the target; then, before its write, another machine embeds
        the long entry again under other weights."""
        found = differences(repos, conn, *rest)
        embed_under_other_weights(other, next(iter(found.pieces)))
        states.append(held(other))
        return found

    monkeypatch.setattr(copy_derived, "differences", read_then_embedded)
    try:
        copied = cli("db", "copy", "--to", target_url)
        assert copied.exit_code == 1
        assert "Error: another process wrote to the target" in copied.stderr
        assert PIECE_REFUSED in copied.stderr
        assert "Traceback" not in copied.stderr
        assert held(other) == states[0]
    finally:
        other.close()
