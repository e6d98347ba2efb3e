"""Baked badges (OB 3.0 §5.3): the official validator's samples, bake/extract round trips, and
the hostile images a public verification page must refuse (VERIFICATION.md R15, R17)."""

from __future__ import annotations

import base64
import io
import json
import random
import struct
import zlib
from pathlib import Path

import defusedxml.ElementTree as defused_xml
import pytest
from PIL import Image, PngImagePlugin

from issuer.errors import InvalidInput
from issuer.openbadges.baked.payloads import (
    MAX_IMAGE_BYTES,
    MAX_PAYLOAD_BYTES,
    BakedCredential,
    BakingError,
)
from issuer.openbadges.baking import (
    bake_png,
    bake_svg,
    extract_baked_credential,
    extract_from_png,
    extract_from_svg,
    looks_like_image,
)

VALIDATOR = Path(__file__).parent / "fixtures" / "validator"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def sample(name: str) -> bytes:
    return (VALIDATOR / name).read_bytes()


def roubaix_credential(name: str = "Membre du Conseil local du numérique") -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f0c6a6e-4a2b-4d53-9d0e-6f5d3c1b7a10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:badges.ville-roubaix.fr", "type": ["Profile"],
                   "name": "Ville de Roubaix"},
        "validFrom": "2025-06-13T00:00:00Z",
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.ville-roubaix.fr/achievements/membre-cln",
                "type": ["Achievement"],
                "name": name,
                "criteria": {"narrative": "Désigné·e par tirage au sort le 13 juin 2025."},
            },
        },
    }


def jwt_sample() -> str:
    return sample("simple.jwt").decode().strip()


# --- small PNG toolkit, independent of the code under test ---------------------------------


def png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(
        ">I", zlib.crc32(chunk_type + data)
    )


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, whole chunk bytes) for every chunk."""
    chunks, position = [], 8
    while position < len(png):
        (length,) = struct.unpack_from(">I", png, position)
        chunks.append((png[position + 4 : position + 8], png[position : position + 12 + length]))
        position += 12 + length
    return chunks


def insert_before_iend(png: bytes, chunk: bytes) -> bytes:
    return png[:-12] + chunk + png[-12:]


def itxt(keyword: bytes, text: bytes, compressed: bool = False) -> bytes:
    flag = b"\x01" if compressed else b"\x00"
    return png_chunk(b"iTXt", keyword + b"\x00" + flag + b"\x00" + b"\x00" + b"\x00" + text)


def artwork_png() -> bytes:
    """A small PNG as a designer would hand it over, with its own text metadata."""
    image = Image.new("RGBA", (6, 4))
    image.putdata([(x * 40, y * 60, 200, 255 - x) for y in range(4) for x in range(6)])
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Service Participation citoyenne")
    info.add_itxt("Description", "Badge « Membre du CLN »", zip=False)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


ARTWORK_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- Badge CLN, Ville de Roubaix -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 512 512" data-note="a > in a value">
  <title>Membre du Conseil local du numérique</title>
  <circle cx="256" cy="256" r="240" fill="#0b5fa5"/>
</svg>
"""


def refusal(call, *args) -> str:
    with pytest.raises(BakingError) as caught:
        call(*args)
    assert caught.value.message_fr and caught.value.message_en
    return caught.value.code


# --- the official validator's samples ------------------------------------------------------


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_validator_json_samples_yield_an_open_badge_credential(name: str) -> None:
    baked = extract_baked_credential(sample(name))

    assert baked.image_format == name.rsplit(".", 1)[1]
    assert not baked.is_jwt
    credential = json.loads(baked.payload)
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


@pytest.mark.parametrize(
    "name", ["simple-jwt.png", "simple-jwt.svg", "simple-jwt_v1.png", "simple-jwt_v1.svg"]
)
def test_validator_jwt_samples_yield_a_compact_jws(name: str) -> None:
    baked = extract_baked_credential(sample(name))

    assert baked.is_jwt
    header, payload, signature = baked.payload.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==="))["alg"] == "RS256"
    claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    types = claims.get("vc", claims)["type"]
    assert "OpenBadgeCredential" in types
    assert signature


# --- PNG baking ------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [roubaix_credential(), jwt_sample()], ids=["json", "jwt"])
def test_png_bake_then_extract_round_trips(credential: dict | str) -> None:
    baked = extract_from_png(bake_png(artwork_png(), credential))

    assert baked.image_format == "png"
    if isinstance(credential, str):
        assert baked == BakedCredential("png", credential, is_jwt=True)
    else:
        assert not baked.is_jwt
        assert json.loads(baked.payload) == credential


def test_baked_png_keeps_pixels_and_every_original_chunk_byte_identical() -> None:
    original = artwork_png()
    baked = bake_png(original, roubaix_credential())

    original_chunks = png_chunks(original)
    baked_chunks = png_chunks(baked)
    added = [chunk for chunk in baked_chunks if chunk not in original_chunks]
    assert [chunk for chunk in baked_chunks if chunk in original_chunks] == original_chunks
    assert [chunk_type for chunk_type, _ in added] == [b"iTXt"]
    assert baked_chunks[-1][0] == b"IEND"
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(baked)) as after:
        assert (after.mode, after.size) == (before.mode, before.size)
        assert after.tobytes() == before.tobytes()
        # Pillow, an independent reader that checks CRCs, sees the uncompressed chunk too.
        assert json.loads(after.text["openbadgecredential"]) == roubaix_credential()


def test_baked_png_chunk_is_uncompressed_itxt_with_empty_language_fields() -> None:
    baked = bake_png(artwork_png(), jwt_sample())

    chunk = next(c for t, c in png_chunks(baked) if c[8:].startswith(b"openbadgecredential"))
    assert chunk[8:8 + 24] == b"openbadgecredential\x00\x00\x00\x00\x00"
    assert chunk[8 + 24 : -4].decode() == jwt_sample()


def test_rebaking_a_png_replaces_the_credential() -> None:
    once = bake_png(sample("simple-json.png"), roubaix_credential("Premier"))
    twice = bake_png(once, roubaix_credential("Second"))

    def credential_chunks(png: bytes) -> list[bytes]:
        return [c for _, c in png_chunks(png) if c[8:].startswith(b"openbadgecredential\x00")]

    def other_chunks(png: bytes) -> list[bytes]:
        return [c for _, c in png_chunks(png) if c not in credential_chunks(png)]

    assert len(credential_chunks(twice)) == 1
    assert json.loads(extract_from_png(twice).payload)["name"] == "Second"
    assert other_chunks(twice) == other_chunks(once) == other_chunks(sample("simple-json.png"))


def test_baking_png_refuses_text_that_is_not_a_compact_jwt() -> None:
    assert refusal(bake_png, artwork_png(), '{"a": 1}') == "baked.bad_payload"


def test_baking_png_refuses_a_credential_over_the_payload_cap() -> None:
    credential = roubaix_credential("x" * MAX_PAYLOAD_BYTES)
    assert refusal(bake_png, artwork_png(), credential) == "baked.too_large"


# --- SVG baking ------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [roubaix_credential(), jwt_sample()], ids=["json", "jwt"])
def test_svg_bake_then_extract_round_trips(credential: dict | str) -> None:
    baked = extract_from_svg(bake_svg(ARTWORK_SVG, credential))

    assert baked.image_format == "svg"
    if isinstance(credential, str):
        assert baked == BakedCredential("svg", credential, is_jwt=True)
    else:
        assert json.loads(baked.payload) == credential


def test_baked_svg_has_namespace_and_credential_as_first_child() -> None:
    root = defused_xml.fromstring(bake_svg(ARTWORK_SVG, jwt_sample()))

    assert root[0].tag == f"{{{OB_NAMESPACE}}}credential"
    assert root[0].get("verify") == jwt_sample()
    assert not (root[0].text or "").strip()
    assert root[1].tag == f"{{{SVG_NAMESPACE}}}title"


def test_baked_svg_keeps_the_artwork_bytes() -> None:
    baked = bake_svg(ARTWORK_SVG.encode(), roubaix_credential()).decode()

    start = baked.index("<openbadges:credential>")
    end = baked.index("</openbadges:credential>") + len("</openbadges:credential>")
    without_credential = baked[:start] + baked[end:]
    declaration = f' xmlns:openbadges="{OB_NAMESPACE}"'
    assert without_credential.replace(declaration, "", 1) == ARTWORK_SVG
    assert baked.index(declaration) < baked.index("<svg") + len("<svg") + 1


def test_json_containing_cdata_terminator_round_trips_in_svg() -> None:
    credential = roubaix_credential("Atelier ]]> <script>alert(1)</script> & « FALC »")

    baked = bake_svg(ARTWORK_SVG, credential)

    assert json.loads(extract_from_svg(baked).payload) == credential


def test_rebaking_an_svg_replaces_the_credential() -> None:
    jwt_svg = bake_svg(sample("simple-json.svg"), jwt_sample())
    json_svg = bake_svg(jwt_svg, roubaix_credential())

    assert json_svg.count(b"<openbadges:credential") == 1
    assert json_svg.count(b"xmlns:openbadges=") == 1
    assert json.loads(extract_from_svg(json_svg).payload) == roubaix_credential()


def test_self_closing_svg_root_can_be_baked() -> None:
    baked = bake_svg(f'<svg xmlns="{SVG_NAMESPACE}" width="10"/>', jwt_sample())

    assert extract_from_svg(baked).payload == jwt_sample()
    assert baked.endswith(b"</svg>")


def test_baking_svg_refuses_a_foreign_openbadges_prefix() -> None:
    svg = f'<svg xmlns="{SVG_NAMESPACE}" xmlns:openbadges="http://openbadges.org"/>'
    assert refusal(bake_svg, svg, jwt_sample()) == "baked.unsupported_svg"


def test_baking_svg_refuses_a_non_utf8_document() -> None:
    svg = f'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="{SVG_NAMESPACE}"/>'.encode()
    assert refusal(bake_svg, svg, roubaix_credential()) == "baked.unsupported_svg"


# --- hostile PNGs ----------------------------------------------------------------------------


def test_png_with_two_credential_chunks_is_refused() -> None:
    png = insert_before_iend(sample("simple-jwt.png"), itxt(b"openbadgecredential", b"a.b.c"))
    assert refusal(extract_from_png, png) == "baked.multiple_credentials"


def test_png_with_a_compressed_credential_chunk_is_refused() -> None:
    text = zlib.compress(json.dumps(roubaix_credential()).encode())
    png = insert_before_iend(artwork_png(), itxt(b"openbadgecredential", text, compressed=True))
    assert refusal(extract_from_png, png) == "baked.compressed_chunk"


def test_png_with_a_ztxt_credential_chunk_is_refused() -> None:
    data = b"openbadgecredential\x00\x00" + zlib.compress(b"a.b.c")
    png = insert_before_iend(artwork_png(), png_chunk(b"zTXt", data))
    assert refusal(extract_from_png, png) == "baked.compressed_chunk"


def test_png_with_a_text_credential_chunk_is_refused() -> None:
    png = insert_before_iend(artwork_png(), png_chunk(b"tEXt", b"openbadgecredential\x00a.b.c"))
    assert refusal(extract_from_png, png) == "baked.wrong_chunk_type"


def test_png_without_a_credential_reports_none() -> None:
    assert refusal(extract_baked_credential, artwork_png()) == "baked.no_credential"


def test_tampered_png_chunk_is_refused() -> None:
    png = bytearray(sample("simple-json.png"))
    position = bytes(png).index(b"openbadgecredential") + 100
    png[position] ^= 0x01
    assert refusal(extract_from_png, bytes(png)) == "baked.corrupt"


@pytest.mark.parametrize("keep", [5000, -20, -1, 9])
def test_truncated_png_is_refused(keep: int) -> None:
    assert refusal(extract_from_png, sample("simple-json.png")[:keep]) == "baked.corrupt"


def test_png_with_data_after_iend_is_refused() -> None:
    png = sample("simple-json.png") + itxt(b"openbadgecredential", b"a.b.c")
    assert refusal(extract_from_png, png) == "baked.corrupt"


@pytest.mark.parametrize("declared", [0x7FFFFFFF, 0xFFFFFFF0])
def test_png_with_a_huge_declared_chunk_length_is_refused(declared: int) -> None:
    png = artwork_png()
    ihdr_end = 8 + 25
    hostile = png[:ihdr_end] + struct.pack(">I", declared) + b"iTXt" + b"openbadgecredential"
    assert refusal(extract_from_png, hostile) == "baked.corrupt"


def test_png_with_a_payload_over_the_cap_is_refused() -> None:
    text = b"{" + b" " * MAX_PAYLOAD_BYTES + b"}"
    png = insert_before_iend(artwork_png(), itxt(b"openbadgecredential", text))
    assert refusal(extract_from_png, png) == "baked.too_large"


def test_image_over_the_size_cap_is_refused_before_parsing() -> None:
    png = artwork_png() + b"\x00" * MAX_IMAGE_BYTES
    assert refusal(extract_baked_credential, png) == "baked.too_large"


def test_png_credential_that_is_neither_json_nor_jwt_is_refused() -> None:
    png = insert_before_iend(artwork_png(), itxt(b"openbadgecredential", b"not a credential"))
    assert refusal(extract_from_png, png) == "baked.bad_payload"


def test_random_bytes_are_not_an_image() -> None:
    noise = random.Random(15).randbytes(4096).lstrip(b"\x89< \t\r\n\xef")
    assert refusal(extract_baked_credential, noise) == "baked.not_an_image"
    assert refusal(extract_from_png, noise) == "baked.not_an_image"
    assert not looks_like_image(noise)


# --- hostile SVGs ----------------------------------------------------------------------------

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="{SVG_NAMESPACE}" xmlns:openbadges="{OB_NAMESPACE}">
  <openbadges:credential><![CDATA[{{"name": "&lol3;"}}]]></openbadges:credential>
  <text>&lol3;</text>
</svg>""".encode()

EXTERNAL_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="{SVG_NAMESPACE}" xmlns:openbadges="{OB_NAMESPACE}">
  <openbadges:credential verify="a.b.c"/><text>&secret;</text>
</svg>""".encode()


@pytest.mark.parametrize("svg", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_svg_declaring_entities_is_refused(svg: bytes) -> None:
    assert refusal(extract_baked_credential, svg) == "baked.unsafe_svg"
    assert refusal(bake_svg, svg, jwt_sample()) == "baked.unsafe_svg"


def test_svg_with_two_credential_elements_is_refused() -> None:
    svg = sample("simple-jwt.svg").replace(
        b"<g>", b'<g><openbadges:credential verify="a.b.c"></openbadges:credential>', 1
    )
    assert refusal(extract_from_svg, svg) == "baked.multiple_credentials"


def test_svg_credential_with_both_jwt_and_json_is_refused() -> None:
    svg = (
        f'<svg xmlns="{SVG_NAMESPACE}" xmlns:openbadges="{OB_NAMESPACE}">'
        '<openbadges:credential verify="a.b.c"><![CDATA[{"a": 1}]]></openbadges:credential></svg>'
    )
    assert refusal(extract_from_svg, svg.encode()) == "baked.multiple_credentials"


def test_malformed_svg_is_refused() -> None:
    svg = sample("simple-json.svg")[:2000]
    assert refusal(extract_baked_credential, svg) == "baked.corrupt"


def test_xml_that_is_not_svg_is_not_an_image() -> None:
    assert refusal(extract_from_svg, b"<html><body/></html>") == "baked.not_an_image"


def test_svg_without_a_credential_reports_none() -> None:
    assert refusal(extract_from_svg, ARTWORK_SVG.encode()) == "baked.no_credential"


def test_svg_credential_with_unreadable_json_is_refused() -> None:
    svg = (
        f'<svg xmlns="{SVG_NAMESPACE}" xmlns:openbadges="{OB_NAMESPACE}">'
        "<openbadges:credential><![CDATA[{not json]]></openbadges:credential></svg>"
    )
    assert refusal(extract_from_svg, svg.encode()) == "baked.bad_payload"


# --- sniffing --------------------------------------------------------------------------------


def test_looks_like_image_tells_images_from_credential_text() -> None:
    assert looks_like_image(sample("simple-json.png"))
    assert looks_like_image(sample("simple-jwt.svg"))
    assert looks_like_image(b"\xef\xbb\xbf\n  <svg/>")
    assert not looks_like_image(sample("simple.json"))
    assert not looks_like_image(sample("simple.jwt"))


def test_baking_error_is_an_invalid_input_with_a_stable_code() -> None:
    with pytest.raises(InvalidInput) as caught:
        extract_baked_credential(b"")
    assert caught.value.code == "baked.not_an_image"
    assert caught.value.message("en") != caught.value.message("fr")
