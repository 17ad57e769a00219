"""The folders are the pipeline: data -> figures -> compose -> render -> build -> mail. These tests read the
package's source and hold it to the import rules the README's design section states."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "keycities"
STAGES = ("data", "figures", "compose", "render", "build", "mail")
# Writing a file, or removing one: only the build and mail stages may, and imports (the data files).
WRITES = re.compile(
    r"\.write_text\(|\.write_bytes\(|write_atomic\(|os\.replace\(|\.unlink\(|\.rmdir\(|\.mkdir\("
    r"|shutil\.|open\([^)]*['\"][wax]b?['\"]"
)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (`keycities.build.pipeline`)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def unit(module: str) -> str:
    """A stage package (`build`) or a top-level module (`cli`), for a module's dotted name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "keycities"


def imports(path: Path) -> set[str]:
    """The keycities modules a file imports, anywhere in it (lazy imports inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keycities"):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names if node.module == "keycities"}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("keycities")}
    return found


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules().items():
        for imported in imports(path):
            if imported != "keycities" and unit(imported) != unit(name):
                graph[unit(name)].add(unit(imported))
    return graph


def test_every_stage_is_a_package_and_the_top_level_is_small() -> None:
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), f"no package {stage}/"
    top = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")
    assert len(top) <= 6, f"too many top-level modules: {top}"


def test_no_module_is_much_over_400_lines() -> None:
    long = {
        name: count
        for name, path in modules().items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 430
    }
    assert not long, f"split these by concept: {long}"


def test_there_are_no_cycles_between_packages() -> None:
    graph = unit_graph()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(unit_name for unit_name in list(graph) if reaches(unit_name, unit_name, {unit_name}))
    assert not cycles, f"these take part in an import cycle: {cycles}; {dict(graph)}"


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("render", "data"),  # renderers see documents, never the project's data
        ("render", "build"),
        ("render", "mail"),
        ("data", "figures"),  # each stage imports only those before it
        ("data", "compose"),
        ("figures", "compose"),
        ("compose", "build"),
        ("build", "mail"),  # the manifest is the contract: mail reads it, build never reads mail
    ],
)
def test_a_stage_does_not_import_a_later_one(importer: str, forbidden: str) -> None:
    graph = unit_graph()
    assert forbidden not in graph.get(importer, set()), f"{importer}/ imports {forbidden}/"


def test_the_live_preview_uses_only_the_stages_that_make_documents() -> None:
    """serve/ composes and renders as a build does (data, figures, compose, render) but writes nothing, so
    it needs neither build/ nor mail/; only the command line starts it."""
    graph = unit_graph()
    assert graph["serve"] <= {"data", "figures", "compose", "render", "errors", "formatting"}, graph["serve"]
    users = sorted(unit_name for unit_name, imported in graph.items() if "serve" in imported)
    assert users == ["cli"], users


def test_only_the_command_line_imports_click() -> None:
    users = [
        name
        for name, path in modules().items()
        if re.search(r"^\s*(import|from) click\b", path.read_text(), re.M)
    ]
    assert users and all(user.split(".")[:2] == ["keycities", "cli"] for user in users), users


def test_only_build_and_mail_write_files() -> None:
    writers = [
        name
        for name, path in modules().items()
        if unit(name) not in ("build", "mail", "imports") and WRITES.search(path.read_text(encoding="utf-8"))
    ]
    assert not writers, f"only build/, mail/ and imports/ may write or remove files: {writers}"
