"""Checks of a setting against this machine, run by `rekall config set` before it writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rekall.core.errors import ConfigError, ModelError, StorageError


def check_setting(name: str, value: Any) -> None:
    """Refuse a value the next command would fail on, with the same message it would give:
    a database_url that is not a PostgreSQL URL psycopg can read, a model_path without the
    model's files, a bulk_engine that cannot run here. Raises ConfigError."""
    try:
        if name == "database_url" and value.strip():
            from rekall.storage.postgres.connection import check_url

            check_url(value.strip())
        elif name == "model_path" and value:
            from rekall.search.model_files import verify_model_dir

            verify_model_dir(Path(value).expanduser(), "model_path")
        elif name == "bulk_engine" and value != "numpy":
            from rekall.search.onnx_engine import check_runnable

            check_runnable(int8=value == "onnx-int8")
    except (StorageError, ModelError) as error:
        raise ConfigError(str(error)) from None
