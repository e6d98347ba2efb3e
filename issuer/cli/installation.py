"""`issuer init`: keys, database and catalogue of a new installation, its settings saved."""

from __future__ import annotations

import json
from pathlib import Path

import click

from issuer.cli.context import _, handles_errors, load_service


# -- init ---------------------------------------------------------------------------------------
@click.command(help=_("Create the issuer keys, the database and the demo catalogue (safe to run "
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
    service = load_service(base_url, did_method, listening)
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
