"""Validate parsed YAML against a pydantic schema, reporting every problem at once, and the base of every
schema: strict about types, unknown keys reported as warnings.

Every problem is a line `file:line: path: what is wrong`, so a person can go straight to it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
)

from keycities.data.yaml_lines import Located, PathKey
from keycities.errors import DataError
from keycities.text_rules import text_problem

ModelT = TypeVar("ModelT", bound=BaseModel)
Language = Literal["en-GB", "cy"]  # the languages documents are written in: English and Welsh


def validate(model: type[ModelT], located: Located) -> tuple[ModelT | None, list[str], list[str]]:
    """Validate against `model`: (the model or None, errors, unknown-key warnings), all located."""
    if not isinstance(located.data, dict):
        return (
            None,
            [f"{located.label}:1: (top level): expected a mapping of keys, got {_shown(located.data)}"],
            [],
        )
    try:
        result = model.model_validate(located.data)
    except ValidationError as error:
        errors = [_describe(located, problem) for problem in error.errors(include_url=False)]
        return None, located.problems + errors, list(unknown_keys(located, model, located.data))
    return (
        (None if located.problems else result),
        located.problems,
        list(unknown_keys(located, model, located.data)),
    )


def unknown_keys(located: Located, model: type[BaseModel], data: Any, path: PathKey = ()) -> Iterator[str]:
    """A warning for every key the schema does not know, with the likely intended key."""
    if not isinstance(data, dict):
        return
    fields = model.model_fields
    known = {name for name in fields} | {f.alias for f in fields.values() if f.alias}
    for key, value in data.items():
        key_path = (*path, str(key))
        if key not in known:
            guess = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; known keys: {', '.join(sorted(known))}"
            yield f"{located.where(key_path)}: unknown key '{key}' (ignored){hint}"
            continue
        yield from _unknown_in_value(located, fields[str(key)].annotation, value, key_path)


def _unknown_in_value(located: Located, annotation: Any, value: Any, path: PathKey) -> Iterator[str]:
    for candidate in _models_in(annotation):
        if isinstance(value, dict) and not _is_mapping_of_models(annotation):
            yield from unknown_keys(located, candidate, value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from unknown_keys(located, candidate, item, (*path, str(key)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from unknown_keys(located, candidate, item, (*path, index))
        return


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in getattr(annotation, "__args__", ()):
        found += _models_in(argument)
    return found


def _is_mapping_of_models(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is dict


def _describe(located: Located, problem: Any) -> str:
    """One pydantic problem as `file:line: path: what`, in words a person can act on."""
    path = _real_path(located.data, problem["loc"])
    kind, value = problem["type"], problem.get("input")
    if kind == "missing":
        return f"{located.where(path[:-1])}: missing required key '{path[-1]}'"
    if path and path[-1] == "value" and _scalar_at(located.data, path[:-1]):
        path = path[:-1]  # a bare figure is written without its `value:` key
    context = problem.get("ctx") or {}
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        expected = "a whole number" if kind.startswith("int") else "a number"
        what = f"expected {expected}, got {_shown(value)}"
    elif kind in {"greater_than", "greater_than_equal"}:
        bound = (
            f"more than {context.get('gt')}" if kind == "greater_than" else f"at least {context.get('ge')}"
        )
        what = f"must be {bound}, got {_shown(value)}"
    elif kind in {"less_than", "less_than_equal"}:
        bound = f"less than {context.get('lt')}" if kind == "less_than" else f"at most {context.get('le')}"
        what = f"must be {bound}, got {_shown(value)}"
    elif kind == "finite_number":
        what = f"must be a finite number, got {_shown(value)}"
    elif kind in {"string_type", "string_too_short"}:
        what = f"expected text, got {_shown(value)}"
    elif kind == "literal_error":
        what = f"expected {context.get('expected')}, got {_shown(value)}"
    elif kind == "too_short":
        least = context.get("min_length", 1)
        what = "must not be empty" if least == 1 else f"needs at least {least} items, got {len(value)}"
    elif kind in {"date_type", "date_from_datetime_parsing", "date_parsing"}:
        hint = "; remove the quotes around it" if isinstance(value, str) and _is_date(value) else ""
        what = f"expected a date like 2019-02-04, got {_shown(value)}{hint}"
    elif kind in {"list_type", "dict_type", "model_type", "model_attributes_type"}:
        expected = "a list" if kind == "list_type" else "a mapping of keys"
        what = f"expected {expected}, got {_shown(value)}"
    elif kind == "string_pattern_mismatch" and context.get("pattern") == r"^[a-z0-9]+(-[a-z0-9]+)*$":
        what = f"expected lowercase words joined by hyphens, e.g. leader-hull, got {_shown(value)}"
    elif kind == "string_pattern_mismatch" and str(context.get("pattern", "")).startswith("^recipients/"):
        what = f"expected a file in recipients/ ending .csv or .yaml, got {_shown(value)}"
    elif kind == "value_error":
        what = str(problem["msg"]).removeprefix("Value error, ")
    else:
        what = f"{problem['msg']}, got {_shown(value)}"
    return f"{located.where(path)}: {what}"


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _real_path(data: Any, loc: tuple[str | int, ...]) -> PathKey:
    """pydantic's location without the union branches it names (`float`, `function-before[...]`):
    a part is kept when the data has it as a key or index, or when it names no branch."""
    path: list[str | int] = []
    for part in loc:
        has_key = isinstance(data, dict) and part in data
        has_index = isinstance(data, list) and isinstance(part, int) and part < len(data)
        branch = isinstance(part, str) and (part in {"float", "int", "str", "date", "list"} or "[" in part)
        if has_key or has_index:
            data = data[part]
        elif branch:
            continue
        else:
            data = None
        path.append(part)
    return tuple(path)


def _scalar_at(data: Any, path: PathKey) -> bool:
    """Whether the value at `path` was written bare (not as a mapping with its own keys)."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    return not isinstance(data, dict)


def _shown(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def raise_if_any(errors: list[str], warnings: list[str], strict: bool) -> None:
    """Raise DataError for errors (and for warnings under --strict), carrying the warnings too."""
    if strict:
        errors, warnings = errors + [f"{warning} [an error under --strict]" for warning in warnings], []
    if errors:
        raise DataError(sorted(errors, key=_line_of), warnings)


def _line_of(problem: str) -> int:
    """The line number of a `file:line: ...` problem, to list problems in file order."""
    parts = problem.split(":", 2)
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0


def check_unique(
    located: Located, items: list[tuple[int, dict[str, Any]]], key: str, list_path: PathKey
) -> list[str]:
    """A located problem for each item whose `key` repeats an earlier item's."""
    first_seen: dict[str, int] = {}
    problems = []
    for index, item in items:
        value = item.get(key)
        if not isinstance(value, str | int):
            continue
        if str(value) in first_seen:
            first = located.line((*list_path, first_seen[str(value)], key))
            problems.append(
                f"{located.where((*list_path, index, key))}: duplicate {key} '{value}' "
                f"(first used on line {first}); each must be unique"
            )
        else:
            first_seen[str(value)] = index
    return problems


def _one_line(text: str) -> str:
    if problem := text_problem(text):
        raise ValueError(problem)
    return text


# Text that becomes a mail header or a line of an address block (a name, a subject, an address line):
# refused when loaded, with its file and line, rather than when a letter is mailed.
HeaderText = Annotated[str, AfterValidator(_one_line)]


class Model(BaseModel):
    """Strict about types (no '6.4' where a number belongs); unknown keys are reported as warnings."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
