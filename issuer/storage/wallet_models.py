"""The wallet's tables (issue #12): holder-bound copies of issued badges.
`migrations/versions/0009_holder_copies.py` creates them.

A holder-bound copy is a second `OpenBadgeCredential` of the same award whose
`credentialSubject.id` is the DID a wallet holds the key of (issuer.wallet.copies). Each copy
owns one index of a status list opened for copies only (`StatusList.kind == "holder_copies"`):
the unique `(status_list_id, status_index)` makes its allocation safe under concurrency, as
`issued_credentials`' does for badges. Its status follows its original's
(`holder_copy_status.follow_original_status`): revoked, suspended and erased with it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.storage.models import Base, IssuedCredential, StatusList, utc_now

#: The signed forms a wallet may receive: an embedded eddsa-rdfc-2022 proof, or the OB 3.0
#: VC-JWT (the OpenID4VCI format identifiers).
COPY_FORMATS = ("ldp_vc", "jwt_vc_json")

#: Longest holder DID stored (a did:jwk of an RSA key is some 600 characters).
MAX_HOLDER_DID_LENGTH = 2048


class HolderCopyRow(Base):
    """One holder-bound copy, stored exactly as signed.

    `credential_json` and `credential_jwt` are both signed forms of the copy (the wallet got the
    one `format` names), never re-serialised. `holder_did`, `credential_json` and
    `credential_jwt` are cleared when the person is erased (RGPD art. 17); the row and its status
    index stay, set as revoked, so the wallet's copy shows revoked and the index is never
    handed to someone else."""

    __tablename__ = "holder_copies"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_index"),
        CheckConstraint("format IN ('ldp_vc', 'jwt_vc_json')", name="format_known"),
        Index("ix_holder_copies_original_holder", "original_id", "holder_did"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # urn:uuid:<id> is its `id`
    original_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    holder_did: Mapped[str | None] = mapped_column(String(MAX_HOLDER_DID_LENGTH))
    format: Mapped[str] = mapped_column(String(16))
    credential_json: Mapped[str] = mapped_column(Text, default="", server_default="")
    credential_jwt: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String)  # who asked: "holder", a wallet flow, "cli"
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    suspended_at: Mapped[dt.datetime | None]

    original: Mapped[IssuedCredential] = relationship()
    status_list: Mapped[StatusList] = relationship()

    @property
    def is_signed(self) -> bool:
        return bool(self.credential_json) and bool(self.credential_jwt)
