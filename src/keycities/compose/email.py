"""The email a letter goes with, from its front matter's `email:` (subject and a short Markdown body),
filled in for one recipient in the letters' sandbox, with the same names a letter's body may place.

Filled in twice: once with every value as it is (the subject, and the text part: the Markdown as a person
reads it), once with every value escaped for Markdown (turned into the HTML part when mailed), so data is
printed literally in both. Figures are placed without source notes: the notes are in the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jinja2

from keycities.compose.citations import SourceNotes
from keycities.compose.limits import text_of, within_limits
from keycities.compose.markdown import clean
from keycities.compose.placing import Placing
from keycities.compose.sandbox import TEMPLATE_SLIPS, template_error
from keycities.data.letters import Letter
from keycities.errors import ComposeError, DataError, FigureError
from keycities.formatting import Formatter
from keycities.text_rules import text_problem


@dataclass(frozen=True)
class Email:
    """A letter's own email for one recipient, filled in."""

    subject: str
    text: str  # the Markdown body with values as they are: the text part
    markdown: str  # the same with values escaped for Markdown: made the HTML part when mailed
    signature: tuple[str, ...]  # the close, the signatory's name, their roles


def compose_email(
    environment: jinja2.Environment,
    letter: Letter,
    context: dict[str, Any],
    formatter: Formatter,
    notes: SourceNotes,
    signature: tuple[str, ...],
) -> Email | None:
    """The letter's email for the recipient in `context`, or None when its front matter has no `email:`."""
    email = letter.front.email
    if email is None:
        return None
    shown, located = str(letter.body.file), letter.located

    def fill(source: str, key: str, mode: Literal["markdown", "plain"]) -> str:
        line = located.line(("email", key))
        placing = Placing(formatter, notes, mode=mode)
        try:
            with placing.active(), within_limits():
                return text_of(environment.from_string(source), context)
        except DataError as error:
            raise ComposeError(str(error)) from None
        except (jinja2.TemplateError, FigureError, *TEMPLATE_SLIPS) as error:
            raise ComposeError(template_error(shown, error, context, line, lambda _: source)) from None

    subject = fill(email.subject, "subject", "plain").strip(" ")
    if problem := text_problem(subject) or (None if subject else "it is empty"):
        where = located.where(("email", "subject"))
        raise ComposeError(f"{where}: the subject as filled in: {problem}")
    return Email(
        subject=subject,
        text=clean(fill(email.body, "body", "plain")).strip() + "\n",
        markdown=fill(email.body, "body", "markdown").strip() + "\n",
        signature=tuple(clean(line) for line in signature),
    )
