"""What one issuer key signed: the badges, holder-bound copies and endorsements whose embedded proof
(`verificationMethod`) or VC-JWT header (`kid`) names it (issue #14, item 3: a revoked key's
badges are issued again, docs/DEPLOYMENT.md "Incident de clé").

The database narrows the search (a text match on the key's DID URL in the JSON, or on its
base64url forms in the JWT header), then each candidate is read exactly: only a proof or header
naming the key counts, not a credential that merely mentions it. Revoked badges and copies are
left out: they are already invalid and are never reinstated.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import IssuedCredential
from issuer.storage.wallet_models import HolderCopyRow

BATCH = 500
"""Rows read at a time (a credential's two signed forms are a few kilobytes)."""


def base64url_needles(text: str) -> list[str]:
    """The base64url substrings that any base64url encoding containing `text` contains, one
    per alignment (0, 1 or 2 bytes before it in the encoded data): the characters whose six
    bits all come from `text`. A JWT header naming a key contains one of them."""
    raw = text.encode("utf-8")
    needles = []
    for offset in range(3):
        encoded = base64.urlsafe_b64encode(b"\0" * offset + raw).decode("ascii")
        first = -(-offset * 8 // 6)
        last = (offset + len(raw)) * 8 // 6
        needles.append(encoded[first:last])
    return needles


def signed_with(text_json: str, text_jwt: str, method: str) -> bool:
    """Whether the embedded proof or the JWT header of a stored credential names `method`."""
    return method in proof_methods(text_json) or jwt_kid(text_jwt) == method


def proof_methods(text_json: str) -> set[str]:
    try:
        document = json.loads(text_json)
    except ValueError:
        return set()
    proofs = document.get("proof") if isinstance(document, dict) else None
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list):
        return set()
    return {proof["verificationMethod"] for proof in proofs
            if isinstance(proof, dict) and isinstance(proof.get("verificationMethod"), str)}


def jwt_kid(token: str) -> str | None:
    header = token.split(".", 1)[0]
    try:
        parsed: Any = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = parsed.get("kid") if isinstance(parsed, dict) else None
    return kid if isinstance(kid, str) else None


def _matching(table: Any, method: str) -> Any:
    """Rows of `table` not revoked whose signed forms may name `method` (narrowed in SQL)."""
    needles = base64url_needles(method)
    return (select(table.id, table.credential_json, table.credential_jwt)
            .where(table.revoked_at.is_(None), table.credential_json != "",
                   or_(table.credential_json.contains(f'"{method}"', autoescape=True),
                       *(table.credential_jwt.contains(needle, autoescape=True)
                         for needle in needles)))
            .order_by(table.id)
            .execution_options(yield_per=BATCH))


def _ids(session: Session, table: Any, method: str) -> Iterator[str]:
    for row in session.execute(_matching(table, method)):
        if signed_with(row.credential_json, row.credential_jwt, method):
            yield row.id


def credentials_signed_by(session: Session, method: str) -> list[str]:
    """Ids of the badges not revoked that `method` (a DID URL) signed, in id order."""
    return list(_ids(session, IssuedCredential, method))


def holder_copies_signed_by(session: Session, method: str) -> list[str]:
    """Ids of the holder-bound copies not revoked that `method` signed, in id order."""
    return list(_ids(session, HolderCopyRow, method))


def endorsements_signed_by(session: Session, method: str) -> list[str]:
    """Ids of the endorsement credentials not revoked that `method` signed, in id order."""
    return list(_ids(session, EndorsementRow, method))
