"""Tables of the skills catalogue (issue #5): the current domains and skills, and every
version of the catalogue with its change note, author and full snapshot.

The current rows answer "which skills exist now" (badges, the directory); the snapshot of
version n answers "what did the catalogue say in version n" (a badge keeps pointing at the
version it was issued under). `migrations/versions/0004_skills.py` creates these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from issuer.storage.models import Base, utc_now


class SkillDomainRow(Base):
    """A domain of the catalogue as it is now. Texts are stored per language; crosswalks as
    JSON text (a list of {uri, framework, relation})."""

    __tablename__ = "skill_domains"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    description_fr: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    crosswalks_json: Mapped[str] = mapped_column("crosswalks", Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    retired_at: Mapped[dt.datetime | None]


class SkillRow(Base):
    """A skill as it is now. A retired skill keeps its row (and its public address)."""

    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    domain_code: Mapped[str] = mapped_column(ForeignKey("skill_domains.code"), index=True)
    name_fr: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    description_fr: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    levels_json: Mapped[str] = mapped_column("levels", Text)
    crosswalks_json: Mapped[str] = mapped_column("crosswalks", Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    retired_at: Mapped[dt.datetime | None]


class SkillCatalogueVersion(Base):
    """One version of the catalogue: who changed it, why, and everything it said (JSON)."""

    __tablename__ = "skill_catalogue_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    author: Mapped[str] = mapped_column(String)  # account e-mail of the coordinator, or "cli"
    note: Mapped[str] = mapped_column(Text)
    snapshot_json: Mapped[str] = mapped_column("snapshot", Text)
