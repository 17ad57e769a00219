"""Issue 9: mail must not be turned against its recipients, nor left in a state it cannot account for.

Header injection through encoded words and folded names, settings that overflow, failures before DATA,
a damaged ledger, a dead server and a tampered manifest; sent to a real SMTP server on loopback
(aiosmtpd, from test_mail.py) wherever sending is involved.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from test_mail import (  # the real server, the built letters and the helpers
    GOOD,
    LETTER,
    SENDER,
    FakeClock,
    Handler,
    LoopbackController,
    built,
    edit_manifest,
    good_out,
    handler,
    keep,
    ledger_rows,
    mail_with,
    manifest_entry,
    no_smtp_environment,
    out,
    project,
    run_mail,
    server,
    write_settings,
)

from keycities.mail.ledger import LEDGER, Ledger
from keycities.mail.row import Row
from keycities.mail.settings import rate_interval
from keycities.text_rules import text_problem

# pytest finds the shared fixtures by name in this module; naming them here marks the imports as used.
SHARED_FIXTURES = (built, good_out, handler, no_smtp_environment, out, project, server)
EVIL = "evil@example.org"
# A real Bcc header once decoded: the CR LF checks of the raw text see none.
ENCODED_BCC = "=?utf-8?q?x=0D=0ABcc=3A_evil@example.org?="
ENCODED_BCC_WITH_SPACE = "=?utf-8?q?x=0D=0ABcc: evil@example.org?="  # slipped past the old encoded-word rule
# No encoded word and no line break, yet the mail library folds it into three addresses, one of them evil.
FOLDED_NAME = f"{EVIL}, Rt Hon Sir John Smith MP, Member of Parliament for Somewhere"


def assert_nothing_evil_arrived(handler: Handler) -> None:
    """No message reached the server with a Bcc, Cc or the evil address in any header or envelope."""
    for envelope, message in zip(handler.messages, handler.parsed(), strict=True):
        assert EVIL not in envelope.rcpt_tos
        assert not {name.lower() for name in message} & {"bcc", "cc", "resent-bcc"}
        assert all(EVIL not in str(value) for value in message.values()), message.items()


def no_traceback(result: Result) -> None:
    """A clean exit: an error message, never an exception escaping the command."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output


def states(out: Path) -> dict[str, str]:
    return {name: row.state for name, row in ledger_rows(out).items()} if (out / LEDGER).exists() else {}


def mail_yaml_line(project: Path, start: str) -> int:
    lines = (project / "mail.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(start))


# ---- 1. Header injection through RFC 2047 encoded words, and the read-back guard -------------------


@pytest.mark.parametrize("text", [ENCODED_BCC, ENCODED_BCC_WITH_SPACE, "=?utf-8?b?DQpCY2M6IGV2aWw=?= x"])
def test_encoded_words_are_refused_by_the_one_text_rule(text: str) -> None:
    problem = text_problem(text)
    assert problem is not None and "RFC 2047 encoded word" in problem


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("from", f'"{ENCODED_BCC} <{SENDER}>"'),
        ("from", f'"{ENCODED_BCC_WITH_SPACE} <{SENDER}>"'),
        ("reply_to", f'"{ENCODED_BCC} <replies@keycities.uk>"'),
        ("opt_out", f'"{ENCODED_BCC}"'),
    ],
)
def test_encoded_words_in_mail_yaml_are_refused_at_load_time(
    project: Path, good_out: Path, handler: Handler, key: str, value: str
) -> None:
    text = (project / "mail.yaml").read_text()
    if key == "reply_to":
        text += f"reply_to: {value}\n"
    else:
        text = "\n".join(
            f"{key}: {value}" if line.startswith(f"{key}:") else line for line in text.splitlines()
        )
    (project / "mail.yaml").write_text(text + "\n")
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1
    line = mail_yaml_line(project, f"{key}:")
    assert f"error: mail.yaml:{line}: {key}: an RFC 2047 encoded word" in result.output
    assert handler.messages == [] and not (good_out / LEDGER).exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("holder", ENCODED_BCC),
        ("holder", ENCODED_BCC_WITH_SPACE),
        ("subject", ENCODED_BCC),
        ("subject", f"Key Cities {ENCODED_BCC_WITH_SPACE}"),
        ("subject", "Key Cities\u2028Bcc: evil@example.org"),
        ("email", "=?utf-8?q?x?=@example.org"),
    ],
)
def test_a_manifest_edited_after_the_build_cannot_inject_headers(
    project: Path, good_out: Path, handler: Handler, key: str, value: str
) -> None:
    edit_manifest(good_out, "alpha", **{key: value})
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1
    assert "cities-in-action/alpha: refused:" in result.output
    assert "3 sent, 1 refused" in result.output
    assert handler.count("alpha@example.org") == 0
    assert_nothing_evil_arrived(handler)
    assert ledger_rows(good_out)["alpha"].failure == "refused"


def test_a_name_the_mail_library_folds_into_several_addresses_is_refused(
    project: Path, good_out: Path, handler: Handler
) -> None:
    assert text_problem(FOLDED_NAME) is None  # it passes every check of the text itself
    edit_manifest(good_out, "alpha", holder=FOLDED_NAME)
    dry = run_mail(project, good_out, "draft")
    assert dry.exit_code == 1
    assert "cities-in-action/alpha: refused: its To header would be read as" in dry.output
    assert not (good_out / "outbox" / LETTER / "alpha.eml").exists()
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1 and "3 sent, 1 refused" in result.output
    assert "correct the recipient's name or email" in result.output
    assert handler.count("alpha@example.org") == 0
    assert_nothing_evil_arrived(handler)
    row = ledger_rows(good_out)["alpha"]
    assert (row.state, row.failure) == ("failed", "refused") and "To header" in row.reason


def test_a_sender_name_folded_into_several_addresses_is_refused(
    project: Path, good_out: Path, handler: Handler
) -> None:
    text = (project / "mail.yaml").read_text()
    (project / "mail.yaml").write_text(text.replace("Key Cities Group <", f"{FOLDED_NAME} <"))
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1 and "0 sent, 4 refused" in result.output
    assert "refused: its From header would be read as" in result.output
    assert "correct from in mail.yaml" in result.output
    assert handler.messages == []


def test_the_read_back_refuses_a_header_the_text_checks_missed(
    project: Path, good_out: Path, handler: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as if the checks of the text had a hole: only the read-back guard stands in the way
    monkeypatch.setattr("keycities.mail.messages.text_problem", lambda text: None)
    edit_manifest(good_out, "alpha", holder=ENCODED_BCC)
    edit_manifest(good_out, "bravo", subject=ENCODED_BCC_WITH_SPACE)
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1 and "2 sent, 2 refused" in result.output
    assert "cities-in-action/alpha: refused: it would be read with an extra Bcc header" in result.output
    assert "cities-in-action/bravo: refused: it would be read with an extra Bcc header" in result.output
    assert_nothing_evil_arrived(handler)
    assert {m.rcpt_tos[0] for m in handler.messages} == {GOOD["charlie"], GOOD["delta"]}


def test_a_message_id_injected_into_the_ledger_is_refused(
    project: Path, good_out: Path, handler: Handler
) -> None:
    keep(good_out, {"alpha"})
    handler.defer = {GOOD["alpha"]}  # a row in the ledger, to be retried
    assert run_mail(project, good_out, "send").exit_code == 1
    with sqlite3.connect(good_out / LEDGER) as db:
        db.execute("UPDATE messages SET message_id = ?, next_attempt = NULL", (f"<x@y>{ENCODED_BCC}",))
    handler.defer = set()
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1 and "message_id: an RFC 2047 encoded word" in result.output
    assert handler.messages == []


# ---- 2. Settings bounded at load time ---------------------------------------------------------------


@pytest.mark.parametrize("rate", ["1e-300/s", "1e300/s", "0.0000001/h", "101/s", "1" + "0" * 400 + "/s"])
def test_an_extreme_rate_is_refused_with_the_allowed_range(
    project: Path, good_out: Path, handler: Handler, rate: str
) -> None:
    result = run_mail(project, good_out, "send", "--rate", rate)
    no_traceback(result)
    assert result.exit_code == 1 and "error: --rate: expected a rate from 1/day to 100/s" in result.output
    text = (project / "mail.yaml").read_text().replace("rate: 100/s", f'rate: "{rate}"')
    (project / "mail.yaml").write_text(text)
    result = run_mail(project, good_out, "send")
    line = mail_yaml_line(project, "rate:")
    assert f"error: mail.yaml:{line}: rate: expected a rate from 1/day to 100/s" in result.output
    assert handler.messages == [] and states(good_out) == {}


def test_the_bounds_of_the_rate_are_allowed(project: Path, good_out: Path) -> None:
    assert rate_interval("100/s") == rate_interval("6000/min") == 0.01
    assert rate_interval("1/day") == rate_interval("1/d") == 86400.0
    keep(good_out, {"alpha", "bravo"})
    clock = FakeClock()
    report, _ = mail_with(project, good_out, clock, rate="1/day")
    assert report.counts["sent"] == 2 and clock.sleeps == [pytest.approx(86400.0)]


@pytest.mark.parametrize("timeout", ["1.0e+300", ".inf", "-.inf", ".nan", "0.5", "601"])
def test_an_extreme_timeout_is_refused_at_load_time(
    project: Path, good_out: Path, handler: Handler, server: LoopbackController, timeout: str
) -> None:
    write_settings(project, server.port)
    text = (project / "mail.yaml").read_text().replace("timeout: 5", f"timeout: {timeout}")
    (project / "mail.yaml").write_text(text)
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    line = mail_yaml_line(project, "  timeout:")
    assert result.exit_code == 1
    assert f"error: mail.yaml:{line}: smtp.timeout: expected from 1 to 600 seconds" in result.output
    assert handler.messages == [] and states(good_out) == {}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("KEYCITIES_SMTP_PORT", "²", "KEYCITIES_SMTP_PORT: expected a port number like 587"),
        ("KEYCITIES_SMTP_PORT", "99999", "KEYCITIES_SMTP_PORT: expected a port number like 587"),
        ("KEYCITIES_SMTP_HOST", "a" * 64 + ".example.org", "KEYCITIES_SMTP_HOST: expected a host name"),
        ("KEYCITIES_SMTP_HOST", "smtp.example.org\u202e", "KEYCITIES_SMTP_HOST: a bidirectional control"),
        ("KEYCITIES_SMTP_USER", "comms\u0085x", "KEYCITIES_SMTP_USER: a line break or control character"),
    ],
)
def test_bad_smtp_environment_values_are_refused_at_load_time(
    project: Path, good_out: Path, handler: Handler, name: str, value: str, expected: str
) -> None:
    result = run_mail(project, good_out, "send", env={name: value, "KEYCITIES_SMTP_PASSWORD": "s3cret"})
    no_traceback(result)
    assert result.exit_code == 1 and f"error: {expected}" in result.output
    assert handler.messages == [] and states(good_out) == {}


# ---- 3. A local error before DATA never leaves a message `sending` -----------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        OverflowError("timeout doesn't fit into C timeval"),  # what smtp.timeout: 1e300 did
        ValueError("embedded null byte"),
        RuntimeError("a bug while building the connection"),
    ],
)
def test_a_crash_before_data_leaves_the_message_to_send_again(
    project: Path, good_out: Path, handler: Handler, monkeypatch: pytest.MonkeyPatch, fault: Exception
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise fault

    with monkeypatch.context() as patch:
        patch.setattr("keycities.mail.smtp.smtplib.SMTP", broken)
        result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    assert "sending" not in states(good_out).values()  # queued: nothing to confirm by hand
    again = run_mail(project, good_out, "send")
    assert again.exit_code == 0, again.output
    assert all(handler.count(email) == 1 for email in GOOD.values())


def test_a_server_that_is_down_leaves_messages_to_retry_at_once(
    project: Path, good_out: Path, handler: Handler, server: LoopbackController
) -> None:
    keep(good_out, {"alpha", "bravo"})
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_settings(project, port)
    clock = FakeClock()
    report, _ = mail_with(project, good_out, clock)
    assert report.counts["failed (temporary)"] == 2
    rows = ledger_rows(good_out)
    assert {(row.state, row.failure, row.attempts) for row in rows.values()} == {("failed", "temporary", 0)}
    write_settings(project, server.port)  # the server is back: no back-off to wait for
    report, _ = mail_with(project, good_out, clock)
    assert report.counts["sent"] == 2 and handler.count(GOOD["alpha"]) == handler.count(GOOD["bravo"]) == 1


def test_a_refusal_at_rcpt_never_marks_the_message_sending(
    project: Path, good_out: Path, handler: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep(good_out, {"alpha", "bravo"})
    handler.reject = {GOOD["alpha"]}
    claimed: list[str] = []
    claim = Ledger.claim

    def watched(ledger: Ledger, row: Row, *args: Any) -> bool:
        claimed.append(row.recipient)
        return claim(ledger, row, *args)

    monkeypatch.setattr(Ledger, "claim", watched)
    result = run_mail(project, good_out, "send")
    assert result.exit_code == 1
    assert "1 sent, 0 refused, 0 failed (temporary), 1 failed (permanent)" in result.output
    assert claimed == ["bravo"]  # claimed only once the server had accepted the envelope
    row = ledger_rows(good_out)["alpha"]
    assert (row.state, row.failure, row.attempts) == ("failed", "permanent", 1)


# ---- 4. A ledger with the wrong schema or bad values ----------------------------------------------


def ledger_with(out: Path, table: str, values: dict[str, Any] | None = None) -> None:
    """A ledger with this table, holding one row for alpha with these values if any."""
    with sqlite3.connect(out / LEDGER) as db:
        db.execute(table)
        if values is not None:
            row = {
                "recipient": "alpha",
                "letter": LETTER,
                "sha256": manifest_entry(out, "alpha", "pdf")["sha256"],
                "email": GOOD["alpha"],
                "subject": "Key Cities: Cities in Action",
                "message_id": "<1@keycities.uk>",
                "state": "failed",
                "failure": "temporary",
                "reason": "451 busy",
                "reply": "",
                "attempts": 1,
                "next_attempt": "2026-03-02T09:00:00+00:00",
                "sent_at": None,
                "updated": "2026-03-02T09:00:00+00:00",
            } | values
            names, marks = ", ".join(row), ", ".join("?" * len(row))
            db.execute(f"INSERT INTO messages ({names}) VALUES ({marks})", list(row.values()))
    db.close()


# The shipped schema without its CHECK and NOT NULL rules: a hand-edited ledger can hold anything.
LOOSE = (
    "CREATE TABLE messages (id INTEGER PRIMARY KEY, recipient, letter, sha256, email, subject, message_id, "
    "state, failure, reason, reply, attempts, next_attempt, sent_at, updated)"
)
DAMAGED = {
    "not sqlite": ("", None, "not a mail ledger (file is not a database)"),
    "another table": ("CREATE TABLE sent (x)", None, "not a mail ledger: it has no table `messages`"),
    "missing columns": (
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, recipient, sha256)",
        None,
        "the table `messages` has no column letter, email",
    ),
    "bad state": (LOOSE, {"state": "bogus"}, "message 1: state is 'bogus'"),
    "bad date": (LOOSE, {"next_attempt": "soon"}, "message 1: next_attempt is 'soon'"),
    "date without zone": (LOOSE, {"next_attempt": "2026-03-02T09:00:00"}, "next_attempt is '2026-03-02T09"),
    "bad attempts": (LOOSE, {"attempts": "many"}, "message 1: attempts is 'many', expected a whole number"),
    "null email": (LOOSE, {"email": None}, "message 1: email is None, expected text"),
    "failed without failure": (LOOSE, {"failure": None}, "message 1: failure is None"),
}


@pytest.fixture(params=sorted(DAMAGED))
def damaged(request: pytest.FixtureRequest, good_out: Path) -> Iterator[tuple[str, str]]:
    table, values, problem = DAMAGED[request.param]
    if request.param == "not sqlite":
        (good_out / LEDGER).write_text("this is not a database\n" * 100)
    else:
        ledger_with(good_out, table, values)
    yield request.param, problem


def test_a_damaged_ledger_is_reported_with_how_to_recover(
    project: Path, good_out: Path, handler: Handler, damaged: tuple[str, str], tmp_path: Path
) -> None:
    case, problem = damaged
    before = (good_out / LEDGER).read_bytes()
    confirms = (["confirm", "1", "--arrived"], ["confirm", "1", "--not-arrived"])
    for args in (["draft"], ["status"], *confirms, ["send"]):
        result = run_mail(project, good_out, *args)
        no_traceback(result)
        assert result.exit_code == 1, (args, result.output)
        assert f"error: {good_out / LEDGER}: " in result.output and problem in result.output, args
        assert "restore" in result.output and "backup" in result.output
        if args != ["send"]:
            assert (good_out / LEDGER).read_bytes() == before, f"{args} changed the ledger"
    assert handler.messages == []
    export = run_mail(project, good_out, "export", str(tmp_path / "ledger.csv"))
    no_traceback(export)
    if case in ("not sqlite", "another table", "missing columns"):
        assert export.exit_code == 1 and problem in export.output
    else:  # what is readable can still be saved
        assert export.exit_code == 0 and "1 messages written" in export.output
        assert "alpha" in (tmp_path / "ledger.csv").read_text()


def test_status_and_a_dry_run_do_not_create_a_table_in_an_empty_ledger(project: Path, good_out: Path) -> None:
    (good_out / LEDGER).touch()  # an empty file is an empty SQLite database
    for args in (["draft"], ["status"]):
        result = run_mail(project, good_out, *args)
        no_traceback(result)
        assert result.exit_code == 1 and "it has no table `messages`" in result.output
    assert (good_out / LEDGER).read_bytes() == b""


# ---- 5. A dead server ------------------------------------------------------------------------------


class SilentServer:
    """Accepts connections and never says a word: a server that is down behind a live port."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.socket.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_dead_server_is_given_up_after_three_connections(
    project: Path, good_out: Path, handler: Handler, server: LoopbackController, silent: SilentServer
) -> None:
    write_settings(project, silent.port, timeout=1)
    started = datetime.now()
    result = run_mail(project, good_out, "send")
    seconds = (datetime.now() - started).total_seconds()
    no_traceback(result)
    assert result.exit_code == 1 and len(silent.accepted) == 3 and seconds < 3.9
    assert f"127.0.0.1:{silent.port}: unreachable: 3 connections in a row failed" in result.output
    assert "1 message(s) not tried" in result.output
    assert "run the same command again: the messages not sent go at once" in result.output
    assert "0 sent, 0 refused, 3 failed (temporary)" in result.output
    assert "1 not tried (server unreachable)" in result.output
    assert set(states(good_out).values()) == {"failed"} and len(states(good_out)) == 3
    write_settings(project, server.port)  # the server is back
    again = run_mail(project, good_out, "send")
    assert again.exit_code == 0, again.output
    assert "4 sent" in again.output and all(handler.count(email) == 1 for email in GOOD.values())


def test_a_server_that_drops_every_connection_counts_as_unreachable(
    project: Path, good_out: Path, handler: Handler
) -> None:
    handler.drop_after, handler.stay_down = 0, True  # every connection dropped before the envelope
    clock = FakeClock()
    report, lines = mail_with(project, good_out, clock)
    assert report.counts["failed (temporary)"] == 3 and report.counts["not tried (server unreachable)"] == 1
    assert any("unreachable: 3 connections in a row failed" in line for line in lines)
    handler.drop_after = None
    report, _ = mail_with(project, good_out, clock)
    assert report.counts["sent"] == 4


# ---- 6. A tampered manifest ------------------------------------------------------------------------


def tamper(out: Path, change: Any) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    change(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest))


def alpha_pdf(manifest: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in manifest["documents"] if d.get("target") == "alpha" and d.get("format") == "pdf")


ENTRY_TAMPERING = {
    "missing target": lambda m: alpha_pdf(m).pop("target"),
    "missing path": lambda m: alpha_pdf(m).pop("path"),
    "missing sha256": lambda m: alpha_pdf(m).pop("sha256"),
    "path not text": lambda m: alpha_pdf(m).update(path=["letters", "alpha.pdf"]),
    "email not text": lambda m: alpha_pdf(m).update(email=5),
    "holder not text": lambda m: alpha_pdf(m).update(holder={"name": "x"}),
    "target escapes the outbox": lambda m: alpha_pdf(m).update(target="../../../escaped"),
    "collection escapes the outbox": lambda m: alpha_pdf(m).update(collection="../x"),
    "unknown format": lambda m: alpha_pdf(m).update(format="exe"),
    "kind missing": lambda m: alpha_pdf(m).pop("kind"),
    "entry not a mapping": lambda m: m["documents"].insert(0, "letters/alpha.pdf"),
}


@pytest.mark.parametrize("case", sorted(ENTRY_TAMPERING))
def test_a_bad_manifest_entry_is_left_out_with_a_warning(
    project: Path, good_out: Path, handler: Handler, case: str
) -> None:
    tamper(good_out, ENTRY_TAMPERING[case])
    dry = run_mail(project, good_out, "draft")
    no_traceback(dry)
    assert "warning: " in dry.output and "manifest.json: documents[" in dry.output
    assert "the entry is ignored" in dry.output
    assert not list(good_out.parent.rglob("escaped*")) and not (good_out / "x").exists()
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert all(handler.count(GOOD[name]) == 1 for name in ("bravo", "charlie", "delta"))
    # alpha's PDF entry left out, its Word file alone is not mailed; a junk entry beside it harms nothing
    assert handler.count(GOOD["alpha"]) == (1 if case == "entry not a mapping" else 0)


@pytest.mark.parametrize(
    "documents", [{"letters/alpha.pdf": {}}, "letters", None, 7], ids=["mapping", "text", "null", "number"]
)
def test_documents_that_is_not_a_list_is_a_clean_error(project: Path, good_out: Path, documents: Any) -> None:
    tamper(good_out, lambda m: m.update(documents=documents))
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1
    expected = "manifest.json: not a manifest this tool wrote (no list of documents)"
    assert expected in result.output and "build the letters again" in result.output


def test_a_manifest_that_is_not_json_is_a_clean_error(project: Path, good_out: Path) -> None:
    (good_out / "manifest.json").write_bytes(b"\xff{not json")
    result = run_mail(project, good_out, "draft")
    no_traceback(result)
    assert result.exit_code == 1 and "manifest.json: cannot be read" in result.output


@pytest.mark.parametrize("where", ["absolute", "dotdot", "link", "folder"])
def test_a_path_outside_the_output_folder_is_refused(
    project: Path, good_out: Path, handler: Handler, tmp_path: Path, where: str
) -> None:
    entry = manifest_entry(good_out, "alpha", "pdf")
    outside = tmp_path / "outside.pdf"
    outside.write_bytes((good_out / entry["path"]).read_bytes())  # the same bytes: only the place is wrong
    if where == "absolute":
        path = str(outside)
    elif where == "dotdot":
        path = "../outside.pdf"
    elif where == "link":
        path = "letters/link.pdf"
        (good_out / path).parent.mkdir(parents=True, exist_ok=True)
        (good_out / path).symlink_to(outside)
    else:
        path = "letters"
    tamper(good_out, lambda m: alpha_pdf(m).update(path=path))
    result = run_mail(project, good_out, "send")
    no_traceback(result)
    assert result.exit_code == 1 and "3 sent, 1 refused" in result.output
    # the entry is not one the build writes: ignored when read, so alpha has no PDF to send
    ignored = f"documents[{index_of(good_out, path)}] ({path!r}): the path is not where the build"
    assert ignored in result.output
    assert "cities-in-action/alpha: refused: no pdf file was built for it" in result.output
    assert handler.count(GOOD["alpha"]) == 0


def index_of(out: Path, path: str) -> int:
    """The position of the entry with this path in the manifest's documents."""
    documents = json.loads((out / "manifest.json").read_text())["documents"]
    return next(index for index, entry in enumerate(documents) if entry.get("path") == path)


# ---- The message templates run in the documents' sandbox -------------------------------------------


def test_a_mail_template_linked_out_of_templates_is_refused(
    project: Path, good_out: Path, handler: Handler, tmp_path: Path
) -> None:
    secret = "keycities-mail-secret-51f2"
    outside = tmp_path / "mail.txt"
    outside.write_text((project / "templates" / "mail.txt").read_text(encoding="utf-8") + secret + "\n")
    (project / "templates" / "mail.txt").unlink()
    (project / "templates" / "mail.txt").symlink_to(outside)
    result = run_mail(project, good_out, "draft")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"templates/mail.txt: a link to {outside}, which is outside templates/" in result.output
    assert secret not in result.output


@pytest.mark.parametrize(
    "body",
    [
        "{% for i in range(10**7) %}x{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ contact.append('evil') }}",
        "{{ 9 ** (9 ** 9) }}",
    ],
)
def test_a_runaway_or_mutating_mail_template_is_a_located_error(
    project: Path, good_out: Path, handler: Handler, body: str
) -> None:
    template = project / "templates" / "mail.txt"
    template.write_text(body + "\n" + template.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_mail(project, good_out, "draft")
    no_traceback(result)
    assert result.exit_code == 1
    assert "error: templates/mail.txt:1: " in result.output
