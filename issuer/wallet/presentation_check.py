"""The two pieces an issuance exchange needs from other parts of issue #12, wired for
`issuer.wallet.exchanges.finish_exchange`: the DIDAuth check of the wallet's presentation
(`issuer.openbadges.verification.presentation.verify_did_auth`: did:key holder, Ed25519Signature2020 or
eddsa-rdfc-2022 proof for `authentication`, challenge, domain, freshness) and the holder-bound
copy (`issuer.wallet.copies.issue_holder_copy`, `ldp_vc` signed with eddsa-rdfc-2022), both
refusing with a `WalletError` a wallet reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from issuer.errors import IssuerError
from issuer.openbadges.verification.presentation import verify_did_auth
from issuer.wallet import errors
from issuer.wallet.copies import CopyFormat, HolderCopyRefused, issue_holder_copy

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

EXCHANGE_COPY_FORMAT: CopyFormat = "ldp_vc"


def check_did_auth(presentation: dict[str, Any], challenge: str, domain: str,
                   now: datetime) -> str:
    """The DID the presentation proves control of, for this challenge and domain; else the
    first failed check, as a 400 refusal (`wallet.<check code>`)."""
    result = verify_did_auth(presentation, challenge=challenge, domain=domain, now=now)
    if not result.ok or result.holder is None:
        raise errors.presentation_refused(result.code, result.message_fr, result.message_en)
    return result.holder


def issue_ldp_copy(service: IssuerService, session: Session, original_id: str,
                   holder_did: str) -> tuple[str, dict[str, Any]]:
    """The badge issued again to `holder_did` (ldp_vc, eddsa-rdfc-2022): (copy id, copy)."""
    try:
        copy = issue_holder_copy(service, session, original_id, holder_did,
                                 EXCHANGE_COPY_FORMAT, actor="wallet")
    except HolderCopyRefused as error:  # revoked, suspended, erased, issuer changed
        raise errors.badge_unavailable() from error
    except IssuerError as error:  # a DID the copy cannot name (checked there, by syntax)
        raise errors.WalletError(error.message_fr, error.message_en,
                                 code=f"wallet.{error.code}", status=400) from error
    assert copy.credential is not None  # ldp_vc: the signed JSON
    return copy.copy_id, copy.credential
