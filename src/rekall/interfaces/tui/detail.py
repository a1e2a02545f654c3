"""One entry in full: Markdown content, context, tags, links and related entries to jump to."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from rekall.core.context import LABELS
from rekall.core.entries import Entry, Link
from rekall.core.errors import NotFoundError, RekallError
from rekall.interfaces.tui.threads import EntriesChanged, report_error, run_in_thread

if TYPE_CHECKING:
    from rekall.interfaces.tui.app import RekallApp

SIMILAR_LIMIT = 8
RELATED_DEPTH = 2


def meta_text(entry: Entry) -> str:
    """Everything about an entry but its title and content, in three short lines."""
    first = [entry.type, entry.status]
    if entry.project:
        first.append(f"project {entry.project}")
    first.append(f"confidence {entry.confidence}/5")
    tags = ", ".join(entry.tags) or "none"
    second = [f"tags: {tags}", f"updated {entry.updated_at[:10]}", f"opened {entry.access_count}×"]
    third = [f"id {entry.id}"]
    if entry.created_by:
        third.append(f"by {entry.created_by}")
    if entry.updated_by and entry.updated_by != entry.created_by:
        third.append(f"changed by {entry.updated_by}")
    if entry.superseded_by:
        third.append(f"superseded by {entry.superseded_by}")
    return "\n".join(" · ".join(line) for line in (first, second, third))


def context_text(entry: Entry) -> Text:
    """The context fields that have a value, each label in bold; empty without context."""
    text = Text()
    if entry.context is None:
        return text
    for name, value in entry.context.fields().items():
        if not value:
            continue
        items = value if isinstance(value, list) else [value]
        text.append(f"{LABELS[name]}\n", style="bold")
        text.append("".join(f"  {line}\n" for item in items for line in item.splitlines()))
    return text


def link_rows(
    entry: Entry, links: list[Link], nearby: list[tuple[Entry, int]]
) -> list[tuple[str, str]]:
    """(label, entry id) for each link, then each entry two hops away."""
    by_id = {other.id: other for other, _ in nearby}
    rows: list[tuple[str, str]] = []
    for link in links:
        outgoing = link.source_id == entry.id
        other_id = link.target_id if outgoing else link.source_id
        other = by_id.get(other_id)
        title = other.title if other else other_id
        rows.append((f"{'→' if outgoing else '←'} {link.type:<12} {title}", other_id))
    rows += [(f"· {hop} hops{'':<7} {other.title}", other.id) for other, hop in nearby if hop > 1]
    return rows


class DetailScreen(Screen[None]):
    """An entry; tab reaches its links, enter on one opens that entry."""

    BINDINGS = [
        Binding("escape,q", "back", "Back", key_display="q", priority=True),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("space", "page", "Page down", show=False),
        Binding("g", "edge(False)", "Top", show=False),
        Binding("G", "edge(True)", "Bottom", show=False),
        Binding("e", "edit", "Edit", priority=True),
        Binding("E", "edit_external", "$EDITOR", show=False, priority=True),
        Binding("l", "link", "Link", priority=True),
        Binding("S", "similar", "Similar", priority=True),
        Binding("x", "deprecate", "Deprecate", show=False, priority=True),
        Binding("d", "delete", "Delete", priority=True),
        Binding("question_mark", "app.help", "Help"),
    ]

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.entry: Entry | None = None
        self.targets: dict[str, str] = {}
        self.gone = False
        self.leaving = False
        self.similar_shown = False

    @property
    def rekall(self) -> RekallApp:
        return cast("RekallApp", self.app)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-title", markup=False)
            yield Static("", id="detail-meta", markup=False)
            yield Markdown("", id="detail-content")
            yield Static("", id="detail-context", markup=False)
        yield Static("Links and related · tab, then enter to open", id="detail-links-title")
        yield OptionList(id="detail-links")
        yield Footer()

    def on_mount(self) -> None:
        self.load(record_access=True)
        self.set_focus(self.query_one("#detail-body"))

    def load(self, record_access: bool = False) -> None:
        """Read the entry, its links and neighbours again; leave if it cannot be read."""
        service = self.rekall.service
        try:
            entry = service.get(self.entry_id, record_access=record_access)
            links = service.links(entry.id)
            nearby = service.related(entry.id, RELATED_DEPTH)
        except NotFoundError:
            shown = self.entry
            name = f"“{shown.title}”" if shown is not None else f"Entry {self.entry_id}"
            self.app.notify(f"{name} was deleted elsewhere.", timeout=6)
            self.leave()
            return
        except RekallError as exc:
            report_error(self.app, exc)
            self.leave()
            return
        self.entry = entry
        self.query_one("#detail-title", Static).update(Text(entry.title, style="bold"))
        self.query_one("#detail-meta", Static).update(meta_text(entry))
        self.query_one("#detail-content", Markdown).update(entry.content or "*No content.*")
        story = self.query_one("#detail-context", Static)
        story.update(context_text(entry))
        story.display = entry.context is not None
        self._set_links(link_rows(entry, links, nearby))

    def _set_links(self, rows: list[tuple[str, str]]) -> None:
        self.targets = {f"link-{n}": entry_id for n, (_, entry_id) in enumerate(rows)}
        options = [Option(Text(label), id=f"link-{n}") for n, (label, _) in enumerate(rows)]
        if not options:
            options = [Option("No links yet: press l to link this entry.", disabled=True)]
        self.query_one("#detail-links", OptionList).set_options(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        target = self.targets.get(event.option.id or "")
        if target:
            self.rekall.open_entry(target)

    def action_similar(self) -> None:
        if self.entry is None:
            return
        if self.similar_shown:
            self.query_one("#detail-links", OptionList).focus()
            return
        self.notify("Looking for similar entries…", timeout=2)
        entry_id = self.entry.id
        run_in_thread(
            self.app,
            lambda: [r.entry for r in self.rekall.service.similar(entry_id, SIMILAR_LIMIT).results],
            self._show_similar,
            group="similar",
        )

    def _show_similar(self, entries: list[Entry]) -> None:
        if not self.is_attached:
            return
        if not entries:
            self.notify("No similar entries found.")
            return
        self.similar_shown = True
        links = self.query_one("#detail-links", OptionList)
        shown = set(self.targets.values())
        if not shown:
            links.clear_options()  # only the "No links yet" line was there
        start = len(self.targets)
        links.add_option(Option("Similar in meaning", disabled=True))
        for n, entry in enumerate(entries, start=start):
            if entry.id in shown:
                continue
            self.targets[f"link-{n}"] = entry.id
            links.add_option(Option(Text(f"≈ {entry.type:<12} {entry.title}"), id=f"link-{n}"))
        links.focus()

    def leave(self) -> None:
        """Close this screen now if it is on top, else as soon as it comes back on top.

        dismiss() pops whatever screen is on top, so it must run once, and only then.
        """
        self.gone = True
        # The screen on top, not is_current: that also holds for a screen seen under a
        # dialog, and dismiss() would close the dialog instead.
        if self.app.screen is self and not self.leaving:
            self.leaving = True
            self.dismiss()

    def on_entries_changed(self, message: EntriesChanged) -> None:
        if self.gone or message.deleted == self.entry_id:
            self.leave()
        else:
            self.similar_shown = False
            self.load()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.gone:
            self.leave()

    def action_back(self) -> None:
        self.dismiss()

    def action_move(self, step: int) -> None:
        """j and k: the next or previous link when the links have the focus, else scroll."""
        links = self.query_one("#detail-links", OptionList)
        if links.has_focus:
            links.action_cursor_down() if step > 0 else links.action_cursor_up()
        else:
            self.query_one("#detail-body", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_page(self) -> None:
        self.query_one("#detail-body", VerticalScroll).scroll_page_down(animate=False)

    def action_edge(self, end: bool) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        body.scroll_end(animate=False) if end else body.scroll_home(animate=False)

    def action_edit(self) -> None:
        self.rekall.edit_entry(self.entry_id)

    def action_edit_external(self) -> None:
        self.rekall.edit_in_editor(self.entry_id)

    def action_link(self) -> None:
        self.rekall.link_entry(self.entry_id)

    def action_deprecate(self) -> None:
        self.rekall.deprecate_entry(self.entry_id)

    def action_delete(self) -> None:
        self.rekall.delete_entry(self.entry_id)
