"""What the commands share: the handling of the library's errors, and the options several commands take."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keycities.errors import DataError, KeyCitiesError

if TYPE_CHECKING:  # imported lazily at run time, so that --help stays instant
    from keycities.figures.model import DataYear


class Commands(click.Group):
    """Turns the library's errors into clean messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DataError as error:
            warn(error.warnings)
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


def _data_year(ctx: click.Context, param: click.Parameter, value: str | None) -> DataYear:
    """`--data-year`: a year such as 2018, or `latest`."""
    if value is None:
        return None
    if value == "latest":
        return "latest"
    if value.isdigit() and len(value) == 4:
        return int(value)
    raise click.BadParameter(f"expected a year such as 2018, or 'latest'; got {value!r}")


data_year_option = click.option(
    "--data-year",
    metavar="YYYY|latest",
    callback=_data_year,
    help="Use the figures of this year (or `latest`: each figure's newest year) instead of the year each "
    "letter or cities.yaml's briefing pins, for this run.",
)


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
