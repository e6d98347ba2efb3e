"""README.md documents every command and every setting: the docs cannot drift from the code
(as Datasette's tests/test_docs.py does). A failure lists what README.md is missing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from pydantic import AliasChoices

from issuer.cli.main import main as cli_main
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
    commands = command_lines(cli_main)
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
    commands = set(command_lines(cli_main))
    groups = {f"issuer {name}" for name, command in cli_main.commands.items()
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
    return {int(match.group(1)): text[match.start():end]
            for match, end in zip(headings, ends, strict=True)}


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


# -- docs/ARCHITECTURE.md: every module listed, the layer rule holds ----------------------------

ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
# Alembic revision scripts: `alembic history` lists them, one per schema change.
NOT_MODULES = ("storage/migrations/versions/",)


def package_paths() -> list[str]:
    """Every module (`verification/ob2/signed.py`) and package (`verification/ob2/`) of issuer/,
    by its path inside issuer/."""
    paths = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(NOT_MODULES) or relative == "__init__.py":
            continue
        if path.name == "__init__.py":
            paths.append(relative.removesuffix("__init__.py"))
        else:
            paths.append(relative)
    folders = {path.relative_to(PACKAGE).parent.as_posix() + "/"
               for path in PACKAGE.rglob("*.py") if path.parent != PACKAGE}
    return sorted(set(paths) | {folder for folder in folders if not folder.startswith(NOT_MODULES)})


def test_architecture_lists_every_module_and_package() -> None:
    text = ARCHITECTURE.read_text("utf-8")
    paths = package_paths()
    assert "openbadges/canonical.py" in paths and "openbadges/verification/ob2/" in paths
    assert "web/admin/auth.py" in paths
    missing = [path for path in paths
               if not re.search(r"(?<![\w/.-])" + re.escape(path) + r"(?![\w-])", text)]
    assert not missing, f"docs/ARCHITECTURE.md does not list: {', '.join(missing)}"


def module_name(path: Path) -> str:
    parts = path.with_suffix("").relative_to(ROOT).parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Absolute names of what a module imports (relative imports resolved), at any depth in it:
    imports inside functions count too."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[:len(package) - node.level + 1], *filter(None, [base])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@pytest.fixture(scope="module")
def import_graph() -> dict[str, set[str]]:
    """issuer module -> the issuer modules and outside packages it imports."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")
               if "versions" not in path.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path):
            if imported.split(".")[0] != "issuer":
                targets.add(imported.split(".")[0])
                continue
            parts = imported.split(".")  # `from issuer.web import app`: the longest module
            while parts and ".".join(parts) not in modules:
                parts.pop()
            targets.add(".".join(parts))
        graph[name] = targets - {name}
    return graph


CORE = ("openbadges", "names", "errors", "tokens", "one_time_links")
FRAMEWORKS = {"fastapi", "starlette", "jinja2", "uvicorn", "sqlalchemy", "alembic", "psycopg"}
ABOVE_CORE = ("issuer.storage", "issuer.web", "issuer.issuance", "issuer.cli", "issuer.workspace",
              "issuer.network", "issuer.mail", "issuer.presentation", "issuer.settings")
# Web modules that query the database themselves: none since issue 11 moved their queries into
# the domain packages; a new one fails the test below.
WEB_MODULES_WITH_QUERIES: set[str] = set()


def test_the_core_imports_no_web_framework_and_no_database(
        import_graph: dict[str, set[str]]) -> None:
    text = ARCHITECTURE.read_text("utf-8")
    for name in CORE:  # the rule as ARCHITECTURE.md states it names the same modules
        assert f"{name}.py" in text or f"{name}/" in text, name
    core = [module for module in import_graph
            if module.removeprefix("issuer.").split(".")[0] in CORE]
    assert "issuer.openbadges.verification.ob2.signed" in core
    breaches = []
    for start in core:
        seen, todo = {start}, [start]
        while todo:
            module = todo.pop()
            for target in import_graph[module]:
                if target in FRAMEWORKS or target.startswith(ABOVE_CORE):
                    breaches.append(f"{start} (through {module}) imports {target}")
                elif target in import_graph and target not in seen:
                    seen.add(target)
                    todo.append(target)
    assert not breaches, "\n".join(sorted(set(breaches)))


def test_web_and_cli_leave_queries_to_domain_services(import_graph: dict[str, set[str]]) -> None:
    querying = {module for module, targets in import_graph.items()
                if module.startswith(("issuer.web", "issuer.cli"))
                and any(target == "sqlalchemy" or target.startswith("issuer.storage")
                        for target in targets)}
    assert not querying - WEB_MODULES_WITH_QUERIES, (
        f"call a domain service instead of querying: {sorted(querying - WEB_MODULES_WITH_QUERIES)}")
    assert not WEB_MODULES_WITH_QUERIES - querying, (
        "no longer queries the database: remove from WEB_MODULES_WITH_QUERIES: "
        f"{sorted(WEB_MODULES_WITH_QUERIES - querying)}")


# -- docs/DEPLOYMENT.md: the commands it gives exist; every periodic one has its cron line -------

def help_text(command_line: str) -> str:
    command: click.Command = cli_main
    for name in command_line.split()[1:]:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command.help or ""


def test_deployment_names_only_commands_that_exist_and_schedules_the_periodic_ones() -> None:
    text = (ROOT / "docs" / "DEPLOYMENT.md").read_text("utf-8")
    commands = set(command_lines(cli_main))
    named = {"issuer " + " ".join(match.split()) for match in re.findall(
        r"(?:badges-issuer|bin/issuer|`issuer) ((?:(?:db|keys|mail|admin|council)\s+)?[a-z][a-z-]*)", text)}
    assert {"issuer db upgrade", "issuer purge", "issuer mail retry"} <= named
    assert not named - commands, f"DEPLOYMENT.md names: {sorted(named - commands)}"
    cron = text.split("```cron", 1)[1].split("```", 1)[0]
    periodic = [line for line in sorted(commands) if "cron" in help_text(line)]
    assert "issuer purge" in periodic and "issuer mail retry" in periodic
    unscheduled = [line for line in periodic
                   if line.replace("issuer", "badges-issuer", 1) not in cron]
    assert not unscheduled, f"no cron line in DEPLOYMENT.md for: {unscheduled}"
