"""The command line (the only part of the package that imports click): the commands, the `mail` and `data`
groups and `serve`, registered on import."""

from keycities.cli import data, mail, serve  # noqa: F401  (registers the groups and serve)
from keycities.cli.commands import cli, main

__all__ = ["cli", "main"]
