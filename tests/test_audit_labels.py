"""The outbox and the dashboard name every kind of e-mail in words (issue 13, item 10): one
table in `issuer.workspace.audit_labels`, and no kind the code queues is missing from it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from issuer.i18n import translations
from issuer.workspace.audit_labels import MAIL_KIND_LABELS, mail_kind_label

ISSUER = Path(__file__).resolve().parents[1] / "issuer"
QUEUING_CALLS = {"MessageRow", "_new_row", "new_message_row"}


def _queued_kinds() -> set[str]:
    """Every `kind=` given where a message row is made, resolved to its value."""
    kinds: set[str] = set()
    for path in ISSUER.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = None
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in QUEUING_CALLS):
                continue
            for keyword in node.keywords:
                if keyword.arg != "kind":
                    continue
                if isinstance(keyword.value, ast.Constant):
                    kinds.add(str(keyword.value.value))
                elif isinstance(keyword.value, ast.Name):
                    if module is None:
                        dotted = ".".join(path.relative_to(ISSUER.parent).with_suffix("").parts)
                        module = importlib.import_module(dotted)
                    value = getattr(module, keyword.value.id, None)
                    if isinstance(value, str):
                        kinds.add(value)
    return kinds


def test_every_kind_of_e_mail_the_code_queues_has_a_label() -> None:
    queued = _queued_kinds()
    assert {"badge", "invitation", "sign-in", "badge-revoked", "wallet-link"} <= queued
    assert queued - set(MAIL_KIND_LABELS) == set()


@pytest.mark.parametrize("kind", sorted(MAIL_KIND_LABELS))
def test_each_kind_reads_in_french_and_english_never_as_a_code(kind: str) -> None:
    french, english = mail_kind_label(kind, "fr"), mail_kind_label(kind, "en")
    assert kind not in (french, english)
    assert english == MAIL_KIND_LABELS[kind]
    # The French comes from the catalogue (a missing entry would fall back to the English).
    assert translations("fr").gettext(english) == french
    assert MAIL_KIND_LABELS[kind] in _catalogue_ids()


def _catalogue_ids() -> set[str]:
    from babel.messages.pofile import read_po

    with (ISSUER / "locale" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {str(message.id) for message in read_po(po) if message.id and message.string}


def test_an_unknown_kind_is_shown_from_its_words() -> None:
    assert mail_kind_label("wallet-reminder", "fr") == "Wallet reminder"


def test_the_outbox_page_names_a_revocation_e_mail_in_french(admin_app) -> None:  # type: ignore[no-untyped-def]
    from issuer.issuance.issue_requests import IssueRequest
    from issuer.workspace.recipients import revoke_credential
    from tests.plugins.admin import create_account, sign_in

    app, service = admin_app
    create_account(app, email="coord@example.org")
    client = sign_in(app, "coord@example.org")
    issued = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique",
                                        "ana@example.org", "Ana", event_number=7,
                                        role="participant"))
    revoke_credential(service, issued.credential_id, "Inscription en double", actor="test")
    page = client.get("/admin/courriels", headers={"accept-language": "fr"}).text
    assert "Badge retiré" in page
    assert "badge-revoked" not in page


def test_suspending_and_lifting_a_suspension_are_journaled_with_labelled_actions(
        admin_app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from issuer.issuance.issue_requests import IssueRequest
    from issuer.storage.models import AuditEntry
    from issuer.workspace.audit_labels import ACTION_LABELS

    _app, service = admin_app
    issued = service.issue(IssueRequest("petit-dejeuner-inclusion-numerique", "bea@example.org",
                                        "Béa", event_number=7, role="participant"))
    service.suspend(issued.credential_id, "Vérification en cours")
    service.unsuspend(issued.credential_id)
    with service.database.session(read_only=True) as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.subject == issued.credential_id)).all()
    assert "credential.suspended" in actions and "credential.unsuspended" in actions
    assert set(actions) <= set(ACTION_LABELS)


def test_every_audit_action_written_in_the_code_has_a_label() -> None:
    """A literal `action="area.verb"` anywhere in the package, and the workspace's re-issue
    constants: the journal names each in words (a new action without a label fails here)."""
    import re

    from issuer.workspace import reissue

    written = {match for path in ISSUER.rglob("*.py")
               for match in re.findall(r'action="([a-z_]+\.[a-z_.]+)"',
                                       path.read_text(encoding="utf-8"))}
    written |= {reissue.REISSUED, reissue.NAME_DISPLAY_CHANGED}
    from issuer.workspace.audit_labels import ACTION_LABELS

    assert written - set(ACTION_LABELS) == set()
