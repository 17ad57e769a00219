"""A project folder loaded whole: data, figures, recipients, letters, ready to compose documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from keycities.briefing import BriefingComposer
from keycities.campaign import Campaign, load_campaign
from keycities.compose import Composer
from keycities.errors import BuildError, DataError
from keycities.figure_book import FigureBook
from keycities.figures import compute
from keycities.letters import Letter, load_letters
from keycities.local import load_local
from keycities.recipients import Addressee, load_recipients

T = TypeVar("T")


@dataclass
class Project:
    folder: Path
    campaign: Campaign
    book: FigureBook
    addressees: list[Addressee]
    letters: dict[str, Letter]
    composer: Composer
    briefings: BriefingComposer
    warnings: list[str]

    def letter(self, name: str) -> Letter:
        """The letter `letters/<name>.md`, or a BuildError listing the letters there are."""
        if name not in self.letters:
            raise BuildError(f"no letter named '{name}'; letters: {', '.join(sorted(self.letters))}")
        return self.letters[name]


def load_project(folder: Path, strict: bool = False, recipients_file: Path | None = None) -> Project:
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
    try:
        book = compute(campaign)
    except DataError as error:  # a figure that cannot be computed: shown with every file's warnings
        raise DataError(error.problems, warnings) from None
    composer = Composer(campaign, book, letters[0])
    briefings = BriefingComposer(composer, local[0])
    return Project(folder, campaign, book, recipients[0], letters[0], composer, briefings, warnings)
