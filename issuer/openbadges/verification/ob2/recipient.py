"""The OB 2.0 recipient (`IdentityObject`): does an e-mail address a reader types match the
assertion's `recipient`, hashed (`sha256$…` or `md5$…` of address + salt) or in clear? Pure,
for the "is this badge theirs?" answer; nothing is stored."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

_HASHES = {"sha256": hashlib.sha256, "md5": hashlib.md5}


def _candidates(email: str) -> list[str]:
    # Issuers hash the address as they hold it, most often lower-cased: try it as typed too.
    typed = email.strip()
    return list(dict.fromkeys((typed, typed.lower())))


def ob2_recipient_matches(recipient: Any, email: str) -> bool:
    """True when `recipient` (an OB 2.0 IdentityObject of type `email`) names `email`."""
    if not isinstance(recipient, dict) or not isinstance(email, str) or not email.strip():
        return False
    if recipient.get("type") != "email" or not isinstance(recipient.get("identity"), str):
        return False
    identity: str = recipient["identity"].strip()
    hashed = recipient.get("hashed")
    if hashed is False:
        return identity.casefold() == email.strip().casefold()
    if hashed is not True:
        return False
    algorithm, separator, digest = identity.partition("$")
    hash_function = _HASHES.get(algorithm.lower())
    if not separator or hash_function is None:
        return False
    salt = recipient.get("salt")
    salt = salt if isinstance(salt, str) else ""
    return any(
        hmac.compare_digest(
            hash_function((candidate + salt).encode("utf-8")).hexdigest(), digest.lower())
        for candidate in _candidates(email))
