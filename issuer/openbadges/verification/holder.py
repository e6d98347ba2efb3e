""""Is this badge theirs?" (issue #9 item 8): compare an e-mail address a reader types with the
recipient identity a badge carries, and answer yes or no, nothing more.

- Open Badges 3.0: `credentialSubject.identifier`, a list of `IdentityObject` (OB 3.0 §B.1.11)
  of `identityType` `emailAddress`. Hashed (`hashed: true`): `identityHash` is `sha256$` + the
  hex SHA-256 of the address followed by `salt`, as `issuer.openbadges.credential.identity_hash` writes
  it. Not hashed: `identityHash` is the address itself.
- Open Badges 2.0: the assertion's `recipient` (an `IdentityObject` of `type` `email`):
  `identity` is `sha256$…` or `md5$…` of the address followed by `salt` when `hashed`, else the
  address.

The typed address is normalised as the City normalises it when issuing
(`issuer.openbadges.credential.normalise_email`: trimmed, lower case); the address exactly as typed
(trimmed) is tried too, since another issuer may have hashed it without lowering its case.
Digests are compared in constant time. Nothing is kept: the answer says yes, no, or why it
cannot say, and never echoes the salt, the hash or the address.

The answer counts only for a badge whose content is authentic (`claims.content_is_authentic`):
in a forged badge, whatever identifier it carries proves nothing, so no comparison is made.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from issuer.errors import InvalidInput
from issuer.openbadges.credential import normalise_email
from issuer.openbadges.verification.claims import content_is_authentic
from issuer.openbadges.verification.messages import render_message

if TYPE_CHECKING:
    from issuer.openbadges.verification.report import VerificationReport

HolderOutcome = Literal["match", "no_match", "not_authentic", "no_email_identity", "bad_email"]

MAX_IDENTITIES = 20
"""At most this many identifiers of a credential are compared."""
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class HolderAnswer:
    outcome: HolderOutcome
    message_fr: str
    message_en: str

    def message(self, locale: str = "fr") -> str:
        return self.message_en if locale.lower().startswith("en") else self.message_fr

    def to_json(self) -> dict[str, Any]:
        return {"answer": self.outcome,
                "message": {"fr": self.message_fr, "en": self.message_en}}


def holder_answer(outcome: HolderOutcome) -> HolderAnswer:
    message_fr, message_en = render_message(f"holder.{outcome}", {})
    return HolderAnswer(outcome, message_fr, message_en)


def check_holder(report: VerificationReport, email: str) -> HolderAnswer:
    """Whether the badge `report` verified was issued to `email`."""
    if not isinstance(email, str) or len(email) > MAX_EMAIL_LENGTH * 2:
        return holder_answer("bad_email")
    try:
        candidates = _candidates(email)
    except InvalidInput:
        return holder_answer("bad_email")
    refusal = cannot_check_holder(report)
    if refusal is not None:
        return refusal
    found = any(identity_matches(identity, candidates) for identity in email_identities(report))
    return holder_answer("match" if found else "no_match")


def cannot_check_holder(report: VerificationReport) -> HolderAnswer | None:
    """Why no address can be compared with this badge (forged, or no e-mail identity), else
    None: pages offer the form only when this is None."""
    if not content_is_authentic(report):
        return holder_answer("not_authentic")
    if not email_identities(report):
        return holder_answer("no_email_identity")
    return None


def email_identities(report: VerificationReport) -> list[EmailIdentity]:
    credential = report.credential or {}
    return list(ob2_email_identities(credential) if report.standard == "ob2"
                else ob3_email_identities(credential))


@dataclass(frozen=True)
class EmailIdentity:
    """One recipient identity: the address itself (`hashed` false) or `algorithm$hex`."""

    value: str
    hashed: bool
    salt: str


def ob3_email_identities(credential: dict[str, Any]) -> Iterable[EmailIdentity]:
    """The e-mail `IdentityObject`s of an OB 3.0 credential's subject."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = next((item for item in subject if isinstance(item, dict)), None)
    if not isinstance(subject, dict):
        return
    identifiers = subject.get("identifier")
    items = identifiers if isinstance(identifiers, list) else [identifiers]
    for item in items[:MAX_IDENTITIES]:
        if not isinstance(item, dict) or item.get("identityType") != "emailAddress":
            continue
        identity = _identity(item.get("identityHash"), item.get("hashed"), item.get("salt"))
        if identity is not None:
            yield identity


def ob2_email_identities(assertion: dict[str, Any]) -> Iterable[EmailIdentity]:
    """The `recipient` of an OB 2.0 assertion, when it is an e-mail identity."""
    recipient = assertion.get("recipient")
    if not isinstance(recipient, dict) or recipient.get("type") != "email":
        return
    identity = _identity(recipient.get("identity"), recipient.get("hashed"),
                         recipient.get("salt"))
    if identity is not None:
        yield identity


def _identity(value: Any, hashed: Any, salt: Any) -> EmailIdentity | None:
    if not isinstance(value, str) or not value or len(value) > 512:
        return None
    if salt is not None and (not isinstance(salt, str) or len(salt) > 512):
        return None
    is_hashed = hashed is True or (hashed is None and "$" in value and "@" not in value)
    return EmailIdentity(value.strip(), is_hashed, salt or "")


# OB 2.0 IdentityObject: `identity` is "sha256$…" or "md5$…" when hashed. MD5 is read, never
# written, and only to compare with what an issuer already published.
_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "sha256": hashlib.sha256,
    "md5": lambda data: hashlib.md5(data, usedforsecurity=False),
}


def identity_matches(identity: EmailIdentity, candidates: tuple[str, ...]) -> bool:
    """Whether one of the forms of the typed address is this identity."""
    if not identity.hashed:
        try:
            stored = normalise_email(identity.value)
        except InvalidInput:
            return False
        return any(hmac.compare_digest(stored.encode(), candidate.lower().encode())
                   for candidate in candidates)
    algorithm, separator, expected = identity.value.partition("$")
    digest = _DIGESTS.get(algorithm.lower())
    if not separator or digest is None:
        return False
    expected = expected.lower()
    found = False
    for candidate in candidates:
        computed = digest((candidate + identity.salt).encode("utf-8")).hexdigest()
        found |= hmac.compare_digest(computed.encode(), expected.encode("utf-8", "replace"))
    return found


def _candidates(email: str) -> tuple[str, ...]:
    """The forms of the typed address to compare: normalised as at issuance, then as typed."""
    typed = email.strip()
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in typed):
        raise InvalidInput("Adresse e-mail illisible.", "Unreadable e-mail address.",
                           code="holder.bad_email")
    normalised = normalise_email(typed)
    return (normalised,) if typed == normalised else (normalised, typed)
