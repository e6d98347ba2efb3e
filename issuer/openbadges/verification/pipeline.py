"""`verify()`: the checks in `CHECK_NAMES` order, each stage guarded so that an unexpected
error is reported as "unknown" (never "valid"), and the verdict they add up to."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from issuer.openbadges.verification.badge_type import check_schema, check_type
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.context_lists import check_context
from issuer.openbadges.verification.inputs import read_input
from issuer.openbadges.verification.issuers import check_issuer_known, issuer_of
from issuer.openbadges.verification.jwt import check_jwt
from issuer.openbadges.verification.ob2 import read_ob2, verify_ob2
from issuer.openbadges.verification.proofs import ProofResult, check_embedded_proofs
from issuer.openbadges.verification.report import (
    CHECK_NAMES,
    VerificationReport,
    internal_error,
    not_checked,
    verdict_of,
)
from issuer.openbadges.verification.status import Status, check_status
from issuer.openbadges.verification.validity import Validity, check_validity

# The package's logger, named as it was before the verifier was split into modules.
_LOG = logging.getLogger(__package__)


def verify(data: bytes | str | dict[str, Any], context: VerificationContext) -> VerificationReport:
    """Verify a credential (dict, JSON text, VC-JWT, or baked PNG / SVG bytes), or an Open
    Badges 2.0 assertion (`issuer.openbadges.verification.ob2`)."""
    now = (context.now or datetime.now(UTC)).astimezone(UTC)
    labels = tuple(dict.fromkeys(context.known_issuers.values()))
    ob2_reading = read_ob2(data, context.max_input_bytes)  # Open Badges 2.0 (or older)
    if ob2_reading is not None:
        return verify_ob2(ob2_reading, context, now, labels)
    reading = read_input(data, context.max_input_bytes, context.cost_limits)
    credential = reading.credential
    if credential is None:
        checks = (reading.format_check, *(not_checked(name) for name in CHECK_NAMES[1:]))
        return VerificationReport("invalid", checks, reading.input_format, None, None, None,
                                  False, None, None, None, None, None, None, labels)

    issuer_id, issuer_name = issuer_of(credential)
    context_result = check_context(credential)
    type_check, kind = check_type(credential)
    # The stages below read arbitrary input through several libraries: an unexpected error in
    # one is logged and reported as "unknown" (never "valid"), not raised at the caller.
    try:
        schema_check = check_schema(credential, context_result.data_model, kind,
                                    own=not context.untrusted)
    except Exception:  # noqa: BLE001
        schema_check = internal_error(_LOG, "schema")
    try:
        if reading.token is not None:
            proofs = check_jwt(reading, credential, issuer_id, context_result.data_model,
                               context, context_result.readable)
        else:
            proofs = check_embedded_proofs(credential, issuer_id, context_result.readable,
                                           context)
    except Exception:  # noqa: BLE001
        proofs = ProofResult(internal_error(_LOG, "proof"), internal_error(_LOG, "issuer_key"))
    known_check, label = check_issuer_known(issuer_id, issuer_name, proofs.issuer_key,
                                            context.known_issuers)
    try:
        validity = check_validity(credential, context_result.data_model, now)
    except Exception:  # noqa: BLE001
        validity = Validity(internal_error(_LOG, "validity"), None, None, None)
    # Status is read only for a credential not already shown forged, and fetched only once its
    # proof verified with a key bound to the issuer (VERIFICATION.md R17).
    outcomes = (proofs.proof.outcome, proofs.issuer_key.outcome)
    authentic = all(outcome in ("passed", "unknown") for outcome in outcomes)
    try:
        status = check_status(credential, issuer_id, authentic, now, context,
                              may_fetch=outcomes == ("passed", "passed"))
    except Exception:  # noqa: BLE001
        status = Status(internal_error(_LOG, "status"), None, None)

    checks = (reading.format_check, context_result.check, type_check, schema_check, proofs.proof,
              proofs.issuer_key, known_check, validity.check, status.check)
    return VerificationReport(
        verdict=verdict_of(checks), checks=checks, input_format=reading.input_format,
        credential=credential, issuer_id=issuer_id, issuer_name=issuer_name,
        issuer_known=label is not None, issuer_label=label, revoked=status.revoked,
        suspended=status.suspended, expired=validity.expired, valid_from=validity.valid_from,
        valid_until=validity.valid_until, known_issuer_labels=labels)
