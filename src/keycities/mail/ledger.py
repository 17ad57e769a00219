"""The record of delivery: the ledger of every message in SQLite (smtp.py sends them; row.py is one row).

The ledger has one row per recipient and document (the SHA-256 of its PDF). A row goes queued -> sending
-> sent, or to failed (refused before sending, or a temporary or permanent failure from the server).
`sending` is committed once the server has accepted the envelope, just before the message is handed over,
and `sent` right after it, so a crash in between leaves `sending`: a person confirms what happened, and it
is never sent again blindly.

The file is checked when opened (its table and columns) and every row when read, so a ledger from another
version, edited by hand or damaged is reported with how to recover, never acted on.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keycities.build.files import write_atomic
from keycities.build.proof import MAIL_LEDGER
from keycities.errors import MailError
from keycities.mail.row import COLUMNS, Failure, Row, row_problem
from keycities.mail.smtp import SendFailure

LEDGER = MAIL_LEDGER  # mail-ledger.sqlite in the output folder


MAX_ATTEMPTS = 8  # runs that met a temporary failure: then it counts as permanent


# The ledger is the only record of what was sent: a new one would send everything again.
RECOVER = (
    "restore it from a backup, or move it aside and the next `mail send` starts a new ledger, which will "
    "not know what this one recorded as sent"
)


SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,          -- the recipient id
    letter TEXT NOT NULL,             -- the letter's name
    sha256 TEXT NOT NULL,             -- of the PDF as built and recorded in the manifest
    email TEXT NOT NULL,
    subject TEXT NOT NULL,
    message_id TEXT NOT NULL,         -- kept across retries, so a receiving server can spot a duplicate
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    failure TEXT CHECK (failure IN ('refused', 'temporary', 'permanent')),
    reason TEXT NOT NULL DEFAULT '',  -- why it failed
    reply TEXT NOT NULL DEFAULT '',   -- the server's reply when it was accepted
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT,                -- unused: earlier versions wrote a back-off; runs retry at once
    sent_at TEXT,
    updated TEXT NOT NULL,
    UNIQUE (recipient, sha256)
)
"""


SELECT = f"SELECT {', '.join(COLUMNS)} FROM messages"


class Ledger:
    """The ledger of one output folder; every change is committed at once (autocommit).

    Opened read-only unless `writable`; a new ledger is created only when writable."""

    def __init__(self, path: Path, writable: bool = True) -> None:
        self.path = path
        try:
            if writable:
                self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            else:  # a draft, status and export must not change the file
                self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", timeout=30, uri=True)
        except sqlite3.Error as error:
            raise MailError(f"{path}: cannot open the mail ledger ({error}); check the file") from None
        try:
            self._check_tables(writable)
        except sqlite3.Error as error:  # above all `file is not a database`
            self.db.close()
            raise MailError(f"{path}: not a mail ledger ({error}); {RECOVER}") from None
        except MailError:
            self.db.close()
            raise
        self.db.row_factory = self._row

    def _check_tables(self, writable: bool) -> None:
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and writable:
            self.db.execute(SCHEMA)
            return
        if "messages" not in tables:
            raise MailError(f"{self.path}: not a mail ledger: it has no table `messages`; {RECOVER}")
        have = {column for _, column, *_ in self.db.execute("PRAGMA table_info(messages)")}
        missing = [column for column in COLUMNS if column not in have]
        if missing:
            raise MailError(
                f"{self.path}: not a mail ledger of this version: the table `messages` has no column "
                f"{', '.join(missing)}; {RECOVER}"
            )

    def _row(self, cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Row:
        """A row read, checked: a value this code would misread stops the run, naming the row."""
        row = Row(*values)
        problem = row_problem(row)
        if problem:
            raise MailError(
                f"{self.path}: message {row.id!r}: {problem}; correct it with an SQLite tool, or restore "
                "the file from a backup (`generate.py mail export FILE` still writes what it holds)"
            )
        return row

    def _run(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """Execute one statement; an SQLite error (a locked or read-only file) is a MailError."""
        try:
            return self.db.execute(sql, parameters)
        except sqlite3.Error as error:
            raise MailError(
                f"{self.path}: {error}; check that the file can be written and that no other program holds it"
            ) from None

    def _one(self, sql: str, parameters: tuple[Any, ...]) -> Row | None:
        row: Row | None = self._run(sql, parameters).fetchone()
        return row

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def find(self, recipient: str, sha256: str) -> Row | None:
        """The row of a recipient and document, if any."""
        return self._one(f"{SELECT} WHERE recipient = ? AND sha256 = ?", (recipient, sha256))

    def get(self, row_id: int) -> Row:
        """The row with this id, or a MailError saying there is none."""
        row = self._one(f"{SELECT} WHERE id = ?", (row_id,))
        if row is None:
            raise MailError(f"no message {row_id} in {self.path}; see the ids with `generate.py mail status`")
        return row

    def rows(self) -> list[Row]:
        """Every row, in id order."""
        return list(self._run(f"{SELECT} ORDER BY id"))

    def raw_rows(self) -> list[tuple[Any, ...]]:
        """Every row as stored, unchecked, in id order: what can be exported from a damaged ledger."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        try:
            return list(cursor.execute(f"{SELECT} ORDER BY id"))
        except sqlite3.Error as error:
            raise MailError(f"{self.path}: {error}; {RECOVER}") from None

    def add(self, row: tuple[str, str, str, str, str, str], now: datetime) -> Row:
        """The row for (recipient, letter, sha256, email, subject, message_id), queued if it is new."""
        self._run(
            "INSERT OR IGNORE INTO messages (recipient, letter, sha256, email, subject, message_id, state, "
            "updated) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)",
            (*row, _time(now)),
        )
        found = self.find(row[0], row[2])
        assert found is not None
        return found

    def claim(self, row: Row, email: str, subject: str, now: datetime) -> bool:
        """Mark a row `sending` unless another run changed it since it was read; True when claimed."""
        cursor = self._run(
            "UPDATE messages SET state = 'sending', email = ?, subject = ?, attempts = attempts + 1, "
            "updated = ? WHERE id = ? AND state IN ('queued', 'failed') AND attempts = ?",
            (email, subject, _time(now), row.id, row.attempts),
        )
        return cursor.rowcount == 1

    def sent(self, row_id: int, reply: str, now: datetime) -> None:
        """Record that the server accepted the message."""
        self._run(
            "UPDATE messages SET state = 'sent', failure = NULL, reason = '', reply = ?, sent_at = ?, "
            "next_attempt = NULL, updated = ? WHERE id = ?",
            (reply, _time(now), _time(now), row_id),
        )

    def failed(self, row_id: int, failure: Failure, reason: str, now: datetime) -> None:
        """Record a failure (a message already sent is never marked failed)."""
        self._run(
            "UPDATE messages SET state = 'failed', failure = ?, reason = ?, next_attempt = NULL, updated = ? "
            "WHERE id = ? AND state != 'sent'",
            (failure, reason, _time(now), row_id),
        )

    def record_failure(self, row: Row, failure: SendFailure, now: datetime, *, claimed: bool) -> Row:
        """Record what the server or network did with a message, `row` as read before the attempt.

        `claimed`: the failure came while the message was handed over; otherwise before (connecting, MAIL
        FROM, RCPT TO) and the row is left alone if another run changed it since. A temporary failure is
        tried again by the next run, at once (not counted as an attempt when the server was not reached),
        and counts as permanent after MAX_ATTEMPTS; an unknown outcome stays `sending` for a person to
        confirm."""
        if failure.kind == "unknown":
            return self.get(row.id)
        attempts = row.attempts + (0 if failure.unreachable else 1)  # counting this one
        kind: Failure = failure.kind
        reason = failure.reason
        if kind == "temporary" and not failure.unreachable and attempts >= MAX_ATTEMPTS:
            kind, reason = "permanent", f"gave up after {attempts} attempts: {reason}"
        ours = "state = 'sending'" if claimed else "state IN ('queued', 'failed') AND attempts = ?"
        self._run(
            "UPDATE messages SET state = 'failed', failure = ?, reason = ?, next_attempt = NULL, "
            f"attempts = ?, updated = ? WHERE id = ? AND {ours}",
            (
                kind,
                reason,
                attempts,
                _time(now),
                row.id,
                *(() if claimed else (row.attempts,)),
            ),
        )
        return self.get(row.id)

    def refuse(self, row_id: int, email: str, subject: str, reason: str, now: datetime) -> None:
        """Record that a message was refused before sending, with the address and subject it had."""
        self._run(
            "UPDATE messages SET email = ?, subject = ? WHERE id = ? AND state IN ('queued', 'failed')",
            (email, subject, row_id),
        )
        self.failed(row_id, "refused", reason, now)

    def confirm(self, row_id: int, was_sent: bool, now: datetime) -> Row:
        """A person's answer for a message left `sending`: sent, or back in the queue."""
        row = self.get(row_id)
        if row.state != "sending":
            raise MailError(
                f"message {row_id} ({row.letter}/{row.recipient}) is {row.outcome}, not awaiting "
                "confirmation; only a message left 'sending' by an interrupted run needs confirming"
            )
        if was_sent:
            self.sent(row_id, "confirmed as sent by a person", now)
        else:
            self._run("UPDATE messages SET state = 'queued', updated = ? WHERE id = ?", (_time(now), row_id))
        return self.get(row_id)


def confirm(out: Path, row_id: int, was_sent: bool, now: datetime | None = None) -> Row:
    """Record a person's answer for a message an interrupted run left `sending`."""
    ledger = _existing(out)
    try:
        return ledger.confirm(row_id, was_sent, now or datetime.now(UTC))
    finally:
        ledger.close()


def status_lines(out: Path) -> list[str]:
    """A summary of the ledger: counts by outcome, then every message that needs attention."""
    if not (out / LEDGER).is_file():
        return [f"no mail ledger in {out}: nothing has been sent from this folder"]
    ledger = Ledger(out / LEDGER, writable=False)
    try:
        rows = ledger.rows()
    finally:
        ledger.close()
    counts = Counter(row.outcome for row in rows)
    order = ("sent", "queued", "refused", "failed (temporary)", "failed (permanent)", "awaiting confirmation")
    lines = [
        f"{out / LEDGER}: {len(rows)} message{'s' if len(rows) != 1 else ''}",
        ", ".join(f"{counts[outcome]} {outcome}" for outcome in order),
    ]
    return lines + [row.advice for row in rows if row.state in ("sending", "failed")]


def export_csv(out: Path, file: Path) -> int:
    """Write every row to a CSV file atomically, for the records; the number of rows.
    Rows are written as stored, unchecked, so that what a damaged ledger holds can still be saved."""
    ledger = _existing(out, writable=False)
    try:
        rows = ledger.raw_rows()
    finally:
        ledger.close()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    write_atomic(file, text.getvalue().encode("utf-8"))
    return len(rows)


def _existing(out: Path, writable: bool = True) -> Ledger:
    if not (out / LEDGER).is_file():
        raise MailError(f"no mail ledger in {out}: nothing has been sent from this folder; check --out")
    return Ledger(out / LEDGER, writable)


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
