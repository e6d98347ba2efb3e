"""QR codes as SVG (the `qrcode` package): the address of a badge page, printed on the
attestation or shown on a phone so that an employer can scan it and check the badge.

SVG scales to any print size without blur. The image has a white background and the standard
4-module quiet zone, so scanners read it on any page colour; error correction level M (15 %)
tolerates a creased or slightly dirty printout.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as safe_xml
import qrcode
import qrcode.constants
import qrcode.image.svg

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def qr_svg(data: str, *, title: str | None = None) -> bytes:
    """An SVG document (UTF-8) with the QR code of `data`; `title` becomes the SVG's <title>
    (its accessible name when the file is opened on its own)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    svg = bytes(image.to_string(encoding="UTF-8"))
    if title is None:
        return svg
    # Built with ElementTree, not string concatenation, so the title is always escaped.
    ET.register_namespace("", SVG_NAMESPACE)
    root = safe_xml.fromstring(svg)  # our own output, but parsed the one way the project does
    element = ET.Element(f"{{{SVG_NAMESPACE}}}title")
    element.text = title
    root.insert(0, element)
    root.set("role", "img")
    return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))
