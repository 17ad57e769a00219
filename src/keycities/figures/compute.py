"""Every number a document may show, computed from the data with its sources, method, coverage and year.

This is the only module that does arithmetic on figures, with `claims.py` for the published claims. A
missing value stays missing (None, with the reason); totals say how many members they cover and never count
a gap as zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import Literal

from keycities.data.cities import Campaign, Member
from keycities.data.measures import MEASURES, Unit
from keycities.errors import DataError
from keycities.figures.finite import not_finite
from keycities.figures.model import Coverage, DataChoice, Figure, FigureBook, Input
from keycities.figures.picking import Picker, source_input

RATES = ("gva_per_hour", "gva_per_filled_job")


RANKED = ("population", "gva", "gva_per_hour", "gva_per_filled_job")


def compute(campaign: Campaign, choice: DataChoice | None = None) -> FigureBook:
    """Build every figure from the campaign's data, for one choice of year and release (by default the
    latest of each)."""
    book = FigureBook()
    picker = Picker(campaign, choice or DataChoice())
    for comparator in campaign.data.comparators:
        for key, measure in MEASURES.items():
            year = picker.year(key)
            book.add(
                picker.published(
                    f"comparator.{comparator.key}.{key}",
                    f"{measure.labelled(year)}, {comparator.name}",
                    key,
                    comparator.ons_code,
                    comparator.name,
                    year,
                )
            )
    for member in campaign.data.members:
        for key in MEASURES:
            book.add(_member_figure(picker, member, key))
    _group_totals(campaign, book)
    _comparisons(campaign, book)
    _ranks(campaign, book)
    _uplift(campaign, picker, book)
    problems = not_finite(campaign, book)
    if problems:
        raise DataError(problems, campaign.warnings)
    return book


def _member_figure(picker: Picker, member: Member, key: str) -> Figure:
    measure = MEASURES[key]
    year = picker.year(key)
    name, label = f"member.{member.slug}.{key}", f"{measure.labelled(year)}, {member.name}"
    own = picker.held(key, member.ons_code, year)
    if not member.constituents or own is not None:
        return picker.published(name, label, key, member.ons_code, member.name, year)
    if not measure.summable:
        councils = len(member.constituents)
        why = (
            f"{member.name} is a combined authority; ONS publishes this rate for its {councils} councils, "
            "and rates cannot be added up"
        )
        return Figure(name, label, None, measure.unit, (), "Not available.", why_missing=why, year=year)
    parts = [(part, picker.held(key, part.ons_code, year)) for part in member.constituents]
    missing = [part.name for part, held in parts if held is None]
    if missing:
        why = f"not published for {_names(missing)}, so {member.name}'s total cannot be formed"
        return Figure(name, label, None, measure.unit, (), "Not available.", why_missing=why, year=year)
    present = [(part, held) for part, held in parts if held is not None]
    sources = tuple(sorted({held.source for _, held in present}))
    total = sum(held.value or 0.0 for _, held in present)
    method = f"Sum of its {len(parts)} councils: {', '.join(part.name for part, _ in parts)}."
    inputs = tuple(source_input(held, part.name) for part, held in present)
    rounded_to = max((held.rounded_to or 0.0 for _, held in present), default=0.0) or None
    return Figure(
        name, label, total, measure.unit, sources, method, inputs=inputs, year=year, rounded_to=rounded_to
    )


def _group_totals(campaign: Campaign, book: FigureBook) -> None:
    members = campaign.data.members
    probable = [member.name for member in members if member.membership == "probable"]
    status = f" ({_names(probable)}: membership probable, not confirmed)" if probable else ""
    group = campaign.data.group
    listed = " and ".join(f"‘{campaign.sources[key].title}’" for key in group.membership_sources)
    book.add(
        Figure(
            "group.member_count",
            "Member cities",
            float(len(members)),
            "count",
            tuple(sorted(campaign.data.group.membership_sources)),
            f"The members of the {group.name}, as listed in {listed}{status}.",
            Coverage(len(members), len(members)),
        )
    )
    for key, label in (
        ("population", "Combined population"),
        ("gva", "Collective GVA"),
        ("filled_jobs", "Filled jobs"),
    ):
        book.add(_across_members(book, members, key, label, "sum"))
    for key, label in (
        ("gva_per_hour", "Median GVA per hour worked across members"),
        ("gva_per_filled_job", "Median GVA per filled job across members"),
    ):
        book.add(_across_members(book, members, key, label, "median"))


def _across_members(
    book: FigureBook, members: list[Member], key: str, label: str, how: Literal["sum", "median"]
) -> Figure:
    parts = [book[f"member.{member.slug}.{key}"] for member in members]
    present = [part for part in parts if part.value is not None]
    missing = tuple(member.name for member, part in zip(members, parts, strict=True) if part.value is None)
    coverage = Coverage(len(present), len(parts), missing)
    name = f"group.{key}" if how == "sum" else f"group.{key}_median"
    unit, year = parts[0].unit, parts[0].year
    label = label if year is None else f"{label}, {MEASURES[key].when(year)}"
    if not present:
        why = "no member has this figure"
        return Figure(name, label, None, unit, (), "Not available.", coverage, why, year=year)
    values = [part.value for part in present if part.value is not None]
    value = sum(values) if how == "sum" else statistics.median(values)
    left_out = _left_out(missing, f"figure for {MEASURES[key].label}")
    method = f"{'Sum' if how == 'sum' else 'Median'} over {coverage}.{left_out}"
    rounded_to = max((part.rounded_to or 0.0 for part in present), default=0.0) or None
    return Figure(
        name, label, value, unit, _sources_of(present), method, coverage, inputs=_inputs_of(present),
        year=year, rounded_to=rounded_to if how == "sum" else None, decimals=parts[0].decimals,
    )  # fmt: skip


def _comparisons(campaign: Campaign, book: FigureBook) -> None:
    benchmark = campaign.data.projection.benchmark
    benchmark_name = campaign.comparators[benchmark].name
    if "comparator.scotland.gva" in book:
        book.add(
            _ratio(
                "group.gva_ratio_to_scotland",
                f"Collective GVA as a share of Scotland's GVA, {book['group.gva'].year}",
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
                    f"{MEASURES[rate].label} as a share of the {benchmark_name} average, {member.name}",
                    own,
                    average,
                )
            )
            book.add(
                _combine(
                    f"{prefix}.{rate}_difference_from_{benchmark}",
                    f"{MEASURES[rate].label} above (+) or below (-) the {benchmark_name} average, "
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
                f"GVA of the other members, {book['group.gva'].year} (all but {member.name})",
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
        why = f"{second.label} is zero"
        return Figure(name, label, None, unit, (), "Not available.", why_missing=why, year=first.year)
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
            year=first.year,
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
        year=first.year,
        decimals=first.decimals if unit == "gbp" else None,
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
            label = f"Rank among members by {MEASURES[measure_name].label}, {member.name}"
            if figure.value is None:
                why = f"{figure.label} is missing: {figure.why_missing}"
                book.add(
                    Figure(name, label, None, "rank", (), "Not available.", coverage, why, year=figure.year)
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
                    year=figure.year,
                )
            )


def _uplift(campaign: Campaign, picker: Picker, book: FigureBook) -> None:
    """What raising each member's productivity to the benchmark would add by the target year, from the
    latest year (or the pinned one) that has both the productivity measure and the jobs."""
    projection = campaign.data.projection
    measure, jobs_measure = MEASURES[projection.measure], MEASURES[projection.jobs]
    year = picker.year(projection.measure, projection.jobs)
    benchmark_area = campaign.comparators[projection.benchmark]
    benchmark_name = benchmark_area.name
    benchmark = picker.held(projection.measure, benchmark_area.ons_code, year)
    years = projection.target_year - projection.base_year
    span = tuple(
        Input(campaign.located.where(("projection", key)), f"projection.{key}", getattr(projection, key))
        for key in ("base_year", "target_year")
    )
    book.add(
        Figure(
            "group.projection_years",
            f"Years from {projection.base_year} to {projection.target_year}",
            float(years),
            "years",
            (),
            f"The years of the group's projection: {projection.target_year} minus {projection.base_year}.",
            inputs=span,
        )
    )
    yearly_method = (
        f"For each member, the {benchmark_name} {measure.label} minus its own (0 where "
        f"it is higher), times its {jobs_measure.label.lower()}, summed over a combined "
        "authority's councils."
    )
    method = (
        f"{yearly_method[:-1]}; times {years} years ({projection.base_year} to {projection.target_year})."
    )
    no_benchmark = None
    if benchmark is None or benchmark.value is None:
        no_benchmark = (
            f"the {benchmark_name} {measure.labelled(year)} is missing: "
            f"{picker.why(projection.measure, benchmark_area.ons_code, year)}"
        )
    per_year: list[tuple[float, set[str]]] = []  # each covered member's yearly addition and its sources
    for member in campaign.data.members:
        name, label = f"member.{member.slug}.uplift", f"Added by {projection.target_year}, {member.name}"
        if benchmark is None or benchmark.value is None:
            book.add(Figure(name, label, None, "gbp", (), method, why_missing=no_benchmark, year=year))
            continue
        units = [(part.name, part.ons_code) for part in member.constituents] or [
            (member.name, member.ons_code)
        ]
        gaps, total, sources = [], 0.0, {benchmark.source}
        inputs = [source_input(benchmark, benchmark_name), *span]
        for unit_name, code in units:
            rate, jobs = picker.held(projection.measure, code, year), picker.held(projection.jobs, code, year)
            if rate is None or rate.value is None or jobs is None or jobs.value is None:
                gaps.append(unit_name)
                continue
            total += max(0.0, benchmark.value - rate.value) * jobs.value
            sources |= {rate.source, jobs.source}
            inputs += [source_input(rate, unit_name), source_input(jobs, unit_name)]
        if gaps:
            why = f"{measure.label} or {jobs_measure.label.lower()} is not published for {_names(gaps)}"
            if year is not None:
                why += f" for {year}"
            book.add(Figure(name, label, None, "gbp", (), method, why_missing=why, year=year))
            continue
        per_year.append((total, sources))
        book.add(
            Figure(
                name, label, total * years, "gbp", tuple(sorted(sources)), method, inputs=tuple(inputs),
                year=year,
            )
        )  # fmt: skip
    missing = tuple(
        member.name for member in campaign.data.members if book[f"member.{member.slug}.uplift"].value is None
    )
    coverage = Coverage(len(per_year), len(campaign.data.members), missing)
    left_out = _left_out(missing, "productivity figure")
    group_sources = tuple(sorted({source for _, sources in per_year for source in sources}))
    yearly = sum(total for total, _ in per_year) if per_year else None
    none = no_benchmark or "no member has the figures the projection needs"
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
            year,
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
            year,
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


def _inputs_of(figures: Iterable[Figure]) -> tuple[Input, ...]:
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
