"""The messages to mail: one per letter and recipient, from the manifest's checked records, each made with
its bodies (bodies.py: templates/mail.txt and mail.html, or the letter's own email) and read back once made.

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

from keycities.build.files import sha256
from keycities.build.manifest import MANIFEST, ManifestRecord, read_manifest
from keycities.data.cities import load_campaign
from keycities.errors import MailError
from keycities.mail.bodies import Bodies, attachment_name
from keycities.mail.settings import Settings, address_problem
from keycities.text_rules import text_problem

OUTBOX = "outbox"
ENCLOSURE_NAME = "notes and sources"  # how a letter's enclosure is named when attached, after the letter


MEDIA_TYPES = {"pdf": "pdf", "docx": "vnd.openxmlformats-officedocument.wordprocessingml.document"}


# Header text and where it comes from, for a refusal's fix.
HEADER_SOURCES = {
    "email": "the recipient's email",
    "holder": "the recipient's name",
    "subject": "the letter's subject",
    "email subject": "the subject in the letter's `email:`",
}


READ_BACK_FIXES = {
    "from": "correct from in mail.yaml",
    "reply-to": "correct reply_to in mail.yaml",
    "to": "correct the recipient's name or email (a long name with commas is folded into several addresses), "
    "then build the letters again",
    "subject": "correct the letter's subject (or its email's), then build the letters again",
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
    test_to: str | None = None  # send to this address instead, with [TEST] in the subject; record nothing


@dataclass(frozen=True)
class Attachment:
    """A built file as attached: its name in the message (and an ASCII one for old clients), its media
    subtype and its bytes."""

    name: str
    ascii_name: str
    subtype: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message: a letter for one recipient, with the manifest records of the files to attach."""

    letter: str
    recipient: str
    files: tuple[ManifestRecord, ...]  # the PDF first, then the Word file with --attach docx
    missing: tuple[str, ...]  # formats asked for but not built
    unapproved: bool = False  # a draft or a test of a letter not approved: marked in its subject
    enclosures: tuple[ManifestRecord, ...] = ()  # the letter's notes and sources, in the same formats

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
        """The message's subject: the letter's own email's, or the letter's."""
        own = self.record.email_message
        return own.subject if own else self.letter_subject

    @property
    def letter_subject(self) -> str:
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
        subject = "email subject" if self.record.email_message else "subject"
        return {"email": self.email, "holder": self.holder, subject: self.subject}

    def outbox_file(self, out: Path) -> Path:
        """Where a draft of this message is written."""
        return out / OUTBOX / self.letter / f"{self.recipient}.eml"


def plan(out: Path, options: MailOptions) -> tuple[list[Outgoing], list[str]]:
    """The letters in the manifest to mail, one message per recipient, in path order; and warnings for
    the manifest entries left out because they are malformed."""
    records, enclosures, warnings = letter_records(out)
    by_letter: dict[tuple[str, str], dict[str, ManifestRecord]] = {}
    for record in sorted(records, key=lambda record: record.path):
        by_letter.setdefault((record.collection, record.target), {})[record.format] = record
    enclosed: dict[str, dict[str, ManifestRecord]] = {}
    for record in enclosures:
        enclosed.setdefault(record.collection, {})[record.format] = record
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
            enclosures=tuple(enclosed[letter][name] for name in wanted if name in enclosed.get(letter, {})),
        )
        for (letter, recipient), formats in sorted(by_letter.items())
        if options.letter in (None, letter)
    ]
    return planned, warnings


def letter_records(out: Path) -> tuple[list[ManifestRecord], list[ManifestRecord], list[str]]:
    """The letters' records in manifest.json and their enclosures', each checked as the build checks them
    (a malformed one is left out with a warning); a MailError when there is nothing to mail from."""
    file = out / MANIFEST
    if not file.is_file():
        raise MailError(f"{file}: no manifest; build the letters first with `generate.py letters`")
    records, warnings = read_manifest(out)
    letters = [record for record in records.values() if record.kind == "letter"]
    enclosures = [record for record in records.values() if record.kind == "enclosure"]
    if not records and warnings:
        raise MailError(f"{warnings[0]}; build the letters again")
    return letters, enclosures, warnings


def check_outgoing(out: Path, outgoing: Outgoing, group: str) -> tuple[str | None, list[Attachment]]:
    """Why this message must not go (bad data, a file changed since it was built), and its attachments
    (the letter, then its enclosure if it has one), named after the group (its short name), the letter and
    the recipient (or `notes and sources`)."""
    if outgoing.missing:
        return f"no {' or '.join(outgoing.missing)} file was built for it; build it, or drop --attach", []
    # checked when built, but the manifest may have been edited since
    for key, text in outgoing.header_texts.items():
        if problem := text_problem(text):
            name = key.split()[-1]  # `email subject` is the subject too
            return f"{name} ({HEADER_SOURCES[key]}): {problem}, then build the letters again", []
    problem = address_problem(outgoing.email)
    if problem:
        return f"{problem}; correct the recipient's email and build the letters again", []
    attachments = []
    for record in (*outgoing.files, *outgoing.enclosures):
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
        named = ENCLOSURE_NAME if record.kind == "enclosure" else outgoing.holder
        names = attachment_name(group, outgoing.letter_subject, named, record.format)
        attachments.append(Attachment(*names, MEDIA_TYPES[record.format], data))
    return None, attachments


class Messages:
    """Makes each message from its manifest record, the group's details and mail.yaml, and reads it back."""

    def __init__(self, project: Path, settings: Settings, test_to: str | None = None) -> None:
        self.settings, self.test_to = settings, test_to
        self.bodies = Bodies(project)
        group = load_campaign(project).data.group
        self.group_name, contact = group.name, group.contact
        self.short_name = group.short_name or group.name
        self.contact = [*contact.address, *(x for x in (contact.email, contact.telephone, contact.web) if x)]

    def make(
        self, outgoing: Outgoing, attachments: list[Attachment], message_id: str, date: datetime
    ) -> bytes:
        """The message as it goes over SMTP: headers, text and HTML bodies, attachments."""
        own = outgoing.record.email_message
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
            },
            (own.text, own.markdown, own.signature) if own else None,
        )
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = self.to(outgoing)
        if self.settings.reply_to:
            message["Reply-To"] = self.settings.reply_to
        message["Subject"] = self.subject(outgoing)
        message["Date"] = format_datetime(date)
        message["Message-ID"] = message_id
        message.set_content(text, cte="quoted-printable")  # 7-bit: any server takes it
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        for attachment in attachments:
            # a name beyond ASCII goes as RFC 2231 `filename*`; `name=` keeps an ASCII one for old clients
            message.add_attachment(
                attachment.data, maintype="application", subtype=attachment.subtype, filename=attachment.name
            )
            *_, part = message.iter_attachments()
            part.set_param("name", attachment.ascii_name)
        return message.as_bytes(policy=policy.SMTP)

    def to(self, outgoing: Outgoing) -> Address:
        """Who the message goes to: the recipient, or only the address of a test run."""
        if self.test_to:
            return Address(addr_spec=self.test_to)
        return Address(display_name=outgoing.holder, addr_spec=outgoing.email)

    def subject(self, outgoing: Outgoing) -> str:
        """The Subject header: `[TEST] ` before it in a test run, `[UNAPPROVED] ` for a letter that is not."""
        marks = ("[TEST] " if self.test_to else "") + ("[UNAPPROVED] " if outgoing.unapproved else "")
        return f"{marks}{outgoing.subject}"

    def read_back(self, data: bytes, outgoing: Outgoing, message_id: str) -> str | None:
        """How the message as written reads back other than intended, or None: the last guard against
        text that a mail program would read as other headers or addresses, whatever the checks missed."""
        addresses = {"from": self.settings.sender, "to": self.to(outgoing)}
        if self.settings.reply_to:
            addresses["reply-to"] = self.settings.reply_to
        texts = {"subject": self.subject(outgoing), "message-id": message_id}
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


def _words(text: str) -> str:
    """Text with runs of white space as one space: how a mail program shows a header, unfolded."""
    return " ".join(text.split())
