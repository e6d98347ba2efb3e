"""What wallet delivery refuses, in French first and English second. `status` is the HTTP
status a wallet (JSON) or a person (page) gets."""

from __future__ import annotations

from issuer.errors import IssuerError


class WalletError(IssuerError):
    code = "wallet.error"
    status = 400

    def __init__(self, message_fr: str, message_en: str, *, code: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message_fr, message_en, code=code)
        if status is not None:
            self.status = status

    def as_json(self) -> dict[str, object]:
        """The structured refusal a wallet reads (the API's error shape)."""
        return {"error": {"code": self.code, "message_fr": self.message_fr,
                          "message_en": self.message_en}}


def exchange_unknown() -> WalletError:
    return WalletError(
        "Cet échange n'existe pas. Recommencez depuis la page « Ajouter à mon portefeuille ».",
        "This exchange does not exist. Start again from the \"Add to my wallet\" page.",
        code="wallet.exchange_unknown", status=404)


def exchange_expired() -> WalletError:
    return WalletError(
        "Cet échange a expiré (il ne dure que quelques minutes). Recommencez depuis la page "
        "« Ajouter à mon portefeuille ».",
        "This exchange has expired (it only lasts a few minutes). Start again from the "
        "\"Add to my wallet\" page.",
        code="wallet.exchange_expired", status=410)


def exchange_used() -> WalletError:
    return WalletError(
        "Cet échange a déjà servi : le badge a été remis à un portefeuille. Pour l'ajouter à "
        "un autre, recommencez depuis la page « Ajouter à mon portefeuille ».",
        "This exchange was already used: the badge was given to a wallet. To add it to "
        "another one, start again from the \"Add to my wallet\" page.",
        code="wallet.exchange_used", status=410)


def badge_unavailable() -> WalletError:
    return WalletError(
        "Ce badge ne peut pas être remis à un portefeuille : il a été retiré ou suspendu, ou "
        "les données de la personne ont été effacées.",
        "This badge cannot be given to a wallet: it was revoked or suspended, or the person's "
        "data was erased.",
        code="wallet.badge_unavailable", status=409)


def request_invalid() -> WalletError:
    return WalletError(
        "Requête illisible : envoyez un objet JSON (vide pour commencer, puis "
        "« verifiablePresentation »).",
        "Unreadable request: send a JSON object (empty to start, then "
        "\"verifiablePresentation\").",
        code="wallet.request_invalid", status=400)


def presentation_refused(code: str, message_fr: str, message_en: str) -> WalletError:
    """The wallet's DIDAuth presentation did not prove control of a DID for this exchange."""
    return WalletError(
        f"Présentation refusée : {message_fr}", f"Presentation refused: {message_en}",
        code=f"wallet.{code}" if not code.startswith("wallet.") else code, status=400)


def holder_link_invalid(days: int = 5) -> WalletError:
    return WalletError(
        f"Ce lien ne fonctionne plus (déjà utilisé, ou envoyé il y a plus de {days} jours). "
        "Demandez-en un nouveau depuis la page du badge (« C'est mon badge »).",
        f"This link no longer works (already used, or sent more than {days} days ago). Ask "
        "for a new one from the badge page (\"This is my badge\").",
        code="wallet.holder_link_invalid", status=404)


def not_holder() -> WalletError:
    return WalletError(
        "Seule la personne qui a reçu ce badge peut l'ajouter à son portefeuille. "
        "Connectez-vous à « Mon espace », ou utilisez le lien reçu par e-mail.",
        "Only the person who received this badge can add it to their wallet. Sign in to "
        "\"My space\", or use the link received by e-mail.",
        code="wallet.not_holder", status=403)


class TooManyLinkRequests(WalletError):
    """Too many "C'est mon badge" requests for one badge (`per_client` False) or from one
    client. `retry_after` is in seconds."""

    def __init__(self, retry_after: int, *, per_client: bool) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            f"Trop de demandes {'depuis cette connexion' if per_client else 'pour ce badge'}. "
            f"Regardez dans votre messagerie (et les indésirables), ou réessayez dans "
            f"{minutes} min.",
            f"Too many requests {'from this connection' if per_client else 'for this badge'}. "
            f"Look in your mailbox (and the spam folder), or try again in {minutes} min.",
            code="wallet.too_many_requests", status=429)
        self.retry_after = retry_after
        self.per_client = per_client
