"""RDFC-1.0 canonicalisation: test vectors byte for byte, the shape cache never changes a
result, and what must not be signed is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pyld import jsonld

from issuer import canonical, contexts
from issuer.errors import SigningRefused

FIXTURES = Path(__file__).parent / "fixtures"
OB_VECTOR = FIXTURES / "test-vectors/1edtech-ob-eddsa-rdfc-2022"
W3C_VECTOR = FIXTURES / "test-vectors/w3c-vc-di-eddsa"
SAMPLES = sorted([*FIXTURES.glob("validator/*.json"), *FIXTURES.glob("validator/bit-string-list/*.json"),
                  *FIXTURES.glob("spec-examples/*.json")])


def _unsigned(path: Path) -> dict:
    document = json.loads(path.read_text("utf-8"))
    document.pop("proof", None)
    return document


def _pyld_reference(document: dict) -> str:
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": contexts.document_loader})


def test_1edtech_vector_document_canonicalises_byte_for_byte() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    expected = (OB_VECTOR / "document-canon.txt").read_text("utf-8")
    assert canonical.canonicalize(vector["unsignedCredential"]) == expected


def test_1edtech_vector_proof_configuration_canonicalises_byte_for_byte() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    config = {**vector["proofOptions"], "@context": vector["unsignedCredential"]["@context"]}
    assert canonical.canonicalize(config) == (OB_VECTOR / "proof-canon.txt").read_text("utf-8")


def test_w3c_eddsa_rdfc_2022_vector_canonicalises_byte_for_byte() -> None:
    unsigned = json.loads((W3C_VECTOR / "unsigned.json").read_text("utf-8"))
    expected = (W3C_VECTOR / "eddsa-rdfc-2022/canonDocDataInt.txt").read_text("utf-8")
    assert canonical.canonicalize(unsigned) == expected
    config = json.loads((W3C_VECTOR / "eddsa-rdfc-2022/proofConfigDataInt.json").read_text("utf-8"))
    assert canonical.canonicalize(config) == (
        W3C_VECTOR / "eddsa-rdfc-2022/proofCanonDataInt.txt").read_text("utf-8")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_shape_cache_gives_the_reference_result_on_every_sample(path: Path) -> None:
    document = _unsigned(path)
    reference = _pyld_reference(document)
    assert canonical.canonicalize(document, use_cache=False) == reference
    assert canonical.canonicalize(document) == reference  # builds the template
    assert canonical.canonicalize(document) == reference  # uses it


def test_tied_blank_nodes_match_the_reference() -> None:
    """complete.json nests identical proofs: blank nodes tie on their first-degree hash and
    need the N-degree step (pyoxigraph's own canonicalize() labels them differently)."""
    document = _unsigned(FIXTURES / "validator/complete.json")
    assert canonical.canonicalize(document) == _pyld_reference(document)


def test_cached_shape_substitutes_new_values_exactly() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = vector["unsignedCredential"]
    canonical.canonicalize(document)
    for name, subject in [("Teamwork \"quoted\" \\ back", "urn:uuid:1"),
                          ("Équipe\nligne", "did:example:zz"),
                          ("relative", "not an iri"),  # unsafe: falls back to the full path
                          ("compact", "xsd:string")]:
        variant = copy.deepcopy(document)
        variant["name"] = name
        variant["credentialSubject"]["id"] = subject
        assert canonical.canonicalize(variant) == _pyld_reference(variant), (name, subject)


def test_vocab_position_values_are_not_substituted_blindly() -> None:
    """`proofPurpose` is `@type: @vocab`: a term there expands, an IRI does not."""
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    config = {**vector["proofOptions"], "@context": vector["unsignedCredential"]["@context"]}
    canonical.canonicalize(config)
    other = {**config, "proofPurpose": "authentication"}
    assert canonical.canonicalize(other) == _pyld_reference(other)
    assert "authentication" in canonical.canonicalize(other)


def test_undefined_property_is_refused_before_signing() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["favouriteColour"] = "blue"
    with pytest.raises(SigningRefused) as refused:
        canonical.assert_signable(document)
    assert refused.value.code == "sign.undefined_term"
    assert "favouriteColour" in refused.value.message_en


def test_undefined_type_is_refused_before_signing() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["type"] = [*document["type"], "MadeUpCredential"]
    assert "MadeUpCredential" in canonical.find_undefined_terms(document)


def test_relative_identifier_is_refused_before_signing() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["id"] = "credentials/42"
    assert any("relative" in problem for problem in canonical.find_undefined_terms(document))


def test_undefined_term_nested_in_a_typed_object_is_refused() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["credentialSubject"]["achievement"]["shoeSize"] = 42
    assert "shoeSize" in canonical.find_undefined_terms(document)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\t", "\x0c"])
def test_control_characters_are_refused_before_signing(character: str) -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["name"] = f"Team{character}work"
    with pytest.raises(SigningRefused) as refused:
        canonical.assert_signable(document)
    assert refused.value.code == "sign.control_character"


def test_line_breaks_are_allowed_in_signed_text() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["credentialSubject"]["achievement"]["description"] = "Ligne 1\r\nLigne 2"
    canonical.assert_signable(document)


@pytest.mark.parametrize("term", sorted(contexts.OB_TERMS_DIFFERING_BETWEEN_REVISIONS))
def test_terms_that_differ_between_context_revisions_are_refused(term: str) -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document[term] = "2024-01-01T00:00:00Z" if term == "awardedDate" else "x"
    with pytest.raises(SigningRefused) as refused:
        canonical.assert_signable(document)
    assert refused.value.code in {"sign.unstable_term", "sign.undefined_term"}


def test_unknown_context_is_never_fetched() -> None:
    document = {"@context": ["https://example.org/evil-context.jsonld"], "name": "x"}
    with pytest.raises(canonical.CanonicalizationError, match="unknown JSON-LD context"):
        canonical.canonicalize(document, use_cache=False)


def test_pinned_contexts_match_their_hashes() -> None:
    for url in contexts.PINNED:
        assert contexts.context_bytes(url)  # raises ContextIntegrityError on a mismatch


def test_signing_check_is_not_fooled_by_a_shape_seen_before() -> None:
    """The shape-level verdict is cached; a control character in a new value still counts."""
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    clean = copy.deepcopy(vector["unsignedCredential"])
    canonical.signable_canonical_form(clean)
    dirty = copy.deepcopy(clean)
    dirty["credentialSubject"]["achievement"]["name"] = "Team\x1bwork"
    with pytest.raises(SigningRefused):
        canonical.signable_canonical_form(dirty)
    undefined = copy.deepcopy(clean)
    undefined["credentialSubject"]["achievement"]["shoeSize"] = "42"
    with pytest.raises(SigningRefused):
        canonical.signable_canonical_form(undefined)
    assert canonical.signable_canonical_form(clean) == _pyld_reference(clean)
