"""A project folder's inputs, loaded and validated whole: cities.yaml, the recipients, the letters and the
members' own content. Only inputs: the stages that compute, compose and render make what they need from
them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
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
    addressees: list[Addressee]  # recipients.yaml and recipients.csv (or the list given for the run)
    letters: dict[str, Letter]
    local: dict[tuple[str, str], LocalContent]  # a member's own content, by (slug, language)
    warnings: list[str]

    lists: dict[str, list[Addressee]]  # the letters' own lists, by the path their front matter gives

    def addressees_of(self, letter: Letter) -> list[Addressee]:
        """Who a letter may go to: its own list, or the project's recipients."""
        return self.lists.get(letter.front.recipients or "", self.addressees)

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
    lists: dict[str, list[Addressee]] = {}
    list_warnings: list[str] = []
    named = {
        letter.front.recipients for letter in (letters or ({}, []))[0].values() if letter.front.recipients
    }
    for path in sorted(named) if recipients_file is None else []:  # a run's own list replaces every letter's
        loaded = attempt(partial(load_recipients, folder, strict, folder / path, folder))
        if loaded is not None:
            lists[path], list_warnings = loaded[0], list_warnings + loaded[1]
    if campaign is not None and recipients is not None:
        problems += _unknown_members(campaign, [recipients[0], *lists.values()])
    if campaign is not None and letters is not None:
        problems += _unknown_signatories(campaign, list(letters[0].values()))
    if campaign is None or recipients is None or letters is None or local is None or problems:
        raise DataError(problems, warnings)
    warnings = campaign.warnings + recipients[1] + list_warnings + letters[1] + local[1]
    warnings += [warning for letter in letters[0].values() if (warning := unsigned(campaign, letter))]
    return Inputs(folder, campaign, recipients[0], letters[0], local[0], warnings, lists)


def _unknown_members(campaign: Campaign, lists: list[list[Addressee]]) -> list[str]:
    """A problem for each recipient whose `member` is not a member's slug in cities.yaml."""
    slugs = sorted(campaign.members)
    return [
        f"{addressee.source}: {addressee.record.id}: member '{addressee.record.member}' is not a member in "
        f"cities.yaml; use a member's slug: {', '.join(slugs)}"
        for addressees in lists
        for addressee in addressees
        if addressee.record.member is not None and addressee.record.member not in campaign.members
    ]


def _unknown_signatories(campaign: Campaign, letters: list[Letter]) -> list[str]:
    """A problem for each letter whose `signatory` is not an id of cities.yaml's `group.signatories`."""
    known = sorted(campaign.data.group.signatories)
    problems = []
    for letter in letters:
        given = letter.front.signatory
        if given in campaign.data.group.signatories:
            continue
        guess = difflib.get_close_matches(given, known, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        problems.append(
            f"{letter.located.where(('signatory',))}: '{given}' is not a signatory in cities.yaml; "
            f"{hint}use one of group.signatories: {', '.join(known)}"
        )
    return problems


def unsigned(campaign: Campaign, letter: Letter) -> str | None:
    """A warning when a letter's signatory has no signature image: it is printed with a space to sign."""
    signatory = campaign.data.group.signatories[letter.front.signatory]
    if signatory.signature is not None:
        return None
    where = campaign.located.where(("group", "signatories", letter.front.signatory))
    return (
        f"{letter.located.where(('signatory',))}: {signatory.name} has no signature image ({where}), so "
        "the letter leaves a space to sign by hand; sign each printed copy, or add `signature:` (a PNG)"
    )
