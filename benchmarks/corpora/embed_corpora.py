"""Embed the real-text corpora once with Rekall's own model and store the vectors as fixtures.

Each ``<corpus>.vectors.npy`` (float16,
one row per document, in corpus order) comes with
``<corpus>.vectors.json``: the model id and the content hash of every embedded text, so a
changed corpus or a changed model is detected instead of silently scored with stale vectors.
``<corpus>.pieces.npy`` and ``.json`` hold the body pieces of the long documents
(core/pieces.py) the same way, each under the hash of its own text: pieces cut by another
rule are other texts, never matched to these, and are embedded live.
The tests and benchmarks embed only the queries, live, with the real model.

Run: ``python benchmarks/corpora/embed_corpora.py [corpus ...]`` (a few minutes).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "corpora"
BATCH = 64


def embed(name: str) -> None:
    from rekall.core.entries import content_hash
    from rekall.core.pieces import body_pieces
    from rekall.search.model_files import MODEL_ID
    from rekall.service import Rekall
    from rekall.testdata.quality import embedding_text, load_documents

    documents = load_documents(FIXTURES.parent, name)
    texts = [embedding_text(d) for d in documents]
    pieces = [piece for text in texts for piece in body_pieces(text)]
    service = Rekall()
    for label, batch in (("vectors", texts), ("pieces", pieces)):
        meta = {"model_id": MODEL_ID, "hashes": [content_hash(text) for text in batch]}
        if current(FIXTURES / f"{name}.{label}.json", meta):
            print(f"{name}: {len(batch)} {label} already stored")
            continue
        started = time.perf_counter()
        rows = [
            service.semantic.embed_texts(batch[i : i + BATCH]) for i in range(0, len(batch), BATCH)
        ]
        matrix = np.vstack(rows).astype(np.float16)
        np.save(FIXTURES / f"{name}.{label}.npy", matrix)
        (FIXTURES / f"{name}.{label}.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")
        print(f"{name}: {len(batch)} {label} in {time.perf_counter() - started:.0f} s")
    service.close()


def current(path: Path, meta: dict[str, object]) -> bool:
    """True when the stored vectors are of these very texts, by this model."""
    return path.exists() and json.loads(path.read_text(encoding="utf-8")) == meta


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(REKALL_HOME=scratch, REKALL_CONFIG=f"{scratch}/config.toml")
        for name in sys.argv[1:] or ["pydoc", "debian", "libdocs"]:
            embed(name)


if __name__ == "__main__":
    main()
