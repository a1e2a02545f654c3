"""The stored fields of an entry, in the order every export writes them."""

# The JSON and Markdown writers follow this order. It lives apart from records.py so that
# reading rows (as a search does) does not build the record classes.
ENTRY_FIELDS = (
    "id",
    "type",
    "title",
    "content",
    "tags",
    "project",
    "status",
    "confidence",
    "superseded_by",
    "created_at",
    "updated_at",
    "access_count",
    "last_accessed",
    "memory_type",
    "consolidation_score",
    "next_review",
    "review_interval",
    "ease_factor",
    "review_repetitions",
    "centrality_score",
    "created_by",
    "updated_by",
    "context",
)
