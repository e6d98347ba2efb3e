"""The City's signed status lists (Bitstring Status List, VERIFICATION.md R7, R13), as
`/status/<n>/<purpose>` publishes them and as verifying our own badges reads them: the bits read
from the database, the list signed again only when they or the keys changed. `IssuerService`
holds one (`IssuerService.status_lists`) and answers for it."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from issuer.errors import NotFound
from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.openbadges.status_list import (
    StatusBitstring,
    StatusPurpose,
    build_status_list_credential,
)
from issuer.storage.status_slots import status_list_bits

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService


class StatusListCredentials:
    """The signed lists of one `IssuerService`, with the caches that spare signing them again."""

    def __init__(self, service: IssuerService) -> None:
        self.service = service
        self._status_cache: dict[tuple[int, str, Any], tuple[float, dict[str, Any]]] = {}
        # (list id, purpose) -> (what it was signed from, the signed list): re-signed only
        # when its bits or the keys change (`current_status_list_credential`).
        self._signed_lists: dict[tuple[int, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self._signing_lock = threading.Lock()

    def status_list_credential(self, status_list_id: int, purpose: StatusPurpose,
                               *, now: datetime | None = None) -> dict[str, Any]:
        """The signed BitstringStatusListCredential for one list and purpose (VERIFICATION.md R7, R13),
        signed now (`now`, when given, is its validFrom and the proof's `created`)."""
        length, indices = self._status_bits(status_list_id, purpose)
        return self._sign_status_list(status_list_id, purpose, length, indices, now)

    def current_status_list_credential(self, status_list_id: int,
                                       purpose: StatusPurpose) -> dict[str, Any]:
        """The signed list with the bits the database holds now, from any process. Reading
        the bits is one indexed query; the list is signed again only when they, or the keys,
        changed since the last signature (signing costs a canonicalisation and the private
        key). What verifying our own badges reads (`verification_context_for`)."""
        length, indices = self._status_bits(status_list_id, purpose)
        source = (length, hashlib.sha256(repr(indices).encode("ascii")).digest(),
                  self.service.keystore.generation())
        key = (status_list_id, purpose)
        cached = self._signed_lists.get(key)
        if cached is not None and cached[0] == source:
            return cached[1]
        with self._signing_lock:  # one signature when many requests miss at once
            cached = self._signed_lists.get(key)
            if cached is not None and cached[0] == source:
                return cached[1]
            document = self._sign_status_list(status_list_id, purpose, length, indices, None)
            self._signed_lists[key] = (source, document)
        return document

    def _status_bits(self, status_list_id: int, purpose: StatusPurpose) -> tuple[int, list[int]]:
        with self.service.database.reading() as connection:
            found = status_list_bits(connection, status_list_id, purpose)
        if found is None:
            raise NotFound(f"Liste de statut inconnue : {status_list_id}.",
                           f"Unknown status list: {status_list_id}.", code="status.not_found")
        return found

    def _sign_status_list(self, status_list_id: int, purpose: StatusPurpose, length: int,
                          indices: list[int], now: datetime | None) -> dict[str, Any]:
        bits = StatusBitstring(length)
        for index in indices:
            bits.set(index, True)
        unsigned = build_status_list_credential(
            url=self.service.status_list_url(status_list_id, purpose),
            issuer=self.service.issuer_did,
            purpose=purpose, bitstring=bits, valid_from=now or datetime.now(UTC))
        ed_key = self.service._active("Ed25519")
        assert ed_key.private_key is not None
        return sign_document(unsigned, ed_key.private_key,  # type: ignore[arg-type]
                             self.service.verification_method(ed_key), created=now)

    def cached_status_list_credential(self, status_list_id: int, purpose: StatusPurpose,
                                      *, ttl: float = 60.0) -> dict[str, Any]:
        """The published list (`/status/<n>/<purpose>`): the bits are read again at most every
        `ttl` seconds and at once after a change made through this process (the HTTP cache
        lifetime is the same 60 s); signed again only when they changed."""
        import time

        # The key generation is part of the key: a list signed with a key since retired or
        # revoked (by any process, e.g. `issuer keys revoke`) is signed again at once.
        key = (status_list_id, purpose, self.service.keystore.generation())
        cached = self._status_cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        document = self.current_status_list_credential(status_list_id, purpose)
        self._status_cache = {k: v for k, v in self._status_cache.items()
                              if k[:2] != key[:2]}
        self._status_cache[key] = (time.monotonic() + ttl, document)
        return document

    def forget_status_cache(self) -> None:
        """Drop the cached signed status lists: call after committing a status change made
        outside `revoke`/`suspend`/`unsuspend` (those already do). Verifications of our own
        badges do not depend on it: they read the bits from the database each time."""
        self._status_cache.clear()
