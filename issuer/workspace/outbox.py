"""Who may read what the outbox holds (issue #10, item 1).

Without an SMTP server (the default), every e-mail is written to var/outbox/ and listed under
/admin/courriels, so that a person can pass it on. Some of these e-mails carry a personal
one-time link (issuer.one_time_links): an invitation to the workspace, a sign-in link to
"Mon espace". Whoever reads one can become that person, an administrator included. So:

- a message is **secret** when its kind says so (`carries_secret`: every kind is secret
  unless listed in `OPEN_KINDS`, so a new kind, e.g. a wallet offer, starts hidden), or when
  any of its text parts holds a personal link whatever its kind;
- only an administrator reads a secret message (page or `.eml` file), and each reading is an
  audit line (`email.secret_read`: who, which message, page or file; never the link);
- a coordinator sees that the message exists (address, subject, status: the list needs them)
  but not its content nor its file; in an open message shown to them, a personal link would
  be hidden all the same (`hide_personal_links`).

The web pages read the outbox only through `view_message` and `read_outbox_file`; the plain
`issuer.mail.outbox_message` is for the command line and the tests (the operator holds the
files anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Literal

from issuer.mail.compose import MailError
from issuer.mail.delivery import get_message, outbox_message
from issuer.one_time_links import has_personal_link, hide_personal_links
from issuer.storage.audit_log import record_audit
from issuer.storage.workspace_models import EmailMessage as MessageRow
from issuer.workspace.accounts import role_allows

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

#: Kinds of e-mail that carry no personal link (issuer.mail.delivery.KIND_BADGE,
#: issuer.network.endorsement_mail.ENDORSEMENT_MAIL_KIND). Any other kind is secret. A badge e-mail
#: that has left carries the holder's one-time wallet link (issuer.wallet.holder_links): its
#: content makes it secret all the same.
OPEN_KINDS = frozenset({"badge", "endorsement"})
SECRET_READ_ACTION = "email.secret_read"  # noqa: S105 - an audit action name


def carries_secret(kind: str) -> bool:
    """Whether e-mails of this kind hold a personal one-time link (fail-closed)."""
    return kind not in OPEN_KINDS


class SecretWithheld(MailError):
    code = "mail.secret_withheld"

    def __init__(self) -> None:
        super().__init__(
            "Ce courriel contient un lien personnel (invitation ou connexion) : seul un "
            "administrateur peut le lire.",
            "This e-mail holds a personal link (invitation or sign-in): only an administrator "
            "can read it.")


@dataclass(frozen=True)
class Reader:
    """The person reading: their audit name (`actor`), their role, where they came from."""

    actor: str
    role: str
    origin: str | None = None

    @property
    def may_read_secrets(self) -> bool:
        return role_allows(self.role, "administrator")


@dataclass(frozen=True)
class MessageView:
    row: MessageRow
    secret: bool
    withheld: bool          # secret and the reader may not read it: no text, no file
    text: str | None        # the plain-text part, when in the outbox and not withheld


def _texts(message: EmailMessage) -> list[str]:
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            texts.append(str(part.get_content()))
    return texts


def _is_secret(row: MessageRow, message: EmailMessage | None) -> bool:
    return carries_secret(row.kind) or (
        message is not None and any(has_personal_link(text) for text in _texts(message)))


def _audit_reading(service: IssuerService, row: MessageRow, reader: Reader,
                   how: Literal["page", "file"]) -> None:
    with service.database.session() as session:
        record_audit(session, actor=reader.actor, action=SECRET_READ_ACTION, subject=row.id,
                     details={"message": row.id, "kind": row.kind, "as": how},
                     origin=reader.origin)


def view_message(service: IssuerService, message_id: str, *, reader: Reader) -> MessageView:
    """A message as `reader` may see it (`MailError` when unknown). Reading a secret one's
    text is audited."""
    row = get_message(service, message_id)
    parsed: EmailMessage | None = None
    if row.status == "outbox":
        try:
            _row, parsed = outbox_message(service, message_id)
        except MailError:
            parsed = None
    secret = _is_secret(row, parsed)
    if secret and not reader.may_read_secrets:
        return MessageView(row, secret=True, withheld=True, text=None)
    body = parsed.get_body(("plain",)) if parsed is not None else None
    text = str(body.get_content()) if body is not None else None
    if text is not None and secret:
        _audit_reading(service, row, reader, "page")
    if text is not None and not reader.may_read_secrets:
        text = hide_personal_links(text)  # belt and braces: an open kind holds none
    return MessageView(row, secret=secret, withheld=False, text=text)


def read_outbox_file(service: IssuerService, message_id: str, *,
                reader: Reader) -> tuple[MessageRow, bytes]:
    """The `.eml` bytes of an outbox message, to forward by hand. `SecretWithheld` for a
    secret message and a reader who is not an administrator (audited when one is)."""
    row, parsed = outbox_message(service, message_id)
    if _is_secret(row, parsed):
        if not reader.may_read_secrets:
            raise SecretWithheld()
        _audit_reading(service, row, reader, "file")
    return row, parsed.as_bytes()
