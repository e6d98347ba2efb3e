"""Hosted assertions (OB 2.0 "HostedBadge"): the issuer's server is the proof. The assertion
is fetched from its own `id`; what is served there must be that assertion and must match the
one shown on every property that says who earned what and when (`IDENTIFYING`). Other
differences (an issuer may update an image or add evidence) give a warning and the served
version is the one reported. `revoked` / `revocationReason` are the issuer's to change."""

from __future__ import annotations

from typing import Any

from issuer.openbadges.verification.ob2.authenticity import Authenticity, not_examined, unreachable
from issuer.openbadges.verification.ob2.documents import Documents, is_web_address
from issuer.openbadges.verification.ob2.policy import hosted_scope
from issuer.openbadges.verification.ob2.reading import generation, types_of
from issuer.openbadges.verification.ob2.resolve import resolve
from issuer.openbadges.verification.report import make_check

IDENTIFYING = ("@context", "id", "type", "recipient", "badge", "issuedOn", "verification")
_ISSUER_MAY_CHANGE = frozenset({"revoked", "revocationReason"})


def _differences(given: dict[str, Any], served: dict[str, Any]) -> list[str]:
    return [key for key in sorted(set(given) | set(served))
            if key not in _ISSUER_MAY_CHANGE and given.get(key) != served.get(key)]


def check_hosted(given: dict[str, Any] | None, url: str | None,
                 documents: Documents) -> Authenticity:
    """`given`: the assertion as shown (None when an image gave only its `url`)."""
    assertion_id = given.get("id") if given is not None else url
    if not isinstance(assertion_id, str) or not is_web_address(assertion_id):
        return Authenticity(make_check("proof", "failed", "proof.ob2_hosted_not_url",
                                       id=str(assertion_id)[:200]), not_examined(), None)
    served = documents.get(assertion_id)
    if served.gone:
        return Authenticity(make_check("proof", "unknown", "proof.ob2_hosted_gone",
                                       url=assertion_id[:200]), not_examined(), None, gone=True)
    if not served.ok:
        return Authenticity(unreachable(served, "l'assertion", "the assertion"), not_examined(),
                            None)
    document = served.document
    if not (isinstance(document, dict) and generation(document) == "ob2"
            and "Assertion" in types_of(document) and document.get("id") == assertion_id):
        return Authenticity(make_check("proof", "failed", "proof.ob2_hosted_mismatch",
                                       url=assertion_id[:200], fields="id"), not_examined(), None)
    proof = make_check("proof", "passed", "proof.ob2_hosted_ok", url=assertion_id[:200])
    if given is not None:
        differing = _differences(given, document)
        identifying = [key for key in differing if key in IDENTIFYING]
        if identifying:
            return Authenticity(make_check("proof", "failed", "proof.ob2_hosted_mismatch",
                                           url=assertion_id[:200],
                                           fields=", ".join(identifying)[:200]),
                                not_examined(), None)
        if differing:
            proof = make_check("proof", "warning", "proof.ob2_hosted_updated",
                               url=assertion_id[:200], fields=", ".join(differing)[:200])
    resolved = resolve(document, documents)
    return Authenticity(proof, hosted_scope(assertion_id, resolved), document, resolved)
