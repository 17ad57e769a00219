"""The messages to mail: one per letter and recipient, from the manifest's checked records, each made with
its bodies from templates/mail.txt and mail.html (in the documents' sandbox) and read back once made.

The manifest may have been edited since the build, so every header value and every attached file is checked
again here, and each message is read back once written: one whose headers read back other than intended (a
header injected through an encoded word, or a name the mail library folds into two addresses) is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape

from keycities.build.files import sha256
from keycities.build.manifest import MANIFEST, ManifestRecord, read_manifest
from keycities.compose.limits import text_of, within_limits
from keycities.compose.sandbox import TEMPLATE_SLIPS, FolderLoader, Sandbox, template_error
from keycities.data.cities import load_campaign
from keycities.errors import MailError
from keycities.mail.settings import Settings, address_problem
from keycities.text_rules import text_problem

OUTBOX = "outbox"


MEDIA_TYPES = {"pdf": "pdf", "docx": "vnd.openxmlformats-officedocument.wordprocessingml.document"}


# Header text and where it comes from, for a refusal's fix.
HEADER_SOURCES = {
    "email": "the recipient's email",
    "holder": "the recipient's name",
    "subject": "the letter's subject",
}


READ_BACK_FIXES = {
    "from": "correct from in mail.yaml",
    "reply-to": "correct reply_to in mail.yaml",
    "to": "correct the recipient's name or email (a long name with commas is folded into several addresses), "
    "then build the letters again",
    "subject": "correct the letter's subject, then build the letters again",
    "message-id": "check the ledger",
    "": "check the recipient's name, the letter's subject, and from and reply_to in mail.yaml",
}


@dataclass(frozen=True)
class MailOptions:
    """What to mail and how, from the command line."""

    send: bool = False
    limit: int | None = None
    letter: str | None = None
    attach_docx: bool = False
    rate: str | None = None
    strict: bool = False


@dataclass(frozen=True)
class Attachment:
    """A built file as attached: its name in the message, its media subtype and its bytes."""

    name: str
    subtype: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message: a letter for one recipient, with the manifest records of the files to attach."""

    letter: str
    recipient: str
    files: tuple[ManifestRecord, ...]  # the PDF first, then the Word file with --attach docx
    missing: tuple[str, ...]  # formats asked for but not built

    @property
    def record(self) -> ManifestRecord:
        """The manifest record the message's headers and bodies come from (the first file's)."""
        return self.files[0]

    @property
    def email(self) -> str:
        """The recipient's address, or '' when the recipient has none."""
        return self.record.email or ""

    @property
    def holder(self) -> str:
        """The recipient's name, for the To header and the bodies."""
        return self.record.holder or ""

    @property
    def subject(self) -> str:
        """The letter's subject."""
        return self.record.subject or ""

    @property
    def salutation(self) -> str:
        """`Dear ...`, for the bodies."""
        return self.record.salutation or ""

    @property
    def language(self) -> str:
        """The letter's language tag, English unless the manifest says otherwise."""
        return self.record.language or "en-GB"

    @property
    def sha256(self) -> str:
        """The SHA-256 of the first file as built: with the recipient, the message's key in the ledger."""
        return self.record.sha256

    @property
    def header_texts(self) -> dict[str, str]:
        """The text of each header value taken from the manifest, by its key in HEADER_SOURCES."""
        return {"email": self.email, "holder": self.holder, "subject": self.subject}

    def outbox_file(self, out: Path) -> Path:
        """Where a draft of this message is written."""
        return out / OUTBOX / self.letter / f"{self.recipient}.eml"


def plan(out: Path, options: MailOptions) -> tuple[list[Outgoing], list[str]]:
    """The letters in the manifest to mail, one message per recipient, in path order; and warnings for
    the manifest entries left out because they are malformed."""
    records, warnings = letter_records(out)
    by_letter: dict[tuple[str, str], dict[str, ManifestRecord]] = {}
    for record in sorted(records, key=lambda record: record.path):
        by_letter.setdefault((record.collection, record.target), {})[record.format] = record
    names = sorted({letter for letter, _ in by_letter})
    if options.letter and options.letter not in names:
        raise MailError(
            f"no letter '{options.letter}' in {out / MANIFEST}; letters built: {', '.join(names)}"
        )
    wanted = ("pdf", "docx") if options.attach_docx else ("pdf",)
    planned = [
        Outgoing(
            letter,
            recipient,
            tuple(formats[name] for name in wanted if name in formats) or tuple(formats.values()),
            tuple(name for name in wanted if name not in formats),
        )
        for (letter, recipient), formats in sorted(by_letter.items())
        if options.letter in (None, letter)
    ]
    return planned, warnings


def letter_records(out: Path) -> tuple[list[ManifestRecord], list[str]]:
    """The letters' records in manifest.json, each checked as the build checks them (a malformed one is
    left out with a warning); a MailError when there is nothing to mail from."""
    file = out / MANIFEST
    if not file.is_file():
        raise MailError(f"{file}: no manifest; build the letters first with `generate.py letters`")
    records, warnings = read_manifest(out)
    letters = [record for record in records.values() if record.kind == "letter"]
    if not records and warnings:
        raise MailError(f"{warnings[0]}; build the letters again")
    return letters, warnings


def check_outgoing(out: Path, outgoing: Outgoing) -> tuple[str | None, list[Attachment]]:
    """Why this message must not go (bad data, a file changed since it was built), and its attachments."""
    if outgoing.missing:
        return f"no {' or '.join(outgoing.missing)} file was built for it; build it, or drop --attach", []
    # checked when built, but the manifest may have been edited since
    for key, text in outgoing.header_texts.items():
        if problem := text_problem(text):
            return f"{key} ({HEADER_SOURCES[key]}): {problem}, then build the letters again", []
    problem = address_problem(outgoing.email)
    if problem:
        return f"{problem}; correct the recipient's email and build the letters again", []
    attachments = []
    for record in outgoing.files:
        path = out / record.path
        try:  # links followed: a link inside the folder may point outside it
            if not path.resolve().is_relative_to(out.resolve()):
                return f"{path} is outside the output folder; build the letters again", []
            data = path.read_bytes()
        except FileNotFoundError:
            return f"{path} is missing; build it again with `generate.py letters`", []
        except (OSError, RuntimeError) as error:  # a folder, no permission; RuntimeError: a link loop
            return f"{path} cannot be read ({error}); build it again with `generate.py letters`", []
        if sha256(data) != record.sha256:
            return (
                f"{path} changed since it was built (its SHA-256 differs from the manifest); build it "
                "again with `generate.py letters` and check it before sending"
            ), []
        attachments.append(Attachment(f"{outgoing.letter}.{record.format}", MEDIA_TYPES[record.format], data))
    return None, attachments


class Messages:
    """Makes each message from its manifest record, the group's details and mail.yaml, and reads it back."""

    def __init__(self, project: Path, settings: Settings) -> None:
        self.settings = settings
        self.bodies = Bodies(project)
        group = load_campaign(project).data.group
        self.group_name, contact = group.name, group.contact
        self.contact = [*contact.address, *(x for x in (contact.email, contact.telephone, contact.web) if x)]

    def make(
        self, outgoing: Outgoing, attachments: list[Attachment], message_id: str, date: datetime
    ) -> bytes:
        """The message as it goes over SMTP: headers, text and HTML bodies, attachments."""
        text, html = self.bodies.render(
            {
                "salutation": outgoing.salutation,
                "holder": outgoing.holder,
                "subject": outgoing.subject,
                "group_name": self.group_name,
                "contact": self.contact,
                "sender": self.settings.sender.addr_spec,
                "opt_out": self.settings.opt_out,
                "attachments": [attachment.name for attachment in attachments],
                "language": outgoing.language,
            }
        )
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = Address(display_name=outgoing.holder, addr_spec=outgoing.email)
        if self.settings.reply_to:
            message["Reply-To"] = self.settings.reply_to
        message["Subject"] = outgoing.subject
        message["Date"] = format_datetime(date)
        message["Message-ID"] = message_id
        message.set_content(text, cte="quoted-printable")  # 7-bit: any server takes it
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        for attachment in attachments:
            message.add_attachment(
                attachment.data, maintype="application", subtype=attachment.subtype, filename=attachment.name
            )
        return message.as_bytes(policy=policy.SMTP)

    def read_back(self, data: bytes, outgoing: Outgoing, message_id: str) -> str | None:
        """How the message as written reads back other than intended, or None: the last guard against
        text that a mail program would read as other headers or addresses, whatever the checks missed."""
        holder = Address(display_name=outgoing.holder, addr_spec=outgoing.email)
        addresses = {"from": self.settings.sender, "to": holder}
        if self.settings.reply_to:
            addresses["reply-to"] = self.settings.reply_to
        texts = {"subject": outgoing.subject, "message-id": message_id}
        expected = Counter([*addresses, *texts, "date", "mime-version", "content-type"])
        try:
            message = message_from_bytes(data, policy=policy.default)
            names = {name.lower(): name for name in message}
            found = Counter(name.lower() for name in message)
            if found != expected:
                differences = [f"an extra {names[name]} header" for name in found - expected]
                differences += [f"no {name} header" for name in expected - found]
                return f"it would be read with {' and '.join(differences)}; {READ_BACK_FIXES['']}"
            for name, address in addresses.items():
                read = [(_words(a.display_name), a.addr_spec) for a in message[name].addresses]
                if read != [(_words(address.display_name), address.addr_spec)]:
                    shown = ", ".join(str(a) for a in message[name].addresses)
                    return f"its {names[name]} header would be read as {shown!r}; {READ_BACK_FIXES[name]}"
            for name, text in texts.items():
                if _words(str(message[name])) != _words(text):
                    shown = str(message[name])
                    return f"its {names[name]} header would be read as {shown!r}; {READ_BACK_FIXES[name]}"
        except Exception as error:  # the email parser raises assorted errors on a malformed header
            return f"it does not read back as a message ({error!r}); {READ_BACK_FIXES['']}"
        return None


class Bodies:
    """The plain-text and HTML bodies, from templates/mail.txt and mail.html: strict Jinja in the documents'
    sandbox (read-only data, limits on a run, no file from outside templates/)."""

    def __init__(self, project: Path) -> None:
        environment = Sandbox(
            loader=FolderLoader([project / "templates"]),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(),  # on for .html: data cannot inject markup
            keep_trailing_newline=True,
        )
        try:
            self.templates = [environment.get_template(name) for name in ("mail.txt", "mail.html")]
        except jinja2.TemplateNotFound as error:
            raise MailError(f"templates/{error.name}: not found; restore it from the repository") from None
        except jinja2.TemplateSyntaxError as error:
            raise MailError(template_error(f"templates/{error.name}", error, {})) from None

    def render(self, context: dict[str, Any]) -> tuple[str, str]:
        """(text, html) for one message; a MailError names the template, the line and the fix."""
        bodies = []
        for template in self.templates:
            try:
                with within_limits():
                    bodies.append(text_of(template, context))
            except (jinja2.TemplateError, *TEMPLATE_SLIPS) as error:
                raise MailError(template_error(f"templates/{template.name}", error, context)) from None
        plain = (context["opt_out"], context["group_name"])
        for template, body, needles in zip(self.templates, bodies, (plain, map(escape, plain)), strict=True):
            if not all(str(needle) in body for needle in needles):
                raise MailError(
                    f"templates/{template.name}: every message must name the sender and give the opt-out "
                    "contact (UK GDPR, PECR); keep the footer placing {{ group_name }} and {{ opt_out }}"
                )
        return bodies[0], bodies[1]


def _words(text: str) -> str:
    """Text with runs of white space as one space: how a mail program shows a header, unfolded."""
    return " ".join(text.split())
