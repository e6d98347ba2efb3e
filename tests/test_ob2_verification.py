"""Open Badges 2.0 assertions from other issuers, verified: hosted and signed, revoked by
list, flag or 410 Gone, expired, served from another origin, signed with a key the issuer
does not own, baked in PNG and SVG images, and Open Badges 1.0 reported as a format we do not
read (never as forged).

The issuer's documents are real OB 2.0 JSON-LD built here (an RSA key, a JWS signed with
PyJWT) and served to the project's bounded `Fetcher` by an in-memory HTTP transport
(`httpx.MockTransport`) behind a resolver giving a public address: the fetcher's own checks
(https, public addresses, size, redirects) run unchanged, and no request leaves the process."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image

from issuer.openbadges.did import DidResolver
from issuer.openbadges.fetch import Fetcher
from issuer.openbadges.verification import (
    CHECK_NAMES,
    VerificationContext,
    VerificationReport,
    verify,
)
from issuer.openbadges.verification.ob2 import MAX_FETCHES, ob2_recipient_matches

OB2 = "https://w3id.org/openbadges/v2"
ORIGIN = "https://badges.example.org"
ISSUER_URL = f"{ORIGIN}/issuer.json"
BADGE_URL = f"{ORIGIN}/badges/mediation.json"
KEY_URL = f"{ORIGIN}/keys/1.json"
LIST_URL = f"{ORIGIN}/revocations.json"
HOSTED_URL = f"{ORIGIN}/assertions/1.json"
SIGNED_ID = "urn:uuid:7d6b8e0a-2f4c-4b1e-9c3a-5e8f1d2c4b6a"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EMAIL = "camille.durand@example.org"
SALT = "4b1e9c3a"

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _recipient() -> dict[str, Any]:
    import hashlib
    digest = hashlib.sha256((EMAIL + SALT).encode()).hexdigest()
    return {"type": "email", "hashed": True, "salt": SALT, "identity": f"sha256${digest}"}


def issuer_profile(**changes: Any) -> dict[str, Any]:
    return {"@context": OB2, "type": "Issuer", "id": ISSUER_URL,
            "name": "Association Numérique Exemple", "url": ORIGIN,
            "email": "contact@example.org", "publicKey": [KEY_URL],
            "revocationList": LIST_URL, **changes}


def badge_class() -> dict[str, Any]:
    return {"@context": OB2, "type": "BadgeClass", "id": BADGE_URL,
            "name": "Médiation numérique", "description": "Accompagner les démarches en ligne.",
            "image": f"{ORIGIN}/badges/mediation.png",
            "criteria": {"narrative": "Avoir animé trois ateliers."}, "issuer": ISSUER_URL}


def crypto_key(owner: str = ISSUER_URL, key: rsa.RSAPrivateKey = KEY,
               url: str = KEY_URL) -> dict[str, Any]:
    return {"@context": OB2, "type": "CryptographicKey", "id": url, "owner": owner,
            "publicKeyPem": _pem(key)}


def revocation_list(*revoked: Any) -> dict[str, Any]:
    return {"@context": OB2, "type": "RevocationList", "id": LIST_URL, "issuer": ISSUER_URL,
            "revokedAssertions": list(revoked)}


def hosted_assertion(assertion_id: str = HOSTED_URL, **changes: Any) -> dict[str, Any]:
    return {"@context": OB2, "type": "Assertion", "id": assertion_id,
            "recipient": _recipient(), "badge": BADGE_URL,
            "verification": {"type": "HostedBadge"}, "issuedOn": "2025-10-10T09:00:00+02:00",
            **changes}


def signed_assertion(creator: str = KEY_URL, **changes: Any) -> dict[str, Any]:
    return {"@context": OB2, "type": "Assertion", "id": SIGNED_ID,
            "recipient": _recipient(), "badge": BADGE_URL,
            "verification": {"type": "SignedBadge", "creator": creator},
            "issuedOn": "2025-10-10T09:00:00Z", **changes}


def sign(assertion: dict[str, Any], key: rsa.RSAPrivateKey = KEY, alg: str = "RS256") -> str:
    return jwt.PyJWS().encode(json.dumps(assertion).encode(), key, algorithm=alg)


@dataclass
class Web:
    """The documents served, by URL (a dict is served as JSON, an int as that status)."""

    pages: dict[str, Any] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = f"https://{request.headers['host']}{request.url.raw_path.decode()}"
        self.requested.append(url)
        page = self.pages.get(url, 404)
        # A stream, as a network transport gives: the fetcher reads the body chunk by chunk.
        if isinstance(page, int):
            return httpx.Response(page, stream=httpx.ByteStream(b"{}"))
        return httpx.Response(200, stream=httpx.ByteStream(json.dumps(page).encode()),
                              headers={"Content-Type": "application/ld+json"})

    def fetcher(self) -> Fetcher:
        return Fetcher(transport=httpx.MockTransport(self.handle),
                       resolver=lambda host, port: ["93.184.216.34"])


def issuer_web(**extra: Any) -> Web:
    pages: dict[str, Any] = {ISSUER_URL: issuer_profile(), BADGE_URL: badge_class(),
                             KEY_URL: crypto_key(), LIST_URL: revocation_list(),
                             HOSTED_URL: hosted_assertion()}
    pages.update(extra)
    return Web(pages)


def context(web: Web | None = None, **overrides: Any) -> VerificationContext:
    fetch: Callable[[str], Any] | None = None
    if web is not None:
        fetcher = web.fetcher()

        def fetch(url: str) -> Any:
            return fetcher.get_json(url, accept="application/ld+json, application/json")

    def no_status_list(url: str) -> dict:
        raise LookupError(url)

    return VerificationContext(resolver=DidResolver(), fetch_status_list=no_status_list,
                               known_issuers={"did:web:badges.ville-roubaix.fr":
                                              "Ville de Roubaix"},
                               now=NOW, fetch_document=fetch, **overrides)


def outcomes(report: VerificationReport) -> dict[str, tuple[str, str]]:
    return {check.name: (check.outcome, check.code) for check in report.checks}


def _png_with_chunk(keyword: bytes, text: str, chunk_type: bytes = b"iTXt") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    png = buffer.getvalue()
    if chunk_type == b"iTXt":
        data = keyword + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    else:
        data = keyword + b"\x00" + text.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + chunk_type + data + \
        struct.pack(">I", zlib.crc32(chunk_type + data))
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


def _svg(inner: str) -> bytes:
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
            f'width="4" height="4">{inner}<rect width="4" height="4"/></svg>').encode()


# --- hosted -------------------------------------------------------------------------------------

def test_hosted_assertion_is_valid_and_resolved():
    web = issuer_web()
    report = verify(json.dumps(hosted_assertion()), context(web))
    assert report.verdict == "valid", outcomes(report)
    assert report.standard == "ob2" and report.input_format == "json"
    assert [check.name for check in report.checks] == list(CHECK_NAMES)
    assert outcomes(report)["proof"] == ("passed", "proof.ob2_hosted_ok")
    assert outcomes(report)["issuer_key"] == ("passed", "issuer_key.ob2_origin")
    assert outcomes(report)["status"] == ("passed", "status.ob2_not_revoked")
    assert report.issuer_id == ISSUER_URL and report.issuer_name == "Association Numérique Exemple"
    assert report.credential is not None
    assert report.credential["badge"]["name"] == "Médiation numérique"
    assert report.credential["badge"]["issuer"]["email"] == "contact@example.org"
    assert report.valid_from == datetime(2025, 10, 10, 7, 0, tzinfo=UTC)
    assert "Open Badges 2.0" in report.summary("fr") and "Open Badges 2.0" in report.summary("en")
    assert report.summary("fr").startswith("Badge Open Badges 2.0 authentique, mais délivré par "
                                           "« Association Numérique Exemple »")
    assert report.to_json()["standard"] == "ob2"


def test_hosted_assertion_whose_served_copy_differs_is_not_authentic():
    web = issuer_web()
    forged = hosted_assertion(issuedOn="2024-01-01T00:00:00Z")
    report = verify(forged, context(web))
    assert report.verdict == "invalid"
    assert outcomes(report)["proof"] == ("failed", "proof.ob2_hosted_mismatch")
    assert "issuedOn" in report.check("proof").message_fr
    assert "non authentique" in report.summary("fr")
    assert web.requested == [HOSTED_URL]  # nothing else named by a forged badge is fetched


def test_hosted_assertion_updated_by_issuer_reports_the_served_version():
    web = issuer_web(**{HOSTED_URL: hosted_assertion(narrative="Ateliers de l'automne.")})
    report = verify(hosted_assertion(), context(web))
    assert report.verdict == "valid"
    assert outcomes(report)["proof"] == ("warning", "proof.ob2_hosted_updated")
    assert report.credential["narrative"] == "Ateliers de l'automne."


def test_hosted_assertion_on_another_origin_is_not_the_issuers():
    elsewhere = "https://badges.example.net/assertions/1.json"
    web = issuer_web(**{elsewhere: hosted_assertion(elsewhere)})
    report = verify(hosted_assertion(elsewhere), context(web))
    assert report.verdict == "invalid"
    assert outcomes(report)["issuer_key"] == ("failed", "issuer_key.ob2_other_origin")
    assert outcomes(report)["status"] == ("skipped", "status.not_checked")
    assert "non authentique" in report.summary("fr")
    assert LIST_URL not in web.requested


def test_issuer_may_allow_another_origin_in_its_verification_policy():
    elsewhere = "https://cdn.example.net/a/1.json"
    web = issuer_web(**{elsewhere: hosted_assertion(elsewhere),
                        ISSUER_URL: issuer_profile(verification={
                            "type": "VerificationObject", "allowedOrigins": ["cdn.example.net"],
                            "startsWith": "https://cdn.example.net/a/"})})
    report = verify(hosted_assertion(elsewhere), context(web))
    assert report.verdict == "valid", outcomes(report)
    assert outcomes(report)["issuer_key"] == ("passed", "issuer_key.ob2_policy")
    # The prefix narrows: another path on the allowed origin is refused.
    other = "https://cdn.example.net/b/1.json"
    web.pages[other] = hosted_assertion(other)
    assert outcomes(verify(hosted_assertion(other), context(web)))["issuer_key"] == \
        ("failed", "issuer_key.ob2_other_origin")


def test_hosted_assertion_revoked_in_the_issuers_list():
    web = issuer_web(**{LIST_URL: revocation_list(
        {"id": HOSTED_URL, "revocationReason": "Délivré par erreur"})})
    report = verify(hosted_assertion(), context(web))
    assert report.verdict == "invalid" and report.revoked is True
    assert outcomes(report)["status"] == ("failed", "status.ob2_revoked")
    assert "Délivré par erreur" in report.check("status").message_fr
    assert report.summary("fr").startswith("Badge Open Badges 2.0 révoqué")


def test_hosted_assertion_marked_revoked_where_it_is_served():
    web = issuer_web(**{HOSTED_URL: hosted_assertion(revoked=True)})
    report = verify(hosted_assertion(), context(web))
    assert outcomes(report)["proof"] == ("passed", "proof.ob2_hosted_ok")
    assert outcomes(report)["status"] == ("failed", "status.ob2_revoked")
    assert report.verdict == "invalid" and report.revoked is True


def test_hosted_assertion_withdrawn_with_410_is_revoked():
    web = issuer_web(**{HOSTED_URL: 410})
    report = verify(hosted_assertion(), context(web))
    assert outcomes(report)["status"] == ("failed", "status.ob2_revoked")
    assert outcomes(report)["proof"] == ("unknown", "proof.ob2_hosted_gone")
    assert report.summary("en").startswith("Revoked Open Badges 2.0 badge")


def test_expired_hosted_assertion():
    expired = hosted_assertion(expires="2026-01-01T00:00:00Z")
    web = issuer_web(**{HOSTED_URL: expired})
    report = verify(expired, context(web))
    assert report.verdict == "invalid" and report.expired is True
    assert outcomes(report)["validity"] == ("failed", "validity.expired")
    assert report.summary("fr").startswith("Badge Open Badges 2.0 expiré")


def test_unreachable_assertion_or_list_is_never_valid():
    assert verify(hosted_assertion(), context(issuer_web(**{HOSTED_URL: 503}))).verdict == \
        "indeterminate"
    report = verify(hosted_assertion(), context(issuer_web(**{LIST_URL: 500})))
    assert report.verdict == "indeterminate"
    assert outcomes(report)["status"] == ("unknown", "status.ob2_list_unreachable")
    offline = verify(hosted_assertion(), context(None))
    assert offline.verdict == "indeterminate"
    assert outcomes(offline)["proof"] == ("unknown", "proof.ob2_unreachable")


def test_plain_http_and_private_addresses_are_not_fetched():
    local = "https://127.0.0.1/assertions/1.json"
    report = verify(hosted_assertion(local), context(issuer_web()))
    assert report.verdict == "indeterminate"
    assert outcomes(report)["proof"] == ("unknown", "proof.ob2_unreachable")


# --- signed -------------------------------------------------------------------------------------

def test_signed_assertion_is_valid():
    web = issuer_web()
    report = verify(sign(signed_assertion()), context(web))
    assert report.verdict == "valid", outcomes(report)
    assert report.input_format == "jwt" and report.standard == "ob2"
    assert outcomes(report)["format"] == ("passed", "format.ob2_read")
    assert outcomes(report)["proof"] == ("passed", "proof.ob2_signed_ok")
    assert outcomes(report)["issuer_key"] == ("passed", "issuer_key.ob2_key_ok")
    assert report.credential["id"] == SIGNED_ID
    assert report.credential["badge"]["issuer"]["id"] == ISSUER_URL


def test_tampered_signed_assertion_fails_and_fetches_nothing_else():
    web = issuer_web()
    header, _, signature = sign(signed_assertion()).split(".")
    changed = signed_assertion(issuedOn="2020-01-01T00:00:00Z")
    payload = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    report = verify(f"{header}.{payload}.{signature}", context(web))
    assert report.verdict == "invalid"
    assert outcomes(report)["proof"] == ("failed", "proof.signature_mismatch")
    assert "non authentique" in report.summary("fr")
    assert web.requested == [KEY_URL]


def test_signed_assertion_with_a_key_the_issuer_does_not_list_fails():
    attacker_key = "https://keys.example.net/k.json"
    web = issuer_web(**{attacker_key: crypto_key(key=OTHER_KEY, url=attacker_key)})
    report = verify(sign(signed_assertion(creator=attacker_key), key=OTHER_KEY), context(web))
    assert outcomes(report)["proof"] == ("passed", "proof.ob2_signed_ok")
    assert outcomes(report)["issuer_key"] == ("failed", "issuer_key.ob2_key_not_listed")
    assert report.verdict == "invalid" and "non authentique" in report.summary("fr")


def test_signed_assertion_with_a_key_owned_by_someone_else_fails():
    web = issuer_web(**{KEY_URL: crypto_key(owner="https://other.example.net/issuer.json")})
    report = verify(sign(signed_assertion()), context(web))
    assert outcomes(report)["issuer_key"] == ("failed", "issuer_key.ob2_key_owner")
    assert report.verdict == "invalid"


def test_embedded_issuer_copy_cannot_vouch_for_a_key():
    # The signed payload embeds a profile listing the attacker's key: the profile is read from
    # the issuer's own address, which does not list it.
    attacker_key = "https://keys.example.net/k.json"
    web = issuer_web(**{attacker_key: crypto_key(key=OTHER_KEY, url=attacker_key)})
    embedded = {**badge_class(), "issuer": issuer_profile(publicKey=[attacker_key])}
    token = sign(signed_assertion(creator=attacker_key, badge=embedded), key=OTHER_KEY)
    assert outcomes(verify(token, context(web)))["issuer_key"] == \
        ("failed", "issuer_key.ob2_key_not_listed")


def test_signed_assertion_revoked_in_list_and_by_flag():
    web = issuer_web(**{LIST_URL: revocation_list(SIGNED_ID)})
    report = verify(sign(signed_assertion()), context(web))
    assert outcomes(report)["status"] == ("failed", "status.ob2_revoked")
    flagged = verify(sign(signed_assertion(revoked=True)), context(issuer_web()))
    assert outcomes(flagged)["status"] == ("failed", "status.ob2_revoked")


def test_signed_assertion_with_other_algorithms_is_refused():
    shared_secret = "a shared secret of thirty-two bytes"  # HS256: what an issuer must not use
    token = jwt.PyJWS().encode(json.dumps(signed_assertion()).encode(), shared_secret,
                               algorithm="HS256")
    report = verify(token, context(issuer_web()))
    assert outcomes(report)["proof"] == ("failed", "proof.jwt_bad_algorithm")


def test_signed_assertion_json_without_its_signature_is_not_verifiable():
    report = verify(signed_assertion(), context(issuer_web()))
    assert outcomes(report)["proof"] == ("failed", "proof.ob2_signature_missing")


def test_schema_and_type_of_the_badge_class_are_checked():
    web = issuer_web(**{BADGE_URL: {**badge_class(), "criteria": None}})
    report = verify(hosted_assertion(), context(web))
    assert outcomes(report)["schema"] == ("failed", "schema.ob2_invalid")
    assert "badge.criteria" in report.check("schema").message_en


# --- baked images -------------------------------------------------------------------------------

def test_baked_png_with_the_hosted_assertion_url():
    web = issuer_web()
    report = verify(_png_with_chunk(b"openbadges", HOSTED_URL), context(web))
    assert report.verdict == "valid", outcomes(report)
    assert report.input_format == "png" and report.standard == "ob2"


def test_baked_png_with_a_signed_assertion():
    report = verify(_png_with_chunk(b"openbadges", sign(signed_assertion())),
                    context(issuer_web()))
    assert report.verdict == "valid", outcomes(report)
    assert report.input_format == "png"
    assert outcomes(report)["proof"] == ("passed", "proof.ob2_signed_ok")


def test_baked_png_with_a_tampered_signed_assertion_fails():
    header, _, signature = sign(signed_assertion()).split(".")
    changed = base64.urlsafe_b64encode(json.dumps(signed_assertion(
        recipient={"type": "email", "hashed": False, "identity": "x@example.net"})).encode())
    token = f"{header}.{changed.rstrip(b'=').decode()}.{signature}"
    report = verify(_png_with_chunk(b"openbadges", token), context(issuer_web()))
    assert outcomes(report)["proof"] == ("failed", "proof.signature_mismatch")


def test_baked_svg_with_json_and_with_a_jws():
    json_svg = _svg(f"<openbadges:assertion verify=\"{HOSTED_URL}\"><![CDATA["
                    f"{json.dumps(hosted_assertion())}]]></openbadges:assertion>")
    report = verify(json_svg, context(issuer_web()))
    assert report.verdict == "valid", outcomes(report)
    assert report.input_format == "svg"
    jws_svg = _svg(f'<openbadges:assertion verify="{sign(signed_assertion())}"/>')
    assert verify(jws_svg, context(issuer_web())).verdict == "valid"


def test_png_with_two_badges_is_refused():
    png = _png_with_chunk(b"openbadges", HOSTED_URL)
    extra = b"openbadges\x00\x00\x00\x00\x00" + HOSTED_URL.encode()
    chunk = struct.pack(">I", len(extra)) + b"iTXt" + extra + \
        struct.pack(">I", zlib.crc32(b"iTXt" + extra))
    iend = png.rindex(b"IEND") - 4
    report = verify(png[:iend] + chunk + png[iend:], context(issuer_web()))
    assert report.verdict == "invalid" and report.unreadable


# --- what we do not read ------------------------------------------------------------------------

def test_open_badges_1_0_is_unsupported_not_forged():
    ob1 = {"uid": "abc123", "recipient": {"type": "email", "hashed": False, "identity": EMAIL},
           "badge": "https://badges.example.org/badge-1.0.json",
           "verify": {"type": "hosted", "url": "https://badges.example.org/a/abc123.json"},
           "issuedOn": 1359217910}
    web = issuer_web()
    report = verify(json.dumps(ob1), context(web))
    assert report.unreadable and report.verdict == "indeterminate"
    assert outcomes(report)["format"] == ("unknown", "format.unsupported_ob1")
    assert report.summary("fr").startswith("Format non pris en charge")
    assert report.summary("en").startswith("Unsupported format")
    assert "non authentique" not in report.summary("fr")
    assert web.requested == []
    v1 = {"@context": "https://w3id.org/openbadges/v1", "type": "Assertion", "id": "x"}
    assert outcomes(verify(v1, context(web)))["format"] == ("unknown", "format.unsupported_ob1")


def test_an_ob2_badge_class_is_not_an_assertion():
    report = verify(badge_class(), context(issuer_web()))
    assert outcomes(report)["format"] == ("unknown", "format.unsupported_ob2_type")
    assert report.verdict == "indeterminate"


def test_fetches_are_bounded_per_verification():
    assert MAX_FETCHES <= 6
    web = issuer_web()
    verify(sign(signed_assertion()), context(web))
    assert len(web.requested) <= MAX_FETCHES


# --- the recipient ------------------------------------------------------------------------------

def test_recipient_matches_hashed_email():
    assert ob2_recipient_matches(_recipient(), EMAIL)
    assert ob2_recipient_matches(_recipient(), " Camille.Durand@example.org ")
    assert not ob2_recipient_matches(_recipient(), "someone@example.org")
    import hashlib
    md5 = {"type": "email", "hashed": True, "salt": "s",
           "identity": "md5$" + hashlib.md5(b"a@example.org" + b"s").hexdigest()}
    assert ob2_recipient_matches(md5, "a@example.org")
    clear = {"type": "email", "hashed": False, "identity": "a@example.org"}
    assert ob2_recipient_matches(clear, "A@example.org")
    assert not ob2_recipient_matches({"type": "url", "hashed": False,
                                      "identity": "a@example.org"}, "a@example.org")
    assert not ob2_recipient_matches({"type": "email", "hashed": True,
                                      "identity": "sha1$abc"}, "a@example.org")
    assert not ob2_recipient_matches(None, EMAIL)


def test_no_document_is_fetched_once_the_time_budget_is_spent():
    from issuer.openbadges.verification.ob2.documents import Documents

    web = issuer_web()
    assert Documents(context(web)).get(ISSUER_URL).ok
    late = Documents(context(web), time_budget=0.0).get(BADGE_URL)
    assert not late.ok and late.detail_en == "verification time exceeded."
    assert web.requested == [ISSUER_URL]


def test_svg_whose_json_and_verify_address_disagree_is_refused():
    other = hosted_assertion("https://badges.example.org/assertions/2.json")
    svg = _svg(f'<openbadges:assertion verify="{HOSTED_URL}"><![CDATA[{json.dumps(other)}]]>'
               "</openbadges:assertion>")
    web = issuer_web()
    report = verify(svg, context(web))
    assert report.unreadable and report.verdict == "invalid"
    assert outcomes(report)["format"] == ("failed", "baked.multiple_credentials")
    assert web.requested == []


def test_png_with_an_older_text_chunk_is_read():
    report = verify(_png_with_chunk(b"openbadges", HOSTED_URL, b"tEXt"), context(issuer_web()))
    assert report.verdict == "valid", outcomes(report)


def test_png_with_a_compressed_assertion_is_refused():
    png = _png_with_chunk(b"openbadges", HOSTED_URL)
    # Flip the iTXt compression flag: nothing is ever inflated (VERIFICATION.md R15).
    start = png.index(b"iTXtopenbadges\x00") + len(b"iTXtopenbadges\x00")
    data_start = start - len(b"openbadges\x00")
    chunk_end = png.index(b"IEND") - 4
    data = bytearray(png[data_start:chunk_end - 4])
    data[len(b"openbadges\x00")] = 1
    chunk = struct.pack(">I", len(data)) + b"iTXt" + bytes(data) + \
        struct.pack(">I", zlib.crc32(b"iTXt" + bytes(data)))
    rebuilt = png[:data_start - 8] + chunk + png[chunk_end:]
    report = verify(rebuilt, context(issuer_web()))
    assert outcomes(report)["format"] == ("failed", "baked.compressed_chunk")


def test_a_damaged_image_without_open_badges_2_is_left_to_the_ob3_reader():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    damaged = bytearray(buffer.getvalue())
    damaged[20] ^= 0xFF  # inside IHDR: its CRC no longer matches
    report = verify(bytes(damaged), context(issuer_web()))
    assert report.standard == "ob3"
    assert outcomes(report)["format"] == ("failed", "baked.corrupt")
