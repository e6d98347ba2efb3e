"""Commands on badges: list the catalogue, issue one or a batch, revoke, suspend, and publish
the static files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from issuer.cli import context as cli_context
from issuer.cli.context import _, handles_errors, initialised_service


# -- badges -------------------------------------------------------------------------------------
@click.command(help=_("List the badges of the catalogue: slug, name, family, roles."))
@click.option("--json", "as_json", is_flag=True, help=_("Machine-readable output."))
@handles_errors
def badges(as_json: bool) -> None:
    from issuer.issuance.catalogue import load_catalogue

    catalogue = load_catalogue()
    lang = cli_context.LOCALE
    entries: list[dict[str, Any]] = [{
        "slug": badge.slug,
        "name": badge.name.get(lang),
        "family": badge.family,
        "achievementType": badge.achievement_type,
        "roles": [{"slug": role.slug, "name": role.name.get(lang)} for role in badge.roles],
        "events": [{"number": e.number, "date": e.date.isoformat(), "theme": e.theme.get(lang)}
                   for e in badge.events],
    } for badge in catalogue.badges]
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        roles = ", ".join(r["slug"] for r in entry["roles"]) or "—"
        click.echo(f"{entry['slug']:<38} {entry['family']:<11} {entry['name']}  [{roles}]")
        if entry["events"]:
            click.echo("    " + _("editions: {numbers}").format(
                numbers=", ".join(str(e["number"]) for e in entry["events"])))


# -- issue --------------------------------------------------------------------------------------
def _write_outputs(service: Any, issued: Any, out: Path) -> None:
    from issuer.issuance.outputs import write_credential_files

    write_credential_files(service, issued, out)


@click.command(help=_("Issue one badge; write <uuid>.json (embedded proof), <uuid>.jwt and "
                     "<uuid>.png (baked) into the output folder and print the credential URL."))
@click.option("--badge", "badge_slug", required=True, help=_("Badge slug (see `issuer badges`)."))
@click.option("--email", required=True, help=_("Recipient e-mail (only a salted hash is signed)."))
@click.option("--name", required=True, help=_("Recipient name."))
@click.option("--event", "event_number", type=int, help=_("Edition number, for event badges."))
@click.option("--role", help=_("Role slug or label (e.g. participant, intervenant, conseiller)."))
@click.option("--sector", help=_("CLN sector (Centre, Est, Ouest, Nord, Sud)."))
@click.option("--mandate-start", type=click.DateTime(["%Y-%m-%d"]),
              help=_("Start of the CLN mandate (YYYY-MM-DD); the badge expires 2 years later."))
@click.option("--show-name/--hide-name", default=False,
              help=_("Show the name on the badge (only with the recipient's consent)."))
@click.option("--declared-16-or-over", "age_declared", is_flag=True,
              help=_("CLN: the person declares being 16 or over (required for a membership; "
                     "no birth date is asked)."))
@click.option("--gender", type=click.Choice(["femme", "homme", "sans_reponse"]),
              help=_("CLN, optional, for parity only (never in the badge): femme, homme or "
                     "sans_reponse (prefers not to say)."))
@click.option("--confirm-parity-gap", is_flag=True,
              help=_("CLN: add the member even though the parity warning says the gap between "
                     "women and men would widen."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=_("Output folder."))
@handles_errors
def issue(badge_slug: str, email: str, name: str, event_number: int | None, role: str | None,
          sector: str | None, mandate_start: Any, show_name: bool, age_declared: bool,
          gender: str | None, confirm_parity_gap: bool, out: Path) -> None:
    from issuer.issuance.issue_requests import IssueRequest
    from issuer.workspace.members import NewMember, add_member, city_today, membership_badge

    service = initialised_service()
    if badge_slug == membership_badge(service).slug:
        # A council membership goes through the register and its rules (seats per sector,
        # co-chairs, one mandate at a time, the age declaration, the parity warning), as on
        # the register page (issue 13 item 11).
        mandate = add_member(service, NewMember(
            name=name or "", email=email, role=role or "", sector=sector, show_name=show_name,
            mandate_start=mandate_start.date() if mandate_start else city_today(),
            age_declared=age_declared, gender=gender, parity_confirmed=confirm_parity_gap),
            actor="cli")
        assert mandate.credential_id is not None  # add_member issues the badge with the seat
        issued = service.credential(mandate.credential_id)
    else:
        if gender or age_declared or confirm_parity_gap:
            from issuer.errors import InvalidInput

            raise InvalidInput(
                "--declared-16-or-over, --gender et --confirm-parity-gap ne concernent que les "
                "membres du Conseil local du numérique : retirez-les.",
                "--declared-16-or-over, --gender and --confirm-parity-gap only apply to Local "
                "Digital Council members: remove them.", code="issue.council_options")
        issued = service.issue(IssueRequest(
            badge_slug=badge_slug, email=email, name=name, event_number=event_number,
            role=role, sector=sector, show_name=show_name,
            mandate_start=mandate_start.date() if mandate_start else None))
    _write_outputs(service, issued, out)
    if not issued.created:
        click.echo(_("Already issued: nothing new was signed."), err=True)
    click.echo(issued.url)


@click.command("issue-batch",
              help=_("Issue a badge to everyone in an attendance list (CSV with a header row: "
                     "name,email[,role] or nom,courriel[,rôle]). Every line is checked first; "
                     "running it again issues nothing twice."))
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--badge", "badge_slug", required=True, help=_("Badge slug (see `issuer badges`)."))
@click.option("--event", "event_number", type=int, help=_("Edition number, for event badges."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=_("Output folder."))
@click.option("--show-names/--hide-names", default=False,
              help=_("Show names on the badges when the list has no consent column."))
@click.option("--mandate-start", type=click.DateTime(["%Y-%m-%d"]),
              help=_("Start of the CLN mandate (YYYY-MM-DD); the badge expires 2 years later."))
@click.option("--issue-valid-lines", is_flag=True,
              help=_("Issue the correct lines even when other lines have errors. The lines with "
                     "errors are listed and receive nothing; correct them and run the command "
                     "again (nothing is issued twice). Without this option, a list with an error "
                     "issues nothing."))
# Not shown in --help: the tests and the benchmark choose how many helper processes sign.
@click.option("--signing-helpers", type=click.IntRange(0, 16), default=None, hidden=True)
@handles_errors
def issue_batch(csv_file: Path, badge_slug: str, event_number: int | None, out: Path,
                show_names: bool, mandate_start: Any, issue_valid_lines: bool,
                signing_helpers: int | None) -> None:
    from tqdm import tqdm

    from issuer.issuance.issue_requests import IssueRequest
    from issuer.issuance.outputs import issue_to_folder
    from issuer.workspace.attendance import decode_csv_bytes, read_attendance
    from issuer.workspace.member_rules import CouncilRuleError
    from issuer.workspace.members import membership_badge

    service = initialised_service()
    badge = service.catalogue.badge(badge_slug)
    if badge_slug == membership_badge(service).slug:
        raise CouncilRuleError(
            "Les membres du Conseil local du numérique s'ajoutent un par un au registre (page "
            "« Conseil local du numérique » de l'espace de travail, ou « issuer issue --badge "
            f"{badge_slug} »), qui vérifie les règles du Conseil.",
            "Members of the Local Digital Council are added one by one to the register (the "
            f"workspace's council page, or `issuer issue --badge {badge_slug}`), which checks "
            "the council's rules.", code="cln.use_the_register")
    attendance = read_attendance(decode_csv_bytes(csv_file.read_bytes()), badge)
    if attendance.notes:
        click.echo(_("Lines merged into an earlier one:"), err=True)
        _echo_line_problems(attendance.notes)
    if not attendance.ok:
        if not issue_valid_lines or not attendance.rows:
            click.echo(_("The list has errors; nothing was issued:"), err=True)
            _echo_line_problems(attendance.problems)
            if attendance.rows:
                click.echo(_("To issue the {count} correct lines now and correct the others "
                             "later, run again with --issue-valid-lines.").format(
                                 count=len(attendance.rows)), err=True)
            sys.exit(1)
        click.echo(_("Lines with errors, nothing issued for them (correct them, then run the "
                     "command again: nothing is issued twice):"), err=True)
        _echo_line_problems(attendance.problems)
    requests = [IssueRequest(badge_slug=badge_slug, email=row.email, name=row.name,
                             event_number=event_number, role=row.role, sector=row.sector,
                             show_name=show_names if row.show_name is None else row.show_name,
                             mandate_start=mandate_start.date() if mandate_start else None)
                for row in attendance.rows]
    for request in requests:  # refuse the whole list before signing anything
        service.resolve_request(request)
    with tqdm(total=len(requests), unit=_("badge"), file=sys.stderr,
              disable=not sys.stderr.isatty()) as bar, GracefulStop() as stop:
        issued = issue_to_folder(service, requests, out, on_written=lambda _item: bar.update(1),
                                 signing_helpers=signing_helpers, should_stop=stop.requested)
    created = sum(item.created for item in issued)
    click.echo(_("{created} issued, {skipped} already issued, files in {out}").format(
        created=created, skipped=len(issued) - created, out=out))
    if len(issued) < len(requests):
        click.echo(_("Stopped on request before the end of the list: {left} lines not issued "
                     "yet. Run the same command again to issue them (nothing is issued twice)."
                     ).format(left=len(requests) - len(issued)), err=True)
        sys.exit(EXIT_STOPPED)


#: `issue-batch` stopped by SIGTERM or SIGINT after a committed chunk: 128 + SIGTERM, as a shell
#: reports a process ended by that signal (README, "Command line").
EXIT_STOPPED = 143


class GracefulStop:
    """While in the block, SIGTERM and SIGINT (Ctrl+C) do not kill the command: they ask it to
    stop after the chunk being signed is committed (`requested`), leaving the rest of the list
    to a re-run. The chunk in flight is one transaction of a few seconds of signing; `kill -9`
    remains for the impatient, and loses only that chunk. Outside the main thread (the command
    called from a thread) nothing is installed."""

    _SIGNALS = ("SIGTERM", "SIGINT")

    def __init__(self) -> None:
        self._stop = False
        self._previous: dict[int, Any] = {}

    def requested(self) -> bool:
        return self._stop

    def _on_signal(self, _signum: int, _frame: Any) -> None:
        self._stop = True

    def __enter__(self) -> GracefulStop:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for name in self._SIGNALS:
                number = getattr(signal, name)
                self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *_exc: object) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)


def _echo_line_problems(problems: Any) -> None:
    for problem in problems:
        message = problem.message_en if cli_context.LOCALE == "en" else problem.message_fr
        click.echo("  " + _("line {line}: {message}").format(line=problem.line, message=message),
                   err=True)


# -- status -------------------------------------------------------------------------------------
@click.command(help=_("Revoke a badge for good (it then shows as revoked everywhere)."))
@click.argument("credential_id")
@click.option("--reason", required=True, help=_("Why the badge is revoked (kept in the audit trail)."))
@handles_errors
def revoke(credential_id: str, reason: str) -> None:
    from issuer.mail import deliver_pending
    from issuer.workspace.recipients import revoke_credential

    service = initialised_service()
    revoke_credential(service, credential_id, reason, actor="cli")
    deliver_pending(service)  # the holder is told why (French then English)
    click.echo(_("Revoked."))


@click.command(help=_("Suspend a badge (reversible with `issuer unsuspend`)."))
@click.argument("credential_id")
@click.option("--reason", help=_("Why the badge is suspended."))
@handles_errors
def suspend(credential_id: str, reason: str | None) -> None:
    initialised_service().suspend(credential_id, reason)
    click.echo(_("Suspended."))


@click.command(help=_("Lift the suspension of a badge."))
@click.argument("credential_id")
@handles_errors
def unsuspend(credential_id: str) -> None:
    initialised_service().unsuspend(credential_id)
    click.echo(_("Suspension lifted."))


# -- publish ------------------------------------------------------------------------------------
@click.command(help=_("Write the public site a plain web server can host: every document at the "
                     "path the credentials and the DID document name (DID document, issuer "
                     "profile, achievements, status lists, contexts, badge images), the list "
                     "of paths and media types (publication.json) and the configuration of "
                     "each host (nginx, Apache .htaccess, Caddy, _headers)."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=_("Output folder (the root of the public site)."))
@click.option("--host", "hosts", type=click.Choice(["nginx", "apache", "caddy", "plain"]),
              multiple=True,
              help=_("Write only this host's configuration (repeatable; default: all)."))
@handles_errors
def publish(out: Path, hosts: tuple[str, ...]) -> None:
    from issuer.issuance.publishing import HOSTS
    from issuer.issuance.publishing import publish as publish_site

    written = publish_site(initialised_service(), out, hosts=hosts or HOSTS)
    click.echo(_("{count} files written in {out}").format(count=len(written), out=out))


@click.command("check-deployment",
              help=_("Fetch every public document from the public site (default: the public "
                     "base URL) and list what differs from the database: missing document, "
                     "DID document keys, stale status bits, media types, HTTP instead of "
                     "HTTPS. Exit code 0 when all agrees, 1 otherwise."))
@click.argument("url", required=False)
@click.option("--allow-loopback", is_flag=True,
              help=_("Local development only: also fetch from this machine (127.0.0.1, ::1, "
                     "localhost, plain http allowed there). Private network addresses stay "
                     "refused."))
@handles_errors
def check_deployment(url: str | None, allow_loopback: bool) -> None:
    from issuer.issuance.deployment_check import check_deployment as check
    from issuer.openbadges.fetch import FetchedDocument, Fetcher

    service = initialised_service()

    def fetch(address: str, accept: str, largest: int) -> FetchedDocument:
        # The bounded fetcher, bounded by what we expect there rather than by
        # ISSUER_FETCH_MAX_BYTES (meant for strangers' documents): an evidence file of a few
        # megabytes is ours to check. One ISSUER_FETCH_TIMEOUT deadline per document.
        fetcher = Fetcher(max_bytes=largest, timeout=service.settings.fetch_timeout,
                          allow_loopback=allow_loopback)
        return fetcher.get_document(address, accept=accept)

    report = check(service, fetch, url)
    for drift in report.drifts:
        click.echo(f"✗ {drift.url}\n    {drift.message(cli_context.LOCALE)} [{drift.code}]", err=True)
    if report.ok:
        click.echo(_("{count} documents checked at {url}: the host agrees with the "
                     "database.").format(count=len(report.checked), url=report.base_url))
        return
    click.echo(_("{drifts} difference(s) found over {count} documents checked at {url}.").format(
        drifts=len(report.drifts), count=len(report.checked), url=report.base_url), err=True)
    sys.exit(1)
