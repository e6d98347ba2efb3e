"""Static publishing (issue 14 item 4): every public document the credentials and the DID
document name, at the exact path their URLs give, with the media type and cache time a host
must send, and ready configuration for nginx, Apache, Caddy and plain file hosts.

A path is the document's URL relative to the public base URL (`ISSUER_BASE_URL`): with
`https://badges.roubaix.fr`, `https://badges.roubaix.fr/status/1/revocation` is written as
`status/1/revocation`, a file without an extension, because that is what a verifier asks for.
A host cannot guess the media type of such a file, hence the configuration written beside the
documents (`host_configuration`). The same table drives `issuer check-deployment`
(`issuer.issuance.deployment_check`), so what is published and what is checked cannot differ.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from issuer.errors import InvalidInput
from issuer.issuance.catalogue import ImageKind
from issuer.issuance.logo import FAVICON_MEDIA_TYPE, favicon_ico, logo_png_url
from issuer.openbadges import contexts
from issuer.openbadges import credential as model
from issuer.openbadges.dids.syntax import did_web_document_url
from issuer.openbadges.status_list import StatusPurpose

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

JSON_LD = "application/ld+json"
# did:web "Read (Resolve)": resolvers read the document as JSON; the service sends the same.
DID_JSON = "application/json"
HTML = "text/html; charset=utf-8"
# Cache lifetimes, the same as the running service sends (issuer.web.views.documents).
# A status list changes when a badge is revoked: verifiers must not keep it long.
STATUS_CACHE = "public, max-age=60"
DID_CACHE = "public, max-age=300"
DOCUMENT_CACHE = "public, max-age=3600"
IMMUTABLE_CACHE = "public, max-age=86400"
STATUS_PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")

DocumentKind = Literal["did", "profile", "achievement", "status", "context", "image", "evidence",
                       "skills", "evidence_file"]

MANIFEST_FILE = "publication.json"
HEADERS_FILE = "_headers"          # Netlify, Cloudflare Pages and the like
HTACCESS_FILE = ".htaccess"        # Apache
NGINX_FILE = "nginx-publication.conf"
CADDY_FILE = "Caddyfile-publication"
HOSTS = ("nginx", "apache", "caddy", "plain")
_HOST_FILES = {"nginx": NGINX_FILE, "apache": HTACCESS_FILE, "caddy": CADDY_FILE,
               "plain": HEADERS_FILE}


@dataclass(frozen=True)
class PublishedDocument:
    """One file of the public site."""

    path: str           # relative to the base URL, no leading slash ("status/1/revocation")
    kind: DocumentKind
    media_type: str
    cache: str
    body: bytes
    # For a status list: its id and purpose (deployment_check compares the bits).
    status_list: tuple[int, StatusPurpose] | None = None
    # Headers the host must send besides type and cache (e.g. an evidence file's policy).
    headers: tuple[tuple[str, str], ...] = ()
    # A file copied as it is (an uploaded evidence file), read only when written or compared.
    source: Path | None = None

    def content(self) -> bytes:
        return self.source.read_bytes() if self.source is not None else self.body

    @property
    def json(self) -> Any:
        return json.loads(self.content())


PublicationExtension = Callable[["IssuerService"], Iterable[PublishedDocument]]
"""More public documents from a package above this one (e.g. the skills catalogue the skill
badges align to), registered as `register_catalogue_extension` is (docs/ARCHITECTURE.md)."""
_extensions: list[PublicationExtension] = []


def register_publication_extension(extension: PublicationExtension) -> None:
    if extension not in _extensions:
        _extensions.append(extension)


def json_body(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def relative_path(base_url: str, url: str) -> str | None:
    """The path of `url` under `base_url` (no leading slash), or None when it is elsewhere.
    The scheme is not compared: a did:web on loopback resolves to http:// (development)."""
    base, target = urlsplit(base_url), urlsplit(url)
    if base.netloc.lower() != target.netloc.lower():
        return None
    prefix = base.path.rstrip("/") + "/"
    if not target.path.startswith(prefix):
        return None
    return target.path.removeprefix(prefix)


def did_document_path(service: IssuerService) -> str | None:
    """Where did:web asks for the DID document, under the base URL (None for did:key)."""
    if service.settings.did_method != "web":
        return None
    # did_web_from_url derives the DID from the base URL: its document is under it
    return _under(service.settings.base_url, did_web_document_url(service.issuer_did))


def public_documents(service: IssuerService, *, now: datetime | None = None
                     ) -> list[PublishedDocument]:
    """Every document the public site serves, as the database and the keys say now."""
    base_url = service.settings.base_url
    documents: list[PublishedDocument] = []
    did_path = did_document_path(service)
    if did_path is not None:
        documents.append(PublishedDocument(did_path, "did", DID_JSON, DID_CACHE,
                                           json_body(service.did_document())))
    profile = {"@context": list(model.CREDENTIAL_CONTEXT), **service.profile.to_json()}
    documents.append(PublishedDocument("issuer", "profile", JSON_LD, DOCUMENT_CACHE,
                                       json_body(profile)))
    # Paths come from the URLs the credentials carry, built by the same functions.
    for _slug_path, achievement in service.achievement_documents():
        documents.append(PublishedDocument(_under(base_url, achievement["id"]), "achievement",
                                           JSON_LD, DOCUMENT_CACHE, json_body(achievement)))
    for badge in service.catalogue.badges:
        for event in badge.events:
            evidence_url = model.event_evidence(badge, event, base_url)["id"]
            documents.append(_evidence_page(_under(base_url, evidence_url),
                                            model.achievement_url(base_url, badge, event),
                                            event.number))
        png = _under(base_url, model.badge_image_url(base_url, badge))
        kinds: tuple[ImageKind, ...] = ("png", "svg")
        for kind in kinds:
            image = service.catalogue.image_path(badge, kind)
            documents.append(PublishedDocument(
                png.removesuffix(".png") + f".{kind}", "image",
                "image/png" if kind == "png" else "image/svg+xml", DOCUMENT_CACHE,
                image.read_bytes()))
    documents.extend(_logo_documents(service))
    for list_id in service.status_list_ids():
        for purpose in STATUS_PURPOSES:
            signed = service.status_list_credential(list_id, purpose, now=now)
            documents.append(PublishedDocument(_under(base_url, signed["id"]), "status", JSON_LD,
                                               STATUS_CACHE, json_body(signed),
                                               status_list=(list_id, purpose)))
    seen: set[str] = set()
    for pinned in contexts.PINNED.values():
        if pinned.filename not in seen:
            seen.add(pinned.filename)
            documents.append(PublishedDocument(f"contexts/{pinned.filename}", "context", JSON_LD,
                                               IMMUTABLE_CACHE, contexts.context_bytes(pinned.url)))
    for extension in _extensions:
        documents.extend(extension(service))
    _check_paths(documents)
    return documents


def _logo_documents(service: IssuerService) -> list[PublishedDocument]:
    """The logo pages show and the Profile's `image` names (unless ISSUER_PROFILE_IMAGE_URL
    points elsewhere), at the addresses the service serves them: /logo.png, /logo.svg and
    /favicon.ico."""
    logo = service.logo
    files: list[tuple[str, str, bytes | None]] = [
        (_under(service.settings.base_url, logo_png_url(service.settings.base_url)), "image/png",
         logo.png),
        ("logo.svg", "image/svg+xml", logo.svg),
        ("favicon.ico", FAVICON_MEDIA_TYPE, favicon_ico(logo.png)),
    ]
    return [PublishedDocument(path, "image", media_type, DOCUMENT_CACHE, content)
            for path, media_type, content in files if content is not None]


def _under(base_url: str, url: str) -> str:
    path = relative_path(base_url, url)
    if path is None:  # every URL above is built from the base URL: cannot happen
        raise InvalidInput(f"Adresse hors du site public : {url}.",
                           f"Address outside the public site: {url}.",
                           code="publish.outside_base")
    return path


def _evidence_page(path: str, edition_url: str, number: int) -> PublishedDocument:
    """/events/<slug>/<n>, the `id` of an event badge's evidence: the service redirects it to
    the edition's page; a static host, which cannot redirect without configuration, gets a
    page that sends the browser there (and says where, for those without a browser)."""
    target = html.escape(edition_url)
    body = (
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
        f"<title>Édition nº {number}</title>"
        f"<meta http-equiv=\"refresh\" content=\"0; url={target}\">"
        f"<link rel=\"canonical\" href=\"{target}\"></head>\n"
        f"<body><p><a href=\"{target}\">Voir cette édition</a> / "
        f"<a href=\"{target}\" lang=\"en\">See this edition</a></p></body></html>\n")
    return PublishedDocument(path, "evidence", HTML, DOCUMENT_CACHE, body.encode("utf-8"))


def _check_paths(documents: list[PublishedDocument]) -> None:
    """A static host cannot serve a file and a folder at one path (`achievements/x` and
    `achievements/x/1`), nor two documents at one path: refuse before writing anything."""
    paths = [document.path for document in documents]
    duplicates = sorted(path for path, count in Counter(paths).items() if count > 1)
    folders = {"/".join(path.split("/")[:depth]) for path in paths
               for depth in range(1, path.count("/") + 1)}
    clashes = sorted(set(paths) & folders)
    if duplicates or clashes or any(not path or ".." in path.split("/") for path in paths):
        listed = ", ".join(duplicates + clashes)
        raise InvalidInput(f"Chemins publiés en conflit : {listed}.",
                           f"Conflicting published paths: {listed}.", code="publish.path_clash")


# -- the host's configuration ---------------------------------------------------------------------

@dataclass(frozen=True)
class HeaderRule:
    """Headers for one exact path or every path under a folder (`prefix`), under the site's
    root URL path (`/` or the base URL's path)."""

    pattern: str        # "/status/" (a folder) or "/issuer" (one file), absolute URL path
    prefix: bool
    media_type: str | None  # None: the host's own type for the extension is right
    cache: str
    headers: tuple[tuple[str, str], ...] = ()


# Extensions every host maps to these types by itself (nginx's and Apache's mime.types,
# Caddy, Netlify). Not `.jsonld`: nginx 1.22 sends it as application/octet-stream.
_TYPED_BY_EXTENSION = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
                       ".jpeg": "image/jpeg", ".pdf": "application/pdf",
                       ".json": "application/json"}


def _needs_type(document: PublishedDocument) -> bool:
    extension = PurePosixPath(document.path).suffix.lower()
    return _TYPED_BY_EXTENSION.get(extension) != document.media_type


def header_rules(documents: list[PublishedDocument], base_url: str) -> list[HeaderRule]:
    """Few rules: one per folder of several documents sharing media type (or all typed right by
    their extension) and cache time, looking deeper where a folder mixes them; one per file
    otherwise (so `/.well-known/` keeps the host's other files, e.g. ACME challenges, as they
    are). Every document is covered by exactly one rule."""
    root = urlsplit(base_url).path.rstrip("/") + "/"
    return _rules(documents, root, depth=0)


def _rules(documents: list[PublishedDocument], root: str, *, depth: int) -> list[HeaderRule]:
    files: list[PublishedDocument] = []
    folders: dict[str, list[PublishedDocument]] = {}
    for document in documents:
        segments = document.path.split("/")
        if len(segments) <= depth + 1:
            files.append(document)
        else:
            folders.setdefault("/".join(segments[:depth + 1]) + "/", []).append(document)
    rules = [HeaderRule(root + d.path, False, _media(d), d.cache, d.headers)
             for d in sorted(files, key=lambda d: d.path)]
    for folder, members in sorted(folders.items()):
        shared = {(d.cache, d.headers) for d in members}
        media_types = {d.media_type for d in members}
        if len(members) > 1 and len(shared) == 1 and not any(_needs_type(d) for d in members):
            cache, headers = shared.pop()
            rules.append(HeaderRule(root + folder, True, None, cache, headers))
        elif len(members) > 1 and len(shared) == 1 and len(media_types) == 1:
            cache, headers = shared.pop()
            rules.append(HeaderRule(root + folder, True, media_types.pop(), cache, headers))
        else:
            rules.extend(_rules(members, root, depth=depth + 1))
    return sorted(rules, key=lambda rule: rule.pattern)


def _media(document: PublishedDocument) -> str | None:
    return document.media_type if _needs_type(document) else None


def _cors() -> str:
    # Verifiers running in a browser (wallet web apps) read these documents cross-origin.
    return "*"


def headers_file(rules: list[HeaderRule]) -> str:
    """Netlify / Cloudflare Pages `_headers`: a path (a trailing `*` for a folder), then its
    indented headers."""
    lines = [("# issuer publish: media types and cache times (generated; publish again rather "
             "than edit)")]
    for rule in rules:
        lines.append(rule.pattern + ("*" if rule.prefix else ""))
        if rule.media_type:
            lines.append(f"  Content-Type: {rule.media_type}")
        lines.append(f"  Cache-Control: {rule.cache}")
        lines.append(f"  Access-Control-Allow-Origin: {_cors()}")
        lines.extend(f"  {name}: {value}" for name, value in rule.headers)
    return "\n".join(lines) + "\n"


def nginx_snippet(rules: list[HeaderRule]) -> str:
    """`location` blocks to include in the site's `server { root …; }`. `types {}` empties
    the extension table inside the block, so `default_type` applies to every file there."""
    lines = [("# issuer publish: include inside the server block whose root is the published "
             "folder (generated)")]
    for rule in rules:
        lines.append(f"location {'^~' if rule.prefix else '='} {rule.pattern} {{")
        if rule.media_type:
            lines.append(f"    types {{ }} default_type \"{rule.media_type}\";")
        lines.append(f"    add_header Cache-Control \"{rule.cache}\" always;")
        lines.append(f"    add_header Access-Control-Allow-Origin \"{_cors()}\" always;")
        lines.extend(f"    add_header {name} \"{value}\" always;" for name, value in rule.headers)
        lines.append("}")
    return "\n".join(lines) + "\n"


def htaccess(rules: list[HeaderRule]) -> str:
    """Apache 2.4 `.htaccess` at the published folder's root (needs `AllowOverride FileInfo`
    and mod_headers). No `Options -MultiViews`: Apache refuses it (error 500 on every file)
    unless the server lists MultiViews in `AllowOverride Options=`; MultiViews only answers
    for files that do not exist, and every published path is a file."""
    lines = [("# issuer publish: Apache 2.4 (generated). Needs AllowOverride FileInfo and "
              "mod_headers.")]
    for rule in rules:
        test = (f"%{{REQUEST_URI}} =~ m#^{re.escape(rule.pattern)}#" if rule.prefix
                else f"%{{REQUEST_URI}} == '{rule.pattern}'")
        lines.append(f"<If \"{test}\">")
        if rule.media_type:
            lines.append(f"    ForceType \"{rule.media_type}\"")
        lines.append(f"    Header set Cache-Control \"{rule.cache}\"")
        lines.append(f"    Header set Access-Control-Allow-Origin \"{_cors()}\"")
        lines.extend(f"    Header set {name} \"{value}\"" for name, value in rule.headers)
        lines.append("</If>")
    return "\n".join(lines) + "\n"


def caddy_snippet(rules: list[HeaderRule]) -> str:
    """Caddy v2 directives for the site block (`root * …` and `file_server` set by you):
    file_server keeps a Content-Type already set."""
    lines = [("# issuer publish: Caddy v2, inside the site block that serves the published "
             "folder (generated)")]
    for number, rule in enumerate(rules, start=1):
        name = f"@published{number}"
        lines.append(f"{name} path {rule.pattern}{'*' if rule.prefix else ''}")
        lines.append(f"header {name} {{")
        if rule.media_type:
            lines.append(f"    Content-Type \"{rule.media_type}\"")
        lines.append(f"    Cache-Control \"{rule.cache}\"")
        lines.append(f"    Access-Control-Allow-Origin \"{_cors()}\"")
        lines.extend(f"    {name} \"{value}\"" for name, value in rule.headers)
        lines.append("}")
    return "\n".join(lines) + "\n"


def manifest(documents: list[PublishedDocument], base_url: str) -> dict[str, Any]:
    """Every published path with its media type, cache time and digest (`publication.json`)."""
    root = urlsplit(base_url).path.rstrip("/") + "/"
    return {"baseUrl": base_url, "documents": [
        {"path": root + d.path, "url": f"{base_url.rstrip('/')}/{d.path}", "kind": d.kind,
         "mediaType": d.media_type, "cacheControl": d.cache,
         "sha256": hashlib.sha256(d.content()).hexdigest()}
        for d in documents]}


def host_configuration(documents: list[PublishedDocument], base_url: str,
                       hosts: Iterable[str] = HOSTS) -> dict[str, str]:
    """File name -> text: the manifest and the snippet of each host asked for."""
    rules = header_rules(documents, base_url)
    writers = {"nginx": nginx_snippet, "apache": htaccess, "caddy": caddy_snippet,
               "plain": headers_file}
    files = {MANIFEST_FILE: json.dumps(manifest(documents, base_url), ensure_ascii=False,
                                       indent=2) + "\n"}
    for host in hosts:
        files[_HOST_FILES[host]] = writers[host](rules)
    return files


def publish(service: IssuerService, out: Path, *, hosts: Iterable[str] = HOSTS,
            now: datetime | None = None) -> list[Path]:
    """Write the public site into `out`: the documents, the manifest and the host snippets.
    A document the previous publication wrote (its `publication.json`) and this one does not
    is removed (an erased person's evidence file, a badge taken out of the catalogue); nothing
    else in `out` is touched. Returns the files written."""
    documents = public_documents(service, now=now)
    _remove_unpublished(out, {document.path for document in documents})
    written: list[Path] = []
    for document in documents:
        target = out / document.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if document.source is not None:
            shutil.copyfile(document.source, target)
        else:
            target.write_bytes(document.body)
        written.append(target)
    for name, text in host_configuration(documents, service.settings.base_url, hosts).items():
        target = out / name
        target.write_text(text, "utf-8")
        written.append(target)
    # GitHub Pages hides folders starting with a dot (.well-known) unless this file exists.
    nojekyll = out / ".nojekyll"
    nojekyll.touch()
    written.append(nojekyll)
    return written


def _remove_unpublished(out: Path, paths: set[str]) -> None:
    try:
        previous = json.loads((out / MANIFEST_FILE).read_text("utf-8"))
        base_path = urlsplit(previous["baseUrl"]).path.rstrip("/") + "/"
        listed = [entry["path"].removeprefix(base_path) for entry in previous["documents"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # no previous publication here (or not ours): remove nothing
    root = out.resolve()
    for relative in listed:
        if not isinstance(relative, str) or relative in paths:
            continue
        target = (out / relative).resolve()
        if target.is_relative_to(root) and target.is_file():
            target.unlink()
