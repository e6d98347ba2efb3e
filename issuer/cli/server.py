"""`issuer serve` (the web service, its database migrated first) and `issuer db upgrade`."""

from __future__ import annotations

from typing import Any

import click

from issuer.cli.context import _, handles_errors, load_service
from issuer.errors import IssuerError

#: Seconds `issuer serve` gives the requests in flight after SIGTERM (a verification fetching
#: documents takes at most the fetch deadline; a PDF a few seconds). systemd's TimeoutStopSec
#: (90 s by default) must be longer (docs/DEPLOYMENT.md).
GRACEFUL_SHUTDOWN_SECONDS = 30


# -- serve --------------------------------------------------------------------------------------
@click.command(help=_("Run the web service (published documents, badge pages, verification)."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=8000, show_default=True, type=int, help=_("Port to listen on."))
@click.option("--proxy-headers/--no-proxy-headers", default=False,
              help=_("Trust X-Forwarded-Proto/For from a reverse proxy on this machine."))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help=_("Worker processes (PostgreSQL only; SQLite is served by one process)."))
@handles_errors
def serve(host: str, port: int, proxy_headers: bool, workers: int) -> None:
    import uvicorn

    from issuer.settings import hand_down_base_url, is_wildcard_host
    from issuer.web import create_app

    service = service_to_serve(host, port, workers=workers)
    click.echo(_("Listening on http://{host}:{port}").format(host=host, port=port))
    click.echo(_("Links and QR codes point to {url}").format(url=service.settings.base_url))
    if is_wildcard_host(host) and not service.settings.base_url_is_set:
        click.echo(_("To reach it from another device, set ISSUER_BASE_URL to this machine's "
                     "address (e.g. http://192.168.1.10:{port}).").format(port=port))
    if workers == 1:
        app = create_app(service.settings, service)
        uvicorn.Server(server_config(app, host=host, port=port,
                                     proxy_headers=proxy_headers)).run()
        return
    # Each worker builds its own app (`worker_app`) from the same settings: the base URL
    # derived from --host/--port above is handed down so links stay the same in every worker.
    service.database.dispose()  # no pooled connection crosses into the workers
    hand_down_base_url(service.settings.base_url)
    config = server_config(WORKER_APP, host=host, port=port, proxy_headers=proxy_headers,
                           workers=workers)
    _run_workers(config)


WORKER_APP = "issuer.cli.server:worker_app"
#: How long the supervisor waits for a worker to answer before killing and replacing it.
#: uvicorn's 5 s is shorter than a worker's start (the Open Badges core, the JSON-LD contexts,
#: the templates) on a busy two-core machine: workers were killed while still loading.
WORKER_HEALTHCHECK_SECONDS = 60


def worker_app() -> Any:
    """The app of one worker of `issuer serve --workers N` (a uvicorn factory): its own
    service, database pool and caches; what the workers share is in the database (see
    docs/DEPLOYMENT.md, "Several workers, several hosts")."""
    from issuer.web import create_app

    service = load_service()
    return create_app(service.settings, service)


def _run_workers(config: Any) -> None:
    """What `uvicorn.run` does with `workers`: the parent binds the socket and supervises
    the workers (restarting one that dies), each worker serves `worker_app`."""
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[config.bind_socket()]).run()


def service_to_serve(host: str = "127.0.0.1", port: int = 8000, *, workers: int = 1) -> Any:
    """The service `issuer serve` runs, its database at the latest migration: SQLite is
    migrated here, PostgreSQL must have been (`issuer db upgrade`), or `DatabaseNotReady` says
    which command to run (`Database.prepare_for_serving`). First start: keys are created.
    Without a set base URL, links name `host`:`port`, where the service answers.
    Several `workers` need PostgreSQL (`OneProcessDatabase` on SQLite)."""
    service = load_service(listening=(host, port))
    if workers > 1 and not service.database.shared_by_processes:
        raise OneProcessDatabase(workers)
    applied = service.database.prepare_for_serving()
    if applied:
        click.echo(_("Database migrated: {revisions}").format(revisions=", ".join(applied)))
    if not service.keystore.has_keys():
        service.init()
    return service


class OneProcessDatabase(IssuerError):
    """`issuer serve --workers N` on SQLite. The embedded database is for one process: its one
    writer at a time would make the workers queue behind each other's transactions, and the
    verification rate limit is kept in that one process's memory there
    (`issuer.issuance.rate_limits`)."""

    code = "serve.sqlite_one_process"

    def __init__(self, workers: int) -> None:
        super().__init__(
            f"Plusieurs processus (--workers {workers}) demandent PostgreSQL : la base SQLite "
            "intégrée est servie par un seul processus. Lancez « issuer serve » sans --workers, "
            "ou configurez DATABASE_URL=postgresql+psycopg://… (docs/DEPLOYMENT.md).",
            f"Several processes (--workers {workers}) need PostgreSQL: the embedded SQLite "
            "database is served by one process. Run `issuer serve` without --workers, or set "
            "DATABASE_URL=postgresql+psycopg://… (docs/DEPLOYMENT.md).")


def server_config(app: Any, *, host: str = "127.0.0.1", port: int = 8000,
                  proxy_headers: bool = False, log_level: str = "info",
                  workers: int | None = None) -> Any:
    """The uvicorn configuration `issuer serve` runs (the tests serve the app with it too).
    With `proxy_headers`, X-Forwarded-For/Proto are believed from the reverse proxy on this
    machine only: the client address the app sees (audit trail, sign-in throttle, rate
    limits) is then the visitor's, and nobody else can choose it by sending the header.
    The access log is one JSON line per request, written by the app (`issuer.web.access_log`):
    uvicorn's own access line is off. On SIGTERM uvicorn stops accepting connections and lets
    the requests in flight finish (`timeout_graceful_shutdown`, then it closes them). With
    `workers`, `app` is the import string of a factory (`WORKER_APP`)."""
    import uvicorn

    from issuer.web.access_log import log_config

    return uvicorn.Config(app, host=host, port=port, proxy_headers=proxy_headers,
                          forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
                          log_level=log_level, log_config=log_config(), access_log=False,
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, workers=workers,
                          factory=workers is not None,
                          timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS)


# -- db -----------------------------------------------------------------------------------------
@click.group(help=_("The database: its schema migrations."))
def db() -> None:
    pass


@db.command("upgrade", help=_("Apply the pending migrations of the database schema (back up the "
                              "database first, see docs/DEPLOYMENT.md). Safe to run again."))
@handles_errors
def db_upgrade() -> None:
    service = load_service()
    service.settings.var_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file's home
    applied = service.database.upgrade()
    if applied:
        click.echo(_("Database migrated: {revisions}").format(revisions=", ".join(applied)))
    else:
        click.echo(_("The database is up to date (revision {revision}).").format(
            revision=", ".join(service.database.schema_state().current)))
