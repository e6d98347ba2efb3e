"""Domain errors of the mediators' area (French first, English second)."""

from __future__ import annotations

from issuer.errors import IssuerError


class MediatorError(IssuerError):
    code = "mediator.error"


class SignInLinkInvalid(MediatorError):
    code = "mediator.link_invalid"

    def __init__(self) -> None:
        super().__init__(
            "Ce lien de connexion ne fonctionne plus (déjà utilisé, ou envoyé il y a plus de "
            "20 minutes). Demandez-en un nouveau.",
            "This sign-in link no longer works (already used, or sent more than 20 minutes "
            "ago). Ask for a new one.")


class TooManyRequests(MediatorError):
    """Too many link requests for one address (`per_client` False) or from one client.
    `retry_after` is in seconds."""

    code = "mediator.too_many_requests"

    def __init__(self, retry_after: int, *, per_client: bool) -> None:
        minutes = max(1, -(-retry_after // 60))
        if per_client:
            super().__init__(
                f"Trop de demandes depuis cette connexion. Réessayez dans {minutes} min.",
                f"Too many requests from this connection. Try again in {minutes} min.",
                code="mediator.too_many_requests_client")
        else:
            # Said the same way whether or not the address is known: the count covers both.
            super().__init__(
                f"Plusieurs liens ont déjà été demandés pour cette adresse. Regardez dans votre "
                f"messagerie (et les indésirables), ou réessayez dans {minutes} min.",
                f"Several links were already requested for this address. Look in your mailbox "
                f"(and the spam folder), or try again in {minutes} min.")
        self.retry_after = retry_after
        self.per_client = per_client


class ProfileInvalid(MediatorError):
    """A directory profile field that cannot be accepted; `field` names the form field."""

    code = "mediator.profile_invalid"

    def __init__(self, message_fr: str, message_en: str, *, field: str) -> None:
        super().__init__(message_fr, message_en)
        self.field = field


class NoSkillBadge(MediatorError):
    code = "mediator.no_skill_badge"

    def __init__(self) -> None:
        super().__init__(
            "L'annuaire présente les compétences reconnues par un badge : il faut au moins un "
            "badge de compétence valide pour y figurer.",
            "The directory shows skills recognised by a badge: you need at least one valid "
            "skill badge to appear in it.")


