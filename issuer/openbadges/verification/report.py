"""The report of a verification: one `Check` per step, in `CHECK_NAMES` order, and the
`VerificationReport` gathering them with what the checks found out (issuer, status, dates)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from issuer.errors import IssuerError
from issuer.openbadges.verification.claims import claims_of
from issuer.openbadges.verification.messages import render_message
from issuer.openbadges.verification.summary import summary_sentence

Outcome = Literal["passed", "failed", "warning", "unknown", "skipped"]
Verdict = Literal["valid", "invalid", "indeterminate"]
InputFormat = Literal["json", "jwt", "png", "svg", "unreadable"]
Standard = Literal["ob3", "ob2"]
"""Which standard the input was read as: Open Badges 3.0 (a verifiable credential, the default)
or Open Badges 2.0 (a hosted or signed assertion; `credential` is then the *resolved* assertion:
the assertion with its `badge` replaced by the fetched BadgeClass object, whose `issuer` is
replaced by the fetched issuer Profile). Older Open Badges documents (0.5, 1.x), read by the same
reader and reported as a format not supported, are "ob2" too."""

CHECK_NAMES = ("format", "context", "type", "schema", "proof", "issuer_key", "issuer_known",
               "validity", "status")


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    code: str
    message_fr: str
    message_en: str

    def message(self, locale: str = "fr") -> str:
        return self.message_en if locale.lower().startswith("en") else self.message_fr

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "outcome": self.outcome, "code": self.code,
                "message": {"fr": self.message_fr, "en": self.message_en}}


def make_check(name: str, outcome: Outcome, code: str, **details: Any) -> Check:
    """A check whose messages come from the table in `messages`."""
    message_fr, message_en = render_message(code, details)
    return Check(name, outcome, code, message_fr, message_en)


def check_from_error(name: str, outcome: Outcome, error: IssuerError,
                     code: str | None = None) -> Check:
    return Check(name, outcome, code or error.code, error.message_fr, error.message_en)


def not_checked(name: str, *, unsupported: bool = False) -> Check:
    """A later check skipped because the input could not be read (or is a format we do not
    read), for every pipeline."""
    if unsupported:
        return Check(name, "skipped", f"{name}.not_checked",
                     "Non vérifié : format non pris en charge.",
                     "Not checked: unsupported format.")
    return Check(name, "skipped", f"{name}.not_checked", "Non vérifié : le fichier est illisible.",
                 "Not checked: the file is unreadable.")


def internal_error(logger: logging.Logger, name: str) -> Check:
    """A check whose code failed unexpectedly (call it in the `except` block: the traceback is
    logged), reported "unknown" (never "valid")."""
    logger.exception("verification check %r failed unexpectedly", name)  # noqa: LOG004 - called in except blocks
    return Check(name, "unknown", f"{name}.internal_error",
                 "Cette vérification n'a pas pu être menée à bien (erreur interne).",
                 "This check could not be completed (internal error).")


def verdict_of(checks: Iterable[Check]) -> Verdict:
    """`invalid` if any check failed, else `indeterminate` if any is unknown, else `valid`."""
    outcomes = {check.outcome for check in checks}
    if "failed" in outcomes:
        return "invalid"
    if "unknown" in outcomes:
        return "indeterminate"
    return "valid"


_SEVERITY: dict[str, int] = {"failed": 4, "unknown": 3, "warning": 2, "passed": 1, "skipped": 0}


def worst(checks: Iterable[Check]) -> Check | None:
    """The first check with the most severe outcome."""
    most_severe: Check | None = None
    for check in checks:
        if most_severe is None or _SEVERITY[check.outcome] > _SEVERITY[most_severe.outcome]:
            most_severe = check
    return most_severe


@dataclass(frozen=True)
class VerificationReport:
    verdict: Verdict
    checks: tuple[Check, ...]
    input_format: InputFormat
    credential: dict[str, Any] | None
    issuer_id: str | None
    issuer_name: str | None
    issuer_known: bool
    issuer_label: str | None
    revoked: bool | None
    suspended: bool | None
    expired: bool | None
    valid_from: datetime | None
    valid_until: datetime | None
    known_issuer_labels: tuple[str, ...] = field(default=())
    """Labels of the issuers the verification knew, to say whom an unknown issuer is not."""
    standard: Standard = "ob3"

    @property
    def unreadable(self) -> bool:
        """The input could not be read as a credential at all (CLI exit code 2)."""
        return self.credential is None

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def to_json(self) -> dict[str, Any]:
        """A stable, JSON-serialisable structure (the API's and `issuer verify --json`).

        `claims` is what the credential says (`issuer.openbadges.verification.claims`); `claims_verified`
        (also `claims.verified`) tells whether it may be shown as fact: only when the content
        was signed by the issuer as read. Otherwise the claims are only what the file claims."""
        claims = claims_of(self)
        return {
            "verdict": self.verdict,
            "unreadable": self.unreadable,
            "input_format": self.input_format,
            "standard": self.standard,
            "summary": {"fr": self.summary("fr"), "en": self.summary("en")},
            "checks": [check.to_json() for check in self.checks],
            "issuer": {"id": self.issuer_id, "name": self.issuer_name,
                       "known": self.issuer_known, "label": self.issuer_label},
            "revoked": self.revoked,
            "suspended": self.suspended,
            "expired": self.expired,
            "valid_from": _iso(self.valid_from),
            "valid_until": _iso(self.valid_until),
            "credential": self.credential,
            "claims": claims.to_json() if claims is not None else None,
            "claims_verified": claims is not None and claims.verified,
        }

    @functools.cached_property
    def compact_json(self) -> bytes:
        """`to_json()` as compact UTF-8 JSON text, made once per report (the answer of
        `POST /api/v1/verify`, byte for byte what Starlette's `JSONResponse` renders): a report
        of one of our credentials is reused from the cache of
        `issuer.issuance.own_verification`, and so is its text."""
        return json.dumps(self.to_json(), ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode("utf-8")

    def summary(self, locale: str = "fr") -> str:
        """One plain sentence for a resident or an employer."""
        return summary_sentence(self, english=locale.lower().startswith("en"))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
