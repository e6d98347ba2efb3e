"""The e-mail telling a holder that the City revoked their badge, and why (issue 13 item 7),
French then English (templates/email/revoked.*). Queued in the revoking transaction like the
other e-mails: a row of `email_messages` and the composed message spooled to var/mail-queue/,
sent by `issuer.mail.deliver_pending` after the commit. Only a revocation the coordinator
decides is told this way: an erasure has no address left, and an e-mail change sends the new
badge instead."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from issuer.i18n import gettext, normalise_locale

# The mail module's building blocks, as the other holder e-mails use them.
from issuer.mail.compose import (
    PRIVACY_PATH,
    badge_mail_facts,
    bilingual_email,
)
from issuer.mail.delivery import SPOOL_FOLDER, new_message_row
from issuer.mail.transport import write_outbox
from issuer.storage.models import IssuedCredential
from issuer.storage.workspace_models import EmailMessage as MessageRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

REVOCATION_MAIL_KIND = "badge-revoked"


@dataclass(frozen=True)
class RevocationFacts:
    holder_name: str | None
    badge_name: str
    reason: str
    page_url: str
    issuer_name: str
    privacy_url: str
    contact_email: str


def compose_revocation(service: IssuerService, credential: IssuedCredential, *, to: str,
                       reason: str, locale: str = "fr") -> EmailMessage:
    settings = service.settings
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")

    def facts(lang: str) -> RevocationFacts:
        badge = badge_mail_facts(settings, service.catalogue, credential, lang)
        return RevocationFacts(
            holder_name=badge.holder_name, badge_name=badge.badge_name, reason=reason,
            page_url=badge.page_url, issuer_name=settings.profile_name,
            privacy_url=f"{base}{PRIVACY_PATH}", contact_email=settings.profile_email)

    return bilingual_email(settings, "revoked",
                           lambda lang: gettext("Your badge was revoked", lang), facts, to=to,
                           display_name=credential.recipient.display_name, locale=primary)


def queue_revocation_email(service: IssuerService, session: Session, credential: IssuedCredential,
                           reason: str, *, actor: str, origin: str | None = None
                           ) -> MessageRow | None:
    """Queue the e-mail in `session` (the revoking transaction) when the holder has an address;
    call `issuer.mail.deliver_pending(service)` after the commit."""
    address = credential.recipient.email
    if not address or credential.recipient.erased_at is not None:
        return None
    message = compose_revocation(service, credential, to=address, reason=reason)
    row = new_message_row(session, kind=REVOCATION_MAIL_KIND, to=address,
                          subject=str(message["Subject"]), locale="fr",
                          credential_id=credential.id, actor=actor, origin=origin,
                          audit_subject=credential.recipient_id)
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, row.id, message)
    return row
