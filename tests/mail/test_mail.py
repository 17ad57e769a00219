"""`generate.py mail` against a real SMTP server on loopback (aiosmtpd, in this process).

The letters are built once for the module, for four good recipients and three with bad data; each test
mails from its own copy of that output folder. What arrives is parsed with the `email` package.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import sqlite3
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner, Result
from smtp_support import Handler, LoopbackController

from keycities.cli import cli
from keycities.cli.mail import mail as mail_group
from keycities.mail.ledger import LEDGER, Ledger
from keycities.mail.messages import MailOptions
from keycities.mail.send import Clock, mail_letters
from keycities.mail.settings import address_problem, rate_interval

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LETTER = "cities-in-action"
SENDER = "letters@keycities.uk"
OPT_OUT = "optout@keycities.uk"
GOOD = {
    "alpha": "alpha@example.org",
    "bravo": "bravo@example.org",
    "charlie": "charlie@example.org",
    "delta": "delta@example.org",
}
RECIPIENTS = """id,office,role,name,honorific,address,email,tags,checked
alpha,Office A,mp,Alex Alpha,Mx,House of Commons;London;SW1A 0AA,alpha@example.org,test,2019-02-01
bravo,Office B,council-leader,Bea Bravo,,Town Hall;Bravoton;BR1 1BR,bravo@example.org,test,2019-02-01
charlie,Office C,office,,,1 Example Street;Charlton;CH1 1CH,charlie@example.org,test,2019-02-01
delta,Office D,mp,Dee Delta,Dr,House of Commons;London;SW1A 0AA,delta@example.org,test,2019-02-01
no-email,Office E,office,,,2 Example Street;Exampletown;EX1 1EX,,test,2019-02-01
bad-email,Office F,council-leader,Sam Sample,,Town Hall;Sampleton;SA1 1SA,sam@example.org,test,2019-02-01
crlf-name,Office G,council-leader,Eve Evans,,Town Hall;Sampleton;SA1 1SA,eve@example.org,test,2019-02-01
"""
# A line break in a name and a malformed email address are refused when the recipients are loaded; a
# manifest edited after the build carries them to the mailer, which must refuse them too.
CRLF_HOLDER = "Eve\r\nBcc: eve@evil.example"
BAD = ("no-email", "bad-email", "crlf-name")
SUMMARY_ZERO = "0 failed (temporary), 0 failed (permanent), 0 awaiting confirmation"


# ---- A real SMTP server on loopback (smtp_support) -----------------------------------------------------


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def server(handler: Handler) -> Iterator[LoopbackController]:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    controller = LoopbackController(
        handler, hostname="127.0.0.1", port=0, authenticator=authenticator, auth_require_tls=False
    )
    controller.logins = logins
    controller.start()
    yield controller
    controller.stop()


# ---- Built letters and a project to mail them from -------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    (folder / "recipients.csv").write_text(RECIPIENTS, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            *("letters", "--project", str(PROJECT_ROOT), "--recipients", str(folder / "recipients.csv")),
            *("--letter", "cities-in-action"),
            *("--out", str(folder / "out"), "--jobs", "1", "--format", "pdf", "--format", "docx"),
        ],
    )
    assert result.exit_code == 0, result.output
    edit_manifest(folder / "out", "crlf-name", holder=CRLF_HOLDER)
    edit_manifest(folder / "out", "bad-email", email="sam at example")
    return folder / "out"


@pytest.fixture(autouse=True)
def no_smtp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own settings must not reach these tests."""
    for name in ("HOST", "PORT", "USER", "SECURITY", "PASSWORD"):
        monkeypatch.delenv(f"KEYCITIES_SMTP_{name}", raising=False)


@pytest.fixture
def out(built: Path, tmp_path: Path) -> Path:
    """A copy of the built output for this test: its own outbox and ledger."""
    return Path(shutil.copytree(built, tmp_path / "out"))


@pytest.fixture
def good_out(out: Path) -> Path:
    """The output with only the four good recipients in its manifest."""
    keep(out, GOOD)
    return out


def keep(out: Path, recipients: Any) -> None:
    """Leave only these recipients' letters in the manifest, as a build for them alone would."""
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["documents"] = [d for d in manifest["documents"] if d.get("target") in recipients]
    (out / "manifest.json").write_text(json.dumps(manifest))


def edit_manifest(out: Path, recipient: str, **changes: str) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    for document in manifest["documents"]:
        if document.get("target") == recipient:
            document.update(changes)
    (out / "manifest.json").write_text(json.dumps(manifest))


def write_settings(project: Path, port: int, *, approval: str = "not-required", **smtp: Any) -> None:
    """mail.yaml for the test server. These tests are of the sending itself, so the approval gate is off
    unless asked for (test_approval.py tests it)."""
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5} | smtp
    lines = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())
    (project / "mail.yaml").write_text(
        f'from: "Key Cities Group <{SENDER}>"\nopt_out: "{OPT_OUT}"\nsmtp:\n{lines}rate: 100/s\n'
        f"approval: {approval}\n",
        encoding="utf-8",
    )


@pytest.fixture
def project(tmp_path: Path, server: LoopbackController) -> Path:
    """A project folder: the shipped cities.yaml and mail templates, and mail.yaml for the test server."""
    folder = tmp_path / "project"
    (folder / "templates").mkdir(parents=True)
    shutil.copyfile(PROJECT_ROOT / "cities.yaml", folder / "cities.yaml")
    shutil.copytree(PROJECT_ROOT / "assets", folder / "assets")  # the logo and signature cities.yaml names
    for name in ("mail.txt", "mail.html"):
        shutil.copyfile(PROJECT_ROOT / "templates" / name, folder / "templates" / name)
    write_settings(folder, server.port)
    return folder


def run_mail(
    project: Path,
    out: Path,
    verb: str,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> Result:
    """`generate.py mail VERB --project PROJECT --out OUT ARGS`."""
    command = ["mail", verb, "--project", str(project), "--out", str(out), *args]
    return CliRunner().invoke(cli, command, env=env, input=input)


class FakeClock:
    """Wall and monotonic time that move only when told (or slept)."""

    def __init__(self) -> None:
        self.wall = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self.mono = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += timedelta(seconds=seconds)

    def clock(self) -> Clock:
        return Clock(lambda: self.wall, lambda: self.mono, self.sleep)


def mail_with(project: Path, out: Path, clock: FakeClock, **options: Any) -> tuple[Any, list[str]]:
    lines: list[str] = []
    report = mail_letters(
        project,
        out,
        MailOptions(send=True, **options),
        lambda line, _: lines.append(line),
        environ={},
        clock=clock.clock(),
    )
    return report, lines


def ledger_rows(out: Path) -> dict[str, Any]:
    ledger = Ledger(out / LEDGER)
    try:
        return {row.recipient: row for row in ledger.rows()}
    finally:
        ledger.close()


# ---- Draft (a dry run) ---------------------------------------------------------------------------


def test_dry_run_writes_one_eml_per_recipient_and_sends_nothing(
    project: Path, good_out: Path, handler: Handler
) -> None:
    result = run_mail(project, good_out, "draft")
    assert result.exit_code == 0, result.output
    files = sorted((good_out / "outbox" / LETTER).glob("*.eml"))
    assert [f.stem for f in files] == sorted(GOOD)
    for file in files:
        message = message_from_bytes(file.read_bytes(), _class=EmailMessage, policy=policy.default)
        assert message["To"].addresses[0].addr_spec == GOOD[file.stem]
        assert message.get_body(("plain",)) is not None
    assert f"4 written to the outbox, 0 refused, {SUMMARY_ZERO}" in result.output
    assert "would send cities-in-action/alpha to <alpha@example.org>" in result.output
    assert handler.messages == [] and not (good_out / LEDGER).exists()


def test_dry_run_with_the_placeholder_sender_works_but_send_is_refused(project: Path, good_out: Path) -> None:
    shutil.copyfile(PROJECT_ROOT / "mail.yaml", project / "mail.yaml")
    assert run_mail(project, good_out, "draft").exit_code == 0
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    line = (
        (project / "mail.yaml")
        .read_text()
        .splitlines()
        .index('from: "Key Cities Group <letters@keycities.example>"')
    )
    assert f"error: mail.yaml:{line + 1}: from: letters@keycities.example is a placeholder" in result.output
    assert not (good_out / LEDGER).exists()


# ---- Sending -------------------------------------------------------------------------------------


def test_send_delivers_one_message_per_recipient_with_the_built_pdf(
    project: Path, good_out: Path, handler: Handler
) -> None:
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 0, result.output
    assert f"4 sent, 0 refused, {SUMMARY_ZERO}" in result.output
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == sorted(GOOD.values())
    assert {m.mail_from for m in handler.messages} == {SENDER}
    ids = set()
    for envelope, message in zip(handler.messages, handler.parsed(), strict=True):
        recipient = next(r for r, email in GOOD.items() if email == envelope.rcpt_tos[0])
        entry = manifest_entry(good_out, recipient, "pdf")
        assert str(message["From"]) == f"Key Cities Group <{SENDER}>"
        assert message["To"].addresses[0].addr_spec == GOOD[recipient]
        assert message["To"].addresses[0].display_name == entry["holder"]
        assert message["Subject"] == entry["subject"] == "Key Cities: Cities in Action"
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert message["Message-ID"].endswith("@keycities.uk>")
        ids.add(message["Message-ID"])
        text = body(message, "plain")
        html = body(message, "html")
        for content in (text, html):
            assert entry["salutation"] in content and OPT_OUT in content and "Key Cities Group" in content
        attachments = list(message.iter_attachments())
        assert [a.get_filename() for a in attachments] == [
            f"Key Cities - Cities in Action - {entry['holder']}.pdf"
        ]
        assert attachments[0].get_content_type() == "application/pdf"
        assert attachments[0].get_content() == (good_out / entry["path"]).read_bytes()
    assert len(ids) == 4
    rows = ledger_rows(good_out)
    assert {row.state for row in rows.values()} == {"sent"}
    assert all(row.reply.startswith("250") and row.sent_at and row.attempts == 1 for row in rows.values())


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    return str(part.get_content())


def manifest_entry(out: Path, recipient: str, kind: str) -> dict[str, Any]:
    documents = json.loads((out / "manifest.json").read_text())["documents"]
    return next(d for d in documents if d["target"] == recipient and d["format"] == kind)


def test_attach_docx_adds_the_word_file(project: Path, good_out: Path, handler: Handler) -> None:
    keep(good_out, {"alpha"})
    assert run_mail(project, good_out, "send", "--attach", "docx").exit_code == 0
    (message,) = handler.parsed()
    attachments = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    name = "Key Cities - Cities in Action - Alex Alpha"
    assert set(attachments) == {f"{name}.pdf", f"{name}.docx"}
    assert (
        attachments[f"{name}.docx"]
        == (good_out / manifest_entry(good_out, "alpha", "docx")["path"]).read_bytes()
    )


def test_a_letters_enclosure_goes_with_it_in_each_format(project: Path, out: Path, handler: Handler) -> None:
    """The shipped letter's notes and sources (`notes: enclosure`) are attached after the letter."""
    keep(out, {"alpha", "bravo", "cities-in-action-sources"})
    assert run_mail(project, out, "send", "--attach", "docx").exit_code == 0
    enclosure = "Key Cities - Cities in Action - notes and sources"
    for message in handler.parsed():
        attachments = [(a.get_filename(), a.get_content()) for a in message.iter_attachments()]
        holder = message["To"].addresses[0].display_name
        assert [name for name, _ in attachments] == [
            f"Key Cities - Cities in Action - {holder}.pdf",
            f"Key Cities - Cities in Action - {holder}.docx",
            f"{enclosure}.pdf",
            f"{enclosure}.docx",
        ]
        for (_, data), file_format in zip(attachments[2:], ("pdf", "docx"), strict=True):
            path = manifest_entry(out, "cities-in-action-sources", file_format)["path"]
            assert data == (out / path).read_bytes()
    assert len(handler.messages) == 2


def test_a_second_run_sends_nothing_again(project: Path, good_out: Path, handler: Handler) -> None:
    assert run_mail(project, good_out, "send").exit_code == 0
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 0
    assert f"0 sent, 0 refused, {SUMMARY_ZERO}; 4 sent earlier" in result.output
    assert len(handler.messages) == 4


def test_limit_sends_at_most_n_and_the_next_run_goes_on(
    project: Path, good_out: Path, handler: Handler
) -> None:
    result = run_mail(project, good_out, "send", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 1 and "3 held back by --limit" in result.output
    assert run_mail(project, good_out, "send", "--limit", "2").exit_code == 0
    assert run_mail(project, good_out, "send").exit_code == 0
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == sorted(GOOD.values())


def test_letter_option_names_a_built_letter(project: Path, good_out: Path) -> None:
    assert run_mail(project, good_out, "draft", "--letter", LETTER).exit_code == 0
    result = run_mail(project, good_out, "draft", "--letter", "no-such-letter")
    assert result.exit_code == 1
    assert (
        "error: no letter 'no-such-letter' in" in result.output
        and f"letters built: {LETTER}" in result.output
    )


def test_rate_limit_spaces_the_messages(project: Path, good_out: Path) -> None:
    clock = FakeClock()
    report, _ = mail_with(project, good_out, clock, rate="2/s")
    assert report.counts["sent"] == 4
    assert clock.sleeps == pytest.approx([0.5, 0.5, 0.5])


# ---- Bad data and tampered files -----------------------------------------------------------------


def test_bad_data_is_refused_and_the_others_go(project: Path, out: Path, handler: Handler) -> None:
    result = run_mail(project, out, "send")
    assert result.exit_code == 1
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == sorted(GOOD.values())
    assert "4 sent, 3 refused, 0 failed (temporary)" in result.output
    assert "cities-in-action/no-email: refused: no email address" in result.output
    assert (
        "cities-in-action/bad-email: refused: 'sam at example' is not a valid email address" in result.output
    )
    refusal = "cities-in-action/crlf-name: refused: holder (the recipient's name): a line break or control"
    assert refusal in result.output
    assert "Run the same command again to resume" in result.output
    rows = ledger_rows(out)
    assert {name: (rows[name].state, rows[name].failure) for name in BAD} == {
        name: ("failed", "refused") for name in BAD
    }


@pytest.mark.parametrize("subject", ["Key Cities\r\nBcc: eve@evil.example", "Key Cities\nBcc: x@y.example"])
def test_a_line_break_in_the_subject_is_refused(
    project: Path, good_out: Path, handler: Handler, subject: str
) -> None:
    edit_manifest(good_out, "alpha", subject=subject)
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    assert (
        "cities-in-action/alpha: refused: subject (the letter's subject): a line break or control character"
        in result.output
    )
    assert handler.count("alpha@example.org") == 0 and len(handler.messages) == 3
    assert all("evil" not in m.content.decode() for m in handler.messages)


def test_a_file_changed_since_it_was_built_is_refused(
    project: Path, good_out: Path, handler: Handler
) -> None:
    pdf = good_out / manifest_entry(good_out, "bravo", "pdf")["path"]
    pdf.write_bytes(pdf.read_bytes() + b"\n% changed after the proof was checked\n")
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    assert (
        "cities-in-action/bravo: refused:" in result.output and "changed since it was built" in result.output
    )
    assert handler.count("bravo@example.org") == 0 and len(handler.messages) == 3


def test_markup_in_data_is_escaped_in_the_html_body(project: Path, good_out: Path, handler: Handler) -> None:
    edit_manifest(good_out, "alpha", salutation="Dear <b>Alex</b> & co")
    assert run_mail(project, good_out, "send").exit_code == 0
    message = next(
        m
        for e, m in zip(handler.messages, handler.parsed(), strict=True)
        if "alpha@example.org" in e.rcpt_tos
    )
    html = body(message, "html")
    assert "Dear &lt;b&gt;Alex&lt;/b&gt; &amp; co" in html and "<b>Alex" not in html
    assert "Dear <b>Alex</b> & co," in body(message, "plain")


# ---- Faults from the server and the network --------------------------------------------------------


def test_a_refused_recipient_fails_permanently_and_the_others_go(
    project: Path, good_out: Path, handler: Handler
) -> None:
    handler.reject = {"bravo@example.org"}
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    assert "3 sent, 0 refused, 0 failed (temporary), 1 failed (permanent)" in result.output
    assert "RCPT TO: 550 5.1.1 no such mailbox here" in result.output
    assert len(handler.messages) == 3
    row = ledger_rows(good_out)["bravo"]
    assert (row.state, row.failure) == ("failed", "permanent") and "550" in row.reason
    handler.reject = set()
    again = run_mail(project, good_out, "send")  # the same address is not tried again
    assert again.exit_code == 1 and "1 failed (permanent)" in again.output and len(handler.messages) == 3


def test_a_temporary_refusal_is_retried_by_the_next_run_at_once(
    project: Path, good_out: Path, handler: Handler
) -> None:
    handler.defer = {"charlie@example.org"}
    clock = FakeClock()
    report, lines = mail_with(project, good_out, clock)
    assert (report.counts["sent"], report.counts["failed (temporary)"]) == (3, 1)
    row = ledger_rows(good_out)["charlie"]
    assert (row.state, row.failure, row.attempts, row.next_attempt) == ("failed", "temporary", 1, None)
    assert any("the next `mail send` tries it again" in line for line in lines)
    handler.defer = set()
    report, _ = mail_with(project, good_out, clock)  # at once: no back-off to wait out
    assert (report.counts["sent"], report.counts["sent earlier"]) == (1, 3)
    assert all(handler.count(email) == 1 for email in GOOD.values())
    assert ledger_rows(good_out)["charlie"].attempts == 2


def test_a_dropped_connection_is_reopened_for_the_next_message(
    project: Path, good_out: Path, handler: Handler
) -> None:
    handler.drop_after = 2
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 0, result.output
    assert handler.dropped == 1 and len(handler.peers) == 2
    assert all(handler.count(email) == 1 for email in GOOD.values())


def test_a_run_cut_short_by_the_server_resumes_and_sends_each_once(
    project: Path, good_out: Path, handler: Handler
) -> None:
    handler.drop_after, handler.stay_down = 2, True
    clock = FakeClock()
    report, _ = mail_with(project, good_out, clock)
    assert (report.counts["sent"], report.counts["failed (temporary)"]) == (2, 2)
    handler.drop_after = None
    clock.advance(3600)
    report, _ = mail_with(project, good_out, clock)
    assert (report.counts["sent"], report.counts["sent earlier"]) == (2, 2)
    assert all(handler.count(email) == 1 for email in GOOD.values())


def test_connection_refused_is_a_temporary_failure(project: Path, good_out: Path) -> None:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_settings(project, port)
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    # after three failed connections in a row the server counts as unreachable: the fourth is not tried
    assert "0 sent, 0 refused, 3 failed (temporary)" in result.output
    assert "1 not tried (server unreachable)" in result.output
    assert f"cannot connect to 127.0.0.1:{port}" in result.output
    assert all(row.failure == "temporary" for row in ledger_rows(good_out).values())


def test_a_timeout_is_a_temporary_failure(
    project: Path, good_out: Path, handler: Handler, server: LoopbackController
) -> None:
    keep(good_out, {"alpha"})
    handler.slow_rcpt = 2.0
    write_settings(project, server.port, timeout=1)  # the least mail.yaml allows
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1 and "1 failed (temporary)" in result.output
    assert "timed out" in ledger_rows(good_out)["alpha"].reason


def test_a_message_left_sending_is_reported_and_not_sent_again(
    project: Path, good_out: Path, handler: Handler
) -> None:
    handler.drop_in_data = {"delta@example.org"}  # lost after the message was handed over
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    assert (
        "3 sent, 0 refused, 0 failed (temporary), 0 failed (permanent), 1 awaiting confirmation"
        in result.output
    )
    row = ledger_rows(good_out)["delta"]
    assert row.state == "sending"
    handler.drop_in_data = set()
    again = run_mail(project, good_out, "send")
    assert again.exit_code == 1 and "1 awaiting confirmation" in again.output
    assert f"`generate.py mail confirm {row.id} --arrived` or `--not-arrived`" in again.output
    assert handler.count("delta@example.org") == 0
    status = run_mail(project, good_out, "status")
    assert (
        "3 sent, 0 queued, 0 refused, 0 failed (temporary), 0 failed (permanent), 1 awaiting" in status.output
    )
    confirmed = run_mail(project, good_out, "confirm", str(row.id), "--not-arrived")
    assert confirmed.exit_code == 0 and "now queued" in confirmed.output
    assert run_mail(project, good_out, "send").exit_code == 0
    assert all(handler.count(email) == 1 for email in GOOD.values())


def test_a_crash_between_sending_and_sent_is_confirmed_by_a_person(
    project: Path, good_out: Path, handler: Handler
) -> None:
    assert run_mail(project, good_out, "send", "--limit", "1").exit_code == 0
    with sqlite3.connect(good_out / LEDGER) as db:  # as a crash after the transaction would leave it
        db.execute("UPDATE messages SET state = 'sending' WHERE state = 'sent'")
    (row,) = [r for r in ledger_rows(good_out).values() if r.state == "sending"]
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1 and handler.count(row.email) == 1
    assert run_mail(project, good_out, "confirm", str(row.id), "--arrived").exit_code == 0
    assert ledger_rows(good_out)[row.recipient].state == "sent"
    assert run_mail(project, good_out, "send").exit_code == 0 and handler.count(row.email) == 1
    not_sending = run_mail(project, good_out, "confirm", str(row.id), "--not-arrived")
    assert not_sending.exit_code == 1 and "is sent, not awaiting confirmation" in not_sending.output


# ---- Settings and the password -------------------------------------------------------------------


def test_a_password_in_mail_yaml_is_an_error_naming_the_line(
    project: Path, good_out: Path, handler: Handler
) -> None:
    text = (project / "mail.yaml").read_text().replace("smtp:\n", "smtp:\n  password: hunter2\n")
    (project / "mail.yaml").write_text(text)
    result = run_mail(project, good_out, "send")
    line = text.splitlines().index("  password: hunter2") + 1
    assert result.exit_code == 1
    assert f"error: mail.yaml:{line}: smtp.password: a password must not be kept in a file" in result.output
    assert "unknown key" not in result.output and handler.messages == []


def test_the_password_comes_from_the_environment(
    project: Path, good_out: Path, server: LoopbackController
) -> None:
    keep(good_out, {"alpha"})
    result = run_mail(
        project, good_out, "send", env={"KEYCITIES_SMTP_USER": "comms", "KEYCITIES_SMTP_PASSWORD": "s3cret"}
    )
    assert result.exit_code == 0, result.output
    assert server.logins == [(b"comms", b"s3cret")]


def test_the_password_is_asked_for_when_not_in_the_environment(
    project: Path, good_out: Path, server: LoopbackController
) -> None:
    keep(good_out, {"alpha"})
    write_settings(project, server.port, user="comms")
    result = run_mail(project, good_out, "send", input="s3cret\n")
    assert result.exit_code == 0, result.output
    assert "Password for comms at 127.0.0.1" in result.output and "s3cret" not in result.output
    assert server.logins == [(b"comms", b"s3cret")]


def test_a_wrong_password_stops_the_run(project: Path, good_out: Path, server: LoopbackController) -> None:
    result = run_mail(
        project, good_out, "send", env={"KEYCITIES_SMTP_USER": "comms", "KEYCITIES_SMTP_PASSWORD": "wrong"}
    )
    assert result.exit_code == 1 and "refused the login for comms" in result.output
    assert server.logins and all(password == b"wrong" for _, password in server.logins)


def test_settings_problems_are_reported_with_their_lines(project: Path, good_out: Path) -> None:
    (project / "mail.yaml").write_text(
        'from: "not an address"\nopt_out: x\nsmtp:\n  port: "587"\n  secruity: ssl\nrate: fast\n',
        encoding="utf-8",
    )
    result = run_mail(project, good_out, "draft", env={"KEYCITIES_SMTP_SECURITY": "tls"})
    assert result.exit_code == 1
    assert "mail.yaml:1: from: 'not an address' is not a valid email address" in result.output
    assert "mail.yaml:4: smtp.port: expected a whole number, got '587'" in result.output
    assert (
        "mail.yaml:5: smtp.secruity: unknown key 'secruity' (ignored); did you mean 'security'?"
        in result.output
    )
    assert "mail.yaml:6: rate: expected a rate like 30/min, 2/s or 500/h, got 'fast'" in result.output
    assert "KEYCITIES_SMTP_SECURITY: expected starttls, ssl or none, got 'tls'" in result.output


def test_the_environment_overrides_mail_yaml(
    project: Path, good_out: Path, handler: Handler, server: LoopbackController
) -> None:
    write_settings(project, 9, host="smtp.keycities.invalid")  # nothing there: the environment must win
    env = {"KEYCITIES_SMTP_HOST": "127.0.0.1", "KEYCITIES_SMTP_PORT": str(server.port)}
    result = run_mail(project, good_out, "send", env=env)
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 4


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("a@example.org", None),
        ("first.last+tag@mail.example.co.uk", None),
        ("", "no email address"),
        ("no-at-sign.example.org", "not a valid email address"),
        ("two@@example.org", "not a valid email address"),
        ("a@b@example.org", "not a valid email address"),
        ("a@localhost", "not a valid email address"),
        ("a b@example.org", "not a valid email address"),
        ("a@example.org\r\nBcc: x@y.org", "line break"),
        ("a@exa_mple.org", "not a valid email address"),
    ],
)
def test_addresses_are_checked_strictly(email: str, problem: str | None) -> None:
    found = address_problem(email)
    assert found is None if problem is None else problem in (found or "")


def test_rates() -> None:
    assert rate_interval("30/min") == 2.0 and rate_interval("2/s") == 0.5 and rate_interval("360/h") == 10.0
    for bad in ("0/min", "fast", "30", "-1/s"):
        with pytest.raises(ValueError):
            rate_interval(bad)


# ---- Templates ----------------------------------------------------------------------------------


def test_an_undefined_name_in_a_template_names_the_line(project: Path, good_out: Path) -> None:
    template = project / "templates" / "mail.txt"
    template.write_text("{{ salutation }},\n\n{{ salutaton }}\n" + template.read_text())
    result = run_mail(project, good_out, "draft")
    assert result.exit_code == 1
    assert (
        "error: templates/mail.txt:3: 'salutaton' is undefined; names available: attachments,"
        in result.output
    )


def test_a_template_without_the_opt_out_footer_is_refused(project: Path, good_out: Path) -> None:
    (project / "templates" / "mail.html").write_text("<p>{{ salutation }}, from {{ group_name }}</p>\n")
    result = run_mail(project, good_out, "draft")
    assert result.exit_code == 1
    assert (
        "templates/mail.html: every message must name the sender and give the opt-out contact"
        in result.output
    )


def test_templates_are_sandboxed(project: Path, good_out: Path) -> None:
    template = project / "templates" / "mail.txt"
    template.write_text("{{ salutation.__class__.__mro__[1].__subclasses__() }}\n" + template.read_text())
    result = run_mail(project, good_out, "draft")
    assert result.exit_code == 1 and "templates/mail.txt:1: access to attribute '__class__'" in result.output


# ---- TLS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    try:
        curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1")
        names = ("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
        files = ("-keyout", str(key), "-out", str(cert))
        subprocess.run(["openssl", "req", "-x509", *curve, *names, *files], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"openssl cannot make a test certificate: {error}")
    return key, cert


@pytest.mark.parametrize("security", ["starttls", "ssl"])
@pytest.mark.parametrize("trusted", [True, False])
def test_tls(
    project: Path,
    good_out: Path,
    handler: Handler,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    security: str,
    trusted: bool,
) -> None:
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context}
    )
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0, **tls)
    controller.start()
    try:
        if trusted:  # the client trusts the test certificate, as it would a real server's
            client = ssl.create_default_context(cafile=str(cert))
            monkeypatch.setattr("keycities.mail.smtp.ssl.create_default_context", lambda: client)
        keep(good_out, {"alpha"})
        write_settings(project, controller.port, security=security)
        result = run_mail(project, good_out, "send")
    finally:
        controller.stop()
    if trusted:
        assert result.exit_code == 0, result.output
        assert handler.count("alpha@example.org") == 1
    else:
        assert result.exit_code == 1 and "certificate verify failed" in result.output
        assert handler.messages == []


# ---- The ledger's records ------------------------------------------------------------------------


def test_status_and_export(project: Path, out: Path, tmp_path: Path) -> None:
    assert "nothing has been sent" in run_mail(project, out, "status").output
    run_mail(project, out, "send")
    status = run_mail(project, out, "status")
    assert status.exit_code == 0
    assert "7 messages" in status.output and "4 sent, 0 queued, 3 refused" in status.output
    assert "cities-in-action/no-email <>: refused: no email address" in status.output
    result = run_mail(project, out, "export", str(tmp_path / "sent.csv"))
    assert result.exit_code == 0 and "7 messages written to" in result.output
    with open(tmp_path / "sent.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["recipient"]: row["state"] for row in rows} == {
        **dict.fromkeys(GOOD, "sent"),
        **dict.fromkeys(BAD, "failed"),
    }
    assert {"sha256", "email", "message_id", "reply", "sent_at", "attempts", "next_attempt"} <= set(rows[0])


def test_no_manifest_is_a_clean_error(project: Path, tmp_path: Path) -> None:
    result = run_mail(project, tmp_path / "empty", "draft")
    assert result.exit_code == 1 and "no manifest; build the letters first" in result.output


# ---- The command line: one verb for each thing mail does ------------------------------------------

VERBS = ("confirm", "draft", "export", "send", "status")


def test_bare_mail_prints_the_help_listing_the_five_verbs() -> None:
    result = CliRunner().invoke(cli, ["mail"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: cli mail [OPTIONS] COMMAND [ARGS]...")
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == list(VERBS)
    assert "..." not in result.output.split("Commands:", 1)[1]  # each verb's line is whole
    assert set(mail_group.commands) == set(VERBS)


@pytest.mark.parametrize("verb", VERBS)
def test_each_verb_has_a_one_line_description(verb: str) -> None:
    command = mail_group.commands[verb]
    assert command.help and "\n" not in command.help.strip()
    result = CliRunner().invoke(cli, ["mail", verb, "--help"])
    assert result.exit_code == 0 and command.help.strip().split()[0] in result.output


@pytest.mark.parametrize(
    "args",
    [["--send"], ["--status"], ["--export", "x.csv"], ["--confirm-sent", "1"], ["draft", "--send"]],
)
def test_the_old_options_are_gone(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["mail", *args])
    assert result.exit_code == 2 and "No such option" in result.output


def test_draft_says_how_to_send(project: Path, good_out: Path) -> None:
    result = run_mail(project, good_out, "draft", "--letter", LETTER, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        f"Draft: nothing was sent. Check the messages in {good_out / 'outbox'}, then send them with "
        "`generate.py mail send` and the same options.",
        "Run the same command again to send the next ones.",
    ]
    assert len(list((good_out / "outbox" / LETTER).glob("*.eml"))) == 2


def test_status_prints_the_counts_and_what_needs_attention(project: Path, good_out: Path) -> None:
    keep(good_out, {"alpha", "bravo"})
    edit_manifest(good_out, "bravo", email="bravo at example")
    assert run_mail(project, good_out, "send").exit_code == 1
    result = run_mail(project, good_out, "status")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{good_out / LEDGER}: 2 messages",
        "1 sent, 0 queued, 1 refused, 0 failed (temporary), 0 failed (permanent), 0 awaiting confirmation",
        f"[2] {LETTER}/bravo <bravo at example>: refused: 'bravo at example' is not a valid email address "
        "(one @, no spaces, ASCII, a domain with a dot); correct the recipient's email and build the letters "
        "again",
    ]


def test_export_writes_the_ledger_to_the_file_named(project: Path, good_out: Path, tmp_path: Path) -> None:
    keep(good_out, {"alpha"})
    assert run_mail(project, good_out, "send").exit_code == 0
    file = tmp_path / "records" / "sent.csv"
    file.parent.mkdir()
    result = run_mail(project, good_out, "export", str(file))
    assert result.exit_code == 0 and result.output == f"1 messages written to {file}\n"
    with open(file, newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["recipient"], row["state"], row["email"]) == ("alpha", "sent", GOOD["alpha"])


def test_export_needs_a_file_and_a_ledger(project: Path, good_out: Path, tmp_path: Path) -> None:
    missing = run_mail(project, good_out, "export")
    assert missing.exit_code == 2 and "Missing argument 'FILE'" in missing.output
    result = run_mail(project, good_out, "export", str(tmp_path / "sent.csv"))
    assert result.exit_code == 1
    assert f"error: no mail ledger in {good_out}: nothing has been sent from this folder" in result.output
    assert not (tmp_path / "sent.csv").exists()


def test_confirm_arrived_and_not_arrived(project: Path, good_out: Path, handler: Handler) -> None:
    keep(good_out, {"alpha", "bravo"})
    assert run_mail(project, good_out, "send").exit_code == 0
    with sqlite3.connect(good_out / LEDGER) as db:  # as two runs cut short after the transaction leave them
        db.execute("UPDATE messages SET state = 'sending'")
    db.close()
    rows = ledger_rows(good_out)
    alpha, bravo = rows["alpha"].id, rows["bravo"].id
    arrived = run_mail(project, good_out, "confirm", str(alpha), "--arrived")
    assert arrived.exit_code == 0, arrived.output
    assert arrived.output == f"[{alpha}] {LETTER}/alpha <{GOOD['alpha']}>: now sent\n"
    not_arrived = run_mail(project, good_out, "confirm", str(bravo), "--not-arrived")
    assert not_arrived.exit_code == 0, not_arrived.output
    assert not_arrived.output == f"[{bravo}] {LETTER}/bravo <{GOOD['bravo']}>: now queued\n"
    assert ledger_rows(good_out)["alpha"].reply == "confirmed as sent by a person"
    assert run_mail(project, good_out, "send").exit_code == 0
    assert (handler.count(GOOD["alpha"]), handler.count(GOOD["bravo"])) == (1, 2)  # bravo went again


def test_confirm_needs_an_answer_and_a_known_message(project: Path, good_out: Path) -> None:
    none = run_mail(project, good_out, "confirm", "1", "--arrived")
    assert none.exit_code == 1 and f"error: no mail ledger in {good_out}" in none.output
    keep(good_out, {"alpha"})
    assert run_mail(project, good_out, "send").exit_code == 0
    unanswered = run_mail(project, good_out, "confirm", "1")
    assert unanswered.exit_code == 2
    assert "give --arrived or --not-arrived: did message 1 reach its recipient?" in unanswered.output
    unknown = run_mail(project, good_out, "confirm", "99", "--not-arrived")
    assert unknown.exit_code == 1
    assert f"error: no message 99 in {good_out / LEDGER}; see the ids with `generate.py mail status`" in (
        unknown.output
    )
    not_a_number = run_mail(project, good_out, "confirm", "first", "--arrived")
    assert not_a_number.exit_code == 2 and "'first' is not a valid integer" in not_a_number.output
