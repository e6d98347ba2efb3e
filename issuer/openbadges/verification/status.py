"""The `status` check (VERIFICATION.md R7, R13): revocation and suspension, read from Bitstring
Status Lists the credential's own issuer signed, plus the suspension-list convention for known
issuers (see the package docstring). Nothing is fetched for a credential already shown forged,
nor for one whose proof has not verified with a key bound to its issuer (VERIFICATION.md R17)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.openbadges.json_cost import CostLimits, Excess, first_excess
from issuer.openbadges.memo import Memo, json_digest
from issuer.openbadges.proofs.data_integrity import ProofError, proofs_of
from issuer.openbadges.status_list import (
    ENTRY_TYPE,
    LIST_CREDENTIAL_TYPE,
    StatusListError,
    read_status_bit,
)
from issuer.openbadges.verification.badge_type import types_of
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.issuers import issuer_of
from issuer.openbadges.verification.messages import COST_QUANTITIES, MESSAGES
from issuer.openbadges.verification.proofs import MAX_PROOFS, verify_one_proof
from issuer.openbadges.verification.report import Check, check_from_error, make_check, worst
from issuer.openbadges.verification.validity import CLOCK_SKEW, parse_datetime

MAX_STATUS_ENTRIES = 4
"""Status entries examined per credential at most: each may cost a fetch and a proof check."""

_WITHIN_LIMITS: Memo[bool] = Memo(64)
"""Status lists found within the cost limits (`first_excess`), by digest of their JSON text
and the limits: a list is read at every verification of every badge on it. Only "within" is
kept; a list over a limit is counted again every time."""


@dataclass(frozen=True)
class Status:
    """The `status` check and what it found: None where it could not tell."""

    check: Check
    revoked: bool | None
    suspended: bool | None


@dataclass(frozen=True)
class _EntryReading:
    check: Check
    purpose: str | None
    bit: bool | None  # None when the status could not be read


def _status_entries(credential: dict[str, Any], issuer_id: str,
                    known: Mapping[str, str]) -> list[Any]:
    declared = credential.get("credentialStatus")
    entries = list(declared) if isinstance(declared, list) else [declared]
    # Convention for known issuers (package docstring): `…/revocation` has a `…/suspension` twin.
    if issuer_id in known:
        for entry in list(entries):
            if (isinstance(entry, dict) and entry.get("type") == ENTRY_TYPE
                    and entry.get("statusPurpose") == "revocation"
                    and isinstance(entry.get("statusListCredential"), str)
                    and entry["statusListCredential"].endswith("/revocation")):
                twin = entry["statusListCredential"][: -len("revocation")] + "suspension"
                if not any(isinstance(e, dict) and e.get("statusListCredential") == twin
                           for e in entries):
                    entries.append({"id": f"{twin}#{entry.get('statusListIndex')}",
                                    "type": ENTRY_TYPE, "statusPurpose": "suspension",
                                    "statusListIndex": entry.get("statusListIndex"),
                                    "statusListCredential": twin})
    return entries


def _list_excess(status_list: Any, digest: bytes | None, limits: CostLimits) -> Excess | None:
    """`first_excess` of a status list, remembered for a list found within the limits."""
    if digest is not None and _WITHIN_LIMITS.get((digest, limits)):
        return None
    excess = first_excess(status_list, limits)
    if excess is None and digest is not None:
        _WITHIN_LIMITS.put((digest, limits), True)
    return excess


def _list_signed_by_issuer(status_list: dict[str, Any], url: str, issuer_id: str,
                           context: VerificationContext, digest: bytes | None) -> Check | None:
    """None when the list is the issuer's own, signed with a Data Integrity proof that
    verifies; else the "unknown" status check saying why not (VERIFICATION.md R13).

    A list is read at every verification of every badge on it, unchanged between two changes
    of its bits: a signature that verified over this exact list (the digest of its JSON text)
    with the same key bytes is not checked again (`proofs.VERIFIED_SIGNATURES`). The issuer,
    the proofs' shape and the key (DID document, revoked keys) are looked at every time."""
    list_issuer, _ = issuer_of(status_list)
    if list_issuer != issuer_id:
        return make_check("status", "unknown", "status.list_wrong_issuer", url=url[:200],
                          found=str(list_issuer)[:200])
    try:
        proofs = proofs_of(status_list)
    except ProofError:
        proofs = []
    if not proofs:
        return make_check("status", "unknown", "status.list_unsigned", url=url[:200])
    if len(proofs) > MAX_PROOFS:
        return make_check("status", "unknown", "status.list_bad_signature", url=url[:200],
                          detail=f"{len(proofs)} proofs")
    for position, proof in enumerate(proofs):
        outcome, binding = verify_one_proof(
            status_list, proof, issuer_id, context,
            memo_key=None if digest is None else ("status-list", digest, position))
        if binding is not None and binding.outcome != "passed":
            return Check("status", "unknown", "status.list_signer_unverified",
                         MESSAGES["status.list_signer_unverified"][0].format(
                             url=url[:200], detail=binding.message_fr),
                         MESSAGES["status.list_signer_unverified"][1].format(
                             url=url[:200], detail=binding.message_en))
        if outcome.outcome != "passed":
            return Check("status", "unknown", "status.list_bad_signature",
                         MESSAGES["status.list_bad_signature"][0].format(
                             url=url[:200], detail=outcome.message_fr),
                         MESSAGES["status.list_bad_signature"][1].format(
                             url=url[:200], detail=outcome.message_en))
    return None


def _list_period_problem(status_list: dict[str, Any], url: str, now: datetime) -> Check | None:
    """The list must be valid now, give or take CLOCK_SKEW: an issuer that builds its list on
    request stamps it with its own clock, which may run a little ahead of ours."""
    start_value, end_value = status_list.get("validFrom"), status_list.get("validUntil")
    start = parse_datetime(start_value) if start_value is not None else None
    end = parse_datetime(end_value) if end_value is not None else None
    if (start_value is not None and start is None) or (end_value is not None and end is None):
        return make_check("status", "unknown", "status.malformed_list", url=url[:200])
    if (start is not None and now + CLOCK_SKEW < start) or (end is not None
                                                           and now - CLOCK_SKEW > end):
        return make_check("status", "unknown", "status.list_not_valid_now", url=url[:200])
    return None


def _read_entry(entry: Any, issuer_id: str, now: datetime, context: VerificationContext,
                may_fetch: bool) -> _EntryReading:
    if not isinstance(entry, dict):
        return _EntryReading(make_check("status", "unknown", "status.malformed_entry"), None, None)
    kinds = types_of(entry)
    if ENTRY_TYPE not in kinds:
        return _EntryReading(make_check("status", "unknown", "status.unsupported_type",
                                        kind=", ".join(kinds)[:80] or "?"), None, None)
    purpose = entry.get("statusPurpose") if isinstance(entry.get("statusPurpose"), str) else None
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        return _EntryReading(make_check("status", "unknown", "status.malformed_entry"), purpose,
                             None)
    if not may_fetch:
        return _EntryReading(make_check("status", "unknown", "status.not_fetched"), purpose, None)
    try:
        status_list = context.fetch_status_list(url)
    except Exception:  # noqa: BLE001 - whatever the caller's fetch raises: unreachable
        return _EntryReading(make_check("status", "unknown", "status.unreachable", url=url[:200]),
                             purpose, None)
    # The digest of its JSON text identifies the list exactly for the memos below: writing
    # the text (C, linear, no recursion past Python's limit) costs less than counting.
    digest = json_digest(status_list)
    excess = _list_excess(status_list, digest, context.cost_limits)
    if excess is not None:  # before anything reads it, like the input (VERIFICATION.md R9, R16)
        what_fr, what_en = COST_QUANTITIES[excess.quantity]
        return _EntryReading(make_check("status", "unknown", "status.list_too_complex",
                                        url=url[:200], what_fr=what_fr, what_en=what_en,
                                        limit=excess.limit), purpose, None)
    if not isinstance(status_list, dict) or LIST_CREDENTIAL_TYPE not in types_of(status_list):
        return _EntryReading(make_check("status", "unknown", "status.not_a_list", url=url[:200]),
                             purpose, None)
    if status_list.get("id") != url:
        # Checked before the signature: a list that is not the one named is not worth the cost.
        return _EntryReading(make_check("status", "unknown", "status.list_mismatch", url=url[:200],
                                        found=str(status_list.get("id"))[:200]), purpose, None)
    problem = _list_signed_by_issuer(status_list, url, issuer_id, context, digest)
    if problem is not None:
        return _EntryReading(problem, purpose, None)
    period_problem = _list_period_problem(status_list, url, now)
    if period_problem is not None:
        return _EntryReading(period_problem, purpose, None)
    try:
        bit = read_status_bit(status_list, entry)  # its validity period is checked above
    except StatusListError as error:
        return _EntryReading(check_from_error("status", "unknown", error), purpose, None)
    if bit and purpose == "revocation":
        return _EntryReading(make_check("status", "failed", "status.revoked"), purpose, True)
    if bit and purpose == "suspension":
        return _EntryReading(make_check("status", "failed", "status.suspended"), purpose, True)
    return _EntryReading(_status_ok({str(purpose)}), purpose, False)


def _status_ok(purposes: set[str]) -> Check:
    if purposes >= {"revocation", "suspension"}:
        state_fr, state_en = "ni révoqué ni suspendu", "neither revoked nor suspended"
    elif "suspension" in purposes:
        state_fr, state_en = "non suspendu", "not suspended"
    else:
        state_fr, state_en = "non révoqué", "not revoked"
    return make_check("status", "passed", "status.ok", state_fr=state_fr, state_en=state_en)


def check_status(credential: dict[str, Any], issuer_id: str | None, authentic: bool,
                 now: datetime, context: VerificationContext, *, may_fetch: bool = True) -> Status:
    """The `status` check of a credential whose proof and key did not fail (`authentic`).
    Status lists are fetched only with `may_fetch`: once the proof verified with a key bound to
    the issuer; otherwise an entry that needs a fetch gives "unknown" (`status.not_fetched`)."""
    if credential.get("credentialStatus") is None:
        return Status(make_check("status", "skipped", "status.none"), None, None)
    if not authentic or issuer_id is None:
        # Never fetch what a forged or broken credential names (VERIFICATION.md R17).
        return Status(make_check("status", "skipped", "status.not_checked"), None, None)
    entries = _status_entries(credential, issuer_id, context.known_issuers)
    if len(entries) > MAX_STATUS_ENTRIES:
        return Status(make_check("status", "unknown", "status.too_many", count=len(entries)),
                      None, None)
    readings = [_read_entry(entry, issuer_id, now, context, may_fetch) for entry in entries]

    def combined(purpose: str) -> bool | None:
        bits = [r.bit for r in readings if r.purpose == purpose]
        if not bits or any(bit is None for bit in bits):
            return True if any(bits) else None
        return any(bits)

    overall = worst(r.check for r in readings) or make_check("status", "skipped", "status.none")
    if overall.outcome == "passed":
        overall = _status_ok({str(r.purpose) for r in readings})
    return Status(overall, combined("revocation"), combined("suspension"))
