"""E-mail delivery (issue #4 item 7): the badge e-mail, coordinator invitations, the queue.

CONTRACT (other areas rely on it; keep the signatures):

Issuance (events, single issuance, CLN mandates) — queue inside the issuing transaction,
deliver after it has committed, so a slow or absent SMTP server never blocks nor undoes an
issuance:

    with service.database.session() as session:
        ... issue ...
        queue_badge_email(service, session, credential_id, locale="fr",
                          actor=user.email, origin=client_origin(request))
    deliver_pending(service)            # or leave it to `issuer mail retry` (cron)

- `queue_badge_email(service, session, credential_id, *, locale="fr", actor="cli",
  origin=None) -> EmailMessage` (the `email_messages` row). Idempotent: a badge that already
  has a delivery e-mail gets no second one (re-running an issuance e-mails nobody twice).
  Raises `MailError` for an unknown or revoked badge, or a person whose data was erased.
- `deliver_pending(service, *, limit=None, actor="cli") -> DeliveryReport`: sends what is
  queued (SMTP, or the outbox folder var/outbox/ when ISSUER_SMTP_HOST is unset). Never raises
  for one message's failure: each outcome is on its row and in the audit trail. Never call it
  inside an open write session (on SQLite it would wait for its own lock). From a web handler,
  hand it to a Starlette `BackgroundTask` so the page answers before the SMTP dialogue.
- `retry_due(service, ...)`: the same, plus failed messages whose next attempt is due.
- `resend(service, credential_id, *, actor, origin) -> EmailMessage`: send a badge's e-mail
  again now (the credential's admin page).

Accounts:
- `compose_invitation(settings, *, to, display_name, invitation_url, expires_at,
  role="coordinator", invited_by=None, locale="fr") -> email.message.EmailMessage`
- `queue_invitation(service, session, *, to, display_name, invitation_url, expires_at,
  role="coordinator", invited_by=None, user_id=None, locale="fr", actor="cli", origin=None)
  -> EmailMessage row`; then `deliver_pending(service)` after the commit.

Reading (issue #10 item 1) is the workspace's rule (`issuer.workspace.outbox`): the web pages
read outbox messages only through
`view_message(service, message_id, *, reader=Reader(actor, role, origin)) -> MessageView` and
`read_outbox_file(...) -> (row, bytes)`: a message holding a personal link (invitation,
sign-in) is withheld from a coordinator, and an administrator's reading is audited.

Recipients (GDPR erasure): `erase_messages_to(service, session, address) -> int`.
Dashboard: `status_counts(session) -> {"queued": n, "sent": n, "failed": n, "outbox": n}`.
"""

from __future__ import annotations

from issuer.mail.compose import MailError, compose_badge_email, compose_invitation
from issuer.mail.delivery import (
    DeliveryReport,
    deliver_pending,
    erase_messages_to,
    get_message,
    messages,
    outbox_message,
    queue_badge_email,
    queue_invitation,
    resend,
    resend_message,
    retry_due,
    status_counts,
)
from issuer.mail.transport import DeliveryFailed

__all__ = [
    "DeliveryFailed",
    "DeliveryReport",
    "MailError",
    "compose_badge_email",
    "compose_invitation",
    "deliver_pending",
    "erase_messages_to",
    "get_message",
    "messages",
    "outbox_message",
    "queue_badge_email",
    "queue_invitation",
    "resend",
    "resend_message",
    "retry_due",
    "status_counts",
]
