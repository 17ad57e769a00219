"""`generate.py serve`: the live preview in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from keycities.cli.commands import cli
from keycities.cli.common import project_option, strict_option


@cli.command()
@project_option
@strict_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port on 127.0.0.1 to listen on; 0 picks a free one.",
)
def serve(project: Path, strict: bool, port: int) -> None:
    """Show every letter and pack in the browser, as A4 sheets, reloading each page when a file is saved."""
    from keycities.serve.server import PreviewServer

    def report(changed: list[str]) -> None:
        click.echo(f"changed: {', '.join(changed)}")

    server = PreviewServer(project, port, strict, report)
    click.echo(f"Preview of {project.resolve()} at {server.url}")
    click.echo("Each page loads again when an input file is saved. Ctrl-C stops.")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
