"""The shape cache's placeholder strings, and the signal that a leaf cannot be substituted."""

from __future__ import annotations

import secrets


def _placeholder_prefix() -> str:
    # A per-process random prefix, so a value in a document can never pose as a placeholder.
    return f"urn:x-shape-{secrets.token_hex(8)}:"


PLACEHOLDER = _placeholder_prefix()


class UnsafeTemplate(Exception):
    """Leaves whose placeholder did not come out of expansion whole: fixed into the skeleton."""

    def __init__(self, leaves: set[int]) -> None:
        super().__init__(leaves)
        self.leaves = leaves
