"""The one plain sentence a report ends in, for a resident or an employer, in French or
English: what went wrong first (revoked, forged, suspended, expired), else who issued it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from issuer.verification.wording import english_day, french_day, join_labels, with_article

if TYPE_CHECKING:  # report.py imports this module for `VerificationReport.summary`
    from issuer.verification.report import Check, VerificationReport

def summary_sentence(report: VerificationReport, *, english: bool) -> str:
    """The sentence `VerificationReport.summary` returns."""
    def text(check: Check) -> str:
        return check.message_en if english else check.message_fr

    if report.unreadable:
        check = report.check("format")
        return (f"Unreadable file: {text(check)}" if english
                else f"Fichier illisible : {text(check)}")
    by_name = {check.name: check for check in report.checks}
    issuer_fr = with_article(report.issuer_label) if report.issuer_label else "son émetteur"
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
            return (f"Expired badge: it was valid until {english_day(report.valid_until)}."
                    if english else
                    f"Badge expiré : il était valable jusqu'au {french_day(report.valid_until)}.")
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
    issued_fr = f" le {french_day(report.valid_from)}" if report.valid_from else ""
    issued_en = f" on {english_day(report.valid_from)}" if report.valid_from else ""
    until_fr = (f", valide jusqu'au {french_day(report.valid_until)}" if report.valid_until
                else ", sans date de fin de validité")
    until_en = (f", valid until {english_day(report.valid_until)}" if report.valid_until
                else ", with no end date")
    if report.issuer_known and report.issuer_label:
        if english:
            return f"Authentic badge, issued by {report.issuer_label}{issued_en}{until_en}."
        issuer_fr = with_article(report.issuer_label)
        return f"Badge authentique, délivré par {issuer_fr}{issued_fr}{until_fr}."
    name = report.issuer_name or report.issuer_id or "?"
    labels = report.known_issuer_labels
    if english:
        not_whom = f"which is not {join_labels(labels, 'or')}" if labels else \
            "which is not a recognised issuer"
        return (f"Authentic badge, but issued by '{name}' ({report.issuer_id}), {not_whom}: "
                "unrecognised issuer.")
    not_whom = (f"qui n'est pas {join_labels((with_article(x) for x in labels), 'ni')}"
                if labels else "qui n'est pas un émetteur reconnu")
    return (f"Badge authentique, mais délivré par « {name} » ({report.issuer_id}), {not_whom} : "
            "émetteur non reconnu.")
