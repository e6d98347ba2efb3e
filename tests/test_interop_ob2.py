"""Our Open Badges 2.0 verdicts against the official 1EdTech OB 2.0 validator
(openbadges-validator-core, run offline and unmodified: tests/plugins/ob2_validator.py), on
the same fixtures as tests/test_ob2_verification.py, served to both from the same documents.

`DIFFERENCES` lists where we deliberately disagree, and why; everywhere else the two must
agree on valid / not valid."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from issuer.openbadges.verification import verify
from tests.plugins.ob2_validator import official_ob2_validator  # noqa: F401 - fixture
from tests.test_ob2_verification import (
    BADGE_URL,
    HOSTED_URL,
    KEY_URL,
    LIST_URL,
    OTHER_KEY,
    SIGNED_ID,
    Web,
    _png_with_chunk,
    badge_class,
    context,
    crypto_key,
    hosted_assertion,
    issuer_profile,
    issuer_web,
    revocation_list,
    sign,
    signed_assertion,
)

pytestmark = pytest.mark.interop

IMAGE_URL = badge_class()["image"]


def _image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _tampered(token: str, **changes: Any) -> str:
    header, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(signed_assertion(**changes)).encode())
    return f"{header}.{payload.rstrip(b'=').decode()}.{signature}"


@dataclass(frozen=True)
class Case:
    input: str | bytes
    pages: dict[str, Any]
    we_accept: bool


ATTACKER_KEY = "https://keys.example.net/k.json"
ELSEWHERE = "https://badges.example.net/assertions/1.json"


def _cases() -> dict[str, Case]:
    web = issuer_web().pages
    return {
        "valid hosted": Case(json.dumps(hosted_assertion()), web, True),
        "valid signed": Case(sign(signed_assertion()), web, True),
        "hosted, served copy differs": Case(
            json.dumps(hosted_assertion(issuedOn="2024-01-01T00:00:00Z")), web, False),
        "tampered signed": Case(_tampered(sign(signed_assertion()),
                                          issuedOn="2020-01-01T00:00:00Z"), web, False),
        # Two entries: the validator compacts a one-entry `revokedAssertions` to a string and
        # then iterates over its characters, so it never finds a lone revoked assertion
        # (tests/test_ob2_verification.py covers the one-entry list on our side).
        "signed, revoked in list": Case(sign(signed_assertion()), {**web, LIST_URL: (
            revocation_list("urn:uuid:00000000-0000-4000-8000-000000000000", SIGNED_ID))},
            False),
        "signed, revoked flag": Case(sign(signed_assertion(revoked=True)), web, False),
        "hosted, revoked where served": Case(json.dumps(hosted_assertion()),
                                             {**web, HOSTED_URL: hosted_assertion(revoked=True)},
                                             False),
        "hosted, expired": Case(json.dumps(hosted_assertion(expires="2026-01-01T00:00:00Z")),
                                {**web, HOSTED_URL: hosted_assertion(
                                    expires="2026-01-01T00:00:00Z")}, False),
        "hosted on another origin": Case(json.dumps(hosted_assertion(ELSEWHERE)),
                                         {**web, ELSEWHERE: hosted_assertion(ELSEWHERE)}, False),
        "signed with a key the issuer does not list": Case(
            sign(signed_assertion(creator=ATTACKER_KEY), key=OTHER_KEY),
            {**web, ATTACKER_KEY: crypto_key(key=OTHER_KEY, url=ATTACKER_KEY)}, False),
        "signed with a key whose owner is someone else": Case(
            sign(signed_assertion()),
            {**web, KEY_URL: crypto_key(owner="https://other.example.net/issuer.json")}, False),
        "baked PNG, hosted URL": Case(_png_with_chunk(b"openbadges", HOSTED_URL), web, True),
        "baked PNG, signed JWS": Case(_png_with_chunk(b"openbadges", sign(signed_assertion())),
                                      web, True),
    }


REVOKED_FLAG = ("OB 2.0 says an Assertion whose `revoked` is true is revoked (issuers strip "
                "a revoked hosted assertion down to `id` and `revoked`); the validator does not "
                "read the property")
DIFFERENCES = {
    "hosted, served copy differs": (
        "the validator verifies only the copy it fetches from the assertion's id and ignores "
        "the one it was given; we report on the badge shown, and a badge that says something "
        "its issuer does not publish (here an earlier issue date) is not authentic"),
    "hosted, revoked where served": REVOKED_FLAG,
    "signed, revoked flag": REVOKED_FLAG,
    "signed with a key whose owner is someone else": (
        "the validator checks only that the issuer lists the key; OB 2.0 asks for the "
        "two-way link (CryptographicKey `owner` = the issuer, Profile `publicKey` = the key), "
        "and a key its own document gives to someone else is not the issuer's "
        "(VERIFICATION.md R11)"),
}
"""Case -> why our verdict differs from the validator's."""


def _our_verdict(case: Case) -> bool:
    web = Web(dict(case.pages))
    return verify(case.input, context(web)).verdict == "valid"


@pytest.fixture(scope="module")
def validator_results(official_ob2_validator: Callable[..., dict[str, Any]]  # noqa: F811
                      ) -> dict[str, dict[str, Any]]:
    results = {}
    for name, case in _cases().items():
        pages = {**case.pages, IMAGE_URL: (_image(), "image/png")}
        results[name] = official_ob2_validator(input=case.input, documents=pages)
    return results


@pytest.mark.parametrize("name", sorted(_cases()))
def test_our_verdict_is_the_one_expected(name):
    assert _our_verdict(_cases()[name]) is _cases()[name].we_accept


@pytest.mark.parametrize("name", sorted(_cases()))
def test_the_official_validator_agrees_unless_a_difference_is_explained(name,
                                                                         validator_results):
    theirs = validator_results[name]
    ours = _cases()[name].we_accept
    if name in DIFFERENCES:
        assert theirs["valid"] is not ours, theirs["messages"]
    else:
        assert theirs["valid"] is ours, theirs["messages"]


def test_the_validator_ran_offline_on_our_documents(validator_results):
    requested = validator_results["valid signed"]["requested"]
    assert KEY_URL in requested and BADGE_URL in requested
    assert all(url.startswith(("https://badges.example.org/", "https://w3id.org/openbadges/"))
               for url in requested)
    assert issuer_profile()["id"] in requested
