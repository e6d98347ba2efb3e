"""The badge page is rendered once and reused while nothing it shows changed (issue #10, item 3;
`issuer.web.page_cache`): a revocation, a suspension, a key rotation or the recipient's consent
shows on the very next view, even when made by another process; each language has its own
page; a visitor's holder check is never kept nor shown to anyone else; the headers of a reused
page are those of a rendered one."""

from __future__ import annotations

import html
import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.db import SQLITE_POOL_SIZE, Database, sqlite_url
from issuer.web import create_app
from issuer.web.page_cache import PageCache, PageInputs
from issuer.web.views import credentials as credential_views
from tests.plugins.factory import IssuerHomes

BASE_URL = "https://badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
HOLDER = "camille.cache@example.org"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_recipients = itertools.count(1)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, issuer_homes: IssuerHomes) -> IssuerService:
    return issuer_homes.service(Settings(home=tmp_path_factory.mktemp("home"), base_url=BASE_URL,
                                         did_method="web", database_url=None, key_passphrase=None))


@pytest.fixture
def issued(service: IssuerService) -> IssuedBadge:
    """A new badge per test (a new recipient each time: issuing is idempotent), so that what
    one test revokes does not leak into the next."""
    return _issue(service, f"camille.cache.{next(_recipients)}@example.org")


def _issue(service: IssuerService, email: str) -> IssuedBadge:
    badge = service.issue(IssueRequest(badge_slug=BREAKFAST, email=email, name="Camille Cache",
                                       show_name=True, event_number=7, role="animateur"))
    assert badge.created
    return badge


@pytest.fixture
def app(service: IssuerService) -> FastAPI:
    return create_app(service.settings, service)


def cache_of(app: FastAPI) -> PageCache:
    cache: PageCache = app.state.page_cache
    return cache


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def view(client: TestClient, issued: IssuedBadge, language: str = "fr-FR,fr",
         **params: str) -> str:
    response = client.get(f"/credentials/{issued.credential_id}", params=params,
                          headers={"accept": BROWSER_ACCEPT, "accept-language": language})
    assert response.status_code == 200
    return response.text


def verdict(page: str) -> str:
    match = re.search(r'<section class="verdict (\w+)"', page)
    assert match, "no verdict on the page"
    return match.group(1)


def holder_answer(page: str) -> str | None:
    match = re.search(r'<p id="holder-answer"[^>]*>(.*?)</p>', page, re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) \
        if match else None


# --- the cache itself -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Inputs:
    version: int

    def same_as(self, other: PageInputs) -> bool:
        return isinstance(other, Inputs) and other.version == self.version


def test_a_page_is_served_only_for_the_inputs_it_was_rendered_from() -> None:
    cache = PageCache()
    cache.store("page", Inputs(1), b"<p>one</p>")
    assert cache.lookup("page", Inputs(1)) == b"<p>one</p>"
    assert cache.lookup("page", Inputs(2)) is None
    assert cache.lookup("other page", Inputs(1)) is None
    cache.store("page", Inputs(2), b"<p>two</p>")
    assert cache.lookup("page", Inputs(1)) is None
    assert cache.lookup("page", Inputs(2)) == b"<p>two</p>"
    assert (cache.hits, cache.misses) == (2, 3)


def test_the_cache_keeps_the_most_recently_used_pages_only() -> None:
    cache = PageCache(max_pages=2)
    cache.store("a", Inputs(1), b"a")
    cache.store("b", Inputs(1), b"b")
    assert cache.lookup("a", Inputs(1)) == b"a"  # "b" is now the least recently used
    cache.store("c", Inputs(1), b"c")
    assert len(cache) == 2
    assert cache.lookup("b", Inputs(1)) is None
    assert cache.lookup("a", Inputs(1)) == b"a" and cache.lookup("c", Inputs(1)) == b"c"
    with pytest.raises(ValueError, match="max_pages"):
        PageCache(max_pages=0)


# --- the badge page -------------------------------------------------------------------------------

def test_the_second_view_reuses_the_page_with_the_same_bytes_and_headers(
        app: FastAPI, client: TestClient, issued: IssuedBadge) -> None:
    path = f"/credentials/{issued.credential_id}"
    headers = {"accept": BROWSER_ACCEPT, "accept-language": "fr-FR,fr"}
    first = client.get(path, headers=headers)
    hits = cache_of(app).hits
    second = client.get(path, headers=headers)
    assert cache_of(app).hits == hits + 1
    assert second.status_code == first.status_code == 200
    assert verdict(second.text) == "valid"
    assert second.content == first.content or _same_but_for_the_minute(first.text, second.text)
    for name in ("content-type", "content-language", "cache-control", "vary",
                 "content-security-policy", "x-robots-tag", "x-frame-options",
                 "referrer-policy", "x-content-type-options"):
        assert second.headers.get(name) == first.headers.get(name), name
    assert second.headers["cache-control"] == "no-store"
    assert second.headers["content-length"] == str(len(second.content))


def _same_but_for_the_minute(first: str, second: str) -> bool:
    """The two views straddled a minute: only the "Checked on … at HH:MM" line differs."""
    when = re.compile(r'<p class="verdict-when">.*?</p>', re.DOTALL)
    return when.sub("", first) == when.sub("", second)


def test_a_revocation_shows_on_the_next_view(client: TestClient, service: IssuerService,
                                             issued: IssuedBadge) -> None:
    assert verdict(view(client, issued)) == "valid"
    assert verdict(view(client, issued)) == "valid"  # now from the cache
    service.revoke(issued.credential_id, "Test du cache de page")
    page = view(client, issued)
    assert verdict(page) == "invalid" and "Badge révoqué" in page
    assert "Révoqué le" in page


def test_a_change_made_by_another_process_shows_on_the_next_view(
        client: TestClient, service: IssuerService, issued: IssuedBadge) -> None:
    """`issuer suspend` in another process: another service on the same database and keys,
    with its own caches; this app's caches know nothing of it but the row."""
    view(client, issued)
    assert verdict(view(client, issued)) == "valid"
    other = IssuerService(service.settings)
    other.suspend(issued.credential_id, "Vérification en cours (autre processus)")
    page = view(client, issued)
    assert "Badge suspendu" in page and "Suspendu depuis le" in page
    other.unsuspend(issued.credential_id)
    page = view(client, issued)
    assert verdict(page) == "valid" and "Badge suspendu" not in page
    other.database.dispose()


def test_each_language_has_its_own_page(client: TestClient, issued: IssuedBadge) -> None:
    french = view(client, issued, "fr-FR,fr")
    english = view(client, issued, "en-GB,en")
    assert '<html lang="fr">' in french and "Badge authentique" in french
    assert '<html lang="en">' in english and "Authentic badge" in english
    # Both are now kept: each language still gets its own.
    assert '<html lang="fr">' in view(client, issued, "fr-FR,fr")
    assert '<html lang="en">' in view(client, issued, "en-GB,en")
    assert '<html lang="en">' in view(client, issued, "fr-FR,fr", lang="en")


def test_a_reused_page_still_sets_the_language_chosen_with_lang(
        client: TestClient, issued: IssuedBadge) -> None:
    path = f"/credentials/{issued.credential_id}"
    view(client, issued, "fr-FR,fr", lang="en")  # renders and keeps the English page
    fresh = TestClient(client.app, base_url=BASE_URL)
    switched = fresh.get(path, params={"lang": "en"}, headers={"accept": BROWSER_ACCEPT})
    assert "lang=en" in switched.headers["set-cookie"]
    assert switched.headers["content-language"] == "en"
    # The cookie alone then chooses English, from the page kept.
    again = fresh.get(path, headers={"accept": BROWSER_ACCEPT})
    assert '<html lang="en">' in again.text and "set-cookie" not in again.headers


def test_a_holder_check_answer_is_never_kept_nor_shown_to_another_visitor(
        app: FastAPI, client: TestClient, service: IssuerService) -> None:
    issued = _issue(service, HOLDER)
    path = f"/credentials/{issued.credential_id}"
    view(client, issued)  # the shared page is kept
    pages = len(cache_of(app))
    asked = client.post(path, data={"email": HOLDER}, headers={"accept-language": "fr"})
    assert asked.status_code == 200
    assert holder_answer(asked.text) == "Oui, ce badge a été délivré à cette adresse."
    assert len(cache_of(app)) == pages
    # Another visitor, and the same one coming back: the page without any answer.
    for visitor in (TestClient(app, base_url=BASE_URL), client):
        page = visitor.get(path, headers={"accept": BROWSER_ACCEPT, "accept-language": "fr"})
        assert holder_answer(page.text) is None
        assert HOLDER not in page.text and "Oui, ce badge" not in page.text
    # And a second question gets its own answer, not the page kept.
    other = client.post(path, data={"email": "quelquun@example.org"})
    assert holder_answer(other.text) == "Non, ce badge n'a pas été délivré à cette adresse."


def test_the_recipients_consent_to_indexing_shows_on_the_next_view(
        client: TestClient, service: IssuerService, issued: IssuedBadge) -> None:
    path = f"/credentials/{issued.credential_id}"
    assert client.get(path).headers["x-robots-tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in view(client, issued)
    with service.database.session() as session:
        row = session.get(rows.IssuedCredential, issued.credential_id)
        assert row is not None
        row.recipient.indexable = True
    response = client.get(path)
    assert "x-robots-tag" not in response.headers
    assert 'content="noindex"' not in response.text


def test_a_new_minute_is_a_new_page(monkeypatch: pytest.MonkeyPatch, client: TestClient,
                                    issued: IssuedBadge) -> None:
    """The page says when it was checked (hour and minute): a page is reused within its
    minute only."""
    moments = iter([datetime(2030, 3, 4, 9, 15, 10, tzinfo=UTC),
                    datetime(2030, 3, 4, 9, 15, 50, tzinfo=UTC),
                    datetime(2030, 3, 4, 9, 16, 5, tzinfo=UTC)])

    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return next(moments)

    monkeypatch.setattr(credential_views, "datetime", Clock)
    checked = re.compile(r'<p class="verdict-when">(.*?)</p>', re.DOTALL)

    def when() -> str:
        match = checked.search(view(client, issued))
        assert match
        return match.group(1)

    first, second, third = when(), when(), when()
    assert first == second and "10:15" in first  # 09:15 UTC is 10:15 in Roubaix (CET)
    assert "10:16" in third


def test_an_expired_cached_verification_is_a_new_page(
        app: FastAPI, client: TestClient, service: IssuerService, issued: IssuedBadge) -> None:
    """A page is reused only with the very verification it shows: when the own-verification
    cache drops it (keys rotated, validity reached, evicted), the page is rendered again."""
    view(client, issued)
    hits = cache_of(app).hits
    service.own_verifications.clear()
    assert verdict(view(client, issued)) == "valid"
    assert cache_of(app).hits == hits
    view(client, issued)
    assert cache_of(app).hits == hits + 1


def test_concurrent_first_views_render_the_page_once(app: FastAPI, issued: IssuedBadge) -> None:
    renders = 0
    original = credential_views._page_context

    def counted(*args: object, **kwargs: object) -> dict[str, object]:
        nonlocal renders
        renders += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    pages: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credential_views, "_page_context", counted)
        client = TestClient(app, base_url=BASE_URL)
        client.get(f"/credentials/{issued.credential_id}")  # the verification, computed once
        cache_of(app).clear()
        renders = 0

        def one() -> None:
            pages.append(view(TestClient(app, base_url=BASE_URL), issued))

        threads = [threading.Thread(target=one) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(pages) == 8 and all(verdict(page) == "valid" for page in pages)
    assert renders <= 2  # once, or twice when the minute turned meanwhile


def test_concurrent_readers_reuse_the_sqlite_connections(tmp_path: Path) -> None:
    """Concurrent views each read their badge's row: the connections to the SQLite file are
    opened once and kept (SQLAlchemy's default pool closed and reopened ten of its fifteen on
    every burst, each opening running four PRAGMAs)."""
    database = Database(sqlite_url(tmp_path / "pool.sqlite3"))
    opened = 0

    @event.listens_for(database.engine, "connect")
    def _count(*_args: object) -> None:
        nonlocal opened
        opened += 1

    together = threading.Barrier(SQLITE_POOL_SIZE)

    def read() -> None:
        with database.reading() as connection:
            together.wait(30)  # every reader holds a connection at the same time
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1

    try:
        for _burst in range(3):
            readers = [threading.Thread(target=read) for _ in range(SQLITE_POOL_SIZE)]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join(60)
        assert opened == SQLITE_POOL_SIZE
    finally:
        database.dispose()
