"""Signing a large batch on several cores: `IssuerService.issue_many` hands each chunk's
credentials to a pool of helper processes, each running the same `IssuerService.sign`."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from issuer.issuance.helper_processes import die_with_parent
from issuer.settings import Settings

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

#: A batch of at least this many requests also signs in helper processes. Starting one costs
#: about a second (it imports the JSON-LD stack); signing one credential about a millisecond.
PARALLEL_SIGNING_MIN_BATCH = 2_000
_MAX_SIGNING_HELPERS = 7

# The IssuerService of a helper process (set by `_start_signing_helper`).
_helper_service: IssuerService | None = None


def default_signing_helpers(batch_size: int) -> int:
    """Helper processes `issue_many` starts for a batch: one per spare core, for large ones."""
    if batch_size < PARALLEL_SIGNING_MIN_BATCH:
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, _MAX_SIGNING_HELPERS))


def _start_signing_helper(settings: Settings, parent_pid: int) -> None:
    from issuer.issuance.service import IssuerService  # service imports this module

    global _helper_service
    die_with_parent(parent_pid)  # a `kill -9` of the batch must not leave helpers running
    _helper_service = IssuerService(settings)


def _helper_ready() -> bool:
    return _helper_service is not None


def _sign_in_helper(documents: list[dict[str, Any]], now: datetime) -> list[tuple[str, str]]:
    assert _helper_service is not None, "not a signing helper process"
    return [_helper_service.sign(document, now) for document in documents]


class _SigningPool:
    """Signs a chunk's credentials here and in `helpers` spawned processes at once.

    A helper is an `IssuerService` built from the same settings, so it reads the same keys and
    runs the same `sign`. Both proofs are deterministic (Ed25519, RSA PKCS#1 v1.5), so the first
    credential is signed on both sides and the helpers are used only if the texts are identical.
    Any failure of a helper (it could not start, it died) falls back to signing here: signing
    is pure, so the result is the same, only slower.
    """

    def __init__(self, service: IssuerService, *, helpers: int) -> None:
        self.service = service
        self.helpers = helpers
        self._executor: ProcessPoolExecutor | None = None
        self._checked = False
        if helpers > 0:
            # spawn, not fork: the caller may hold threads (a progress bar, a web server) and
            # database connections that a forked child must not inherit.
            self._executor = ProcessPoolExecutor(
                helpers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_signing_helper, initargs=(service.settings, os.getpid()))
            try:
                # Start the helpers now: their imports overlap the first chunk's database work.
                for _ in range(helpers):
                    self._executor.submit(_helper_ready)
            except RuntimeError:
                # Python refuses to start a process from a script being imported by spawn (a
                # script without `if __name__ == "__main__":` runs again in each helper): fail
                # there, with Python's explanation, rather than issue the batch a second time.
                self._stop()
                raise
            except Exception:  # noqa: BLE001 - no process can start here: sign here
                self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def sign_all(self, documents: list[dict[str, Any]], now: datetime) -> list[tuple[str, str]]:
        """`IssuerService.sign` of each document, in order."""
        if self._executor is None or len(documents) < 2:
            return self._sign_here(documents, now)
        # This process takes an equal share; the helpers the rest, one slice each.
        local_count = len(documents) // (self.helpers + 1)
        remote = documents[local_count:]
        size = -(-len(remote) // self.helpers)
        try:
            futures = [self._executor.submit(_sign_in_helper, remote[i:i + size], now)
                       for i in range(0, len(remote), size)]
        except Exception:  # noqa: BLE001 - the pool is gone: sign here
            self._stop()
            return self._sign_here(documents, now)
        local = self._sign_here(documents[:local_count], now)
        try:
            signed = [pair for future in futures for pair in future.result()]
            if not self._checked:
                self._checked = True
                if signed[0] != self.service.sign(remote[0], now):
                    raise RuntimeError("a signing helper does not sign as this process does")
        except Exception:  # noqa: BLE001 - any helper failure: sign here (pure work)
            self._stop()
            signed = self._sign_here(remote, now)
        return local + signed

    def _sign_here(self, documents: list[dict[str, Any]], now: datetime) -> list[tuple[str, str]]:
        return [self.service.sign(document, now) for document in documents]

