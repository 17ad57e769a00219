"""A letter's notes and sources as a document of its own, sent with every copy (front matter
`notes: enclosure`): made once per letter, since every recipient's copy places the same figures.

A letter whose copies would have different notes (one with `local` figures, say, each recipient's city's)
cannot share one enclosure: its copies and its enclosure fail, saying to keep the notes at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keycities.compose.blocks import Document, Heading, Paragraph, Run
from keycities.compose.letter import Composed, Composer, enclosure_title, later_releases
from keycities.compose.markdown import clean
from keycities.data.letters import Letter
from keycities.data.recipients import Addressee
from keycities.errors import ComposeError, KeyCitiesError
from keycities.formatting import Formatter

WORDS = {
    "en-GB": "Enclosed with the letter “{subject}” of {date}: the notes its numbers refer to, and the "
    "publications they cite.",
    "cy": "Amgaeedig gyda’r llythyr “{subject}” dyddiedig {date}: y nodiadau y mae ei rifau’n cyfeirio "
    "atynt, a’r cyhoeddiadau a ddyfynnir ynddynt.",
}


@dataclass
class Enclosures:
    """The enclosure of each letter that has one, made on first use from its copies' notes."""

    composer: Composer
    made: dict[str, Composed] = field(default_factory=dict)

    def of(self, letter: Letter, addressees: list[Addressee]) -> Composed:
        """The enclosure of `letter`, whose copies go to `addressees`; a ComposeError when the copies'
        notes differ, or when none of them places a figure."""
        if letter.name not in self.made:
            self.made[letter.name] = self._make(letter, addressees)
        return self.made[letter.name]

    def _make(self, letter: Letter, addressees: list[Addressee]) -> Composed:
        where = letter.located.where(("notes",))
        copies: list[tuple[Addressee, Composed]] = []
        first_error: KeyCitiesError | None = None
        for addressee in addressees:
            try:  # a copy that fails is reported by its own document; the others decide the notes
                copies.append((addressee, self.composer.letter(letter, addressee)))
            except KeyCitiesError as error:
                first_error = first_error or error
        if not copies:
            raise first_error or ComposeError(f"{where}: the letter goes to nobody, so it has no enclosure")
        (first, model), *others = copies
        for addressee, copy in others:
            if copy.notes != model.notes:
                raise ComposeError(
                    f"{where}: enclosure, but the letters to {first.record.id} and {addressee.record.id} "
                    "have different notes (they place different figures, such as `local` ones), so no one "
                    "enclosure fits every copy; use `notes: end` to give each letter its own notes"
                )
        if not model.notes:
            raise ComposeError(
                f"{where}: enclosure, but the letter places no figure with a note; remove `notes:`"
            )
        front, campaign = letter.front, self.composer.campaign
        formatter = Formatter(campaign.data.group.money_style, front.language)
        title = clean(enclosure_title(front.subject, front.language))
        dated = formatter.date(front.date)
        lead = WORDS[front.language].format(subject=clean(front.subject), date=dated)
        document = Document(
            kind="letter",
            title=title,
            author=model.document.author,
            subject=title,
            language=front.language,
            created=front.date,
            letterhead=model.document.letterhead,
            blocks=(Heading(1, (Run(title),)), Paragraph((Run(lead),), role="small"), *model.notes),
            footer=clean(f"{title}, {dated}"),
            keywords=(letter.name, "enclosure"),
        )
        later = later_releases(campaign, model.figures, front.date)
        return Composed(document, model.figures, (f"{letter.body.file}: {later}",) if later else ())
