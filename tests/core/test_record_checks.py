"""Checks of untrusted entry fields from import files: what they accept and what they refuse."""

from __future__ import annotations

import pytest

from rekall.core.errors import ValidationError
from rekall.core.record_checks import check_context


def test_the_text_backslash_u0000_in_a_context_is_kept_not_taken_for_nul() -> None:
    # A developer writing about NUL bytes types the six characters \u0000; the fuzz of valid
    # import files found them refused as "contains a NUL character".
    structured = {"situation": "the log shows \\u0000 where the name should be", "n": [1]}
    context = check_context({"structured": structured}, "entry 1")
    assert context is not None and context.structured == structured


@pytest.mark.parametrize(
    "structured",
    [
        {"situation": "a\x00b"},
        {"a\x00": "key with NUL"},
        {"deep": [{"deeper": ["x", {"deepest": "\x00"}]}]},
        {"escaped": "\\\x00"},
    ],
    ids=["value", "key", "nested", "after-a-backslash"],
)
def test_a_nul_anywhere_in_the_structured_context_is_refused(structured: object) -> None:
    with pytest.raises(ValidationError, match="entry 1.structured: contains a NUL character"):
        check_context({"structured": structured}, "entry 1")
