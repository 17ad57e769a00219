"""`generate.py approve`: sign off the built documents; `mail send` sends exactly what was approved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from keycities.cli.commands import cli, letter_option, out_option, recipient_option, recipients_option
from keycities.cli.common import data_year_option, project_option, strict_option, warn

if TYPE_CHECKING:  # imported lazily at run time, so that --help stays instant
    from keycities.figures.model import DataYear


@cli.command()
@project_option
@strict_option
@letter_option
@recipient_option
@click.option("--city", help="Only this member's briefing pack (its slug).")
@recipients_option
@data_year_option
@out_option
@click.option("--by", required=True, help="Who approves (or revokes): their name, as the record shows it.")
@click.option("--note", default="", help="Why, or what was checked; kept with the approval.")
@click.option("--revoke", is_flag=True, help="Withdraw the approval of the selected documents instead.")
def approve(
    project: Path,
    strict: bool,
    letter: str | None,
    recipient: str | None,
    city: str | None,
    recipients: Path | None,
    data_year: DataYear,
    out: Path | None,
    by: str,
    note: str,
    revoke: bool,
) -> None:
    """Approve the selected documents as built (in approvals.yaml): only they are mailed, byte for byte."""
    from keycities.build.approvals import APPROVALS
    from keycities.build.approving import Signature
    from keycities.build.approving import approve as approve_outputs
    from keycities.build.approving import revoke as revoke_approvals
    from keycities.build.jobs import Selection
    from keycities.errors import BuildError
    from keycities.mail.proof import refresh_proof_page  # the page shows the approvals, and what was mailed

    folder = out or project / "out"
    selection = Selection(letter=letter, recipient=recipient, city=city, data_year=data_year)
    signature = Signature(by, note)
    if revoke:
        report = revoke_approvals(project, selection, signature)
        for path in report.revoked:
            click.echo(f"revoked {path}")
        click.echo(f"{len(report.revoked)} approval(s) revoked in {project / APPROVALS}")
    else:
        report = approve_outputs(project, folder, selection, signature, strict=strict, recipients=recipients)
        warn(report.warnings)
        for path in report.approved:
            click.echo(f"approved {path}")
        for path, why in report.refused:
            click.echo(f"error: {path}: not approved: {why}", err=True)
        click.echo(
            f"{len(report.approved)} approved, {len(report.unchanged)} already approved as they are, "
            f"{len(report.refused)} refused; approvals in {project / APPROVALS}"
        )
    if (report.approved or report.revoked) and (problem := refresh_proof_page(folder, project)):
        click.echo(f"warning: {problem}", err=True)
    if report.refused:
        raise BuildError(
            f"{len(report.refused)} document(s) not approved; build them again, check them on the proof "
            "page, then approve them"
        )
