"""The two orders of canonical N-Quads: Unicode code points (RDFC-1.0) and UTF-16 code units.

RDFC-1.0 sorts N-Quads lines (and the lines hashed for each blank node) by code point. The
JavaScript canonicaliser the wallets use, rdf-canonize (verifier-core, Digital Bazaar), calls
`Array.prototype.sort()`, which compares UTF-16 code units (rdf-canonize 3 to 5;
w3c/rdf-canon#18). The two comparisons of two strings disagree only where the strings first
differ at a character above U+FFFF (written as a surrogate pair, D800–DBFF first) against one
in U+E000–U+FFFF (private use, `ﬁ` U+FB01, full-width forms, U+FFFD): code points put the
astral character last, code units first.

Pure functions on text, shared by the canonicaliser, the signer and the catalogue checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HIGH_BMP = re.compile("[\ue000-\uffff]")


def utf16_key(text: str) -> bytes:
    """Sort key giving UTF-16 code unit order (big-endian bytes compare as the units do)."""
    return text.encode("utf-16-be", "surrogatepass")


def has_astral_characters(text: str) -> bool:
    """Whether `text` holds a character above U+FFFF. Encoding in C takes about 1 µs for a
    credential's canonical form, where a regular expression scan takes 50 µs."""
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def orders_may_differ(text: str) -> bool:
    """False when no two lines of `text` can sort differently in the two orders: it holds no
    character above U+FFFF, or none in U+E000–U+FFFF (checked only when the first holds)."""
    return has_astral_characters(text) and bool(_HIGH_BMP.search(text))


def _is_astral(character: str) -> bool:
    return character > "\uffff"


def _is_high_bmp(character: str) -> bool:
    return "\ue000" <= character <= "\uffff"


def first_difference(a: str, b: str) -> tuple[str, str] | None:
    """The characters at which `a` and `b` first differ, None when one is a prefix of the
    other (both orders then agree: the shorter string comes first)."""
    for left, right in zip(a, b, strict=False):
        if left != right:
            return left, right
    return None


def compare_differently(a: str, b: str) -> bool:
    """Whether code point order and UTF-16 code unit order disagree on `a` against `b`."""
    pair = first_difference(a, b)
    if pair is None:
        return False
    left, right = pair
    return (_is_astral(left) and _is_high_bmp(right)) or (_is_high_bmp(left) and _is_astral(right))


def conflicting_characters(lines: Iterable[str]) -> set[str]:
    """The characters at which two of `lines` compare differently in the two orders."""
    candidates = [line for line in lines if has_conflict_class_characters(line)]
    found: set[str] = set()
    for index, line in enumerate(candidates):
        for other in candidates[index + 1:]:
            if compare_differently(line, other):
                pair = first_difference(line, other)
                assert pair is not None
                found.update(pair)
    return found


def has_conflict_class_characters(text: str) -> bool:
    """Whether `text` holds a character of either class (above U+FFFF, or U+E000–U+FFFF)."""
    return bool(_ASTRAL.search(text)) or bool(_HIGH_BMP.search(text))
