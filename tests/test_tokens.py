"""One token helper for every link and session: fresh random tokens, and a stored digest that
keeps the format the databases already hold."""

from __future__ import annotations

import hashlib
import re

from issuer.tokens import new_token, token_digest


def test_new_tokens_are_url_safe_and_never_repeat() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_digest_is_the_sha256_hex_the_tables_already_hold() -> None:
    # FIPS 180-2 test vector: SHA-256("abc"). Rows written before this module still match.
    assert token_digest("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    token = new_token()
    assert token_digest(token) == hashlib.sha256(token.encode("utf-8")).hexdigest()
    assert token not in token_digest(token)


def test_digest_of_any_text_is_defined() -> None:
    # A token read from a link may be anything a stranger typed: hashing never raises.
    assert len(token_digest("jeton-é-🎫")) == 64
