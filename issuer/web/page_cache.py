"""Rendered public pages, kept for the next visitor who would be sent the same bytes (issue #10,
item 3).

A badge page is the same for every visitor who reads it in the same language at the same
minute, as long as nothing it shows changed. Rendering it (templates, dates, share links) costs
far more than checking that: so the page is rendered once and its bytes are reused while its
*inputs* are the same. The caller names the inputs (`PageInputs.same_as`); an entry whose inputs
differ from the current ones is never served, it is rendered again and replaced.

What may go in: only a page every visitor gets, i.e. built from public data and the visitor's
language. Never a page that answers one visitor (a form's result, a signed-in person's view):
the caller renders those each time and does not store them.

Bounded (least recently used out first), thread-safe (handlers run in Starlette's thread pool);
concurrent visitors of a page being rendered wait for it instead of rendering it too. One per
application (`create_app`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

MAX_PAGES = 256
"""Pages kept at most (a badge page is about 30 kB)."""


class PageInputs(Protocol):
    def same_as(self, other: PageInputs) -> bool:
        """Whether a page rendered from `other` is byte for byte the page for `self`."""


@dataclass(frozen=True)
class _Page:
    inputs: PageInputs
    body: bytes


class PageCache:
    """Least-recently-used rendered pages, each with the inputs it was rendered from."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        if max_pages <= 0:
            raise ValueError("max_pages must be positive")
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[Hashable, tuple[threading.Lock, int]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)

    def lookup(self, key: Hashable, inputs: PageInputs) -> bytes | None:
        """The page stored under `key` when it was rendered from the same inputs, else None."""
        with self._lock:
            page = self._pages.get(key)
            if page is None or not inputs.same_as(page.inputs):
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page.body

    def store(self, key: Hashable, inputs: PageInputs, body: bytes) -> None:
        with self._lock:
            self._pages[key] = _Page(inputs, body)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    @contextmanager
    def rendering(self, key: Hashable) -> Iterator[None]:
        """Held while one thread renders `key`: the others wait, then find its page."""
        with self._lock:
            lock, users = self._rendering.get(key, (threading.Lock(), 0))
            self._rendering[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, users = self._rendering[key]
                if users <= 1:
                    del self._rendering[key]
                else:
                    self._rendering[key] = (lock, users - 1)
