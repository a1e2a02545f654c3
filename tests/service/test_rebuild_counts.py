"""What `rekall check --repair` and `rekall index rebuild` say they embedded: entries whose
vector was made again apart from entries that kept theirs and got only their body pieces."""

from __future__ import annotations

import pytest

from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.service.test_check_vectors import PROBES, finding, seq, sql
from tests.service.test_copy_derived import LONG

pytestmark = pytest.mark.model


def damage(base: Rekall) -> None:
    """Four long entries and a short one: two long ones lose their body pieces (their vector
    stays current), the short one's text changes after its vector was made."""
    ids = [base.add("reference", f"Payments runbook, part {n}", LONG).id for n in range(4)]
    short = base.add("til", "nohup keeps a job alive", "SIGHUP is ignored").id
    sql(
        base,
        f"DELETE FROM embedding_pieces WHERE entry_seq IN ({seq(ids[0])}, {seq(ids[1])})",
        f"UPDATE entries SET content = '{PROBES}' WHERE id = '{short}'",
    )


def test_repair_counts_re_embedded_vectors_apart_from_body_pieces(any_backend: Rekall) -> None:
    damage(any_backend)
    repaired = any_backend.check(repair=True)
    assert repaired.healthy, repaired.findings
    index = "; rebuilt the vector index" if any_backend.db.kind == "sqlite" else ""
    assert repaired.repairs[-1] == f"re-embedded 1 entry, and body pieces of 2 more{index}"
    assert finding(any_backend, "body pieces").ok


def test_only_missing_body_pieces_are_not_called_re_embedded_entries(
    any_backend: Rekall,
) -> None:
    for n in range(2):
        any_backend.add("reference", f"Payments runbook, part {n}", LONG)
    sql(any_backend, "DELETE FROM embedding_pieces")
    report = any_backend.rebuild_index()
    assert (report.embedded, report.pieces_only) == (2, 2)
    assert report.summary() == "re-embedded 0 entries, and body pieces of 2 more"


def test_index_rebuild_says_the_same(any_backend: Rekall, cli: CliInvoker) -> None:
    damage(any_backend)
    result = cli("index", "rebuild")  # on the same base: any_backend sets its URL
    assert result.exit_code == 0, result.stderr
    assert "Re-embedded 1 entry, and body pieces of 2 more; 2 were up to date;" in (result.stderr)


@pytest.mark.parametrize(
    ("embedded", "pieces_only", "said"),
    [
        (1, 0, "re-embedded 1 entry"),
        (2, 0, "re-embedded 2 entries"),
        (0, 0, "re-embedded 0 entries"),
        (2, 1, "re-embedded 1 entry, and body pieces of 1 more"),
    ],
)
def test_the_summary_counts_in_the_singular_and_plural(
    embedded: int, pieces_only: int, said: str
) -> None:
    from rekall.service.indexing import RebuildReport

    assert RebuildReport(embedded, 0, embedded, pieces_only).summary() == said
