"""Baked badges: an OpenBadgeCredential carried inside its PNG or SVG image (OB 3.0 §5.3).

PNG: one uncompressed `iTXt` chunk with keyword `openbadgecredential` whose text is the
credential as JSON (embedded proof) or a compact JWS (VC-JWT). SVG: an
`<openbadges:credential>` element (namespace `https://purl.imsglobal.org/ob/v3p0`) right after
the `<svg>` start tag, holding the JSON in CDATA, or the JWS in its `verify` attribute.

Extraction reads images strangers upload, so it refuses anything ambiguous or costly
(VERIFICATION.md R15, R17): two payloads, a compressed or `tEXt`/`zTXt` payload (nothing is ever
inflated), bad CRCs, truncated data, XML entities, inputs beyond fixed size caps.

Everything here works on bytes in memory; no file or network I/O.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from issuer.errors import InvalidInput

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest image accepted, baked or to bake; badge artwork is far smaller."""
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
"""Largest credential text (UTF-8) accepted in an image."""

OB_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"  # OB 3.0 §5.3.2.1
PNG_KEYWORD = b"openbadgecredential"  # OB 3.0 §5.3.1.1

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_MAX_CHUNK_LENGTH = 2**31 - 1  # PNG §5.3: lengths above this are invalid
# Reading a chunk costs a few microseconds whatever its size: an image made of 12-byte chunks
# would take seconds. Real images hold tens of chunks (hundreds of IDAT for a large one).
MAX_PNG_CHUNKS = 10_000
_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_CREDENTIAL_TAG = f"{{{OB_SVG_NAMESPACE}}}credential"
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
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


def _corrupt(detail_fr: str, detail_en: str) -> BakingError:
    return BakingError.of("baked.corrupt", detail_fr=detail_fr, detail_en=detail_en)


@dataclass(frozen=True)
class BakedCredential:
    image_format: Literal["png", "svg"]
    payload: str
    """The credential as JSON text, or a compact JWS (VC-JWT)."""
    is_jwt: bool


# --- payloads (shared by PNG and SVG) -------------------------------------------------------


def _payload_text(credential: dict[str, Any] | str) -> tuple[str, bool]:
    """The text to bake and whether it is a JWT: a dict is an embedded-proof credential, a str
    a VC-JWT (OB 3.0 §5.3.1.1: JSON representation, or the Compact JWS string)."""
    if isinstance(credential, str):
        if not _COMPACT_JWS.fullmatch(credential):
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


def _check_json_payload(text: str) -> None:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BakingError.of("baked.bad_payload") from exc
    if not isinstance(parsed, dict):
        raise BakingError.of("baked.bad_payload")


def _read_payload(text: str, image_format: Literal["png", "svg"]) -> BakedCredential:
    """A PNG chunk's text: a compact JWS, or else it must be a JSON object."""
    text = text.strip()
    if _COMPACT_JWS.fullmatch(text):
        return BakedCredential(image_format, text, is_jwt=True)
    _check_json_payload(text)
    return BakedCredential(image_format, text, is_jwt=False)


def _check_image_size(data: bytes) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_IMAGE_BYTES)


# --- PNG ------------------------------------------------------------------------------------
# Chunks are read and written by hand: Pillow decodes and re-encodes the pixels on save, so it
# cannot promise that every other byte of the artwork stays identical, and it reads iTXt
# payloads without our limits (it would inflate a compressed one). The chunk layout is simple
# (PNG §5.3: length, type, data, CRC-32 over type + data).


@dataclass(frozen=True)
class _PngChunk:
    type: bytes
    data: bytes
    raw: bytes
    """The whole chunk as found in the file (length, type, data, CRC), copied back verbatim."""


def _read_png_chunks(data: bytes) -> list[_PngChunk]:
    """Every chunk from IHDR to IEND, CRCs checked; refuses truncated or trailing data."""
    _check_image_size(data)
    if not data.startswith(_PNG_SIGNATURE):
        raise BakingError.of("baked.not_an_image")
    chunks: list[_PngChunk] = []
    position = len(_PNG_SIGNATURE)
    while True:
        if position + 12 > len(data):
            raise _corrupt("fichier PNG tronqué", "truncated PNG file")
        (length,) = struct.unpack_from(">I", data, position)
        chunk_type = data[position + 4 : position + 8]
        if length > _PNG_MAX_CHUNK_LENGTH or position + 12 + length > len(data):
            raise _corrupt("longueur de bloc PNG impossible", "impossible PNG chunk length")
        if not chunk_type.isalpha():  # bytes.isalpha: ASCII letters only (PNG §5.4)
            raise _corrupt("type de bloc PNG invalide", "invalid PNG chunk type")
        chunk_data = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack_from(">I", data, position + 8 + length)
        if zlib.crc32(chunk_type + chunk_data) != crc:
            raise _corrupt("somme de contrôle PNG fausse", "bad PNG chunk CRC")
        end = position + 12 + length
        if not chunks and chunk_type != b"IHDR":
            raise _corrupt("le PNG ne commence pas par IHDR", "PNG does not start with IHDR")
        chunks.append(_PngChunk(chunk_type, chunk_data, data[position:end]))
        if len(chunks) > MAX_PNG_CHUNKS:
            raise _corrupt(f"plus de {MAX_PNG_CHUNKS} blocs PNG",
                           f"more than {MAX_PNG_CHUNKS} PNG chunks")
        position = end
        if chunk_type == b"IEND":
            break
    # Bytes after IEND are ignored by image decoders; a payload hidden there would be read by
    # some badge tools and not others (VERIFICATION.md R15).
    if position != len(data):
        raise _corrupt("données après la fin du PNG", "data after the end of the PNG")
    return chunks


def _text_chunk_keyword(chunk: _PngChunk) -> bytes | None:
    """The keyword of a tEXt / zTXt / iTXt chunk (1–79 bytes, NUL-terminated; PNG §11.3)."""
    if chunk.type not in (b"tEXt", b"zTXt", b"iTXt"):
        return None
    end = chunk.data.find(b"\x00", 0, 80)
    return chunk.data[:end] if end > 0 else None


def _is_credential_chunk(chunk: _PngChunk) -> bool:
    return _text_chunk_keyword(chunk) == PNG_KEYWORD


def _credential_chunk_text(chunk: _PngChunk) -> str:
    """The text of an `openbadgecredential` chunk, refusing every form but uncompressed iTXt
    (OB 3.0 §5.3.1.1: "Compression MUST NOT be used")."""
    if chunk.type == b"zTXt":
        raise BakingError.of("baked.compressed_chunk")
    if chunk.type != b"iTXt":
        raise BakingError.of("baked.wrong_chunk_type")
    # iTXt layout (PNG §11.3.4.5): keyword NUL, compression flag, compression method,
    # language tag NUL, translated keyword NUL, text.
    rest = chunk.data[len(PNG_KEYWORD) + 1 :]
    if len(rest) < 2:
        raise _corrupt("bloc iTXt incomplet", "incomplete iTXt chunk")
    compression_flag, compression_method = rest[0], rest[1]
    if compression_flag != 0:
        raise BakingError.of("baked.compressed_chunk")
    if compression_method != 0:
        raise _corrupt("bloc iTXt invalide", "invalid iTXt chunk")
    language_end = rest.find(b"\x00", 2)
    translated_end = rest.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        raise _corrupt("bloc iTXt incomplet", "incomplete iTXt chunk")
    text = rest[translated_end + 1 :]
    if len(text) > MAX_PAYLOAD_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _corrupt("texte iTXt non UTF-8", "iTXt text is not UTF-8") from exc


def _credential_itxt_chunk(text: str) -> bytes:
    # Uncompressed, empty language tag and translated keyword (OB 3.0 §5.3.1.1 example).
    data = PNG_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
    return (
        struct.pack(">I", len(data))
        + b"iTXt"
        + data
        + struct.pack(">I", zlib.crc32(b"iTXt" + data))
    )


def bake_png(image: bytes, credential: dict[str, Any] | str) -> bytes:
    """The PNG with the credential baked in: a dict as JSON, a str as a compact JWS (VC-JWT).

    Every other chunk is copied byte for byte. A credential already in the image is replaced
    (OB 3.0 §5.3.1.1 leaves replace-or-refuse to the implementer), so there is only ever one.
    """
    text, _ = _payload_text(credential)
    chunks = [chunk for chunk in _read_png_chunks(image) if not _is_credential_chunk(chunk)]
    # Placed just before IEND, as in the official validator's samples; the spec allows any
    # position and readers scan the whole stream.
    body = b"".join(chunk.raw for chunk in chunks[:-1])
    return _PNG_SIGNATURE + body + _credential_itxt_chunk(text) + chunks[-1].raw


def extract_from_png(data: bytes) -> BakedCredential:
    """The credential baked in a PNG; refuses zero or several, compressed, or damaged ones."""
    found = [chunk for chunk in _read_png_chunks(data) if _is_credential_chunk(chunk)]
    texts = [_credential_chunk_text(chunk) for chunk in found]
    if not texts:
        raise BakingError.of("baked.no_credential")
    if len(texts) > 1:  # OB 3.0 §5.3.1.1: MUST NOT appear more than once (VERIFICATION.md R15)
        raise BakingError.of("baked.multiple_credentials")
    return _read_payload(texts[0], "png")


# --- SVG ------------------------------------------------------------------------------------


def _parse_svg(data: bytes) -> Any:
    """The root element, parsed by defusedxml: entity declarations and external references are
    refused (billion laughs, XXE; VERIFICATION.md R17). A DOCTYPE naming the SVG 1.1 DTD is allowed
    (the official samples carry one); expat never fetches it."""
    _check_image_size(data)
    try:
        root = safe_xml.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise BakingError.of("baked.unsafe_svg") from exc
    except ParseError as exc:
        raise _corrupt("XML mal formé", "malformed XML") from exc
    if root.tag not in (f"{{{_SVG_NAMESPACE}}}svg", "svg"):
        raise BakingError.of("baked.not_an_image")
    return root


def extract_from_svg(data: bytes) -> BakedCredential:
    """The credential baked in an SVG: the `verify` attribute of `<openbadges:credential>` for a
    VC-JWT, its CDATA text for JSON (OB 3.0 §5.3.2). Several credential elements are refused."""
    elements = list(_parse_svg(data).iter(_CREDENTIAL_TAG))
    if not elements:
        raise BakingError.of("baked.no_credential")
    if len(elements) > 1:  # OB 3.0 §5.3.2.1: "There MUST be only one" (VERIFICATION.md R15)
        raise BakingError.of("baked.multiple_credentials")
    element = elements[0]
    jwt = element.get("verify")
    text = (element.text or "").strip()
    if len(element) or (jwt is not None and text):
        # Both a JWT and a JSON body, or markup inside: two readings of one badge.
        raise BakingError.of("baked.multiple_credentials")
    payload = jwt.strip() if jwt is not None else text
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
    if jwt is not None:
        if not _COMPACT_JWS.fullmatch(payload):
            raise BakingError.of("baked.bad_payload")
        return BakedCredential("svg", payload, is_jwt=True)
    _check_json_payload(payload)
    return BakedCredential("svg", payload, is_jwt=False)


@dataclass
class _SvgLayout:
    """Byte offsets in an SVG document that baking edits around."""

    root_start: int = -1
    root_prefix_binding: str | None = None
    """The namespace the root binds to the `openbadges` prefix, if it declares one."""
    encoding: str | None = None
    credential_starts: list[int] = field(default_factory=list)
    credential_end_events: list[int] = field(default_factory=list)


def _tag_end(data: bytes, start: int) -> int:
    """Offset just past the tag starting at `start`; a '>' inside a quoted value is skipped."""
    quote: int | None = None
    for offset in range(start, len(data)):
        byte = data[offset]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in (0x22, 0x27):  # " or '
            quote = byte
        elif byte == 0x3E:  # >
            return offset + 1
    raise _corrupt("balise non fermée", "unclosed tag")


def _svg_layout(data: bytes) -> _SvgLayout:
    """Where the root tag and existing credential elements are. Run only on a document that
    `_parse_svg` accepted, so it has no entity declarations for expat to expand."""
    layout = _SvgLayout()
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0
    open_credentials = 0
    credential_name = f"{OB_SVG_NAMESPACE} credential"

    def on_xml_declaration(version: str, encoding: str | None, standalone: int) -> None:
        layout.encoding = encoding

    def on_namespace(prefix: str | None, uri: str) -> None:
        if depth == 0 and prefix == "openbadges":
            layout.root_prefix_binding = uri

    def on_start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, open_credentials
        if depth == 0:
            layout.root_start = parser.CurrentByteIndex
        if name == credential_name:
            if open_credentials == 0:
                layout.credential_starts.append(parser.CurrentByteIndex)
            open_credentials += 1
        depth += 1

    def on_end(name: str) -> None:
        nonlocal depth, open_credentials
        depth -= 1
        if name == credential_name:
            open_credentials -= 1
            if open_credentials == 0:
                layout.credential_end_events.append(parser.CurrentByteIndex)

    parser.XmlDeclHandler = on_xml_declaration
    parser.StartNamespaceDeclHandler = on_namespace
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise _corrupt("XML mal formé", "malformed XML") from exc
    return layout


def _element_end(data: bytes, start: int, end_event: int) -> int:
    """Offset just past an element: its own tag if empty (`<x/>`), else its end tag."""
    start_tag_end = _tag_end(data, start)
    if data[start_tag_end - 2 : start_tag_end] == b"/>":
        return start_tag_end
    return _tag_end(data, end_event)


def _credential_element(text: str, is_jwt: bool) -> bytes:
    if is_jwt:
        # A compact JWS is base64url and dots: nothing to escape in an attribute.
        return f'<openbadges:credential verify="{text}"/>'.encode()
    # "]]>" would end the CDATA section early; split it across two sections instead.
    cdata = "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return f"<openbadges:credential>{cdata}</openbadges:credential>".encode()


def bake_svg(svg: bytes | str, credential: dict[str, Any] | str) -> bytes:
    """The SVG with the credential baked in (OB 3.0 §5.3.2.1): `xmlns:openbadges` on the root
    and `<openbadges:credential>` as its first child; a dict as CDATA JSON, a str as a compact
    JWS in `verify`. A credential already present is replaced; all other bytes are kept.

    The document is edited as text at offsets expat reports: re-serialising a parsed tree would
    rename namespace prefixes and drop the DOCTYPE and comments of the artwork.
    """
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    text, is_jwt = _payload_text(credential)
    _parse_svg(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BakingError.of(
            "baked.unsupported_svg", detail_fr="encodage UTF-16", detail_en="UTF-16 encoding"
        )
    layout = _svg_layout(data)
    if layout.encoding is not None and layout.encoding.lower() not in ("utf-8", "utf8"):
        raise BakingError.of(
            "baked.unsupported_svg",
            detail_fr="encodage autre qu'UTF-8",
            detail_en="encoding other than UTF-8",
        )
    if layout.root_prefix_binding not in (None, OB_SVG_NAMESPACE):
        raise BakingError.of(
            "baked.unsupported_svg",
            detail_fr="le préfixe « openbadges » y désigne un autre espace de noms",
            detail_en="the 'openbadges' prefix is bound to another namespace",
        )

    root_start = layout.root_start
    root_end = _tag_end(data, root_start)
    name_end = root_start + 1
    while data[name_end : name_end + 1] not in (b"", b" ", b"\t", b"\r", b"\n", b"/", b">"):
        name_end += 1
    root_name = data[root_start + 1 : name_end]
    declaration = b""
    if layout.root_prefix_binding is None:
        declaration = f' xmlns:openbadges="{OB_SVG_NAMESPACE}"'.encode()
    element = _credential_element(text, is_jwt)

    if data[root_end - 2 : root_end] == b"/>":  # <svg .../>: no children, nothing to replace
        opened = data[name_end : root_end - 2] + b">"
        tail = b"</" + root_name + b">" + data[root_end:]
    else:
        opened = data[name_end:root_end]
        kept, position = [], root_end
        for start, end_event in zip(
            layout.credential_starts, layout.credential_end_events, strict=True
        ):
            kept.append(data[position:start])
            position = _element_end(data, start, end_event)
        kept.append(data[position:])
        tail = b"".join(kept)
    baked = data[:name_end] + declaration + opened + element + tail
    # Text surgery on markup is where a mistake would hide: read the result back the way a
    # verifier will before handing it out.
    if extract_from_svg(baked).payload != text:
        raise _corrupt(
            "le badge intégré ne se relit pas", "the baked credential does not read back"
        )
    return baked


# --- Open Badges 2.0 images (read only) ----------------------------------------------------
# OB 2.0 Baking: a PNG `iTXt` chunk with keyword `openbadges`, or an SVG
# `<openbadges:assertion>` element (namespace http://openbadges.org) holding the assertion JSON
# as text, or a signed assertion (compact JWS) or hosted assertion URL in its `verify`
# attribute. Read with the same refusals as OB 3.0 (one payload, nothing inflated).

OB2_PNG_KEYWORD = b"openbadges"
OB2_SVG_NAMESPACE = "http://openbadges.org"
_OB2_ASSERTION_TAG = f"{{{OB2_SVG_NAMESPACE}}}assertion"


def _ob2_chunk_text(chunk: _PngChunk) -> str:
    """An `openbadges` chunk's text: uncompressed iTXt, or tEXt as older bakers wrote it."""
    if chunk.type == b"tEXt":
        text = chunk.data[len(OB2_PNG_KEYWORD) + 1 :]
        if len(text) > MAX_PAYLOAD_BYTES:
            raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
        return text.decode("latin-1")  # PNG §11.3.4.3: tEXt is Latin-1
    if chunk.type == b"zTXt":
        raise BakingError.of("baked.compressed_chunk")
    renamed = _PngChunk(chunk.type, PNG_KEYWORD + chunk.data[len(OB2_PNG_KEYWORD) :], chunk.raw)
    return _credential_chunk_text(renamed)


def _same_hosted_assertion(url: str, text: str) -> bool:
    """A hosted assertion's element may carry both its URL (`verify`) and its JSON: one
    reading only if the JSON is the assertion at that URL."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and parsed.get("id") == url


def extract_ob2_payload(data: bytes) -> BakedCredential | None:
    """The Open Badges 2.0 payload baked in a PNG or SVG (assertion JSON, compact JWS or URL,
    as text), or None when the image carries no OB 2.0 payload. Two payloads are refused."""
    if data.startswith(_PNG_SIGNATURE):
        found = [chunk for chunk in _read_png_chunks(data)
                 if _text_chunk_keyword(chunk) == OB2_PNG_KEYWORD]
        texts = [_ob2_chunk_text(chunk).strip() for chunk in found]
        image_format: Literal["png", "svg"] = "png"
    elif _looks_like_markup(data):
        if OB2_SVG_NAMESPACE.encode() not in data:
            return None
        elements = list(_parse_svg(data).iter(_OB2_ASSERTION_TAG))
        texts = []
        for element in elements:
            verify, text = (element.get("verify") or "").strip(), (element.text or "").strip()
            if len(element) or (verify and text and not _same_hosted_assertion(verify, text)):
                raise BakingError.of("baked.multiple_credentials")
            texts.append(text or verify)
        image_format = "svg"
    else:
        return None
    if not texts:
        return None
    if len(texts) > 1:
        raise BakingError.of("baked.multiple_credentials")
    if len(texts[0].encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
    return BakedCredential(image_format, texts[0], is_jwt=bool(_COMPACT_JWS.fullmatch(texts[0])))


# --- either format --------------------------------------------------------------------------


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(b"<")


def looks_like_image(data: bytes) -> bool:
    """Whether an upload is an image (PNG signature, or XML/SVG markup) rather than credential
    text: a JSON credential starts with `{` and a compact JWT with base64url."""
    return data.startswith(_PNG_SIGNATURE) or _looks_like_markup(data)


def extract_baked_credential(data: bytes) -> BakedCredential:
    """The credential baked in a PNG or SVG image, whichever `data` is."""
    if data.startswith(_PNG_SIGNATURE):
        return extract_from_png(data)
    if _looks_like_markup(data):
        return extract_from_svg(data)
    raise BakingError.of("baked.not_an_image")
