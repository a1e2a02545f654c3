"""What `rekall stats` shows about the model manager's model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelStatus:
    """What `rekall stats` shows about the model."""

    loaded: bool
    loading: bool
    loads: int
    unloads: int
    idle_seconds: float | None
    idle_timeout_seconds: float | None
    idle_errors: int = 0
