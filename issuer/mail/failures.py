"""Why an e-mail was not delivered, in words a coordinator can act on (issue 13, item 10).

A failed message keeps `<code>: <English detail>` (`mail.delivery`): the server's reply is
technical and English. The workspace shows, first, what the code means and what to do, in the
reader's language (gettext ids, their French in the catalogue), the reply below as detail. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from issuer.i18n import gettext


def _(message: str) -> str:
    """Marks a message id for extraction (pybabel `-k _`); translated when shown."""
    return message


FAILURE_EXPLANATIONS: dict[str, str] = {
    "mail.bounced": _("The recipient's mail server refuses this address for good: check the "
                      "address with the person, then correct it on their page."),
    "mail.smtp_refused": _("The mail server refused the message for now: it is tried again "
                           "automatically."),
    "mail.smtp_unreachable": _("The mail server could not be reached (network, or the "
                               "ISSUER_SMTP_HOST and ISSUER_SMTP_PORT settings): the message is "
                               "tried again automatically."),
    "mail.smtp_unsupported": _("The mail server does not offer the secure connection or the "
                               "login the settings ask for: check ISSUER_SMTP_STARTTLS, "
                               "ISSUER_SMTP_SSL and the port."),
    "mail.smtp_cleartext_login": _("The connection to the mail server is not encrypted, so the "
                                   "password was not sent: turn on ISSUER_SMTP_STARTTLS or "
                                   "ISSUER_SMTP_SSL."),
    "mail.outbox_unwritable": _("The outbox folder (var/outbox) cannot be written: check the "
                                "disk space and the folder's permissions."),
    "mail.compose_failed": _("The message could not be written (a fault of the service): it "
                             "is tried again; tell the administrator if it lasts."),
    "mail.send_failed": _("An unexpected error stopped the sending: it is tried again "
                          "automatically."),
    "mail.badge_revoked": _("The badge was revoked before the e-mail left: it is not sent."),
    "mail.no_such_badge": _("The badge of this e-mail no longer exists: it is not sent."),
    "mail.no_address": _("This person's data was erased: there is no address to write to."),
    "mail.bad_address": _("The e-mail address cannot be used: correct it on the person's page."),
    "mail.content_missing": _("This message's content is no longer available: send a new one."),
}
UNKNOWN_FAILURE = _("The e-mail could not be delivered; the detail below says why.")


@dataclass(frozen=True)
class FailureExplanation:
    explanation: str  # in the reader's language
    detail: str  # the server's or the service's own words (English), for the technician


def explain_failure(last_error: str | None, locale: str) -> FailureExplanation:
    text = (last_error or "").strip()
    code, separator, detail = text.partition(":")
    if not separator or not code.startswith("mail."):
        code, detail = "", text
    explanation = FAILURE_EXPLANATIONS.get(code.strip(), UNKNOWN_FAILURE)
    return FailureExplanation(gettext(explanation, locale), detail.strip())
