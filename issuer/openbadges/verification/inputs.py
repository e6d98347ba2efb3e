"""Reading the input (the `format` check): a dict, JSON text, a compact VC-JWT or a baked
PNG / SVG image, capped in size before anything looks at the bytes, then in depth and in cost
once parsed (`issuer.openbadges.json_cost`: refused before any JSON-LD work; VERIFICATION.md R9, R16)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from issuer.openbadges import baking
from issuer.openbadges.baked.payloads import BakingError
from issuer.openbadges.json_cost import LIMITS, CostLimits, first_excess
from issuer.openbadges.proofs import vc_jwt
from issuer.openbadges.verification.messages import COST_QUANTITIES
from issuer.openbadges.verification.report import Check, InputFormat, check_from_error, make_check

MAX_JSON_DEPTH = LIMITS.depth
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Reading:
    """The input as read: the credential, and for a VC-JWT the token and its decoded parts."""

    input_format: InputFormat
    format_check: Check
    credential: dict[str, Any] | None = None
    token: str | None = None
    jwt_header: dict[str, Any] | None = None
    jwt_payload: dict[str, Any] | None = None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key are read differently by different parsers (first or last wins).
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unreadable(code: str, input_format: InputFormat = "unreadable", **details: Any) -> Reading:
    return Reading(input_format, make_check("format", "failed", code, **details))


def _too_costly(credential: Any, container: InputFormat, limits: CostLimits) -> Reading | None:
    """A refusal when the credential passes a cost limit (`issuer.openbadges.json_cost`), else None. The
    walk stops at the first limit passed, so a huge document costs little more than parsing."""
    excess = first_excess(credential, limits)
    if excess is None:
        return None
    if excess.quantity == "depth":
        return _unreadable("format.too_deep", container)
    what_fr, what_en = COST_QUANTITIES[excess.quantity]
    return _unreadable("format.too_complex", container, what_fr=what_fr, what_en=what_en,
                       limit=excess.limit)


_CONTAINERS = {
    "json": ("JSON", "JSON"),
    "jwt": ("VC-JWT", "VC-JWT"),
    "png": ("image PNG", "PNG image"),
    "svg": ("image SVG", "SVG image"),
}


def _read_json_text(text: str, input_format: InputFormat, limits: CostLimits) -> Reading:
    container = "unreadable" if input_format == "json" else input_format
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKey as duplicate:
        return _unreadable("format.duplicate_key", container, key=duplicate.key[:80])
    except (ValueError, RecursionError):
        return _unreadable("format.not_json", container)
    if not isinstance(value, dict):
        return _unreadable("format.not_object", container)
    refusal = _too_costly(value, container, limits)
    if refusal is not None:
        return refusal
    what_fr, what_en = _CONTAINERS[input_format]
    if input_format != "json":
        what_fr, what_en = f"{what_fr} (JSON)", f"{what_en} (JSON)"
    return Reading(input_format, make_check("format", "passed", "format.read", what_fr=what_fr,
                                            what_en=what_en), credential=value)


def _read_jwt(token: str, input_format: InputFormat, limits: CostLimits) -> Reading:
    container = "unreadable" if input_format == "jwt" else input_format
    try:
        header, payload = vc_jwt.decode_unverified(token)
    except vc_jwt.JwtError as error:
        return Reading(container, check_from_error("format", "failed", error))
    credential = vc_jwt.credential_from_payload(payload)
    refusal = _too_costly(credential, container, limits)
    if refusal is not None:
        return refusal
    what_fr, what_en = _CONTAINERS[input_format]
    if input_format != "jwt":
        what_fr, what_en = f"{what_fr} (VC-JWT)", f"{what_en} (VC-JWT)"
    if isinstance(payload.get("vc"), dict):
        format_check = make_check("format", "warning", "format.jwt_vc_claim")
    else:
        format_check = make_check("format", "passed", "format.read", what_fr=what_fr,
                                  what_en=what_en)
    return Reading(input_format, format_check, credential=credential, token=token.strip(),
                   jwt_header=header, jwt_payload=payload)


def read_input(data: bytes | str | dict[str, Any], limit: int,
               cost_limits: CostLimits = LIMITS) -> Reading:
    """Read `data` with a size cap of `limit` bytes and the cost limits of `issuer.openbadges.json_cost`;
    a failed `format_check` when unreadable or too costly."""
    if isinstance(data, dict):
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return _unreadable("format.not_json")
        if len(text.encode("utf-8")) > limit:
            return _unreadable("format.too_large", limit=limit)
        return _read_json_text(text, "json", cost_limits)  # a copy, checked like any other input
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            return _unreadable("format.not_utf8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        return _unreadable("format.not_json")
    if len(raw) > limit:  # before anything else looks at the bytes
        return _unreadable("format.too_large", limit=limit)
    if not raw.strip():
        return _unreadable("format.empty")
    if baking.looks_like_image(raw):
        image: InputFormat = "png" if raw.startswith(_PNG_SIGNATURE) else "svg"
        try:
            baked = baking.extract_baked_credential(raw)
        except BakingError as error:
            container: InputFormat = "unreadable" if error.code == "baked.not_an_image" else image
            return Reading(container, check_from_error("format", "failed", error))
        if baked.is_jwt:
            return _read_jwt(baked.payload, baked.image_format, cost_limits)
        return _read_json_text(baked.payload, baked.image_format, cost_limits)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _unreadable("format.not_utf8")
    if vc_jwt.looks_like_jwt(text):
        return _read_jwt(text, "jwt", cost_limits)
    return _read_json_text(text, "json", cost_limits)
