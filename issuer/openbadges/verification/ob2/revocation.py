"""The `status` check of an OB 2.0 assertion: a hosted assertion withdrawn (410 Gone) or
marked `revoked: true` where it is served, a signed one marked `revoked`, and the issuer
profile's `revocationList` (a `RevocationList` whose `revokedAssertions` name assertion ids,
as strings or objects with `id` and `revocationReason`). Nothing is fetched for an assertion
already shown forged (VERIFICATION.md R17); an unreadable list means "unknown", never "valid"
(VERIFICATION.md R7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuer.openbadges.verification.ob2.authenticity import Authenticity
from issuer.openbadges.verification.ob2.documents import Documents
from issuer.openbadges.verification.ob2.reading import types_of
from issuer.openbadges.verification.report import Check, make_check


@dataclass(frozen=True)
class Revocation:
    check: Check
    revoked: bool | None


def _revoked(reason: Any) -> Revocation:
    if isinstance(reason, str) and reason.strip():
        shown = reason.strip()[:200]
        details = {"reason_fr": f" (motif : « {shown} »)", "reason_en": f" (reason: '{shown}')"}
    else:
        details = {"reason_fr": "", "reason_en": ""}
    return Revocation(make_check("status", "failed", "status.ob2_revoked", **details), True)


def _listed(revoked_assertions: Any, assertion_id: Any) -> tuple[bool, Any]:
    """(is `assertion_id` listed, the reason given)."""
    entries = revoked_assertions if isinstance(revoked_assertions, list) else []
    for entry in entries:
        if entry == assertion_id:
            return True, None
        if isinstance(entry, dict) and entry.get("id") == assertion_id:
            return True, entry.get("revocationReason")
    return False, None


def check_revocation(authenticity: Authenticity, hosted: bool,
                     documents: Documents) -> Revocation:
    if authenticity.gone:
        return _revoked(None)
    proof, binding = authenticity.proof, authenticity.issuer_key
    assertion = authenticity.assertion
    if assertion is None or proof.outcome == "failed" or binding.outcome == "failed":
        return Revocation(make_check("status", "skipped", "status.not_checked"), None)
    if assertion.get("revoked") is True:
        return _revoked(assertion.get("revocationReason"))
    resolved = authenticity.resolved
    issuer = resolved.issuer if resolved is not None else None
    if issuer is None:
        return Revocation(make_check("status", "unknown", "status.ob2_no_issuer"), None)
    list_url = issuer.get("revocationList")
    if list_url is None:
        if hosted:
            return Revocation(make_check("status", "passed", "status.ob2_hosted_current"), False)
        return Revocation(make_check("status", "skipped", "status.ob2_no_list"), None)
    if not isinstance(list_url, str):
        return Revocation(make_check("status", "unknown", "status.ob2_bad_list",
                                     url=str(list_url)[:200]), None)
    fetched = documents.get(list_url)
    if not fetched.ok:
        return Revocation(make_check("status", "unknown", "status.ob2_list_unreachable",
                                     url=list_url[:200]), None)
    revocation_list = fetched.document
    if not (isinstance(revocation_list, dict) and "RevocationList" in types_of(revocation_list)
            and isinstance(revocation_list.get("revokedAssertions", []), list)):
        return Revocation(make_check("status", "unknown", "status.ob2_bad_list",
                                     url=list_url[:200]), None)
    listed, reason = _listed(revocation_list.get("revokedAssertions"), assertion.get("id"))
    if listed:
        return _revoked(reason)
    return Revocation(make_check("status", "passed", "status.ob2_not_revoked"), False)
