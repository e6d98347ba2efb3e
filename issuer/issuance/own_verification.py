"""Verifying the City's own stored credentials, cached (issue #10, item 3).

A badge page, an endorsement page, a mediator's badges and `POST /api/v1/verify` of one of
our credentials all run `issuer.openbadges.verification.verify` on a credential we stored. Its outcome
depends only on:

- the exact text verified (its proof, dates, schema): the key holds a SHA-256 of it;
- the issuer keys (DID document): the key holds `KeyStore.generation()`;
- its revocation and suspension bits: the key holds the credential's own row as the database
  says it *now* (`revoked_at`, `suspended`, `suspended_at`), read on every view, so a
  revocation, suspension or unsuspension made by any process (CLI or web) is a different key
  at the very next view;
- the clock, through validFrom / validUntil: an entry is used only until the next instant its
  validity could change (`fresh_until`), and at most `MAX_AGE`.

So a cached report is what `verify()` would say again. It is stored only when it is certain:
a definite verdict (never "indeterminate": an unreadable status list is retried), and a status
that agrees with the row read before and after verifying (a change landing mid-verification
is not cached under the old key). Concurrent views of one credential compute it once.

Third-party inputs are never cached here: they are verified live (rate-limited, and capped in
`issuer.web.views.verifier`). The cache is bounded (least recently used out first) and
thread-safe; one per `IssuerService`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, bindparam, select

from issuer.openbadges.verification import CLOCK_SKEW, VerificationReport, verify
from issuer.storage.endorsement_models import EndorsementRow
from issuer.storage.models import IssuedCredential

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

CredentialKind = Literal["badge", "endorsement"]
MAX_ENTRIES = 512
"""Reports kept at most (each holds its parsed credential, a few tens of kilobytes)."""
MAX_AGE = timedelta(hours=1)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PATHS: dict[str, CredentialKind] = {"/credentials/": "badge", "/recommandations/": "endorsement"}
_TABLES = {"badge": IssuedCredential, "endorsement": EndorsementRow}


@dataclass(frozen=True)
class StatusVersion:
    """A stored credential's status as its row says it now."""

    revoked_at: datetime | None
    suspended: bool
    suspended_at: datetime | None


Form = Literal["json", "jwt"]
"""A stored credential's two signed texts: its JSON (embedded proof) and its VC-JWT."""


CacheKey = tuple[Any, ...]


@dataclass(frozen=True)
class _Entry:
    report: VerificationReport
    fresh_until: datetime


class OwnVerificationCache:
    """Least-recently-used reports, each with the instant after which it may no longer hold."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[CacheKey, tuple[threading.Lock, int]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def lookup(self, key: CacheKey, now: datetime) -> VerificationReport | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or now >= entry.fresh_until:
                if entry is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.report

    def store(self, key: CacheKey, report: VerificationReport, fresh_until: datetime) -> None:
        with self._lock:
            self._entries[key] = _Entry(report, fresh_until)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @contextmanager
    def computing(self, key: CacheKey) -> Iterator[None]:
        """Held while one thread verifies `key`: the others wait, then find its result."""
        with self._lock:
            lock, users = self._computing.get(key, (threading.Lock(), 0))
            self._computing[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, users = self._computing[key]
                if users <= 1:
                    del self._computing[key]
                else:
                    self._computing[key] = (lock, users - 1)


@functools.cache
def _row_statement(kind: CredentialKind, form: Form | None) -> Select[Any]:
    """What `_read` reads, built once per shape (SQLAlchemy then reuses its compiled form):
    the status, and the one signed text a request sent, if any (not both: each is several
    kilobytes, read on every verification of one of our credentials)."""
    table: Any = _TABLES[kind]
    columns = [table.revoked_at, table.suspended]
    if kind == "badge":  # endorsements are never suspended: no date column
        columns.append(table.suspended_at)
    if form is not None:
        columns.append(table.credential_json if form == "json" else table.credential_jwt)
    return select(*columns).where(table.id == bindparam("credential_id"))


def _read(service: IssuerService, kind: CredentialKind, credential_id: str,
          form: Form | None) -> tuple[StatusVersion, str | None] | None:
    # Read on every verification of one of our credentials (POST /api/v1/verify, badge and
    # endorsement pages): plain rows on a read connection, as `IssuerService.credential`
    # reads a badge page's row; an ORM session and its objects cost more than the query.
    statement = _row_statement(kind, form)
    with service.database.reading() as connection:
        row = connection.execute(statement, {"credential_id": credential_id}).first()
    if row is None:
        return None
    version = StatusVersion(row[0], bool(row[1]), row[2] if kind == "badge" else None)
    return version, (row[-1] if form is not None else None)


def status_version(service: IssuerService, kind: CredentialKind,
                   credential_id: str) -> StatusVersion | None:
    """A stored credential's status as its row says it now (one read by primary key)."""
    found = _read(service, kind, credential_id, None)
    return found[0] if found is not None else None


def stored_form(service: IssuerService, kind: CredentialKind, credential_id: str,
                form: Form) -> tuple[str, StatusVersion] | None:
    """One signed text ("" when not signed) and the status of one of our stored credentials
    (one read)."""
    found = _read(service, kind, credential_id, form)
    if found is None:
        return None
    version, text = found
    return text or "", version


def fresh_until(report: VerificationReport, now: datetime) -> datetime:
    """Until when `report` holds as far as the clock goes: the next validity boundary."""
    limit = now + MAX_AGE
    if report.valid_until is not None and report.valid_until > now:
        limit = min(limit, report.valid_until)
    if report.valid_from is not None and report.valid_from - CLOCK_SKEW > now:
        limit = min(limit, report.valid_from - CLOCK_SKEW)
    return limit


def _certain(report: VerificationReport, version: StatusVersion) -> bool:
    """A report worth keeping for this status version (see the module docstring)."""
    if report.verdict == "indeterminate":
        return False
    if report.check("status").code == "status.not_checked":
        return True  # not authentic: the status was not read and does not matter
    return (report.revoked is (version.revoked_at is not None)
            and report.suspended is version.suspended)


def _cache_key(service: IssuerService, kind: CredentialKind, credential_id: str,
               credential_text: str, version: StatusVersion | None) -> CacheKey:
    return (kind, credential_id, hashlib.sha256(credential_text.encode("utf-8")).digest(),
            version, service.keystore.generation())


def verify_own(service: IssuerService, kind: CredentialKind, credential_id: str,
               credential_text: str, *, status: StatusVersion | None = None
               ) -> tuple[VerificationReport, StatusVersion | None]:
    """`verify()` of our stored `credential_text` (its JSON or JWT), from the cache when
    nothing it depends on changed, and the status its row had (None: no such row). `status`
    is the row's status when the caller has just read it with the text (in this request);
    otherwise it is read here. Raises whatever `verify` raises."""
    from issuer.issuance.verification_context import verification_context_for

    cache = service.own_verifications
    version = status if status is not None else status_version(service, kind, credential_id)
    key = _cache_key(service, kind, credential_id, credential_text, version)
    now = datetime.now(UTC)
    if version is not None:
        found = cache.lookup(key, now)
        if found is not None:
            return found, version
    with cache.computing(key):
        if version is not None:
            found = cache.lookup(key, now)
            if found is not None:
                return found, version
        # Ours, read from our database: canonicalised in-process (no sandbox worker).
        report = verify(credential_text, verification_context_for(service, untrusted=False))
        if version is not None and _certain(report, version) \
                and status_version(service, kind, credential_id) == version:
            cache.store(key, report, fresh_until(report, now))
    return report, version


def _claimed_id(data: str) -> tuple[Any, Form] | None:
    """The `id` a JSON credential, or the `jti` a VC-JWT, says it has, and which of the two
    forms it is; None otherwise."""
    text = data.strip()
    try:
        if text.startswith("{"):
            parsed = json.loads(text)
            return (parsed.get("id"), "json") if isinstance(parsed, dict) else None
        parts = text.split(".")
        if len(parts) == 3 and len(text) < 100_000:
            payload = parts[1] + "=" * (-len(parts[1]) % 4)
            claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
            return (claims.get("jti"), "jwt") if isinstance(claims, dict) else None
    except (ValueError, RecursionError, UnicodeError, binascii.Error):
        return None
    return None


def own_claim(service: IssuerService, data: str | bytes
              ) -> tuple[CredentialKind, str, Form, str] | None:
    """(kind, id, form, text) when `data`, read alone, says it is one of our credentials: its
    `id` (JSON) or `jti` (VC-JWT) is the address of one of our badges or endorsements. Only
    the stored text can say whether it is one (`own_stored_credential`)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        text = data
    found = _claimed_id(text)
    if found is None:
        return None
    claimed, form = found
    base = service.settings.base_url.rstrip("/")
    if not isinstance(claimed, str) or not claimed.startswith(base + "/"):
        return None
    rest = claimed[len(base):]
    for path, kind in _PATHS.items():
        credential_id = rest.removeprefix(path)
        if rest.startswith(path) and _UUID.fullmatch(credential_id):
            return kind, credential_id, form, text
    return None


def own_stored_credential(service: IssuerService, data: str | bytes
                          ) -> tuple[CredentialKind, str, str, StatusVersion] | None:
    """(kind, id, stored text, status) when `data` is byte for byte one of our stored
    credentials (its JSON or its JWT), else None: such an input may be answered from the
    cache, anything else is verified live. The status is the row's, read with the text: pass
    it on to `verify_own` (`status=`) rather than reading the row a second time."""
    claim = own_claim(service, data)
    if claim is None:
        return None
    kind, credential_id, form, text = claim
    stored = stored_form(service, kind, credential_id, form)
    if stored is None or not stored[0] or stored[0] != text:
        return None
    return kind, credential_id, stored[0], stored[1]


def cached_report(service: IssuerService, kind: CredentialKind, credential_id: str,
                  credential_text: str, status: StatusVersion) -> VerificationReport | None:
    """The report `verify_own` would give from its cache for our stored `credential_text`
    whose row says `status` now; None when it would verify (nothing is verified here)."""
    key = _cache_key(service, kind, credential_id, credential_text, status)
    return service.own_verifications.lookup(key, datetime.now(UTC))
