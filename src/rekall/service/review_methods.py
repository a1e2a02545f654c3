"""The facade's review methods; service/review.py, imported at their first call, does the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rekall.service.review import ReviewItem, StaleItem
    from rekall.storage.contract import Store


class ReviewMethods:
    """Spaced repetition and upkeep, mixed into the facade (which supplies db and clock).

    A search never reviews: the review records, schedule and date arithmetic load only when
    one of these is called (~2 ms of a cold search before).
    """

    db: Store
    clock: Callable[[], str]

    def review_queue(self, project: str | None = None, limit: int = 20) -> list[ReviewItem]:
        """Active entries due for review now, most overdue first (new ones a day after writing).

        Raises ValidationError on a limit outside 1-1000.
        """
        from rekall.service import review

        return review.review_queue(self.db, self.clock, project, limit)

    def count_due(self, project: str | None = None) -> int:
        """How many active entries are due for review now."""
        from rekall.service import review

        return review.count_due(self.db, self.clock, project)

    def grade_review(self, id_or_prefix: str, grade: int) -> ReviewItem:
        """Record a review graded 0-5 and schedule the next one; the review counts as an access.

        Raises ValidationError on a bad grade, NotFoundError or AmbiguousIdError on the id.
        """
        from rekall.service import review

        return review.grade_review(self.db, self.clock, id_or_prefix, grade)

    def stale_entries(
        self, days: int | None = None, project: str | None = None, limit: int = 100
    ) -> list[StaleItem]:
        """Active entries not opened for `days` days (default DEFAULT_STALE_DAYS, 90) or since
        written, longest idle first, each with a suggestion: review, deprecate or link.
        Raises ValidationError."""
        from rekall.core.review import DEFAULT_STALE_DAYS
        from rekall.service import review

        chosen = DEFAULT_STALE_DAYS if days is None else days
        return review.stale_entries(self.db, self.clock, chosen, project, limit)
