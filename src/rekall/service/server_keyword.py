"""A server's keyword side of a hybrid search, asked for on the worker thread meanwhile."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from rekall.core.entries import EntryFilter
from rekall.core.errors import StorageError
from rekall.search.hybrid import FusionWeights, idf
from rekall.service.keyword import KeywordMatch, KeywordPlan, KeywordSide, fold_fields, weigh_hits

if TYPE_CHECKING:
    from rekall.service.side_worker import Pending
    from rekall.storage.contract import VectorSearch
    from rekall.storage.weighed import KeywordCandidates

# How long a failed or interrupted search waits for its keyword side once cancelled.
ABANDON_WAIT_S = 5.0
# How long a search waits for its keyword side to be under way before embedding the query.
# The worker needs the interpreter's lock to send its first statement, and the embedding
# held it until the switch interval (5 ms) ran out: the statements went 1-4 ms late. A
# worker busy with another search's side is not waited for beyond this.
START_WAIT_S = 0.003


class ServerKeywordSide:
    """A server's keyword candidates, weighed, asked for on the worker thread (on one CPU
    too: the thread mostly waits for the server); the query is for the snippets."""

    def __init__(
        self, keyword: KeywordSide, search: VectorSearch, plan: KeywordPlan,
        filters: EntryFilter, k: int, weights: FusionWeights,
    ) -> None:  # fmt: skip
        self.search, self.query = search, plan.query()
        self._lock = threading.Lock()
        self._running: Any = None  # the connection while the statements run
        self._abandoned = False
        self._started = threading.Event()

        def work() -> list[KeywordMatch]:
            found = keyword.db.query(lambda conn: self._candidates(conn, k, filters))
            # Which forms of a typed word match, found out by the counts: not asked again.
            self.query = found.query or self.query
            rarity = [idf(count, found.total) for count in found.counts]
            return weigh_hits(plan, found.hits, rarity, fold_fields(found.fields), weights)

        self.pending: Pending[list[KeywordMatch]] = keyword.worker.submit(work)
        self._started.wait(START_WAIT_S)

    def _candidates(self, conn: Any, k: int, filters: EntryFilter) -> KeywordCandidates:
        with self._lock:
            if self._abandoned:
                raise StorageError("the search was interrupted")
            self._running = conn
        self._started.set()
        try:
            return self.search.keyword_candidates(conn, k, self.query, filters)
        finally:
            with self._lock:
                self._running = None

    def abandon(self) -> None:
        """The search failed or was interrupted: cancel the statement under way (one blocked
        on a server's lock would otherwise hold up Ctrl+C), wait briefly for the thread."""
        with self._lock:
            self._abandoned, running = True, self._running
            if running is not None:
                with contextlib.suppress(Exception):
                    self.search.interrupt(running)
        self.pending.wait(ABANDON_WAIT_S)
