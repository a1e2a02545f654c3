"""Hostile input (hypothesis): a clear error or a correct result, and no change when refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekall.config import load_config
from rekall.core.entries import ENTRY_TYPES
from rekall.core.errors import ConfigError, RekallError
from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.faults.fuzz import json_tree

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
Fingerprint = Callable[[Path], str]
JSON = json_tree(st.text(max_size=30))
ANY_VALUE = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.lists(st.text())
)


def refused_without_change(
    action: Callable[[], Any], db_file: Path, fingerprint: Fingerprint
) -> Any | None:
    """Run action; on a RekallError the database must be unchanged. Returns the result."""
    before = fingerprint(db_file)
    try:
        return action()
    except RekallError as exc:
        assert str(exc), "an error without a message"
        assert fingerprint(db_file) == before
        return None


@SETTINGS
@given(query=st.text(), mode=st.sampled_from(["keyword", "hybrid", "semantic", "fuzzy"]))
def test_any_search_query_answers_or_refuses_clearly(
    base: Rekall, db_file: Path, db_fingerprint: Fingerprint, query: str, mode: str
) -> None:
    response = refused_without_change(lambda: base.search(query, mode), db_file, db_fingerprint)
    if response is not None:
        assert len(response.results) <= 2


@SETTINGS
@given(
    kind=st.sampled_from(ENTRY_TYPES) | st.text(max_size=12),
    title=st.text(max_size=400) | st.just("x" * 5000),
    content=st.text() | st.just("y" * 1_100_000) | st.just("a\x00b"),
    tags=st.lists(st.text(max_size=40), max_size=5),
    project=st.none() | st.text(max_size=50),
    confidence=ANY_VALUE,
)
def test_any_entry_fields_are_stored_faithfully_or_refused(
    base: Rekall, db_file: Path, db_fingerprint: Fingerprint, **fields: Any
) -> None:
    args = (fields["kind"], fields["title"], fields["content"], tuple(fields["tags"]))
    entry = refused_without_change(
        lambda: base.add(*args, fields["project"], fields["confidence"]), db_file, db_fingerprint
    )
    if entry is not None:
        stored = base.get(entry.id, record_access=False)
        assert (stored.title, stored.content, stored.tags) == (
            entry.title,
            entry.content,
            entry.tags,
        )
        assert stored.content == fields["content"]


@SETTINGS
@given(entry_id=st.text() | st.from_regex(r"\A[0-9A-Z]{1,26}\Z"))
def test_any_id_finds_one_entry_or_refuses_clearly(
    base: Rekall, db_file: Path, db_fingerprint: Fingerprint, entry_id: str
) -> None:
    entry = refused_without_change(lambda: base.get(entry_id), db_file, db_fingerprint)
    if entry is not None:
        assert entry.id.startswith(entry_id.strip().upper())


CONFIG_LINES = st.builds(
    lambda section, key, value: f"[{section}]\n{key} = {value}\n",
    st.sampled_from(["performance", "model", "search", "bogus", "performance.x"]),
    st.sampled_from(
        ["cache_max_size", "model_path", "vector_index_backend", "allow_download", "nope"]
    ),
    ANY_VALUE.map(lambda v: json.dumps(v) if v is not None else "nan"),
)


@SETTINGS
@given(text=st.binary(max_size=300) | CONFIG_LINES.map(str.encode))
def test_any_config_file_loads_or_is_refused_with_a_config_error(
    tmp_path: Path, text: bytes
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(text)
    try:
        load_config(path, environ={})
    except ConfigError as exc:
        assert str(exc)


def valid_document(base: Rekall) -> dict[str, Any]:
    return dict(json.loads(base.export_json()))


# Whole hostile import files are generated in tests/faults/test_fuzz.py (fuzz.IMPORT_FILE).


@SETTINGS
@given(
    field=st.sampled_from(
        ["id", "type", "title", "content", "tags", "created_at", "confidence", "links"]
    ),
    value=JSON,
)
def test_an_export_with_one_wrong_field_imports_or_is_refused_without_change(
    base: Rekall, tmp_path: Path, db_file: Path, db_fingerprint: Fingerprint, field: str, value: Any
) -> None:
    document = valid_document(base)
    target = document if field == "links" else document["entries"][0]
    target[field] = value
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    refused_without_change(lambda: base.import_data(path, "replace"), db_file, db_fingerprint)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe not utf-8",
        b"[" * 100_000,
        b'{"format": "rekall-export"}',
        b"---\ntitle: [\n---\n",
    ],
)
def test_the_cli_refuses_a_hostile_import_file_with_an_error_line(
    cli: CliInvoker, tmp_path: Path, db_file: Path, db_fingerprint: Fingerprint, data: bytes
) -> None:
    cli("add", "til", "already here")
    before = db_fingerprint(db_file)
    for suffix in (".json", ".md"):
        path = tmp_path / f"hostile{suffix}"
        path.write_bytes(data)
        result = cli("import", str(path))
        assert result.exit_code in (1, 2) and "Error:" in result.stderr
        assert db_fingerprint(db_file) == before
