"""The table of request limits shared by every process (issue #14 item 1):
`rate_limit_windows`, one counter per (limit, client, window). `issuer.issuance.rate_limits`
reads and writes it; `migrations/versions/0015_rate_limit_windows.py` creates it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base


class RateLimitWindow(Base):
    """Requests of one client on one limit (`bucket`, e.g. "verification") during the fixed
    window starting at `window_start` (seconds since the epoch, by the database's clock, a
    multiple of the window's length). Rows of past windows are swept."""

    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer)
