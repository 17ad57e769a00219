"""The email is part of the letter: its subject and body come from the letter's front matter (`email:`),
filled in for each recipient in the letters' sandbox when the letter is built, and arrive signed by the
letter's signatory; the attachment is named for the person; `mail send --test-to` sends to one address and
records nothing; a new run retries temporary failures at once.

Sent to a real SMTP server on loopback (aiosmtpd, from test_mail.py); what arrives is parsed with the
`email` package, as a mail program would read it.
"""

from __future__ import annotations

import shutil
import sqlite3
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import documents
import pytest
from click.testing import CliRunner, Result
from test_mail import (  # the real server and the helpers
    OPT_OUT,
    SENDER,
    Handler,
    LoopbackController,
    handler,
    ledger_rows,
    no_smtp_environment,
    run_mail,
    server,
    write_settings,
)

from keycities.cli import cli
from keycities.mail.bodies import attachment_name
from keycities.mail.ledger import LEDGER

# pytest finds the shared fixtures by name in this module; naming them here marks the imports as used.
SHARED_FIXTURES = (handler, no_smtp_environment, server)
LETTER = "cities-in-action"
RECIPIENTS = """id,office,role,name,honorific,address,email,tags,checked
alpha,Office & <Partners>,mp,Alex Alpha,Mx,House of Commons;London;SW1A 0AA,alpha@example.org,test,2019-02-01
sian,Office B,council-leader,Siân Jones,,Town Hall;Abertawe;SA1 1SA,sian@example.org,test,2019-02-01
charlie,Office C,mp,Cal Charlie,Dr,House of Commons;London;SW1A 0AA,charlie@example.org,test,2019-02-01
"""
EMAIL = """email:
  subject: "{{ group.name }}: a letter for {{ recipient.office }}"
  body: |
    {{ recipient.salutation }},

    Please find attached **our letter**, *Cities in Action*, from the {{ figures.group.member_count }}
    members of the {{ group.name }}, written to {{ recipient.office }}.

    - it sets out our three asks
    - it is signed by our chair
"""
TESTER = "tester@keycities.uk"
SIGNER = "Councillor Peter Box CBE"
ROLES = ("Leader of Wakefield Council", "Chair of the Key Cities Group")


def with_email(folder: Path, email: str = EMAIL) -> Path:
    """A copy of the shipped project whose letter gives its own email."""
    project = documents.copy_project(folder)
    letter = project / "letters" / f"{LETTER}.md"
    text = letter.read_text(encoding="utf-8")
    letter.write_text(
        text.replace("signatory: peter-box\n", f"signatory: peter-box\n{email}", 1), encoding="utf-8"
    )
    (project / "recipients.csv").write_text(RECIPIENTS, encoding="utf-8")
    return project


def build(project: Path, out: Path) -> Result:
    return CliRunner().invoke(
        cli,
        [
            *("letters", "--project", str(project), "--recipients", str(project / "recipients.csv")),
            *("--letter", LETTER, "--out", str(out), "--jobs", "1", "--format", "pdf"),
        ],
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("email")
    project = with_email(folder / "project")
    result = build(project, folder / "out")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def project(built: Path, tmp_path: Path, server: LoopbackController) -> Path:
    """The project the letters were built from, with mail.yaml for the test server."""
    folder = Path(shutil.copytree(built / "project", tmp_path / "project"))
    write_settings(folder, server.port)
    return folder


@pytest.fixture
def out(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built / "out", tmp_path / "out"))


def received(handler: Handler) -> dict[str, EmailMessage]:
    """What arrived, by envelope recipient."""
    return {
        envelope.rcpt_tos[0]: message
        for envelope, message in zip(handler.messages, handler.parsed(), strict=True)
    }


def part(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert body is not None, f"no {kind} part"
    return str(body.get_content()).replace("\r\n", "\n")


# ---- The letter's own email ------------------------------------------------------------------------


def test_the_front_matter_email_arrives_filled_in_and_signed(
    project: Path, out: Path, handler: Handler
) -> None:
    result = run_mail(project, out, "send")
    assert result.exit_code == 0, result.output
    messages = received(handler)
    alpha = messages["alpha@example.org"]
    assert alpha["Subject"] == "Key Cities Group: a letter for Office & <Partners>"
    text, html = part(alpha, "plain"), part(alpha, "html")
    # the text part: the Markdown as written, the values as they are
    assert text.startswith("Dear Mx Alpha,\n\nPlease find attached **our letter**, *Cities in Action*")
    assert "members of the Key Cities Group, written to Office & <Partners>." in text
    assert "- it sets out our three asks\n" in text
    assert "Yours sincerely,\nCouncillor Peter Box CBE\n" + "\n".join(ROLES) in text
    # the HTML part: the Markdown made HTML, the values escaped
    assert "<strong>our letter</strong>, <em>Cities in Action</em>" in html
    assert "<li>it sets out our three asks</li>" in html
    assert "written to Office &amp; &lt;Partners&gt;." in html and "<Partners>" not in html
    assert f"Yours sincerely,<br>\n{SIGNER}<br>\n{ROLES[0]}<br>\n{ROLES[1]}" in html
    for body in (text, html):
        assert "{{" not in body and "24" in body  # the member count, filled in
        assert OPT_OUT in body and "Key Cities Group" in body  # the footer stays
        assert "Please find attached a letter from" not in body  # not the default body
    sian = messages["sian@example.org"]
    assert sian["Subject"] == "Key Cities Group: a letter for Office B"
    assert part(sian, "plain").startswith("Dear Councillor Jones,")
    rows = ledger_rows(out)
    assert rows["alpha"].subject == alpha["Subject"] and rows["alpha"].state == "sent"


def test_the_draft_shows_the_letters_email(project: Path, out: Path) -> None:
    result = run_mail(project, out, "draft")
    assert result.exit_code == 0, result.output
    draft = (out / "outbox" / LETTER / "charlie.eml").read_bytes()
    message = message_from_bytes(draft, _class=EmailMessage, policy=policy.default)
    assert message["Subject"] == "Key Cities Group: a letter for Office C"
    assert part(message, "plain").startswith("Dear Dr Charlie,")


def test_without_email_in_the_front_matter_the_default_templates_are_used(
    tmp_path: Path, server: LoopbackController, handler: Handler
) -> None:
    project = with_email(tmp_path / "project", email="")
    (project / "templates" / "mail-letter.txt").unlink()  # not needed, not read
    (project / "templates" / "mail-letter.html").unlink()
    (project / "recipients.csv").write_text(RECIPIENTS.splitlines()[0] + "\n" + RECIPIENTS.splitlines()[3])
    assert build(project, tmp_path / "out").exit_code == 0
    write_settings(project, server.port)
    result = run_mail(project, tmp_path / "out", "send")
    assert result.exit_code == 0, result.output
    message = received(handler)["charlie@example.org"]
    assert message["Subject"] == "Key Cities: Cities in Action"
    assert "Please find attached a letter from the Key Cities Group: Key Cities: Cities in Action." in part(
        message, "plain"
    )


@pytest.mark.parametrize(
    ("placeholder", "problem"),
    [
        ("{{ recipient.__class__.__mro__[1].__subclasses__() }}", "access to attribute '__class__'"),
        ("{{ signatory.update({'name': 'Someone Else'}) }}", "access to attribute 'update'"),
        ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__'"),
        ("{% for i in range(10**7) %}x{% endfor %}", "range"),
    ],
)
def test_a_hostile_placeholder_cannot_escape_the_sandbox(
    tmp_path: Path, placeholder: str, problem: str
) -> None:
    email = f'email:\n  subject: "Cities in Action"\n  body: |\n    Dear reader,\n    {placeholder}\n'
    project = with_email(tmp_path / "project", email)
    result = build(project, tmp_path / "out")
    assert result.exit_code == 1
    line = documents.line_of(project / "letters" / f"{LETTER}.md", "  body: |")
    assert f"letters/{LETTER}.md:{line}: " in result.output and problem in result.output, result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "out").rglob("*.pdf"))


@pytest.mark.parametrize(
    "subject", ['"Key Cities\\nBcc: evil@example.org"', '"Key Cities\\r\\nBcc: evil@example.org"']
)
def test_a_subject_with_a_line_break_is_refused_with_its_line(tmp_path: Path, subject: str) -> None:
    project = with_email(tmp_path / "project", f"email:\n  subject: {subject}\n  body: Hello\n")
    result = CliRunner().invoke(cli, ["check", "--project", str(project)])
    assert result.exit_code == 1
    line = documents.line_of(project / "letters" / f"{LETTER}.md", "  subject: ")
    assert f"letters/{LETTER}.md:{line}: email.subject: a line break or control character" in result.output


def test_a_subject_that_becomes_two_lines_when_filled_in_is_refused(tmp_path: Path) -> None:
    email = "email:\n  subject: 'Cities {{ \"\\u2028\" }}Bcc: evil@example.org'\n  body: Hello\n"
    project = with_email(tmp_path / "project", email)
    result = build(project, tmp_path / "out")
    assert result.exit_code == 1
    line = documents.line_of(project / "letters" / f"{LETTER}.md", "  subject: ")
    assert (
        f"letters/{LETTER}.md:{line}: email.subject: the subject as filled in: a line break" in result.output
    )


# ---- The attachment is named for the person -------------------------------------------------------


def test_the_attachment_is_named_for_the_person(project: Path, out: Path, handler: Handler) -> None:
    assert run_mail(project, out, "send").exit_code == 0
    messages = received(handler)
    names = {
        email: [attachment.get_filename() for attachment in message.iter_attachments()]
        for email, message in messages.items()
    }
    enclosure = "Key Cities - Cities in Action - notes and sources.pdf"  # the letter's notes, enclosed
    assert names["alpha@example.org"] == ["Key Cities - Cities in Action - Alex Alpha.pdf", enclosure]
    # named as the address block names her: a council leader is a councillor
    assert names["sian@example.org"] == [
        "Key Cities - Cities in Action - Councillor Siân Jones.pdf",
        enclosure,
    ]
    attachment, _ = messages["sian@example.org"].iter_attachments()
    # the ASCII fallback
    assert attachment.get_param("name") == "Key Cities - Cities in Action - Councillor Sian Jones.pdf"
    raw = next(m.content for m in handler.messages if "sian@example.org" in m.rcpt_tos)
    assert b"filename*" in raw and b"utf-8''" in raw  # RFC 2231
    raw.decode("ascii")  # 7-bit throughout


@pytest.mark.parametrize(
    ("group", "subject", "holder", "expected"),
    [
        (
            "Key Cities",
            "Key Cities: Cities in Action",
            "Mary Creagh MP",
            "Key Cities - Cities in Action - Mary Creagh MP",
        ),
        (
            "Key Cities",
            "Cities in Action",
            "The Rt Hon Theresa May MP",
            "Key Cities - Cities in Action - The Rt Hon Theresa May MP",
        ),
        ("Key Cities", 'A/B: "C"? <D>|*', "Jo\\Ann", "Key Cities - A B C D - Jo Ann"),
        ("Key Cities", "Cities in Action", "..\u202eevil", "Key Cities - Cities in Action - evil"),
        ("Key Cities", "Cities in Action", "", "Key Cities - Cities in Action"),
    ],
)
def test_attachment_names_hold_no_unsafe_characters(
    group: str, subject: str, holder: str, expected: str
) -> None:
    name, ascii_name = attachment_name(group, subject, holder, "pdf")
    assert name == f"{expected}.pdf" and ascii_name == f"{expected}.pdf"


def test_an_attachment_name_beyond_ascii_has_an_ascii_fallback() -> None:
    assert attachment_name(
        "Dinasoedd Allweddol", "Dinasoedd ar Waith", "Siân Lloyd Aelod o’r Senedd", "pdf"
    ) == (
        "Dinasoedd Allweddol - Dinasoedd ar Waith - Siân Lloyd Aelod o’r Senedd.pdf",
        "Dinasoedd Allweddol - Dinasoedd ar Waith - Sian Lloyd Aelod or Senedd.pdf",
    )


# ---- mail send --test-to ---------------------------------------------------------------------------


def test_test_to_sends_the_first_message_to_the_address_only_and_records_nothing(
    project: Path, out: Path, handler: Handler
) -> None:
    result = run_mail(project, out, "send", "--test-to", TESTER)
    assert result.exit_code == 0, result.output
    assert not (out / LEDGER).exists()  # no ledger made
    (envelope,) = handler.messages
    assert envelope.rcpt_tos == [TESTER] and envelope.mail_from == SENDER
    (message,) = handler.parsed()
    assert [str(a) for a in message["To"].addresses] == [TESTER]
    assert not {name.lower() for name in message} & {"cc", "bcc"}
    assert message["Subject"] == "[TEST] Key Cities Group: a letter for Office & <Partners>"
    assert "@example.org" not in envelope.content.decode()  # no recipient's address anywhere in it
    assert "2 held back by --limit" in result.output
    assert f"sent a test of {LETTER}/alpha to <{TESTER}>" in result.output
    assert f"Test: 1 message(s) sent to {TESTER} only, with [TEST] before the subject" in result.output
    assert "nothing recorded in the ledger" in result.output


def test_test_to_leaves_the_ledger_unchanged_byte_for_byte(
    project: Path, out: Path, handler: Handler
) -> None:
    assert run_mail(project, out, "send", "--limit", "1").exit_code == 0  # alpha sent for real
    before = (out / LEDGER).read_bytes()
    result = run_mail(project, out, "send", "--test-to", TESTER, "--limit", "3")
    assert result.exit_code == 0, result.output
    assert (out / LEDGER).read_bytes() == before
    assert [m.rcpt_tos for m in handler.messages] == [["alpha@example.org"], [TESTER], [TESTER], [TESTER]]
    subjects = [m["Subject"] for m in handler.parsed()[1:]]
    assert all(subject.startswith("[TEST] ") for subject in subjects) and len(set(subjects)) == 3
    # the real run goes on where it was: alpha is not sent again, the others go
    again = run_mail(project, out, "send")
    assert again.exit_code == 0 and "2 sent" in again.output and "1 sent earlier" in again.output


@pytest.mark.parametrize(
    "address", ["not an address", "a@b@example.org", "x@example.org\r\nBcc: evil@example.org", ""]
)
def test_test_to_needs_a_valid_address(project: Path, out: Path, handler: Handler, address: str) -> None:
    result = run_mail(project, out, "send", "--test-to", address)
    assert result.exit_code == 1 and "error: --test-to: " in result.output
    assert handler.messages == [] and not (out / LEDGER).exists()


# ---- A new run retries temporary failures at once ----------------------------------------------------


def test_a_rerun_after_a_temporary_failure_retries_at_once(
    project: Path, out: Path, handler: Handler
) -> None:
    handler.defer = {"sian@example.org"}
    first = run_mail(project, out, "send")
    assert first.exit_code == 1 and "1 failed (temporary)" in first.output
    assert "the next `mail send` tries it again" in first.output
    handler.defer = set()
    again = run_mail(project, out, "send")  # straight away, on the real clock
    assert again.exit_code == 0, again.output
    assert "1 sent" in again.output and handler.count("sian@example.org") == 1


def test_a_waiting_time_recorded_by_an_earlier_run_is_ignored(
    project: Path, out: Path, handler: Handler
) -> None:
    handler.defer = {"sian@example.org"}
    assert run_mail(project, out, "send").exit_code == 1
    with sqlite3.connect(out / LEDGER) as db:  # as an earlier version's back-off left it: a day to wait
        db.execute("UPDATE messages SET next_attempt = '2999-01-01T00:00:00+00:00' WHERE recipient = 'sian'")
    db.close()
    handler.defer = set()
    again = run_mail(project, out, "send")
    assert again.exit_code == 0, again.output
    assert handler.count("sian@example.org") == 1 and ledger_rows(out)["sian"].state == "sent"


def test_a_run_stops_when_the_server_is_unreachable(project: Path, out: Path, handler: Handler) -> None:
    handler.drop_after, handler.stay_down = 0, True  # every connection dropped before the envelope
    result = run_mail(project, out, "send", "--rate", "100/s")
    assert result.exit_code == 1
    assert "unreachable: 3 connections in a row failed" in result.output
    handler.drop_after = None
    handler.stay_down = False
    again = run_mail(project, out, "send")
    assert again.exit_code == 0 and "3 sent" in again.output
