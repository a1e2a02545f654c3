"""A link a rule of the base refuses is named as an add's refusal is, on both backends."""

from __future__ import annotations

import pytest
from click.testing import Result

from rekall.service import Rekall
from tests.conftest import CliInvoker

# A team's rule on its links: nothing links to an archived entry, as a trigger each backend
# raises from (on PostgreSQL a plain RAISE EXCEPTION, SQLSTATE P0001).
NO_ARCHIVED_LINKS = {
    "sqlite": "CREATE TRIGGER no_archived_links BEFORE INSERT ON links "
    "WHEN (SELECT title FROM entries WHERE id = new.target_id) LIKE '%(archived)' "
    "BEGIN SELECT RAISE(ABORT, 'no links to archived entries'); END",
    "postgres": "CREATE FUNCTION no_archived_links() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF (SELECT title FROM entries WHERE id = NEW.target_id) LIKE '%(archived)' THEN "
    "RAISE EXCEPTION 'no links to archived entries'; END IF; RETURN NEW; END $$; "
    "CREATE TRIGGER no_archived_links BEFORE INSERT ON links "
    "FOR EACH ROW EXECUTE FUNCTION no_archived_links()",
}
ONE_LINK_PER_PAIR = "CREATE UNIQUE INDEX one_link_per_pair ON links (source_id, target_id)"
PAIR_REFUSED = {
    "sqlite": "UNIQUE constraint failed: links.source_id, links.target_id",
    "postgres": 'duplicate key value violates unique constraint "one_link_per_pair"',
}


def add_team_rule(base: Rekall, sql: str) -> None:
    with base.db.write() as (conn, _):
        conn.execute(sql)


def added(cli: CliInvoker, title: str) -> str:
    result = cli("add", "reference", title, "-c", "notes")
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def links_held(base: Rekall) -> int:
    with base.db.read() as conn:
        return base.db.repos.links.count_links(conn)


def assert_refused(base: Rekall, result: Result, reason: str) -> None:
    """An add's refusal shape: the base, its words, whose rule and the fix; exit 1."""
    stderr = result.stderr
    assert result.exit_code == 1, stderr
    assert f"Error: {base.db.location} refused the write ({reason}); nothing was written" in (
        stderr
    )
    assert "A rule added to the base" in stderr and "change that rule" in stderr
    assert "already linked" not in stderr and "no longer exists" not in stderr
    assert "Traceback" not in stderr


def test_a_link_a_teams_trigger_refuses_is_named_and_not_written(
    cli: CliInvoker, any_backend: Rekall
) -> None:
    live, archived = added(cli, "Deploy notes"), added(cli, "Old deploy notes (archived)")
    add_team_rule(any_backend, NO_ARCHIVED_LINKS[any_backend.db.kind])
    before = any_backend.db.generation()
    assert_refused(any_backend, cli("link", live, archived), "no links to archived entries")
    assert links_held(any_backend) == 0
    assert any_backend.db.generation() == before
    assert cli("link", archived, live).exit_code == 0  # what the rule allows is still linked


def test_a_link_a_teams_unique_index_refuses_is_not_called_already_linked(
    cli: CliInvoker, any_backend: Rekall
) -> None:
    first, second = added(cli, "Deploy notes"), added(cli, "Rollback notes")
    add_team_rule(any_backend, ONE_LINK_PER_PAIR)
    assert cli("link", first, second).exit_code == 0
    result = cli("link", first, second, "--type", "contradicts")
    assert_refused(any_backend, result, PAIR_REFUSED[any_backend.db.kind])
    assert links_held(any_backend) == 1


@pytest.mark.parametrize("backend_url", ["postgres"], indirect=True)
def test_a_link_a_check_added_to_a_server_base_refuses_is_named(
    cli: CliInvoker, any_backend: Rekall
) -> None:
    first, second = added(cli, "Deploy notes"), added(cli, "Rollback notes")
    add_team_rule(
        any_backend, "ALTER TABLE links ADD CONSTRAINT links_say_why CHECK (reason IS NOT NULL)"
    )
    result = cli("link", first, second)
    assert_refused(
        any_backend,
        result,
        'new row for relation "links" violates check constraint "links_say_why"',
    )
    assert "(links_say_why)" in result.stderr
    assert links_held(any_backend) == 0
    assert cli("link", first, second, "--reason", "rolls it back").exit_code == 0
