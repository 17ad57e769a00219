"""Approval: only what the chair's office signed off is mailed, byte for byte, and approvals.yaml says who
approved what and when.

The small project (three test recipients and Wakefield's pack, built as PDF) is mailed to a real SMTP
server on loopback (aiosmtpd, from test_mail.py); approvals are made with `generate.py approve`, and the
proof page is read back as HTML.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from build_support import APPROVED, DOCUMENT, LETTER, MAILED, ProofPage, Run, Small, invoke
from test_mail import (  # the real server and the helpers
    Handler,
    LoopbackController,
    handler,
    no_smtp_environment,
    server,
    write_settings,
)

from keycities.build.approving import Signature, approve
from keycities.build.jobs import Selection
from keycities.build.manifest import read_manifest

# pytest finds the shared fixtures by name in this module; naming them here marks the imports as used.
SHARED_FIXTURES = (handler, no_smtp_environment, server)
ADDRESSES = {"test-one": "t1@example.org", "test-two": "t2@example.org", "test-three": "t3@example.org"}
APPROVER = "Jane Smith, Chair's Office"


@pytest.fixture
def project(small: Small, server: LoopbackController) -> Path:
    """The small project, mailing through the test server, with approval required (the default)."""
    write_settings(small.project, server.port, approval="required")
    return small.project


def run(small: Small, *args: str) -> Run:
    """`generate.py approve` for the small project's letters, built from its recipients file."""
    return invoke("approve", "--project", small.project, "--out", small.out, "--recipients", small.csv, *args)


def mail(small: Small, verb: str, *args: str) -> Run:
    return invoke("mail", verb, "--project", small.project, "--out", small.out, *args)


def arrived(handler: Handler) -> dict[str, EmailMessage]:
    """What arrived, by envelope recipient."""
    return {
        envelope.rcpt_tos[0]: message
        for envelope, message in zip(handler.messages, handler.parsed(), strict=True)
    }


def approvals_file(small: Small) -> dict[str, list[dict[str, object]]]:
    data = yaml.safe_load((small.project / "approvals.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def edit_recipient(small: Small, before: str, after: str) -> None:
    text = small.csv.read_text(encoding="utf-8")
    assert before in text
    small.csv.write_text(text.replace(before, after), encoding="utf-8")


# ---- The gate: nothing unapproved is sent ------------------------------------------------------------


def test_unapproved_letters_are_not_sent_and_the_run_says_why(
    small: Small, project: Path, handler: Handler
) -> None:
    sent = mail(small, "send")
    assert sent.exit_code == 1, sent.describe()
    assert handler.messages == []
    for recipient in ADDRESSES:
        assert f"{LETTER}/{recipient}: not approved, not sent: never approved" in sent.stderr
    assert "3 not approved" in sent.stdout
    assert "`generate.py approve`" in sent.stderr
    assert "0 messages" in mail(small, "status").stdout  # held back, not recorded: approval sends them


def test_after_approval_each_letter_is_sent_once(small: Small, project: Path, handler: Handler) -> None:
    approved = run(small, "--by", APPROVER, "--note", "Read against the chair's copy")
    assert approved.exit_code == 0, approved.describe()
    assert "4 approved, 0 already approved as they are, 0 refused" in approved.stdout  # 3 letters, 1 pack

    first = mail(small, "send")
    assert first.exit_code == 0, first.describe()
    assert sorted(handler.count(address) for address in ADDRESSES.values()) == [1, 1, 1]
    assert all("UNAPPROVED" not in str(m["Subject"]) for m in handler.parsed())
    again = mail(small, "send")
    assert again.exit_code == 0, again.describe()
    assert len(handler.messages) == 3  # nothing twice


def test_the_approval_covers_exactly_the_approved_bytes(
    small: Small, project: Path, handler: Handler
) -> None:
    assert run(small, "--by", APPROVER).exit_code == 0
    # A file replaced after approval, with the manifest edited to match it: the build's own check passes,
    # and the gate, hashing the bytes as they are sent, still holds it back.
    pdf = small.letter("test-two")
    pdf.write_bytes(pdf.read_bytes() + b"\n% edited after approval\n")
    manifest = json.loads((small.out / "manifest.json").read_text(encoding="utf-8"))
    for document in manifest["documents"]:
        if document["path"] == f"letters/{LETTER}/test-two.pdf":
            document["sha256"] = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (small.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    sent = mail(small, "send")
    assert sent.exit_code == 1, sent.describe()
    assert set(arrived(handler)) == {"t1@example.org", "t3@example.org"}
    assert (
        f"{LETTER}/test-two: not approved, not sent: rebuilt after its approval (approved by" in sent.stderr
    )


def test_an_edited_email_is_not_approved(small: Small, project: Path, handler: Handler) -> None:
    assert run(small, "--by", APPROVER).exit_code == 0
    manifest = json.loads((small.out / "manifest.json").read_text(encoding="utf-8"))
    for document in manifest["documents"]:
        if document.get("target") == "test-one":
            document["salutation"] = "Dear Alex"
    (small.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    sent = mail(small, "send")
    assert sent.exit_code == 1
    assert "t1@example.org" not in arrived(handler)
    assert "test-one: not approved, not sent: its email changed after its approval" in sent.stderr


# ---- Rebuilding: unchanged bytes keep their approval, changed ones lose it --------------------------


def test_after_edits_and_a_rebuild_only_the_changed_letters_are_held_back(
    small: Small, project: Path, handler: Handler
) -> None:
    assert run(small, "--by", APPROVER).exit_code == 0
    before = {path: record.sha256 for path, record in read_manifest(small.out)[0].items()}
    cities = small.project / "cities.yaml"
    cities.write_text(cities.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    edit_recipient(small, "Alex Example", "Alexandra Example")
    rebuilt = small.build_letters()
    assert rebuilt.counts == (3, 0, 0), rebuilt.describe()  # every letter's inputs changed
    after = {path: record.sha256 for path, record in read_manifest(small.out)[0].items()}
    changed = {path for path in after if after[path] != before[path]}
    assert changed == {f"letters/{LETTER}/test-one.pdf"}  # the others came out byte for byte the same

    sent = mail(small, "send")
    assert sent.exit_code == 1, sent.describe()
    assert set(arrived(handler)) == {"t2@example.org", "t3@example.org"}
    held = next(line for line in sent.stderr.splitlines() if "test-one: not approved" in line)
    assert "rebuilt after its approval (approved by Jane Smith, Chair's Office on " in held
    assert "cities.yaml and the recipient's record (test-one) changed" in held

    page = ProofPage((small.out / "index.html").read_text(encoding="utf-8"))
    status = {
        row[DOCUMENT].split()[2]: row[APPROVED] for row in page.rows if row[DOCUMENT].startswith("letter")
    }
    assert status["test-one"].startswith("not approved: rebuilt after its approval"), status
    assert status["test-two"].startswith("approved by Jane Smith, Chair's Office on ")
    assert page.summary["approved"] == 3 and page.summary["not-approved"] == 1  # 2 letters and the pack

    check = invoke("check", "--project", small.project, "--out", small.out, "--recipients", small.csv)
    assert f"approvals.yaml: letters/{LETTER}/test-one.pdf: approved by " in check.stderr
    assert "rebuilt since: cities.yaml and the recipient's record (test-one) changed" in check.stderr
    assert "test-two.pdf" not in check.stderr

    assert run(small, "--recipient", "test-one", "--by", APPROVER).exit_code == 0
    assert mail(small, "send").exit_code == 0
    assert handler.count("t1@example.org") == 1 and len(handler.messages) == 3


def test_approve_refuses_stale_and_changed_outputs_and_says_which(small: Small, project: Path) -> None:
    letter = small.project / "letters" / f"{LETTER}.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    pdf = small.letter("test-three")
    pdf.write_bytes(pdf.read_bytes() + b"%")
    refused = run(small, "--letter", LETTER, "--by", APPROVER)
    assert refused.exit_code == 1
    assert f"error: letters/{LETTER}/test-one.pdf: not approved: stale: built before its inputs last " \
        f"changed (letters/{LETTER}.md changed)" in refused.stderr  # fmt: skip
    assert f"letters/{LETTER}/test-three.pdf: not approved: changed since it was built" in refused.stderr
    assert "0 approved" in refused.stdout
    assert not (small.project / "approvals.yaml").exists()

    pdf.unlink()
    missing = run(small, "--recipient", "test-three", "--by", APPROVER)
    assert f"letters/{LETTER}/test-three.pdf: not approved: missing" in missing.stderr

    assert small.build_letters().exit_code == 0
    assert run(small, "--letter", LETTER, "--by", APPROVER).exit_code == 0


# ---- Revocation and the file ------------------------------------------------------------------------


def test_revocation_stops_the_letter_and_the_history_keeps_both(
    small: Small, project: Path, handler: Handler
) -> None:
    assert run(small, "--letter", LETTER, "--by", APPROVER).exit_code == 0
    revoked = run(small, "--revoke", "--recipient", "test-one", "--by", "Sam Clerk", "--note", "Name wrong")
    assert revoked.exit_code == 0, revoked.describe()
    assert f"revoked letters/{LETTER}/test-one.pdf" in revoked.stdout
    sent = mail(small, "send")
    assert set(arrived(handler)) == {"t2@example.org", "t3@example.org"}
    assert "test-one: not approved, not sent: never approved" in sent.stderr

    data = approvals_file(small)
    assert [entry["path"] for entry in data["approvals"]] == [
        f"letters/{LETTER}/test-three.pdf",
        f"letters/{LETTER}/test-two.pdf",
    ]
    last = data["history"][-1]
    assert (last["event"], last["path"], last["by"], last["note"]) == (
        "revoked", f"letters/{LETTER}/test-one.pdf", "Sam Clerk", "Name wrong"
    )  # fmt: skip
    assert [event["event"] for event in data["history"]] == ["approved"] * 3 + ["revoked"]


def test_approvals_yaml_is_readable_and_diff_friendly(small: Small, project: Path) -> None:
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    selection = Selection(recipient="test-two")
    report = approve(small.project, small.out, selection, Signature("Jane Smith", "ok", lambda: moment),
                     recipients=small.csv)  # fmt: skip
    assert report.approved == [f"letters/{LETTER}/test-two.pdf"]
    text = (small.project / "approvals.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Approvals: ")
    entry = approvals_file(small)["approvals"][0]
    record = read_manifest(small.out)[0][f"letters/{LETTER}/test-two.pdf"]
    assert entry["sha256"] == record.sha256
    assert (entry["by"], entry["at"], entry["note"]) == ("Jane Smith", "2026-03-02T09:30:00+00:00", "ok")
    assert entry["inputs"]["cities.yaml"] == record.input_parts["cities.yaml"]
    assert "recipient test-two" in entry["inputs"]

    # approving the same bytes again changes nothing; approving another adds lines and removes none
    approve(
        small.project, small.out, selection, Signature("Jane Smith", "", lambda: moment), recipients=small.csv
    )
    assert (small.project / "approvals.yaml").read_text(encoding="utf-8") == text
    assert run(small, "--recipient", "test-one", "--by", APPROVER).exit_code == 0
    after = (small.project / "approvals.yaml").read_text(encoding="utf-8")
    diff = list(difflib.unified_diff(text.splitlines(), after.splitlines(), lineterm="", n=0))
    assert [line for line in diff[2:] if line.startswith("-")] == []
    assert [entry["path"] for entry in approvals_file(small)["approvals"]] == sorted(
        [f"letters/{LETTER}/test-one.pdf", f"letters/{LETTER}/test-two.pdf"]
    )


def test_a_damaged_approvals_file_is_a_located_error(small: Small, project: Path, handler: Handler) -> None:
    (small.project / "approvals.yaml").write_text(
        "approvals:\n  - path: letters/x/y.pdf\n    sha256: not-a-hash\n    by: A\n    at: now\n",
        encoding="utf-8",
    )
    sent = mail(small, "send")
    assert sent.exit_code == 1 and handler.messages == []
    assert "error: approvals.yaml:3: approvals[0].sha256" in sent.stderr
    assert "Traceback" not in sent.stderr


# ---- Reviewing stays free ---------------------------------------------------------------------------


def test_drafts_and_tests_work_unapproved_and_say_so(small: Small, project: Path, handler: Handler) -> None:
    draft = mail(small, "draft")
    assert draft.exit_code == 0, draft.describe()
    eml = (small.out / "outbox" / LETTER / "test-one.eml").read_text(encoding="utf-8")
    assert "Subject: [UNAPPROVED] " in eml
    assert "; not approved: never approved" in draft.stdout

    test = mail(small, "send", "--test-to", "me@keycities.uk")
    assert test.exit_code == 0, test.describe()
    assert [str(m["Subject"]).split(" ", 2)[:2] for m in handler.parsed()] == [["[TEST]", "[UNAPPROVED]"]]
    assert set(arrived(handler)) == {"me@keycities.uk"}

    assert run(small, "--by", APPROVER).exit_code == 0
    assert mail(small, "draft").exit_code == 0
    assert "[UNAPPROVED]" not in (small.out / "outbox" / LETTER / "test-one.eml").read_text(encoding="utf-8")


def test_a_project_may_do_without_approval(
    small: Small, server: LoopbackController, handler: Handler
) -> None:
    write_settings(small.project, server.port, approval="not-required")
    sent = mail(small, "send")
    assert sent.exit_code == 0, sent.describe()
    assert len(handler.messages) == 3
    assert all("UNAPPROVED" not in str(m["Subject"]) for m in handler.parsed())


def test_the_proof_page_shows_who_approved_and_when(small: Small, project: Path) -> None:
    page = ProofPage((small.out / "index.html").read_text(encoding="utf-8"))
    assert page.summary["approved"] == 0 and page.summary["not-approved"] == 4
    assert run(small, "--recipient", "test-one", "--by", APPROVER).exit_code == 0  # rewrites the page
    page = ProofPage((small.out / "index.html").read_text(encoding="utf-8"))
    rows = {row[DOCUMENT].split()[2]: row for row in page.rows}
    assert rows["test-one"][APPROVED].startswith("approved by Jane Smith, Chair's Office on ")
    assert rows["test-one"][APPROVED].endswith(" UTC")
    assert rows["test-two"][APPROVED] == "not approved: never approved"
    assert rows["wakefield"][MAILED] == "-"
    assert page.summary["approved"] == 1 and page.summary["not-approved"] == 3


# ---- A letter with its notes as an enclosure -----------------------------------------------------------


def test_a_letters_enclosure_is_approved_with_it_and_held_back_like_it(
    small: Small, project: Path, handler: Handler
) -> None:
    letter_file = small.project / "letters" / f"{LETTER}.md"
    text = letter_file.read_text(encoding="utf-8")
    letter_file.write_text(text.replace("\nnotes: end", "\nnotes: enclosure"), encoding="utf-8")
    built = small.build_letters()
    assert built.exit_code == 0, built.describe()
    enclosure = f"letters/{LETTER}/{LETTER}-sources.pdf"
    assert enclosure in read_manifest(small.out)[0]

    approved = run(small, "--recipient", "test-one", "--by", APPROVER)
    assert approved.exit_code == 0, approved.describe()
    paths = {entry["path"] for entry in approvals_file(small)["approvals"]}
    assert paths == {f"letters/{LETTER}/test-one.pdf", enclosure}  # the copy and what goes with it

    sent = mail(small, "send")
    assert sent.exit_code == 1, sent.describe()  # the other two are not approved
    assert set(arrived(handler)) == {ADDRESSES["test-one"]}
    names = [part.get_filename() for part in arrived(handler)[ADDRESSES["test-one"]].iter_attachments()]
    assert len(names) == 2 and "notes and sources" in names[1], names

    # The enclosure replaced after approval, with the manifest edited to match it (so the build's own check
    # passes): the gate, hashing the bytes as they are sent, holds back every copy it goes with.
    assert run(small, "--by", APPROVER).exit_code == 0
    pdf = small.out / enclosure
    pdf.write_bytes(pdf.read_bytes() + b"\n% edited after approval\n")
    manifest = json.loads((small.out / "manifest.json").read_text(encoding="utf-8"))
    for document in manifest["documents"]:
        if document["path"] == enclosure:
            document["sha256"] = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (small.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = mail(small, "send")
    assert again.exit_code == 1, again.describe()
    assert len(handler.messages) == 1  # neither of the others went: their enclosure is not as approved
    assert "notes and sources.pdf: rebuilt after its approval" in again.stderr, again.stderr[:3000]
