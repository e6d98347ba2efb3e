"""Open Badges 2.0 assertions, verified into the same `VerificationReport` as OB 3.0
credentials (`standard="ob2"`), with the same nine checks and their own codes.

- **Reading** (`reading`): JSON, a compact JWS (it looks like a VC-JWT: its payload decides),
  a baked PNG (`openbadges` iTXt chunk) or SVG (`<openbadges:assertion>`) holding JSON, a JWS
  or the hosted assertion's URL. Open Badges 0.5 / 1.x and OB 2.0 documents that are not
  assertions get a "format not supported" outcome (`unknown`), never a forged verdict.
- **Hosted** (`hosted`, `policy`): fetched from its own `id`, it must match what was shown;
  its address must be one the issuer speaks for (same origin, or the profile's
  `allowedOrigins` / `startsWith`).
- **Signed** (`signed`): RS256 JWS; the key published at `verification.creator` must be owned
  by the issuer and listed in the issuer's own profile, read from the issuer's address.
- **Documents** (`documents`, `resolve`): the badge class and issuer profile are fetched
  through the context's `fetch_document` (the bounded `Fetcher`), at most `MAX_FETCHES`.
  `credential` in the report is the *resolved* assertion (badge class and profile inline).
- **Status** (`revocation`): 410 Gone, `revoked: true`, the issuer's `revocationList`.
- **Dates** (`dates`): `issuedOn`, `expires`.
- **Recipient** (`recipient`): `ob2_recipient_matches`, for "is this badge theirs?".
"""

from issuer.openbadges.verification.ob2.documents import MAX_FETCHES
from issuer.openbadges.verification.ob2.pipeline import verify_ob2
from issuer.openbadges.verification.ob2.reading import Ob2Input, read_ob2
from issuer.openbadges.verification.ob2.recipient import ob2_recipient_matches

__all__ = ["MAX_FETCHES", "Ob2Input", "ob2_recipient_matches", "read_ob2", "verify_ob2"]
