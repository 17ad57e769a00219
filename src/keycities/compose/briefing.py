"""A member's briefing pack: the briefing template filled with its figures, charts, asks and local content.

The template is `templates/<slug>/briefing.md` when the member has one, else `templates/briefing.md`
(`briefing.cy.md` for a Welsh pack). Charts are drawn only when a template places them.
"""

from __future__ import annotations

from typing import Any

from keycities.compose.blocks import Chart, Document, Image
from keycities.compose.charts import Bar, ChartImages, ranked_bars, share_bar
from keycities.compose.citations import SourceNotes
from keycities.compose.letter import Composed, Composer, later_releases
from keycities.compose.markdown import clean
from keycities.compose.placing import ChartRef, Placing
from keycities.compose.welsh_overlay import welsh_local
from keycities.data.cities import Comparator, Member
from keycities.data.local_content import LocalContent, LocalFront
from keycities.data.measures import MEASURES
from keycities.data.schema import Language
from keycities.errors import ComposeError
from keycities.figures.model import Figure, FigureBook
from keycities.formatting import Formatter

MEDIAN = "group.gva_per_filled_job_median"  # the productivity chart's second line

WORDS = {
    "en-GB": {
        "title": "{name}: briefing pack",
        "subject": "{name} and the {group}: figures, asks and local priorities",
        "notes": "Sources and method",
        "productivity_caption": "{label}, members of the group",
        "not_shown": "Not shown, for want of a figure: {names}.",
        "share_caption": "{name}'s share of the group's GVA, {year}.",
        "others": "Other members",
        "productivity_alt": "Bar chart of GVA per filled job in {year} for the {count} members with a "
        "figure, from highest to lowest, with the {benchmark} average of {average} marked by a solid line "
        "and the group median of {median} by a dashed line. {where}",
        "median": "Group median",
        "highlighted": "{name}, highlighted, is {rank} at {value}.",
        "not_charted": "{name} has no figure and is not shown ({why}).",
        "share_alt": "Bar showing the group's GVA in {year}, {total}, split into {name}'s {value} ({share}) "
        "and the other members' {rest}.",
    },
    "cy": {
        "title": "{name}: pecyn briffio",
        "subject": "{name} a’r {group}: ffigurau, gofynion a blaenoriaethau lleol",
        "notes": "Ffynonellau a dull",
        "productivity_caption": "{label}, aelodau’r grŵp",
        "not_shown": "Heb eu dangos, am nad oes ffigur: {names}.",
        "share_caption": "Cyfran {name} o GVA y grŵp, {year}.",
        "others": "Aelodau eraill",
        "productivity_alt": "Siart bar o GVA fesul swydd wedi’i llenwi yn {year} ar gyfer y {count} aelod "
        "sydd â ffigur, o’r uchaf i’r isaf, gyda chyfartaledd {benchmark} ({average}) wedi’i nodi â "
        "llinell solet a chanolrif y grŵp ({median}) â llinell doredig. {where}",
        "median": "Canolrif y grŵp",
        "highlighted": "Mae {name}, wedi’i amlygu, yn {rank}, gyda {value}.",
        "not_charted": "Nid oes ffigur ar gyfer {name}, felly nid yw i’w weld ({why}).",
        "share_alt": "Bar yn dangos GVA y grŵp yn {year}, {total}, wedi’i rannu rhwng {value} {name} "
        "({share}) a {rest} yr aelodau eraill.",
    },
}


class BriefingComposer:
    """Composes briefing packs, sharing the letter composer's sandboxed environment and figures."""

    def __init__(self, composer: Composer, local: dict[tuple[str, str], LocalContent]) -> None:
        self.composer, self.local = composer, local
        self.campaign = composer.campaign
        for content in local.values():
            composer.add_template(content.template_name, content.text)

    def languages(self, slug: str) -> list[Language]:
        """English always; Welsh too when the member supplies its Welsh text."""
        welsh: list[Language] = ["cy"] if (slug, "cy") in self.local else []
        return ["en-GB", *welsh]

    def logos(self, slug: str) -> list[str]:
        """The logo files a member's local content names (its packs depend on them)."""
        return [
            content.front.logo
            for (owner, _), content in self.local.items()
            if owner == slug and content.front.logo
        ]

    def template_names(self, slug: str, language: Language) -> list[str]:
        """The member's own template first, then the default."""
        suffix = ".cy" if language == "cy" else ""
        return [f"{slug}/briefing{suffix}.md", f"briefing{suffix}.md"]

    def briefing(self, slug: str, language: Language) -> Composed:
        """The pack for one member in one language."""
        campaign, composer = self.campaign, self.composer
        member = campaign.members[slug]
        group = campaign.data.group
        formatter = Formatter(group.money_style, language)
        placing = Placing(formatter, SourceNotes(campaign, formatter))
        words = WORDS[language]
        local, english = self.local.get((slug, language)), self.local.get((slug, "en-GB"))
        choice = composer.choice(campaign.data.briefing.data_year, campaign.data.briefing.date)
        book, tree = composer.book(choice), composer.figure_tree(choice)
        benchmark = campaign.data.projection.benchmark
        if language == "cy" and local is not None:
            welsh = welsh_local(local, english, campaign.data.asks)
            own, pack_asks, local_template, logo = welsh.local, welsh.asks, welsh.template_name, welsh.logo
        else:
            own = (local.front if local else LocalFront()).model_dump()
            pack_asks, logo = self._asks(local), local.front.logo if local else None
            local_template = local.template_name if local else None
        context = composer.context(choice) | {
            "member": member.model_dump(exclude={"constituents"}),
            "m": tree["member"][slug],
            "g": tree["group"],
            "e": tree["comparator"][benchmark],
            "local": own,
            "local_template": local_template,
            "pack_asks": pack_asks,
            "date": formatter.date(campaign.data.briefing.date),
            "charts": {
                "productivity": ChartRef(
                    "productivity",
                    lambda: self._productivity(slug, book, formatter, words),
                    self._productivity_figures(book),
                ),
                "gva_share": self._share_ref(slug, book, formatter, words),
            },
        }
        blocks = composer.render_first(self.template_names(slug, language), context, placing)
        blocks += placing.notes.blocks(words["notes"])
        council = (member.council_cy if language == "cy" else None) or member.council
        partner_logo = composer.image(logo, f"{council} logo", 45) if logo else None
        name = clean(_name(member, language))
        document = Document(
            kind="briefing",
            title=words["title"].format(name=name),
            author=group.name,
            subject=words["subject"].format(name=name, group=group.name),
            language=language,
            created=campaign.data.briefing.date,
            letterhead=composer.letterhead(partner_logo, language),
            blocks=blocks,
            footer=f"{group.name}: {words['title'].format(name=name)}",
            keywords=("briefing", slug, language),
        )
        figures = tuple(placing.notes.figures)
        later = later_releases(campaign, figures, campaign.data.briefing.date)
        return Composed(document, figures, (f"briefing pack {slug} ({language}): {later}",) if later else ())

    def _asks(self, local: LocalContent | None) -> list[dict[str, Any]]:
        asks = []
        for ask in self.campaign.data.asks:
            own = local.front.asks.get(ask.key) if local else None
            entry = ask.model_dump() | {"points": own.points if own else []}
            for key in ("title", "summary", "text"):
                if own and getattr(own, key):
                    entry[key] = getattr(own, key)
            asks.append(entry)
        return asks

    def _productivity_figures(self, book: FigureBook) -> tuple[Figure, ...]:
        """The figures the productivity chart draws: each member's, the benchmark's and the group median."""
        benchmark = self.campaign.data.projection.benchmark
        names = [f"member.{member.slug}.gva_per_filled_job" for member in self.campaign.data.members]
        return tuple(
            book[name]
            for name in [*names, f"comparator.{benchmark}.gva_per_filled_job", MEDIAN]
            if book[name].value is not None
        )

    def _productivity(
        self, slug: str, book: FigureBook, formatter: Formatter, words: dict[str, str]
    ) -> Chart:
        members = self.campaign.data.members
        benchmark = self.campaign.comparators[self.campaign.data.projection.benchmark]
        england, median = book[f"comparator.{benchmark.key}.gva_per_filled_job"], book[MEDIAN]
        language = formatter.language
        bars, absent = [], []
        for member in members:
            figure = book[f"member.{member.slug}.gva_per_filled_job"]
            if figure.value is None:
                absent.append(_name(member, language))
            else:
                bars.append(Bar(_name(member, language), figure.value, formatter.figure(figure)))
        if england.value is None or median.value is None:
            gap = england if england.value is None else median
            raise ComposeError(f"the productivity chart needs {gap.label}, which is missing")
        me = self.campaign.members[slug]
        name = _name(me, language)
        caption_text = words["productivity_caption"].format(
            label=MEASURES["gva_per_filled_job"].labelled(england.year, language)
        )
        images = ranked_bars(
            bars,
            name,
            Bar(_name(benchmark, language), england.value, formatter.figure(england)),
            caption_text,
            formatter.money,
            Bar(words["median"], median.value, formatter.figure(median)),
        )
        own = book[f"member.{slug}.gva_per_filled_job"]
        if own.value is None:
            where = words["not_charted"].format(name=name, why=(own.why_missing or "").rstrip("."))
        else:
            rank = formatter.figure(book[f"member.{slug}.gva_per_filled_job_rank"])
            where = words["highlighted"].format(name=name, rank=rank, value=formatter.figure(own))
        alt = words["productivity_alt"].format(
            year=england.year,
            count=len(bars),
            benchmark=_name(benchmark, language),
            average=formatter.figure(england),
            median=formatter.figure(median),
            where=where,
        )
        caption = caption_text + ". " + (words["not_shown"].format(names=", ".join(absent)) if absent else "")
        return _chart(images, alt, caption.strip())

    def _share_ref(
        self, slug: str, book: FigureBook, formatter: Formatter, words: dict[str, str]
    ) -> ChartRef:
        own, rest = book[f"member.{slug}.gva"], book[f"member.{slug}.gva_rest_of_group"]
        if own.value is None or rest.value is None:
            why = (own.why_missing or rest.why_missing or "").rstrip(".")
            return ChartRef("gva_share", None, missing=True, why=why)
        name = _name(self.campaign.members[slug], formatter.language)
        share = formatter.figure(book[f"member.{slug}.gva_share_of_group"])
        total = formatter.figure(book["group.gva"])

        def draw() -> Chart:
            assert own.value is not None and rest.value is not None
            images = share_bar(
                Bar(name, own.value, formatter.figure(own)),
                Bar(words["others"], rest.value, formatter.figure(rest)),
            )
            alt = words["share_alt"].format(
                year=own.year, total=total, name=name, value=formatter.figure(own), share=share,
                rest=formatter.figure(rest),
            )  # fmt: skip
            return _chart(images, alt, words["share_caption"].format(name=name, year=own.year))

        return ChartRef("gva_share", draw, (own, rest))


def _name(holder: Member | Comparator, language: str) -> str:
    """A member's or comparator's name in the document's language."""
    return holder.name_cy if language == "cy" and holder.name_cy else holder.name


def _chart(images: ChartImages, alt: str, caption: str) -> Chart:
    return Chart(
        svg=Image(images.svg, "image/svg+xml", clean(alt), images.width_mm),
        png=Image(images.png, "image/png", clean(alt), images.width_mm),
        caption=clean(caption),
    )
