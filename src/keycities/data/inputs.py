"""A project folder's inputs, loaded and validated whole: cities.yaml, the recipients, the letters and the
members' own content. Only inputs: the stages that compute, compose and render make what they need from
them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from keycities.data.cities import Campaign, load_campaign
from keycities.data.letters import Letter, load_letters
from keycities.data.local_content import LocalContent, load_local
from keycities.data.recipients import Addressee, load_recipients
from keycities.errors import BuildError, DataError

T = TypeVar("T")


@dataclass(frozen=True)
class Inputs:
    """Everything a project folder holds, checked."""

    folder: Path
    campaign: Campaign
    addressees: list[Addressee]
    letters: dict[str, Letter]
    local: dict[tuple[str, str], LocalContent]  # a member's own content, by (slug, language)
    warnings: list[str]

    def letter(self, name: str) -> Letter:
        """The letter `letters/<name>.md`, or a BuildError listing the letters there are."""
        if name not in self.letters:
            raise BuildError(f"no letter named '{name}'; letters: {', '.join(sorted(self.letters))}")
        return self.letters[name]


def load_inputs(folder: Path, strict: bool = False, recipients_file: Path | None = None) -> Inputs:
    """Load and validate every input; one DataError lists the problems of all files.

    `recipients_file` replaces the project's recipients.yaml and recipients.csv (a list to mail, say)."""
    problems: list[str] = []
    warnings: list[str] = []

    def attempt(load: Callable[[], T]) -> T | None:
        try:
            return load()
        except DataError as error:
            problems.extend(error.problems)
            warnings.extend(error.warnings)
            return None

    campaign = attempt(lambda: load_campaign(folder, strict))
    recipients = attempt(lambda: load_recipients(folder, strict, recipients_file))
    letters = attempt(lambda: load_letters(folder, strict))
    local = attempt(lambda: load_local(campaign, strict)) if campaign else None
    if campaign is None or recipients is None or letters is None or local is None:
        raise DataError(problems, warnings)
    warnings = campaign.warnings + recipients[1] + letters[1] + local[1]
    return Inputs(folder, campaign, recipients[0], letters[0], local[0], warnings)
