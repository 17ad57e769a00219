"""One root exception for problems a user can fix; one subclass per stage."""

from __future__ import annotations


class KeyCitiesError(Exception):
    """A problem in the user's input or environment, reported without a traceback."""

    exit_code = 1


class DataError(KeyCitiesError):
    """Data files failed to load or validate; carries every problem found."""

    def __init__(self, problems: list[str], warnings: list[str] | None = None) -> None:
        self.problems = problems
        self.warnings = warnings or []
        super().__init__("\n".join(problems))


class FigureError(KeyCitiesError):
    """A document asked for a figure that the data does not have."""


class ComposeError(KeyCitiesError):
    """A letter or template could not be filled."""


class RenderError(KeyCitiesError):
    """A document could not be rendered to PDF or Word."""


class BuildError(KeyCitiesError):
    """A build could not run or some of its documents failed."""


class MailError(KeyCitiesError):
    """Mail could not be prepared or sent."""


class ServeError(KeyCitiesError):
    """The live preview could not start (its port is taken, say)."""
