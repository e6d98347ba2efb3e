"""The printable attestation of a badge: an A4 PDF (WeasyPrint) for people who show their badge
on paper, e.g. to an employer, with the address of the badge page and its QR code so the reader
can check it is still valid.

The HTML comes from `templates/attestation.html`, rendered by the caller in the reader's
language. Rendering is offline: WeasyPrint may read `data:` URIs only (the artwork and the QR
code are passed inline), never a file or a network address, so nothing a credential says can
make the server fetch anything (VERIFICATION.md R17).
"""

from __future__ import annotations

import base64

from weasyprint import HTML
from weasyprint.urls import URLFetcher  # WeasyPrint >= 68 (CVE-2025-68616 fixed there)


def data_uri(content: bytes, media_type: str) -> str:
    """`content` as a `data:` URI, to embed an image in the attestation's HTML."""
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def render_attestation_pdf(html: str) -> bytes:
    """The PDF of an attestation page (A4 size and margins come from the template's CSS)."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
