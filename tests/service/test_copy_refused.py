"""`rekall db copy` when the target refuses one of its writes (a constraint or a trigger):
a clear error naming why, nothing written, on both backends and through the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rekall.config import Config
from rekall.core.errors import StorageError
from rekall.service import Rekall, copy_derived
from rekall.service.copying import copy_base
from tests.conftest import CliInvoker
from tests.service.test_copy_concurrent import MEANWHILE, without_vector
from tests.service.test_copy_derived import LONG, MODEL, derived, drop_pieces, long_entry
from tests.service.test_copy_derived import RUNBOOK as LONG_TITLE

pytestmark = pytest.mark.model
OTHER = "other-weights"
PIECE_REFUSED = "it refused the copy's write: a piece vector must match its entry's vector"
# A rule of the team's own on the target: no title may say "runbook".
RULES = {
    "sqlite": "CREATE TRIGGER no_runbooks BEFORE INSERT ON entries "
    "WHEN lower(new.title) LIKE '%runbook%' "
    "BEGIN SELECT RAISE(ABORT, 'runbooks live in the wiki'); END",
    "postgres": "ALTER TABLE entries ADD CONSTRAINT no_runbooks "
    "CHECK (lower(title) NOT LIKE '%runbook%')",
}
RULE_REASONS = {
    "sqlite": "runbooks live in the wiki",
    "postgres": 'new row for relation "entries" violates check constraint "no_runbooks"',
}


@pytest.fixture(params=["sqlite", "postgres"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "target.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def open_target(url: str) -> Rekall:
    if url.startswith("postgresql"):
        return Rekall(Config(database_url=url))
    return Rekall(db_file=Path(url))


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


def test_a_write_the_target_refuses_by_its_own_rule_names_the_reason(
    tmp_path: Path, target_url: str
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    target = open_target(target_url)
    try:
        personal.add("til", "nohup survives logout", "SIGHUP is ignored", ("shell",))
        copy_base(personal, target)
        with target.db.write() as (conn, _):
            conn.execute(RULES[target.db.kind])
        personal.add("reference", LONG_TITLE, LONG, ("ops",))
        before, generation = held(target), target.db.generation()

        with pytest.raises(StorageError) as raised:
            copy_base(personal, target)
        reason = RULE_REASONS[target.db.kind]
        assert str(raised.value).startswith(
            f"the target ({target.db.location}) refused the copy's write ({reason}); "
            "nothing was written. "
        )
        assert "another process" not in str(raised.value)
        assert "DETAIL" not in str(raised.value)  # the driver's first line only
        assert (held(target), target.db.generation()) == (before, generation)
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
