"""The `issuer` command: the contract scripts and other tools rely on.

Exit codes: 0 success; 1 a refusal a person can act on (message on stderr, French first unless
ISSUER_LANG/LANG says English); 2 unusable input or usage. `issuer verify`: 0 valid, 1 not valid
(invalid, or status that could not be checked), 2 unreadable input (an
address refused included: loopback only with `--allow-loopback`, private addresses never).
Help texts follow the same language choice.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from issuer.errors import IssuerError
from issuer.i18n import environment_locale, gettext

F = TypeVar("F", bound=Callable[..., Any])
LOCALE = environment_locale()


def _(message: str) -> str:
    return gettext(message, LOCALE)


def _translate_click() -> None:
    """Click's own words (Usage, Options, Missing option...) go through the same catalogue.

    Click calls the stdlib `gettext` bound at import in each of its modules, which only reads
    .mo files installed system-wide; rebinding that name is the documented-by-source way in.
    """
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
                   click.types):
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
    def ngettext(msgid1: str, msgid2: str, n: int) -> str:
        return _(msgid1 if n == 1 else msgid2)

    click.exceptions.ngettext = ngettext  # type: ignore[attr-defined]  # imported, not exported


_translate_click()


# Click's messages, listed so the extractor puts them in the catalogue.
_CLICK_MESSAGES = [
    _("Usage:"), _("Options"), _("Commands"), _("Show this message and exit."),
    _("Show the version and exit."), _("Error: {message}"), _("Try '{command} {option}' for help."),
    _("Missing option"), _("Missing argument"), _("Missing parameter"), _("Missing command."),
    _("No such command {name!r}."), _("No such option {name!r}."),
    _("Invalid value for {param_hint}: {message}"), _("Invalid value: {message}"), _("Aborted!"),
    _("{value!r} is not a valid {number_type}."), _("{name} {filename!r} does not exist."),
    _("{name} {filename!r} is a directory."), _("{name} {filename!r} is a file."),
    _("file"), _("path"), _("directory"), _("Missing {param_type}"),
    _("Option {name!r} does not take a value."), _("Argument {name!r} takes {nargs} values."),
    _("%(prog)s, version %(version)s"), _("Choose from:\n\t{choices}"),
    _("Got unexpected extra argument ({args})"), _("Got unexpected extra arguments ({args})"),
    _("Option {name!r} requires an argument."), _("required"), _("default: {default}"),
]


def _fail(error: IssuerError, *, exit_code: int = 1) -> None:
    label = _("Error")
    click.echo(f"{label} [{error.code}]: {error.message(LOCALE)}", err=True)
    sys.exit(exit_code)


def handles_errors(function: F) -> F:
    """Turn domain errors into a clear message and exit code 1 (never a traceback)."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except IssuerError as error:
            _fail(error)
    return wrapper  # type: ignore[return-value]


def _service(base_url: str | None = None, did_method: str | None = None,
             listening: tuple[str, int] | None = None) -> Any:
    """The issuer service; with `listening` (host, port), its base URL follows that address
    unless the coordinator set one (`Settings.listening_on`)."""
    # Imported here: they load the database layer, which `issuer --help` does not need.
    # Importing skill_badges registers the skill badges in every catalogue.
    from issuer.issuance.service import IssuerService
    from issuer.network import skill_badges  # noqa: F401
    from issuer.settings import Settings

    settings = Settings.load(base_url=base_url, did_method=did_method)
    if listening is not None:
        settings = settings.listening_on(*listening)
    return IssuerService(settings)


def _initialised_service() -> Any:
    """The service, once `issuer init` has created the keys (and the database with them)."""
    from issuer.issuance.keys import KeyStoreError

    service = _service()
    if not service.keystore.has_keys():
        raise KeyStoreError("Aucune clé d'émetteur : lancez d'abord « issuer init ».",
                            "No issuer keys yet: run `issuer init` first.", code="keys.missing")
    return service


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS,
             help=_("Open Badges 3.0 issuer of the City of Roubaix: create keys, issue, verify, "
                    "revoke and publish signed badges. Settings come from ISSUER_* environment "
                    "variables and an optional issuer.toml (see README)."))
@click.version_option(package_name="roubaix-badges-issuer")
def main() -> None:
    pass


# -- init ---------------------------------------------------------------------------------------
@main.command(help=_("Create the issuer keys, the database and the demo catalogue (safe to run "
                     "again: existing keys and data are kept)."))
@click.option("--base-url", help=_("Public URL of the service, e.g. https://badges.example.org "
                                   "(saved in issuer.toml)."))
@click.option("--did-method", type=click.Choice(["web", "key"]),
              help=_("Issuer identifier: did:web from the base URL (default) or did:key."))
@click.option("--demo", is_flag=True,
              help=_("Also issue demo badges to fictional people, to look at: one of each "
                     "family, and two mediators of the network with skill badges, listed in "
                     "the directory, one endorsing the other."))
@click.option("--host", help=_("Address `issuer serve` will listen on: without a set base URL, "
                                "the demo badges' links name it (default 127.0.0.1)."))
@click.option("--port", type=int, help=_("Port `issuer serve` will listen on (default 8000)."))
@handles_errors
def init(base_url: str | None, did_method: str | None, demo: bool, host: str | None,
         port: int | None) -> None:
    from issuer.settings import Settings

    if base_url or did_method:
        _save_settings(Settings.load(base_url=base_url).home, base_url=base_url,
                       did_method=did_method)
    listening = (host or "127.0.0.1", port or 8000) if host or port else None
    service = _service(base_url, did_method, listening)
    created = service.init()
    for key in created:
        click.echo(_("Key created: {kid} ({algorithm})").format(kid=key.kid, algorithm=key.algorithm))
    click.echo(_("Issuer: {did}").format(did=service.issuer_did))
    click.echo(_("Database: {url}").format(url=service.database.url))
    click.echo(_("Catalogue: {count} badges").format(count=len(service.catalogue.badges)))
    if demo:
        from issuer.demo import issue_demo_badges, seed_demo_network

        for issued in issue_demo_badges(service):
            click.echo(_("Demo badge: {url}").format(url=issued.url))
        for url in seed_demo_network(service):
            click.echo(_("Demo skill badge (directory, endorsement): {url}").format(url=url))


def _save_settings(home: Path, **values: str | None) -> None:
    home.mkdir(parents=True, exist_ok=True)  # the first `init` may name a new ISSUER_HOME
    path = home / "issuer.toml"
    existing = path.read_text("utf-8").splitlines() if path.exists() else []
    kept = [line for line in existing
            if line.split("=", 1)[0].strip() not in {k for k, v in values.items() if v}]
    for key, value in values.items():
        if value:
            kept.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(kept) + "\n", "utf-8")


# -- badges -------------------------------------------------------------------------------------
@main.command(help=_("List the badges of the catalogue: slug, name, family, roles."))
@click.option("--json", "as_json", is_flag=True, help=_("Machine-readable output."))
@handles_errors
def badges(as_json: bool) -> None:
    from issuer.issuance.catalogue import load_catalogue

    catalogue = load_catalogue()
    lang = LOCALE
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


@main.command(help=_("Issue one badge; write <uuid>.json (embedded proof), <uuid>.jwt and "
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
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=_("Output folder."))
@handles_errors
def issue(badge_slug: str, email: str, name: str, event_number: int | None, role: str | None,
          sector: str | None, mandate_start: Any, show_name: bool, out: Path) -> None:
    from issuer.issuance.service import IssueRequest

    service = _initialised_service()
    issued = service.issue(IssueRequest(
        badge_slug=badge_slug, email=email, name=name, event_number=event_number, role=role,
        sector=sector, show_name=show_name,
        mandate_start=mandate_start.date() if mandate_start else None))
    _write_outputs(service, issued, out)
    if not issued.created:
        click.echo(_("Already issued: nothing new was signed."), err=True)
    click.echo(issued.url)


@main.command("issue-batch",
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
@handles_errors
def issue_batch(csv_file: Path, badge_slug: str, event_number: int | None, out: Path,
                show_names: bool, mandate_start: Any) -> None:
    from tqdm import tqdm

    from issuer.issuance.outputs import issue_to_folder
    from issuer.issuance.service import IssueRequest
    from issuer.workspace.attendance import decode_csv_bytes, read_attendance

    service = _initialised_service()
    badge = service.catalogue.badge(badge_slug)
    attendance = read_attendance(decode_csv_bytes(csv_file.read_bytes()), badge)
    if not attendance.ok:
        click.echo(_("The list has errors; nothing was issued:"), err=True)
        for problem in attendance.problems:
            message = problem.message_en if LOCALE == "en" else problem.message_fr
            click.echo("  " + _("line {line}: {message}").format(line=problem.line, message=message),
                       err=True)
        sys.exit(1)
    requests = [IssueRequest(badge_slug=badge_slug, email=row.email, name=row.name,
                             event_number=event_number, role=row.role, sector=row.sector,
                             show_name=show_names if row.show_name is None else row.show_name,
                             mandate_start=mandate_start.date() if mandate_start else None)
                for row in attendance.rows]
    for request in requests:  # refuse the whole list before signing anything
        service.resolve_request(request)
    with tqdm(total=len(requests), unit=_("badge"), file=sys.stderr,
              disable=not sys.stderr.isatty()) as bar:
        issued = issue_to_folder(service, requests, out, on_written=lambda _item: bar.update(1))
    created = sum(item.created for item in issued)
    click.echo(_("{created} issued, {skipped} already issued, files in {out}").format(
        created=created, skipped=len(requests) - created, out=out))


# -- verify -------------------------------------------------------------------------------------
@main.command(help=_("Verify a badge: a credential JSON file, a JWT, a baked PNG or SVG, or a URL. "
                     "Exit code 0 valid, 1 not valid, 2 unreadable input (an address refused "
                     "included)."))
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help=_("Print the full report as JSON."))
@click.option("--allow-loopback", is_flag=True,
              help=_("Local development only: also fetch from this machine (127.0.0.1, ::1, "
                     "localhost, plain http allowed there): the badge's address, DID documents, "
                     "status lists. Private network addresses stay refused."))
def verify(source: str, as_json: bool, allow_loopback: bool) -> None:
    from issuer.issuance.service import verification_context_for
    from issuer.openbadges.fetch import FetchError
    from issuer.openbadges.verification import verify as verify_credential

    try:
        service = _service()
        data = _read_source(source, service, allow_loopback)
        context = verification_context_for(service, allow_loopback=allow_loopback)
        report = verify_credential(data, context)
    except IssuerError as error:
        if isinstance(error, FetchError) and error.code == "fetch.forbidden_target" \
                and not allow_loopback:
            click.echo(_("Addresses on this machine or a private network are never fetched; "
                         "for a development server on this machine, run again with "
                         "--allow-loopback."), err=True)
        _fail(error, exit_code=2)
        return
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.summary(LOCALE))
        _echo_claims(report)
        for check in report.checks:
            message = check.message_en if LOCALE == "en" else check.message_fr
            click.echo(f"  [{check.outcome:>8}] {check.name}: {message}")
    if report.unreadable:
        sys.exit(2)
    sys.exit(0 if report.verdict == "valid" else 1)


def _echo_claims(report: Any) -> None:
    """What the badge says, briefly; headed as unverified unless its content is authentic."""
    from issuer.openbadges.verification.claims import claims_of
    from issuer.openbadges.verification.wording import english_day, french_day

    claims = claims_of(report)
    day = english_day if LOCALE == "en" else french_day
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
    from issuer.issuance.service import badge_fetcher

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


# -- status -------------------------------------------------------------------------------------
@main.command(help=_("Revoke a badge for good (it then shows as revoked everywhere)."))
@click.argument("credential_id")
@click.option("--reason", required=True, help=_("Why the badge is revoked (kept in the audit trail)."))
@handles_errors
def revoke(credential_id: str, reason: str) -> None:
    _initialised_service().revoke(credential_id, reason)
    click.echo(_("Revoked."))


@main.command(help=_("Suspend a badge (reversible with `issuer unsuspend`)."))
@click.argument("credential_id")
@click.option("--reason", help=_("Why the badge is suspended."))
@handles_errors
def suspend(credential_id: str, reason: str | None) -> None:
    _initialised_service().suspend(credential_id, reason)
    click.echo(_("Suspended."))


@main.command(help=_("Lift the suspension of a badge."))
@click.argument("credential_id")
@handles_errors
def unsuspend(credential_id: str) -> None:
    _initialised_service().unsuspend(credential_id)
    click.echo(_("Suspension lifted."))


# -- publish ------------------------------------------------------------------------------------
@main.command(help=_("Write the static files a web server can host: did.json, the issuer profile, "
                     "each achievement, each status list credential, badge images."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=_("Output folder (the root of the public site)."))
@handles_errors
def publish(out: Path) -> None:
    written = _initialised_service().publish(out)
    click.echo(_("{count} files written in {out}").format(count=len(written), out=out))


# -- serve --------------------------------------------------------------------------------------
@main.command(help=_("Run the web service (published documents, badge pages, verification)."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=8000, show_default=True, type=int, help=_("Port to listen on."))
@click.option("--proxy-headers/--no-proxy-headers", default=False,
              help=_("Trust X-Forwarded-Proto/For from a reverse proxy on this machine."))
@handles_errors
def serve(host: str, port: int, proxy_headers: bool) -> None:
    import uvicorn

    from issuer.settings import is_wildcard_host
    from issuer.web import create_app

    service = service_to_serve(host, port)
    app = create_app(service.settings, service)
    click.echo(_("Listening on http://{host}:{port}").format(host=host, port=port))
    click.echo(_("Links and QR codes point to {url}").format(url=service.settings.base_url))
    if is_wildcard_host(host) and not service.settings.base_url_is_set:
        click.echo(_("To reach it from another device, set ISSUER_BASE_URL to this machine's "
                     "address (e.g. http://192.168.1.10:{port}).").format(port=port))
    uvicorn.Server(server_config(app, host=host, port=port, proxy_headers=proxy_headers)).run()


def service_to_serve(host: str = "127.0.0.1", port: int = 8000) -> Any:
    """The service `issuer serve` runs, its database at the latest migration: SQLite is
    migrated here, PostgreSQL must have been (`issuer db upgrade`), or `DatabaseNotReady` says
    which command to run (`Database.prepare_for_serving`). First start: keys are created.
    Without a set base URL, links name `host`:`port`, where the service answers."""
    service = _service(listening=(host, port))
    applied = service.database.prepare_for_serving()
    if applied:
        click.echo(_("Database migrated: {revisions}").format(revisions=", ".join(applied)))
    if not service.keystore.has_keys():
        service.init()
    return service


def server_config(app: Any, *, host: str = "127.0.0.1", port: int = 8000,
                  proxy_headers: bool = False, log_level: str = "info") -> Any:
    """The uvicorn configuration `issuer serve` runs (the tests serve the app with it too).
    With `proxy_headers`, X-Forwarded-For/Proto are believed from the reverse proxy on this
    machine only: the client address the app sees (audit trail, sign-in throttle, rate
    limits) is then the visitor's, and nobody else can choose it by sending the header.
    The access log names routes, not one-time tokens (`issuer.web.access_log`)."""
    import uvicorn

    from issuer.web.access_log import log_config

    return uvicorn.Config(app, host=host, port=port, proxy_headers=proxy_headers,
                          forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
                          log_level=log_level, log_config=log_config())


# -- db -----------------------------------------------------------------------------------------
@main.group(help=_("The database: its schema migrations."))
def db() -> None:
    pass


@db.command("upgrade", help=_("Apply the pending migrations of the database schema (back up the "
                              "database first, see docs/DEPLOYMENT.md). Safe to run again."))
@handles_errors
def db_upgrade() -> None:
    service = _service()
    service.settings.var_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file's home
    applied = service.database.upgrade()
    if applied:
        click.echo(_("Database migrated: {revisions}").format(revisions=", ".join(applied)))
    else:
        click.echo(_("The database is up to date (revision {revision}).").format(
            revision=", ".join(service.database.schema_state().current)))


# -- keys ---------------------------------------------------------------------------------------
@main.group(help=_("Issuer keys."))
def keys() -> None:
    pass


@keys.command("list", help=_("List the keys: id, algorithm, created, retired."))
@handles_errors
def keys_list() -> None:
    service = _service()
    for key in service.keystore.keys():
        state = key.retired.date().isoformat() if key.retired else _("active")
        click.echo(f"{key.kid:<36} {key.algorithm:<8} {key.created.date()} {state}")


@keys.command("rotate", help=_("Create new keys and retire the current ones; old public keys stay "
                               "published so earlier badges still verify."))
@handles_errors
def keys_rotate() -> None:
    service = _initialised_service()
    for key in service.rotate_keys():
        click.echo(_("Key created: {kid} ({algorithm})").format(kid=key.kid, algorithm=key.algorithm))


# -- admin (workspace accounts) -----------------------------------------------------------------
@main.group(help=_("Accounts of the coordinator's workspace (/admin)."))
def admin() -> None:
    pass


@admin.command("create", help=_("Create an administrator account of the workspace. The password is "
                                "asked twice (hidden), or read from ISSUER_ADMIN_PASSWORD in scripts."))
@click.argument("email")
@click.option("--name", help=_("Name shown in the workspace (default: the start of the e-mail)."))
@handles_errors
def admin_create(email: str, name: str | None) -> None:
    from issuer.workspace.accounts import Accounts

    service = _service()
    password = service.settings.admin_password
    if not password:
        password = click.prompt(_("Password (at least 12 characters)"), hide_input=True,
                                confirmation_prompt=_("Repeat the password"))
    service.settings.var_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file's home
    service.database.migrate()
    user = Accounts(service.database).create_administrator(email, name or "", password)
    click.echo(_("Administrator created: {email}. Sign in at {url}/admin/connexion").format(
        email=user.email, url=service.settings.base_url))


# -- mail ---------------------------------------------------------------------------------------
@main.group(help=_("E-mails to recipients and coordinators (SMTP settings: ISSUER_SMTP_*)."))
def mail() -> None:
    pass


@mail.command("retry", help=_("Send the queued e-mails and retry the failed ones that are due "
                              "(run it from cron every few minutes). Exit code 0 even when some "
                              "fail: failures are kept, shown in /admin/courriels and retried."))
@click.option("--limit", type=click.IntRange(min=1), help=_("Send at most this many e-mails."))
@handles_errors
def mail_retry(limit: int | None) -> None:
    from issuer.mail import retry_due

    report = retry_due(_initialised_service(), limit=limit, actor="cli")
    click.echo(_("{sent} sent, {outbox} written to the outbox, {failed} not delivered").format(
        sent=len(report.sent), outbox=len(report.outbox), failed=len(report.failed)))


# -- purge (personal data past the retention period) -------------------------------------------
@main.command(help=_("Erase the personal data of badges revoked more than ISSUER_RETENTION_DAYS "
                     "days ago (run it daily from cron). Status lists do not change."))
@handles_errors
def purge() -> None:
    from issuer.workspace.recipients import purge_expired_personal_data

    report = purge_expired_personal_data(_initialised_service())
    click.echo(_("Purge done (before {cutoff}): people erased: {people}; badges forgotten: "
                 "{badges}; rejected badge requests deleted: {claims}.").format(
        people=report.people_erased, badges=report.badges_forgotten,
        claims=report.claims_deleted, cutoff=report.cutoff.date().isoformat()))


if __name__ == "__main__":  # pragma: no cover
    main()
