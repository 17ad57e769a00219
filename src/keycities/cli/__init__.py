"""The command line (the only part of the package that imports click): the commands, and the `mail` and
`data` groups, registered on import."""

from keycities.cli import data, mail  # noqa: F401  (registers the groups)
from keycities.cli.commands import cli, main

__all__ = ["cli", "main"]
