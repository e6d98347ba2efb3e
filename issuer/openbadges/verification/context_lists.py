"""The `context` check (VERIFICATION.md R14): the `@context` list must be one of the pinned lists we
accept, every entry a context we hold locally (never downloaded), and only then may the
document be canonicalised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from issuer.openbadges import contexts
from issuer.openbadges.verification.report import Check, make_check

ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
OB_CONTEXT_VERSIONS: dict[str, str] = {
    contexts.OB_V3P0: "3.0.3",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "3.0.2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "3.0.1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "3.0.0",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "3.0.0",
}
CURRENT_OB_VERSION = "3.0.3"
_ANY_OB = "<any Open Badges 3.0 context>"
# Each accepted list, in order; _ANY_OB stands for any of OB_CONTEXT_VERSIONS.
ACCEPTED_CONTEXT_LISTS: tuple[tuple[str, ...], ...] = (
    (contexts.VC_V2, _ANY_OB),
    (contexts.VC_V2, _ANY_OB, contexts.OB_EXTENSIONS),
    (contexts.VC_V1, _ANY_OB),
    (contexts.VC_V1, _ANY_OB, ED25519_2020_V1),
    (contexts.VC_V1, _ANY_OB, DATA_INTEGRITY_V1),
    (contexts.VC_V1, _ANY_OB, contexts.OB_EXTENSIONS),
    (contexts.VC_V1, _ANY_OB, contexts.OB_EXTENSIONS, ED25519_2020_V1),
    (contexts.VC_V1, _ANY_OB, ED25519_2020_V1, contexts.OB_EXTENSIONS),
    (contexts.VC_V1, _ANY_OB, contexts.OB_EXTENSIONS, DATA_INTEGRITY_V1),
    (contexts.VC_V1, _ANY_OB, DATA_INTEGRITY_V1, contexts.OB_EXTENSIONS),
)


@dataclass(frozen=True)
class ContextResult:
    """The `context` check and what it tells the later checks."""

    check: Check
    data_model: Literal["2.0", "1.1"] | None
    readable: bool
    """Every entry is a pinned context URL: the document can be canonicalised safely."""


def _is_pinned_url(url: str) -> bool:
    return contexts.is_known(url) and url != contexts.OB_V3P0_2024_KEY


def check_context(credential: dict[str, Any]) -> ContextResult:
    """The `context` check: pinned URLs only, VC context first, a list we accept."""
    declared = credential.get("@context")
    if declared is None:
        return ContextResult(make_check("context", "failed", "context.missing"), None, False)
    entries = declared if isinstance(declared, list) else [declared]
    if not entries or not all(isinstance(entry, str) for entry in entries):
        return ContextResult(make_check("context", "failed", "context.inline"), None, False)
    for url in entries:
        if not _is_pinned_url(url):
            return ContextResult(make_check("context", "failed", "context.unknown", url=url[:200]),
                                 None, False)
    if entries[0] not in (contexts.VC_V2, contexts.VC_V1):
        return ContextResult(make_check("context", "failed", "context.not_vc_first"), None, True)
    data_model: Literal["2.0", "1.1"] = "2.0" if entries[0] == contexts.VC_V2 else "1.1"
    pattern = tuple(_ANY_OB if url in OB_CONTEXT_VERSIONS else url for url in entries)
    if pattern not in ACCEPTED_CONTEXT_LISTS:
        code = "context.unexpected_list" if _ANY_OB in pattern else "context.no_ob"
        return ContextResult(make_check("context", "failed", code, contexts=", ".join(entries)),
                             data_model, True)
    version = OB_CONTEXT_VERSIONS[entries[1]]
    if data_model == "1.1":
        check = make_check("context", "warning", "context.vcdm11", version=version)
    elif version != CURRENT_OB_VERSION:
        check = make_check("context", "warning", "context.older_ob", version=version)
    else:
        check = make_check("context", "passed", "context.ok", version=version)
    return ContextResult(check, data_model, True)
