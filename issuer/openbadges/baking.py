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
from typing import Any, Literal

from issuer.openbadges.baked.payloads import (
    COMPACT_JWS,
    MAX_PAYLOAD_BYTES,
    BakedCredential,
    BakingError,
    check_json_payload,
    corrupt,
    payload_text,
    read_payload,
)
from issuer.openbadges.baked.png_chunks import (
    PNG_KEYWORD,
    PNG_SIGNATURE,
    PngChunk,
    credential_chunk_text,
    credential_itxt_chunk,
    is_credential_chunk,
    read_png_chunks,
    text_chunk_keyword,
)
from issuer.openbadges.baked.svg_markup import (
    CREDENTIAL_TAG,
    OB_SVG_NAMESPACE,
    credential_element,
    element_end,
    parse_svg,
    svg_layout,
    tag_end,
)


def bake_png(image: bytes, credential: dict[str, Any] | str) -> bytes:
    """The PNG with the credential baked in: a dict as JSON, a str as a compact JWS (VC-JWT).

    Every other chunk is copied byte for byte. A credential already in the image is replaced
    (OB 3.0 §5.3.1.1 leaves replace-or-refuse to the implementer), so there is only ever one.
    """
    text, _ = payload_text(credential)
    chunks = [chunk for chunk in read_png_chunks(image) if not is_credential_chunk(chunk)]
    # Placed just before IEND, as in the official validator's samples; the spec allows any
    # position and readers scan the whole stream.
    body = b"".join(chunk.raw for chunk in chunks[:-1])
    return PNG_SIGNATURE + body + credential_itxt_chunk(text) + chunks[-1].raw


def extract_from_png(data: bytes) -> BakedCredential:
    """The credential baked in a PNG; refuses zero or several, compressed, or damaged ones."""
    found = [chunk for chunk in read_png_chunks(data) if is_credential_chunk(chunk)]
    texts = [credential_chunk_text(chunk) for chunk in found]
    if not texts:
        raise BakingError.of("baked.no_credential")
    if len(texts) > 1:  # OB 3.0 §5.3.1.1: MUST NOT appear more than once (VERIFICATION.md R15)
        raise BakingError.of("baked.multiple_credentials")
    return read_payload(texts[0], "png")


# --- SVG ------------------------------------------------------------------------------------


def extract_from_svg(data: bytes) -> BakedCredential:
    """The credential baked in an SVG: the `verify` attribute of `<openbadges:credential>` for a
    VC-JWT, its CDATA text for JSON (OB 3.0 §5.3.2). Several credential elements are refused."""
    elements = list(parse_svg(data).iter(CREDENTIAL_TAG))
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
        if not COMPACT_JWS.fullmatch(payload):
            raise BakingError.of("baked.bad_payload")
        return BakedCredential("svg", payload, is_jwt=True)
    check_json_payload(payload)
    return BakedCredential("svg", payload, is_jwt=False)


def bake_svg(svg: bytes | str, credential: dict[str, Any] | str) -> bytes:
    """The SVG with the credential baked in (OB 3.0 §5.3.2.1): `xmlns:openbadges` on the root
    and `<openbadges:credential>` as its first child; a dict as CDATA JSON, a str as a compact
    JWS in `verify`. A credential already present is replaced; all other bytes are kept.

    The document is edited as text at offsets expat reports: re-serialising a parsed tree would
    rename namespace prefixes and drop the DOCTYPE and comments of the artwork.
    """
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    text, is_jwt = payload_text(credential)
    parse_svg(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BakingError.of(
            "baked.unsupported_svg", detail_fr="encodage UTF-16", detail_en="UTF-16 encoding"
        )
    layout = svg_layout(data)
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
    root_end = tag_end(data, root_start)
    name_end = root_start + 1
    while data[name_end : name_end + 1] not in (b"", b" ", b"\t", b"\r", b"\n", b"/", b">"):
        name_end += 1
    root_name = data[root_start + 1 : name_end]
    declaration = b""
    if layout.root_prefix_binding is None:
        declaration = f' xmlns:openbadges="{OB_SVG_NAMESPACE}"'.encode()
    element = credential_element(text, is_jwt)

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
            position = element_end(data, start, end_event)
        kept.append(data[position:])
        tail = b"".join(kept)
    baked = data[:name_end] + declaration + opened + element + tail
    # Text surgery on markup is where a mistake would hide: read the result back the way a
    # verifier will before handing it out.
    if extract_from_svg(baked).payload != text:
        raise corrupt(
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


def _ob2_chunk_text(chunk: PngChunk) -> str:
    """An `openbadges` chunk's text: uncompressed iTXt, or tEXt as older bakers wrote it."""
    if chunk.type == b"tEXt":
        text = chunk.data[len(OB2_PNG_KEYWORD) + 1 :]
        if len(text) > MAX_PAYLOAD_BYTES:
            raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
        return text.decode("latin-1")  # PNG §11.3.4.3: tEXt is Latin-1
    if chunk.type == b"zTXt":
        raise BakingError.of("baked.compressed_chunk")
    renamed = PngChunk(chunk.type, PNG_KEYWORD + chunk.data[len(OB2_PNG_KEYWORD) :], chunk.raw)
    return credential_chunk_text(renamed)


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
    if data.startswith(PNG_SIGNATURE):
        found = [chunk for chunk in read_png_chunks(data)
                 if text_chunk_keyword(chunk) == OB2_PNG_KEYWORD]
        texts = [_ob2_chunk_text(chunk).strip() for chunk in found]
        image_format: Literal["png", "svg"] = "png"
    elif _looks_like_markup(data):
        if OB2_SVG_NAMESPACE.encode() not in data:
            return None
        elements = list(parse_svg(data).iter(_OB2_ASSERTION_TAG))
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
    return BakedCredential(image_format, texts[0], is_jwt=bool(COMPACT_JWS.fullmatch(texts[0])))


# --- either format --------------------------------------------------------------------------


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(b"<")


def looks_like_image(data: bytes) -> bool:
    """Whether an upload is an image (PNG signature, or XML/SVG markup) rather than credential
    text: a JSON credential starts with `{` and a compact JWT with base64url."""
    return data.startswith(PNG_SIGNATURE) or _looks_like_markup(data)


def extract_baked_credential(data: bytes) -> BakedCredential:
    """The credential baked in a PNG or SVG image, whichever `data` is."""
    if data.startswith(PNG_SIGNATURE):
        return extract_from_png(data)
    if _looks_like_markup(data):
        return extract_from_svg(data)
    raise BakingError.of("baked.not_an_image")
