"""What every command of `issuer` uses: messages in the user's language (Click's own words
included), domain errors as a message and an exit code, the issuer service from the settings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
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


def fail(error: IssuerError, *, exit_code: int = 1) -> None:
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
            fail(error)
    return wrapper  # type: ignore[return-value]


def load_service(base_url: str | None = None, did_method: str | None = None,
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


def initialised_service() -> Any:
    """The service, once `issuer init` has created the keys (and the database with them)."""
    from issuer.issuance.keys import KeyStoreError

    service = load_service()
    if not service.keystore.has_keys():
        raise KeyStoreError("Aucune clé d'émetteur : lancez d'abord « issuer init ».",
                            "No issuer keys yet: run `issuer init` first.", code="keys.missing")
    return service


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
