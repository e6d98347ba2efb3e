"""The e-mail telling a mediator that a peer's endorsement of their badge is published
(templates/email/endorsement.*), queued in the transaction that approves it and sent after,
like every message of the service: a row of `email_messages` (kind "endorsement", linked to
the endorsed badge so the person's export and erasure find it) and the composed message
spooled to var/mail-queue/, which `issuer.mail.deliver_pending` sends (SMTP, or the outbox
folder)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from issuer.i18n import gettext, normalise_locale

# One compose tail for every e-mail (the City's frame, both languages, headers that refuse
# CR/LF): issuer.mail.compose.bilingual_email.
from issuer.mail.compose import PRIVACY_PATH, bilingual_email, clean_name
from issuer.mail.delivery import SPOOL_FOLDER, new_message_row
from issuer.mail.transport import write_outbox
from issuer.openbadges.credential import credential_url
from issuer.openbadges.endorsement_credential import endorsement_url
from issuer.settings import Settings
from issuer.storage.workspace_models import EmailMessage as MessageRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService
    from issuer.storage.endorsement_models import EndorsementRow

ENDORSEMENT_MAIL_KIND = "endorsement"


@dataclass(frozen=True)
class EndorsementMailFacts:
    display_name: str | None
    badge_name: str
    endorser_name: str | None
    comment: str
    endorsement_url: str
    badge_url: str
    space_url: str
    issuer_name: str
    privacy_url: str
    contact_email: str


def compose_endorsement_published(settings: Settings, *, to: str, display_name: str | None,
                                  badge_name: str, endorser_name: str | None, comment: str,
                                  endorsement_id: str, credential_id: str,
                                  locale: str = "fr") -> EmailMessage:
    """The message, in the person's language first, then the other."""
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")
    facts = EndorsementMailFacts(
        display_name=clean_name(display_name), badge_name=badge_name,
        endorser_name=clean_name(endorser_name), comment=comment,
        endorsement_url=endorsement_url(base, endorsement_id),
        badge_url=credential_url(base, credential_id), space_url=f"{base}/espace",
        issuer_name=settings.profile_name, privacy_url=f"{base}{PRIVACY_PATH}",
        contact_email=settings.profile_email)
    return bilingual_email(settings, "endorsement",
                           lambda lang: gettext("A peer endorsed your badge", lang),
                           lambda _lang: facts, to=to, display_name=display_name,
                           locale=primary)


def queue_endorsement_published(service: IssuerService, session: Session, row: EndorsementRow,
                                *, badge_name: str, actor: str,
                                origin: str | None = None) -> MessageRow | None:
    """Queue the message to the endorsed badge's holder, in `session`; None when there is no
    address to write to (erased person). Call `deliver_pending` after the commit."""
    holder = row.endorsed.recipient
    if not holder.email or holder.erased_at is not None:
        return None
    message = compose_endorsement_published(
        service.settings, to=holder.email, display_name=holder.display_name,
        badge_name=badge_name, endorser_name=row.endorser_name, comment=row.comment,
        endorsement_id=row.id, credential_id=row.endorsed_credential_id)
    queued = new_message_row(session, kind=ENDORSEMENT_MAIL_KIND, to=holder.email,
                             subject=str(message["Subject"]), locale="fr",
                             credential_id=row.endorsed_credential_id, actor=actor,
                             origin=origin)
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, queued.id, message)
    return queued
