"""The table of presentation requests (issue #12, item 5): an employer asks a holder's wallet
for a presentation (VC-API exchange, verifier role) and reads the verified answer.
`migrations/versions/0010_presentation_requests.py` creates it; `issuer.wallet.presentation_requests`
is the only code that reads or writes it.

Nothing stored can answer or read a request: the exchange token (in the wallet's address and
the employer's page address) and the viewer token (the employer's cookie) are kept as SHA-256
digests (`issuer.tokens`), and the challenge is derived from the exchange token, so it is not
stored at all. A row holds no name or e-mail address of its own; `result_json` (the report of
the answer, with the badges presented) is personal data, deleted with the row once
`RESULT_LIFETIME` has passed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now

PRESENTATION_REQUEST_STATES = ("pending", "answered", "completed")
"""`pending`: waiting for the wallet; `answered`: one answer claimed it and is being verified
(the single-use step: only one answer gets past it); `completed`: the result is stored."""


class PresentationRequestRow(Base):
    __tablename__ = "presentation_requests"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'answered', 'completed')", name="state_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exchange_digest: Mapped[str] = mapped_column(String(64), unique=True)
    viewer_digest: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
    expires_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
    verdict: Mapped[str | None] = mapped_column(String(16))
    holder_bound: Mapped[bool | None] = mapped_column(Boolean)
    result_json: Mapped[str | None] = mapped_column(Text)
