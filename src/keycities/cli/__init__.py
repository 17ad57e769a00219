"""The command line (the only part of the package that imports click): the commands, the `mail` and `data`
groups, `serve` and `approve`, registered on import."""

from keycities.cli import approve, data, mail, serve  # noqa: F401  (registers the groups and commands)
from keycities.cli.commands import cli, main

__all__ = ["cli", "main"]
