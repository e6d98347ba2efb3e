"""`issuer council`: the Conseil local du numérique's daily job, closing the mandates that
ended (issue 13 item 11), run from cron (docs/DEPLOYMENT.md); and the correction of a member's
answer for parity, as the register's « Réponse pour la parité » page does."""

from __future__ import annotations

import sys

import click

from issuer.cli import context as cli_context
from issuer.cli.context import _, handles_errors, initialised_service
from issuer.i18n import ngettext


@click.group(help=_("The Local Digital Council (CLN) register."))
def council() -> None:
    pass


@council.command("close-ended-mandates",
                 help=_("Close every mandate whose last day has passed without renewal: the "
                        "membership badge has expired on its own date (its validUntil), the person "
                        "receives the former-member badge by e-mail, and the audit trail records "
                        "it. Run it daily from cron; running it again, or on several machines at "
                        "once, closes nothing twice."))
@handles_errors
def close_ended_mandates() -> None:
    from issuer.mail import deliver_pending
    from issuer.workspace.member_closing import close_ended_mandates as close

    service = initialised_service()
    run = close(service, actor="cli")
    deliver_pending(service)  # the former-member badges' e-mails, queued with them
    for mandate in run.closed:
        click.echo(_("Closed: {name} ({years})").format(name=mandate.name, years=mandate.years))
    click.echo(ngettext("{closed} mandate closed, {already} already closed by another run.",
                        "{closed} mandates closed, {already} already closed by another run.",
                        len(run.closed), cli_context.LOCALE).format(
        closed=len(run.closed), already=run.already_closed))
    for mandate_id, error in run.failed:
        click.echo(_("Not closed: mandate {id}: {message}").format(
            id=mandate_id, message=error.message(cli_context.LOCALE)), err=True)
    if run.failed:
        sys.exit(1)  # cron mails it; the others were closed


#: The answers on the command line; "aucune" removes the answer (the person withdraws it).
_ANSWERS = ("femme", "homme", "sans_reponse", "aucune")


@council.command("parity-answer",
                 help=_("Correct or remove the answer for parity of the member whose mandate is "
                        "current, named by e-mail: femme, homme, sans_reponse (prefers not to "
                        "answer) or aucune (the person withdraws their answer: it is removed). "
                        "Refused once the mandate has ended (the answer is erased then); the "
                        "audit trail records that it changed, not the answer."))
@click.argument("email")
@click.argument("answer", type=click.Choice(_ANSWERS))
@handles_errors
def parity_answer(email: str, answer: str) -> None:
    from issuer.workspace.members import current_mandate_of, set_parity_answer

    service = initialised_service()
    mandate = current_mandate_of(service, email)
    change = set_parity_answer(service, mandate.id, None if answer == "aucune" else answer,
                               actor="cli")
    if not change.changed:
        click.echo(_("The answer for parity of {name} was already the one given: nothing "
                     "changed.").format(name=mandate.name))
    elif change.mandate.gender is None:
        click.echo(_("The answer for parity of {name} is removed.").format(name=mandate.name))
    else:
        click.echo(_("The answer for parity of {name} is saved.").format(name=mandate.name))
