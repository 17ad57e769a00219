"""Figures' labels and methods in Welsh, for the source notes of a Welsh document.

The figures stage names every figure in English (`figures/compute.py`); this gives the Welsh of each kind
of figure it makes, from the figure's name and the campaign's data: the measures' Welsh labels
(`data/measures.py`), the members' and comparators' Welsh names, the coverage and the projection. A kind
of figure this does not know stops the Welsh document with a message saying where to add it.
"""

from __future__ import annotations

import re

from keycities.data.cities import Campaign
from keycities.data.measures import MEASURES
from keycities.errors import ComposeError
from keycities.figures.model import PUBLISHED, Coverage, Figure

GROUP_LABELS = {
    "member_count": "Dinasoedd sy’n aelodau",
    "population": "Cyfanswm y boblogaeth",
    "gva": "GVA cyfunol",
    "filled_jobs": "Swyddi wedi’u llenwi",
    "gva_per_hour_median": "Canolrif GVA fesul awr a weithiwyd ar draws yr aelodau",
    "gva_per_filled_job_median": "Canolrif GVA fesul swydd wedi’i llenwi ar draws yr aelodau",
}
MEMBER_DERIVED = re.compile(
    r"(?P<measure>\w+?)_(?:(?P<kind>ratio_to|difference_from)_(?P<benchmark>\w+)|(?P<rank>rank))"
)

# A nation's count or total that its release gives only as its councils' rows (`figures/picking.py`).
SUM_OF_COUNCILS = re.compile(r"Sum of the (?P<count>\d+) local authorities of ")


class WelshFigureWords:
    """The Welsh label and method of each figure of a campaign."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        projection = campaign.data.projection
        self.target = projection.target_year
        self.benchmark = self.area(projection.benchmark)

    def area(self, key: str) -> str:
        """A comparator's name in Welsh (its English name when it has none)."""
        comparator = self.campaign.comparators[key]
        return comparator.name_cy or comparator.name

    def member(self, slug: str) -> str:
        """A member's name in Welsh (its English name, which Welsh uses too, when it has none)."""
        member = self.campaign.members[slug]
        return member.name_cy or member.name

    def label(self, figure: Figure) -> str:
        """`GVA, 2017, Abertawe`, `Canolrif GVA fesul swydd wedi’i llenwi ar draws yr aelodau, 2017`."""
        return self.label_of(figure.name, figure.year)

    def label_of(self, name: str, year: int | None) -> str:
        """The Welsh label of the figure called `name`, of `year`."""
        kind, owner, key = _parts(name)
        if kind == "comparator" and key in MEASURES:
            return f"{MEASURES[key].labelled(year, 'cy')}, {self.area(owner)}"
        if kind == "member" and key in MEASURES:
            return f"{MEASURES[key].labelled(year, 'cy')}, {self.member(owner)}"
        if kind == "member":
            return f"{self._member_label(name, year, owner, key)}, {self.member(owner)}"
        measure = MEASURES.get(key.removesuffix("_median"))
        if key in GROUP_LABELS:
            when = f", {measure.when(year, 'cy')}" if measure and year is not None else ""
            return GROUP_LABELS[key] + when
        projection = self.campaign.data.projection
        group_labels = {
            "gva_ratio_to_scotland": f"GVA cyfunol fel cyfran o GVA {self.area('scotland')}, {year}",
            "projection_years": f"Blynyddoedd o {projection.base_year} i {projection.target_year}",
            "uplift_per_year": f"Ychwanegiad bob blwyddyn ar gyfartaledd {self.benchmark}",
            "uplift": f"Ychwanegiad erbyn {self.target} ar gyfartaledd {self.benchmark}",
        }
        return group_labels.get(key) or _unknown(name)

    def _member_label(self, name: str, year: int | None, slug: str, key: str) -> str:
        if key == "gva_share_of_group":
            return "Cyfran o GVA y grŵp"
        if key == "gva_rest_of_group":
            return f"GVA yr aelodau eraill, {year} (pob un ond {self.member(slug)})"
        if key == "uplift":
            return f"Ychwanegiad erbyn {self.target}"
        if key == "uplift_share_of_group":
            return f"Cyfran o ychwanegiad y grŵp erbyn {self.target}"
        derived = MEMBER_DERIVED.fullmatch(key)
        if not derived or derived["measure"] not in MEASURES:
            return _unknown(name)
        measure = MEASURES[derived["measure"]].label_cy
        if derived["rank"]:
            return f"Safle ymhlith yr aelodau yn ôl {measure}"
        benchmark = self.area(derived["benchmark"])
        if derived["kind"] == "ratio_to":
            return f"{measure} fel cyfran o gyfartaledd {benchmark}"
        return f"{measure} uwchlaw (+) neu islaw (−) cyfartaledd {benchmark}"

    def method(self, figure: Figure) -> str:
        """How the figure was worked out, in Welsh."""
        if figure.method == PUBLISHED:
            return PUBLISHED
        kind, owner, key = _parts(figure.name)
        if kind == "comparator" and (summed := SUM_OF_COUNCILS.match(figure.method)):
            area = self.area(owner)
            return (
                f"Swm {summed['count']} awdurdod lleol {area} yn y datganiad, nad oes ganddo res ar gyfer "
                f"{area} ei hun."
            )
        if kind == "member" and key in MEASURES:
            councils = self.campaign.members[owner].constituents
            return f"Swm ei {len(councils)} cyngor: {', '.join(part.name for part in councils)}."
        if key in {"population", "gva", "filled_jobs"} and kind == "group":
            return f"Swm dros {coverage(figure.coverage)}.{_left_out(figure)}"
        if key.endswith("_median") and kind == "group":
            return f"Canolrif dros {coverage(figure.coverage)}.{_left_out(figure)}"
        if key == "member_count":
            probable = [m.name for m in self.campaign.data.members if m.membership == "probable"]
            status = f" ({_names(probable)}: aelodaeth debygol, heb ei chadarnhau)" if probable else ""
            return f"Aelodau’r grŵp{status}."
        if key.endswith("_rank"):
            return f"Safle o’r uchaf ymhlith y {coverage(figure.coverage)} sydd â’r ffigur hwn."
        if key == "gva_rest_of_group":
            return f"GVA cyfunol llai GVA {self.member(owner)}."
        if key == "projection_years":
            return "Y flwyddyn darged llai’r flwyddyn sylfaen."
        if key in {"uplift", "uplift_per_year"}:
            return self._uplift_method(figure, per_year=key == "uplift_per_year")
        parts = [self.label_of(part, figure.year) for part in self._parts_of(kind, owner, key)]
        if parts and "_difference_from_" in key:
            return f"{parts[0]} llai {parts[1]}."
        if parts:  # a ratio: a share, or against the benchmark
            return f"{parts[0]} wedi’i rannu â {parts[1]}."
        return _unknown(figure.name)

    def _uplift_method(self, figure: Figure, per_year: bool) -> str:
        projection = self.campaign.data.projection
        measure, jobs = MEASURES[projection.measure], MEASURES[projection.jobs]
        years = projection.target_year - projection.base_year
        yearly = (
            f"Ar gyfer pob aelod, {measure.label_cy} {self.benchmark} llai ei ffigur ei hun (0 lle mae’n "
            f"uwch), wedi’i luosi â’i {jobs.label_cy.lower()}, wedi’i adio dros gynghorau awdurdod cyfun"
        )
        span = f"; wedi’i luosi â {years} o flynyddoedd ({projection.base_year} i {projection.target_year})"
        left_out = _left_out(figure) if figure.name.startswith("group.") else ""
        return f"{yearly}{'' if per_year else span}.{left_out}"

    @staticmethod
    def _parts_of(kind: str, owner: str, key: str) -> tuple[str, ...]:
        """The names of the figures a ratio or difference divides or subtracts."""
        derived = MEMBER_DERIVED.fullmatch(key)
        if kind == "member" and derived and derived["kind"]:
            measure, benchmark = derived["measure"], derived["benchmark"]
            return (f"member.{owner}.{measure}", f"comparator.{benchmark}.{measure}")
        shares = {
            "gva_share_of_group": (f"member.{owner}.gva", "group.gva"),
            "uplift_share_of_group": (f"member.{owner}.uplift", "group.uplift"),
            "gva_ratio_to_scotland": ("group.gva", "comparator.scotland.gva"),
        }
        return shares.get(key, ())


def coverage(covered: Coverage | None) -> str:
    """`23 o’r 24 aelod`."""
    return f"{covered.covered} o’r {covered.total} aelod" if covered else ""


def _parts(name: str) -> tuple[str, str, str]:
    """(group, "", key), (member, slug, key) or (comparator, key, measure) from a figure's name."""
    kind, _, rest = name.partition(".")
    if kind == "group":
        return kind, "", rest
    owner, _, key = rest.partition(".")
    return kind, owner, key


def _left_out(figure: Figure) -> str:
    missing = figure.coverage.missing if figure.coverage else ()
    if not missing:
        return ""
    which = "fe’i gadawyd" if len(missing) == 1 else "fe’u gadawyd"
    return f" Nid oes ffigur ar gyfer {_names(missing)}, felly {which} allan."


def _names(names: tuple[str, ...] | list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " a " + names[-1]


def _unknown(name: str) -> str:
    raise ComposeError(
        f"no Welsh label or method for the figure {name}; add its kind to "
        "src/keycities/compose/figure_words.py"
    )
