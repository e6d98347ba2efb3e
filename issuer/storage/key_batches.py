"""Long key lists queried `IN (...)` one slice at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

# Keys per `IN (...)` query: far below SQLite's and PostgreSQL's bound-parameter limits.
_IN_BATCH = 500


def batches(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _IN_BATCH):
        yield keys[start : start + _IN_BATCH]
