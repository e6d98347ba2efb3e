"""Verify a `VerifiablePresentation`: the holder's proof, then every credential inside and
whether each was issued to the holder (holder binding).

A wallet answering a presentation request (VC-API exchange, `issuer.wallet.presentation_requests`)
signs a presentation with its own key: W3C VCDM 2.0 or 1.1 `@context`, `holder` a `did:key`, one
proof `Ed25519Signature2020` (the Learner Credential Wallet, through Digital Bazaar's
ed25519-signature-2020) or `DataIntegrityProof` / `eddsa-rdfc-2022`, with `proofPurpose`
"authentication" and the verifier's `challenge` and `domain` (VC Data Integrity §4.2,
authentication proofs; VC-API "exchanges"). The checks, always in `PRESENTATION_CHECK_NAMES`
order, each with a code and a French / English message (`issuer.verification.messages`):

1. ``presentation`` the input is a JSON object, within the size and cost caps
                    (`issuer.json_cost`), with pinned contexts only, VC context first, typed
                    `VerifiablePresentation`;
2. ``holder_did``   `holder` is a did:key, and the proof's verification method is a key that
                    DID lists under `authentication` (`issuer.did`): the signer is the holder;
3. ``holder_proof`` the one proof verifies (JSON-LD safe mode, RDFC-1.0 canonicalisation in the
                    sandbox for unseen shapes, Ed25519: `issuer.verification.proofs`);
4. ``challenge``    the proof's challenge is the one asked for (a fresh one per request, so a
                    presentation cannot be replayed);
5. ``domain``       the proof's domain is this verifier's;
6. ``freshness``    the proof's `created` is within `PROOF_MAX_AGE` of now and not ahead by
                    more than `CLOCK_SKEW`; an `expires` in the past fails.

Cheap checks come first: the costly signature check runs only once the holder, challenge,
domain and dates are right. `verify_did_auth` stops there (a DIDAuthentication presentation
carries no credential). `verify_presentation` then verifies each `verifiableCredential` (an
object, a VC-JWT string, or a VCDM 2.0 `EnvelopedVerifiableCredential` holding a VC-JWT) with
the credential pipeline (`issuer.verification.verify`) and reports `holder_binding`:
`credentialSubject.id` equals the holder DID ("passed"), is another DID ("failed": someone
else's badge), or is no DID at all ("warning": the City's badges name their holder by a hashed
e-mail address, which a presentation cannot prove).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer import contexts
from issuer.did import DidError, DidResolver
from issuer.json_cost import CostLimits, first_excess
from issuer.proofs import vc_jwt
from issuer.proofs.data_integrity import (
    CRYPTOSUITE,
    DATA_INTEGRITY_PROOF,
    ED25519_SIGNATURE_2020,
    LEGACY_CRYPTOSUITES,
    ProofError,
    decode_proof_value,
    format_datetime,
)
from issuer.verification.context import VerificationContext
from issuer.verification.messages import COST_QUANTITIES, MESSAGES
from issuer.verification.pipeline import verify
from issuer.verification.proofs import check_proof_signature
from issuer.verification.report import (
    Check,
    Verdict,
    VerificationReport,
    internal_error,
    make_check,
    verdict_of,
)
from issuer.verification.validity import CLOCK_SKEW, parse_datetime

_LOG = logging.getLogger(__name__)

PRESENTATION_CHECK_NAMES = ("presentation", "holder_did", "holder_proof", "challenge", "domain",
                            "freshness")
PROOF_MAX_AGE = timedelta(minutes=10)
"""How old a holder proof may be: a wallet signs the moment it answers a request."""
MAX_PRESENTED_CREDENTIALS = 5
"""Credentials verified per presentation at most, so one presentation cannot start unbounded
costly checks (each credential is capped like any input to `verify`)."""
PRESENTATION_TYPE = "VerifiablePresentation"
ENVELOPED_CREDENTIAL_TYPE = "EnvelopedVerifiableCredential"
_VC_JWT_DATA_URL = "data:application/vc+jwt,"
_DID_KEY_PREFIX = "did:key:"
# The presentation envelope (credentials aside) is small: a tighter cap than a credential's.
_ENVELOPE_LIMITS = CostLimits(values=400, objects=40, members=300, longest_array=20,
                              contexts=8)


# -- results ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DidAuthResult:
    """The holder's proof of a presentation: `ok` when every holder check passed; `code` and
    the messages are then `holder_proof.ok`'s, else those of the first check that did not pass
    (e.g. `challenge.mismatch`, `freshness.stale`, `holder_proof.signature_mismatch`)."""

    ok: bool
    holder: str | None
    """The holder DID: set once `holder` was read as a did:key, even when a later check fails."""
    code: str
    message_fr: str
    message_en: str
    checks: tuple[Check, ...]

    def message(self, locale: str = "fr") -> str:
        return self.message_en if locale.lower().startswith("en") else self.message_fr

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "holder": self.holder, "code": self.code,
                "message": {"fr": self.message_fr, "en": self.message_en},
                "checks": [check.to_json() for check in self.checks]}


@dataclass(frozen=True)
class PresentedCredential:
    """One credential of a presentation: its verification report and holder binding."""

    index: int
    report: VerificationReport
    holder_binding: Check

    @property
    def holder_bound(self) -> bool:
        """Authentic, and issued to the DID that signed the presentation."""
        return self.report.verdict == "valid" and self.holder_binding.outcome == "passed"

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "holder_binding": self.holder_binding.to_json(),
                "holder_bound": self.holder_bound, "report": self.report.to_json()}


@dataclass(frozen=True)
class PresentationReport:
    """A presentation verified: the holder checks, then each credential."""

    verdict: Verdict
    holder: DidAuthResult
    credentials: tuple[PresentedCredential, ...]
    presentation: dict[str, Any] | None

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.holder.checks

    @property
    def holder_bound(self) -> bool:
        """At least one credential, every one authentic and issued to the holder."""
        return bool(self.credentials) and all(item.holder_bound for item in self.credentials)

    def summary(self, locale: str = "fr") -> str:
        english = locale.lower().startswith("en")
        if not self.holder.ok:
            return self.holder.message(locale)
        if not self.credentials:
            return (f"The presentation proves control of {self.holder.holder}."
                    if english else
                    f"La présentation prouve le contrôle de {self.holder.holder}.")
        if self.holder_bound:
            return ("Every badge presented is valid and was issued to the person presenting it."
                    if english else "Chaque badge présenté est valide et a été délivré à la "
                    "personne qui le présente.")
        if self.verdict == "invalid":
            return ("At least one badge presented is not valid, or was issued to someone else."
                    if english else "Au moins un badge présenté n'est pas valide, ou a été "
                    "délivré à quelqu'un d'autre.")
        return ("The presentation is authentic, but not every badge could be shown valid and "
                "issued to the person presenting it." if english else
                "La présentation est authentique, mais chaque badge n'a pas pu être montré valide "
                "et délivré à la personne qui le présente.")

    def to_json(self) -> dict[str, Any]:
        """A stable structure (the API's `kind: "presentation"` answer)."""
        return {
            "kind": "presentation",
            "verdict": self.verdict,
            "summary": {"fr": self.summary("fr"), "en": self.summary("en")},
            "holder": self.holder.holder,
            "holder_proof": self.holder.to_json(),
            "checks": [check.to_json() for check in self.checks],
            "holder_bound": self.holder_bound,
            "credentials": [item.to_json() for item in self.credentials],
        }


# -- reading ---------------------------------------------------------------------------------------

class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:  # read differently by different parsers
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _fail(name: str, code: str, **details: Any) -> Check:
    return make_check(name, "failed", code, **details)


def _read(data: object, max_bytes: int) -> tuple[dict[str, Any] | None, Check | None]:
    """The presentation as a fresh dict (a copy: nothing the caller holds is kept), or the
    failed `presentation` check."""
    if data is None:
        return None, _fail("presentation", "presentation.empty")
    if isinstance(data, dict):
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return None, _fail("presentation", "presentation.not_json")
        raw = text.encode("utf-8", "surrogatepass")
    elif isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        return None, _fail("presentation", "presentation.not_object")
    if len(raw) > max_bytes:  # before anything else looks at the bytes
        return None, _fail("presentation", "presentation.too_large", limit=max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, _fail("presentation", "presentation.not_json")
    if not text.strip():
        return None, _fail("presentation", "presentation.empty")
    if vc_jwt.looks_like_jwt(text):
        return None, _fail("presentation", "presentation.jwt_not_supported")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKey as duplicate:
        return None, _fail("presentation", "presentation.duplicate_key", key=duplicate.key[:80])
    except (ValueError, RecursionError):
        return None, _fail("presentation", "presentation.not_json")
    if not isinstance(value, dict):
        return None, _fail("presentation", "presentation.not_object")
    return value, None


def _cost_refusal(document: Any, limits: CostLimits) -> Check | None:
    excess = first_excess(document, limits)
    if excess is None:
        return None
    if excess.quantity == "depth":
        return _fail("presentation", "presentation.too_deep")
    what_fr, what_en = COST_QUANTITIES[excess.quantity]
    return _fail("presentation", "presentation.too_complex", what_fr=what_fr, what_en=what_en,
                 limit=excess.limit)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_envelope(presentation: dict[str, Any], limits: CostLimits) -> Check:
    """Cost, contexts and type of the presentation (its credentials are checked one by one)."""
    envelope = {key: value for key, value in presentation.items()
                if key != "verifiableCredential"}
    refusal = _cost_refusal(envelope, _ENVELOPE_LIMITS)
    if refusal is not None:
        return refusal
    credentials = presentation.get("verifiableCredential")
    if credentials is not None and not isinstance(credentials, list | dict | str):
        return _fail("presentation", "presentation.bad_credentials")
    items = _as_list(credentials)
    if len(items) > MAX_PRESENTED_CREDENTIALS:
        return _fail("presentation", "presentation.too_many_credentials", count=len(items),
                     limit=MAX_PRESENTED_CREDENTIALS)
    for item in items:
        if not isinstance(item, dict | str):
            return _fail("presentation", "presentation.bad_credentials")
        refusal = _cost_refusal(item, limits)
        if refusal is not None:
            return refusal
    declared = presentation.get("@context")
    if declared is None:
        return _fail("presentation", "presentation.context_missing")
    entries = declared if isinstance(declared, list) else [declared]
    if not entries or not all(isinstance(entry, str) for entry in entries):
        return _fail("presentation", "presentation.context_inline")
    for url in entries:
        # Pinned contexts only, never fetched (VERIFICATION.md R14).
        if not contexts.is_known(url) or url == contexts.OB_V3P0_2024_KEY:
            return _fail("presentation", "presentation.context_unknown", url=url[:200])
    if entries[0] not in (contexts.VC_V2, contexts.VC_V1):
        return _fail("presentation", "presentation.context_not_vc_first")
    if PRESENTATION_TYPE not in _as_list(presentation.get("type")):
        return _fail("presentation", "presentation.not_presentation")
    model = "2.0" if entries[0] == contexts.VC_V2 else "1.1"
    return make_check("presentation", "passed", "presentation.ok", model=model)


# -- the holder's proof ----------------------------------------------------------------------------

def _not_checked(name: str) -> Check:
    return Check(name, "skipped", f"{name}.not_checked", "Non vérifié.", "Not checked.")


def _check_holder(presentation: dict[str, Any],
                  proof: dict[str, Any] | None) -> tuple[Check, str | None]:
    """`holder_did`: the holder is a did:key and the proof's key is one of its own."""
    holder = presentation.get("holder")
    if isinstance(holder, dict):  # VCDM allows `holder: {"id": …}`
        holder = holder.get("id")
    if not isinstance(holder, str) or not holder:
        return _fail("holder_did", "holder_did.missing"), None
    if not holder.startswith(_DID_KEY_PREFIX) or "#" in holder or "?" in holder:
        return _fail("holder_did", "holder_did.unsupported", did=holder[:120]), None
    if proof is None:
        return make_check("holder_did", "passed", "holder_did.ok", did=holder), holder
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method.startswith("did:") or "#" not in method:
        return _fail("holder_did", "holder_did.bad_method", method=repr(method)[:120]), holder
    owner = method.split("#", 1)[0]
    if owner != holder:
        # Signed by a key of another DID (VERIFICATION.md R11 applied to the holder).
        return _fail("holder_did", "holder_did.key_not_holder", owner=owner[:120],
                     did=holder[:120]), holder
    return make_check("holder_did", "passed", "holder_did.ok", did=holder), holder


def _holder_key(method: str, holder: str,
                resolver: DidResolver) -> tuple[ed25519.Ed25519PublicKey | None, Check | None]:
    """The holder's key named by `method`, listed under `authentication` in its document."""
    try:
        resolved = resolver.resolve_key(method, purpose="authentication", controller=holder)
    except DidError as error:
        template_fr, template_en = MESSAGES["holder_did.key_unresolvable"]
        return None, Check("holder_did", "failed", "holder_did.key_unresolvable",
                           template_fr.format(detail_fr=error.message_fr),
                           template_en.format(detail_en=error.message_en))
    if not isinstance(resolved.public_key, ed25519.Ed25519PublicKey):
        return None, _fail("holder_did", "holder_did.key_unresolvable",
                           detail_fr="une clé Ed25519 est attendue.",
                           detail_en="an Ed25519 key is expected.")
    return resolved.public_key, None


def _the_proof(presentation: dict[str, Any]) -> tuple[dict[str, Any] | None, Check | None]:
    proof = presentation.get("proof")
    if proof is None or proof == []:
        return None, _fail("holder_proof", "holder_proof.missing")
    proofs = _as_list(proof)
    if len(proofs) != 1:
        return None, _fail("holder_proof", "holder_proof.too_many", count=len(proofs))
    if not isinstance(proofs[0], dict):
        return None, _fail("holder_proof", "holder_proof.malformed")
    return proofs[0], None


def _check_proof_form(proof: dict[str, Any]) -> Check | None:
    """Type, purpose and encoding, before any costly work."""
    kind, suite = proof.get("type"), proof.get("cryptosuite")
    supported = kind == ED25519_SIGNATURE_2020 or (
        kind == DATA_INTEGRITY_PROOF and (suite == CRYPTOSUITE or suite in LEGACY_CRYPTOSUITES))
    if not supported:
        return _fail("holder_proof", "holder_proof.unsupported_type",
                     kind=f"{kind} {suite or ''}".strip()[:80])
    if proof.get("proofPurpose") != "authentication":
        return _fail("holder_proof", "holder_proof.wrong_purpose",
                     purpose=str(proof.get("proofPurpose"))[:80])
    try:
        decode_proof_value(proof)
    except ProofError:
        return _fail("holder_proof", "holder_proof.bad_encoding")
    return None


def _matches(found: Any, expected: str) -> bool:
    return isinstance(found, str) and hmac.compare_digest(found.encode("utf-8", "replace"),
                                                          expected.encode("utf-8", "replace"))


def _check_challenge(proof: dict[str, Any], expected: str | None) -> Check:
    if expected is None:
        return make_check("challenge", "warning", "challenge.not_expected")
    found = proof.get("challenge")
    if found is None:
        return _fail("challenge", "challenge.missing")
    if not _matches(found, expected):
        return _fail("challenge", "challenge.mismatch")
    return make_check("challenge", "passed", "challenge.ok")


def _check_domain(proof: dict[str, Any], expected: str | None) -> Check:
    if expected is None:
        return make_check("domain", "warning", "domain.not_expected")
    found = proof.get("domain")
    if isinstance(found, list) and len(found) == 1:  # Data Integrity allows a list of one
        found = found[0]
    if found is None:
        return _fail("domain", "domain.missing")
    if not _matches(found, expected):
        return _fail("domain", "domain.mismatch", found=str(found)[:120], expected=expected[:120])
    return make_check("domain", "passed", "domain.ok", domain=expected[:120])


def _check_freshness(proof: dict[str, Any], now: datetime, max_age: timedelta,
                     challenged: bool) -> Check:
    created = parse_datetime(proof.get("created"))
    if created is None:
        return _fail("freshness", "freshness.no_created")
    shown = format_datetime(created)
    if created > now + CLOCK_SKEW:
        return _fail("freshness", "freshness.future", created=shown)
    expires_value = proof.get("expires")
    if expires_value is not None:
        expires = parse_datetime(expires_value)
        if expires is None or expires < now:
            return _fail("freshness", "freshness.expired", expires=str(expires_value)[:40])
    minutes = int(max_age.total_seconds() // 60)
    if now - created > max_age:
        # With no challenge asked, age is only reported: nothing tied it to a request anyway.
        if not challenged:
            return make_check("freshness", "warning", "freshness.old", created=shown,
                              minutes=minutes)
        return _fail("freshness", "freshness.stale", created=shown, minutes=minutes)
    return make_check("freshness", "passed", "freshness.ok", created=shown)


def _holder_checks(presentation: dict[str, Any], *, challenge: str | None, domain: str | None,
                   now: datetime, max_age: timedelta,
                   context: VerificationContext) -> tuple[tuple[Check, ...], str | None]:
    """The checks after `presentation`, in order; the costly signature check runs last and
    only when every cheaper one passed."""
    proof, proof_problem = _the_proof(presentation)
    holder_check, holder = _check_holder(presentation, proof)
    if proof is None:
        assert proof_problem is not None
        rest = (_not_checked("challenge"), _not_checked("domain"), _not_checked("freshness"))
        return (holder_check, proof_problem, *rest), holder
    form_problem = _check_proof_form(proof)
    challenge_check = _check_challenge(proof, challenge)
    domain_check = _check_domain(proof, domain)
    freshness_check = _check_freshness(proof, now, max_age, challenge is not None)
    later = (challenge_check, domain_check, freshness_check)
    if form_problem is not None:
        return (holder_check, form_problem, *later), holder
    public_key: ed25519.Ed25519PublicKey | None = None
    if holder_check.outcome == "passed":
        assert holder is not None
        public_key, key_problem = _holder_key(proof["verificationMethod"], holder,
                                              context.resolver)
        if key_problem is not None:
            holder_check = key_problem
    cheap_failed = any(check.outcome == "failed" for check in (holder_check, *later))
    if public_key is None or cheap_failed:
        return (holder_check, _not_checked("holder_proof"), *later), holder
    try:
        signature = check_proof_signature(presentation, proof, public_key, context)
    except Exception:  # noqa: BLE001 - never "valid" on an unexpected error
        signature = internal_error(_LOG, "holder_proof")
    signature = _as_holder_proof(signature, holder)
    return (holder_check, signature, *later), holder


def _as_holder_proof(check: Check, holder: str | None) -> Check:
    """The credential `proof` check's outcome, worded for a presentation."""
    if check.code in ("proof.ok", "proof.ok_utf16_order"):
        return make_check("holder_proof", "passed", "holder_proof.ok", did=holder)
    if check.code == "proof.signature_mismatch":
        return _fail("holder_proof", "holder_proof.signature_mismatch")
    return Check("holder_proof", check.outcome, check.code, check.message_fr, check.message_en)


def _result(checks: tuple[Check, ...], holder: str | None) -> DidAuthResult:
    ok = all(check.outcome in ("passed", "warning") for check in checks)
    if ok:
        shown = next(check for check in checks if check.name == "holder_proof")
    else:
        shown = next((check for check in checks if check.outcome == "failed"), None) or next(
            check for check in checks if check.outcome not in ("passed", "warning"))
    return DidAuthResult(ok, holder, shown.code, shown.message_fr, shown.message_en, checks)


def _default_context(now: datetime) -> VerificationContext:
    def no_status_list(url: str) -> dict[str, Any]:
        raise LookupError(url)

    # did:key is computed locally: nothing is fetched for a holder.
    return VerificationContext(resolver=DidResolver(), fetch_status_list=no_status_list,
                               known_issuers={}, now=now)


def _check_holder_proof(data: object, *, challenge: str | None, domain: str | None,
                        now: datetime, max_age: timedelta, context: VerificationContext,
                        ) -> tuple[DidAuthResult, dict[str, Any] | None]:
    presentation, problem = _read(data, context.max_input_bytes)
    if presentation is not None:
        problem = _check_envelope(presentation, context.cost_limits)
        if problem.outcome == "passed":
            checks, holder = _holder_checks(presentation, challenge=challenge, domain=domain,
                                            now=now, max_age=max_age, context=context)
            return _result((problem, *checks), holder), presentation
    assert problem is not None
    skipped = tuple(_not_checked(name) for name in PRESENTATION_CHECK_NAMES[1:])
    return _result((problem, *skipped), None), None


def verify_did_auth(presentation: object, *, challenge: str, domain: str,
                    now: datetime | None = None, max_age: timedelta = PROOF_MAX_AGE,
                    context: VerificationContext | None = None) -> DidAuthResult:
    """DID authentication (VC-API exchanges): is `presentation` signed, for this `challenge`
    and `domain`, just now, by the key of its did:key `holder`, for `authentication`?
    Credentials the presentation may carry are not looked at (`verify_presentation` does)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    result, _ = _check_holder_proof(presentation, challenge=challenge, domain=domain,
                                    now=moment, max_age=max_age,
                                    context=context or _default_context(moment))
    return result


# -- the credentials inside ------------------------------------------------------------------------

def _credential_input(item: Any) -> Any:
    """What `verify` reads for one `verifiableCredential` entry: an object or VC-JWT text as
    they are; an `EnvelopedVerifiableCredential` (VCDM 2.0 §4.13) as the VC-JWT it holds."""
    if isinstance(item, dict) and ENVELOPED_CREDENTIAL_TYPE in _as_list(item.get("type")):
        identifier = item.get("id")
        if isinstance(identifier, str) and identifier.startswith(_VC_JWT_DATA_URL):
            return identifier[len(_VC_JWT_DATA_URL):]
        return ""  # read as empty: the `format` check says it
    return item


def _subject_ids(report: VerificationReport) -> list[Any]:
    credential = report.credential or {}
    return [subject.get("id") if isinstance(subject, dict) else None
            for subject in _as_list(credential.get("credentialSubject"))]


def check_holder_binding(report: VerificationReport, holder: str | None,
                         holder_ok: bool) -> Check:
    """`holder_binding`: was the credential issued to the DID that signed the presentation?"""
    if not holder_ok or holder is None or report.credential is None:
        return make_check("holder_binding", "skipped", "holder_binding.not_checked")
    subjects = _subject_ids(report)
    if subjects and all(subject == holder for subject in subjects):
        return make_check("holder_binding", "passed", "holder_binding.ok", did=holder)
    other = next((subject for subject in subjects
                  if isinstance(subject, str) and subject.startswith("did:")), None)
    if other is not None and other != holder:
        return _fail("holder_binding", "holder_binding.other_subject", subject=other[:120],
                     did=holder)
    return make_check("holder_binding", "warning", "holder_binding.no_did")


def verify_presentation(presentation: object, *, challenge: str | None, domain: str | None,
                        context: VerificationContext,
                        max_age: timedelta = PROOF_MAX_AGE) -> PresentationReport:
    """The holder's proof (as `verify_did_auth`; with `challenge` / `domain` None they are not
    asked for, which is reported), every credential inside with `verify` and `context`, and
    holder binding. The clock is `context.now`, else now."""
    now = (context.now or datetime.now(UTC)).astimezone(UTC)
    holder, document = _check_holder_proof(presentation, challenge=challenge, domain=domain,
                                           now=now, max_age=max_age, context=context)
    presented: list[PresentedCredential] = []
    if document is not None:
        for index, item in enumerate(_as_list(document.get("verifiableCredential"))):
            report = verify(_credential_input(item), context)
            binding = check_holder_binding(report, holder.holder, holder.ok)
            presented.append(PresentedCredential(index, report, binding))
    outcomes = [*holder.checks, *(item.holder_binding for item in presented)]
    verdicts = {item.report.verdict for item in presented} | {verdict_of(outcomes)}
    verdict: Verdict = ("invalid" if "invalid" in verdicts else
                        "indeterminate" if "indeterminate" in verdicts else "valid")
    if not holder.ok and verdict == "valid":
        verdict = "invalid"
    return PresentationReport(verdict, holder, tuple(presented), document)


def is_presentation(value: object) -> bool:
    """A JSON object typed `VerifiablePresentation` (the API tells it from a credential)."""
    return isinstance(value, Mapping) and PRESENTATION_TYPE in _as_list(value.get("type"))
