"""Badge pages are hidden from search engines unless the recipient asked to be found."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.web import create_app


def _client_and_badge(tmp_path: Path, *, indexable: bool) -> tuple[TestClient, str]:
    service = IssuerService(Settings.load(home=tmp_path, base_url="https://badges.example.org"))
    service.init()
    issued = service.issue(IssueRequest("mediateur-numerique", "alex@example.org", "Alex"))
    with service.database.session() as session:
        recipient = session.get(rows.IssuedCredential, issued.credential_id).recipient  # type: ignore[union-attr]
        recipient.indexable = indexable
    return TestClient(create_app(service.settings, service)), issued.credential_id


def test_badge_page_is_noindex_by_default(tmp_path: Path) -> None:
    client, credential_id = _client_and_badge(tmp_path, indexable=False)
    page = client.get(f"/credentials/{credential_id}")
    assert page.headers["x-robots-tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in page.text


def test_badge_page_is_indexable_when_the_recipient_opted_in(tmp_path: Path) -> None:
    client, credential_id = _client_and_badge(tmp_path, indexable=True)
    page = client.get(f"/credentials/{credential_id}")
    assert "x-robots-tag" not in page.headers
    assert 'content="noindex"' not in page.text

