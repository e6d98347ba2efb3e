"""Holder-bound copies (issue #12 item 4): what a wallet receives.

A copy is a new `OpenBadgeCredential` of the same award: `credentialSubject.id` is the DID whose
key the holder's wallet holds (so the holder can prove in a presentation that the badge is
theirs), and everything else the original says is kept as signed: achievement, evidence,
hashed `identifier`, name, role, dates, issuer. It has its own `id` (`urn:uuid:`), its own
Bitstring Status List entry (a list of copies only; its suspension twin follows the same
convention as the originals') and a link to the badge it copies:

- the link is VCDM 2.0 §5.3 `relatedResource` (defined by the pinned credentials v2 context,
  so it is signed, not dropped: VERIFICATION.md R1): the original's `id` with the `digestSRI`
  of its signed text, which `/credentials/<id>` serves byte for byte to a JSON client. OB 3.0
  itself has no credential-to-credential link (`related` belongs to `Achievement`).
- copies are stored in `holder_copies` (issuer.storage.wallet_models) with both signed forms,
  the one handed over named by `format`.

Consistency (holder_copy_status.follow_original_status, called where an original's status changes):
revoking, suspending, lifting a suspension or erasing the original does the same to every copy
in the same transaction. An e-mail change re-issues the person's badges and revokes the old
ones as superseded: their copies are revoked with them (their hashed `identifier` names the old
address, like the badge they copy); the holder adds the new badge to their wallet again.

The signing is the service's (`IssuerService.sign`): the same eddsa-rdfc-2022 proof and OB 3.0
VC-JWT as the originals, with the same checks (no undefined term is signed).
"""

from __future__ import annotations

import base64
import copy as deep
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.openbadges.canonical import find_control_characters
from issuer.openbadges.did import did_jwk_document, did_key_document
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.status_list import status_list_entry
from issuer.storage.audit_log import record_audit
from issuer.storage.holder_copy_status import holder_copies_of
from issuer.storage.models import IssuedCredential
from issuer.storage.status_slots import reserve_status_slot_for
from issuer.storage.wallet_models import MAX_HOLDER_DID_LENGTH, HolderCopyRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

CopyFormat = Literal["ldp_vc", "jwt_vc_json"]
COPY_FORMATS: tuple[str, ...] = get_args(CopyFormat)

# DID Core §3.1: did:<method-name>:<method-specific-id>, idchar = ALPHA / DIGIT / "." / "-" /
# "_" / pct-encoded, colons between segments, the last segment not empty.
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(rf"did:[a-z0-9]+:(?:{_IDCHAR}*:)*{_IDCHAR}+")
# RFC 3986 fragment (DID Core §3.2: a DID URL's fragment), e.g. a key id "#z6Mk…" or "#0".
_FRAGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*")


class HolderCopyRefused(IssuerError):
    """A copy that must not be made (the original is revoked, suspended or erased)."""

    code = "holder_copy.refused"


@dataclass(frozen=True)
class HolderCopy:
    """A holder-bound copy as handed to a wallet: `credential` (the signed JSON) for
    "ldp_vc", `jwt` (the compact VC-JWT) for "jwt_vc_json"; the other is None.

    `copy_id` and `original_id` are the database ids (UUIDs); the copy's credential `id` is
    `credential_id` (urn:uuid:<copy_id>). `created` is False when an active copy of the same
    original for the same holder and format already existed and is handed over again."""

    copy_id: str
    original_id: str
    holder_did: str
    format: CopyFormat
    credential: dict[str, Any] | None
    jwt: str | None
    created: bool = True

    @property
    def credential_id(self) -> str:
        return copy_credential_id(self.copy_id)


@dataclass(frozen=True)
class CopyLine:
    """One copy as the admin credential page and Mon espace show it."""

    copy_id: str
    original_id: str
    holder_did: str | None      # None once erased
    format: str
    created_at: datetime
    state: Literal["valid", "suspended", "revoked", "erased"]
    revoked_at: datetime | None
    revocation_reason: str | None


def copy_credential_id(copy_id: str) -> str:
    return f"urn:uuid:{copy_id}"


def normalise_holder_did(value: object) -> str:
    """The DID a copy is bound to, from what a wallet sent: a DID, or a DID URL naming one of
    its keys (`did:key:z6Mk…#z6Mk…`, `did:jwk:…#0`), whose fragment is dropped (the subject
    is the DID, DID Core §3.2). Refuses what is not a DID (DID Core §3.1 syntax, no path or
    query), longer than `MAX_HOLDER_DID_LENGTH`, with control characters, or a did:key /
    did:jwk that does not decode to a public key."""
    if not isinstance(value, str):
        raise _bad_did("")
    text = value.strip()
    if not text or len(text) > MAX_HOLDER_DID_LENGTH or find_control_characters(text):
        raise _bad_did(text)
    did, _, fragment = text.partition("#")
    if _DID.fullmatch(did) is None or _FRAGMENT.fullmatch(fragment) is None:
        raise _bad_did(text)
    method = did.split(":", 2)[1]
    try:
        if method == "key":
            did_key_document(did)
        elif method == "jwk":
            did_jwk_document(did)
    except DidError as error:
        raise _bad_did(text) from error
    return did


def _bad_did(text: str) -> InvalidInput:
    shown = text[:80] + ("…" if len(text) > 80 else "")
    return InvalidInput(
        f"Identifiant de porteur invalide : « {shown} ». Il faut un DID (par exemple "
        f"did:key:…), d'au plus {MAX_HOLDER_DID_LENGTH} caractères.",
        f"Invalid holder identifier: '{shown}'. A DID is expected (for example did:key:…), at "
        f"most {MAX_HOLDER_DID_LENGTH} characters long.", code="holder_copy.bad_did")


def digest_sri(text: str) -> str:
    """Subresource Integrity digest (SRI §3.1, the form VCDM 2.0 §5.3 `digestSRI` takes) of
    the UTF-8 bytes of `text`: sha384 as SRI recommends."""
    digest = hashlib.sha384(text.encode("utf-8")).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def build_copy(original: dict[str, Any], original_text: str, *, copy_id: str, holder_did: str,
               status: dict[str, Any]) -> dict[str, Any]:
    """The unsigned copy of the signed credential `original` (whose exact text is
    `original_text`): the same claims, bound to `holder_did`, with its own `id` and
    `credentialStatus` and the `relatedResource` link to the original (module docstring)."""
    unsigned: dict[str, Any] = {}
    for key, value in original.items():
        if key in ("proof", "relatedResource"):
            continue
        if key == "id":
            unsigned["id"] = copy_credential_id(copy_id)
        elif key == "credentialStatus":
            unsigned["credentialStatus"] = status
        elif key == "credentialSubject":
            subject = deep.deepcopy(value)
            subject["id"] = holder_did
            unsigned["credentialSubject"] = subject
        else:
            unsigned[key] = deep.deepcopy(value)
    unsigned.setdefault("credentialStatus", status)
    unsigned["relatedResource"] = [{"id": original["id"], "digestSRI": digest_sri(original_text)}]
    return unsigned


def issue_holder_copy(service: IssuerService, session: Session, original_id: str,
                      holder_did: str, fmt: CopyFormat, *, actor: str = "holder",
                      origin: str | None = None, now: datetime | None = None) -> HolderCopy:
    """Make (or hand over again) the copy of badge `original_id` bound to `holder_did`, signed
    in the form `fmt`, in the caller's transaction (nothing is committed here).

    Refuses a bad DID or format (InvalidInput), an unknown badge (NotFound), and a badge that is
    revoked, suspended or erased (HolderCopyRefused). An active copy of the same badge for the
    same DID and format is returned as it was signed (`created` False): a wallet that retries
    does not take a second status entry. Audited as "holder_copy.issued" (ids only: the DID is
    not written to the append-only audit log)."""
    if fmt not in COPY_FORMATS:
        raise InvalidInput(f"Format de copie inconnu : « {str(fmt)[:40]} » (ldp_vc, jwt_vc_json).",
                           f"Unknown copy format: '{str(fmt)[:40]}' (ldp_vc, jwt_vc_json).",
                           code="holder_copy.bad_format")
    did = normalise_holder_did(holder_did)
    key = service.normalise_credential_id(str(original_id))
    # Locked (PostgreSQL): a revocation being committed meanwhile either is seen here, or
    # waits for this copy and then revokes it too (holder_copy_status.follow_original_status).
    original = session.scalars(
        select(IssuedCredential).where(IssuedCredential.id == key).with_for_update()
        .execution_options(populate_existing=True)).one_or_none()
    if original is None:
        raise NotFound(f"Aucun badge avec l'identifiant « {key[:80]} ».",
                       f"No badge with id '{key[:80]}'.", code="credential.not_found")
    _refuse_unless_live(original)
    existing = _active_copy(session, original.id, did, fmt)
    if existing is not None:
        return _handed_over(existing, created=False)
    document = _parsed(original.credential_json)
    issuer = document.get("issuer")
    if not isinstance(issuer, dict) or issuer.get("id") != service.issuer_did:
        raise HolderCopyRefused(
            "Ce badge a été émis sous une autre identité de l'émetteur : il ne peut pas être "
            "copié. Demandez à la Ville de l'émettre de nouveau.",
            "This badge was issued under another identity of the issuer: it cannot be copied. "
            "Ask the City to issue it again.", code="holder_copy.issuer_changed")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    row = HolderCopyRow(id=str(uuid.uuid4()), original_id=original.id, holder_did=did,
                        format=fmt, credential_json="", credential_jwt="", created_at=moment,
                        actor=actor, suspended=False)
    list_id, index = reserve_status_slot_for(session, row, kind="holder_copies")
    status = status_list_entry(service.status_list_url(list_id, "revocation"), index,
                               "revocation")
    unsigned = build_copy(document, original.credential_json, copy_id=row.id, holder_did=did,
                          status=status)
    credential_json, credential_jwt = service.sign(unsigned, moment)
    row.credential_json = credential_json
    row.credential_jwt = credential_jwt
    record_audit(session, actor=actor, action="holder_copy.issued", subject=row.id,
                 details={"original": original.id, "format": fmt}, origin=origin)
    session.flush()
    return _handed_over(row, created=True)


def _refuse_unless_live(original: IssuedCredential) -> None:
    if not original.is_signed or original.recipient.erased_at is not None:
        raise HolderCopyRefused(
            "Ce badge a été effacé : il ne peut pas être ajouté à un portefeuille.",
            "This badge was erased: it cannot be added to a wallet.",
            code="holder_copy.original_erased")
    if original.revoked_at is not None:
        raise HolderCopyRefused(
            "Ce badge est révoqué : il ne peut pas être ajouté à un portefeuille.",
            "This badge is revoked: it cannot be added to a wallet.",
            code="holder_copy.original_revoked")
    if original.suspended:
        raise HolderCopyRefused(
            "Ce badge est suspendu : il pourra être ajouté à un portefeuille quand la "
            "suspension sera levée.",
            "This badge is suspended: it can be added to a wallet once the suspension is lifted.",
            code="holder_copy.original_suspended")


def _active_copy(session: Session, original_id: str, did: str,
                 fmt: str) -> HolderCopyRow | None:
    return session.scalars(
        select(HolderCopyRow).where(
            HolderCopyRow.original_id == original_id, HolderCopyRow.holder_did == did,
            HolderCopyRow.format == fmt, HolderCopyRow.revoked_at.is_(None),
            HolderCopyRow.credential_json != "")
        .order_by(HolderCopyRow.created_at.desc(), HolderCopyRow.id)).first()


def _parsed(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):  # our own stored text: never happens unless tampered with
        raise HolderCopyRefused("Le badge enregistré est illisible.",
                                "The stored badge is unreadable.", code="holder_copy.unreadable")
    return value


def _handed_over(row: HolderCopyRow, *, created: bool) -> HolderCopy:
    fmt = cast(CopyFormat, row.format)
    assert row.holder_did is not None
    return HolderCopy(copy_id=row.id, original_id=row.original_id, holder_did=row.holder_did,
                      format=fmt,
                      credential=_parsed(row.credential_json) if fmt == "ldp_vc" else None,
                      jwt=row.credential_jwt if fmt == "jwt_vc_json" else None, created=created)


# -- reading, for the pages ----------------------------------------------------------------------

def copy_line(row: HolderCopyRow) -> CopyLine:
    if not row.is_signed:
        state: Literal["valid", "suspended", "revoked", "erased"] = "erased"
    elif row.revoked_at is not None:
        state = "revoked"
    elif row.suspended:
        state = "suspended"
    else:
        state = "valid"
    return CopyLine(copy_id=row.id, original_id=row.original_id, holder_did=row.holder_did,
                    format=row.format, created_at=row.created_at, state=state,
                    revoked_at=row.revoked_at, revocation_reason=row.revocation_reason)


def copies_of(service: IssuerService, original_ids: list[str]) -> dict[str, list[CopyLine]]:
    """The copies of each badge of `original_ids` (absent: none), oldest first."""
    if not original_ids:
        return {}
    found: dict[str, list[CopyLine]] = {}
    with service.database.session(read_only=True) as session:
        for row in holder_copies_of(session, original_ids):
            found.setdefault(row.original_id, []).append(copy_line(row))
    return found
