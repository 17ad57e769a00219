"""What composing a project's documents takes: its inputs, every figure computed from them, and the
composers of its letters and briefing packs. Made by whoever composes (a build, a preview, `check`)."""

from __future__ import annotations

from dataclasses import dataclass

from keycities.compose.briefing import BriefingComposer
from keycities.compose.enclosure import Enclosures
from keycities.compose.letter import Composed, Composer
from keycities.data.inputs import Inputs
from keycities.data.letters import Letter, select
from keycities.data.measures import MEASURES
from keycities.data.recipients import Addressee
from keycities.errors import DataError
from keycities.figures.model import DataChoice, DataYear, FigureBook


@dataclass(frozen=True)
class Composition:
    """A project's inputs, figures and composers."""

    inputs: Inputs
    composer: Composer  # of letters; its environment and figures serve the briefing packs too
    briefings: BriefingComposer
    enclosures: Enclosures

    def letter(self, letter: Letter, addressee: Addressee) -> Composed:
        """One copy of a letter; for a letter with `notes: enclosure`, only if its enclosure can be made
        (every copy has the same notes), so that no copy goes out naming an enclosure that does not fit."""
        if letter.front.notes == "enclosure":
            self.enclosure(letter)
        return self.composer.letter(letter, addressee)

    def enclosure(self, letter: Letter) -> Composed:
        """The notes and sources of a letter with `notes: enclosure`, one document for all its copies."""
        return self.enclosures.of(letter, select(letter, self.inputs.addressees_of(letter)))

    @property
    def book(self) -> FigureBook:
        """Every figure from the latest data: what `check` and the proof page show."""
        return self.composer.book(DataChoice())

    def choices(self) -> dict[str, DataChoice]:
        """The figures each letter and the briefing packs use in this run, by where their year is set."""
        composer, briefing = self.composer, self.inputs.campaign.data.briefing
        found = {
            f"{letter.body.file}: data_year": composer.choice(letter.front.data_year, letter.front.date)
            for letter in self.inputs.letters.values()
        }
        return found | {"cities.yaml: briefing.data_year": composer.choice(briefing.data_year, briefing.date)}


def prepare(inputs: Inputs, data_year: DataYear = None) -> Composition:
    """Compute every figure the documents use and make the composers; a figure that cannot be computed
    is a DataError that carries the inputs' warnings too. `data_year` overrides each document's own pin
    for this run (a year, or "latest")."""
    composer = Composer(inputs.campaign, inputs.letters, data_year)
    briefings = BriefingComposer(composer, inputs.local)
    composition = Composition(inputs, composer, briefings, Enclosures(composer))
    campaign = inputs.campaign
    held = sorted({year for key in MEASURES for year in campaign.releases.years(key, campaign.area_codes())})
    problems = [
        f"{where if data_year is None else '--data-year'}: the data holds no figures for {choice.year} "
        f"(it holds {_years(held)}); choose one of those years, or import that year's release "
        '(README: "Refreshing the data")'
        for where, choice in composition.choices().items()
        if choice.year is not None and choice.year not in held
    ]
    if problems:
        raise DataError(list(dict.fromkeys(problems)), inputs.warnings)
    try:
        for choice in [DataChoice(), *composition.choices().values()]:
            composer.book(choice)
    except DataError as error:
        raise DataError(error.problems, inputs.warnings) from None
    return composition


def _years(years: list[int]) -> str:
    if not years:
        return "none: import a release first"
    return str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"
