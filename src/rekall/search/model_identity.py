"""Which weights are loaded: a fingerprint of the file and a self-check of what they compute."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rekall.core.errors import ModelError
from rekall.search.model_files import MODEL_ID, PUBLISHED_SHA256

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SELF_CHECK_TEXT = "CORS fails on Safari when credentials are not included"
# What sentence-transformers computes for SELF_CHECK_TEXT with the published weights
# (tests/fixtures/reference_vectors), as little-endian float32.
SELF_CHECK_VECTOR = (
    "/j6yvQtR9rwLtBy9zGCPvY9xjLuYSqq9YKBDvQDglb2vTny79CQCvXubij3AF+u8w4GTva/Unj2JYZg9+Rf5O0Vp"
    "FLwCGIi9hoZvPUUPNb3CRWy9v9hVPDhynrxEDIo9dPvgu+0feb2XsIS9Ve+8OmRE+TzokFg9twV/PRxbqrx9qou9"
    "Mt8CPWrMdb2GEb+7rs+KPQBrlbxHoj09rkOCPCkc3Lzt47E9+0DCPMpxuD1xp0G8TpcBvTww3zuiEJK6RmecvOPA"
    "iTxukQO9rp5nPIEOgL1C8Iq91mUHvvsdND2W1wE8eOGpuyYmJj6MTVI9+tgjvLnMf72Cym09/mtUPeRMKb0z0Au9"
    "f9XSO4hcYTtET4y9z4mAPbs3ET0wrZm8Up2KvQnELr26k8a8iP9bPeP7i72nBA+9cWq2PHK1U7wLyzc9+Q2YPILU"
    "CD0ds7Y9HV/VPUmjWzutJlq9U6USvR5A87xiSsa6nG0mPYkC2L1aWh45fsI2Pfq9VL2x3JU7f46PPeBMoD18JnS9"
    "nI1NvF4g+byUALK8Q/chPasbAjx3lYw8w8XoPEexpz2XrtQ9iWQ/PqF6DD4qhPq8oKtJPQgTajwaPuy8S+mRPDAC"
    "Rz35Kue8H9M7PavKtD3sxNU8XiTvPPsjurw+rga9ub53vWaTlD04nJW9USexPUJZmYg7rzy9NIMaPZeulTyJLwo9"
    "byVzudlci71c5o899tTkvCqV2LxsgOe7wisTPSEg3zxLmrG89+MIvWwsH7szztM8R0KIPP+X7Ly4biI9H79APVM1"
    "l7sJPGY97rE8PQltcT0veoi9Ta5gPKvN6Lx8pac8VcXyvK7OybovtkI9dWy1ue7KQD3DoE08vwqaPWB+L7tc6I49"
    "cqQRvW8Xjr3vezG9uJLwvNPVPb2zegC9yzhlPDu6q7w//qq9VKo/vJkVFD3rnW48TWrWPXuPKr71kzA8EoS8vc5P"
    "0jw4BvO7HjJ1PKpoQb2LXdm7CkGovVkA2L2X0xw9QNWFupLgIrxL1mu9f7iHOi+wqL3YG5c9DqJYvHlzujxoT7u6"
    "I+yYvC/dOz19qmi9ZYtGPVmKGr1kFFO9y7koPfTiVD3/bFC8uKZfPSA0aj2mon082mkNPQNUrz3Ij/i7xlpoPRiK"
    "Tj0MzVo9yNAdvVjwpD1OH+89CzIUPXeHtzw4rgk8+6iwvcU404i1lCq9Y1Revb5qrj2PLwO9BGyUvQb0cD0UV1M9"
    "k7SWvMr8XzxztFG9MCcQPdoaMDy6X/k83aqJPGmERTscoOM8BE6GvcCWDj1d9dk7IiAuPICi/j15Lls9QEdoO+zG"
    "2DwqL8s78cxyPPmOdrwEOGK8mT2cvPgydzwHPps9HONZPaDSNr0Tjpy93QzRvEQelr0EyFu9RzTQPUMbX73Vgd+8"
    "C0I1Peivlbx96Dy9QHPcvNCjjj2/pOa8400jPdUcBD0TzBC9e/+1PYIjlbyP7aG8aqETvQWyOb22AUU7XRQPvMBt"
    "uLzLSwO+0W2RPZHojb1/HzA9jPvNu2A1Lr3KSgI8yv2LO+6RFLtrcfO8+b0aPf7Tbz32gTo9wqOuvN6SoDpCdQY9"
    "Fzeeva4Vaj3CcGI8v4+VvR4UNL3CKZC9d5Q2PMvnKb2YI5g9DwPwu4VKnr19iDA95C4CvWYZ6TqU5a27bRIpvU1n"
    "17wD20A8ASpoPHf4ijzczau888kvvfP8eLI++hi95A93PUejtLww+kW9ls5DvJ+IET3S8m68usnkvaVLe71mRRs9"
    "Ck2pPIeTlrxL1aA7KbD4O7qjhL3nnB+9RvJ1vGcTMD2i8Xg8Jwn6vWoEOr1DmQm9IqOIPZ7MGT3mQPO8nTC6PcRe"
    "m7z3dZo9UdEHOx/ylzvmBre9K8q9O5/ZmzxuAOG9NQ7AvN6XhztrWZg7f6FEvfEFP71ToHC95hirvRYKC716tK47"
    "9mGyPKZFLz0uTZY9qGzXPA7DVz2FihY9Mp1evS/G8DzkErK9OgooPSQmBD3Ay/E8gJxqvZOmWz3ZB5W8IYxdvdAg"
    "b73XIGE9xfqUvdKdvrz0YiK8"
)
# The numpy engine matches sentence-transformers to 1e-6; corrupt weights land far below.
SELF_CHECK_MIN_COSINE = 0.999
CACHE_FORMAT = 1


class WeightsIdentity(NamedTuple):
    """The weights' sha256, the model id their vectors are stored under, the self-check."""

    sha256: str
    model_id: str
    cosine: float


def model_id_for(sha256: str) -> str:
    """The plain model id for the published weights, else the id with a fingerprint."""
    return MODEL_ID if sha256 == PUBLISHED_SHA256 else f"{MODEL_ID}@{sha256[:16]}"


def cached_identity(weights: Path, cache_file: Path) -> WeightsIdentity | None:
    """The identity verified earlier for this exact file (path, size, mtime, inode), if any.

    Costs a stat() and a small JSON read, so a cold start does not hash 90 MB again.
    Raises ModelError when this exact file failed its self-check before.
    """
    entry = _read_cache(cache_file).get(str(weights.resolve()))
    try:
        key = _file_key(weights)
    except OSError:
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    try:
        identity = WeightsIdentity(
            str(entry["sha256"]), model_id_for(str(entry["sha256"])), float(entry["cosine"])
        )
    except (KeyError, TypeError, ValueError):
        return None
    _raise_if_failed(weights, identity)
    return identity


def verify_weights(
    weights: Path, embed: Callable[[Sequence[str]], NDArray[np.float32]], cache_file: Path
) -> WeightsIdentity:
    """Hash the weights and embed the self-check sentence; remember the outcome for this file.

    Raises ModelError when the vector is not the reference one (corrupt or other weights).
    """
    import hashlib

    import numpy as np

    key = _file_key(weights)
    digest = hashlib.sha256()
    with weights.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    import base64  # only the self-check decodes its reference

    reference = np.frombuffer(base64.b64decode("".join(SELF_CHECK_VECTOR)), dtype="<f4")
    # Broken weights overflow to inf and NaN: that is the failure being tested for, not news.
    with np.errstate(all="ignore"):
        cosine = float(np.dot(embed([SELF_CHECK_TEXT])[0], reference))
    identity = WeightsIdentity(digest.hexdigest(), model_id_for(digest.hexdigest()), cosine)
    if _file_key(weights) == key:  # not replaced while it was read
        _remember(cache_file, weights, key, identity)
    _raise_if_failed(weights, identity)
    return identity


def _raise_if_failed(weights: Path, identity: WeightsIdentity) -> None:
    if not identity.cosine >= SELF_CHECK_MIN_COSINE:  # NaN (broken weights) fails too
        raise ModelError(
            f"{weights} fails the self-check: a fixed sentence embeds to a vector at cosine "
            f"{identity.cosine:.3f} from {MODEL_ID}'s (expected >= {SELF_CHECK_MIN_COSINE}). "
            "The weights are corrupt or another model's; delete the folder and get the model "
            "again (rekall model status says where it is)."
        )


def _file_key(path: Path) -> list[Any]:
    status = path.stat()
    return [status.st_size, status.st_mtime_ns, status.st_ino]


def _read_cache(cache_file: Path) -> dict[str, Any]:
    try:
        body = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(body, dict) or body.get("format") != CACHE_FORMAT:
        return {}
    files = body.get("files")
    return files if isinstance(files, dict) else {}


def _remember(cache_file: Path, weights: Path, key: list[Any], identity: WeightsIdentity) -> None:
    """Best effort: without the cache the next start verifies again, nothing worse."""
    files = _read_cache(cache_file)
    files[str(weights.resolve())] = {
        "key": key,
        "sha256": identity.sha256,
        "cosine": identity.cosine,
    }
    temporary = cache_file.with_name(f".{cache_file.name}.{os.urandom(4).hex()}.tmp")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"format": CACHE_FORMAT, "files": files}), "utf-8")
        os.replace(temporary, cache_file)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
