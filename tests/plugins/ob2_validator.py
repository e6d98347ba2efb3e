"""The official 1EdTech Open Badges 2.0 validator (`openbadges` on PyPI, i.e.
openbadges-validator-core), run offline from the tests to cross-check our OB 2.0 verdicts.

It pins 2018 libraries that cannot share the project's environment, so it gets its own:
`tests/interop/ob2/.venv`, created on first use from `tests/interop/ob2/requirements.txt`
(exact versions; registry access only at that install, like `npm ci` for the Node verifiers).
`tests/interop/ob2/verify_ob2.py` runs the validator unmodified, answering every HTTP request
it makes from the documents the test gives (nothing is fetched).

Usage::

    def test_x(official_ob2_validator):
        result = official_ob2_validator(input=token, documents={url: document})
        assert result["valid"]
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

OB2_DIR = Path(__file__).resolve().parent.parent / "interop" / "ob2"
VENV = OB2_DIR / ".venv"
PYTHON = VENV / "bin" / "python"
RUNNER = OB2_DIR / "verify_ob2.py"
REQUIREMENTS = OB2_DIR / "requirements.txt"
_STAMP = VENV / ".roubaix-installed-requirements.sha256"
_LOCK = Path(tempfile.gettempdir()) / "roubaix-badges-ob2-validator-install.lock"


class Ob2ValidatorError(RuntimeError):
    """The validator could not be installed or run (not a verification failure)."""


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _installed() -> bool:
    return _STAMP.is_file() and _STAMP.read_text().strip() == _digest()


def ensure_installed() -> None:
    if _installed():
        return
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        for command in ([sys.executable, "-m", "venv", "--clear", str(VENV)],
                        [str(PYTHON), "-m", "pip", "install", "-q", "--no-deps", "-r",
                         str(REQUIREMENTS)]):
            completed = subprocess.run(command, capture_output=True, text=True, timeout=600,
                                       check=False)
            if completed.returncode != 0:
                raise Ob2ValidatorError(f"{command[:3]} failed:\n{completed.stderr[-3000:]}")
        _STAMP.write_text(_digest())


def run_official_ob2_validator(*, input: str | bytes,
                               documents: Mapping[str, Any] | None = None,
                               timeout: float = 120) -> dict[str, Any]:
    """{"valid", "errorCount", "messages", "requested"} for `input` (JSON text, a JWS, or a
    baked image as bytes). `documents` maps URLs to JSON, to an HTTP status, or to (bytes, content type)."""
    served = {url: {"$base64": base64.b64encode(page[0]).decode(), "contentType": page[1]}
              if isinstance(page, tuple) else page for url, page in (documents or {}).items()}
    given: Any = {"$base64": base64.b64encode(input).decode()} if isinstance(input, bytes) \
        else input
    completed = subprocess.run([str(PYTHON), str(RUNNER)],
                               input=json.dumps({"input": given, "documents": served}),
                               capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise Ob2ValidatorError(f"verify_ob2.py failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="session")
def official_ob2_validator() -> Callable[..., dict[str, Any]]:
    """`run_official_ob2_validator`, after making sure the validator is installed."""
    ensure_installed()
    return run_official_ob2_validator
