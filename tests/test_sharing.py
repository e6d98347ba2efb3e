"""LinkedIn "Add to profile" and share links: plain URLs whose parameters read back exactly."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

from issuer.presentation.sharing import (
    linkedin_add_to_profile_url,
    linkedin_issue_date,
    share_links,
)

PAGE = "https://badges.example.org/credentials/5008f61b-34a0-4f17-bd7a-30f4af872ff1"
# Characters that break a naively built query string: &, =, #, +, %, quotes, non-ASCII.
TRICKY_NAME = "Petit-déjeuner nº 7 — « A&B = C » #1 + 100 % l'inclusion"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, strict_parsing=True, keep_blank_values=True)


def test_add_to_profile_parameters_read_back_exactly() -> None:
    url = linkedin_add_to_profile_url(name=TRICKY_NAME, organization_name="Ville de Roubaix",
                                      issued=date(2025, 6, 13), expires=date(2027, 6, 12),
                                      cert_url=PAGE, cert_id="5008f61b")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert _query(url) == {
        "startTask": ["CERTIFICATION_NAME"], "name": [TRICKY_NAME],
        "organizationName": ["Ville de Roubaix"], "issueYear": ["2025"], "issueMonth": ["6"],
        "expirationYear": ["2027"], "expirationMonth": ["6"], "certUrl": [PAGE],
        "certId": ["5008f61b"],
    }


def test_badge_without_end_date_sends_no_expiration() -> None:
    url = linkedin_add_to_profile_url(name="Médiatrice numérique", organization_name="Ville de Roubaix",
                                      issued=date(2024, 1, 31), expires=None, cert_url=PAGE,
                                      cert_id="x")
    query = _query(url)
    assert "expirationYear" not in query and "expirationMonth" not in query
    assert query["issueMonth"] == ["1"]  # months are 1-12, not JavaScript's 0-11


def test_spaces_are_encoded_as_percent_20_not_plus() -> None:
    # A "+" stays a literal plus in mailto: bodies and in some share pages.
    for link in share_links(page_url=PAGE, message="Mon badge", subject="Un sujet"):
        assert "+" not in link.url
        if link.network not in ("linkedin", "facebook"):  # those two take the address only
            assert "Mon%20badge" in link.url


def test_every_network_gets_the_page_address_and_the_message() -> None:
    message = "J'ai reçu le badge « Membre du CLN » (Ville de Roubaix)."
    links = {link.network: link for link in share_links(page_url=PAGE, message=message,
                                                        subject="Mon badge numérique")}
    assert set(links) == {"linkedin", "facebook", "x", "bluesky", "mastodon", "whatsapp", "email"}
    assert _query(links["linkedin"].url) == {"url": [PAGE]}
    assert urlsplit(links["linkedin"].url).netloc == "www.linkedin.com"
    assert _query(links["facebook"].url) == {"u": [PAGE]}
    assert _query(links["x"].url) == {"text": [message], "url": [PAGE]}
    for network, host in (("bluesky", "bsky.app"), ("mastodon", "share.joinmastodon.org"),
                          ("whatsapp", "wa.me")):
        assert urlsplit(links[network].url).netloc == host
        assert _query(links[network].url) == {"text": [f"{message} {PAGE}"]}
    email = links["email"].url
    assert email.startswith("mailto:?")
    assert _query(email) == {"subject": ["Mon badge numérique"], "body": [f"{message} {PAGE}"]}


def test_all_share_links_use_https_or_mailto() -> None:
    for link in share_links(page_url=PAGE, message="m", subject="s"):
        scheme = urlsplit(link.url).scheme
        assert scheme == ("mailto" if link.network == "email" else "https")
        assert unquote(link.url).count(PAGE) == 1


def test_the_citys_linkedin_page_replaces_the_name_when_it_is_set() -> None:
    url = linkedin_add_to_profile_url(name="Membre du CLN", organization_name="Ville de Roubaix",
                                      issued=date(2025, 6, 13), expires=None, cert_url=PAGE,
                                      cert_id="x", organization_id="2414183")
    query = _query(url)
    assert query["organizationId"] == ["2414183"] and "organizationName" not in query
    assert (query["issueYear"], query["issueMonth"]) == (["2025"], ["6"])


def test_the_issue_date_is_the_events_day_then_the_mandates_start_then_validity() -> None:
    # Petit-déjeuner nº 7 (11 October 2024), issued in 2026: LinkedIn says October 2024.
    event = {"validFrom": "2026-12-07T09:00:00Z", "credentialSubject": {
        "activityStartDate": "2024-10-11T00:00:00+02:00"}}
    assert linkedin_issue_date(event) == date(2024, 10, 11)
    # A mandate starting on 13 June 2025, midnight in Roubaix (22:00 the day before in UTC).
    mandate = {"validFrom": "2025-06-12T22:00:00Z", "credentialSubject": {
        "activityStartDate": "2025-06-12T22:00:00Z"}}
    assert linkedin_issue_date(mandate) == date(2025, 6, 13)
    skill = {"validFrom": "2026-01-31T23:30:00Z", "credentialSubject": {}}
    assert linkedin_issue_date(skill) == date(2026, 2, 1)  # City time
    assert linkedin_issue_date({"validFrom": "not a date", "credentialSubject": []}) is None
