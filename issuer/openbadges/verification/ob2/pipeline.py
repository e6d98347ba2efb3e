"""`verify_ob2()`: an Open Badges 2.0 assertion through the nine checks of `CHECK_NAMES`,
into the same `VerificationReport` (with `standard="ob2"`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.issuers import check_issuer_known
from issuer.openbadges.verification.ob2.authenticity import Authenticity
from issuer.openbadges.verification.ob2.dates import check_ob2_validity
from issuer.openbadges.verification.ob2.documents import Documents
from issuer.openbadges.verification.ob2.hosted import check_hosted
from issuer.openbadges.verification.ob2.reading import Ob2Input, generation, types_of
from issuer.openbadges.verification.ob2.revocation import Revocation, check_revocation
from issuer.openbadges.verification.ob2.signed import check_signed
from issuer.openbadges.verification.ob2.structure import check_context, check_schema, check_types
from issuer.openbadges.verification.report import (
    CHECK_NAMES,
    Check,
    Verdict,
    VerificationReport,
    internal_error,
    make_check,
    not_checked,
    verdict_of,
)
from issuer.openbadges.verification.validity import Validity

_LOG = logging.getLogger(__package__)

_HOW = {True: ("signée", "signed"), False: ("hébergée", "hosted")}
_WHAT = {"json": ("JSON", "JSON"), "jwt": ("JWS", "JWS"), "png": ("image PNG", "PNG image"),
         "svg": ("image SVG", "SVG image"), "unreadable": ("?", "?")}


def _unread(reading: Ob2Input, format_check: Check, labels: tuple[str, ...]) -> VerificationReport:
    unsupported = format_check.outcome != "failed"
    checks = (format_check, *(not_checked(name, unsupported=unsupported) for name in CHECK_NAMES[1:]))
    verdict: Verdict = "invalid" if format_check.outcome == "failed" else "indeterminate"
    return VerificationReport(verdict, checks, reading.input_format, None, None, None, False,
                              None, None, None, None, None, None, labels, standard="ob2")


def _issuer(assertion: dict[str, Any], authenticity: Authenticity) -> tuple[str | None,
                                                                              str | None]:
    resolved = authenticity.resolved
    if resolved is not None and resolved.issuer is not None:
        name = resolved.issuer.get("name")
        return resolved.issuer_id, name if isinstance(name, str) else None
    if resolved is not None:
        return resolved.issuer_id, None
    badge = assertion.get("badge")
    issuer = badge.get("issuer") if isinstance(badge, dict) else None
    return (issuer, None) if isinstance(issuer, str) else (None, None)


def _authenticity(reading: Ob2Input, assertion: dict[str, Any],
                  documents: Documents) -> tuple[Authenticity, bool]:
    """(what the proof and key checks found, whether the assertion is signed)."""
    if reading.token is not None:
        return check_signed(assertion, reading.token, documents), True
    verification = assertion.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    if kind in ("hosted", "HostedBadge"):
        given = reading.assertion if reading.url is None else None
        return check_hosted(given, reading.url, documents), False
    code = "proof.ob2_signature_missing" if kind in ("signed", "SignedBadge") else \
        "proof.ob2_no_verification"
    return Authenticity(make_check("proof", "failed", code),
                        make_check("issuer_key", "skipped", "issuer_key.not_checked"), None), \
        kind in ("signed", "SignedBadge")


def verify_ob2(reading: Ob2Input, context: VerificationContext, now: datetime,
               labels: tuple[str, ...]) -> VerificationReport:
    """The report on an Open Badges 2.0 assertion (`reading` from `read_ob2`)."""
    if reading.problem is not None:
        return _unread(reading, reading.problem, labels)
    documents = Documents(context)
    given = reading.assertion
    if given is None:  # an image naming its hosted assertion by URL
        url = reading.url or ""
        fetched = documents.get(url)
        if not fetched.ok:
            return _unread(reading, make_check("format", "unknown", "format.ob2_unreachable",
                                               url=url[:200], detail_fr=fetched.detail_fr,
                                               detail_en=fetched.detail_en), labels)
        if generation(fetched.document) == "ob1":
            return _unread(reading, make_check("format", "unknown", "format.unsupported_ob1"),
                           labels)
        if generation(fetched.document) != "ob2" or "Assertion" not in types_of(
                fetched.document):
            return _unread(reading, make_check("format", "failed", "format.ob2_not_assertion",
                                               url=url[:200]), labels)
        given = fetched.document
    try:
        authenticity, signed = _authenticity(reading, given, documents)
    except Exception:  # noqa: BLE001 - a stranger's documents: logged, "unknown", never valid
        authenticity, signed = Authenticity(internal_error(_LOG, "proof"),
                                            internal_error(_LOG, "issuer_key"), None), False
    how_fr, how_en = _HOW[signed]
    what_fr, what_en = _WHAT[reading.input_format]
    if reading.url is not None:
        what_fr, what_en = f"{what_fr}, adresse", f"{what_en}, address"
    format_check = make_check("format", "passed", "format.ob2_read", how_fr=how_fr,
                              how_en=how_en, what_fr=what_fr, what_en=what_en)
    # What is reported is what the issuer vouches for, when something does.
    assertion = authenticity.assertion or given
    resolved = authenticity.resolved
    badge = resolved.badge if resolved is not None else None
    issuer = resolved.issuer if resolved is not None else None
    credential = resolved.resolved_assertion(assertion) if resolved is not None \
        else dict(assertion)
    issuer_id, issuer_name = _issuer(assertion, authenticity)
    try:
        validity = check_ob2_validity(assertion, now)
    except Exception:  # noqa: BLE001
        validity = Validity(internal_error(_LOG, "validity"), None, None, None)
    try:
        revocation = check_revocation(authenticity, not signed, documents)
    except Exception:  # noqa: BLE001
        revocation = Revocation(internal_error(_LOG, "status"), None)
    known_check, label = check_issuer_known(issuer_id, issuer_name, authenticity.issuer_key,
                                            context.known_issuers)
    checks = (format_check, check_context(assertion), check_types(assertion, badge, issuer),
              check_schema(assertion, badge, issuer), authenticity.proof,
              authenticity.issuer_key, known_check, validity.check, revocation.check)
    return VerificationReport(
        verdict=verdict_of(checks), checks=checks, input_format=reading.input_format,
        credential=credential, issuer_id=issuer_id, issuer_name=issuer_name,
        issuer_known=label is not None, issuer_label=label, revoked=revocation.revoked,
        suspended=None, expired=validity.expired, valid_from=validity.valid_from,
        valid_until=validity.valid_until, known_issuer_labels=labels, standard="ob2")
