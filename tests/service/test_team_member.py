"""A team member's role reads and writes a server base it neither owns nor may add tables
to (USAGE on the schema, rows of its tables): every everyday command works for it."""

from __future__ import annotations

import pytest

from rekall.config import Config
from rekall.core.errors import NotFoundError
from rekall.service import Rekall
from tests.service.server_indexes import schema_of

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


def test_a_role_that_may_only_read_shows_and_searches(team: Rekall, postgres_server: str) -> None:
    import uuid
    from urllib.parse import quote

    import psycopg

    from rekall.core.errors import StorageError

    schema = schema_of(team)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role}; GRANT USAGE ON SCHEMA {schema} TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    url = postgres_server + "&options=" + quote(f"-crole={role} -csearch_path={schema},public")
    reader = Rekall(Config(database_url=url))
    try:
        found = reader.search("retry", mode="keyword").results
        assert found
        shown = reader.get(found[0].entry.id)  # the access is not counted, the entry shown
        assert shown.access_count == team.get(found[0].entry.id, record_access=False).access_count
        with pytest.raises(StorageError, match="permission denied"):
            reader.add("til", "a reader's note", "refused")
    finally:
        reader.close()
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
