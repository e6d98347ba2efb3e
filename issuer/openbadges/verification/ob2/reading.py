"""Is the input an Open Badges 2.0 assertion (or an older Open Badges document)? Read before
the OB 3.0 reader: JSON, a compact JWS whose payload is an assertion (it looks like a VC-JWT,
so the payload decides), or a baked PNG (`openbadges` iTXt chunk) / SVG
(`<openbadges:assertion>`) holding JSON, a JWS or the hosted assertion's URL.

Anything odd (too large, not JSON, duplicate keys, too deep) is left to the OB 3.0 reader,
which refuses it with its own reason: this module only recognises."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from issuer.openbadges import baking
from issuer.openbadges.baked.payloads import BakingError
from issuer.openbadges.verification.ob2.documents import MAX_DOCUMENT_DEPTH, too_deep
from issuer.openbadges.verification.report import Check, InputFormat, check_from_error, make_check

OB2_CONTEXTS = frozenset({"https://w3id.org/openbadges/v2",
                          "https://openbadgespec.org/v2/context.json"})
"""The OB 2.0 context, and the address it was first published at (both read by the official
validator)."""
OB1_CONTEXTS = frozenset({"https://w3id.org/openbadges/v1"})

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Generation = Literal["ob2", "ob1"]


@dataclass(frozen=True)
class Ob2Input:
    """What was read: an assertion (JSON or JWS payload), a JWS, or only the URL an image
    names; or a `problem` (the `format` check) when the input is Open Badges but not one we
    verify (OB 1.x, a badge class...) or the image is unusable."""

    input_format: InputFormat
    assertion: dict[str, Any] | None = None
    token: str | None = None
    url: str | None = None
    problem: Check | None = None


def contexts_of(document: dict[str, Any]) -> set[str]:
    value = document.get("@context")
    values = value if isinstance(value, list) else [value]
    return {item for item in values if isinstance(item, str)}


def generation(document: Any) -> Generation | None:
    """"ob2" for an OB 2.0 document, "ob1" for Open Badges 0.5 / 1.x, None otherwise."""
    if not isinstance(document, dict):
        return None
    contexts = contexts_of(document)
    if contexts & OB2_CONTEXTS:
        return "ob2"
    if contexts & OB1_CONTEXTS:
        return "ob1"
    if "@context" in document:
        return None
    verify = document.get("verify")
    if isinstance(verify, dict) and "recipient" in document:  # OB 1.0 assertion
        return "ob1"
    badge = document.get("badge")
    if isinstance(document.get("recipient"), str) and isinstance(badge, dict) \
            and "version" in badge:  # OB 0.5 assertion
        return "ob1"
    return None


def types_of(document: dict[str, Any]) -> list[str]:
    value = document.get("type")
    values = value if isinstance(value, list) else [value]
    return [item for item in values if isinstance(item, str)]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key")
        result[key] = value
    return result


def _parse_object(text: str | bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _jws_payload(token: str) -> dict[str, Any] | None:
    part = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return None
    return _parse_object(raw)


def _from_document(document: dict[str, Any], input_format: InputFormat,
                   token: str | None = None) -> Ob2Input | None:
    found = generation(document)
    if found is None or too_deep(document, MAX_DOCUMENT_DEPTH):
        return None  # too deep: the OB 3.0 reader refuses it
    if found == "ob1":
        return Ob2Input(input_format, problem=make_check("format", "unknown",
                                                         "format.unsupported_ob1"))
    if "Assertion" not in types_of(document):
        kind = ", ".join(types_of(document))[:80] or "?"
        return Ob2Input(input_format, problem=make_check("format", "unknown",
                                                         "format.unsupported_ob2_type",
                                                         kind=kind))
    return Ob2Input(input_format, assertion=document, token=token)


def _from_text(text: str, input_format: InputFormat) -> Ob2Input | None:
    text = text.strip()
    if text.startswith("{"):
        document = _parse_object(text)
        return None if document is None else _from_document(document, input_format)
    if _COMPACT_JWS.fullmatch(text):
        payload = _jws_payload(text)
        return None if payload is None else _from_document(payload, input_format, token=text)
    return None


def _from_image(raw: bytes) -> Ob2Input | None:
    image: InputFormat = "png" if raw.startswith(_PNG_SIGNATURE) else "svg"
    try:
        baked = baking.extract_ob2_payload(raw)
    except BakingError as error:  # damaged, or two payloads (VERIFICATION.md R15)
        marker = b"openbadges\x00" if image == "png" else baking.OB2_SVG_NAMESPACE.encode()
        if marker not in raw:
            return None  # no sign of OB 2.0: the OB 3.0 reader says what is wrong
        container: InputFormat = "unreadable" if error.code == "baked.not_an_image" else image
        return Ob2Input(container, problem=check_from_error("format", "failed", error))
    if baked is None:
        return None
    try:
        baking.extract_baked_credential(raw)
    except BakingError:
        pass
    else:  # an OB 3.0 credential too: two payloads, none to trust (VERIFICATION.md R15)
        return Ob2Input(image, problem=check_from_error(
            "format", "failed", BakingError.of("baked.multiple_credentials")))
    payload = baked.payload
    if payload.startswith(("https://", "http://")):
        return Ob2Input(image, url=payload)
    found = _from_text(payload, image)
    if found is not None:
        return found
    if payload.startswith("{") or _COMPACT_JWS.fullmatch(payload):
        return None  # an unreadable JSON or JWS: the OB 3.0 reader explains
    return Ob2Input(image, problem=make_check("format", "failed", "format.ob2_bad_url",
                                              url=payload[:200]))


def read_ob2(data: bytes | str | dict[str, Any], limit: int) -> Ob2Input | None:
    """The input as Open Badges 2.0 (or older), or None for anything else (OB 3.0, or
    unreadable: the OB 3.0 reader then decides)."""
    if isinstance(data, dict):
        if generation(data) is None:
            return None
        try:  # a copy, capped and read like any other input
            data = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return None
    if isinstance(data, str):
        if len(data) > limit:  # characters: at least as many bytes
            return None
        raw = data.encode("utf-8", errors="replace")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        return None
    if len(raw) > limit or (b"openbadges" not in raw and not _COMPACT_JWS.fullmatch(
            raw.strip().decode("ascii", errors="replace")) and b'"verify"' not in raw):
        return None
    if baking.looks_like_image(raw):
        return _from_image(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return _from_text(text, "jwt" if _COMPACT_JWS.fullmatch(text.strip()) else "json")
