"""The skills catalogue in the database (issue #5, item 2): read the current catalogue or any
earlier version, and apply the coordinator's changes, each as a new version with its change
note and author, recorded in the audit trail.

The catalogue is seeded from `badges/skills.yaml` on first use (version 1). A version is
immutable: its snapshot is the whole catalogue as JSON, so `catalogue_version(n)` returns it
exactly as it was. The current rows (`skill_domains`, `skills`) mirror the latest version for
queries by code.

Every function takes the `IssuerService` (its database and its badge folder), like
`issuer.workspace.members`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from issuer.issuance.catalogue import SKILLS_CATALOGUE_FILE
from issuer.issuance.service import IssuerService
from issuer.network.skills import edits
from issuer.network.skills.case import ImportSummary, merge_case_content, read_case_package
from issuer.network.skills.catalogue import (
    SkillCatalogue,
    SkillCatalogueError,
    SkillNotFound,
    default_seed_path,
    load_skill_catalogue,
)
from issuer.network.skills.edits import DomainDraft, SkillDraft
from issuer.storage.audit_log import record_audit
from issuer.storage.models import utc_now
from issuer.storage.skills_models import SkillCatalogueVersion, SkillDomainRow, SkillRow

SEED_AUTHOR = "cli"
SEED_NOTE = "Catalogue initial (badges/skills.yaml) / initial catalogue"
MAX_NOTE_LENGTH = 1000
# Any constant: serialises catalogue changes on one PostgreSQL database (SQLite serialises
# writers with BEGIN IMMEDIATE, see issuer.storage.db).
_PG_CATALOGUE_LOCK = 0x0B_AD6E_5C11


@dataclass(frozen=True)
class CatalogueVersionInfo:
    """One line of the version history."""

    number: int
    created_at: dt.datetime
    author: str
    note: str


Change = Callable[[SkillCatalogue], SkillCatalogue]


# --- reading ------------------------------------------------------------------------------


def current_catalogue(service: IssuerService) -> SkillCatalogue:
    """The latest version (seeding version 1 from the YAML file on first use)."""
    with service.database.session(read_only=True) as session:
        latest = _latest_version(session)
    if latest is None:
        with service.database.session() as session:
            latest = _ensure_seeded(service, session)
    return _from_row(latest)


def catalogue_version(service: IssuerService, number: int) -> SkillCatalogue:
    """The catalogue as it was in version `number`; SkillNotFound if there is no such version."""
    current_catalogue(service)  # version 1 exists from the first look on
    with service.database.session(read_only=True) as session:
        row = session.get(SkillCatalogueVersion, number)
    if row is None:
        raise SkillNotFound(f"Le catalogue n'a pas de version {number}.",
                            f"The catalogue has no version {number}.",
                            code="skills.version_not_found")
    return _from_row(row)


def version_history(service: IssuerService) -> list[CatalogueVersionInfo]:
    """Every version, newest first."""
    current_catalogue(service)
    with service.database.session(read_only=True) as session:
        rows = session.execute(
            select(SkillCatalogueVersion.number, SkillCatalogueVersion.created_at,
                   SkillCatalogueVersion.author, SkillCatalogueVersion.note)
            .order_by(SkillCatalogueVersion.number.desc())).all()
    return [CatalogueVersionInfo(number=r.number, created_at=r.created_at, author=r.author,
                                 note=r.note) for r in rows]


def ensure_seeded(service: IssuerService) -> SkillCatalogue:
    """Seed the catalogue if it is empty (e.g. from `issuer init`); the current catalogue."""
    return current_catalogue(service)


# --- changes (each one is a new version) ---------------------------------------------------


def add_domain(service: IssuerService, draft: DomainDraft, *, actor: str, note: str,
               origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.add_domain(c, draft), actor=actor, note=note,
                        origin=origin, action="skills.domain_added",
                        subject=draft.code.strip().upper())


def edit_domain(service: IssuerService, code: str, draft: DomainDraft, *, actor: str, note: str,
                origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.edit_domain(c, code, draft), actor=actor,
                        note=note, origin=origin, action="skills.domain_edited", subject=code)


def retire_domain(service: IssuerService, code: str, *, actor: str, note: str,
                  origin: str | None = None) -> SkillCatalogue:
    now = utc_now()
    return apply_change(service, lambda c: edits.retire_domain(c, code, now), actor=actor,
                        note=note, origin=origin, action="skills.domain_retired", subject=code)


def reinstate_domain(service: IssuerService, code: str, *, actor: str, note: str,
                     origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.reinstate_domain(c, code), actor=actor,
                        note=note, origin=origin, action="skills.domain_reinstated",
                        subject=code)


def move_domain(service: IssuerService, code: str, offset: int, *, actor: str, note: str,
                origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.move_domain(c, code, offset), actor=actor,
                        note=note, origin=origin, action="skills.domain_moved", subject=code)


def add_skill(service: IssuerService, draft: SkillDraft, *, actor: str, note: str,
              origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.add_skill(c, draft), actor=actor, note=note,
                        origin=origin, action="skills.skill_added",
                        subject=draft.code.strip().upper())


def edit_skill(service: IssuerService, code: str, draft: SkillDraft, *, actor: str, note: str,
               origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.edit_skill(c, code, draft), actor=actor,
                        note=note, origin=origin, action="skills.skill_edited", subject=code)


def retire_skill(service: IssuerService, code: str, *, actor: str, note: str,
                 origin: str | None = None) -> SkillCatalogue:
    now = utc_now()
    return apply_change(service, lambda c: edits.retire_skill(c, code, now), actor=actor,
                        note=note, origin=origin, action="skills.skill_retired", subject=code)


def reinstate_skill(service: IssuerService, code: str, *, actor: str, note: str,
                    origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.reinstate_skill(c, code), actor=actor,
                        note=note, origin=origin, action="skills.skill_reinstated", subject=code)


def move_skill(service: IssuerService, code: str, offset: int, *, actor: str, note: str,
               origin: str | None = None) -> SkillCatalogue:
    return apply_change(service, lambda c: edits.move_skill(c, code, offset), actor=actor,
                        note=note, origin=origin, action="skills.skill_moved", subject=code)


def import_case_package(service: IssuerService, package: Any, *, actor: str, note: str,
                        origin: str | None = None) -> tuple[SkillCatalogue, ImportSummary]:
    """Seed or extend the catalogue from a CASE 1.1 package (parsed JSON), as one new version:
    new codes are added, existing codes updated. CasePackageError if the package is malformed;
    SkillCatalogueError ("skills.no_change") if it changes nothing."""
    content = read_case_package(package)  # refused before any lock is taken
    summaries: list[ImportSummary] = []

    def merge(catalogue: SkillCatalogue) -> SkillCatalogue:
        merged, summary = merge_case_content(catalogue, content)
        summaries.append(summary)
        return merged

    catalogue = apply_change(service, merge, actor=actor, note=note, origin=origin,
                             action="skills.case_imported", subject="catalogue",
                             details={"package_title": content.title[:200]},
                             summary=lambda: summaries[-1].as_details())
    return catalogue, summaries[-1]


def apply_change(service: IssuerService, change: Change, *, actor: str, note: str, action: str,
                 subject: str, origin: str | None = None,
                 details: Mapping[str, Any] | None = None,
                 summary: Callable[[], Mapping[str, Any]] | None = None) -> SkillCatalogue:
    """Apply `change` to the latest version and store the result as the next version, with
    its note, author and an audit line, in one transaction. Returns the new version.

    A change that alters nothing is refused: a version always says something new.
    """
    note = _checked_note(note)
    with service.database.session() as session:
        _lock_catalogue(session)
        latest = _latest_version(session) or _ensure_seeded(service, session)
        before = _from_row(latest)
        after = change(before)
        if after.to_snapshot() == before.to_snapshot():
            raise SkillCatalogueError(
                "Cette modification ne change rien au catalogue.",
                "This change leaves the catalogue as it was.", code="skills.no_change")
        row = _store_version(session, after, number=latest.number + 1, author=actor, note=note)
        record_audit(session, actor=actor, action=action, subject=subject, origin=origin,
                     details={"version": row.number, "note": note, **(details or {}),
                              **(summary() if summary else {})})
        return _from_row(row)


# --- storage helpers ----------------------------------------------------------------------


def _lock_catalogue(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CATALOGUE_LOCK})


def _latest_version(session: Session) -> SkillCatalogueVersion | None:
    return session.scalars(select(SkillCatalogueVersion)
                           .order_by(SkillCatalogueVersion.number.desc()).limit(1)).first()


def _ensure_seeded(service: IssuerService, session: Session) -> SkillCatalogueVersion:
    _lock_catalogue(session)
    latest = _latest_version(session)  # another process may have seeded meanwhile
    if latest is not None:
        return latest
    seed = load_skill_catalogue(seed_path(service))
    row = _store_version(session, seed, number=1, author=SEED_AUTHOR, note=SEED_NOTE)
    record_audit(session, actor=SEED_AUTHOR, action="skills.seeded", subject="catalogue",
                 details={"version": 1, "skills": len(seed.skills)})
    return row


def seed_path(service: IssuerService) -> Path:
    """`skills.yaml` in the badge folder the service uses, else the one shipped."""
    candidate = service.catalogue.directory / SKILLS_CATALOGUE_FILE
    return candidate if candidate.is_file() else default_seed_path()


def _store_version(session: Session, catalogue: SkillCatalogue, *, number: int, author: str,
                   note: str) -> SkillCatalogueVersion:
    now = utc_now()
    _write_current_rows(session, catalogue, now)
    row = SkillCatalogueVersion(number=number, created_at=now, author=author, note=note,
                                snapshot_json=json.dumps(catalogue.to_snapshot(),
                                                         ensure_ascii=False, sort_keys=True))
    session.add(row)
    session.flush()
    return row


def _write_current_rows(session: Session, catalogue: SkillCatalogue, now: dt.datetime) -> None:
    domains = {row.code: row for row in session.scalars(select(SkillDomainRow))}
    for domain in catalogue.domains:
        domain_row = domains.get(domain.code)
        if domain_row is None:
            domain_row = SkillDomainRow(code=domain.code, created_at=now)
            session.add(domain_row)
        domain_row.name_fr, domain_row.name_en = domain.name.fr, domain.name.en
        domain_row.description_fr = domain.description.fr
        domain_row.description_en = domain.description.en
        domain_row.position = domain.position
        domain_row.crosswalks_json = _json([c.__dict__ for c in domain.crosswalks])
        domain_row.retired_at = domain.retired_at
    session.flush()  # domains before the skills that name them (foreign key)
    skills = {row.code: row for row in session.scalars(select(SkillRow))}
    snapshot_skills = {s["code"]: s for s in catalogue.to_snapshot()["skills"]}
    for skill in catalogue.skills:
        skill_row = skills.get(skill.code)
        if skill_row is None:
            skill_row = SkillRow(code=skill.code, created_at=now)
            session.add(skill_row)
        skill_row.domain_code = skill.domain_code
        skill_row.name_fr, skill_row.name_en = skill.name.fr, skill.name.en
        skill_row.description_fr = skill.description.fr
        skill_row.description_en = skill.description.en
        skill_row.position = skill.position
        skill_row.levels_json = _json(snapshot_skills[skill.code]["levels"])
        skill_row.crosswalks_json = _json(snapshot_skills[skill.code]["crosswalks"])
        skill_row.retired_at = skill.retired_at


def _from_row(row: SkillCatalogueVersion) -> SkillCatalogue:
    return SkillCatalogue.from_snapshot(json.loads(row.snapshot_json), version=row.number,
                                        created_at=row.created_at)


def _checked_note(note: str) -> str:
    note = " ".join(note.split())
    if not note:
        raise SkillCatalogueError(
            "Une note de modification est obligatoire : dites en une phrase ce qui change et "
            "pourquoi.", "A change note is required: say in one sentence what changes and why.",
            code="skills.note_required")
    if len(note) > MAX_NOTE_LENGTH:
        raise SkillCatalogueError(
            f"La note de modification dépasse {MAX_NOTE_LENGTH} caractères.",
            f"The change note is longer than {MAX_NOTE_LENGTH} characters.",
            code="skills.note_too_long")
    return note


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
