"""The command line: each command parses its options, calls the library, and prints a short summary.

Heavy libraries (WeasyPrint, python-docx, matplotlib) are imported inside commands, so `--help` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keycities import __version__
from keycities.errors import BuildError, DataError, KeyCitiesError

if TYPE_CHECKING:  # imported lazily at run time, so that --help stays instant
    from keycities.plan import Selection
    from keycities.project import Project


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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


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
def check(project: Path, strict: bool, show_sources: bool, list_figures: bool) -> None:
    """Validate every input and show the headline figures and the published claims against them."""
    from keycities.claims import reconcile
    from keycities.formatting import Formatter
    from keycities.project import load_project
    from keycities.report import claim_warnings, claims_table, figure_list, headline_table, sources_table

    loaded = load_project(project, strict)
    _warn(loaded.warnings)
    campaign, book = loaded.campaign, loaded.book
    formatter = Formatter(campaign.data.group.money_style)
    results = reconcile(campaign, book)
    click.echo(f"Headline figures, from {project / 'cities.yaml'}\n")
    click.echo(headline_table(book, formatter))
    click.echo("\nPublished claims against the data\n")
    click.echo(claims_table(results, formatter))
    if show_sources:
        click.echo("\nSources\n")
        click.echo(sources_table(campaign))
    if list_figures:
        click.echo("\nFigures (in templates: {{ figures.<name> }})\n")
        click.echo(figure_list(book, formatter))
    _warn(claim_warnings(campaign, results, formatter))
    click.echo(
        f"\n{_count(len(campaign.members), 'member')}, {_count(len(loaded.addressees), 'recipient')} and "
        f"{_count(len(loaded.letters), 'letter')} valid; {len(book.figures)} figures computed."
    )


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


@cli.command()
@project_option
@strict_option
@click.option("--letter", help="Only this letter (its file name in letters/, without .md).")
@click.option("--recipient", help="Only this recipient id.")
@recipients_option
@format_option
@out_option
@jobs_option
@force_option
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
) -> None:
    """Write each letter for each of its recipients: out/letters/<letter>/<recipient>.pdf and .docx."""
    from keycities.plan import Selection
    from keycities.project import load_project

    loaded = load_project(project, strict, recipients)
    _warn(loaded.warnings)
    _run_build(
        loaded, Selection(briefings=False, letter=letter, recipient=recipient), out, formats, jobs, force
    )


@cli.command()
@project_option
@strict_option
@click.option("--city", help="Only this member (its slug in cities.yaml).")
@format_option
@out_option
@jobs_option
@force_option
def briefings(
    project: Path,
    strict: bool,
    city: str | None,
    formats: tuple[str, ...],
    out: Path | None,
    jobs: int | None,
    force: bool,
) -> None:
    """Write each member's briefing pack: out/briefings/<slug>.pdf and .docx (and <slug>.cy.* in Welsh)."""
    from keycities.plan import Selection
    from keycities.project import load_project

    loaded = load_project(project, strict)
    _warn(loaded.warnings)
    _run_build(loaded, Selection(letters=False, city=city), out, formats, jobs, force)


@cli.command()
@project_option
@strict_option
@click.option("--letter", required=True, help="The letter (its file name in letters/, without .md).")
@click.option("--recipient", required=True, help="The recipient id.")
@out_option
def preview(project: Path, strict: bool, letter: str, recipient: str, out: Path | None) -> None:
    """Write one letter as an HTML page to check in a browser, and print its path."""
    from keycities.preview import write_preview
    from keycities.project import load_project

    loaded = load_project(project, strict)
    _warn(loaded.warnings)
    click.echo(write_preview(loaded, letter, recipient, out or project / "out"))


@cli.command()
@project_option
@strict_option
@click.option("--letter", help="Only this letter (its file name in letters/, without .md).")
@click.option("--recipient", help="Only this recipient id.")
@click.option("--city", help="Only this member's briefing pack (its slug).")
@recipients_option
@format_option
@out_option
@jobs_option
@force_option
@click.option(
    "--combined", is_flag=True, help="Also one file per letter with every recipient's letter, to print."
)
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
) -> None:
    """Build every document: each letter for each recipient, each member's pack, then out/index.html."""
    from keycities.plan import Selection
    from keycities.project import load_project

    loaded = load_project(project, strict, recipients)
    _warn(loaded.warnings)
    selection = Selection(letter=letter, recipient=recipient, city=city)
    _run_build(loaded, selection, out, formats, jobs, force, combined)


def _run_build(
    project: Project,
    selection: Selection,
    out: Path | None,
    formats: tuple[str, ...],
    jobs: int | None,
    force: bool,
    combined: bool = False,
) -> None:
    """Build the selected documents with a progress display, then print the summary; failures exit 1."""
    from keycities.build import FORMATS, build_selection
    from keycities.progress import ProgressDisplay

    chosen = tuple(f for f in FORMATS if f in formats) or FORMATS
    folder = out or project.folder / "out"
    if "pdf" in chosen:
        from keycities.render.pdf import harfbuzz_subset_missing

        if harfbuzz_subset_missing():
            _warn(
                [
                    "libharfbuzz-subset0 is not installed: PDFs take 3 to 4 times longer and differ between "
                    "runs; install it with `make` (or apt-get install libharfbuzz-subset0)"
                ]
            )
    with ProgressDisplay() as display:
        report = build_selection(project, selection, folder, chosen, jobs, force, display.update, combined)
    _warn(sorted(set(report.warnings)))
    for document, reason in report.failed:
        click.echo(f"error: {document}: {reason}", err=True)
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


@cli.command()
@project_option
@strict_option
@out_option
@click.option("--send", is_flag=True, help="Send through the SMTP server in mail.yaml  [default: a dry run]")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages.")
@click.option("--letter", help="Only this letter (its file name in letters/, without .md).")
@click.option(
    "--attach", type=click.Choice(["docx"]), multiple=True, help="Also attach the Word file (the PDF is)."
)
@click.option(
    "--rate",
    help="At most this many messages: N/s, N/min, N/h or N/day, from 1/day to 100/s  "
    "[default: rate in mail.yaml]",
)
@click.option("--status", is_flag=True, help="Summarise the ledger of messages sent from the output folder.")
@click.option(
    "--export", type=click.Path(dir_okay=False, path_type=Path), help="Write the ledger to this CSV file."
)
@click.option("--confirm-sent", type=int, metavar="ID", help="Record that message ID, left sending, arrived.")
@click.option(
    "--confirm-unsent", type=int, metavar="ID", help="Record that message ID, left sending, did not arrive."
)
def mail(
    project: Path,
    strict: bool,
    out: Path | None,
    send: bool,
    limit: int | None,
    letter: str | None,
    attach: tuple[str, ...],
    rate: str | None,
    status: bool,
    export: Path | None,
    confirm_sent: int | None,
    confirm_unsent: int | None,
) -> None:
    """Email each built letter to its recipient, once; writes .eml files to <out>/outbox/ unless --send."""
    from keycities import ledger
    from keycities.errors import MailError
    from keycities.mail import MailOptions, mail_letters

    folder = out or project / "out"
    confirm = confirm_sent if confirm_sent is not None else confirm_unsent
    modes = {"--status": status, "--export": export is not None, "--send": send}
    modes |= {"--confirm-sent": confirm_sent is not None, "--confirm-unsent": confirm_unsent is not None}
    chosen = [name for name, given in modes.items() if given]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} cannot be combined; give one")
    if status:
        click.echo("\n".join(ledger.status_lines(folder)))
    elif export:
        click.echo(f"{ledger.export_csv(folder, export)} messages written to {export}")
    elif confirm is not None:
        row = ledger.confirm(folder, confirm, was_sent=confirm_sent is not None)
        click.echo(f"{row.label} <{row.email}>: now {row.outcome}")
    else:
        options = MailOptions(send, limit, letter, "docx" in attach, rate, strict)
        report = mail_letters(
            project,
            folder,
            options,
            lambda line, problem: click.echo(line, err=problem),
            prompt=lambda text: str(click.prompt(text, hide_input=True)),
        )
        click.echo(report.summary())
        if not send:
            outbox = folder / "outbox"
            click.echo(f"Dry run: nothing was sent. Check the messages in {outbox}, then add --send.")
        if report.counts["held back by --limit"]:
            click.echo("Run the same command again to send the next ones.")
        if report.unsent:
            raise MailError(report.hint())


def main() -> None:
    """Run the command line."""
    cli(prog_name="generate.py")
