"""The remembering tools: entries due for review, grading a review, entries left idle."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from rekall.core.review import DEFAULT_STALE_DAYS, GRADE_MEANINGS
from rekall.interfaces.mcp.outputs import EntrySummary
from rekall.interfaces.mcp.params import EntryId, Project
from rekall.interfaces.mcp.results import summary_fields
from rekall.service import Rekall
from rekall.service.review import ReviewItem

Limit = Annotated[int, Field(ge=1, le=50, description="how many entries, 1-50")]
GRADES = "; ".join(f"{grade} {meaning}" for grade, meaning in GRADE_MEANINGS.items())


class DueEntry(EntrySummary):
    """An entry with its review schedule."""

    due_at: str = Field(description="when the review fell due (ISO-8601 UTC)")
    repetitions: int = Field(description="successful reviews in a row")
    interval_days: int = Field(description="days between the last two reviews (0: never)")


class DueOutput(BaseModel):
    """Entries due for review now, most overdue first."""

    due: int = Field(description="how many entries are due in all")
    results: list[DueEntry]


class GradeOutput(BaseModel):
    """A graded review and when the entry comes back."""

    entry: DueEntry
    message: str


class StaleEntry(EntrySummary):
    """An entry nobody opened for a while, and what to do about it."""

    idle_days: int
    links: int
    action: str = Field(description="review, deprecate or link")
    reason: str


class StaleOutput(BaseModel):
    """Active entries not opened for some days, longest idle first."""

    days: int
    results: list[StaleEntry]


def due_entry(item: ReviewItem) -> DueEntry:
    return DueEntry(
        **summary_fields(item.entry),
        due_at=item.due_at,
        repetitions=item.state.repetitions,
        interval_days=item.state.interval,
    )


class ReviewTools:
    """Spaced repetition (SM-2) and upkeep of the knowledge base."""

    def __init__(self, service: Rekall) -> None:
        self.service = service

    def due_for_review(self, project: Project = None, limit: Limit = 10) -> DueOutput:
        """List the entries due for a spaced-repetition review now, most overdue first.

        Use it when the user wants to refresh what they know: show each entry (get_entry),
        let the user recall it, then record how well with grade_review. Returns how many
        are due and the first ones.
        """
        items = self.service.review_queue(project, limit)
        return DueOutput(due=self.service.count_due(project), results=[due_entry(i) for i in items])

    def grade_review(
        self,
        id: EntryId,
        grade: Annotated[int, Field(ge=0, le=5, description=f"how well it was recalled: {GRADES}")],
    ) -> GradeOutput:
        """Record how well the user recalled an entry, 0-5, and schedule its next review.

        Use it after the user has recalled an entry from due_for_review. Good grades push the
        next review further out; grades below 3 bring it back tomorrow. Only grade what the
        user actually reviewed. Returns the entry with its new schedule.
        """
        item = self.service.grade_review(id, grade)
        return GradeOutput(
            entry=due_entry(item), message=f"Graded {grade}; next review {item.due_at}."
        )

    def list_stale(
        self,
        days: Annotated[
            int, Field(ge=1, le=3650, description="idle for at least this many days")
        ] = DEFAULT_STALE_DAYS,
        project: Project = None,
        limit: Limit = 20,
    ) -> StaleOutput:
        """List active entries nobody opened for `days` days, each with a suggestion.

        The suggestion is review (still useful), deprecate (likely outdated) or link (an
        orphan). Use it to tidy the knowledge base with the user; it changes nothing.
        Returns the idle entries, longest idle first, with how many days and links each has.
        """
        items = self.service.stale_entries(days, project, limit)
        return StaleOutput(
            days=days,
            results=[
                StaleEntry(
                    **summary_fields(item.entry),
                    idle_days=item.idle_days,
                    links=item.links,
                    action=item.action,
                    reason=item.reason,
                )
                for item in items
            ],
        )
