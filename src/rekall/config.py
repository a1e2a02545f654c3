"""Typed, validated configuration from TOML, overridden by REKALL_* environment variables."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from rekall import paths
from rekall.core.entries import MAX_SEARCH_LIMIT
from rekall.core.errors import ConfigError

INT64_MAX = 2**63 - 1
BACKENDS = ("auto", "numpy", "sqlite-vec")
BULK_ENGINES = ("numpy", "onnx", "onnx-int8")
SEARCH_MODES = ("hybrid", "semantic", "keyword")


class KeySpec(NamedTuple):
    """One config key: its TOML section, type, default and allowed values."""

    section: str
    name: str
    kind: type
    default: Any
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    # TOML integers are 64-bit; a key with a tighter rule where it is read says so here.
    maximum: float = INT64_MAX
    help: str = ""

    @property
    def env_var(self) -> str:
        return f"REKALL_{self.name.upper()}"

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "performance", "cache_max_size", int, 1000, minimum=1, help="query vectors kept in memory"
    ),
    KeySpec(
        "performance",
        "cache_ttl_seconds",
        int,
        600,
        minimum=0,
        help="seconds a cached query vector lives (0: no expiry)",
    ),
    KeySpec(
        "performance",
        "model_idle_timeout_minutes",
        float,
        10.0,
        minimum=0,
        help="minutes of inactivity before a long-lived process unloads the model (0: never)",
    ),
    KeySpec(
        "performance",
        "vector_index_backend",
        str,
        "auto",
        choices=BACKENDS,
        help="vector search engine",
    ),
    KeySpec(
        "performance",
        "bulk_engine",
        str,
        "numpy",
        choices=BULK_ENGINES,
        help="engine for bulk embedding (onnx, onnx-int8: pip install 'rekall[onnx]')",
    ),
    KeySpec("model", "model_path", str, "", help="folder holding the model files"),
    KeySpec(
        "model",
        "allow_download",
        bool,
        True,
        help="download the model from the Hugging Face hub when missing",
    ),
    KeySpec(
        "search",
        "default_mode",
        str,
        "hybrid",
        choices=SEARCH_MODES,
        help="search mode when --mode is not given",
    ),
    KeySpec(
        "search",
        "default_limit",
        int,
        10,
        minimum=1,
        maximum=MAX_SEARCH_LIMIT,
        help="results shown by default",
    ),
    KeySpec(
        "storage",
        "database_url",
        str,
        "",
        help="postgresql://USER:PASSWORD@HOST/DB for a shared team base (empty: the SQLite file)",
    ),
)


class Config(NamedTuple):
    """Every setting Rekall reads, already validated."""

    cache_max_size: int = 1000
    cache_ttl_seconds: int = 600
    model_idle_timeout_minutes: float = 10.0
    vector_index_backend: str = "auto"
    bulk_engine: str = "numpy"
    model_path: str = ""
    allow_download: bool = True
    default_mode: str = "hybrid"
    default_limit: int = 10
    database_url: str = ""
    source: str = ""


def find_key(dotted_or_name: str) -> KeySpec:
    """Find a key by 'section.name' or bare name. Raises ConfigError listing the known keys."""
    for spec in KEYS:
        if dotted_or_name in (spec.dotted, spec.name):
            return spec
    known = ", ".join(spec.dotted for spec in KEYS)
    raise ConfigError(f"unknown config key '{dotted_or_name}'; known keys: {known}")


def parse_value(spec: KeySpec, raw: Any, origin: str) -> Any:
    """Convert and check one value. Raises ConfigError naming origin, key and allowed values."""
    try:
        value = _convert(spec, raw)
    except (TypeError, ValueError):
        raise ConfigError(_bad_value(spec, raw, origin)) from None
    if spec.choices and value not in spec.choices:
        raise ConfigError(_bad_value(spec, raw, origin))
    if spec.kind is not str and spec.kind is not bool:
        low = float("-inf") if spec.minimum is None else spec.minimum
        if not low <= value <= spec.maximum:
            raise ConfigError(_bad_value(spec, raw, origin))
    return value


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read the TOML file (if any) then the environment. Raises ConfigError on any bad value."""
    path = path or paths.config_path()
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    document = read_toml(path)
    for spec in KEYS:
        section = document.get(spec.section, {})
        if spec.name in section:
            values[spec.name] = parse_value(spec, section[spec.name], f"{path}")
        if spec.env_var in env:
            values[spec.name] = parse_value(spec, env[spec.env_var], f"${spec.env_var}")
    _reject_unknown_keys(document, path)
    return Config(**values, source=str(path) if path.exists() else "")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse the config file; a missing file is empty. Raises ConfigError on bad TOML."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    # Imported here: most runs have no config file, and a cold search counts milliseconds.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or delete the file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc


def _convert(spec: KeySpec, raw: Any) -> Any:
    if spec.kind is bool:
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(raw, bool) or (spec.kind is not str and isinstance(raw, str) and not raw.strip()):
        raise ValueError(raw)
    if spec.kind is int and isinstance(raw, float):
        raise ValueError(raw)
    if spec.kind is str and not isinstance(raw, str):
        raise ValueError(raw)
    if isinstance(raw, str):
        raw.encode("utf-8")  # lone surrogates (undecodable argv bytes) cannot go into TOML
    value = spec.kind(raw)
    if value != value:  # NaN passes every minimum check
        raise ValueError(raw)
    return value


def _bad_value(spec: KeySpec, raw: Any, origin: str) -> str:
    if spec.choices:
        allowed = "one of " + ", ".join(f'"{c}"' for c in spec.choices)
    elif spec.kind is bool:
        allowed = "true or false"
    elif spec.minimum is not None:
        whole = "whole " if spec.kind is int else ""
        upper = f" and <= {spec.maximum:g}" if spec.maximum < INT64_MAX else ""
        allowed = f"a {whole}number >= {spec.minimum:g}{upper}"
    else:
        allowed = f"a {spec.kind.__name__}"
    return f"{origin}: invalid value {raw!r} for {spec.dotted}; allowed: {allowed}"


def _reject_unknown_keys(document: dict[str, Any], path: Path) -> None:
    known = {(spec.section, spec.name) for spec in KEYS}
    for section, table in document.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{section}' must be a [section] of keys")
        for name in table:
            if (section, name) not in known:
                listed = ", ".join(spec.dotted for spec in KEYS)
                raise ConfigError(f"{path}: unknown key {section}.{name}; known keys: {listed}")


def write_key(spec: KeySpec, value: Any, path: Path | None = None) -> Path:
    """Set one key in the TOML file, keeping the others; atomic replace. Raises ConfigError."""
    import tomli_w

    path = path or paths.config_path()
    document = read_toml(path)
    load_config(path, environ={})  # refuse to build on top of an invalid file
    document.setdefault(spec.section, {})[spec.name] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(tomli_w.dumps(document), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    return path


def toml_literal(value: Any) -> str:
    """A value as it is written in TOML (true, "auto", 10.0), for display."""
    import tomli_w

    return tomli_w.dumps({"v": value}).strip().removeprefix("v = ")
