"""Synthetic developer knowledge for `rekall test generate`: realistic entries and links."""

from __future__ import annotations

from rekall.testdata.generator import generate_entries
from rekall.testdata.links import plan_links

__all__ = ["generate_entries", "plan_links"]
