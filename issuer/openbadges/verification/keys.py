"""Who signed (VERIFICATION.md R11): the public key a verification method (or JWT `kid`) names, and
whether that key is the issuer's own, i.e. listed under `assertionMethod` in the issuer's DID
document (the `issuer_key` check). The package docstring explains each case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.errors import IssuerError
from issuer.openbadges.did import DidResolver
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.dids.key_encodings import ed25519_from_multibase
from issuer.openbadges.verification.context import RevokedKey
from issuer.openbadges.verification.messages import MESSAGES
from issuer.openbadges.verification.report import Check, make_check


@dataclass(frozen=True)
class KeyLookup:
    """A verification method looked up: the key, if any, and whose key it is."""

    public_key: Any | None
    """The key to check the signature with, when one could be obtained."""
    key_problem: Check | None
    """The `proof` outcome when no key could be obtained."""
    binding: Check
    """The `issuer_key` outcome: is this key the issuer's own?"""


def _did_of(method: str) -> str:
    return method.split("#", 1)[0]


def _normalised_method(method: str) -> str:
    # did:key documents name their only key `did:key:z…#z…`; the 1EdTech sample (and some
    # issuers) write the bare DID, which did-method-key resolves to that key.
    if method.startswith("did:key:") and "#" not in method:
        return f"{method}#{method[len('did:key:'):]}"
    return method


def lookup_key(method: Any, issuer_id: str | None, resolver: DidResolver,
               revoked: Mapping[str, RevokedKey] | None = None) -> KeyLookup:
    """The key `method` names (a DID URL, or an `https://…#z…` URL carrying the key).
    `revoked`: the issuer's own revoked keys, by DID URL (VERIFICATION.md R21)."""
    if not isinstance(method, str) or not method:
        problem = make_check("proof", "failed", "proof.bad_verification_method",
                             method=repr(method)[:100])
        return KeyLookup(None, problem, make_check("issuer_key", "failed", "issuer_key.missing"))
    shown = method[:200]
    if method.startswith("did:"):
        lookup = _lookup_did_key(_normalised_method(method), issuer_id, resolver, revoked or {})
        if "#" not in method and lookup.binding.outcome == "passed":
            # A bare DID names a DID document, not a key (DID Core §7.2): the signature is
            # checked with the key did:key derives, but both wallet stacks refuse the proof,
            # so it is not reported as the issuer's (tests/test_interop_harness.py).
            return KeyLookup(lookup.public_key, lookup.key_problem,
                             make_check("issuer_key", "failed", "issuer_key.bare_did",
                                        method=shown))
        return lookup
    if method.startswith(("https://", "http://")) and "#" in method:
        base, fragment = method.split("#", 1)
        if issuer_id is None:
            binding = make_check("issuer_key", "failed", "issuer_key.no_issuer")
        elif base == issuer_id:
            binding = make_check("issuer_key", "unknown", "issuer_key.unverifiable", method=shown)
        else:
            binding = make_check("issuer_key", "failed", "issuer_key.not_issuer", owner=base[:200],
                                 issuer=issuer_id or "?")
        if not fragment.startswith("z"):
            # A key named by a plain fragment (`#key-1`) lives in a document we do not fetch.
            return KeyLookup(None, make_check("proof", "unknown", "proof.key_unavailable",
                                              method=shown), binding)
        try:
            raw = ed25519_from_multibase(fragment)
        except DidError:
            return KeyLookup(None, make_check("proof", "failed", "proof.bad_verification_method",
                                              method=shown), binding)
        return KeyLookup(ed25519.Ed25519PublicKey.from_public_bytes(raw), None, binding)
    problem = make_check("proof", "failed", "proof.bad_verification_method", method=shown)
    return KeyLookup(None, problem, make_check("issuer_key", "failed", "issuer_key.unusable",
                                               method=shown))


def _lookup_did_key(method: str, issuer_id: str | None, resolver: DidResolver,
                    revoked: Mapping[str, RevokedKey]) -> KeyLookup:
    did = _did_of(method)
    owned = issuer_id is not None and did == issuer_id
    revocation = revoked.get(method) if owned else None
    if revocation is not None:
        # VERIFICATION.md R21: the issuer revoked this key; say so rather than "not found".
        day = revocation.revoked_on.isoformat()
        problem = Check(
            "proof", "failed", "proof.key_revoked",
            MESSAGES["proof.key_revoked"][0].format(method=method[:200], date=day,
                                                    reason=revocation.reason_fr),
            MESSAGES["proof.key_revoked"][1].format(method=method[:200], date=day,
                                                    reason=revocation.reason_en))
        return KeyLookup(None, problem, make_check("issuer_key", "failed", "issuer_key.revoked",
                                                   did=did[:200], date=day))
    if owned:
        binding = make_check("issuer_key", "passed", "issuer_key.ok", did=did)
    elif issuer_id is None:
        binding = make_check("issuer_key", "failed", "issuer_key.no_issuer")
    else:
        binding = make_check("issuer_key", "failed", "issuer_key.not_issuer", owner=did[:200],
                             issuer=issuer_id[:200])
    if not owned and resolver.would_fetch(did):
        # Before a proof has verified, the only document fetched is the issuer's own DID
        # document (VERIFICATION.md R17): the key of another did:web is never looked up.
        return KeyLookup(None, make_check("proof", "unknown", "proof.key_not_fetched",
                                          method=method[:200]), binding)
    try:
        resolved = resolver.resolve_key(method, purpose="assertionMethod")
    except DidError as error:
        if error.code == "did.not_found":
            # No document (offline, or none published): the key could not be looked at.
            unknown = make_check("proof", "unknown", "proof.key_unavailable", method=method[:200])
            if owned:
                binding = make_check("issuer_key", "unknown", "issuer_key.unavailable",
                                     did=did[:200])
            return KeyLookup(None, unknown, binding)
        problem = Check("proof", "failed", "proof.key_unresolvable",
                        MESSAGES["proof.key_unresolvable"][0].format(detail=error.message_fr),
                        MESSAGES["proof.key_unresolvable"][1].format(detail=error.message_en))
        if owned:
            binding = Check("issuer_key", "failed", "issuer_key.not_listed",
                            MESSAGES["issuer_key.not_listed"][0].format(detail=error.message_fr),
                            MESSAGES["issuer_key.not_listed"][1].format(detail=error.message_en))
        return KeyLookup(None, problem, binding)
    except IssuerError:  # FetchError and the like: the issuer's document could not be read now
        unknown = make_check("proof", "unknown", "proof.key_unavailable", method=method[:200])
        if owned:
            binding = make_check("issuer_key", "unknown", "issuer_key.unavailable", did=did[:200])
        return KeyLookup(None, unknown, binding)
    return KeyLookup(resolved.public_key, None, binding)
