"""The send gate: a letter goes only while every file it attaches (its enclosure too), hashed as it is
about to be sent, and its email are exactly as approved in the project's approvals.yaml
(build/approvals.py). A project whose mail.yaml says `approval: not-required` has no gate."""

from __future__ import annotations

from pathlib import Path

from keycities.build.approvals import email_sha256, load_approvals, mail_templates_hash, verdict
from keycities.build.files import sha256
from keycities.mail.messages import Attachment, Outgoing


class Gate:
    """The approvals read once for a run, and the check of each message against them."""

    def __init__(self, project: Path, required: bool) -> None:
        self.approvals = load_approvals(project) if required else None
        self.templates = mail_templates_hash(project) if required else ""

    def why_not(self, outgoing: Outgoing, attachments: list[Attachment]) -> str | None:
        """Why this message is not approved as it stands (its files' bytes as read now), or None."""
        if self.approvals is None:
            return None
        reasons = []
        attached = (*outgoing.files, *outgoing.enclosures)  # the enclosure is approved like the letter
        for record, attachment in zip(attached, attachments, strict=True):
            email = email_sha256(record, self.templates)
            why = verdict(self.approvals, record, sha256(attachment.data), email)
            if why:
                reasons.append(f"{attachment.name}: {why}" if len(attached) > 1 else why)
        return "; ".join(reasons) or None
