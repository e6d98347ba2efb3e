"""Issuance: the badge catalogue, the issuer keys, the issuer service that signs, stores and
revokes credentials, the files it writes, and the cached verification of its own credentials."""
