"""The SMTP connection: one message at a time, handed to the server in mail.yaml.

A message goes in two steps: `envelope` (connect if needed, MAIL FROM, RCPT TO), where nothing has been
delivered yet, then `hand_over` (DATA). send.py claims the message in the ledger between the two, so a
failure before DATA never leaves it `sending`. A refusal is temporary (4xx) or permanent (5xx), raised as
SendFailure with the connection left usable. A connection dropped before the message was handed over is
tried once more on a new one; one dropped while it was handed over is `unknown`, for a person to confirm
(see ledger.py). A wrong setting (the login, TLS) raises MailError: no message can go until it is fixed.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from typing import Literal, NoReturn

from keycities.errors import MailError
from keycities.mail.settings import SmtpSettings


class SendFailure(Exception):
    """A message the server did not take: temporary, permanent, or unknown (lost after it was handed over).

    `unreachable`: the server could not be reached, or dropped the connection before the envelope was
    accepted; the message never reached it, so it may be tried again at once."""

    def __init__(
        self, kind: Literal["temporary", "permanent", "unknown"], reason: str, unreachable: bool = False
    ) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.unreachable = kind, reason, unreachable


class _Dropped(Exception):
    """The connection closed before the message was handed over: safe to try again on a new one."""


class Connection:
    """An SMTP connection, opened when first needed and again when the server has dropped it."""

    def __init__(self, smtp: SmtpSettings, password: str | None, prompt: Callable[[str], str] | None) -> None:
        self.settings, self.secret, self.prompt = smtp, password, prompt
        self.smtp: smtplib.SMTP | None = None
        self.where = f"{smtp.host}:{smtp.port}"

    def password(self) -> str:
        """KEYCITIES_SMTP_PASSWORD, or asked for once; never read from a file."""
        if self.secret is None:
            if self.prompt is None:
                raise MailError(f"set KEYCITIES_SMTP_PASSWORD: the SMTP user {self.settings.user} needs one")
            self.secret = self.prompt(f"Password for {self.settings.user} at {self.where}")
        return self.secret

    def envelope(self, sender: str, recipient: str) -> None:
        """Connect if need be and give the sender and recipient (MAIL FROM, RCPT TO): SendFailure if refused.
        Nothing is delivered yet: the message goes only with hand_over."""
        if self.smtp is not None:
            try:
                self._envelope(self.smtp, sender, recipient)
                return
            except _Dropped:
                self.close()  # servers close connections they have kept open: open a new one
        self.smtp = self._open()
        try:
            self._envelope(self.smtp, sender, recipient)
        except _Dropped as dropped:
            self.close()
            raise SendFailure("temporary", str(dropped), unreachable=True) from None

    def hand_over(self, data: bytes) -> str:
        """Send the message for the envelope just accepted (DATA): the server's reply, or SendFailure."""
        assert self.smtp is not None, "envelope() first"
        try:
            code, reply = self.smtp.data(data)
        except smtplib.SMTPDataError as error:
            self._refused(self.smtp, "DATA", error.smtp_code, error.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self.close()
            raise SendFailure(
                "unknown", f"the connection dropped while the message was handed over ({_why(error)})"
            ) from None
        if code != 250:  # refused at the end of the message: nothing delivered
            self._refused(self.smtp, "DATA", code, reply)
        return _reply(code, reply)

    def abandon(self) -> None:
        """Forget the envelope just accepted (RSET), for a message that is not to go after all."""
        if self.smtp is not None:
            try:
                self.smtp.rset()
            except (OSError, smtplib.SMTPException):
                self.close()

    def close(self) -> None:
        """Say goodbye if the server is still there."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def _open(self) -> smtplib.SMTP:
        s, context = self.settings, ssl.create_default_context()
        password = self.password() if s.user else ""  # asked before connecting: the server will not wait
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port or 0, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port or 0, timeout=s.timeout)
        except ssl.SSLError as error:
            raise MailError(f"TLS with {self.where} failed ({error}); check smtp.security and port") from None
        except OSError as error:
            reason = f"cannot connect to {self.where}: {_why(error)}"
            raise SendFailure("temporary", reason, unreachable=True) from None
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, password)
            return smtp
        except smtplib.SMTPAuthenticationError as error:
            problem = f"refused the login for {s.user} ({_reply(error.smtp_code, error.smtp_error)}); check "
            problem += "KEYCITIES_SMTP_USER and the password"
        except smtplib.SMTPNotSupportedError:
            problem = "does not offer STARTTLS; set smtp.security to ssl, or check the host"
        except ssl.SSLError as error:
            problem = f"failed the TLS handshake ({error}); check smtp.host, port and security"
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            reason = f"{self.where} did not complete the greeting: {_why(error)}"
            raise SendFailure("temporary", reason, unreachable=True) from None
        smtp.close()
        raise MailError(f"{self.where} {problem}")  # a setting is wrong: no message can go until it is fixed

    def _envelope(self, smtp: smtplib.SMTP, sender: str, recipient: str) -> None:
        try:
            for step, address, command in (
                ("MAIL FROM", sender, smtp.mail),
                ("RCPT TO", recipient, smtp.rcpt),
            ):
                code, reply = command(address)
                if code not in (250, 251):
                    self._refused(smtp, step, code, reply)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise _Dropped(f"the connection to {self.where} dropped: {_why(error)}") from None

    def _refused(self, smtp: smtplib.SMTP, step: str, code: int, reply: bytes | str) -> NoReturn:
        """Raise SendFailure for a refusal (4xx temporary, 5xx permanent), leaving the connection usable."""
        try:
            if code == 421:  # the server is closing the connection
                self.close()
            else:
                smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
        kind: Literal["temporary", "permanent"] = "permanent" if 500 <= code < 600 else "temporary"
        raise SendFailure(kind, f"{step}: {_reply(code, reply)}")


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}"


def _why(error: BaseException) -> str:
    return str(error) or type(error).__name__
