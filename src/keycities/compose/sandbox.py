"""The sandbox templates run in: Jinja's immutable sandbox with the tool's limits, a loader that keeps every
template file inside its folder, and the one formatter of a template's errors (`file:line: what; fix`).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from keycities.compose.limits import (
    bounded_filters,
    bounded_range,
    check_call,
    check_format,
    check_operation,
)
from keycities.compose.placing import FILTERS, ChartRef, FigureRef, is_data
from keycities.data.paths import label_in, read_text
from keycities.errors import KeyCitiesError

# What running a template can raise besides Jinja's own errors: a filter or operator given the wrong
# type or value, arithmetic gone wrong, a macro calling itself without end. Each is the template's slip,
# reported at its line; any other exception is a bug in the tool and keeps its traceback.
TEMPLATE_SLIPS = (ArithmeticError, AttributeError, LookupError, RecursionError, TypeError, ValueError)


# What a template may read of a placed figure or chart, besides placing it.
PLACEABLE_ATTRIBUTES = frozenset({"missing", "why", "label", "method", "zero", "year"})


class Sandbox(ImmutableSandboxedEnvironment):
    """Templates reach data (mappings, lists, text, numbers) and the few documented properties of placed
    figures and charts, and nothing else: no path, no formatter, no method of the tool's own objects.

    The data is read-only (no `update`, `append`, `pop`...): the figures are shared by every document of a
    run, and one template must not change what another prints. Operators, filters and methods that can
    make something huge from a short expression are checked against the limits before they run."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = bounded_range
        self.filters.update(bounded_filters(self.filters))
        self.filters.update(FILTERS)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, FigureRef | ChartRef):
            return attr in PLACEABLE_ATTRIBUTES
        if isinstance(obj, dict | list | tuple | str | int | float | date):
            return bool(super().is_safe_attribute(obj, attr, value))
        return False

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        check_operation(operator, left, right)
        if operator == "%" and isinstance(left, str) and not is_data(right):
            raise jinja2.TemplateRuntimeError(
                "only data can be formatted into text, not a function, a macro or one of Jinja's objects; "
                "format text, numbers, dates or figures"
            )
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            check_format(value.__self__)
        return wrapped

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


class UnknownName(jinja2.UndefinedError):
    """A name a template used that is not there, with what it was looked up in (nothing for a name of the
    template's own namespace), so that the message can say which names are."""

    def __init__(self, message: str, owner: Any, name: Any, hinted: bool) -> None:
        super().__init__(message)
        self.owner, self.name, self.hinted = owner, name, hinted


class NamedUndefined(jinja2.StrictUndefined):
    """Jinja's StrictUndefined (anything done with an undefined name fails), failing with an UnknownName."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[jinja2.TemplateRuntimeError] = jinja2.UndefinedError,
    ) -> None:
        # An unknown name fails with an UnknownName, which keeps what the name was looked up in; another
        # failure (the sandbox's refusal of an unsafe attribute) keeps its own exception.
        def unknown(message: str) -> UnknownName:
            return UnknownName(message, obj, name, hint is not None)

        super().__init__(hint, obj, name, unknown if exc is jinja2.UndefinedError else exc)  # type: ignore[arg-type]


class FolderLoader(jinja2.BaseLoader):
    """Templates from files in the given folders, in order; a file whose path, links followed, leads out
    of its folder is refused (a DataError naming the link), so that no link in templates/ or letters/
    puts a file from elsewhere into a document."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = folders

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """The template's text and its name in messages (`templates/briefing.md`)."""
        pieces = split_template_path(template)  # a `..` in the name is not found
        for folder in self.folders:
            path = folder.joinpath(*pieces)
            if path.is_file():
                # Up to date for the whole run: a build sees each file as it was when first read.
                return read_text(path, folder), label_in(folder, path), lambda: True
        raise jinja2.TemplateNotFound(template)


Sources = Callable[[str], str | None]  # the text of a template file, by the name messages give it


def template_error(
    name: str,
    error: Exception,
    context: dict[str, Any],
    line_in_file: int | None = None,
    sources: Sources | None = None,
) -> str:
    """`letters/x.md:14: 'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?`, from
    Jinja's rewritten traceback.

    The place is the innermost template frame, so an error in an included file names that file; failing
    that, the innermost template frame of the error it interrupted (the time ran out while Jinja was
    reporting another error). `sources` gives the text of the file at that place (for a template held in
    one line of a file, its text), where an unknown name is found as it was written (`figures.group.gvaa`)."""
    place, line = name, getattr(error, "lineno", None)
    if line_in_file is not None:  # a template held in one line of a file: its line is the file's
        line = line_in_file
    if getattr(error, "filename", None):
        place = str(error.filename)  # type: ignore[attr-defined]
    for cause in (error, error.__context__) if line is None else ():
        frames = [
            f
            for f in traceback.extract_tb(cause.__traceback__ if cause else None)
            if not f.filename.endswith(".py") and f.filename != "<template>"
        ]
        if frames:
            place, line = frames[-1].filename, frames[-1].lineno
            break
    written = ""  # where an unknown name is looked for as written: its line, or the one-line template
    text = sources(place) if isinstance(error, UnknownName) and sources is not None else None
    if text is not None and line_in_file is not None:
        written = text
    elif text is not None and line and line <= len(text.splitlines()):
        written = text.splitlines()[line - 1]
    return f"{place}:{line or '?'}: {_what_went_wrong(error, context, written)}"


def _what_went_wrong(error: Exception, context: dict[str, Any], written: str = "") -> str:
    """The problem in words, with the fix."""
    if isinstance(error, RecursionError):
        return (
            "the template recurses without end (a macro that calls itself, a file that includes itself); "
            "give the recursion a case that stops"
        )
    if not isinstance(error, jinja2.TemplateError | KeyCitiesError):  # a slip Python itself reported
        kind = type(error).__name__
        return f"{str(error) or kind} ({kind}); check the values, operators and filters on this line"
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, UnknownName) and not error.hinted and error.owner is not missing:
        message = _unknown_attribute(error, written)
    elif isinstance(error, jinja2.UndefinedError) and not getattr(error, "hinted", False):
        message += f"; names available: {', '.join(sorted(context))}"
        if isinstance(error, UnknownName) and (close := _close(error.name, list(context))):
            message += f"; did you mean {_either(close)}?"
    elif isinstance(error, jinja2.exceptions.SecurityError):
        message = f"{message.rstrip('.')}; templates read data and place it, and nothing more"
    return message


def _unknown_attribute(error: UnknownName, written: str) -> str:
    """`'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?`: the name as written on the
    line (found by its last part), and the nearest of the names that what it was looked up in has."""
    name, owner = str(error.name), error.owner
    prefix, rest = _as_written(written, name)
    path = ".".join([*prefix, name])
    keys = sorted(PLACEABLE_ATTRIBUTES) if isinstance(owner, FigureRef) else []
    if isinstance(owner, dict):
        keys = [str(key) for key in owner]
    close = _close(name, keys)
    if close:
        suggested = [
            ".".join([*prefix, key, *rest]) if _leads(owner, [key, *rest]) else ".".join([*prefix, key])
            for key in close
        ]
        return f"'{path}' is undefined; did you mean {_either(suggested)}?"
    where = ".".join(prefix) or "it"
    has = f"{where} has {_listed(keys)}" if keys else f"{where} has no names to look up"
    figures = isinstance(owner, dict) and any(isinstance(value, FigureRef | dict) for value in owner.values())
    listing = (
        "; `generate.py check --list` lists every figure" if figures and prefix[:1] == ["figures"] else ""
    )
    return f"'{path}' is undefined; {has}{listing}"


def _as_written(written: str, name: str) -> tuple[list[str], list[str]]:
    """The dotted names before and after `name` in the first dotted expression on the line that has it as
    one of its later parts (`figures.group.gvaa.year` for `gvaa`: figures, group and year)."""
    for found in re.finditer(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", written):
        parts = found.group().split(".")
        if name in parts[1:]:
            at = parts.index(name, 1)
            return parts[:at], parts[at + 1 :]
    return [], []


def _leads(owner: Any, parts: list[str]) -> bool:
    """Whether looking up `parts` one after the other from `owner` finds something."""
    for part in parts:
        if isinstance(owner, dict) and part in owner:
            owner = owner[part]
        elif isinstance(owner, FigureRef) and part in PLACEABLE_ATTRIBUTES:
            return part == parts[-1]
        else:
            return False
    return True


def _close(name: Any, names: list[str]) -> list[str]:
    return get_close_matches(str(name), names, n=3, cutoff=0.6)


def _either(names: list[str]) -> str:
    shown = [f"`{name}`" for name in names]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _listed(names: list[str], most: int = 12) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
