"""Recipients: found by their keyed e-mail hash or created (one, or a batch at once), and
erased (GDPR). Each function takes the caller's `Session`; nothing here commits."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import NotFound
from issuer.storage.key_batches import batches
from issuer.storage.models import (
    Recipient,
    utc_now,
)


@dataclass(frozen=True)
class RecipientDraft:
    """A person to find by `email_hash_key`, or to create with these values."""

    email_hash_key: str
    email: str
    display_name: str | None
    show_name: bool


def find_or_create_recipient(
    session: Session,
    *,
    email_hash_key: str,
    email: str,
    display_name: str | None,
    show_name: bool,
) -> Recipient:
    """The recipient known by `email_hash_key`, created (with a fresh pseudonymous
    `subject_id` and `identity_salt`) if there is none.

    An existing recipient is returned as stored: its e-mail, name and `show_name` are not
    overwritten (updating them is the service's decision). Safe when two transactions create
    the same person at once: the unique key decides, the loser reads the winner's row.
    """
    found = _recipient_by_hash_key(session, email_hash_key)
    if found is not None:
        return found
    recipient = _new_recipient(RecipientDraft(email_hash_key, email, display_name, show_name))
    try:
        with session.begin_nested():
            session.add(recipient)
    except IntegrityError:
        found = _recipient_by_hash_key(session, email_hash_key)
        if found is None:
            raise
        return found
    return recipient


def find_or_create_recipients(
    session: Session, people: Sequence[RecipientDraft]
) -> dict[str, Recipient]:
    """`find_or_create_recipient` for a batch: the recipients by `email_hash_key`.

    One query finds the known people; the others are inserted together in one SAVEPOINT (the
    first draft of a key gives the values, as when issuing one by one). If that insert collides
    (a concurrent transaction created one of them meanwhile), it is rolled back and each new
    person goes through `find_or_create_recipient`, where the unique key decides.
    """
    wanted: dict[str, RecipientDraft] = {}
    for person in people:
        wanted.setdefault(person.email_hash_key, person)
    found: dict[str, Recipient] = {}
    for batch in batches(list(wanted)):
        for recipient in session.scalars(
            select(Recipient).where(Recipient.email_hash_key.in_(batch))
        ):
            assert recipient.email_hash_key is not None
            found[recipient.email_hash_key] = recipient
    # Inserted in key order, as `reserve_credential_rows` does: on PostgreSQL two transactions
    # inserting overlapping sets then wait for each other in one direction, never in a cycle.
    missing = [_new_recipient(wanted[key]) for key in sorted(wanted) if key not in found]
    if not missing:
        return found
    try:
        with session.begin_nested():
            session.add_all(missing)
    except IntegrityError:
        for recipient in missing:
            person = wanted[recipient.email_hash_key or ""]
            found[person.email_hash_key] = find_or_create_recipient(
                session, email_hash_key=person.email_hash_key, email=person.email,
                display_name=person.display_name, show_name=person.show_name)
        return found
    found.update({person.email_hash_key or "": person for person in missing})
    return found


def erase_recipient(
    session: Session, recipient_id: str, *, at: datetime | None = None
) -> Recipient:
    """GDPR erasure (RGPD art. 17): forget the e-mail, the name and the keyed e-mail hash.

    The recipient row (pseudonymous `subject_id`, `identity_salt`) and their credentials stay:
    the credentials belong to the holder, and their status must remain publishable.
    """
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(
            f"Destinataire inconnu : {recipient_id}.", f"Unknown recipient: {recipient_id}."
        )
    recipient.email = None
    recipient.display_name = None
    recipient.show_name = False
    recipient.email_hash_key = None
    recipient.erased_at = at or utc_now()
    return recipient


# --- helpers -------------------------------------------------------------------------


def _new_recipient(person: RecipientDraft) -> Recipient:
    return Recipient(
        id=str(uuid.uuid4()),
        email_hash_key=person.email_hash_key,
        email=person.email,
        display_name=person.display_name,
        show_name=person.show_name,
        subject_id=f"urn:uuid:{uuid.uuid4()}",
        # OB 3.0 IdentityObject `salt`: 128 random bits, so the hashed e-mail in a credential
        # cannot be matched against a dictionary of addresses.
        identity_salt=secrets.token_hex(16),
    )


def _recipient_by_hash_key(session: Session, email_hash_key: str) -> Recipient | None:
    return session.scalars(
        select(Recipient).where(Recipient.email_hash_key == email_hash_key)
    ).one_or_none()
