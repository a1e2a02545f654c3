"""Commands about the index and the base: stats, index rebuild, test generate, model status."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
