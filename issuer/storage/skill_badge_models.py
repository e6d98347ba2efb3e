"""Tables of the skill badges (issue #5, item 4): the badges the coordinator creates from
entries of the skills catalogue, and the evidence files uploaded when one is issued.
`migrations/versions/0005_skill_badges.py` creates them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now


class SkillBadgeRow(Base):
    """A badge for one skill (`kind` "skill") or for a whole domain ("domain").

    Texts are those of the catalogue entry when the badge was created (the criteria can be
    edited); `skill_codes` (JSON list) are the skills it recognises, fixed at creation, so the
    criteria and the alignments say the same thing. Which catalogue *version* a credential
    points at is decided when it is issued (issuer.network.skill_badges).
    """

    __tablename__ = "skill_badges"
    __table_args__ = (
        UniqueConstraint("kind", "target_code"),  # one badge per skill, one per domain
        CheckConstraint("kind IN ('skill', 'domain')", name="kind_known"),
    )

    slug: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    target_code: Mapped[str] = mapped_column(String(12))
    skill_codes_json: Mapped[str] = mapped_column("skill_codes", Text)
    name_fr: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    description_fr: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    criteria_fr: Mapped[str] = mapped_column(Text)
    criteria_en: Mapped[str] = mapped_column(Text)
    catalogue_version: Mapped[int] = mapped_column(Integer)  # the version it was created from
    created_by: Mapped[str] = mapped_column(String)  # account e-mail of the coordinator
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class EvidenceFileRow(Base):
    """A file given as evidence of a skill (stored as `var/evidence/<id>.<extension>`, served
    at `/preuves/<id>.<extension>`). `credential_id` links it to the credential that cites
    it, so that erasing a person's data can find their files."""

    __tablename__ = "evidence_files"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    extension: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"),
                                                      index=True)
    created_by: Mapped[str] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
