"""OpenID4VCI 1.0, pre-authorized code flow: offers, codes, access tokens, nonces, and the
rules of issuance (README "OpenID4VCI").

The flow, as a wallet sees it:
1. The holder's page shows `openid-credential-offer://?credential_offer_uri=<URL>` (link and QR
   code). `create_offer` makes it: one badge, one credential configuration (family + format),
   a random address token, the pre-authorized code derived from that token (so the offer can be
   served again while only digests are stored), and, when asked, a six-digit transaction code
   the holder gets by e-mail (`issuer.mail.wallet_code`).
2. The wallet GETs the offer (`offer_document`): JSON naming the issuer, the configuration and
   the pre-authorized code. Nothing in these addresses names a person.
3. The wallet sends the code (and the transaction code) to the token endpoint
   (`exchange_pre_authorized_code`): one conditional UPDATE turns an unused, unexpired code
   into an access token; a second wallet with the same code gets `invalid_grant`.
4. It asks the nonce endpoint for a `c_nonce` (`issue_nonce`), signs a `jwt` proof of
   possession with it, and sends it to the credential endpoint (`redeem_credential_request`):
   the proof is checked (`issuer.wallet.proof_of_possession`), the nonce spent (a DELETE that
   succeeds once), the access token spent (a conditional UPDATE that succeeds once), and the
   holder-bound copy of the badge (`issuer.wallet.copies.issue_holder_copy`) is issued to the
   DID of the proof's key.

Lifetimes are minutes (`OFFER_LIFETIME`, `ACCESS_TOKEN_LIFETIME`, `NONCE_LIFETIME`). The state
lives in the database (`issuer.storage.offer_models`), so several processes serve one flow and
PostgreSQL's row locks decide races: an UPDATE ... WHERE <still unused> that finds the row
taken by a concurrent transaction re-reads it after that transaction commits, and matches no
row. Every step of a known offer is written to the audit trail, under the badge's id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.errors import IssuerError
from issuer.openbadges.badge_definitions import CatalogueError
from issuer.storage.audit_log import record_audit
from issuer.storage.models import IssuedCredential
from issuer.storage.offer_models import WalletNonceRow, WalletOfferRow
from issuer.tokens import new_token, token_digest
from issuer.wallet import oid4vci_errors as errors
from issuer.wallet.copies import issue_holder_copy
from issuer.wallet.oid4vci_errors import Oid4vciError
from issuer.wallet.oid4vci_metadata import (
    FORMATS,
    OFFER_PATH,
    PRE_AUTHORIZED_GRANT,
    configuration_id,
    credential_issuer,
)
from issuer.wallet.oid4vci_requests import CredentialRequest, parse_credential_request
from issuer.wallet.proof_of_possession import ProofOfPossession, verify_proof_jwt

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

Format = Literal["ldp_vc", "jwt_vc_json"]

OFFER_LIFETIME = timedelta(minutes=10)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
NONCE_LIFETIME = timedelta(minutes=5)
TX_CODE_LENGTH = 6
MAX_TX_CODE_FAILURES = 5
"""Wrong transaction codes an offer survives: five guesses in a million."""
PURGE_AFTER = timedelta(days=1)
"""Spent or expired offers are deleted this long after they expire (nonces at once)."""
OFFER_SCHEME = "openid-credential-offer://"
AUDIT_ACTOR_WALLET = "wallet"


@dataclass(frozen=True)
class Offer:
    """A credential offer as the holder's page shows it."""

    offer_id: str
    credential_offer_uri: str   # https (http on loopback): GET returns the offer JSON
    deep_link: str              # openid-credential-offer://?credential_offer_uri=...
    configuration_id: str
    tx_code: str | None         # to send to the holder by e-mail, never to show beside the QR
    expires_at: datetime


@dataclass(frozen=True)
class TokenGrant:
    """The token endpoint's answer (RFC 6749 §5.1)."""

    access_token: str
    expires_in: int
    c_nonce: str

    def response(self) -> dict[str, Any]:
        # c_nonce in the token response is draft 13's (1.0 has the nonce endpoint only);
        # wallets built on draft 13 need it, others ignore it.
        return {"access_token": self.access_token, "token_type": "Bearer",
                "expires_in": self.expires_in, "c_nonce": self.c_nonce,
                "c_nonce_expires_in": int(NONCE_LIFETIME.total_seconds())}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _pre_authorized_code(service: IssuerService, offer_token: str) -> str:
    """The offer's pre-authorized code, derived from its address token: served again on every
    GET of the offer, while the database keeps digests only."""
    key = service.derived_secret("oid4vci-pre-authorized-code")
    digest = hmac.new(key, offer_token.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _tx_code_hmac(service: IssuerService, offer_id: str, tx_code: str) -> str:
    key = service.derived_secret("oid4vci-tx-code")
    return hmac.new(key, f"{offer_id}:{tx_code}".encode(), hashlib.sha256).hexdigest()


def offer_url(service: IssuerService, offer_token: str) -> str:
    return credential_issuer(service.settings) + OFFER_PATH + offer_token


def purge_expired(session: Session, now: datetime) -> None:
    """Forget offers expired for more than `PURGE_AFTER`, and expired nonces (cheap: indexed).
    Run at each new offer; an erasure deletes the person's offers at once
    (issuer.workspace.recipient_erasure)."""
    session.execute(delete(WalletOfferRow).where(WalletOfferRow.expires_at < now - PURGE_AFTER),
                    execution_options={"synchronize_session": False})
    session.execute(delete(WalletNonceRow).where(WalletNonceRow.expires_at < now),
                    execution_options={"synchronize_session": False})


# -- 1. the offer --------------------------------------------------------------------------------

def _deliverable(session: Session, credential_id: str) -> IssuedCredential:
    row = session.get(IssuedCredential, credential_id)
    if row is None or not row.is_signed:
        raise errors.credential_request_denied(
            "Aucun badge délivré avec cet identifiant.", "No issued badge with this id.")
    if row.revoked_at is not None or row.suspended or row.superseded_by is not None:
        raise errors.credential_request_denied(
            "Ce badge est révoqué, suspendu ou remplacé : il ne peut plus aller dans un "
            "portefeuille.",
            "This badge is revoked, suspended or replaced: it can no longer go to a wallet.")
    if row.recipient.erased_at is not None:
        raise errors.credential_request_denied("Ce badge n'est plus disponible.",
                                               "This badge is no longer available.")
    return row


def create_offer(service: IssuerService, session: Session, credential_id: str, *,
                 tx_code: bool, fmt: Format = "ldp_vc", actor: str = "holder",
                 origin: str | None = None, now: datetime | None = None) -> Offer:
    """A credential offer of one issued badge for its holder (the caller has checked that the
    person asking is the holder). `fmt` picks the format the wallet will receive: `ldp_vc`
    (eddsa-rdfc-2022, what the wallets' verifiers read) or `jwt_vc_json` (the VC-JWT)."""
    now = _now(now)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    row = _deliverable(session, credential_id)
    try:
        family = service.catalogue.badge(row.badge_slug).family
    except CatalogueError:
        raise errors.credential_request_denied(
            "Ce badge n'est plus au catalogue.", "This badge is no longer in the catalogue."
        ) from None
    purge_expired(session, now)
    offer_id = str(uuid.uuid4())
    offer_token = new_token()
    code = f"{secrets.randbelow(10 ** TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}" if tx_code else None
    configuration = configuration_id(family, fmt)
    session.add(WalletOfferRow(
        id=offer_id, offer_token_hash=token_digest(offer_token),
        pre_authorized_code_hash=token_digest(_pre_authorized_code(service, offer_token)),
        credential_id=row.id, recipient_id=row.recipient_id, configuration_id=configuration,
        tx_code_hmac=_tx_code_hmac(service, offer_id, code) if code else None,
        tx_code_failures=0, created_at=now, expires_at=now + OFFER_LIFETIME, created_by=actor))
    record_audit(session, actor=actor, action="oid4vci.offer_created", subject=row.id,
                 details={"offer": offer_id, "configuration": configuration,
                          "tx_code": code is not None}, origin=origin)
    session.flush()
    uri = offer_url(service, offer_token)
    return Offer(offer_id=offer_id, credential_offer_uri=uri,
                 deep_link=f"{OFFER_SCHEME}?credential_offer_uri={quote(uri, safe='')}",
                 configuration_id=configuration, tx_code=code, expires_at=now + OFFER_LIFETIME)


def offer_document(service: IssuerService, session: Session, offer_token: str, *,
                   now: datetime | None = None) -> dict[str, Any]:
    """The Credential Offer (OpenID4VCI 1.0 §4.1.1) behind `credential_offer_uri`, while its
    code is unused and unexpired."""
    now = _now(now)
    row = session.scalars(select(WalletOfferRow).where(
        WalletOfferRow.offer_token_hash == token_digest(offer_token))).one_or_none()
    if row is None or row.redeemed_at is not None or row.expires_at <= now \
            or row.tx_code_failures >= MAX_TX_CODE_FAILURES:
        raise Oid4vciError("invalid_request",
                           "Cette offre n'existe pas, a servi ou a expiré : demandez-en une "
                           "nouvelle depuis la page du badge.",
                           "This offer does not exist, was used or has expired: ask for a new "
                           "one from the badge's page.", status=404)
    grant: dict[str, Any] = {"pre-authorized_code": _pre_authorized_code(service, offer_token)}
    if row.tx_code_hmac is not None:
        grant["tx_code"] = {"input_mode": "numeric", "length": TX_CODE_LENGTH,
                            "description": "Code reçu par courriel / code received by e-mail"}
    return {"credential_issuer": credential_issuer(service.settings),
            "credential_configuration_ids": [row.configuration_id],
            "grants": {PRE_AUTHORIZED_GRANT: grant}}


# -- 2. the token endpoint -----------------------------------------------------------------------

def exchange_pre_authorized_code(service: IssuerService, session: Session, form: dict[str, str],
                                 *, origin: str | None = None,
                                 now: datetime | None = None) -> TokenGrant:
    """Token Request with the pre-authorized code grant (OpenID4VCI 1.0 §6.1): the code and,
    when the offer has one, the transaction code (`tx_code`; draft 11's `user_pin` too).
    A wrong transaction code is counted, and kept even though the request is refused: the
    caller commits the session when this raises `Oid4vciError`."""
    now = _now(now)
    if form.get("grant_type") != PRE_AUTHORIZED_GRANT:
        raise Oid4vciError("unsupported_grant_type",
                           "Seul le code pré-autorisé est accepté.",
                           "Only the pre-authorized code grant is supported.")
    code = form.get("pre-authorized_code") or ""
    row = session.scalars(select(WalletOfferRow).where(
        WalletOfferRow.pre_authorized_code_hash == token_digest(code))).one_or_none()
    if not code or row is None:
        raise errors.invalid_grant("Code pré-autorisé inconnu.", "Unknown pre-authorized code.")
    refusal = _grant_refusal(row, now)
    if refusal is None and row.tx_code_hmac is not None:
        given = form.get("tx_code") or form.get("user_pin") or ""
        if not hmac.compare_digest(row.tx_code_hmac, _tx_code_hmac(service, row.id, given)):
            session.execute(update(WalletOfferRow).where(WalletOfferRow.id == row.id).values(
                tx_code_failures=WalletOfferRow.tx_code_failures + 1))
            refusal = errors.invalid_grant(
                "Code de transaction erroné : il a été envoyé par courriel au titulaire.",
                "Wrong transaction code: it was sent by e-mail to the holder.")
    elif refusal is None and form.get("tx_code"):
        refusal = errors.invalid_grant("Cette offre n'a pas de code de transaction.",
                                       "This offer has no transaction code.")
    access_token = new_token()
    if refusal is None:
        # The one step that must happen once: whoever's UPDATE matches the unused row wins.
        claimed = session.execute(
            update(WalletOfferRow).where(
                WalletOfferRow.id == row.id, WalletOfferRow.redeemed_at.is_(None),
                WalletOfferRow.expires_at > now,
                WalletOfferRow.tx_code_failures < MAX_TX_CODE_FAILURES)
            .values(redeemed_at=now, access_token_hash=token_digest(access_token),
                    access_token_expires_at=now + ACCESS_TOKEN_LIFETIME)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            refusal = _used_code()
    if refusal is not None:
        record_audit(session, actor=AUDIT_ACTOR_WALLET, action="oid4vci.token_refused",
                     subject=row.credential_id,
                     details={"offer": row.id, "error": refusal.oauth_error,
                              "reason": refusal.message_en}, origin=origin)
        raise refusal
    record_audit(session, actor=AUDIT_ACTOR_WALLET, action="oid4vci.code_redeemed",
                 subject=row.credential_id, details={"offer": row.id}, origin=origin)
    return TokenGrant(access_token=access_token,
                      expires_in=int(ACCESS_TOKEN_LIFETIME.total_seconds()),
                      c_nonce=issue_nonce(session, now=now))


def _used_code() -> Oid4vciError:
    return errors.invalid_grant("Ce code a déjà servi : une offre ne donne qu'un badge.",
                                "This code was already used: an offer gives one badge only.")


def _grant_refusal(row: WalletOfferRow, now: datetime) -> Oid4vciError | None:
    if row.redeemed_at is not None:
        return _used_code()
    if row.expires_at <= now:
        return errors.invalid_grant("Ce code a expiré : demandez une nouvelle offre.",
                                    "This code has expired: ask for a new offer.")
    if row.tx_code_failures >= MAX_TX_CODE_FAILURES:
        return errors.invalid_grant("Trop de codes de transaction erronés : offre annulée.",
                                    "Too many wrong transaction codes: offer cancelled.")
    return None


# -- 3. nonces -----------------------------------------------------------------------------------

def issue_nonce(session: Session, *, now: datetime | None = None) -> str:
    """A fresh `c_nonce` (Nonce Endpoint, OpenID4VCI 1.0 §7), valid `NONCE_LIFETIME`, once."""
    now = _now(now)
    nonce = new_token()
    session.add(WalletNonceRow(nonce_hash=token_digest(nonce), created_at=now,
                               expires_at=now + NONCE_LIFETIME))
    session.flush()
    return nonce


def consume_nonce(session: Session, nonce: str, *, now: datetime | None = None) -> bool:
    """Spend a nonce: True the first time for a known, unexpired nonce, False ever after."""
    now = _now(now)
    spent = session.execute(
        delete(WalletNonceRow).where(WalletNonceRow.nonce_hash == token_digest(nonce),
                                     WalletNonceRow.expires_at > now)
        .execution_options(synchronize_session=False))
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


# -- 4. the credential endpoint ------------------------------------------------------------------

def _unusable_token() -> Oid4vciError:
    return errors.invalid_token("Jeton d'accès inconnu, déjà utilisé ou expiré.",
                                "Unknown, used or expired access token.")


def _offer_of_token(session: Session, access_token: str) -> WalletOfferRow:
    row = session.scalars(select(WalletOfferRow).where(
        WalletOfferRow.access_token_hash == token_digest(access_token))).one_or_none()
    if row is None:
        raise _unusable_token()
    return row


def _check_token_usable(row: WalletOfferRow, now: datetime) -> None:
    if row.issued_at is not None or row.access_token_expires_at is None \
            or row.access_token_expires_at <= now:
        raise _unusable_token()


def _check_configuration(request: CredentialRequest, row: WalletOfferRow) -> Format:
    fmt: Format = "jwt_vc_json" if row.configuration_id.endswith("_jwt_vc_json") else "ldp_vc"
    asked = request.configuration_id
    if (asked is not None and asked != row.configuration_id) or (
            asked is None and request.format != fmt):
        raise Oid4vciError("unknown_credential_configuration",
                           f"Cette offre donne « {row.configuration_id} » seulement.",
                           f"This offer gives '{row.configuration_id}' only.")
    return fmt


def redeem_credential_request(service: IssuerService, session: Session, access_token: str,
                              body: object, *, origin: str | None = None,
                              now: datetime | None = None) -> dict[str, Any]:
    """Credential Request → Credential Response (OpenID4VCI 1.0 §8): the holder-bound copy
    of the offer's badge, `credentialSubject.id` = the DID of the proof's key.

    Order: the access token is looked up (`invalid_token`), the request read
    (`invalid_credential_request`, `unknown_credential_configuration`), the proof checked
    (`invalid_proof`), its nonce spent (`invalid_nonce`), then, in a savepoint, the token spent
    by a conditional UPDATE and the copy issued: if issuing fails, both are undone. Refusals of
    a known offer are audited; the caller commits the session when this raises."""
    now = _now(now)
    row = _offer_of_token(session, access_token)  # an unknown token is not audited
    try:
        _check_token_usable(row, now)
        request = parse_credential_request(body)
        fmt = _check_configuration(request, row)
        proof = verify_proof_jwt(request.proof_jwt, audience=credential_issuer(service.settings),
                                 now=now)
        if not consume_nonce(session, proof.nonce, now=now):
            raise errors.invalid_nonce(
                "Le « nonce » de la preuve est inconnu, expiré ou déjà utilisé : demandez-en un "
                "nouveau.", "The proof's nonce is unknown, expired or already used: ask for a "
                "new one.")
        copy_id, credential = _issue_once(service, session, row, proof, fmt, now, origin)
    except Oid4vciError as refusal:
        record_audit(session, actor=AUDIT_ACTOR_WALLET, action="oid4vci.credential_refused",
                     subject=row.credential_id,
                     details={"offer": row.id, "error": refusal.oauth_error,
                              "reason": refusal.message_en}, origin=origin)
        raise
    record_audit(session, actor=AUDIT_ACTOR_WALLET, action="oid4vci.credential_issued",
                 subject=row.credential_id,
                 # The copy's id, not the wallet's DID: the audit log is never rewritten, not even
                 # by an erasure (the copy forgets its DID then, issuer.wallet.copies).
                 details={"offer": row.id, "configuration": row.configuration_id,
                          "copy": copy_id}, origin=origin)
    if request.draft13:
        return {"credential": credential}
    return {"credentials": [{"credential": credential}]}


def _issue_once(service: IssuerService, session: Session, row: WalletOfferRow,
                proof: ProofOfPossession, fmt: Format, now: datetime,
                origin: str | None) -> tuple[str, Any]:
    with session.begin_nested():
        claimed = session.execute(
            update(WalletOfferRow).where(
                WalletOfferRow.id == row.id, WalletOfferRow.issued_at.is_(None),
                WalletOfferRow.access_token_expires_at > now)
            .values(issued_at=now, holder_did=proof.holder_did)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.invalid_token("Ce jeton d'accès a déjà servi.",
                                       "This access token was already used.")
        try:
            copy = issue_holder_copy(service, session, row.credential_id, proof.holder_did, fmt,
                                     actor=AUDIT_ACTOR_WALLET, origin=origin, now=now)
        except Oid4vciError:
            raise
        except IssuerError as error:  # revoked, suspended or erased meanwhile; a bad DID
            raise errors.credential_request_denied(error.message_fr, error.message_en) from None
        session.execute(update(WalletOfferRow).where(WalletOfferRow.id == row.id)
                        .values(copy_id=copy.copy_id)
                        .execution_options(synchronize_session=False))
    return copy.copy_id, copy.credential if fmt == "ldp_vc" else copy.jwt
