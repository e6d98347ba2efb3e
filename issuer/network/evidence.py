"""Evidence given when a skill badge is issued (issue #5, item 4): a short narrative, a link, a
file. Each becomes one OB 3.0 `Evidence` object of the credential (Appendix B.1, `Evidence`:
`narrative` is Markdown, `id` "the URL of a webpage presenting evidence").

An uploaded file is kept as `var/evidence/<uuid>.<ext>` and published at the stable address
`{base_url}/preuves/<uuid>.<ext>`, which the credential names as the Evidence `id`: the signed
credential keeps pointing at it. Only a few inert formats are taken (PDF, PNG, JPEG), recognised
by their first bytes, not by the name or the type the browser claims, and served with that type
only; SVG and HTML are refused (they can carry scripts run on our origin).

The pure checks come first; the functions that touch the disk or the database take the service.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput
from issuer.issuance.publishing import PublishedDocument, relative_path
from issuer.openbadges.canonical import find_control_characters
from issuer.storage.skill_badge_models import EvidenceFileRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService
    from issuer.settings import Settings

EVIDENCE_PATH = "/preuves"
EVIDENCE_FOLDER = "evidence"
MAX_FILE_BYTES = 5_000_000
MAX_NARRATIVE_LENGTH = 2000
MAX_LINK_LENGTH = 2000
MAX_TITLE_LENGTH = 200

# (first bytes, extension, media type): what a browser may show without running anything.
_FORMATS = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)
MEDIA_TYPES = {extension: media for _magic, extension, media in _FORMATS}
ACCEPTED_FILES = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
_FILE_NAME = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
                        r"\.(pdf|png|jpg)")
# An IRI a JSON-LD processor keeps as is: a malformed `id` would be dropped or rewritten
# against a base and so signed differently by a verifier (VERIFICATION.md R1).
_LINK = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


class EvidenceRefused(InvalidInput):
    """A narrative, link or file that cannot be attached to a badge."""

    code = "evidence.invalid"


@dataclass(frozen=True)
class EvidenceFile:
    """An uploaded evidence file, as stored."""

    id: str
    extension: str
    media_type: str
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.id}.{self.extension}"


@dataclass(frozen=True)
class EvidenceUpload:
    """A file as received from a form, before it is checked."""

    file_name: str
    data: bytes


# --- pure: checking what was given, building the Evidence objects ----------------------------


def checked_narrative(text: str | None) -> str | None:
    """The narrative with its lines kept and its ends trimmed, or None when empty."""
    narrative = (text or "").replace("\r\n", "\n").strip()
    if not narrative:
        return None
    if len(narrative) > MAX_NARRATIVE_LENGTH:
        raise EvidenceRefused(
            f"Le récit dépasse {MAX_NARRATIVE_LENGTH} caractères : faites court.",
            f"The narrative is longer than {MAX_NARRATIVE_LENGTH} characters: keep it short.",
            code="evidence.narrative_too_long")
    _refuse_control_characters(narrative, "le récit", "the narrative")
    return narrative


def checked_link(url: str | None) -> str | None:
    """An absolute http(s) address, or None when empty."""
    link = (url or "").strip()
    if not link:
        return None
    parts = urlsplit(link) if _LINK.fullmatch(link) else None
    if parts is None or not parts.hostname or len(link) > MAX_LINK_LENGTH:
        raise EvidenceRefused(
            f"Le lien « {link[:100]} » n'est pas une adresse web complète (https://…).",
            f"The link '{link[:100]}' is not a complete web address (https://…).",
            code="evidence.bad_link")
    return link


def checked_title(text: str | None) -> str | None:
    title = " ".join((text or "").split())
    if not title:
        return None
    if len(title) > MAX_TITLE_LENGTH:
        raise EvidenceRefused(
            f"Le titre dépasse {MAX_TITLE_LENGTH} caractères.",
            f"The title is longer than {MAX_TITLE_LENGTH} characters.",
            code="evidence.title_too_long")
    _refuse_control_characters(title, "le titre", "the title")
    return title


def file_format(upload: EvidenceUpload) -> tuple[str, str]:
    """(extension, media type) of an accepted file, from its first bytes."""
    if not upload.data:
        raise EvidenceRefused("Le fichier est vide.", "The file is empty.",
                              code="evidence.empty_file")
    if len(upload.data) > MAX_FILE_BYTES:
        megabytes = MAX_FILE_BYTES // 1_000_000
        raise EvidenceRefused(f"Le fichier dépasse {megabytes} Mo.",
                              f"The file is larger than {megabytes} MB.",
                              code="evidence.file_too_large")
    for magic, extension, media_type in _FORMATS:
        if upload.data.startswith(magic):
            return extension, media_type
    raise EvidenceRefused(
        f"« {upload.file_name[:100]} » n'est ni un PDF, ni une image PNG ou JPEG.",
        f"'{upload.file_name[:100]}' is neither a PDF nor a PNG or JPEG image.",
        code="evidence.file_type")


def evidence_file_url(base_url: str, file: EvidenceFile) -> str:
    return f"{base_url.rstrip('/')}{EVIDENCE_PATH}/{file.file_name}"


def narrative_evidence(narrative: str) -> dict[str, Any]:
    return {"type": ["Evidence"], "name": "Récit", "narrative": narrative}


def link_evidence(link: str, title: str | None = None) -> dict[str, Any]:
    return {"id": link, "type": ["Evidence"], "name": title or "Lien", "genre": "Lien"}


def file_evidence(base_url: str, file: EvidenceFile, title: str | None = None) -> dict[str, Any]:
    genre = "Image" if file.media_type.startswith("image/") else "Document"
    return {"id": evidence_file_url(base_url, file), "type": ["Evidence"],
            "name": title or "Fichier joint", "genre": genre}


def parse_file_name(name: str) -> tuple[str, str] | None:
    """(id, extension) of a published evidence file name, or None for anything else."""
    match = _FILE_NAME.fullmatch(name)
    return (match.group(1), match.group(2)) if match else None


def _refuse_control_characters(text: str, what_fr: str, what_en: str) -> None:
    if find_control_characters(text):  # VERIFICATION.md R8
        raise EvidenceRefused(f"Caractère de contrôle interdit dans {what_fr}.",
                              f"Forbidden control character in {what_en}.",
                              code="evidence.control_character")


# --- files on disk and their rows ---------------------------------------------------------


def evidence_dir(settings: Settings) -> Path:
    return settings.var_dir / EVIDENCE_FOLDER


def write_evidence_file(settings: Settings, upload: EvidenceUpload) -> EvidenceFile:
    """Check the upload and write it under a new id (not yet in the database: see
    `record_evidence_file`). The file appears complete or not at all (temporary name, then
    rename)."""
    extension, media_type = file_format(upload)
    file = EvidenceFile(id=str(uuid.uuid4()), extension=extension, media_type=media_type,
                        size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest())
    folder = evidence_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{file.file_name}.part"
    partial.write_bytes(upload.data)
    os.replace(partial, folder / file.file_name)
    return file


def discard_evidence_file(settings: Settings, file: EvidenceFile) -> None:
    """Remove a written file that no credential cites (issuance failed or had been done)."""
    (evidence_dir(settings) / file.file_name).unlink(missing_ok=True)


def record_evidence_file(session: Session, file: EvidenceFile, *, credential_id: str,
                         actor: str) -> None:
    session.add(EvidenceFileRow(id=file.id, extension=file.extension,
                                media_type=file.media_type, size=file.size, sha256=file.sha256,
                                credential_id=credential_id, created_by=actor))


def published_evidence_file(service: IssuerService, name: str) -> tuple[Path, str] | None:
    """(path, media type) of a published evidence file, or None when there is no such file
    (unknown name, never recorded, or removed)."""
    parsed = parse_file_name(name)
    if parsed is None:
        return None
    file_id, extension = parsed
    with service.database.session(read_only=True) as session:
        row = session.get(EvidenceFileRow, file_id)
    if row is None or row.extension != extension or row.credential_id is None:
        return None
    path = evidence_dir(service.settings) / f"{file_id}.{extension}"
    return (path, row.media_type) if path.is_file() else None


def forget_evidence_files(settings: Settings, session: Session,
                          credential_ids: list[str]) -> list[Path]:
    """Delete the rows of the files these credentials cite, in the caller's transaction, and
    return the files to remove once it is committed (RGPD erasure and retention: a file may
    show the person). Their addresses then answer 404."""
    if not credential_ids:
        return []
    rows = session.scalars(select(EvidenceFileRow).where(
        EvidenceFileRow.credential_id.in_(credential_ids))).all()
    paths = [evidence_dir(settings) / f"{row.id}.{row.extension}" for row in rows]
    for row in rows:
        session.delete(row)
    return paths


# Sent with each file, by the service and by a static host (issuer.web.admin.skill_badges):
# served from our origin, so nothing in them may run; never indexed (a file may show a person).
EVIDENCE_CACHE = "public, max-age=300"
EVIDENCE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def evidence_documents(service: IssuerService) -> Iterator[PublishedDocument]:
    """The evidence files credentials cite, for `issuer publish` (issue 14 item 4), at the
    address the credential names. An erased person's files have no row any more: the next
    publication leaves them out and removes them from the folder."""
    with service.database.session(read_only=True) as session:
        rows = session.scalars(select(EvidenceFileRow).where(
            EvidenceFileRow.credential_id.is_not(None)).order_by(EvidenceFileRow.id)).all()
    base_url = service.settings.base_url
    for row in rows:
        path = evidence_dir(service.settings) / f"{row.id}.{row.extension}"
        address = relative_path(base_url, f"{base_url.rstrip('/')}{EVIDENCE_PATH}/{path.name}")
        if address is None or not path.is_file():
            continue
        disposition = "inline" if row.media_type.startswith("image/") else "attachment"
        yield PublishedDocument(
            address, "evidence_file", row.media_type, EVIDENCE_CACHE, b"", source=path,
            headers=(("Content-Security-Policy", EVIDENCE_POLICY), ("X-Robots-Tag", "noindex"),
                     ("Content-Disposition", disposition)))
