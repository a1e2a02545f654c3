"""A team member's role reads and writes a server base it neither owns nor may add tables
to (USAGE on the schema, rows of its tables): every everyday command works for it."""

from __future__ import annotations

import pytest

from rekall.config import Config
from rekall.core.errors import NotFoundError
from rekall.service import Rekall

pytestmark = pytest.mark.model


def test_a_member_without_create_on_the_schema_works_the_base(
    team: Rekall, member_url: str
) -> None:
    member = Rekall(Config(database_url=member_url))
    try:
        added = member.add("til", "Vacuum full locks the table", "Use pg_repack instead.", ("pg",))
        member.update(added.id, content="Use pg_repack instead; it keeps the table readable.")
        assert member.search("pg_repack readable", mode="hybrid").results[0].entry.id == added.id
        # The owner's process sees the member's write on its next search.
        assert team.search("vacuum full locks", mode="keyword").results[0].entry.id == added.id
        other = next(e for e in team.list_entries() if e.id != added.id)
        member.link(added.id, other.id, "related")
        assert [link.target_id for link in member.links(added.id)] == [other.id]
        assert member.check().healthy
        member.delete(added.id)
        with pytest.raises(NotFoundError):
            member.get(added.id)
    finally:
        member.close()
