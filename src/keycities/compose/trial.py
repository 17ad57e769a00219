"""Every template compiled and every document composed as a build would compose it, without rendering and
without drawing charts: how `check` finds every problem in the letters, the pack templates and the members'
own content before anything is built, each said once, in a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

import jinja2

from keycities.compose.composition import Composition
from keycities.compose.letter import Composed
from keycities.compose.placing import charts_left_undrawn
from keycities.compose.problems import BRIEFINGS, said_once
from keycities.compose.sandbox import TEMPLATE_SLIPS, template_error
from keycities.data.letters import Letter, select
from keycities.errors import DataError, KeyCitiesError


@dataclass
class Trial:
    """What composing every document found: its problems (each once), the notices about the documents
    (once for each letter and once for the packs), and how many documents were composed and failed."""

    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    composed: int = 0
    failed: int = 0


def try_every_document(composition: Composition) -> Trial:
    """Compile every template a document may use, then compose each letter for each recipient it goes to
    and each member's pack in each of its languages. A template that does not compile is one problem; a
    problem met in composing is said once with the documents it stops."""
    trial = Trial(problems=compile_problems(composition))
    failed: list[tuple[str, str]] = []
    composed: list[str] = []
    seen: set[str] = set()  # a letter's first recipient and the packs' first member speak for the rest
    with charts_left_undrawn():
        for collection, target, compose in _documents(composition):
            document, first = f"{collection}/{target}", collection not in seen
            seen.add(collection)
            try:
                notices = compose().notices
            except KeyCitiesError as error:
                failed.append((document, str(error)))
                continue
            composed.append(document)
            if first:
                trial.notices += _notices(notices, collection, target)
    trial.composed, trial.failed = len(composed), len(failed)
    known = set(trial.problems)  # a template that does not compile fails every document that uses it
    trial.problems += said_once([(doc, problem) for doc, problem in failed if problem not in known], composed)
    return trial


def _documents(composition: Composition) -> Iterator[tuple[str, str, Callable[[], Composed]]]:
    """(collection, target, compose) for every document a build makes, in the build's order."""
    inputs, composer, briefings = composition.inputs, composition.composer, composition.briefings
    for name, letter in inputs.letters.items():
        for addressee in select(letter, inputs.addressees_of(letter)):
            yield name, addressee.record.id, partial(composer.letter, letter, addressee)
    for slug in inputs.campaign.members:
        for language in briefings.languages(slug):
            target = slug if language == "en-GB" else f"{slug}.cy"
            yield BRIEFINGS, target, partial(briefings.briefing, slug, language)


def _notices(notices: tuple[str, ...], collection: str, target: str) -> list[str]:
    """A document's notices, the packs' said of the packs rather than of the first member's."""
    if collection != BRIEFINGS:
        return list(notices)
    return [notice.replace(f"briefing pack {target} (en-GB)", "briefing packs") for notice in notices]


def compile_problems(composition: Composition) -> list[str]:
    """Every template a document may use, compiled: each letter's body, variant bodies, postscript and
    email, every `.md` file in templates/ (the packs' templates, members' own, included parts) and every
    member's own content. A syntax error, an unknown filter or a file that cannot be read is a problem at
    its line."""
    inputs, environment = composition.inputs, composition.composer.environment
    problems: list[str] = []

    def attempt(shown: str, compile_template: Callable[[], object], line: int | None = None) -> None:
        try:
            compile_template()
        except DataError as error:
            problems.extend(error.problems)
        except (jinja2.TemplateError, *TEMPLATE_SLIPS) as error:
            problems.append(template_error(shown, error, {}, line))

    for letter in inputs.letters.values():
        for body in [letter.body, *letter.variant_bodies.values()]:
            attempt(str(body.file), partial(environment.get_template, str(body.file)))
        for key, source in _one_line_templates(letter):
            line = letter.located.line(key)
            attempt(str(letter.body.file), partial(composition.composer.compiled, source), line)
    templates = inputs.folder / "templates"
    for path in sorted(templates.rglob("*.md")) if templates.is_dir() else []:
        name = path.relative_to(templates).as_posix()
        attempt(f"templates/{name}", partial(environment.get_template, name))
    for content in inputs.local.values():
        attempt(content.template_name, partial(environment.get_template, content.template_name))
    return list(dict.fromkeys(problems))


def _one_line_templates(letter: Letter) -> list[tuple[tuple[str, ...], str]]:
    """The templates a letter's front matter holds, by where: its postscript, its email's subject and body."""
    front = letter.front
    found: list[tuple[tuple[str, ...], str]] = (
        [(("postscript",), front.postscript)] if front.postscript else []
    )
    if front.email:
        found += [(("email", "subject"), front.email.subject), (("email", "body"), front.email.body)]
    return found
