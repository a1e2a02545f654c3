"""Write the labelled queries of the real-text corpora (tests/fixtures/corpora/*.queries.json).

Relevance rules:
- question: written without the answer's wording, by a developer who knows the tool; relevant
  are the documents whose subject does what the question asks (read and judged by hand).
- identifier: an exact string a developer pastes (a function, flag, constant, file name);
  relevant are all documents whose title or text holds it as a whole word, case-sensitive
  (computed here). Identifiers held by more than 5 documents are refused: recall@10 would
  measure the corpus, not the search.

Run: ``python benchmarks/corpora/label_queries.py`` after ``build_corpora.py``; the queries
live in ``pydoc_queries.py``, ``debian_queries.py`` and ``libdocs_queries.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from debian_queries import DEBIAN_IDENTIFIERS, DEBIAN_QUESTIONS  # noqa: E402
from libdocs_queries import LIBDOCS_IDENTIFIERS, LIBDOCS_QUESTIONS  # noqa: E402
from pydoc_queries import PYDOC_IDENTIFIERS, PYDOC_QUESTIONS  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "corpora"
MAX_IDENTIFIER_DOCUMENTS = 5


def literal_relevance(identifier: str, documents: list[dict[str, Any]]) -> list[str]:
    """Keys of the documents holding the identifier as a whole word (case-sensitive)."""
    pattern = re.compile(r"(?<![\w-])" + re.escape(identifier) + r"(?![\w-])")
    return [
        d["key"] for d in documents if pattern.search(d["title"]) or pattern.search(d["content"])
    ]


def label(name: str, questions: dict[str, list[str]], identifiers: list[str]) -> None:
    documents = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["documents"]
    keys = {d["key"] for d in documents}
    queries = []
    for text, relevant in questions.items():
        kept = [key for key in relevant if key in keys]
        if not kept:
            raise SystemExit(f"{name}: no relevant document left for {text!r}")
        if len(kept) < len(relevant):
            print(f"{name}: not in the corpus: {sorted(set(relevant) - keys)} ({text!r})")
        queries.append({"query": text, "kind": "question", "relevant": kept})
    for identifier in identifiers:
        relevant = literal_relevance(identifier, documents)
        if not 1 <= len(relevant) <= MAX_IDENTIFIER_DOCUMENTS:
            print(f"{name}: skipped {identifier!r}, held by {len(relevant)} documents")
            continue
        queries.append({"query": identifier, "kind": "identifier", "relevant": relevant})
    path = FIXTURES / f"{name}.queries.json"
    path.write_text(json.dumps(queries, indent=1) + "\n", encoding="utf-8")
    kinds = [q["kind"] for q in queries]
    print(
        f"{path.name}: {kinds.count('question')} questions, {kinds.count('identifier')} identifiers"
    )


def main() -> None:
    label("pydoc", PYDOC_QUESTIONS, PYDOC_IDENTIFIERS)
    label("debian", DEBIAN_QUESTIONS, DEBIAN_IDENTIFIERS)
    label("libdocs", LIBDOCS_QUESTIONS, LIBDOCS_IDENTIFIERS)


if __name__ == "__main__":
    main()
