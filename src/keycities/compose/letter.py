"""Fill letters with data and figures (sandboxed Jinja), then turn them into documents of blocks.

Templates only place values. Every figure placed carries a numbered source note; a figure the data lacks
stops the document with a message naming the figure, unless the template checks `.missing` itself.
Templates read data and cannot change it, run within limits (`template_limits`), and read files only from
inside the project's folders. Whatever goes wrong in one (a slip, a runaway loop, a link out of its
folder) fails that document with a message naming the file and line; the others are built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any

import jinja2

from keycities.compose.blocks import (
    AddressBlock,
    Block,
    DateLine,
    Document,
    Image,
    Letterhead,
    Paragraph,
    Run,
    Signature,
)
from keycities.compose.citations import SourceNotes
from keycities.compose.email import Email, compose_email
from keycities.compose.limits import (
    text_of,
    within_limits,
)
from keycities.compose.markdown import clean, runs_of_text, to_blocks
from keycities.compose.placing import Placing, figure_tree, place_value
from keycities.compose.sandbox import (
    TEMPLATE_SLIPS,
    FolderLoader,
    NamedUndefined,
    Sandbox,
    Sources,
    template_error,
)
from keycities.data.cities import Campaign
from keycities.data.images import png_problem
from keycities.data.inputs import unsigned
from keycities.data.letters import Letter, variant_for
from keycities.data.paths import read_text
from keycities.data.recipients import Addressee
from keycities.data.schema import Language
from keycities.data.sources import released_on
from keycities.errors import ComposeError, DataError, FigureError
from keycities.figures.compute import compute
from keycities.figures.model import DataChoice, DataYear, Figure, FigureBook
from keycities.formatting import Formatter

NOTES_TITLE = {"en-GB": "Sources", "cy": "Ffynonellau"}
ENCLOSED = {"en-GB": "Enc.", "cy": "Amg."}  # the line under a letter's signature naming what comes with it
ENCLOSURE_TITLE = {"en-GB": "{subject}, notes and sources", "cy": "{subject}, nodiadau a ffynonellau"}


def enclosure_title(subject: str, language: str) -> str:
    """What a letter's notes and sources sent with it are called: "Key Cities: Cities in Action, notes and
    sources"."""
    return ENCLOSURE_TITLE[language].format(subject=subject)


@dataclass(frozen=True)
class Composed:
    """A document and the figures it shows (for the manifest and the proof page)."""

    document: Document
    figures: tuple[Figure, ...]
    notices: tuple[str, ...] = ()  # about the document as a whole: it cites releases published after it
    email: Email | None = None  # a letter's own email (its front matter's `email:`), filled in
    notes: tuple[Block, ...] = ()  # a letter's source notes, wherever its front matter's `notes:` puts them


def later_releases(campaign: Campaign, figures: tuple[Figure, ...], dated: date) -> str | None:
    """A notice when a document cites releases published after its own date (allowed: the 2019 letter can
    only use later releases, but its reader should know), naming each release once."""
    later = {
        key: campaign.sources[key]
        for figure in figures
        for key in figure.sources
        if key in campaign.releases.sources and released_on(campaign.sources[key].released) > dated
    }
    if not later:
        return None
    named = "; ".join(f"{source.title} ({source.released})" for source in later.values())
    return (
        f"dated {dated.isoformat()}, it cites releases published after that date ({named}): allowed, "
        "but its figures are not those that were current on its date"
    )


class Composer:
    """Composes documents for one campaign: one sandboxed Jinja environment, reused for every document."""

    def __init__(self, campaign: Campaign, letters: dict[str, Letter], data_year: DataYear = None) -> None:
        self.campaign, self.data_year = campaign, data_year
        self.books: dict[DataChoice, FigureBook] = {}
        self.trees: dict[DataChoice, dict[str, Any]] = {}
        folder = campaign.folder
        self.bodies = bodies = {str(letter.body.file): letter.body.text for letter in letters.values()}
        bodies |= {
            str(body.file): body.text
            for letter in letters.values()
            for body in letter.variant_bodies.values()
        }
        self.environment = Sandbox(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FunctionLoader(
                        lambda name: (bodies[name], name, lambda: True) if name in bodies else None
                    ),
                    FolderLoader([folder / "templates", folder / "letters"]),
                ]
            ),
            undefined=NamedUndefined,
            autoescape=False,  # the output is Markdown: `place` escapes every value for Markdown instead
            finalize=place_value,
            keep_trailing_newline=True,
        )
        self.images: dict[str, Image] = {}
        self.snippets: dict[str, jinja2.Template] = {}

    def letter(self, letter: Letter, addressee: Addressee) -> Composed:
        """One letter for one recipient, with address block, salutation, close, signature (or a space to sign
        by hand) and source notes where its front matter puts them: at its end, in an enclosure named
        under the signature (made by `compose.enclosure`), or nowhere in print."""
        group, front = self.campaign.data.group, letter.front
        formatter = Formatter(group.money_style, front.language)
        placing = Placing(formatter, SourceNotes(self.campaign, formatter), markers=front.notes != "none")
        variant = variant_for(letter, addressee)
        body = letter.body
        if variant and variant.body:
            body = letter.variant_bodies[variant.body]
        subject = variant.subject if variant and variant.subject else front.subject
        choice = self.choice(front.data_year, front.date)
        context = (
            self.context(choice)
            | {
                "recipient": _recipient(addressee),
                "letter": {"subject": subject, "date": formatter.date(front.date)},
                "signatory": group.signatories[front.signatory].model_dump(exclude={"signature"}),
            }
            | self._member_of(addressee, choice)
        )
        blocks: list[Block] = [AddressBlock(tuple(clean(line) for line in addressee.address_lines))]
        if front.reference:  # above the date, as a British letter sets it
            blocks.append(Paragraph((Run(f"Our ref: {clean(front.reference)}"),), role="small"))
        blocks += [
            DateLine(formatter.date(front.date)),
            Paragraph((Run(clean(subject), bold=True),), role="subject"),
            Paragraph((Run(f"{clean(addressee.salutation)},"),), role="salutation"),
        ]
        blocks += self.render(str(body.file), context, placing)
        blocks.append(Paragraph((Run(f"{addressee.close},"),), role="close"))
        signatory = group.signatories[front.signatory]
        signer, roles = clean(signatory.signed_name), tuple(clean(role) for role in signatory.roles)
        alt = f"Signature of {signatory.name}"
        image = self.image(signatory.signature, alt, 45) if signatory.signature else None
        blocks.append(Signature(image, signer, roles))
        notes = SourceNotes(self.campaign, formatter)  # an email's own: it shows no notes
        signature = (f"{addressee.close},", signer, *roles)
        email = compose_email(self.environment, letter, context, formatter, notes, signature)
        if front.notes == "enclosure":
            enclosed = f"{ENCLOSED[front.language]} {clean(enclosure_title(front.subject, front.language))}"
            blocks.append(Paragraph((Run(enclosed),), role="small"))
        if front.postscript:
            line = letter.located.line(("postscript",))
            text = self.render_text(front.postscript, context, placing, str(letter.body.file), line)
            blocks.append(Paragraph(runs_of_text(text), role="small"))
        source_notes = placing.notes.blocks(NOTES_TITLE[front.language])
        if front.notes == "end":
            blocks += source_notes
        holder = addressee.address_lines[0]
        document = Document(
            kind="letter",
            title=clean(f"{subject}: letter to {addressee.record.office}"),
            author=group.name,
            subject=clean(subject),
            language=front.language,
            created=front.date,
            letterhead=self.letterhead(),
            blocks=tuple(blocks),
            footer=clean(f"{holder}, {formatter.date(front.date)}"),
            keywords=(letter.name, addressee.record.id),
        )
        figures = tuple(placing.notes.figures)
        later = later_releases(self.campaign, figures, front.date)
        notices = (f"{letter.body.file}: {later}" if later else None, unsigned(self.campaign, letter))
        return Composed(document, figures, tuple(n for n in notices if n), email, source_notes)

    def _member_of(self, addressee: Addressee, choice: DataChoice) -> dict[str, Any]:
        """`member` (the recipient's member city) and `local` (its figures, as `figures.member.<slug>`), or,
        for a recipient with no member, names that say so wherever a letter uses them."""
        slug = addressee.record.member
        if slug is None:
            hint = (
                f"{addressee.source}: {addressee.record.id} has no member city: give the recipient a "
                "`member` column (a member's slug), or test `{% if member is defined %}`"
            )
            return {
                "member": jinja2.StrictUndefined(hint=hint, name="member"),
                "local": jinja2.StrictUndefined(hint=hint, name="local"),
            }
        member = self.campaign.members[slug]
        return {
            "member": member.model_dump(exclude={"constituents"}),
            "local": self.figure_tree(choice)["member"][slug],
        }

    def choice(self, pinned: int | None, dated: date) -> DataChoice:
        """The figures a document dated `dated` that pins `pinned` (or None) uses in this run."""
        if self.data_year is None:
            return DataChoice(pinned, dated)
        return DataChoice(None if self.data_year == "latest" else self.data_year, dated)

    def book(self, choice: DataChoice) -> FigureBook:
        """Every figure for one choice of year and release, computed once."""
        if choice not in self.books:
            self.books[choice] = compute(self.campaign, choice)
        return self.books[choice]

    def figure_tree(self, choice: DataChoice) -> dict[str, Any]:
        """The figures of one choice as templates name them (`figures.group.gva`)."""
        if choice not in self.trees:
            self.trees[choice] = figure_tree(self.book(choice))
        return self.trees[choice]

    def context(self, choice: DataChoice) -> dict[str, Any]:
        """What every template may place: the group, asks, members, projection and every figure, and the
        year the document pins (None when each figure is of its latest year)."""
        data = self.campaign.data
        return {
            "data_year": choice.year,
            "group": data.group.model_dump(),
            "asks": {ask.key: ask.model_dump() for ask in data.asks},
            "members": [member.model_dump(exclude={"constituents"}) for member in data.members],
            "projection": data.projection.model_dump()
            | {"benchmark_name": self.campaign.comparators[data.projection.benchmark].name},
            "figures": self.figure_tree(choice),
        }

    def add_template(self, name: str, text: str) -> None:
        """Make a text from outside templates/ (a member's local file) available to templates by name."""
        self.bodies[name] = text

    def render(self, template_name: str, context: dict[str, Any], placing: Placing) -> tuple[Block, ...]:
        """A template filled and parsed into blocks; errors name the template, the line and the problem."""
        return self.render_first([template_name], context, placing)

    def render_first(self, names: list[str], context: dict[str, Any], placing: Placing) -> tuple[Block, ...]:
        """The first of `names` that exists, filled and parsed into blocks, with the charts it placed."""
        markdown = self._filled(lambda: self.environment.select_template(names), context, placing, names[-1])
        return to_blocks(markdown, placing.drawn_charts())

    def render_text(
        self, source: str, context: dict[str, Any], placing: Placing, shown: str, line: int
    ) -> str:
        """A one-line template (a postscript, on `line` of `shown`) filled in."""
        load = partial(self.compiled, source)
        return self._filled(load, context, placing, shown, line, lambda _: source)

    def compiled(self, source: str) -> jinja2.Template:
        """A template held in one line of a file, compiled once however many documents fill it in."""
        if source not in self.snippets:
            self.snippets[source] = self.environment.from_string(source)
        return self.snippets[source]

    def _filled(
        self,
        load: Callable[[], jinja2.Template],
        context: dict[str, Any],
        placing: Placing,
        shown: str,
        line: int | None = None,
        sources: Sources | None = None,
    ) -> str:
        """A template loaded and filled within the limits; whatever goes wrong is a ComposeError naming the
        file and line (`shown`, on `line` for a template held in one line of a file, whose text `sources`
        gives)."""
        try:
            with placing.active(), within_limits():
                return text_of(load(), context)
        except jinja2.TemplatesNotFound as error:
            raise ComposeError(
                f"no template {' or '.join(f'templates/{name}' for name in error.templates)}; create one"
            ) from None
        except DataError as error:  # a template file leads out of its folder, or is not UTF-8 text
            raise ComposeError(str(error)) from None
        except (jinja2.TemplateError, FigureError, *TEMPLATE_SLIPS) as error:
            raise ComposeError(
                template_error(shown, error, context, line, sources or self.source_of)
            ) from None

    def source_of(self, shown: str) -> str | None:
        """The text of a template file as messages name it (`letters/x.md`, `templates/briefing.md`)."""
        if shown in self.bodies:
            return self.bodies[shown]
        try:
            return read_text(self.campaign.folder / shown, self.campaign.folder / shown.split("/")[0])
        except DataError:
            return None

    def letterhead(self, partner_logo: Image | None = None, language: Language = "en-GB") -> Letterhead:
        """The group's name, logo and contact lines, for the top of the first page, in `language`."""
        group = self.campaign.data.group
        contact = group.contact
        description = (group.description_cy if language == "cy" else None) or group.description
        lines = (description, *contact.address, contact.telephone, contact.email, contact.web)
        logo = self.image(group.logo, f"{group.name} logo", 60)
        return Letterhead(group.name, logo, tuple(clean(line) for line in lines if line), partner_logo)

    def image(self, relative: str, alt: str, width_mm: float) -> Image:
        """A PNG under the project folder (checked when the data was loaded), read once."""
        if relative not in self.images:
            problem = png_problem(self.campaign.folder, relative)
            if problem:
                raise DataError([problem])
            data = (self.campaign.folder / relative).read_bytes()
            self.images[relative] = Image(data, "image/png", clean(alt), width_mm)
        return replace(self.images[relative], alt=clean(alt), width_mm=width_mm)


def _recipient(addressee: Addressee) -> dict[str, Any]:
    """The recipient as a letter sees it: the record, its merge fields (a field the recipient lacks says so
    where it is used), and its forms of address."""
    record = addressee.record
    fields = {
        name: value
        if value is not None
        else jinja2.StrictUndefined(
            hint=f"{addressee.source}: {record.id} has no '{name}'; fill it in, or test "
            f"`{{% if recipient.{name} is defined %}}`",
            name=name,
        )
        for name, value in record.fields.items()
    }
    return (
        record.model_dump(exclude={"fields"})
        | fields
        | {
            "salutation": addressee.salutation,
            "close": addressee.close,
            "holder": addressee.address_lines[0],
            "address_lines": addressee.address_lines,
        }
    )
