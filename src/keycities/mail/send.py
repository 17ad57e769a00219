"""Mail the built letters: each message (messages.py) written to outbox/ as a draft, or sent.

What goes is what was proofed and approved: each attachment is the file recorded in manifest.json, refused
when its SHA-256 no longer matches, and a letter is sent only while its files and email are as approved in
approvals.yaml (approval.py; drafts and tests of the others are marked UNAPPROVED). Sending goes through
SMTP at a set rate and every message is recorded in the ledger (ledger.py) before and after its
transaction, so a resumed run never sends a message twice.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path

from keycities.build.files import write_atomic
from keycities.errors import MailError
from keycities.mail.approval import Gate
from keycities.mail.ledger import LEDGER, Ledger
from keycities.mail.messages import Attachment, MailOptions, Messages, Outgoing, check_outgoing, plan
from keycities.mail.row import Row
from keycities.mail.settings import Settings, address_problem, load_settings, rate_interval
from keycities.mail.smtp import Connection, SendFailure

Say = Callable[[str, bool], None]  # (line, is it a problem): problems go to stderr


UNREACHABLE_AFTER = 3  # connection failures in a row: the server is down, and each costs the timeout


NOT_TRIED = "not tried (server unreachable)"


NOT_APPROVED = "not approved"


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
    test_to: str | None = None  # a test run: every message went to this address, none was recorded

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
        extras = ("sent earlier", "held back by --limit", NOT_APPROVED, NOT_TRIED)
        extra = [f"{self.counts[o]} {o}" for o in extras if self.counts[o]]
        return ", ".join(parts) + (f"; {', '.join(extra)}" if extra else "")

    def hint(self) -> str:
        """What to do when some messages did not go."""
        if self.test_to:
            return f"{self.unsent} test message(s) not sent to {self.test_to}; see above"
        if not self.sent:
            return f"{self.unsent} message(s) would not be sent; see above"
        approve = (
            f" Check the {self.counts[NOT_APPROVED]} not approved, then `generate.py approve` them."
            if self.counts[NOT_APPROVED]
            else ""
        )
        return (
            f"{self.unsent} message(s) not sent; see above. Run the same command again to resume: what was "
            f"sent is never sent again, and temporary failures are retried at once.{approve}"
        )


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
    if options.test_to is not None:
        if problem := address_problem(options.test_to):
            raise MailError(f"--test-to: {problem}; give one address like you@keycities.uk")
        # a test sends one message unless told otherwise, and always sends (never writes drafts)
        options = replace(options, send=True, limit=1 if options.limit is None else options.limit)
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
                outgoing.outbox_file(out).unlink(missing_ok=True)
    finally:
        run.connection.close()
        if run.ledger:
            run.ledger.close()
        if options.send and run.ledger:  # the proof page shows what the ledger now says
            from keycities.mail.proof import refresh_proof_page

            if problem := refresh_proof_page(out, project):
                say(f"warning: {problem}", True)
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
        self.messages = Messages(project, settings, options.test_to)
        self.gate = Gate(project, settings.approval_required)
        # a dry run reads the ledger to leave out what was sent, but never creates or changes it; a test
        # run never opens it: it sends to one address of its own, and the ledger records the recipients'
        exists = (out / LEDGER).is_file()
        wanted = (options.send or exists) and options.test_to is None
        self.ledger = Ledger(out / LEDGER, options.send) if wanted else None
        self.report = MailReport(sent=options.send, test_to=options.test_to)
        self.attempted = 0
        self.last_start: float | None = None
        self.unreachable = 0  # connection failures in a row
        self.last_failure = ""

    def mail(self, outgoing: Outgoing) -> str:
        """Send or write one message unless the ledger or its data says not to; the outcome."""
        row = self.ledger.find(outgoing.recipient, outgoing.sha256) if self.ledger else None
        held = row.hold(outgoing.email) if row else None
        if row and held:
            if held != "sent earlier":
                self.say(row.advice, True)
            return held
        problem, attachments = check_outgoing(self.out, outgoing, self.messages.short_name)
        if problem:
            return self._refuse(outgoing, row, problem)
        unapproved = self.gate.why_not(outgoing, attachments)
        if unapproved and self.options.send and self.options.test_to is None:
            self.say(
                f"{outgoing.letter}/{outgoing.recipient}: not approved, not sent: {unapproved}; check it, "
                "then `generate.py approve`",
                True,
            )
            return NOT_APPROVED
        outgoing = replace(outgoing, unapproved=unapproved is not None)
        if self.options.limit is not None and self.attempted >= self.options.limit:
            return "held back by --limit"
        self.attempted += 1
        message_id = row.message_id if row else make_msgid(domain=self.settings.sender.domain)
        data = self.messages.make(outgoing, attachments, message_id, self.clock.now())
        if problem := self.messages.read_back(data, outgoing, message_id):
            return self._refuse(outgoing, row, problem)
        if self.options.send and self.unreachable >= UNREACHABLE_AFTER:
            return NOT_TRIED
        if self.options.test_to:
            return self._send_test(outgoing, data, attachments)
        if self.options.send:
            return self._send(row or self._add(outgoing, message_id), outgoing, data)
        write_atomic(outgoing.outbox_file(self.out), data)
        names = ", ".join(attachment.name for attachment in attachments)
        self.say(
            f"would send {outgoing.letter}/{outgoing.recipient} to <{outgoing.email}>: "
            f"{self.messages.subject(outgoing)} [{names}]"
            + (f"; not approved: {unapproved}" if unapproved else ""),
            False,
        )
        return "written"

    def _send_test(self, outgoing: Outgoing, data: bytes, attachments: list[Attachment]) -> str:
        """Send a message to the test address only (its To header and envelope), recording nothing."""
        address = self.options.test_to
        assert address is not None and self.ledger is None
        self._pace()
        try:
            self.connection.envelope(self.settings.sender.addr_spec, address)
            self.unreachable = 0
            reply = self.connection.hand_over(data)
        except SendFailure as failure:
            self.unreachable = self.unreachable + 1 if failure.unreachable else 0
            self.last_failure = failure.reason
            self.say(f"{outgoing.letter}/{outgoing.recipient}: test not sent: {failure.reason}", True)
            return f"failed ({'temporary' if failure.kind == 'unknown' else failure.kind})"
        names = ", ".join(attachment.name for attachment in attachments)
        self.say(
            f"sent a test of {outgoing.letter}/{outgoing.recipient} to <{address}>: "
            f"{self.messages.subject(outgoing)} [{names}]: {reply}",
            False,
        )
        return "sent"

    def _pace(self) -> None:
        """Wait until the rate allows the next message."""
        if self.last_start is not None:
            wait = self.last_start + self.settings.interval - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)
        self.last_start = self.clock.monotonic()

    def _refuse(self, outgoing: Outgoing, row: Row | None, problem: str) -> str:
        self.say(f"{outgoing.letter}/{outgoing.recipient}: refused: {problem}", True)
        if self.ledger and self.options.send:
            row = row or self._add(outgoing)
            self.ledger.refuse(row.id, outgoing.email, outgoing.subject, problem, self.clock.now())
        return "refused"

    def _add(self, outgoing: Outgoing, message_id: str | None = None) -> Row:
        assert self.ledger is not None
        message_id = message_id or make_msgid(domain=self.settings.sender.domain)
        key = (outgoing.recipient, outgoing.letter, outgoing.sha256)
        return self.ledger.add((*key, outgoing.email, outgoing.subject, message_id), self.clock.now())

    def _send(self, row: Row, outgoing: Outgoing, data: bytes) -> str:
        assert self.ledger is not None
        self._pace()
        email = outgoing.email
        try:
            self.connection.envelope(self.settings.sender.addr_spec, email)
        except SendFailure as failure:
            return self._failed(row, failure, claimed=False)
        self.unreachable = 0
        # Claimed only now, just before DATA: whatever failed before left the row as it was, not `sending`.
        if not self.ledger.claim(row, email, outgoing.subject, self.clock.now()):
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
