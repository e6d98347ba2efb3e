"""Settings, from environment variables and an optional TOML settings file.

Precedence: environment, then the settings file (`ISSUER_SETTINGS_FILE`, or `issuer.toml` in
`ISSUER_HOME`), then defaults. `ISSUER_HOME` (default: the current folder) holds `keys/` and
`var/` (the SQLite database, published files); set it to move keys and database elsewhere.
Every setting is listed in README.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from issuer.errors import InvalidInput
from issuer.openbadges.credential import IssuerProfile

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_BASE_URL = re.compile(r"https?://[^/\s?#]+(/[^\s?#]*)?")
_BASE_URL_RULE_FR = "doit être une adresse en https:// ou http://, sans espace, ? ni #"
_BASE_URL_RULE_EN = "must be an https:// or http:// address, without spaces, ? or #"


def listening_base_url(host: str, port: int) -> str:
    """The base URL of a service listening on `host`:`port` when the coordinator set none
    (`issuer serve --host --port`, `make serve HOST= PORT=`): QR codes, share links and e-mails
    then point where the service answers. A wildcard address (0.0.0.0, ::) listens on every
    interface but is no address to link to: links name this machine's loopback, and
    ISSUER_BASE_URL gives the address other devices reach."""
    host = "127.0.0.1" if is_wildcard_host(host) else host.strip().strip("[]")
    if ":" in host:  # an IPv6 address is written in brackets in a URL (RFC 3986 §3.2.2)
        host = f"[{host}]"
    return f"http://{host}:{port}"


# Addresses meaning "every interface": compared with, never bound to.
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "*", ""})  # noqa: S104


def hand_down_base_url(base_url: str) -> None:
    """`issuer serve --workers N`: each worker loads the settings again, in a process of its
    own. The base URL the parent derived from --host/--port (`Settings.listening_on`) is
    handed down through the environment, so every worker writes the same links."""
    os.environ["ISSUER_BASE_URL"] = base_url


def is_wildcard_host(host: str) -> bool:
    return host.strip().strip("[]") in _WILDCARD_HOSTS


def _settings_file_values() -> dict[str, Any]:
    explicit = os.environ.get("ISSUER_SETTINGS_FILE")
    path = Path(explicit) if explicit else Path(os.environ.get("ISSUER_HOME", ".")) / "issuer.toml"
    if not path.exists():
        if explicit:
            raise InvalidInput(f"Fichier de réglages introuvable : {path}",
                               f"Settings file not found: {path}", code="settings.missing_file")
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"Fichier de réglages illisible ({path}) : {error}",
                           f"Unreadable settings file ({path}): {error}",
                           code="settings.bad_file") from error


def environment_values(field_name: str) -> list[str]:
    """The values the environment gives one setting, its variables in order of precedence,
    empty ones left out; read without building (and so without checking) the whole Settings.
    For what is needed before the settings can be checked or where no Settings is at hand:
    the command line's language (so that a bad setting is refused in the person's language),
    the catalogue and templates folders, the database of the migration tool."""
    alias = Settings.model_fields[field_name].validation_alias
    names = [str(choice) for choice in alias.choices] if isinstance(alias, AliasChoices) \
        else [f"ISSUER_{field_name.upper()}"]
    return [value for name in names if (value := os.environ.get(name, "").strip())]


def templates_dir() -> Path:
    """The Jinja2 pages and e-mails (`ISSUER_TEMPLATES_DIR`, else the checkout's templates/)."""
    configured = environment_values("templates_dir")
    return Path(configured[0]) if configured else DEFAULT_TEMPLATES_DIR


def _describe(error: ValidationError) -> tuple[str, str]:
    """(French, English): each invalid value with its variable name and the rule it breaks."""
    french, english = [], []
    for problem in error.errors():
        variable = f"ISSUER_{str(problem['loc'][0]).upper()}" if problem["loc"] else "?"
        rule_en = str(problem.get("ctx", {}).get("error", problem["msg"]))
        rule_fr = _BASE_URL_RULE_FR if rule_en == _BASE_URL_RULE_EN else rule_en
        french.append(f"{variable} = {problem.get('input')!r} : {rule_fr}")
        english.append(f"{variable} = {problem.get('input')!r}: {rule_en}")
    return "Réglage invalide : " + " ; ".join(french), "Invalid setting: " + "; ".join(english)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISSUER_", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path("."), description="Folder holding keys/ and var/.")
    base_url: str = Field(default=DEFAULT_BASE_URL,
                          description="Public URL of the service; the did:web identifier derives from it.")
    did_method: Literal["web", "key"] = Field(
        default="web", description="`web` (did:web from the base URL) or `key` (did:key, no domain needed).")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ISSUER_DATABASE_URL"),
        description="SQLAlchemy URL; default SQLite in var/issuer.sqlite3.")
    key_passphrase: str | None = Field(default=None, description="Encrypts the key files at rest.")
    identity_secret: str | None = Field(
        default=None, description="Secret to find a recipient by e-mail; default generated in keys/.")
    trusted_issuers: str = Field(
        default="", description="Other known issuers: `did:...=Label` entries separated by `;`.")
    profile_name: str = "Ville de Roubaix"
    profile_url: str = "https://www.ville-roubaix.fr"
    profile_email: str = "participation-citoyenne@ville-roubaix.fr"
    profile_description: str = (
        "Direction Politique de la ville, Démocratie participative et GUSP — Service Participation "
        "citoyenne, mission Inclusion numérique et citoyenne.")
    profile_street_address: str = "17 Grand'Place, CS 70737"
    profile_postal_code: str = "59066"
    profile_locality: str = "Roubaix Cedex 1"
    profile_phone: str | None = None
    profile_image_url: str | None = Field(
        default=None, description="The issuer Profile's image; default the logo's PNG at /logo.png.")
    logo_file: Path | None = Field(
        default=None, description="The City's logo: a PNG, or an SVG with the PNG of the same name "
                                  "beside it; default the demo's neutral mark.")
    log_client_address: bool = Field(
        default=False, description="Write the client's IP address in the access log (personal data).")
    linkedin_organization_id: str | None = Field(
        default=None, pattern=r"^[0-9]{1,20}$",
        description="The City's LinkedIn page number, for “Add to my LinkedIn profile”.")
    fetch_timeout: float = Field(default=5.0, description="Seconds allowed to fetch a remote document.")
    fetch_max_bytes: int = Field(default=1_000_000, description="Largest remote document read.")
    retention_days: int = Field(
        default=365 * 3, gt=0,
        description="Days the personal data of a revoked badge is kept before `issuer purge` erases it.")
    # E-mail delivery (issuer.mail). Without smtp_host, e-mails are written to var/outbox/.
    smtp_host: str | None = Field(default=None, description="SMTP server; none: e-mails go to var/outbox/.")
    smtp_port: int | None = Field(
        default=None, description="SMTP port; default 465 with SSL, 587 with STARTTLS, else 25.")
    smtp_username: str | None = Field(
        default=None, description="SMTP login (sent only over TLS or to this machine).")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    smtp_ssl: bool = Field(
        default=False, description="Implicit TLS from the start (port 465); wins over STARTTLS.")
    mail_from: str | None = Field(
        default=None, description="From address; default the profile name and e-mail.")
    mail_claim_lease_seconds: int = Field(
        default=600, ge=1,
        description="Seconds a claimed e-mail is left to its sender before another run retries it.")
    # Read by the environment alone (`environment_values`), before or without the whole Settings.
    catalogue_dir: Path | None = Field(default=None, description="The badge catalogue folder.")
    templates_dir: Path | None = Field(default=None, description="The Jinja2 pages and e-mails.")
    lang: str | None = Field(
        default=None, validation_alias=AliasChoices("ISSUER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"),
        description="Language of the command line; then the POSIX locale variables.")
    backup_passphrase: str | None = Field(
        default=None, description="Passphrase of `issuer backup` / `issuer restore` (else asked).")
    postgres_bin_dir: Path | None = Field(
        default=None, description="Folder of pg_dump and pg_restore (default: newest installed).")
    admin_password: str | None = Field(
        default=None, description="Password for `issuer admin create` (else asked twice).")
    ed25519_private_key: str | None = Field(default=None, description="PEM Ed25519 key.")
    rsa_private_key: str | None = Field(default=None, description="PEM RSA key.")

    @field_validator("base_url")
    @classmethod
    def _strip_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not _BASE_URL.fullmatch(value):
            raise ValueError(_BASE_URL_RULE_EN)
        return value

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        values = dict(_settings_file_values())
        values.update({k: v for k, v in overrides.items() if v is not None})
        # Environment wins over the file: pydantic-settings gives init kwargs priority, so only
        # pass file values the environment does not set.
        for key in list(values):
            if key not in overrides and (f"ISSUER_{key.upper()}" in os.environ
                                         or (key == "database_url" and "DATABASE_URL" in os.environ)):
                del values[key]
        try:
            return cls(**values)
        except ValidationError as error:
            # A person typed these values: name the variable and the rule, never a traceback.
            message_fr, message_en = _describe(error)
            raise InvalidInput(message_fr, message_en, code="settings.invalid") from error

    @property
    def base_url_is_set(self) -> bool:
        """True when the coordinator chose the base URL (environment, issuer.toml, --base-url)."""
        return "base_url" in self.model_fields_set

    def listening_on(self, host: str, port: int) -> Settings:
        """These settings for a service listening on `host`:`port`: the base URL follows the
        address unless the coordinator set one (`listening_base_url`)."""
        if self.base_url_is_set:
            return self
        return self.model_copy(update={"base_url": listening_base_url(host, port)})

    # -- derived -------------------------------------------------------------------------------
    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def var_dir(self) -> Path:
        return self.home / "var"

    @property
    def logo_path(self) -> Path | None:
        """ISSUER_LOGO_FILE; a relative path is read from ISSUER_HOME, like keys/ and var/."""
        if self.logo_file is None:
            return None
        path = self.logo_file.expanduser()
        return path if path.is_absolute() else self.home / path

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'issuer.sqlite3').resolve()}"

    @property
    def passphrase_bytes(self) -> bytes | None:
        return self.key_passphrase.encode("utf-8") if self.key_passphrase else None

    @property
    def private_key_environment(self) -> dict[str, str]:
        """The PEM keys given as settings, under the names the key store knows them by."""
        given = {"ISSUER_ED25519_PRIVATE_KEY": self.ed25519_private_key,
                 "ISSUER_RSA_PRIVATE_KEY": self.rsa_private_key}
        return {name: pem for name, pem in given.items() if pem}

    @cached_property
    def trusted_issuer_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for entry in self.trusted_issuers.split(";"):
            if not entry.strip():
                continue
            did, _, label = entry.partition("=")
            labels[did.strip()] = label.strip() or did.strip()
        return labels

    def issuer_profile(self, issuer_id: str) -> IssuerProfile:
        return IssuerProfile(
            id=issuer_id, name=self.profile_name, url=self.profile_url, email=self.profile_email,
            description=self.profile_description, street_address=self.profile_street_address,
            postal_code=self.profile_postal_code, locality=self.profile_locality,
            phone=self.profile_phone, image_url=self.profile_image_url)
