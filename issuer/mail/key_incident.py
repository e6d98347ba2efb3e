"""The e-mail telling a holder that their badges were issued again because the key that signed
them was revoked (issue #14 item 3, docs/DEPLOYMENT.md "Incident de clé"), and why, French then
English (templates/email/key_reissued.*). One message per person, listing each badge; the new
badges themselves follow in their usual delivery e-mails (with the link to add them to a
wallet again). Queued in the re-issuing transaction like the revocation e-mail
(`issuer.mail.revocation`): composed once, spooled to var/mail-queue/, sent by
`issuer.mail.deliver_pending` after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from issuer.i18n import gettext, normalise_locale
from issuer.mail.compose import (
    PRIVACY_PATH,
    badge_mail_facts,
    bilingual_email,
)
from issuer.mail.delivery import SPOOL_FOLDER, new_message_row
from issuer.mail.transport import write_outbox
from issuer.openbadges.credential import credential_url
from issuer.storage.models import IssuedCredential, Recipient
from issuer.storage.workspace_models import EmailMessage as MessageRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

KEY_INCIDENT_MAIL_KIND = "badge-reissued-key"


@dataclass(frozen=True)
class ReissuedLine:
    badge_name: str
    old_page_url: str
    new_page_url: str


@dataclass(frozen=True)
class KeyIncidentFacts:
    holder_name: str | None
    reason: str
    badges: tuple[ReissuedLine, ...]
    issuer_name: str
    privacy_url: str
    contact_email: str


def compose_key_incident(service: IssuerService, person: Recipient,
                         pairs: Sequence[tuple[IssuedCredential, IssuedCredential]], *, to: str,
                         reason: tuple[str, str], locale: str = "fr") -> EmailMessage:
    """`pairs`: (old badge, its successor). `reason`: why the key was revoked, (French,
    English), as `issuer.issuance.keys.KEY_REVOCATION_REASONS` words it."""
    settings = service.settings
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")

    def facts(lang: str) -> KeyIncidentFacts:
        news = [badge_mail_facts(settings, service.catalogue, new, lang) for _old, new in pairs]
        lines = [ReissuedLine(new.badge_name, credential_url(settings.base_url, old.id), new.page_url)
                 for (old, _new), new in zip(pairs, news, strict=True)]
        return KeyIncidentFacts(
            holder_name=news[0].holder_name, reason=reason[0] if lang == "fr" else reason[1],
            badges=tuple(lines), issuer_name=settings.profile_name,
            privacy_url=f"{base}{PRIVACY_PATH}", contact_email=settings.profile_email)

    return bilingual_email(settings, "key_reissued",
                           lambda lang: gettext("Your badges were issued again", lang), facts,
                           to=to,
                           display_name=person.display_name, locale=primary)


def queue_key_incident_email(service: IssuerService, session: Session, person: Recipient,
                             pairs: Sequence[tuple[IssuedCredential, IssuedCredential]],
                             reason: tuple[str, str], *, actor: str,
                             origin: str | None = None) -> MessageRow | None:
    """Queue the notice in `session` (the re-issuing transaction) when the person has an
    address; call `issuer.mail.deliver_pending(service)` after the commit."""
    address = person.email
    if not pairs or not address or person.erased_at is not None:
        return None
    message = compose_key_incident(service, person, pairs, to=address, reason=reason)
    row = new_message_row(session, kind=KEY_INCIDENT_MAIL_KIND, to=address,
                          subject=str(message["Subject"]), locale="fr",
                          credential_id=pairs[0][1].id, actor=actor, origin=origin,
                          audit_subject=person.id)
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, row.id, message)
    return row
