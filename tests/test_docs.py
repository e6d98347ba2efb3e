"""README.md documents every command and every setting: the docs cannot drift from the code
(as Datasette's tests/test_docs.py does). A failure lists what README.md is missing."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from pydantic import AliasChoices

from issuer import cli
from issuer.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "issuer"


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text("utf-8")


def command_lines(group: click.Group, prefix: tuple[str, ...] = ()) -> list[str]:
    """`issuer init`, `issuer keys rotate`...: every command a person can run (groups excluded)."""
    found: list[str] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(command_lines(command, (*prefix, name)))
        else:
            found.append(" ".join(("issuer", *prefix, name)))
    return found


def variable_names(field_name: str) -> list[str]:
    """The environment variable(s) that set a Settings field."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"ISSUER_{field_name.upper()}"]


def mentions(readme: str, name: str) -> bool:
    # `issuer issue` must be there by itself, not only inside `issuer issue-batch`.
    return re.search(re.escape(name) + r"(?![\w-])", readme) is not None


def test_every_command_is_in_the_readme(readme: str) -> None:
    commands = command_lines(cli.main)
    assert "issuer issue-batch" in commands and "issuer keys rotate" in commands
    missing = [command for command in commands if not mentions(readme, command)]
    assert not missing, f"README.md does not mention these commands: {', '.join(missing)}"


def test_every_setting_is_in_the_readme(readme: str) -> None:
    assert "base_url" in Settings.model_fields
    missing = [" or ".join(variable_names(field)) for field in Settings.model_fields
               if not any(mentions(readme, name) for name in variable_names(field))]
    assert not missing, f"README.md does not mention these settings: {', '.join(missing)}"


def test_every_environment_variable_the_code_reads_is_in_the_readme(readme: str) -> None:
    """Variables outside Settings too (ISSUER_LANG, private keys from the environment...)."""
    settings_variables = {name for field in Settings.model_fields for name in variable_names(field)}
    read = {match for path in PACKAGE.rglob("*.py")
            for match in re.findall(r"[\"'](ISSUER_[A-Z0-9_]+)[\"']", path.read_text("utf-8"))}
    assert "ISSUER_LANG" in read and "ISSUER_ED25519_PRIVATE_KEY" in read
    undocumented = sorted(name for name in read - settings_variables if not mentions(readme, name))
    assert not undocumented, (
        f"README.md does not mention these environment variables: {', '.join(undocumented)}")


def test_readme_names_no_command_that_does_not_exist(readme: str) -> None:
    commands = set(command_lines(cli.main))
    groups = {f"issuer {name}" for name, command in cli.main.commands.items()
              if isinstance(command, click.Group)}
    named = set(re.findall(r"`(issuer (?:keys )?[a-z][a-z-]*)", readme))
    unknown = sorted(named - commands - groups)
    assert not unknown, f"README.md names commands that do not exist: {', '.join(unknown)}"
