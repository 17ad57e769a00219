"""Load YAML with line numbers and validate it against a schema, reporting every problem at once.

Every problem is a line `file:line: path: what is wrong`, so a person can go straight to it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from keycities.errors import DataError

PathKey = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)
# The project's input folders: a file read from one must stay inside it, links followed.
INPUT_FOLDERS = ("letters", "templates", "cities", "assets", "recipients")
# Limits no data file comes near (cities.yaml: about 1,400 values, 7 levels deep, no aliases), so that an
# alias bomb or runaway nesting stops at once instead of running for minutes or exhausting memory: the
# lines, the schema and the unknown-key check all walk the tree with its aliases expanded.
MAX_VALUES = 100_000  # keys and values, aliases expanded: about 4,000 recipient records, read in 4 s
MAX_DEPTH = 100  # levels of nesting, counting those an alias stands for
MAX_ALIASES = 10_000  # one per record for a shared address still fits


@dataclass
class Located:
    """Parsed YAML plus the line of every key and list item, by path."""

    file: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # found while reading: repeated keys

    def line(self, path: PathKey) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def where(self, path: PathKey) -> str:
        """`file:line: path` for a message."""
        return f"{self.label}:{self.line(path)}: {dotted(path) or '(top level)'}"

    @property
    def label(self) -> str:
        """The file as messages name it: `cities.yaml`, `letters/cities-in-action.md`."""
        return label(self.file)


def label(file: Path) -> str:
    """A file as messages name it: its path when given relative to the project, else its name."""
    return file.name if file.is_absolute() else str(file)


def dotted(path: Iterable[str | int]) -> str:
    """`members[3].figures.gva` from ('members', 3, 'figures', 'gva')."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_yaml(file: Path, root: Path | None = None) -> Located:
    """Parse a YAML file, keeping the line of every key; malformed YAML is a DataError with its place.
    With `root`, the file (links followed) must be inside that folder."""
    return parse_yaml(read_text(file, root), file)


def resolve_inside(root: Path, path: Path) -> Path:
    """`path` with its links followed, when it stays inside `root`; else a DataError naming the link and
    where it points. Every file the tool reads from a project's input folders goes through here."""
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError):  # links that lead round in a circle (Python 3.11 raises RuntimeError)
        raise DataError(
            [f"{label_in(root, path)}: a link that leads back to itself; replace it with the file"]
        ) from None
    if resolved.is_relative_to(root.resolve()):
        return resolved
    link, target = _first_link(path)
    shown = label_in(root, path)
    where = f"{root.name}/" if root.name in INPUT_FOLDERS else "the project folder"
    if link is None:
        raise DataError([f"{shown}: leads out of {where} (to {resolved}); keep the file inside {where}"])
    raise DataError(
        [
            f"{label_in(root, link)}: a link to {target}, which is outside {where}; replace the link with a "
            "copy of the file, inside the folder"
        ]
    )


def _first_link(path: Path) -> tuple[Path | None, str]:
    """The first part of `path` that is a symbolic link, and what it points to."""
    current = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        current = current / part
        if current.is_symlink():
            return current, os.readlink(current)
    return None, ""


def label_in(root: Path, path: Path) -> str:
    """`path` as messages name it: relative to the project (`letters/x.md`) when it is under `root`."""
    project = root.parent if root.name in INPUT_FOLDERS else root
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def read_text(file: Path, root: Path | None = None) -> str:
    """A UTF-8 text file, or a DataError saying what to do; with `root`, the file (links followed) must be
    inside that folder."""
    if root is not None:
        file_read = resolve_inside(root, file)
        shown = Path(label_in(root, file))
    else:
        file_read, shown = file, file
    try:
        text = file_read.read_text(encoding="utf-8")
    except FileNotFoundError:  # named in full: the likely mistake is the project folder itself
        raise DataError([f"{file}: file not found; create it or pass the right project folder"]) from None
    except IsADirectoryError:
        raise DataError([f"{shown}: a folder where a file belongs; put the file there instead"]) from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise DataError(
            [f"{label(shown)}:{line}: not UTF-8 text ({error.reason}); save it as UTF-8"]
        ) from None
    except OSError as error:
        raise DataError([f"{shown}: cannot be read ({error.strerror}); check the file"]) from None
    return text


def parse_yaml(text: str, file: Path, first_line: int = 1) -> Located:
    """Parse YAML text that starts on `first_line` of `file` (front matter starts below its `---`)."""
    node: yaml.Node | None = None
    try:  # one parse: the node tree gives the lines, the same tree gives the data
        loader = _BoundedLoader(text)  # checks the characters: may raise a ReaderError
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        place = f"{mark.line + first_line}:{mark.column + 1}" if mark else str(first_line)
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise DataError([f"{label(file)}:{place}: invalid YAML: {problem}"]) from None
    except yaml.YAMLError as error:  # not marked: a character YAML does not allow, say
        position = getattr(error, "position", 0)
        line = text.count("\n", 0, position) + first_line
        raise DataError(
            [f"{label(file)}:{line}: invalid YAML: {error}; remove the character or fix the text"]
        ) from None
    except _TooLarge as error:
        raise DataError([f"{label(file)}:{error.line + first_line}: {error.what}"]) from None
    except ValueError:
        raise DataError([_impossible_date(node, file, first_line)]) from None
    located = Located(file, data)
    if node is not None:
        _record_lines(node, (), located, first_line - 1)
    return located


class _TooLarge(Exception):
    """A YAML file past one of the limits, on the (0-based) line where it was passed."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line, self.what = line, what


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, counting as it composes the tree what the tree holds with its aliases expanded,
    and stopping at the limits before anything walks it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0  # of the node being composed
        self.deepest = 0  # reached under it, aliases expanded
        self.values = 0
        self.aliases = 0
        self.expanded: dict[int, tuple[int, int]] = {}  # an anchored node's (values, levels), by id

    # The scanner looks ahead up to 1,024 characters for a key, over every open bracket: stopping the
    # nesting as it is read keeps a line of ten thousand brackets from taking seconds.
    def fetch_flow_collection_start(self, token_class: Any) -> None:
        """Open a bracket (`[` or `{`), within the limit."""
        self._check_nesting()
        super().fetch_flow_collection_start(token_class)

    def add_indent(self, column: int) -> bool:
        """Open a block level (a mapping or list on its own lines), within the limit."""
        added = super().add_indent(column)
        if added:
            self._check_nesting()
        return added

    def _check_nesting(self) -> None:
        if self.flow_level + len(self.indents) >= MAX_DEPTH:
            raise _TooLarge(self.line, self._too_deep(""))

    @staticmethod
    def _too_deep(through: str) -> str:
        return f"nested more than {MAX_DEPTH} levels deep{through}; close the brackets or flatten it"

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """The next node, counted with its aliases expanded; a _TooLarge past a limit."""
        event: yaml.NodeEvent = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        line = event.start_mark.line if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # an unknown anchor is the composer's to report
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _TooLarge(line, f"more than {MAX_ALIASES:,} aliases; write the values out")
            if id(node) not in self.expanded:  # still being composed: the alias is inside its own anchor
                raise _TooLarge(
                    line,
                    f"the alias *{event.anchor} stands inside its own anchor, which makes an endless "
                    "structure; write the value out",
                )
            values, levels = self.expanded[id(node)]
            self._count(line, values, self.depth + levels, f"the alias *{event.anchor}")
            return node
        self.depth += 1
        outer, self.deepest, first = self.deepest, self.depth, self.values
        self._count(line, 1, self.depth, None)
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.expanded[id(node)] = (self.values - first, self.deepest - self.depth + 1)
        self.depth -= 1
        self.deepest = max(outer, self.deepest)
        return node

    def _count(self, line: int, values: int, depth: int, alias: str | None) -> None:
        self.values += values
        self.deepest = max(self.deepest, depth)
        if depth > MAX_DEPTH:
            raise _TooLarge(line, self._too_deep(f" through {alias}" if alias else ""))
        if self.values > MAX_VALUES:
            raise _TooLarge(
                line,
                f"{alias} takes the data past {MAX_VALUES:,} values once aliases are expanded; write the "
                "values out, without aliases of aliases"
                if alias
                else f"more than {MAX_VALUES:,} values; split the data, or keep long lists in a CSV file",
            )


def _impossible_date(node: yaml.Node | None, file: Path, first_line: int) -> str:
    """The message for a date YAML accepts by shape but the calendar does not (2019-02-30)."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode) and current.tag == "tag:yaml.org,2002:timestamp":
            try:
                date.fromisoformat(str(current.value)[:10])
            except ValueError:
                return (
                    f"{label(file)}:{current.start_mark.line + first_line}: no such date "
                    f"{current.value!r}; give a real date like 2019-02-04"
                )
        elif isinstance(current, yaml.MappingNode):
            stack += [value for _, value in reversed(current.value)]
        elif isinstance(current, yaml.SequenceNode):
            stack += list(reversed(current.value))
    return f"{label(file)}:{first_line}: a value could not be read; check the dates and numbers"


def _record_lines(node: yaml.Node, path: PathKey, located: Located, offset: int) -> None:
    lines = located.lines
    lines.setdefault(path, node.start_mark.line + 1 + offset)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1 + offset
            if (*path, key) in lines:
                # YAML keeps the last of repeated keys without a word: a silent overwrite of data.
                located.problems.append(
                    f"{located.label}:{line}: {dotted((*path, key))}: duplicate key '{key}' (first on "
                    f"line {lines[(*path, key)]}); keep one"
                )
                continue
            lines[(*path, key)] = line
            _record_lines(value_node, (*path, key), located, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), located, offset)


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
