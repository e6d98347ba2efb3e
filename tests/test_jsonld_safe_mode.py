"""JSON-LD safe mode (issue 9, item 1): nothing JSON-LD drops is ever part of a valid badge.

Property-based: a member of every droppable form (see `issuer.openbadges.jsonld_safety`) is added at every
depth of a credential the City signed; `verify()` must refuse it, naming the member, whether the
credential comes as JSON, as a VC-JWT re-signed with the City's key (so the dropped member is the
only problem), or baked in a PNG. And the other way round: members a context defines, with valid
values, signed by us, never trip the check. Fixed budget and seed, so the run is the same in CI.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.errors import SigningRefused
from issuer.issuance.catalogue import load_catalogue
from issuer.openbadges import canonical
from issuer.openbadges.baking import bake_png
from issuer.openbadges.jsonld_safety import find_dropped_members
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.proofs.vc_jwt import encode_vc_jwt
from issuer.openbadges.safe_mode.dropped import DroppedMember
from issuer.openbadges.verification import VerificationReport, verify
from tests.test_verification import (
    ED_KEY,
    ED_METHOD,
    RSA_KEY,
    RSA_METHOD,
    context,
    lists,
    signed,
    unsigned_membership,
)

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # pyld on reserved terms

CI = settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEYWORDS = frozenset({
    "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@first",
    "@graph", "@id", "@import", "@included", "@index", "@json", "@language", "@list", "@nest",
    "@none", "@omitDefault", "@propagate", "@protected", "@preserve", "@requireAll", "@reverse",
    "@set", "@type", "@value", "@version", "@vocab"})
EVIDENCE = {"id": "https://badges.ville-roubaix.fr/evidence/seance-2025-07-11",
            "type": ["Evidence"], "name": "Séance d'installation du 11 juillet 2025"}


def _unsigned() -> dict[str, Any]:
    return {**unsigned_membership(), "evidence": [dict(EVIDENCE)]}


SIGNED = signed(_unsigned())
PUBLISHED = lists()
PNG = load_catalogue().image_path(load_catalogue().badge("membre-cln"), "png").read_bytes()

# Where a member is added: every depth of the credential, array items included.
NODES = ["", "/issuer", "/issuer/address", "/credentialSubject", "/credentialSubject/identifier/0",
         "/credentialSubject/achievement", "/credentialSubject/achievement/criteria",
         "/credentialSubject/achievement/image", "/evidence/0"]
SPEC_EXAMPLES = Path(__file__).parent / "fixtures" / "spec-examples"
PROOF = "/proof/0"  # in a JSON credential only: a VC-JWT has no embedded proof


def _node(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for step in pointer.split("/")[1:]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


_letters = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Co")),
                max_size=20)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_letters, inner, max_size=3),
    max_leaves=6)

# (key, value, expected path below the node, expected reason); the path "" is the key itself.
_undefined_term = st.builds(lambda name, value: ("zz" + name, value, "", "invalid property"),
                            _letters, _json_value)
_keyword_like = st.builds(lambda name, value: ("@" + name, value, "", "invalid property"),
                          _letters.filter(lambda n: "@" + n not in KEYWORDS), _json_value)
_odd_key = st.builds(lambda key, value: (key, value, "", "invalid property"),
                     st.sampled_from(["", "@", "@1", " ", "#fragment", "../up", "a b", "@@id"]),
                     _json_value)
_blank_predicate = st.builds(lambda name, value: ("_:" + name, value, "", "blank node predicate"),
                             _letters, _text)
_ignored_keyword = st.builds(lambda pair: (*pair, "", "ignored keyword"), st.sampled_from([
    ("@index", "rang 1"), ("@language", "fr"), ("@direction", "rtl"), ("@version", 1.1),
    ("@embed", "@always"), ("@none", "x"), ("@default", "x"), ("@requireAll", True)]))
_free_floating = st.builds(lambda text: ("@graph", [text], "/0", "free-floating scalar"), _text)
_context_forms = st.sampled_from([
    ("@context", {"@reserved": "https://example.org/r#"}, "/@reserved", "reserved term"),
    ("@context", {"@vocab": "relative/"}, "/@vocab", "relative @vocab reference"),
    ("@context", {"zzTerm": "@bogus"}, "/zzTerm", "reserved @id value"),
    ("@context", {"@language": "pas une langue"}, "/@language", "invalid @language value"),
])
DROPPABLE = st.one_of(_undefined_term, _keyword_like, _odd_key, _blank_predicate,
                      _ignored_keyword, _free_floating, _context_forms)
# Items added to an array of strings (achievement.tag): value objects JSON-LD drops or mangles.
DROPPABLE_ITEMS = st.sampled_from([
    ({"@value": None}, "", "null @value value"),
    ({"@value": "texte", "@direction": "rtl"}, "/@direction", "rdfDirection not set"),
    ({"@value": "texte", "@language": "fr_FR!"}, "/@language", "invalid @language value"),
    ({"@language": "fr"}, "", "object with only @language"),
    ({"@value": "texte", "@index": "i"}, "/@index", "ignored keyword"),
    ({"@unknown": "texte"}, "/@unknown", "invalid property"),
])


def _add(document: dict[str, Any], node: str, form: tuple[Any, ...]) -> DroppedMember:
    key, value, below, reason = form
    if key == "@context" and node in ("", PROOF):
        node = "/credentialSubject"  # the root and proof contexts are the pinned list
    target = _node(document, node)
    if key in target:  # never replace a member: add one JSON-LD drops for its name
        key, below, reason = "zzz" + key, "", "invalid property"
    target[key] = value
    return DroppedMember(f"{node}/{_escape(key)}{below}", reason)


def _add_item(document: dict[str, Any], form: tuple[Any, ...]) -> DroppedMember:
    item, below, reason = form
    tags = _node(document, "/credentialSubject/achievement/tag")
    tags.append(item)
    return DroppedMember(f"/credentialSubject/achievement/tag/{len(tags) - 1}{below}", reason)


def _refused_naming(report: VerificationReport, member: DroppedMember) -> None:
    proof = next(check for check in report.checks if check.name == "proof")
    assert report.verdict == "invalid"
    assert (proof.outcome, proof.code) == ("failed", "proof.unsigned_terms"), proof
    french, english = member.describe()
    assert french in proof.message_fr and english in proof.message_en, (member, proof)


def _trusted() -> Any:
    return context(PUBLISHED, untrusted=False)


# --- the property: added at any depth, refused on every path -------------------------------------

@CI
@given(node=st.sampled_from([*NODES, PROOF]), form=DROPPABLE)
def test_a_dropped_member_added_to_a_signed_credential_is_refused_and_named(node, form):
    tampered = copy.deepcopy(SIGNED)
    member = _add(tampered, node, form)
    body = tampered if member.path.startswith(PROOF) else \
        {k: v for k, v in tampered.items() if k != "proof"}
    if member.path.startswith(PROOF):
        config = {**{k: v for k, v in tampered["proof"][0].items() if k != "proofValue"},
                  "@context": tampered["@context"]}
        found = [DroppedMember(PROOF + m.path, m.reason) for m in find_dropped_members(config)]
    else:
        found = find_dropped_members(body)
    assert member in found
    _refused_naming(verify(json.dumps(tampered, ensure_ascii=False), _trusted()), member)


@CI
@given(form=DROPPABLE_ITEMS)
def test_a_dropped_item_added_to_an_array_is_refused_and_named(form):
    tampered = copy.deepcopy(SIGNED)
    member = _add_item(tampered, form)
    _refused_naming(verify(tampered, _trusted()), member)


@settings(CI, max_examples=8)
@given(node=st.sampled_from(NODES), form=DROPPABLE)
def test_a_vc_jwt_carrying_a_dropped_member_is_refused_and_named(node, form):
    credential = _unsigned()
    member = _add(credential, node, form)
    token = encode_vc_jwt(credential, RSA_KEY.private_key, RSA_METHOD)  # a genuine signature
    _refused_naming(verify(token, _trusted()), member)


@settings(CI, max_examples=5)
@given(node=st.sampled_from([*NODES, PROOF]), form=DROPPABLE)
def test_a_baked_png_carrying_a_dropped_member_is_refused_and_named(node, form):
    tampered = copy.deepcopy(SIGNED)
    member = _add(tampered, node, form)
    report = verify(bake_png(PNG, tampered), _trusted())
    assert report.input_format == "png"
    _refused_naming(report, member)


@settings(CI, max_examples=8)
@given(node=st.sampled_from(NODES), form=DROPPABLE)
def test_the_signer_refuses_a_dropped_member_and_names_it(node, form):
    credential = _unsigned()
    member = _add(credential, node, form)
    with pytest.raises(SigningRefused) as refused:
        sign_document(credential, ED_KEY.private_key, ED_METHOD)
    assert refused.value.code == "sign.undefined_term"
    assert member.describe()[1] in refused.value.message_en


# --- no false alarm: defined terms with valid values ------------------------------------------------

DEFINED = st.one_of(
    st.builds(lambda text: ("/credentialSubject/achievement", "humanCode", text), _text),
    st.builds(lambda text: ("/credentialSubject/achievement", "fieldOfStudy", text), _text),
    st.builds(lambda text: ("/credentialSubject/achievement", "specialization", text), _text),
    st.builds(lambda text: ("/credentialSubject/achievement/criteria", "id",
                            "https://badges.ville-roubaix.fr/criteria/" + text.encode().hex()),
              _text),
    st.builds(lambda text: ("/issuer", "phone", text), _text),
    st.builds(lambda text: ("/evidence/0", "narrative", text), _text),
    st.builds(lambda text: ("/evidence/0", "genre", text), _text),
    st.builds(lambda text: ("", "description", text), _text),
    st.builds(lambda text: ("/credentialSubject", "activityStartDate", "2025-07-11T18:00:00Z"),
              _text),
)


@settings(CI, max_examples=8)
@given(additions=st.lists(DEFINED, min_size=1, max_size=3))
def test_defined_members_with_valid_values_never_trip_the_check(additions):
    credential = _unsigned()
    for node, key, value in additions:
        _node(credential, node)[key] = value
    assert find_dropped_members(credential) == []
    report = verify(signed(credential), _trusted())
    assert report.verdict == "valid", [(c.name, c.code) for c in report.checks]


# --- fixed cases: sandbox, paths, wording ---------------------------------------------------------

def test_the_check_runs_in_the_sandbox_for_a_stranger_shape():
    tampered = copy.deepcopy(SIGNED)
    tampered["credentialSubject"]["achievement"]["@Type"] = "Diplôme d'État"
    report = verify(tampered, context(PUBLISHED))  # untrusted: an unseen shape goes to a worker
    _refused_naming(report, DroppedMember("/credentialSubject/achievement/@Type",
                                          "invalid property"))
    jwt_credential = _unsigned()
    jwt_credential["credentialSubject"]["@Type"] = "x"
    token = encode_vc_jwt(jwt_credential, RSA_KEY.private_key, RSA_METHOD)
    _refused_naming(verify(token, context(PUBLISHED)),
                    DroppedMember("/credentialSubject/@Type", "invalid property"))


def test_relative_identifiers_and_undefined_types_are_refused():
    tampered = copy.deepcopy(SIGNED)
    tampered["evidence"].append({"id": "preuves/photo.jpg", "type": ["Evidence"]})
    tampered["credentialSubject"]["achievement"]["type"].append("Diplome")
    found = find_dropped_members({k: v for k, v in tampered.items() if k != "proof"})
    assert DroppedMember("/evidence/1/id", "relative @id reference") in found
    assert DroppedMember("/credentialSubject/achievement/type/1", "relative @type reference") \
        in found
    _refused_naming(verify(tampered, _trusted()), found[0])


def test_message_names_the_member_in_french_and_english():
    tampered = copy.deepcopy(SIGNED)
    tampered["credentialSubject"]["@foo"] = "Mention très bien"
    proof = next(c for c in verify(tampered, _trusted()).checks if c.name == "proof")
    assert proof.message_fr.startswith("Des éléments du badge ne sont pas couverts par la "
                                       "signature, car JSON-LD les ignore : /credentialSubject/"
                                       "@foo (propriété non définie par les contextes)")
    assert "/credentialSubject/@foo (property no context defines)" in proof.message_en


def test_our_unmodified_credential_and_the_spec_examples_have_nothing_dropped():
    assert find_dropped_members({k: v for k, v in SIGNED.items() if k != "proof"}) == []
    assert canonical.SHAPES.dropped_members(SIGNED["proof"][0] | {"@context": SIGNED["@context"]}) \
        == []
    assert verify(SIGNED, _trusted()).verdict == "valid"
    examples = sorted(SPEC_EXAMPLES.glob("*.json"))
    assert len(examples) >= 8
    for path in examples:
        example = json.loads(path.read_text("utf-8"))
        assert find_dropped_members({k: v for k, v in example.items() if k != "proof"}) == [], \
            path.name
