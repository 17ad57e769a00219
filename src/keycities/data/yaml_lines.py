"""YAML with line numbers: every key and list item keeps its line, so every problem can be reported as
`file:line: path: what is wrong`; the loader is bounded (values, aliases, nesting) so that no file can
make it run for minutes or exhaust memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from keycities.data.paths import label, label_in, read_text
from keycities.errors import DataError

PathKey = tuple[str | int, ...]


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


def dotted(path: Iterable[str | int]) -> str:
    """`members[3].figures.gva` from ('members', 3, 'figures', 'gva')."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_yaml(file: Path, root: Path | None = None) -> Located:
    """Parse a YAML file, keeping the line of every key; malformed YAML is a DataError with its place.
    With `root`, the file (links followed) must be inside that folder, and messages name it as the project
    does (`data/ons-gva-la-2021.yaml`)."""
    return parse_yaml(read_text(file, root), Path(label_in(root, file)) if root is not None else file)


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
