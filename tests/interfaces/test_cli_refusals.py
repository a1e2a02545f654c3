"""A link a rule of the base refuses is named as an add's refusal is, on both backends."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from click.testing import Result

from rekall.config import load_config
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


SKIP_ARCHIVED_LINKS = {
    "sqlite": "CREATE TRIGGER skip_archived_links BEFORE INSERT ON links "
    "WHEN (SELECT title FROM entries WHERE id = new.target_id) LIKE '%(archived)' "
    "BEGIN SELECT RAISE(IGNORE); END",
    "postgres": "CREATE FUNCTION skip_archived_links() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF (SELECT title FROM entries WHERE id = NEW.target_id) LIKE '%(archived)' THEN "
    "RETURN NULL; END IF; RETURN NEW; END $$; "
    "CREATE TRIGGER skip_archived_links BEFORE INSERT ON links "
    "FOR EACH ROW EXECUTE FUNCTION skip_archived_links()",
}


def test_a_link_a_teams_trigger_skips_is_named_not_said_linked(
    cli: CliInvoker, any_backend: Rekall
) -> None:
    live, archived = added(cli, "Deploy notes"), added(cli, "Old deploy notes (archived)")
    add_team_rule(any_backend, SKIP_ARCHIVED_LINKS[any_backend.db.kind])
    assert_refused(
        any_backend, cli("link", live, archived), "a trigger of the base skipped the new link"
    )
    assert links_held(any_backend) == 0
    assert cli("link", archived, live).exit_code == 0  # what the rule allows is still linked
    duplicate = cli("link", archived, live)
    assert duplicate.exit_code == 2 and "already linked" in duplicate.stderr  # bad input


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


@pytest.fixture
def member(postgres_url: str) -> Iterator[tuple[str, str]]:
    """(URL, role) of a team member on a made base: a role that is no superuser and owns
    none of its tables, so the base's row-level security policies apply to it."""
    import psycopg

    made = Rekall(load_config(environ={**os.environ, "REKALL_DATABASE_URL": postgres_url}))
    made.close()  # the base, made by its owner
    role = f"member_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
        conn.execute(
            f"CREATE ROLE {role}; GRANT USAGE ON SCHEMA {schema} TO {role}; "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}; "
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"
        )
    try:
        yield postgres_url.replace("options=", f"options={quote(f'-crole={role} ')}", 1), role
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")


def owner_runs(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_a_write_a_row_level_security_policy_refuses_is_named(
    cli: CliInvoker, postgres_url: str, member: tuple[str, str]
) -> None:
    env = {"REKALL_DATABASE_URL": member[0]}
    first = cli("add", "til", "nohup survives logout", "-c", "SIGHUP", env=env)
    assert first.exit_code == 0, first.stderr
    owner_runs(
        postgres_url,
        "ALTER TABLE entries ENABLE ROW LEVEL SECURITY; CREATE POLICY no_runbooks ON entries "
        "USING (true) WITH CHECK (lower(title) NOT LIKE '%runbook%')",
    )
    result = cli("add", "reference", "Deploy runbook", "-c", "step one", env=env)
    assert result.exit_code == 1, result.stderr
    assert 'refused the write (new row violates row-level security policy for table "entries"' in (
        result.stderr
    )
    assert "A rule added to the base" in result.stderr and "change that rule" in result.stderr
    listed = json.loads(cli("list", "--json", env=env).stdout)
    assert [entry["title"] for entry in listed] == ["nohup survives logout"]


def test_a_privilege_the_role_lacks_is_not_taken_for_a_refused_write(
    cli: CliInvoker, postgres_url: str, member: tuple[str, str]
) -> None:
    """The same SQLSTATE (42501) as a policy's refusal: a grant to ask for, not a rule."""
    url, role = member
    env = {"REKALL_DATABASE_URL": url}
    first = cli("add", "til", "nohup survives logout", "-c", "SIGHUP", env=env).stdout.strip()
    second = cli("add", "til", "tmux keeps sessions", "-c", "detach", env=env).stdout.strip()
    owner_runs(postgres_url, f"REVOKE INSERT ON links FROM {role}")
    result = cli("link", first, second, env=env)
    assert result.exit_code == 1
    assert "permission denied for table links" in result.stderr
    assert "refused the write" not in result.stderr and "Traceback" not in result.stderr


def test_an_edit_a_policy_hides_from_the_role_is_named_not_called_deleted(
    cli: CliInvoker, postgres_url: str, member: tuple[str, str]
) -> None:
    env = {"REKALL_DATABASE_URL": member[0]}
    entry = cli("add", "til", "nohup survives logout", "-c", "SIGHUP", env=env).stdout.strip()
    owner_runs(
        postgres_url,
        "ALTER TABLE entries ENABLE ROW LEVEL SECURITY; "
        "CREATE POLICY read_all ON entries FOR SELECT USING (true); "
        "CREATE POLICY edit_none ON entries FOR UPDATE USING (false)",
    )
    for command in (("edit", entry, "--title", "nohup, again"), ("deprecate", entry)):
        result = cli(*command, env=env)
        assert result.exit_code == 1, result.stdout
        assert "is there but its change was skipped" in result.stderr
        assert "deleted" not in result.stderr and "A rule added to the base" in result.stderr
    shown = json.loads(cli("show", entry, "--json", env=env).stdout)
    assert (shown["title"], shown["status"]) == ("nohup survives logout", "active")
