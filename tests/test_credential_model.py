"""The OpenBadgeCredential model: pure functions from a badge and a recipient to a document."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from issuer.errors import InvalidInput
from issuer.issuance.catalogue import load_catalogue
from issuer.openbadges import credential as model
from issuer.openbadges.canonical import assert_signable
from issuer.openbadges.schema import schema_errors
from issuer.openbadges.status_list import status_list_entry

CATALOGUE = load_catalogue()
PROFILE = model.IssuerProfile(
    id="did:web:badges.example.org", name="Ville de Roubaix", url="https://www.ville-roubaix.fr",
    email="participation-citoyenne@ville-roubaix.fr", description="Service Participation citoyenne",
    street_address="17 Grand'Place, CS 70737", postal_code="59066", locality="Roubaix Cedex 1")


def _credential(slug: str, **award: object) -> dict:
    badge = CATALOGUE.badge(slug)
    recipient = model.Recipient(model.new_subject_id(), "Camille@Example.org", "00" * 16,
                                "Camille Exemple", show_name=bool(award.pop("show_name", False)))
    return model.build_credential(
        credential_id="0b9a0f8e-3f57-4f69-9c1e-111111111111", base_url="https://badges.example.org",
        issuer=PROFILE, badge=badge, recipient=recipient,
        award=model.Award(valid_from=datetime(2025, 6, 13, tzinfo=UTC), **award),  # type: ignore[arg-type]
        status=status_list_entry("https://badges.example.org/status/1/revocation", 7, "revocation"))


def test_identity_hash_follows_ob_3_0_identity_hash() -> None:
    expected = "sha256$" + hashlib.sha256(b"camille@example.org" + b"abc").hexdigest()
    assert model.identity_hash(" Camille@Example.org ", "abc") == expected


def test_e_mail_never_appears_in_clear() -> None:
    text = str(_credential("mediateur-numerique"))
    assert "camille@example.org" not in text.lower()


def test_name_appears_only_with_consent() -> None:
    assert "name" not in _credential("mediateur-numerique")["credentialSubject"]
    shown = _credential("mediateur-numerique", show_name=True)
    assert shown["credentialSubject"]["name"] == "Camille Exemple"


def test_mandate_of_13_june_2025_runs_until_12_june_2027_included() -> None:
    end = model.mandate_end(date(2025, 6, 13), 2)
    assert end == datetime(2027, 6, 12, 21, 59, 59, tzinfo=UTC)  # 23:59:59 in Paris (CEST)


def test_mandate_starting_on_29_february_ends_on_28_february() -> None:
    end = model.mandate_end(date(2024, 2, 29), 2)
    assert end.astimezone(model.CITY_TIMEZONE).date() == date(2026, 2, 28)


@pytest.mark.parametrize("email", ["", "camille", "camille@", "@example.org", "a b@example.org",
                                   "camille@example", "x" * 250 + "@example.org"])
def test_malformed_e_mail_is_refused_with_a_code(email: str) -> None:
    with pytest.raises(InvalidInput) as error:
        model.normalise_email(email)
    assert error.value.code == "recipient.bad_email"


def test_event_badge_names_the_edition_and_carries_it_as_evidence() -> None:
    badge = CATALOGUE.badge("petit-dejeuner-inclusion-numerique")
    credential = _credential(badge.slug, event=badge.event(9), role=badge.role("animateur"))
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["id"].endswith("/achievements/petit-dejeuner-inclusion-numerique/9")
    assert "13 juin 2025" in achievement["name"]
    assert credential["evidence"][0]["type"] == ["Evidence"]
    assert "Archives nationales du monde du travail" in credential["evidence"][0]["description"]
    assert credential["credentialSubject"]["role"] == badge.role("animateur").name.fr  # type: ignore[union-attr]


@pytest.mark.parametrize("slug", [badge.slug for badge in CATALOGUE.badges])
def test_every_badge_family_validates_against_the_1edtech_schema_and_is_signable(slug: str) -> None:
    badge = CATALOGUE.badge(slug)
    award: dict[str, object] = {}
    if badge.events:
        award["event"] = badge.events[0]
    if badge.roles:
        award["role"] = badge.roles[0]
    if badge.family == "membership":
        award.update(sector="Est", activity_start=date(2025, 6, 13), activity_end=date(2027, 6, 12),
                     valid_until=model.mandate_end(date(2025, 6, 13), 2))
    credential = _credential(slug, **award)
    assert schema_errors(credential) == []
    assert_signable(credential)
    assert credential["@context"][2] == "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    assert credential["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
