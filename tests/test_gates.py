"""The quality gates of `make test` (README "Tests"): ruff, mypy and the import-linter layer
contracts, each configured in pyproject.toml, must report zero findings. `make lint` runs the
same three tools without pytest. A failure prints the tool's own report."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LINTED = ["issuer", "tests", "bench", "tools"]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    tool = BIN / command[0]
    assert tool.exists(), f"{command[0]} is missing: run pip install -e '.[test]' (or make setup)"
    return subprocess.run([str(tool), *command[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=500, check=False)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_ruff_finds_nothing() -> None:
    result = run(["ruff", "check", "--no-fix", "--output-format", "concise", *LINTED])
    assert result.returncode == 0, report(result)


def test_mypy_finds_nothing_in_the_package() -> None:
    result = run(["mypy"])  # files, strictness and per-library exceptions: pyproject.toml
    assert result.returncode == 0, report(result)
    assert "Success: no issues found" in result.stdout, report(result)


def test_the_import_layer_contracts_are_kept() -> None:
    result = run(["lint-imports", "--no-cache"])
    assert result.returncode == 0, report(result)
    assert "0 broken" in result.stdout, report(result)


def test_every_module_and_package_of_issuer_has_a_layer() -> None:
    """A new module or package of issuer/ must be placed in the layers contract, so that the
    layer rule (and the absence of cycles between packages) keeps covering it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")
    placed = {f"issuer.{name.strip()}" for layer in layers["layers"] for name in layer.split("|")}
    modules = grimp.build_graph("issuer").find_children("issuer")
    assert "issuer.openbadges" in modules and "issuer.web" in modules
    unplaced = sorted(modules - placed)
    assert not unplaced, ("pyproject.toml [tool.importlinter] contract 'layers' does not place: "
                          + ", ".join(unplaced))


def test_the_open_badges_core_is_one_package_under_the_layers() -> None:
    """The pure core sits below issuance, storage and the settings: nothing of it may import
    them (checked by the layers contract); this pins the order in case the list is edited."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    layers = [layer.strip() for layer in
              next(c for c in config["contracts"] if c["id"] == "layers")["layers"]]
    core = layers.index("openbadges")
    for above in ("issuance", "storage", "settings", "web", "cli", "mail"):
        assert layers.index(above) < core
