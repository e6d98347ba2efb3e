"""Hosted verification scope (OB 2.0 §Verification, "HostedBadge"): the assertion's `id`
must be an address the issuer speaks for. By default, the same origin (host and port) as the
issuer profile's `id`; an issuer may widen or narrow this in its profile's `verification`
object with `allowedOrigins` (host names) and `startsWith` (URL prefixes). As in the official
validator, a `startsWith` rule narrows and the origin rule still applies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from issuer.openbadges.verification.ob2.documents import is_web_address
from issuer.openbadges.verification.ob2.resolve import Resolved
from issuer.openbadges.verification.report import Check, make_check


def authority(url: str) -> str:
    """Host and port as written in the URL (the validator's rfc3986 `authority`)."""
    return urlsplit(url).netloc.lower()


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [item for item in values if isinstance(item, str) and item]


def issuer_unavailable(resolved: Resolved) -> Check:
    return make_check("issuer_key", "unknown", "issuer_key.ob2_issuer_unavailable",
                      detail_fr=resolved.detail_fr, detail_en=resolved.detail_en)


def hosted_scope(assertion_id: str, resolved: Resolved) -> Check:
    """The `issuer_key` check of a hosted assertion."""
    if resolved.issuer is None:
        return issuer_unavailable(resolved)
    issuer_id = resolved.issuer_id or "?"
    if not is_web_address(issuer_id):
        return make_check("issuer_key", "unknown", "issuer_key.ob2_no_issuer_url",
                          issuer=issuer_id[:200])
    policy = resolved.issuer.get("verification")
    policy = policy if isinstance(policy, dict) else {}
    prefixes = _strings(policy.get("startsWith"))
    origins = [origin.lower() for origin in _strings(policy.get("allowedOrigins"))]
    refused = make_check("issuer_key", "failed", "issuer_key.ob2_other_origin",
                         url=assertion_id[:200], issuer=issuer_id[:200])
    if prefixes and not any(assertion_id.startswith(prefix) for prefix in prefixes):
        return refused
    if authority(assertion_id) not in (origins or [authority(issuer_id)]):
        return refused
    if prefixes or origins:
        rule = ", ".join(prefixes or origins)[:200]
        return make_check("issuer_key", "passed", "issuer_key.ob2_policy", rule=rule)
    return make_check("issuer_key", "passed", "issuer_key.ob2_origin",
                      origin=authority(issuer_id)[:200])
