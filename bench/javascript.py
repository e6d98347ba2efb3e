"""The JavaScript reference point (`--js`): Digital Bazaar's eddsa-rdfc-2022 signer, the one
wallets' issuers commonly use, timed in one Node process on the same City credentials
(`bench/js_sign.mjs`, through the function `tests/interop/sign.mjs` calls), plus the wall time
of one `sign.mjs` run (Node start-up included). Skipped when Node or the npm packages of
`tests/interop` (`npm ci` there) are missing: the benchmark never installs anything.

The first credential Node signed is checked with our `verify_proof_signature`, so the figure
is for signatures this issuer accepts.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from bench.credentials import ISSUER_DID, CityCredentials
from bench.timing import Rate
from issuer.openbadges import contexts
from issuer.openbadges.proofs.data_integrity import (
    format_datetime,
    proofs_of,
    verify_proof_signature,
)

ROOT = Path(__file__).resolve().parent.parent
INTEROP_DIR = ROOT / "tests" / "interop"
LOOP_SCRIPT = Path(__file__).resolve().parent / "js_sign.mjs"
METHOD = f"{ISSUER_DID}#key-ed25519-js"
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class JavaScriptResult:
    signing: Rate | None
    one_process_seconds: float | None
    verified_by_us: bool
    skipped: str | None = None


def _skipped(reason: str) -> JavaScriptResult:
    return JavaScriptResult(None, None, False, skipped=reason)


def _pinned_contexts() -> dict[str, Any]:
    return {url: contexts.context_document(url) for url in contexts.PINNED
            if url.startswith(("https://", "http://"))}


def _run(node: str, script: Path, request: dict[str, Any]) -> Any:
    completed = subprocess.run([node, str(script)], input=json.dumps(request), cwd=ROOT,
                               capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                               check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{script.name} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


def digital_bazaar_signing(count: int) -> JavaScriptResult:
    node = shutil.which("node")
    if node is None:
        return _skipped("Node.js is not installed")
    if not (INTEROP_DIR / "node_modules").is_dir():
        return _skipped("tests/interop/node_modules is absent (run `npm ci` there)")
    seed = secrets.token_bytes(32)
    credentials = CityCredentials()
    request = {"seed": seed.hex(), "verificationMethod": METHOD, "controller": ISSUER_DID,
               "created": format_datetime(credentials.now), "pinned": _pinned_contexts()}
    looped = _run(node, LOOP_SCRIPT, {**request, "credentials": credentials.many(count + 1)})
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key()
    first = looped["first"]
    verified = verify_proof_signature(first, proofs_of(first)[-1], public)
    start = time.perf_counter()
    _run(node, INTEROP_DIR / "sign.mjs", {**request, "credential": credentials.unsigned(0)})
    one_process = time.perf_counter() - start
    rate = Rate("Digital Bazaar sign (JavaScript, eddsa-rdfc-2022)", looped["count"],
                looped["ms"] / 1000)
    return JavaScriptResult(rate, one_process, verified)
