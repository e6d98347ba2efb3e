"""The table of peer endorsements (issue #5, item 5): a mediator's request to endorse another
mediator's skill badge, the coordinator's decision, and, once approved, the signed OB 3.0
`EndorsementCredential` exactly as issued. `migrations/versions/0007_endorsements.py` creates it.

An approved endorsement owns one index of a status list opened for endorsements only
(`StatusList.kind == "endorsements"`): the unique `(status_list_id, status_index)` of this table
is what makes its allocation safe under concurrency, as `issued_credentials`' is for badges
(see `status_slots.reserve_status_slot_for`). A list never mixes the two tables, so one unique
constraint per table is enough.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.storage.models import Base, IssuedCredential, Recipient, utc_now


class EndorsementRow(Base):
    """One peer endorsement, from request to signed credential.

    `endorser_name` is the name the endorser agreed to show (None: shown as "a mediator of the
    network"); `comment` is their text. Both are written into the signed credential when the
    coordinator approves, so erasure (RGPD) revokes the credential and forgets them here."""

    __tablename__ = "endorsements"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_index"),
        # One endorsement per peer and badge (a rejected one may be asked again: same row).
        UniqueConstraint("endorser_id", "endorsed_credential_id"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endorsed_credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"),
                                                        index=True)
    endorser_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    # The endorser's own valid skill badge when they asked: what makes them a peer.
    endorser_credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("issued_credentials.id"))
    comment: Mapped[str] = mapped_column(Text)
    endorser_name: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    credential_json: Mapped[str] = mapped_column(Text, default="", server_default="")
    credential_jwt: Mapped[str] = mapped_column(Text, default="", server_default="")
    issued_at: Mapped[dt.datetime | None]
    status_list_id: Mapped[int | None] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    # Never set: endorsements are revoked, not suspended; the column keeps the status-list
    # queries the same for both tables (issuer.storage.status_slots.status_bits).
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The endorsement that replaced this one when the endorsed badge was issued again (an
    # e-mail change, the holder's name choice, a key incident: issuer.workspace.reissue);
    # this one is then revoked. `migrations/versions/0020_endorsement_successors.py`.
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("endorsements.id"))

    endorsed: Mapped[IssuedCredential] = relationship(foreign_keys=[endorsed_credential_id])
    endorser: Mapped[Recipient] = relationship(foreign_keys=[endorser_id])

    @property
    def is_signed(self) -> bool:
        return bool(self.credential_json) and bool(self.credential_jwt)
