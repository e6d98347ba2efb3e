"""Getting a composed message out: to the SMTP server named by the settings (stdlib smtplib),
or, when none is configured, into the outbox folder as an `.eml` file.

SMTP answers are sorted into what retrying can fix and what it cannot (RFC 5321 §4.2.1: 4yz is
a transient failure, 5yz a permanent one). A 5yz on the recipient or on the message itself is
a bounce at submission time (unknown mailbox, message refused): retrying would only repeat it.
A refused login or sender address, a missing STARTTLS, a closed connection or an unreachable
server are faults of the set-up or of the moment: the message is kept and retried, so fixing
the settings is enough for the queue to drain.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Self

from issuer.errors import IssuerError
from issuer.openbadges.fetch import is_loopback
from issuer.settings import Settings

SMTP_TIMEOUT_SECONDS = 30
OUTBOX_FOLDER = "outbox"


class DeliveryFailed(IssuerError):
    """The server did not take the message. `permanent`: retrying cannot help (a 5yz bounce
    for this recipient or this message); otherwise the message is retried later."""

    code = "mail.delivery_failed"

    def __init__(self, message_fr: str, message_en: str, *, permanent: bool,
                 smtp_code: int | None = None, code: str | None = None) -> None:
        super().__init__(message_fr, message_en, code=code)
        self.permanent = permanent
        self.smtp_code = smtp_code


def outbox_dir(settings: Settings) -> Path:
    return settings.var_dir / OUTBOX_FOLDER


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_host.strip())


def write_outbox(directory: Path, name: str, message: EmailMessage) -> Path:
    """Write `<name>.eml` (RFC 5322 bytes, readable by any mail program), atomically and
    readable by the service's user only: the file holds a person's name and address."""
    # 0700 as well: with PostgreSQL nothing else makes var/ private (issuer.storage.db).
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{name}.eml"
    partial = directory / f".{name}.eml.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings:
        assert settings.smtp_host
        implicit_tls = settings.smtp_ssl
        starttls = settings.smtp_starttls and not implicit_tls
        port = settings.smtp_port or (465 if implicit_tls else 587 if starttls else 25)
        return cls(settings.smtp_host.strip(), port, settings.smtp_username or None,
                   settings.smtp_password or None, starttls, implicit_tls)


class SmtpTransport:
    """One SMTP session reused for a batch of messages; reopened after a connection fault."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def send(self, message: EmailMessage, *, to: str) -> None:
        """Hand `message` to the server for the one recipient `to`, or raise `DeliveryFailed`.

        The envelope recipient is given, not taken from the To header (smtplib would parse
        it again): whatever a display name holds, the message goes to one address."""
        try:
            client = self._connected()
            client.send_message(message, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as error:
            # One recipient per message: refused means refused for everything.
            code, reply = next(iter(error.recipients.values()))
            self._reset()
            raise _failure(code, reply, permanent=500 <= code < 600,
                           what_fr="le serveur refuse le destinataire",
                           what_en="the server refuses the recipient") from error
        except smtplib.SMTPSenderRefused as error:
            self._reset()
            raise _failure(error.smtp_code, error.smtp_error, permanent=False,
                           what_fr="le serveur refuse l'expéditeur (ISSUER_MAIL_FROM)",
                           what_en="the server refuses the sender (ISSUER_MAIL_FROM)") from error
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise _failure(error.smtp_code, error.smtp_error, permanent=False,
                           what_fr="identifiants SMTP refusés (ISSUER_SMTP_USERNAME / PASSWORD)",
                           what_en="SMTP login refused (ISSUER_SMTP_USERNAME / PASSWORD)",
                           ) from error
        except smtplib.SMTPDataError as error:
            self._reset()
            raise _failure(error.smtp_code, error.smtp_error,
                           permanent=500 <= error.smtp_code < 600,
                           what_fr="le serveur refuse le message",
                           what_en="the server refuses the message") from error
        except smtplib.SMTPNotSupportedError as error:
            self.close()
            raise DeliveryFailed(
                f"Le serveur SMTP ne propose pas STARTTLS ou la connexion : {error}",
                f"The SMTP server does not offer STARTTLS or login: {error}",
                permanent=False, code="mail.smtp_unsupported") from error
        except smtplib.SMTPResponseException as error:
            self.close()
            raise _failure(error.smtp_code, error.smtp_error, permanent=False,
                           what_fr="réponse inattendue du serveur",
                           what_en="unexpected server reply") from error
        except (smtplib.SMTPException, OSError) as error:  # refused, timeout, TLS, closed
            self.close()
            host = f"{self.settings.host}:{self.settings.port}"
            raise DeliveryFailed(
                f"Serveur SMTP injoignable ({host}) : {error or type(error).__name__}",
                f"SMTP server unreachable ({host}): {error or type(error).__name__}",
                permanent=False, code="mail.smtp_unreachable") from error

    def _connected(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        settings = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if settings.implicit_tls:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS,
                                      context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if settings.starttls:
                client.starttls(context=context)
            if settings.username:
                if not (settings.implicit_tls or settings.starttls or is_loopback(settings.host)):
                    # A password must not cross the network in clear text.
                    raise DeliveryFailed(
                        "Connexion SMTP sans chiffrement : le mot de passe n'est pas envoyé. "
                        "Activez ISSUER_SMTP_STARTTLS ou ISSUER_SMTP_SSL.",
                        "Unencrypted SMTP connection: the password is not sent. Turn on "
                        "ISSUER_SMTP_STARTTLS or ISSUER_SMTP_SSL.",
                        permanent=False, code="mail.smtp_cleartext_login")
                client.login(settings.username, settings.password or "")
        except BaseException:
            client.close()
            raise
        self._client = client
        return client

    def _reset(self) -> None:
        """After a refused envelope the session stays usable once reset (RFC 5321 §4.1.1.5)."""
        if self._client is None:
            return
        try:
            self._client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()


def _failure(code: int, reply: bytes | str, *, permanent: bool, what_fr: str,
             what_en: str) -> DeliveryFailed:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryFailed(f"{what_fr} : {code} {text}", f"{what_en}: {code} {text}",
                          permanent=permanent, smtp_code=code,
                          code="mail.bounced" if permanent else "mail.smtp_refused")
