"""A mediator's directory profile (issue #5, item 6): what they choose to show in /annuaire,
checked before it is stored (never an e-mail address: the directory shows none), joining and
leaving (leaving is immediate and deletes what the entry showed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from issuer.names import as_sentences, name_problem
from issuer.network.mediators.badges import BadgeChecker, recipient_badges
from issuer.network.mediators.errors import NoSkillBadge, ProfileInvalid
from issuer.network.mediators.sign_in import MEDIATOR_ACTOR
from issuer.storage.audit_log import record_audit
from issuer.storage.mediator_models import DirectoryProfile
from issuer.storage.models import Recipient, utc_now

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService


def _(message: str) -> str:
    """Marks a message id for extraction (pybabel `-k _`); translated where it is shown."""
    return message


#: Where a mediator works: the five sectors of Roubaix (one mairie de quartier each, as for the
#: Conseil local du numérique) or the whole city. Stored code -> English message id.
SECTORS: dict[str, str] = {
    "centre": _("Centre"),
    "est": _("East"),
    "ouest": _("West"),
    "nord": _("North"),
    "sud": _("South"),
    "ville": _("Whole city"),
}
CITY_WIDE = "ville"

MAX_NAME_LENGTH = 120
MAX_ORGANISATION_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 600
MAX_CONTACT_URL_LENGTH = 500
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")  # VERIFICATION.md R8
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f\u2028\u2029]")
# An address as people write one. This guards against a mistake ("write to me at ..."), not
# against someone set on spelling one out ("a at b dot fr").
_EMAIL_LIKE = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class Profile:
    """A directory profile, as the space's form shows it."""

    opted_in: bool
    display_name: str
    sector: str | None
    organisation: str
    description: str
    contact_url: str
    updated_at: datetime | None


def profile_of(service: IssuerService, recipient_id: str) -> Profile:
    """The person's directory profile; an empty one (suggesting the name on their badges) if
    they never joined."""
    with service.database.session(read_only=True) as session:
        row = session.get(DirectoryProfile, recipient_id)
        if row is not None:
            return Profile(row.opted_in, row.display_name, row.sector, row.organisation or "",
                           row.description or "", row.contact_url or "", row.updated_at)
        recipient = session.get(Recipient, recipient_id)
        suggested = (recipient.display_name or "") if recipient is not None else ""
    return Profile(False, suggested, None, "", "", "", None)



@dataclass(frozen=True)
class ProfileDraft:
    """What the space's form submits."""

    display_name: str
    sector: str
    organisation: str = ""
    description: str = ""
    contact_url: str = ""


def _one_line(value: str) -> str:
    return " ".join(_CONTROL_OR_NEWLINE.sub(" ", value or "").split())


def _refuse_email(value: str, field: str) -> None:
    if _EMAIL_LIKE.search(value):
        raise ProfileInvalid(
            "N'écrivez pas d'adresse e-mail ici : l'annuaire n'en montre jamais. Indiquez "
            "plutôt une page de contact (lien).",
            "Do not write an e-mail address here: the directory never shows one. Give a "
            "contact page (link) instead.", field=field)


def _refuse_too_long(value: str, limit: int, field: str) -> None:
    if len(value) > limit:
        raise ProfileInvalid(f"Ce champ dépasse {limit} caractères.",
                             f"This field is longer than {limit} characters.", field=field)


def check_contact_url(value: str) -> str:
    """An https:// address of a web page, or "" (refuses anything else, e-mail links and
    `user@host` addresses included)."""
    value = value.strip()
    if not value:
        return ""
    _refuse_too_long(value, MAX_CONTACT_URL_LENGTH, "contact_url")
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (parts.scheme != "https" or "@" in parts.netloc or "." not in host
            or any(c.isspace() for c in value) or _CONTROL_OR_NEWLINE.search(value)):
        raise ProfileInvalid(
            "Le lien de contact doit être l'adresse d'une page web commençant par https://.",
            "The contact link must be the address of a web page starting with https://.",
            field="contact_url")
    return value


def check_profile(draft: ProfileDraft) -> ProfileDraft:
    """The draft, cleaned (spaces folded, control characters out); `ProfileInvalid` naming
    the field at fault."""
    problem = name_problem(draft.display_name or "")
    if problem is not None:  # checked before _one_line turns a control into a space
        raise ProfileInvalid(*as_sentences(problem), field="display_name")
    name = _one_line(draft.display_name)
    if not name:
        raise ProfileInvalid("Indiquez le nom à afficher dans l'annuaire.",
                             "Give the name to show in the directory.", field="display_name")
    _refuse_too_long(name, MAX_NAME_LENGTH, "display_name")
    _refuse_email(name, "display_name")
    if draft.sector not in SECTORS:
        raise ProfileInvalid("Choisissez le secteur où vous travaillez.",
                             "Choose the sector where you work.", field="sector")
    organisation = _one_line(draft.organisation)
    _refuse_too_long(organisation, MAX_ORGANISATION_LENGTH, "organisation")
    _refuse_email(organisation, "organisation")
    # Paragraphs are kept (line breaks), other control characters are not.
    description = "\n".join(" ".join(line.split()) for line in _CONTROL.sub(
        " ", (draft.description or "").replace("\r\n", "\n")).split("\n")).strip()
    description = re.sub(r"\n{3,}", "\n\n", description)
    _refuse_too_long(description, MAX_DESCRIPTION_LENGTH, "description")
    _refuse_email(description, "description")
    return ProfileDraft(display_name=name, sector=draft.sector, organisation=organisation,
                        description=description,
                        contact_url=check_contact_url(draft.contact_url))


def save_profile(service: IssuerService, recipient_id: str, draft: ProfileDraft, *,
                 origin: str | None = None, now: datetime | None = None,
                 checker: BadgeChecker | None = None) -> None:
    """Join the directory, or update one's entry. Needs at least one valid skill badge
    (`NoSkillBadge`); `ProfileInvalid` for a field that cannot be shown."""
    draft = check_profile(draft)
    now = now or utc_now()
    checker = checker or BadgeChecker(service)
    badges = recipient_badges(service, recipient_id, checker=checker, now=now)
    if not any(badge.state == "valid" and badge.skill_codes for badge in badges):
        raise NoSkillBadge()
    with service.database.session() as session:
        row = session.get(DirectoryProfile, recipient_id)
        joined = row is None or not row.opted_in
        if row is None:
            row = DirectoryProfile(recipient_id=recipient_id, created_at=now)
            session.add(row)
        row.opted_in = True
        row.display_name = draft.display_name
        row.sector = draft.sector
        row.organisation = draft.organisation or None
        row.description = draft.description or None
        row.contact_url = draft.contact_url or None
        row.updated_at = now
        record_audit(session, actor=MEDIATOR_ACTOR,
                     action="directory.joined" if joined else "directory.updated",
                     subject=recipient_id, origin=origin)


def leave_directory(service: IssuerService, recipient_id: str, *, origin: str | None = None,
                    now: datetime | None = None) -> None:
    """Leave the directory, at once: the entry disappears from the next page built, and what
    it showed is deleted (joining again means filling the form again)."""
    with service.database.session() as session:
        row = session.get(DirectoryProfile, recipient_id)
        if row is None:
            return
        was_listed = row.opted_in
        session.delete(row)
        if was_listed:
            record_audit(session, actor=MEDIATOR_ACTOR, action="directory.left",
                         subject=recipient_id, origin=origin)


