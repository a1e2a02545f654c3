"""`rekall db copy` makes each entry's vector and body pieces the source's, bit for bit, on
both backends: after another embedding of the same text, after `rekall index rebuild`, and
when it runs again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from rekall.config import Config
from rekall.core.entries import content_hash
from rekall.core.errors import StorageError
from rekall.service import Rekall, copy_derived, copying
from rekall.service.copying import copy_base
from tests.conftest import CliInvoker
from tests.service.test_body_pieces import ANSWER, PARAGRAPHS, QUESTION, RUNBOOK

if TYPE_CHECKING:
    from rekall.storage.contract import Repositories
    from rekall.storage.transfer_repo import StoredPieces

pytestmark = pytest.mark.model
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
LONG = "\n\n".join([*PARAGRAPHS, ANSWER])


def derived(base: Rekall) -> tuple[dict[str, tuple[str, bytes]], dict[str, StoredPieces]]:
    """Every vector and every body piece the base stores, by entry id."""
    with base.db.read() as conn:
        return (
            base.db.repos.transfer.vectors_by_id(conn, MODEL),
            base.db.repos.transfer.pieces_by_id(conn, MODEL),
        )


def nudge_vector(base: Rekall, entry_id: str) -> bytes:
    """Store the entry's vector one float32 step apart (~1e-7), under the same text hash, as
    another embedding of the same text may; return the new bytes."""
    with base.db.write() as (conn, generation):
        digest, blob = base.db.repos.transfer.vectors_by_id(conn, MODEL)[entry_id]
        values = np.frombuffer(blob, dtype="<f4").copy()
        values[0] = np.nextafter(values[0], np.float32(1))
        seq = base.db.repos.transfer.seqs_and_hashes(conn, [entry_id], MODEL)[entry_id][0]
        row = (seq, MODEL, values.size, digest, values.tobytes())
        base.db.repos.vectors.upsert_vectors(conn, [row], generation)
    return values.tobytes()


def long_entry(base: Rekall) -> str:
    """The id of the long entry, the one with body pieces."""
    entries = copying.read_source(base.db, MODEL).document.entries
    return next(record.id for record in entries if record.title == RUNBOOK)


def drop_pieces(base: Rekall) -> None:
    """The base as an import or a copy of old left it: vectors without body pieces."""
    with base.db.write() as (conn, _):
        conn.execute("DELETE FROM embedding_pieces")


@pytest.fixture
def bases(tmp_path: Path, postgres_url: str) -> list[Rekall]:
    """A personal file with a long entry and a short one, the server, and a file back."""
    personal = Rekall(db_file=tmp_path / "personal.db")
    personal.add("reference", RUNBOOK, LONG, ("ops",))
    personal.add("til", "nohup survives logout", "SIGHUP is ignored", ("shell",))
    return [personal, Rekall(Config(database_url=postgres_url)), Rekall(db_file=tmp_path / "b.db")]


def test_a_vector_embedded_again_is_replaced_in_both_directions(bases: list[Rekall]) -> None:
    personal, team, back = bases
    try:
        copy_base(personal, team)
        copy_base(team, back)
        with team.db.read() as conn:
            entry_id = next(iter(team.db.repos.transfer.vectors_by_id(conn, MODEL)))
        nudged = nudge_vector(team, entry_id)

        to_file = copy_base(team, back)  # PostgreSQL → SQLite
        assert (to_file.unchanged, to_file.vectors_replaced, to_file.vectors_copied) == (2, 1, 0)
        assert derived(back) == derived(team)
        assert derived(back)[0][entry_id][1] == nudged

        to_server = copy_base(personal, team)  # SQLite → PostgreSQL
        assert (to_server.unchanged, to_server.vectors_replaced) == (2, 1)
        assert derived(team) == derived(personal)
        assert copy_base(team, back).vectors_replaced == 1  # back had the nudged one

        for source, target in ((personal, team), (team, back)):
            again = copy_base(source, target)
            assert (again.unchanged, again.vectors_replaced, again.piece_vectors_copied) == (
                2,
                0,
                0,
            )
        assert derived(back) == derived(team) == derived(personal)
    finally:
        for base in bases:
            base.close()


def differing_vectors(source: Rekall, target: Rekall) -> list[str]:
    """The entries whose vector a copy of source into target would look at again."""
    data = copying.read_source(source.db, target.semantic.model_id)
    with target.db.read() as conn:
        found = copy_derived.differences(target.db.repos, conn, data.supply, data.pieces)
    return found.vectors


def test_only_held_entries_count_as_differing_and_a_missing_vector_is_copied(
    bases: list[Rekall],
) -> None:
    personal, team, back = bases
    try:
        assert differing_vectors(personal, team) == []  # new entries get theirs as written
        copy_base(personal, team)
        assert differing_vectors(team, back) == []
        with team.db.write() as (conn, _):
            entry_id = next(iter(team.db.repos.transfer.vectors_by_id(conn, MODEL)))
            seq = team.db.repos.transfer.seqs_and_hashes(conn, [entry_id], MODEL)[entry_id][0]
            team.db.repos.vectors.delete_vectors(conn, [seq])
        assert differing_vectors(personal, team) == [entry_id]
        again = copy_base(personal, team)
        assert (again.unchanged, again.vectors_replaced) == (2, 1)
        assert derived(team) == derived(personal)
    finally:
        for base in bases:
            base.close()


def test_a_vector_under_another_text_hash_fails_verification(
    bases: list[Rekall], monkeypatch: pytest.MonkeyPatch
) -> None:
    personal, team, _ = bases
    make_equal = copy_derived.make_equal

    def misfiled(repos: Repositories, conn: Any, generation: int, *rest: Any) -> None:
        """The copy's writes, then the short entry's vector, same bytes, under other text."""
        make_equal(repos, conn, generation, *rest)
        entry_id = next(i for i in repos.transfer.vectors_by_id(conn, MODEL) if i != long_id)
        seq = repos.transfer.seqs_and_hashes(conn, [entry_id], MODEL)[entry_id][0]
        blob = repos.transfer.vectors_by_id(conn, MODEL, [entry_id])[entry_id][1]
        other = content_hash("other text")
        repos.vectors.upsert_vectors(conn, [(seq, MODEL, 384, other, blob)], generation)

    long_id = long_entry(personal)
    monkeypatch.setattr(copy_derived, "make_equal", misfiled)
    try:
        with pytest.raises(StorageError, match="the vector of entry .* did not copy"):
            copy_base(personal, team)
        assert team.stats()["entries"] == 0
    finally:
        for base in bases:
            base.close()


def test_body_pieces_are_copied_bit_for_bit(bases: list[Rekall]) -> None:
    personal, team, back = bases
    try:
        pieces = derived(personal)[1]
        assert [len(rows) for _, rows in pieces.values()] == [3]
        report = copy_base(personal, team)
        assert (report.piece_vectors_copied, report.long_without_pieces) == (3, 0)
        assert report.verified[-1] == "3 body-piece vectors"
        assert derived(team) == derived(personal)
        assert copy_base(team, back).piece_vectors_copied == 3
        assert derived(back) == derived(personal)
        finding = {f.name: f for f in team.check().findings}["body pieces"]
        assert (finding.ok, finding.todo) == (True, False)
        assert copy_base(personal, team).piece_vectors_copied == 0
    finally:
        for base in bases:
            base.close()


def pieces_index(base: Rekall) -> int:
    """The oid of the server's body-piece HNSW index: another after it was built afresh."""
    with base.db.read() as conn:
        return int(conn.execute("SELECT 'embedding_pieces_hnsw'::regclass::oid").fetchone()[0])


def test_many_pieces_go_in_one_stream_and_their_index_is_built_afresh(
    bases: list[Rekall], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.postgres import bulk

    # The path of thousands of pieces, taken by three.
    monkeypatch.setattr(bulk, "COPY_FROM", 2)
    monkeypatch.setattr(bulk, "REBUILD_FROM", 3)
    personal, team, back = bases
    try:
        before = pieces_index(team)
        assert copy_base(personal, team).piece_vectors_copied == 3
        rebuilt = pieces_index(team)
        assert rebuilt != before  # none were stored: built afresh
        assert derived(team) == derived(personal)
        assert all(index["valid"] for index in team.db.server_figures()["indexes"])
        hits = team.search(QUESTION, mode="semantic", limit=3).results
        assert hits[0].entry.title == RUNBOOK  # found by its last piece, through the index

        personal.add("reference", "Payments runbook, second copy", LONG, ("ops",))
        again = copy_base(personal, team)
        assert (again.added, again.piece_vectors_copied) == (1, 3)
        assert pieces_index(team) == rebuilt  # as many stored as coming: added to the index
        assert derived(team) == derived(personal)
        assert copy_base(team, back).piece_vectors_copied == 6  # and back into a file
        assert derived(back) == derived(personal)
    finally:
        for base in bases:
            base.close()


def test_a_rebuild_adds_pieces_keeps_the_vector_and_a_copy_carries_them(
    bases: list[Rekall],
) -> None:
    personal, team, _ = bases
    try:
        drop_pieces(personal)
        long_id = long_entry(personal)
        # Bits another embedding may leave: a rebuild that embedded the vector again would
        # lose them, as the same text embedded here gives the first bits back.
        nudged = nudge_vector(personal, long_id)
        report = copy_base(personal, team)
        assert (report.piece_vectors_copied, report.long_without_pieces) == (0, 1)
        notices = copying.copy_notices(report)
        assert any("1 long entries have no body-piece" in n for n in notices)
        assert not any("token" in n for n in notices)  # the source holds none
        finding = {f.name: f for f in team.check().findings}["body pieces"]
        assert (finding.ok, finding.todo) == (True, True)

        vectors = derived(team)[0]
        assert team.rebuild_index().embedded == 1
        assert derived(team)[0] == vectors  # only the pieces were added
        assert vectors[long_id][1] == nudged
        again = copy_base(personal, team)
        assert (again.unchanged, again.vectors_replaced, again.long_without_pieces) == (2, 0, 0)
        back = copy_base(team, personal)
        assert (back.piece_vectors_copied, back.vectors_replaced) == (3, 0)
        assert derived(personal) == derived(team)
        assert not {f.name: f for f in personal.check().findings}["body pieces"].todo
    finally:
        for base in bases:
            base.close()


def test_the_cli_names_what_is_left_to_do(cli: CliInvoker, postgres_url: str) -> None:
    assert cli("add", "reference", RUNBOOK, "--content", LONG).exit_code == 0
    assert cli("add", "til", "nohup survives logout", "--content", "SIGHUP").exit_code == 0
    copied = cli("db", "copy", "--to", postgres_url)
    assert copied.exit_code == 0, copied.stderr
    assert "3 body-piece vectors copied" in copied.stdout
    assert "token" not in copied.stderr  # the source holds none
    assert cli("token", "create", "alice").exit_code == 0
    assert cli("token", "revoke", "alice").exit_code == 0
    again = cli("db", "copy", "--to", postgres_url)
    assert again.exit_code == 0, again.stderr
    assert "The source's 1 tokens (revoked ones included) are not copied" in again.stderr
    assert "'rekall token create NAME' there" in again.stderr
    server = {"REKALL_DATABASE_URL": postgres_url}
    checked = cli("check", env=server)
    assert checked.exit_code == 0
    assert re.search(r"^ok +body pieces +all 1 long entries have current", checked.stdout, re.M)
    team = Rekall(Config(database_url=postgres_url))
    try:
        drop_pieces(team)
    finally:
        team.close()
    checked = cli("check", env=server)
    assert checked.exit_code == 0
    left = r"^to do +body pieces +1 of 1 long entries have no body-piece"
    assert re.search(left, checked.stdout, re.M)
