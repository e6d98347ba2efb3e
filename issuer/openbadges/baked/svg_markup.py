"""SVG documents parsed safely (defusedxml: no entities, no external references) and the byte
offsets baking edits around (expat), with the `<openbadges:credential>` element to insert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from issuer.openbadges.baked.payloads import BakingError, check_image_size, corrupt

OB_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"  # OB 3.0 §5.3.2.1

_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
CREDENTIAL_TAG = f"{{{OB_SVG_NAMESPACE}}}credential"


def parse_svg(data: bytes) -> Any:
    """The root element, parsed by defusedxml: entity declarations and external references are
    refused (billion laughs, XXE; VERIFICATION.md R17). A DOCTYPE naming the SVG 1.1 DTD is allowed
    (the official samples carry one); expat never fetches it."""
    check_image_size(data)
    try:
        root = safe_xml.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise BakingError.of("baked.unsafe_svg") from exc
    except ParseError as exc:
        raise corrupt("XML mal formé", "malformed XML") from exc
    if root.tag not in (f"{{{_SVG_NAMESPACE}}}svg", "svg"):
        raise BakingError.of("baked.not_an_image")
    return root


@dataclass
class SvgLayout:
    """Byte offsets in an SVG document that baking edits around."""

    root_start: int = -1
    root_prefix_binding: str | None = None
    """The namespace the root binds to the `openbadges` prefix, if it declares one."""
    encoding: str | None = None
    credential_starts: list[int] = field(default_factory=list)
    credential_end_events: list[int] = field(default_factory=list)


def tag_end(data: bytes, start: int) -> int:
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
    raise corrupt("balise non fermée", "unclosed tag")


def svg_layout(data: bytes) -> SvgLayout:
    """Where the root tag and existing credential elements are. Run only on a document that
    `parse_svg` accepted, so it has no entity declarations for expat to expand."""
    layout = SvgLayout()
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
        raise corrupt("XML mal formé", "malformed XML") from exc
    return layout


def element_end(data: bytes, start: int, end_event: int) -> int:
    """Offset just past an element: its own tag if empty (`<x/>`), else its end tag."""
    start_tag_end = tag_end(data, start)
    if data[start_tag_end - 2 : start_tag_end] == b"/>":
        return start_tag_end
    return tag_end(data, end_event)


def credential_element(text: str, is_jwt: bool) -> bytes:
    if is_jwt:
        # A compact JWS is base64url and dots: nothing to escape in an attribute.
        return f'<openbadges:credential verify="{text}"/>'.encode()
    # "]]>" would end the CDATA section early; split it across two sections instead.
    cdata = "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return f"<openbadges:credential>{cdata}</openbadges:credential>".encode()
