"""Verify an Open Badges 3.0 credential: one `verify()` returning a report of ordered checks.

Input: a credential as a dict, JSON text, a compact VC-JWT, or a baked PNG / SVG image. The
report holds one `Check` per step, always in this order, each `passed`, `failed`, `warning`,
`unknown` or `skipped`, with a stable code and a French and an English message:

1. ``format``       the input could be read (size cap first; JSON, JWT or baked image);
2. ``context``      the `@context` list is one of the pinned lists we accept (PITFALLS 14);
3. ``type``         VerifiableCredential + OpenBadgeCredential / AchievementCredential /
                    EndorsementCredential;
4. ``schema``       the 1EdTech JSON Schema (VCDM 2.0 credentials only);
5. ``proof``        every embedded proof verifies, or the JWT signature does (PITFALLS 12);
6. ``issuer_key``   the signing key is the issuer's own (PITFALLS 11);
7. ``issuer_known`` the issuer is one the caller knows (e.g. the City), by its id, never by
                    the name its profile shows;
8. ``validity``     validFrom / validUntil (issuanceDate / expirationDate for VCDM 1.1);
9. ``status``       revocation and suspension, read from a status list the issuer signed
                    (PITFALLS 7, 13).

Verdict: ``invalid`` if any check failed, else ``indeterminate`` if any is unknown, else
``valid`` (warnings allowed). "Unknown" is never shown as valid: an unreachable status list, a
key that cannot be tied to the issuer, a key that could not be obtained.

Decisions worth knowing:

- **Keys (PITFALLS 11).** A verification method (or JWT `kid`) that is a DID URL must belong to
  the issuer's own DID and be listed under `assertionMethod` in that DID's document. A key of
  another DID fails, even when the signature is mathematically right: a did:key proof on a
  credential whose issuer is `urn:uuid:…` proves only that *someone* holding that key signed
  it, and the issuer's embedded profile (signed, so fully known to us) lists no key, so the
  binding is known to be absent, not merely unknown. An `https://issuer/…#z6Mk…` method (the
  1EdTech samples) carries its key in the fragment: the signature is checked with it, but
  nothing offline ties that key to the issuer, so `issuer_key` is "unknown"
  (`issuer_key.unverifiable`) when the URL is under the issuer's own id, "failed" otherwise. A
  JWT whose only key is an embedded `jwk` header fails `issuer_key`.
- **Undefined terms.** The pinned VC 2.0 context has no `@vocab`, so JSON-LD drops a property no
  context defines and the signature does not cover it: a field could be added to a signed badge
  without breaking its proof. Such a document fails `proof` (`proof.unsigned_terms`), as it
  fails in the JavaScript verifiers that run JSON-LD in safe mode (PITFALLS 1).
- **Hostile input (PITFALLS 9, 16).** Input is capped in size and depth first. With
  `untrusted=True`, a document whose JSON-LD shape is not already in the canonical shape cache
  (in practice: not the shape of a credential this process signed) is canonicalised
  in a worker process (`issuer.sandbox`) killed after `canonicalization_timeout` seconds, with
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
  issuer (PITFALLS 13); otherwise the status is unknown. The status is not looked up at all for
  a credential whose proof or key already failed.
- **Clocks.** A validFrom up to `CLOCK_SKEW` ahead of our clock is accepted, for credentials
  and status lists alike (an issuer building its list on request stamps it with its own "now").
  validUntil is applied exactly for credentials.
- **Size.** One cap, `max_input_bytes`, applies to every input, images included (badge
  artwork is far smaller; a caller verifying large images can raise it).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from issuer import baking, canonical, contexts
from issuer.credential import CITY_TIMEZONE, french_date
from issuer.did import DidError, DidResolver, ed25519_from_multibase
from issuer.errors import IssuerError
from issuer.proofs import vc_jwt
from issuer.proofs.data_integrity import (
    ProofError,
    check_proof_shape,
    decode_proof_value,
    proofs_of,
    unsecured,
    verify_proof_signature,
)
from issuer.sandbox import TimeLimitExceeded, WorkerFailed, run_with_time_limit
from issuer.schema import schema_errors
from issuer.status_list import ENTRY_TYPE, LIST_CREDENTIAL_TYPE, StatusListError, read_status_bit

_LOG = logging.getLogger(__name__)

Outcome = Literal["passed", "failed", "warning", "unknown", "skipped"]
Verdict = Literal["valid", "invalid", "indeterminate"]
InputFormat = Literal["json", "jwt", "png", "svg", "unreadable"]

CHECK_NAMES = ("format", "context", "type", "schema", "proof", "issuer_key", "issuer_known",
               "validity", "status")
MAX_PROOFS = 4
MAX_STATUS_ENTRIES = 4
MAX_JSON_DEPTH = 64
MAX_RSA_BITS = 8192
CLOCK_SKEW = timedelta(minutes=5)
"""Tolerance between the issuer's clock and ours, for dates that come from "now" on the
issuer's side (a credential's validFrom, a status list built on request)."""

BADGE_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
ENDORSEMENT_TYPE = "EndorsementCredential"

# --- the pinned @context lists (PITFALLS 14) ----------------------------------------------------

ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
OB_CONTEXT_VERSIONS: dict[str, str] = {
    contexts.OB_V3P0: "3.0.3",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "3.0.2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "3.0.1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "3.0.0",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "3.0.0",
}
CURRENT_OB_VERSION = "3.0.3"
_ANY_OB = "<any Open Badges 3.0 context>"
# Each accepted list, in order; _ANY_OB stands for any of OB_CONTEXT_VERSIONS.
ACCEPTED_CONTEXT_LISTS: tuple[tuple[str, ...], ...] = (
    (contexts.VC_V2, _ANY_OB),
    (contexts.VC_V2, _ANY_OB, contexts.OB_EXTENSIONS),
    (contexts.VC_V1, _ANY_OB),
    (contexts.VC_V1, _ANY_OB, ED25519_2020_V1),
    (contexts.VC_V1, _ANY_OB, DATA_INTEGRITY_V1),
    (contexts.VC_V1, _ANY_OB, contexts.OB_EXTENSIONS),
    (contexts.VC_V1, _ANY_OB, contexts.OB_EXTENSIONS, ED25519_2020_V1),
    (contexts.VC_V1, _ANY_OB, ED25519_2020_V1, contexts.OB_EXTENSIONS),
    (contexts.VC_V1, _ANY_OB, contexts.OB_EXTENSIONS, DATA_INTEGRITY_V1),
    (contexts.VC_V1, _ANY_OB, DATA_INTEGRITY_V1, contexts.OB_EXTENSIONS),
)

_XSD_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")

# --- messages -----------------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    # format
    "format.read": ("Badge lu : {what_fr}.", "Badge read: {what_en}."),
    "format.jwt_vc_claim": (
        "Badge lu : VC-JWT à l'ancien format (revendication « vc », modèle VCDM 1.1).",
        "Badge read: VC-JWT in the older form (a 'vc' claim, VCDM 1.1 data model)."),
    "format.empty": ("Le fichier est vide.", "The file is empty."),
    "format.too_large": ("Fichier trop volumineux pour être vérifié (limite : {limit} octets).",
                         "File too large to be verified (limit: {limit} bytes)."),
    "format.not_utf8": ("Ce fichier n'est pas du texte lisible (UTF-8) ni une image de badge.",
                        "This file is neither readable text (UTF-8) nor a badge image."),
    "format.not_json": (
        "Ce fichier n'est ni un badge au format JSON, ni un VC-JWT, ni une image de badge.",
        "This file is neither a JSON badge, nor a VC-JWT, nor a badge image."),
    "format.not_object": ("Le contenu lu n'est pas un badge (objet JSON attendu).",
                          "The content is not a badge (a JSON object was expected)."),
    "format.too_deep": ("Le badge est imbriqué trop profondément pour être vérifié.",
                        "The badge is nested too deeply to be verified."),
    "format.duplicate_key": (
        "Le badge contient deux fois la propriété « {key} » : il peut se lire de deux façons.",
        "The badge holds property '{key}' twice, so it can be read two ways."),
    # context
    "context.ok": ("Contextes JSON-LD reconnus (VCDM 2.0, Open Badges {version}).",
                   "JSON-LD contexts recognised (VCDM 2.0, Open Badges {version})."),
    "context.older_ob": (
        "Contextes reconnus, mais version ancienne d'Open Badges ({version} ; actuelle : 3.0.3).",
        "Contexts recognised, but an older Open Badges version ({version}; current: 3.0.3)."),
    "context.vcdm11": (
        "Badge au format ancien (modèle VCDM 1.1, Open Badges {version}) : accepté, mais ce "
        "modèle est remplacé par VCDM 2.0.",
        "Badge in the older format (VCDM 1.1 data model, Open Badges {version}): accepted, but "
        "this model is superseded by VCDM 2.0."),
    "context.missing": ("Le badge n'indique pas ses contextes JSON-LD (@context).",
                        "The badge names no JSON-LD contexts (@context)."),
    "context.inline": (
        "Le badge définit lui-même une partie de son vocabulaire (contexte JSON-LD intégré) : "
        "refusé, car cela peut changer le sens de ce qui a été signé.",
        "The badge defines part of its own vocabulary (an inline JSON-LD context): refused, "
        "as it can change the meaning of what was signed."),
    "context.unknown": (
        "Contexte JSON-LD inconnu, jamais téléchargé par sécurité : {url}.",
        "Unknown JSON-LD context, never downloaded for safety: {url}."),
    "context.not_vc_first": (
        "Le premier contexte doit être celui des Verifiable Credentials (VCDM 2.0 ou 1.1).",
        "The first context must be the Verifiable Credentials one (VCDM 2.0 or 1.1)."),
    "context.no_ob": ("Le contexte Open Badges 3.0 manque.",
                      "The Open Badges 3.0 context is missing."),
    "context.unexpected_list": (
        "Combinaison de contextes JSON-LD non acceptée pour un badge : {contexts}.",
        "Combination of JSON-LD contexts not accepted for a badge: {contexts}."),
    # type
    "type.ok": ("Type reconnu : {kind}.", "Type recognised: {kind}."),
    "type.not_vc": ("Ce document ne se déclare pas comme une attestation vérifiable.",
                    "This document does not declare itself a verifiable credential."),
    "type.not_a_badge": (
        "Ce document n'est pas un badge Open Badges (types : {types}).",
        "This document is not an Open Badges credential (types: {types})."),
    # schema
    "schema.ok": ("Le badge respecte le schéma Open Badges 3.0.",
                  "The badge conforms to the Open Badges 3.0 schema."),
    "schema.invalid": ("Le badge ne respecte pas le schéma Open Badges 3.0 : {errors}.",
                       "The badge does not conform to the Open Badges 3.0 schema: {errors}."),
    "schema.vcdm11_not_checked": (
        "Schéma non vérifié : le schéma Open Badges 3.0 publié ne décrit que les badges VCDM 2.0.",
        "Schema not checked: the published Open Badges 3.0 schema describes VCDM 2.0 badges only."),
    "schema.not_checked": ("Schéma non vérifié : ce document n'est pas un badge.",
                           "Schema not checked: this document is not a badge."),
    # proof
    "proof.ok": ("Signature vérifiée : le badge n'a pas été modifié depuis sa signature.",
                 "Signature verified: the badge has not been changed since it was signed."),
    "proof.jwt_ok": (
        "Signature du jeton vérifiée : le badge n'a pas été modifié depuis sa signature.",
        "Token signature verified: the badge has not been changed since it was signed."),
    "proof.missing": ("Le badge n'est pas signé (aucune preuve).",
                      "The badge is not signed (no proof)."),
    "proof.malformed": ("La preuve du badge est illisible.", "The badge's proof is unreadable."),
    "proof.too_many": ("Trop de preuves ({count}) : au plus {limit} sont examinées.",
                       "Too many proofs ({count}): at most {limit} are examined."),
    "proof.not_checked": (
        "Signature non vérifiée : les contextes JSON-LD du badge ne peuvent pas être lus sans "
        "risque.",
        "Signature not checked: the badge's JSON-LD contexts cannot be read safely."),
    "proof.wrong_purpose": (
        "La preuve n'a pas pour objet d'attester le badge (proofPurpose « {purpose} » au lieu "
        "de « assertionMethod »).",
        "The proof is not meant to assert the badge (proofPurpose '{purpose}' instead of "
        "'assertionMethod')."),
    "proof.signature_mismatch": (
        "La signature ne correspond pas : le badge a été modifié après sa signature, ou signé "
        "avec une autre clé.",
        "The signature does not match: the badge was changed after it was signed, or signed "
        "with another key."),
    "proof.bad_verification_method": (
        "La clé de signature indiquée est illisible : {method}.",
        "The signing key named is unreadable: {method}."),
    "proof.key_unresolvable": ("Clé de signature introuvable : {detail}",
                               "Signing key not found: {detail}"),
    "proof.key_unavailable": (
        "La clé de signature n'a pas pu être obtenue ({method}) : la signature n'a pas pu être "
        "vérifiée.",
        "The signing key could not be obtained ({method}): the signature could not be checked."),
    "proof.key_type_mismatch": (
        "La clé de signature n'est pas du type attendu par cette preuve.",
        "The signing key is not of the type this proof requires."),
    "proof.too_complex": (
        "Document trop complexe à vérifier sans risque ({detail}) : refusé.",
        "Document too complex to verify safely ({detail}): refused."),
    "proof.unsigned_terms": (
        "Des champs du badge ne sont pas couverts par la signature (termes non définis : "
        "{terms}) : ils ont pu être ajoutés après coup.",
        "Some fields of the badge are not covered by the signature (undefined terms: "
        "{terms}): they may have been added afterwards."),
    "proof.canonicalization_failed": (
        "Le badge ne peut pas être mis en forme pour vérifier sa signature : {detail}.",
        "The badge cannot be put in canonical form to check its signature: {detail}."),
    "proof.internal": (
        "La signature n'a pas pu être vérifiée (service momentanément indisponible).",
        "The signature could not be checked (service temporarily unavailable)."),
    "proof.jwt_bad_algorithm": ("Algorithme de signature du jeton refusé : {alg}.",
                                "Token signature algorithm refused: {alg}."),
    "proof.jwt_crit": (
        "Le jeton exige des extensions (en-tête « crit ») que ce vérificateur ne connaît pas.",
        "The token requires extensions (header 'crit') this verifier does not know."),
    "proof.jwt_no_key": ("Le jeton ne désigne aucune clé de signature (ni « kid » ni « jwk »).",
                         "The token names no signing key (neither 'kid' nor 'jwk')."),
    "proof.jwt_bad_key": ("La clé incluse dans le jeton est inutilisable.",
                          "The key included in the token cannot be used."),
    "proof.jwt_claims_mismatch": (
        "Le jeton et le badge qu'il contient ne concordent pas ({claims}).",
        "The token and the badge it carries disagree ({claims})."),
    # issuer_key
    "issuer_key.ok": ("La clé de signature est publiée par l'émetteur lui-même ({did}).",
                      "The signing key is published by the issuer itself ({did})."),
    "issuer_key.unverifiable": (
        "La clé de signature est désignée par une adresse web de l'émetteur ({method}) : rien "
        "ne permet de vérifier qu'elle lui appartient.",
        "The signing key is named by a web address of the issuer ({method}): nothing can "
        "confirm that it belongs to the issuer."),
    "issuer_key.not_issuer": (
        "La clé qui a signé ce badge appartient à {owner}, pas à l'émetteur annoncé ({issuer}) : "
        "rien ne relie cette signature à l'émetteur.",
        "The key that signed this badge belongs to {owner}, not to the stated issuer "
        "({issuer}): nothing ties this signature to the issuer."),
    "issuer_key.not_listed": ("L'émetteur ne publie pas cette clé de signature : {detail}",
                              "The issuer does not publish this signing key: {detail}"),
    "issuer_key.unavailable": (
        "Les clés publiées par l'émetteur n'ont pas pu être consultées ({did}).",
        "The keys the issuer publishes could not be looked up ({did})."),
    "issuer_key.jwk_only": (
        "Le jeton apporte sa propre clé (en-tête « jwk ») : rien ne prouve qu'elle appartient "
        "à l'émetteur.",
        "The token brings its own key (a 'jwk' header): nothing proves it belongs to the issuer."),
    "issuer_key.missing": ("Aucune clé de signature n'est désignée.", "No signing key is named."),
    "issuer_key.unusable": (
        "La clé désignée ({method}) n'est ni un identifiant DID ni une adresse web.",
        "The key named ({method}) is neither a DID nor a web address."),
    "issuer_key.no_issuer": ("Le badge n'indique pas d'identifiant d'émetteur.",
                             "The badge states no issuer identifier."),
    "issuer_key.not_checked": ("Clé non examinée : la preuve est absente ou illisible.",
                               "Key not examined: the proof is missing or unreadable."),
    # issuer_known
    "issuer.known": ("Émetteur reconnu : {label}.", "Recognised issuer: {label}."),
    "issuer.unknown": (
        "Émetteur non reconnu : ce badge n'a pas été délivré par {known_fr}. Il se présente sous "
        "le nom « {profile_name} » (identifiant {id}).{lookalike_fr}",
        "Unrecognised issuer: this badge was not issued by {known_en}. It presents itself as "
        "'{profile_name}' (identifier {id}).{lookalike_en}"),
    "issuer.claimed_not_proven": (
        "Ce badge se réclame de {label}, mais sa signature ne le prouve pas.",
        "This badge claims to come from {label}, but its signature does not prove it."),
    # validity
    "validity.ok": ("Badge en cours de validité ({period_fr}).",
                    "Badge currently valid ({period_en})."),
    "validity.expired": ("Badge expiré depuis le {date_fr}.", "Badge expired on {date_en}."),
    "validity.not_yet_valid": ("Badge pas encore valable : il le sera à partir du {date_fr}.",
                               "Badge not valid yet: it will be from {date_en}."),
    "validity.malformed_date": ("Date illisible dans le badge ({field}).",
                                "Unreadable date in the badge ({field})."),
    # status
    "status.ok": ("Badge {state_fr} (listes de statut signées par l'émetteur).",
                  "Badge {state_en} (status lists signed by the issuer)."),
    "status.none": ("Ce badge ne publie pas de statut de révocation.",
                    "This badge publishes no revocation status."),
    "status.not_checked": ("Statut non consulté : le badge n'est pas authentique.",
                           "Status not looked up: the badge is not authentic."),
    "status.revoked": ("Badge révoqué par son émetteur : il n'est plus valable.",
                       "Badge revoked by its issuer: it is no longer valid."),
    "status.suspended": ("Badge suspendu par son émetteur : il n'est pas valable pour le moment.",
                         "Badge suspended by its issuer: it is not valid for now."),
    "status.unsupported_type": (
        "Statut de type « {kind} » non pris en charge : impossible de savoir si le badge a été "
        "révoqué.",
        "Status of type '{kind}' is not supported: cannot tell whether the badge was revoked."),
    "status.too_many": ("Trop d'entrées de statut ({count}) : statut non vérifié.",
                        "Too many status entries ({count}): status not checked."),
    "status.malformed_entry": ("Entrée de statut illisible : statut non vérifié.",
                               "Unreadable status entry: status not checked."),
    "status.unreachable": (
        "La liste de statut ({url}) n'a pas pu être consultée : impossible de savoir si le "
        "badge a été révoqué ou suspendu.",
        "The status list ({url}) could not be fetched: cannot tell whether the badge was "
        "revoked or suspended."),
    "status.list_mismatch": (
        "Le document publié à l'adresse de la liste de statut ({url}) se présente comme une "
        "autre liste ({found}) : statut non vérifié.",
        "The document published at the status list address ({url}) presents itself as another "
        "list ({found}): status not checked."),
    "status.not_a_list": ("Le document publié à {url} n'est pas une liste de statut.",
                          "The document published at {url} is not a status list."),
    "status.list_wrong_issuer": (
        "La liste de statut ({url}) est publiée par {found}, pas par l'émetteur du badge : "
        "statut non vérifié.",
        "The status list ({url}) is published by {found}, not by the badge's issuer: status "
        "not checked."),
    "status.malformed_list": ("La liste de statut ({url}) est illisible : statut non vérifié.",
                              "The status list ({url}) is unreadable: status not checked."),
    "status.list_not_valid_now": (
        "La liste de statut ({url}) n'est pas valable à cette date : statut non vérifié.",
        "The status list ({url}) is not valid at this time: status not checked."),
    "status.list_unsigned": ("La liste de statut ({url}) n'est pas signée : statut non vérifié.",
                             "The status list ({url}) is not signed: status not checked."),
    "status.list_bad_signature": (
        "La signature de la liste de statut ({url}) n'est pas valable : {detail}",
        "The status list's signature ({url}) is not valid: {detail}"),
    "status.list_signer_unverified": (
        "Rien ne prouve que la liste de statut ({url}) a été signée par l'émetteur du badge : "
        "{detail}",
        "Nothing proves that the status list ({url}) was signed by the badge's issuer: {detail}"),
}


def _message(code: str, details: Mapping[str, Any]) -> tuple[str, str]:
    template_fr, template_en = _MESSAGES[code]
    return template_fr.format(**details), template_en.format(**details)


# --- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    code: str
    message_fr: str
    message_en: str

    def message(self, locale: str = "fr") -> str:
        return self.message_en if locale.lower().startswith("en") else self.message_fr

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "outcome": self.outcome, "code": self.code,
                "message": {"fr": self.message_fr, "en": self.message_en}}


def _check(name: str, outcome: Outcome, code: str, **details: Any) -> Check:
    message_fr, message_en = _message(code, details)
    return Check(name, outcome, code, message_fr, message_en)


def _check_from_error(name: str, outcome: Outcome, error: IssuerError,
                      code: str | None = None) -> Check:
    return Check(name, outcome, code or error.code, error.message_fr, error.message_en)


_SEVERITY: dict[str, int] = {"failed": 4, "unknown": 3, "warning": 2, "passed": 1, "skipped": 0}


def _worst(checks: Iterable[Check]) -> Check | None:
    """The first check with the most severe outcome."""
    worst: Check | None = None
    for check in checks:
        if worst is None or _SEVERITY[check.outcome] > _SEVERITY[worst.outcome]:
            worst = check
    return worst


@dataclass(frozen=True)
class VerificationReport:
    verdict: Verdict
    checks: tuple[Check, ...]
    input_format: InputFormat
    credential: dict[str, Any] | None
    issuer_id: str | None
    issuer_name: str | None
    issuer_known: bool
    issuer_label: str | None
    revoked: bool | None
    suspended: bool | None
    expired: bool | None
    valid_from: datetime | None
    valid_until: datetime | None
    known_issuer_labels: tuple[str, ...] = field(default=())
    """Labels of the issuers the verification knew, to say whom an unknown issuer is not."""

    @property
    def unreadable(self) -> bool:
        """The input could not be read as a credential at all (CLI exit code 2)."""
        return self.credential is None

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def to_json(self) -> dict[str, Any]:
        """A stable, JSON-serialisable structure (the API's and `issuer verify --json`)."""
        return {
            "verdict": self.verdict,
            "unreadable": self.unreadable,
            "input_format": self.input_format,
            "summary": {"fr": self.summary("fr"), "en": self.summary("en")},
            "checks": [check.to_json() for check in self.checks],
            "issuer": {"id": self.issuer_id, "name": self.issuer_name,
                       "known": self.issuer_known, "label": self.issuer_label},
            "revoked": self.revoked,
            "suspended": self.suspended,
            "expired": self.expired,
            "valid_from": _iso(self.valid_from),
            "valid_until": _iso(self.valid_until),
            "credential": self.credential,
        }

    def summary(self, locale: str = "fr") -> str:
        """One plain sentence for a resident or an employer."""
        return _summary(self, english=locale.lower().startswith("en"))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- the context ----------------------------------------------------------------------------

@dataclass
class VerificationContext:
    """What a verification may consult. `fetch_status_list` maps a status list URL to the list
    credential (JSON), raising on any failure; the caller builds it from a `Fetcher` or from
    local data. `known_issuers` maps issuer ids (DIDs) to the label shown, e.g.
    {"did:web:badges.example.org": "Ville de Roubaix"}."""

    resolver: DidResolver
    fetch_status_list: Callable[[str], dict[str, Any]]
    known_issuers: Mapping[str, str]
    now: datetime | None = None
    untrusted: bool = True
    max_input_bytes: int = 2_000_000
    max_blank_nodes: int = 200
    canonicalization_timeout: float = 5.0


# --- reading the input ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Reading:
    input_format: InputFormat
    format_check: Check
    credential: dict[str, Any] | None = None
    token: str | None = None
    jwt_header: dict[str, Any] | None = None
    jwt_payload: dict[str, Any] | None = None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key are read differently by different parsers (first or last wins).
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def _unreadable(code: str, input_format: InputFormat = "unreadable", **details: Any) -> _Reading:
    return _Reading(input_format, _check("format", "failed", code, **details))


_CONTAINERS = {
    "json": ("JSON", "JSON"),
    "jwt": ("VC-JWT", "VC-JWT"),
    "png": ("image PNG", "PNG image"),
    "svg": ("image SVG", "SVG image"),
}


def _read_json_text(text: str, input_format: InputFormat) -> _Reading:
    container = "unreadable" if input_format == "json" else input_format
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKey as duplicate:
        return _unreadable("format.duplicate_key", container, key=duplicate.key[:80])
    except (ValueError, RecursionError):
        return _unreadable("format.not_json", container)
    if not isinstance(value, dict):
        return _unreadable("format.not_object", container)
    if _too_deep(value, MAX_JSON_DEPTH):
        return _unreadable("format.too_deep", container)
    what_fr, what_en = _CONTAINERS[input_format]
    if input_format != "json":
        what_fr, what_en = f"{what_fr} (JSON)", f"{what_en} (JSON)"
    return _Reading(input_format, _check("format", "passed", "format.read", what_fr=what_fr,
                                         what_en=what_en), credential=value)


def _read_jwt(token: str, input_format: InputFormat) -> _Reading:
    container = "unreadable" if input_format == "jwt" else input_format
    try:
        header, payload = vc_jwt.decode_unverified(token)
    except vc_jwt.JwtError as error:
        return _Reading(container, _check_from_error("format", "failed", error))
    credential = vc_jwt.credential_from_payload(payload)
    if _too_deep(credential, MAX_JSON_DEPTH):
        return _unreadable("format.too_deep", container)
    what_fr, what_en = _CONTAINERS[input_format]
    if input_format != "jwt":
        what_fr, what_en = f"{what_fr} (VC-JWT)", f"{what_en} (VC-JWT)"
    if isinstance(payload.get("vc"), dict):
        format_check = _check("format", "warning", "format.jwt_vc_claim")
    else:
        format_check = _check("format", "passed", "format.read", what_fr=what_fr, what_en=what_en)
    return _Reading(input_format, format_check, credential=credential, token=token.strip(),
                    jwt_header=header, jwt_payload=payload)


def _read_input(data: bytes | str | dict[str, Any], limit: int) -> _Reading:
    if isinstance(data, dict):
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return _unreadable("format.not_json")
        if len(text.encode("utf-8")) > limit:
            return _unreadable("format.too_large", limit=limit)
        return _read_json_text(text, "json")  # a copy, checked like any other input
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            return _unreadable("format.not_utf8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        return _unreadable("format.not_json")
    if len(raw) > limit:  # before anything else looks at the bytes
        return _unreadable("format.too_large", limit=limit)
    if not raw.strip():
        return _unreadable("format.empty")
    if baking.looks_like_image(raw):
        image: InputFormat = "png" if raw.startswith(_PNG_SIGNATURE) else "svg"
        try:
            baked = baking.extract_baked_credential(raw)
        except baking.BakingError as error:
            container: InputFormat = "unreadable" if error.code == "baked.not_an_image" else image
            return _Reading(container, _check_from_error("format", "failed", error))
        if baked.is_jwt:
            return _read_jwt(baked.payload, baked.image_format)
        return _read_json_text(baked.payload, baked.image_format)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _unreadable("format.not_utf8")
    if vc_jwt.looks_like_jwt(text):
        return _read_jwt(text, "jwt")
    return _read_json_text(text, "json")


# --- context and type -----------------------------------------------------------------------

@dataclass(frozen=True)
class _ContextResult:
    check: Check
    data_model: Literal["2.0", "1.1"] | None
    readable: bool
    """Every entry is a pinned context URL: the document can be canonicalised safely."""


def _is_pinned_url(url: str) -> bool:
    return contexts.is_known(url) and url != contexts.OB_V3P0_2024_KEY


def _context_check(credential: dict[str, Any]) -> _ContextResult:
    declared = credential.get("@context")
    if declared is None:
        return _ContextResult(_check("context", "failed", "context.missing"), None, False)
    entries = declared if isinstance(declared, list) else [declared]
    if not entries or not all(isinstance(entry, str) for entry in entries):
        return _ContextResult(_check("context", "failed", "context.inline"), None, False)
    for url in entries:
        if not _is_pinned_url(url):
            return _ContextResult(_check("context", "failed", "context.unknown", url=url[:200]),
                                  None, False)
    if entries[0] not in (contexts.VC_V2, contexts.VC_V1):
        return _ContextResult(_check("context", "failed", "context.not_vc_first"), None, True)
    data_model: Literal["2.0", "1.1"] = "2.0" if entries[0] == contexts.VC_V2 else "1.1"
    pattern = tuple(_ANY_OB if url in OB_CONTEXT_VERSIONS else url for url in entries)
    if pattern not in ACCEPTED_CONTEXT_LISTS:
        code = "context.unexpected_list" if _ANY_OB in pattern else "context.no_ob"
        return _ContextResult(_check("context", "failed", code, contexts=", ".join(entries)),
                              data_model, True)
    version = OB_CONTEXT_VERSIONS[entries[1]]
    if data_model == "1.1":
        check = _check("context", "warning", "context.vcdm11", version=version)
    elif version != CURRENT_OB_VERSION:
        check = _check("context", "warning", "context.older_ob", version=version)
    else:
        check = _check("context", "passed", "context.ok", version=version)
    return _ContextResult(check, data_model, True)


def _types_of(node: Mapping[str, Any]) -> list[str]:
    declared = node.get("type")
    values = declared if isinstance(declared, list) else [declared]
    return [value for value in values if isinstance(value, str)]


BadgeKind = Literal["achievement", "endorsement"]


def _type_check(credential: dict[str, Any]) -> tuple[Check, BadgeKind | None]:
    types = _types_of(credential)
    if "VerifiableCredential" not in types:
        return _check("type", "failed", "type.not_vc"), None
    badge = [kind for kind in types if kind in BADGE_TYPES]
    if badge:
        return _check("type", "passed", "type.ok", kind=badge[0]), "achievement"
    if ENDORSEMENT_TYPE in types:
        return _check("type", "passed", "type.ok", kind=ENDORSEMENT_TYPE), "endorsement"
    return _check("type", "failed", "type.not_a_badge", types=", ".join(types)[:200]), None


def _schema_check(credential: dict[str, Any], data_model: str | None,
                  kind: BadgeKind | None) -> Check:
    if kind is None:
        return _check("schema", "skipped", "schema.not_checked")
    if data_model == "1.1":
        # The shipped schema requires validFrom and the VC 2.0 context: it rejects every 1.1 badge.
        return _check("schema", "skipped", "schema.vcdm11_not_checked")
    errors = schema_errors(credential, "endorsementcredential" if kind == "endorsement"
                           else "achievementcredential")
    if errors:
        return _check("schema", "failed", "schema.invalid",
                      errors="; ".join(_shortened(error) for error in errors[:3]))
    return _check("schema", "passed", "schema.ok")


def _shortened(text: str, limit: int = 160) -> str:
    # jsonschema messages quote the whole offending value; keep its start and the verdict.
    return text if len(text) <= limit else f"{text[:60]}…{text[-90:]}"


# --- keys: who signed (PITFALLS 11) -------------------------------------------------------------

@dataclass(frozen=True)
class _KeyLookup:
    public_key: Any | None
    """The key to check the signature with, when one could be obtained."""
    key_problem: Check | None
    """The `proof` outcome when no key could be obtained."""
    binding: Check
    """The `issuer_key` outcome: is this key the issuer's own?"""


def _did_of(method: str) -> str:
    return method.split("#", 1)[0]


def _normalised_method(method: str) -> str:
    # did:key documents name their only key `did:key:z…#z…`; the 1EdTech sample (and some
    # issuers) write the bare DID, which did-method-key resolves to that key.
    if method.startswith("did:key:") and "#" not in method:
        return f"{method}#{method[len('did:key:'):]}"
    return method


def _lookup_key(method: Any, issuer_id: str | None, resolver: DidResolver) -> _KeyLookup:
    if not isinstance(method, str) or not method:
        problem = _check("proof", "failed", "proof.bad_verification_method",
                         method=repr(method)[:100])
        return _KeyLookup(None, problem, _check("issuer_key", "failed", "issuer_key.missing"))
    shown = method[:200]
    if method.startswith("did:"):
        return _lookup_did_key(_normalised_method(method), issuer_id, resolver)
    if method.startswith(("https://", "http://")) and "#" in method:
        base, fragment = method.split("#", 1)
        if issuer_id is None:
            binding = _check("issuer_key", "failed", "issuer_key.no_issuer")
        elif base == issuer_id:
            binding = _check("issuer_key", "unknown", "issuer_key.unverifiable", method=shown)
        else:
            binding = _check("issuer_key", "failed", "issuer_key.not_issuer", owner=base[:200],
                             issuer=issuer_id or "?")
        if not fragment.startswith("z"):
            # A key named by a plain fragment (`#key-1`) lives in a document we do not fetch.
            return _KeyLookup(None, _check("proof", "unknown", "proof.key_unavailable",
                                           method=shown), binding)
        try:
            raw = ed25519_from_multibase(fragment)
        except DidError:
            return _KeyLookup(None, _check("proof", "failed", "proof.bad_verification_method",
                                           method=shown), binding)
        return _KeyLookup(ed25519.Ed25519PublicKey.from_public_bytes(raw), None, binding)
    problem = _check("proof", "failed", "proof.bad_verification_method", method=shown)
    return _KeyLookup(None, problem, _check("issuer_key", "failed", "issuer_key.unusable",
                                            method=shown))


def _lookup_did_key(method: str, issuer_id: str | None, resolver: DidResolver) -> _KeyLookup:
    did = _did_of(method)
    owned = issuer_id is not None and did == issuer_id
    if owned:
        binding = _check("issuer_key", "passed", "issuer_key.ok", did=did)
    elif issuer_id is None:
        binding = _check("issuer_key", "failed", "issuer_key.no_issuer")
    else:
        binding = _check("issuer_key", "failed", "issuer_key.not_issuer", owner=did[:200],
                         issuer=issuer_id[:200])
    try:
        resolved = resolver.resolve_key(method, purpose="assertionMethod")
    except DidError as error:
        if error.code == "did.not_found":
            # No document (offline, or none published): the key could not be looked at.
            unknown = _check("proof", "unknown", "proof.key_unavailable", method=method[:200])
            if owned:
                binding = _check("issuer_key", "unknown", "issuer_key.unavailable", did=did[:200])
            return _KeyLookup(None, unknown, binding)
        problem = Check("proof", "failed", "proof.key_unresolvable",
                        _MESSAGES["proof.key_unresolvable"][0].format(detail=error.message_fr),
                        _MESSAGES["proof.key_unresolvable"][1].format(detail=error.message_en))
        if owned:
            binding = Check("issuer_key", "failed", "issuer_key.not_listed",
                            _MESSAGES["issuer_key.not_listed"][0].format(detail=error.message_fr),
                            _MESSAGES["issuer_key.not_listed"][1].format(detail=error.message_en))
        return _KeyLookup(None, problem, binding)
    except IssuerError:  # FetchError and the like: the issuer's document could not be read now
        unknown = _check("proof", "unknown", "proof.key_unavailable", method=method[:200])
        if owned:
            binding = _check("issuer_key", "unknown", "issuer_key.unavailable", did=did[:200])
        return _KeyLookup(None, unknown, binding)
    return _KeyLookup(resolved.public_key, None, binding)


# --- embedded proofs --------------------------------------------------------------------------

def _proof_config(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """What `hash_data` canonicalises for the proof (vc-di-eddsa §3.3.4)."""
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = document.get("@context")
    return config


def _signature_job(document: dict[str, Any], proof: dict[str, Any], public_key: bytes,
                   max_blank_nodes: int | None) -> tuple[Any, ...]:
    """The costly part of checking one proof, runnable in a sandbox worker: blank-node cap,
    undefined terms, canonicalisation and the signature. Returns plain data."""
    body, config = unsecured(document), _proof_config(document, proof)
    try:
        if max_blank_nodes is not None:
            count = (canonical.blank_node_count(canonical.to_quads(body))
                     + canonical.blank_node_count(canonical.to_quads(config)))
            if count > max_blank_nodes:
                return ("too_complex", f"{count} blank nodes > {max_blank_nodes}")
        undefined = sorted(set(canonical.SHAPES.undefined_terms(body))
                           | set(canonical.SHAPES.undefined_terms(config)))
        if undefined:
            return ("unsigned_terms", undefined[:10])
        key = ed25519.Ed25519PublicKey.from_public_bytes(public_key)
        return ("verified", verify_proof_signature(document, proof, key))
    except canonical.CanonicalizationError as error:
        return ("canonicalization", str(error)[:200])
    except ProofError as error:
        return ("proof_error", error.code, error.message_fr, error.message_en)
    except RecursionError:
        return ("too_complex", "nesting")
    except Exception as error:  # noqa: BLE001 - pyld on odd JSON-LD: cannot be canonicalised
        return ("canonicalization", type(error).__name__)


def _shape_is_cached(document: Any) -> bool:
    """A cached shape is one this process canonicalised before (our own credentials): its cost
    is known and small, so it may run in-process without the sandbox."""
    try:
        return canonical.SHAPES.contains(document)
    except Exception:  # noqa: BLE001 - an odd document is simply not cached
        return False


def _check_signature(document: dict[str, Any], proof: dict[str, Any],
                     public_key: ed25519.Ed25519PublicKey, context: VerificationContext) -> Check:
    raw = public_key.public_bytes_raw()
    cap = context.max_blank_nodes if context.untrusted else None
    in_process = not context.untrusted or (
        _shape_is_cached(unsecured(document)) and _shape_is_cached(_proof_config(document, proof)))
    try:
        if in_process:
            reply = _signature_job(document, proof, raw, cap)
        else:
            reply = run_with_time_limit(_signature_job, document, proof, raw, cap,
                                        timeout=context.canonicalization_timeout)
    except TimeLimitExceeded:
        reply = ("too_complex", f"> {context.canonicalization_timeout:g} s")
    except MemoryError:
        reply = ("too_complex", "memory")
    except WorkerFailed as error:
        if error.code != "sandbox.worker_failed":
            return _check("proof", "unknown", "proof.internal")
        # The worker died on this document: its memory cap, most likely.
        reply = ("too_complex", "memory")
    kind = reply[0]
    if kind == "verified":
        return _check("proof", "passed", "proof.ok") if reply[1] else \
            _check("proof", "failed", "proof.signature_mismatch")
    if kind == "too_complex":
        return _check("proof", "failed", "proof.too_complex", detail=reply[1])
    if kind == "unsigned_terms":
        return _check("proof", "failed", "proof.unsigned_terms", terms=", ".join(reply[1]))
    if kind == "proof_error":
        return Check("proof", "failed", reply[1], reply[2], reply[3])
    return _check("proof", "failed", "proof.canonicalization_failed", detail=reply[1])


@dataclass(frozen=True)
class _ProofResult:
    proof: Check
    issuer_key: Check


def _verify_one_proof(document: dict[str, Any], proof: dict[str, Any], issuer_id: str | None,
                      context: VerificationContext) -> tuple[Check, Check | None]:
    """(proof outcome, issuer_key outcome or None when the key was not looked at)."""
    try:
        check_proof_shape(proof)
        if proof.get("proofPurpose") != "assertionMethod":
            return _check("proof", "failed", "proof.wrong_purpose",
                          purpose=str(proof.get("proofPurpose"))[:80]), None
        decode_proof_value(proof)
    except ProofError as error:
        return _check_from_error("proof", "failed", error), None
    lookup = _lookup_key(proof.get("verificationMethod"), issuer_id, context.resolver)
    if lookup.public_key is None:
        assert lookup.key_problem is not None
        return lookup.key_problem, lookup.binding
    if not isinstance(lookup.public_key, ed25519.Ed25519PublicKey):
        return _check("proof", "failed", "proof.key_type_mismatch"), lookup.binding
    return _check_signature(document, proof, lookup.public_key, context), lookup.binding


def _embedded_proof_checks(document: dict[str, Any], issuer_id: str | None, contexts_readable: bool,
                           context: VerificationContext) -> _ProofResult:
    not_examined = _check("issuer_key", "skipped", "issuer_key.not_checked")
    if document.get("proof") is None:
        return _ProofResult(_check("proof", "failed", "proof.missing"), not_examined)
    try:
        proofs = proofs_of(document)
    except ProofError as error:
        return _ProofResult(_check_from_error("proof", "failed", error), not_examined)
    if not proofs:
        return _ProofResult(_check("proof", "failed", "proof.missing"), not_examined)
    if len(proofs) > MAX_PROOFS:
        return _ProofResult(_check("proof", "failed", "proof.too_many", count=len(proofs),
                                   limit=MAX_PROOFS), not_examined)
    if not contexts_readable:
        return _ProofResult(_check("proof", "skipped", "proof.not_checked"), not_examined)
    outcomes: list[Check] = []
    bindings: list[Check] = []
    for proof in proofs:
        outcome, binding = _verify_one_proof(document, proof, issuer_id, context)
        outcomes.append(outcome)
        if binding is not None:
            bindings.append(binding)
        if outcome.outcome == "failed":
            break  # every proof must verify (PITFALLS 12): one failure settles it
    return _ProofResult(_worst(outcomes) or _check("proof", "failed", "proof.missing"),
                        _worst(bindings) or not_examined)


# --- VC-JWT ------------------------------------------------------------------------------------

def _public_key_from_header_jwk(jwk: Any) -> Any:
    if not isinstance(jwk, dict) or _PRIVATE_JWK_MEMBERS & jwk.keys():
        return None
    try:
        key = JWKRegistry.import_key(jwk).raw_value
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    if isinstance(key, rsa.RSAPublicKey) and not 2048 <= key.key_size <= MAX_RSA_BITS:
        return None
    return key


_KEY_TYPE_FOR_ALGORITHM = {"RS256": rsa.RSAPublicKey, "EdDSA": ed25519.Ed25519PublicKey,
                           "ES256": ec.EllipticCurvePublicKey}


def _jwt_signature_matches(token: str, algorithm: str, public_key: Any) -> bool:
    """The JWS signature check; the algorithm must match the key type (no `none`, no HMAC)."""
    if not isinstance(public_key, _KEY_TYPE_FOR_ALGORITHM[algorithm]):
        return False
    try:
        return vc_jwt.verify_jwt_signature(token, public_key)
    except vc_jwt.JwtError:
        return False


def _epoch_of(value: Any) -> int | None:
    moment = _parse_datetime(value)
    return None if moment is None else int(moment.timestamp())


def _jwt_claim_mismatches(payload: dict[str, Any], credential: dict[str, Any],
                          issuer_id: str | None, data_model: str | None) -> list[str]:
    """OB 3.0 §8.2.4: iss, jti, sub, nbf, exp must say what the credential says."""
    mismatches: list[str] = []
    if "iss" in payload and payload["iss"] != issuer_id:
        mismatches.append("iss ≠ issuer.id")
    if "jti" in payload and "id" in credential and payload["jti"] != credential["id"]:
        mismatches.append("jti ≠ id")
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if "sub" in payload and subject_id is not None and payload["sub"] != subject_id:
        mismatches.append("sub ≠ credentialSubject.id")
    start_field, end_field = ("issuanceDate", "expirationDate") if data_model == "1.1" else \
        ("validFrom", "validUntil")
    for claim, field_name in (("nbf", start_field), ("exp", end_field)):
        if claim not in payload:
            continue
        number = payload[claim]
        if isinstance(number, bool) or not isinstance(number, (int, float)) \
                or not math.isfinite(number):
            mismatches.append(f"{claim} ?")
        elif _epoch_of(credential.get(field_name)) != int(number):
            mismatches.append(f"{claim} ≠ {field_name}")
    return mismatches


def _jwt_checks(reading: _Reading, credential: dict[str, Any], issuer_id: str | None,
                data_model: str | None, context: VerificationContext) -> _ProofResult:
    header, payload = reading.jwt_header or {}, reading.jwt_payload or {}
    token = reading.token or ""
    algorithm = header.get("alg")
    not_examined = _check("issuer_key", "skipped", "issuer_key.not_checked")
    if algorithm not in vc_jwt.ACCEPTED_ALGORITHMS:
        return _ProofResult(_check("proof", "failed", "proof.jwt_bad_algorithm",
                                   alg=str(algorithm)[:40]), not_examined)
    if "crit" in header:
        return _ProofResult(_check("proof", "failed", "proof.jwt_crit"), not_examined)
    kid = header.get("kid")
    if isinstance(kid, str) and kid:
        if kid.startswith("#") and isinstance(payload.get("iss"), str):
            kid = payload["iss"] + kid
        lookup = _lookup_key(kid, issuer_id, context.resolver)
        public_key, binding = lookup.public_key, lookup.binding
        if public_key is None:
            assert lookup.key_problem is not None
            return _ProofResult(lookup.key_problem, binding)
    elif "jwk" in header:
        # Checked so the report can say the token is intact, but such a key proves nothing
        # about who issued it (PITFALLS 11), and a `jku` / `x5u` is never fetched (PITFALLS 17).
        binding = _check("issuer_key", "failed", "issuer_key.jwk_only")
        public_key = _public_key_from_header_jwk(header["jwk"])
        if public_key is None:
            return _ProofResult(_check("proof", "failed", "proof.jwt_bad_key"), binding)
    else:
        return _ProofResult(_check("proof", "failed", "proof.jwt_no_key"),
                            _check("issuer_key", "failed", "issuer_key.missing"))
    if not _jwt_signature_matches(token, algorithm, public_key):
        return _ProofResult(_check("proof", "failed", "proof.signature_mismatch"), binding)
    mismatches = _jwt_claim_mismatches(payload, credential, issuer_id, data_model)
    if mismatches:
        return _ProofResult(_check("proof", "failed", "proof.jwt_claims_mismatch",
                                   claims=", ".join(mismatches)), binding)
    return _ProofResult(_check("proof", "passed", "proof.jwt_ok"), binding)


# --- issuer -------------------------------------------------------------------------------------

def _issuer_of(credential: dict[str, Any]) -> tuple[str | None, str | None]:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer, None
    if isinstance(issuer, dict):
        issuer_id = issuer.get("id") if isinstance(issuer.get("id"), str) else None
        name = issuer.get("name") if isinstance(issuer.get("name"), str) else None
        return issuer_id, name
    return None, None


def _join_labels(labels: Iterable[str], conjunction: str) -> str:
    items = list(dict.fromkeys(labels))
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _issuer_known_check(issuer_id: str | None, issuer_name: str | None, binding: Check,
                        known: Mapping[str, str]) -> tuple[Check, str | None]:
    """Known by id only, and only once the signature is tied to that id: a look-alike profile
    ("Ville de Roubaix" under another DID) is never reported as the known issuer."""
    if issuer_id is not None and issuer_id in known:
        label = known[issuer_id]
        if binding.outcome == "passed":
            return _check("issuer_known", "passed", "issuer.known", label=label), label
        return _check("issuer_known", "warning", "issuer.claimed_not_proven", label=label), None
    labels = list(dict.fromkeys(known.values()))
    known_fr = _join_labels((_with_article(label) for label in labels), "ni") \
        or "un émetteur reconnu ici"
    known_en = _join_labels(labels, "or") or "an issuer recognised here"
    name = issuer_name or "?"
    lookalike_fr = lookalike_en = ""
    if issuer_name and any(_fold(label) in _fold(issuer_name) or _fold(issuer_name) in _fold(label)
                           for label in labels):
        lookalike_fr = (" Attention : ce nom imite celui d'un émetteur reconnu, mais ce n'est "
                        "pas lui.")
        lookalike_en = (" Warning: this name imitates a recognised issuer's, but it is not that "
                        "issuer.")
    return _check("issuer_known", "warning", "issuer.unknown", known_fr=known_fr,
                  known_en=known_en, profile_name=name[:120], id=(issuer_id or "?")[:200],
                  lookalike_fr=lookalike_fr, lookalike_en=lookalike_en), None


_FEMININE_HEADS = ("ville ", "mairie ", "métropole ", "région ", "commune ", "communauté ",
                   "direction ", "mission ")
_MASCULINE_HEADS = ("conseil ", "département ", "service ", "centre ")


def _with_article(label: str) -> str:
    """"Ville de Roubaix" -> "la Ville de Roubaix", for French sentences."""
    lowered = label.casefold()
    if lowered.startswith(_FEMININE_HEADS):
        return f"la {label}"
    if lowered.startswith(_MASCULINE_HEADS):
        return f"le {label}"
    return label


# --- validity -----------------------------------------------------------------------------------

def _parse_datetime(value: Any) -> datetime | None:
    """An XML Schema dateTime with a time zone (VCDM 2.0 §4.9 dateTimeStamp), else None."""
    if not isinstance(value, str):
        return None
    match = _XSD_DATETIME.fullmatch(value.strip())
    if match is None:
        return None
    fraction = match.group(7)
    text = value.strip()
    if fraction is not None and len(fraction) > 6:  # Python reads at most microseconds
        text = text.replace(f".{fraction}", f".{fraction[:6]}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment.astimezone(CITY_TIMEZONE).timestamp()  # shown in City time, compared in UTC
    except (ValueError, OverflowError):
        return None
    return moment


def _french_day(moment: datetime) -> str:
    return french_date(moment.astimezone(CITY_TIMEZONE).date())


def _english_day(moment: datetime) -> str:
    day = moment.astimezone(CITY_TIMEZONE).date()
    return f"{day.day} {_ENGLISH_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class _Validity:
    check: Check
    valid_from: datetime | None
    valid_until: datetime | None
    expired: bool | None


def _validity_check(credential: dict[str, Any], data_model: str | None,
                    now: datetime) -> _Validity:
    if data_model == "1.1" or (data_model is None and "validFrom" not in credential
                               and "issuanceDate" in credential):
        start_field, end_field = "issuanceDate", "expirationDate"
    else:
        start_field, end_field = "validFrom", "validUntil"
    moments: dict[str, datetime | None] = {}
    for field_name in (start_field, end_field):
        value = credential.get(field_name)
        moments[field_name] = _parse_datetime(value) if value is not None else None
        if value is not None and moments[field_name] is None:
            return _Validity(_check("validity", "failed", "validity.malformed_date",
                                    field=field_name), None, None, None)
    start, end = moments[start_field], moments[end_field]
    if end is not None and now > end:
        return _Validity(_check("validity", "failed", "validity.expired", date_fr=_french_day(end),
                                date_en=_english_day(end)), start, end, True)
    if start is not None and now + CLOCK_SKEW < start:
        return _Validity(_check("validity", "failed", "validity.not_yet_valid",
                                date_fr=_french_day(start), date_en=_english_day(start)),
                         start, end, False)
    period_fr = ("depuis le " + _french_day(start)) if start else "sans date de début"
    period_en = ("since " + _english_day(start)) if start else "no start date"
    period_fr += (", jusqu'au " + _french_day(end)) if end else ", sans date de fin"
    period_en += (", until " + _english_day(end)) if end else ", no end date"
    return _Validity(_check("validity", "passed", "validity.ok", period_fr=period_fr,
                            period_en=period_en), start, end, False)


# --- status (PITFALLS 7, 13) ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Status:
    check: Check
    revoked: bool | None
    suspended: bool | None


@dataclass(frozen=True)
class _EntryReading:
    check: Check
    purpose: str | None
    bit: bool | None  # None when the status could not be read


def _status_entries(credential: dict[str, Any], issuer_id: str,
                    known: Mapping[str, str]) -> list[Any]:
    declared = credential.get("credentialStatus")
    entries = list(declared) if isinstance(declared, list) else [declared]
    # Convention for known issuers (module docstring): `…/revocation` has a `…/suspension` twin.
    if issuer_id in known:
        for entry in list(entries):
            if (isinstance(entry, dict) and entry.get("type") == ENTRY_TYPE
                    and entry.get("statusPurpose") == "revocation"
                    and isinstance(entry.get("statusListCredential"), str)
                    and entry["statusListCredential"].endswith("/revocation")):
                twin = entry["statusListCredential"][: -len("revocation")] + "suspension"
                if not any(isinstance(e, dict) and e.get("statusListCredential") == twin
                           for e in entries):
                    entries.append({"id": f"{twin}#{entry.get('statusListIndex')}",
                                    "type": ENTRY_TYPE, "statusPurpose": "suspension",
                                    "statusListIndex": entry.get("statusListIndex"),
                                    "statusListCredential": twin})
    return entries


def _list_signed_by_issuer(status_list: dict[str, Any], url: str, issuer_id: str,
                           context: VerificationContext) -> Check | None:
    """None when the list is the issuer's own, signed with a Data Integrity proof that
    verifies; else the "unknown" status check saying why not (PITFALLS 13)."""
    list_issuer, _ = _issuer_of(status_list)
    if list_issuer != issuer_id:
        return _check("status", "unknown", "status.list_wrong_issuer", url=url[:200],
                      found=str(list_issuer)[:200])
    try:
        proofs = proofs_of(status_list)
    except ProofError:
        proofs = []
    if not proofs:
        return _check("status", "unknown", "status.list_unsigned", url=url[:200])
    if len(proofs) > MAX_PROOFS:
        return _check("status", "unknown", "status.list_bad_signature", url=url[:200],
                      detail=f"{len(proofs)} proofs")
    for proof in proofs:
        outcome, binding = _verify_one_proof(status_list, proof, issuer_id, context)
        if binding is not None and binding.outcome != "passed":
            return Check("status", "unknown", "status.list_signer_unverified",
                         _MESSAGES["status.list_signer_unverified"][0].format(
                             url=url[:200], detail=binding.message_fr),
                         _MESSAGES["status.list_signer_unverified"][1].format(
                             url=url[:200], detail=binding.message_en))
        if outcome.outcome != "passed":
            return Check("status", "unknown", "status.list_bad_signature",
                         _MESSAGES["status.list_bad_signature"][0].format(
                             url=url[:200], detail=outcome.message_fr),
                         _MESSAGES["status.list_bad_signature"][1].format(
                             url=url[:200], detail=outcome.message_en))
    return None


def _list_period_problem(status_list: dict[str, Any], url: str, now: datetime) -> Check | None:
    """The list must be valid now, give or take CLOCK_SKEW: an issuer that builds its list on
    request stamps it with its own clock, which may run a little ahead of ours."""
    start_value, end_value = status_list.get("validFrom"), status_list.get("validUntil")
    start = _parse_datetime(start_value) if start_value is not None else None
    end = _parse_datetime(end_value) if end_value is not None else None
    if (start_value is not None and start is None) or (end_value is not None and end is None):
        return _check("status", "unknown", "status.malformed_list", url=url[:200])
    if (start is not None and now + CLOCK_SKEW < start) or (end is not None
                                                           and now - CLOCK_SKEW > end):
        return _check("status", "unknown", "status.list_not_valid_now", url=url[:200])
    return None


def _read_entry(entry: Any, issuer_id: str, now: datetime,
                context: VerificationContext) -> _EntryReading:
    if not isinstance(entry, dict):
        return _EntryReading(_check("status", "unknown", "status.malformed_entry"), None, None)
    kinds = _types_of(entry)
    if ENTRY_TYPE not in kinds:
        return _EntryReading(_check("status", "unknown", "status.unsupported_type",
                                    kind=", ".join(kinds)[:80] or "?"), None, None)
    purpose = entry.get("statusPurpose") if isinstance(entry.get("statusPurpose"), str) else None
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        return _EntryReading(_check("status", "unknown", "status.malformed_entry"), purpose, None)
    try:
        status_list = context.fetch_status_list(url)
    except Exception:  # noqa: BLE001 - whatever the caller's fetch raises: unreachable
        return _EntryReading(_check("status", "unknown", "status.unreachable", url=url[:200]),
                             purpose, None)
    if not isinstance(status_list, dict) or LIST_CREDENTIAL_TYPE not in _types_of(status_list):
        return _EntryReading(_check("status", "unknown", "status.not_a_list", url=url[:200]),
                             purpose, None)
    if status_list.get("id") != url:
        # Checked before the signature: a list that is not the one named is not worth the cost.
        return _EntryReading(_check("status", "unknown", "status.list_mismatch", url=url[:200],
                                    found=str(status_list.get("id"))[:200]), purpose, None)
    problem = _list_signed_by_issuer(status_list, url, issuer_id, context)
    if problem is not None:
        return _EntryReading(problem, purpose, None)
    period_problem = _list_period_problem(status_list, url, now)
    if period_problem is not None:
        return _EntryReading(period_problem, purpose, None)
    try:
        bit = read_status_bit(status_list, entry)  # its validity period is checked above
    except StatusListError as error:
        return _EntryReading(_check_from_error("status", "unknown", error), purpose, None)
    if bit and purpose == "revocation":
        return _EntryReading(_check("status", "failed", "status.revoked"), purpose, True)
    if bit and purpose == "suspension":
        return _EntryReading(_check("status", "failed", "status.suspended"), purpose, True)
    return _EntryReading(_status_ok({str(purpose)}), purpose, False)


def _status_ok(purposes: set[str]) -> Check:
    if purposes >= {"revocation", "suspension"}:
        state_fr, state_en = "ni révoqué ni suspendu", "neither revoked nor suspended"
    elif "suspension" in purposes:
        state_fr, state_en = "non suspendu", "not suspended"
    else:
        state_fr, state_en = "non révoqué", "not revoked"
    return _check("status", "passed", "status.ok", state_fr=state_fr, state_en=state_en)


def _status_check(credential: dict[str, Any], issuer_id: str | None, authentic: bool,
                  now: datetime, context: VerificationContext) -> _Status:
    if credential.get("credentialStatus") is None:
        return _Status(_check("status", "skipped", "status.none"), None, None)
    if not authentic or issuer_id is None:
        # Never fetch what a forged or broken credential names (PITFALLS 17).
        return _Status(_check("status", "skipped", "status.not_checked"), None, None)
    entries = _status_entries(credential, issuer_id, context.known_issuers)
    if len(entries) > MAX_STATUS_ENTRIES:
        return _Status(_check("status", "unknown", "status.too_many", count=len(entries)),
                       None, None)
    readings = [_read_entry(entry, issuer_id, now, context) for entry in entries]

    def combined(purpose: str) -> bool | None:
        bits = [r.bit for r in readings if r.purpose == purpose]
        if not bits or any(bit is None for bit in bits):
            return True if any(bits) else None
        return any(bits)

    worst = _worst(r.check for r in readings) or _check("status", "skipped", "status.none")
    if worst.outcome == "passed":
        worst = _status_ok({str(r.purpose) for r in readings})
    return _Status(worst, combined("revocation"), combined("suspension"))


# --- verify -------------------------------------------------------------------------------------

def _skipped(name: str) -> Check:
    return Check(name, "skipped", f"{name}.not_checked", "Non vérifié : le fichier est illisible.",
                 "Not checked: the file is unreadable.")


def _internal_error(name: str) -> Check:
    _LOG.exception("verification check %r failed unexpectedly", name)
    return Check(name, "unknown", f"{name}.internal_error",
                 "Cette vérification n'a pas pu être menée à bien (erreur interne).",
                 "This check could not be completed (internal error).")


def _verdict(checks: Iterable[Check]) -> Verdict:
    outcomes = {check.outcome for check in checks}
    if "failed" in outcomes:
        return "invalid"
    if "unknown" in outcomes:
        return "indeterminate"
    return "valid"


def verify(data: bytes | str | dict[str, Any], context: VerificationContext) -> VerificationReport:
    """Verify a credential (dict, JSON text, VC-JWT, or baked PNG / SVG bytes)."""
    now = (context.now or datetime.now(UTC)).astimezone(UTC)
    labels = tuple(dict.fromkeys(context.known_issuers.values()))
    reading = _read_input(data, context.max_input_bytes)
    credential = reading.credential
    if credential is None:
        checks = (reading.format_check, *(_skipped(name) for name in CHECK_NAMES[1:]))
        return VerificationReport("invalid", checks, reading.input_format, None, None, None,
                                  False, None, None, None, None, None, None, labels)

    issuer_id, issuer_name = _issuer_of(credential)
    context_result = _context_check(credential)
    type_check, kind = _type_check(credential)
    # The stages below read arbitrary input through several libraries: an unexpected error in
    # one is logged and reported as "unknown" (never "valid"), not raised at the caller.
    try:
        schema_check = _schema_check(credential, context_result.data_model, kind)
    except Exception:  # noqa: BLE001
        schema_check = _internal_error("schema")
    try:
        if reading.token is not None:
            proofs = _jwt_checks(reading, credential, issuer_id, context_result.data_model,
                                 context)
        else:
            proofs = _embedded_proof_checks(credential, issuer_id, context_result.readable,
                                            context)
    except Exception:  # noqa: BLE001
        proofs = _ProofResult(_internal_error("proof"), _internal_error("issuer_key"))
    known_check, label = _issuer_known_check(issuer_id, issuer_name, proofs.issuer_key,
                                             context.known_issuers)
    try:
        validity = _validity_check(credential, context_result.data_model, now)
    except Exception:  # noqa: BLE001
        validity = _Validity(_internal_error("validity"), None, None, None)
    # Status is looked up only for a credential not already shown forged (PITFALLS 17).
    authentic = proofs.proof.outcome in ("passed", "unknown") \
        and proofs.issuer_key.outcome in ("passed", "unknown")
    try:
        status = _status_check(credential, issuer_id, authentic, now, context)
    except Exception:  # noqa: BLE001
        status = _Status(_internal_error("status"), None, None)

    checks = (reading.format_check, context_result.check, type_check, schema_check, proofs.proof,
              proofs.issuer_key, known_check, validity.check, status.check)
    return VerificationReport(
        verdict=_verdict(checks), checks=checks, input_format=reading.input_format,
        credential=credential, issuer_id=issuer_id, issuer_name=issuer_name,
        issuer_known=label is not None, issuer_label=label, revoked=status.revoked,
        suspended=status.suspended, expired=validity.expired, valid_from=validity.valid_from,
        valid_until=validity.valid_until, known_issuer_labels=labels)


# --- summary ----------------------------------------------------------------------------------

def _summary(report: VerificationReport, *, english: bool) -> str:
    def text(check: Check) -> str:
        return check.message_en if english else check.message_fr

    if report.unreadable:
        check = report.check("format")
        return (f"Unreadable file: {text(check)}" if english
                else f"Fichier illisible : {text(check)}")
    by_name = {check.name: check for check in report.checks}
    issuer_fr = _with_article(report.issuer_label) if report.issuer_label else "son émetteur"
    issuer_en = report.issuer_label or "its issuer"
    if report.verdict == "invalid":
        if by_name["status"].code == "status.revoked":
            return (f"Revoked badge: {issuer_en} has withdrawn it; it is no longer valid."
                    if english
                    else f"Badge révoqué : {issuer_fr} l'a retiré ; il n'est plus valable.")
        for name in ("proof", "issuer_key"):
            if by_name[name].outcome == "failed":
                return (f"Not an authentic badge, do not rely on it. {text(by_name[name])}"
                        if english else
                        f"Badge non authentique, ne vous y fiez pas. {text(by_name[name])}")
        if by_name["status"].code == "status.suspended":
            return (f"Suspended badge: {issuer_en} has suspended it; it is not valid for now."
                    if english else
                    f"Badge suspendu : {issuer_fr} l'a suspendu ; il n'est pas valable pour le "
                    "moment.")
        validity = by_name["validity"]
        if validity.code == "validity.expired" and report.valid_until is not None:
            return (f"Expired badge: it was valid until {_english_day(report.valid_until)}."
                    if english else
                    f"Badge expiré : il était valable jusqu'au {_french_day(report.valid_until)}.")
        failed = next(check for check in report.checks if check.outcome == "failed")
        return (f"Badge not valid. {text(failed)}" if english
                else f"Badge non valable. {text(failed)}")
    if report.verdict == "indeterminate":
        authentic = (by_name["proof"].outcome == "passed"
                     and by_name["issuer_key"].outcome == "passed")
        if authentic and by_name["status"].outcome == "unknown":
            return ("Authentic badge, but its status could not be checked: cannot tell whether it "
                    "was revoked." if english else
                    "Badge authentique, mais son statut n'a pas pu être vérifié : impossible de "
                    "savoir s'il a été révoqué.")
        unknown = next(check for check in report.checks if check.outcome == "unknown")
        return (f"Verification incomplete, the badge cannot be confirmed. {text(unknown)}"
                if english else
                f"Vérification incomplète, le badge ne peut pas être confirmé. {text(unknown)}")
    return _valid_summary(report, english=english)


def _valid_summary(report: VerificationReport, *, english: bool) -> str:
    issued_fr = f" le {_french_day(report.valid_from)}" if report.valid_from else ""
    issued_en = f" on {_english_day(report.valid_from)}" if report.valid_from else ""
    until_fr = (f", valide jusqu'au {_french_day(report.valid_until)}" if report.valid_until
                else ", sans date de fin de validité")
    until_en = (f", valid until {_english_day(report.valid_until)}" if report.valid_until
                else ", with no end date")
    if report.issuer_known and report.issuer_label:
        if english:
            return f"Authentic badge, issued by {report.issuer_label}{issued_en}{until_en}."
        issuer_fr = _with_article(report.issuer_label)
        return f"Badge authentique, délivré par {issuer_fr}{issued_fr}{until_fr}."
    name = report.issuer_name or report.issuer_id or "?"
    labels = report.known_issuer_labels
    if english:
        not_whom = f"which is not {_join_labels(labels, 'or')}" if labels else \
            "which is not a recognised issuer"
        return (f"Authentic badge, but issued by '{name}' ({report.issuer_id}), {not_whom}: "
                "unrecognised issuer.")
    not_whom = (f"qui n'est pas {_join_labels((_with_article(x) for x in labels), 'ni')}"
                if labels else "qui n'est pas un émetteur reconnu")
    return (f"Badge authentique, mais délivré par « {name} » ({report.issuer_id}), {not_whom} : "
            "émetteur non reconnu.")
