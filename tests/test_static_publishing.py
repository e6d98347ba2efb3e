"""`issuer publish` on a plain static host, and `issuer check-deployment` (issue 14 item 4).

The public base URL is a loopback static file server (tests/plugins/static_host.py: Python's
`http.server`, honouring the `_headers` file `issuer publish` writes, as Netlify-like hosts
do). Credentials issued under that base URL name its addresses; the folder `issuer publish`
wrote is served there and nothing else: no issuer process answers.

The expected paths are not listed here: they are crawled from an issued credential of each
family and the DID document, following every address under the base URL found in each
document served (so a new address in a credential is checked the day it appears). Only the
credential's own `id` is left out: a badge's page is personal and dynamic (erasure, live
status), served by the issuer, never published as a static file.

The third-party verifiers get the documents fetched from the static host (Python fetches them
over HTTP and hands the exact bytes to Node, as in tests/test_interop_live_service.py: the
harness opens no socket, and the did:web drivers would ask for https:// on loopback).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import httpx
import pytest
from click.testing import CliRunner, Result

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.publishing import public_documents, publish, relative_path
from issuer.issuance.service import IssuerService
from issuer.network import skill_badges
from issuer.network.evidence import EvidenceUpload
from issuer.openbadges.did import DidResolver
from issuer.openbadges.dids.syntax import did_web_document_url
from issuer.openbadges.fetch import Fetcher
from issuer.openbadges.verification import VerificationContext, verify
from issuer.settings import Settings
from tests.plugins.static_host import StaticHost, free_loopback_socket, static_host

FAMILIES: dict[str, IssueRequest] = {
    # The council's badges come from its register; issued directly here, as the register does.
    "membership": IssueRequest("membre-cln", "membre.static@example.org", role="conseiller",
                               sector="Nord", through_register=True),
    "event": IssueRequest("petit-dejeuner-inclusion-numerique", "event.static@example.org",
                          event_number=7, role="intervenant"),
    "skill": IssueRequest("mediateur-numerique", "skill.static@example.org"),
    "alumni": IssueRequest("ancien-membre-cln", "ancien.static@example.org", role="conseiller",
                           sector="Sud", through_register=True),
}
# Any PNG will do as an uploaded evidence file: the catalogue's own artwork.
ARTWORK = Path(__file__).resolve().parent.parent / "badges" / "art" / "membre-cln.png"
REVOKED = IssueRequest("petit-dejeuner-inclusion-numerique", "revoque.static@example.org",
                       event_number=8, role="participant")


@dataclass
class PublishedCity:
    service: IssuerService
    host: StaticHost
    out: Path
    badges: dict[str, IssuedBadge]


def _environment(home: Path, base_url: str) -> dict[str, str | None]:
    environment: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("ISSUER_") or name == "DATABASE_URL"}
    environment.update(ISSUER_HOME=str(home), ISSUER_BASE_URL=base_url)
    return environment


def _cli(city: PublishedCity, *args: str) -> Result:
    return CliRunner().invoke(cli_main, list(args), catch_exceptions=False,
                              env=_environment(city.service.settings.home, city.host.base_url))


@pytest.fixture(autouse=True)
def french_messages() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_context, "LOCALE", "fr")
        yield


def _city(home: Path, out: Path) -> Iterator[PublishedCity]:
    """A service whose base URL is a loopback static host serving `out`: badges issued, one
    revoked, then `issuer publish --out` (the command itself)."""
    sock = free_loopback_socket()
    base_url = "http://{}:{}".format(*sock.getsockname()[:2])
    service = IssuerService(Settings.load(home=home, base_url=base_url))
    service.init()
    badges = {family: service.issue(request) for family, request in FAMILIES.items()}
    # A skill badge of the mediator network: aligned to the skills catalogue's addresses
    skill_badges.create_skill_badge(service, "domain", "CYB", actor="tests")
    badges["network skill"] = skill_badges.issue_skill_badge(
        service, "domaine-cyb", email="reseau.static@example.org", name=None, actor="tests",
        given=skill_badges.SkillEvidence(
            narrative="Atelier animé (test).", file_title="Photo de l'atelier",
            upload=EvidenceUpload("atelier.png", ARTWORK.read_bytes())), send_email=False)
    badges["revoked"] = service.issue(REVOKED)
    service.revoke(badges["revoked"].credential_id, "Participation annulée (test)")
    with static_host(out, sock) as host:
        city = PublishedCity(service, host, out, badges)
        result = _cli(city, "publish", "--out", str(out))
        assert result.exit_code == 0, result.output
        host.reload()
        yield city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedCity]:
    folder = tmp_path_factory.mktemp("static-city")
    yield from _city(folder / "home", folder / "site")


@pytest.fixture
def own_city(tmp_path: Path) -> Iterator[PublishedCity]:
    """A city of its own, for the tests that change the host or the database."""
    yield from _city(tmp_path / "home", tmp_path / "site")


def _get(url: str, *, follow_redirects: bool = False) -> httpx.Response:
    with httpx.Client(timeout=10, trust_env=False) as client:
        return client.get(url, follow_redirects=follow_redirects)


def _addresses(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _addresses(item)
    elif isinstance(value, list):
        for item in value:
            yield from _addresses(item)
    elif isinstance(value, str):
        yield value


def crawl(city: PublishedCity) -> dict[str, httpx.Response]:
    """Every address under the base URL that the credentials name, then every one the
    documents served name, and so on: URL (no fragment) -> the host's response."""
    base = city.host.base_url
    did = city.service.issuer_did
    own_ids = {badge.credential["id"] for badge in city.badges.values()}
    pending = [address for badge in city.badges.values()
               for address in _addresses(badge.credential)]
    seen: dict[str, httpx.Response] = {}
    while pending:
        address = pending.pop()
        if address == did or address.startswith(did + "#"):
            address = did_web_document_url(did)
        url = urldefrag(address).url
        if not url.startswith(base + "/") or url in own_ids or url in seen:
            continue
        # `/competences#domaine-x` names a folder: hosts redirect to its index.html
        response = seen[url] = _get(url, follow_redirects=True)
        if response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            pending.extend(_addresses(response.json()))
    return seen


# -- the paths ----------------------------------------------------------------------------------

def test_every_address_the_credentials_and_did_document_name_is_served_from_the_folder(city):
    manifest = {entry["url"]: entry
                for entry in json.loads((city.out / "publication.json").read_text())["documents"]}
    crawled = crawl(city)
    base = city.host.base_url

    for url, response in crawled.items():
        assert response.status_code == 200, f"{url}: {response.status_code}"
        path = relative_path(base, url)
        assert path is not None and (city.out / path).exists(), url
        if (city.out / path).is_dir():  # a folder's address: the host serves its index.html
            assert f"{url}/index.html" in manifest, url
            assert response.headers["content-type"].startswith("text/html"), url
            continue
        assert url in manifest, url
        assert response.headers["content-type"] == manifest[url]["mediaType"], url
        assert response.headers["cache-control"] == manifest[url]["cacheControl"], url
    paths = {relative_path(base, url) for url in crawled}
    status = city.badges["membership"].credential["credentialStatus"]["statusListCredential"]
    assert {".well-known/did.json", "achievements/membre-cln",
            "achievements/petit-dejeuner-inclusion-numerique/7",
            "achievements/petit-dejeuner-inclusion-numerique/8",
            "events/petit-dejeuner-inclusion-numerique/7", "badges/membre-cln.png",
            "achievements/domaine-cyb", "competences/versions/1/CYB-01",
            "competences", relative_path(base, status)} <= paths
    [evidence_file] = [url for url in crawled if "/preuves/" in url]
    assert crawled[evidence_file].content == ARTWORK.read_bytes()
    assert crawled[evidence_file].headers["x-robots-tag"] == "noindex"
    assert "sandbox" in crawled[evidence_file].headers["content-security-policy"]
    # Extension-less documents: the media type comes from the generated _headers, not a guess
    assert crawled[status].headers["content-type"] == "application/ld+json"
    assert crawled[status].headers["cache-control"] == "public, max-age=60"
    assert crawled[did_web_document_url(city.service.issuer_did)].json() == \
        city.service.did_document()


def test_without_the_host_configuration_extension_less_documents_have_no_usable_type(
        city, tmp_path):
    # What the configuration is for: the same folder without _headers
    bare = tmp_path / "bare"
    shutil.copytree(city.out, bare)
    (bare / "_headers").unlink()
    sock = free_loopback_socket()
    with static_host(bare, sock) as host:
        response = _get(f"{host.base_url}/status/1/revocation")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"


def test_publish_host_option_writes_only_the_hosts_named(city, tmp_path):
    result = _cli(city, "publish", "--out", str(tmp_path / "only"), "--host", "nginx",
                  "--host", "plain")

    assert result.exit_code == 0, result.output
    written = {path.name for path in (tmp_path / "only").iterdir() if path.is_file()}
    assert {"nginx-publication.conf", "_headers", "publication.json", "issuer"} <= written
    assert not {".htaccess", "Caddyfile-publication"} & written


def test_publish_writes_the_configuration_of_each_host(city):
    headers = (city.out / "_headers").read_text()
    nginx = (city.out / "nginx-publication.conf").read_text()
    apache = (city.out / ".htaccess").read_text()
    caddy = (city.out / "Caddyfile-publication").read_text()

    assert "/status/*\n  Content-Type: application/ld+json\n  Cache-Control: public, max-age=60" \
        in headers
    assert ("location ^~ /status/ {\n    types { } default_type \"application/ld+json\";\n"
            "    add_header Cache-Control \"public, max-age=60\" always;") in nginx
    assert "location = /issuer {" in nginx
    assert ("<If \"%{REQUEST_URI} =~ m#^/status/#\">\n    ForceType \"application/ld+json\"\n"
            "    Header set Cache-Control \"public, max-age=60\"") in apache
    assert "path /status/*" in caddy and "Content-Type \"application/ld+json\"" in caddy


def test_a_base_url_with_a_path_publishes_under_it_and_the_did_document_where_did_web_asks(
        tmp_path):
    service = IssuerService(Settings.load(home=tmp_path / "home",
                                          base_url="https://ville.example/badges"))
    service.init()
    issued = service.issue(FAMILIES["skill"])
    written = publish(service, tmp_path / "site", hosts=["plain"])

    relative = {path.relative_to(tmp_path / "site").as_posix() for path in written}
    assert service.issuer_did == "did:web:ville.example:badges"
    # did:web with a path: https://ville.example/badges/did.json, i.e. did.json under the base
    assert "did.json" in relative and ".well-known/did.json" not in relative
    status = issued.credential["credentialStatus"]["statusListCredential"]
    assert status == "https://ville.example/badges/status/1/revocation"
    assert "status/1/revocation" in relative
    assert "achievements/mediateur-numerique" in relative
    assert "/badges/status/*" in (tmp_path / "site" / "_headers").read_text()
    assert not (tmp_path / "site" / "nginx-publication.conf").exists()


# -- verification from the static host ------------------------------------------------------------

def _loopback_context(city: PublishedCity) -> VerificationContext:
    """Our verifier, knowing nothing locally: the DID document and the status list come
    from the static host."""
    fetcher = Fetcher(allow_loopback=True)
    return VerificationContext(
        resolver=DidResolver(fetcher),
        fetch_status_list=lambda url: fetcher.get_json(url, accept="application/ld+json"),
        known_issuers={city.service.issuer_did: "Ville de Roubaix"})


@pytest.mark.parametrize("family", FAMILIES)
def test_our_verifier_verifies_a_badge_from_the_published_documents_alone(city, family):
    report = verify(city.badges[family].credential_json, _loopback_context(city))

    assert report.verdict == "valid", [(c.name, c.status, c.code) for c in report.checks]
    assert report.revoked is False


def test_our_verifier_reads_the_revocation_from_the_published_status_list(city):
    report = verify(city.badges["revoked"].credential_json, _loopback_context(city))

    assert report.revoked is True
    assert report.verdict != "valid"


def _served_documents(city: PublishedCity) -> dict[str, Any]:
    """What the third-party verifiers get: the DID document and the status lists, as the
    static host serves them."""
    did = city.service.issuer_did
    documents: dict[str, Any] = {did: _get(did_web_document_url(did)).json()}
    for badge in city.badges.values():
        url = badge.credential["credentialStatus"]["statusListCredential"]
        response = _get(url)
        assert response.status_code == 200
        documents[url] = response.json()
    return documents


@pytest.mark.interop
def test_third_party_verifiers_verify_badges_against_the_static_host(
        city, third_party_verifiers_batch):
    documents = _served_documents(city)
    names = list(city.badges)
    results = dict(zip(names, third_party_verifiers_batch([
        {"credential": city.badges[name].credential, "jwt": city.badges[name].credential_jwt,
         "documents": documents} for name in names]), strict=True))

    for name, verdict in results.items():
        db, core = verdict["digitalBazaar"], verdict["verifierCore"]
        revoked = name == "revoked"
        assert db["verified"] is True, (name, db["error"])
        [status] = db["statuses"]
        # VERIFICATION.md R7: the bit is read from the published list, whose signature checks
        assert (status["value"], status["listVerified"]) == (revoked, True), name
        assert core["verified"] is True, (name, core["errors"])
        assert core["revoked"] is revoked, name
        assert verdict["jose"]["verified"] is True, name
        for section in (db, core):
            assert section["unresolved"] == [], (name, section["unresolved"])


# -- check-deployment ---------------------------------------------------------------------------

def test_check_deployment_agrees_with_a_fresh_publication(city):
    result = _cli(city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 0, result.output
    count = len(public_documents(city.service))
    assert f"{count} documents vérifiés à {city.host.base_url}" in result.output
    assert "✗" not in result.output


def test_check_deployment_refuses_a_loopback_host_without_the_flag(city):
    result = _cli(city, "check-deployment")

    assert result.exit_code == 1
    assert "deployment.missing" in result.output


def test_check_deployment_reports_a_stale_bit_after_a_revocation_not_published(own_city):
    badge = own_city.badges["membership"]
    own_city.service.revoke(badge.credential_id, "Fin de mandat anticipée (test)")

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    status_url = badge.credential["credentialStatus"]["statusListCredential"]
    index = badge.credential["credentialStatus"]["statusListIndex"]
    assert f"✗ {status_url}" in result.output
    assert "[deployment.status_stale]" in result.output
    assert f"{index} ({badge.credential_id})" in result.output
    assert "révoqués dans la base mais dont le bit vaut 0 sur l'hébergeur" in result.output
    # Published again, the host agrees
    assert _cli(own_city, "publish", "--out", str(own_city.out)).exit_code == 0
    assert _cli(own_city, "check-deployment", "--allow-loopback").exit_code == 0


def test_check_deployment_reports_a_missing_status_file_a_wrong_type_and_a_missing_key(
        own_city):
    status_url = own_city.badges["event"].credential["credentialStatus"]["statusListCredential"]
    path = relative_path(own_city.host.base_url, status_url)
    assert path is not None
    (own_city.out / path).unlink()
    (own_city.out / "_headers").unlink()
    own_city.host.reload()
    new_keys = own_city.service.rotate_keys()

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    lines = result.output
    assert f"✗ {status_url}\n    Document absent ou illisible" in lines
    assert "[deployment.missing]" in lines
    assert (f"✗ {own_city.host.base_url}/issuer\n    Type de média « application/octet-stream » "
            "au lieu de « application/ld+json »") in lines
    for key in new_keys:
        assert f"Clé absente du document DID servi : {own_city.service.issuer_did}#{key.kid}" \
            in lines


def test_check_deployment_reports_a_key_the_host_still_lists(own_city):
    did = own_city.service.issuer_did
    served = own_city.out / ".well-known" / "did.json"
    document = json.loads(served.read_text())
    stale = {**document["verificationMethod"][0], "id": f"{did}#key-ed25519-old"}
    document["verificationMethod"].append(stale)
    document["assertionMethod"].append(stale["id"])
    served.write_text(json.dumps(document))

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    assert (f"Clé en trop dans le document DID servi : {did}#key-ed25519-old"
            " (retirée ou révoquée ici). [deployment.did_key_extra]") in result.output
    assert result.output.count("✗") == 1


def test_check_deployment_reports_an_achievement_edited_on_the_host(own_city):
    served = own_city.out / "achievements" / "membre-cln"
    document = json.loads(served.read_text())
    served.write_text(json.dumps({**document, "name": "Autre nom"}))

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    assert (f"✗ {own_city.host.base_url}/achievements/membre-cln\n    Le document servi diffère "
            "de celui de la base : publiez à nouveau. [deployment.content_differs]"
            ) in result.output
    assert result.output.count("✗") == 1


def test_check_deployment_in_english(own_city, monkeypatch):
    monkeypatch.setattr(cli_context, "LOCALE", "en")
    (own_city.out / "issuer").unlink()

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    assert f"✗ {own_city.host.base_url}/issuer\n    Document missing or unreadable" in result.output


def _set_headers(city: PublishedCity, rule: Callable[[str], bool], **replaced: str | None,
                 ) -> None:
    """Rewrite, in the `_headers` file the static host reads, the headers of the rules whose
    path `rule` accepts: `Cache_Control="..."` replaces it, None removes it, a new name adds it.
    """
    wanted = {name.replace("_", "-").lower(): (name.replace("_", "-"), value)
              for name, value in replaced.items()}
    lines: list[str] = []
    selected = False

    def add_missing() -> None:
        lines.extend(f"  {name}: {value}" for key, (name, value) in wanted.items()
                     if value is not None and key not in done)

    done: set[str] = set()
    for line in (city.out / "_headers").read_text("utf-8").splitlines():
        if line and line[0] not in " \t" and not line.startswith("#"):
            if selected:
                add_missing()
            selected, done = rule(line.strip()), set()
        elif selected and line.strip():
            key = line.strip().partition(":")[0].strip().lower()
            if key in wanted:
                done.add(key)
                name, value = wanted[key]
                if value is not None:
                    lines.append(f"  {name}: {value}")
                continue
        lines.append(line)
    if selected:
        add_missing()
    (city.out / "_headers").write_text("\n".join(lines) + "\n", "utf-8")
    city.host.reload()


def _urls_of(city: PublishedCity, kind: str) -> list[str]:
    return [f"{city.host.base_url}/{document.path}"
            for document in public_documents(city.service) if document.kind == kind]


def test_check_deployment_reports_status_lists_and_did_document_cached_too_long(own_city):
    # A host keeping the status lists a day, and the DID document an hour in shared caches
    # (s-maxage), hides a revocation, a revoked key; the contexts kept for less time than
    # `issuer publish` says are fine.
    _set_headers(own_city, lambda path: path.startswith("/status/"),
                 Cache_Control="public, max-age=86400")
    _set_headers(own_city, lambda path: path == "/.well-known/did.json",
                 Cache_Control="public, max-age=300, s-maxage=3600")
    _set_headers(own_city, lambda path: path.startswith("/contexts/"), Cache_Control="no-store")

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    status_urls = _urls_of(own_city, "status")
    [did_url] = _urls_of(own_city, "did")
    assert len(status_urls) >= 2
    for url in status_urls:
        assert (f"✗ {url}\n    Mis en cache 1 jour (Cache-Control: public, max-age=86400) au "
                "lieu de 60 s au plus : une révocation ou une suspension peut rester invisible "
                "aux vérificateurs pendant 1 jour.") in result.output
    assert (f"✗ {did_url}\n    Mis en cache 1 h (Cache-Control: public, max-age=300, "
            "s-maxage=3600) au lieu de 5 min au plus : une clé retirée ou révoquée peut rester "
            "acceptée") in result.output
    assert result.output.count("[deployment.cache_too_long]") == len(status_urls) + 1
    assert result.output.count("✗") == len(status_urls) + 1
    # Configured again as `issuer publish` says, the host agrees
    assert _cli(own_city, "publish", "--out", str(own_city.out)).exit_code == 0
    own_city.host.reload()
    assert _cli(own_city, "check-deployment", "--allow-loopback").exit_code == 0


def test_check_deployment_reports_caching_set_by_expires_or_not_set_in_english(
        own_city, monkeypatch):
    monkeypatch.setattr(cli_context, "LOCALE", "en")
    in_two_days = format_datetime(datetime.now(UTC) + timedelta(days=2, minutes=5),
                                  usegmt=True)
    _set_headers(own_city, lambda path: path.startswith("/status/"), Cache_Control=None,
                 Expires=in_two_days)
    _set_headers(own_city, lambda path: path == "/.well-known/did.json", Cache_Control=None)

    result = _cli(own_city, "check-deployment", "--allow-loopback")

    assert result.exit_code == 1
    for url in _urls_of(own_city, "status"):
        assert (f"✗ {url}\n    Cached for more than 2 days (Expires: {in_two_days}) instead of "
                "60 s at most: a revocation or a suspension may stay unseen by verifiers for "
                "more than 2 days.") in result.output
    [did_url] = _urls_of(own_city, "did")
    assert (f"✗ {did_url}\n    The host sends neither Cache-Control nor Expires: a cache may "
            "keep this document as long as it guesses, instead of 5 min at most") \
        in result.output
    assert "[deployment.cache_unset]" in result.output


def test_check_deployment_reports_plain_http_before_fetching_anything(city):
    result = _cli(city, "check-deployment", "http://badges.example.org")

    assert result.exit_code == 1
    assert "[deployment.not_https]" in result.output
    assert "Le site n'est pas servi en HTTPS" in result.output


def test_publishing_again_removes_an_evidence_file_forgotten_since(own_city):
    from issuer.network.evidence import forget_evidence_files

    badge = own_city.badges["network skill"]
    [evidence] = [item["id"] for item in badge.credential["evidence"]
                  if "/preuves/" in item.get("id", "")]
    path = relative_path(own_city.host.base_url, evidence)
    assert path is not None and (own_city.out / path).is_file()
    (own_city.out / "notes.txt").write_text("not ours")
    # What erasure and retention do to a file (issuer.network.evidence)
    with own_city.service.database.session() as session:
        forgotten = forget_evidence_files(own_city.service.settings, session,
                                          [badge.credential_id])
    for file in forgotten:
        file.unlink()

    assert _cli(own_city, "publish", "--out", str(own_city.out)).exit_code == 0

    assert not (own_city.out / path).exists()
    assert (own_city.out / "notes.txt").read_text() == "not ours"  # only what we published
    assert _get(evidence).status_code == 404
    assert _cli(own_city, "check-deployment", "--allow-loopback").exit_code == 0
