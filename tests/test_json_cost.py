"""Hostile input is refused fast (issue 9, item 5): the cost limits of `issuer.openbadges.json_cost`
refuse every generated hostile input before any JSON-LD work, with the right code, while
every real badge and published document stays far below them. Timing is measured by
`python -m bench`, not asserted here."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from bench.credentials import ISSUER_DID
from bench.hostile import METHOD, costly_but_accepted_inputs, hostile_inputs
from issuer.openbadges.did import DidResolver, build_did_document
from issuer.openbadges.dids.errors import DidError
from issuer.openbadges.fetch import Fetcher
from issuer.openbadges.json_cost import LIMITS, CostLimits, first_excess
from issuer.openbadges.verification import VerificationContext, verify

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = list(hostile_inputs())
ACCEPTED = list(costly_but_accepted_inputs())


def _context() -> VerificationContext:
    """Untrusted, as for `POST /api/v1/verify`, with the key the inputs name resolvable, so
    that whatever is not refused goes on to canonicalisation."""
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    document = build_did_document(ISSUER_DID, ed25519_keys=[(METHOD.split("#")[1], public)],
                                  rsa_keys=[])

    def no_status_list(url: str) -> dict[str, Any]:
        raise LookupError(url)

    return VerificationContext(resolver=DidResolver(local_documents={ISSUER_DID: document}),
                               fetch_status_list=no_status_list, known_issuers={},
                               untrusted=True)


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_input_is_refused_with_the_expected_code(hostile):
    report = verify(hostile.data, _context())
    assert report.unreadable and report.verdict == "invalid"
    assert report.checks[0].code == hostile.expected_code, report.checks[0].message_en
    assert all(check.outcome == "skipped" for check in report.checks[1:])
    if hostile.expected_code == "format.too_complex":
        assert "trop complexe" in report.checks[0].message_fr
        assert "too complex" in report.checks[0].message_en


@pytest.mark.parametrize("accepted", ACCEPTED, ids=[a.name for a in ACCEPTED])
def test_input_just_within_the_limits_is_read_and_its_signature_checked(accepted):
    report = verify(accepted.data, _context())
    assert report.checks[0].code == "format.read"
    assert report.check("proof").code == "proof.signature_mismatch"


def _documents() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(FIXTURES.rglob("*.json")) + sorted(FIXTURES.rglob("*.jsonld")):
        try:
            found[str(path.relative_to(FIXTURES))] = json.loads(path.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue  # not JSON (a few fixtures are other formats named .json)
    return found


def _half(limits: CostLimits) -> CostLimits:
    return CostLimits(**{f.name: max(getattr(limits, f.name) // 2, 2) for f in fields(limits)})


def test_every_fixture_uses_less_than_half_of_each_limit():
    documents = _documents()
    assert len(documents) >= 40
    over = {name: str(excess) for name, document in documents.items()
            if (excess := first_excess(document, _half(LIMITS))) is not None}
    assert over == {}


def test_the_citys_credentials_and_published_documents_use_less_than_half_of_each_limit(
        tmp_path):
    from tests.test_cli import Issuer

    city = Issuer(tmp_path / "city")
    city.ok("init", "--demo")  # one badge of each family, skill badges, an endorsement
    city.ok("publish", "--out", tmp_path / "site")
    from issuer.issuance.service import IssuerService
    from issuer.settings import Settings

    service = IssuerService(Settings(home=tmp_path / "city"))
    # What a verifier fetches and parses: the DID document, the issuer profile, achievements and
    # status lists, as the publication's manifest lists them (files have no extension). The
    # pinned contexts are never parsed as input, the skills catalogue and the manifest are not
    # fetched by verifiers.
    site = tmp_path / "site"
    manifest = json.loads((site / "publication.json").read_text("utf-8"))
    fetched = [entry["path"].lstrip("/") for entry in manifest["documents"]
               if entry["kind"] in ("did", "profile", "achievement", "status")]
    assert {"did", "profile", "achievement", "status"} <= {
        entry["kind"] for entry in manifest["documents"]}
    documents = {path: json.loads((site / path).read_text("utf-8")) for path in fetched}
    with service.database.session() as session:
        from sqlalchemy import text

        for table in ("issued_credentials", "endorsements"):
            for (credential,) in session.execute(text(f"select credential_json from {table} "
                                                      "where credential_json is not null")):
                documents[f"{table} {len(documents)}"] = json.loads(credential)
    assert any("did.json" in name for name in documents)
    assert sum(name.startswith("issued_credentials") for name in documents) >= 4
    assert any(name.startswith("endorsements") for name in documents)
    over = {name: str(excess) for name, document in documents.items()
            if (excess := first_excess(document, _half(LIMITS))) is not None}
    assert over == {}
    # A skill badge aligned to a hundred skills (the whole catalogue holds 30) is still read.
    skill_badge = next(document for document in documents.values()
                       if document.get("credentialSubject", {}).get("achievement", {})
                       .get("alignment"))
    alignment = skill_badge["credentialSubject"]["achievement"]["alignment"][0]
    skill_badge["credentialSubject"]["achievement"]["alignment"] = [
        {**alignment, "targetUrl": f"{alignment['targetUrl']}-{n}", "targetCode": f"X-{n:02d}"}
        for n in range(100)]
    assert first_excess(skill_badge) is None


def test_identical_objects_under_a_named_object_are_not_counted_as_repeated():
    # RDFC-1.0 tells them apart at no cost through their named parent: real badges repeat
    # alignments and proofs this way (1EdTech's complete_v1.json).
    alignment = {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x"}
    named = {"id": "urn:uuid:1", "alignment": [dict(alignment) for _ in range(50)]}
    assert first_excess(named) is None
    assert str(first_excess({"result": [dict(named, id=None)]})) == (
        f"repeated_blank_objects {LIMITS.repeated_blank_objects + 1} > "
        f"{LIMITS.repeated_blank_objects}")


def test_context_definitions_are_counted_as_contexts_not_as_blank_objects():
    inline = {"@context": [{"x": {"@id": "https://example.org/x", "@type": "@id"}}] * 3}
    assert first_excess(inline) is None
    crowded = {"result": [{"@context": {"x": "https://example.org/x"}}
                          for _ in range(LIMITS.contexts + 1)]}
    assert first_excess(crowded).quantity == "contexts"


def test_too_complex_status_list_gives_an_unknown_status(monkeypatch):
    # Reaching the status list needs a proven credential: the City's own, from the tests of
    # verification, with a status list that is a poison graph.
    from tests import test_verification as city

    credential = city.signed(city.unsigned_membership())
    poison = json.loads(json.dumps(city.lists()[city.REVOCATION_URL]))
    poison["credentialSubject"]["related"] = [
        {"id": f"_:b{i}", "related": [{"id": f"_:b{j}"} for j in range(6) if j != i]}
        for i in range(6)]
    report = verify(credential, city.context({**city.lists(), city.REVOCATION_URL: poison}))
    assert report.check("status").code == "status.list_too_complex"
    assert report.check("status").outcome == "unknown"
    assert report.verdict == "indeterminate"


def test_too_complex_did_document_is_refused():
    did = "did:web:badges.example.org"
    document = {"id": did, "verificationMethod": [
        {"id": f"{did}#k{i}", "type": "Multikey"} for i in range(LIMITS.longest_array + 1)]}

    class Served(Fetcher):
        def get_json(self, url: str, *, accept: str = "application/json") -> Any:
            return document

    with pytest.raises(DidError) as refused:
        DidResolver(Served()).resolve(did)
    assert refused.value.code == "did.bad_document"
    assert "trop complexe" in refused.value.message_fr


def test_generated_inputs_fit_the_verifier_input_cap():
    from issuer.openbadges.verification.context import MAX_INPUT_BYTES

    assert all(len(h.data) <= MAX_INPUT_BYTES for h in HOSTILE + ACCEPTED)
    assert {h.expected_code for h in HOSTILE} >= {"format.too_complex", "format.too_deep",
                                                  "baked.corrupt"}


def test_values_of_objects_sharing_an_id_are_paired_as_one_nodes():
    # JSON-LD merges objects of one id into one node: pyld then compares every value of a
    # property with all the others, so 5 × 40 tags under one id cost as 200 in one array.
    def achievements(ids: list[str]) -> dict[str, Any]:
        return {"achievement": [{"id": identifier, "tag": [f"t{i}-{j}" for j in range(40)]}
                                for i, identifier in enumerate(ids)]}

    assert first_excess(achievements([f"urn:uuid:{i}" for i in range(5)])) is None
    merged = first_excess(achievements(["urn:uuid:same"] * 5))
    assert merged is not None and merged.quantity == "value_pairs"


def _media_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    return "application/json" if data.lstrip().startswith(b"{") else "application/jwt"


def test_the_api_answers_every_hostile_input_with_a_structured_refusal(tmp_path):
    from starlette.testclient import TestClient

    from issuer.issuance.service import IssuerService
    from issuer.settings import Settings
    from issuer.web.app import create_app
    from issuer.web.rate_limit import RateLimiter

    service = IssuerService(Settings(home=tmp_path / "home", base_url="https://badges.example.org"))
    service.init()
    app = create_app(service.settings, service)
    app.state.verification_rate_limiter = RateLimiter(limit=10_000)
    with TestClient(app, base_url="https://badges.example.org") as client:
        for hostile in HOSTILE:
            response = client.post("/api/v1/verify", content=hostile.data,
                                   headers={"content-type": _media_type(hostile.data)})
            assert response.status_code == 400, (hostile.name, response.text[:300])
            error = response.json()["error"]
            assert error["code"] == hostile.expected_code, hostile.name
            assert error["message_fr"] != error["message_en"]
