"""Bounded, thread-safe memos of pure functions, for the verifier (VERIFICATION.md R7, R13).

A memo keeps what a pure function returned for an input, keyed on the input itself (a
string, bytes) or on a SHA-256 digest of its JSON text (`json_digest`): the same key means
the same input, so a memo can never answer for an input that changed (a status list whose
bit changed, a list tampered with under the same `id`, another key). Never keyed on `id()`
of an object, which a new object may reuse. Least recently used entries go first; one lock
per memo, held only to read or write the table (the function itself runs outside it).

What each memo may keep is decided by its caller: only outcomes that are a pure function of
the key (a signature that verified with these exact key bytes over this exact list, a
decoded public key, a decoded bitstring), never a verdict that depends on anything else
(the clock, a revocation, a time limit).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")

_MISSING = object()


class Memo(Generic[Value]):
    """A least-recently-used table of at most `max_entries` results, safe across threads."""

    def __init__(self, max_entries: int) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> Value | None:
        """The value kept for `key`, or None (a memo never keeps None)."""
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is _MISSING:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found  # type: ignore[return-value]

    def put(self, key: Hashable, value: Value) -> None:
        if value is None:
            raise ValueError("a memo does not keep None")
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


def json_digest(value: object) -> bytes | None:
    """SHA-256 of `value`'s JSON text, keys sorted: two documents with the same digest are the
    same JSON document. None when `value` is not plain JSON (NaN, a lone surrogate, a key that
    is not a string, nesting too deep): such a value is simply not memoised."""
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).digest()
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None
