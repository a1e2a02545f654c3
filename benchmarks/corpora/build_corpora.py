"""Build the real-text evaluation corpora from what a Debian machine with Python carries.

Three corpora of very mixed length, written by no one here, frozen as fixture files so every
Python version scores the same text:

- ``pydoc``: the standard library's own docstrings: whole module docstrings (pages of
  several thousand characters) next to one-line function docstrings.
- ``debian``: Debian package descriptions: installed packages with their long descriptions
  (``/var/lib/dpkg/status``) next to packages that carry only their one-line synopsis
  (the archive's ``Packages`` index, present after ``apt-get update``).
- ``libdocs``: the docstrings of three installed libraries Rekall depends on (numpy's
  reference pages of several thousand characters, click's and rich's mostly short ones),
  cut the same way as ``pydoc``.

Run: ``python benchmarks/corpora/build_corpora.py --packages Packages.lz4 [corpus ...]``
(then ``embed_corpora.py``); ``--packages`` is needed for ``debian`` only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_sources import (  # noqa: E402
    DEBIAN_SAMPLE_PER_MILLE,
    DEBIAN_SECTIONS,
    LIBRARY_MODULES,
    PYDOC_MODULES,
)

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "corpora"


def pydoc_documents(modules: list[str], own: bool = False) -> Iterator[dict[str, Any]]:
    """One document per module page and per public function, class and method.

    own: a module without __all__ documents only what it defines itself, not the names it
    imports from its siblings (rich.table holds rich.text.Text: one text, one document).
    """
    warnings.simplefilter("ignore", DeprecationWarning)
    for name in modules:
        module = importlib.import_module(name)
        page = inspect.cleandoc(module.__doc__ or "")
        if page:
            yield _doc(name, "reference", name, page, [name.split(".")[0]])
        public = getattr(module, "__all__", None)
        for attr in sorted(public or vars(module)):
            obj = getattr(module, attr, None)
            exported = public is not None
            if attr.startswith("_") or not _documented_here(obj, module, exported, own):
                continue
            yield from _object_documents(f"{name}.{attr}", obj, name)


def _documented_here(obj: Any, module: Any, exported: bool, own: bool) -> bool:
    """Functions and classes the module exports, or defines when it declares no __all__."""
    kinds = (inspect.isfunction, inspect.isclass, inspect.isbuiltin, inspect.ismethod, _wrapper)
    if not any(kind(obj) for kind in kinds):
        return False
    owner = getattr(obj, "__module__", None) or ""
    base = module.__name__.split(".")[0]
    if own and not exported:
        return owner == module.__name__ or owner.startswith(module.__name__ + ".")
    return exported or owner in (module.__name__, "posix") or owner.lstrip("_").startswith(base)


def _wrapper(obj: Any) -> bool:
    """A function behind a callable wrapper (numpy's array-function dispatchers); not a
    cache (the standard library's are left out, as the pydoc fixture was built without)."""
    wrapped = inspect.isfunction(getattr(obj, "__wrapped__", None))
    return callable(obj) and wrapped and not hasattr(obj, "cache_info")


def _object_documents(qualname: str, obj: Any, module: str) -> Iterator[dict[str, Any]]:
    doc = _own_doc(obj)
    if doc:
        yield _doc(qualname, "snippet", qualname + _signature(obj), doc, [module.split(".")[0]])
    if inspect.isclass(obj) and not issubclass(obj, BaseException):
        for attr, member in sorted(vars(obj).items()):
            if attr.startswith("_") or not callable(member):
                continue
            member_doc = _own_doc(member)
            if member_doc:
                title = f"{qualname}.{attr}{_signature(member)}"
                yield _doc(
                    f"{qualname}.{attr}", "snippet", title, member_doc, [module.split(".")[0]]
                )


def _own_doc(obj: Any) -> str:
    """The object's own docstring, never one inherited from object or a builtin base."""
    doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return ""
    for base in (object, type, Exception, dict, list, int, str, tuple):
        if doc == getattr(base, "__doc__", None):
            return ""
    return inspect.cleandoc(doc)


def _signature(obj: Any) -> str:
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""
    # A default of sys.executable would print the path of the interpreter building the corpus.
    text = text.replace(repr(sys.executable), "sys.executable")
    return text if len(text) <= 120 else "(...)"


def _doc(key: str, kind: str, title: str, content: str, tags: list[str]) -> dict[str, Any]:
    return {
        "key": key,
        "type": kind,
        "title": title[:300],
        "content": content,
        "tags": tags,
        "project": None,
    }


def debian_documents(status: Path, packages_lz4: Path) -> Iterator[dict[str, Any]]:
    """Installed packages in full, then a stable hash sample of synopsis-only packages."""
    seen: set[str] = set()
    for record in _deb822(status.read_text(encoding="utf-8", errors="replace")):
        if "Description" in record and record["Package"] not in seen:
            seen.add(record["Package"])
            yield _package(record)
    index = subprocess.run(["lz4cat", str(packages_lz4)], capture_output=True, check=True)
    for record in _deb822(index.stdout.decode("utf-8", errors="replace")):
        name = record.get("Package", "")
        section = record.get("Section", "").split("/")[-1]
        if name in seen or section not in DEBIAN_SECTIONS or name.startswith("lib"):
            continue
        if int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 1000 >= DEBIAN_SAMPLE_PER_MILLE:
            continue
        seen.add(name)
        yield _package(record)


def _deb822(text: str) -> Iterator[dict[str, str]]:
    for paragraph in re.split(r"\n\s*\n", text):
        record: dict[str, str] = {}
        field = ""
        for line in paragraph.splitlines():
            if line.startswith((" ", "\t")) and field:
                record[field] += "\n" + line[1:]
            elif ":" in line:
                field, _, value = line.partition(":")
                record[field] = value.strip()
        if "Package" in record:
            yield record


def _package(record: dict[str, str]) -> dict[str, Any]:
    synopsis, _, body = record["Description"].partition("\n")
    lines = ["" if line.strip() == "." else line for line in body.splitlines()]
    content = (synopsis + "\n\n" + "\n".join(lines)).strip()
    section = record.get("Section", "misc").split("/")[-1]
    return _doc(record["Package"], "reference", record["Package"], content, [section])


def write(name: str, documents: list[dict[str, Any]], source: str) -> None:
    """Store the documents as Rekall validates them, so the fixture is what gets indexed."""
    from rekall.testdata.quality import new_entry

    for document in documents:
        entry = new_entry(document)
        document.update(title=entry.title, content=entry.content, tags=list(entry.tags))
    OUT.mkdir(parents=True, exist_ok=True)
    payload = {"source": source, "documents": documents}
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    lengths = sorted(len(d["content"]) for d in documents)
    print(
        f"{path.name}: {len(documents)} documents, content length median "
        f"{lengths[len(lengths) // 2]}, max {lengths[-1]}"
    )


def docstrings(modules: list[str], own: bool = False) -> list[dict[str, Any]]:
    """The docstring documents of these modules, each key once."""
    unique: dict[str, dict[str, Any]] = {}
    for document in pydoc_documents(modules, own):
        unique.setdefault(document["key"], document)
    return list(unique.values())


def library_source() -> str:
    from importlib.metadata import version

    names = ("numpy", "click", "rich")
    return "docstrings of " + ", ".join(f"{name} {version(name)}" for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", default=["pydoc", "debian", "libdocs"])
    parser.add_argument("--status", type=Path, default=Path("/var/lib/dpkg/status"))
    parser.add_argument("--packages", type=Path, help="a Packages.lz4 index (for debian)")
    args = parser.parse_args()
    if "debian" in args.corpora and args.packages is None:
        parser.error("debian needs --packages: the archive's Packages.lz4 index")
    version = ".".join(map(str, sys.version_info[:2]))
    if "pydoc" in args.corpora:
        source = f"docstrings of the Python {version} standard library"
        write("pydoc", docstrings(PYDOC_MODULES), source)
    if "debian" in args.corpora:
        debian = list(debian_documents(args.status, args.packages))
        source = "Debian 12 (bookworm) package descriptions: dpkg status + main index"
        write("debian", debian, source)
    if "libdocs" in args.corpora:
        write("libdocs", docstrings(LIBRARY_MODULES, own=True), library_source())


if __name__ == "__main__":
    main()
