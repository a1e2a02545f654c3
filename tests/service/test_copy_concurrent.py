"""`rekall db copy` when another process writes to the target between the copy's read of it
and its write: nothing is written, and the error names that write, not the copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rekall.config import Config
from rekall.core.errors import StorageError
from rekall.service import Rekall, copy_derived
from rekall.service.copying import copy_base
from tests.conftest import CliInvoker
from tests.service.test_copy_derived import MODEL, derived, nudge_vector

pytestmark = pytest.mark.model
MEANWHILE = "another process wrote to the target .* during the copy"


def without_vector(base: Rekall, title: str, content: str) -> str:
    """Add an entry and drop its vector: a copy of the base must embed it, and reports that."""
    entry_id = base.add("til", title, content, ("shell",)).id
    with base.db.write() as (conn, _):
        seq = base.db.repos.transfer.seqs_and_hashes(conn, [entry_id], MODEL)[entry_id][0]
        base.db.repos.vectors.delete_vectors(conn, [seq])
    return entry_id


def open_target(url: str) -> Rekall:
    """A facade on the target_url fixture's base (tests/service/conftest.py)."""
    if url.startswith("postgresql"):
        return Rekall(Config(database_url=url))
    return Rekall(db_file=Path(url))


def test_a_write_to_the_target_while_the_copy_embeds_is_named_and_nothing_is_written(
    tmp_path: Path, target_url: str
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    target, other = open_target(target_url), open_target(target_url)
    try:
        kept = personal.add("bug", "CORS fails on Safari", "credentials: 'include'", ("cors",)).id
        copy_base(personal, target)
        without_vector(personal, "nohup survives logout", "SIGHUP is ignored")
        writes: list[bytes] = []

        def meanwhile(done: int, total: int) -> None:
            """While the copy embeds, after it read the target: another process, on its own
            connection, stores the copied entry's vector a float32 step apart."""
            if not writes:
                writes.append(nudge_vector(other, kept))

        before = derived(other)
        with pytest.raises(StorageError, match=MEANWHILE) as raised:
            copy_base(personal, target, progress=meanwhile)
        assert f"the vector of entry {kept}" in str(raised.value)
        assert "nothing was written: run the copy again" in str(raised.value)
        assert len(writes) == 1
        assert target.stats()["entries"] == 1  # the new entry was not written
        assert derived(target)[0][kept][1] == writes[0]  # the other process's write stands
        assert derived(target) != before

        again = copy_base(personal, target)  # as the error says: run it again
        assert (again.added, again.vectors_replaced, again.embedded) == (1, 1, 1)
        assert derived(target)[0][kept] == derived(personal)[0][kept]
    finally:
        for base in (personal, target, other):
            base.close()


def test_a_failed_check_without_another_write_keeps_its_own_message(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    team = Rekall(Config(database_url=postgres_url))
    make_equal = copy_derived.make_equal
    try:
        kept = personal.add("bug", "CORS fails on Safari", "credentials: 'include'", ("cors",)).id
        copy_base(personal, team)
        nudge_vector(team, kept)

        def forgetful(repos: Any, conn: Any, generation: int, found: Any, *rest: Any) -> None:
            """The copy's own write leaves the differing vector as it was."""
            found.vectors.clear()
            make_equal(repos, conn, generation, found, *rest)

        monkeypatch.setattr(copy_derived, "make_equal", forgetful)
        with pytest.raises(StorageError) as raised:
            copy_base(personal, team)
        assert str(raised.value) == f"the vector of entry {kept} did not copy; nothing was written"
    finally:
        personal.close()
        team.close()


def test_the_cli_says_another_process_wrote_and_exits_non_zero(
    cli: CliInvoker, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("add", "bug", "CORS fails on Safari", "--content", "credentials").exit_code == 0
    assert cli("db", "copy", "--to", postgres_url).exit_code == 0
    other = Rekall(Config(database_url=postgres_url))
    differences = copy_derived.differences

    nudged: list[tuple[str, bytes]] = []

    def read_then_written(repos: Any, conn: Any, *rest: Any) -> copy_derived.Differences:
        """The copy's read of the target; then, before its write, another process's."""
        found = differences(repos, conn, *rest)
        entry_id = next(iter(repos.transfer.vectors_by_id(conn, MODEL)))
        nudged.append((entry_id, nudge_vector(other, entry_id)))
        return found

    monkeypatch.setattr(copy_derived, "differences", read_then_written)
    try:
        copied = cli("db", "copy", "--to", postgres_url)
        assert copied.exit_code != 0
        assert "another process wrote to the target" in copied.stderr
        assert "nothing was written: run the copy again" in copied.stderr
        entry_id, vector = nudged[0]
        with other.db.read() as conn:  # the other process's write stands; the copy's did not
            assert other.db.repos.transfer.vectors_by_id(conn, MODEL)[entry_id][1] == vector
    finally:
        other.close()


def test_another_failure_keeps_its_own_message_when_another_process_also_wrote(
    tmp_path: Path, postgres_url: str
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    team, other = (
        Rekall(Config(database_url=postgres_url)),
        Rekall(Config(database_url=postgres_url)),
    )
    try:
        kept = personal.add("bug", "CORS fails on Safari", "credentials: 'include'", ("cors",)).id
        copy_base(personal, team)
        without_vector(personal, "nohup survives logout", "SIGHUP is ignored")

        def timed_out(done: int, total: int) -> None:
            """While the copy embeds: another process writes, then the copy fails otherwise."""
            nudge_vector(other, kept)
            raise StorageError("PostgreSQL stopped the statement (statement timeout)")

        with pytest.raises(StorageError) as raised:
            copy_base(personal, team, timed_out)
        assert str(raised.value) == "PostgreSQL stopped the statement (statement timeout)"
    finally:
        personal.close()
        team.close()
        other.close()
