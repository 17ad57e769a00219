"""mail.yaml and the environment: the sender, the SMTP server and the rate, read and checked.

KEYCITIES_SMTP_HOST, _PORT, _USER and _SECURITY override mail.yaml; a password is never read from a file,
only from KEYCITIES_SMTP_PASSWORD or a prompt (smtp.py). Addresses are checked strictly: a line break in a
header would inject headers, and the shipped example addresses must be replaced before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from keycities.campaign import Model
from keycities.source import Located, raise_if_any, read_yaml, validate
from keycities.text_rules import text_problem

SETTINGS = "mail.yaml"
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# Reserved for examples (RFC 2606): the shipped placeholder, never a real sender.
RESERVED_DOMAINS = (".example", ".invalid", ".test", ".example.com", ".example.org", ".example.net")
RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|min|minute|h|hour)\s*")
UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]*[A-Za-z0-9]")
EXAMPLE = "expected one address like 'Key Cities Group <letters@keycities.uk>'"


class SmtpSettings(Model):
    """The `smtp:` block of mail.yaml."""

    host: str = "localhost"
    port: int | None = Field(default=None, gt=0, lt=65536)  # by security: 587, 465 or 25
    user: str | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout: float = Field(default=30, gt=0)  # seconds


class MailSettings(Model):
    """mail.yaml, but for `from` (checked on its own; see load_settings)."""

    reply_to: str | None = None
    opt_out: str
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    rate: str = "30/min"


@dataclass(frozen=True)
class Settings:
    """mail.yaml with the environment's overrides applied, checked."""

    sender: Address
    reply_to: Address | None
    opt_out: str
    smtp: SmtpSettings
    interval: float  # seconds between messages
    placeholder: str | None  # what to do when an address is still the shipped example


def parse_address(text: str) -> Address:
    """One mailbox, `Name <user@domain.uk>` or `user@domain.uk`, checked strictly; ValueError says why."""
    if problem := text_problem(text):  # the name and the address alike
        raise ValueError(problem)
    match = re.fullmatch(r"\s*(?:(.*?)\s*<([^<>]*)>|([^<>]*?))\s*", text)
    name, spec = (match[1] or "", match[2] if match[2] is not None else match[3]) if match else ("", text)
    if problem := address_problem(spec):
        raise ValueError(f"{problem}; {EXAMPLE}")
    return Address(display_name=name.strip().strip('"'), addr_spec=spec)


def address_problem(spec: str) -> str | None:
    """Why `spec` is not a plain deliverable address (one @, a domain with a dot, no spaces), or None."""
    if not spec:
        return "no email address"
    if problem := text_problem(spec):
        return f"the email address: {problem}"
    local, _, domain = spec.rpartition("@")
    if spec.count("@") != 1 or not local or " " in spec or not spec.isascii() or not DOMAIN.fullmatch(domain):
        return f"{spec!r} is not a valid email address (one @, no spaces, ASCII, a domain with a dot)"
    try:
        valid = Address(addr_spec=spec).addr_spec == spec
    except (ValueError, IndexError, HeaderParseError):
        valid = False
    return None if valid else f"{spec!r} is not a valid email address"


def rate_interval(text: str) -> float:
    """Seconds between messages for a rate like `30/min`, `2/s` or `500/h`; ValueError if it is not one."""
    match = RATE.fullmatch(text)
    if not match or float(match[1]) <= 0:
        raise ValueError(f"expected a rate like 30/min, 2/s or 500/h, got {text!r}")
    return UNIT_SECONDS[match[2]] / float(match[1])


def load_settings(
    project: Path, environ: Mapping[str, str], strict: bool = False
) -> tuple[Settings, list[str]]:
    """Read mail.yaml and apply KEYCITIES_SMTP_* from the environment; DataError lists every problem."""
    located = read_yaml(project / SETTINGS)
    data: Any = located.data
    errors = [
        f"{located.where(path)}: a password must not be kept in a file; delete it, and set "
        "KEYCITIES_SMTP_PASSWORD or type it when asked"
        for path in sorted(located.lines, key=located.line)
        if path and path[-1] == "password"
    ]
    for holder in (data, data.get("smtp") if isinstance(data, dict) else None):
        if isinstance(holder, dict):
            holder.pop("password", None)  # reported above, not again as an unknown key
    # `from` is checked here: it is not a Python name, and the schema reader matches keys to field names
    sender = data.pop("from", None) if isinstance(data, dict) else None
    model, problems, warnings = validate(MailSettings, Located(located.file, data, located.lines))
    errors += problems
    for key, check in (
        ("from", parse_address),
        ("reply_to", parse_address),
        ("rate", rate_interval),
        ("opt_out", _one_line),  # placed in every message's footer
    ):
        value = sender if key == "from" else data.get(key) if isinstance(data, dict) else None
        try:
            if key == "from" and isinstance(data, dict) and not isinstance(value, str):
                raise ValueError(f"missing, or not text; {EXAMPLE}")
            if isinstance(value, str):  # anything else is the schema's to report
                check(value)
        except ValueError as error:
            errors.append(f"{located.where((key,))}: {error}")
    smtp = _environment(model.smtp if model else SmtpSettings(), environ, errors)
    if smtp.user and smtp.security == "none" and smtp.host not in LOCAL_HOSTS:
        errors.append(
            f"{located.where(('smtp', 'security'))}: 'none' would send the password unencrypted to "
            f"{smtp.host}; use starttls or ssl"
        )
    raise_if_any(errors, warnings, strict)
    assert model is not None and isinstance(sender, str)
    address = parse_address(sender)
    shipped = [(("from",), address.addr_spec), (("opt_out",), model.opt_out), (("smtp", "host"), smtp.host)]
    placeholder = next(
        (
            f"{located.where(path)}: {value} is a placeholder; replace it with the group's own before sending"
            for path, value in shipped
            if f".{value.lower().rpartition('@')[2]}".endswith(RESERVED_DOMAINS)
        ),
        None,
    )
    if smtp.host in LOCAL_HOSTS:
        placeholder = None  # a server on this machine is a trial run: the shipped addresses may stand

    reply_to = parse_address(model.reply_to) if model.reply_to else None
    settings = Settings(address, reply_to, model.opt_out, smtp, rate_interval(model.rate), placeholder)
    return settings, warnings


def _environment(smtp: SmtpSettings, environ: Mapping[str, str], errors: list[str]) -> SmtpSettings:
    """The SMTP settings with KEYCITIES_SMTP_HOST, _PORT, _USER and _SECURITY applied."""
    changes: dict[str, Any] = {}
    if environ.get("KEYCITIES_SMTP_HOST"):
        changes["host"] = environ["KEYCITIES_SMTP_HOST"]
    if "KEYCITIES_SMTP_USER" in environ:
        changes["user"] = environ["KEYCITIES_SMTP_USER"] or None  # set but empty: no login
    security, port = environ.get("KEYCITIES_SMTP_SECURITY"), environ.get("KEYCITIES_SMTP_PORT")
    if security and security not in DEFAULT_PORTS:
        errors.append(f"KEYCITIES_SMTP_SECURITY: expected starttls, ssl or none, got {security!r}")
    elif security:
        changes["security"] = security
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        errors.append(f"KEYCITIES_SMTP_PORT: expected a port number like 587, got {port!r}")
    elif port:
        changes["port"] = int(port)
    smtp = smtp.model_copy(update=changes)
    return smtp if smtp.port else smtp.model_copy(update={"port": DEFAULT_PORTS[smtp.security]})


def _one_line(text: str) -> None:
    """ValueError when text placed in a message is not one plain line."""
    if problem := text_problem(text):
        raise ValueError(problem)
