"""Every number a document may show, computed from cities.yaml with its sources, method and coverage.

This is the only module that does arithmetic on figures, with `claims.py` for the published claims. A
missing value stays missing (None, with the reason); totals say how many members they cover and never count
a gap as zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import Literal

from keycities.data.cities import Campaign, Figures, FigureValue, Member
from keycities.data.measures import MEASURE_LABELS, MEASURES, SUMMABLE_KEYS, Measure, Unit
from keycities.data.yaml_lines import PathKey
from keycities.errors import DataError
from keycities.figures.finite import not_finite
from keycities.figures.model import PUBLISHED, Coverage, Figure, FigureBook

RATES = ("gva_per_hour", "gva_per_filled_job")


RANKED = ("population", "gva", "gva_per_hour", "gva_per_filled_job")


def compute(campaign: Campaign) -> FigureBook:
    """Build every figure from the campaign data."""
    book = FigureBook()
    for index, comparator in enumerate(campaign.data.comparators):
        for key, measure in MEASURES.items():
            value = comparator.figures.get(key)
            book.add(
                _published(
                    campaign,
                    f"comparator.{comparator.key}.{measure.name}",
                    f"{measure.label}, {comparator.name}",
                    measure,
                    key,
                    value,
                    ("comparators", index, "figures", key),
                )
            )
    for index, member in enumerate(campaign.data.members):
        for key, measure in MEASURES.items():
            book.add(_member_figure(campaign, member, ("members", index), key, measure))
    _group_totals(campaign, book)
    _comparisons(campaign, book)
    _ranks(campaign, book)
    _uplift(campaign, book)
    problems = not_finite(campaign, book)
    if problems:
        raise DataError(problems, campaign.warnings)
    return book


def _published(
    campaign: Campaign,
    name: str,
    label: str,
    measure: Measure,
    key: str,
    value: FigureValue | None,
    path: PathKey,
) -> Figure:
    if value is None or value.value is None:
        why = value.why if value and value.why else "not published in the sources of cities.yaml"
        return Figure(name, label, None, measure.unit, (), "Not available.", why_missing=why)
    source = campaign.source_of(key, value)
    return Figure(
        name, label, value.value * measure.scale, measure.unit, (source,), PUBLISHED, inputs=(path,)
    )


def _member_figure(campaign: Campaign, member: Member, at: PathKey, key: str, measure: Measure) -> Figure:
    name, label = f"member.{member.slug}.{measure.name}", f"{measure.label}, {member.name}"
    own = member.figures.get(key)
    if not member.constituents or (own is not None and own.value is not None):
        return _published(campaign, name, label, measure, key, own, (*at, "figures", key))
    parts = [(part.name, part.figures.get(key)) for part in member.constituents]
    if key not in SUMMABLE_KEYS:
        councils = len(member.constituents)
        why = (
            f"{member.name} is a combined authority; ONS publishes this rate for its {councils} councils, "
            "and rates cannot be added up"
        )
        return Figure(name, label, None, measure.unit, (), "Not available.", why_missing=why)
    present = [(part, value) for part, value in parts if value is not None and value.value is not None]
    if len(present) < len(parts):
        missing = ", ".join(part for part, value in parts if value is None or value.value is None)
        return Figure(
            name,
            label,
            None,
            measure.unit,
            (),
            "Not available.",
            why_missing=f"not published for {missing}, so {member.name}'s total cannot be formed",
        )
    sources = tuple(sorted({campaign.source_of(key, value) for _, value in present}))
    total = sum(value.value for _, value in present if value.value is not None) * measure.scale
    method = f"Sum of its {len(parts)} councils: {', '.join(part for part, _ in parts)}."
    inputs = tuple((*at, "constituents", number, "figures", key) for number in range(len(parts)))
    return Figure(name, label, total, measure.unit, sources, method, inputs=inputs)


def _group_totals(campaign: Campaign, book: FigureBook) -> None:
    members = campaign.data.members
    probable = [member.name for member in members if member.membership == "probable"]
    status = f" ({_names(probable)}: membership probable, not confirmed)" if probable else ""
    book.add(
        Figure(
            "group.member_count",
            "Member cities",
            float(len(members)),
            "count",
            tuple(sorted(campaign.data.group.membership_sources)),
            f"The members listed in cities.yaml{status}.",
            Coverage(len(members), len(members)),
        )
    )
    for measure_name, label in (
        ("population", "Combined population, mid-2017"),
        ("gva", "Collective GVA, 2017"),
        ("filled_jobs", "Filled jobs, 2017"),
    ):
        book.add(_across_members(book, members, measure_name, label, "sum"))
    for measure_name, label in (
        ("gva_per_hour", "Median GVA per hour worked across members, 2017"),
        ("gva_per_filled_job", "Median GVA per filled job across members, 2017"),
    ):
        book.add(_across_members(book, members, measure_name, label, "median"))


def _across_members(
    book: FigureBook, members: list[Member], measure_name: str, label: str, how: Literal["sum", "median"]
) -> Figure:
    parts = [book[f"member.{member.slug}.{measure_name}"] for member in members]
    present = [part for part in parts if part.value is not None]
    missing = tuple(member.name for member, part in zip(members, parts, strict=True) if part.value is None)
    coverage = Coverage(len(present), len(parts), missing)
    name = f"group.{measure_name}" if how == "sum" else f"group.{measure_name}_median"
    unit = parts[0].unit
    if not present:
        return Figure(name, label, None, unit, (), "Not available.", coverage, "no member has this figure")
    values = [part.value for part in present if part.value is not None]
    value = sum(values) if how == "sum" else statistics.median(values)
    left_out = _left_out(missing, f"figure for {MEASURE_LABELS[measure_name]}")
    method = f"{'Sum' if how == 'sum' else 'Median'} over {coverage}.{left_out}"
    return Figure(
        name, label, value, unit, _sources_of(present), method, coverage, inputs=_inputs_of(present)
    )


def _comparisons(campaign: Campaign, book: FigureBook) -> None:
    benchmark = campaign.data.projection.benchmark
    benchmark_name = campaign.comparators[benchmark].name
    if "comparator.scotland.gva" in book:
        book.add(
            _ratio(
                "group.gva_ratio_to_scotland",
                "Collective GVA as a share of Scotland's GVA, 2017",
                book["group.gva"],
                book["comparator.scotland.gva"],
            )
        )
    for member in campaign.data.members:
        prefix = f"member.{member.slug}"
        for rate in RATES:
            own, average = book[f"{prefix}.{rate}"], book[f"comparator.{benchmark}.{rate}"]
            book.add(
                _ratio(
                    f"{prefix}.{rate}_ratio_to_{benchmark}",
                    f"{MEASURE_LABELS[rate]} as a share of the {benchmark_name} average, {member.name}",
                    own,
                    average,
                )
            )
            book.add(
                _combine(
                    f"{prefix}.{rate}_difference_from_{benchmark}",
                    f"{MEASURE_LABELS[rate]} above (+) or below (-) the {benchmark_name} average, "
                    f"{member.name}",
                    "gbp",
                    own,
                    average,
                    lambda a, b: a - b,
                    f"{own.label} minus {average.label}.",
                )
            )
        book.add(
            _ratio(
                f"{prefix}.gva_share_of_group",
                f"Share of the group's GVA, {member.name}",
                book[f"{prefix}.gva"],
                book["group.gva"],
            )
        )
        book.add(
            _combine(
                f"{prefix}.gva_rest_of_group",
                f"GVA of the other members, 2017 (all but {member.name})",
                "gbp",
                book["group.gva"],
                book[f"{prefix}.gva"],
                lambda whole, part: whole - part,
                f"Collective GVA minus the GVA of {member.name}.",
            )
        )


def _ratio(name: str, label: str, part: Figure, whole: Figure) -> Figure:
    return _combine(
        name, label, "ratio", part, whole, lambda a, b: a / b, f"{part.label} divided by {whole.label}."
    )


def _combine(
    name: str,
    label: str,
    unit: Unit,
    first: Figure,
    second: Figure,
    operation: Callable[[float, float], float],
    method: str,
) -> Figure:
    if second.value == 0 and unit == "ratio":
        return Figure(name, label, None, unit, (), "Not available.", why_missing=f"{second.label} is zero")
    if first.value is None or second.value is None:
        gap = first if first.value is None else second
        return Figure(
            name,
            label,
            None,
            unit,
            (),
            "Not available.",
            why_missing=f"{gap.label} is missing: {gap.why_missing}",
        )
    return Figure(
        name,
        label,
        operation(first.value, second.value),
        unit,
        _sources_of([first, second]),
        method,
        first.coverage or second.coverage,
        inputs=_inputs_of([first, second]),
    )


def _ranks(campaign: Campaign, book: FigureBook) -> None:
    members = campaign.data.members
    for measure_name in RANKED:
        figures = [book[f"member.{member.slug}.{measure_name}"] for member in members]
        ranked = sorted(
            (figure for figure in figures if figure.value is not None),
            key=lambda figure: -(figure.value or 0.0),
        )
        coverage = Coverage(
            len(ranked),
            len(members),
            tuple(m.name for m, f in zip(members, figures, strict=True) if f.value is None),
        )
        for member, figure in zip(members, figures, strict=True):
            name = f"member.{member.slug}.{measure_name}_rank"
            label = f"Rank among members by {MEASURE_LABELS[measure_name]}, {member.name}"
            if figure.value is None:
                book.add(
                    Figure(
                        name,
                        label,
                        None,
                        "rank",
                        (),
                        "Not available.",
                        coverage,
                        f"{figure.label} is missing: {figure.why_missing}",
                    )
                )
                continue
            position = 1 + sum(1 for other in ranked if (other.value or 0.0) > figure.value)
            book.add(
                Figure(
                    name,
                    label,
                    float(position),
                    "rank",
                    _sources_of(ranked),
                    f"Position from the highest among the {coverage} with this figure.",
                    coverage,
                )
            )


def _uplift(campaign: Campaign, book: FigureBook) -> None:
    """What raising each member's productivity to the benchmark would add by the target year."""
    projection = campaign.data.projection
    measure, jobs_measure = MEASURES[projection.measure], MEASURES[projection.jobs]
    benchmark = book[f"comparator.{projection.benchmark}.{measure.name}"]
    benchmark_name = campaign.comparators[projection.benchmark].name
    years = projection.target_year - projection.base_year
    benchmark_value = benchmark.require()  # load_campaign refuses a benchmark without it
    span: tuple[PathKey, ...] = (("projection", "base_year"), ("projection", "target_year"))
    book.add(
        Figure(
            "group.projection_years",
            f"Years from {projection.base_year} to {projection.target_year}",
            float(years),
            "years",
            (),
            "Target year minus base year, from cities.yaml.",
            inputs=span,
        )
    )
    yearly_method = (
        f"For each member, the {benchmark_name} {MEASURE_LABELS[measure.name]} minus its own (0 where "
        f"it is higher), times its {MEASURE_LABELS[jobs_measure.name].lower()}, summed over a combined "
        "authority's councils."
    )
    method = (
        f"{yearly_method[:-1]}; times {years} years ({projection.base_year} to {projection.target_year})."
    )
    per_year: list[tuple[float, set[str]]] = []  # each covered member's yearly addition and its sources
    for index, member in enumerate(campaign.data.members):
        name, label = f"member.{member.slug}.uplift", f"Added by {projection.target_year}, {member.name}"
        units: list[tuple[str, Figures, PathKey]] = [
            (part.name, part.figures, ("members", index, "constituents", number))
            for number, part in enumerate(member.constituents)
        ] or [(member.name, member.figures, ("members", index))]
        gaps, total, sources = [], 0.0, set(benchmark.sources)
        inputs = list(benchmark.inputs) + list(span)
        for unit_name, figures, at in units:
            rate, jobs = figures.get(projection.measure), figures.get(projection.jobs)
            if rate is None or rate.value is None or jobs is None or jobs.value is None:
                gaps.append(unit_name)
                continue
            total += max(0.0, benchmark_value - rate.value) * jobs.value
            sources |= {
                campaign.source_of(projection.measure, rate),
                campaign.source_of(projection.jobs, jobs),
            }
            inputs += [(*at, "figures", projection.measure), (*at, "figures", projection.jobs)]
        if gaps:
            why = (
                f"{MEASURE_LABELS[measure.name]} or {MEASURE_LABELS[jobs_measure.name].lower()} "
                f"is not published for {_names(gaps)}"
            )
            book.add(Figure(name, label, None, "gbp", (), method, why_missing=why))
            continue
        per_year.append((total, sources))
        book.add(
            Figure(name, label, total * years, "gbp", tuple(sorted(sources)), method, inputs=tuple(inputs))
        )
    missing = tuple(
        member.name for member in campaign.data.members if book[f"member.{member.slug}.uplift"].value is None
    )
    coverage = Coverage(len(per_year), len(campaign.data.members), missing)
    left_out = _left_out(missing, "productivity figure")
    group_sources = tuple(sorted({source for _, sources in per_year for source in sources}))
    yearly = sum(total for total, _ in per_year) if per_year else None
    none = "no member has the figures the projection needs"
    members_inputs = _inputs_of(book[f"member.{member.slug}.uplift"] for member in campaign.data.members)
    book.add(
        Figure(
            "group.uplift_per_year",
            f"Added each year at the {benchmark_name} average",
            yearly,
            "gbp",
            group_sources,
            yearly_method + left_out,
            coverage,
            None if per_year else none,
            members_inputs,
        )
    )
    group_uplift = book.add(
        Figure(
            "group.uplift",
            f"Added by {projection.target_year} at the {benchmark_name} average",
            None if yearly is None else yearly * years,
            "gbp",
            group_sources,
            method + left_out,
            coverage,
            None if per_year else none,
            members_inputs,
        )
    )
    for member in campaign.data.members:
        book.add(
            _ratio(
                f"member.{member.slug}.uplift_share_of_group",
                f"Share of the group's addition by {projection.target_year}, {member.name}",
                book[f"member.{member.slug}.uplift"],
                group_uplift,
            )
        )


def _inputs_of(figures: Iterable[Figure]) -> tuple[PathKey, ...]:
    return tuple(dict.fromkeys(path for figure in figures for path in figure.inputs))


def _sources_of(figures: Iterable[Figure]) -> tuple[str, ...]:
    return tuple(sorted({source for figure in figures for source in figure.sources}))


def _left_out(missing: tuple[str, ...], what: str) -> str:
    if not missing:
        return ""
    one = len(missing) == 1
    return f" {_names(missing)} {'has' if one else 'have'} no {what} and {'is' if one else 'are'} left out."


def _names(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
