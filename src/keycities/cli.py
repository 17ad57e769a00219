"""The command line: each command parses its options, calls the library, and prints a short summary.

Heavy libraries (WeasyPrint, python-docx, matplotlib) are imported inside commands, so `--help` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from keycities import __version__
from keycities.errors import DataError, KeyCitiesError


class Commands(click.Group):
    """Turns the library's errors into clean messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DataError as error:
            _warn(error.warnings)
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            count = len(error.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was written", err=True)
            ctx.exit(error.exit_code)
        except KeyCitiesError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)


project_option = click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    envvar="KEYCITIES_PROJECT",
    show_default=True,
    help="Folder holding cities.yaml, recipients.yaml, letters/ and templates/.",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat warnings (such as unknown keys) as errors."
)


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keycities")
def cli() -> None:
    """Letters and briefing packs for the Key Cities Group, every figure traced to its source."""


@cli.command()
@project_option
@strict_option
@click.option("--sources", "show_sources", is_flag=True, help="Also list every source with its address.")
def check(project: Path, strict: bool, show_sources: bool) -> None:
    """Validate the data and show the headline figures and the published claims against them."""
    from keycities.campaign import load_campaign
    from keycities.figures import compute, reconcile
    from keycities.formatting import Formatter
    from keycities.report import claim_warnings, claims_table, headline_table, sources_table

    campaign = load_campaign(project, strict=strict)
    _warn(campaign.warnings)
    book = compute(campaign)
    formatter = Formatter(campaign.data.group.money_style)
    results = reconcile(campaign, book)
    click.echo(f"Headline figures, from {project / 'cities.yaml'}\n")
    click.echo(headline_table(book, formatter))
    click.echo("\nPublished claims against the data\n")
    click.echo(claims_table(results, formatter))
    if show_sources:
        click.echo("\nSources\n")
        click.echo(sources_table(campaign))
    _warn(claim_warnings(campaign, results, formatter))
    click.echo(f"\n{len(campaign.members)} members valid; {len(book.figures)} figures computed.")


def main() -> None:
    """Run the command line."""
    cli(prog_name="generate.py")
