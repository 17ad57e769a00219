"""Limits on one run of a document's templates: its time, its memory, and the size of what one expression
may make (a range, a repeated text or list, a number, a width) and of the document's text.

Templates are written by people, and a slip (a loop inside a loop, a macro that calls itself, `**` for
`*`) must fail that one document with a message naming its line, not hang the build or take the
machine's memory. Each limit is far above what the shipped templates use.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import resource
import signal
import string
import threading
import time
import types
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jinja2

# `%` formats: a conversion, with its width and precision (`*` takes them from the values).
PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")


WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})  # of text: pad to a width


@dataclass(frozen=True)
class Limits:
    """How far one document's templates may go."""

    seconds: float = 10.0  # a run, charts apart: the shipped templates take under 0.03 s
    memory_mb: int = 1024  # on top of what the tool holds when a run starts: the shipped add under 1
    items: int = 10_000  # in a range, a repeated list, a batch or a slice: the group has 24 members
    characters: int = 200_000  # in a repeated text and in a document's text: the longest shipped is 4,348
    digits: int = 1_000  # in a number made by `**` or `*`: the data's largest figure has 13
    width: int = 1_000  # of a format's field, or for center, indent and wordwrap: a line has under 100


LIMITS = Limits()  # looked up at every run, so that tests can lower it


class LimitError(jinja2.TemplateRuntimeError):
    """A template went past one of the limits; the message says which, and what to do."""


@contextmanager
def within_limits() -> Iterator[None]:
    """Run the body under the time and memory limits; memory running out becomes a LimitError that keeps the
    place it happened (the template's line)."""
    limits = LIMITS
    try:
        with _memory_bound(limits.memory_mb), _time_bound(limits.seconds):
            yield
    except MemoryError as error:
        raise LimitError(
            f"the template needed more than {limits.memory_mb:,} MB of memory; look for text or lists "
            "that grow without end"
        ).with_traceback(error.__traceback__) from None


@contextmanager
def _time_bound(seconds: float) -> Iterator[None]:
    """A LimitError raised wherever the run is after `seconds`: an alarm, since only the main thread
    receives signals (the CLI composes there; elsewhere, only the memory and size limits apply)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: types.FrameType | None) -> None:
        raise LimitError(
            f"the template ran for more than {seconds:g} s; look for a loop or a macro that does not end"
        )

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expired)
    earlier, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:  # reached even when the alarm goes off while the timer above is being stopped
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if earlier:  # an alarm set before (by a test runner, say) gets the time it had left
            left = max(earlier - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, interval)


@contextmanager
def _memory_bound(megabytes: int) -> Iterator[None]:
    """The process's data segment capped at what it holds now plus `megabytes`, so that an allocation past
    it raises MemoryError instead of taking the machine's memory. Linux only: elsewhere the time and size
    limits still apply."""
    status = Path("/proc/self/status")
    found = re.search(r"^VmData:\s+(\d+) kB", status.read_text(), re.MULTILINE) if status.is_file() else None
    if found is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    bound = int(found[1]) * 1024 + megabytes * 2**20
    for limit in (soft, hard):  # never loosen a limit set from outside
        if limit != resource.RLIM_INFINITY:
            bound = min(bound, limit)
    resource.setrlimit(resource.RLIMIT_DATA, (bound, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def text_of(template: jinja2.Template, context: dict[str, Any]) -> str:
    """The template filled in, stopped once its text passes the limit."""
    limits = LIMITS
    chunks: list[str] = []
    size = 0
    # A generator, though Jinja types it as an iterator: a limit reached out here is thrown into it.
    output = cast(Generator[str, None, None], template.generate(context))
    try:
        for chunk in output:
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.characters:
                raise LimitError(
                    f"the document's text passed {limits.characters:,} characters; look for a loop that "
                    "writes too much"
                )
    except LimitError as error:
        if inspect.getgeneratorstate(output) != inspect.GEN_SUSPENDED:
            raise  # raised by the template itself, at its line
        # Reached here (the text too long, or the time up between two pieces of text): thrown into the
        # template where it stands, which raises it again from there, so that the message names that line.
        output.throw(error)
    return "".join(chunks)


def bounded_range(*args: int) -> range:
    """Python's `range`, for at most the limit's number of items."""
    numbers = range(*args)
    if numbers[LIMITS.items :]:  # anything past the limit (len() itself overflows on a huge range)
        raise LimitError(f"a range of more than {LIMITS.items:,} items; loop over the data instead")
    return numbers


def check_operation(operator: str, left: Any, right: Any) -> None:
    """Refuse a `**`, `*` or `%` whose result would be too big to make, before Python tries."""
    limits = LIMITS
    if operator == "**" and _whole(left) and _whole(right) and right > 0 and abs(left) > 1:
        if right > limits.digits / math.log10(abs(left)):  # compared so, a huge exponent cannot overflow
            raise LimitError(_digits_message(limits))
    elif operator == "*":
        if _whole(left) and _whole(right):
            if (left.bit_length() + right.bit_length()) * math.log10(2) > limits.digits:
                raise LimitError(_digits_message(limits))
            return
        sequence, count = (left, right) if _whole(right) else (right, left)
        if not _whole(count):
            return
        if isinstance(sequence, str) and len(sequence) * count > limits.characters:
            raise LimitError(f"text of more than {limits.characters:,} characters; repeat it fewer times")
        if isinstance(sequence, list | tuple) and len(sequence) * count > limits.items:
            raise LimitError(f"a list of more than {limits.items:,} items; repeat it fewer times")
    elif operator == "%" and isinstance(left, str):
        check_percent_format(left)


def check_percent_format(text: str) -> None:
    """Refuse a `%` format (the `%` operator, the `format` filter) with a width or precision past the
    limit, or taken from the values."""
    for field in PERCENT_FIELD.finditer(text):
        for size in field.groups():
            if size == "*":
                raise LimitError(f"a width taken from the values ({field[0]}); write the width in the format")
            if size and int(size) > LIMITS.width:
                raise LimitError(_width_message(field[0]))


def check_format(text: str) -> None:
    """Refuse a `str.format` text with a width or precision past the limit, or taken from the values."""
    for _, name, spec, _ in string.Formatter().parse(text):
        if name is None or not spec:
            continue
        if "{" in spec:
            raise LimitError(f"a width taken from the values ({{{name}:{spec}}}); write the width instead")
        if any(int(size) > LIMITS.width for size in re.findall(r"\d+", spec)):
            raise LimitError(_width_message(f"{{{name}:{spec}}}"))


def check_call(function: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse a call of a text's padding method (`center`, `ljust`, `zfill`...) to a width past the limit."""
    padding = (
        isinstance(function, types.BuiltinMethodType)
        and isinstance(function.__self__, str)
        and function.__name__ in WIDTH_METHODS
    )
    for size in (*args, *kwargs.values()) if padding else ():
        _check_width(size, f".{function.__name__}()")


def bounded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's filters that take a width, a count or a format, with it checked against the limits first."""

    def width(name: str) -> Callable[[Any], None]:
        return lambda size: _check_width(size, f"| {name}")

    def count(name: str) -> Callable[[Any], None]:
        def check(size: Any) -> None:
            if _whole(size) and size > LIMITS.items:
                raise LimitError(f"| {name} of more than {LIMITS.items:,}; use a smaller number")

        return check

    def percent_format(text: Any) -> None:
        if isinstance(text, str):
            check_percent_format(text)

    checks = {
        "center": ("width", width("center")),
        "indent": ("width", width("indent")),
        "wordwrap": ("width", width("wordwrap")),
        "batch": ("linecount", count("batch")),
        "slice": ("slices", count("slice")),
        "format": ("value", percent_format),
    }
    return {name: _checked(filters[name], argument, check) for name, (argument, check) in checks.items()}


def _checked(function: Callable[..., Any], argument: str, check: Callable[[Any], None]) -> Callable[..., Any]:
    """`function`, with its argument `argument` checked before it runs (Jinja's marks, such as
    pass_environment, kept)."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        given = signature.bind(*args, **kwargs).arguments
        if argument in given:
            check(given[argument])
        return function(*args, **kwargs)

    return checked


def _check_width(size: Any, where: str) -> None:
    length = len(size) if isinstance(size, str) else size  # indent takes its indentation as text too
    if _whole(length) and length > LIMITS.width:
        raise LimitError(_width_message(where))


def _whole(value: Any) -> bool:
    return isinstance(value, int)


def _digits_message(limits: Limits) -> str:
    return (
        f"a number of more than {limits.digits:,} digits; templates place figures, they do not compute "
        "them (add the figure to figures.py)"
    )


def _width_message(where: str) -> str:
    return f"a width of more than {LIMITS.width:,} characters ({where}); use a smaller width"
