"""approvals.yaml: which outputs the chair's office signed off, kept with the project so that it can be
committed and reviewed. One entry per approved output (its path in the output folder, its SHA-256, for a
letter the SHA-256 of its email, who approved it, when, the note, and each input's short hash at the
time), and the history of every approval and revocation, oldest first.

An approval holds for exactly the bytes approved: a letter is mailed only while every attached file's
SHA-256 and its email's are the approved ones (mail/send.py asks `verdict` for each message). Rebuilding
without changes gives the same bytes, so the approval holds; a rebuild that changes a file ends it, and the
inputs' hashes say which inputs changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field

from keycities.build.files import write_atomic
from keycities.build.jobs import TOOL_PART
from keycities.build.manifest import ManifestRecord
from keycities.data.schema import Model, raise_if_any, validate
from keycities.data.yaml_lines import read_yaml
from keycities.errors import DataError

APPROVALS = "approvals.yaml"

SHA256 = r"^[0-9a-f]{64}$"

HEADER = """\
# Approvals: the outputs the chair's office signed off, each by its path in the output folder and the
# SHA-256 of its bytes (and, for a letter, of its email). `generate.py mail send` sends a letter only while
# its files and its email are exactly as approved here. Written by `generate.py approve` (and
# `approve --revoke`); commit it with the project. `history` keeps every approval and revocation.
"""

# What a letter's email is made of besides its attachments, from the manifest record.
EMAIL_FIELDS = ("email", "holder", "salutation", "subject", "language", "email_message")

MAIL_TEMPLATES = ("mail*.txt", "mail*.html")  # the frame of every message, in templates/

SHOWN_CHANGES = 6  # inputs named in a reason; the rest are counted


class Approval(Model):
    """One approved output."""

    path: str
    sha256: str = Field(pattern=SHA256)
    email: str | None = Field(default=None, pattern=SHA256)  # a letter's email, as `email_sha256` hashes it
    by: str
    at: str  # ISO 8601 with its offset
    note: str = ""
    inputs: dict[str, str] = Field(default_factory=dict)  # each input's short hash when it was approved


class Event(Model):
    """An approval or a revocation, as the history keeps it."""

    event: Literal["approved", "revoked"]
    path: str
    sha256: str = Field(pattern=SHA256)
    by: str
    at: str
    note: str = ""


class ApprovalsFile(Model):
    """approvals.yaml."""

    approvals: list[Approval] = Field(default_factory=list)
    history: list[Event] = Field(default_factory=list)


@dataclass
class Approvals:
    """The project's approvals by output path, and their history; `save` writes them back."""

    file: Path
    by_path: dict[str, Approval] = field(default_factory=dict)
    history: list[Event] = field(default_factory=list)

    def add(self, approval: Approval) -> None:
        """Approve an output (in place of its earlier approval), and keep it in the history."""
        self.by_path[approval.path] = approval
        self.history.append(_event("approved", approval, approval))

    def revoke(self, path: str, by: str, at: str, note: str) -> Approval:
        """Withdraw the approval of an output, keeping it in the history; the approval withdrawn."""
        approval = self.by_path.pop(path)
        self.history.append(_event("revoked", approval, Approval(**_stamp(approval, by, at, note))))
        return approval

    def save(self) -> None:
        """Write approvals.yaml atomically: the approvals in path order, the history oldest first."""
        approvals = [_plain(self.by_path[path]) for path in sorted(self.by_path)]
        history = [_plain(event) for event in self.history]
        dump = yaml.safe_dump(
            {"approvals": approvals, "history": history},
            sort_keys=False,
            allow_unicode=True,
            width=1000,
            default_flow_style=False,
        )
        write_atomic(self.file, (HEADER + dump).encode())


def load_approvals(project: Path) -> Approvals:
    """The project's approvals.yaml (none yet: no approvals); a DataError lists every problem, located."""
    file = project / APPROVALS
    if not file.is_file() and not file.is_symlink():
        return Approvals(file)
    located = read_yaml(file, project)
    model, errors, warnings = validate(ApprovalsFile, located)
    seen: dict[str, int] = {}
    for index, approval in enumerate(model.approvals if model else []):
        line = located.line(("approvals", index))
        if approval.path in seen:
            errors.append(
                f"{located.label}:{line}: approvals[{index}].path: {approval.path} is approved twice (first "
                f"on line {seen[approval.path]}); keep one, or approve it again with `generate.py approve`"
            )
        seen.setdefault(approval.path, line)
    raise_if_any(errors, warnings, strict=False)
    if model is None:
        raise DataError([f"{located.label}: not an approvals file"])
    return Approvals(file, {a.path: a for a in model.approvals}, list(model.history))


def mail_templates_hash(project: Path) -> str:
    """A hash of the mail templates (templates/mail*.txt and .html): the frame every message is made in."""
    digest = hashlib.sha256()
    folder = project / "templates"
    for path in sorted({p for pattern in MAIL_TEMPLATES for p in folder.glob(pattern) if p.is_file()}):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def email_sha256(record: ManifestRecord, templates: str) -> str | None:
    """The SHA-256 of a letter's email as the manifest records it (the recipient's address, name and
    salutation, the subject, the letter's own email) and of the mail templates (`mail_templates_hash`);
    None for a pack or a combined file, which are never mailed."""
    if record.kind != "letter":
        return None
    fields = record.model_dump(mode="json", include=set(EMAIL_FIELDS))
    return hashlib.sha256(f"{json.dumps(fields, sort_keys=True)}\0{templates}".encode()).hexdigest()


def verdict(approvals: Approvals, record: ManifestRecord, sha256: str, email: str | None) -> str | None:
    """Why this output, whose bytes have this SHA-256 and whose email this hash, is not approved; None
    when it is exactly as approved."""
    approval = approvals.by_path.get(record.path)
    if approval is None:
        return "never approved"
    if approval.sha256 != sha256:
        changed = changed_inputs(approval.inputs, record.input_parts) if sha256 == record.sha256 else ""
        return f"rebuilt after its approval ({approved_by(approval)}){': ' if changed else ''}{changed}"
    if approval.email != email:
        return (
            f"its email changed after its approval ({approved_by(approval)}): the recipient's address, name "
            "or salutation, the subject or text of the letter's email, or a mail template in templates/"
        )
    return None


def changed_inputs(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """Which inputs differ, for a person: `cities.yaml and data/ons-gva-la-2021.yaml changed`."""
    if not before or not after:
        return "its inputs changed (an earlier version of the tool did not record which)"
    names = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if not names:
        return "from the same inputs, with different bytes (a change in the tool or a library it uses)"
    shown = [_input_name(name) for name in names[:SHOWN_CHANGES]]
    if len(names) > SHOWN_CHANGES:
        shown.append(f"{len(names) - SHOWN_CHANGES} more")
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    return f"{listed} changed"


def approved_by(approval: Approval) -> str:
    """`approved by Jane Smith on 2 March 2026, 09:00 UTC`."""
    return f"approved by {approval.by} on {shown_time(approval.at)}"


def shown_time(moment: str) -> str:
    """An ISO time as GOV.UK writes a date, with the time in UTC: `2 March 2026, 09:00 UTC`."""
    try:
        when = datetime.fromisoformat(moment).astimezone(UTC)
    except ValueError:
        return moment
    return f"{when.day} {when:%B %Y, %H:%M} UTC"


def approval_statuses(project: Path, records: Iterable[ManifestRecord]) -> dict[str, str]:
    """Each output's approval, for the proof page, by path: `approved by ... on ...`, or `not approved:
    why`. A DataError when approvals.yaml cannot be read."""
    approvals, templates = load_approvals(project), mail_templates_hash(project)
    statuses = {}
    for record in records:
        why = verdict(approvals, record, record.sha256, email_sha256(record, templates))
        approval = approvals.by_path.get(record.path)
        statuses[record.path] = f"not approved: {why}" if why or not approval else approved_by(approval)
    return statuses


def unmatched_approvals(project: Path, records: Mapping[str, ManifestRecord]) -> list[str]:
    """A warning for each approval that matches no built output (by path and SHA-256)."""
    approvals = load_approvals(project)
    warnings = []
    for path, approval in sorted(approvals.by_path.items()):
        record = records.get(path)
        if record is None:
            why = "no output of that path was built (not in the manifest)"
        elif record.sha256 != approval.sha256:
            why = f"the output was rebuilt since: {changed_inputs(approval.inputs, record.input_parts)}"
        else:
            continue
        warnings.append(
            f"{APPROVALS}: {path}: {approved_by(approval)}, but {why}; check the new output and approve it "
            f"again, or withdraw the approval with `generate.py approve --revoke`"
        )
    return warnings


def _input_name(name: str) -> str:
    if name.startswith("recipient "):
        return f"the recipient's record ({name.removeprefix('recipient ')})"
    return name if name != TOOL_PART else "the tool (its version, its fonts or the run's data year)"


def _event(kind: Literal["approved", "revoked"], approval: Approval, stamp: Approval) -> Event:
    return Event(
        event=kind, path=approval.path, sha256=approval.sha256, by=stamp.by, at=stamp.at, note=stamp.note
    )


def _stamp(approval: Approval, by: str, at: str, note: str) -> dict[str, Any]:
    return approval.model_dump() | {"by": by, "at": at, "note": note}


def _plain(entry: Approval | Event) -> dict[str, Any]:
    """An entry as written: empty notes and missing email hashes left out."""
    return {key: value for key, value in entry.model_dump().items() if value not in (None, "", {})}
