"""What composing a project's documents takes: its inputs, every figure computed from them, and the
composers of its letters and briefing packs. Made by whoever composes (a build, a preview, `check`)."""

from __future__ import annotations

from dataclasses import dataclass

from keycities.compose.briefing import BriefingComposer
from keycities.compose.letter import Composer
from keycities.data.inputs import Inputs
from keycities.errors import DataError
from keycities.figures.compute import compute
from keycities.figures.model import FigureBook


@dataclass(frozen=True)
class Composition:
    """A project's inputs, figures and composers."""

    inputs: Inputs
    book: FigureBook
    composer: Composer  # of letters; its environment serves the briefing packs too
    briefings: BriefingComposer


def prepare(inputs: Inputs) -> Composition:
    """Compute every figure and make the composers; a figure that cannot be computed is a DataError that
    carries the inputs' warnings too."""
    try:
        book = compute(inputs.campaign)
    except DataError as error:
        raise DataError(error.problems, inputs.warnings) from None
    composer = Composer(inputs.campaign, book, inputs.letters)
    return Composition(inputs, book, composer, BriefingComposer(composer, inputs.local))
