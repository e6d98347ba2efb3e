"""Embedded Data Integrity proofs (the `proof` check of a JSON credential, and of a status
list): every proof must verify (VERIFICATION.md R12). Canonicalising a document whose shape this
process has not seen runs in a sandbox worker under a time limit and a blank-node cap
(VERIFICATION.md R9, R16); see the package docstring."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.openbadges import canonical
from issuer.openbadges.memo import Memo
from issuer.openbadges.proofs.data_integrity import (
    ProofError,
    check_proof_shape,
    decode_proof_value,
    proofs_of,
    unsecured,
    verify_proof_signature_order,
)
from issuer.openbadges.rdfc.errors import CanonicalizationError
from issuer.openbadges.rdfc.labels import blank_node_count
from issuer.openbadges.safe_mode.dropped import DroppedMember, describe_all
from issuer.openbadges.sandbox import TimeLimitExceeded, WorkerFailed, run_with_time_limit
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.keys import lookup_key
from issuer.openbadges.verification.report import Check, check_from_error, make_check, worst

MAX_PROOFS = 4
"""Proofs examined per document at most, so one document cannot start unbounded costly work."""

VERIFIED_SIGNATURES: Memo[Check] = Memo(256)
"""Signatures that verified, for the documents checked again and again unchanged (a status
list, read at every verification of a badge on it): keyed on the caller's exact identity of
the document and proof (`verify_one_proof`'s `memo_key`: a digest of the list's JSON text and
the proof's position), the raw bytes of the key it verified with, and the limits it ran under.
Only a pass is kept: a failure (a time limit, a mismatch) is checked again every time."""


def _proof_config(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """What `hash_data` canonicalises for the proof (vc-di-eddsa §3.3.4)."""
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = document.get("@context")
    return config


def _signature_job(document: dict[str, Any], proof: dict[str, Any], public_key: bytes,
                   max_blank_nodes: int | None, proof_path: str = "/proof") -> tuple[Any, ...]:
    """The costly part of checking one proof, runnable in a sandbox worker: blank-node cap,
    JSON-LD safe mode, canonicalisation and the signature. Returns plain data."""
    body, config = unsecured(document), _proof_config(document, proof)
    try:
        # safe mode first: a dropped member is named even when the rest cannot be canonicalised
        unsafe = _unsigned_members(body, config, proof_path)
        if unsafe is not None:
            return unsafe
        if max_blank_nodes is not None:
            count = (blank_node_count(canonical.to_quads(body))
                     + blank_node_count(canonical.to_quads(config)))
            if count > max_blank_nodes:
                return ("too_complex", f"{count} blank nodes > {max_blank_nodes}")
        key = ed25519.Ed25519PublicKey.from_public_bytes(public_key)
        order = verify_proof_signature_order(document, proof, key)
        return ("verified", order is not None, order)
    except CanonicalizationError as error:
        return ("canonicalization", str(error)[:200])
    except ProofError as error:
        return ("proof_error", error.code, error.message_fr, error.message_en)
    except RecursionError:
        return ("too_complex", "nesting")
    except Exception as error:  # noqa: BLE001 - pyld on odd JSON-LD: cannot be canonicalised
        return ("canonicalization", type(error).__name__)


def _unsigned_members(body: dict[str, Any], config: dict[str, Any] | None,
                      proof_path: str = "/proof") -> tuple[Any, ...] | None:
    """JSON-LD safe mode (VERIFICATION.md R1, R18) on what the signature covers: the document
    without its proofs and, for an embedded proof, the proof's configuration (checked apart, as the
    wallets do). `("unsigned_terms", French list, English list)` when something is dropped;
    paths in the configuration are given from the document (`/proof/0/…`)."""
    dropped = list(canonical.SHAPES.dropped_members(body))
    if config is not None:
        for member in canonical.SHAPES.dropped_members(config):
            if not member.path.startswith("/@context"):  # the body's own context, seen above
                member = DroppedMember(proof_path + member.path, member.reason)
            if member not in dropped:
                dropped.append(member)
    if not dropped:
        # the older check (a fallback @vocab), kept as a second net
        undefined = sorted(set(canonical.SHAPES.undefined_terms(body)) | (
            set(canonical.SHAPES.undefined_terms(config)) if config is not None else set()))
        dropped = [DroppedMember(term, "invalid property") for term in undefined]
    if not dropped:
        return None
    return ("unsigned_terms", *describe_all(dropped))


def _safety_job(document: dict[str, Any]) -> tuple[Any, ...]:
    """JSON-LD safe mode alone (a VC-JWT's credential), runnable in a sandbox worker."""
    try:
        return _unsigned_members(document, None) or ("safe",)
    except CanonicalizationError as error:
        return ("canonicalization", str(error)[:200])
    except RecursionError:
        return ("too_complex", "nesting")
    except Exception as error:  # noqa: BLE001 - pyld on odd JSON-LD
        return ("canonicalization", type(error).__name__)


def check_json_ld_safety(document: dict[str, Any], context: VerificationContext) -> Check | None:
    """The `proof` check's safe-mode part for a credential whose signature is not over
    JSON-LD (a VC-JWT): None when nothing is dropped, else the failed check. Bounded like
    canonicalisation: a shape not seen before runs in a sandbox worker under the time limit."""
    try:
        if not context.untrusted or _shape_is_cached(document):
            reply = _safety_job(document)
        else:
            reply = run_with_time_limit(_safety_job, document,
                                        timeout=context.canonicalization_timeout)
    except TimeLimitExceeded:
        reply = ("too_complex", f"> {context.canonicalization_timeout:g} s")
    except (MemoryError, WorkerFailed):
        reply = ("too_complex", "memory")
    return None if reply[0] == "safe" else _check_of_reply(reply)


def _shape_is_cached(document: Any) -> bool:
    """A cached shape is one this process canonicalised before (our own credentials): its cost
    is known and small, so it may run in-process without the sandbox."""
    try:
        return canonical.SHAPES.contains(document)
    except Exception:  # noqa: BLE001 - an odd document is simply not cached
        return False


def _proof_path(document: dict[str, Any], proof: dict[str, Any]) -> str:
    """JSON Pointer of `proof` in `document`, to name a member of it in a message."""
    proofs = document.get("proof")
    if isinstance(proofs, list):
        for index, item in enumerate(proofs):
            if item is proof:
                return f"/proof/{index}"
    return "/proof"


def _check_signature(document: dict[str, Any], proof: dict[str, Any],
                     public_key: ed25519.Ed25519PublicKey, context: VerificationContext) -> Check:
    raw = public_key.public_bytes_raw()
    proof_path = _proof_path(document, proof)
    cap = context.max_blank_nodes if context.untrusted else None
    in_process = not context.untrusted or (
        _shape_is_cached(unsecured(document)) and _shape_is_cached(_proof_config(document, proof)))
    try:
        if in_process:
            reply = _signature_job(document, proof, raw, cap, proof_path)
        else:
            reply = run_with_time_limit(_signature_job, document, proof, raw, cap, proof_path,
                                        timeout=context.canonicalization_timeout)
    except TimeLimitExceeded:
        reply = ("too_complex", f"> {context.canonicalization_timeout:g} s")
    except MemoryError:
        reply = ("too_complex", "memory")
    except WorkerFailed as error:
        if error.code != "sandbox.worker_failed":
            return make_check("proof", "unknown", "proof.internal")
        # The worker died on this document: its memory cap, most likely.
        reply = ("too_complex", "memory")
    return _check_of_reply(reply)


def check_proof_signature(document: dict[str, Any], proof: dict[str, Any],
                          public_key: ed25519.Ed25519PublicKey,
                          context: VerificationContext) -> Check:
    """The `proof` check of one Data Integrity proof whose key the caller already looked up
    (a presentation's holder proof, `issuer.openbadges.verification.presentation`): safe mode,
    canonicalisation bounded as above, the signature."""
    return _check_signature(document, proof, public_key, context)


def _check_of_reply(reply: tuple[Any, ...]) -> Check:
    kind = reply[0]
    if kind == "verified":
        if not reply[1]:
            return make_check("proof", "failed", "proof.signature_mismatch")
        # Signed over the wallets' UTF-16 order of the same quads; said so.
        return make_check("proof", "passed",
                          "proof.ok_utf16_order" if reply[2] == "utf16" else "proof.ok")
    if kind == "too_complex":
        return make_check("proof", "failed", "proof.too_complex", detail=reply[1])
    if kind == "unsigned_terms":
        return make_check("proof", "failed", "proof.unsigned_terms", members_fr=reply[1],
                          members_en=reply[2])
    if kind == "proof_error":
        return Check("proof", "failed", reply[1], reply[2], reply[3])
    return make_check("proof", "failed", "proof.canonicalization_failed", detail=reply[1])


@dataclass(frozen=True)
class ProofResult:
    """The `proof` and `issuer_key` checks, which one signature check settles together."""

    proof: Check
    issuer_key: Check


def verify_one_proof(document: dict[str, Any], proof: dict[str, Any], issuer_id: str | None,
                     context: VerificationContext, *, memo_key: Hashable | None = None
                     ) -> tuple[Check, Check | None]:
    """(proof outcome, issuer_key outcome or None when the key was not looked at).

    `memo_key`, when given, identifies `document` and `proof` exactly (a digest of the
    document's JSON text and the proof's position in it): a signature that verified before
    over the same document with the same key bytes, under the same limits, is not checked
    again (`VERIFIED_SIGNATURES`). The proof's shape, purpose and key are still looked at every
    time: a key revoked or gone from the DID document fails at once."""
    try:
        check_proof_shape(proof)
        if proof.get("proofPurpose") != "assertionMethod":
            return make_check("proof", "failed", "proof.wrong_purpose",
                              purpose=str(proof.get("proofPurpose"))[:80]), None
        decode_proof_value(proof)
    except ProofError as error:
        return check_from_error("proof", "failed", error), None
    lookup = lookup_key(proof.get("verificationMethod"), issuer_id, context.resolver,
                        context.revoked_keys)
    if lookup.public_key is None:
        assert lookup.key_problem is not None
        return lookup.key_problem, lookup.binding
    if not isinstance(lookup.public_key, ed25519.Ed25519PublicKey):
        return make_check("proof", "failed", "proof.key_type_mismatch"), lookup.binding
    if memo_key is None:
        return _check_signature(document, proof, lookup.public_key, context), lookup.binding
    key = (memo_key, lookup.public_key.public_bytes_raw(), context.untrusted,
           context.max_blank_nodes, context.canonicalization_timeout)
    found = VERIFIED_SIGNATURES.get(key)
    if found is not None:
        return found, lookup.binding
    outcome = _check_signature(document, proof, lookup.public_key, context)
    if outcome.outcome == "passed":
        VERIFIED_SIGNATURES.put(key, outcome)
    return outcome, lookup.binding


def check_embedded_proofs(document: dict[str, Any], issuer_id: str | None, contexts_readable: bool,
                          context: VerificationContext) -> ProofResult:
    """The `proof` and `issuer_key` checks of a credential carrying Data Integrity proofs."""
    not_examined = make_check("issuer_key", "skipped", "issuer_key.not_checked")
    if document.get("proof") is None:
        return ProofResult(make_check("proof", "failed", "proof.missing"), not_examined)
    try:
        proofs = proofs_of(document)
    except ProofError as error:
        return ProofResult(check_from_error("proof", "failed", error), not_examined)
    if not proofs:
        return ProofResult(make_check("proof", "failed", "proof.missing"), not_examined)
    if len(proofs) > MAX_PROOFS:
        return ProofResult(make_check("proof", "failed", "proof.too_many", count=len(proofs),
                                      limit=MAX_PROOFS), not_examined)
    if not contexts_readable:
        return ProofResult(make_check("proof", "skipped", "proof.not_checked"), not_examined)
    outcomes: list[Check] = []
    bindings: list[Check] = []
    for proof in proofs:
        outcome, binding = verify_one_proof(document, proof, issuer_id, context)
        outcomes.append(outcome)
        if binding is not None:
            bindings.append(binding)
        if outcome.outcome == "failed":
            break  # every proof must verify (VERIFICATION.md R12): one failure settles it
    return ProofResult(worst(outcomes) or make_check("proof", "failed", "proof.missing"),
                       worst(bindings) or not_examined)
