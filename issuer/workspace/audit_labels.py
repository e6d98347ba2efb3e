"""The audit trail in words a coordinator reads (issue 13, item 10): each action code as a
label in French or English, and a line's details as "label: value" pairs instead of JSON.

Pure: no database, no web. The journal, its CSV export (which keeps the raw code beside the
label) and the dashboard's last actions read it. The labels are gettext message ids (English),
their French in the catalogue (`make translations`); a code missing from the table is still
shown readably, from the label of its first part and its words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from issuer.collation import sort_key
from issuer.i18n import gettext
from issuer.mail.delivery import KIND_BADGE, KIND_INVITATION
from issuer.mail.key_incident import KEY_INCIDENT_MAIL_KIND
from issuer.mail.revocation import REVOCATION_MAIL_KIND
from issuer.mail.wallet_code import WALLET_CODE_MAIL_KIND
from issuer.mail.wallet_link import WALLET_LINK_MAIL_KIND
from issuer.network.endorsement_mail import ENDORSEMENT_MAIL_KIND
from issuer.network.mediators.mail import SIGN_IN_MAIL_KIND
from issuer.workspace.account_mail import SIGN_IN_ALERT_KIND


def _(message: str) -> str:
    """Marks a message id for extraction (pybabel `-k _`); translated when shown."""
    return message


ACTION_LABELS: dict[str, str] = {
    "account.activated": _("Account activated"),
    "account.created": _("Account created"),
    "account.disabled": _("Account disabled"),
    "account.invited": _("Invitation to the workspace sent"),
    "attendance.recorded": _("Attendance recorded"),
    "claims.approved": _("Badge requests approved"),
    "claims.rejected": _("Badge requests declined"),
    "claims.rejected_from_client": _("Badge requests from one device declined"),
    "claims.window_closed": _("Badge requests closed"),
    "claims.window_opened": _("Badge requests opened"),
    "cln.mandate_ended": _("Council mandate ended"),
    "cln.mandate_renewed": _("Council mandate renewed"),
    "cln.member_added": _("Council member added"),
    "cln.member_resigned": _("Council member resigned"),
    "cln.parity_answer_changed": _("Council member's answer for parity corrected or removed"),
    "credential.issue_form": _("Badge issued from the form"),
    "credential.issued": _("Badge issued"),
    "credential.name_display_changed": _("Name shown or hidden on a badge by its holder"),
    "credential.reissued": _("Badge issued again under the same terms"),
    "credential.revoked": _("Badge revoked"),
    "credential.suspended": _("Badge suspended"),
    # Written by `issuer suspend` before 2026-12-07 (a typo since fixed); old journals keep it.
    "credential.suspendd": _("Badge suspended"),
    "credential.unsuspended": _("Badge suspension lifted"),
    "directory.joined": _("Joined the directory"),
    "directory.left": _("Left the directory"),
    "directory.updated": _("Directory profile updated"),
    "email.failed": _("E-mail not delivered"),
    "email.outbox": _("E-mail written to the outbox"),
    "email.queued": _("E-mail waiting to be sent"),
    "email.secret_read": _("Personal link of an e-mail read"),
    "email.sent": _("E-mail sent"),
    "endorsement.approved": _("Endorsement approved"),
    "endorsement.carried_over": _("Endorsement carried over to the badge issued again"),
    "endorsement.rejected": _("Endorsement declined"),
    "endorsement.requested": _("Endorsement requested"),
    "endorsement.resigned": _("Endorsement signed again"),
    "endorsement.revoked": _("Endorsement revoked"),
    "endorsement.withdrawn": _("Endorsement withdrawn"),
    "event.badges_issued": _("Badges issued for an event"),
    "event.created": _("Event added"),
    "holder_copy.forgotten": _("Wallet copies forgotten"),
    "holder_copy.issued": _("Wallet copy issued"),
    "holder_copy.revoked": _("Wallet copy revoked"),
    "keys.created": _("Issuer keys created"),
    "keys.retired": _("Issuer key retired"),
    "keys.revoked": _("Issuer key revoked"),
    "keys.rotated": _("Issuer keys renewed"),
    "login.failed": _("Sign-in refused"),
    "login.owner_alerted": _("Account owner warned of refused sign-ins"),
    "login.succeeded": _("Signed in"),
    "login.throttled": _("Sign-ins slowed down"),
    "logout": _("Signed out"),
    "mediator.sign_in_link_sent": _("Sign-in link sent to a mediator"),
    "mediator.signed_in": _("Mediator signed in"),
    "mediator.signed_out": _("Mediator signed out"),
    "oid4vci.code_redeemed": _("Wallet offer code used"),
    "oid4vci.credential_issued": _("Badge sent to a wallet"),
    "oid4vci.credential_refused": _("Wallet request refused"),
    "oid4vci.offer_created": _("Wallet offer created"),
    "oid4vci.token_refused": _("Wallet access refused"),
    "personal_data.purged": _("Old personal data erased"),
    "presentation_request.answered": _("Presentation received"),
    "presentation_request.created": _("Presentation requested"),
    "presentation_request.refused": _("Presentation refused"),
    "recipient.email_changed": _("A person's e-mail changed"),
    "recipient.erased": _("A person's data erased"),
    "recipient.exported": _("A person's data exported"),
    "recipient.name_corrected": _("A person's name corrected"),
    "recipient.purged": _("A person's data purged"),
    "skill_badge.created": _("Skill badge created"),
    "skill_badge.criteria_edited": _("Skill badge criteria edited"),
    "skill_badge.issued": _("Skill badge issued"),
    "skills.case_imported": _("CASE package imported into the skills catalogue"),
    "skills.domain_added": _("Skills domain added"),
    "skills.domain_edited": _("Skills domain edited"),
    "skills.domain_moved": _("Skills domain moved"),
    "skills.domain_reinstated": _("Skills domain reinstated"),
    "skills.domain_retired": _("Skills domain retired"),
    "skills.seeded": _("Skills catalogue created"),
    "skills.skill_added": _("Skill added"),
    "skills.skill_edited": _("Skill edited"),
    "skills.skill_moved": _("Skill moved"),
    "skills.skill_reinstated": _("Skill reinstated"),
    "skills.skill_retired": _("Skill retired"),
    "wallet.exchange_completed": _("Badge sent to the Learner Credential Wallet"),
    "wallet.exchange_created": _("Wallet exchange opened"),
    "wallet.exchange_started": _("Wallet exchange started by the wallet"),
    "wallet.holder_link_opened": _("Holder link opened"),
    "wallet.holder_link_sent": _("Holder link sent by e-mail"),
}

#: Each kind of e-mail the service queues, as the outbox and the dashboard name it. One table
#: for every page (the kinds are the constants of the modules that queue them), so a new kind
#: of e-mail is labelled everywhere at once; `tests/test_audit_labels.py` checks none is missing.
MAIL_KIND_LABELS: dict[str, str] = {
    KIND_BADGE: _("Badge"),
    KIND_INVITATION: _("Invitation to the workspace"),
    SIGN_IN_MAIL_KIND: _("Sign-in link to My space"),
    SIGN_IN_ALERT_KIND: _("Warning of refused sign-ins"),
    ENDORSEMENT_MAIL_KIND: _("Endorsement"),
    REVOCATION_MAIL_KIND: _("Badge withdrawn"),
    KEY_INCIDENT_MAIL_KIND: _("Badge issued again after a key incident"),
    WALLET_LINK_MAIL_KIND: _("Link to add a badge to a wallet"),
    WALLET_CODE_MAIL_KIND: _("Wallet code"),
}


def mail_kind_label(kind: str, locale: str) -> str:
    """The kind of an e-mail in words; an unknown kind from its words, never a bare code."""
    known = MAIL_KIND_LABELS.get(kind)
    if known is not None:
        return gettext(known, locale)
    words = _words(kind)
    return words[:1].upper() + words[1:] if words else "—"


#: The first part of a code, for a code the table does not know yet.
AREA_LABELS: dict[str, str] = {
    "account": _("Account"), "attendance": _("Attendance"), "claims": _("Badge requests"),
    "cln": _("Local digital council"), "credential": _("Badge"), "directory": _("Directory"),
    "email": _("E-mail"), "endorsement": _("Endorsement"), "event": _("Event"),
    "holder_copy": _("Wallet copy"), "keys": _("Issuer keys"), "login": _("Sign-in"),
    "mediator": _("Mediator"), "oid4vci": _("Wallet"), "personal_data": _("Personal data"),
    "presentation_request": _("Presentation"), "recipient": _("Person"),
    "skill_badge": _("Skill badge"), "skills": _("Skills catalogue"), "wallet": _("Wallet"),
}

DETAIL_LABELS: dict[str, str] = {
    "added": _("Added"), "age_declared": _("Declared 16 or over"),
    "already_issued": _("Already issued"), "alumni_credential": _("Former member's badge"),
    "answer_removed": _("Answer removed"),
    "automatic": _("Automatic (daily command)"), "attempt": _("Attempt"),
    "badge": _("Badge"), "client": _("Device"), "closes_at": _("Closes"), "code": _("Code"),
    "count": _("Number"), "created": _("Created"), "credential": _("Badge"),
    "end": _("End"), "endorser_credential": _("Badge of the person who endorses"),
    "error": _("Error"), "format": _("Format"), "issued": _("Issued"),
    "kind": _("Kind"), "mandates": _("Mandates"), "message": _("E-mail"),
    "new": _("New value"), "next_attempt_at": _("Next attempt"),
    "note": _("Note"), "old": _("Former value"), "opens_at": _("Opens"),
    "reason": _("Reason"), "retry": _("Tried again"), "revoked": _("Revoked"),
    "role": _("Role"), "sector": _("Sector"), "smtp_code": _("SMTP code"),
    "source": _("Source"), "start": _("Start"), "version": _("Version"),
    "wait_seconds": _("Wait (seconds)"),
}


def _words(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").strip()


def action_label(action: str, locale: str) -> str:
    """The action as a coordinator reads it; an unknown code from its area and its words
    (`skills.frozen` -> "Skills catalogue: frozen"), never a bare code."""
    known = ACTION_LABELS.get(action)
    if known is not None:
        return gettext(known, locale)
    area, _dot, rest = action.partition(".")
    area_label = AREA_LABELS.get(area)
    if area_label is not None and rest:
        return gettext(_("%(label)s: %(value)s"), locale) % {
            "label": gettext(area_label, locale), "value": _words(rest)}
    words = _words(action.replace(".", " "))
    return words[:1].upper() + words[1:] if words else "—"


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


def _value(value: Any, locale: str) -> str:
    if isinstance(value, bool):
        return gettext("yes", locale) if value else gettext("no", locale)
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(item, locale) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{_words(str(k))} = {_value(v, locale)}" for k, v in value.items())
    return str(value)


def readable_details(details_json: str | None, locale: str) -> list[Detail]:
    """A line's details as labelled values, in the order written. Text that is not a JSON
    object is shown as it is, under "Details"."""
    if not details_json:
        return []
    try:
        details = json.loads(details_json)
    except ValueError:
        return [Detail(gettext("Details", locale), details_json)]
    if not isinstance(details, dict):
        return [Detail(gettext("Details", locale), _value(details, locale))]
    shown = []
    for key, value in details.items():
        label = DETAIL_LABELS.get(key)
        words = _words(str(key))
        shown.append(Detail(gettext(label, locale) if label else words[:1].upper() + words[1:],
                            _value(value, locale)))
    return shown


def action_choices(actions: list[str], locale: str) -> list[tuple[str, str]]:
    """(code, label) for the journal's filter, in the reader's alphabetical order."""
    return sorted(((action, action_label(action, locale)) for action in actions),
                  key=lambda pair: sort_key(pair[1]))
