"""What a badge is, as pure data: the definitions an OB 3.0 Achievement is built from.

A badge definition (its names, criteria, roles, editions and skill alignments, French and
English side by side) is read from `badges/*.yaml` by the issuance catalogue
(`issuer.issuance.catalogue`) or built from the skills catalogue for skill badges; the credential
model (`issuer.openbadges.credential`) turns it into the signed Achievement. Kept in the core so
that the credential model depends on nothing above it.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from issuer.errors import IssuerError

Family = Literal["membership", "event", "skill"]


class CatalogueError(IssuerError):
    """The catalogue cannot be read, or names a badge or an edition it does not hold."""

    code = "catalogue.invalid"


@dataclass(frozen=True)
class LocalizedText:
    fr: str
    en: str

    def get(self, locale: str) -> str:
        """The English text for an `en*` locale, French otherwise (French comes first)."""
        return self.en if locale.lower().startswith("en") else self.fr


@dataclass(frozen=True)
class Alignment:
    """An entry of a skills framework a badge is aligned to (OB 3.0 Appendix B.1, `Alignment`;
    written into the Achievement by issuer.openbadges.credential). For the City: a skill of the mediator
    network's catalogue, as a CASE item (`CFItem`) at the address of the catalogue version the
    badge was issued under."""

    target_url: str
    target_name: str
    target_code: str | None = None
    target_framework: str | None = None
    target_description: str | None = None
    target_type: str | None = "CFItem"


@dataclass(frozen=True)
class Role:
    """A role a person held when earning a badge (e.g. speaker at an edition)."""

    slug: str
    name: LocalizedText
    aliases: tuple[str, ...] = ()
    """Other labels a coordinator may type (attendance lists are written by hand)."""


@dataclass(frozen=True)
class Event:
    """One edition of a recurring event, e.g. the 7th Petit-déjeuner de l'inclusion numérique."""

    family_slug: str  # the slug of the badge the edition belongs to
    number: int
    date: datetime.date
    theme: LocalizedText
    venue: str | None


@dataclass(frozen=True)
class BadgeDefinition:
    """One badge the City issues; becomes the OB 3.0 Achievement of its credentials."""

    slug: str
    family: Family
    achievement_type: str  # OB 3.0 AchievementType term
    name: LocalizedText
    description: LocalizedText  # Markdown allowed
    criteria: LocalizedText  # Markdown allowed
    image: str  # SVG file name under badges/art/
    tags: tuple[str, ...]
    validity_years: int | None  # None: never expires
    roles: tuple[Role, ...]
    events: tuple[Event, ...]  # editions, for family "event"; ordered by number
    sectors: tuple[str, ...] = ()  # e.g. the five sectors of the Conseil local du numérique
    alumni_badge: str | None = None
    """Slug of the badge that replaces this one when a mandate ends, so that a former member
    never shows an expired badge (e.g. membre-cln -> ancien-membre-cln)."""
    alignments: tuple[Alignment, ...] = ()
    """Skills of the network's catalogue the badge recognises (issue #5; set for the skill
    badges the coordinator creates, see issuer.network.skill_badges)."""

    def role(self, slug: str | None) -> Role | None:
        """The role named by a slug or by a French or English label, ignoring case, accents,
        punctuation and inclusive writing ("Intervenante", "intervenant.e" -> intervenant)."""
        if slug is None:
            return None
        # The slug itself is what issuance passes for every credential of a batch: no folding.
        exact = next((role for role in self.roles if role.slug == slug), None)
        if exact is not None:
            return exact
        key = _fold(slug)
        return next((role for role in self.roles if key in role_keys(role)), None)

    def event(self, number: int) -> Event:
        for event in self.events:
            if event.number == number:
                return event
        known = ", ".join(str(event.number) for event in self.events) or "—"
        raise CatalogueError(
            f"Le badge « {self.slug} » n'a pas d'édition n° {number}. Éditions connues : {known}.",
            f"Badge '{self.slug}' has no edition number {number}. Known editions: {known}.",
            code="catalogue.unknown_event",
        )


# --- role labels ------------------------------------------------------------------------------

# Inclusive writing joins the masculine and feminine forms with a middle dot (conseiller·ère,
# observateur·rice, intervenant·e); people also type a period, a bullet or brackets. When the
# suffix replaces the end of the masculine word, this table says which end.
_INCLUSIVE_POINT = re.compile(r"[·•‧⋅.]")
_FEMININE_ENDINGS = (("eur", "rice"), ("eur", "euse"), ("er", "ere"), ("f", "ve"), ("x", "se"))


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-free form of a label, for comparison only."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _gender_forms(label: str) -> tuple[str, str]:
    """The masculine and feminine forms of a label in inclusive writing."""
    label = re.sub(r"\((\w+)\)", r"·\1", label)  # conseiller(ère) -> conseiller·ère
    masculine, feminine = [], []
    for word in label.split():
        stem, *suffixes = _INCLUSIVE_POINT.split(word)
        if not suffixes or not suffixes[0]:
            masculine.append(word)
            feminine.append(word)
            continue
        plural = "".join(suffixes[1:])  # intervenant·e·s
        masculine.append(stem + plural)
        feminine.append(_feminine(stem, suffixes[0]) + plural)
    return " ".join(masculine), " ".join(feminine)


def _feminine(stem: str, suffix: str) -> str:
    for ending, feminine_suffix in _FEMININE_ENDINGS:
        if _fold(suffix) == feminine_suffix and _fold(stem).endswith(ending):
            return stem[: -len(ending)] + suffix
    return stem + suffix


@functools.lru_cache(maxsize=1024)
def role_keys(role: Role) -> frozenset[str]:
    labels = (role.slug, role.name.fr, role.name.en, *role.aliases)
    keys = {_fold(form) for label in labels for form in (label, *_gender_forms(label))}
    keys.discard("")
    return frozenset(keys)
