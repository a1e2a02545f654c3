"""The `rekall config` group: where the file is, what is in effect, and changing a key."""

from __future__ import annotations

import os
from typing import Any

import click

from rekall import paths
from rekall.config import KEYS, find_key, load_config, parse_value, toml_literal, write_key
from rekall.interfaces.cli import render


@click.group(
    epilog="""\b
Examples:
  rekall config path
  rekall config show
  rekall config set performance.model_idle_timeout_minutes 5
Every key can also be set by an environment variable, e.g. REKALL_VECTOR_INDEX_BACKEND=numpy.
"""
)
def config() -> None:
    """Show or change settings (TOML file, overridden by REKALL_* variables)."""


@config.command("path", epilog='Example:\n\n  $EDITOR "$(rekall config path)"')
def config_path() -> None:
    """Print the config file's path."""
    click.echo(str(paths.config_path()))


@config.command("show", epilog="Example:\n\n  rekall config show --json")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def config_show(as_json: bool) -> None:
    """Print every setting in effect, and where it comes from."""
    settings = load_config()
    rows = []
    for spec in KEYS:
        origin = "env" if spec.env_var in os.environ else "default"
        if origin == "default" and getattr(settings, spec.name) != spec.default:
            origin = "file"
        rows.append(
            {
                "key": spec.dotted,
                "value": shown(spec.name, getattr(settings, spec.name)),
                "source": origin,
                "env": spec.env_var,
                "help": spec.help,
            }
        )
    if as_json:
        render.print_json({"path": str(paths.config_path()), "settings": rows})
        return
    click.echo(f"# {paths.config_path()}")
    for row in rows:
        value = toml_literal(row["value"])
        click.echo(f"{row['key']} = {value}  # {row['source']}; {row['help']}")


@config.command("set", epilog="Example:\n\n  rekall config set vector_index_backend numpy")
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Set KEY (section.name or name) to VALUE in the config file, after validating it.

    A database_url must be a PostgreSQL URL, a model_path a folder holding the model, and
    bulk_engine an engine that runs here; nothing is written otherwise."""
    from rekall.service.settings import check_setting

    spec = find_key(key)
    parsed = parse_value(spec, value, "value")
    check_setting(spec.name, parsed)
    path = write_key(spec, parsed)
    click.echo(
        f"{spec.dotted} = {toml_literal(shown(spec.name, parsed))} written to {path}", err=True
    )


COMMANDS = [config]


def shown(name: str, value: Any) -> Any:
    """A value as printed: a database URL's password as ***."""
    if name == "database_url" and value:
        from rekall.storage.postgres.connection import mask_url

        return mask_url(str(value))
    return value
