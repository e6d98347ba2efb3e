"""Use cases of the issuer, shared by the CLI, the web app and the tests: set up, issue,
revoke, suspend, publish. The Open Badges rules live in the core modules; this module joins them
with the keys, the catalogue and the database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.issuance.catalogue import Catalogue, load_catalogue
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest, _PreparedRequest
from issuer.issuance.keys import (
    KEY_REVOCATION_REASONS,
    IssuerKey,
    KeyRevocation,
    KeyRevocationReason,
    KeyStore,
)
from issuer.issuance.logo import Logo, load_logo, logo_png_url
from issuer.issuance.own_verification import OwnVerificationCache, StatusVersion
from issuer.issuance.signing_pool import _SigningPool, default_signing_helpers
from issuer.issuance.status_changes import change_status
from issuer.issuance.status_lists import StatusListCredentials
from issuer.names import check_person_name
from issuer.openbadges import credential as model
from issuer.openbadges.badge_definitions import BadgeDefinition, Event, Role
from issuer.openbadges.baking import bake_png, bake_svg
from issuer.openbadges.did import (
    DidResolver,
    build_did_document,
    did_key_for_ed25519,
    did_web_from_url,
)
from issuer.openbadges.json_text import indented_json
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.proofs.vc_jwt import encode_vc_jwt
from issuer.openbadges.status_list import (
    StatusPurpose,
    status_list_entry,
)
from issuer.openbadges.verification.context import RevokedKey
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.audit_log import record_audit, record_audits
from issuer.storage.credential_rows import (
    CredentialDraft,
    reserve_credential_rows,
    store_signed_forms,
)
from issuer.storage.db import Database
from issuer.storage.recipient_rows import RecipientDraft, find_or_create_recipients

IDENTITY_SECRET_FILE = "identity-secret"  # noqa: S105 - a file name in keys/
CREDENTIAL_JSON_INDENT = 2


CatalogueExtension = Callable[["IssuerService", Catalogue], Catalogue]
"""Adds the badges kept outside `badges/` to the catalogue: the mediator network's skill badges
(stored in the database), which `issuer.network.skill_badges` registers when it is imported.
That package builds on this one, so this one cannot import it (docs/ARCHITECTURE.md, layers);
the web app and the CLI import it at start."""
_catalogue_extensions: list[CatalogueExtension] = []


def register_catalogue_extension(extension: CatalogueExtension) -> None:
    """Add `extension` to every `IssuerService.catalogue` (once, whatever the calls)."""
    if extension not in _catalogue_extensions:
        _catalogue_extensions.append(extension)


_CREDENTIAL_ROW = (
    select(rows.IssuedCredential.credential_json, rows.IssuedCredential.credential_jwt,
           rows.IssuedCredential.revoked_at, rows.IssuedCredential.suspended,
           rows.IssuedCredential.suspended_at, rows.Recipient.indexable, rows.Recipient.erased_at)
    .join(rows.Recipient, rows.IssuedCredential.recipient_id == rows.Recipient.id)
    .where(rows.IssuedCredential.id == bindparam("credential_id")))
"""What `IssuerService.credential` reads (built once: SQLAlchemy then reuses its compiled form)."""


class IssuerService:
    """The City's issuer: one per process (keys and catalogue are read once)."""

    def __init__(self, settings: Settings, *, database: Database | None = None,
                 catalogue: Catalogue | None = None) -> None:
        self.settings = settings
        self.database = database or Database(settings.sqlalchemy_url)
        self._catalogue = catalogue
        self.keystore = KeyStore(settings.keys_dir, passphrase=settings.passphrase_bytes,
                                 environment=settings.private_key_environment)
        # Our signed status lists and their caches (issuer.issuance.status_lists).
        self.status_lists = StatusListCredentials(self)
        self._did_document: tuple[Any, dict[str, Any]] | None = None
        # Verifications of our own stored credentials (issuer.issuance.own_verification).
        self.own_verifications = OwnVerificationCache()
        # A bad logo is refused at start, with the setting and the rule named (issuer.issuance.logo).
        load_logo(settings.logo_path)

    # -- set-up ----------------------------------------------------------------------------------
    def init(self) -> list[IssuerKey]:
        """Create keys, identity secret and database once; load the catalogue (idempotent)."""
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        created = self.keystore.ensure_keys()
        self._identity_secret()
        self.database.migrate()
        with self.database.session() as session:
            self._sync_keys(session)
            self._sync_catalogue(session)
            if created:
                record_audit(session, actor="cli", action="keys.created",
                             subject=self.issuer_did,
                             details={"kids": [k.kid for k in created]})
        return created

    def rotate_keys(self) -> list[IssuerKey]:
        created = self.keystore.rotate()  # the key store notices the new files by itself
        with self.database.session() as session:
            self._sync_keys(session)
            record_audit(session, actor="cli", action="keys.rotated", subject=self.issuer_did,
                         details={"kids": [k.kid for k in created]})
        return created

    def retire_key(self, kid: str, *, actor: str = "cli") -> list[IssuerKey]:
        """`issuer keys retire KID`: the key stops signing and stays published (what it signed
        still verifies); a new key replaces it when it was the current one. Returns the keys
        created. Retiring a retired key does nothing (and records nothing)."""
        self._refuse_key_change_with_did_key()
        before = {key.kid: key.state for key in self.keystore.all_keys()}
        created = self.keystore.retire(kid)
        if before.get(kid) == "retired":
            return created
        with self.database.session() as session:
            self._sync_keys(session)
            record_audit(session, actor=actor, action="keys.retired", subject=kid,
                         details={"created": [k.kid for k in created]} if created else None)
        return created

    def revoke_key(self, kid: str, reason: KeyRevocationReason, *,
                   actor: str = "cli") -> KeyRevocation:
        """The key side of `issuer keys revoke KID` (`KeyStore.revoke`): the key leaves the DID
        document and stops signing, a replacement is created when it was the current one, and
        the audit trail records it once (a re-run records nothing more). Re-issuing what it
        signed is `issuer.workspace.key_incident.revoke_key`."""
        self._refuse_key_change_with_did_key()
        revocation = self.keystore.revoke(kid, reason)
        if revocation.already_revoked and not revocation.created:
            return revocation
        with self.database.session() as session:
            self._sync_keys(session)
            if not revocation.already_revoked:
                record_audit(session, actor=actor, action="keys.revoked", subject=kid,
                             details={"reason": reason,
                                      "created": [k.kid for k in revocation.created]})
        self.forget_status_cache()  # the lists this process signed with it
        return revocation

    def _refuse_key_change_with_did_key(self) -> None:
        if self.settings.did_method == "key":
            # did:key: the identifier *is* the key, so a key cannot leave it; changing keys
            # changes the issuer. docs/DEPLOYMENT.md, "Incident de clé".
            raise ServiceError(
                "Avec did:key, l'identifiant de l'émetteur est la clé : elle ne peut être ni "
                "retirée ni révoquée seule. Passez à did:web (ISSUER_DID_METHOD=web).",
                "With did:key the issuer's identifier is the key: it cannot be retired or "
                "revoked on its own. Move to did:web (ISSUER_DID_METHOD=web).",
                code="keys.did_key")

    def revoked_verification_methods(self) -> dict[str, RevokedKey]:
        """Our revoked keys by DID URL, as our verifier names them (VERIFICATION.md R21)."""
        found: dict[str, RevokedKey] = {}
        for key in self.keystore.revoked_keys():
            assert key.revoked is not None
            reason_fr, reason_en = KEY_REVOCATION_REASONS.get(
                key.revocation_reason or "", ("motif non précisé", "no reason given"))
            found[self.verification_method(key)] = RevokedKey(key.revoked.date(), reason_fr,
                                                              reason_en)
        return found

    @property
    def catalogue(self) -> Catalogue:
        """The badges of `badges/`, and the skill badges the coordinator created from the
        skills catalogue (stored in the database, aligned to its current version)."""
        if self._catalogue is None:
            folder = self.settings.catalogue_dir
            self._catalogue = load_catalogue(folder.expanduser() if folder else None)
        catalogue = self._catalogue
        for extension in _catalogue_extensions:
            catalogue = extension(self, catalogue)
        return catalogue

    def _active(self, algorithm: Literal["Ed25519", "RSA"]) -> IssuerKey:
        """The signing key (private half included): read from its file once, and again only
        after the key files change (`KeyStore.generation`), e.g. a rotation by the CLI."""
        return self.keystore.active_key(algorithm)

    def _current_public(self, algorithm: Literal["Ed25519", "RSA"]) -> IssuerKey:
        """The public half of the current key of `algorithm`, chosen as `_active` chooses."""
        candidates = [k for k in self.keystore.public_keys()
                      if k.algorithm == algorithm and k.current]
        if not candidates:
            return self.keystore.active_key(algorithm)  # raises the explanatory error
        candidates.sort(key=lambda k: (k.source == "environment", k.created))
        return candidates[-1]

    def derived_secret(self, purpose: str) -> bytes:
        """A secret for one purpose (e.g. "claim-token"), derived from the identity secret so
        that no two uses share a key."""
        return hmac.new(self._identity_secret(), f"roubaix-badges:{purpose}".encode(),
                        hashlib.sha256).digest()

    def _identity_secret(self) -> bytes:
        if self.settings.identity_secret:
            return self.settings.identity_secret.encode("utf-8")
        path = self.settings.keys_dir / IDENTITY_SECRET_FILE
        if not path.exists():
            self.settings.keys_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text("utf-8").strip().encode("utf-8")

    # -- identity --------------------------------------------------------------------------------
    @cached_property
    def issuer_did(self) -> str:
        if self.settings.did_method == "key":
            return did_key_for_ed25519(self._current_public("Ed25519").public_bytes())
        return did_web_from_url(self.settings.base_url)

    def verification_method(self, key: IssuerKey) -> str:
        if self.settings.did_method == "key":
            return f"{self.issuer_did}#{self.issuer_did.removeprefix('did:key:')}"
        return f"{self.issuer_did}#{key.kid}"

    @property
    def profile(self) -> model.IssuerProfile:
        # The Profile's `image` (OB 3.0 §B.1.18, an Image object): the logo we serve, unless
        # ISSUER_PROFILE_IMAGE_URL names another address.
        profile = self.settings.issuer_profile(self.issuer_did)
        return dataclasses.replace(profile, image_url=profile.image_url
                                   or logo_png_url(self.settings.base_url))

    @property
    def logo(self) -> Logo:
        """The City's logo (ISSUER_LOGO_FILE, else the demo's neutral mark), checked when the
        service starts."""
        return load_logo(self.settings.logo_path)

    def did_document(self) -> dict[str, Any]:
        """The did:web document: every key, retired ones too, under assertionMethod. Built
        from public keys only, once per key generation; the caller must not modify it."""
        generation = self.keystore.generation()
        cached = self._did_document
        if cached is not None and cached[0] == generation:
            return cached[1]
        if self.settings.did_method == "key":
            document = DidResolver().resolve(self.issuer_did)
        else:
            keys = self.keystore.public_keys()
            document = build_did_document(
                self.issuer_did,
                ed25519_keys=[(k.kid, k.public_bytes()) for k in keys if k.algorithm == "Ed25519"],
                rsa_keys=[(k.kid, k.public_jwk()) for k in keys if k.algorithm == "RSA"])
        self._did_document = (generation, document)
        return document

    def resolver(self) -> DidResolver:
        """A resolver that knows our own DID document without fetching it."""
        return DidResolver(local_documents={self.issuer_did: self.did_document()})

    # -- issuing ---------------------------------------------------------------------------------
    def email_lookup_key(self, email: str) -> str:
        """Keyed hash to find a person again by e-mail without storing a searchable plain hash."""
        return hmac.new(self._identity_secret(), model.normalise_email(email).encode("utf-8"),
                        hashlib.sha256).hexdigest()

    def issue(self, request: IssueRequest, *, actor: str = "cli", origin: str | None = None,
              now: datetime | None = None) -> IssuedBadge:
        with self.database.session() as session:
            return self.issue_in_session(session, request, actor=actor, origin=origin, now=now)

    def issue_many(self, requests: Iterable[IssueRequest], *, actor: str = "cli",
                   origin: str | None = None, progress: Callable[[IssuedBadge], None] | None = None,
                   chunk: int = 200, signing_helpers: int | None = None,
                   should_stop: Callable[[], bool] | None = None) -> list[IssuedBadge]:
        """Issue a batch, committing every `chunk` credentials: a crash loses at most the current
        chunk, and re-running finds what was committed (idempotency keys), so nothing is issued
        twice and nothing is missing. Every request is checked before anything is signed.
        `should_stop` is asked before each chunk (`issue-batch` on SIGTERM): when it answers
        True the batch ends there, the chunks committed so far returned, the rest left for a
        re-run.

        Each chunk is one transaction of a few statements, not a few per credential
        (`_issue_prepared`). A batch of `PARALLEL_SIGNING_MIN_BATCH` requests or more also signs
        in helper processes, one per spare core (`signing_helpers` overrides the count; 0 signs
        here only). `progress` is called for each credential once its chunk is committed."""
        pending = [self._prepare(request) for request in requests]
        if signing_helpers is None:
            signing_helpers = default_signing_helpers(len(pending))
        results: list[IssuedBadge] = []
        with _SigningPool(self, helpers=signing_helpers) as signer:
            for start in range(0, len(pending), chunk):
                if should_stop is not None and should_stop():
                    break
                with self.database.session() as session:
                    done = self._issue_prepared(session, pending[start:start + chunk],
                                                actor=actor, origin=origin, signer=signer)
                results.extend(done)
                if progress:
                    for item in done:
                        progress(item)
        return results

    def resolve_request(self, request: IssueRequest) -> tuple[BadgeDefinition, Role | None, Event | None]:
        badge = self.catalogue.badge(request.badge_slug)
        if request.as_granted is not None and request.as_granted.slug == badge.slug:
            badge = request.as_granted
        if badge.family == "membership" and not request.through_register:
            raise InvalidInput(
                f"Le badge « {badge.slug} » se délivre depuis le registre du Conseil local du "
                "numérique (page « Conseil local du numérique » de l'espace de travail, ou "
                "« issuer issue » pour un nouveau membre ; le badge d'ancien membre à la clôture "
                "du mandat), qui vérifie les règles du Conseil et enregistre le mandat.",
                f"Badge '{badge.slug}' is issued from the Local Digital Council register (the "
                "workspace's council page, or `issuer issue` for a new member; the former-member "
                "badge when the mandate is closed), which checks the council's rules and records "
                "the mandate.",
                code="issue.use_the_register")
        role = badge.role(request.role) if request.role else (badge.roles[0] if badge.roles else None)
        if request.role and role is None:
            known = ", ".join(r.slug for r in badge.roles) or "—"
            raise InvalidInput(f"Rôle inconnu pour ce badge : « {request.role} » (connus : {known}).",
                               f"Unknown role for this badge: '{request.role}' (known: {known}).",
                               code="issue.unknown_role")
        event = None
        if badge.family == "event":
            if request.event_number is None:
                raise InvalidInput("Ce badge est lié à une édition : précisez --event NUMÉRO.",
                                   "This badge belongs to an edition: give --event NUMBER.",
                                   code="issue.event_required")
            event = badge.event(request.event_number)
        elif request.event_number is not None:
            raise InvalidInput("Ce badge n'est pas lié à un événement : retirez --event.",
                               "This badge is not tied to an event: remove --event.",
                               code="issue.event_not_expected")
        if request.sector and badge.sectors and request.sector not in badge.sectors:
            raise InvalidInput(
                f"Secteur inconnu : « {request.sector} » (secteurs : {', '.join(badge.sectors)}).",
                f"Unknown sector: '{request.sector}' (sectors: {', '.join(badge.sectors)}).",
                code="issue.unknown_sector")
        return badge, role, event

    def _award(self, badge: BadgeDefinition, role: Role | None, event: Event | None,
               request: IssueRequest, now: datetime) -> model.Award:
        if badge.family == "membership" and badge.validity_years:
            start = request.mandate_start or now.astimezone(model.CITY_TIMEZONE).date()
            end = model.mandate_end(start, badge.validity_years)
            valid_from = datetime.combine(start, datetime.min.time(), tzinfo=model.CITY_TIMEZONE)
            return model.Award(valid_from=valid_from.astimezone(UTC), valid_until=end, role=role,
                               sector=request.sector, activity_start=start,
                               activity_end=end.astimezone(model.CITY_TIMEZONE).date(),
                               evidence=request.evidence)
        start_of_validity = request.valid_from or now
        if badge.family == "membership":
            return model.Award(valid_from=start_of_validity, role=role, sector=request.sector,
                               activity_start=request.mandate_start,
                               activity_end=request.mandate_end, evidence=request.evidence)
        valid_until = None
        if badge.validity_years:
            valid_until = start_of_validity.replace(
                year=start_of_validity.year + badge.validity_years)
        return model.Award(valid_from=start_of_validity, valid_until=valid_until, role=role,
                           event=event, activity_start=event.date if event else None,
                           activity_end=event.date if event else None, evidence=request.evidence)

    def idempotency_key(self, request: IssueRequest, badge: BadgeDefinition, role: Role | None,
                        event: Event | None, lookup_key: str) -> str:
        # A person gets one badge per edition and role; a CLN member one per mandate.
        parts = [badge.slug, str(event.number if event else ""), role.slug if role else "",
                 lookup_key]
        if badge.family == "membership":
            parts.append(request.mandate_start.isoformat() if request.mandate_start else "")
        return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()

    def issue_in_session(self, session: Session, request: IssueRequest, *, actor: str = "cli",
                         origin: str | None = None, now: datetime | None = None) -> IssuedBadge:
        return self._issue_prepared(session, [self._prepare(request)], actor=actor, origin=origin,
                                    now=now)[0]

    def _prepare(self, request: IssueRequest) -> _PreparedRequest:
        """Everything about a request that needs neither the database nor the clock; refuses
        an unusable one (unknown badge, role or edition, bad e-mail, control characters)."""
        badge, role, event = self.resolve_request(request)
        email = model.normalise_email(request.email)
        name = check_person_name(request.name, required=False)
        lookup = self.email_lookup_key(email)
        return _PreparedRequest(
            request=request, badge=badge, role=role, event=event, email=email, name=name,
            lookup_key=lookup,
            idempotency_key=self.idempotency_key(request, badge, role, event, lookup))

    def _issue_prepared(self, session: Session, items: list[_PreparedRequest], *, actor: str,
                        origin: str | None = None, now: datetime | None = None,
                        signer: _SigningPool | None = None) -> list[IssuedBadge]:
        """Issue `items` in the caller's transaction: one query for the people, one for the keys
        already issued, one multi-row insert for the new people, the reserved rows and the
        audit lines; the unique constraints still decide under concurrency (the repository
        falls back to one row at a time on a collision)."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        recipients = find_or_create_recipients(session, [
            RecipientDraft(email_hash_key=item.lookup_key, email=item.email,
                           display_name=item.name, show_name=item.request.show_name)
            for item in items])
        awards = [self._award(item.badge, item.role, item.event, item.request, now)
                  for item in items]
        reservations = reserve_credential_rows(session, [
            CredentialDraft(
                recipient=recipients[item.lookup_key], badge_slug=item.badge.slug,
                achievement_id=model.achievement_url(self.settings.base_url, item.badge,
                                                     item.event),
                idempotency_key=item.idempotency_key, issued_at=now,
                valid_from=award.valid_from, valid_until=award.valid_until,
                event_number=item.event.number if item.event else None,
                role=item.role.slug if item.role else None)
            for item, award in zip(items, awards, strict=True)])
        new_rows: list[rows.IssuedCredential] = []
        unsigned: list[dict[str, Any]] = []
        audit: list[tuple[str, dict[str, Any] | None]] = []
        for item, award, reservation in zip(items, awards, reservations, strict=True):
            if not reservation.created:
                continue
            row = reservation.credential
            recipient = recipients[item.lookup_key]
            shown = item.request.name_shown
            person = model.Recipient(subject_id=recipient.subject_id, email=item.email,
                                     salt=recipient.identity_salt,
                                     display_name=recipient.display_name or item.name,
                                     show_name=(recipient.show_name or item.request.show_name)
                                     if shown is None else shown)
            new_rows.append(row)
            unsigned.append(model.build_credential(
                credential_id=row.id, base_url=self.settings.base_url, issuer=self.profile,
                badge=item.badge, recipient=person, award=award,
                status=status_list_entry(self.status_list_url(row.status_list_id, "revocation"),
                                         row.status_index, "revocation")))
            audit.append((row.id, {"badge": item.badge.slug, "event": row.event_number,
                                   "role": row.role}))
        signed = (signer.sign_all(unsigned, now) if signer is not None
                  else [self.sign(document, now) for document in unsigned])
        store_signed_forms(session, [
            (row, credential_json, credential_jwt)
            for row, (credential_json, credential_jwt) in zip(new_rows, signed, strict=True)])
        record_audits(session, actor=actor, action="credential.issued", entries=audit,
                      origin=origin)
        # Built after signing: a request repeated within the batch shares its first one's row.
        return [self._issued(reservation.credential, created=reservation.created)
                for reservation in reservations]

    def sign(self, unsigned: dict[str, Any], now: datetime) -> tuple[str, str]:
        """Both signed forms: JSON with an embedded eddsa-rdfc-2022 proof, and the VC-JWT."""
        ed_key = self._active("Ed25519")
        assert ed_key.private_key is not None
        signed = sign_document(unsigned, ed_key.private_key,  # type: ignore[arg-type]
                               self.verification_method(ed_key), created=now)
        # did:key names one Ed25519 key: the JWT is EdDSA then.
        jwt_key = ed_key if self.settings.did_method == "key" else self._active("RSA")
        assert jwt_key.private_key is not None
        jwt = encode_vc_jwt(unsigned, jwt_key.private_key, self.verification_method(jwt_key))
        # json.dumps(signed, ensure_ascii=False, indent=CREDENTIAL_JSON_INDENT), faster.
        return indented_json(signed), jwt

    def _issued(self, row: rows.IssuedCredential, *, created: bool) -> IssuedBadge:
        return IssuedBadge(credential_id=row.id,
                           url=model.credential_url(self.settings.base_url, row.id),
                           credential_json=row.credential_json, credential_jwt=row.credential_jwt,
                           created=created)

    # -- reading ---------------------------------------------------------------------------------
    def credential(self, credential_id: str) -> IssuedBadge:
        key = self.normalise_credential_id(credential_id)
        # One query by primary key, of the columns a badge page shows (it reads this on every
        # view): plain rows, no ORM session or objects, one statement built once.
        with self.database.reading() as connection:
            row = connection.execute(_CREDENTIAL_ROW, {"credential_id": key}).first()
        if row is None or not (row.credential_json and row.credential_jwt):  # is_signed
            raise NotFound(f"Aucun badge avec l'identifiant « {credential_id} ».",
                           f"No badge with id '{credential_id}'.", code="credential.not_found")
        return IssuedBadge(credential_id=key,
                           url=model.credential_url(self.settings.base_url, key),
                           credential_json=row.credential_json,
                           credential_jwt=row.credential_jwt, created=False,
                           indexable=bool(row.indexable) and row.erased_at is None,
                           status=StatusVersion(row.revoked_at, bool(row.suspended),
                                                row.suspended_at))

    @staticmethod
    def normalise_credential_id(value: str) -> str:
        """Accept the bare UUID, a credential URL, or a file name like `<uuid>.json`."""
        value = value.strip().rstrip("/")
        value = value.rsplit("/", 1)[-1]
        for suffix in (".json", ".jwt", ".png", ".svg"):
            value = value.removesuffix(suffix)
        return value

    def badge_png(self, badge: BadgeDefinition) -> bytes:
        return self.catalogue.image_path(badge, "png").read_bytes()

    def baked_png(self, issued: IssuedBadge) -> bytes:
        badge = self.catalogue.badge(self._badge_slug(issued))
        return bake_png(self.badge_png(badge), issued.credential)

    def baked_svg(self, issued: IssuedBadge) -> bytes:
        badge = self.catalogue.badge(self._badge_slug(issued))
        return bake_svg(self.catalogue.image_path(badge, "svg").read_bytes(), issued.credential)

    def _badge_slug(self, issued: IssuedBadge) -> str:
        achievement_id: str = issued.credential["credentialSubject"]["achievement"]["id"]
        path = achievement_id.removeprefix(self.settings.base_url.rstrip("/") + "/achievements/")
        return path.split("/", 1)[0]

    # -- status ----------------------------------------------------------------------------------
    def status_list_url(self, status_list_id: int, purpose: StatusPurpose) -> str:
        return f"{self.settings.base_url}/status/{status_list_id}/{purpose}"

    def revoke(self, credential_id: str, reason: str, *, actor: str = "cli",
               origin: str | None = None) -> None:
        change_status(self, credential_id, "revoke", reason=reason, actor=actor, origin=origin)

    def suspend(self, credential_id: str, reason: str | None = None, *, actor: str = "cli",
                origin: str | None = None) -> None:
        change_status(self, credential_id, "suspend", reason=reason, actor=actor, origin=origin)

    def unsuspend(self, credential_id: str, *, actor: str = "cli",
                  origin: str | None = None) -> None:
        change_status(self, credential_id, "unsuspend", reason=None, actor=actor, origin=origin)

    def status_list_credential(self, status_list_id: int, purpose: StatusPurpose,
                               *, now: datetime | None = None) -> dict[str, Any]:
        """`StatusListCredentials.status_list_credential`: signed now."""
        return self.status_lists.status_list_credential(status_list_id, purpose, now=now)

    def current_status_list_credential(self, status_list_id: int,
                                       purpose: StatusPurpose) -> dict[str, Any]:
        """`StatusListCredentials.current_status_list_credential`: what our verifications read."""
        return self.status_lists.current_status_list_credential(status_list_id, purpose)

    def cached_status_list_credential(self, status_list_id: int, purpose: StatusPurpose,
                                      *, ttl: float = 60.0) -> dict[str, Any]:
        """`StatusListCredentials.cached_status_list_credential`: the published list."""
        return self.status_lists.cached_status_list_credential(status_list_id, purpose, ttl=ttl)

    def forget_status_cache(self) -> None:
        """`StatusListCredentials.forget_status_cache`: after a status change made elsewhere."""
        self.status_lists.forget_status_cache()

    def status_list_ids(self) -> list[int]:
        with self.database.session(read_only=True) as session:
            return list(session.scalars(select(rows.StatusList.id).order_by(rows.StatusList.id)))

    # -- catalogue and keys in the database ---------------------------------------------------------
    def achievement_documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path under /achievements/, Achievement JSON) for every badge and edition."""
        for badge in self.catalogue.badges:
            events: list[Event | None] = list(badge.events) or [None]
            for event in events:
                document = model.build_achievement(badge, base_url=self.settings.base_url,
                                                   issuer=self.profile, event=event)
                document = {"@context": list(model.CREDENTIAL_CONTEXT), **document}
                path = badge.slug if event is None else f"{badge.slug}/{event.number}"
                yield path, document

    def _sync_catalogue(self, session: Session) -> None:
        for _path, document in self.achievement_documents():
            existing = session.get(rows.Achievement, document["id"])
            text = json.dumps(document, ensure_ascii=False)
            slug = _path.split("/", 1)[0]
            if existing is None:
                session.add(rows.Achievement(id=document["id"], badge_slug=slug, json=text))
            elif existing.json != text:
                existing.json = text
        for badge in self.catalogue.badges:
            for event in badge.events:
                found = session.scalars(select(rows.Event).where(
                    rows.Event.family == badge.slug, rows.Event.number == event.number)).first()
                if found is None:
                    session.add(rows.Event(family=badge.slug, number=event.number, date=event.date,
                                           theme_fr=event.theme.fr, theme_en=event.theme.en,
                                           venue=event.venue))

    def _sync_keys(self, session: Session) -> None:
        for revoked in self.keystore.revoked_keys():
            stored = session.get(rows.SigningKey, revoked.kid)
            if stored is not None and stored.retired_at != revoked.retired:
                stored.retired_at = revoked.retired
        for key in self.keystore.keys():
            if key.source != "file":
                continue
            stored = session.get(rows.SigningKey, key.kid)
            if stored is None:
                session.add(rows.SigningKey(
                    kid=key.kid, algorithm=key.algorithm, public_jwk=json.dumps(key.public_jwk()),
                    public_multibase=None if key.algorithm != "Ed25519" else
                    self.verification_method(key).split("#")[-1] if self.settings.did_method == "key"
                    else None,
                    created_at=key.created, retired_at=key.retired, file_name=f"{key.kid}.pem"))
            elif stored.retired_at != key.retired:
                stored.retired_at = key.retired


class ServiceError(IssuerError):
    code = "service.error"
