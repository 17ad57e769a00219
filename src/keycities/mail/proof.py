"""What the ledger says of each built letter, for the proof page (build/proof.py), and the page written again
once the ledger changes: after `mail send`, `mail confirm` and `mail status`. The build is given
`mailed_statuses` by the command line, since build never imports mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from keycities.build.manifest import ManifestRecord, read_manifest
from keycities.build.proof import PAGE, rewrite_proof_page
from keycities.errors import KeyCitiesError
from keycities.mail.ledger import LEDGER, Ledger
from keycities.mail.row import Row


def mailed_statuses(out: Path, records: Iterable[ManifestRecord]) -> dict[str, str]:
    """Each letter's status by the path of each of its files: `sent 2026-12-01 14:03 UTC`, `awaiting
    confirmation`, `failed: reason`...; a letter the ledger does not know is left out (not mailed).
    Empty when there is no ledger; a MailError when it cannot be read."""
    if not (out / LEDGER).is_file():
        return {}
    ledger = Ledger(out / LEDGER, writable=False)
    try:
        rows = ledger.rows()
    finally:
        ledger.close()
    by_letter: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        by_letter.setdefault((row.letter, row.recipient), []).append(row)
    documents: dict[tuple[str, str], list[ManifestRecord]] = {}
    for record in records:
        if record.kind == "letter":
            documents.setdefault((record.collection, record.target), []).append(record)
    statuses = {}
    for key, files in documents.items():
        text = _status(by_letter.get(key, []), {record.sha256 for record in files})
        if text:
            statuses.update({record.path: text for record in files})
    return statuses


def refresh_proof_page(out: Path, project: Path) -> str | None:
    """Write out/index.html again with what the ledger and the project's approvals now say; a warning when
    it cannot be (the mailing itself is not affected), None otherwise."""
    try:
        rewrite_proof_page(out, mailed_statuses(out, read_manifest(out)[0].values()), project)
    except KeyCitiesError as error:
        return f"the proof page {out / PAGE} was not brought up to date: {error}"
    return None


def _status(rows: list[Row], files: set[str]) -> str | None:
    """The status of a letter whose files have these SHA-256s, from the ledger's rows for its recipient."""
    this = [row for row in rows if row.sha256 in files]
    if this:
        return status_text(this[-1])
    earlier = [row for row in rows if row.state == "sent"]
    if earlier:
        return f"not mailed: an earlier version was {status_text(earlier[-1])}"
    return None


def status_text(row: Row) -> str:
    """What a ledger row says, for a person: `sent 2026-12-01 14:03 UTC`, `failed: 550 no such mailbox`."""
    if row.state == "sent":
        return f"sent {_when(row.sent_at or row.updated)}"
    if row.state == "sending":
        return f"awaiting confirmation (message {row.id}: `generate.py mail confirm {row.id}`)"
    if row.state == "queued":
        return "queued"
    if row.failure == "refused":
        return f"refused: {row.reason}"
    if row.failure == "temporary":
        retry = f", retried after {_when(row.next_attempt)}" if row.next_attempt else ""
        return f"failed, to be retried{retry}: {row.reason}"
    return f"failed: {row.reason}"


def _when(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
