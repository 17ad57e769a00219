"""The command line: each command parses its options, calls the library, and prints a short summary.

Heavy libraries (WeasyPrint, python-docx, matplotlib) are imported inside commands, so `--help` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keycities import __version__
from keycities.cli.common import Commands, data_year_option, project_option, strict_option, warn
from keycities.errors import BuildError, DataError

if TYPE_CHECKING:
    from keycities.build.jobs import Selection
    from keycities.data.schema import Language
    from keycities.figures.model import DataYear


@click.group(
    cls=Commands, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="keycities")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Letters and briefing packs for the Key Cities Group, every figure traced to its source.

    With no command, builds every document (the same as `build`)."""
    if ctx.invoked_subcommand is None:
        build.main(args=[], prog_name=ctx.info_name, standalone_mode=False)


@cli.command()
@project_option
@strict_option
@click.option("--sources", "show_sources", is_flag=True, help="Also list every source with its address.")
@click.option("--list", "list_figures", is_flag=True, help="Also list every figure's name, for templates.")
@click.option(
    "--recipients",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check this recipient list (CSV or YAML) in place of the project's and the letters' own.",
)
@click.option(
    "--out",
    "approvals_out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warn of approvals matching no output built here  [default: out/ in the project folder]",
)
def check(
    project: Path,
    strict: bool,
    show_sources: bool,
    list_figures: bool,
    recipients: Path | None,
    approvals_out: Path | None,
) -> None:
    """Validate every input, compile every template and compose every document, and show the headline
    figures and the published claims against them.

    Each letter is composed for each of its recipients and each pack for each member (without rendering
    them), so that every problem in a template is listed at once, with its file and line."""
    from keycities.build.approvals import unmatched_approvals
    from keycities.build.manifest import read_manifest
    from keycities.check import check as check_project

    findings = check_project(project, strict, show_sources, list_figures, recipients)
    warn(findings.warnings)
    warn(unmatched_approvals(project, read_manifest(approvals_out or project / "out")[0]))
    for number, (heading, text) in enumerate(findings.sections):
        click.echo(("\n" if number else "") + f"{heading}\n")
        click.echo(text)
    warn(findings.notices)
    click.echo(f"\n{findings.summary}")
    if findings.problems:  # listed on stderr, with the exit code 1
        raise DataError(findings.problems)


out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder  [default: out/ in the project folder]",
)
format_option = click.option(
    "--format",
    "formats",
    type=click.Choice(["pdf", "docx"]),
    multiple=True,
    help="Only this format (repeatable)  [default: both]",
)
jobs_option = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes  [default: the number of cores]",
)
recipients_option = click.option(
    "--recipients",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Use this recipients file (.yaml or .csv) instead of the project's recipients.yaml/.csv.",
)
force_option = click.option("--force", is_flag=True, help="Rebuild documents even when nothing has changed.")
letter_option = click.option("--letter", help="Only this letter (its file name in letters/, without .md).")
recipient_option = click.option("--recipient", help="Only this recipient id.")


@cli.command()
@project_option
@strict_option
@letter_option
@recipient_option
@recipients_option
@format_option
@out_option
@jobs_option
@force_option
@data_year_option
def letters(
    project: Path,
    strict: bool,
    letter: str | None,
    recipient: str | None,
    recipients: Path | None,
    formats: tuple[str, ...],
    out: Path | None,
    jobs: int | None,
    force: bool,
    data_year: DataYear,
) -> None:
    """Write each letter for each of its recipients: out/letters/<letter>/<recipient>.pdf and .docx."""
    from keycities.build.jobs import Selection

    selection = Selection(briefings=False, letter=letter, recipient=recipient, data_year=data_year)
    _run_build(project, strict, recipients, selection, out, formats, jobs, force)


@cli.command()
@project_option
@strict_option
@click.option("--city", help="Only this member (its slug in cities.yaml).")
@format_option
@out_option
@jobs_option
@force_option
@data_year_option
def briefings(
    project: Path,
    strict: bool,
    city: str | None,
    formats: tuple[str, ...],
    out: Path | None,
    jobs: int | None,
    force: bool,
    data_year: DataYear,
) -> None:
    """Write each member's briefing pack: out/briefings/<slug>.pdf and .docx (and <slug>.cy.* in Welsh)."""
    from keycities.build.jobs import Selection

    selection = Selection(letters=False, city=city, data_year=data_year)
    _run_build(project, strict, None, selection, out, formats, jobs, force)


@cli.command()
@project_option
@strict_option
@click.option("--letter", help="The letter (its file name in letters/, without .md); or give --city.")
@click.option("--recipient", help="The recipient id, one the letter goes to  [default: the letter's first]")
@click.option(
    "--recipients",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Take the recipient from this list (CSV or YAML) instead of the letter's.",
)
@click.option("--city", help="A member's briefing pack instead of a letter (its slug in cities.yaml).")
@click.option(
    "--language",
    type=click.Choice(["en-GB", "cy"]),
    default="en-GB",
    show_default=True,
    help="The pack's language, with --city: cy for the Welsh pack of a member that has one.",
)
@out_option
def preview(
    project: Path,
    strict: bool,
    letter: str | None,
    recipient: str | None,
    recipients: Path | None,
    city: str | None,
    language: Language,
    out: Path | None,
) -> None:
    """Write one letter, or one member's briefing pack, as an HTML page to check in a browser, and print
    its path."""
    from keycities.build.preview import preview as write_preview

    folder = out or project / "out"
    path = write_preview(project, letter, recipient, folder, warn, strict, recipients, city, language)
    click.echo(path)


@cli.command()
@project_option
@strict_option
@letter_option
@recipient_option
@click.option("--city", help="Only this member's briefing pack (its slug).")
@recipients_option
@format_option
@out_option
@jobs_option
@force_option
@click.option(
    "--combined", is_flag=True, help="Also one file per letter with every recipient's letter, to print."
)
@data_year_option
def build(
    project: Path,
    strict: bool,
    letter: str | None,
    recipient: str | None,
    city: str | None,
    recipients: Path | None,
    formats: tuple[str, ...],
    out: Path | None,
    jobs: int | None,
    force: bool,
    combined: bool,
    data_year: DataYear,
) -> None:
    """Build every document: each letter for each recipient, each member's pack, then out/index.html."""
    from keycities.build.jobs import Selection

    selection = Selection(letter=letter, recipient=recipient, city=city, data_year=data_year)
    _run_build(project, strict, recipients, selection, out, formats, jobs, force, combined)


def _run_build(
    project: Path,
    strict: bool,
    recipients: Path | None,
    selection: Selection,
    out: Path | None,
    formats: tuple[str, ...],
    jobs: int | None,
    force: bool,
    combined: bool = False,
) -> None:
    """Build the selected documents with a progress display, then print the summary; failures exit 1."""
    from keycities.build.pipeline import FORMATS, build_project
    from keycities.compose.problems import said_once
    from keycities.mail.proof import mailed_statuses  # the proof page shows what the ledger says

    chosen = tuple(f for f in FORMATS if f in formats) or FORMATS
    folder = out or project / "out"
    with Progress() as progress:
        report = build_project(
            project, selection, folder, chosen, warn, strict=strict, recipients=recipients, workers=jobs,
            force=force, progress=progress.update, combined=combined, mailed=mailed_statuses,
        )  # fmt: skip
    warn(sorted(set(report.warnings)))
    for failure in said_once(report.failed, [*report.built, *report.skipped]):
        click.echo(f"error: {failure}", err=True)
    removed = f", {len(report.removed)} removed" if report.removed else ""
    click.echo(
        f"{len(report.built)} built, {len(report.skipped)} skipped, {len(report.failed)} failed{removed} "
        f"in {report.seconds:.1f} s; outputs in {folder}"
    )
    if report.failed:
        raise BuildError(
            f"{len(report.failed)} document(s) failed; their previous outputs were kept. Fix the "
            "problems above and run again: unchanged documents will be skipped"
        )


class Progress:
    """Each finished document: click's progress bar on a terminal, a line each otherwise (logs, CI)."""

    def __init__(self) -> None:
        self.terminal = sys.stderr.isatty()
        self.bar: Any = None  # click's bar, made once the number of documents is known

    def update(self, done: int, total: int, document: str, status: str) -> None:
        """Show that one more document is done."""
        if not self.terminal:
            click.echo(f"[{done}/{total}] {status} {document}", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, file=sys.stderr, item_show_func=lambda item: item)
            self.bar.__enter__()
        self.bar.update(1, f"{status} {document}"[:50])

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def main() -> None:
    """Run the command line."""
    cli(prog_name="generate.py")
