"""JSON-LD safe mode agrees with the wallets (issue 9, item 1; VERIFICATION.md R1, R18).

A credential the City signs, then one member of each form JSON-LD drops is added and the
credential re-signed with the City's key *bypassing our signer's guard* (`check=False`: the
canonical form is signed directly), so the signature itself is right. Digital Bazaar
(`@digitalbazaar/vc`, jsonld.js in safe mode) and the DCC wallets' verifier-core must refuse each
one, and so must our verifier, naming the member. The untouched credential passes everywhere.

And form by form: on generated documents (every droppable form at every depth, and defined
members with valid values), jsonld.js safe mode itself (`tests/interop/safe-mode.mjs`) refuses
exactly the documents we refuse, for a reason we name.

One deliberate difference is kept in a test of its own: a keyword member that expansion keeps but
RDF ignores (`@index`) passes jsonld.js safe mode; we refuse it, as its text is not signed.
"""

from __future__ import annotations

import copy
from typing import Any

import base58
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.openbadges.jsonld_safety import find_dropped_members
from issuer.openbadges.proofs.data_integrity import hash_data, sign_document, unsecured
from issuer.openbadges.safe_mode.dropped import DroppedMember
from issuer.openbadges.verification import verify
from tests.plugins.interop import INTEROP_DIR, _run_node, _with_pinned
from tests.test_jsonld_safe_mode import (
    DEFINED,
    DROPPABLE,
    DROPPABLE_ITEMS,
    NODES,
    _add,
    _add_item,
    _node,
    _unsigned,
)
from tests.test_verification import (
    CITY_DID,
    DID_DOCUMENT,
    ED_KEY,
    ED_METHOD,
    REVOCATION_URL,
    SUSPENSION_URL,
    context,
    lists,
    unsigned_membership,
)

pytestmark = [pytest.mark.interop, pytest.mark.filterwarnings("ignore::SyntaxWarning")]

NOW = "2026-01-15T10:00:00Z"
PUBLISHED = lists()


def _resign(credential: dict[str, Any], proof_extra: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """Sign without the guard (`check=False`), optionally with extra members in the proof."""
    document = sign_document(unsecured(credential), ED_KEY.private_key, ED_METHOD, check=False)
    if proof_extra:
        proof = {k: v for k, v in document["proof"][0].items() if k != "proofValue"}
        proof.update(proof_extra)
        signature = ED_KEY.private_key.sign(hash_data(unsecured(document), proof))
        proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
        document = {**document, "proof": [proof]}
    return document


def _with(path: str, key: str, value: Any) -> dict[str, Any]:
    credential = unsigned_membership()
    node: Any = credential
    for step in path.split("/")[1:]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    if isinstance(node, list):
        node.append(value)
    else:
        node[key] = value
    return credential


# name -> (credential with one droppable member, re-signed; the member our verifier must name)
def _scenarios() -> dict[str, tuple[dict[str, Any], DroppedMember]]:
    tags = "/credentialSubject/achievement/tag"
    cases: dict[str, tuple[dict[str, Any], DroppedMember]] = {
        "undefined term": (_with("/credentialSubject", "mentionSpeciale", "félicitations"),
                           DroppedMember("/credentialSubject/mentionSpeciale",
                                         "invalid property")),
        "keyword-like key": (_with("/credentialSubject/achievement", "@foo", "bar"),
                             DroppedMember("/credentialSubject/achievement/@foo",
                                           "invalid property")),
        "keyword with wrong case": (_with("/issuer", "@Type", "Mairie"),
                                    DroppedMember("/issuer/@Type", "invalid property")),
        "empty key": (_with("", "", "vide"), DroppedMember("/", "invalid property")),
        "undefined type": (_with("/credentialSubject/achievement/type", "", "Diplome"),
                           DroppedMember("/credentialSubject/achievement/type/1",
                                         "relative @type reference")),
        "free-floating value": (_with("/credentialSubject", "@graph", ["isolée"]),
                                DroppedMember("/credentialSubject/@graph/0",
                                              "free-floating scalar")),
        "reserved term in a nested context": (
            _with("/credentialSubject", "@context", {"@reserved": "https://example.org/r#"}),
            DroppedMember("/credentialSubject/@context/@reserved", "reserved term")),
        "null value object": (_with(tags, "", {"@value": None}),
                              DroppedMember(f"{tags}/5", "null @value value")),
        # the wallets sign a direction as an i18n datatype (pyld drops it): they report a
        # signature mismatch rather than a safe-mode error; both refuse
        "text direction": (_with(tags, "", {"@value": "texte", "@direction": "rtl"}),
                           DroppedMember(f"{tags}/5/@direction", "rdfDirection not set")),
        "blank node property": (_with("/credentialSubject", "_:b0", "anonyme"),
                                DroppedMember("/credentialSubject/_:b0", "blank node predicate")),
    }
    # (An invalid language tag is refused too, see tests/test_jsonld_safe_mode.py, but cannot be
    # signed here: our canonicaliser refuses it before any signature.)
    scenarios = {name: (_resign(credential), member)
                 for name, (credential, member) in cases.items()}
    scenarios["undefined term in the proof"] = (
        _resign(unsigned_membership(), {"@note": "ajout"}),
        DroppedMember("/proof/0/@note", "invalid property"))
    return scenarios


SCENARIOS = _scenarios()
CONTROL = sign_document(unsigned_membership(), ED_KEY.private_key, ED_METHOD)
INDEXED = _resign(_with("/credentialSubject/achievement", "@index", "texte non signé"))
DOCUMENTS = {CITY_DID: DID_DOCUMENT, REVOCATION_URL: PUBLISHED[REVOCATION_URL],
             SUSPENSION_URL: PUBLISHED[SUSPENSION_URL]}


@pytest.fixture(scope="module")
def wallets(third_party_verifiers_batch) -> dict[str, dict[str, Any]]:
    names = ["control", "@index", *SCENARIOS]
    credentials = [CONTROL, INDEXED, *(credential for credential, _ in SCENARIOS.values())]
    results = third_party_verifiers_batch(
        [{"credential": credential, "documents": DOCUMENTS, "now": NOW}
         for credential in credentials])
    return dict(zip(names, results, strict=True))


def _proof_check(credential: dict[str, Any]) -> Any:
    report = verify(credential, context(PUBLISHED))
    return report, next(check for check in report.checks if check.name == "proof")


def test_the_untouched_credential_verifies_everywhere(wallets):
    assert wallets["control"]["digitalBazaar"]["verified"], wallets["control"]["digitalBazaar"]
    assert wallets["control"]["verifierCore"]["verified"], wallets["control"]["verifierCore"]
    assert verify(CONTROL, context(PUBLISHED)).verdict == "valid"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_wallets_and_our_verifier_refuse_a_dropped_member(name, wallets):
    credential, member = SCENARIOS[name]
    digital_bazaar, verifier_core = wallets[name]["digitalBazaar"], wallets[name]["verifierCore"]
    assert not digital_bazaar["verified"] and not digital_bazaar["proofVerified"], digital_bazaar
    assert not verifier_core["verified"], verifier_core
    report, proof = _proof_check(credential)
    assert report.verdict == "invalid"
    assert (proof.outcome, proof.code) == ("failed", "proof.unsigned_terms"), proof
    assert member.describe()[1] in proof.message_en, proof.message_en


def test_an_index_member_passes_jsonld_safe_mode_but_we_refuse_it(wallets):
    # jsonld.js keeps `@index` through expansion and its RDF step ignores it without an event:
    # the wallets verify the badge, yet the text is signed by no one. We refuse it.
    assert wallets["@index"]["digitalBazaar"]["verified"], wallets["@index"]["digitalBazaar"]
    _, proof = _proof_check(INDEXED)
    assert (proof.outcome, proof.code) == ("failed", "proof.unsigned_terms")
    assert "/credentialSubject/achievement/@index" in proof.message_en


def test_scenarios_are_signed_correctly_apart_from_the_dropped_member():
    # The refusal is about the member, not a broken signature: drop the member and the
    # signature (made over the canonical form, where the member never was) still verifies.
    credential, _ = SCENARIOS["keyword-like key"]
    cleaned = copy.deepcopy(credential)
    del cleaned["credentialSubject"]["achievement"]["@foo"]
    assert verify(cleaned, context(PUBLISHED)).verdict == "valid"


# --- the same verdict as jsonld.js safe mode, form by form ------------------------------------------

def _jsonld_js_safe_mode(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """jsonld.js `toRDF` with `safe: true`, as the wallets canonicalise (tests/interop/)."""
    script = INTEROP_DIR / "safe-mode.mjs"
    return _run_node(script, _with_pinned({"documents": documents}), 300)["results"]


@settings(max_examples=1, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(cases=st.lists(st.tuples(st.sampled_from(NODES), DROPPABLE), min_size=60, max_size=60),
       items=st.lists(DROPPABLE_ITEMS, min_size=12, max_size=12),
       defined=st.lists(st.lists(DEFINED, min_size=1, max_size=3), min_size=8, max_size=8))
def test_our_safe_mode_gives_jsonld_js_verdict_and_reason(third_party_verifiers, cases, items,
                                                          defined):
    documents: list[dict[str, Any]] = []
    for node, form in cases:
        documents.append(_unsigned())
        _add(documents[-1], node, form)
    for item in items:
        documents.append(_unsigned())
        _add_item(documents[-1], item)
    for additions in defined:
        documents.append(_unsigned())
        for node, key, value in additions:
            _node(documents[-1], node)[key] = value
    theirs = _jsonld_js_safe_mode(documents)
    for document, verdict in zip(documents, theirs, strict=True):
        ours = {member.reason for member in find_dropped_members(document)}
        strict = ours - {"ignored keyword"}  # our one addition: jsonld.js lets these through
        if strict:
            assert not verdict["safe"] and verdict["code"] in strict, (ours, verdict, document)
        else:
            assert verdict["safe"], (ours, verdict, document)


# JSON-LD constructs of third-party badges (nested contexts, containers, keywords), added to the
# achievement's criteria: jsonld.js and we must agree on each.
V = "https://example.org/v#"
CONSTRUCTS: dict[str, dict[str, Any]] = {
    "@id-typed term, relative": {"@context": {"link": {"@id": V + "link", "@type": "@id"}},
                                 "link": "relative/x"},
    "@id-typed term, absolute": {"@context": {"link": {"@id": V + "link", "@type": "@id"}},
                                 "link": "https://x.example/y"},
    "@id-typed term, keyword-like": {"@context": {"link": {"@id": V + "link", "@type": "@id"}},
                                     "link": "@foo"},
    "@vocab-typed term, undefined": {"@context": {"kind": {"@id": V + "kind",
                                                           "@type": "@vocab"}},
                                     "kind": "Unknown"},
    "language map, bad tag": {"@context": {"label": {"@id": V + "label",
                                                     "@container": "@language"}},
                              "label": {"fr": "a", "not valid!": "b"}},
    "language map": {"@context": {"label": {"@id": V + "label", "@container": "@language"}},
                     "label": {"fr": "a", "en": "b", "@none": "c"}},
    "id map, relative key": {"@context": {"byid": {"@id": V + "byid", "@container": "@id"}},
                             "byid": {"rel": {"@type": V + "T"}}},
    "type map, undefined key": {"@context": {"bytype": {"@id": V + "bytype",
                                                        "@container": "@type"}},
                                "bytype": {"Rel": {"@id": "https://x.example/a"}}},
    "reverse": {"@reverse": {V + "owner": {"@id": "https://x.example/o"}}},
    "reverse, relative": {"@reverse": {V + "owner": {"@id": "rel"}}},
    "included node": {"@included": [{"@id": "https://x.example/i", V + "p": "v"}]},
    "included reference only": {"@included": [{"@id": "https://x.example/i"}]},
    "nest, undefined inside": {"@context": {"meta": "@nest"}, "meta": {"zzundef": 1}},
    "nest": {"@context": {"meta": "@nest", "pp": V + "pp"}, "meta": {"pp": 1}},
    "list with null value object": {"@context": {"lst": {"@id": V + "lst",
                                                         "@container": "@list"}},
                                    "lst": [None, "a", {"@value": None}]},
    "JSON literal": {"@context": {"js": {"@id": V + "js", "@type": "@json"}},
                     "js": {"@foo": [1, None]}},
    "graph, reference only": {V + "g": {"@graph": [{"@id": "https://x.example/g"}]}},
    "graph, empty object": {V + "g": {"@graph": [{}]}},
    "typed value": {V + "p": {"@value": "x", "@type": "https://x.example/T"}},
    "nested @vocab": {"@context": {"@vocab": "https://x.example/v#"}, "zzz": "now defined"},
    "nested @base": {"@context": {"@base": "https://x.example/"}, "@id": "rel"},
    "null @base": {"@context": {"@base": None, "link": {"@id": V + "link", "@type": "@id"}},
                   "link": "rel"},
    "@set": {V + "s": {"@set": ["a", "b"]}},
    "bad default language": {"@context": {"@language": "x y"}, V + "p": "v"},
    "reserved @reverse": {"@context": {"rv": {"@reverse": "@bad"}},
                          "rv": {"@id": "https://x.example/r"}},
    "term mapped to null": {"@context": {"nn": None}, "nn": "x"},
    "compact IRI": {"@context": {"ex": "https://x.example/"}, "ex:thing": "v"},
    "unknown scheme key": {"zz:thing": "v"},
    "default direction": {"@context": {"@direction": "rtl", "pp": V + "pp"}, "pp": "v"},
    "aliased @id, relative": {"@context": {"ident": "@id"}, "ident": "rel"},
}


def test_jsonld_constructs_of_other_issuers_get_jsonld_js_verdict(third_party_verifiers):
    documents = []
    for members in CONSTRUCTS.values():
        document = _unsigned()
        _node(document, "/credentialSubject/achievement/criteria").update(copy.deepcopy(members))
        documents.append(document)
    for name, document, verdict in zip(CONSTRUCTS, documents, _jsonld_js_safe_mode(documents),
                                       strict=True):
        ours = {member.reason for member in find_dropped_members(document)}
        strict = ours - {"ignored keyword"}
        if not strict:
            assert verdict["safe"], (name, ours, verdict)
        elif verdict["code"] is None:  # a jsonld.js syntax error, not a safe-mode event
            assert not verdict["safe"] and "invalid @included value" in strict, (name, verdict)
        else:
            assert not verdict["safe"] and verdict["code"] in strict, (name, ours, verdict)
