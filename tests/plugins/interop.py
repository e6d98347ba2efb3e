"""Third-party JavaScript verifiers, run offline from the tests.

Our credentials must verify outside our own code: `tests/interop/verify.mjs` runs Digital
Bazaar's `@digitalbazaar/vc` stack, the DCC wallets' `@digitalcredentials/verifier-core` and
`jose` on a credential and/or a VC-JWT, with every document they may ask for given in the request
(nothing is fetched: VERIFICATION.md R17). The pinned JSON-LD contexts (issuer.openbadges.contexts) and the
OB JSON Schemas (issuer/openbadges/schemas) are added to every request, as the public web would serve them.

Usage in a test::

    def test_x(third_party_verifiers):
        result = third_party_verifiers(credential=signed, documents={"did:web:...": did_doc})
        assert result["digitalBazaar"]["verified"]

See tests/interop/README.md for every field of the result.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import issuer
from issuer.openbadges import contexts as pinned_contexts

INTEROP_DIR: Path = Path(__file__).resolve().parent.parent / "interop"
VERIFY_SCRIPT = INTEROP_DIR / "verify.mjs"
SIGN_SCRIPT = INTEROP_DIR / "sign.mjs"
NODE_MODULES = INTEROP_DIR / "node_modules"
# Written after a successful `npm ci`: the lockfile hash it installed.
_INSTALL_STAMP = NODE_MODULES / ".roubaix-installed-lock.sha256"
_INSTALL_LOCK = Path(tempfile.gettempdir()) / "roubaix-badges-interop-npm-ci.lock"

# Where 1EdTech publishes the OB 3.0 JSON Schemas; verifier-core fetches them by these URLs.
OB_SCHEMA_BASE_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
OB_SCHEMAS_DIR = Path(issuer.__file__).resolve().parent / "openbadges" / "schemas"


class InteropHarnessError(RuntimeError):
    """The Node harness itself failed (not a verification failure, which is a result)."""


def node_executable() -> str | None:
    return shutil.which("node")


def _lockfile_digest() -> str:
    return hashlib.sha256((INTEROP_DIR / "package-lock.json").read_bytes()).hexdigest()


def _installed() -> bool:
    return _INSTALL_STAMP.is_file() and _INSTALL_STAMP.read_text().strip() == _lockfile_digest()


def ensure_node_modules() -> None:
    """Install tests/interop/node_modules with `npm ci` when missing or stale; else no network.

    A file lock keeps parallel pytest workers from running two installs into one folder.
    """
    if _installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise InteropHarnessError("npm is not installed: cannot install tests/interop")
    with _INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        # --ignore-scripts: no package here needs an install script (pure JavaScript).
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=INTEROP_DIR, capture_output=True, text=True, timeout=600, check=False,
        )
        if completed.returncode != 0:
            raise InteropHarnessError(
                f"npm ci failed in {INTEROP_DIR} ({completed.returncode}):\n"
                f"{completed.stderr[-4000:]}"
            )
        _INSTALL_STAMP.write_text(_lockfile_digest())


@cache
def _pinned_resources_json() -> str:
    resources: dict[str, Any] = {
        url: pinned_contexts.context_document(url)
        for url in pinned_contexts.PINNED
        if url.startswith(("https://", "http://"))
    }
    for schema in sorted(OB_SCHEMAS_DIR.glob("*.json")):
        resources[OB_SCHEMA_BASE_URL + schema.name] = json.loads(schema.read_text("utf-8"))
    return json.dumps(resources)


def pinned_resources() -> dict[str, Any]:
    """URL -> document the public web serves and the verifiers may fetch: contexts, schemas."""
    return json.loads(_pinned_resources_json())


def _request(
    *,
    credential: Mapping[str, Any] | None,
    jwt: str | None,
    documents: Mapping[str, Any],
    now: str | None,
    registries: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    if credential is None and jwt is None:
        raise ValueError("give a credential, a jwt, or both")
    return {
        "credential": credential,
        "jwt": jwt,
        "documents": dict(documents),
        "now": now,
        "registries": list(registries),
    }


def _run_node(script: Path, payload_json: str, timeout: float) -> Any:
    node = node_executable()
    if node is None:
        raise InteropHarnessError("node is not installed")
    try:
        completed = subprocess.run(
            [node, str(script)], input=payload_json, cwd=INTEROP_DIR,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InteropHarnessError(f"{script.name} took more than {timeout} s") from exc
    if completed.returncode != 0:
        raise InteropHarnessError(
            f"{script.name} exited with {completed.returncode}:\n{completed.stderr[-4000:]}"
        )
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise InteropHarnessError(
            f"{script.name} printed no JSON:\n{completed.stdout[-2000:]}\n"
            f"{completed.stderr[-2000:]}"
        ) from exc


def _with_pinned(payload: Mapping[str, Any]) -> str:
    # Splice the cached pinned JSON in rather than re-serialising ~150 kB on every call.
    body = json.dumps(payload)
    return body[:-1] + ', "pinned": ' + _pinned_resources_json() + "}"


def run_third_party_verifiers(
    *,
    credential: Mapping[str, Any] | None = None,
    jwt: str | None = None,
    documents: Mapping[str, Any] = {},
    now: str | None = None,
    registries: Sequence[Mapping[str, Any]] = (),
    timeout: float = 120,
) -> dict[str, Any]:
    """Verify a credential and/or a VC-JWT with Digital Bazaar, verifier-core and jose.

    `documents` maps a URL or DID to what it dereferences to (DID documents under their DID,
    status list credentials under their URL). `now` freezes the verifiers' clock.
    `registries` are verifier-core `knownDIDRegistries` entries (their URLs served from
    `documents`); none by default. Returns
    {"digitalBazaar": {...}|None, "verifierCore": {...}|None, "jose": {...}|None}.
    """
    request = _request(credential=credential, jwt=jwt, documents=documents, now=now,
                       registries=registries)
    return _run_node(VERIFY_SCRIPT, _with_pinned(request), timeout)


def run_third_party_verifiers_batch(
    requests: Sequence[Mapping[str, Any]], *, timeout: float = 600
) -> list[dict[str, Any]]:
    """Many verifications in one Node process; each request takes the keyword arguments of
    `run_third_party_verifiers` (credential, jwt, documents, now, registries). Results are in
    the same order. Requests publishing different documents under one URL or DID are run in
    separate workers, so no library cache leaks from one to another."""
    batch = {
        "requests": [
            _request(
                credential=r.get("credential"), jwt=r.get("jwt"),
                documents=r.get("documents", {}), now=r.get("now"),
                registries=r.get("registries", ()),
            )
            for r in requests
        ]
    }
    output = _run_node(VERIFY_SCRIPT, _with_pinned(batch), timeout)
    return output["results"]


def sign_with_digital_bazaar(
    credential: Mapping[str, Any],
    *,
    seed: bytes,
    verification_method: str,
    controller: str,
    created: str | None = None,
    documents: Mapping[str, Any] = {},
    timeout: float = 60,
) -> dict[str, Any]:
    """Sign `credential` (DataIntegrityProof eddsa-rdfc-2022) with Digital Bazaar's libraries
    and the Ed25519 key derived from the 32-byte `seed`. A reference signature for tests:
    what a credential signed by an independent implementation looks like."""
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    request = {
        "credential": dict(credential),
        "seed": seed.hex(),
        "verificationMethod": verification_method,
        "controller": controller,
        "created": created,
        "documents": dict(documents),
    }
    return _run_node(SIGN_SCRIPT, _with_pinned(request), timeout)["credential"]


def _require_node() -> None:
    if node_executable() is None:
        reason = "Node.js is not installed: third-party verifiers cannot run"
        # Like PostgreSQL and the browser: skipped locally, a failure on CI (CI=true).
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    ensure_node_modules()


@pytest.fixture(scope="session")
def third_party_verifiers() -> Callable[..., dict[str, Any]]:
    """`run_third_party_verifiers`, after making sure the npm packages are installed."""
    _require_node()
    return run_third_party_verifiers


@pytest.fixture(scope="session")
def third_party_verifiers_batch() -> Callable[..., list[dict[str, Any]]]:
    """`run_third_party_verifiers_batch`, after making sure the npm packages are installed."""
    _require_node()
    return run_third_party_verifiers_batch


@pytest.fixture(scope="session")
def digital_bazaar_signer() -> Callable[..., dict[str, Any]]:
    """`sign_with_digital_bazaar`, after making sure the npm packages are installed."""
    _require_node()
    return sign_with_digital_bazaar
