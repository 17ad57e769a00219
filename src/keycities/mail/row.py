"""One message in the ledger (ledger.py): its row, what its state means to a person, and the checks a row
read back must pass, since SQLite keeps any value in any column and the file may have been edited.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from keycities.text_rules import text_problem

Failure = Literal["refused", "temporary", "permanent"]


STATES = ("queued", "sending", "sent", "failed")


FAILURES = ("refused", "temporary", "permanent")


@dataclass(frozen=True)
class Row:
    """One message in the ledger."""

    id: int
    recipient: str
    letter: str
    sha256: str
    email: str
    subject: str
    message_id: str
    state: str
    failure: str | None
    reason: str
    reply: str
    attempts: int
    next_attempt: str | None
    sent_at: str | None
    updated: str

    @property
    def label(self) -> str:
        """`[3] cities-in-action/prime-minister` for messages."""
        return f"[{self.id}] {self.letter}/{self.recipient}"

    @property
    def outcome(self) -> str:
        """`sent`, `refused`, `failed (temporary)`, `awaiting confirmation`..."""
        if self.state == "failed":
            return "refused" if self.failure == "refused" else f"failed ({self.failure})"
        return "awaiting confirmation" if self.state == "sending" else self.state

    @property
    def advice(self) -> str:
        """What happened to a message that was not sent, and what to do about it."""
        if self.state == "sending":
            return (
                f"{self.label} <{self.email}>: awaiting confirmation: left sending at {self.updated}; it may "
                f"have arrived. Check, then run `generate.py mail confirm {self.id} --arrived` or "
                f"`--not-arrived`"
            )
        retry = "; the next `mail send` tries it again" if self.failure == "temporary" else ""
        return f"{self.label} <{self.email}>: {self.outcome}: {self.reason}{retry}"

    def hold(self, email: str) -> str | None:
        """The outcome that keeps this message from going now, or None to go ahead."""
        if self.state in ("sent", "sending"):
            return "sent earlier" if self.state == "sent" else self.outcome
        # A temporary failure goes again with every new run, at once: a person who runs `mail send` again
        # after an outage should not wait out a back-off (`next_attempt`, written by earlier versions, is
        # ignored). A permanent failure is retried only for a corrected address.
        return self.outcome if self.failure == "permanent" and self.email == email else None


COLUMNS = tuple(field.name for field in fields(Row))


def row_problem(row: Row) -> str | None:
    """What in a row as read is not what this code writes, or None."""
    for column in fields(Row):  # SQLite keeps any type in any column
        value, declared = getattr(row, column.name), str(column.type)
        kind = int if declared == "int" else str
        if (value is None and declared.endswith("| None")) or type(value) is kind:
            continue
        return f"{column.name} is {value!r}, expected {'a whole number' if kind is int else 'text'}"
    if problem := text_problem(row.message_id):  # it becomes the Message-ID header
        return f"message_id: {problem}"
    if row.attempts < 0:
        return f"attempts is {row.attempts}, expected 0 or more"
    if row.state not in STATES:
        return f"state is {row.state!r}, expected one of {', '.join(STATES)}"
    if row.failure not in (None, *FAILURES) or (row.state == "failed" and row.failure is None):
        return f"failure is {row.failure!r}, expected one of {', '.join(FAILURES)} (or null unless failed)"
    for name in ("updated", "next_attempt", "sent_at"):
        value = getattr(row, name)
        if value is not None and _moment(value) is None:
            return f"{name} is {value!r}, expected a time with its zone, like 2026-03-02T09:00:00+00:00"
    return None


def _moment(text: str) -> datetime | None:
    """A time as the ledger writes it, or None: a time without its zone cannot be compared with now."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
