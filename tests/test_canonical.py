"""RDFC-1.0 canonicalisation: test vectors byte for byte, the shape cache never changes a
result, and what must not be signed is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pyld import jsonld

from issuer.errors import SigningRefused
from issuer.openbadges import canonical, contexts, sort_order
from issuer.openbadges.rdfc.errors import CanonicalizationError
from issuer.openbadges.rdfc.undefined_terms import find_undefined_terms
from tests.canonical_references import pyoxigraph_canonical_form

FIXTURES = Path(__file__).parent / "fixtures"
OB_VECTOR = FIXTURES / "test-vectors/1edtech-ob-eddsa-rdfc-2022"
W3C_VECTOR = FIXTURES / "test-vectors/w3c-vc-di-eddsa"
SAMPLES = sorted([*FIXTURES.glob("validator/*.json"), *FIXTURES.glob("validator/bit-string-list/*.json"),
                  *FIXTURES.glob("spec-examples/*.json")])


def _unsigned(path: Path) -> dict:
    document = json.loads(path.read_text("utf-8"))
    document.pop("proof", None)
    return document


def _ob_document() -> dict:
    """The 1EdTech vector's unsigned credential (a fresh copy)."""
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    return vector["unsignedCredential"]


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
    assert "MadeUpCredential" in find_undefined_terms(document)


def test_relative_identifier_is_refused_before_signing() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["id"] = "credentials/42"
    assert any("relative" in problem for problem in find_undefined_terms(document))


def test_undefined_term_nested_in_a_typed_object_is_refused() -> None:
    vector = json.loads((OB_VECTOR / "vector.json").read_text("utf-8"))
    document = copy.deepcopy(vector["unsignedCredential"])
    document["credentialSubject"]["achievement"]["shoeSize"] = 42
    assert "shoeSize" in find_undefined_terms(document)


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
    with pytest.raises(CanonicalizationError, match="unknown JSON-LD context"):
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


# --- where implementations differ: each known difference, and what this issuer does ------------
# rdf-canonize (the wallets) is the reference where the implementations disagree; the signer
# refuses what they would write differently, so our credentials never depend on the choice.

def _literal_document(value: str) -> dict:
    return {"@context": {"ex": "http://example.org/"}, "@id": "ex:s", "ex:p": value}


def test_literal_escapes_are_rdfc_1_0_canonical_n_quads() -> None:
    """RDFC-1.0 §4.3 (RDF 1.2 canonical N-Triples), as rdf-canonize 4 and 5 write it: BS HT LF
    FF CR `"` `\\` as ECHAR, other C0 controls and DEL as upper-case UCHAR, the rest raw."""
    document = _literal_document('q"b\\s\b\t\n\x0c\r\x00\x0b\x1f\x7f é 🎉 \ufffd')
    expected = ('<http://example.org/s> <http://example.org/p> '
                '"q\\"b\\\\s\\b\\t\\n\\f\\r\\u0000\\u000B\\u001F\\u007F é 🎉 \ufffd" .\n')
    assert canonical.canonicalize(document, use_cache=False) == expected
    assert canonical.canonicalize(document) == expected
    assert canonical.canonicalize(document) == expected  # from the template
    assert pyoxigraph_canonical_form(document) == expected


@pytest.mark.parametrize("character", ["\b", "\x0c", "\x0b", "\x00", "\x1f", "\x7f"])
def test_difference_pyld_writes_control_characters_raw(character: str) -> None:
    """Known difference: pyld escapes only HT LF CR `"` `\\`; RDFC-1.0, rdf-canonize and
    pyoxigraph escape every control. We follow RDFC-1.0; the signer refuses controls anyway."""
    document = _literal_document(f"a{character}b")
    ours = canonical.canonicalize(document, use_cache=False)
    assert character not in ours
    assert ours == pyoxigraph_canonical_form(document)
    assert character in _pyld_reference(document)
    with pytest.raises(SigningRefused) as refused:
        canonical.assert_signable({**_ob_document(), "name": f"a{character}b"})
    assert refused.value.code == "sign.control_character"


@pytest.mark.parametrize("character", ["\ufffe", "\uffff"])
def test_difference_pyoxigraph_escapes_noncharacters(character: str) -> None:
    """Known difference: pyoxigraph writes U+FFFE/U+FFFF as `\\uFFFE` (not XML 1.1 `Char`);
    rdf-canonize and pyld write them raw, and so do we. The signer refuses them."""
    document = _literal_document(f"a{character}b")
    ours = canonical.canonicalize(document, use_cache=False)
    assert character in ours
    assert ours == _pyld_reference(document) == canonical.canonicalize(document)
    assert f"\\u{ord(character):04X}" in pyoxigraph_canonical_form(document)
    with pytest.raises(SigningRefused) as refused:
        canonical.assert_signable({**_ob_document(), "name": f"Team{character}"})
    assert refused.value.code == "sign.noncharacter"
    assert "/name" in refused.value.message_en


def test_noncharacter_in_a_value_of_a_known_shape_is_still_refused() -> None:
    clean = _ob_document()
    canonical.signable_canonical_form(clean)  # the shape's verdict is cached
    with pytest.raises(SigningRefused) as refused:
        canonical.signable_canonical_form({**clean, "name": "Team\uffff"})
    assert refused.value.code == "sign.noncharacter"


def test_difference_pyoxigraph_keeps_the_text_direction() -> None:
    """Known difference: pyoxigraph writes an RDF 1.2 directional literal (`@ar--rtl`); pyld and
    jsonld.js without `rdfDirection` (the wallets) keep the language only, and so do we."""
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                "ex:p": {"@value": "مرحبا", "@language": "ar", "@direction": "rtl"}}
    ours = canonical.canonicalize(document, use_cache=False)
    assert ours.endswith('"مرحبا"@ar .\n')
    assert ours == _pyld_reference(document) == canonical.canonicalize(document)
    assert "@ar--rtl" in pyoxigraph_canonical_form(document)


def test_difference_pyoxigraph_labels_tied_blank_nodes_otherwise() -> None:
    """Known difference: on identical nested proofs (first-degree hashes tie) pyoxigraph's
    RDFC-1.0 gives other labels than pyld and rdf-canonize; the N-degree step runs in pyld."""
    document = _unsigned(FIXTURES / "validator/complete.json")
    ours = canonical.canonicalize(document)
    assert ours == _pyld_reference(document)
    assert ours != pyoxigraph_canonical_form(document)
    assert min(ours.splitlines()) == min(pyoxigraph_canonical_form(document).splitlines())


# Known differences in numbers: jsonld.js (the wallets) and pyld (JSON-LD 1.1 toRdf) write these
# JSON numbers as different literals, so a signature over them cannot verify in both: refused.
AMBIGUOUS_NUMBERS = [
    pytest.param(1e-7, id="one-digit-below-1e-6: jsonld.js writes 0^^xsd:integer"),
    pytest.param(-5e-9, id="negative-one-digit-below-1e-6"),
    pytest.param(4503599627370494.5, id="tie-at-16-digits: JavaScript rounds half up"),
    pytest.param(12345678901234567891, id="integer-beyond-2**53: JavaScript reads it rounded"),
    pytest.param(10 ** 400, id="integer-beyond-any-double"),
    pytest.param(float("nan"), id="NaN"),
    pytest.param(float("inf"), id="Infinity"),
]


@pytest.mark.parametrize("number", AMBIGUOUS_NUMBERS)
def test_numbers_written_differently_by_the_wallets_are_refused(number: float) -> None:
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:s", "ex:n": number}
    with pytest.raises(CanonicalizationError):
        canonical.canonicalize(document, use_cache=False)
    with pytest.raises(CanonicalizationError):
        canonical.canonicalize(document)


@pytest.mark.parametrize(("number", "literal"), [
    (1, '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    (1.0, '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    (-0.0, '"0"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    (1.5, '"1.5E0"^^<http://www.w3.org/2001/XMLSchema#double>'),
    (0.1, '"1.0E-1"^^<http://www.w3.org/2001/XMLSchema#double>'),
    (1.5e-7, '"1.5E-7"^^<http://www.w3.org/2001/XMLSchema#double>'),
    (1e21, '"1.0E21"^^<http://www.w3.org/2001/XMLSchema#double>'),
    (2 ** 60, '"1152921504606846976"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    (True, '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
])
def test_numbers_every_implementation_writes_alike(number: float, literal: str) -> None:
    """The lexical forms jsonld.js computes (`toExponential(15)`, `toFixed(0)`) for these."""
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:s", "ex:n": number}
    expected = f"<http://example.org/s> <http://example.org/n> {literal} .\n"
    assert canonical.canonicalize(document, use_cache=False) == expected
    assert canonical.canonicalize(document) == expected
    assert _pyld_reference(document) == expected == pyoxigraph_canonical_form(document)


@pytest.mark.parametrize(("number", "json_ld", "oxigraph"), [
    (7.205759403792149e16, '"72057594037921488"^^', '"72057594037921490"^^'),
    (100.54941554539863, '"1.005494155453986E2"^^', '"1.0054941554539863E2"^^'),
    (2.2250738585e-313, '"2.225073858521778E-313"^^', '"2.2250738585E-313"^^'),
])
def test_difference_pyoxigraph_writes_doubles_with_shortest_digits(
        number: float, json_ld: str, oxigraph: str) -> None:
    """Known difference: JSON-LD toRdf writes a double with 16 significant digits
    (`toExponential(15)`) and an integral one below 1e21 with its exact value (`toFixed(0)`),
    in pyld as in jsonld.js; pyoxigraph writes the shortest digits that read back the same
    double. They differ for doubles needing 17 digits and for integral ones above 2**53. We
    follow JSON-LD (the wallets)."""
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:s", "ex:n": number}
    ours = canonical.canonicalize(document)
    assert json_ld in ours
    assert ours == canonical.canonicalize(document, use_cache=False) == _pyld_reference(document)
    assert oxigraph in pyoxigraph_canonical_form(document)


def test_difference_pyoxigraph_keeps_a_string_typed_double_as_written() -> None:
    """Known difference: JSON-LD 1.1 toRdf converts only *numbers* typed xsd:double, and so
    does pyoxigraph ("1.50" stays); pyld and jsonld.js (the wallets) rewrite the string too
    ("1.5E0"). We follow the wallets."""
    document = {"@context": {"ex": "http://example.org/",
                             "score": {"@id": "ex:score",
                                       "@type": "http://www.w3.org/2001/XMLSchema#double"}},
                "@id": "ex:s", "score": "1.50"}
    assert '"1.5E0"^^' in canonical.canonicalize(document)
    assert canonical.canonicalize(document) == _pyld_reference(document)
    assert '"1.50"^^' in pyoxigraph_canonical_form(document)


def test_difference_sort_order_of_the_wallets() -> None:
    """Known difference (`issuer.openbadges.sort_order`): rdf-canonize sorts by UTF-16 code units,
    RDFC-1.0, pyld
    and pyoxigraph by code point. We canonicalise by code point, compute the wallets' order when
    it differs, and the signer refuses such a document."""
    document = {**_ob_document()}
    document["credentialSubject"] = {**document["credentialSubject"]}
    document["credentialSubject"]["achievement"] = {
        **document["credentialSubject"]["achievement"], "tag": ["🎉 fête", "ﬁ fête"]}
    ours = canonical.canonicalize(document)
    assert ours == canonical.canonicalize(document, use_cache=False) == _pyld_reference(document)
    assert ours == pyoxigraph_canonical_form(document)
    assert ours.index('"ﬁ fête"') < ours.index('"🎉 fête"')
    wallets = canonical.utf16_order_canonical_form(document)
    assert wallets is not None and wallets != ours
    assert wallets.index('"🎉 fête"') < wallets.index('"ﬁ fête"')
    assert sorted(wallets.splitlines()) == sorted(ours.splitlines())  # the same quads
    with pytest.raises(SigningRefused) as refused:
        canonical.assert_one_sort_order(document, ours)
    assert refused.value.code == "sign.sort_order_ambiguous"
    assert "/credentialSubject/achievement/tag/0" in refused.value.message_fr
    assert "/credentialSubject/achievement/tag/1" in refused.value.message_en


def test_orders_agree_when_the_texts_differ_before_the_special_characters() -> None:
    document = {**_ob_document(), "name": "fête 🎉", "description": "ﬁnale"}
    ours = canonical.canonicalize(document)
    assert canonical.utf16_order_canonical_form(document) is None
    canonical.assert_one_sort_order(document, ours)


def test_wallets_order_changes_blank_node_labels_too() -> None:
    """rdf-canonize also sorts the lines it hashes for each blank node by UTF-16 units: two
    blank nodes whose hashed lines sort differently get other hashes, hence other labels."""
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                "ex:p": [{"ex:q": ["🎉", "ﬁ"]}, {"ex:q": "x"}]}
    ours = canonical.canonicalize(document, use_cache=False)
    assert ours == _pyld_reference(document) == canonical.canonicalize(document)
    wallets = canonical.utf16_order_canonical_form(document)
    assert wallets is not None
    assert _utf16_reference(document) == wallets


def _utf16_reference(document: dict) -> str:
    """RDFC-1.0 with UTF-16 comparisons, written out plainly from pyld's dataset: what
    rdf-canonize computes (first-degree hashes and output both sorted by code units)."""
    import hashlib

    from pyld.nquads import serialize_nquad

    dataset = jsonld.to_rdf(document, {"documentLoader": contexts.document_loader})
    quads = [dict(triple) for triples in dataset.values() for triple in triples]
    key = sort_order.utf16_key

    def first_degree(node: str) -> str:
        lines = []
        for quad in quads:
            if node in (quad["subject"]["value"], quad["object"]["value"]):
                marked = {position: ({"type": "blank node",
                                      "value": "_:a" if term["value"] == node else "_:z"}
                                     if term["type"] == "blank node" else term)
                          for position, term in quad.items()}
                lines.append(serialize_nquad(marked))
        return hashlib.sha256("".join(sorted(lines, key=key)).encode()).hexdigest()

    nodes = {term["value"] for quad in quads for term in (quad["subject"], quad["object"])
             if term["type"] == "blank node"}
    hashes = {node: first_degree(node) for node in nodes}
    assert len(set(hashes.values())) == len(hashes), "this reference has no N-degree step"
    labels = {node: f"_:c14n{n}" for n, node in enumerate(sorted(nodes, key=hashes.__getitem__))}
    relabelled = [serialize_nquad({position: ({"type": "blank node", "value": labels[term["value"]]}
                                              if term["type"] == "blank node" else term)
                                   for position, term in quad.items()}) for quad in quads]
    return "".join(sorted(relabelled, key=key))


# --- library errors are this issuer's refusal, never an escaping exception ----------------------

@pytest.mark.parametrize("document", [
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "http://example.org/a%zz",
                  "ex:p": "x"}, id="IRI pyoxigraph rejects (bad percent-encoding)"),
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                  "ex:p": {"@value": "x", "@language": "not a tag"}}, id="bad language tag"),
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "ex:s", "ex:p": "a\ud800"},
                 id="lone surrogate"),
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                  "ex:p": {"@value": "abc", "@type": "http://www.w3.org/2001/XMLSchema#double"}},
                 id="xsd:double string without a canonical form"),
    pytest.param({"@context": 5, "name": "x"}, id="context that is a number"),
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                  "ex:p": {"@value": "1_5", "@type": "http://www.w3.org/2001/XMLSchema#double"}},
                 id="xsd:double string Python reads as 15, JavaScript as 1"),
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                  "ex:p": {"@value": "١٢", "@type": "http://www.w3.org/2001/XMLSchema#double"}},
                 id="xsd:double string in Arabic-Indic digits, NaN in JavaScript"),
    pytest.param({"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                  "ex:p": {"@list": 5, "@value": 1}}, id="invalid value object"),
])
def test_library_errors_become_canonicalization_errors(document: dict) -> None:
    with pytest.raises(CanonicalizationError):
        canonical.canonicalize(document, use_cache=False)
    with pytest.raises(CanonicalizationError):
        canonical.canonicalize(document)
    with pytest.raises(CanonicalizationError):
        canonical.to_quads(document)


def test_lone_surrogate_in_a_known_shape_is_refused_on_every_path() -> None:
    clean = _ob_document()
    canonical.canonicalize(clean)  # the shape is templated
    dirty = {**clean, "name": "Team\udc00"}
    for call in (canonical.canonicalize, canonical.to_quads, canonical.signable_canonical_form):
        with pytest.raises((CanonicalizationError, SigningRefused)):
            call(dirty)


def test_deep_nesting_is_refused_not_raised() -> None:
    node: dict = {"http://example.org/p": "x"}
    for _ in range(5000):
        node = {"http://example.org/p": node}
    for use_cache in (False, True):
        with pytest.raises(CanonicalizationError):
            canonical.canonicalize(node, use_cache=use_cache)


def test_proof_over_a_lone_surrogate_is_refused_not_raised() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from issuer.openbadges.proofs import data_integrity as di

    key = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises((CanonicalizationError, SigningRefused)):
        di.sign_document({**_ob_document(), "name": "a\udc00"}, key, "did:key:z6Mk#z6Mk")


# --- the shape cache substitutes only what the full path would write the same ------------------

def test_compact_iri_through_an_inline_prefix_is_not_substituted() -> None:
    """`ex:thing` in an `@id` position expands through the document's own prefix: the template
    (built with an absolute placeholder) must not write it as is."""
    base = {"@context": [contexts.VC_V2, {"ex": "http://example.org/vocab#"}],
            "type": ["VerifiableCredential"], "issuer": "did:example:issuer",
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:subject"}}
    canonical.canonicalize(base)
    for subject in ("ex:thing", "did:example:other", "ex:other"):
        variant = {**base, "credentialSubject": {"id": subject}}
        assert canonical.canonicalize(variant) == canonical.canonicalize(variant, use_cache=False)
        assert canonical.canonicalize(variant) == _pyld_reference(variant), subject


def test_difference_pyld_signs_a_negative_zero_double() -> None:
    """Known difference: jsonld.js writes negative zero typed xsd:double as "0.0E0"
    (`(-0).toExponential(15)` has no sign), pyld as "-0.0E0". We follow jsonld.js."""
    context = {"ex": "http://example.org/",
               "score": {"@id": "ex:score", "@type": "http://www.w3.org/2001/XMLSchema#double"}}
    for value in (-0.0, "-0", "-0.0"):
        document = {"@context": context, "@id": "ex:s", "score": value}
        expected = ('<http://example.org/s> <http://example.org/score> '
                    '"0.0E0"^^<http://www.w3.org/2001/XMLSchema#double> .\n')
        assert canonical.canonicalize(document, use_cache=False) == expected
        assert canonical.canonicalize(document) == expected
        assert '"-0.0E0"^^' in _pyld_reference(document)


def test_a_value_refused_in_a_dropped_node_does_not_refuse_the_cached_path() -> None:
    """The template is built from placeholders: a node the real document drops (its `@id` is
    relative) is kept there, with a value that cannot be written. Same outcome as the full path."""
    context = {"ex": "http://example.org/",
               "score": {"@id": "ex:score", "@type": "http://www.w3.org/2001/XMLSchema#double"}}
    document = {"@context": context, "@id": " ", "score": ""}
    full = canonical.canonicalize(document, use_cache=False)
    assert canonical.canonicalize(document) == full


def test_string_typed_double_is_not_substituted() -> None:
    """pyld rewrites a string typed xsd:double ("1.50" -> "1.5E0"): not a substitutable leaf."""
    context = {"ex": "http://example.org/",
               "score": {"@id": "ex:score", "@type": "http://www.w3.org/2001/XMLSchema#double"}}
    for value in ("1.50", "2", "0.25"):
        document = {"@context": context, "@id": "ex:s", "score": value}
        assert canonical.canonicalize(document) == canonical.canonicalize(document, use_cache=False)
        assert canonical.canonicalize(document) == _pyld_reference(document)
