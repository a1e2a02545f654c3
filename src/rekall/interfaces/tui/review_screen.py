"""The review screen: due entries one by one, graded 0-5 (SM-2), s to skip."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from rekall.core.errors import RekallError
from rekall.interfaces.tui.threads import report_error, run_in_thread

if TYPE_CHECKING:
    from rekall.interfaces.tui.app import RekallApp
    from rekall.service.review import ReviewItem

REVIEW_LIMIT = 100
GRADE_HINT = (
    "How well did you remember it? 0 blackout · 1 wrong, rang a bell · 2 wrong, easy once "
    "shown · 3 right, hard · 4 right, hesitated · 5 instantly · s skip · escape leave"
)
NOTHING_DUE = (
    "Nothing to review now: none of the active entries is due.\n\n"
    "A new entry comes due a day after it is written; a graded one when its interval ends."
)


def plural(count: int, word: str) -> str:
    """'1 day', '3 days'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def item_meta(item: ReviewItem) -> str:
    """Type, tags, project and when the entry fell due, on one line."""
    entry = item.entry
    parts = [entry.type, f"tags: {', '.join(entry.tags) or 'none'}"]
    if entry.project:
        parts.append(f"project {entry.project}")
    parts.append(f"due {item.due_at[:10]}")
    return " · ".join(parts)


class ReviewScreen(Screen[None]):
    """Each due entry in turn; a grade schedules its next review and counts as opening it."""

    DEFAULT_CSS = """
    #review-progress, #review-hint {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    #review-body {
        height: 1fr;
        padding: 0 1;
    }
    #review-title {
        color: $accent;
        margin-top: 1;
    }
    #review-meta {
        color: $text-muted;
        margin-bottom: 1;
    }
    #review-content {
        margin: 0;
        padding: 0;
    }
    """

    BINDINGS = [
        *(
            Binding(str(grade), f"grade({grade})", f"Grade {grade}", show=False)
            for grade in range(6)
        ),
        Binding("s", "skip", "Skip"),
        Binding("escape,q", "leave", "Back"),
        Binding("question_mark", "app.help", "Help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[ReviewItem] = []
        self.position = 0
        self.reviewed = 0
        self.skipped = 0
        self.busy = False

    @property
    def rekall(self) -> RekallApp:
        return cast("RekallApp", self.app)

    @property
    def current(self) -> ReviewItem | None:
        """The entry being reviewed, or None once the queue is done."""
        return self.items[self.position] if self.position < len(self.items) else None

    def compose(self) -> ComposeResult:
        yield Static("", id="review-progress", markup=False)
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-title", markup=False)
            yield Static("", id="review-meta", markup=False)
            yield Markdown("", id="review-content")
        yield Static(GRADE_HINT, id="review-hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        try:
            self.items = self.rekall.service.review_queue(limit=REVIEW_LIMIT)
        except RekallError as exc:
            report_error(self.app, exc)
        self.set_focus(self.query_one("#review-body"))
        self.show_current()

    def show_current(self) -> None:
        """Show the entry under review, or how the session went once none are left."""
        item = self.current
        if item is None:
            self.show_done()
            return
        entry = item.entry
        self.set_progress(f"Review {self.position + 1}/{len(self.items)}")
        self.query_one("#review-title", Static).update(Text(entry.title, style="bold"))
        self.query_one("#review-meta", Static).update(item_meta(item))
        self.query_one("#review-content", Markdown).update(entry.content or "*No content.*")
        self.query_one("#review-body", VerticalScroll).scroll_home(animate=False)

    def show_done(self) -> None:
        """The summary: nothing was due, or what was reviewed and what is still due."""
        self.query_one("#review-hint", Static).update("escape leave")
        self.query_one("#review-meta", Static).update("")
        if not self.items:
            self.set_progress("Review")
            self.query_one("#review-title", Static).update(NOTHING_DUE)
            self.query_one("#review-content", Markdown).update("")
            return
        try:
            left = self.rekall.service.count_due()
        except RekallError as exc:
            report_error(self.app, exc)
            left = 0
        self.set_progress("Review done")
        summary = f"Reviewed {self.reviewed}, skipped {self.skipped}; {left} still due."
        self.query_one("#review-title", Static).update(summary)
        self.query_one("#review-content", Markdown).update("")

    def set_progress(self, text: str) -> None:
        self.query_one("#review-progress", Static).update(text)

    def advance(self) -> None:
        self.position += 1
        self.show_current()

    def action_grade(self, grade: int) -> None:
        item = self.current
        if item is None or self.busy:
            return
        self.busy = True
        entry_id = item.entry.id
        run_in_thread(
            self.app,
            lambda: self.rekall.service.grade_review(entry_id, grade),
            self._graded,
            self._grade_failed,
        )

    def _graded(self, done: ReviewItem) -> None:
        self.busy = False
        self.reviewed += 1
        if self.is_attached:
            self.notify(f"Next review in {plural(done.state.interval, 'day')}.", timeout=3)
            self.advance()

    def _grade_failed(self, error: RekallError) -> None:
        self.busy = False
        if self.is_attached:
            self.skipped += 1
            self.advance()

    def action_skip(self) -> None:
        if self.current is not None and not self.busy:
            self.skipped += 1
            self.advance()

    def action_leave(self) -> None:
        self.dismiss()
