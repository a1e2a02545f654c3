"""Downloading the model from the Hugging Face hub into the cache: pinned, verified, atomic."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from rekall.core.errors import ModelError
from rekall.search.model_files import (
    CACHE_FOLDER,
    MODEL_ID,
    PUBLISHED_SHA256,
    REQUIRED_FILES,
    REVISION,
    verify_model_dir,
)

_STAGING_PREFIX = f".{CACHE_FOLDER}."
_STAGING_SUFFIX = ".partial"
_STALE_STAGING_SECONDS = 24 * 3600


def download_model(cache_dir: Path) -> Path:
    """Download the model into `cache_dir` atomically and return its folder.

    The files go to a temporary folder beside the target, are verified, then renamed into
    place, so an interrupted or broken download never becomes the cache.
    Raises ModelError when the download or the verification fails.
    """
    import shutil  # with tempfile, only for a download: a search never needs them
    import tempfile

    target = cache_dir / CACHE_FOLDER
    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_downloads(cache_dir)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, suffix=_STAGING_SUFFIX, dir=cache_dir))
    try:
        _fetch_files(staging)
        shutil.rmtree(staging / ".cache", ignore_errors=True)
        verify_model_dir(staging, "the downloaded model")
        _check_published_weights(staging / "model.safetensors")
        _check_tokenizer_loads(staging / "tokenizer.json")
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _remove_stale_downloads(cache_dir: Path) -> None:
    """Delete staging folders left by killed downloads (old enough not to be in progress)."""
    import shutil

    cutoff = time.time() - _STALE_STAGING_SECONDS
    for folder in cache_dir.glob(f"{_STAGING_PREFIX}*{_STAGING_SUFFIX}"):
        with contextlib.suppress(OSError):
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)


def _fetch_files(folder: Path) -> None:
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as error:
        raise ModelError(
            "huggingface_hub is not installed, so the model cannot be downloaded."
        ) from error
    for name in REQUIRED_FILES:
        try:
            hf_hub_download(repo_id=MODEL_ID, filename=name, revision=REVISION, local_dir=folder)
        except Exception as error:  # the hub raises many types (HTTP, OS, offline): report any
            raise ModelError(
                f"could not download {name}: {type(error).__name__}: {error}"
            ) from error


def _check_published_weights(file: Path) -> None:
    """The downloaded weights must be byte for byte the pinned revision's.

    Raises ModelError otherwise (a tampered mirror, a broken proxy, a truncated transfer).
    """
    import hashlib

    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != PUBLISHED_SHA256:
        raise ModelError(
            f"the downloaded {file.name} has sha256 {digest.hexdigest()}, not the published "
            f"{PUBLISHED_SHA256} of revision {REVISION}; it was not used."
        )


def _check_tokenizer_loads(file: Path) -> None:
    from tokenizers import Tokenizer

    try:
        Tokenizer.from_file(str(file))
    except Exception as error:  # tokenizers raises a bare Exception on a bad file
        raise ModelError(f"{file} does not load as a tokenizer ({error}).") from error


def _move_into_place(staging: Path, target: Path) -> None:
    try:
        os.replace(staging, target)
    except OSError as error:
        # Another process may have finished the same download first: use its copy if sound.
        if target.is_dir():
            verify_model_dir(target, "the model cache (delete the folder to download it again)")
            return
        raise ModelError(f"could not move the downloaded model to {target}: {error}") from error
