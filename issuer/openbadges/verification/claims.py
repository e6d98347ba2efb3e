"""What a verified badge says (issue #9 item 7): the claims a person reads beside the verdict,
taken from the credential of a `VerificationReport`, and whether they may be shown as facts.

`claims_of(report)` reads, for an Open Badges 3.0 credential (`report.standard == "ob3"`): the
achievement's name, description, criteria and image; the issuer (id or DID, name, address, and
whether this service knows it, with its label); the holder's name when the credential shows it;
the role, term, activity dates and narrative of the subject; the edition or event (the evidence
whose genre is an event, as the City writes it: see `issuer.openbadges.credential.event_evidence`); the
dates; the skills (OB 3.0 `Alignment`); the other evidence; the status. For an Open Badges 2.0
assertion (`"ob2"`), the report's credential is the *resolved* assertion (its `badge` is the
BadgeClass object, whose `issuer` is the Profile object): name, description, image, criteria
and alignment come from the badge, the issuer from `badge.issuer`, the dates from `issuedOn` and
`expires`.

**When the claims are facts (`VerifiedClaims.verified`).** Only when the content was signed by
the issuer exactly as read: the checks `format`, `context`, `type`, `proof` and `issuer_key`
all passed (a warning counts as passed, as in the verdict: e.g. an older context version or
the VCDM 1.1 JWT form, still signed). Then every member the page shows is covered by a
signature tied to the issuer (unsigned members fail `proof`; swapped contexts fail `context`,
VERIFICATION.md R14). The other checks say whether the badge is valid *now* (schema, known issuer,
dates, status) and do not make its content less genuine: a revoked, suspended or expired badge
still shows what it certified, with its status. A failed or unknown proof or key (tampered,
forged, or a key that nothing ties to the issuer) gives `verified = False`: the claims are
then only what the file *pretends*, shown as such or not at all, never as facts.

Everything here is a stranger's JSON: each value is type-checked, each string cut to a bound,
each list to a length, and a URL is kept only with an `http`, `https` (or, for an image, a
`data:image/…`) scheme. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # report.py imports this module (`VerificationReport.to_json`)
    from issuer.openbadges.verification.report import VerificationReport

AUTHENTICITY_CHECKS = ("format", "context", "type", "proof", "issuer_key")
"""The checks that must all pass for the credential's content to count as signed by its issuer."""

MAX_NAME = 300
MAX_TEXT = 4_000
MAX_URL = 2_048
MAX_IMAGE_DATA_URI = 500_000
"""A data: image a credential embeds is shown inline; larger ones are left out."""
MAX_ITEMS = 30
"""At most this many skills, and this many evidence entries, are read."""

_EVENT_GENRES = {"événement", "evenement", "event"}
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)(;[a-z0-9=.+-]+)*,", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class IssuerClaim:
    """`known` only for authentic content: a tampered badge under a known issuer's key does
    not come from that issuer as it reads."""

    id: str | None
    name: str | None
    url: str | None
    known: bool
    label: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "url": self.url, "known": self.known,
                "label": self.label}


@dataclass(frozen=True)
class SkillClaim:
    """One OB 3.0 (or OB 2.0) `Alignment`: the skill or competency the badge recognises."""

    name: str
    code: str | None
    url: str | None
    framework: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "url": self.url,
                "framework": self.framework}


@dataclass(frozen=True)
class EvidenceClaim:
    name: str | None
    description: str | None
    narrative: str | None
    genre: str | None
    url: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "narrative": self.narrative, "genre": self.genre, "url": self.url}


@dataclass(frozen=True)
class VerifiedClaims:
    """What the credential says, and `verified`: whether it may be shown as fact."""

    verified: bool
    standard: str
    kind: str                         # "badge" or "endorsement"
    name: str | None
    description: str | None
    criteria: str | None
    image_url: str | None             # http(s) or data:image/… only
    issuer: IssuerClaim
    holder_name: str | None
    role: str | None
    term: str | None
    narrative: str | None
    activity_start: datetime | None
    activity_end: datetime | None
    event: EvidenceClaim | None       # the edition or event, when the evidence names one
    issued: datetime | None
    valid_from: datetime | None
    valid_until: datetime | None
    skills: tuple[SkillClaim, ...] = field(default=())
    evidence: tuple[EvidenceClaim, ...] = field(default=())
    revoked: bool | None = None
    suspended: bool | None = None
    expired: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "criteria": self.criteria,
            "image": self.image_url,
            "issuer": self.issuer.to_json(),
            "holder_name": self.holder_name,
            "role": self.role,
            "term": self.term,
            "narrative": self.narrative,
            "activity_start": _iso(self.activity_start),
            "activity_end": _iso(self.activity_end),
            "event": self.event.to_json() if self.event else None,
            "issued": _iso(self.issued),
            "valid_from": _iso(self.valid_from),
            "valid_until": _iso(self.valid_until),
            "skills": [skill.to_json() for skill in self.skills],
            "evidence": [entry.to_json() for entry in self.evidence],
            "status": {"revoked": self.revoked, "suspended": self.suspended,
                       "expired": self.expired},
        }


def content_is_authentic(report: VerificationReport) -> bool:
    """The content was signed by the issuer as read (see the module docstring)."""
    outcomes = {check.name: check.outcome for check in report.checks}
    return report.credential is not None and all(
        outcomes.get(name) in ("passed", "warning") for name in AUTHENTICITY_CHECKS)


def claims_of(report: VerificationReport) -> VerifiedClaims | None:
    """The claims of the report's credential; None when nothing could be read."""
    credential = report.credential
    if not isinstance(credential, dict):
        return None
    read = _ob2_claims if report.standard == "ob2" else _ob3_claims
    return read(credential, report, content_is_authentic(report))


# --- Open Badges 3.0 ----------------------------------------------------------------------------

def _ob3_claims(credential: dict[str, Any], report: VerificationReport,
                verified: bool) -> VerifiedClaims:
    subject = _first_object(credential.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    types = _strings(credential.get("type"))
    endorsement = "EndorsementCredential" in types
    issuer = credential.get("issuer")
    issuer_object = _object(issuer)
    evidence = _evidence_list(credential.get("evidence"))
    event = next((entry for entry in evidence
                  if entry.genre and entry.genre.casefold() in _EVENT_GENRES), None)
    criteria = _object(achievement.get("criteria"))
    return VerifiedClaims(
        verified=verified,
        standard="ob3",
        kind="endorsement" if endorsement else "badge",
        name=_text(achievement.get("name"), MAX_NAME) or _text(credential.get("name"), MAX_NAME),
        description=_text(achievement.get("description"), MAX_TEXT)
        or _text(subject.get("endorsementComment"), MAX_TEXT),
        criteria=_text(criteria.get("narrative"), MAX_TEXT),
        image_url=_image_url(achievement.get("image")) or _image_url(credential.get("image")),
        issuer=IssuerClaim(
            id=_identifier(issuer),
            name=_text(issuer_object.get("name"), MAX_NAME),
            url=_web_url(issuer_object.get("url")),
            known=verified and report.issuer_known,
            label=report.issuer_label if verified else None),
        holder_name=_text(subject.get("name"), MAX_NAME),
        role=_text(subject.get("role"), MAX_NAME),
        term=_text(subject.get("term"), MAX_NAME),
        narrative=_text(subject.get("narrative"), MAX_TEXT),
        activity_start=_moment(subject.get("activityStartDate")),
        activity_end=_moment(subject.get("activityEndDate")),
        event=event,
        issued=_moment(credential.get("awardedDate")) or report.valid_from
        or _moment(credential.get("validFrom")) or _moment(credential.get("issuanceDate")),
        valid_from=report.valid_from or _moment(credential.get("validFrom"))
        or _moment(credential.get("issuanceDate")),
        valid_until=report.valid_until or _moment(credential.get("validUntil"))
        or _moment(credential.get("expirationDate")),
        skills=_skills(achievement.get("alignment")),
        evidence=tuple(entry for entry in evidence if entry is not event),
        revoked=report.revoked, suspended=report.suspended, expired=report.expired,
    )


# --- Open Badges 2.0 ----------------------------------------------------------------------------

def _ob2_claims(assertion: dict[str, Any], report: VerificationReport,
                verified: bool) -> VerifiedClaims:
    badge = _object(assertion.get("badge"))
    issuer = badge.get("issuer")
    issuer_object = _object(issuer)
    criteria = badge.get("criteria")
    criteria_text = _text(_object(criteria).get("narrative"), MAX_TEXT)
    evidence = _evidence_list(assertion.get("evidence"))
    issued = _moment(assertion.get("issuedOn"))
    return VerifiedClaims(
        verified=verified,
        standard="ob2",
        kind="badge",
        name=_text(badge.get("name"), MAX_NAME),
        description=_text(badge.get("description"), MAX_TEXT),
        criteria=criteria_text,
        image_url=_image_url(assertion.get("image")) or _image_url(badge.get("image")),
        issuer=IssuerClaim(
            id=report.issuer_id or _identifier(issuer),
            name=_text(issuer_object.get("name"), MAX_NAME) or report.issuer_name,
            url=_web_url(issuer_object.get("url")),
            known=verified and report.issuer_known,
            label=report.issuer_label if verified else None),
        holder_name=None,  # an OB 2.0 recipient is an identity (often hashed), not a name
        role=None,
        term=None,
        narrative=_text(assertion.get("narrative"), MAX_TEXT),
        activity_start=None,
        activity_end=None,
        event=None,
        issued=issued,
        valid_from=report.valid_from or issued,
        valid_until=report.valid_until or _moment(assertion.get("expires")),
        skills=_skills(badge.get("alignment")),
        evidence=evidence,
        revoked=report.revoked, suspended=report.suspended, expired=report.expired,
    )


# --- reading a stranger's JSON, bounded -----------------------------------------------------------

def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_object(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return next((item for item in value if isinstance(item, dict)), {})
    return _object(value)


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


def _text(value: Any, limit: int) -> str | None:
    """A string, stripped of control characters and cut to `limit` characters; None else.
    A JSON-LD language map or value object (`{"@value": …}`) gives its first string."""
    if isinstance(value, dict):
        value = value.get("@value", next((v for v in list(value.values())[:8]
                                          if isinstance(v, str)), None))
    if isinstance(value, list):
        value = next((item for item in value[:8] if isinstance(item, str)), None)
    if not isinstance(value, str):
        return None
    cleaned = _CONTROL.sub("", value).strip()
    if not cleaned:
        return None
    return cleaned if len(cleaned) <= limit else cleaned[:limit - 1].rstrip() + "…"


def _identifier(value: Any) -> str | None:
    """An issuer given as its id (a string) or as a profile object with a string `id`."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or _CONTROL.search(value):
        return None
    value = value.strip()
    return value if value and len(value) <= MAX_URL else None


def _web_url(value: Any) -> str | None:
    """An absolute http(s) URL without spaces or control characters, else None."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    url = value.strip()
    if not url.lower().startswith(("https://", "http://")) or len(url) <= len("https://"):
        return None
    if any(character.isspace() or ord(character) < 0x20 or character in '<>"\\`'
           for character in url):
        return None
    return url


def _image_url(value: Any) -> str | None:
    """OB 3.0 `Image` (an object with `id`) or a plain URI (OB 2.0): http(s), or a
    `data:image/…` URI of a raster or SVG image, bounded in size."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str):
        return None
    if value[:5].lower() == "data:":
        if len(value) > MAX_IMAGE_DATA_URI or not _DATA_IMAGE.match(value):
            return None
        if any(character.isspace() or character in '<>"\\`' for character in value):
            return None
        return value
    return _web_url(value)


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 date-time with a time zone, or a plain date (OB 2.0 allows one), in UTC."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _skills(value: Any) -> tuple[SkillClaim, ...]:
    items = value if isinstance(value, list) else [value]
    skills: list[SkillClaim] = []
    for item in items[:MAX_ITEMS]:
        if not isinstance(item, dict):
            continue
        name = _text(item.get("targetName"), MAX_NAME)
        if name is None:
            continue
        skills.append(SkillClaim(name=name, code=_text(item.get("targetCode"), MAX_NAME),
                                 url=_web_url(item.get("targetUrl")),
                                 framework=_text(item.get("targetFramework"), MAX_NAME)))
    return tuple(skills)


def _evidence_list(value: Any) -> tuple[EvidenceClaim, ...]:
    items = value if isinstance(value, list) else [value]
    entries: list[EvidenceClaim] = []
    for item in items[:MAX_ITEMS]:
        if isinstance(item, str):  # OB 2.0 allows evidence as a bare URL
            url = _web_url(item)
            if url:
                entries.append(EvidenceClaim(None, None, None, None, url))
            continue
        if not isinstance(item, dict):
            continue
        entry = EvidenceClaim(name=_text(item.get("name"), MAX_NAME),
                              description=_text(item.get("description"), MAX_TEXT),
                              narrative=_text(item.get("narrative"), MAX_TEXT),
                              genre=_text(item.get("genre"), MAX_NAME),
                              url=_web_url(item.get("id")))
        if any((entry.name, entry.description, entry.narrative, entry.url)):
            entries.append(entry)
    return tuple(entries)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
