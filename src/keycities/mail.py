"""Mail the built letters: messages from the manifest, written to outbox/ as a dry run unless told to send.

What goes is what was proofed: each attachment is the file recorded in manifest.json, refused when its
SHA-256 no longer matches. Sending goes through SMTP at a set rate and every message is recorded in the
ledger (ledger.py) before and after its transaction, so a resumed run never sends a message twice.

The manifest may have been edited since the build, so every entry and every header value is checked again
here, and each message is read back once written: one whose headers read back other than intended (a
header injected through an encoded word, or a name the mail library folds into two addresses) is refused.
"""

from __future__ import annotations

import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape

from keycities.campaign import load_campaign
from keycities.compose import TEMPLATE_SLIPS, FolderLoader, Sandbox
from keycities.errors import MailError
from keycities.ledger import LEDGER, Ledger, Row
from keycities.mail_settings import Settings, address_problem, load_settings, rate_interval
from keycities.output import MANIFEST, ManifestEntry, read_manifest, sha256, write_atomic
from keycities.smtp import Connection, SendFailure
from keycities.template_limits import text_of, within_limits
from keycities.text_rules import text_problem

OUTBOX = "outbox"
MEDIA_TYPES = {"pdf": "pdf", "docx": "vnd.openxmlformats-officedocument.wordprocessingml.document"}
Say = Callable[[str, bool], None]  # (line, is it a problem): problems go to stderr
# A letter's manifest entry: text it must have, and text it may have (a recipient without email has none).
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
UNREACHABLE_AFTER = 3  # connection failures in a row: the server is down, and each costs the timeout
NOT_TRIED = "not tried (server unreachable)"


@dataclass(frozen=True)
class MailOptions:
    """What to mail and how, from the command line."""

    send: bool = False
    limit: int | None = None
    letter: str | None = None
    attach_docx: bool = False
    rate: str | None = None
    strict: bool = False


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Time, injectable so tests of the rate limit and back-off do not wait."""

    now: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class MailReport:
    """How each selected message ended, by outcome (`sent`, `refused`, `written`...)."""

    sent: bool
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def unsent(self) -> int:
        """Messages that need a person or a later run."""
        held = ("sent", "written", "sent earlier", "held back by --limit")
        return sum(count for outcome, count in self.counts.items() if outcome not in held)

    def summary(self) -> str:
        """`2 sent, 1 refused, ...`, with what earlier runs sent and what --limit held back."""
        first = (
            f"{self.counts['sent']} sent" if self.sent else f"{self.counts['written']} written to the outbox"
        )
        outcomes = ("refused", "failed (temporary)", "failed (permanent)", "awaiting confirmation")
        parts = [first, *(f"{self.counts[o]} {o}" for o in outcomes)]
        extras = ("sent earlier", "held back by --limit", NOT_TRIED)
        extra = [f"{self.counts[o]} {o}" for o in extras if self.counts[o]]
        return ", ".join(parts) + (f"; {', '.join(extra)}" if extra else "")

    def hint(self) -> str:
        """What to do when some messages did not go."""
        if not self.sent:
            return f"{self.unsent} message(s) would not be sent; see above"
        return (
            f"{self.unsent} message(s) not sent; see above. Run the same command again to resume: what was "
            "sent is never sent again, and temporary failures are retried when due"
        )


@dataclass(frozen=True)
class Outgoing:
    """One message: a letter for one recipient, with the manifest entries of the files to attach."""

    letter: str
    recipient: str
    files: tuple[ManifestEntry, ...]  # the PDF first, then the Word file with --attach docx
    missing: tuple[str, ...]  # formats asked for but not built

    def get(self, key: str) -> str:
        """A field of the letter's manifest entry, as text."""
        return str(self.files[0].get(key) or "")


def plan(out: Path, options: MailOptions) -> tuple[list[Outgoing], list[str]]:
    """The letters in the manifest to mail, one message per recipient, in path order; and warnings for
    the manifest entries left out because they are malformed."""
    entries, warnings = letter_entries(out)
    by_letter: dict[tuple[str, str], dict[str, ManifestEntry]] = {}
    for entry in sorted(entries, key=lambda entry: entry["path"]):
        by_letter.setdefault((entry["collection"], entry["target"]), {})[entry["format"]] = entry
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


def letter_entries(out: Path) -> tuple[list[ManifestEntry], list[str]]:
    """The letters' entries in manifest.json, each checked as the build checks them (a malformed one is
    left out with a warning); a MailError when there is nothing to mail from."""
    file = out / MANIFEST
    if not file.is_file():
        raise MailError(f"{file}: no manifest; build the letters first with `generate.py letters`")
    entries, warnings = read_manifest(out)
    letters = [entry for entry in entries.values() if entry["kind"] == "letter"]
    if not entries and warnings:
        raise MailError(f"{warnings[0]}; build the letters again")
    return letters, warnings


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
            raise MailError(f"templates/{error.name}:{error.lineno}: {error.message}") from None

    def render(self, context: dict[str, Any]) -> tuple[str, str]:
        """(text, html) for one message; a MailError names the template, the line and the names available."""
        bodies = []
        for template in self.templates:
            try:
                with within_limits():
                    bodies.append(text_of(template, context))
            except (jinja2.TemplateError, *TEMPLATE_SLIPS) as error:
                lines = [
                    f.lineno
                    for f in traceback.extract_tb(error.__traceback__)
                    if f.filename == template.filename
                ]
                raise MailError(
                    f"templates/{template.name}:{lines[-1] if lines else '?'}: {error}; names "
                    f"available: {', '.join(sorted(context))}"
                ) from None
        plain = (context["opt_out"], context["group_name"])
        for template, body, needles in zip(self.templates, bodies, (plain, map(escape, plain)), strict=True):
            if not all(str(needle) in body for needle in needles):
                raise MailError(
                    f"templates/{template.name}: every message must name the sender and give the opt-out "
                    "contact (UK GDPR, PECR); keep the footer placing {{ group_name }} and {{ opt_out }}"
                )
        return bodies[0], bodies[1]


def mail_letters(
    project: Path,
    out: Path,
    options: MailOptions,
    say: Say,
    *,
    environ: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] | None = None,
    clock: Clock | None = None,
) -> MailReport:
    """Write each letter's message to the outbox, or send it (options.send), recording every message."""
    settings, warnings = load_settings(project, environ, options.strict)
    if options.rate:
        try:
            settings = replace(settings, interval=rate_interval(options.rate))
        except ValueError as error:
            raise MailError(f"--rate: {error}") from None
    planned, manifest_warnings = plan(out, options)
    if options.send and settings.placeholder:
        raise MailError(settings.placeholder)
    run = _Run(project, out, settings, options, say, clock or Clock())
    run.connection = Connection(settings.smtp, environ.get("KEYCITIES_SMTP_PASSWORD"), prompt)
    for warning in warnings + manifest_warnings:
        say(f"warning: {warning}", True)
    try:
        for outgoing in planned:
            outcome = run.mail(outgoing)
            run.report.counts[outcome] += 1
            if not options.send and outcome != "written":  # the outbox shows only what would go
                (out / OUTBOX / outgoing.letter / f"{outgoing.recipient}.eml").unlink(missing_ok=True)
    finally:
        run.connection.close()
        if run.ledger:
            run.ledger.close()
    if run.unreachable >= UNREACHABLE_AFTER:
        say(
            f"{run.connection.where}: unreachable: {run.unreachable} connections in a row failed, the last "
            f"with: {run.last_failure}; {run.report.counts[NOT_TRIED]} message(s) not tried. Check that the "
            "server is up and smtp.host and smtp.port in mail.yaml (or KEYCITIES_SMTP_HOST and _PORT), then "
            "run the same command again: the messages not sent go at once",
            True,
        )
    return run.report


class _Run:
    """One mailing: the ledger, the connection, the rate limit and what happened to each message."""

    connection: Connection

    def __init__(
        self, project: Path, out: Path, settings: Settings, options: MailOptions, say: Say, clock: Clock
    ) -> None:
        self.out, self.settings, self.options, self.say, self.clock = out, settings, options, say, clock
        self.bodies = Bodies(project)
        group = load_campaign(project).data.group
        self.group_name, contact = group.name, group.contact
        self.contact = [*contact.address, *(x for x in (contact.email, contact.telephone, contact.web) if x)]
        # a dry run reads the ledger to leave out what was sent, but never creates or changes it
        exists = (out / LEDGER).is_file()
        self.ledger = Ledger(out / LEDGER, options.send) if options.send or exists else None
        self.report = MailReport(sent=options.send)
        self.attempted = 0
        self.last_start: float | None = None
        self.unreachable = 0  # connection failures in a row
        self.last_failure = ""

    def mail(self, outgoing: Outgoing) -> str:
        """Send or write one message unless the ledger or its data says not to; the outcome."""
        email, subject = outgoing.get("email"), outgoing.get("subject")
        row = self.ledger.find(outgoing.recipient, outgoing.get("sha256")) if self.ledger else None
        held = row.hold(email, self.clock.now()) if row else None
        if row and held:
            if held != "sent earlier":
                self.say(row.advice, True)
            return held
        problem, attachments = self._check(outgoing)
        if problem:
            return self._refuse(outgoing, row, problem)
        if self.options.limit is not None and self.attempted >= self.options.limit:
            return "held back by --limit"
        self.attempted += 1
        message_id = row.message_id if row else make_msgid(domain=self.settings.sender.domain)
        data = self._message(outgoing, attachments, message_id).as_bytes(policy=policy.SMTP)
        if problem := self._read_back(data, outgoing, message_id):
            return self._refuse(outgoing, row, problem)
        if self.options.send and self.unreachable >= UNREACHABLE_AFTER:
            return NOT_TRIED
        if self.options.send:
            return self._send(row or self._add(outgoing, message_id), outgoing, data)
        path = self.out / OUTBOX / outgoing.letter / f"{outgoing.recipient}.eml"
        write_atomic(path, data)
        names = ", ".join(name for name, _, _ in attachments)
        self.say(
            f"would send {outgoing.letter}/{outgoing.recipient} to <{email}>: {subject} [{names}]", False
        )
        return "written"

    def _refuse(self, outgoing: Outgoing, row: Row | None, problem: str) -> str:
        self.say(f"{outgoing.letter}/{outgoing.recipient}: refused: {problem}", True)
        if self.ledger and self.options.send:
            email, subject = outgoing.get("email"), outgoing.get("subject")
            self.ledger.refuse((row or self._add(outgoing)).id, email, subject, problem, self.clock.now())
        return "refused"

    def _add(self, outgoing: Outgoing, message_id: str | None = None) -> Row:
        assert self.ledger is not None
        message_id = message_id or make_msgid(domain=self.settings.sender.domain)
        key = (outgoing.recipient, outgoing.letter, outgoing.get("sha256"))
        return self.ledger.add(
            (*key, outgoing.get("email"), outgoing.get("subject"), message_id), self.clock.now()
        )

    def _check(self, outgoing: Outgoing) -> tuple[str | None, list[tuple[str, str, bytes]]]:
        """Why this message must not go (bad data, a file changed since it was built), and its attachments."""
        if outgoing.missing:
            return f"no {' or '.join(outgoing.missing)} file was built for it; build it, or drop --attach", []
        for key, whose in HEADER_SOURCES.items():  # checked when built, but the manifest may be edited since
            if problem := text_problem(outgoing.get(key)):
                return f"{key} ({whose}): {problem}, then build the letters again", []
        problem = address_problem(outgoing.get("email"))
        if problem:
            return f"{problem}; correct the recipient's email and build the letters again", []
        attachments = []
        for entry in outgoing.files:
            path = self.out / entry["path"]
            try:  # links followed: a link inside the folder may point outside it
                if not path.resolve().is_relative_to(self.out.resolve()):
                    return f"{path} is outside the output folder; build the letters again", []
                data = path.read_bytes()
            except FileNotFoundError:
                return f"{path} is missing; build it again with `generate.py letters`", []
            except (OSError, RuntimeError) as error:  # a folder, no permission; RuntimeError: a link loop
                return f"{path} cannot be read ({error}); build it again with `generate.py letters`", []
            if sha256(data) != entry.get("sha256"):
                return (
                    f"{path} changed since it was built (its SHA-256 differs from the manifest); build it "
                    "again with `generate.py letters` and check it before sending"
                ), []
            kind = entry["format"]
            attachments.append((f"{outgoing.letter}.{kind}", MEDIA_TYPES[kind], data))
        return None, attachments

    def _message(
        self, outgoing: Outgoing, attachments: list[tuple[str, str, bytes]], message_id: str
    ) -> EmailMessage:
        text, html = self.bodies.render(
            {
                "salutation": outgoing.get("salutation"),
                "holder": outgoing.get("holder"),
                "subject": outgoing.get("subject"),
                "group_name": self.group_name,
                "contact": self.contact,
                "sender": self.settings.sender.addr_spec,
                "opt_out": self.settings.opt_out,
                "attachments": [name for name, _, _ in attachments],
                "language": outgoing.get("language") or "en-GB",
            }
        )
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = Address(display_name=outgoing.get("holder"), addr_spec=outgoing.get("email"))
        if self.settings.reply_to:
            message["Reply-To"] = self.settings.reply_to
        message["Subject"] = outgoing.get("subject")
        message["Date"] = format_datetime(self.clock.now())
        message["Message-ID"] = message_id
        message.set_content(text, cte="quoted-printable")  # 7-bit: any server takes it
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        for name, subtype, data in attachments:
            message.add_attachment(data, maintype="application", subtype=subtype, filename=name)
        return message

    def _read_back(self, data: bytes, outgoing: Outgoing, message_id: str) -> str | None:
        """How the message as written reads back other than intended, or None: the last guard against
        text that a mail program would read as other headers or addresses, whatever the checks missed."""
        holder = Address(display_name=outgoing.get("holder"), addr_spec=outgoing.get("email"))
        addresses = {"from": self.settings.sender, "to": holder}
        if self.settings.reply_to:
            addresses["reply-to"] = self.settings.reply_to
        texts = {"subject": outgoing.get("subject"), "message-id": message_id}
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

    def _send(self, row: Row, outgoing: Outgoing, data: bytes) -> str:
        assert self.ledger is not None
        if self.last_start is not None:
            wait = self.last_start + self.settings.interval - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)
        self.last_start = self.clock.monotonic()
        email = outgoing.get("email")
        try:
            self.connection.envelope(self.settings.sender.addr_spec, email)
        except SendFailure as failure:
            return self._failed(row, failure, claimed=False)
        self.unreachable = 0
        # Claimed only now, just before DATA: whatever failed before left the row as it was, not `sending`.
        if not self.ledger.claim(row, email, outgoing.get("subject"), self.clock.now()):
            self.connection.abandon()
            self.say(f"{row.label}: skipped: another run is sending it or has sent it", True)
            return "taken by another run"
        try:
            reply = self.connection.hand_over(data)
        except SendFailure as failure:
            return self._failed(row, failure, claimed=True)
        self.ledger.sent(row.id, reply, self.clock.now())
        self.say(f"sent {row.label} to <{email}>: {reply}", False)
        return "sent"

    def _failed(self, row: Row, failure: SendFailure, claimed: bool) -> str:
        assert self.ledger is not None
        self.unreachable = self.unreachable + 1 if failure.unreachable else 0
        self.last_failure = failure.reason
        row = self.ledger.record_failure(row, failure, self.clock.now(), claimed=claimed)
        self.say(row.advice, True)
        return row.outcome


def _words(text: str) -> str:
    """Text with runs of white space as one space: how a mail program shows a header, unfolded."""
    return " ".join(text.split())
