"""`generate.py data`: bring published figures into the project's data files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keycities.cli.common import project_option, warn

if TYPE_CHECKING:
    pass
from keycities.cli.commands import cli


@cli.group()
def data() -> None:
    """Bring published figures into the project's data files: `data import FILE`."""


@data.command("import")
@project_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--measure", required=True, help="The measure the table holds: gva, population, ...")
@click.option("--source", required=True, help="The source id, the data file's name: ons-gva-la-2021.")
@click.option("--sheet", help="The workbook's sheet (needed when it has more than one).")
@click.option("--title", help="The release's title (a new source needs these four).")
@click.option("--publisher", help="Its publisher.")
@click.option("--published", help="Its release date: YYYY-MM-DD, or YYYY-MM.")
@click.option("--url", help="Its address.")
@click.option("--years", help="Only these years: 2017, 2017-2020 or 2017-  [default: every year]")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
def data_import(**options: Any) -> None:
    """Merge one measure of a published table (FILE) into data/<source>.yaml; print what changed."""
    from keycities.imports.run import ImportRequest, import_table

    report = import_table(ImportRequest(**options))
    warn(report.warnings)
    click.echo(report.text())
