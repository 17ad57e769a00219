"""Every command and every `mail` verb has help text and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from keycities.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
MAIL = cli.commands["mail"]
assert isinstance(MAIL, click.Group)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_a_row_in_the_readme(name: str) -> None:
    command = cli.commands[name]
    assert (command.help or "").strip(), f"{name} has no help text"
    assert f"| `{name}" in README, f"the README's Commands table has no row for `{name}`"


@pytest.mark.parametrize("verb", sorted(MAIL.commands))
def test_every_mail_verb_has_help_and_is_in_the_readme(verb: str) -> None:
    command = MAIL.commands[verb]
    assert (command.help or "").strip(), f"mail {verb} has no help text"
    assert f"`mail {verb}" in README, f"the README's Mail-out section does not list `mail {verb}`"
