"""Verify an Open Badges 3.0 credential: one `verify()` returning a report of ordered checks.
Open Badges 2.0 assertions (hosted or signed) go through the same nine checks with their own
codes (`issuer.openbadges.verification.ob2`, report `standard="ob2"`); Open Badges 1.x is reported as a
format not supported, never as forged.

Input: a credential as a dict, JSON text, a compact VC-JWT, or a baked PNG / SVG image. The
report holds one `Check` per step, always in this order, each `passed`, `failed`, `warning`,
`unknown` or `skipped`, with a stable code and a French and an English message:

1. ``format``       the input could be read (size cap first; JSON, JWT or baked image);
2. ``context``      the `@context` list is one of the pinned lists we accept (VERIFICATION.md R14);
3. ``type``         VerifiableCredential + OpenBadgeCredential / AchievementCredential /
                    EndorsementCredential;
4. ``schema``       the 1EdTech JSON Schema (VCDM 2.0 credentials only);
5. ``proof``        every embedded proof verifies, or the JWT signature does (VERIFICATION.md R12);
6. ``issuer_key``   the signing key is the issuer's own (VERIFICATION.md R11);
7. ``issuer_known`` the issuer is one the caller knows (e.g. the City), by its id, never by
                    the name its profile shows;
8. ``validity``     validFrom / validUntil (issuanceDate / expirationDate for VCDM 1.1);
9. ``status``       revocation and suspension, read from a status list the issuer signed
                    (VERIFICATION.md R7, R13).

Verdict: ``invalid`` if any check failed, else ``indeterminate`` if any is unknown, else
``valid`` (warnings allowed). "Unknown" is never shown as valid: an unreachable status list, a
key that cannot be tied to the issuer, a key that could not be obtained.

Decisions worth knowing:

- **Keys (VERIFICATION.md R11).** A verification method (or JWT `kid`) that is a DID URL must belong
  to the issuer's own DID and be listed under `assertionMethod` in that DID's document. A key of
  another DID fails, even when the signature is mathematically right: a did:key proof on a
  credential whose issuer is `urn:uuid:…` proves only that *someone* holding that key signed
  it, and the issuer's embedded profile (signed, so fully known to us) lists no key, so the
  binding is known to be absent, not merely unknown. An `https://issuer/…#z6Mk…` method (the
  1EdTech samples) carries its key in the fragment: the signature is checked with it, but
  nothing offline ties that key to the issuer, so `issuer_key` is "unknown"
  (`issuer_key.unverifiable`) when the URL is under the issuer's own id, "failed" otherwise. A
  JWT whose only key is an embedded `jwk` header fails `issuer_key`. A bare `did:key:z…`
  method (no `#key`) names a DID document, not a key: the signature is checked with the key
  it derives, but `issuer_key` fails (`issuer_key.bare_did`), as the wallets refuse it.
- **JSON-LD safe mode (VERIFICATION.md R1, R18).** The pinned VC 2.0 context has no `@vocab`, so
  JSON-LD drops a property no context defines, and other forms too (keys shaped like keywords, types
  and identifiers that do not expand, free-floating values...): the signature does not cover
  them, so a field could be added to a signed badge without breaking its proof. Every such
  member fails `proof` (`proof.unsigned_terms`, naming its JSON path), as it fails in the
  JavaScript wallets that run jsonld.js in safe mode (`issuer.openbadges.jsonld_safety`). A VC-JWT's
  credential is held to the same check.
- **Hostile input (VERIFICATION.md R9, R16).** Input is capped in size first, then in cost by a
  cheap count over its JSON tree (`issuer.openbadges.json_cost`: depth, values, objects, values per property,
  blank nodes that look alike, `_:` labels, contexts...), before any JSON-LD work
  (`format.too_complex`; `format.too_deep` for nesting); fetched status lists and DID documents
  get the same count. With `untrusted=True`, a document whose JSON-LD shape is not already in
  the canonical shape cache (in practice: not the shape of a credential this process signed) is
  canonicalised in a worker process (`issuer.openbadges.sandbox`) killed after
  `canonicalization_timeout` seconds, with
  a cap on blank nodes; both give `proof.too_complex`. Our own credentials stay in-process.
  At most `MAX_PROOFS` proofs and `MAX_STATUS_ENTRIES` status entries are examined, so one
  document cannot start an unbounded number of costly checks.
- **Status of the City's credentials.** OB 3.0's JSON Schema allows a single
  `credentialStatus` object, so a City credential carries only its revocation entry, pointing
  at `…/status/<n>/revocation`. A sibling list `…/status/<n>/suspension`, same index, holds
  suspensions. For issuers in `known_issuers` only, when a revocation entry's list URL ends in
  `/revocation`, the sibling `/suspension` list is read too (unreachable → status unknown).
  Other issuers' credentials are judged only on the entries they carry. `1EdTechRevocationList`
  and other status types give "unknown" (`status.unsupported_type`). A status list counts only
  if it is a `BitstringStatusListCredential` with a Data Integrity proof by the credential's own
  issuer (VERIFICATION.md R13); otherwise the status is unknown. The status is not looked up at all
  for a credential whose proof or key already failed.
- **Fetching (VERIFICATION.md R17).** Before a proof has verified with a key bound to the issuer,
  the only document fetched is the issuer's own DID document (a did:web issuer): never a key of
  another DID, a status list, a schema or a profile. A status list is fetched only once
  `proof` and `issuer_key` both passed; with either "unknown" the status is "unknown"
  (`status.not_fetched`).
- **Clocks.** A validFrom up to `CLOCK_SKEW` ahead of our clock is accepted, for credentials
  and status lists alike (an issuer building its list on request stamps it with its own "now").
  validUntil is applied exactly for credentials.
- **Size.** One cap, `max_input_bytes`, applies to every input, images included (badge
  artwork is far smaller; a caller verifying large images can raise it).

Modules: `pipeline` (`verify`, the order above), `report` (`Check`, `VerificationReport`),
`summary` and `wording` (the plain sentence), `messages` (every French / English message),
`context` (`VerificationContext`), one module per stage: `inputs`, `context_lists`,
`badge_type`, `proofs` and `jwt` (with `keys`), `issuers`, `validity`, `status`. Read from a
report: `claims` (what the badge says, facts only when its content is authentic) and `holder`
("was it issued to this e-mail address?"). A holder's `VerifiablePresentation` has its own
module, `presentation` (`verify_presentation`, and `verify_did_auth` for the holder's proof
alone), which verifies each credential inside with `verify`.
"""

from issuer.openbadges.verification.badge_type import BADGE_TYPES, ENDORSEMENT_TYPE, BadgeKind
from issuer.openbadges.verification.context import RevokedKey, VerificationContext
from issuer.openbadges.verification.context_lists import (
    ACCEPTED_CONTEXT_LISTS,
    CURRENT_OB_VERSION,
    DATA_INTEGRITY_V1,
    ED25519_2020_V1,
    OB_CONTEXT_VERSIONS,
)
from issuer.openbadges.verification.inputs import MAX_JSON_DEPTH
from issuer.openbadges.verification.jwt import MAX_RSA_BITS
from issuer.openbadges.verification.pipeline import verify
from issuer.openbadges.verification.proofs import MAX_PROOFS
from issuer.openbadges.verification.report import (
    CHECK_NAMES,
    Check,
    InputFormat,
    Outcome,
    Verdict,
    VerificationReport,
)
from issuer.openbadges.verification.status import MAX_STATUS_ENTRIES
from issuer.openbadges.verification.validity import CLOCK_SKEW

__all__ = [
    "ACCEPTED_CONTEXT_LISTS",
    "BADGE_TYPES",
    "CHECK_NAMES",
    "CLOCK_SKEW",
    "CURRENT_OB_VERSION",
    "DATA_INTEGRITY_V1",
    "ED25519_2020_V1",
    "ENDORSEMENT_TYPE",
    "MAX_JSON_DEPTH",
    "MAX_PROOFS",
    "MAX_RSA_BITS",
    "MAX_STATUS_ENTRIES",
    "OB_CONTEXT_VERSIONS",
    "BadgeKind",
    "Check",
    "InputFormat",
    "Outcome",
    "RevokedKey",
    "Verdict",
    "VerificationContext",
    "VerificationReport",
    "verify",
]
