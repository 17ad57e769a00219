"""`generate.py mail`: email each built letter to its recipient, once."""

from __future__ import annotations

from pathlib import Path

import click

from keycities.cli.commands import cli, letter_option, out_option
from keycities.cli.common import project_option, strict_option

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
@click.option(
    "--test-to",
    metavar="ADDRESS",
    help="Send the messages to ADDRESS only, with [TEST] before the subject, recording nothing in the "
    "ledger; the first one unless --limit says more.",
)
def mail_send(
    project: Path,
    strict: bool,
    out: Path | None,
    letter: str | None,
    attach: tuple[str, ...],
    limit: int | None,
    rate: str | None,
    test_to: str | None,
) -> None:
    """Send each message through the SMTP server in mail.yaml, once."""
    _mail_letters(project, strict, out, letter, attach, limit, send=True, rate=rate, test_to=test_to)


def _mail_letters(
    project: Path,
    strict: bool,
    out: Path | None,
    letter: str | None,
    attach: tuple[str, ...],
    limit: int | None,
    send: bool,
    rate: str | None = None,
    test_to: str | None = None,
) -> None:
    """Draft or send the messages, then print the summary; messages not sent exit 1."""
    from keycities.errors import MailError
    from keycities.mail.messages import OUTBOX, MailOptions
    from keycities.mail.send import mail_letters

    folder = out or project / "out"
    report = mail_letters(
        project,
        folder,
        MailOptions(send, limit, letter, "docx" in attach, rate, strict, test_to),
        lambda line, problem: click.echo(line, err=problem),
        prompt=lambda text: str(click.prompt(text, hide_input=True)),
    )
    click.echo(report.summary())
    if test_to is not None:
        click.echo(
            f"Test: {report.counts['sent']} message(s) sent to {test_to} only, with [TEST] before the "
            "subject; nothing was sent to the recipients and nothing recorded in the ledger."
        )
        if report.counts["held back by --limit"]:
            click.echo("Give --limit N to test more of them.")
    elif not send:
        click.echo(
            f"Draft: nothing was sent. Check the messages in {folder / OUTBOX}, then send them with "
            "`generate.py mail send` and the same options."
        )
    if report.counts["held back by --limit"] and test_to is None:
        click.echo("Run the same command again to send the next ones.")
    if report.unsent:
        raise MailError(report.hint())


@mail.command("status")
@project_option
@out_option
def mail_status(project: Path, out: Path | None) -> None:
    """Summarise the ledger: what was sent, and what needs attention."""
    from keycities.mail.ledger import status_lines
    from keycities.mail.proof import refresh_proof_page

    folder = out or project / "out"
    click.echo("\n".join(status_lines(folder)))
    if problem := refresh_proof_page(folder, project):  # brought up to date with the ledger
        click.echo(f"warning: {problem}", err=True)


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
    from keycities.mail.proof import refresh_proof_page

    folder = out or project / "out"
    row = ledger.confirm(folder, message_id, was_sent=arrived)
    click.echo(f"{row.label} <{row.email}>: now {row.outcome}")
    if problem := refresh_proof_page(folder, project):
        click.echo(f"warning: {problem}", err=True)
