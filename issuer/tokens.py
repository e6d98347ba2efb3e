"""One-time and session tokens: how they are made and what the database keeps of them.

A token is 32 random bytes, base64url (`secrets.token_urlsafe`): it goes into a link or a
cookie and is never stored. The database keeps only its digest, the hex SHA-256 of its UTF-8
bytes: someone who reads the database cannot sign in or use a link with what they read, and a
token is found by its digest with an ordinary index lookup. Tokens are long and random, so a
plain hash is enough (no salt, no slow hash: there is nothing to guess).

Used by the coordinators' sessions and invitations (`accounts`), the mediators' sign-in links and
sessions (`mediators.sign_in`) and the attendance claim addresses (`claims`, whose token is
derived, not random, but stored the same way). The digest format is the one these tables have
always held, so existing databases keep working.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random token for a link or a cookie (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the database keeps of `token`: 64 hex characters."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
