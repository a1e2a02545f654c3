"""One entry on one line of the list: column widths, ages, the column the list is sorted by."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from rekall.core.entries import Entry

# (header, width at 80 columns, share of any extra width); the title takes what is left.
# The last field says what the list is sorted by (see SORT_FIELDS).
FIELDS: tuple[tuple[str, int, float], ...] = (
    ("Type", 9, 0.0),
    ("Title", 0, 0.0),
    ("Tags", 13, 0.25),
    ("Project", 10, 0.125),
    ("Updated", 10, 0.0),
)
# The last column's header for each sort; sorts not named here show when it was updated.
SORT_FIELDS = {"created": "Created", "accessed": "Opened", "confidence": "Confidence"}
NARROW = 80
MAX_WIDENING = 16
GAP = "  "
MIN_TITLE_WIDTH = 16
# The scrollbar, and the one-cell padding each side of the table's single column.
CHROME_WIDTH = 4
# (seconds, unit): ages are shown in the largest unit they reach, e.g. "3 d ago".
AGE_UNITS: tuple[tuple[int, str], ...] = (
    (365 * 86400, "y"),
    (30 * 86400, "mo"),
    (7 * 86400, "wk"),
    (86400, "d"),
    (3600, "h"),
    (60, "min"),
)

Widths = tuple[int, ...]


def fit(value: str, width: int) -> str:
    """value padded or cut (with an ellipsis) to exactly width terminal cells."""
    if cell_len(value) > width:
        return set_cell_size(value, width - 1) + "…"
    return set_cell_size(value, width)


def widths_for(total: int) -> Widths:
    """Each field's width in a table total cells wide: tags and project widen a little on a
    wide terminal, the title takes the rest."""
    extra = max(0, total - NARROW)
    widths = [width + min(MAX_WIDENING, int(extra * share)) for _, width, share in FIELDS]
    used = sum(widths) + len(GAP) * (len(FIELDS) - 1) + CHROME_WIDTH
    widths[1] = max(MIN_TITLE_WIDTH, total - used)
    return tuple(widths)


def line_of(values: list[str], widths: Widths, style: str = "") -> Text:
    """One row (or the header): the fields at their widths, separated by a gap."""
    return Text(GAP.join(fit(v, w) for v, w in zip(values, widths, strict=True)), style=style)


def field_at(x: int, widths: Widths) -> str | None:
    """The header of the field at cell x of the table (None in a gap or the padding)."""
    start = 1  # the column's padding cell
    for (label, _, _), width in zip(FIELDS, widths, strict=True):
        if start <= x < start + width:
            return label  # the sort column answers to its first name
        start += width + len(GAP)
    return None


def utc_now() -> datetime:
    """Now, for ages (tests pin entry_table.utc_now, the name the table calls)."""
    return datetime.now(timezone.utc)


def age(stamp: str | None, now: datetime) -> str:
    """How long ago an ISO timestamp was, like "3 d ago" ("never" for None)."""
    if not stamp:
        return "never"
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp[:10]
    if then.tzinfo is None:  # Rekall 0.3 wrote naive UTC times; imports keep them as they were
        then = then.replace(tzinfo=timezone.utc)
    seconds = (now - then).total_seconds()
    for size, unit in AGE_UNITS:
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def sort_value(entry: Entry, sort: str, now: datetime) -> str:
    """The last column's value: what the list is sorted by."""
    if sort == "created":
        return age(entry.created_at, now)
    if sort == "accessed":
        return f"{entry.access_count}×"
    if sort == "confidence":
        return f"{entry.confidence}/5"
    return age(entry.updated_at, now)


def entry_line(
    entry: Entry, widths: Widths, sort: str = "updated", now: datetime | None = None
) -> Text:
    """The row of one entry; deprecated entries say so in words, not only in colour."""
    deprecated = entry.status == "deprecated"
    title = f"[deprecated] {entry.title}" if deprecated else entry.title
    when = sort_value(entry, sort, now or utc_now())
    values = [entry.type, title, ", ".join(entry.tags), entry.project or "", when]
    return line_of(values, widths, "dim" if deprecated else "")


def headers_for(sort: str) -> list[str]:
    """The column headers, the last one named after the sort."""
    labels = [label for label, _, _ in FIELDS]
    labels[-1] = SORT_FIELDS.get(sort, labels[-1])
    return labels
