"""Hostile inputs for the verifier: costly shapes a stranger can send to `POST /api/v1/verify`,
each at most `MAX_BYTES` (the verifier's input cap). `tests/test_json_cost.py` checks that each
is refused with the expected code; `python -m bench` times the worst of them.

Each input starts from a real City credential with a well-formed (wrong) proof, so whatever is
not refused early goes as far as canonicalisation. The shapes: RDFC-1.0 poison graphs (blank
nodes that reference each other in a clique; many identical objects without `id` under one
blank node), deep nesting, huge arrays, many proofs, many status entries, many embedded
contexts, long strings, a VC-JWT with a huge payload, a PNG with thousands of chunks.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import base58

from bench.credentials import ISSUER_DID, CityCredentials
from issuer.openbadges.proofs.vc_jwt import MAX_JWT_LENGTH

MAX_BYTES = 2_000_000
METHOD = f"{ISSUER_DID}#key-ed25519-bench"
# A well-formed proofValue (base58btc of 64 bytes) that is never a valid signature.
_FAKE_PROOF_VALUE = "z" + base58.b58encode(b"\x01" * 64).decode("ascii")


@dataclass(frozen=True)
class HostileInput:
    name: str
    data: bytes
    expected_code: str
    """The `format` check's code the verifier must answer with."""


def _proof(n: int = 0) -> dict[str, Any]:
    return {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
            "created": f"2025-06-13T09:{n % 60:02d}:00Z", "verificationMethod": METHOD,
            "proofPurpose": "assertionMethod", "proofValue": _FAKE_PROOF_VALUE}


@cache
def _base_credential() -> str:
    return json.dumps(CityCredentials().unsigned(0))


def _credential(**changes: Any) -> dict[str, Any]:
    credential: dict[str, Any] = json.loads(_base_credential())
    credential.update(changes)
    credential.setdefault("proof", [_proof()])
    return credential


def _json(document: Any) -> bytes:
    data = _json_unchecked(document)
    if len(data) > MAX_BYTES:
        raise ValueError(f"hostile input over the cap: {len(data)} bytes")
    return data


def _json_unchecked(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _fill(make: Callable[[int], Any], budget: int = MAX_BYTES - 20_000) -> Any:
    """The largest `make(n)` (about) whose JSON fits in `budget` bytes."""
    small, large = len(_json_unchecked(make(1))), len(_json_unchecked(make(101)))
    count = max(1, int((budget - small) / ((large - small) / 100)))
    document = make(count)
    size = len(_json_unchecked(document))
    while size > budget:  # items grow a little with their number: shrink in proportion
        count = max(1, int(count * budget / size * 0.995))
        document = make(count)
        size = len(_json_unchecked(document))
    return document


def _with_subject_member(name: str, value: Any) -> dict[str, Any]:
    credential = _credential()
    credential["credentialSubject"][name] = value
    return credential


def _clique(size: int) -> dict[str, Any]:
    """`size` blank nodes each linked to every other (`_:` labels): RDFC-1.0's worst case."""
    nodes = [{"id": f"_:b{i}", "type": ["Achievement"],
              "related": [{"id": f"_:b{j}"} for j in range(size) if j != i]}
             for i in range(size)]
    credential = _credential()
    credential["credentialSubject"]["achievement"]["related"] = nodes
    return credential


def _identical_blank_siblings(groups: int, per_group: int) -> dict[str, Any]:
    """Blank parents that look alike, each holding identical objects without id: nodes that
    only an exhaustive search of orderings can tell apart."""
    leaf = {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x"}
    parent = {"type": ["Result"], "alignment": [dict(leaf) for _ in range(per_group)]}
    return _with_subject_member("result", [json.loads(json.dumps(parent))
                                           for _ in range(groups)])


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"type": ["Evidence"], "name": "fond"}
    for _ in range(depth):
        value = {"type": ["Evidence"], "narrative": "x", "evidence": [value]}
    return _credential(evidence=[value])


def _png(payload: bytes, extra_chunks: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    baked = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + payload)
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    filler = b"".join(chunk(b"tEXt", b"k\x00" + str(n).encode()) for n in range(extra_chunks))
    return b"\x89PNG\r\n\x1a\n" + header + filler + baked + pixels + chunk(b"IEND", b"")


def _jwt(payload: dict[str, Any]) -> bytes:
    def part(value: Any) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    header = {"alg": "EdDSA", "typ": "JWT", "kid": METHOD}
    return f"{part(header)}.{part(payload)}.{'A' * 86}".encode("ascii")


def hostile_inputs() -> Iterator[HostileInput]:
    """Every hostile input, each refused before any JSON-LD work: most as `format.too_complex`
    (`issuer.openbadges.json_cost`), nesting as `format.too_deep` or unreadable JSON, a PNG of too many
    chunks as a damaged image."""
    too_complex = "format.too_complex"
    yield HostileInput("blank-node clique (RDFC-1.0 poison, 5 nodes)", _json(_clique(5)),
                       too_complex)
    yield HostileInput("blank-node clique (RDFC-1.0 poison, 200 nodes)", _json(_clique(200)),
                       too_complex)
    yield HostileInput("identical objects without id under look-alike parents (2 × 5)",
                       _json(_identical_blank_siblings(2, 5)), too_complex)
    yield HostileInput("many identical objects without id (fills 2 MB)", _json(_fill(
        lambda n: _identical_blank_siblings(1, n))), too_complex)
    yield HostileInput("many objects without id (fills 2 MB)", _json(_fill(
        lambda n: _with_subject_member("result", [{"type": ["Result"], "value": str(i)}
                                                  for i in range(n)]))), too_complex)
    yield HostileInput("many objects with ids in short arrays (fills 2 MB)", _json(_fill(
        lambda n: _with_subject_member("result", [[{"id": f"urn:uuid:{i}-{j}",
                                                    "type": ["Result"]} for j in range(10)]
                                                  for i in range(n)]))), too_complex)
    yield HostileInput("one achievement id repeated 40 times, 100 tags each", _json(
        _with_subject_member("achievement", [
            {"id": "urn:uuid:0b7e4c2a-51f3-4d8e-9a6b-3f2d1c0e9b8a", "type": ["Achievement"],
             "tag": [f"t{i}-{j}" for j in range(100)]} for i in range(40)])), too_complex)
    yield HostileInput("nesting 20 objects deep", _json(_nested(20)), "format.too_deep")
    yield HostileInput("nesting 100,000 deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                       "format.not_json")
    yield HostileInput("huge array of numbers (fills 2 MB)", _json(_fill(
        lambda n: _with_subject_member("result", list(range(n))))), too_complex)
    yield HostileInput("many proofs (fills 2 MB)", _json(_fill(
        lambda n: _credential(proof=[_proof(i) for i in range(n)]))), too_complex)
    yield HostileInput("many status entries (fills 2 MB)", _json(_fill(lambda n: _credential(
        credentialStatus=[{"id": f"https://example.org/status/{i}#1",
                           "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                           "statusListIndex": "1",
                           "statusListCredential": f"https://example.org/status/{i}"}
                          for i in range(n)]))), too_complex)
    yield HostileInput("many embedded contexts", _json(_with_subject_member("result", [
        {"@context": {"x": f"https://example.org/{i}"}, "type": ["Result"]}
        for i in range(20)])), too_complex)
    yield HostileInput("many members (fills 2 MB)", _json(_fill(lambda n: _with_subject_member(
        "result", {"type": ["Result"], **{f"m{i}": "v" for i in range(n)}}))), too_complex)
    yield HostileInput("long string (fills 2 MB)", _json(_fill(lambda n: _with_subject_member(
        "name", "a" * n))), too_complex)
    yield HostileInput("VC-JWT with a huge payload (fills the JWT cap)", _jwt({
        **_fill(lambda n: _with_subject_member("result", [{"type": ["Result"], "value": str(i)}
                                                          for i in range(n)]),
                budget=MAX_JWT_LENGTH * 3 // 4 - 20_000),
        "iss": ISSUER_DID}), too_complex)
    yield HostileInput("PNG of 12-byte chunks (fills 2 MB)",
                       _png(_json(_credential()), (MAX_BYTES - 20_000) // 20), "baked.corrupt")
    yield HostileInput("PNG with 9,000 chunks and a costly credential",
                       _png(_json(_identical_blank_siblings(2, 6)), 9_000), too_complex)


def costly_but_accepted_inputs() -> Iterator[HostileInput]:
    """Inputs just within every limit, which go on to canonicalisation (the signature then
    fails): the slowest work a stranger can ask for. Their `format` check passes."""
    read = "format.read"
    yield HostileInput("at the limits: identical objects without id (2 × 3) and a 3-clique",
                       _json(_with_subject_member("result", [
                           *_identical_blank_siblings(2, 3)["credentialSubject"]["result"],
                           *_clique(3)["credentialSubject"]["achievement"]["related"]])), read)
    yield HostileInput("at the limits: 190 named objects in two arrays of 95", _json(
        _with_subject_member("result", [[{"id": f"urn:uuid:{i}-{j}", "type": ["Result"]}
                                         for j in range(95)] for i in range(2)])), read)
    yield HostileInput("at the limits: one achievement id repeated, 140 tags in all", _json(
        _with_subject_member("achievement", [
            {"id": "urn:uuid:0b7e4c2a-51f3-4d8e-9a6b-3f2d1c0e9b8a", "type": ["Achievement"],
             "tag": [f"t{i}-{j}" for j in range(70)]} for i in range(2)])), read)
    yield HostileInput("at the limits: a string of 990,000 characters", _json(
        _with_subject_member("name", "a" * 990_000)), read)
