"""The command line: each command parses its options, calls the library, and prints a short summary.

Heavy libraries (WeasyPrint, python-docx, matplotlib) are imported inside commands, so `--help` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keycities import __version__
from keycities.errors import BuildError, DataError, KeyCitiesError

if TYPE_CHECKING:  # imported lazily at run time, so that --help stays instant
    from keycities.build.jobs import Selection
    from keycities.figures.model import DataYear


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


class DataYearType(click.ParamType):
    """`--data-year`: a year such as 2018, or `latest`."""

    name = "YYYY|latest"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int) or value == "latest":
            return value
        if isinstance(value, str) and value.isdigit() and len(value) == 4:
            return int(value)
        self.fail(f"expected a year such as 2018, or 'latest'; got {value!r}", param, ctx)


data_year_option = click.option(
    "--data-year",
    type=DataYearType(),
    help="Use the figures of this year (or `latest`: each figure's newest year) instead of the year each "
    "letter or cities.yaml's briefing pins, for this run.",
)


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
    from keycities.check import check as check_project

    findings = check_project(project, strict, show_sources, list_figures)
    _warn(findings.warnings)
    for number, (heading, text) in enumerate(findings.sections):
        click.echo(("\n" if number else "") + f"{heading}\n")
        click.echo(text)
    _warn(findings.notices)
    click.echo(f"\n{findings.summary}")


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
    from keycities.figures.model import DataYear

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
    from keycities.figures.model import DataYear

    selection = Selection(letters=False, city=city, data_year=data_year)
    _run_build(project, strict, None, selection, out, formats, jobs, force)


@cli.command()
@project_option
@strict_option
@click.option("--letter", required=True, help="The letter (its file name in letters/, without .md).")
@click.option("--recipient", required=True, help="The recipient id.")
@out_option
def preview(project: Path, strict: bool, letter: str, recipient: str, out: Path | None) -> None:
    """Write one letter as an HTML page to check in a browser, and print its path."""
    from keycities.build.preview import preview as write_preview

    click.echo(write_preview(project, letter, recipient, out or project / "out", _warn, strict))


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
    from keycities.figures.model import DataYear

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

    chosen = tuple(f for f in FORMATS if f in formats) or FORMATS
    folder = out or project / "out"
    with Progress() as progress:
        report = build_project(
            project, selection, folder, chosen, _warn, strict=strict, recipients=recipients, workers=jobs,
            force=force, progress=progress.update, combined=combined,
        )  # fmt: skip
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


limit_option = click.option("--limit", type=click.IntRange(min=1), help="At most this many messages.")
attach_option = click.option(
    "--attach", type=click.Choice(["docx"]), multiple=True, help="Also attach the Word file (the PDF is)."
)
rate_option = click.option(
    "--rate",
    help="At most this many messages: N/s, N/min, N/h or N/day, from 1/day to 100/s  "
    "[default: rate in mail.yaml]",
)


@cli.group(invoke_without_command=True)
@click.pass_context
def mail(ctx: click.Context) -> None:
    """Email each built letter to its recipient, once. Draft, check, then send.

    `mail draft` writes the messages to <out>/outbox/ to check; `mail send` sends them, recording each in
    the ledger so that none goes twice; `mail status` shows what went and what needs attention."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@mail.command("draft")
@project_option
@strict_option
@out_option
@letter_option
@attach_option
@limit_option
def mail_draft(
    project: Path,
    strict: bool,
    out: Path | None,
    letter: str | None,
    attach: tuple[str, ...],
    limit: int | None,
) -> None:
    """Write each message to <out>/outbox/ to check; send nothing."""
    _mail_letters(project, strict, out, letter, attach, limit, send=False)


@mail.command("send")
@project_option
@strict_option
@out_option
@letter_option
@attach_option
@limit_option
@rate_option
def mail_send(
    project: Path,
    strict: bool,
    out: Path | None,
    letter: str | None,
    attach: tuple[str, ...],
    limit: int | None,
    rate: str | None,
) -> None:
    """Send each message through the SMTP server in mail.yaml, once."""
    _mail_letters(project, strict, out, letter, attach, limit, send=True, rate=rate)


def _mail_letters(
    project: Path,
    strict: bool,
    out: Path | None,
    letter: str | None,
    attach: tuple[str, ...],
    limit: int | None,
    send: bool,
    rate: str | None = None,
) -> None:
    """Draft or send the messages, then print the summary; messages not sent exit 1."""
    from keycities.errors import MailError
    from keycities.mail.messages import OUTBOX, MailOptions
    from keycities.mail.send import mail_letters

    folder = out or project / "out"
    report = mail_letters(
        project,
        folder,
        MailOptions(send, limit, letter, "docx" in attach, rate, strict),
        lambda line, problem: click.echo(line, err=problem),
        prompt=lambda text: str(click.prompt(text, hide_input=True)),
    )
    click.echo(report.summary())
    if not send:
        click.echo(
            f"Draft: nothing was sent. Check the messages in {folder / OUTBOX}, then send them with "
            "`generate.py mail send` and the same options."
        )
    if report.counts["held back by --limit"]:
        click.echo("Run the same command again to send the next ones.")
    if report.unsent:
        raise MailError(report.hint())


@mail.command("status")
@project_option
@out_option
def mail_status(project: Path, out: Path | None) -> None:
    """Summarise the ledger: what was sent, and what needs attention."""
    from keycities.mail.ledger import status_lines

    click.echo("\n".join(status_lines(out or project / "out")))


@mail.command("export")
@project_option
@out_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def mail_export(project: Path, out: Path | None, file: Path) -> None:
    """Write the ledger of messages to FILE as CSV, for the records."""
    from keycities.mail.ledger import export_csv

    click.echo(f"{export_csv(out or project / 'out', file)} messages written to {file}")


@mail.command("confirm")
@project_option
@out_option
@click.argument("message_id", metavar="ID", type=int)
@click.option(
    "--arrived/--not-arrived",
    default=None,
    help="It arrived (recorded as sent), or it did not (queued to go with the next `mail send`).",
)
def mail_confirm(project: Path, out: Path | None, message_id: int, arrived: bool | None) -> None:
    """Record whether message ID, left sending, arrived."""
    from keycities.mail import ledger

    if arrived is None:
        raise click.UsageError(
            f"give --arrived or --not-arrived: did message {message_id} reach its recipient?"
        )
    row = ledger.confirm(out or project / "out", message_id, was_sent=arrived)
    click.echo(f"{row.label} <{row.email}>: now {row.outcome}")


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
    _warn(report.warnings)
    click.echo(report.text())


def main() -> None:
    """Run the command line."""
    cli(prog_name="generate.py")
