"""The issuer's use cases, through IssuerService as the CLI and the web app call it: issuing
(idempotent, private, schema-valid), the CLN mandate, refusals a coordinator can act on,
revocation and suspension, the DID document, did:key mode and key rotation."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.issuance.catalogue import Catalogue, load_catalogue
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import verification_context_for
from issuer.openbadges.badge_definitions import CatalogueError
from issuer.openbadges.baking import extract_baked_credential
from issuer.openbadges.proofs.data_integrity import verify_proof_signature
from issuer.openbadges.proofs.vc_jwt import decode_unverified, verify_jwt_signature
from issuer.openbadges.schema import schema_errors
from issuer.openbadges.status_list import read_status_bit, status_list_entry
from issuer.settings import Settings
from issuer.storage import models as rows
from tests.plugins.factory import IssuerHomes

BASE_URL = "https://badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
COUNCIL = "membre-cln"
FORMER_MEMBER = "ancien-membre-cln"
MEDIATOR = "mediateur-numerique"


def settings_for(home: Path, **settings: Any) -> Settings:
    values: dict[str, Any] = {"home": home, "base_url": BASE_URL, "did_method": "web",
                              "database_url": None, "key_passphrase": None, **settings}
    return Settings(**values)


def make_service(home: Path, **settings: Any) -> IssuerService:
    service = IssuerService(settings_for(home, **settings))
    service.init()
    return service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory,
            issuer_homes: IssuerHomes) -> IssuerService:
    """One issuer for the module: each test uses its own recipients."""
    return issuer_homes.service(settings_for(tmp_path_factory.mktemp("issuer-home")))


def breakfast(email: str, event: int = 7, **fields: Any) -> IssueRequest:
    return IssueRequest(badge_slug=BREAKFAST, email=email, name="Camille Test", event_number=event,
                        **fields)


def council(email: str, start: date | None = date(2025, 6, 13), **fields: Any) -> IssueRequest:
    values: dict[str, Any] = {"name": "Camille Test", "role": "conseiller", "sector": "Nord",
                              **fields}
    return IssueRequest(badge_slug=COUNCIL, email=email, mandate_start=start,
                        through_register=True, **values)


def jwt_text(token: str) -> str:
    """Everything a JWT says, decoded (header and payload)."""
    header, payload = token.split(".")[:2]
    return "".join(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")
                   for part in (header, payload))


def proof_verifies(service: IssuerService, document: dict[str, Any]) -> bool:
    """The embedded proof checks against the key the issuer's DID document lists."""
    issuer = document["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
    (proof,) = document["proof"]
    key = service.resolver().resolve_key(proof["verificationMethod"], controller=issuer_id)
    return verify_proof_signature(document, proof, key.public_key)


def jwt_verifies(service: IssuerService, token: str) -> bool:
    header, payload = decode_unverified(token)
    key = service.resolver().resolve_key(header["kid"], controller=payload["iss"])
    return verify_jwt_signature(token, key.public_key)


def status_bit(service: IssuerService, issued: IssuedBadge, purpose: str) -> bool:
    entry = issued.credential["credentialStatus"]
    list_url = entry["statusListCredential"]
    list_id = int(list_url.rsplit("/", 2)[-2])
    if purpose != entry["statusPurpose"]:
        # The sibling list with the same index (published next to the revocation list).
        entry = status_list_entry(service.status_list_url(list_id, purpose),  # type: ignore[arg-type]
                                  int(entry["statusListIndex"]), purpose)  # type: ignore[arg-type]
    return read_status_bit(service.status_list_credential(list_id, purpose),  # type: ignore[arg-type]
                           entry)


def error_of(call: Any, *args: Any) -> IssuerError:
    with pytest.raises(IssuerError) as raised:
        call(*args)
    error = raised.value
    assert error.message_fr != error.message_en, "a French and an English message"
    return error


# -- what is issued ---------------------------------------------------------------------------------
def test_issued_credential_is_an_open_badge_with_its_url(service: IssuerService) -> None:
    issued = service.issue(breakfast("url@example.org"))
    assert issued.created
    assert issued.url == f"{BASE_URL}/credentials/{issued.credential_id}"
    assert issued.credential["id"] == issued.url
    assert issued.credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert issued.credential["issuer"]["id"] == "did:web:badges.example.org"
    achievement = issued.credential["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE_URL}/achievements/{BREAKFAST}/7"


def test_both_signed_forms_verify_with_the_published_keys(service: IssuerService) -> None:
    issued = service.issue(breakfast("both-forms@example.org"))
    assert issued.credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof_verifies(service, issued.credential)
    header, payload = decode_unverified(issued.credential_jwt)
    assert header["alg"] == "RS256"  # OB 3.0 §8.2 baseline
    assert payload["jti"] == issued.url and payload["iss"] == "did:web:badges.example.org"
    assert jwt_verifies(service, issued.credential_jwt)


def test_changing_one_word_breaks_the_proof(service: IssuerService) -> None:
    tampered = service.issue(breakfast("tamper@example.org")).credential
    tampered["credentialSubject"]["achievement"]["name"] += " (modifié)"
    assert not proof_verifies(service, tampered)


def test_baked_png_carries_the_signed_credential(service: IssuerService) -> None:
    issued = service.issue(breakfast("png@example.org"))
    baked = extract_baked_credential(service.baked_png(issued))
    assert not baked.is_jwt
    assert json.loads(baked.payload) == issued.credential


@pytest.mark.parametrize(("request_", "label"), [
    (breakfast("schema-participant@example.org", role="participant"), "event, participant"),
    (breakfast("schema-speaker@example.org", event=10, role="intervenant"), "event, speaker"),
    (breakfast("schema-facilitator@example.org", event=1, role="animateur"), "event, facilitator"),
    (council("schema-member@example.org"), "membership, council member"),
    (council("schema-chair@example.org", role="co-presidente", sector=None), "membership, co-chair"),
    (IssueRequest(badge_slug=FORMER_MEMBER, email="schema-former@example.org",
                  through_register=True), "former member"),
    (IssueRequest(badge_slug=MEDIATOR, email="schema-mediator@example.org", name="Sam",
                  show_name=True), "skill"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_every_badge_family_validates_against_the_1edtech_schema(
        service: IssuerService, request_: IssueRequest, label: str) -> None:
    issued = service.issue(request_)
    assert schema_errors(issued.credential) == [], label


def test_every_badge_of_the_catalogue_is_covered_by_the_schema_test(service: IssuerService) -> None:
    assert {badge.slug for badge in service.catalogue.badges} == {
        BREAKFAST, COUNCIL, FORMER_MEMBER, MEDIATOR}


# -- idempotency --------------------------------------------------------------------------------------
def test_same_person_same_edition_twice_gives_one_credential(service: IssuerService) -> None:
    first = service.issue(breakfast("twice@example.org", event=8))
    again = service.issue(breakfast("  Twice@Example.ORG ", event=8))
    assert first.created and not again.created
    assert again.credential_id == first.credential_id
    assert again.credential_json == first.credential_json  # the stored signed text, unchanged


def test_a_stored_credential_is_read_back_by_id_url_or_file_name(service: IssuerService) -> None:
    issued = service.issue(breakfast("read-back@example.org"))
    for reference in (issued.credential_id, issued.url, f"{issued.credential_id}.png"):
        stored = service.credential(reference)
        assert (stored.credential_json, stored.credential_jwt) == (issued.credential_json,
                                                                   issued.credential_jwt)


def test_reading_an_unknown_credential_is_not_found(service: IssuerService) -> None:
    error = error_of(service.credential, "00000000-0000-4000-8000-000000000000")
    assert error.code == "credential.not_found"


def test_same_person_two_editions_gives_two_credentials(service: IssuerService) -> None:
    eighth = service.issue(breakfast("two-editions@example.org", event=8))
    ninth = service.issue(breakfast("two-editions@example.org", event=9))
    assert ninth.created and ninth.credential_id != eighth.credential_id
    assert ninth.credential["credentialSubject"]["achievement"]["id"].endswith(f"{BREAKFAST}/9")


def test_issue_many_skips_what_was_already_issued(service: IssuerService) -> None:
    done = service.issue(breakfast("batch-1@example.org", event=3))
    seen: list[IssuedBadge] = []
    results = service.issue_many([breakfast(f"batch-{n}@example.org", event=3) for n in (1, 2, 3)],
                                 progress=seen.append)
    assert [r.created for r in results] == [False, True, True]
    assert results[0].credential_id == done.credential_id
    assert sorted(r.credential_id for r in seen) == sorted(r.credential_id for r in results)


# -- the CLN mandate ----------------------------------------------------------------------------------
def test_council_membership_is_valid_until_the_end_of_the_mandate_paris_time(
        service: IssuerService) -> None:
    issued = service.issue(council("mandate@example.org"))
    # Designated 13 June 2025, 2-year mandate: valid through 12 June 2027, 23:59:59 in Paris
    # (summer time, UTC+2).
    assert issued.credential["validFrom"] == "2025-06-12T22:00:00Z"
    assert issued.credential["validUntil"] == "2027-06-12T21:59:59Z"
    _, payload = decode_unverified(issued.credential_jwt)
    assert payload["exp"] == 1812837599  # the same instant, in the JWT


def test_council_membership_records_role_and_sector(service: IssuerService) -> None:
    subject = service.issue(council("sector@example.org", sector="Sud")).credential[
        "credentialSubject"]
    assert subject["role"] == "Conseiller·ère"
    assert "Sud" in subject["narrative"]


def test_renewed_mandate_gives_a_new_credential(service: IssuerService) -> None:
    first = service.issue(council("renewal@example.org", start=date(2025, 6, 13)))
    same = service.issue(council("renewal@example.org", start=date(2025, 6, 13)))
    renewed = service.issue(council("renewal@example.org", start=date(2027, 6, 13)))
    assert not same.created and same.credential_id == first.credential_id
    assert renewed.created and renewed.credential_id != first.credential_id
    assert renewed.credential["validUntil"] == "2029-06-12T21:59:59Z"


def test_other_badges_do_not_expire(service: IssuerService) -> None:
    assert "validUntil" not in service.issue(breakfast("no-expiry@example.org")).credential
    assert "validUntil" not in service.issue(
        IssueRequest(badge_slug=FORMER_MEMBER, email="no-expiry@example.org",
                     through_register=True)).credential


# -- refusals -------------------------------------------------------------------------------------------
def test_unknown_role_is_refused_with_the_known_roles(service: IssuerService) -> None:
    error = error_of(service.issue, breakfast("role@example.org", role="cuisinier"))
    assert error.code == "issue.unknown_role"
    assert "Rôle inconnu" in error.message_fr and "cuisinier" in error.message_fr
    assert "Unknown role" in error.message_en and "intervenant" in error.message_en


def test_role_labels_in_french_are_understood(service: IssuerService) -> None:
    issued = service.issue(breakfast("label@example.org", role="Intervenante"))
    assert issued.credential["credentialSubject"]["role"] == "Intervenant·e"


def test_unknown_sector_is_refused(service: IssuerService) -> None:
    error = error_of(service.issue, council("sector-x@example.org", sector="Lille"))
    assert error.code == "issue.unknown_sector"
    assert "Secteur inconnu" in error.message_fr and "Centre, Est, Ouest, Nord, Sud" in error.message_fr
    assert "Unknown sector" in error.message_en


@pytest.mark.parametrize("slug", [COUNCIL, FORMER_MEMBER])
def test_a_membership_badge_outside_the_register_is_refused_and_nothing_is_signed(
        service: IssuerService, slug: str) -> None:
    """Issue 13 item 11: a seat on the council comes only from the register, so a path that
    reaches the service directly (a batch, an import, a future form) is refused."""
    request = IssueRequest(badge_slug=slug, email="hors-registre@example.org", role="conseiller",
                           sector="Nord", mandate_start=date(2025, 6, 13))
    for attempt in (lambda: service.issue(request), lambda: service.issue_many([request])):
        error = error_of(attempt)
        assert error.code == "issue.use_the_register"
        assert "registre du Conseil local du numérique" in error.message_fr
        assert "Local Digital Council register" in error.message_en
    key = service.email_lookup_key(request.email)
    with service.database.session(read_only=True) as session:
        assert session.query(rows.Recipient).filter(rows.Recipient.email_hash_key == key).count() == 0


def test_event_badge_needs_an_edition(service: IssuerService) -> None:
    error = error_of(service.issue, IssueRequest(badge_slug=BREAKFAST, email="noevent@example.org"))
    assert error.code == "issue.event_required"
    assert "--event" in error.message_fr and "edition" in error.message_en


def test_edition_is_refused_for_a_badge_without_events(service: IssuerService) -> None:
    error = error_of(service.issue, IssueRequest(badge_slug=MEDIATOR, email="e@example.org",
                                                 event_number=3))
    assert error.code == "issue.event_not_expected"


def test_unknown_edition_is_refused_with_the_known_ones(service: IssuerService) -> None:
    error = error_of(service.issue, breakfast("ed@example.org", event=11))
    assert isinstance(error, CatalogueError)
    assert error.code == "catalogue.unknown_event"
    assert "1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in error.message_fr


def test_unknown_badge_is_refused_with_the_known_ones(service: IssuerService) -> None:
    error = error_of(service.issue, IssueRequest(badge_slug="badge-inconnu", email="b@example.org"))
    assert error.code == "catalogue.unknown_badge"
    assert all(slug in error.message_fr for slug in (BREAKFAST, COUNCIL, MEDIATOR))


@pytest.mark.parametrize("email", ["pas-une-adresse", "a@b", "a b@example.org", ""])
def test_bad_email_is_refused(service: IssuerService, email: str) -> None:
    error = error_of(service.issue, breakfast(email))
    assert isinstance(error, InvalidInput)
    assert error.code == "recipient.bad_email"


def test_name_with_control_characters_is_refused(service: IssuerService) -> None:
    request = IssueRequest(badge_slug=MEDIATOR, email="ctrl@example.org", name="Zoé\x1bLefebvre")
    assert error_of(service.issue, request).code == "recipient.bad_name"


def test_tags_the_wallets_would_sort_differently_are_refused_at_issuance(
        tmp_path: Path) -> None:
    """A badge defined outside the YAML check (a catalogue built in code, as the
    skill badges are) still never yields a credential whose two sort orders differ."""
    seed = load_catalogue()
    badges = tuple(dataclasses.replace(badge, tags=("🎉 fête", "ﬁ fête"))
                   if badge.slug == MEDIATOR else badge for badge in seed.badges)
    service = IssuerService(
        Settings(home=tmp_path, base_url=BASE_URL, did_method="web", database_url=None,
                 key_passphrase=None),
        catalogue=Catalogue(badges=badges, directory=seed.directory))
    service.init()
    error = error_of(service.issue, IssueRequest(badge_slug=MEDIATOR, email="tags@example.org"))
    assert error.code == "sign.sort_order_ambiguous"
    assert "/credentialSubject/achievement/tag/0" in error.message_fr
    assert "/credentialSubject/achievement/tag/1" in error.message_en


# -- privacy ----------------------------------------------------------------------------------------------
def test_email_never_appears_in_clear(service: IssuerService) -> None:
    email = "Zoe.Lefebvre+cln@Example.org"
    issued = service.issue(council(email, start=date(2025, 6, 13)))
    for form in (issued.credential_json, issued.credential_jwt, jwt_text(issued.credential_jwt)):
        assert email.lower() not in form.lower()
        assert "zoe.lefebvre" not in form.lower()
    baked = service.baked_png(issued)
    assert email.lower().encode() not in baked.lower()


def test_email_is_a_salted_hash_per_ob_3_identity_object(service: IssuerService) -> None:
    issued = service.issue(breakfast("hash@example.org"))
    (identifier,) = issued.credential["credentialSubject"]["identifier"]
    assert identifier["hashed"] is True and identifier["identityType"] == "emailAddress"
    expected = hashlib.sha256(("hash@example.org" + identifier["salt"]).encode()).hexdigest()
    assert identifier["identityHash"] == f"sha256${expected}"


def test_name_is_hidden_without_consent(service: IssuerService) -> None:
    issued = service.issue(IssueRequest(badge_slug=MEDIATOR, email="hidden@example.org",
                                        name="Zoé Lefebvre-Hidden", show_name=False))
    assert "name" not in issued.credential["credentialSubject"]
    assert "Lefebvre-Hidden" not in issued.credential_json
    assert "Lefebvre-Hidden" not in jwt_text(issued.credential_jwt)


def test_name_is_shown_with_consent(service: IssuerService) -> None:
    issued = service.issue(IssueRequest(badge_slug=MEDIATOR, email="shown@example.org",
                                        name="Zoé Lefebvre-Shown", show_name=True))
    assert issued.credential["credentialSubject"]["name"] == "Zoé Lefebvre-Shown"
    assert decode_unverified(issued.credential_jwt)[1]["credentialSubject"]["name"] == "Zoé Lefebvre-Shown"


# -- revocation and suspension ---------------------------------------------------------------------------
def test_revocation_sets_the_credential_bit_and_only_it(service: IssuerService) -> None:
    revoked = service.issue(breakfast("revoked@example.org"))
    kept = service.issue(breakfast("kept@example.org"))
    assert not status_bit(service, revoked, "revocation")
    service.revoke(revoked.credential_id, "Badge délivré par erreur")
    assert status_bit(service, revoked, "revocation")
    assert not status_bit(service, kept, "revocation")
    assert not status_bit(service, revoked, "suspension")


def test_revocation_accepts_the_credential_url_or_file_name(service: IssuerService) -> None:
    issued = service.issue(breakfast("by-url@example.org"))
    service.revoke(issued.url, "Erreur de saisie")
    assert status_bit(service, issued, "revocation")
    other = service.issue(breakfast("by-file@example.org"))
    service.revoke(f"{other.credential_id}.json", "Erreur de saisie")
    assert status_bit(service, other, "revocation")


@pytest.mark.parametrize("reason", ["", "   "])
def test_revocation_requires_a_reason(service: IssuerService, reason: str) -> None:
    issued = service.issue(breakfast(f"no-reason-{len(reason)}@example.org"))
    error = error_of(service.revoke, issued.credential_id, reason)
    assert error.code == "revoke.reason_required"
    assert not status_bit(service, issued, "revocation")


def test_revoking_twice_is_an_error(service: IssuerService) -> None:
    issued = service.issue(breakfast("twice-revoked@example.org"))
    service.revoke(issued.credential_id, "Doublon")
    assert error_of(service.revoke, issued.credential_id, "Encore").code == "revoke.already_revoked"


def test_revoking_an_unknown_badge_is_not_found(service: IssuerService) -> None:
    error = error_of(service.revoke, "00000000-0000-4000-8000-000000000000", "Erreur")
    assert isinstance(error, NotFound) and error.code == "credential.not_found"


def test_suspension_sets_and_unsuspension_clears_the_suspension_bit(service: IssuerService) -> None:
    issued = service.issue(breakfast("suspended@example.org"))
    service.suspend(issued.credential_id, "Vérification en cours")
    assert status_bit(service, issued, "suspension")
    assert not status_bit(service, issued, "revocation")
    service.unsuspend(issued.credential_id)
    assert not status_bit(service, issued, "suspension")


def test_unsuspending_a_badge_that_is_not_suspended_is_an_error(service: IssuerService) -> None:
    issued = service.issue(breakfast("not-suspended@example.org"))
    assert error_of(service.unsuspend, issued.credential_id).code == "unsuspend.not_suspended"


def test_a_revoked_badge_cannot_be_suspended(service: IssuerService) -> None:
    issued = service.issue(breakfast("revoked-then-suspended@example.org"))
    service.revoke(issued.credential_id, "Erreur")
    assert error_of(service.suspend, issued.credential_id).code == "suspend.revoked"


def test_status_list_credential_is_signed_by_the_issuer(service: IssuerService) -> None:
    issued = service.issue(breakfast("signed-list@example.org"))
    list_url = issued.credential["credentialStatus"]["statusListCredential"]
    status_list = service.status_list_credential(int(list_url.rsplit("/", 2)[-2]), "revocation")
    assert status_list["id"] == list_url
    assert "BitstringStatusListCredential" in status_list["type"]
    assert status_list["issuer"] == service.issuer_did
    assert status_list["proof"][0]["type"] == "DataIntegrityProof"
    assert proof_verifies(service, status_list)


def test_status_list_indexes_are_random_so_they_reveal_no_issuing_order(
        service: IssuerService) -> None:
    indexes = [int(service.issue(breakfast(f"index-{n}@example.org", event=2))
                   .credential["credentialStatus"]["statusListIndex"]) for n in range(5)]
    assert len(set(indexes)) == 5
    assert indexes != list(range(indexes[0], indexes[0] + 5))


# -- identity ---------------------------------------------------------------------------------------------
def test_did_document_lists_ed25519_multikey_and_rsa_jsonwebkey_for_assertion(
        service: IssuerService) -> None:
    document = service.did_document()
    assert document["id"] == "did:web:badges.example.org"
    methods = {method["type"]: method for method in document["verificationMethod"]}
    assert set(methods) == {"Multikey", "JsonWebKey"}
    assert methods["Multikey"]["publicKeyMultibase"].startswith("z6Mk")
    assert "publicKeyJwk" not in methods["Multikey"]  # VERIFICATION.md R5
    assert methods["JsonWebKey"]["publicKeyJwk"]["kty"] == "RSA"
    assert "d" not in methods["JsonWebKey"]["publicKeyJwk"]
    assert set(document["assertionMethod"]) == {m["id"] for m in methods.values()}
    assert all(m["controller"] == document["id"] for m in methods.values())


def test_did_key_mode_issues_with_a_did_key_and_an_eddsa_jwt(tmp_path: Path) -> None:
    service = make_service(tmp_path, did_method="key")
    assert service.issuer_did.startswith("did:key:z6Mk")
    issued = service.issue(breakfast("did-key@example.org"))
    assert issued.credential["issuer"]["id"] == service.issuer_did
    fragment = service.issuer_did.removeprefix("did:key:")
    assert issued.credential["proof"][0]["verificationMethod"] == f"{service.issuer_did}#{fragment}"
    header, payload = decode_unverified(issued.credential_jwt)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == f"{service.issuer_did}#{fragment}"
    assert payload["iss"] == service.issuer_did
    assert proof_verifies(service, issued.credential)
    assert jwt_verifies(service, issued.credential_jwt)
    assert schema_errors(issued.credential) == []


# -- key rotation --------------------------------------------------------------------------------------------
@pytest.fixture
def rotated(tmp_path: Path) -> tuple[IssuerService, IssuedBadge, IssuedBadge, set[str]]:
    """An issuer that issued one badge, rotated its keys, then issued another."""
    service = make_service(tmp_path)
    before = service.issue(breakfast("before-rotation@example.org"))
    old_kids = {key.kid for key in service.keystore.keys()}
    service.rotate_keys()
    after = service.issue(breakfast("after-rotation@example.org"))
    return service, before, after, old_kids


def test_rotation_keeps_old_keys_in_the_did_document(
        rotated: tuple[IssuerService, IssuedBadge, IssuedBadge, set[str]]) -> None:
    service, _before, _after, old_kids = rotated
    listed = {method["id"].split("#")[1] for method in service.did_document()["verificationMethod"]}
    assert len(listed) == 4
    assert old_kids < listed
    assert {m.split("#")[1] for m in service.did_document()["assertionMethod"]} == listed


def test_after_rotation_new_badges_use_the_new_keys(
        rotated: tuple[IssuerService, IssuedBadge, IssuedBadge, set[str]]) -> None:
    _service, before, after, old_kids = rotated
    old_method = before.credential["proof"][0]["verificationMethod"]
    new_method = after.credential["proof"][0]["verificationMethod"]
    assert old_method.split("#")[1] in old_kids
    assert new_method.split("#")[1] not in old_kids
    assert decode_unverified(after.credential_jwt)[0]["kid"].split("#")[1] not in old_kids


def test_after_rotation_earlier_badges_still_verify(
        rotated: tuple[IssuerService, IssuedBadge, IssuedBadge, set[str]]) -> None:
    service, before, after, _old = rotated
    fresh = IssuerService(service.settings)  # another process, reading the keys from disk
    for issued in (before, after):
        assert proof_verifies(fresh, issued.credential)
        assert jwt_verifies(fresh, issued.credential_jwt)


def test_after_rotation_earlier_badges_get_a_valid_verdict(
        rotated: tuple[IssuerService, IssuedBadge, IssuedBadge, set[str]]) -> None:
    from issuer.openbadges import verification
    service, before, after, _old = rotated
    context = verification_context_for(IssuerService(service.settings))
    for issued in (before, after):
        for form in (issued.credential_json, issued.credential_jwt):
            report = verification.verify(form.encode("utf-8"), context)
            assert report.verdict == "valid", report.to_json()


def test_status_lists_verify_after_rotation(
        rotated: tuple[IssuerService, IssuedBadge, IssuedBadge, set[str]]) -> None:
    service, before, _after, _old = rotated
    list_url = before.credential["credentialStatus"]["statusListCredential"]
    status_list = service.status_list_credential(int(list_url.rsplit("/", 2)[-2]), "revocation")
    assert proof_verifies(IssuerService(service.settings), status_list)
