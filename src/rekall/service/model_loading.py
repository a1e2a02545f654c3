"""Finding the model files as configured and loading them as a verified embedder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from rekall import paths
from rekall.config import Config
from rekall.search.model_files import MODEL_ID, ModelLocation, locate_model
from rekall.search.model_identity import cached_identity, verify_weights

if TYPE_CHECKING:
    from rekall.search.embedder import BatchEngine, Embedder


def find_model(config: Config) -> ModelLocation:
    """Locate the model files as configured. Raises ModelError naming every place looked at."""
    explicit = os.environ.get("REKALL_MODEL_PATH") or config.model_path
    source: Literal["config", "env"] = "env" if os.environ.get("REKALL_MODEL_PATH") else "config"
    return locate_model(
        paths.cache_dir() / "models",
        Path(explicit).expanduser() if explicit else None,
        source,
        config.allow_download,
    )


def verified_weights_cache() -> Path:
    """Where the fingerprints and self-checks of weights files already verified are kept."""
    return paths.cache_dir() / "models" / "verified-weights.json"


def load_verified(location: ModelLocation, bulk_engine: str) -> tuple[Embedder, str]:
    """The embedder for the weights at location, and the model id their fingerprint names.

    Weights are identified by fingerprint and self-checked once per file. Raises ModelError
    when the model is missing, corrupt or fails the self-check.
    """
    from rekall.search.embedder import MiniLMEmbedder, load_embedder

    weights, cache = location.path / "model.safetensors", verified_weights_cache()
    identity = cached_identity(weights, cache)
    models_cache = cache.parent
    embedder = load_embedder(location, identity.model_id if identity else MODEL_ID, models_cache)
    if identity is None:
        try:
            identity = verify_weights(weights, embedder.embed, cache)
        finally:
            if identity is None or identity.model_id != MODEL_ID:
                embedder.close()
        if identity.model_id != MODEL_ID:
            embedder = load_embedder(location, identity.model_id, models_cache)
    if bulk_engine != "numpy" and isinstance(embedder, MiniLMEmbedder):
        embedder.batch_engine = cast("BatchEngine", bulk_engine)
    return embedder, identity.model_id
