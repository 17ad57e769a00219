"""A message's bodies and the names of its attachments.

The bodies come from templates/mail.txt and mail.html, or, for a letter whose front matter gives its own
`email:`, from templates/mail-letter.txt and mail-letter.html, which place the body filled in when the
letter was built (`body`; `body_html`, its Markdown made HTML with raw HTML as text) and the signatory's
sign-off (`signature`). Every template is strict Jinja in the documents' sandbox (read-only data, limits on
a run, no file from outside templates/), and must keep the footer naming the sender and the opt-out.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from keycities.compose.limits import text_of, within_limits
from keycities.compose.markdown import to_html
from keycities.compose.sandbox import TEMPLATE_SLIPS, FolderLoader, Sandbox, template_error
from keycities.errors import MailError

TEMPLATES = {False: ("mail.txt", "mail.html"), True: ("mail-letter.txt", "mail-letter.html")}


# Characters no file name may hold on Windows, macOS or Linux, control characters, and the bidirectional
# controls that make a name read other than it is.
UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]')


MAX_NAME = 150  # characters before the extension: some clients cut longer names


class Bodies:
    """The plain-text and HTML bodies of each message, from the templates (each pair loaded when first
    needed, so a project with no letter of its own email needs no mail-letter templates)."""

    def __init__(self, project: Path) -> None:
        self.environment = Sandbox(
            loader=FolderLoader([project / "templates"]),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(),  # on for .html: data cannot inject markup
            keep_trailing_newline=True,
        )
        self.pairs: dict[bool, list[jinja2.Template]] = {}
        self.templates(False)  # the default pair: a missing or broken one is reported before anything

    def templates(self, own: bool) -> list[jinja2.Template]:
        """The text and HTML templates: the letter's own email's frame (`own`), or the default."""
        if own not in self.pairs:
            try:
                self.pairs[own] = [self.environment.get_template(name) for name in TEMPLATES[own]]
            except jinja2.TemplateNotFound as error:
                raise MailError(
                    f"templates/{error.name}: not found; restore it from the repository"
                ) from None
            except jinja2.TemplateSyntaxError as error:
                raise MailError(template_error(f"templates/{error.name}", error, {})) from None
        return self.pairs[own]

    def render(
        self, context: dict[str, Any], own: tuple[str, str, list[str]] | None = None
    ) -> tuple[str, str]:
        """(text, html) for one message; `own`: the letter's own email (text, Markdown, signature lines).
        A MailError names the template, the line and the fix."""
        templates = self.templates(own is not None)
        if own is not None:
            text, markdown, signature = own
            context = context | {"body": text, "body_html": Markup(to_html(markdown)), "signature": signature}
        bodies = []
        for template in templates:
            try:
                with within_limits():
                    bodies.append(text_of(template, context))
            except (jinja2.TemplateError, *TEMPLATE_SLIPS) as error:
                raise MailError(template_error(f"templates/{template.name}", error, context)) from None
        plain = (context["opt_out"], context["group_name"])
        for template, body, needles in zip(templates, bodies, (plain, map(escape, plain)), strict=True):
            if not all(str(needle) in body for needle in needles):
                raise MailError(
                    f"templates/{template.name}: every message must name the sender and give the opt-out "
                    "contact (UK GDPR, PECR); keep the footer placing {{ group_name }} and {{ opt_out }}"
                )
        return bodies[0], bodies[1]


def attachment_name(group: str, subject: str, holder: str, extension: str) -> tuple[str, str]:
    """The name a file is attached under, for the person it goes to, and its ASCII fallback:
    `Key Cities - Cities in Action - Mary Creagh MP.pdf` from the group's short name, the letter's subject
    (less a leading `Key Cities:`) and the recipient's name, with characters unsafe in file names removed."""
    title = subject
    rest = title[len(group) :].lstrip()
    if title.casefold().startswith(group.casefold()) and rest[:1] in (":", "-", "\N{EN DASH}"):
        title = rest[1:]
    parts = [_safe(part) for part in (group, title, holder)]
    name = " - ".join(part for part in parts if part)[:MAX_NAME].rstrip(" .-") or "letter"
    ascii_name = _safe(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    return f"{name}.{extension}", f"{ascii_name.rstrip(' .-') or 'letter'}.{extension}"


def _safe(text: str) -> str:
    """Text with the characters unsafe in file names removed, white space as single spaces."""
    return " ".join(UNSAFE_IN_NAMES.sub(" ", unicodedata.normalize("NFC", text)).split()).strip(" .")
