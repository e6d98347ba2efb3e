"""`issuer verify`: a credential file, JWT, baked image or address, and its report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from issuer.cli import context as cli_context
from issuer.cli.context import _, fail, load_service
from issuer.errors import IssuerError


# -- verify -------------------------------------------------------------------------------------
@click.command(help=_("Verify a badge: a credential JSON file, a JWT, a baked PNG or SVG, or a URL. "
                     "Exit code 0 valid, 1 not valid, 2 unreadable input (an address refused "
                     "included)."))
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help=_("Print the full report as JSON."))
@click.option("--allow-loopback", is_flag=True,
              help=_("Local development only: also fetch from this machine (127.0.0.1, ::1, "
                     "localhost, plain http allowed there): the badge's address, DID documents, "
                     "status lists. Private network addresses stay refused."))
def verify(source: str, as_json: bool, allow_loopback: bool) -> None:
    from issuer.issuance.verification_context import verification_context_for
    from issuer.openbadges.fetch import FetchError
    from issuer.openbadges.verification import verify as verify_credential

    try:
        service = load_service()
        data = _read_source(source, service, allow_loopback)
        context = verification_context_for(service, allow_loopback=allow_loopback)
        report = verify_credential(data, context)
    except IssuerError as error:
        if isinstance(error, FetchError) and error.code == "fetch.forbidden_target" \
                and not allow_loopback:
            click.echo(_("Addresses on this machine or a private network are never fetched; "
                         "for a development server on this machine, run again with "
                         "--allow-loopback."), err=True)
        fail(error, exit_code=2)
        return
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.summary(cli_context.LOCALE))
        _echo_claims(report)
        for check in report.checks:
            message = check.message_en if cli_context.LOCALE == "en" else check.message_fr
            click.echo(f"  [{check.outcome:>8}] {check.name}: {message}")
    if report.unreadable:
        sys.exit(2)
    sys.exit(0 if report.verdict == "valid" else 1)


def _echo_claims(report: Any) -> None:
    """What the badge says, briefly; headed as unverified unless its content is authentic."""
    from issuer.openbadges.verification.claims import claims_of
    from issuer.openbadges.verification.wording import english_day, french_day

    claims = claims_of(report)
    day = english_day if cli_context.LOCALE == "en" else french_day
    if claims is None:
        return
    click.echo(_("What was verified:") if claims.verified
               else _("What the file claims (not verified):"))
    issuer = claims.issuer.name or "?"
    if claims.issuer.id:
        issuer = f"{issuer} ({claims.issuer.id})"
    lines = [(_("Badge"), claims.name), (_("Issuer"), issuer),
             (_("Holder"), claims.holder_name), (_("Role"), claims.role),
             (_("Edition or event"), " — ".join(
                 part for part in (claims.event.name, claims.event.description) if part)
              if claims.event else None),
             (_("Issued on"), day(claims.issued) if claims.issued else None),
             (_("Valid until"), day(claims.valid_until) if claims.valid_until else None),
             (_("Skills"), ", ".join(f"{skill.name} ({skill.code})" if skill.code else skill.name
                                     for skill in claims.skills) or None)]
    for label, value in lines:
        if value:
            click.echo(f"  {label}: {value}")


def _read_source(source: str, service: Any, allow_loopback: bool) -> bytes:
    """The bytes to verify: fetched like the web verifier fetches an address (same bounds,
    same refusal of private and, unless allowed, loopback addresses), or read from a file."""
    from issuer.errors import InvalidInput
    from issuer.issuance.verification_context import badge_fetcher

    if source.startswith(("https://", "http://")):
        fetcher = badge_fetcher(service.settings, allow_loopback=allow_loopback)
        body: bytes
        body, _type = fetcher.get_bytes(
            source, accept="application/ld+json, application/json;q=0.9, application/jwt;q=0.8, "
                           "image/png;q=0.7, image/svg+xml;q=0.7")
        return body
    path = Path(source)
    if source == "-":
        return sys.stdin.buffer.read()
    if not path.is_file():
        raise InvalidInput(f"Fichier introuvable : {source}", f"File not found: {source}",
                           code="verify.no_such_file")
    return path.read_bytes()
