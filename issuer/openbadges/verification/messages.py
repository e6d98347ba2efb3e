"""The French and English message of every check code: one table, so wording is reviewed in
one place. French first (the City's residents), English second; placeholders are filled by
`render_message`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
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
    "format.too_complex": (
        "Badge refusé : trop complexe pour être vérifié sans risque ({what_fr} : plus de "
        "{limit}), bien au-delà de tout badge réel.",
        "Badge refused: too complex to verify safely ({what_en}: more than {limit}), far beyond "
        "any real badge."),
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
    "proof.ok_utf16_order": (
        ("Signature vérifiée : le badge n'a pas été modifié depuis sa signature. Elle porte sur "
         "les données triées comme le font les portefeuilles JavaScript (unités UTF-16), et non "
         "dans l'ordre de la norme RDFC-1.0 : certains vérificateurs conformes à la norme la "
         "refuseront."),
        ("Signature verified: the badge has not been changed since it was signed. It covers the "
         "data sorted as the JavaScript wallets sort it (UTF-16 code units), not in the order of "
         "the RDFC-1.0 standard: some verifiers that follow the standard will reject it.")),
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
    "proof.key_revoked": (
        "La clé qui a signé ce badge ({method}) a été révoquée par l'émetteur le {date} : "
        "{reason}. Ce badge n'est plus valide ; son titulaire peut en demander la version "
        "ré-émise.",
        "The key that signed this badge ({method}) was revoked by the issuer on {date}: "
        "{reason}. This badge is no longer valid; its holder can ask for the re-issued "
        "version."),
    "proof.key_unavailable": (
        "La clé de signature n'a pas pu être obtenue ({method}) : la signature n'a pas pu être "
        "vérifiée.",
        "The signing key could not be obtained ({method}): the signature could not be checked."),
    "proof.key_not_fetched": (
        "La clé de signature ({method}) n'appartient pas à l'émetteur : elle n'a pas été "
        "demandée à son serveur, et la signature n'a pas été vérifiée.",
        "The signing key ({method}) is not the issuer's: it was not requested from its server, "
        "and the signature was not checked."),
    "proof.key_type_mismatch": (
        "La clé de signature n'est pas du type attendu par cette preuve.",
        "The signing key is not of the type this proof requires."),
    "proof.too_complex": (
        "Document trop complexe à vérifier sans risque ({detail}) : refusé.",
        "Document too complex to verify safely ({detail}): refused."),
    "proof.unsigned_terms": (
        "Des éléments du badge ne sont pas couverts par la signature, car JSON-LD les ignore : "
        "{members_fr}. Ils ont pu être ajoutés après coup ; les portefeuilles numériques "
        "refusent aussi ce badge.",
        "Some members of the badge are not covered by the signature, as JSON-LD ignores them: "
        "{members_en}. They may have been added afterwards; digital wallets refuse this badge "
        "too."),
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
    "issuer_key.bare_did": (
        "La preuve désigne un DID entier ({method}) au lieu de l'une de ses clés (« did:…#… ») : "
        "la norme et les portefeuilles refusent cette forme, rien ne désigne la clé de "
        "l'émetteur.",
        "The proof names a whole DID ({method}) instead of one of its keys ('did:…#…'): the "
        "standard and the wallets refuse this form, so nothing names the issuer's key."),
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
    "issuer_key.revoked": (
        "L'émetteur ({did}) a révoqué cette clé de signature le {date} : elle ne prouve plus "
        "rien.",
        "The issuer ({did}) revoked this signing key on {date}: it no longer proves anything."),
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
    "status.not_fetched": (
        "Statut non consulté : tant que la signature n'est pas rattachée avec certitude à "
        "l'émetteur, rien de ce que le badge désigne n'est demandé en ligne.",
        "Status not looked up: until the signature is tied to the issuer for certain, nothing "
        "the badge names is requested online."),
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
    "status.list_too_complex": (
        "La liste de statut ({url}) est trop complexe pour être lue sans risque ({what_fr} : "
        "plus de {limit}) : statut non vérifié.",
        "The status list ({url}) is too complex to read safely ({what_en}: more than {limit}): "
        "status not checked."),
    "status.list_unsigned": ("La liste de statut ({url}) n'est pas signée : statut non vérifié.",
                             "The status list ({url}) is not signed: status not checked."),
    "status.list_bad_signature": (
        "La signature de la liste de statut ({url}) n'est pas valable : {detail}",
        "The status list's signature ({url}) is not valid: {detail}"),
    "status.list_signer_unverified": (
        "Rien ne prouve que la liste de statut ({url}) a été signée par l'émetteur du badge : "
        "{detail}",
        "Nothing proves that the status list ({url}) was signed by the badge's issuer: {detail}"),
    # holder: "is this badge theirs?" (issue #9 item 8, `issuer.openbadges.verification.holder`)
    "holder.match": ("Oui, ce badge a été délivré à cette adresse.",
                     "Yes, this badge was issued to this address."),
    "holder.no_match": ("Non, ce badge n'a pas été délivré à cette adresse.",
                        "No, this badge was not issued to this address."),
    "holder.not_authentic": (
        ("Impossible de répondre : ce badge n'est pas authentique, l'adresse qu'il contient ne "
         "prouve donc rien."),
        "Cannot answer: this badge is not authentic, so the address it holds proves nothing."),
    "holder.no_email_identity": (
        "Impossible de répondre : ce badge ne désigne pas son titulaire par une adresse e-mail.",
        "Cannot answer: this badge does not name its holder by an e-mail address."),
    "holder.bad_email": (
        "Adresse e-mail illisible : tapez l'adresse complète, par exemple nom@exemple.fr.",
        "Unreadable e-mail address: type the full address, for example name@example.org."),
}

# The quantities `issuer.openbadges.json_cost` limits, as `format.too_complex` names them (French, English).
COST_QUANTITIES: dict[str, tuple[str, str]] = {
    "values": ("valeurs JSON", "JSON values"),
    "objects": ("objets JSON", "JSON objects"),
    "depth": ("niveaux d'imbrication", "levels of nesting"),
    "members": ("propriétés", "properties"),
    "longest_array": ("éléments dans une liste", "items in one array"),
    "value_pairs": ("paires de valeurs d'une même propriété", "pairs of values of one property"),
    "text": ("caractères de texte", "characters of text"),
    "blank_objects": ("objets sans identifiant", "objects without an identifier"),
    "repeated_blank_objects": ("objets sans identifiant identiques",
                               "identical objects without an identifier"),
    "blank_node_labels": ("identifiants de nœuds anonymes « _: »", "'_:' blank node labels"),
    "contexts": ("contextes JSON-LD", "JSON-LD contexts"),
}


# Open Badges 2.0 assertions (`issuer.openbadges.verification.ob2`): the same nine checks, their own codes.
_OB2_MESSAGES: dict[str, tuple[str, str]] = {
    # format
    "format.ob2_read": ("Badge lu : assertion Open Badges 2.0 {how_fr} ({what_fr}).",
                        "Badge read: Open Badges 2.0 {how_en} assertion ({what_en})."),
    "format.unsupported_ob1": (
        "Ce badge est au format Open Badges 1.x (ou plus ancien), que ce vérificateur ne lit "
        "pas : cela ne dit rien de son authenticité. Demandez à son émetteur une version "
        "Open Badges 2.0 ou 3.0.",
        "This badge is in the Open Badges 1.x (or older) format, which this verifier does not "
        "read: this says nothing about its authenticity. Ask its issuer for an Open Badges 2.0 "
        "or 3.0 version."),
    "format.unsupported_ob2_type": (
        "Ce document Open Badges 2.0 n'est pas une assertion (type « {kind} ») : seules les "
        "assertions (badges délivrés) sont vérifiées ici.",
        "This Open Badges 2.0 document is not an assertion (type '{kind}'): only assertions "
        "(awarded badges) are verified here."),
    "format.ob2_bad_url": (
        "L'image désigne son assertion Open Badges 2.0 par une adresse inutilisable : {url}.",
        "The image names its Open Badges 2.0 assertion by an unusable address: {url}."),
    "format.ob2_unreachable": (
        "L'assertion Open Badges 2.0 que désigne l'image ({url}) n'a pas pu être obtenue : "
        "{detail_fr}",
        "The Open Badges 2.0 assertion the image names ({url}) could not be fetched: "
        "{detail_en}"),
    "format.ob2_not_assertion": (
        "L'adresse que désigne l'image ({url}) ne publie pas une assertion Open Badges 2.0.",
        "The address the image names ({url}) does not publish an Open Badges 2.0 assertion."),
    # context
    "context.ob2_ok": ("Contexte JSON-LD Open Badges 2.0 reconnu.",
                       "Open Badges 2.0 JSON-LD context recognised."),
    # type
    "type.ob2_ok": ("Types reconnus : {found_fr}.", "Types recognised: {found_en}."),
    "type.ob2_wrong": (
        "{what_fr} n'est pas du type attendu ({expected}) : type « {found} ».",
        "{what_en} is not of the expected type ({expected}): type '{found}'."),
    # schema
    "schema.ob2_ok": ("Propriétés obligatoires d'Open Badges 2.0 présentes ({what_fr}).",
                      "Open Badges 2.0 required properties present ({what_en})."),
    "schema.ob2_invalid": (
        "Propriétés obligatoires d'Open Badges 2.0 absentes ou invalides : {errors}.",
        "Open Badges 2.0 required properties missing or invalid: {errors}."),
    # proof
    "proof.ob2_hosted_ok": (
        "Assertion confirmée par son émetteur : elle est publiée à sa propre adresse ({url}) et "
        "correspond au badge présenté.",
        "Assertion confirmed by its issuer: it is published at its own address ({url}) and "
        "matches the badge shown."),
    "proof.ob2_hosted_updated": (
        "Assertion publiée à sa propre adresse ({url}), dans une version plus récente que celle "
        "présentée ({fields}) : c'est la version publiée qui est affichée.",
        "Assertion published at its own address ({url}), in a newer version than the one shown "
        "({fields}): the published version is the one displayed."),
    "proof.ob2_hosted_mismatch": (
        "L'assertion publiée à l'adresse {url} ne correspond pas au badge présenté ({fields}) : "
        "il a été modifié ou n'a pas été délivré ainsi.",
        "The assertion published at {url} does not match the badge shown ({fields}): it was "
        "changed or was not issued this way."),
    "proof.ob2_hosted_not_url": (
        "Une assertion hébergée doit avoir pour identifiant son adresse web, pas « {id} ».",
        "A hosted assertion's identifier must be its web address, not '{id}'."),
    "proof.ob2_hosted_gone": (
        "L'émetteur ne publie plus cette assertion ({url} répond « 410 : supprimée »).",
        "The issuer no longer publishes this assertion ({url} answers '410 Gone')."),
    "proof.ob2_unreachable": ("Impossible d'obtenir {what_fr} ({url}) : {detail_fr}",
                              "Could not fetch {what_en} ({url}): {detail_en}"),
    "proof.ob2_no_verification": (
        "L'assertion ne dit pas comment la vérifier (propriété verification « hosted » ou "
        "« signed » attendue).",
        "The assertion does not say how to verify it ('hosted' or 'signed' verification "
        "expected)."),
    "proof.ob2_signature_missing": (
        "Assertion signée présentée sans sa signature : seul le jeton signé (JWS) peut être "
        "vérifié.",
        "Signed assertion shown without its signature: only the signed token (JWS) can be "
        "verified."),
    "proof.ob2_signed_ok": (
        "Signature vérifiée (JWS RS256) : l'assertion n'a pas été modifiée depuis sa signature.",
        "Signature verified (JWS RS256): the assertion has not been changed since it was "
        "signed."),
    "proof.ob2_no_creator": (
        "L'assertion signée ne désigne pas de clé de signature à une adresse web "
        "(verification.creator).",
        "The signed assertion names no signing key at a web address (verification.creator)."),
    "proof.ob2_bad_key": ("La clé publiée à {url} est inutilisable : {detail_fr}.",
                          "The key published at {url} cannot be used: {detail_en}."),
    # issuer_key
    "issuer_key.ob2_origin": (
        "L'assertion est publiée sur le domaine de l'émetteur ({origin}).",
        "The assertion is published on the issuer's domain ({origin})."),
    "issuer_key.ob2_policy": (
        "L'assertion est publiée à une adresse que l'émetteur autorise ({rule}).",
        "The assertion is published at an address the issuer allows ({rule})."),
    "issuer_key.ob2_other_origin": (
        "L'assertion est publiée à l'adresse {url}, que l'émetteur ({issuer}) n'autorise pas : "
        "rien ne la relie à cet émetteur.",
        "The assertion is published at {url}, which the issuer ({issuer}) does not allow: "
        "nothing ties it to that issuer."),
    "issuer_key.ob2_key_ok": (
        "La clé de signature ({key}) appartient à l'émetteur, qui la publie dans son profil.",
        "The signing key ({key}) belongs to the issuer, whose profile publishes it."),
    "issuer_key.ob2_key_not_listed": (
        "Le profil de l'émetteur ({issuer}) ne publie pas cette clé de signature ({key}) : rien "
        "ne relie la signature à l'émetteur.",
        "The issuer's profile ({issuer}) does not publish this signing key ({key}): nothing "
        "ties the signature to the issuer."),
    "issuer_key.ob2_key_owner": (
        "La clé de signature ({key}) se déclare la propriété de {owner}, pas de l'émetteur "
        "({issuer}).",
        "The signing key ({key}) states it belongs to {owner}, not to the issuer ({issuer})."),
    "issuer_key.ob2_issuer_unavailable": (
        "Le profil de l'émetteur n'a pas pu être consulté : impossible de relier le badge à son "
        "émetteur. {detail_fr}",
        "The issuer's profile could not be looked up: the badge cannot be tied to its issuer. "
        "{detail_en}"),
    "issuer_key.ob2_no_issuer_url": (
        "L'émetteur n'a pas d'adresse web ({issuer}) : rien ne permet de relier le badge à lui.",
        "The issuer has no web address ({issuer}): nothing can tie the badge to it."),
    # status
    "status.ob2_revoked": ("Badge révoqué par son émetteur{reason_fr} : il n'est plus valable.",
                           "Badge revoked by its issuer{reason_en}: it is no longer valid."),
    "status.ob2_not_revoked": (
        "Badge non révoqué (liste de révocation de l'émetteur consultée).",
        "Badge not revoked (the issuer's revocation list was read)."),
    "status.ob2_hosted_current": (
        "Badge non révoqué : son émetteur le publie toujours, sans le marquer révoqué.",
        "Badge not revoked: its issuer still publishes it, not marked revoked."),
    "status.ob2_no_list": ("L'émetteur ne publie pas de liste de révocation.",
                           "The issuer publishes no revocation list."),
    "status.ob2_list_unreachable": (
        "La liste de révocation de l'émetteur ({url}) n'a pas pu être consultée : impossible de "
        "savoir si le badge a été révoqué.",
        "The issuer's revocation list ({url}) could not be fetched: cannot tell whether the "
        "badge was revoked."),
    "status.ob2_bad_list": (
        "Le document publié à {url} n'est pas une liste de révocation lisible : statut non "
        "vérifié.",
        "The document published at {url} is not a readable revocation list: status not "
        "checked."),
    "status.ob2_no_issuer": (
        "Le profil de l'émetteur n'a pas pu être lu : sa liste de révocation n'a pas pu être "
        "consultée.",
        "The issuer's profile could not be read, so its revocation list could not be looked "
        "up."),
}
MESSAGES.update(_OB2_MESSAGES)


def render_message(code: str, details: Mapping[str, Any]) -> tuple[str, str]:
    """(French, English) for `code`, with `details` in the placeholders."""
    template_fr, template_en = MESSAGES[code]
    return template_fr.format(**details), template_en.format(**details)

# Verifiable presentations (`issuer.openbadges.verification.presentation`): the holder's proof, the
# challenge and domain the verifier asked for, freshness, and holder binding per credential.
_PRESENTATION_MESSAGES: dict[str, tuple[str, str]] = {
    "presentation.ok": ("Présentation lue (modèle VCDM {model}).",
                        "Presentation read (VCDM {model} data model)."),
    "presentation.empty": ("Aucune présentation n'a été reçue.", "No presentation was received."),
    "presentation.too_large": (
        "Présentation trop volumineuse pour être vérifiée (limite : {limit} octets).",
        "Presentation too large to be verified (limit: {limit} bytes)."),
    "presentation.not_json": ("La présentation n'est pas du JSON lisible.",
                              "The presentation is not readable JSON."),
    "presentation.not_object": ("La présentation n'est pas un objet JSON.",
                                "The presentation is not a JSON object."),
    "presentation.duplicate_key": (
        "La présentation contient deux fois la propriété « {key} » : elle peut se lire de deux "
        "façons.",
        "The presentation holds property '{key}' twice, so it can be read two ways."),
    "presentation.too_complex": (
        "Présentation refusée : trop complexe pour être vérifiée sans risque ({what_fr} : plus "
        "de {limit}).",
        "Presentation refused: too complex to verify safely ({what_en}: more than {limit})."),
    "presentation.too_deep": ("La présentation est imbriquée trop profondément.",
                              "The presentation is nested too deeply."),
    "presentation.jwt_not_supported": (
        "Présentation au format JWT (VP-JWT) : non prise en charge, seules les présentations "
        "signées en JSON-LD (Data Integrity) le sont.",
        "JWT presentation (VP-JWT): not supported, only JSON-LD presentations with a Data "
        "Integrity proof are."),
    "presentation.context_missing": (
        "La présentation n'indique pas ses contextes JSON-LD (@context).",
        "The presentation names no JSON-LD contexts (@context)."),
    "presentation.context_inline": (
        "La présentation définit elle-même une partie de son vocabulaire : refusé.",
        "The presentation defines part of its own vocabulary: refused."),
    "presentation.context_unknown": (
        "Contexte JSON-LD inconnu, jamais téléchargé par sécurité : {url}.",
        "Unknown JSON-LD context, never downloaded for safety: {url}."),
    "presentation.context_not_vc_first": (
        "Le premier contexte doit être celui des Verifiable Credentials (VCDM 2.0 ou 1.1).",
        "The first context must be the Verifiable Credentials one (VCDM 2.0 or 1.1)."),
    "presentation.not_presentation": (
        "Ce document n'est pas une présentation (type VerifiablePresentation attendu).",
        "This document is not a presentation (type VerifiablePresentation expected)."),
    "presentation.bad_credentials": (
        "La liste des badges présentés (verifiableCredential) est illisible.",
        "The list of presented credentials (verifiableCredential) is unreadable."),
    "presentation.too_many_credentials": (
        "Trop de badges dans la présentation ({count}) : au plus {limit} sont vérifiés.",
        "Too many credentials in the presentation ({count}): at most {limit} are verified."),
    "holder_did.ok": ("La présentation est faite par {did}.", "The presentation is made by {did}."),
    "holder_did.missing": (
        "La présentation ne dit pas qui la présente (propriété « holder » absente).",
        "The presentation does not say who presents it (no 'holder' property)."),
    "holder_did.unsupported": (
        "Identifiant du présentateur non pris en charge ({did}) : un did:key est attendu.",
        "Unsupported presenter identifier ({did}): a did:key is expected."),
    "holder_did.key_not_holder": (
        "La présentation est signée avec la clé de {owner}, pas avec celle du présentateur "
        "annoncé ({did}).",
        "The presentation is signed with the key of {owner}, not with that of the stated "
        "presenter ({did})."),
    "holder_did.bad_method": (
        "La clé de signature de la présentation est mal désignée ({method}).",
        "The presentation's signing key is badly named ({method})."),
    "holder_did.key_unresolvable": (
        "La clé de signature de la présentation est inutilisable : {detail_fr}",
        "The presentation's signing key cannot be used: {detail_en}"),
    "holder_proof.ok": (
        "Signature du présentateur vérifiée : la présentation vient de la personne qui contrôle "
        "{did} et n'a pas été modifiée.",
        "Presenter's signature verified: the presentation comes from whoever controls {did} and "
        "was not changed."),
    "holder_proof.missing": ("La présentation n'est pas signée par son présentateur.",
                             "The presentation is not signed by its presenter."),
    "holder_proof.malformed": ("La preuve de la présentation est illisible.",
                               "The presentation's proof is unreadable."),
    "holder_proof.too_many": (
        "La présentation porte {count} preuves : une seule, celle du présentateur, est attendue.",
        "The presentation carries {count} proofs: a single one, the presenter's, is expected."),
    "holder_proof.unsupported_type": (
        "Type de preuve non pris en charge : {kind} (Ed25519Signature2020 ou DataIntegrityProof "
        "eddsa-rdfc-2022 attendu).",
        "Unsupported proof type: {kind} (Ed25519Signature2020 or DataIntegrityProof "
        "eddsa-rdfc-2022 expected)."),
    "holder_proof.wrong_purpose": (
        "La preuve de la présentation a le but « {purpose} » au lieu de « authentication ».",
        "The presentation's proof has purpose '{purpose}' instead of 'authentication'."),
    "holder_proof.bad_encoding": (
        "La signature de la présentation est mal encodée (base58btc « z… » attendu).",
        "The presentation's signature is badly encoded (base58btc 'z…' expected)."),
    "holder_proof.signature_mismatch": (
        "La signature du présentateur ne correspond pas : la présentation a été modifiée ou "
        "signée avec une autre clé.",
        "The presenter's signature does not match: the presentation was changed or signed with "
        "another key."),
    "holder_proof.not_checked": ("Signature du présentateur non vérifiée.",
                                 "Presenter's signature not checked."),
    "challenge.ok": ("La présentation répond à cette demande précise (défi reconnu).",
                     "The presentation answers this very request (challenge recognised)."),
    "challenge.missing": (
        "La présentation ne porte pas le défi (challenge) de la demande : elle a pu être faite "
        "pour une autre demande.",
        "The presentation does not carry the request's challenge: it may have been made for "
        "another request."),
    "challenge.mismatch": (
        "Le défi (challenge) de la présentation n'est pas celui de la demande : présentation "
        "rejouée ou faite pour une autre demande.",
        "The presentation's challenge is not the request's: a replayed presentation, or one "
        "made for another request."),
    "challenge.not_expected": (
        "Aucun défi (challenge) n'a été demandé : rien ne prouve que la présentation est "
        "récente ni qu'elle n'est pas rejouée.",
        "No challenge was asked for: nothing shows the presentation is recent or not "
        "replayed."),
    "domain.ok": ("La présentation est destinée à ce vérificateur ({domain}).",
                  "The presentation is meant for this verifier ({domain})."),
    "domain.missing": (
        "La présentation ne dit pas à quel vérificateur elle est destinée (domain absent).",
        "The presentation does not say which verifier it is meant for (no domain)."),
    "domain.mismatch": (
        "La présentation est destinée à un autre vérificateur ({found}, attendu : {expected}).",
        "The presentation is meant for another verifier ({found}, expected: {expected})."),
    "domain.not_expected": ("Aucun domaine de vérificateur n'a été demandé.",
                            "No verifier domain was asked for."),
    "freshness.ok": ("Présentation signée à l'instant ({created}).",
                     "Presentation signed just now ({created})."),
    "freshness.no_created": (
        "La preuve de la présentation n'est pas datée (created absent ou illisible).",
        "The presentation's proof is not dated (created missing or unreadable)."),
    "freshness.stale": (
        "Présentation trop ancienne : signée le {created}, plus de {minutes} minutes avant la "
        "vérification.",
        "Presentation too old: signed on {created}, more than {minutes} minutes before the "
        "check."),
    "freshness.old": (
        "Présentation signée le {created}, il y a plus de {minutes} minutes.",
        "Presentation signed on {created}, more than {minutes} minutes ago."),
    "freshness.future": (
        "La présentation est datée dans le futur ({created}).",
        "The presentation is dated in the future ({created})."),
    "freshness.expired": ("La preuve de la présentation a expiré le {expires}.",
                          "The presentation's proof expired on {expires}."),
    "holder_binding.ok": (
        "Le badge a été délivré à {did}, la personne qui le présente : c'est bien son badge.",
        "The badge was issued to {did}, the person presenting it: it is their own badge."),
    "holder_binding.other_subject": (
        "Le badge a été délivré à {subject}, pas à la personne qui le présente ({did}).",
        "The badge was issued to {subject}, not to the person presenting it ({did})."),
    "holder_binding.no_did": (
        "Le badge n'a pas été délivré à un identifiant numérique (DID) : rien ne prouve que la "
        "personne qui le présente en est la titulaire.",
        "The badge was not issued to a digital identifier (DID): nothing shows the person "
        "presenting it is its holder."),
    "holder_binding.not_checked": (
        "Titulaire non vérifié : le badge ou la présentation n'a pas pu être vérifié.",
        "Holder not checked: the badge or the presentation could not be verified."),
}
MESSAGES.update(_PRESENTATION_MESSAGES)
