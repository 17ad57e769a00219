"""mail.yaml and the environment: the sender, the SMTP server and the rate, read and checked.

KEYCITIES_SMTP_HOST, _PORT, _USER and _SECURITY override mail.yaml; a password is never read from a file,
only from KEYCITIES_SMTP_PASSWORD or a prompt (smtp.py). Addresses are checked strictly: a line break in a
header would inject headers, and the shipped example addresses must be replaced before anything is sent.
The rate and the timeout are bounded here, so that no number can overflow once a message is on its way.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from keycities.data.schema import HeaderText, Model, raise_if_any, validate
from keycities.data.yaml_lines import Located, read_yaml
from keycities.text_rules import text_problem

SETTINGS = "mail.yaml"


DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


# Reserved for examples (RFC 2606): the shipped placeholder, never a real sender.
RESERVED_DOMAINS = (".example", ".invalid", ".test", ".example.com", ".example.org", ".example.net")


RATE = re.compile(r"\s*(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*/\s*(s|sec|second|min|minute|h|hour|d|day)\s*")


UNIT_SECONDS = {
    **{"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600},
    **{"d": 86400, "day": 86400},
}


# Messages per second. Faster than 100/s no server takes from one sender; slower than one a day is a
# mistake, and a long enough wait between messages overflows time.sleep.
RATE_BOUNDS = (1 / 86400, 100.0)


RATE_RANGE = "from 1/day to 100/s"


# Seconds to wait for the server: under a second fails on any real network; over ten minutes is a hung
# server, and a huge timeout overflows the socket's.
TIMEOUT_BOUNDS = (1.0, 600.0)


DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]*[A-Za-z0-9]")


HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


EXAMPLE = "expected one address like 'Key Cities Group <letters@keycities.uk>'"


class SmtpSettings(Model):
    """The `smtp:` block of mail.yaml."""

    host: str = "localhost"
    port: int | None = Field(default=None, gt=0, lt=65536)  # by security: 587, 465 or 25
    user: str | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout: float = 30  # seconds

    @field_validator("timeout")
    @classmethod
    def _timeout_bounded(cls, value: float) -> float:
        if not TIMEOUT_BOUNDS[0] <= value <= TIMEOUT_BOUNDS[1]:  # NaN fails this too
            low, high = (f"{bound:g}" for bound in TIMEOUT_BOUNDS)
            raise ValueError(f"expected from {low} to {high} seconds, got {value!r}")
        return value


class MailSettings(Model):
    """mail.yaml, but for `from` (checked on its own; see load_settings)."""

    reply_to: str | None = None
    opt_out: HeaderText  # placed in every message's footer: one plain line
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    rate: str = "30/min"
    approval: Literal["required", "not-required"] = "required"  # `not-required`: no sign-off gate


@dataclass(frozen=True)
class Settings:
    """mail.yaml with the environment's overrides applied, checked."""

    sender: Address
    reply_to: Address | None
    opt_out: HeaderText  # placed in every message's footer: one plain line
    smtp: SmtpSettings
    interval: float  # seconds between messages
    placeholder: str | None  # what to do when an address is still the shipped example
    approval_required: bool = True  # send only what approvals.yaml approves (build/approvals.py)


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
    if not match:
        raise ValueError(f"expected a rate like 30/min, 2/s or 500/h, got {text!r}")
    per_second = float(match[1]) / UNIT_SECONDS[match[2]]  # a long run of digits is inf, or 0.0
    if not RATE_BOUNDS[0] <= per_second <= RATE_BOUNDS[1]:
        raise ValueError(f"expected a rate {RATE_RANGE}, got {text!r}")
    return 1 / per_second


def host_problem(host: str) -> str | None:
    """Why `host` is not a host name or IP address to connect to, or None."""
    if problem := text_problem(host):
        return problem
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.removesuffix(".").split(".")
        if len(host) > 253 or not all(HOST_LABEL.fullmatch(label) for label in labels):
            return f"expected a host name like smtp.example.org or an IP address, got {host!r}"
    return None


def load_settings(
    project: Path, environ: Mapping[str, str], strict: bool = False
) -> tuple[Settings, list[str]]:
    """Read mail.yaml and apply KEYCITIES_SMTP_* from the environment; DataError lists every problem."""
    located = read_yaml(project / SETTINGS, project)
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
    ):
        value = sender if key == "from" else data.get(key) if isinstance(data, dict) else None
        try:
            if key == "from" and isinstance(data, dict) and not isinstance(value, str):
                raise ValueError(f"missing, or not text; {EXAMPLE}")
            if isinstance(value, str):  # anything else is the schema's to report
                check(value)
        except ValueError as error:
            errors.append(f"{located.where((key,))}: {error}")
    if model:
        smtp_problems = {"host": host_problem(model.smtp.host), "user": _user_problem(model.smtp.user)}
        errors += [f"{located.where(('smtp', key))}: {p}" for key, p in smtp_problems.items() if p]
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
    interval, approval_required = rate_interval(model.rate), model.approval == "required"
    settings = Settings(address, reply_to, model.opt_out, smtp, interval, placeholder, approval_required)
    return settings, warnings


def _environment(smtp: SmtpSettings, environ: Mapping[str, str], errors: list[str]) -> SmtpSettings:
    """The SMTP settings with KEYCITIES_SMTP_HOST, _PORT, _USER and _SECURITY applied."""
    changes: dict[str, Any] = {}
    host, user = environ.get("KEYCITIES_SMTP_HOST"), environ.get("KEYCITIES_SMTP_USER")
    if host and (problem := host_problem(host)):
        errors.append(f"KEYCITIES_SMTP_HOST: {problem}")
    elif host:
        changes["host"] = host
    if user and (problem := _user_problem(user)):
        errors.append(f"KEYCITIES_SMTP_USER: {problem}")
    elif user is not None:
        changes["user"] = user or None  # set but empty: no login
    security, port = environ.get("KEYCITIES_SMTP_SECURITY"), environ.get("KEYCITIES_SMTP_PORT")
    if security and security not in DEFAULT_PORTS:
        errors.append(f"KEYCITIES_SMTP_SECURITY: expected starttls, ssl or none, got {security!r}")
    elif security:
        changes["security"] = security
    # isascii: '²'.isdigit() is true, yet int() refuses it
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        errors.append(f"KEYCITIES_SMTP_PORT: expected a port number like 587, got {port!r}")
    elif port:
        changes["port"] = int(port)
    smtp = smtp.model_copy(update=changes)
    return smtp if smtp.port else smtp.model_copy(update={"port": DEFAULT_PORTS[smtp.security]})


def _user_problem(user: str | None) -> str | None:
    return text_problem(user) if user else None
