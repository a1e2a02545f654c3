"""The pure-Python ASCII tokenizer gives the ids `tokenizers` gives; its cache is vouched for."""

from __future__ import annotations

import json
import string
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekall.search.tokenizing import MAX_TOKENS, load_reference_tokenizer, load_tokenizer
from rekall.search.wordpiece import AsciiWordPiece, load_ascii_wordpiece

pytestmark = pytest.mark.model
REFERENCE = Path(__file__).parents[1] / "fixtures" / "reference_vectors" / "reference_vectors.json"
EVAL_QUERIES = [
    "browser blocks cross-origin request",
    "ENOSPC",
    "useEffect dependency array",
    "how do I keep a job running after logout?",
    "git rebase --onto main HEAD~3",
    "TypeError: Cannot read properties of undefined (reading 'map')",
    "k8s pod CrashLoopBackOff (exit code 137) -- OOMKilled!!",
    "C:\\Users\\dev\\AppData\\Local\\Temp\\x.log",
    "a" * 101,
    "supercalifragilisticexpialidocious_snake_case_identifierWithCamelCase42",
    "tab\tnewline\nreturn\rnul\x00bell\x07del\x7fvt\x0bff\x0cunit\x1f",
]
SLICE = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def tokenizer_file(real_model_dir: Path) -> Path:
    return real_model_dir / "tokenizer.json"


@pytest.fixture(scope="module")
def ascii_path(tokenizer_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsciiWordPiece:
    found = load_ascii_wordpiece(tokenizer_file, tmp_path_factory.mktemp("wordpiece"))
    assert found is not None, "the published tokenizer must take the ASCII path"
    return found


@pytest.fixture(scope="module")
def reference(tokenizer_file: Path) -> Any:
    return load_reference_tokenizer(tokenizer_file)


def reference_ids(reference: Any, text: str) -> list[int]:
    ids: list[int] = reference.encode(text).ids
    return ids


def test_queries_and_reference_texts_match(ascii_path: AsciiWordPiece, reference: Any) -> None:
    texts = [*EVAL_QUERIES, *json.loads(REFERENCE.read_text("utf-8"))["texts"]]
    compared = 0
    for text in texts:
        got = ascii_path.encode(text, MAX_TOKENS)
        if got is not None:
            assert got == reference_ids(reference, text), text
            compared += 1
    assert compared >= len(EVAL_QUERIES) + 40


def test_long_texts_are_truncated_like_the_reference(
    ascii_path: AsciiWordPiece, reference: Any
) -> None:
    text = "Connection pool exhausted; retry with exponential backoff. " * 60
    got = ascii_path.encode(text, MAX_TOKENS)
    assert got is not None and len(got) == MAX_TOKENS
    assert got == reference_ids(reference, text)


@SLICE
@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_any_ascii_text_matches(ascii_path: AsciiWordPiece, reference: Any, text: str) -> None:
    got = ascii_path.encode(text, MAX_TOKENS)
    if got is not None:  # None only for special tokens' text, checked below
        assert got == reference_ids(reference, text)


@SLICE
@given(
    words=st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + "_-.'#", min_size=1, max_size=30),
        max_size=12,
    )
)
def test_word_like_ascii_matches(
    ascii_path: AsciiWordPiece, reference: Any, words: list[str]
) -> None:
    text = " ".join(words)
    assert ascii_path.encode(text, MAX_TOKENS) == reference_ids(reference, text)


@pytest.mark.parametrize(
    "text", ["café au lait", "数据库", "naïve", "[MASK] token", "a [SEP] b", "x[CLS]"]
)
def test_other_text_goes_to_the_reference(
    tokenizer_file: Path, tmp_path: Path, reference: Any, text: str
) -> None:
    tokenizer = load_tokenizer(tokenizer_file, tmp_path)
    assert tokenizer._ascii is not None
    assert tokenizer._ascii.encode(text, MAX_TOKENS) is None
    assert tokenizer.ids([text]) == [reference_ids(reference, text)]


def test_a_batch_goes_to_the_reference(
    tokenizer_file: Path, tmp_path: Path, reference: Any
) -> None:
    texts = ["first text", "second, longer text about databases"]
    tokenizer = load_tokenizer(tokenizer_file, tmp_path)
    assert tokenizer.ids(texts) == [reference_ids(reference, text) for text in texts]


def test_the_cache_is_written_once_and_used(tokenizer_file: Path, tmp_path: Path) -> None:
    first = load_ascii_wordpiece(tokenizer_file, tmp_path)
    (cached,) = tmp_path.glob("wordpiece-*.bin")
    # A changed word in the cache shows the next load reads it (and not tokenizer.json).
    cached.write_bytes(cached.read_bytes().replace(b"\nbrowser\n", b"\nbrowzer\n"))
    second = load_ascii_wordpiece(tokenizer_file, tmp_path)
    assert first is not None and second is not None
    assert second.lookup("browzer") == first.lookup("browser") is not None
    assert second.lookup("browser") is None and first.lookup("browzer") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data + b"\0\0\0\0",  # trailing bytes
        lambda data: data.replace(b'"format": 3', b'"format": 2'),  # older format
        lambda data: b"not json\n" + data.partition(b"\n")[2],
        lambda data: b"",
    ],
)
def test_a_damaged_cache_is_rebuilt_not_trusted(
    tokenizer_file: Path, tmp_path: Path, reference: Any, damage: Any
) -> None:
    load_ascii_wordpiece(tokenizer_file, tmp_path)
    (cached,) = tmp_path.glob("wordpiece-*.bin")
    good = cached.read_bytes()
    assert damage(good) != good
    cached.write_bytes(damage(good))
    again = load_ascii_wordpiece(tokenizer_file, tmp_path)
    assert again is not None
    assert again.encode("browser blocks", MAX_TOKENS) == reference_ids(reference, "browser blocks")
    assert cached.read_bytes() == good


def test_a_changed_tokenizer_file_gets_its_own_cache(tokenizer_file: Path, tmp_path: Path) -> None:
    changed = tmp_path / "model" / "tokenizer.json"
    changed.parent.mkdir()
    data = json.loads(tokenizer_file.read_text("utf-8"))
    vocab = data["model"]["vocab"]
    vocab["browserx"], vocab["browser"] = vocab["browser"], len(vocab)
    changed.write_text(json.dumps(data), "utf-8")
    cache = tmp_path / "cache"
    original = load_ascii_wordpiece(tokenizer_file, cache)
    edited = load_ascii_wordpiece(changed, cache)
    assert original is not None and edited is not None
    assert len(list(cache.glob("wordpiece-*.bin"))) == 2
    assert edited.encode("browser", MAX_TOKENS) == [101, len(vocab) - 1, 102]
    assert original.encode("browser", MAX_TOKENS) == [101, data["model"]["vocab"]["browserx"], 102]


def test_making_a_cache_removes_the_sha_named_ones_of_earlier_versions(
    tokenizer_file: Path, tmp_path: Path
) -> None:
    old = [tmp_path / f"wordpiece-be50c3628f2bf5bb5e3a7f17b1f74611.{s}" for s in ("bin", "txt")]
    kept = [tmp_path / "wordpiece-0123abcd-99.bin", tmp_path / "notes.txt"]
    for file in [*old, *kept]:
        file.write_bytes(b"x")
    assert load_ascii_wordpiece(tokenizer_file, tmp_path) is not None
    assert not any(file.exists() for file in old)
    assert all(file.exists() for file in kept)  # another tokenizer's cache, someone's file
    assert len(list(tmp_path.glob("wordpiece-*.bin"))) == 2


def test_other_tokenizers_use_the_reference_only(tmp_path: Path, tokenizer_file: Path) -> None:
    data = json.loads(tokenizer_file.read_text("utf-8"))
    data["pre_tokenizer"] = {"type": "Whitespace"}
    other = tmp_path / "tokenizer.json"
    other.write_text(json.dumps(data), "utf-8")
    assert load_ascii_wordpiece(other, tmp_path) is None
    tokenizer = load_tokenizer(other, tmp_path)
    assert tokenizer._reference is not None  # loaded at once, so a bad file shows at load
    assert tokenizer.ids(["re-use it"]) == [tokenizer.reference().encode("re-use it").ids]


def test_an_unwritable_cache_only_costs_time(tokenizer_file: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    found = load_ascii_wordpiece(tokenizer_file, blocked / "cache")
    assert found is not None and found.encode("ok", MAX_TOKENS) is not None


QUERY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from rekall.search.embedder import load_embedder

    with load_embedder(Path(sys.argv[1]), cache_dir=Path(sys.argv[2])) as embedder:
        vector = embedder.embed([sys.argv[3]])[0]
    print(json.dumps({"tokenizers": "tokenizers" in sys.modules, "vector": vector.tolist()}))
    """
)


def test_a_cold_ascii_query_never_loads_tokenizers(real_model_dir: Path, tmp_path: Path) -> None:
    reference = json.loads(REFERENCE.read_text("utf-8"))
    text = next(t for t in reference["texts"] if t.isascii() and " " in t)
    expected = reference["vectors"][reference["texts"].index(text)]
    for _ in range(2):  # the cache is written, then read
        result = subprocess.run(
            [sys.executable, "-c", QUERY_SCRIPT, str(real_model_dir), str(tmp_path), text],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        figures = json.loads(result.stdout)
        assert figures["tokenizers"] is False
        assert max(abs(a - b) for a, b in zip(figures["vector"], expected, strict=True)) <= 1e-5
