"""How long `POST /api/v1/verify` takes on what a stranger can send: every input of
`bench.hostile` (refused ones and those just within the cost limits, which go on to
canonicalisation in the sandbox) is verified once, in process, with the untrusted context the
API uses, beside the verification of a genuine City credential (median of several)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from bench.credentials import ISSUER_DID, CityCredentials
from bench.hostile import METHOD, costly_but_accepted_inputs, hostile_inputs
from issuer.openbadges import canonical
from issuer.openbadges.did import DidResolver, build_did_document
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.verification import VerificationContext, verify

NORMAL_RUNS = 20


@dataclass(frozen=True)
class HostileResult:
    inputs: int
    worst_seconds: float
    worst_name: str
    normal_seconds: float
    """Median time to verify one genuine City credential, untrusted, as the API does."""
    unseen_seconds: float
    """Time to verify a genuine badge of a shape never seen before (no shape cache)."""


def _context(public_key: bytes) -> VerificationContext:
    document = build_did_document(ISSUER_DID, ed25519_keys=[(METHOD.split("#")[1], public_key)],
                                  rsa_keys=[])

    def no_status_list(url: str) -> dict[str, Any]:
        raise LookupError(url)  # status lists are fetched only for proven credentials

    return VerificationContext(resolver=DidResolver(local_documents={ISSUER_DID: document}),
                               fetch_status_list=no_status_list, known_issuers={},
                               untrusted=True)


def _seconds(data: Any, context: VerificationContext) -> float:
    start = time.perf_counter()
    verify(data, context)
    return time.perf_counter() - start


def measure(report: Any = print) -> HostileResult:
    key = ed25519.Ed25519PrivateKey.generate()
    context = _context(key.public_key().public_bytes_raw())
    credentials = CityCredentials()
    genuine = [sign_document(credentials.unsigned(n), key, METHOD) for n in range(NORMAL_RUNS + 1)]
    # The City's own credentials: their shape is known to the process that signs them, as in
    # the service. The first verification of the process is not counted.
    _seconds(genuine[0], context)
    normal = statistics.median(_seconds(credential, context) for credential in genuine[1:])
    # Genuine badges of shapes this process never saw (another issuer's, say): signed here,
    # then the shape cache is emptied, so they are expanded in full in the sandbox, as every
    # input a stranger sends. The first ones start the sandbox's workers (once per server
    # process): not counted.
    unseen = []
    for n in range(4):
        document = credentials.unsigned(n)
        document["credentialSubject"]["result"] = [{"type": ["Result"], "value": f"r{i}"}
                                                   for i in range(n + 1)]
        unseen.append(sign_document(document, key, METHOD))
    canonical.SHAPES.clear()
    for document in unseen[:3]:
        _seconds(document, context)
    unseen_seconds = _seconds(unseen[3], context)
    inputs = [*hostile_inputs(), *costly_but_accepted_inputs()]
    worst_seconds, worst_name = 0.0, ""
    for item in inputs:
        seconds = _seconds(item.data, context)
        report(f"  {seconds * 1000:7.1f} ms  {item.name}")
        if seconds > worst_seconds:
            worst_seconds, worst_name = seconds, item.name
    return HostileResult(len(inputs), worst_seconds, worst_name, normal, unseen_seconds)
