"""`issuer check-deployment`: what a public host serves, compared with what the database and
the keys say now (issue 14 item 4).

The expected documents are `publishing.public_documents`, the very table `issuer publish`
writes, so the check and the publication cannot disagree on a path. Each is fetched once,
through the caller's bounded fetcher (size, one deadline, no private address), and compared:
present, media type, cache time, content. The cache time a host allows (`cache_lifetime`) may
be shorter than the one `issuer publish` sets for the document, never longer: a status list
kept a day by a cache hides a revocation for a day, a DID document a revoked key. Status
lists are compared bit by bit (a revoked badge whose bit is 0 on the host is the drift that
matters most: it shows as valid); the DID document key by key (a key missing, one the host
still lists, one that differs). Findings are French and English, each naming the address it
concerns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from issuer.errors import IssuerError
from issuer.issuance.cache_lifetime import duration_text, freshness_lifetime
from issuer.issuance.publishing import PublishedDocument, public_documents
from issuer.openbadges.fetch import FetchedDocument, is_loopback
from issuer.openbadges.status_list import StatusBitstring
from issuer.storage import models as rows

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

Fetch = Callable[[str, str, int], FetchedDocument]
"""(url, accept, largest body) -> body and headers; raises IssuerError on any failure."""

# A host may send the DID document under any of the media types did:web resolvers read.
_DID_MEDIA_TYPES = {"application/json", "application/did+json", "application/did+ld+json"}
_LISTED = 10  # indices named per stale list; the count says the rest


@dataclass(frozen=True)
class Drift:
    """One difference between the host and the database."""

    code: str
    url: str
    message_fr: str
    message_en: str

    def message(self, locale: str) -> str:
        return self.message_en if locale == "en" else self.message_fr


@dataclass
class DeploymentReport:
    base_url: str
    checked: list[str] = field(default_factory=list)
    drifts: list[Drift] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drifts


def check_deployment(service: IssuerService, fetch: Fetch,
                     base_url: str | None = None) -> DeploymentReport:
    """Fetch every public document from `base_url` (default: the public base URL) and
    report what differs from what `issuer publish` would write now."""
    base = (base_url or service.settings.base_url).rstrip("/")
    report = DeploymentReport(base)
    parts = urlsplit(base)
    if parts.scheme != "https" and not (parts.scheme == "http"
                                        and is_loopback(parts.hostname or "")):
        report.drifts.append(Drift(
            "deployment.not_https", base,
            "Le site n'est pas servi en HTTPS : les portefeuilles et les vérificateurs "
            "refusent un DID did:web ou une liste de statut en HTTP. Servez-le en HTTPS.",
            "The site is not served over HTTPS: wallets and verifiers refuse a did:web DID or "
            "a status list over HTTP. Serve it over HTTPS."))
        return report
    for document in public_documents(service):
        url = f"{base}/{document.path}"
        report.checked.append(url)
        report.drifts.extend(_check_document(service, document, url, fetch))
    return report


def _check_document(service: IssuerService, expected: PublishedDocument, url: str,
                    fetch: Fetch) -> list[Drift]:
    # A document may be somewhat larger than ours (other indentation), not unboundedly so.
    ours = expected.content()
    limit = max(4 * len(ours), 64 * 1024)
    try:
        fetched = fetch(url, expected.media_type.split(";")[0], limit)
    except IssuerError as error:
        return [Drift("deployment.missing", url,
                      f"Document absent ou illisible : {error.message_fr}",
                      f"Document missing or unreadable: {error.message_en}")]
    body = fetched.body
    drifts = []
    served_type = fetched.content_type.split(";")[0].strip().lower()
    wanted = expected.media_type.split(";")[0]
    accepted = _DID_MEDIA_TYPES if expected.kind == "did" else {wanted}
    if served_type not in accepted:
        drifts.append(Drift(
            "deployment.media_type", url,
            f"Type de média « {served_type or 'aucun'} » au lieu de « {wanted} » : configurez "
            "l'hébergeur avec le fichier écrit par « issuer publish » (docs/DEPLOYMENT.md).",
            f"Media type '{served_type or 'none'}' instead of '{wanted}': configure the host "
            "with the file `issuer publish` wrote (docs/DEPLOYMENT.md)."))
    drifts.extend(_cache_drifts(expected, fetched.headers, url))
    if not wanted.endswith("json") or expected.kind == "context":
        if body != ours:
            drifts.append(_differs(url))
        return drifts
    try:
        served = json.loads(body)
    except (ValueError, RecursionError):
        return [*drifts, Drift("deployment.not_json", url,
                               "Le document servi n'est pas du JSON.",
                               "The document served is not JSON.")]
    if expected.kind == "did":
        drifts.extend(_did_drifts(expected.json, served, url))
    elif expected.kind == "status":
        drifts.extend(_status_drifts(service, expected, served, url))
    elif served != expected.json:
        drifts.append(_differs(url))
    return drifts


# What a cache kept too long hides, by kind of document.
_STALE_FR = {"status": "une révocation ou une suspension peut rester invisible aux "
                       "vérificateurs",
             "did": "une clé retirée ou révoquée peut rester acceptée, une nouvelle clé "
                    "inconnue des vérificateurs"}
_STALE_EN = {"status": "a revocation or a suspension may stay unseen by verifiers",
             "did": "a retired or revoked key may stay accepted, a new key unknown to "
                    "verifiers"}
_CONFIGURE_FR = ("Configurez l'hébergeur avec le fichier écrit par « issuer publish » "
                 "(docs/DEPLOYMENT.md).")
_CONFIGURE_EN = "Configure the host with the file `issuer publish` wrote (docs/DEPLOYMENT.md)."


def _cache_drifts(expected: PublishedDocument, headers: Mapping[str, str],
                  url: str) -> list[Drift]:
    """The host may let caches keep the document at most as long as `issuer publish` says."""
    allowed = freshness_lifetime({"cache-control": expected.cache}, datetime.now(UTC))
    served = freshness_lifetime(headers, datetime.now(UTC))
    if allowed is None or (served is not None and served <= allowed):
        return []
    most_fr, most_en = duration_text(allowed, "fr"), duration_text(allowed, "en")
    stale_fr = _STALE_FR.get(expected.kind, "une mise à jour peut rester invisible")
    stale_en = _STALE_EN.get(expected.kind, "an update may stay unseen")
    if served is None:
        return [Drift(
            "deployment.cache_unset", url,
            f"L'hébergeur n'envoie ni Cache-Control ni Expires : un cache peut garder ce "
            f"document aussi longtemps qu'il l'estime, au lieu de {most_fr} au plus, et "
            f"{stale_fr} pendant ce temps. {_CONFIGURE_FR}",
            f"The host sends neither Cache-Control nor Expires: a cache may keep this "
            f"document as long as it guesses, instead of {most_en} at most, and {stale_en} "
            f"meanwhile. {_CONFIGURE_EN}")]
    sent = _caching_sent(headers)
    served_fr, served_en = duration_text(served, "fr"), duration_text(served, "en")
    return [Drift(
        "deployment.cache_too_long", url,
        f"Mis en cache {served_fr} ({sent}) au lieu de {most_fr} au plus : {stale_fr} "
        f"pendant {served_fr}. {_CONFIGURE_FR}",
        f"Cached for {served_en} ({sent}) instead of {most_en} at most: {stale_en} for "
        f"{served_en}. {_CONFIGURE_EN}")]


def _caching_sent(headers: Mapping[str, str]) -> str:
    """The header that set the lifetime, as the host sent it (shortened)."""
    name = "Cache-Control" if "cache-control" in headers else "Expires"
    value = headers.get(name.lower(), "")
    return f"{name}: {value if len(value) <= 80 else value[:80] + '…'}"


def _differs(url: str) -> Drift:
    return Drift("deployment.content_differs", url,
                 "Le document servi diffère de celui de la base : publiez à nouveau.",
                 "The document served differs from the database's: publish again.")


def _methods(document: Any) -> dict[str, Any]:
    """verificationMethod id -> its entry, for the keys listed under assertionMethod."""
    if not isinstance(document, dict):
        return {}
    methods = {m.get("id"): m for m in document.get("verificationMethod", [])
               if isinstance(m, dict)}
    listed = [ref if isinstance(ref, str) else ref.get("id") if isinstance(ref, dict) else None
              for ref in document.get("assertionMethod", [])]
    return {ref: methods.get(ref) for ref in listed if isinstance(ref, str)}


def _did_drifts(expected: dict[str, Any], served: Any, url: str) -> list[Drift]:
    ours, theirs = _methods(expected), _methods(served)
    drifts = []
    if not isinstance(served, dict) or served.get("id") != expected["id"]:
        drifts.append(Drift("deployment.did_id", url,
                            f"Le document DID servi n'est pas celui de {expected['id']}.",
                            f"The DID document served is not {expected['id']}'s."))
    for kid in sorted(ours.keys() - theirs.keys()):
        drifts.append(Drift(
            "deployment.did_key_missing", url,
            f"Clé absente du document DID servi : {kid} (les badges qu'elle signe ne se "
            "vérifient plus ailleurs).",
            f"Key missing from the DID document served: {kid} (badges it signs no longer "
            "verify elsewhere)."))
    for kid in sorted(theirs.keys() - ours.keys()):
        drifts.append(Drift(
            "deployment.did_key_extra", url,
            f"Clé en trop dans le document DID servi : {kid} (retirée ou révoquée ici).",
            f"Extra key in the DID document served: {kid} (retired or revoked here)."))
    for kid in sorted(ours.keys() & theirs.keys()):
        if ours[kid] != theirs[kid]:
            drifts.append(Drift("deployment.did_key_differs", url,
                                f"La clé {kid} servie diffère de la nôtre.",
                                f"Key {kid} as served differs from ours."))
    return drifts


def _status_drifts(service: IssuerService, expected: PublishedDocument, served: Any,
                   url: str) -> list[Drift]:
    assert expected.status_list is not None
    ours = expected.json
    try:
        if not isinstance(served, dict) or served.get("id") != ours["id"] \
                or served.get("issuer") != ours["issuer"]:
            raise ValueError("not our list")
        served_bits = StatusBitstring.decode(served["credentialSubject"]["encodedList"])
        our_bits = StatusBitstring.decode(ours["credentialSubject"]["encodedList"])
    except (ValueError, KeyError, TypeError, IssuerError):
        return [Drift("deployment.status_unreadable", url,
                      "La liste de statut servie n'est pas la nôtre ou est illisible.",
                      "The status list served is not ours or cannot be read.")]
    if served_bits.length != our_bits.length:
        return [_differs(url)]
    changed = [i for i in range(our_bits.length) if our_bits.get(i) != served_bits.get(i)]
    if not changed:
        return []
    set_here = [i for i in changed if our_bits.get(i)]
    cleared_here = [i for i in changed if not our_bits.get(i)]
    list_id, purpose = expected.status_list
    drifts = []
    if set_here:
        names = _credentials_at(service, list_id, set_here[:_LISTED])
        word_fr = "révoqués" if purpose == "revocation" else "suspendus"
        word_en = "revoked" if purpose == "revocation" else "suspended"
        drifts.append(Drift(
            "deployment.status_stale", url,
            f"{len(set_here)} badge(s) {word_fr} dans la base mais dont le bit vaut 0 sur "
            f"l'hébergeur (ils y paraissent valides) : {names}. Publiez à nouveau.",
            f"{len(set_here)} badge(s) {word_en} in the database whose bit is 0 on the host "
            f"(they look valid there): {names}. Publish again."))
    if cleared_here:
        names = _credentials_at(service, list_id, cleared_here[:_LISTED])
        drifts.append(Drift(
            "deployment.status_stale", url,
            f"{len(cleared_here)} badge(s) dont le bit vaut 1 sur l'hébergeur mais 0 dans la "
            f"base : {names}. Publiez à nouveau.",
            f"{len(cleared_here)} badge(s) whose bit is 1 on the host but 0 in the database: "
            f"{names}. Publish again."))
    return drifts


def _credentials_at(service: IssuerService, list_id: int, indices: list[int]) -> str:
    """`index 12 (badge <id>)`, … for a few indices of a list."""
    with service.database.session(read_only=True) as session:
        found: dict[int, str] = {}
        for index, credential_id in session.execute(
                select(rows.IssuedCredential.status_index, rows.IssuedCredential.id).where(
                    rows.IssuedCredential.status_list_id == list_id,
                    rows.IssuedCredential.status_index.in_(indices))):
            found[index] = credential_id
    return ", ".join(f"{index} ({found[index]})" if index in found else str(index)
                     for index in indices)
