"""Entries and links: the domain records and the rules that make them valid."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from rekall.core.context import EntryContext, embedding_part
from rekall.core.errors import ValidationError

ENTRY_TYPES = ("bug", "pattern", "decision", "pitfall", "config", "reference", "snippet", "til")
STATUSES = ("active", "deprecated")
LINK_TYPES = ("related", "supersedes", "derived_from", "contradicts")
MAX_TITLE_CHARS = 300
MAX_CONTENT_BYTES = 1_000_000
MAX_TAGS = 50
MAX_TAG_CHARS = 64
MAX_PROJECT_CHARS = 100
# The embedder reads 256 tokens (~1,000 characters); past this a query is a paste gone
# wrong, and keyword search over its every word would hold a server for minutes.
MAX_QUERY_CHARS = 10_000
MAX_SEARCH_LIMIT = 1000
CONFIDENCE_RANGE = (0, 5)
DEFAULT_CONFIDENCE = 3


class NewEntry(NamedTuple):
    """What a user supplies to create an entry, already validated."""

    type: str
    title: str
    content: str = ""
    tags: tuple[str, ...] = ()
    project: str | None = None
    confidence: int = DEFAULT_CONFIDENCE
    context: EntryContext | None = None

    def embedding_text(self) -> str:
        """The text whose meaning is embedded, as for the stored entry."""
        return compose_embedding_text(
            self.title, self.tags, self.content, embedding_part(self.context)
        )


class Entry(NamedTuple):
    """A stored entry as read back from the database."""

    id: str
    type: str
    title: str
    content: str
    tags: tuple[str, ...]
    project: str | None
    status: str
    confidence: int
    created_at: str
    updated_at: str
    superseded_by: str | None = None
    access_count: int = 0
    last_accessed: str | None = None
    context: EntryContext | None = None
    created_by: str | None = None
    updated_by: str | None = None

    def embedding_text(self) -> str:
        """The text whose meaning is embedded: title, tags, content, situation and solution."""
        return compose_embedding_text(
            self.title, self.tags, self.content, embedding_part(self.context)
        )


class Link(NamedTuple):
    """A typed, directed relation between two entries."""

    source_id: str
    target_id: str
    type: str
    reason: str | None
    created_at: str


def compose_embedding_text(title: str, tags: Iterable[str], content: str, context: str = "") -> str:
    """Join the fields that carry meaning; the title first, as it is the densest.

    context is the situation and solution of the entry's context; without one the text
    (and so its hash) is what it was before context was embedded.
    """
    tag_line = ", ".join(tags)
    parts = [title.strip(), tag_line, content.strip(), context.strip()]
    return "\n".join(part for part in parts if part)


def content_hash(text: str) -> str:
    """A short stable fingerprint of embedded text: unchanged text is never re-embedded."""
    import hashlib  # OpenSSL loads in ~3 ms; a search never hashes

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def validate_type(value: str) -> str:
    """Return the entry type in lower case. Raises ValidationError naming the valid types."""
    lowered = value.strip().lower()
    if lowered not in ENTRY_TYPES:
        raise ValidationError(f"unknown entry type '{value}'; use one of: {', '.join(ENTRY_TYPES)}")
    return lowered


def validate_title(value: str) -> str:
    """Return the stripped title. Raises ValidationError when empty, too long or binary."""
    _reject_binary(value, "title")
    title = " ".join(value.split())
    if not title:
        raise ValidationError(
            "the title is empty; give a short summary such as 'CORS fails on Safari'"
        )
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(
            f"the title has {len(title)} characters; keep it under {MAX_TITLE_CHARS} "
            "and put details in the content"
        )
    return title


def validate_content(value: str) -> str:
    """Return the content unchanged. Raises ValidationError past the size limit or on NUL."""
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > MAX_CONTENT_BYTES:
        raise ValidationError(
            f"the content is {size:,} bytes; the limit is {MAX_CONTENT_BYTES:,} bytes. "
            "Store a summary and link to the full document"
        )
    if "\x00" in value:
        raise ValidationError("the content contains a NUL character; remove binary data")
    _reject_surrogates(value, "content")
    return value


def validate_tags(values: Iterable[str]) -> tuple[str, ...]:
    """Return tags lower-cased, stripped, de-duplicated and sorted. Raises ValidationError."""
    tags: set[str] = set()
    for raw in values:
        for piece in raw.split(","):
            tag = piece.strip().lower()
            if not tag:
                continue
            if len(tag) > MAX_TAG_CHARS or any(c.isspace() for c in tag):
                raise ValidationError(
                    f"invalid tag '{tag}': tags are single words of at most {MAX_TAG_CHARS} "
                    "characters, separated by commas"
                )
            _reject_binary(tag, "tag")
            tags.add(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"{len(tags)} tags given; the limit is {MAX_TAGS}")
    return tuple(sorted(tags))


def validate_project(value: str | None) -> str | None:
    """Return the project name, whitespace collapsed, or None. Raises ValidationError."""
    if value is None:
        return None
    # Collapsed like titles: a raw newline would split every one-line listing.
    project = " ".join(value.split())
    if not project:
        return None
    if len(project) > MAX_PROJECT_CHARS:
        raise ValidationError(f"the project name is longer than {MAX_PROJECT_CHARS} characters")
    _reject_binary(project, "project")
    return project


def validate_confidence(value: int) -> int:
    """Return the confidence. Raises ValidationError unless a whole number in 0..5."""
    low, high = CONFIDENCE_RANGE
    # bool is an int subclass; a library caller passing True means a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(
            f"confidence {value} is out of range; use a whole number {low}-{high}"
        )
    return value


def validate_status(value: str) -> str:
    """Return the status in lower case. Raises ValidationError naming the valid ones."""
    lowered = value.strip().lower()
    if lowered not in STATUSES:
        raise ValidationError(f"unknown status '{value}'; use one of: {', '.join(STATUSES)}")
    return lowered


def validate_link_type(value: str) -> str:
    """Return the link type in lower case. Raises ValidationError naming the valid ones."""
    lowered = value.strip().lower().replace("-", "_")
    if lowered not in LINK_TYPES:
        raise ValidationError(f"unknown link type '{value}'; use one of: {', '.join(LINK_TYPES)}")
    return lowered


def validate_reason(value: str | None) -> str | None:
    """Return the stripped link reason or None. Raises ValidationError on bad text."""
    if value is None or not value.strip():
        return None
    reason = value.strip()
    if len(reason) > MAX_TITLE_CHARS * 4:
        raise ValidationError(f"the link reason is longer than {MAX_TITLE_CHARS * 4} characters")
    if "\x00" in reason:
        raise ValidationError("the link reason contains a NUL character")
    _reject_surrogates(reason, "link reason")
    return reason


def validate_query(value: str) -> str:
    """Return the query unchanged. Raises ValidationError when empty, too long or not UTF-8."""
    if not value.strip():
        raise ValidationError("the query is empty; type what you are looking for")
    if len(value) > MAX_QUERY_CHARS:
        raise ValidationError(
            f"the query has {len(value):,} characters; the limit is {MAX_QUERY_CHARS:,}. "
            "Search for the distinctive part (an error line, an identifier)"
        )
    _reject_surrogates(value, "query")
    return value


def supersession_cycles(superseded_by: dict[str, str]) -> list[tuple[str, ...]]:
    """Every ring of entries superseding one another, each once, from its smallest id.

    A ring has no newest entry to send a reader to, so deprecating into one is refused.
    """
    cycles: set[tuple[str, ...]] = set()
    for start in superseded_by:
        chain = [start]
        current = superseded_by.get(start)
        while current is not None and current not in chain and len(chain) <= len(superseded_by):
            chain.append(current)
            current = superseded_by.get(current)
        if current is not None and current in chain:
            ring = chain[chain.index(current) :]
            first = ring.index(min(ring))
            cycles.add(tuple(ring[first:] + ring[:first]))
    return sorted(cycles)


def build_new_entry(
    type: str,
    title: str,
    content: str = "",
    tags: Iterable[str] = (),
    project: str | None = None,
    confidence: int = DEFAULT_CONFIDENCE,
    context: EntryContext | None = None,
) -> NewEntry:
    """Validate every field and return a NewEntry. Raises ValidationError on the first bad field."""
    return NewEntry(
        context=context,
        type=validate_type(type),
        title=validate_title(title),
        content=validate_content(content),
        tags=validate_tags(tags),
        project=validate_project(project),
        confidence=validate_confidence(confidence),
    )


def validate_filter_text(value: str, what: str) -> str:
    """Return a filter value (a project or tag to match) as given. Raises ValidationError on
    NUL or a lone surrogate, which no stored value holds and the database cannot take."""
    _reject_binary(value, what)
    return value


def _reject_binary(value: str, what: str) -> None:
    """NUL and lone surrogates come from binary input; NUL also cuts text short in SQLite."""
    if "\x00" in value:
        raise ValidationError(f"the {what} contains a NUL character; remove binary data")
    _reject_surrogates(value, what)


def _reject_surrogates(value: str, what: str) -> None:
    """Lone surrogates come from undecodable bytes and cannot be stored as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"the {what} is not valid UTF-8 text") from exc


class EntryFilter(NamedTuple):
    """Which entries a search or listing may return; applied before any top-k."""

    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    project: str | None = None
    status: str | None = "active"

    @property
    def is_empty(self) -> bool:
        return not self.types and not self.tags and self.project is None and self.status is None
