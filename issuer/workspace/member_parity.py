"""Parity between women and men among the council's residents (deliberation DEL-2025-0121:
"dans le respect de la parité"), as pure rules: no database, no web.

What is recorded for it is the least parity needs: on each membership, optionally, "femme",
"homme" or "ne souhaite pas répondre" (`sans_reponse`); nothing else, and never in a badge
(the personal data page says why and for how long).

Parity is a goal of the designation, not a cap the register can enforce: members are drawn by
lot in public, the answer is optional, so the register cannot know the balance for certain.
An addition that would widen the gap beyond one person is therefore *warned about*, with the
numbers, and done only once the coordinator confirms it (form checkbox, CLI option); the seat
limits (20 residents, 4 per sector) stay hard refusals (`member_rules.check_council_rules`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from issuer.errors import InvalidInput, IssuerError
from issuer.i18n import ngettext

WOMAN = "femme"
MAN = "homme"
NO_ANSWER = "sans_reponse"
GENDERS = (WOMAN, MAN, NO_ANSWER)
#: With an odd number of residents, parity is one person apart at most.
MAX_GAP = 1

_SPELLINGS = {"femme": WOMAN, "f": WOMAN, "woman": WOMAN, "w": WOMAN,
              "homme": MAN, "h": MAN, "man": MAN, "m": MAN,
              "sans_reponse": NO_ANSWER, "sans-reponse": NO_ANSWER, "sans réponse": NO_ANSWER,
              "ne souhaite pas repondre": NO_ANSWER, "ne souhaite pas répondre": NO_ANSWER,
              "no-answer": NO_ANSWER, "prefers-not-to-say": NO_ANSWER}


@dataclass(frozen=True)
class ParityBalance:
    """Residents in office on one day, by the answer recorded (unanswered: no answer, "prefers
    not to say", or recorded before the question existed)."""

    women: int = 0
    men: int = 0
    unanswered: int = 0

    @property
    def total(self) -> int:
        return self.women + self.men + self.unanswered

    @property
    def gap(self) -> int:
        return abs(self.women - self.men)

    @property
    def balanced(self) -> bool:
        return self.gap <= MAX_GAP

    def with_added(self, gender: str | None) -> ParityBalance:
        return ParityBalance(women=self.women + (gender == WOMAN), men=self.men + (gender == MAN),
                             unanswered=self.unanswered + (gender not in (WOMAN, MAN)))


class ParityWarning(IssuerError):
    """An addition that would break parity: said with the numbers, done once confirmed."""

    code = "cln.parity"


def balance_of(genders: Iterable[str | None]) -> ParityBalance:
    balance = ParityBalance()
    for gender in genders:
        balance = balance.with_added(gender)
    return balance


def clean_gender(value: str | None) -> str | None:
    """The recorded answer: femme, homme, sans_reponse, or None when left blank (optional)."""
    if value is None or not value.strip():
        return None
    gender = _SPELLINGS.get(" ".join(value.strip().lower().split()))
    if gender is None:
        raise InvalidInput(
            f"Réponse inconnue pour la parité : « {value.strip()} » (femme, homme ou "
            "sans_reponse ; ou rien, la question est facultative).",
            f"Unknown answer for parity: '{value.strip()}' (femme, homme or sans_reponse; or "
            "nothing, the question is optional).", code="cln.unknown_gender")
    return gender


def check_parity(before: ParityBalance, gender: str | None) -> None:
    """Warn (ParityWarning) if adding a resident answering `gender` would leave women and men
    more than `MAX_GAP` apart and further apart than before."""
    after = before.with_added(gender)
    if after.gap <= MAX_GAP or after.gap <= before.gap:
        return
    more_fr, fewer_fr = ("femmes", "d'hommes") if after.women > after.men else ("hommes",
                                                                                 "de femmes")
    more_en, fewer_en = ("women", "men") if after.women > after.men else ("men", "women")
    women_fr, women_en = _women(after.women, "fr"), _women(after.women, "en")
    men_fr, men_en = _men(after.men, "fr"), _men(after.men, "en")
    # The gap is 2 or more here (MAX_GAP is 1): "femmes de plus" is always plural.
    raise ParityWarning(
        f"Parité : après cet ajout, le Conseil compterait {women_fr} et {men_fr} parmi les "
        f"habitant·es ({after.unanswered} sans réponse), soit {after.gap} {more_fr} de plus "
        f"que {fewer_fr}. La délibération DEL-2025-0121 demande la parité. Si la désignation "
        "l'impose (tirage au sort), confirmez l'ajout en cochant « Ajouter malgré l'écart de "
        "parité ».",
        f"Parity: after this addition, the council would have {women_en} and {men_en} among "
        f"its residents ({after.unanswered} without an answer), {after.gap} more {more_en} "
        f"than {fewer_en}. Deliberation DEL-2025-0121 asks for parity. If the designation "
        "requires it (drawing of lots), confirm the addition by ticking “Add despite the "
        "parity gap”.", code="cln.parity")


def _women(count: int, locale: str) -> str:
    """"1 femme", "2 femmes", "0 femme" (French: singular up to 1); "0 women" in English."""
    return ngettext("%(num)d woman", "%(num)d women", count, locale) % {"num": count}


def _men(count: int, locale: str) -> str:
    return ngettext("%(num)d man", "%(num)d men", count, locale) % {"num": count}
