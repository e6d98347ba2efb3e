"""The one plain sentence a report ends in, for a resident or an employer, in French or
English: what went wrong first (revoked, forged, suspended, expired), else who issued it.

The sentence names what was checked: a "badge" (an achievement credential) or a
"recommandation" / "endorsement" (an OB 3.0 EndorsementCredential, e.g. a peer endorsement of
the mediator network). French agrees in gender: *badge* is masculine, *recommandation*
feminine, hence the word table rather than one noun swapped into each sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from issuer.openbadges.verification.wording import (
    english_day,
    french_day,
    join_labels,
    with_article,
)

if TYPE_CHECKING:  # report.py imports this module for `VerificationReport.summary`
    from issuer.openbadges.verification.report import Check, VerificationReport


@dataclass(frozen=True)
class _Words:
    noun_fr: str            # "Badge", "Recommandation"
    noun_en: str            # "badge", "endorsement"
    the_fr: str             # "le badge", "la recommandation"
    e: str                  # French past participle agreement: "" or "e"
    it_fr: str              # "il", "elle"
    if_it_fr: str           # "s'il", "si elle"


_BADGE = _Words("Badge", "badge", "le badge", "", "il", "s'il")
_OB2_BADGE = _Words("Badge Open Badges 2.0", "Open Badges 2.0 badge", "le badge Open Badges 2.0",
                    "", "il", "s'il")
_ENDORSEMENT = _Words("Recommandation", "endorsement", "la recommandation", "e", "elle", "si elle")


def _words(report: VerificationReport) -> _Words:
    if report.standard == "ob2":
        return _OB2_BADGE
    types = (report.credential or {}).get("type")
    types = types if isinstance(types, list) else [types]
    return _ENDORSEMENT if "EndorsementCredential" in types else _BADGE


def summary_sentence(report: VerificationReport, *, english: bool) -> str:
    """The sentence `VerificationReport.summary` returns."""
    def text(check: Check) -> str:
        return check.message_en if english else check.message_fr

    if report.unreadable:
        check = report.check("format")
        if check.code.startswith("format.unsupported"):
            return (f"Unsupported format: {text(check)}" if english
                    else f"Format non pris en charge : {text(check)}")
        if check.outcome == "unknown":
            return (f"Verification incomplete: {text(check)}" if english
                    else f"Vérification incomplète : {text(check)}")
        return (f"Unreadable file: {text(check)}" if english
                else f"Fichier illisible : {text(check)}")
    w = _words(report)
    noun_en, noun_en_cap = w.noun_en, w.noun_en[:1].upper() + w.noun_en[1:]
    by_name = {check.name: check for check in report.checks}
    issuer_fr = with_article(report.issuer_label) if report.issuer_label else "son émetteur"
    issuer_en = report.issuer_label or "its issuer"
    if report.verdict == "invalid":
        if by_name["status"].code in ("status.revoked", "status.ob2_revoked"):
            return (f"Revoked {noun_en}: {issuer_en} has withdrawn it; it is no longer valid."
                    if english
                    else f"{w.noun_fr} révoqué{w.e} : {issuer_fr} l'a retiré{w.e} ; "
                         f"{w.it_fr} n'est plus valable.")
        for name in ("proof", "issuer_key"):
            if by_name[name].outcome == "failed":
                return (f"Not an authentic {noun_en}, do not rely on it. {text(by_name[name])}"
                        if english else
                        f"{w.noun_fr} non authentique, ne vous y fiez pas. "
                        f"{text(by_name[name])}")
        if by_name["status"].code == "status.suspended":
            return (f"Suspended {noun_en}: {issuer_en} has suspended it; it is not valid for "
                    "now." if english else
                    f"{w.noun_fr} suspendu{w.e} : {issuer_fr} l'a suspendu{w.e} ; "
                    f"{w.it_fr} n'est pas valable pour le moment.")
        validity = by_name["validity"]
        if validity.code == "validity.expired" and report.valid_until is not None:
            return (f"Expired {noun_en}: it was valid until {english_day(report.valid_until)}."
                    if english else
                    f"{w.noun_fr} expiré{w.e} : {w.it_fr} était valable jusqu'au "
                    f"{french_day(report.valid_until)}.")
        failed = next(check for check in report.checks if check.outcome == "failed")
        return (f"{noun_en_cap} not valid. {text(failed)}" if english
                else f"{w.noun_fr} non valable. {text(failed)}")
    if report.verdict == "indeterminate":
        authentic = (by_name["proof"].outcome == "passed"
                     and by_name["issuer_key"].outcome == "passed")
        if authentic and by_name["status"].outcome == "unknown":
            return (f"Authentic {noun_en}, but its status could not be checked: cannot tell "
                    "whether it was revoked." if english else
                    f"{w.noun_fr} authentique, mais son statut n'a pas pu être vérifié : "
                    f"impossible de savoir {w.if_it_fr} a été révoqué{w.e}.")
        unknown = next(check for check in report.checks if check.outcome == "unknown")
        return (f"Verification incomplete, the {noun_en} cannot be confirmed. {text(unknown)}"
                if english else
                f"Vérification incomplète, {w.the_fr} ne peut pas être confirmé{w.e}. "
                f"{text(unknown)}")
    return _valid_summary(report, w, english=english)


def _valid_summary(report: VerificationReport, w: _Words, *, english: bool) -> str:
    issued_fr = f" le {french_day(report.valid_from)}" if report.valid_from else ""
    issued_en = f" on {english_day(report.valid_from)}" if report.valid_from else ""
    until_fr = (f", valide jusqu'au {french_day(report.valid_until)}" if report.valid_until
                else ", sans date de fin de validité")
    until_en = (f", valid until {english_day(report.valid_until)}" if report.valid_until
                else ", with no end date")
    if report.issuer_known and report.issuer_label:
        if english:
            return f"Authentic {w.noun_en}, issued by {report.issuer_label}{issued_en}{until_en}."
        issuer_fr = with_article(report.issuer_label)
        return f"{w.noun_fr} authentique, délivré{w.e} par {issuer_fr}{issued_fr}{until_fr}."
    name = report.issuer_name or report.issuer_id or "?"
    labels = report.known_issuer_labels
    if english:
        not_whom = f"which is not {join_labels(labels, 'or')}" if labels else \
            "which is not a recognised issuer"
        return (f"Authentic {w.noun_en}, but issued by '{name}' ({report.issuer_id}), "
                f"{not_whom}: unrecognised issuer.")
    not_whom = (f"qui n'est pas {join_labels((with_article(x) for x in labels), 'ni')}"
                if labels else "qui n'est pas un émetteur reconnu")
    return (f"{w.noun_fr} authentique, mais délivré{w.e} par « {name} » ({report.issuer_id}), "
            f"{not_whom} : émetteur non reconnu.")
