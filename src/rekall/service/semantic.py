"""Meaning-based search for the facade: the model, query-vector cache and the synced index."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rekall.config import Config
from rekall.core.errors import ModelError
from rekall.search.cache import LRUCache
from rekall.search.model_files import MODEL_ID, ModelLocation
from rekall.search.model_identity import cached_identity
from rekall.search.model_manager import ModelManager
from rekall.service.derived_files import (
    COPIED_BACK,
    distrust_copied_back,
    remove_orphan_index_files,
)
from rekall.service.model_loading import find_model, load_verified, verified_weights_cache
from rekall.storage.connection import rotate_token
from rekall.storage.database import Database

if TYPE_CHECKING:
    # numpy and the index code load with the first semantic search, never for keyword work.
    import numpy as np

    from rekall.search.embedder import Embedder
    from rekall.service.vector_sync import VectorSync
    from rekall.storage.contract import Store

DIMENSIONS = 384
# One file per data directory, like the snapshot: its lineage stamp, not its name, says which
# database history it belongs to, so a restore rebuilds it in place instead of leaving it.
SQLITE_VEC_FILE = "vectors.sqlite-vec.db"


class Backend(NamedTuple):
    """The vector backend in use and why it was chosen."""

    name: str
    reason: str


class SemanticEngine:
    """Everything semantic search needs, created lazily so keyword work never pays for it."""

    def __init__(
        self, db: Store, config: Config, long_lived: bool, notify: Callable[[str], None]
    ) -> None:
        self.db = db
        self.config = config
        self.location: ModelLocation | None = None
        self.model_problem: str | None = None
        self.long_lived = long_lived
        timeout = config.model_idle_timeout_minutes * 60 if long_lived else None
        # A CLI process loads the model in ~0.1 s: only long-lived ones announce the wait.
        self.models = ModelManager(
            self._load,
            timeout,
            on_loading=notify if long_lived else None,
            on_idle=self.release_index,
            on_error=notify if long_lived else None,
        )
        if long_lived:
            self.models.start_idle_watch()
        # Only the embedded backend keeps derived vector files beside the database.
        if isinstance(db, Database) and distrust_copied_back(db, db.path.parent / "index"):
            notify(COPIED_BACK)
        self.query_cache: LRUCache[np.ndarray] = LRUCache(
            config.cache_max_size, config.cache_ttl_seconds
        )
        # Allowed-seq lists per (write generation, filter); see searching.allowed_seqs.
        self.filter_cache: LRUCache[tuple[list[int] | None]] = LRUCache(32)
        self._sync: VectorSync | None = None
        self._model_id: str | None = None
        self._index_lock = threading.RLock()
        self.backend: Backend | None = None

    def _load(self) -> Embedder:
        """Load the verified weights. Raises ModelError when they are missing or fail a check."""
        # A CLI process loads once, just after model_ready() found and checked the folder;
        # a long-lived one looks again at every load, as the files may have moved meanwhile.
        if self.location is None or self.long_lived:
            self.location = find_model(self.config)
        embedder, self._model_id = load_verified(self.location, self.config.bulk_engine)
        return embedder

    def known_model_id(self) -> str:
        """model_id when already known (loaded, or its file verified before), without loading."""
        if self._model_id is None and self.model_ready() and self.location is not None:
            weights = self.location.path / "model.safetensors"
            with contextlib.suppress(ModelError):
                cached = cached_identity(weights, verified_weights_cache())
                self._model_id = cached.model_id if cached else None
        return self._model_id or MODEL_ID

    @property
    def model_id(self) -> str:
        """The id vectors are stored under: the model's name, with a fingerprint of its
        weights unless they are the published ones. Loads the model once if its file was
        never verified; the published id when no model is usable."""
        if self._model_id is None:
            try:
                location = self.location or find_model(self.config)
                cached = cached_identity(
                    location.path / "model.safetensors", verified_weights_cache()
                )
                if cached is not None:
                    self._model_id = cached.model_id
                else:
                    with self.models.borrow():
                        pass
            except ModelError:
                return MODEL_ID
        return self._model_id or MODEL_ID

    def model_ready(self) -> bool:
        """True when the model is loaded or can be; remembers why not otherwise."""
        if self.models.loaded:
            return True
        try:
            self.location = self.location or find_model(self.config)
        except ModelError as exc:
            self.model_problem = str(exc)
            return False
        return True

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of a query, from the cache when this model embedded it before."""
        key = (self.model_id, text)
        cached = self.query_cache.get(key)
        if cached is not None:
            return cached
        with self.models.borrow() as embedder:
            vector: np.ndarray = embedder.embed([text])[0]
        self.query_cache.put(key, vector)
        return vector

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for entry texts (batched on all cores)."""
        with self.models.borrow() as embedder:
            return embedder.embed(list(texts))

    def sync(self) -> VectorSync:
        """The vector index, brought up to the database's current generation."""
        with self._index_lock:
            if self._sync is None:
                self._sync = self._open_sync()
            self._sync.refresh()
            return self._sync

    def nearest(
        self, vector: np.ndarray, k: int, allowed: Sequence[int] | None
    ) -> list[tuple[int, float]]:
        """The k nearest entry seqs among allowed (all when None), best first; an entry
        scores the best of its own vector and its body pieces'."""
        with self.held_index(k, allowed) as (score, _name):
            return score(vector)

    @contextlib.contextmanager
    def held_index(
        self, k: int, allowed: Sequence[int] | None
    ) -> Iterator[tuple[Callable[[np.ndarray], list[tuple[int, float]]], str]]:
        """nearest() in two steps: the index brought up to the database's generation, then
        held (an idle unload or another search waits) while the block runs; it yields the
        scoring of a vector, which any thread may run before the block ends, and the index's
        name. numpy scores without the interpreter's lock, so a search scores on another
        thread meanwhile."""
        import numpy as np

        from rekall.search.best_of import best_per_entry

        mask = None if allowed is None else np.asarray(allowed, dtype=np.int64)
        with self._index_lock:
            index = self.sync().index
            yield (
                lambda vector: best_per_entry(index.search, vector, k, mask, len(index)),
                index.name,
            )

    def release_index(self) -> None:
        """Drop the in-memory index when idle, leaving a current snapshot to reopen from."""
        with self._index_lock:
            if self._sync is None:
                return
            self._sync.save_if_changed()
            self._sync.index.close()
            self._sync = None

    def stats(self) -> dict[str, Any]:
        """Model, backend and cache figures for `rekall stats`."""
        status = self.models.status()
        self.model_ready()
        sync = self._sync
        if self.backend is None:
            self.choose_backend()
        return {
            "model_id": self._model_id or MODEL_ID,
            "model_path": str(self.location.path) if self.location else None,
            "model_source": self.location.source if self.location else None,
            "model_problem": self.model_problem,
            "model_loaded": status.loaded,
            "model_loads": status.loads,
            "model_unloads": status.unloads,
            "model_idle_seconds": status.idle_seconds,
            "model_idle_timeout_seconds": status.idle_timeout_seconds,
            "backend": self.backend.name if self.backend else None,
            "backend_reason": self.backend.reason if self.backend else None,
            "index_vectors": len(sync.index) if sync else None,
            "index_loaded_from": sync.loaded_from if sync else None,
            "index_generation": sync.generation if sync else None,
            "snapshot_error": sync.snapshot_error if sync else None,
            "query_cache_size": len(self.query_cache),
            "query_cache_hits": self.query_cache.hits,
            "query_cache_misses": self.query_cache.misses,
        }

    def close(self) -> None:
        """Unload the model and close the index."""
        self.models.stop()
        with self._index_lock:
            if self._sync is not None:
                self._sync.index.close()

    def rebuild_index(self, setting: str | None = None) -> None:
        """Throw the derived index away and build it again from the stored vectors.

        A new token makes every process distrust the derived files it holds, not only this one.
        """
        if self.db.repos.vector_search is not None:
            self.choose_backend()
            return  # the database keeps its index itself
        with self._index_lock:
            if self._sync is not None:
                self._sync.index.close()
            with self.db.write() as (conn, _generation):
                rotate_token(conn)
            if isinstance(self.db, Database):
                remove_orphan_index_files(self.db.path.parent / "index")
            self._sync = self._open_sync(setting)
            self._sync.discard_persisted()
            self._sync.refresh()

    def model_status(self) -> dict[str, Any]:
        """Where the model is (or how to get it) and whether it loads."""
        # No "loaded" flag here: this call loads the model to check it, so whether it was
        # loaded before says nothing useful (`rekall stats` shows it for long-lived processes).
        status: dict[str, Any] = {"model_id": MODEL_ID}
        try:
            location = find_model(self.config)
        except ModelError as exc:
            return {**status, "available": False, "problem": str(exc)}
        status.update(available=True, path=str(location.path), source=location.source)
        try:
            embedder = self.models.get()
            status.update(loads=True, dimensions=embedder.dimensions, model_id=embedder.model_id)
        except ModelError as exc:
            status.update(available=False, loads=False, problem=str(exc))
        return status

    def choose_backend(self, setting: str | None = None) -> Backend:
        """Pick the vector backend for the current number of vectors, with the reason."""
        from rekall.search.backends import choose_backend

        if self.db.repos.vector_search is not None:
            self.backend = Backend(
                "pgvector", "vectors are searched in PostgreSQL, with pgvector's HNSW index"
            )
            return self.backend
        with self.db.read() as conn:
            count = sum(self.db.repos.vectors.count_vectors(conn).values())
        self.backend = Backend(
            *choose_backend(setting or self.config.vector_index_backend, int(count))
        )
        return self.backend

    def _open_sync(self, setting: str | None = None) -> VectorSync:
        from rekall.search.vectors import NumpyIndex
        from rekall.service.vector_sync import VectorSync

        if not isinstance(self.db, Database):
            raise TypeError("only the embedded backend keeps a vector index in the process")
        name = self.choose_backend(setting).name
        index_dir = self.db.path.parent / "index"
        if name == "sqlite-vec":
            from rekall.search.sqlite_vec_index import SqliteVecIndex

            index_dir.mkdir(parents=True, exist_ok=True)
            index = SqliteVecIndex(index_dir / SQLITE_VEC_FILE, DIMENSIONS)
            return VectorSync(self.db, index, self.model_id, DIMENSIONS, None, index_dir)
        return VectorSync(self.db, NumpyIndex(DIMENSIONS), self.model_id, DIMENSIONS, index_dir)
