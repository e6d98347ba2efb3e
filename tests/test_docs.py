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


# -- docs/VERIFICATION.md: the rules the code cites live in the repository -------------------------

VERIFICATION = ROOT / "docs" / "VERIFICATION.md"
# Every file a person reads to understand the code: sources, templates, tests, tools, docs.
READ_SUFFIXES = {".py", ".md", ".mjs", ".js", ".html", ".txt", ".toml", ".cfg", ".sh", ".ini",
                 ".mako", ".yml", ".yaml"}
SKIPPED_FOLDERS = {"node_modules", ".venv", "__pycache__", ".git", "var", "keys"}
RULE_HEADING = re.compile(r"^### R(\d+) ", re.MULTILINE)
# "VERIFICATION.md R7", "VERIFICATION.md R9, R16", "VERIFICATION.md R5 / R11", "R1 and R17".
CITATION = re.compile(r"VERIFICATION\.md\s+(R\d+(?:\s*(?:,|/|and|et)\s*R\d+)*)")
# Built from parts so that this file does not match itself.
FORBIDDEN = {"a file outside the repository": re.compile("|".join(map(re.escape, (
                 "../" + "shared", "/work/" + "shared", "shared/" + "spec")))),
             "the old rule file": re.compile(r"\b" + "PIT" + r"FALLS\b")}


def project_files() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in ("issuer", "templates", "tests", "bench", "docs", "tools", "scripts", "badges"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in READ_SUFFIXES \
                    and not SKIPPED_FOLDERS.intersection(path.relative_to(ROOT).parts):
                found.append(path)
    return [path for path in found if path.exists()]


@pytest.fixture(scope="module")
def defined_rules() -> dict[int, str]:
    """Rule number -> its section of docs/VERIFICATION.md."""
    text = VERIFICATION.read_text("utf-8")
    headings = list(RULE_HEADING.finditer(text))
    numbers = [int(match.group(1)) for match in headings]
    assert len(numbers) == len(set(numbers)), f"a rule number is defined twice: {sorted(numbers)}"
    ends = [match.start() for match in headings[1:]] + [len(text)]
    return {int(match.group(1)): text[match.start():end] for match, end in zip(headings, ends)}


def cited_rules(text: str) -> list[int]:
    return [int(number) for citation in CITATION.finditer(text)
            for number in re.findall(r"R(\d+)", citation.group(1))]


def test_every_rule_says_why(defined_rules: dict[int, str]) -> None:
    assert set(range(1, 21)) <= set(defined_rules)  # every rule the code cited when this began
    reasonless = [f"R{number}" for number, section in defined_rules.items()
                  if "*Why:*" not in section]
    assert not reasonless, f"VERIFICATION.md rules without a reason (*Why:*): {reasonless}"


def test_the_code_cites_only_rules_that_verification_md_defines(
        defined_rules: dict[int, str]) -> None:
    citations = {path: cited_rules(path.read_text("utf-8")) for path in project_files()}
    assert sum(map(len, citations.values())) > 100  # the pattern does find the citations
    own = cited_rules(VERIFICATION.read_text("utf-8").replace("### R", "VERIFICATION.md R"))
    assert own and set(own) <= set(defined_rules)
    undefined = sorted(f"{path.relative_to(ROOT)}: R{number}" for path, numbers in citations.items()
                       for number in numbers if number not in defined_rules)
    assert not undefined, ("these citations name a rule docs/VERIFICATION.md does not define: "
                           + "; ".join(undefined))


def test_verification_md_refers_only_to_its_own_rules(defined_rules: dict[int, str]) -> None:
    """Inside the file, "(R11)" and "R5" refer to other rules of the same file."""
    referred = {int(number) for number in
                re.findall(r"\bR(\d+)\b", VERIFICATION.read_text("utf-8"))}
    assert not referred - set(defined_rules), sorted(referred - set(defined_rules))


def test_no_file_cites_a_rule_file_outside_the_repository() -> None:
    this_file = Path(__file__).resolve()
    offending = sorted(
        f"{path.relative_to(ROOT)}:{number}: {why}"
        for path in project_files() if path.resolve() != this_file
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        for why, pattern in FORBIDDEN.items() if pattern.search(line))
    assert not offending, ("cite docs/VERIFICATION.md rule numbers (e.g. \"VERIFICATION.md R7\") "
                           "instead:\n" + "\n".join(offending))
