"""`issuer council`: the Conseil local du numérique's daily job, closing the mandates that
ended (issue 13 item 11), run from cron (docs/DEPLOYMENT.md)."""

from __future__ import annotations

import sys

import click

from issuer.cli import context as cli_context
from issuer.cli.context import _, handles_errors, initialised_service


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
    click.echo(_("{closed} mandate(s) closed, {already} already closed by another run.").format(
        closed=len(run.closed), already=run.already_closed))
    for mandate_id, error in run.failed:
        click.echo(_("Not closed: mandate {id}: {message}").format(
            id=mandate_id, message=error.message(cli_context.LOCALE)), err=True)
    if run.failed:
        sys.exit(1)  # cron mails it; the others were closed
