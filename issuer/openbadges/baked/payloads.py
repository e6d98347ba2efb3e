"""What a baked credential may be, in either image format: size caps, the payload (JSON object
or compact JWS), and `BakingError` with its French and English messages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from issuer.errors import InvalidInput

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest image accepted, baked or to bake; badge artwork is far smaller."""
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
"""Largest credential text (UTF-8) accepted in an image."""

COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# Characters XML 1.0 (§2.2) forbids, plus lone surrogates that UTF-8 cannot encode. In JSON text
# they can only sit inside strings, where a \uXXXX escape means the same character.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_MESSAGES: dict[str, tuple[str, str]] = {
    "baked.not_an_image": (
        "Ce fichier n'est ni une image PNG ni une image SVG.",
        "This file is neither a PNG nor an SVG image.",
    ),
    "baked.no_credential": (
        "Cette image ne contient pas de badge Open Badges 3.0.",
        "This image holds no Open Badges 3.0 credential.",
    ),
    "baked.multiple_credentials": (
        "Cette image contient plusieurs badges : impossible de savoir lequel croire.",
        "This image holds more than one credential, so none can be trusted.",
    ),
    "baked.compressed_chunk": (
        "Le badge de cette image PNG est compressé, ce que la norme interdit.",
        "The credential in this PNG is compressed, which the standard forbids.",
    ),
    "baked.wrong_chunk_type": (
        "Le badge de cette image PNG n'est pas rangé dans un bloc iTXt comme l'exige la norme.",
        "The credential in this PNG is not stored in an iTXt chunk as the standard requires.",
    ),
    "baked.too_large": (
        "Fichier trop volumineux (limite : {limit} octets).",
        "File too large (limit: {limit} bytes).",
    ),
    "baked.unsafe_svg": (
        "Cette image SVG contient des entités XML, refusées par sécurité.",
        "This SVG declares XML entities, refused for safety.",
    ),
    "baked.corrupt": (
        "Cette image est abîmée ou tronquée : {detail_fr}.",
        "This image is damaged or truncated: {detail_en}.",
    ),
    "baked.bad_payload": (
        "Le contenu du badge n'est ni un JSON ni un JWT lisible.",
        "The baked content is neither readable JSON nor a compact JWT.",
    ),
    "baked.unsupported_svg": (
        "Impossible d'intégrer un badge dans cette image SVG : {detail_fr}.",
        "Cannot bake a credential into this SVG: {detail_en}.",
    ),
}


class BakingError(InvalidInput):
    """An image that cannot be baked, or whose baked credential must not be read."""

    code = "baked.corrupt"

    @classmethod
    def of(cls, code: str, **details: object) -> BakingError:
        message_fr, message_en = _MESSAGES[code]
        return cls(message_fr.format(**details), message_en.format(**details), code=code)


def corrupt(detail_fr: str, detail_en: str) -> BakingError:
    return BakingError.of("baked.corrupt", detail_fr=detail_fr, detail_en=detail_en)


@dataclass(frozen=True)
class BakedCredential:
    image_format: Literal["png", "svg"]
    payload: str
    """The credential as JSON text, or a compact JWS (VC-JWT)."""
    is_jwt: bool


# --- payloads (shared by PNG and SVG) -------------------------------------------------------


def payload_text(credential: dict[str, Any] | str) -> tuple[str, bool]:
    """The text to bake and whether it is a JWT: a dict is an embedded-proof credential, a str
    a VC-JWT (OB 3.0 §5.3.1.1: JSON representation, or the Compact JWS string)."""
    if isinstance(credential, str):
        if not COMPACT_JWS.fullmatch(credential):
            raise BakingError.of("baked.bad_payload")
        text, is_jwt = credential, True
    else:
        try:
            text = json.dumps(credential, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise BakingError.of("baked.bad_payload") from exc
        text = _NOT_XML_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        is_jwt = False
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
    return text, is_jwt


def check_json_payload(text: str) -> None:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BakingError.of("baked.bad_payload") from exc
    if not isinstance(parsed, dict):
        raise BakingError.of("baked.bad_payload")


def read_payload(text: str, image_format: Literal["png", "svg"]) -> BakedCredential:
    """A PNG chunk's text: a compact JWS, or else it must be a JSON object."""
    text = text.strip()
    if COMPACT_JWS.fullmatch(text):
        return BakedCredential(image_format, text, is_jwt=True)
    check_json_payload(text)
    return BakedCredential(image_format, text, is_jwt=False)


def check_image_size(data: bytes) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_IMAGE_BYTES)
